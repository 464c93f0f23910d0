// SPDX-License-Identifier: GPL-2.0
/*
 * The life cycle of an NVMe/RDMA queue: its RDMA device and protection
 * domain, its completion queue (polled by our work, or by the device a
 * live move lent the queue to) and RC queue pair, the receive buffers the
 * host's capsules land in and the command slots that carry them through
 * nvmet, and the release once the queue ends.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "rdma.h"

/*
 * Bytes all queues hold from connect to release: receive buffers (with
 * their in-capsule pages) and command slots. A host chooses how many
 * queues it opens: past this ceiling a connect is refused (NO_RSC) instead
 * of pinning more of the machine's memory.
 */
static unsigned long queue_mem_limit_kb = 256 * 1024;
module_param(queue_mem_limit_kb, ulong, 0644);
MODULE_PARM_DESC(queue_mem_limit_kb,
		 "ceiling on the buffers and slots of all queues, in KiB (default 256 MiB)");
static atomic_long_t nvo_rdma_queue_mem = ATOMIC_LONG_INIT(0);

static size_t nvo_rdma_queue_bytes(u32 recv_size, u32 nr_cmds, u32 inline_size)
{
	size_t rx = sizeof(struct nvo_rdma_recv) + sizeof(struct nvme_command);

	if (inline_size)
		rx += PAGE_SIZE << get_order(inline_size);
	return recv_size * rx + nr_cmds * (sizeof(struct nvo_rdma_cmd) +
					   sizeof(struct nvme_completion));
}

static bool nvo_rdma_queue_mem_charge(size_t bytes)
{
	long limit = (long)min_t(unsigned long, READ_ONCE(queue_mem_limit_kb),
				 LONG_MAX >> 10) << 10;

	if (atomic_long_add_return(bytes, &nvo_rdma_queue_mem) > limit) {
		atomic_long_sub(bytes, &nvo_rdma_queue_mem);
		return false;
	}
	return true;
}

LIST_HEAD(nvo_rdma_queues);
/* Guards nvo_rdma_queues: every queue from accept to release. */
DEFINE_MUTEX(nvo_rdma_queues_lock);

static LIST_HEAD(nvo_rdma_devs);
/* Guards nvo_rdma_devs: the RDMA devices our queues use, with their PD. */
static DEFINE_MUTEX(nvo_rdma_devs_lock);

struct nvo_rdma_dev *nvo_rdma_dev_get(struct ib_device *ibdev)
{
	struct nvo_rdma_dev *dev;

	mutex_lock(&nvo_rdma_devs_lock);
	list_for_each_entry(dev, &nvo_rdma_devs, entry) {
		if (dev->ibdev == ibdev && kref_get_unless_zero(&dev->ref))
			goto out;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		goto out;
	dev->pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(dev->pd)) {
		pr_err("%s: cannot allocate a protection domain: %ld\n",
		       dev_name(&ibdev->dev), PTR_ERR(dev->pd));
		kfree(dev);
		dev = NULL;
		goto out;
	}
	dev->ibdev = ibdev;
	kref_init(&dev->ref);
	list_add(&dev->entry, &nvo_rdma_devs);
out:
	mutex_unlock(&nvo_rdma_devs_lock);
	return dev;
}

static void nvo_rdma_dev_release(struct kref *ref)
{
	struct nvo_rdma_dev *dev = container_of(ref, struct nvo_rdma_dev, ref);

	list_del(&dev->entry);
	mutex_unlock(&nvo_rdma_devs_lock);
	ib_dealloc_pd(dev->pd);
	kfree(dev);
}

void nvo_rdma_dev_put(struct nvo_rdma_dev *dev)
{
	kref_put_mutex(&dev->ref, nvo_rdma_dev_release, &nvo_rdma_devs_lock);
}

static void nvo_rdma_free_rxs(struct nvo_rdma_queue *queue)
{
	struct ib_device *ibdev = queue->dev->ibdev;
	u32 i;

	for (i = 0; i < queue->recv_size; i++) {
		struct nvo_rdma_recv *rx = &queue->rq.recvs[i];

		if (rx->inline_page) {
			if (rx->sge[1].addr)
				ib_dma_unmap_page(ibdev, rx->sge[1].addr,
						  queue->inline_size,
						  DMA_FROM_DEVICE);
			__free_pages(rx->inline_page,
				     get_order(queue->inline_size));
		}
		if (rx->sqe) {
			if (rx->sge[0].addr)
				ib_dma_unmap_single(ibdev, rx->sge[0].addr,
						    sizeof(*rx->sqe),
						    DMA_FROM_DEVICE);
			kfree(rx->sqe);
		}
	}
	kfree(queue->rq.recvs);
}

/* Our receive handler on every buffer: set again when a device lets go. */
void nvo_rdma_recv_done_set(struct nvo_rdma_queue *queue)
{
	u32 i;

	for (i = 0; i < queue->recv_size; i++) {
		queue->rq.recvs[i].cqe.done = nvo_rdma_recv_done;
		queue->rq.recvs[i].owner_priv = queue;
	}
}

static int nvo_rdma_alloc_rxs(struct nvo_rdma_queue *queue)
{
	struct ib_device *ibdev = queue->dev->ibdev;
	u32 lkey = queue->dev->pd->local_dma_lkey;
	u32 i;

	queue->rq.recvs = kcalloc(queue->recv_size, sizeof(*queue->rq.recvs),
				  GFP_KERNEL);
	if (!queue->rq.recvs)
		return -ENOMEM;
	for (i = 0; i < queue->recv_size; i++) {
		struct nvo_rdma_recv *rx = &queue->rq.recvs[i];
		u64 dma;

		rx->sqe = kzalloc(sizeof(*rx->sqe), GFP_KERNEL);
		if (!rx->sqe)
			return -ENOMEM;
		dma = ib_dma_map_single(ibdev, rx->sqe, sizeof(*rx->sqe),
					DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(ibdev, dma))
			return -ENOMEM;
		rx->sge[0].addr = dma;
		rx->sge[0].length = sizeof(*rx->sqe);
		rx->sge[0].lkey = lkey;
		rx->wr.num_sge = 1;
		if (queue->inline_size) {
			rx->inline_page = alloc_pages(GFP_KERNEL,
						      get_order(queue->inline_size));
			if (!rx->inline_page)
				return -ENOMEM;
			dma = ib_dma_map_page(ibdev, rx->inline_page, 0,
					      queue->inline_size,
					      DMA_FROM_DEVICE);
			if (ib_dma_mapping_error(ibdev, dma))
				return -ENOMEM;
			rx->sge[1].addr = dma;
			rx->sge[1].length = queue->inline_size;
			rx->sge[1].lkey = lkey;
			rx->inline_size = queue->inline_size;
			rx->wr.num_sge = 2;
		}
		rx->wr.wr_cqe = &rx->cqe;
		rx->wr.sg_list = rx->sge;
	}
	nvo_rdma_recv_done_set(queue);
	return 0;
}

static void nvo_rdma_free_cmds(struct nvo_rdma_queue *queue)
{
	struct ib_device *ibdev = queue->dev->ibdev;
	u32 i;

	for (i = 0; i < queue->nr_cmds; i++) {
		struct nvo_rdma_cmd *cmd = &queue->cmds[i];

		if (cmd->cqe_dma)
			ib_dma_unmap_single(ibdev, cmd->cqe_dma,
					    sizeof(*cmd->req.cqe),
					    DMA_TO_DEVICE);
		kfree(cmd->req.cqe);
	}
	kfree(queue->cmds);
}

static int nvo_rdma_alloc_cmds(struct nvo_rdma_queue *queue)
{
	struct ib_device *ibdev = queue->dev->ibdev;
	u32 i;

	queue->cmds = kcalloc(queue->nr_cmds, sizeof(*queue->cmds),
			      GFP_KERNEL);
	if (!queue->cmds)
		return -ENOMEM;
	for (i = 0; i < queue->nr_cmds; i++) {
		struct nvo_rdma_cmd *cmd = &queue->cmds[i];
		u64 dma;

		cmd->queue = queue;
		nvo_rdma_cmd_init(cmd);
		cmd->req.cqe = kzalloc(sizeof(*cmd->req.cqe), GFP_KERNEL);
		if (!cmd->req.cqe)
			return -ENOMEM;
		dma = ib_dma_map_single(ibdev, cmd->req.cqe,
					sizeof(*cmd->req.cqe), DMA_TO_DEVICE);
		if (ib_dma_mapping_error(ibdev, dma))
			return -ENOMEM;
		cmd->cqe_dma = dma;
		cmd->send_sge.addr = dma;
		cmd->send_sge.length = sizeof(*cmd->req.cqe);
		cmd->send_sge.lkey = queue->dev->pd->local_dma_lkey;
		list_add_tail(&cmd->entry, &queue->free_cmds);
	}
	return 0;
}

static void nvo_rdma_qp_event(struct ib_event *event, void *priv)
{
	struct nvo_rdma_queue *queue = priv;

	switch (event->event) {
	case IB_EVENT_COMM_EST:
		rdma_notify(queue->cm_id, event->event);
		break;
	case IB_EVENT_QP_LAST_WQE_REACHED:
		break;
	default:
		pr_warn_ratelimited("queue %u: QP event %s (%d)\n",
				    queue->host_qid,
				    ib_event_msg(event->event), event->event);
		break;
	}
}

/*
 * Our CQ poller, on a workqueue of our own (the RDMA core's completion
 * workqueue is not exported): it calls each completion's done, as
 * ib_alloc_cq()'s would, but stays ours to hand over. Never on two CPUs at
 * once (a work item is not reentrant), so @wcs needs no lock.
 */
static struct workqueue_struct *nvo_rdma_wq;

int nvo_rdma_wq_init(void)
{
	nvo_rdma_wq = alloc_workqueue("nvo_rdma_cq", WQ_HIGHPRI | WQ_MEM_RECLAIM,
				      0);
	return nvo_rdma_wq ? 0 : -ENOMEM;
}

void nvo_rdma_wq_exit(void)
{
	destroy_workqueue(nvo_rdma_wq);
}

void nvo_rdma_poll_kick(struct nvo_rdma_queue *queue)
{
	queue_work(nvo_rdma_wq, &queue->poll_work);
}

static void nvo_rdma_poll_work(struct work_struct *w)
{
	struct nvo_rdma_queue *queue =
		container_of(w, struct nvo_rdma_queue, poll_work);
	int budget = NVO_RDMA_POLL_BUDGET;
	struct nvo_rdma_cmd *cmd, *tmp;
	struct nvo_handover *resume;
	unsigned long flags;
	LIST_HEAD(waiting);
	int n, i;

	if (READ_ONCE(queue->dev_polls) || READ_ONCE(queue->poll_held))
		return;	/* lent: the device polls; or a hand-over (live.c) */
	/*
	 * Commands that came before ESTABLISHED, and those a hand-over
	 * parked, go before anything polled after them.
	 */
	spin_lock_irqsave(&queue->lock, flags);
	resume = queue->resume;
	queue->resume = NULL;
	if (queue->state == NVO_RDMA_Q_LIVE)
		list_splice_init(&queue->wait_cmds, &waiting);
	spin_unlock_irqrestore(&queue->lock, flags);
	list_for_each_entry_safe(cmd, tmp, &waiting, entry) {
		list_del_init(&cmd->entry);
		nvo_rdma_handle_cmd(cmd);
	}
	if (resume)
		nvo_rdma_start_parked(queue, resume);

	do {
		n = ib_poll_cq(queue->cq, NVO_RDMA_POLL_BATCH, queue->wcs);
		for (i = 0; i < n; i++) {
			struct ib_wc *wc = &queue->wcs[i];

			if (likely(wc->wr_cqe))
				wc->wr_cqe->done(queue->cq, wc);
			else
				/* Unsignaled RDMA WRITE: only errors come. */
				WARN_ON_ONCE(wc->status == IB_WC_SUCCESS);
		}
		budget -= n;
	} while (n == NVO_RDMA_POLL_BATCH && budget > 0);
	if (n < 0) {
		pr_warn_ratelimited("queue %u: ib_poll_cq: %d\n",
				    queue->host_qid, n);
		nvo_rdma_queue_kill(queue);
		return;
	}
	if (budget <= 0 ||
	    ib_req_notify_cq(queue->cq, IB_CQ_NEXT_COMP |
					IB_CQ_REPORT_MISSED_EVENTS) > 0)
		nvo_rdma_poll_kick(queue);
}

/* The CQ's handler (any context): wake whoever polls it now. */
static void nvo_rdma_cq_comp(struct ib_cq *cq, void *ctx)
{
	struct nvo_rdma_queue *queue = ctx;

	rcu_read_lock();
	/* Set after oq.dev (live.c): the device is the one taking it. */
	if (smp_load_acquire(&queue->dev_polls))
		queue->oq.dev->ops->rdma_cq_wake(&queue->oq);
	else
		nvo_rdma_poll_kick(queue);
	rcu_read_unlock();
}

static void nvo_rdma_cq_event(struct ib_event *event, void *ctx)
{
	struct nvo_rdma_queue *queue = ctx;

	pr_warn_ratelimited("queue %u: CQ event %s (%d)\n", queue->host_qid,
			    ib_event_msg(event->event), event->event);
	nvo_rdma_queue_kill(queue);
}

static int nvo_rdma_create_qp(struct nvo_rdma_queue *queue)
{
	struct ib_device *ibdev = queue->dev->ibdev;
	struct ib_cq_init_attr cq_attr = {};
	struct ib_qp_init_attr attr = {};
	unsigned int factor;
	u32 i;
	int ret;

	factor = rdma_rw_mr_factor(ibdev, queue->cm_id->port_num,
				   NVO_RDMA_MAX_XFER >> PAGE_SHIFT);
	/*
	 * Receives, plus a SEND and an RDMA completion for every slot, and
	 * room for what a device that takes the queue live may post: every
	 * WR of the send queue can complete (flushed) at once.
	 */
	queue->cq_size = queue->recv_size + 2 * queue->nr_cmds + 1 +
			 queue->nr_cmds * factor;
	cq_attr.cqe = queue->cq_size;
	cq_attr.comp_vector = queue->host_qid % ibdev->num_comp_vectors;
	queue->cq = ib_create_cq(ibdev, nvo_rdma_cq_comp, nvo_rdma_cq_event,
				 queue, &cq_attr);
	if (IS_ERR(queue->cq)) {
		ret = PTR_ERR(queue->cq);
		queue->cq = NULL;
		return ret;
	}

	attr.qp_context = queue;
	attr.event_handler = nvo_rdma_qp_event;
	attr.send_cq = queue->cq;
	attr.recv_cq = queue->cq;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.qp_type = IB_QPT_RC;
	/* Every WR belongs to a busy slot: the queue pair cannot overflow. */
	attr.cap.max_send_wr = queue->nr_cmds + 1;
	attr.cap.max_rdma_ctxs = queue->nr_cmds * factor;
	attr.cap.max_send_sge = max(ibdev->attrs.max_sge_rd,
				    ibdev->attrs.max_send_sge);
	attr.cap.max_recv_wr = queue->recv_size + 1;
	attr.cap.max_recv_sge = 2;
	ret = rdma_create_qp(queue->cm_id, queue->dev->pd, &attr);
	if (ret)
		return ret;
	queue->qp = queue->cm_id->qp;

	queue->rq.cm_id = queue->cm_id;
	queue->rq.pd = queue->dev->pd;
	queue->rq.qp = queue->qp;
	queue->rq.cq = queue->cq;
	queue->rq.port_num = queue->cm_id->port_num;
	queue->rq.cq_size = queue->cq_size;
	queue->rq.max_send_wr = attr.cap.max_send_wr;
	queue->rq.max_rdma_ctxs = attr.cap.max_rdma_ctxs;
	queue->rq.inline_size = queue->inline_size;
	queue->rq.nr_recvs = queue->recv_size;

	for (i = 0; i < queue->recv_size; i++) {
		ret = nvo_rdma_post_recv(queue, &queue->rq.recvs[i]);
		if (ret)
			return ret;
	}
	/* A first poll arms the CQ. */
	nvo_rdma_poll_kick(queue);
	return 0;
}

/*
 * Frees a queue that never reached nvo_rdma_queues or left it. With
 * queue->cm_id NULL the rdma_cm core destroys the id (a refused connect).
 */
void nvo_rdma_queue_free(struct nvo_rdma_queue *queue)
{
	struct nvo_offload_dev *odev = queue->oq.dev;
	bool at_connect, parked, live;

	/*
	 * A move under way ends first; none starts on a closing queue. Only
	 * a queue taken live may have a give-back queued (cm.c sets the work
	 * up for a queue it accepts).
	 */
	mutex_lock(&queue->move_lock);
	live = queue->live;
	mutex_unlock(&queue->move_lock);
	if (live)
		cancel_work_sync(&queue->give_back_work);
	mutex_lock(&queue->move_lock);
	at_connect = queue->offloaded && !queue->live;
	/* The device's use of the QP goes first, every punt answered. */
	if (queue->offloaded && !nvo_rdma_offload_release(queue)) {
		mutex_unlock(&queue->move_lock);
		return;	/* parked: the device's answer frees it */
	}
	mutex_unlock(&queue->move_lock);
	parked = queue->parked;	/* set no more: the device answered */
	/* Waits until nvmet has completed every command it still owns. */
	nvmet_sq_destroy(&queue->nvme_sq);
	/* Only now: no punt_done() of ours can still be running. */
	if (at_connect)
		nvo_peer_offload_end(odev, true, queue->why, &queue->oq.stats);
	/* Our poller runs until the drain's completions came (live.c). */
	if (queue->qp)
		ib_drain_qp(queue->qp);
	if (queue->cm_id)
		rdma_destroy_id(queue->cm_id);
	if (queue->qp)
		ib_destroy_qp(queue->qp);
	if (queue->cq) {
		cancel_work_sync(&queue->poll_work);
		ib_destroy_cq(queue->cq);
	}
	/* Parked capsules no one started: the connection is over. */
	nvo_handover_free(queue->resume);
	nvo_handover_free(queue->park);
	if (queue->cmds)
		nvo_rdma_free_cmds(queue);
	if (queue->rq.recvs)
		nvo_rdma_free_rxs(queue);
	nvo_rdma_dev_put(queue->dev);
	atomic_long_sub(queue->mem, &nvo_rdma_queue_mem);
	nvo_peer_queue_id_put(queue->id);
	kfree(queue);
	/* nvo_rdma_exit() flushes nvmet_wq, which this runs on. */
	if (parked)
		module_put(THIS_MODULE);
}

static void nvo_rdma_release_work(struct work_struct *w)
{
	struct nvo_rdma_queue *queue =
		container_of(w, struct nvo_rdma_queue, release_work);

	mutex_lock(&nvo_rdma_queues_lock);
	list_del_init(&queue->entry);
	mutex_unlock(&nvo_rdma_queues_lock);
	nvo_rdma_queue_free(queue);
}

/* Takes over the caller's reference on @dev, also on failure. */
struct nvo_rdma_queue *nvo_rdma_queue_alloc(struct nvo_rdma_port *port,
					    struct nvo_rdma_dev *dev,
					    struct rdma_cm_id *cm_id,
					    u16 qid, u32 recv_size)
{
	struct nvo_rdma_queue *queue;
	int ret;

	queue = kzalloc(sizeof(*queue), GFP_KERNEL);
	if (!queue) {
		nvo_rdma_dev_put(dev);
		return ERR_PTR(-ENOMEM);
	}
	queue->dev = dev;
	queue->nport = port->nport;
	queue->cm_id = cm_id;
	queue->host_qid = qid;
	queue->recv_size = recv_size;
	/* A slot stays busy until its response SEND completes. */
	queue->nr_cmds = 2 * recv_size;
	queue->inline_size = qid ? port->nport->inline_data_size : 0;
	spin_lock_init(&queue->lock);
	queue->state = NVO_RDMA_Q_CONNECTING;
	INIT_LIST_HEAD(&queue->free_cmds);
	INIT_LIST_HEAD(&queue->wait_cmds);
	INIT_LIST_HEAD(&queue->entry);
	INIT_WORK(&queue->release_work, nvo_rdma_release_work);
	INIT_WORK(&queue->poll_work, nvo_rdma_poll_work);
	mutex_init(&queue->move_lock);
	INIT_DELAYED_WORK(&queue->traffic_dwork, nvo_rdma_traffic_work);
	init_waitqueue_head(&queue->idle_wq);
	atomic_set(&queue->nr_punts, 0);
	queue->kind = NVO_RDMA_ID_QUEUE;
	init_waitqueue_head(&queue->returned_wq);
	queue->oq.engine = -1;

	queue->mem = nvo_rdma_queue_bytes(recv_size, queue->nr_cmds,
					  queue->inline_size);
	if (!nvo_rdma_queue_mem_charge(queue->mem)) {
		pr_warn_ratelimited("queue %u: %zu bytes would pass queue_mem_limit_kb (%lu KiB): connect refused\n",
				    qid, queue->mem,
				    READ_ONCE(queue_mem_limit_kb));
		nvo_rdma_dev_put(dev);
		kfree(queue);
		return ERR_PTR(-ENOMEM);
	}
	queue->id = nvo_peer_queue_id_get();
	ret = queue->id < 0 ? queue->id : nvmet_sq_init(&queue->nvme_sq);
	if (ret) {
		if (queue->id >= 0)
			nvo_peer_queue_id_put(queue->id);
		atomic_long_sub(queue->mem, &nvo_rdma_queue_mem);
		nvo_rdma_dev_put(dev);
		kfree(queue);
		return ERR_PTR(ret);
	}
	ret = nvo_rdma_alloc_cmds(queue);
	if (ret) {
		pr_warn_ratelimited("queue %u: cannot set up (%u entries): %d\n",
				    qid, recv_size, ret);
		queue->cm_id = NULL;
		nvo_rdma_queue_free(queue);
		return ERR_PTR(ret);
	}
	return queue;
}

/*
 * The software path's QP, CQ and receive buffers, for a queue no device
 * took. On failure the caller frees the queue (without the id: rdma_cm
 * destroys it when the connect handler refuses).
 */
int nvo_rdma_queue_software(struct nvo_rdma_queue *queue)
{
	int ret;

	ret = nvo_rdma_alloc_rxs(queue);
	if (!ret)
		ret = nvo_rdma_create_qp(queue);
	if (ret)
		pr_warn_ratelimited("queue %u: cannot set up (%u entries): %d\n",
				    queue->host_qid, queue->recv_size, ret);
	return ret;
}

/*
 * rdma_cm's ESTABLISHED: the commands that arrived before it may run. Our
 * poll work runs them, not this handler: one is a Fabrics Connect, which
 * takes nvmet's config_sem, and port removal holds that while it destroys
 * CM ids, which waits for their handlers.
 */
void nvo_rdma_queue_established(struct nvo_rdma_queue *queue)
{
	unsigned long flags;
	bool waiting;

	spin_lock_irqsave(&queue->lock, flags);
	if (queue->state != NVO_RDMA_Q_CONNECTING) {
		spin_unlock_irqrestore(&queue->lock, flags);
		return;
	}
	queue->state = NVO_RDMA_Q_LIVE;
	waiting = !list_empty(&queue->wait_cmds);
	spin_unlock_irqrestore(&queue->lock, flags);
	if (waiting)
		nvo_rdma_poll_kick(queue);
}

/*
 * The queues, for the core's observers (peer.h): on the list, a queue's
 * controller stays (its release leaves the list before nvmet_sq_destroy()).
 */
void nvo_rdma_visit_queues(nvo_peer_queue_fn fn, void *arg)
{
	struct nvo_rdma_queue *queue;
	struct nvo_peer_queue pq;
	unsigned long flags;
	bool offloaded;

	mutex_lock(&nvo_rdma_queues_lock);
	list_for_each_entry(queue, &nvo_rdma_queues, entry) {
		pq.id = queue->id;
		pq.nport = queue->nport;
		pq.ctrl = READ_ONCE(queue->nvme_sq.ctrl);
		pq.qid = queue->host_qid;
		pq.depth = queue->recv_size;
		pq.inflight = READ_ONCE(queue->nr_busy);
		/*
		 * The device is held while it has the queue: a live move
		 * changes that under the queue's lock.
		 */
		spin_lock_irqsave(&queue->lock, flags);
		offloaded = queue->offloaded;
		pq.dev_id = offloaded ? queue->oq.dev->id : ~0U;
		pq.stats = offloaded ? &queue->oq.stats : NULL;
		pq.engine = offloaded ? READ_ONCE(queue->oq.engine) : -1;
		spin_unlock_irqrestore(&queue->lock, flags);
		fn(&pq, arg);
	}
	mutex_unlock(&nvo_rdma_queues_lock);
}

/* Ends every queue of @ctrl, of @nport or on @ibdev (whichever is set). */
void nvo_rdma_kill_matching(struct nvmet_ctrl *ctrl, struct nvmet_port *nport,
			    struct ib_device *ibdev)
{
	struct nvo_rdma_queue *queue;

	mutex_lock(&nvo_rdma_queues_lock);
	list_for_each_entry(queue, &nvo_rdma_queues, entry) {
		if ((ctrl && queue->nvme_sq.ctrl == ctrl) ||
		    (nport && queue->nport == nport) ||
		    (ibdev && queue->dev->ibdev == ibdev) ||
		    (!ctrl && !nport && !ibdev))
			nvo_rdma_queue_kill(queue);
	}
	mutex_unlock(&nvo_rdma_queues_lock);
}
