// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs views (/sys/kernel/debug/nvmet_offload/): queues with their
 * software and offload counters, the command-slot memory, the offload
 * devices, and the offload controls (port_offload, queue_offload) that tests
 * flip beside netlink. Reads go through the visitors of queue_base.c and
 * offload.c; writes through offload.c's policy calls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "observe.h"
#include "transport.h"

static struct dentry *nvo_debugfs;

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

	seq_printf(m, "%5d %4u %5d %4u %-10s %3d %10llu %10llu %12llu %10llu %12llu %8llu %8llu %6llu %6llu %-10s %-12s %4llu %4llu %4llu %-13s %8llu\n",
		   queue->idx, queue->port->id,
		   ctrl ? ctrl->cntlid : -1, queue->nvme_sq.qid,
		   nvo_state_names[READ_ONCE(queue->state)], queue->cpu,
		   READ_ONCE(st->cmds), READ_ONCE(st->read_cmds),
		   READ_ONCE(st->read_bytes), READ_ONCE(st->write_cmds),
		   READ_ONCE(st->write_bytes), READ_ONCE(st->inline_writes),
		   READ_ONCE(st->r2ts), READ_ONCE(st->errors),
		   READ_ONCE(st->digest_errors),
		   nvo_offload_state_name(READ_ONCE(queue->ostate)),
		   dev_name, READ_ONCE(queue->events.offload_events),
		   READ_ONCE(queue->events.reclaim_events),
		   READ_ONCE(queue->events.fallback_events),
		   nvo_fallback_reason_name(READ_ONCE(queue->fallback_reason)),
		   READ_ONCE(st->read_pages_held));
}

static int nvo_queues_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "queue port  ctrl  qid state      cpu       cmds  read_cmds   read_bytes write_cmds  write_bytes  inl_wr     r2ts errors ddgst offload    device        off  rcl  fbk last_fallback rd_pg_new\n");
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

/* "PORTID on DEVICE" or "PORTID off" (the device stays bound). */
static ssize_t nvo_port_offload_write(struct file *file,
				      const char __user *ubuf, size_t len,
				      loff_t *ppos)
{
	char buf[64], devname[NVO_DEV_NAME_LEN], onoff[4];
	unsigned int portid;
	int n, ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	n = sscanf(buf, "%u %3s %31s", &portid, onoff, devname);
	if (n >= 2 && portid <= U16_MAX && !strcmp(onoff, "off"))
		ret = nvo_port_policy_set(portid, NULL);
	else if (n == 3 && portid <= U16_MAX && !strcmp(onoff, "on"))
		ret = nvo_port_policy_set(portid, devname);
	else
		ret = -EINVAL;
	return ret ? ret : len;
}

static void nvo_port_offload_show_one(struct nvo_port *port, void *m)
{
	seq_printf(m, "%u %s %s\n", nvo_port_id(port),
		   port->odev ? "on" : "off",
		   port->odev ? port->odev->name : "-");
}

static int nvo_port_offload_show(struct seq_file *m, void *unused)
{
	nvo_visit_ports(nvo_port_offload_show_one, m);
	return 0;
}

static int nvo_port_offload_open(struct inode *inode, struct file *file)
{
	return single_open(file, nvo_port_offload_show, NULL);
}

static const struct file_operations nvo_port_offload_fops = {
	.owner		= THIS_MODULE,
	.open		= nvo_port_offload_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
	.write		= nvo_port_offload_write,
};

/* "QUEUE on|off": one queue, by the index the queues file shows. */
static ssize_t nvo_queue_offload_write(struct file *file,
				       const char __user *ubuf, size_t len,
				       loff_t *ppos)
{
	char buf[32], onoff[4];
	int idx, ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%d %3s", &idx, onoff) != 2 ||
	    (strcmp(onoff, "on") && strcmp(onoff, "off")))
		return -EINVAL;
	ret = nvo_queue_offload_set(idx, !strcmp(onoff, "on"));
	return ret ? ret : len;
}

static const struct file_operations nvo_queue_offload_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= nvo_queue_offload_write,
};

/* A device's NVMe/TCP limits (caps.tr[]) and the first 64 opcodes. */
static void nvo_devices_show_one(struct nvo_offload_dev *dev, void *m)
{
	const struct nvo_tr_caps *tr = &dev->caps.tr[NVO_TR_TCP];
	u64 opcodes = 0;
	unsigned int op;

	for_each_set_bit(op, dev->caps.io_opcodes, 64)
		opcodes |= BIT_ULL(op);
	seq_printf(m, "%2u %-16s %6d %10u %#018llx %11u\n", dev->id, dev->name,
		   atomic_read(&dev->nr_queues), tr->max_queues, opcodes,
		   tr->max_io_size);
}

static int nvo_devices_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "id name             queues max_queues io_opcodes         max_io_size\n");
	nvo_visit_devices(nvo_devices_show_one, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvo_devices);

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
	debugfs_create_file("devices", 0444, nvo_debugfs, NULL,
			    &nvo_devices_fops);
	debugfs_create_file("port_offload", 0644, nvo_debugfs, NULL,
			    &nvo_port_offload_fops);
	debugfs_create_file("queue_offload", 0200, nvo_debugfs, NULL,
			    &nvo_queue_offload_fops);
}

void nvo_debugfs_exit(void)
{
	debugfs_remove(nvo_debugfs);
}
