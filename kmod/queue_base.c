// SPDX-License-Identifier: GPL-2.0
/*
 * What every layer may do to a queue, whatever state it is in: wake its
 * io_work, close it, fail it on a protocol or socket error, and find it on
 * the list of queues. The layers that serve a queue (rx.c, tx.c,
 * handover.c, the driver API) sit above this file and call down into it;
 * nothing here calls up (Documentation/design.rst, "Layers").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/mutex.h>

#include "queue.h"

/* main.c's transport ops, under which every request of ours runs. */
const struct nvmet_fabrics_ops *nvo_nvmet_ops;

struct workqueue_struct *nvo_io_wq;
static struct workqueue_struct *nvo_release_wq;
static DEFINE_MUTEX(nvo_queue_mutex);
static LIST_HEAD(nvo_queue_list);
static DEFINE_IDA(nvo_queue_ida);

void nvo_kick(struct nvo_queue *queue)
{
	queue_work_on(queue->cpu, nvo_io_wq, &queue->io_work);
}

/*
 * Work for io_work's pass: a completion or a socket callback. From inside
 * the pass (on its CPU: the task itself, or an interrupt of it) the pass
 * takes one more round instead: queueing the running work would run it
 * once more after it returns, for nothing. Requests that io_work must
 * reconcile (hand-over, reclaim) kick with nvo_kick(): the pass does not
 * reconcile.
 */
void nvo_kick_io(struct nvo_queue *queue)
{
	if (READ_ONCE(queue->io_task) == current) {
		WRITE_ONCE(queue->io_again, true);
		return;
	}
	nvo_kick(queue);
}

void nvo_queue_close(struct nvo_queue *queue)
{
	spin_lock_bh(&queue->state_lock);
	if (queue->state != NVO_Q_CLOSING) {
		queue->state = NVO_Q_CLOSING;
		queue_work(nvo_release_wq, &queue->release_work);
	}
	spin_unlock_bh(&queue->state_lock);
}

/*
 * A protocol error: tell the host why when the send side is between PDUs,
 * then fail the controller (nvmet tears down its other queues) and close.
 */
int nvo_queue_fatal(struct nvo_stream *s, enum nvo_fes fes, u32 fei)
{
	struct nvo_queue *queue = nvo_stream_queue(s);

	pr_warn_ratelimited("queue %d: protocol error (fes %#x, field offset %u), closing the connection\n",
			    queue->idx, fes, fei);
	if (fes != NVO_FES_NONE && !s->tx && !queue->ctl_len)
		nvo_stream_term(s, fes, fei);
	if (queue->nvme_sq.ctrl)
		nvmet_ctrl_fatal_error(queue->nvme_sq.ctrl);
	nvo_queue_close(queue);
	return -EPROTO;
}

/* A socket call failed or the peer closed: the connection is over. */
int nvo_queue_sock_error(struct nvo_stream *s, int ret)
{
	struct nvo_queue *queue = nvo_stream_queue(s);

	if (ret == -EAGAIN)
		return ret;
	if (ret < 0 && ret != -ECONNRESET && ret != -EPIPE)
		pr_debug("queue %d: socket error %d\n", queue->idx, ret);
	nvo_queue_close(queue);
	return ret ? ret : -ECONNRESET;
}

/* The queue's id: debugfs's and netlink's key, and the device's oq.id. */
int nvo_queue_id_get(void)
{
	return ida_alloc(&nvo_queue_ida, GFP_KERNEL);
}

void nvo_queue_id_put(int id)
{
	ida_free(&nvo_queue_ida, id);
}

void nvo_queue_list_add(struct nvo_queue *queue)
{
	mutex_lock(&nvo_queue_mutex);
	list_add_tail(&queue->entry, &nvo_queue_list);
	mutex_unlock(&nvo_queue_mutex);
}

void nvo_queue_list_del(struct nvo_queue *queue)
{
	mutex_lock(&nvo_queue_mutex);
	list_del_init(&queue->entry);
	mutex_unlock(&nvo_queue_mutex);
}

void nvo_visit_queues(nvo_queue_visit_t fn, void *arg)
{
	struct nvo_queue *queue;

	mutex_lock(&nvo_queue_mutex);
	list_for_each_entry(queue, &nvo_queue_list, entry)
		fn(queue, arg);
	mutex_unlock(&nvo_queue_mutex);
}

typedef bool (*nvo_queue_match_t)(struct nvo_queue *queue, const void *key);

static void nvo_close_queues_if(nvo_queue_match_t match, const void *key)
{
	struct nvo_queue *queue;

	mutex_lock(&nvo_queue_mutex);
	list_for_each_entry(queue, &nvo_queue_list, entry)
		if (match(queue, key))
			nvo_queue_close(queue);
	mutex_unlock(&nvo_queue_mutex);
}

static bool nvo_queue_of_ctrl(struct nvo_queue *queue, const void *ctrl)
{
	return queue->nvme_sq.ctrl == ctrl;
}

static bool nvo_queue_of_port(struct nvo_queue *queue, const void *port)
{
	return queue->port == port;
}

static bool nvo_queue_any(struct nvo_queue *queue, const void *unused)
{
	return true;
}

void nvo_delete_ctrl(struct nvmet_ctrl *ctrl)
{
	nvo_close_queues_if(nvo_queue_of_ctrl, ctrl);
}

void nvo_close_port_queues(struct nvo_port *port)
{
	nvo_close_queues_if(nvo_queue_of_port, port);
}

void nvo_close_all_queues(void)
{
	nvo_close_queues_if(nvo_queue_any, NULL);
	flush_workqueue(nvo_release_wq);
}

int nvo_queue_init(const struct nvmet_fabrics_ops *ops)
{
	nvo_nvmet_ops = ops;
	nvo_io_wq = alloc_workqueue("nvmet_offload_io",
				    WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!nvo_io_wq)
		return -ENOMEM;
	nvo_release_wq = alloc_workqueue("nvmet_offload_release",
					 WQ_MEM_RECLAIM, 0);
	if (!nvo_release_wq) {
		destroy_workqueue(nvo_io_wq);
		return -ENOMEM;
	}
	return 0;
}

void nvo_queue_exit(void)
{
	destroy_workqueue(nvo_release_wq);
	destroy_workqueue(nvo_io_wq);
	ida_destroy(&nvo_queue_ida);
}
