// SPDX-License-Identifier: GPL-2.0
/*
 * rdma_cm: one listening id per enabled nvmet port; a connection request
 * becomes a queue (NVMe/RDMA private data: record format 1.0, queue id and
 * sizes), accepted or refused with an NVMe/RDMA reject status; the id's
 * later events end it. A listener whose RDMA device goes away (rxe link
 * deleted, driver unloaded) is tried again every NVO_RDMA_RELISTEN_MS,
 * so that the port serves again once its address has a device, without
 * being re-created.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/slab.h>
#include <rdma/ib_cm.h>

#include "../nport.h"
#include "rdma.h"

#define NVO_RDMA_RELISTEN_MS	2000

/* The enabled ports, for the core's observers. */
static LIST_HEAD(nvo_rdma_ports);
static DEFINE_MUTEX(nvo_rdma_ports_lock);

static int nvo_rdma_reject(struct rdma_cm_id *cm_id,
			   enum nvme_rdma_cm_status status)
{
	struct nvme_rdma_cm_rej rej = {
		.recfmt = cpu_to_le16(NVME_RDMA_CM_FMT_1_0),
		.sts = cpu_to_le16(status),
	};

	pr_warn_ratelimited("refusing a connection: %s\n",
			    nvme_rdma_cm_msg(status));
	rdma_reject(cm_id, &rej, sizeof(rej), IB_CM_REJ_CONSUMER_DEFINED);
	/* Non-zero: the rdma_cm core destroys the id. */
	return -ECONNREFUSED;
}

static int nvo_rdma_connect(struct rdma_cm_id *cm_id,
			    struct rdma_cm_event *event)
{
	const struct nvme_rdma_cm_req *req = event->param.conn.private_data;
	struct nvo_rdma_port *port = cm_id->context;
	struct nvme_rdma_cm_rep rep = {};
	struct rdma_conn_param param = {};
	struct nvo_rdma_queue *queue;
	struct nvo_rdma_dev *dev;
	u32 recv_size, max;
	u16 qid;
	int ret;

	if (!req || event->param.conn.private_data_len < sizeof(*req))
		return nvo_rdma_reject(cm_id, NVME_RDMA_CM_INVALID_LEN);
	if (le16_to_cpu(req->recfmt) != NVME_RDMA_CM_FMT_1_0)
		return nvo_rdma_reject(cm_id, NVME_RDMA_CM_INVALID_RECFMT);
	qid = le16_to_cpu(req->qid);
	/* hsqsize is 0's based: our receive queue holds hsqsize + 1. */
	recv_size = le16_to_cpu(req->hsqsize) + 1;
	max = qid ? NVO_RDMA_MAX_QSIZE : NVME_AQ_DEPTH;
	if (recv_size > max)
		return nvo_rdma_reject(cm_id, NVME_RDMA_CM_INVALID_HSQSIZE);
	if (!le16_to_cpu(req->hrqsize))
		return nvo_rdma_reject(cm_id, NVME_RDMA_CM_INVALID_HRQSIZE);

	dev = nvo_rdma_dev_get(cm_id->device);
	if (!dev)
		return nvo_rdma_reject(cm_id, NVME_RDMA_CM_NO_RSC);
	queue = nvo_rdma_queue_alloc(port, dev, cm_id, qid, recv_size);
	if (IS_ERR(queue))
		return nvo_rdma_reject(cm_id, NVME_RDMA_CM_NO_RSC);
	/* The device it may move to goes: it comes back live (live.c). */
	INIT_WORK(&queue->give_back_work, nvo_rdma_give_back_work);
	/* An I/O queue goes to the port's device if it takes it, or is ours. */
	if (!qid || !nvo_rdma_offload_connect(queue, &event->param.conn)) {
		ret = nvo_rdma_queue_software(queue);
		if (ret) {
			queue->cm_id = NULL;	/* rdma_cm destroys it */
			nvo_rdma_queue_free(queue);
			return nvo_rdma_reject(cm_id, NVME_RDMA_CM_NO_RSC);
		}
	}
	/* Its events find the queue from here (cm_handler). */
	cm_id->context = queue;

	rep.recfmt = cpu_to_le16(NVME_RDMA_CM_FMT_1_0);
	rep.crqsize = cpu_to_le16(recv_size);
	param.rnr_retry_count = 7;
	param.flow_control = 1;
	param.initiator_depth = min_t(u8, event->param.conn.initiator_depth,
				      cm_id->device->attrs.max_qp_init_rd_atom);
	queue->rq.initiator_depth = param.initiator_depth;
	param.private_data = &rep;
	param.private_data_len = sizeof(rep);
	/*
	 * On the list from here: only its release frees the queue and its id,
	 * whoever ends it (a receive error can, before rdma_accept returns).
	 */
	mutex_lock(&nvo_rdma_queues_lock);
	list_add_tail(&queue->entry, &nvo_rdma_queues);
	mutex_unlock(&nvo_rdma_queues_lock);
	ret = rdma_accept(cm_id, &param);
	if (ret) {
		pr_warn_ratelimited("port %u: rdma_accept: %d\n",
				    nvo_nport_id(port->nport), ret);
		nvo_rdma_queue_kill(queue);
	}
	return 0;
}

/*
 * The device under @cm_id went: if it is @port's listener, it is dropped
 * (1: the core destroys it) and listened for again later. Under the port's
 * lock, so that remove_port neither destroys it too nor frees the port
 * under us.
 */
static int nvo_rdma_listener_removed(struct nvo_rdma_port *port,
				     struct rdma_cm_id *cm_id)
{
	int ret = 0;

	mutex_lock(&port->lock);
	if (port->cm_id == cm_id) {
		port->cm_id = NULL;
		if (!port->removed)
			schedule_delayed_work(&port->relisten,
					      msecs_to_jiffies(NVO_RDMA_RELISTEN_MS));
		pr_warn("port %u: RDMA device removed, not listening until %pISpc has a device again\n",
			nvo_nport_id(port->nport), &port->addr);
		ret = 1;
	} else if (port->listening) {
		/* An id being set up to listen: its owner ends it. */
		port->listen_lost = true;
	}
	mutex_unlock(&port->lock);
	return ret;
}

static int nvo_rdma_cm_handler(struct rdma_cm_id *cm_id,
			       struct rdma_cm_event *event)
{
	enum nvo_rdma_id_kind *kind = cm_id->context;
	struct nvo_rdma_queue *queue = NULL;
	struct nvo_rdma_port *port;

	/* A queue's id points at its queue; a listener's and a request's not. */
	if (*kind == NVO_RDMA_ID_QUEUE)
		queue = container_of(kind, struct nvo_rdma_queue, kind);

	switch (event->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return nvo_rdma_connect(cm_id, event);
	case RDMA_CM_EVENT_ESTABLISHED:
		if (queue)
			nvo_rdma_queue_established(queue);
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* Queues on the device went in our ib_client's remove. */
		if (queue)
			break;
		port = cm_id->context;
		/* The listener: non-zero makes the core destroy it. */
		return nvo_rdma_listener_removed(port, cm_id);
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		if (queue)
			nvo_rdma_queue_kill(queue);
		break;
	default:
		pr_debug("rdma_cm event %s (%d)\n", rdma_event_msg(event->event),
			 event->event);
		break;
	}
	return 0;
}

/* A new id listening on @port's address, in *@out; destroyed on failure. */
static int nvo_rdma_listen(struct nvo_rdma_port *port,
			   struct rdma_cm_id **out)
{
	struct rdma_cm_id *cm_id;
	int ret;

	cm_id = rdma_create_id(&init_net, nvo_rdma_cm_handler, port,
			       RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(cm_id))
		return PTR_ERR(cm_id);
	/* An IPv6 listener takes IPv6 only: IPv4 has its own port. */
	if (port->addr.ss_family == AF_INET6) {
		ret = rdma_set_afonly(cm_id, 1);
		if (ret)
			goto err;
	}
	ret = rdma_bind_addr(cm_id, (struct sockaddr *)&port->addr);
	if (ret)
		goto err;
	ret = rdma_listen(cm_id, NVO_RDMA_BACKLOG);
	if (ret)
		goto err;
	*out = cm_id;
	return 0;
err:
	rdma_destroy_id(cm_id);
	return ret;
}

/*
 * Listen, and publish the id as the port's listener unless its device went
 * while it was set up (the handler then only marks it: rdma_cm waits for
 * us to destroy it) or the port is being removed. No rdma_cm call is made
 * under the port's lock, which the handler takes under rdma_cm's own.
 */
static int nvo_rdma_start_listening(struct nvo_rdma_port *port)
{
	struct rdma_cm_id *cm_id = NULL;
	int ret;

	mutex_lock(&port->lock);
	port->listening = true;
	port->listen_lost = false;
	mutex_unlock(&port->lock);
	ret = nvo_rdma_listen(port, &cm_id);
	mutex_lock(&port->lock);
	port->listening = false;
	if (!ret && (port->removed || port->listen_lost)) {
		ret = -ENODEV;
	} else if (!ret) {
		port->cm_id = cm_id;
		cm_id = NULL;
	}
	mutex_unlock(&port->lock);
	if (cm_id)
		rdma_destroy_id(cm_id);
	return ret;
}

static void nvo_rdma_relisten(struct work_struct *w)
{
	struct nvo_rdma_port *port = container_of(to_delayed_work(w),
						  struct nvo_rdma_port,
						  relisten);
	bool skip;

	mutex_lock(&port->lock);
	skip = port->removed || port->cm_id;
	mutex_unlock(&port->lock);
	if (skip)
		return;
	if (!nvo_rdma_start_listening(port)) {
		pr_info("port %u: listening again on %pISpcs\n",
			nvo_nport_id(port->nport), &port->addr);
		return;
	}
	mutex_lock(&port->lock);
	if (!port->removed)
		schedule_delayed_work(&port->relisten,
				      msecs_to_jiffies(NVO_RDMA_RELISTEN_MS));
	mutex_unlock(&port->lock);
}

int nvo_rdma_add_port(struct nvmet_port *nport)
{
	struct nvo_rdma_port *port;
	int ret;

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	port->kind = NVO_RDMA_ID_PORT;
	port->nport = nport;
	port->mdts = NVO_RDMA_MDTS;
	port->max_qsize = NVO_RDMA_MAX_QSIZE;
	mutex_init(&port->lock);
	INIT_DELAYED_WORK(&port->relisten, nvo_rdma_relisten);
	ret = nvo_nport_sockaddr(nport, &port->addr);
	if (ret)
		goto err;
	nvo_nport_set_inline(nport, NVO_RDMA_DEF_INLINE, NVO_RDMA_MAX_INLINE);
	if (nport->pi_enable) {
		pr_warn("port %u: protection information is not supported, off\n",
			nvo_nport_id(nport));
		nport->pi_enable = false;
	}
	ret = nvo_rdma_start_listening(port);
	if (ret) {
		pr_err("port %u: cannot listen on %pISpcs: %d\n",
		       nvo_nport_id(nport), &port->addr, ret);
		goto err;
	}
	nport->priv = port;
	mutex_lock(&nvo_rdma_ports_lock);
	list_add_tail(&port->entry, &nvo_rdma_ports);
	mutex_unlock(&nvo_rdma_ports_lock);
	pr_info("port %u: listening on %pISpcs\n", nvo_nport_id(nport),
		&port->addr);
	return 0;
err:
	kfree(port);
	return ret;
}

void nvo_rdma_remove_port(struct nvmet_port *nport)
{
	struct nvo_rdma_port *port = nport->priv;
	struct rdma_cm_id *cm_id;

	mutex_lock(&nvo_rdma_ports_lock);
	list_del(&port->entry);
	/* configfs keeps the port's setting for its next enable */
	if (port->limited)
		WRITE_ONCE(nport->inline_data_size, port->stock_inline);
	mutex_unlock(&nvo_rdma_ports_lock);
	mutex_lock(&port->lock);
	port->removed = true;
	cm_id = port->cm_id;
	port->cm_id = NULL;
	mutex_unlock(&port->lock);
	cancel_delayed_work_sync(&port->relisten);
	/* Waits for the handlers of the listener and its requests. */
	if (cm_id)
		rdma_destroy_id(cm_id);
	nvo_rdma_kill_matching(NULL, nport, NULL);
	nvo_peer_port_removed(nvo_nport_id(nport));
	WRITE_ONCE(nport->priv, NULL);
	pr_info("port %u: removed\n", nvo_nport_id(nport));
	kfree_rcu(port, rcu);
}

void nvo_rdma_visit_ports(nvo_peer_port_fn fn, void *arg)
{
	struct nvo_rdma_port *port;

	mutex_lock(&nvo_rdma_ports_lock);
	list_for_each_entry(port, &nvo_rdma_ports, entry)
		fn(port->nport, arg);
	mutex_unlock(&nvo_rdma_ports_lock);
}

/*
 * A device bound to port @portid (its RDMA capabilities; NULL: none):
 * the MDTS, in-capsule size and queue size the port advertises follow it
 * from the next controller on. The in-capsule size is the port's: the
 * receive buffers of our queues and the device's are sized from it.
 */
void nvo_rdma_port_limits(u16 portid, const struct nvo_tr_caps *caps)
{
	struct nvo_rdma_port *port;
	struct nvmet_port *nport;

	mutex_lock(&nvo_rdma_ports_lock);
	list_for_each_entry(port, &nvo_rdma_ports, entry) {
		nport = port->nport;
		if (nvo_nport_id(nport) != portid)
			continue;
		if (!port->limited && caps) {
			port->stock_inline = nport->inline_data_size;
			port->limited = true;
		}
		if (!caps) {
			if (port->limited)
				WRITE_ONCE(nport->inline_data_size,
					   port->stock_inline);
			port->limited = false;
			WRITE_ONCE(port->mdts, NVO_RDMA_MDTS);
			WRITE_ONCE(port->max_qsize, NVO_RDMA_MAX_QSIZE);
			break;
		}
		/* 0 bytes: no limit of the device's, ours then */
		WRITE_ONCE(port->mdts,
			   nvo_mdts_of(caps->max_io_size ?: NVO_RDMA_MAX_XFER,
				       NVO_RDMA_MDTS));
		/* nvmet holds the admin queue's Connect to MQES too (6.1) */
		WRITE_ONCE(port->max_qsize,
			   clamp_t(u32, caps->max_queue_depth, NVME_AQ_DEPTH,
				   NVO_RDMA_MAX_QSIZE));
		WRITE_ONCE(nport->inline_data_size,
			   min_t(int, port->stock_inline, caps->max_inline));
		break;
	}
	mutex_unlock(&nvo_rdma_ports_lock);
}

void nvo_rdma_disc_traddr(struct nvmet_req *req, struct nvmet_port *nport,
			  char *traddr)
{
	struct nvo_rdma_cmd *cmd = container_of(req, struct nvo_rdma_cmd, req);
	struct nvo_rdma_port *port = nport->priv;
	struct sockaddr *local;

	if (!port) {
		memcpy(traddr, nport->disc_addr.traddr, NVMF_TRADDR_SIZE);
		return;
	}
	local = (struct sockaddr *)&cmd->queue->cm_id->route.addr.src_addr;
	nvo_nport_disc_traddr(nport, &port->addr, local, traddr);
}
