// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs views (/sys/kernel/debug/nvmet_offload/): queues with their
 * software and offload counters, and the command-slot memory. The offload
 * controls (devices, port_offload, queue_offload) are offload.c's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "transport.h"

static struct dentry *nvo_debugfs;

struct dentry *nvo_debugfs_dir(void)
{
	return nvo_debugfs;
}

static const char *const nvo_state_names[] = {
	[NVO_Q_WAIT_ICREQ]	= "wait-icreq",
	[NVO_Q_LIVE]		= "live",
	[NVO_Q_CLOSING]		= "closing",
};

static void nvo_stats_show_queue(struct nvo_queue *queue, void *arg)
{
	const struct nvo_queue_stats *st = &queue->stats;
	struct nvmet_ctrl *ctrl = queue->nvme_sq.ctrl;
	char dev_name[NVO_DEV_NAME_LEN] = "-";
	struct seq_file *m = arg;

	/* Under state_lock a device seen in oq.dev cannot be unregistered. */
	spin_lock_bh(&queue->state_lock);
	if (queue->oq.dev)
		strscpy(dev_name, queue->oq.dev->name, sizeof(dev_name));
	spin_unlock_bh(&queue->state_lock);

	seq_printf(m, "%5d %4u %5d %4u %-10s %3d %10llu %10llu %12llu %10llu %12llu %8llu %8llu %6llu %6llu %-10s %-12s %4llu %4llu %4llu %s\n",
		   queue->idx, le16_to_cpu(queue->nport->disc_addr.portid),
		   ctrl ? ctrl->cntlid : -1, queue->nvme_sq.qid,
		   nvo_state_names[READ_ONCE(queue->state)], queue->cpu,
		   READ_ONCE(st->cmds), READ_ONCE(st->read_cmds),
		   READ_ONCE(st->read_bytes), READ_ONCE(st->write_cmds),
		   READ_ONCE(st->write_bytes), READ_ONCE(st->inline_writes),
		   READ_ONCE(st->r2ts), READ_ONCE(st->errors),
		   READ_ONCE(st->digest_errors),
		   nvo_offload_state_name(READ_ONCE(queue->ostate)),
		   dev_name, READ_ONCE(queue->offload_events),
		   READ_ONCE(queue->reclaim_events),
		   READ_ONCE(queue->fallback_events),
		   nvo_fallback_reason_name(READ_ONCE(queue->fallback_reason)));
}

static int nvo_queues_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "queue port  ctrl  qid state      cpu       cmds  read_cmds   read_bytes write_cmds  write_bytes  inl_wr     r2ts errors ddgst offload    device        off  rcl  fbk last_fallback\n");
	nvo_visit_queues(nvo_stats_show_queue, m);
	return 0;
}

static void nvo_offload_stats_show_queue(struct nvo_queue *queue, void *arg)
{
	struct nvo_counters c;
	const struct nvo_offload_stats *st = &c.st;
	struct seq_file *m = arg;
	int i;

	if (!queue->nvme_sq.qid)
		return;
	/* Since the queue appeared, over every device it has been on. */
	nvo_counters_queue_raw(queue, &c);
	seq_printf(m, "%5d %10llu %10llu %10llu %10llu %8llu %6llu %6llu %6llu %6llu %6llu %6llu",
		   queue->idx, st->read_cmds, st->read_blocks, st->write_cmds,
		   st->write_blocks, st->inline_write_cmds, st->flush_cmds,
		   st->write_zeroes_cmds, st->errors, st->backend_errors,
		   st->punted_cmds, st->unknown_ns_cmds);
	for (i = 0; i < NVO_LAT_BUCKETS; i++)
		seq_printf(m, " %llu", st->lat_hist[i]);
	seq_putc(m, '\n');
}

/* Counters the offload path keeps, per I/O queue; lat: log2(us) buckets. */
static int nvo_offload_stats_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "queue  read_cmds read_blks  write_cmds write_blks inl_wr flush wzeroes errors be_err punted unk_ns lat_hist...\n");
	nvo_visit_queues(nvo_offload_stats_show_queue, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvo_offload_stats);

DEFINE_SHOW_ATTRIBUTE(nvo_queues);

/* Command-slot memory of all queues, against queue_mem_limit_kb. */
static int nvo_memory_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "slot_bytes %ld\n", nvo_queue_mem_bytes());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvo_memory);

void nvo_debugfs_init(void)
{
	/* debugfs is best effort: the transport works without it. */
	nvo_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("queues", 0444, nvo_debugfs, NULL,
			    &nvo_queues_fops);
	debugfs_create_file("offload_stats", 0444, nvo_debugfs, NULL,
			    &nvo_offload_stats_fops);
	debugfs_create_file("memory", 0444, nvo_debugfs, NULL,
			    &nvo_memory_fops);
}

void nvo_debugfs_exit(void)
{
	debugfs_remove(nvo_debugfs);
}
