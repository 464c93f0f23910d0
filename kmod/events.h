/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one hook through which the transport tells observers (the netlink
 * family's monitor group) what changed: the core calls nvo_event_*(), an
 * observer registers its callbacks. Nothing below an observer calls it by
 * name, so no include or call cycle runs through the observers.
 */
#ifndef NVO_EVENTS_H
#define NVO_EVENTS_H

#include <linux/types.h>
#include <linux/nvmet_offload.h>

struct nvo_port;
struct nvo_queue;

enum nvo_dev_event {
	NVO_DEV_ADDED,		/* registered */
	NVO_DEV_REMOVED,	/* unregistered */
	NVO_DEV_FAILED,		/* failed: a queue's kill went unanswered */
};

enum nvo_queue_event {
	NVO_QEV_OFFLOADED,	/* handed to @dev */
	NVO_QEV_RECLAIMED,	/* back from @dev, as asked */
	NVO_QEV_FALLBACK,	/* back from @dev for @reason */
};

/*
 * An observer's callbacks. None may sleep or take a lock of the module:
 * they are called from any context, with any of the module's locks held.
 */
struct nvo_observer {
	/*
	 * A device registered, failed or unregistered: @dev is on the device
	 * list for the call (added, failed), or its id is not yet free
	 * (removed).
	 */
	void (*dev_changed)(struct nvo_offload_dev *dev, enum nvo_dev_event ev);
	/* A port's policy or bound device changed; port->odev is stable. */
	void (*port_changed)(struct nvo_port *port);
	/*
	 * A queue moved. @dev is the device it went to or came back from
	 * (queue->oq.dev is already NULL once it is back in software) and
	 * stays registered for the call; @reason: the fallback's.
	 */
	void (*queue_moved)(struct nvo_queue *queue, enum nvo_queue_event ev,
			    struct nvo_offload_dev *dev,
			    enum nvo_fallback_reason reason);
};

/* Set (or, with NULL, clear and wait out every call) the observer. */
void nvo_observer_set(const struct nvo_observer *obs);

void nvo_event_dev(struct nvo_offload_dev *dev, enum nvo_dev_event ev);
void nvo_event_port(struct nvo_port *port);
void nvo_event_queue(struct nvo_queue *queue, enum nvo_queue_event ev,
		     struct nvo_offload_dev *dev,
		     enum nvo_fallback_reason reason);

#endif /* NVO_EVENTS_H */
