// SPDX-License-Identifier: GPL-2.0
/*
 * Queues: one NVMe/TCP connection each, served in software.
 *
 * All protocol work of a queue (receive, execute, send) runs in its io_work,
 * on the CPU the queue was given at accept; nvmet completes commands from
 * any context through queue_response(), which only links the command on a
 * lock-free list and kicks io_work. So per-queue state needs no lock; only
 * the queue's life cycle (state_lock) and the global list (nvo_queue_mutex)
 * are shared. This file: allocation at accept, io_work, the stream's
 * callbacks and the release; queue_base.c holds what every layer may do to
 * a queue (wake, close, fail, find), cmd.c, rx.c, tx.c and handover.c the
 * rest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <net/tcp.h>

#include "compat.h"
#include "queue.h"

static atomic_t nvo_next_cpu = ATOMIC_INIT(-1);

/* A queue holds its port: the last put, a queue's or the port's own, frees it. */
static void nvo_port_release(struct kref *ref)
{
	struct nvo_port *port = container_of(ref, struct nvo_port, ref);

	nvo_counters_port_release(port);
	kfree(port);
}

void nvo_port_put(struct nvo_port *port)
{
	kref_put(&port->ref, nvo_port_release);
}

/* nvo_io_pass(): the queue is closing or its socket failed. */
#define NVO_IO_STOP	(-1)
/* nvo_io_pass(): drained for a hand-over, which io_work now carries out. */
#define NVO_IO_HANDOVER	(-2)

/*
 * Receive and send until nothing moves or the budget is spent: 1 with work
 * left, 0 without, or NVO_IO_STOP / NVO_IO_HANDOVER. A kick from inside
 * (a command the backend completed at once, a socket callback run by our
 * own socket call) only asks for one more round: nvo_kick_io().
 */
static int nvo_io_pass(struct nvo_queue *queue)
{
	int budget = NVO_IO_BUDGET;
	bool pending;
	int ret;

	do {
		WRITE_ONCE(queue->io_again, false);
		pending = false;
		if (READ_ONCE(queue->state) == NVO_Q_CLOSING)
			return NVO_IO_STOP;
		ret = nvo_stream_try_recv(&queue->stream, &budget);
		if (ret < 0)
			return NVO_IO_STOP;
		pending |= ret > 0;
		ret = nvo_try_send(queue, &budget);
		if (ret < 0)
			return NVO_IO_STOP;
		pending |= ret > 0;
		if (queue->ostate == NVO_OQ_OFFLOADING &&
		    nvo_queue_drained(queue))
			return NVO_IO_HANDOVER;
		/* Kicked without moving anything: a round costs budget. */
		if (!pending && READ_ONCE(queue->io_again)) {
			pending = true;
			budget--;
		}
	} while (pending && budget > 0);
	return pending;
}

static void nvo_io_work(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(w, struct nvo_queue, io_work);
	bool settled;
	int ret;

	/* Closing wins over everything, a hand-over first of all. */
	if (READ_ONCE(queue->state) == NVO_Q_CLOSING)
		return;
	settled = nvo_offload_reconcile(queue);
	/* Back in software from a device it was moved away from. */
	if (unlikely(queue->offer_again)) {
		queue->offer_again = false;
		nvo_offload_offer_queue(queue);
	}
	if (!settled)
		return;	/* a device owns the socket */

	WRITE_ONCE(queue->io_task, current);
	ret = nvo_io_pass(queue);
	WRITE_ONCE(queue->io_task, NULL);
	if (ret == NVO_IO_STOP)
		return;
	if (ret == NVO_IO_HANDOVER)
		nvo_handover(queue);
	/* Out of budget with work left, or kicked since: yield, carry on. */
	if (ret > 0 || READ_ONCE(queue->io_again))
		nvo_kick(queue);
}

static void nvo_queue_wake(struct nvo_stream *s)
{
	nvo_kick_io(nvo_stream_queue(s));
}

static void nvo_queue_closed(struct nvo_stream *s)
{
	nvo_queue_close(nvo_stream_queue(s));
}

static const struct nvo_stream_ops nvo_queue_stream_ops = {
	.wake		= nvo_queue_wake,
	.closed		= nvo_queue_closed,
	.fatal		= nvo_queue_fatal,
	.sock_error	= nvo_queue_sock_error,
	.may_read_ahead	= nvo_rx_may_read_ahead,
	.rx_icreq	= nvo_rx_icreq,
	.rx_cmd		= nvo_rx_cmd,
	.h2c_cmd	= nvo_rx_h2c_cmd,
	.ddgst_error	= nvo_rx_ddgst_error,
	.capsule_ready	= nvo_rx_capsule_ready,
	.r2t		= nvo_rx_r2t,
	.h2c_done	= nvo_rx_h2c_done,
	.tx_next	= nvo_tx_next,
	.tx_more	= nvo_tx_more,
	.tx_done	= nvo_tx_done,
};

/* Commands nvmet knows about but we never executed hold sq references. */
static void nvo_uninit_waiting_cmds(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd;
	u32 i;

	for (i = 0; i <= queue->nr_cmds; i++) {
		cmd = i < queue->nr_cmds ? &queue->cmds[i] : queue->connect_cmd;
		if (cmd && (cmd->flags & NVO_CMD_AWAIT_DATA)) {
			cmd->flags &= ~NVO_CMD_AWAIT_DATA;
			nvmet_req_uninit(&cmd->req);
		}
	}
}

static void nvo_release_work(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(w, struct nvo_queue,
					       release_work);

	nvo_queue_list_del(queue);

	/*
	 * Unhook first, so that no callback queues io_work behind the cancel;
	 * io_work does nothing on a closing queue, so the one that may still
	 * run (a hand-over under way) is the last to touch the socket.
	 */
	nvo_stream_detach(&queue->stream);
	cancel_delayed_work_sync(&queue->icreq_timeout);
	cancel_work_sync(&queue->io_work);
	/* A device draining the queue must not wait for a host that left. */
	kernel_sock_shutdown(queue->sock, SHUT_RDWR);
	nvo_offload_release(queue);
	cancel_delayed_work_sync(&queue->reclaim_dwork);
	nvo_traffic_stop(queue);
	/* The last io_work may have put ours back (a refused hand-over). */
	nvo_stream_detach(&queue->stream);
	cancel_work_sync(&queue->io_work);

	nvo_uninit_waiting_cmds(queue);
	/* Waits until nvmet has completed every command it still owns. */
	nvmet_sq_destroy(&queue->nvme_sq);
	cancel_work_sync(&queue->io_work);

	nvo_free_cmds(queue);
	sock_release(queue->sock);
	nvo_counters_queue_release(queue);
	nvo_port_put(queue->port);
	nvo_queue_id_put(queue->idx);
	kfree(queue);
}

static void nvo_icreq_timeout(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(to_delayed_work(w),
					       struct nvo_queue, icreq_timeout);

	if (READ_ONCE(queue->state) == NVO_Q_WAIT_ICREQ) {
		pr_info_ratelimited("queue %d: no ICReq within %d s, closing\n",
				    queue->idx, NVO_ICREQ_TIMEOUT / HZ);
		nvo_queue_close(queue);
	}
}

static int nvo_pick_cpu(void)
{
	unsigned int n = atomic_inc_return(&nvo_next_cpu);

	return cpumask_local_spread(n % num_online_cpus(), NUMA_NO_NODE);
}

int nvo_queue_alloc(struct nvo_port *port, struct socket *sock)
{
	struct nvo_queue *queue;
	struct sock *sk = sock->sk;
	int ret;

	queue = kzalloc(sizeof(*queue), GFP_KERNEL);
	if (!queue)
		return -ENOMEM;

	queue->idx = nvo_queue_id_get();
	if (queue->idx < 0) {
		ret = queue->idx;
		goto err_free;
	}
	queue->oq.id = queue->idx;
	queue->oq.engine = -1;
	queue->sock = sock;
	queue->port = port;
	queue->nport = port->nport;
	queue->cpu = nvo_pick_cpu();
	queue->state = NVO_Q_WAIT_ICREQ;
	nvo_stream_init(&queue->stream, sock, &nvo_queue_stream_ops, queue);
	snprintf(queue->stream.name, sizeof(queue->stream.name), "queue %d",
		 queue->idx);
	queue->stream.stage = queue->rx_stage;
	queue->stream.inline_limit = NVO_ADMIN_INLINE;
	spin_lock_init(&queue->state_lock);
	spin_lock_init(&queue->cmd_lock);
	INIT_LIST_HEAD(&queue->parked);
	nvo_counters_queue_init(queue);
	init_completion(&queue->offload_idle);

	INIT_WORK(&queue->io_work, nvo_io_work);
	INIT_WORK(&queue->release_work, nvo_release_work);
	INIT_DELAYED_WORK(&queue->icreq_timeout, nvo_icreq_timeout);
	INIT_DELAYED_WORK(&queue->reclaim_dwork, nvo_reclaim_timeout_work);
	nvo_traffic_init(queue);
	INIT_LIST_HEAD(&queue->entry);
	INIT_LIST_HEAD(&queue->free_cmds);
	INIT_LIST_HEAD(&queue->tx_list);
	init_llist_head(&queue->rsp_list);

	queue->connect_cmd = kzalloc(sizeof(*queue->connect_cmd), GFP_KERNEL);
	if (!queue->connect_cmd) {
		ret = -ENOMEM;
		goto err_ida;
	}
	nvo_cmd_init(queue, queue->connect_cmd, U16_MAX);

	ret = nvmet_sq_init(&queue->nvme_sq);
	if (ret)
		goto err_connect;

	tcp_sock_set_nodelay(sk);
	nvo_sock_no_task_frag(sk);
	sk->sk_allocation = GFP_ATOMIC;

	kref_get(&port->ref);
	nvo_queue_list_add(queue);

	ret = nvo_stream_attach(&queue->stream);
	if (ret)
		goto err_list;

	queue_delayed_work(nvo_io_wq, &queue->icreq_timeout,
			   NVO_ICREQ_TIMEOUT);
	/* The ICReq may already be waiting. */
	nvo_kick(queue);
	return 0;

err_list:
	nvo_queue_list_del(queue);
	nvo_port_put(port);
	nvmet_sq_destroy(&queue->nvme_sq);
err_connect:
	kfree(queue->connect_cmd);
err_ida:
	nvo_queue_id_put(queue->idx);
err_free:
	kfree(queue);
	return ret;
}
