/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nvmet_offload generic netlink family
 * (Documentation/netlink/specs/nvmet_offload.yaml): requests are served in
 * netlink.c; the rest of the module reports events through the
 * nvo_nl_notify_*() calls below.
 */
#ifndef NVO_NETLINK_H
#define NVO_NETLINK_H

#include <linux/types.h>
#include <linux/nvmet_offload.h>
#include <uapi/linux/nvmet_offload.h>

struct nvo_port;
struct nvo_queue;

int nvo_netlink_init(void);
void nvo_netlink_exit(void);

/*
 * Events for the "monitor" multicast group. None of them sleeps or takes a
 * lock of the module (GFP_ATOMIC, no mutex, no state_lock), so they may be
 * called from any context, with any of the module's locks held; they cost
 * next to nothing while nobody listens. An event that finds no memory is
 * lost (monitors resynchronise with a dump, as after a socket overrun).
 */

/*
 * dev-add (@added) or dev-del. @dev must stay registered for the call:
 * call dev-add once it is on the device list, dev-del before its id is
 * freed (a new device could take the id and be announced first).
 */
void nvo_nl_notify_dev(struct nvo_offload_dev *dev, bool added);

/*
 * port-policy-changed. The caller keeps port->odev stable for the call
 * (holds nvo_offload_mutex).
 */
void nvo_nl_notify_port(struct nvo_port *port);

/*
 * queue-offloaded, queue-reclaimed or queue-fallback (@cmd, one of
 * NVMET_OFFLOAD_CMD_QUEUE_*). @dev is the device the queue went to
 * (offloaded) or came back from (reclaimed, fallback): queue->oq.dev is
 * already NULL once a queue is back in software. queue-offloaded and
 * queue-fallback report @dev's id; queue-reclaimed, in the format of a
 * queue-get reply, reports none (the queue is in software). @reason is
 * the fallback reason (queue-fallback only). The caller keeps @dev
 * registered for the call (it has not yet called
 * nvo_offload_queue_left_dev() for this queue).
 */
void nvo_nl_notify_queue(struct nvo_queue *queue, u8 cmd,
			 struct nvo_offload_dev *dev,
			 enum nvo_fallback_reason reason);

#endif /* NVO_NETLINK_H */
