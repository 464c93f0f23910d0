// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nvmet_offload.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/nvmet_offload.h>

/* NVMET_OFFLOAD_CMD_DEV_GET - do */
static const struct nla_policy nvmet_offload_dev_get_nl_policy[NVMET_OFFLOAD_A_DEV_NAME + 1] = {
	[NVMET_OFFLOAD_A_DEV_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[NVMET_OFFLOAD_A_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
};

/* NVMET_OFFLOAD_CMD_PORT_GET - do */
static const struct nla_policy nvmet_offload_port_get_nl_policy[NVMET_OFFLOAD_A_PORT_ID + 1] = {
	[NVMET_OFFLOAD_A_PORT_ID] = { .type = NLA_U32, },
};

/* NVMET_OFFLOAD_CMD_PORT_SET - do */
static const struct nla_policy nvmet_offload_port_set_nl_policy[NVMET_OFFLOAD_A_PORT_DEV_NAME + 1] = {
	[NVMET_OFFLOAD_A_PORT_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_PORT_POLICY] = NLA_POLICY_MAX(NLA_U32, 1),
	[NVMET_OFFLOAD_A_PORT_DEV_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_PORT_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
};

/* NVMET_OFFLOAD_CMD_QUEUE_GET - do */
static const struct nla_policy nvmet_offload_queue_get_do_nl_policy[NVMET_OFFLOAD_A_QUEUE_ID + 1] = {
	[NVMET_OFFLOAD_A_QUEUE_ID] = { .type = NLA_U32, },
};

/* NVMET_OFFLOAD_CMD_QUEUE_GET - dump */
static const struct nla_policy nvmet_offload_queue_get_dump_nl_policy[NVMET_OFFLOAD_A_QUEUE_DEV_ID + 1] = {
	[NVMET_OFFLOAD_A_QUEUE_PORT_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_QUEUE_CTRL_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_QUEUE_DEV_ID] = { .type = NLA_U32, },
};

/* NVMET_OFFLOAD_CMD_QUEUE_SET - do */
static const struct nla_policy nvmet_offload_queue_set_nl_policy[NVMET_OFFLOAD_A_QUEUE_OFFLOAD + 1] = {
	[NVMET_OFFLOAD_A_QUEUE_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_QUEUE_CTRL_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_QUEUE_QID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_QUEUE_OFFLOAD] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* NVMET_OFFLOAD_CMD_STATS_GET - do */
static const struct nla_policy nvmet_offload_stats_get_do_nl_policy[NVMET_OFFLOAD_A_STATS_SUBSYSNQN + 1] = {
	[NVMET_OFFLOAD_A_STATS_SCOPE] = NLA_POLICY_MAX(NLA_U32, 3),
	[NVMET_OFFLOAD_A_STATS_DEV_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_STATS_PORT_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_STATS_NSID] = NLA_POLICY_MIN(NLA_U32, 1),
	[NVMET_OFFLOAD_A_STATS_QUEUE_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_STATS_SUBSYSNQN] = { .type = NLA_NUL_STRING, .len = NVMET_OFFLOAD_NQN_SIZE, },
};

/* NVMET_OFFLOAD_CMD_STATS_GET - dump */
static const struct nla_policy nvmet_offload_stats_get_dump_nl_policy[NVMET_OFFLOAD_A_STATS_PORT_ID + 1] = {
	[NVMET_OFFLOAD_A_STATS_SCOPE] = NLA_POLICY_MAX(NLA_U32, 3),
	[NVMET_OFFLOAD_A_STATS_DEV_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_STATS_PORT_ID] = { .type = NLA_U32, },
};

/* NVMET_OFFLOAD_CMD_STATS_RESET - do */
static const struct nla_policy nvmet_offload_stats_reset_nl_policy[NVMET_OFFLOAD_A_STATS_SUBSYSNQN + 1] = {
	[NVMET_OFFLOAD_A_STATS_SCOPE] = NLA_POLICY_MAX(NLA_U32, 3),
	[NVMET_OFFLOAD_A_STATS_DEV_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_STATS_PORT_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_STATS_NSID] = NLA_POLICY_MIN(NLA_U32, 1),
	[NVMET_OFFLOAD_A_STATS_QUEUE_ID] = { .type = NLA_U32, },
	[NVMET_OFFLOAD_A_STATS_SUBSYSNQN] = { .type = NLA_NUL_STRING, .len = NVMET_OFFLOAD_NQN_SIZE, },
};

/* NVMET_OFFLOAD_CMD_NS_TABLE_GET - dump */
static const struct nla_policy nvmet_offload_ns_table_get_nl_policy[NVMET_OFFLOAD_A_NS_TABLE_DEV_ID + 1] = {
	[NVMET_OFFLOAD_A_NS_TABLE_DEV_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* Ops table for nvmet_offload */
const struct genl_split_ops nvmet_offload_nl_ops[12] = {
	{
		.cmd		= NVMET_OFFLOAD_CMD_DEV_GET,
		.doit		= nvmet_offload_nl_dev_get_doit,
		.policy		= nvmet_offload_dev_get_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_DEV_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= NVMET_OFFLOAD_CMD_DEV_GET,
		.dumpit	= nvmet_offload_nl_dev_get_dumpit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_PORT_GET,
		.doit		= nvmet_offload_nl_port_get_doit,
		.policy		= nvmet_offload_port_get_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_PORT_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= NVMET_OFFLOAD_CMD_PORT_GET,
		.dumpit	= nvmet_offload_nl_port_get_dumpit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_PORT_SET,
		.doit		= nvmet_offload_nl_port_set_doit,
		.policy		= nvmet_offload_port_set_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_PORT_DEV_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_QUEUE_GET,
		.doit		= nvmet_offload_nl_queue_get_doit,
		.policy		= nvmet_offload_queue_get_do_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_QUEUE_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_QUEUE_GET,
		.dumpit		= nvmet_offload_nl_queue_get_dumpit,
		.policy		= nvmet_offload_queue_get_dump_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_QUEUE_DEV_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_QUEUE_SET,
		.doit		= nvmet_offload_nl_queue_set_doit,
		.policy		= nvmet_offload_queue_set_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_QUEUE_OFFLOAD,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_STATS_GET,
		.doit		= nvmet_offload_nl_stats_get_doit,
		.policy		= nvmet_offload_stats_get_do_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_STATS_SUBSYSNQN,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_STATS_GET,
		.dumpit		= nvmet_offload_nl_stats_get_dumpit,
		.policy		= nvmet_offload_stats_get_dump_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_STATS_PORT_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_STATS_RESET,
		.doit		= nvmet_offload_nl_stats_reset_doit,
		.policy		= nvmet_offload_stats_reset_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_STATS_SUBSYSNQN,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= NVMET_OFFLOAD_CMD_NS_TABLE_GET,
		.dumpit		= nvmet_offload_nl_ns_table_get_dumpit,
		.policy		= nvmet_offload_ns_table_get_nl_policy,
		.maxattr	= NVMET_OFFLOAD_A_NS_TABLE_DEV_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group nvmet_offload_nl_mcgrps[] = {
	[NVMET_OFFLOAD_NLGRP_MONITOR] = { "monitor", },
};
