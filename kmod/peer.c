// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of peer transports (peer.h): a peer's visits run under
 * nvo_peer_mutex, so that unregistering waits for the visit in progress
 * and no observer calls into a module that is going away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>

#include "compat.h"
#include "peer.h"
#include "queue.h"

static DEFINE_MUTEX(nvo_peer_mutex);
static const struct nvo_peer_ops *nvo_peer;

int nvo_peer_register(const struct nvo_peer_ops *ops)
{
	int ret = 0;

	mutex_lock(&nvo_peer_mutex);
	if (nvo_peer)
		ret = -EBUSY;
	else if (!ops->visit_ports || !ops->visit_queues || !ops->punt ||
		 !ops->ctrl || !ops->returned || !ops->dev_gone ||
		 !ops->port_limits)
		ret = -EINVAL;
	else
		WRITE_ONCE(nvo_peer, ops);
	mutex_unlock(&nvo_peer_mutex);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_register, NVO_NS);

void nvo_peer_unregister(const struct nvo_peer_ops *ops)
{
	mutex_lock(&nvo_peer_mutex);
	if (!WARN_ON_ONCE(nvo_peer != ops))
		WRITE_ONCE(nvo_peer, NULL);
	mutex_unlock(&nvo_peer_mutex);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_unregister, NVO_NS);

int nvo_peer_queue_id_get(void)
{
	return nvo_queue_id_get();
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_queue_id_get, NVO_NS);

void nvo_peer_queue_id_put(int id)
{
	nvo_queue_id_put(id);
}
EXPORT_SYMBOL_NS_GPL(nvo_peer_queue_id_put, NVO_NS);

void nvo_visit_peer_ports(nvo_peer_port_fn fn, void *arg)
{
	mutex_lock(&nvo_peer_mutex);
	if (nvo_peer)
		nvo_peer->visit_ports(fn, arg);
	mutex_unlock(&nvo_peer_mutex);
}

void nvo_visit_peer_queues(nvo_peer_queue_fn fn, void *arg)
{
	mutex_lock(&nvo_peer_mutex);
	if (nvo_peer)
		nvo_peer->visit_queues(fn, arg);
	mutex_unlock(&nvo_peer_mutex);
}

/*
 * Without the mutex: only for a queue of the peer's that a device holds,
 * whose existence keeps the peer registered (its module releases every
 * queue before it unregisters).
 */
const struct nvo_peer_ops *nvo_peer_get(void)
{
	return READ_ONCE(nvo_peer);
}

void nvo_peer_port_limits(u16 portid, const struct nvo_tr_caps *caps)
{
	mutex_lock(&nvo_peer_mutex);
	if (nvo_peer)
		nvo_peer->port_limits(portid, caps);
	mutex_unlock(&nvo_peer_mutex);
}

void nvo_peer_dev_gone(struct nvo_offload_dev *dev)
{
	mutex_lock(&nvo_peer_mutex);
	if (nvo_peer)
		nvo_peer->dev_gone(dev);
	mutex_unlock(&nvo_peer_mutex);
}

/*
 * queue-set on a peer's queue. Not under the mutex: a move takes the
 * binding lock, which ranks above it (port-set), and lasts up to the
 * reclaim and kill timeouts; a reference on the peer's module keeps it
 * instead. -EOPNOTSUPP: no peer that moves queues.
 */
int nvo_peer_queue_set(u32 id, bool on)
{
	const struct nvo_peer_ops *peer;
	int ret;

	mutex_lock(&nvo_peer_mutex);
	peer = nvo_peer;
	if (peer && (!peer->queue_set || !try_module_get(peer->owner)))
		peer = NULL;
	mutex_unlock(&nvo_peer_mutex);
	if (!peer)
		return -EOPNOTSUPP;
	ret = peer->queue_set(id, on);
	module_put(peer->owner);
	return ret;
}
