/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nvmet_offload.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_NVMET_OFFLOAD_GEN_H
#define _LINUX_NVMET_OFFLOAD_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/nvmet_offload.h>

/* Ops table for nvmet_offload */
extern const struct genl_split_ops nvmet_offload_nl_ops[12];

int nvmet_offload_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int nvmet_offload_nl_dev_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb);
int nvmet_offload_nl_port_get_doit(struct sk_buff *skb, struct genl_info *info);
int nvmet_offload_nl_port_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb);
int nvmet_offload_nl_port_set_doit(struct sk_buff *skb, struct genl_info *info);
int nvmet_offload_nl_queue_get_doit(struct sk_buff *skb,
				    struct genl_info *info);
int nvmet_offload_nl_queue_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb);
int nvmet_offload_nl_queue_set_doit(struct sk_buff *skb,
				    struct genl_info *info);
int nvmet_offload_nl_stats_get_doit(struct sk_buff *skb,
				    struct genl_info *info);
int nvmet_offload_nl_stats_get_dumpit(struct sk_buff *skb,
				      struct netlink_callback *cb);
int nvmet_offload_nl_stats_reset_doit(struct sk_buff *skb,
				      struct genl_info *info);
int nvmet_offload_nl_ns_table_get_dumpit(struct sk_buff *skb,
					 struct netlink_callback *cb);

enum {
	NVMET_OFFLOAD_NLGRP_MONITOR,
};

#endif /* _LINUX_NVMET_OFFLOAD_GEN_H */
