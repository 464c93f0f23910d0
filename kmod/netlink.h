/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nvmet_offload generic netlink family
 * (Documentation/netlink/specs/nvmet_offload.yaml): requests are served in
 * netlink.c; events reach it through the events hook (events.h).
 */
#ifndef NVO_NETLINK_H
#define NVO_NETLINK_H

#include <linux/types.h>
#include <linux/nvmet_offload.h>
#include <uapi/linux/nvmet_offload.h>

int nvo_netlink_init(void);
void nvo_netlink_exit(void);

#endif /* NVO_NETLINK_H */
