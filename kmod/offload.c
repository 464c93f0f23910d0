// SPDX-License-Identifier: GPL-2.0
/*
 * The offload manager: the registry of offload devices and each port's
 * offload policy, which netlink and debugfs set. The per-queue hand-over
 * itself lives in handover.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "compat.h"
#include "events.h"
#include "nport.h"
#include "observe.h"
#include "peer.h"
#include "transport.h"

/* How often an unregister still waiting for its queues says so. */
#define NVO_UNREGISTER_WARN_SECS	30

/*
 * nvo_offload_mutex guards the device and port lists and port policies
 * (peer transports' are peer_offload.c's, under their own lock below it).
 */
static DEFINE_MUTEX(nvo_offload_mutex);
static LIST_HEAD(nvo_dev_list);
static LIST_HEAD(nvo_port_list);
static DEFINE_IDA(nvo_dev_ida);

static struct nvo_offload_dev *nvo_dev_find(const char *name)
{
	struct nvo_offload_dev *dev;

	list_for_each_entry(dev, &nvo_dev_list, entry)
		if (!strcmp(dev->name, name))
			return dev;
	return NULL;
}

/*
 * A host must never be stricter with the admin queue than nvmet's own
 * admin queue depth: on 6.1 nvmet checks the admin queue's Connect against
 * MQES too.
 */
#define NVO_MIN_QUEUE_SIZE	NVME_AQ_DEPTH

/* What a port advertises with no device bound: the software path's. */
void nvo_port_limits_init(struct nvo_port *port)
{
	struct nvo_port_limits *lim = &port->lim;

	lim->bound = false;
	lim->mdts = NVO_MDTS_SHIFT;
	lim->max_queue_size = NVO_NVMET_QUEUE_SIZE;
	lim->min_depth = 1;
	lim->max_depth = NVO_NVMET_QUEUE_SIZE;
	lim->max_inline = NVO_MAX_INLINE;
	lim->max_h2c_data = 0;
	lim->hdgst = true;
	lim->ddgst = true;
}

/*
 * Under nvo_offload_mutex: the port advertises what @dev honours (NULL:
 * the stock values), read from its capabilities now, once. New controllers
 * see the MDTS, queue size and in-capsule size (nvmet reads the port's
 * inline_data_size at each Identify, our queues at Connect), new
 * connections the MAXH2CDATA; nvmet's own clamps still apply.
 */
static void nvo_port_bind_limits(struct nvo_port *port,
				 struct nvo_offload_dev *dev)
{
	struct nvmet_port *nport = port->nport;
	struct nvo_port_limits *lim = &port->lim;
	const struct nvo_tr_caps *tr;

	if (!lim->bound)
		port->stock_inline = nport->inline_data_size;
	if (!dev) {
		WRITE_ONCE(nport->inline_data_size, port->stock_inline);
		nvo_port_limits_init(port);
		return;
	}
	tr = &dev->caps.tr[NVO_TR_TCP];
	WRITE_ONCE(lim->mdts, nvo_mdts_of(min_t(u32, tr->max_io_size,
						NVO_MAX_XFER), NVO_MDTS_SHIFT));
	WRITE_ONCE(lim->max_queue_size,
		   clamp_t(u32, tr->max_queue_depth, NVO_MIN_QUEUE_SIZE,
			   NVO_NVMET_QUEUE_SIZE));
	lim->min_depth = tr->min_queue_depth;
	lim->max_depth = tr->max_queue_depth;
	lim->max_inline = tr->max_inline;
	WRITE_ONCE(lim->max_h2c_data, tr->tcp.max_h2c_data);
	lim->hdgst = tr->tcp.hdgst;
	lim->ddgst = tr->tcp.ddgst;
	lim->bound = true;
	WRITE_ONCE(nport->inline_data_size,
		   min_t(int, port->stock_inline, tr->max_inline));
}

/*
 * Why the device bound to @queue's port cannot take it, as the event that
 * counts it, or NVO_EV_NR when it can. Settled from what the queue
 * negotiated (ICReq, Connect), before anything is drained.
 */
static enum nvo_event nvo_admit(struct nvo_queue *queue)
{
	const struct nvo_port_limits *lim = &queue->port->lim;
	const struct nvo_conn_params *p = &queue->stream.params;
	u16 depth = queue->nvme_sq.size;

	if (!lim->bound)
		return NVO_EV_NR;
	if (depth < lim->min_depth || depth > lim->max_depth)
		return NVO_EV_ADMIT_DEPTH_EVENTS;
	if ((p->hdgst && !lim->hdgst) || (p->ddgst && !lim->ddgst))
		return NVO_EV_ADMIT_DIGEST_EVENTS;
	if (queue->stream.inline_limit > lim->max_inline ||
	    (lim->max_h2c_data && p->maxh2cdata > lim->max_h2c_data))
		return NVO_EV_ADMIT_LIMIT_EVENTS;
	return NVO_EV_NR;
}

static const char *const nvo_admit_names[] = {
	[NVO_EV_ADMIT_DEPTH_EVENTS]	= "depth",
	[NVO_EV_ADMIT_DIGEST_EVENTS]	= "digest",
	[NVO_EV_ADMIT_LIMIT_EVENTS]	= "in-capsule or H2CData size",
};

/*
 * Under nvo_offload_mutex: ask for @queue on @dev, unless admission keeps
 * it in software, which is counted on the queue (its port) and the device:
 * -EOPNOTSUPP then.
 */
static int nvo_offer(struct nvo_queue *queue, struct nvo_offload_dev *dev)
{
	enum nvo_event why = nvo_admit(queue);
	u64 *ev;

	if (READ_ONCE(dev->failed))
		return -EIO;
	if (why == NVO_EV_NR)
		return nvo_queue_request_offload(queue, dev);
	ev = (u64 *)&queue->events + why;
	spin_lock_bh(&queue->state_lock);
	WRITE_ONCE(*ev, *ev + 1);
	spin_unlock_bh(&queue->state_lock);
	nvo_counters_dev_event(dev, why);
	pr_info_ratelimited("queue %d: stays in software, %s cannot take it: %s\n",
			    queue->idx, dev->name, nvo_admit_names[why]);
	return -EOPNOTSUPP;
}

/* Under nvo_offload_mutex: no port keeps @dev, nor advertises its limits. */
static void nvo_unbind_dev_ports(struct nvo_offload_dev *dev)
{
	struct nvo_port *port;

	list_for_each_entry(port, &nvo_port_list, entry) {
		if (port->odev != dev && port->bound != dev)
			continue;
		port->odev = NULL;
		port->bound = NULL;
		nvo_port_bind_limits(port, NULL);
		nvo_event_port(port);
	}
}

int nvo_offload_register(struct nvo_offload_dev *dev)
{
	int ret;

	if (!dev->ops || !dev->ops->queue_offload || !dev->ops->queue_reclaim ||
	    !dev->ops->punt_done || !dev->name[0])
		return -EINVAL;
	/* A device polling a lent CQ must be woken by its handler. */
	if (!!dev->ops->rdma_take != !!dev->ops->rdma_cq_wake)
		return -EINVAL;
	if (NVO_API_MAJOR(dev->api_version) != NVO_API_MAJOR(NVO_API_V2) ||
	    !dev->caps.size || dev->caps.size > sizeof(dev->caps)) {
		pr_err("offload device %s: driver API %#x, caps size %u: this shim speaks %#x, caps size %zu\n",
		       dev->name, dev->api_version, dev->caps.size, NVO_API_V2,
		       sizeof(dev->caps));
		return -EPROTO;
	}

	mutex_lock(&nvo_offload_mutex);
	if (nvo_dev_find(dev->name)) {
		ret = -EEXIST;
		goto out;
	}
	/* Never 0: netlink's port-set takes dev-id 0 for "none". */
	ret = ida_alloc_min(&nvo_dev_ida, 1, GFP_KERNEL);
	if (ret < 0)
		goto out;
	dev->id = ret;
	dev->acct = kzalloc(sizeof(*dev->acct), GFP_KERNEL);
	if (!dev->acct) {
		ida_free(&nvo_dev_ida, dev->id);
		ret = -ENOMEM;
		goto out;
	}
	nvo_counters_acct_init(dev->acct);
	atomic_set(&dev->nr_queues, 0);
	list_add_tail(&dev->entry, &nvo_dev_list);
	nvo_event_dev(dev, NVO_DEV_ADDED);
	ret = 0;
	pr_info("offload device %s registered (id %u)\n", dev->name, dev->id);
out:
	mutex_unlock(&nvo_offload_mutex);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_register, NVO_NS);

static void nvo_reclaim_if_on_dev(struct nvo_queue *queue, void *arg)
{
	struct nvo_offload_dev *dev = arg;

	if (READ_ONCE(queue->oq.dev) == dev)
		nvo_queue_request_reclaim(queue, NVO_FALLBACK_DEV_REMOVED);
}

void nvo_offload_unregister(struct nvo_offload_dev *dev)
{
	/* No port hands it new queues... */
	mutex_lock(&nvo_offload_mutex);
	nvo_unbind_dev_ports(dev);
	nvo_peer_binds_dev_gone(dev);
	list_del_init(&dev->entry);
	mutex_unlock(&nvo_offload_mutex);

	/* ...and every queue it has comes back to software. */
	nvo_visit_queues(nvo_reclaim_if_on_dev, dev);
	/* A peer's queues it took at connect end with their connections. */
	nvo_peer_dev_gone(dev);
	/*
	 * The driver's module cannot go before its queues are back or killed:
	 * a reclaim's deadline and the kill bound the wait, but say so while
	 * it lasts, so that a stuck driver shows up in the log instead of as
	 * a silently hung rmmod.
	 */
	while (!wait_var_event_timeout(&dev->nr_queues,
				       !atomic_read(&dev->nr_queues),
				       NVO_UNREGISTER_WARN_SECS * HZ))
		pr_warn("offload device %s: unregister still waits for %d queue(s) to come back\n",
			dev->name, atomic_read(&dev->nr_queues));

	nvo_event_dev(dev, NVO_DEV_REMOVED);
	ida_free(&nvo_dev_ida, dev->id);
	kfree(dev->acct);
	dev->acct = NULL;
	pr_info("offload device %s unregistered\n", dev->name);
}
EXPORT_SYMBOL_NS_GPL(nvo_offload_unregister, NVO_NS);

static void nvo_kill_if_on_dev(struct nvo_queue *queue, void *arg)
{
	if (READ_ONCE(queue->oq.dev) == arg)
		nvo_queue_killed(queue);
}

/*
 * @dev answered no kill in time: it is failed. No port keeps it (nor its
 * limits), and every queue it holds is cut and counted out of it; the
 * driver still answers for them (include/linux/nvmet_offload.h).
 */
static void nvo_dev_fail(struct nvo_offload_dev *dev)
{
	mutex_lock(&nvo_offload_mutex);
	if (!dev->failed) {
		WRITE_ONCE(dev->failed, true);
		pr_err("offload device %s failed: a queue's kill went unanswered for %u ms; unbound from its ports, its queues cut\n",
		       dev->name, READ_ONCE(nvo_kill_timeout_ms));
		nvo_event_dev(dev, NVO_DEV_FAILED);
		nvo_unbind_dev_ports(dev);
		nvo_peer_binds_dev_gone(dev);
	}
	nvo_visit_queues(nvo_kill_if_on_dev, dev);
	mutex_unlock(&nvo_offload_mutex);
	nvo_peer_dev_gone(dev);
	/* Its namespace tables: no more calls, the device may go first. */
	nvo_ns_tables_dev_failed(dev);
}

void nvo_peer_dev_fail(struct nvo_offload_dev *dev)
{
	nvo_dev_fail(dev);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_dev_fail, NVO_NS);

/*
 * A reclaim's deadline passed (reclaim_dwork, armed when handover.c asked
 * for the queue back): kill the queue, and at the kill's deadline fail the
 * device. Either may find the queue answered already.
 */
void nvo_reclaim_timeout_work(struct work_struct *w)
{
	struct nvo_queue *queue = container_of(to_delayed_work(w),
					       struct nvo_queue, reclaim_dwork);
	struct nvo_offload_dev *dev;
	u8 stage;

	spin_lock_bh(&queue->state_lock);
	dev = queue->oq.dev;
	if (queue->ostate != NVO_OQ_RECLAIMING || !dev || queue->killed) {
		spin_unlock_bh(&queue->state_lock);
		return;
	}
	stage = ++queue->reclaim_stage;
	/* Pins the device: an unregister waits for this as for a queue. */
	atomic_inc(&dev->nr_queues);
	spin_unlock_bh(&queue->state_lock);

	if (stage == NVO_RECLAIM_KILLING && dev->ops->queue_kill) {
		pr_warn("queue %d: %s missed the reclaim deadline (%u ms): killing it\n",
			queue->idx, dev->name, READ_ONCE(nvo_reclaim_timeout_ms));
		mod_delayed_work(nvo_io_wq, &queue->reclaim_dwork,
				 msecs_to_jiffies(READ_ONCE(nvo_kill_timeout_ms)));
		dev->ops->queue_kill(&queue->oq);
	} else {
		nvo_dev_fail(dev);
	}
	if (atomic_dec_and_test(&dev->nr_queues))
		wake_up_var(&dev->nr_queues);
}

void nvo_offload_port_added(struct nvo_port *port)
{
	mutex_lock(&nvo_offload_mutex);
	list_add_tail(&port->entry, &nvo_port_list);
	mutex_unlock(&nvo_offload_mutex);
}

void nvo_offload_port_removed(struct nvo_port *port)
{
	mutex_lock(&nvo_offload_mutex);
	list_del_init(&port->entry);
	port->odev = NULL;
	port->bound = NULL;
	/* configfs keeps the port's setting for its next enable */
	nvo_port_bind_limits(port, NULL);
	mutex_unlock(&nvo_offload_mutex);
}

/* A new I/O queue goes to its port's device, if the port has one. */
void nvo_offload_offer_queue(struct nvo_queue *queue)
{
	mutex_lock(&nvo_offload_mutex);
	if (queue->port->odev)
		nvo_offer(queue, queue->port->odev);
	mutex_unlock(&nvo_offload_mutex);
}

static void nvo_port_queue_apply(struct nvo_queue *queue, void *arg)
{
	struct nvo_port *port = arg;

	if (queue->port != port || !queue->nvme_sq.qid || !queue->cmds)
		return;
	if (port->odev)
		nvo_offer(queue, port->odev);
	else
		nvo_queue_request_reclaim(queue, NVO_FALLBACK_NONE);
}

static struct nvo_port *nvo_port_find(u16 portid)
{
	struct nvo_port *port;

	list_for_each_entry(port, &nvo_port_list, entry)
		if (nvo_port_id(port) == portid)
			return port;
	return NULL;
}

/*
 * Under nvo_offload_mutex: @dev bound to @port (NULL: none) and the policy
 * @on (then with @dev), one notification if anything changed, and the
 * port's live queues moved to match (a policy set again offers the queues
 * that fell back to software once more).
 */
static void nvo_port_apply(struct nvo_port *port, struct nvo_offload_dev *dev,
			   bool on)
{
	struct nvo_offload_dev *odev = on ? dev : NULL;
	bool changed = port->bound != dev || port->odev != odev;

	port->bound = dev;
	port->odev = odev;
	/* Read at each bind: a device's changed limits apply from here. */
	nvo_port_bind_limits(port, dev);
	if (changed)
		nvo_event_port(port);
	nvo_visit_queues(nvo_port_queue_apply, port);
	if (changed)
		pr_info("port %u: offload %s, device %s\n",
			nvo_port_id(port),
			on ? "on" : "off", dev ? dev->name : "none");
}

/*
 * Bind @devname (NULL: none) to a port and set its policy, in one step:
 * -EBUSY while the policy is on with another device and stays on.
 */
int nvo_port_set(u16 portid, const char *devname, bool on)
{
	struct nvo_offload_dev *dev = NULL;
	struct nvo_port *port;
	int ret = 0;

	mutex_lock(&nvo_offload_mutex);
	if (devname) {
		dev = nvo_dev_find(devname);
		if (!dev) {
			ret = -ENODEV;
			goto out;
		}
	}
	port = nvo_port_find(portid);
	if (!port) {
		/* Not NVMe/TCP: a peer transport's, or -ENOENT. */
		ret = nvo_peer_port_set(portid, dev, on, false);
		goto out;
	}
	if (on && !dev)
		ret = -EINVAL;
	else if (dev && !dev->caps.tr[NVO_TR_TCP].take)
		ret = -EOPNOTSUPP;	/* it takes no NVMe/TCP queue */
	else if (on && port->odev && port->odev != dev)
		ret = -EBUSY;
	else
		nvo_port_apply(port, dev, on);
out:
	mutex_unlock(&nvo_offload_mutex);
	return ret;
}

/* "PORTID on DEVICE" or "PORTID off" (the device stays bound). */
int nvo_port_policy_set(u16 portid, const char *devname)
{
	struct nvo_offload_dev *dev = NULL;
	struct nvo_port *port;
	int ret;

	mutex_lock(&nvo_offload_mutex);
	if (devname) {
		dev = nvo_dev_find(devname);
		if (!dev) {
			mutex_unlock(&nvo_offload_mutex);
			return -ENODEV;
		}
	}
	port = nvo_port_find(portid);
	if (!port) {
		ret = nvo_peer_port_set(portid, dev, !!dev, true);
		mutex_unlock(&nvo_offload_mutex);
		return ret;
	}
	if (dev) {
		if (!dev->caps.tr[NVO_TR_TCP].take) {
			mutex_unlock(&nvo_offload_mutex);
			return -EOPNOTSUPP;
		}
	}
	/* On names its device, even a different one: debugfs moves ports. */
	nvo_port_apply(port, dev ?: port->bound, !!dev);
	mutex_unlock(&nvo_offload_mutex);
	return 0;
}

struct nvo_queue_toggle {
	int idx;
	bool on;
	int ret;
};

static void nvo_queue_toggle_one(struct nvo_queue *queue, void *arg)
{
	struct nvo_queue_toggle *t = arg;
	struct nvo_offload_dev *dev;

	if (queue->idx != t->idx)
		return;
	if (!t->on) {
		t->ret = nvo_queue_request_reclaim(queue, NVO_FALLBACK_NONE);
		return;
	}
	dev = queue->port->odev;
	if (!dev) {
		t->ret = -ENODEV;	/* the port has no device bound */
		return;
	}
	t->ret = nvo_offer(queue, dev);
}

/* Offload (@on) or reclaim one queue, by index. */
int nvo_queue_offload_set(int idx, bool on)
{
	struct nvo_queue_toggle t = { .idx = idx, .on = on, .ret = -ENOENT };

	mutex_lock(&nvo_offload_mutex);
	nvo_visit_queues(nvo_queue_toggle_one, &t);
	mutex_unlock(&nvo_offload_mutex);
	return t.ret;
}

void nvo_visit_devices(nvo_dev_visit_t fn, void *arg)
{
	struct nvo_offload_dev *dev;

	mutex_lock(&nvo_offload_mutex);
	list_for_each_entry(dev, &nvo_dev_list, entry)
		fn(dev, arg);
	mutex_unlock(&nvo_offload_mutex);
}

void nvo_visit_ports(nvo_port_visit_t fn, void *arg)
{
	struct nvo_port *port;

	mutex_lock(&nvo_offload_mutex);
	list_for_each_entry(port, &nvo_port_list, entry)
		fn(port, arg);
	mutex_unlock(&nvo_offload_mutex);
}

void nvo_offload_exit(void)
{
	/* Devices hold a reference on us through their symbols: none left. */
	nvo_peer_binds_exit();
	ida_destroy(&nvo_dev_ida);
}
