/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nvmet_offload.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_NVMET_OFFLOAD_H
#define _UAPI_LINUX_NVMET_OFFLOAD_H

#define NVMET_OFFLOAD_FAMILY_NAME	"nvmet_offload"
#define NVMET_OFFLOAD_FAMILY_VERSION	1

#define NVMET_OFFLOAD_DEV_NAME_LEN	32
#define NVMET_OFFLOAD_LAT_BUCKETS	24
#define NVMET_OFFLOAD_NQN_SIZE		223
#define NVMET_OFFLOAD_OPCODE_OTHER	256

/**
 * enum nvmet_offload_dev_state - State of an offload device.
 * @NVMET_OFFLOAD_DEV_STATE_LIVE: Registered and accepting queues.
 * @NVMET_OFFLOAD_DEV_STATE_FAILED: The device failed (a queue's kill went
 *   unanswered): it is unbound from every port, its queues' connections were
 *   cut, and it takes no queue again until it unregisters.
 * @NVMET_OFFLOAD_DEV_STATE_REMOVING: Being unregistered; its queues are being
 *   reclaimed.
 */
enum nvmet_offload_dev_state {
	NVMET_OFFLOAD_DEV_STATE_LIVE,
	NVMET_OFFLOAD_DEV_STATE_FAILED,
	NVMET_OFFLOAD_DEV_STATE_REMOVING,
};

/**
 * enum nvmet_offload_policy - Offload policy of a port, or requested direction
 *   of a queue.
 * @NVMET_OFFLOAD_POLICY_OFF: Queues stay in (or return to) software.
 * @NVMET_OFFLOAD_POLICY_ON: I/O queues are offered to the bound device.
 */
enum nvmet_offload_policy {
	NVMET_OFFLOAD_POLICY_OFF,
	NVMET_OFFLOAD_POLICY_ON,
};

/**
 * enum nvmet_offload_adrfam - Address family of a port (NVMF_ADDR_FAMILY_*
 *   values).
 * @NVMET_OFFLOAD_ADRFAM_IPV4: IPv4.
 * @NVMET_OFFLOAD_ADRFAM_IPV6: IPv6.
 * @NVMET_OFFLOAD_ADRFAM_IB: InfiniBand.
 * @NVMET_OFFLOAD_ADRFAM_FC: Fibre Channel.
 */
enum nvmet_offload_adrfam {
	NVMET_OFFLOAD_ADRFAM_IPV4 = 1,
	NVMET_OFFLOAD_ADRFAM_IPV6,
	NVMET_OFFLOAD_ADRFAM_IB,
	NVMET_OFFLOAD_ADRFAM_FC,
};

/**
 * enum nvmet_offload_transport - The NVMe-oF transport of a port or queue
 *   (NVMF_TRTYPE_* values). Offload covers NVMe/TCP queues today; NVMe/RDMA
 *   ports and queues (nvmet_offload_rdma) are listed, and serve in software.
 * @NVMET_OFFLOAD_TRANSPORT_RDMA: NVMe/RDMA (nvmet_offload_rdma).
 * @NVMET_OFFLOAD_TRANSPORT_FC: Fibre Channel (never ours; keeps the NVMe
 *   numbering).
 * @NVMET_OFFLOAD_TRANSPORT_TCP: NVMe/TCP (nvmet_offload).
 */
enum nvmet_offload_transport {
	NVMET_OFFLOAD_TRANSPORT_RDMA = 1,
	NVMET_OFFLOAD_TRANSPORT_FC,
	NVMET_OFFLOAD_TRANSPORT_TCP,
};

/**
 * enum nvmet_offload_queue_state - Where a queue runs
 *   (Documentation/offload.rst, the state machine).
 * @NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE: Served by the software transport.
 * @NVMET_OFFLOAD_QUEUE_STATE_OFFLOADING: Software is draining it to hand it to
 *   a device.
 * @NVMET_OFFLOAD_QUEUE_STATE_OFFLOADED: Served by an offload device.
 * @NVMET_OFFLOAD_QUEUE_STATE_RECLAIMING: The device is draining it to give it
 *   back.
 * @NVMET_OFFLOAD_QUEUE_STATE_FAILED: The device failed it; it is falling back
 *   to software.
 */
enum nvmet_offload_queue_state {
	NVMET_OFFLOAD_QUEUE_STATE_SOFTWARE,
	NVMET_OFFLOAD_QUEUE_STATE_OFFLOADING,
	NVMET_OFFLOAD_QUEUE_STATE_OFFLOADED,
	NVMET_OFFLOAD_QUEUE_STATE_RECLAIMING,
	NVMET_OFFLOAD_QUEUE_STATE_FAILED,
};

/**
 * enum nvmet_offload_stats_scope - What a set of counters covers.
 * @NVMET_OFFLOAD_STATS_SCOPE_DEVICE: Every queue offloaded to one device
 *   (dev-id).
 * @NVMET_OFFLOAD_STATS_SCOPE_PORT: Every queue accepted on one port (port-id).
 * @NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE: Commands to one namespace (nsid)
 *   received on one port (port-id), optionally of one subsystem (subsysnqn).
 * @NVMET_OFFLOAD_STATS_SCOPE_QUEUE: One queue (queue-id).
 */
enum nvmet_offload_stats_scope {
	NVMET_OFFLOAD_STATS_SCOPE_DEVICE,
	NVMET_OFFLOAD_STATS_SCOPE_PORT,
	NVMET_OFFLOAD_STATS_SCOPE_NAMESPACE,
	NVMET_OFFLOAD_STATS_SCOPE_QUEUE,
};

/**
 * enum nvmet_offload_fallback_reason - Why a queue fell back to software (enum
 *   nvo_fallback_reason).
 * @NVMET_OFFLOAD_FALLBACK_REASON_NONE: No fallback.
 * @NVMET_OFFLOAD_FALLBACK_REASON_REFUSED: The device refused the queue (a
 *   transient reason, a knob).
 * @NVMET_OFFLOAD_FALLBACK_REASON_QUEUE_FAILED: The device failed this queue.
 * @NVMET_OFFLOAD_FALLBACK_REASON_DEV_FAILED: The device (its engine) failed.
 * @NVMET_OFFLOAD_FALLBACK_REASON_DEV_REMOVED: The device was unregistered
 *   while the queue was offloaded.
 * @NVMET_OFFLOAD_FALLBACK_REASON_STREAM_LOST: Failed mid-PDU; the connection
 *   was closed (the host reconnects).
 * @NVMET_OFFLOAD_FALLBACK_REASON_RECLAIM_TIMEOUT: The device did not give the
 *   queue back by the reclaim deadline and was told to stop (queue_kill);
 *   without a record the connection was closed (the host reconnects).
 * @NVMET_OFFLOAD_FALLBACK_REASON_KILL_TIMEOUT: The device did not answer the
 *   kill either: it was failed and unbound from every port, the queue's
 *   connection cut by the shim.
 */
enum nvmet_offload_fallback_reason {
	NVMET_OFFLOAD_FALLBACK_REASON_NONE,
	NVMET_OFFLOAD_FALLBACK_REASON_REFUSED,
	NVMET_OFFLOAD_FALLBACK_REASON_QUEUE_FAILED,
	NVMET_OFFLOAD_FALLBACK_REASON_DEV_FAILED,
	NVMET_OFFLOAD_FALLBACK_REASON_DEV_REMOVED,
	NVMET_OFFLOAD_FALLBACK_REASON_STREAM_LOST,
	NVMET_OFFLOAD_FALLBACK_REASON_RECLAIM_TIMEOUT,
	NVMET_OFFLOAD_FALLBACK_REASON_KILL_TIMEOUT,
};

/**
 * enum nvmet_offload_backend - Namespace backends a device serves itself (enum
 *   nvo_backend).
 * @NVMET_OFFLOAD_BACKEND_BDEV: Block device namespaces.
 */
enum nvmet_offload_backend {
	NVMET_OFFLOAD_BACKEND_BDEV = 1,
};

/**
 * enum nvmet_offload_ns_table_state - State of a namespace table of a (device,
 *   subsystem) pair (Documentation/driver-api-v2.rst, section 3).
 * @NVMET_OFFLOAD_NS_TABLE_STATE_ATTACHED: The device took the table
 *   (subsys_attach); it is kept in sync.
 * @NVMET_OFFLOAD_NS_TABLE_STATE_DECLINED: The device declined the table
 *   (subsys_attach failed): its queues of the subsystem look every namespace
 *   up per command (driver API v1's nvo_offload_ns_get).
 * @NVMET_OFFLOAD_NS_TABLE_STATE_DEAD: The device failed: the table is never
 *   sent again and goes with the subsystem's last queue on the device.
 */
enum nvmet_offload_ns_table_state {
	NVMET_OFFLOAD_NS_TABLE_STATE_ATTACHED,
	NVMET_OFFLOAD_NS_TABLE_STATE_DECLINED,
	NVMET_OFFLOAD_NS_TABLE_STATE_DEAD,
};

/**
 * enum nvmet_offload_ns_flags - What a namespace entry allows (enum
 *   nvo_ns_flags).
 * @NVMET_OFFLOAD_NS_FLAGS_RO: Read-only; writes are punted to nvmet.
 * @NVMET_OFFLOAD_NS_FLAGS_VWC: The back end has a volatile write cache.
 * @NVMET_OFFLOAD_NS_FLAGS_WZ: The back end does Write Zeroes.
 * @NVMET_OFFLOAD_NS_FLAGS_DISCARD: The back end discards (Dataset Management
 *   deallocate).
 */
enum nvmet_offload_ns_flags {
	NVMET_OFFLOAD_NS_FLAGS_RO = 1,
	NVMET_OFFLOAD_NS_FLAGS_VWC = 2,
	NVMET_OFFLOAD_NS_FLAGS_WZ = 4,
	NVMET_OFFLOAD_NS_FLAGS_DISCARD = 8,
};

/**
 * enum nvmet_offload_ns_entry_state - Where a namespace of a table stands with
 *   the device.
 * @NVMET_OFFLOAD_NS_ENTRY_STATE_IN_DEVICE: The device took the entry (ADD
 *   applied); its commands run there.
 * @NVMET_OFFLOAD_NS_ENTRY_STATE_REFUSED: The device refused the ADD (its table
 *   was full): the namespace is left out, its commands are punted, and the ADD
 *   is asked again after a completed REMOVE or 5 s.
 * @NVMET_OFFLOAD_NS_ENTRY_STATE_REMOVING: REMOVE sent, waiting for the
 *   device's completion (the namespace stays pinned until then).
 * @NVMET_OFFLOAD_NS_ENTRY_STATE_FAILED: The device reported its back end
 *   failed for the namespace (nvo_ns_failed()): removed from its table and
 *   left out, its commands punted, until the namespace is disabled and enabled
 *   again.
 */
enum nvmet_offload_ns_entry_state {
	NVMET_OFFLOAD_NS_ENTRY_STATE_IN_DEVICE,
	NVMET_OFFLOAD_NS_ENTRY_STATE_REFUSED,
	NVMET_OFFLOAD_NS_ENTRY_STATE_REMOVING,
	NVMET_OFFLOAD_NS_ENTRY_STATE_FAILED,
};

enum {
	NVMET_OFFLOAD_A_CAPS_MAX_QUEUES = 1,
	NVMET_OFFLOAD_A_CAPS_IO_OPCODES,
	NVMET_OFFLOAD_A_CAPS_MAX_IO_SIZE,
	NVMET_OFFLOAD_A_CAPS_MIN_QUEUE_DEPTH,
	NVMET_OFFLOAD_A_CAPS_MAX_QUEUE_DEPTH,
	NVMET_OFFLOAD_A_CAPS_HDGST,
	NVMET_OFFLOAD_A_CAPS_DDGST,
	NVMET_OFFLOAD_A_CAPS_MAX_INLINE,
	NVMET_OFFLOAD_A_CAPS_BACKENDS,
	NVMET_OFFLOAD_A_CAPS_PAD,
	NVMET_OFFLOAD_A_CAPS_TAKE,
	NVMET_OFFLOAD_A_CAPS_SGL,
	NVMET_OFFLOAD_A_CAPS_MAX_H2C_DATA,
	NVMET_OFFLOAD_A_CAPS_MAX_HPDA,

	__NVMET_OFFLOAD_A_CAPS_MAX,
	NVMET_OFFLOAD_A_CAPS_MAX = (__NVMET_OFFLOAD_A_CAPS_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_DEV_ID = 1,
	NVMET_OFFLOAD_A_DEV_NAME,
	NVMET_OFFLOAD_A_DEV_STATE,
	NVMET_OFFLOAD_A_DEV_CAPS,
	NVMET_OFFLOAD_A_DEV_NR_QUEUES,
	NVMET_OFFLOAD_A_DEV_ENGINES,
	NVMET_OFFLOAD_A_DEV_API_VERSION,

	__NVMET_OFFLOAD_A_DEV_MAX,
	NVMET_OFFLOAD_A_DEV_MAX = (__NVMET_OFFLOAD_A_DEV_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_PORT_ID = 1,
	NVMET_OFFLOAD_A_PORT_TRADDR,
	NVMET_OFFLOAD_A_PORT_TRSVCID,
	NVMET_OFFLOAD_A_PORT_ADRFAM,
	NVMET_OFFLOAD_A_PORT_POLICY,
	NVMET_OFFLOAD_A_PORT_DEV_ID,
	NVMET_OFFLOAD_A_PORT_DEV_NAME,
	NVMET_OFFLOAD_A_PORT_TRANSPORT,

	__NVMET_OFFLOAD_A_PORT_MAX,
	NVMET_OFFLOAD_A_PORT_MAX = (__NVMET_OFFLOAD_A_PORT_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_QUEUE_ID = 1,
	NVMET_OFFLOAD_A_QUEUE_PORT_ID,
	NVMET_OFFLOAD_A_QUEUE_CTRL_ID,
	NVMET_OFFLOAD_A_QUEUE_QID,
	NVMET_OFFLOAD_A_QUEUE_HOSTNQN,
	NVMET_OFFLOAD_A_QUEUE_SUBSYSNQN,
	NVMET_OFFLOAD_A_QUEUE_STATE,
	NVMET_OFFLOAD_A_QUEUE_DEV_ID,
	NVMET_OFFLOAD_A_QUEUE_ENGINE,
	NVMET_OFFLOAD_A_QUEUE_DEPTH,
	NVMET_OFFLOAD_A_QUEUE_INFLIGHT,
	NVMET_OFFLOAD_A_QUEUE_CPU,
	NVMET_OFFLOAD_A_QUEUE_OFFLOAD,
	NVMET_OFFLOAD_A_QUEUE_FALLBACK_REASON,
	NVMET_OFFLOAD_A_QUEUE_MOVE_US,
	NVMET_OFFLOAD_A_QUEUE_TRANSPORT,

	__NVMET_OFFLOAD_A_QUEUE_MAX,
	NVMET_OFFLOAD_A_QUEUE_MAX = (__NVMET_OFFLOAD_A_QUEUE_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_STATS_SCOPE = 1,
	NVMET_OFFLOAD_A_STATS_DEV_ID,
	NVMET_OFFLOAD_A_STATS_PORT_ID,
	NVMET_OFFLOAD_A_STATS_NSID,
	NVMET_OFFLOAD_A_STATS_QUEUE_ID,
	NVMET_OFFLOAD_A_STATS_SUBSYSNQN,
	NVMET_OFFLOAD_A_STATS_COUNTERS,

	__NVMET_OFFLOAD_A_STATS_MAX,
	NVMET_OFFLOAD_A_STATS_MAX = (__NVMET_OFFLOAD_A_STATS_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_COUNTERS_READ_CMDS = 1,
	NVMET_OFFLOAD_A_COUNTERS_READ_BLOCKS,
	NVMET_OFFLOAD_A_COUNTERS_WRITE_CMDS,
	NVMET_OFFLOAD_A_COUNTERS_WRITE_BLOCKS,
	NVMET_OFFLOAD_A_COUNTERS_INLINE_WRITE_CMDS,
	NVMET_OFFLOAD_A_COUNTERS_FLUSH_CMDS,
	NVMET_OFFLOAD_A_COUNTERS_WRITE_ZEROES_CMDS,
	NVMET_OFFLOAD_A_COUNTERS_ERRORS,
	NVMET_OFFLOAD_A_COUNTERS_BACKEND_ERRORS,
	NVMET_OFFLOAD_A_COUNTERS_PUNTED_CMDS,
	NVMET_OFFLOAD_A_COUNTERS_UNKNOWN_NS_CMDS,
	NVMET_OFFLOAD_A_COUNTERS_LAT_HIST,
	NVMET_OFFLOAD_A_COUNTERS_PUNTED_BY_OPCODE,
	NVMET_OFFLOAD_A_COUNTERS_OFFLOAD_EVENTS,
	NVMET_OFFLOAD_A_COUNTERS_RECLAIM_EVENTS,
	NVMET_OFFLOAD_A_COUNTERS_FALLBACK_EVENTS,
	NVMET_OFFLOAD_A_COUNTERS_PAD,
	NVMET_OFFLOAD_A_COUNTERS_ADMIT_DEPTH_EVENTS,
	NVMET_OFFLOAD_A_COUNTERS_ADMIT_DIGEST_EVENTS,
	NVMET_OFFLOAD_A_COUNTERS_ADMIT_LIMIT_EVENTS,

	__NVMET_OFFLOAD_A_COUNTERS_MAX,
	NVMET_OFFLOAD_A_COUNTERS_MAX = (__NVMET_OFFLOAD_A_COUNTERS_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_OPCODE_COUNT_OPCODE = 1,
	NVMET_OFFLOAD_A_OPCODE_COUNT_COUNT,
	NVMET_OFFLOAD_A_OPCODE_COUNT_PAD,

	__NVMET_OFFLOAD_A_OPCODE_COUNT_MAX,
	NVMET_OFFLOAD_A_OPCODE_COUNT_MAX = (__NVMET_OFFLOAD_A_OPCODE_COUNT_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_LAT_HIST_BUCKET = 1,
	NVMET_OFFLOAD_A_LAT_HIST_PAD,

	__NVMET_OFFLOAD_A_LAT_HIST_MAX,
	NVMET_OFFLOAD_A_LAT_HIST_MAX = (__NVMET_OFFLOAD_A_LAT_HIST_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_NS_TABLE_DEV_ID = 1,
	NVMET_OFFLOAD_A_NS_TABLE_SUBSYSNQN,
	NVMET_OFFLOAD_A_NS_TABLE_SUBSYS_ID,
	NVMET_OFFLOAD_A_NS_TABLE_GEN,
	NVMET_OFFLOAD_A_NS_TABLE_STATE,
	NVMET_OFFLOAD_A_NS_TABLE_ENTRY,
	NVMET_OFFLOAD_A_NS_TABLE_PAD,

	__NVMET_OFFLOAD_A_NS_TABLE_MAX,
	NVMET_OFFLOAD_A_NS_TABLE_MAX = (__NVMET_OFFLOAD_A_NS_TABLE_MAX - 1)
};

enum {
	NVMET_OFFLOAD_A_NS_ENTRY_NSID = 1,
	NVMET_OFFLOAD_A_NS_ENTRY_NR_BLOCKS,
	NVMET_OFFLOAD_A_NS_ENTRY_LBA_SHIFT,
	NVMET_OFFLOAD_A_NS_ENTRY_FLAGS,
	NVMET_OFFLOAD_A_NS_ENTRY_STATE,
	NVMET_OFFLOAD_A_NS_ENTRY_PAD,

	__NVMET_OFFLOAD_A_NS_ENTRY_MAX,
	NVMET_OFFLOAD_A_NS_ENTRY_MAX = (__NVMET_OFFLOAD_A_NS_ENTRY_MAX - 1)
};

enum {
	NVMET_OFFLOAD_CMD_DEV_GET = 1,
	NVMET_OFFLOAD_CMD_PORT_GET,
	NVMET_OFFLOAD_CMD_PORT_SET,
	NVMET_OFFLOAD_CMD_QUEUE_GET,
	NVMET_OFFLOAD_CMD_QUEUE_SET,
	NVMET_OFFLOAD_CMD_STATS_GET,
	NVMET_OFFLOAD_CMD_STATS_RESET,
	NVMET_OFFLOAD_CMD_DEV_ADD,
	NVMET_OFFLOAD_CMD_DEV_DEL,
	NVMET_OFFLOAD_CMD_QUEUE_OFFLOADED,
	NVMET_OFFLOAD_CMD_QUEUE_RECLAIMED,
	NVMET_OFFLOAD_CMD_QUEUE_FALLBACK,
	NVMET_OFFLOAD_CMD_PORT_POLICY_CHANGED,
	NVMET_OFFLOAD_CMD_DEV_FAILED,
	NVMET_OFFLOAD_CMD_NS_TABLE_GET,

	__NVMET_OFFLOAD_CMD_MAX,
	NVMET_OFFLOAD_CMD_MAX = (__NVMET_OFFLOAD_CMD_MAX - 1)
};

#define NVMET_OFFLOAD_MCGRP_MONITOR	"monitor"

#endif /* _UAPI_LINUX_NVMET_OFFLOAD_H */
