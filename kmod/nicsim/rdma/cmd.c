// SPDX-License-Identifier: GPL-2.0
/*
 * One command on a nicsim_rdma queue, in the queue's thread:
 *
 *   receive -> SGL (in the capsule, or keyed: in host memory) -> own or
 *   punt -> staging for keyed data -> RDMA READ of a write's data -> bio
 *   on the namespace's block device, or nvo_offload_punt() -> completion
 *   (done list) -> RDMA WRITE of read data chained before the response
 *   SEND -> the SEND completes, the slot is free.
 *
 * The device executes reads and writes itself; everything else (Fabrics
 * commands, the Connect first, other opcodes, namespaces it cannot
 * resolve, transfers beyond its max_io_size) goes to nvmet through the
 * shim, with its data. SGL errors are answered as the software transport
 * answers them. A block-device error runs the command again in software,
 * which gives nvmet's own status for it.
 *
 * On a queue taken live, the capsules the shim parked start first, their
 * in-capsule data in a copy; while such a queue is given back, capsules
 * are parked instead of started, their receives reposted at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/nvmet_offload_stream.h>

#include "../../compat.h"
#include "nsr.h"

static void nsr_recv_done(struct ib_cq *cq, struct ib_wc *wc);
static void nsr_ring_recv_done(struct ib_cq *cq, struct ib_wc *wc);
static void nsr_read_done(struct ib_cq *cq, struct ib_wc *wc);
static void nsr_send_done(struct ib_cq *cq, struct ib_wc *wc);

/* The completion handlers the thread calls through each WR's ib_cqe. */
void nsr_cmds_setup(struct nsr_queue *q)
{
	u32 i;

	for (i = 0; i < q->sq_size; i++)
		q->rxs[i].cqe.done = nsr_recv_done;
	/* A lent ring's completions name the shim's entries: ours from now. */
	for (i = 0; q->ring && i < q->sq_size; i++) {
		q->ring->recvs[i].owner_priv = &q->rxs[i];
		q->ring->recvs[i].cqe.done = nsr_ring_recv_done;
	}
	for (i = 0; i < q->nr_cmds; i++) {
		q->cmds[i].read_cqe.done = nsr_read_done;
		q->cmds[i].send_cqe.done = nsr_send_done;
	}
}

/*
 * A WR failed. Flushed: the QP is in error, because the connection ended
 * (the shim's reclaim follows) or because the queue stops; nothing more
 * goes out. Any other status is the queue failing on its own (a bad key:
 * remote access error), which hands it back failed.
 */
static void nsr_wc_error(struct nsr_queue *q, struct ib_wc *wc,
			 const char *what)
{
	if (wc->status == IB_WC_WR_FLUSH_ERR) {
		/*
		 * A lent QP gone to error under us (the shim ended the
		 * connection): the queue cannot be given back live.
		 */
		if (q->lent && !q->dead) {
			nsr_stop(q, NVO_FALLBACK_STREAM_LOST, false);
			return;
		}
		nsr_qp_error(q);
		return;
	}
	pr_warn_ratelimited("%s: qid %u: %s failed: %s (%d)\n",
			    q->ndev->odev.name, q->qid, what,
			    ib_wc_status_msg(wc->status), wc->status);
	nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
}

/* A bio or a punt completed (any context): hand it to the thread. */
void nsr_cmd_done(struct nsr_cmd *c)
{
	struct nsr_queue *q = c->q;
	unsigned long flags;

	/*
	 * Wake under done_lock: the thread frees the queue only after it
	 * took this completion off the list, so after we let go of it.
	 */
	spin_lock_irqsave(&q->done_lock, flags);
	list_add_tail(&c->done_entry, &q->done_list);
	wake_up(&q->wq);
	spin_unlock_irqrestore(&q->done_lock, flags);
}

static bool nsr_flags_ok(const struct nvme_command *sqe)
{
	u8 flags = sqe->common.flags;

	return !(flags & (NVME_CMD_FUSE_FIRST | NVME_CMD_FUSE_SECOND)) &&
	       (flags & NVME_CMD_SGL_ALL) == NVME_CMD_SGL_METABUF;
}

/*
 * Data in the capsule, behind the SQE: host to controller only. In the
 * receive buffer (@rx), or in a parked capsule's copy (@rx NULL), which
 * holds only the bytes that came.
 */
static u16 nsr_sgl_inline(struct nsr_queue *q, struct nsr_cmd *c,
			  struct nsr_rx *rx)
{
	struct nvme_sgl_desc *sgl = &c->sqe.common.dptr.sgl;
	u64 off = le64_to_cpu(sgl->addr);
	u32 len = le32_to_cpu(sgl->length);
	void *buf;

	if (!c->write)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	if (off > q->inline_size || len > q->inline_size - off)
		return NVME_SC_SGL_INVALID_OFFSET | NVME_STATUS_DNR;
	if (!len)
		return 0;
	if (rx) {
		buf = page_address(rx->inline_page) + off;
	} else {
		if (off > c->parked_len || len > c->parked_len - off)
			return NVME_SC_SGL_INVALID_OFFSET | NVME_STATUS_DNR;
		buf = c->parked_data + off;
	}
	c->in_capsule = true;
	c->len = len;
	sg_init_table(&c->inline_sg, 1);
	sg_set_buf(&c->inline_sg, buf, len);
	c->data_sg = &c->inline_sg;
	c->data_nents = 1;
	return 0;
}

/*
 * Where the command's data is, as the software transport reads it. A
 * command nvmet would refuse for its flags is punted without data: nvmet
 * answers it.
 */
static u16 nsr_parse_sgl(struct nsr_queue *q, struct nsr_cmd *c,
			 struct nsr_rx *rx)
{
	struct nvme_keyed_sgl_desc *ksgl = &c->sqe.common.dptr.ksgl;
	u8 type = c->sqe.common.dptr.sgl.type;

	c->write = nvme_is_write(&c->sqe);
	c->connect = nvme_is_fabrics(&c->sqe) &&
		     c->sqe.fabrics.fctype == nvme_fabrics_type_connect;
	if (!nsr_flags_ok(&c->sqe))
		return 0;

	switch (type >> 4) {
	case NVME_SGL_FMT_DATA_DESC:
		if ((type & 0xf) == NVME_SGL_FMT_OFFSET)
			return nsr_sgl_inline(q, c, rx);
		break;
	case NVME_KEY_SGL_FMT_DATA_DESC:
		if ((type & 0xf) != NVME_SGL_FMT_ADDRESS &&
		    (type & 0xf) != NVME_SGL_FMT_INVALIDATE)
			break;
		c->len = get_unaligned_le24(ksgl->length);
		if (c->len > NSR_MAX_XFER) {
			c->len = 0;
			return NVME_SC_SGL_INVALID_DATA | NVME_STATUS_DNR;
		}
		/*
		 * With the invalidate subtype and no SEND with invalidate
		 * (caps.rdma.send_with_inv), the host invalidates the key.
		 */
		c->raddr = le64_to_cpu(ksgl->addr);
		c->rkey = get_unaligned_le32(ksgl->key);
		return 0;
	default:
		break;
	}
	return NVME_SC_SGL_INVALID_TYPE | NVME_STATUS_DNR;
}

/*
 * Does the device execute @c itself? A read or write it is allowed
 * (io_opcodes), on a namespace it resolves, within the namespace, of at
 * most max_io_size bytes that match the block count, with no control bits
 * but FUA and limited retry. Takes the namespace reference if so.
 */
static bool nsr_want_own(struct nsr_queue *q, struct nsr_cmd *c)
{
	struct nvo_caps *caps = &q->ndev->odev.caps;
	u32 nsid = le32_to_cpu(c->sqe.rw.nsid);
	u8 op = c->sqe.common.opcode;
	u64 slba, nlb;
	int ret;

	if ((op != nvme_cmd_read && op != nvme_cmd_write) ||
	    !test_bit(op, caps->io_opcodes) || !nsr_flags_ok(&c->sqe) ||
	    !c->len || c->len > READ_ONCE(caps->tr[NVO_TR_RDMA].max_io_size))
		return false;
	if (le16_to_cpu(c->sqe.rw.control) & ~(NVME_RW_FUA | NVME_RW_LR))
		return false;

	ret = nvo_offload_ns_get(q->oq, nsid, &c->ns);
	if (ret) {
		if (ret == -ENOENT && nsid != NVME_NSID_ALL)
			q->oq->stats.unknown_ns_cmds++;
		return false;
	}
	c->ns_held = true;
	slba = le64_to_cpu(c->sqe.rw.slba);
	nlb = le16_to_cpu(c->sqe.rw.length) + 1ULL;
	if (slba >= c->ns.nr_blocks || nlb > c->ns.nr_blocks - slba ||
	    (nlb << c->ns.blksize_shift) != c->len) {
		nvo_offload_ns_put(&c->ns);
		c->ns_held = false;
		return false;
	}
	return true;
}

/* Staging for a keyed transfer, from the device's budget. */
static int nsr_stage_alloc(struct nsr_queue *q, struct nsr_cmd *c)
{
	u32 pages = DIV_ROUND_UP(c->len, PAGE_SIZE);

	if (!nicsim_stage_get(q->ndev, pages))
		return -EAGAIN;
	c->stage = sgl_alloc(c->len, GFP_NOIO | __GFP_NOWARN,
			     &c->stage_nents);
	if (!c->stage) {
		nicsim_stage_put(q->ndev, pages);
		return -EAGAIN;
	}
	c->stage_pages = pages;
	c->data_sg = c->stage;
	c->data_nents = c->stage_nents;
	return 0;
}

static void nsr_rw_put(struct nsr_queue *q, struct nsr_cmd *c)
{
	rdma_rw_ctx_destroy(&c->rw, q->qp, q->port_num, c->data_sg,
			    c->data_nents, c->rw_dir);
	c->rw_used = false;
	c->rw_wrs = 0;
}

/* Send queue WRs a command's next post takes: its RDMA context's, a SEND. */
static int nsr_wrs_needed(struct nsr_cmd *c)
{
	return c->state == NSR_C_READ_WAIT ? c->rw_wrs :
	       c->rw_wrs + 1;
}

static void nsr_count_own(struct nvo_offload_stats *st, struct nsr_cmd *c)
{
	nicsim_count_own(st, &c->sqe, c->in_capsule, false);
}

/*
 * Post the response, behind the read data if there is some: the SEND
 * completes after the RDMA WRITEs, so the host finds its data in place.
 * The capsule's receive, if the command held it, takes the next one
 * first: the host may send another command as soon as it has this answer.
 */
static void nsr_post_send(struct nsr_queue *q, struct nsr_cmd *c)
{
	struct nvme_completion *cqe = &c->cqe;
	struct ib_send_wr *first = &c->send_wr;
	int need = nsr_wrs_needed(c);
	int ret;

	cqe->command_id = c->sqe.common.command_id;
	cqe->sq_id = cpu_to_le16(q->qid);
	/*
	 * As nvmet: the head moves by one per completion, unless the Connect
	 * disabled SQ flow control; then it is 0, but in the Connect's own
	 * completion, which has nvmet's (0xffff).
	 */
	if (!q->sqhd_disabled) {
		q->sqhd = (q->sqhd + 1) % q->sq_size;
		cqe->sq_head = cpu_to_le16(q->sqhd);
	} else if (!c->connect) {
		cqe->sq_head = 0;
	}
	ib_dma_sync_single_for_cpu(q->ibdev, c->rsp_dma, sizeof(*c->rsp),
				   DMA_TO_DEVICE);
	*c->rsp = *cqe;
	ib_dma_sync_single_for_device(q->ibdev, c->rsp_dma, sizeof(*c->rsp),
				      DMA_TO_DEVICE);
	if (c->rw_used)
		first = rdma_rw_ctx_wrs(&c->rw, q->qp, q->port_num, NULL,
					&c->send_wr);

	if (c->rx) {
		ret = nsr_post_recv(q, c->rx);
		c->rx = NULL;
		if (ret) {
			nsr_put_cmd(q, c);
			nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
			return;
		}
	}
	ret = ib_post_send(q->qp, first, NULL);
	if (ret) {
		pr_warn_ratelimited("%s: qid %u: cannot post a response: %d\n",
				    q->ndev->odev.name, q->qid, ret);
		/* Some of the chain may be out: released at teardown. */
		c->state = NSR_C_DEAD;
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
		return;
	}
	c->state = NSR_C_SEND;
	q->wr_avail -= need;
	q->nr_sends++;
	if (le16_to_cpu(cqe->status) >> 1)
		q->oq->stats.errors++;
	/* Every completion sent: the shim's view of the queue's traffic. */
	nvo_offload_account_lat(&q->oq->stats, ktime_get_ns() - c->start_ns);
}

/* Answer @c with c->cqe, once the send queue has room. */
static void nsr_respond(struct nsr_queue *q, struct nsr_cmd *c)
{
	bool ok = !(le16_to_cpu(c->cqe.status) >> 1);
	int ret;

	if (q->dead) {
		nsr_put_cmd(q, c);	/* nothing can reach the host now */
		return;
	}
	if (ok && c->len && !c->write && c->data_sg) {
		/* Mapped only now that the data is there. */
		c->rw_dir = DMA_TO_DEVICE;
		ret = rdma_rw_ctx_init(&c->rw, q->qp, q->port_num, c->data_sg,
				       c->data_nents, 0, c->raddr, c->rkey,
				       c->rw_dir);
		if (ret < 0) {
			pr_warn_ratelimited("%s: qid %u: rdma_rw_ctx_init: %d\n",
					    q->ndev->odev.name, q->qid, ret);
			c->cqe.status = cpu_to_le16(NVME_SC_INTERNAL << 1);
		} else {
			c->rw_used = true;
			c->rw_wrs = ret;
		}
		if (c->rw_used && c->rw_wrs + 1 > q->wr_total) {
			/* Sized so that it cannot happen; never wait for it. */
			nsr_rw_put(q, c);
			c->cqe.status = cpu_to_le16(NVME_SC_INTERNAL << 1);
		}
	}
	c->state = NSR_C_SEND_WAIT;
	if (!list_empty(&q->wr_wait) || q->wr_avail < nsr_wrs_needed(c)) {
		list_add_tail(&c->entry, &q->wr_wait);
		return;
	}
	nsr_post_send(q, c);
}

static void nsr_complete(struct nsr_queue *q, struct nsr_cmd *c, u16 status)
{
	memset(&c->cqe, 0, sizeof(c->cqe));
	c->cqe.status = cpu_to_le16(status << 1);
	nsr_respond(q, c);
}

static void nsr_punt(struct nsr_queue *q, struct nsr_cmd *c)
{
	int ret;

	c->state = NSR_C_BACKEND;
	q->nr_backend++;
	/* punt_done() may run before this returns. */
	ret = nvo_offload_punt(q->oq, &c->sqe, c->data_sg, c->data_nents,
			       c->len, c);
	if (!ret) {
		atomic64_inc(&q->ndev->rdma.punts);
		return;
	}
	q->nr_backend--;
	if (ret == -EBUSY) {
		c->state = NSR_C_PUNT_RETRY;
		list_add_tail(&c->entry, &q->retry_list);
		return;
	}
	pr_warn_ratelimited("%s: qid %u: punt failed: %d\n",
			    q->ndev->odev.name, q->qid, ret);
	nsr_complete(q, c, NVME_SC_INTERNAL);
}

static void nsr_bio_end_io(struct bio *bio)
{
	struct nsr_cmd *c = bio->bi_private;

	c->bio_status = bio->bi_status;
	bio_put(bio);
	nsr_cmd_done(c);
}

/* One bio on the namespace's block device, over the command's data. */
static void nsr_submit(struct nsr_queue *q, struct nsr_cmd *c)
{
	u64 slba = le64_to_cpu(c->sqe.rw.slba);
	struct scatterlist *sg;
	struct bio *bio;
	blk_opf_t opf;
	unsigned int i;

	if (c->sqe.common.opcode == nvme_cmd_read) {
		opf = REQ_OP_READ;
	} else {
		opf = REQ_OP_WRITE | REQ_SYNC | REQ_IDLE;
		if (le16_to_cpu(c->sqe.rw.control) & NVME_RW_FUA)
			opf |= REQ_FUA;
	}
	c->state = NSR_C_BACKEND;
	q->nr_backend++;
	/* An injected back-end error ends as a real one: nvmet runs it. */
	if (nicsim_fault_backend_error(q->ndev, slba,
				       le16_to_cpu(c->sqe.rw.length) + 1)) {
		c->bio_status = BLK_STS_IOERR;
		nsr_cmd_done(c);
		return;
	}
	bio = bio_alloc(c->ns.bdev, c->data_nents, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = slba << (c->ns.blksize_shift - SECTOR_SHIFT);
	bio->bi_private = c;
	bio->bi_end_io = nsr_bio_end_io;
	for_each_sg(c->data_sg, sg, c->data_nents, i) {
		/* A vector per entry was allocated: it fits, but be sure. */
		if (WARN_ON_ONCE(bio_add_page(bio, sg_page(sg), sg->length,
					      sg->offset) != sg->length)) {
			bio_put(bio);
			c->bio_status = BLK_STS_RESOURCE;
			nsr_cmd_done(c);
			return;
		}
	}
	submit_bio(bio);
}

/* The command's data is here (or it has none): run it. */
static void nsr_exec(struct nsr_queue *q, struct nsr_cmd *c)
{
	if (c->own)
		nsr_submit(q, c);
	else
		nsr_punt(q, c);
}

static void nsr_post_read(struct nsr_queue *q, struct nsr_cmd *c)
{
	int ret;

	ret = rdma_rw_ctx_post(&c->rw, q->qp, q->port_num, &c->read_cqe,
			       NULL);
	if (ret) {
		pr_warn_ratelimited("%s: qid %u: cannot post an RDMA READ: %d\n",
				    q->ndev->odev.name, q->qid, ret);
		c->state = NSR_C_DEAD;
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
		return;
	}
	c->state = NSR_C_READ;
	q->wr_avail -= c->rw_wrs;
	q->nr_reads++;
}

/* The command has staging, or needs none: fetch a write's data, or run. */
static void nsr_go(struct nsr_queue *q, struct nsr_cmd *c)
{
	int ret;

	if (!c->write || !c->len || c->in_capsule) {
		nsr_exec(q, c);
		return;
	}
	c->rw_dir = DMA_FROM_DEVICE;
	ret = rdma_rw_ctx_init(&c->rw, q->qp, q->port_num, c->data_sg,
			       c->data_nents, 0, c->raddr, c->rkey, c->rw_dir);
	if (ret < 0) {
		pr_warn_ratelimited("%s: qid %u: rdma_rw_ctx_init: %d\n",
				    q->ndev->odev.name, q->qid, ret);
		nsr_complete(q, c, NVME_SC_INTERNAL);
		return;
	}
	c->rw_used = true;
	c->rw_wrs = ret;
	if (c->rw_wrs > q->wr_total) {
		/* Sized so that it cannot happen; never wait for it. */
		nsr_rw_put(q, c);
		nsr_complete(q, c, NVME_SC_INTERNAL);
		return;
	}
	c->state = NSR_C_READ_WAIT;
	if (!list_empty(&q->wr_wait) || q->wr_avail < c->rw_wrs) {
		list_add_tail(&c->entry, &q->wr_wait);
		return;
	}
	nsr_post_read(q, c);
}

/*
 * A capsule is in. Its SQE is copied: the receive goes back to the RQ at
 * once, unless the command's data is in it, in which case the command
 * keeps it until answered (bio and punt use the bytes where they are).
 * A parked capsule (@rx NULL) has no receive: its data is the slot's.
 */
static void nsr_capsule(struct nsr_queue *q, struct nsr_cmd *c,
			struct nsr_rx *rx)
{
	u16 status;

	c->start_ns = ktime_get_ns();
	status = nsr_parse_sgl(q, c, rx);
	if (c->in_capsule)
		c->rx = rx;
	else if (rx && nsr_post_recv(q, rx))
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
	if (nicsim_fault_fail_queue(q->ndev)) {
		/* The host retries the dropped command after its reconnect. */
		pr_info("%s: qid %u: injected queue failure\n",
			q->ndev->odev.name, q->qid);
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
	}
	if (q->dead) {
		nsr_put_cmd(q, c);
		return;
	}
	if (status) {
		nsr_complete(q, c, status);
		return;
	}
	c->own = nsr_want_own(q, c);

	if (c->len && !c->in_capsule &&
	    (!list_empty(&q->stage_wait) || nsr_stage_alloc(q, c))) {
		/* In order: a large command is not overtaken forever. */
		c->state = NSR_C_STAGE_WAIT;
		list_add_tail(&c->entry, &q->stage_wait);
		nicsim_stage_waited(q->ndev);
		return;
	}
	nsr_go(q, c);
}

/*
 * Giving a lent queue back: the capsule is not started but parked in the
 * record, with a copy of its in-capsule bytes, and its buffer goes back to
 * the RQ at once. More than the queue size is a host that broke it.
 */
static void nsr_park(struct nsr_queue *q, struct nsr_rx *rx, u32 byte_len)
{
	struct nvo_handover *h = q->parked_out;
	u32 len = min_t(u32, byte_len - sizeof(struct nvme_command),
			q->inline_size);
	void *buf = NULL;

	if (h->nr_parked >= q->sq_size) {
		pr_warn_ratelimited("%s: qid %u: more capsules than the queue size\n",
				    q->ndev->odev.name, q->qid);
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
		return;
	}
	if (len) {
		buf = kmemdup(page_address(rx->inline_page), len, GFP_KERNEL);
		if (!buf) {
			nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
			return;
		}
	}
	/* With @buf given it cannot fail: the record takes it. */
	nvo_record_park(h, rx->sqe, NULL, 0, len, buf);
	if (nsr_post_recv(q, rx))
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
}

static void nsr_rx_done(struct nsr_rx *rx, struct ib_wc *wc)
{
	struct nsr_queue *q = rx->q;
	struct nsr_cmd *c;

	q->nr_recvs--;
	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		nsr_wc_error(q, wc, "RECV");
		return;
	}
	/* Stopping: the capsule is dropped, its buffer not reposted. */
	if (q->dead)
		return;
	if (unlikely(wc->byte_len < sizeof(struct nvme_command))) {
		pr_warn_ratelimited("%s: qid %u: capsule of %u bytes is too short\n",
				    q->ndev->odev.name, q->qid, wc->byte_len);
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
		return;
	}
	ib_dma_sync_single_for_cpu(q->ibdev, rx->sqe_dma, sizeof(*rx->sqe),
				   DMA_FROM_DEVICE);
	if (rx->inline_page)
		ib_dma_sync_single_for_cpu(q->ibdev, rx->inline_dma,
					   q->inline_size, DMA_FROM_DEVICE);
	if (q->parked_out) {
		nsr_park(q, rx, wc->byte_len);
		return;
	}
	c = nsr_get_cmd(q);
	if (unlikely(!c)) {
		/* More commands than the queue size the host connected with. */
		pr_warn_ratelimited("%s: qid %u: no free command slot\n",
				    q->ndev->odev.name, q->qid);
		nsr_stop(q, NVO_FALLBACK_QUEUE_FAILED, false);
		return;
	}
	c->sqe = *rx->sqe;
	nsr_capsule(q, c, rx);
}

static void nsr_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	nsr_rx_done(container_of(wc->wr_cqe, struct nsr_rx, cqe), wc);
}

/* A lent ring's receive: the shim's entry says which buffer is ours. */
static void nsr_ring_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct nvo_rdma_recv *r = container_of(wc->wr_cqe,
					       struct nvo_rdma_recv, cqe);

	nsr_rx_done(r->owner_priv, wc);
}

/*
 * A queue taken live: the capsules the shim polled but did not start, in
 * their order and before anything on the CQ. Each slot takes its capsule's
 * in-capsule data from the record, which is then freed.
 */
void nsr_start_parked(struct nsr_queue *q)
{
	struct nvo_handover *h = q->parked_in;
	struct nsr_cmd *c;
	u32 i;

	if (!h)
		return;
	q->parked_in = NULL;
	for (i = 0; i < h->nr_parked && !q->dead; i++) {
		struct nvo_parked_cmd *p = &h->parked[i];

		/* nr_parked <= sq_size < nr_cmds (nsr_lent_check()). */
		c = nsr_get_cmd(q);
		if (WARN_ON_ONCE(!c))
			break;
		c->sqe = p->sqe;
		c->parked_data = p->inline_data;
		c->parked_len = p->inline_data ? p->inline_len : 0;
		p->inline_data = NULL;
		nsr_capsule(q, c, NULL);
	}
	nvo_handover_free(h);
}

static void nsr_read_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct nsr_cmd *c = container_of(wc->wr_cqe, struct nsr_cmd, read_cqe);
	struct nsr_queue *q = c->q;

	q->nr_reads--;
	q->wr_avail += c->rw_wrs;
	/* Unmapped before the data is used: the CPU and the bio see it. */
	nsr_rw_put(q, c);
	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		nsr_put_cmd(q, c);
		nsr_wc_error(q, wc, "RDMA READ");
		return;
	}
	if (q->dead) {
		nsr_put_cmd(q, c);
		return;
	}
	nsr_exec(q, c);
}

static void nsr_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct nsr_cmd *c = container_of(wc->wr_cqe, struct nsr_cmd, send_cqe);
	struct nsr_queue *q = c->q;

	q->nr_sends--;
	q->wr_avail += c->rw_wrs + 1;
	nsr_put_cmd(q, c);
	if (unlikely(wc->status != IB_WC_SUCCESS))
		nsr_wc_error(q, wc, "response SEND");
}

/* One of our bios ended. */
static void nsr_own_done(struct nsr_queue *q, struct nsr_cmd *c)
{
	u64 lat = nicsim_fault_latency_ns(q->ndev);

	if (c->bio_status != BLK_STS_OK) {
		/*
		 * Run it again in software with the data we hold: nvmet
		 * answers with the status it gives that error.
		 */
		q->oq->stats.backend_errors++;
		c->ns.stats->backend_errors++;
		atomic64_inc(&q->ndev->rdma.backend_errors);
		nvo_offload_ns_put(&c->ns);
		c->ns_held = false;
		c->own = false;
		nsr_punt(q, c);
		return;
	}
	nsr_count_own(&q->oq->stats, c);
	nsr_count_own(c->ns.stats, c);
	atomic64_inc(&q->ndev->rdma.own);
	nvo_offload_ns_put(&c->ns);
	c->ns_held = false;
	if (lat) {
		/*
		 * extra_latency_us, as on NVMe/TCP: held, not slept on; the
		 * thread's timed wait comes back for it (nsr_next_ready()).
		 */
		c->state = NSR_C_DELAYED;
		c->ready_ns = ktime_get_ns() + lat;
		list_add_tail(&c->entry, &q->delayed);
		return;
	}
	nsr_complete(q, c, NVME_SC_SUCCESS);
}

/* When the first held command is due, or 0 if none is held. */
u64 nsr_next_ready(struct nsr_queue *q)
{
	struct nsr_cmd *c;
	u64 next = 0;

	list_for_each_entry(c, &q->delayed, entry)
		if (!next || c->ready_ns < next)
			next = c->ready_ns;
	return next;
}

/* Take the bios and punts that completed off the done list. */
bool nsr_reap(struct nsr_queue *q)
{
	struct nsr_cmd *c, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&q->done_lock);
	list_splice_init(&q->done_list, &done);
	spin_unlock_irq(&q->done_lock);
	if (list_empty(&done))
		return false;

	list_for_each_entry_safe(c, tmp, &done, done_entry) {
		list_del_init(&c->done_entry);
		q->nr_backend--;
		if (q->dead) {
			nsr_put_cmd(q, c);
		} else if (c->own) {
			nsr_own_done(q, c);
		} else {
			/* nvmet's CQE, set from punt_done(): SQHD is ours. */
			if (c->connect && (c->sqe.connect.cattr &
					   NVME_CONNECT_DISABLE_SQFLOW))
				q->sqhd_disabled = true;
			nsr_respond(q, c);
		}
	}
	return true;
}

/*
 * Commands that waited for staging, send queue room or the shim, and the
 * held ones now due (the latency may change meanwhile: not in order).
 */
bool nsr_retry(struct nsr_queue *q)
{
	bool progress = false;
	struct nsr_cmd *c, *tmp;
	u64 now = ktime_get_ns();

	list_for_each_entry_safe(c, tmp, &q->delayed, entry) {
		if (c->ready_ns > now)
			continue;
		list_del_init(&c->entry);
		nsr_complete(q, c, NVME_SC_SUCCESS);
		progress = true;
	}
	while ((c = list_first_entry_or_null(&q->stage_wait, struct nsr_cmd,
					     entry))) {
		if (nsr_stage_alloc(q, c))
			break;
		list_del_init(&c->entry);
		nsr_go(q, c);
		progress = true;
	}
	while ((c = list_first_entry_or_null(&q->wr_wait, struct nsr_cmd,
					     entry))) {
		if (q->wr_avail < nsr_wrs_needed(c))
			break;
		list_del_init(&c->entry);
		if (c->state == NSR_C_READ_WAIT)
			nsr_post_read(q, c);
		else
			nsr_post_send(q, c);
		progress = true;
	}
	while ((c = list_first_entry_or_null(&q->retry_list, struct nsr_cmd,
					     entry))) {
		list_del_init(&c->entry);
		nsr_punt(q, c);
		if (c->state == NSR_C_PUNT_RETRY)
			break;	/* still no room: the thread comes back */
		progress = true;
	}
	return progress;
}

/* A dead queue: what waits to be started or sent never will be. */
void nsr_drop_waiting(struct nsr_queue *q)
{
	struct list_head *lists[] = {
		&q->stage_wait, &q->wr_wait, &q->retry_list, &q->delayed,
	};
	struct nsr_cmd *c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		while ((c = list_first_entry_or_null(lists[i], struct nsr_cmd,
						     entry))) {
			list_del_init(&c->entry);
			nsr_put_cmd(q, c);
		}
	}
}
