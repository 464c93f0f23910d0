// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim command execution: bios on the namespace's block device, punts to
 * the shim, and completions (the done list, delayed ones, the accounting)
 * up to the response.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/ktime.h>
#include <linux/module.h>

#include "queue.h"

/* @c is complete with c->cqe: count it, queue its data and response. */
static void nq_respond(struct nicsim_queue *q, struct nq_cmd *c)
{
	struct nvo_offload_stats *st = &q->oq->stats;
	bool ok = !(le16_to_cpu(c->cqe.status) >> 1);

	if (!ok)
		st->errors++;
	nvo_offload_account_lat(st, ktime_get_ns() - c->start_ns);
	c->state = NQ_CMD_TX;

	if (ok && c->len && c->data_sg && !nvme_is_write(&c->sqe))
		/* With SQ flow control off the response rides on the data. */
		nvo_stream_tx_c2h(&q->stream, &c->tx, c->sqe.common.command_id,
				  c->data_sg, c->len, q->sqhd_disabled);
	else
		nvo_stream_tx_rsp(&q->stream, &c->tx);
	list_add_tail(&c->entry, &q->tx_list);
}

/*
 * The SQ head for the next response: one more command consumed. The head
 * came with the record and goes back in the one the engine hands back.
 */
static __le16 nq_next_sqhd(struct nicsim_queue *q)
{
	if (q->sqhd_disabled || !q->sq_size)
		return 0;
	q->sqhd = (q->sqhd + 1) % q->sq_size;
	return cpu_to_le16(q->sqhd);
}

/* Complete a command the device answers itself. */
void nq_complete(struct nicsim_queue *q, struct nq_cmd *c, u16 status)
{
	memset(&c->cqe, 0, sizeof(c->cqe));
	c->cqe.command_id = c->sqe.common.command_id;
	c->cqe.sq_id = cpu_to_le16(q->qid);
	c->cqe.sq_head = nq_next_sqhd(q);
	c->cqe.status = cpu_to_le16(status << 1);
	nq_respond(q, c);
}

/* As nvmet maps block layer errors (blk_to_nvme_status()). */
static u16 nq_blk_to_nvme(struct nq_cmd *c)
{
	switch (c->bio_status) {
	case BLK_STS_OK:
		return NVME_SC_SUCCESS;
	case BLK_STS_NOSPC:
		return NVME_SC_CAP_EXCEEDED | NVME_STATUS_DNR;
	case BLK_STS_TARGET:
		return NVME_SC_LBA_RANGE | NVME_STATUS_DNR;
	case BLK_STS_NOTSUPP:
		/* 6.1's nvmet says ONCS_NOT_SUPPORTED for write-zeroes, gone in 6.12 */
		return NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR;
	case BLK_STS_MEDIUM:
		return NVME_SC_ACCESS_DENIED;
	default:
		return NVME_SC_INTERNAL | NVME_STATUS_DNR;
	}
}

/*
 * A command the device executed, in @st: its opcode's counts, and a
 * back-end error when @failed. Shared with nicsim_rdma's engine.
 */
void nicsim_count_own(struct nvo_offload_stats *st,
		      const struct nvme_command *sqe, bool inline_data,
		      bool failed)
{
	u64 nlb = le16_to_cpu(sqe->rw.length) + 1ULL;
	u8 op = sqe->common.opcode;

	if (failed)
		st->backend_errors++;
	if (op == nvme_cmd_read) {
		st->read_cmds++;
		st->read_blocks += nlb;
	} else if (op == nvme_cmd_write) {
		st->write_cmds++;
		st->write_blocks += nlb;
		st->inline_write_cmds += inline_data;
	} else if (op == nvme_cmd_flush) {
		st->flush_cmds++;
	} else if (op == nvme_cmd_write_zeroes) {
		st->write_zeroes_cmds++;
	}
}
EXPORT_SYMBOL_GPL(nicsim_count_own);

static void nq_count_own(struct nvo_offload_stats *st, const struct nq_cmd *c)
{
	nicsim_count_own(st, &c->sqe, c->inline_data,
			 c->bio_status != BLK_STS_OK);
}

/* Per queue and per namespace; the queue's errors are counted at respond. */
static void nq_account_own(struct nicsim_queue *q, struct nq_cmd *c)
{
	nq_count_own(&q->oq->stats, c);
	nq_count_own(c->ns.stats, c);
	if (c->bio_status != BLK_STS_OK)
		c->ns.stats->errors++;
	if (c->tns)
		nicsim_ns_count(c->tns);
}

static void nq_punt(struct nicsim_queue *q, struct nq_cmd *c);

/* A bio of ours finished (engine context). */
static void nq_own_done(struct nicsim_queue *q, struct nq_cmd *c)
{
	u64 lat = nicsim_fault_latency_ns(q->ndev);

	if (c->ns_failed || c->injected) {
		/*
		 * A back end lost, not a bad block: the host's CPU still
		 * reaches the device, so the command runs again in software
		 * with the data we hold. An injected error stands for the
		 * NIC losing its path to the backend: the queue falls back
		 * to software. A failed table entry (ns_fail_nsid) loses that
		 * namespace only: the shim takes the entry out, the queue
		 * stays here for the others.
		 */
		bool queue_lost = c->injected;

		q->oq->stats.backend_errors++;
		if (c->ns_failed)
			nicsim_ns_report_failed(c->tns);
		nq_ns_drop(c);
		c->own = false;
		c->ns_failed = false;
		c->injected = false;
		c->bio_status = BLK_STS_OK;
		nq_punt(q, c);
		if (queue_lost)
			nq_begin_drain(q, NVO_FALLBACK_QUEUE_FAILED);
		return;
	}
	nq_account_own(q, c);
	c->status = nq_blk_to_nvme(c);
	nq_ns_drop(c);
	if (lat) {
		c->state = NQ_CMD_DELAYED;
		c->ready_ns = ktime_get_ns() + lat;
		list_add_tail(&c->entry, &q->delayed);
		return;
	}
	nq_complete(q, c, c->status);
}

/* Take what completed off the done list. */
bool nq_reap(struct nicsim_queue *q)
{
	struct nq_cmd *c, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&q->done_lock);
	list_splice_init(&q->done_list, &done);
	spin_unlock_irq(&q->done_lock);
	if (list_empty(&done))
		return false;

	list_for_each_entry_safe(c, tmp, &done, done_entry) {
		list_del_init(&c->done_entry);
		q->nr_backend--;
		if (q->broken) {
			nq_put_cmd(q, c);
		} else if (c->own) {
			nq_own_done(q, c);
		} else {
			/* nvmet filled it in but for the SQ head: ours. */
			c->cqe.command_id = c->sqe.common.command_id;
			c->cqe.sq_head = nq_next_sqhd(q);
			nq_respond(q, c);
		}
	}
	return true;
}

bool nq_run_delayed(struct nicsim_queue *q, u64 now)
{
	struct nq_cmd *c, *tmp;
	bool progress = false;

	list_for_each_entry_safe(c, tmp, &q->delayed, entry) {
		if (c->ready_ns > now)
			continue;
		list_del_init(&c->entry);
		nq_complete(q, c, c->status);
		progress = true;
	}
	return progress;
}

static void nq_bio_end_io(struct bio *bio)
{
	struct nq_cmd *c = bio->bi_private;

	c->bio_status = bio->bi_status;
	bio_put(bio);
	nq_done(c);
}

static void nq_punt(struct nicsim_queue *q, struct nq_cmd *c)
{
	int ret;

	c->state = NQ_CMD_BACKEND;
	q->nr_backend++;
	/* punt_done() may run before this returns. */
	ret = nvo_offload_punt(q->oq, &c->sqe, c->data_sg, c->data_nents,
			       c->len, c);
	if (!ret)
		return;		/* the shim counts punts */
	q->nr_backend--;
	if (ret == -EBUSY) {
		c->state = NQ_CMD_RETRY;
		list_add_tail(&c->entry, &q->retry_list);
		return;
	}
	pr_warn_ratelimited("%s: qid %u: punt failed: %d\n",
			    q->ndev->odev.name, q->qid, ret);
	nq_complete(q, c, NVME_SC_INTERNAL);
}

bool nq_retry_punts(struct nicsim_queue *q)
{
	struct nq_cmd *c;
	bool progress = false;

	while ((c = list_first_entry_or_null(&q->retry_list, struct nq_cmd,
					     entry))) {
		list_del_init(&c->entry);
		nq_punt(q, c);
		if (c->state == NQ_CMD_RETRY)
			break;	/* still no room: the timer brings us back */
		progress = true;
	}
	return progress;
}

/* Submit the command's I/O to the namespace's block device. */
static void nq_submit(struct nicsim_queue *q, struct nq_cmd *c)
{
	struct block_device *bdev = c->ns.bdev;
	u8 op = c->sqe.common.opcode;
	u64 slba = le64_to_cpu(c->sqe.rw.slba);
	u64 nlb = le16_to_cpu(c->sqe.rw.length) + 1ULL;
	sector_t sector = slba << (c->ns.blksize_shift - SECTOR_SHIFT);
	struct scatterlist *sg;
	struct bio *bio;
	blk_opf_t opf;
	unsigned int i;

	c->state = NQ_CMD_BACKEND;
	q->nr_backend++;
	if (c->tns && nicsim_ns_backend_failed(c->tns)) {
		c->ns_failed = true;
		c->bio_status = BLK_STS_IOERR;
		nq_done(c);
		return;
	}
	if (op != nvme_cmd_flush &&
	    nicsim_fault_backend_error(q->ndev, slba, nlb)) {
		c->injected = true;
		c->bio_status = BLK_STS_IOERR;
		nq_done(c);
		return;
	}

	switch (op) {
	case nvme_cmd_flush:
		/* As nvmet: nothing to flush without a volatile cache. */
		if (!bdev_write_cache(bdev)) {
			nq_done(c);
			return;
		}
		bio = bio_alloc(bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO);
		break;
	case nvme_cmd_write_zeroes:
		bio = bio_alloc(bdev, 0, REQ_OP_WRITE_ZEROES, GFP_NOIO);
		bio->bi_iter.bi_sector = sector;
		bio->bi_iter.bi_size = nlb << c->ns.blksize_shift;
		break;
	default:
		if (op == nvme_cmd_read) {
			opf = REQ_OP_READ;
		} else {
			opf = REQ_OP_WRITE | REQ_SYNC | REQ_IDLE;
			if (le16_to_cpu(c->sqe.rw.control) & NVME_RW_FUA)
				opf |= REQ_FUA;
		}
		bio = bio_alloc(bdev, c->data_nents, opf, GFP_NOIO);
		bio->bi_iter.bi_sector = sector;
		for_each_sg(c->data_sg, sg, c->data_nents, i) {
			/* A vec for every page: it fits, but be sure. */
			if (WARN_ON_ONCE(bio_add_page(bio, sg_page(sg),
						      sg->length,
						      sg->offset) !=
					 sg->length)) {
				bio_put(bio);
				c->bio_status = BLK_STS_RESOURCE;
				nq_done(c);
				return;
			}
		}
		break;
	}
	bio->bi_private = c;
	bio->bi_end_io = nq_bio_end_io;
	submit_bio(bio);
}

void nq_cmd_execute(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (unlikely(c->data_status))
		nq_complete(q, c, c->data_status);
	else if (c->own)
		nq_submit(q, c);
	else
		nq_punt(q, c);
}
