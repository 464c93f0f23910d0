// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim engine: the simulated NIC's NVMe/TCP data path.
 *
 * A device runs NR_ENGINES kthreads, its "NIC cores". A queue offloaded to
 * the device is served by one engine, chosen round-robin at offload, and
 * only that engine touches the queue's protocol state (receive, send,
 * command slots), so that state needs no lock. Everything else queues work
 * for the engine and kicks it:
 *
 *  - the socket callbacks (softirq) on data, write space and close;
 *  - bio completions and punt completions (any context), through the
 *    queue's done list, under done_lock;
 *  - queue_reclaim() and the crash knob, through request bits, under the
 *    device lock;
 *  - an hrtimer, for delayed completions, punt retries and slow reclaims.
 *
 * The engine frees a queue only once none of them can reach it: callbacks
 * restored, timer cancelled, no bio or punt outstanding, off the device
 * list and off the engine's run queue.
 *
 * A command: capsule (in-capsule data lands in staging taken for it) ->
 * start: executed by the device ("own") or punted to nvmet -> staging for
 * its data, or a wait for the device's staging budget -> for writes, data
 * solicited by R2T -> a bio on the namespace's block device, or
 * nvo_offload_punt() -> completion (done list) -> C2HData and/or response
 * -> staging and slot free. The PDU work is the shared codec's
 * (kmod/pdu.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include <linux/nvmet_offload_stream.h>

#include "nicsim.h"

/* PDUs one queue handles per turn before its engine serves another. */
#define NQ_BUDGET		64
/* How soon a punt the shim had no room for is tried again. */
#define NQ_PUNT_RETRY_NS	(100 * NSEC_PER_USEC)
/* How soon a command waiting for staging looks at the budget again. */
#define NQ_STAGE_RETRY_NS	(200 * NSEC_PER_USEC)

enum nq_cmd_state {
	NQ_CMD_FREE,
	NQ_CMD_PARKED,		/* kept, not started: for the record */
	NQ_CMD_DATA,		/* receiving its in-capsule data or H2CData */
	NQ_CMD_STAGE_WAIT,	/* started, waiting for staging */
	NQ_CMD_BACKEND,		/* bio or punt outstanding */
	NQ_CMD_RETRY,		/* punt to try again */
	NQ_CMD_DELAYED,		/* completion held back (extra_latency_us) */
	NQ_CMD_TX,		/* response on its way out */
};

/* Requests to the engine from other contexts: bits of queue->requests. */
enum {
	NQ_REQ_RECLAIM,
	NQ_REQ_CRASH,
	NQ_REQ_CLOSED,		/* the connection is closing */
};

struct nicsim_queue;

struct nq_cmd {
	struct nicsim_queue	*q;
	struct nvme_command	sqe;
	struct nvme_completion	cqe;
	u16			ttag;
	u8			state;		/* enum nq_cmd_state */
	bool			own;		/* the device executes it */
	bool			inline_data;	/* its data came in the capsule */
	bool			ns_held;
	bool			injected;	/* backend error injected */
	u16			status;		/* own commands: NVMe status */
	u16			data_status;	/* set when a data digest failed */
	blk_status_t		bio_status;
	u32			inline_len;	/* in-capsule bytes received */
	u32			len;		/* the command's data bytes */
	struct nvo_ns_ref	ns;
	u64			start_ns;
	u64			ready_ns;	/* DELAYED: when to respond */

	/* Staging, charged to the device's budget: holds the data. */
	struct scatterlist	*stage;
	unsigned int		stage_nents;
	u32			stage_pages;
	/* A parked capsule's in-capsule data, outside the budget. */
	void			*park_buf;
	struct scatterlist	*data_sg;
	unsigned int		data_nents;

	struct nvo_pdu_rx	rx;
	struct nvo_pdu_tx	tx;

	struct list_head	entry;		/* free_cmds or a queue's list */
	struct list_head	done_entry;	/* queue->done_list */
};

struct nicsim_queue {
	struct nicsim_dev	*ndev;
	struct nicsim_engine	*eng;
	struct nvo_offload_queue *oq;
	struct nvo_stream	stream;		/* the engine's only */
	u16			qid;
	u16			sq_size;
	bool			sqhd_disabled;
	u32			inline_max;	/* in-capsule data bytes */

	struct nq_cmd		*cmds;
	u32			nr_cmds;

	struct list_head	free_cmds;
	struct list_head	start_list;	/* the record's, not started yet */
	struct list_head	parked;		/* parked while draining */
	struct list_head	stage_wait;	/* started, staging to come */
	struct list_head	tx_list;
	struct list_head	retry_list;
	struct list_head	delayed;
	u32			nr_used;	/* slots off the free list */
	u32			nr_parked;	/* of those, on start_list/parked */
	u32			nr_backend;	/* bios and punts outstanding */
	u32			nr_r2t;		/* writes soliciting data */
	bool			rx_stalled;	/* NVO_SRX_WAIT without staging */

	spinlock_t		done_lock;	/* guards done_list */
	struct list_head	done_list;

	unsigned long		requests;	/* NQ_REQ_* bits, any context */
	bool			draining;
	bool			broken;		/* the stream is lost */
	enum nvo_fallback_reason drain_reason;	/* NONE: a reclaim */
	u64			finish_at;	/* slow_reclaim_ms: not before */
	struct hrtimer		timer;

	struct list_head	dev_entry;	/* ndev->queues, ndev->lock */
	struct list_head	run_entry;	/* eng->runq, eng->lock */
};

static void nq_cmd_start(struct nicsim_queue *q, struct nq_cmd *c);

static inline struct nicsim_queue *nq_of(struct nvo_stream *s)
{
	return s->owner;
}

/* ---- scheduling --------------------------------------------------------- */

static void nq_kick(struct nicsim_queue *q)
{
	struct nicsim_engine *eng = q->eng;
	unsigned long flags;
	bool wake = false;

	spin_lock_irqsave(&eng->lock, flags);
	if (list_empty(&q->run_entry)) {
		list_add_tail(&q->run_entry, &eng->runq);
		wake = true;
	}
	spin_unlock_irqrestore(&eng->lock, flags);
	/* Engines outlive their queues: eng is safe here. */
	if (wake)
		wake_up(&eng->wq);
}

static enum hrtimer_restart nq_timer_fn(struct hrtimer *timer)
{
	nq_kick(container_of(timer, struct nicsim_queue, timer));
	return HRTIMER_NORESTART;
}

/* A bio or a punt completed (any context): hand it to the engine. */
static void nq_done(struct nq_cmd *c)
{
	struct nicsim_queue *q = c->q;
	unsigned long flags;

	/*
	 * Kick under done_lock: the engine frees the queue only after it
	 * took this completion off the list, so after we let go of the lock.
	 */
	spin_lock_irqsave(&q->done_lock, flags);
	list_add_tail(&c->done_entry, &q->done_list);
	nq_kick(q);
	spin_unlock_irqrestore(&q->done_lock, flags);
}

/* ---- socket callbacks (softirq) ------------------------------------------ */

static void nq_wake(struct nvo_stream *s)
{
	nq_kick(nq_of(s));
}

static void nq_closed(struct nvo_stream *s)
{
	struct nicsim_queue *q = nq_of(s);

	set_bit(NQ_REQ_CLOSED, &q->requests);
	nq_kick(q);
}

/* ---- command slots ------------------------------------------------------- */

static struct nq_cmd *nq_get_cmd(struct nicsim_queue *q)
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
	c->injected = false;
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

/* ---- staging ------------------------------------------------------------- */

/*
 * Staging is taken when a command needs room for its data and given back
 * when the command is answered, from the device's budget
 * (staging_limit_kb): what the device holds follows what is in flight, not
 * the queue depths hosts ask for. Never less than one largest transfer, so
 * that any command can be served once the others are.
 */
static unsigned long nq_stage_limit(struct nicsim_staging *st)
{
	unsigned long pages = READ_ONCE(st->limit_kb) >> (PAGE_SHIFT - 10);

	return max_t(unsigned long, pages, NICSIM_MAX_XFER >> PAGE_SHIFT);
}

/* Charge @n pages to the budget; @force: even beyond it. */
static bool nq_stage_charge(struct nicsim_dev *ndev, u32 n, bool force)
{
	struct nicsim_staging *st = &ndev->staging;
	unsigned long limit = nq_stage_limit(st);
	bool ok = true;

	spin_lock(&st->lock);
	if (st->pages + n > limit) {
		if (force)
			st->forced += n;
		else
			ok = false;
	}
	if (ok) {
		st->pages += n;
		st->pages_max = max(st->pages_max, st->pages);
	}
	spin_unlock(&st->lock);
	return ok;
}

static void nq_stage_uncharge(struct nicsim_dev *ndev, u32 n)
{
	spin_lock(&ndev->staging.lock);
	ndev->staging.pages -= n;
	spin_unlock(&ndev->staging.lock);
}

static void nq_stage_count_wait(struct nicsim_dev *ndev)
{
	spin_lock(&ndev->staging.lock);
	ndev->staging.waits++;
	spin_unlock(&ndev->staging.lock);
}

/*
 * Staging for @len bytes, mapped as @c's data. 0, or -EAGAIN when the
 * budget (or memory) is short: the command waits and tries again. Engine
 * context: the allocation may sleep, but must not start I/O, as a host on
 * this very kernel may be what reclaim would write to.
 */
static int nq_stage_alloc(struct nicsim_queue *q, struct nq_cmd *c, u32 len,
			  bool force)
{
	u32 n = DIV_ROUND_UP(len, PAGE_SIZE);

	if (!nq_stage_charge(q->ndev, n, force))
		return -EAGAIN;
	c->stage = sgl_alloc(len, GFP_NOIO | __GFP_NOWARN, &c->stage_nents);
	if (!c->stage) {
		nq_stage_uncharge(q->ndev, n);
		return -EAGAIN;
	}
	c->stage_pages = n;
	c->data_sg = c->stage;
	c->data_nents = c->stage_nents;
	return 0;
}

static void nq_stage_free(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (!c->stage)
		return;
	sgl_free(c->stage);
	nq_stage_uncharge(q->ndev, c->stage_pages);
	c->stage = NULL;
	c->stage_nents = 0;
	c->stage_pages = 0;
	c->data_sg = NULL;
	c->data_nents = 0;
}

static void nq_cmd_release(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (c->ns_held) {
		nvo_offload_ns_put(&c->ns);
		c->ns_held = false;
	}
	nq_stage_free(q, c);
	kfree(c->park_buf);
	c->park_buf = NULL;
	c->data_sg = NULL;
	c->data_nents = 0;
}

/* @c must be on no list. */
static void nq_put_cmd(struct nicsim_queue *q, struct nq_cmd *c)
{
	nq_cmd_release(q, c);
	c->state = NQ_CMD_FREE;
	list_add(&c->entry, &q->free_cmds);
	q->nr_used--;
}

/*
 * Staging for the data of a started command that has none yet: room to
 * receive or read into, or, for a capsule that was parked, where its
 * in-capsule data moves. -EAGAIN: wait for the budget.
 */
static int nq_map_data(struct nicsim_queue *q, struct nq_cmd *c)
{
	int ret;

	ret = nq_stage_alloc(q, c, c->len, false);
	if (ret)
		return ret;
	if (c->park_buf) {
		/* nq_check_data() made sure len is the in-capsule length. */
		sg_copy_from_buffer(c->data_sg, c->data_nents, c->park_buf,
				    c->len);
		kfree(c->park_buf);
		c->park_buf = NULL;
	}
	return 0;
}

/* ---- completions ------------------------------------------------------- */

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

/* Complete a command the device answers itself. */
static void nq_complete(struct nicsim_queue *q, struct nq_cmd *c, u16 status)
{
	memset(&c->cqe, 0, sizeof(c->cqe));
	c->cqe.command_id = c->sqe.common.command_id;
	c->cqe.sq_id = cpu_to_le16(q->qid);
	c->cqe.sq_head = cpu_to_le16(nvo_offload_next_sqhd(q->oq));
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

static void nq_count_own(struct nvo_offload_stats *st, const struct nq_cmd *c)
{
	u64 nlb = le16_to_cpu(c->sqe.rw.length) + 1ULL;

	if (c->bio_status != BLK_STS_OK)
		st->backend_errors++;
	switch (c->sqe.common.opcode) {
	case nvme_cmd_read:
		st->read_cmds++;
		st->read_blocks += nlb;
		break;
	case nvme_cmd_write:
		st->write_cmds++;
		st->write_blocks += nlb;
		if (c->inline_data)
			st->inline_write_cmds++;
		break;
	case nvme_cmd_flush:
		st->flush_cmds++;
		break;
	case nvme_cmd_write_zeroes:
		st->write_zeroes_cmds++;
		break;
	}
}

/* Per queue and per namespace; the queue's errors are counted at respond. */
static void nq_account_own(struct nicsim_queue *q, struct nq_cmd *c)
{
	nq_count_own(&q->oq->stats, c);
	nq_count_own(c->ns.stats, c);
	if (c->bio_status != BLK_STS_OK)
		c->ns.stats->errors++;
}

/* A bio of ours finished (engine context). */
static void nq_punt(struct nicsim_queue *q, struct nq_cmd *c);
static void nq_begin_drain(struct nicsim_queue *q,
			   enum nvo_fallback_reason reason);

static void nq_own_done(struct nicsim_queue *q, struct nq_cmd *c)
{
	u64 lat = nicsim_fault_latency_ns(q->ndev);

	if (c->injected) {
		/*
		 * An injected backend error stands for the NIC losing its path
		 * to the backend, not for a bad block: the host's CPU still
		 * reaches the device. The command runs again in software with
		 * the data we hold, and the queue falls back to software.
		 */
		q->oq->stats.backend_errors++;
		nvo_offload_ns_put(&c->ns);
		c->ns_held = false;
		c->own = false;
		c->injected = false;
		c->bio_status = BLK_STS_OK;
		nq_punt(q, c);
		nq_begin_drain(q, NVO_FALLBACK_QUEUE_FAILED);
		return;
	}
	nq_account_own(q, c);
	c->status = nq_blk_to_nvme(c);
	/* The namespace may go as soon as the I/O is over. */
	nvo_offload_ns_put(&c->ns);
	c->ns_held = false;
	if (lat) {
		c->state = NQ_CMD_DELAYED;
		c->ready_ns = ktime_get_ns() + lat;
		list_add_tail(&c->entry, &q->delayed);
		return;
	}
	nq_complete(q, c, c->status);
}

/* Take what completed off the done list. */
static bool nq_reap(struct nicsim_queue *q)
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
			/* nvmet filled it in, advancing the SQ head itself. */
			c->cqe.command_id = c->sqe.common.command_id;
			nq_respond(q, c);
		}
	}
	return true;
}

static bool nq_run_delayed(struct nicsim_queue *q, u64 now)
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

/* ---- execution ----------------------------------------------------------- */

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

static bool nq_retry_punts(struct nicsim_queue *q)
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

static void nq_cmd_execute(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (unlikely(c->data_status))
		nq_complete(q, c, c->data_status);
	else if (c->own)
		nq_submit(q, c);
	else
		nq_punt(q, c);
}

/* What nvmet_req_init() and the software transport reject up front. */
static u16 nq_check_data(struct nicsim_queue *q, struct nq_cmd *c)
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
 * Does the device execute @c itself? Takes the namespace reference if so.
 * Anything it cannot do exactly as nvmet would is punted, so that nvmet
 * gives the answer (and the status) it always gives.
 */
static bool nq_want_own(struct nicsim_queue *q, struct nq_cmd *c)
{
	struct nvo_offload_caps *caps = &q->ndev->odev.caps;
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
	if (!(READ_ONCE(caps->io_opcodes) & BIT_ULL(op)))
		return false;

	ret = nvo_offload_ns_get(q->oq, nsid, &c->ns);
	if (ret) {
		if (ret == -ENOENT && nsid != NVME_NSID_ALL)
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
	if (c->len > READ_ONCE(caps->max_io_size) ||
	    (nlb << c->ns.blksize_shift) != c->len)
		goto punt;
	/* FUA we do; protection information and the like nvmet does. */
	if (le16_to_cpu(c->sqe.rw.control) & ~(NVME_RW_FUA | NVME_RW_LR))
		goto punt;
	return true;

punt:
	nvo_offload_ns_put(&c->ns);
	c->ns_held = false;
	return false;
}

static void nq_queue_r2t(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (nvo_stream_tx_r2t(&q->stream, &c->tx, c->sqe.common.command_id,
			      c->ttag, &c->rx.xfer))
		list_add_tail(&c->entry, &q->tx_list);
}

static void nq_begin_drain(struct nicsim_queue *q,
			   enum nvo_fallback_reason reason)
{
	u64 delay;

	if (q->draining) {
		/* A fault during a reclaim fails the queue, without delay. */
		if (reason != NVO_FALLBACK_NONE &&
		    q->drain_reason == NVO_FALLBACK_NONE) {
			q->drain_reason = reason;
			q->finish_at = 0;
		}
		return;
	}
	q->draining = true;
	q->drain_reason = reason;
	/* The record's commands not started yet go back first, in order. */
	list_splice_init(&q->start_list, &q->parked);
	delay = reason == NVO_FALLBACK_NONE ?
		nicsim_fault_reclaim_delay_ns(q->ndev) : 0;
	q->finish_at = delay ? ktime_get_ns() + delay : 0;
	pr_debug("%s: qid %u: draining (%d)\n", q->ndev->odev.name, q->qid,
		 reason);
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
static bool nq_retry_staging(struct nicsim_queue *q)
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

/*
 * A parked capsule keeps its in-capsule data outside the staging budget,
 * as the record will, so that a draining queue never waits for staging
 * its own parked capsules hold. It stays in staging if memory is short.
 */
static void nq_park_data(struct nicsim_queue *q, struct nq_cmd *c)
{
	void *buf;

	if (!c->stage)
		return;
	buf = kmalloc(c->inline_len, GFP_NOIO | __GFP_NOWARN);
	if (!buf)
		return;
	sg_copy_to_buffer(c->data_sg, c->data_nents, buf, c->inline_len);
	nq_stage_free(q, c);
	c->park_buf = buf;
}

/* A capsule is in: start it, or keep it for the record when draining. */
static void nq_capsule_ready(struct nicsim_queue *q, struct nq_cmd *c)
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

static void nq_start_record(struct nicsim_queue *q)
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

/* ---- the stream's PDUs ------------------------------------------------- */

/* The host broke the protocol: say why if we can, and give up the stream. */
static int nq_proto_error(struct nvo_stream *s, enum nvo_fes fes, u32 fei)
{
	pr_warn_ratelimited("%s: protocol error (fes %#x, field offset %u)\n",
			    s->name, fes, fei);
	if (!s->tx)
		nvo_stream_term(s, fes, fei);
	return -EPROTO;
}

/*
 * Staging for the in-capsule data of the capsule whose header is in.
 * Without budget the receive side waits here, the data staying in the
 * socket, except where waiting could keep the budget from ever coming
 * back: a draining queue must reach a PDU boundary to finish, and the
 * staging of a queue's solicited writes is freed only by data behind this
 * capsule. Those take it beyond the budget (counted as forced): one
 * capsule at a time, each at most the in-capsule limit.
 */
static int nq_rx_wait(struct nvo_stream *s)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c = container_of(s->rx_cmd, struct nq_cmd, rx);
	bool force = q->draining || q->nr_r2t;

	if (nq_stage_alloc(q, c, c->inline_len, force)) {
		if (!q->rx_stalled)
			nq_stage_count_wait(q->ndev);
		q->rx_stalled = true;
		return -EAGAIN;
	}
	q->rx_stalled = false;
	nvo_sg_cursor_init(&c->rx.cur, c->data_sg);
	nvo_stream_rx_start_data(s, &c->rx, c->inline_len);
	return 1;
}

static int nq_rx_cmd(struct nvo_stream *s, u32 data_len)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c;

	c = nq_get_cmd(q);
	if (!c)
		return nvo_stream_no_slot(s);
	memcpy(&c->sqe, s->rx_pdu.cmd.sqe, sizeof(c->sqe));
	c->inline_len = data_len;
	if (data_len) {
		s->rx_cmd = &c->rx;
		s->rx_state = NVO_SRX_WAIT;
		return nq_rx_wait(s);
	}
	nvo_stream_rx_next(s);
	nq_capsule_ready(q, c);
	return 1;
}

static struct nvo_pdu_rx *nq_h2c_cmd(struct nvo_stream *s, u16 ttag)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c = ttag < q->nr_cmds ? &q->cmds[ttag] : NULL;

	if (!c)
		return ERR_PTR(-ERANGE);
	/* Data only for a command whose R2T went out in full. */
	if (c->state != NQ_CMD_DATA || c->tx.state != NVO_STX_IDLE)
		return NULL;
	return &c->rx;
}

static struct nq_cmd *nq_rx_of(struct nvo_pdu_rx *rx)
{
	return container_of(rx, struct nq_cmd, rx);
}

static void nq_ddgst_error(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nq_rx_of(rx)->data_status = NVME_SC_TRANSIENT_TR_ERR;
}

static void nq_rx_capsule_ready(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nq_capsule_ready(nq_of(s), nq_rx_of(rx));
}

static void nq_rx_r2t(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	nq_queue_r2t(nq_of(s), nq_rx_of(rx));
}

static void nq_h2c_done(struct nvo_stream *s, struct nvo_pdu_rx *rx)
{
	struct nicsim_queue *q = nq_of(s);

	q->nr_r2t--;
	nq_cmd_execute(q, nq_rx_of(rx));
}

static struct nvo_pdu_tx *nq_tx_next(struct nvo_stream *s)
{
	struct nicsim_queue *q = nq_of(s);
	struct nq_cmd *c;

	c = list_first_entry_or_null(&q->tx_list, struct nq_cmd, entry);
	if (!c)
		return NULL;
	list_del_init(&c->entry);
	return &c->tx;
}

static void nq_tx_done(struct nvo_stream *s, struct nvo_pdu_tx *tx)
{
	nq_put_cmd(nq_of(s), container_of(tx, struct nq_cmd, tx));
}

static const struct nvo_stream_ops nq_stream_ops = {
	.wake		= nq_wake,
	.closed		= nq_closed,
	.fatal		= nq_proto_error,
	.rx_cmd		= nq_rx_cmd,
	.rx_wait	= nq_rx_wait,
	.h2c_cmd	= nq_h2c_cmd,
	.ddgst_error	= nq_ddgst_error,
	.capsule_ready	= nq_rx_capsule_ready,
	.r2t		= nq_rx_r2t,
	.h2c_done	= nq_h2c_done,
	.tx_next	= nq_tx_next,
	.tx_done	= nq_tx_done,
};

/* ---- queue life cycle ------------------------------------------------------ */

static void nq_free(struct nicsim_queue *q)
{
	u32 i;

	if (q->cmds)
		for (i = 0; i < q->nr_cmds; i++)
			nq_cmd_release(q, &q->cmds[i]);
	kvfree(q->cmds);
	kfree(q);
}

/* The record that gives the queue back: socket, parameters, parked. */
static struct nvo_handover *nq_build_record(struct nicsim_queue *q)
{
	struct nvo_handover *h;
	struct nq_cmd *c;

	h = nvo_handover_alloc(q->sq_size, GFP_KERNEL);
	if (!h)
		return NULL;
	nvo_stream_record(&q->stream, h, q->qid, q->sqhd_disabled);
	list_for_each_entry(c, &q->parked, entry) {
		/* A park_buf is in the record's form already: it moves. */
		if (nvo_record_park(h, &c->sqe, c->data_sg, c->data_nents,
				    c->inline_len, c->park_buf)) {
			nvo_handover_free(h);
			return NULL;
		}
		c->park_buf = NULL;
	}
	return h;
}

/*
 * Give the queue back to the shim and free it. Engine context.
 *
 * Only with no bio or punt outstanding (nr_backend): a punt counts until
 * the engine has reaped what its punt_done() put on the done list, which
 * it can only do once punt_done() let go of done_lock, its last access to
 * the queue. So the shim never sees nvo_offload_reclaimed() or
 * nvo_offload_failed() while a punt_done() of ours is still at work, and
 * the queue is not freed under one.
 */
static void nq_finish(struct nicsim_queue *q)
{
	struct nvo_offload_queue *oq = q->oq;
	struct nicsim_dev *ndev = q->ndev;
	enum nvo_fallback_reason reason;
	struct nvo_handover *h = NULL;

	WARN_ON_ONCE(q->nr_backend);
	reason = q->broken ? NVO_FALLBACK_STREAM_LOST : q->drain_reason;
	nvo_stream_detach(&q->stream);
	hrtimer_cancel(&q->timer);

	mutex_lock(&ndev->lock);
	list_del_init(&q->dev_entry);
	ndev->nr_queues--;
	oq->dev_priv = NULL;
	mutex_unlock(&ndev->lock);

	/* Nothing can kick it any more: drop a kick that came meanwhile. */
	spin_lock_irq(&q->eng->lock);
	list_del_init(&q->run_entry);
	spin_unlock_irq(&q->eng->lock);

	if (reason != NVO_FALLBACK_STREAM_LOST) {
		h = nq_build_record(q);
		if (!h) {
			pr_err("%s: qid %u: no memory for the hand-over record, dropping the connection\n",
			       ndev->odev.name, q->qid);
			reason = NVO_FALLBACK_STREAM_LOST;
		}
	}
	pr_debug("%s: qid %u: handed back (%d, %u parked)\n", ndev->odev.name,
		 q->qid, reason, h ? h->nr_parked : 0);
	nq_free(q);

	if (reason == NVO_FALLBACK_NONE)
		nvo_offload_reclaimed(oq, h);
	else
		nvo_offload_failed(oq, reason, h);
}

static void nq_lose_stream(struct nicsim_queue *q, int err)
{
	if (q->broken)
		return;
	q->broken = true;
	if (err != -ECONNRESET && err != -EPIPE)
		pr_info_ratelimited("%s: qid %u: stream lost (%d)\n",
				    q->ndev->odev.name, q->qid, err);
}

static void nq_take_requests(struct nicsim_queue *q)
{
	if (test_and_clear_bit(NQ_REQ_CLOSED, &q->requests))
		nq_lose_stream(q, -ECONNRESET);
	if (test_and_clear_bit(NQ_REQ_CRASH, &q->requests))
		nq_begin_drain(q, NVO_FALLBACK_DEV_FAILED);
	if (test_and_clear_bit(NQ_REQ_RECLAIM, &q->requests))
		nq_begin_drain(q, NVO_FALLBACK_NONE);
}

/* Nothing started, nothing being sent, rx at a PDU boundary. */
static bool nq_drained(struct nicsim_queue *q)
{
	return q->nr_used == q->nr_parked && !q->stream.tx &&
	       list_empty(&q->tx_list) && nvo_stream_rx_idle(&q->stream);
}

static void nq_arm_timer(struct nicsim_queue *q, u64 now)
{
	u64 next = U64_MAX;
	struct nq_cmd *c;

	list_for_each_entry(c, &q->delayed, entry)
		next = min(next, c->ready_ns);
	if (!list_empty(&q->retry_list))
		next = min(next, now + NQ_PUNT_RETRY_NS);
	if (q->rx_stalled || !list_empty(&q->stage_wait))
		next = min(next, now + NQ_STAGE_RETRY_NS);
	if (q->draining && q->finish_at > now)
		next = min(next, q->finish_at);
	if (next != U64_MAX)
		hrtimer_start(&q->timer, ns_to_ktime(next), HRTIMER_MODE_ABS);
}

/* One turn of the engine on @q. May free @q. */
static void nq_run(struct nicsim_queue *q)
{
	int budget = NQ_BUDGET;
	bool more;
	u64 now;
	int ret;

	nq_take_requests(q);
	if (q->broken)
		goto broken;
	if (!list_empty(&q->start_list))
		nq_start_record(q);

	do {
		more = nq_reap(q);
		more |= nq_run_delayed(q, ktime_get_ns());
		more |= nq_retry_punts(q);
		more |= nq_retry_staging(q);
		ret = nvo_stream_try_recv(&q->stream, &budget);
		if (ret < 0)
			goto lost;
		more |= ret;
		ret = nvo_stream_try_send(&q->stream, &budget);
		if (ret < 0)
			goto lost;
		more |= ret;
	} while (more && budget > 0);

	now = ktime_get_ns();
	if (budget <= 0) {
		nq_kick(q);	/* more to do: after the other queues */
	} else if (q->draining && nq_drained(q) && now >= q->finish_at) {
		nq_finish(q);
		return;
	}
	nq_arm_timer(q, now);
	return;

lost:
	nq_lose_stream(q, ret);
broken:
	/* Only the I/O in flight matters now; it must end before we go. */
	nq_reap(q);
	if (!q->nr_backend)
		nq_finish(q);
}

static int nicsim_engine_fn(void *data)
{
	struct nicsim_engine *eng = data;
	struct nicsim_queue *q;

	while (!kthread_should_stop()) {
		spin_lock_irq(&eng->lock);
		q = list_first_entry_or_null(&eng->runq, struct nicsim_queue,
					     run_entry);
		if (q)
			list_del_init(&q->run_entry);
		spin_unlock_irq(&eng->lock);

		if (!q) {
			wait_event_interruptible(eng->wq,
						 !list_empty_careful(&eng->runq) ||
						 kthread_should_stop());
			continue;
		}
		nq_run(q);
		cond_resched();
	}
	return 0;
}

/* ---- driver ops ---------------------------------------------------------- */

/*
 * The in-capsule data a queue accepts: the advertised limit, or up to what
 * the device executes itself if that is more (a port of the shim may
 * allow more in-capsule data than we advertise).
 */
static u32 nq_inline_max(const struct nvo_offload_caps *caps)
{
	u32 size = min(READ_ONCE(caps->max_io_size), NICSIM_MAX_XFER);

	size = max3(size, min(caps->max_inline, NICSIM_MAX_XFER),
		    (u32)PAGE_SIZE);
	return round_up(size, PAGE_SIZE);
}

static struct nicsim_queue *nq_alloc(struct nicsim_dev *ndev,
				     struct nvo_offload_queue *oq,
				     struct nvo_handover *h, u32 inline_max)
{
	struct nicsim_queue *q;
	unsigned int e;
	u32 i;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return NULL;
	q->ndev = ndev;
	q->oq = oq;
	nvo_stream_init(&q->stream, h->sock, &nq_stream_ops, q);
	snprintf(q->stream.name, sizeof(q->stream.name), "%s: qid %u",
		 ndev->odev.name, h->qid);
	q->stream.params = h->params;
	q->stream.inline_limit = h->inline_limit;
	q->stream.ic_done = true;
	/*
	 * Read data goes out copied, not spliced: the staging pages go back
	 * to the budget, and to other commands, as soon as a command
	 * completes, which may be before TCP is done with them.
	 */
	q->stream.tx_copy = true;
	q->qid = h->qid;
	q->sq_size = h->sq_size;
	q->sqhd_disabled = h->sqhd_disabled;
	q->inline_max = inline_max;
	e = (unsigned int)atomic_inc_return(&ndev->next_engine) %
	    ndev->nr_engines;
	q->eng = &ndev->engines[e];
	INIT_LIST_HEAD(&q->free_cmds);
	INIT_LIST_HEAD(&q->start_list);
	INIT_LIST_HEAD(&q->parked);
	INIT_LIST_HEAD(&q->stage_wait);
	INIT_LIST_HEAD(&q->tx_list);
	INIT_LIST_HEAD(&q->retry_list);
	INIT_LIST_HEAD(&q->delayed);
	INIT_LIST_HEAD(&q->done_list);
	INIT_LIST_HEAD(&q->dev_entry);
	INIT_LIST_HEAD(&q->run_entry);
	spin_lock_init(&q->done_lock);
	hrtimer_init(&q->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	q->timer.function = nq_timer_fn;

	/*
	 * Only the slots: staging is taken per command, from the device's
	 * budget, so the depth a host asks for costs it no data pages.
	 */
	q->nr_cmds = h->sq_size;
	q->cmds = kvcalloc(q->nr_cmds, sizeof(*q->cmds), GFP_KERNEL);
	if (!q->cmds) {
		kfree(q);
		return NULL;
	}
	for (i = 0; i < q->nr_cmds; i++) {
		struct nq_cmd *c = &q->cmds[i];

		c->q = q;
		c->ttag = i;
		c->rx.sqe = &c->sqe;
		c->tx.cqe = &c->cqe;
		INIT_LIST_HEAD(&c->done_entry);
		list_add_tail(&c->entry, &q->free_cmds);
	}
	return q;
}

/*
 * The record's parked commands: the engine starts them before anything.
 * Their in-capsule data moves out of the record as it is; it goes into
 * staging when the command starts.
 */
static void nq_load_record(struct nicsim_queue *q, struct nvo_handover *h)
{
	u32 i;

	for (i = 0; i < h->nr_parked; i++) {
		struct nvo_parked_cmd *p = &h->parked[i];
		struct nq_cmd *c = nq_get_cmd(q);

		c->sqe = p->sqe;
		c->inline_len = p->inline_len;
		c->park_buf = p->inline_data;
		p->inline_data = NULL;
		c->state = NQ_CMD_PARKED;
		list_add_tail(&c->entry, &q->start_list);
		q->nr_parked++;
	}
}

/* The offload failed: the shim keeps the record, give its data back. */
static void nq_unload_record(struct nicsim_queue *q, struct nvo_handover *h)
{
	struct nq_cmd *c;
	u32 i = 0;

	list_for_each_entry(c, &q->start_list, entry) {
		h->parked[i++].inline_data = c->park_buf;
		c->park_buf = NULL;
	}
}

static int nicsim_queue_offload(struct nvo_offload_queue *oq,
				struct nvo_handover *h)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	const struct nvo_offload_caps *caps = &ndev->odev.caps;
	u32 inline_max = nq_inline_max(caps);
	struct nicsim_queue *q;
	u32 i;
	int ret;

	if (nicsim_fault_refuse_offload(ndev)) {
		pr_info("%s: qid %u: offload refused (refuse_next_offload)\n",
			ndev->odev.name, h->qid);
		return -EBUSY;
	}
	if ((h->params.hdgst && !caps->hdgst) ||
	    (h->params.ddgst && !caps->ddgst))
		return -EOPNOTSUPP;
	if (!h->sq_size || h->sq_size < caps->min_queue_depth ||
	    h->sq_size > caps->max_queue_depth)
		return -EOPNOTSUPP;
	if (h->nr_parked > h->sq_size || !h->sock)
		return -EINVAL;
	/* What the host may put in a capsule must fit our staging. */
	if (max_t(u32, h->inline_limit, PAGE_SIZE) > inline_max)
		return -EOPNOTSUPP;
	for (i = 0; i < h->nr_parked; i++)
		if (h->parked[i].inline_len > inline_max)
			return -EOPNOTSUPP;

	q = nq_alloc(ndev, oq, h, inline_max);
	if (!q)
		return -ENOMEM;
	nq_load_record(q, h);
	nicsim_fault_offload_delay(ndev);

	/*
	 * Under the device lock until the queue is complete: neither a
	 * reclaim nor a crash may find it before it owns the socket, and a
	 * socket callback that runs it early waits here to hand it back.
	 */
	mutex_lock(&ndev->lock);
	if (ndev->nr_queues >= READ_ONCE(caps->max_queues)) {
		ret = -EBUSY;
		goto err_unlock;
	}
	ret = nvo_stream_attach(&q->stream);
	if (ret)
		goto err_unlock;
	ndev->nr_queues++;
	list_add_tail(&q->dev_entry, &ndev->queues);
	oq->dev_priv = q;
	oq->engine = q->eng->idx;
	pr_debug("%s: qid %u: offloaded to engine %u (depth %u, %u parked)\n",
		 ndev->odev.name, q->qid, q->eng->idx, q->sq_size, q->nr_parked);
	/*
	 * Starts the parked commands and reads what is already queued. Kick
	 * before unlocking: from nvo_stream_attach() on, a socket callback can
	 * run the engine, which may finish (a FIN) and free the queue, but
	 * only after nq_finish() took this lock.
	 */
	nq_kick(q);
	mutex_unlock(&ndev->lock);

	/* The parked commands are copied: the record is done with. */
	nvo_handover_free(h);
	return 0;

err_unlock:
	mutex_unlock(&ndev->lock);
	nq_unload_record(q, h);
	nq_free(q);
	return ret;
}

static void nicsim_queue_reclaim(struct nvo_offload_queue *oq)
{
	struct nicsim_dev *ndev = oq->dev->priv;
	struct nicsim_queue *q;

	/* dev_priv goes NULL, under the lock, once the queue is handed back. */
	mutex_lock(&ndev->lock);
	q = oq->dev_priv;
	if (q) {
		set_bit(NQ_REQ_RECLAIM, &q->requests);
		nq_kick(q);
	}
	mutex_unlock(&ndev->lock);
}

static void nicsim_punt_done(struct nvo_offload_queue *oq, void *cookie,
			     const struct nvme_completion *cqe)
{
	struct nq_cmd *c = cookie;

	/*
	 * Nothing after nq_done(): once it drops done_lock the engine may
	 * reap this punt, hand the queue back and free it (see nq_finish()).
	 */
	c->cqe = *cqe;
	nq_done(c);
}

const struct nvo_offload_ops nicsim_offload_ops = {
	.queue_offload	= nicsim_queue_offload,
	.queue_reclaim	= nicsim_queue_reclaim,
	.punt_done	= nicsim_punt_done,
};

void nicsim_engine_crash(struct nicsim_dev *ndev)
{
	struct nicsim_queue *q;

	mutex_lock(&ndev->lock);
	list_for_each_entry(q, &ndev->queues, dev_entry) {
		set_bit(NQ_REQ_CRASH, &q->requests);
		nq_kick(q);
	}
	mutex_unlock(&ndev->lock);
}

/* ---- engines ------------------------------------------------------------- */

int nicsim_engines_start(struct nicsim_dev *ndev)
{
	struct nicsim_engine *eng;
	unsigned int i;
	int ret;

	ndev->engines = kcalloc(ndev->nr_engines, sizeof(*ndev->engines),
				GFP_KERNEL);
	if (!ndev->engines)
		return -ENOMEM;
	for (i = 0; i < ndev->nr_engines; i++) {
		eng = &ndev->engines[i];
		eng->ndev = ndev;
		eng->idx = i;
		spin_lock_init(&eng->lock);
		INIT_LIST_HEAD(&eng->runq);
		init_waitqueue_head(&eng->wq);
		eng->task = kthread_create(nicsim_engine_fn, eng, "nicsim%u/e%u",
					   ndev->id, i);
		if (IS_ERR(eng->task)) {
			ret = PTR_ERR(eng->task);
			eng->task = NULL;
			nicsim_engines_stop(ndev);
			return ret;
		}
		/* The engine's "NIC cores"; kthread_bind_mask() is not exported. */
		ret = set_cpus_allowed_ptr(eng->task, ndev->cpus);
		if (ret)
			dev_warn(&ndev->dev, "engine %u: cannot pin to CPUs %*pbl: %d\n",
				 i, cpumask_pr_args(ndev->cpus), ret);
		wake_up_process(eng->task);
	}
	return 0;
}

void nicsim_engines_stop(struct nicsim_dev *ndev)
{
	unsigned int i;

	if (!ndev->engines)
		return;
	/* The shim reclaimed every queue before we get here. */
	WARN_ON_ONCE(!list_empty(&ndev->queues));
	for (i = 0; i < ndev->nr_engines; i++)
		if (ndev->engines[i].task)
			kthread_stop(ndev->engines[i].task);
	kfree(ndev->engines);
	ndev->engines = NULL;
}

/* ---- debugfs ------------------------------------------------------------- */

static const char *nq_state_name(struct nicsim_queue *q)
{
	if (READ_ONCE(q->broken))
		return "lost";
	if (!READ_ONCE(q->draining))
		return "running";
	return q->drain_reason == NVO_FALLBACK_NONE ? "reclaiming" : "failing";
}

int nicsim_queues_show(struct seq_file *m, void *unused)
{
	struct nicsim_dev *ndev = m->private;
	struct nicsim_queue *q;

	seq_puts(m, "queue qid cntlid depth engine state      active parked read_cmds write_cmds inline_writes flush_cmds wzeroes_cmds punted errors backend_errors unknown_ns\n");
	/* The engines update these without a lock: a snapshot, maybe stale. */
	mutex_lock(&ndev->lock);
	list_for_each_entry(q, &ndev->queues, dev_entry) {
		const struct nvo_offload_stats *st = &q->oq->stats;
		u32 used = READ_ONCE(q->nr_used), parked = READ_ONCE(q->nr_parked);

		seq_printf(m, "%5u %3u %6u %5u %6u %-10s %6u %6u %9llu %10llu %13llu %10llu %12llu %6llu %6llu %14llu %10llu\n",
			   q->oq->id, q->qid, q->oq->cntlid, q->sq_size,
			   q->eng->idx, nq_state_name(q),
			   used > parked ? used - parked : 0, parked,
			   st->read_cmds, st->write_cmds, st->inline_write_cmds,
			   st->flush_cmds, st->write_zeroes_cmds,
			   st->punted_cmds, st->errors, st->backend_errors,
			   st->unknown_ns_cmds);
	}
	mutex_unlock(&ndev->lock);
	return 0;
}
