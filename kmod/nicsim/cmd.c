// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim command slots, and how a command starts once its capsule is in:
 * the checks nvmet would make, own or punt, staging, solicited data; or
 * parked, while its queue drains for a hand-over.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/ktime.h>

#include "queue.h"

struct nq_cmd *nq_get_cmd(struct nicsim_queue *q)
{
	struct nq_cmd *c;

	c = list_first_entry_or_null(&q->free_cmds, struct nq_cmd, entry);
	if (!c)
		return NULL;
	list_del_init(&c->entry);
	q->nr_used++;
	c->state = NQ_CMD_DATA;
	c->own = false;
	c->inline_data = false;
	c->ns_held = false;
	c->tns = NULL;
	c->injected = false;
	c->ns_failed = false;
	c->status = NVME_SC_SUCCESS;
	c->data_status = NVME_SC_SUCCESS;
	c->bio_status = BLK_STS_OK;
	c->inline_len = 0;
	c->len = 0;
	c->data_sg = NULL;
	c->data_nents = 0;
	c->tx.state = NVO_STX_IDLE;
	nvo_xfer_init(&c->rx.xfer, 0);
	c->start_ns = ktime_get_ns();
	return c;
}

/* The namespace may go as soon as the command's I/O is over. */
void nq_ns_drop(struct nq_cmd *c)
{
	if (!c->ns_held)
		return;
	if (c->tns)
		nicsim_ns_put(c->tns);
	else
		nvo_offload_ns_put(&c->ns);
	c->tns = NULL;
	c->ns_held = false;
}

void nq_cmd_release(struct nicsim_queue *q, struct nq_cmd *c)
{
	nq_ns_drop(c);
	nq_stage_free(q, c);
	kfree(c->park_buf);
	c->park_buf = NULL;
	c->data_sg = NULL;
	c->data_nents = 0;
}

/* @c must be on no list. */
void nq_put_cmd(struct nicsim_queue *q, struct nq_cmd *c)
{
	nq_cmd_release(q, c);
	c->state = NQ_CMD_FREE;
	list_add(&c->entry, &q->free_cmds);
	q->nr_used--;
}

/* What nvmet_req_init() and the software transport reject up front. */
u16 nq_check_data(struct nicsim_queue *q, struct nq_cmd *c)
{
	u8 flags = c->sqe.common.flags;
	bool in_capsule;
	u16 status;
	u32 len;

	if ((flags & (NVME_CMD_FUSE_FIRST | NVME_CMD_FUSE_SECOND)) ||
	    (flags & NVME_CMD_SGL_ALL) != NVME_CMD_SGL_METABUF)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	status = nvo_sgl_check(&c->sqe, c->inline_len, q->stream.inline_limit,
			       NICSIM_MAX_XFER, &len, &in_capsule);
	if (status || !len)
		return status;
	c->inline_data = in_capsule;
	c->len = len;
	return 0;
}

/*
 * The command's namespace from the queue's table: no call to the shim. Not
 * there (absent, or not caught up yet), or a write to a read-only one:
 * punted, software answers.
 */
static int nq_table_ns(struct nicsim_queue *q, struct nq_cmd *c, u32 nsid)
{
	struct nvo_ns_entry e;

	c->tns = nicsim_ns_get(q->ns_tbl, nsid, &e);
	if (!c->tns)
		return -ENOENT;
	c->ns.ns = NULL;
	c->ns.bdev = e.bdev;
	c->ns.blksize_shift = e.lba_shift;
	c->ns.nr_blocks = e.nr_blocks;
	c->ns.stats = nvo_offload_ns_stats(q->oq, nsid);
	if ((e.flags & NVO_NS_RO) && c->sqe.common.opcode != nvme_cmd_read &&
	    c->sqe.common.opcode != nvme_cmd_flush) {
		nicsim_ns_put(c->tns);
		c->tns = NULL;
		return -EROFS;
	}
	return 0;
}

/*
 * Does the device execute @c itself? Takes the namespace reference if so.
 * Anything it cannot do exactly as nvmet would is punted, so that nvmet
 * gives the answer (and the status) it always gives.
 */
static bool nq_want_own(struct nicsim_queue *q, struct nq_cmd *c)
{
	struct nvo_caps *caps = &q->ndev->odev.caps;
	u32 nsid = le32_to_cpu(c->sqe.common.nsid);
	u8 op = c->sqe.common.opcode;
	u64 slba, nlb;
	int ret;

	switch (op) {
	case nvme_cmd_read:
	case nvme_cmd_write:
	case nvme_cmd_flush:
	case nvme_cmd_write_zeroes:
		break;
	default:
		return false;
	}
	if (!test_bit(op, caps->io_opcodes))
		return false;

	if (q->ns_tbl)
		ret = nq_table_ns(q, c, nsid);
	else
		ret = nvo_offload_ns_get(q->oq, nsid, &c->ns);
	if (ret) {
		/* A table may just not have caught up: the shim knows. */
		if (ret == -ENOENT && nsid != NVME_NSID_ALL && !q->ns_tbl)
			q->oq->stats.unknown_ns_cmds++;
		return false;
	}
	c->ns_held = true;

	if (op == nvme_cmd_flush) {
		if (c->len)
			goto punt;
		return true;
	}
	slba = le64_to_cpu(c->sqe.rw.slba);
	nlb = le16_to_cpu(c->sqe.rw.length) + 1ULL;
	if (slba >= c->ns.nr_blocks || nlb > c->ns.nr_blocks - slba)
		goto punt;
	if (op == nvme_cmd_write_zeroes) {
		if (c->len || !bdev_write_zeroes_sectors(c->ns.bdev) ||
		    (nlb << c->ns.blksize_shift) > UINT_MAX)
			goto punt;
		return true;
	}
	if (c->len > READ_ONCE(caps->tr[NVO_TR_TCP].max_io_size) ||
	    (nlb << c->ns.blksize_shift) != c->len)
		goto punt;
	/* FUA we do; protection information and the like nvmet does. */
	if (le16_to_cpu(c->sqe.rw.control) & ~(NVME_RW_FUA | NVME_RW_LR))
		goto punt;
	return true;

punt:
	nq_ns_drop(c);
	return false;
}

void nq_queue_r2t(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (nvo_stream_tx_r2t(&q->stream, &c->tx, c->sqe.common.command_id,
			      c->ttag, &c->rx.xfer))
		list_add_tail(&c->entry, &q->tx_list);
}

/* A started command has its staging: solicit its write data, or run it. */
static void nq_cmd_go(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (c->len && nvme_is_write(&c->sqe) && !c->inline_data) {
		/* Solicit the data; it comes in order, window by window. */
		c->state = NQ_CMD_DATA;
		nvo_xfer_init(&c->rx.xfer, c->len);
		nvo_sg_cursor_init(&c->rx.cur, c->data_sg);
		q->nr_r2t++;
		nq_queue_r2t(q, c);
		return;
	}
	nq_cmd_execute(q, c);
}

/* Start a command whose capsule and in-capsule data are here. */
static void nq_cmd_start(struct nicsim_queue *q, struct nq_cmd *c)
{
	u16 status;

	if (nicsim_fault_fail_queue(q->ndev)) {
		pr_info("%s: qid %u: injected queue failure\n",
			q->ndev->odev.name, q->qid);
		nq_begin_drain(q, NVO_FALLBACK_QUEUE_FAILED);
	}

	status = nq_check_data(q, c);
	if (status) {
		nq_complete(q, c, status);
		return;
	}
	c->own = nq_want_own(q, c);

	/*
	 * Staging for data not received yet; behind the queue's commands
	 * already waiting for it, so that a large one is not overtaken
	 * forever. A waiting command holds no staging.
	 */
	if (!c->stage && c->len &&
	    (!list_empty(&q->stage_wait) || nq_map_data(q, c))) {
		c->state = NQ_CMD_STAGE_WAIT;
		list_add_tail(&c->entry, &q->stage_wait);
		nq_stage_count_wait(q->ndev);
		return;
	}
	nq_cmd_go(q, c);
}

/* Commands that waited for staging, in order, while there is some. */
bool nq_retry_staging(struct nicsim_queue *q)
{
	struct nq_cmd *c;
	bool progress = false;

	while ((c = list_first_entry_or_null(&q->stage_wait, struct nq_cmd,
					     entry))) {
		if (nq_map_data(q, c))
			break;	/* the timer brings us back */
		list_del_init(&c->entry);
		nq_cmd_go(q, c);
		progress = true;
	}
	return progress;
}

/* A capsule is in: start it, or keep it for the record when draining. */
void nq_capsule_ready(struct nicsim_queue *q, struct nq_cmd *c)
{
	/* A failed data digest has its answer already: give it now. */
	if (q->draining && !c->data_status) {
		nq_park_data(q, c);
		c->state = NQ_CMD_PARKED;
		list_add_tail(&c->entry, &q->parked);
		q->nr_parked++;
		return;
	}
	nq_cmd_start(q, c);
}

void nq_start_record(struct nicsim_queue *q)
{
	struct nq_cmd *c;

	/* A start may begin a drain, which takes the rest off start_list. */
	while ((c = list_first_entry_or_null(&q->start_list, struct nq_cmd,
					     entry))) {
		list_del_init(&c->entry);
		q->nr_parked--;
		nq_cmd_start(q, c);
	}
}
