// SPDX-License-Identifier: GPL-2.0
/*
 * The events hook (events.h): one observer at a time, read under RCU so that
 * an event costs a pointer load when nobody observes and never sleeps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rcupdate.h>

#include "events.h"

static const struct nvo_observer __rcu *nvo_observer;

void nvo_observer_set(const struct nvo_observer *obs)
{
	rcu_assign_pointer(nvo_observer, obs);
	if (!obs)
		synchronize_rcu();
}

void nvo_event_dev(struct nvo_offload_dev *dev, enum nvo_dev_event ev)
{
	const struct nvo_observer *obs;

	rcu_read_lock();
	obs = rcu_dereference(nvo_observer);
	if (obs && obs->dev_changed)
		obs->dev_changed(dev, ev);
	rcu_read_unlock();
}

void nvo_event_port(struct nvo_port *port)
{
	const struct nvo_observer *obs;

	rcu_read_lock();
	obs = rcu_dereference(nvo_observer);
	if (obs && obs->port_changed)
		obs->port_changed(port);
	rcu_read_unlock();
}

void nvo_event_queue(struct nvo_queue *queue, enum nvo_queue_event ev,
		     struct nvo_offload_dev *dev,
		     enum nvo_fallback_reason reason)
{
	const struct nvo_observer *obs;

	rcu_read_lock();
	obs = rcu_dereference(nvo_observer);
	if (obs && obs->queue_moved)
		obs->queue_moved(queue, ev, dev, reason);
	rcu_read_unlock();
}
