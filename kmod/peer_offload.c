// SPDX-License-Identifier: GPL-2.0
/*
 * Offload at connect for peer transports (peer.h): a peer's port bound to
 * a device with a policy, kept here because the core's port-set and
 * netlink name ports by id whatever their transport, and the admission of
 * each new I/O queue, settled before the host's connection is accepted.
 * A queue a device took at connect stays with it until its connection
 * ends (its QP is the device's), so turning a port's policy off leaves it
 * where it is; a queue served in software moves live to the bound device,
 * whatever the policy, and back, on queue-set (nvo_peer_live_dev()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "compat.h"
#include "nport.h"
#include "peer.h"
#include "transport.h"

/* A peer's port with a device bound; under nvo_peer_binds_lock. */
struct nvo_peer_bind {
	struct list_head	entry;
	u16			portid;
	struct nvo_offload_dev	*dev;
	bool			on;
	enum nvo_trtype		tr;
};

static LIST_HEAD(nvo_peer_binds);
/*
 * Guards nvo_peer_binds; below nvo_offload_mutex (port-set and unregister
 * hold it when they come here), and alone at a connect's admission.
 */
static DEFINE_MUTEX(nvo_peer_binds_lock);

static struct nvo_peer_bind *nvo_peer_bind_find(u16 portid)
{
	struct nvo_peer_bind *b;

	list_for_each_entry(b, &nvo_peer_binds, entry)
		if (b->portid == portid)
			return b;
	return NULL;
}

struct nvo_peer_port_find {
	u16	portid;
	bool	found;
	u8	trtype;		/* NVMF_TRTYPE_* */
};

static void nvo_peer_port_match(const struct nvmet_port *nport, void *arg)
{
	struct nvo_peer_port_find *f = arg;

	if (nvo_nport_id(nport) != f->portid)
		return;
	f->found = true;
	f->trtype = nport->disc_addr.trtype;
}

static void nvo_peer_bind_drop(struct nvo_peer_bind *b)
{
	list_del(&b->entry);
	kfree(b);
}

static bool nvo_peer_takes_at_connect(const struct nvo_offload_dev *dev,
				      enum nvo_trtype tr)
{
	return (dev->caps.tr[tr].take & NVO_TAKE_AT_CONNECT) &&
	       dev->ops->rdma_accept;
}

static bool nvo_peer_takes_live(const struct nvo_offload_dev *dev,
				enum nvo_trtype tr)
{
	u32 live = NVO_TAKE_LIVE | NVO_GIVE_LIVE;

	return (dev->caps.tr[tr].take & live) == live && dev->ops->rdma_take;
}

/* nvo_peer_port_set()'s step under nvo_peer_binds_lock. */
static int nvo_peer_bind_apply(u16 portid, enum nvo_trtype tr,
			       struct nvo_offload_dev *dev, bool on,
			       bool keep_bound)
{
	struct nvo_peer_bind *b;

	b = nvo_peer_bind_find(portid);
	if (!dev && keep_bound && b)
		dev = b->dev;
	if (on && !dev)
		return -EINVAL;
	if (dev && !nvo_peer_takes_at_connect(dev, tr) &&
	    !nvo_peer_takes_live(dev, tr))
		return -EOPNOTSUPP;
	if (on && b && b->on && b->dev != dev)
		return -EBUSY;
	if (!dev) {
		if (b) {
			nvo_peer_bind_drop(b);
			nvo_peer_port_limits(portid, NULL);
			pr_info("port %u: offload off, device none\n", portid);
		}
		return 0;
	}
	if (!b) {
		b = kzalloc(sizeof(*b), GFP_KERNEL);
		if (!b)
			return -ENOMEM;
		b->portid = portid;
		b->tr = tr;
		list_add_tail(&b->entry, &nvo_peer_binds);
	}
	if (b->dev != dev || b->on != on)
		pr_info("port %u: offload %s, device %s\n",
			portid, on ? "on" : "off", dev->name);
	b->dev = dev;
	b->on = on;
	/* Read at each bind: a device's changed limits apply from here. */
	nvo_peer_port_limits(portid, &dev->caps.tr[tr]);
	return 0;
}

/*
 * Under nvo_offload_mutex, for port-set on a port that is not NVMe/TCP:
 * bind @dev (NULL: unbind, or with @keep_bound keep the device bound) and
 * set the policy @on. -ENOENT when no peer has the port, -EOPNOTSUPP when
 * the device takes none of its transport's queues at connect.
 */
int nvo_peer_port_set(u16 portid, struct nvo_offload_dev *dev, bool on,
		      bool keep_bound)
{
	struct nvo_peer_port_find f = { .portid = portid };
	enum nvo_trtype tr;
	int ret;

	nvo_visit_peer_ports(nvo_peer_port_match, &f);
	if (!f.found)
		return -ENOENT;
	if (f.trtype != NVMF_TRTYPE_RDMA)
		return -EOPNOTSUPP;
	tr = NVO_TR_RDMA;
	mutex_lock(&nvo_peer_binds_lock);
	ret = nvo_peer_bind_apply(portid, tr, dev, on, keep_bound);
	mutex_unlock(&nvo_peer_binds_lock);
	return ret;
}

/* @dev goes or failed: no port keeps it, no queue is admitted to it. */
void nvo_peer_binds_dev_gone(struct nvo_offload_dev *dev)
{
	struct nvo_peer_bind *b, *tmp;

	mutex_lock(&nvo_peer_binds_lock);
	list_for_each_entry_safe(b, tmp, &nvo_peer_binds, entry) {
		if (b->dev != dev)
			continue;
		nvo_peer_port_limits(b->portid, NULL);
		nvo_peer_bind_drop(b);
	}
	mutex_unlock(&nvo_peer_binds_lock);
}

void nvo_peer_port_removed(u16 portid)
{
	struct nvo_peer_bind *b;

	mutex_lock(&nvo_peer_binds_lock);
	b = nvo_peer_bind_find(portid);
	if (b)
		nvo_peer_bind_drop(b);
	mutex_unlock(&nvo_peer_binds_lock);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_port_removed, NVO_NS);

/* For netlink's port snapshots (not under a peer's lock). */
void nvo_peer_bind_get(u16 portid, struct nvo_peer_bind_info *bi)
{
	struct nvo_peer_bind *b;

	memset(bi, 0, sizeof(*bi));
	mutex_lock(&nvo_peer_binds_lock);
	b = nvo_peer_bind_find(portid);
	if (b) {
		bi->on = b->on;
		bi->bound = true;
		bi->dev_id = b->dev->id;
		strscpy(bi->dev_name, b->dev->name, sizeof(bi->dev_name));
	}
	mutex_unlock(&nvo_peer_binds_lock);
}

static const char *nvo_peer_admit_check(struct nvo_offload_dev *dev,
					enum nvo_trtype tr, u16 depth,
					u32 inline_size, enum nvo_event *ev)
{
	const struct nvo_tr_caps *caps = &dev->caps.tr[tr];

	if (depth < caps->min_queue_depth || depth > caps->max_queue_depth) {
		*ev = NVO_EV_ADMIT_DEPTH_EVENTS;
		return "depth";
	}
	if (inline_size > caps->max_inline) {
		*ev = NVO_EV_ADMIT_LIMIT_EVENTS;
		return "in-capsule size";
	}
	return NULL;
}

/*
 * Under nvo_peer_binds_lock: @b's device if it can take a queue of @depth
 * entries and @inline_size in-capsule bytes, held (its unregister waits
 * for the queue's end); else NULL with the reason counted on the device.
 */
static struct nvo_offload_dev *nvo_peer_hold(struct nvo_peer_bind *b,
					     u16 depth, u32 inline_size)
{
	enum nvo_event ev;
	const char *why;

	why = nvo_peer_admit_check(b->dev, b->tr, depth, inline_size, &ev);
	if (why) {
		nvo_counters_dev_event(b->dev, ev);
		pr_info_ratelimited("port %u: a queue of depth %u stays in software, %s cannot take it: %s\n",
				    b->portid, depth, b->dev->name, why);
		return NULL;
	}
	atomic_inc(&b->dev->nr_queues);
	return b->dev;
}

struct nvo_offload_dev *nvo_peer_admit(u16 portid, enum nvo_trtype tr,
				       u16 depth, u32 inline_size)
{
	struct nvo_offload_dev *dev = NULL;
	struct nvo_peer_bind *b;

	mutex_lock(&nvo_peer_binds_lock);
	b = nvo_peer_bind_find(portid);
	if (b && b->on && b->tr == tr && !READ_ONCE(b->dev->failed) &&
	    nvo_peer_takes_at_connect(b->dev, tr))
		dev = nvo_peer_hold(b, depth, inline_size);
	mutex_unlock(&nvo_peer_binds_lock);
	return dev;
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_admit, NVO_NS);

struct nvo_offload_dev *nvo_peer_live_dev(u16 portid, enum nvo_trtype tr,
					  u16 depth, u32 inline_size,
					  int *err)
{
	struct nvo_offload_dev *dev = NULL;
	struct nvo_peer_bind *b;

	mutex_lock(&nvo_peer_binds_lock);
	b = nvo_peer_bind_find(portid);
	if (!b || b->tr != tr || READ_ONCE(b->dev->failed)) {
		*err = -ENODEV;
	} else if (!nvo_peer_takes_live(b->dev, tr)) {
		*err = -EOPNOTSUPP;
	} else {
		dev = nvo_peer_hold(b, depth, inline_size);
		*err = dev ? 0 : -EOPNOTSUPP;
	}
	mutex_unlock(&nvo_peer_binds_lock);
	return dev;
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_live_dev, NVO_NS);

/* Another hold on a device already held (a call into it may outlast one). */
void nvo_peer_dev_hold(struct nvo_offload_dev *dev)
{
	atomic_inc(&dev->nr_queues);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_dev_hold, NVO_NS);

void nvo_peer_dev_put(struct nvo_offload_dev *dev)
{
	if (atomic_dec_and_test(&dev->nr_queues))
		wake_up_var(&dev->nr_queues);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_dev_put, NVO_NS);

bool nvo_peer_dev_bound(u16 portid, struct nvo_offload_dev *dev)
{
	struct nvo_peer_bind *b;
	bool bound;

	mutex_lock(&nvo_peer_binds_lock);
	b = nvo_peer_bind_find(portid);
	bound = b && b->dev == dev && !READ_ONCE(dev->failed);
	mutex_unlock(&nvo_peer_binds_lock);
	return bound;
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_dev_bound, NVO_NS);

/* The device took the queue (its rdma_accept or rdma_take succeeded). */
void nvo_peer_offloaded(struct nvo_offload_dev *dev)
{
	nvo_counters_dev_event(dev, NVO_EV_OFFLOAD_EVENTS);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_offloaded, NVO_NS);

/*
 * The queue nvo_peer_admit() gave @dev is over (@taken: the device had
 * it; else it refused it): a fallback counted unless it ended as planned.
 */
void nvo_peer_offload_end(struct nvo_offload_dev *dev, bool taken,
			  enum nvo_fallback_reason reason,
			  const struct nvo_offload_stats *st)
{
	if (taken && st)
		nvo_counters_dev_fold(dev, st);
	if (!taken || reason != NVO_FALLBACK_NONE)
		nvo_counters_dev_event(dev, NVO_EV_FALLBACK_EVENTS);
	nvo_peer_dev_put(dev);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_offload_end, NVO_NS);

void nvo_peer_timeouts(u32 *reclaim_ms, u32 *kill_ms)
{
	*reclaim_ms = READ_ONCE(nvo_reclaim_timeout_ms);
	*kill_ms = READ_ONCE(nvo_kill_timeout_ms);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_timeouts, NVO_NS);

void nvo_peer_binds_exit(void)
{
	struct nvo_peer_bind *b, *tmp;

	mutex_lock(&nvo_peer_binds_lock);
	list_for_each_entry_safe(b, tmp, &nvo_peer_binds, entry)
		nvo_peer_bind_drop(b);
	mutex_unlock(&nvo_peer_binds_lock);
}
