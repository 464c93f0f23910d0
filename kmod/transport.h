/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmet_offload internals: the software NVMe/TCP transport's ports, queues
 * and commands, and what the files outside the queue layer call in it (the
 * queue layer's own internals are in queue.h).
 */
#ifndef NVO_TRANSPORT_H
#define NVO_TRANSPORT_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/net.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/nvme.h>

#include "nvmet.h"
#include <linux/nvmet_offload.h>
#include <linux/nvmet_offload_counters.h>
#include <linux/nvmet_offload_pdu.h>
#include <linux/nvmet_offload_stream.h>

/*
 * Largest transfer one command may carry: MDTS counts units of the
 * controller's minimum memory page size (CAP.MPSMIN, 4 KiB for nvmet), not
 * the CPU's PAGE_SIZE, so the limits are in bytes: the same on 16K- and
 * 64K-page kernels as on 4K ones.
 */
#define NVO_MDTS_SHIFT		8
#define NVO_MAX_XFER		(SZ_4K << NVO_MDTS_SHIFT)
/* One R2T solicits the whole remaining data; the host splits it. */
#define NVO_MAXH2CDATA		NVO_MAX_XFER
/* Default and ceiling of a port's param_inline_data_size. */
#define NVO_DEF_INLINE		SZ_16K
#define NVO_MAX_INLINE		SZ_128K
/* The host puts up to 8K of admin data in capsules, whatever the port says. */
#define NVO_ADMIN_INLINE	8192
/* A connection that sends no ICReq within this time is dropped. */
#define NVO_ICREQ_TIMEOUT	(10 * HZ)
/* Work done by one pass of io_work before it yields the CPU. */
#define NVO_IO_BUDGET		64

/*
 * Hand-over events the shim counts, one u64 each, in the spec's order
 * (NVO_EVENT_COUNTERS(), generated from the spec's "*-events" counters):
 * a counter added to the spec appears here, in netlink and in nicctl; the
 * code that counts it bumps its field and its NVO_EV_ value.
 */
struct nvo_event_counts {
	NVO_EVENT_COUNTER_FIELDS
};

#define NVO_EVENT_ENUM(field, attr)	NVO_EV_##attr,
enum nvo_event {
	NVO_EVENT_COUNTERS(NVO_EVENT_ENUM)
	NVO_EV_NR
};

/* Offload counters as reported: the device's, plus hand-over events. */
struct nvo_counters {
	struct nvo_offload_stats st;
	struct nvo_event_counts	ev;
};

/*
 * What an object (device, port, namespace, queue) keeps besides the live
 * queues it sums: the counts of queues (or device stints) that left it, and
 * the raw value at its last stats-reset, subtracted from what is reported.
 */
struct nvo_counters_acct {
	spinlock_t		lock;		/* guards retired and base */
	struct nvo_counters	retired;
	struct nvo_counters	base;
};

/*
 * What a port advertises to hosts and admits to its device: the stock
 * values, or while a device is bound to the port its NVMe/TCP limits, read
 * once at bind (offload.c, under nvo_offload_mutex; readers take single
 * fields). nvmet asks for mdts and max_queue_size (get_mdts at Identify,
 * get_max_queue_size when a controller is created); ICReq offers at most
 * max_h2c_data; the rest decides admission at Connect.
 */
struct nvo_port_limits {
	bool	bound;		/* a device's limits: admission applies */
	u8	mdts;		/* log2 of 4 KiB units, never 0 (no limit) */
	u16	max_queue_size;	/* MQES + 1 */
	u16	min_depth;	/* SQ sizes the device takes */
	u16	max_depth;
	u32	max_inline;	/* in-capsule bytes the device takes */
	u32	max_h2c_data;	/* 0: no limit of the device's */
	bool	hdgst;		/* digests the device supports */
	bool	ddgst;
};

struct nvo_port {
	struct kref		ref;
	struct list_head	entry;		/* nvo_port_list */
	/* Offload policy: I/O queues go to this device; NULL: off. */
	struct nvo_offload_dev	*odev;
	/*
	 * The device bound to the port, whether the policy is on (then it is
	 * odev) or off: netlink's port-set binds and switches apart.
	 */
	struct nvo_offload_dev	*bound;
	struct nvmet_port	*nport;
	/*
	 * nport's id, kept: the port's queues hold it past remove_port, and
	 * nvmet frees nport once its own workqueue is flushed, which our
	 * queues' release does not run on.
	 */
	u16			id;
	struct nvo_port_limits	lim;
	/* nport->inline_data_size as configured, restored at unbind */
	int			stock_inline;
	struct socket		*listener;
	struct work_struct	accept_work;
	struct sockaddr_storage	addr;
	void (*saved_data_ready)(struct sock *sk);
	struct nvo_counters_acct acct;
};

enum nvo_queue_state {
	NVO_Q_WAIT_ICREQ,	/* connection accepted, no ICReq yet */
	NVO_Q_LIVE,		/* ICResp sent: capsules flow */
	NVO_Q_CLOSING,		/* being torn down: no new work */
};

enum nvo_cmd_flags {
	NVO_CMD_AWAIT_DATA	= 1 << 0, /* initialised, waiting for data */
	NVO_CMD_OWN_SGL		= 1 << 1, /* req.sg came from nvmet */
	NVO_CMD_PARKED		= 1 << 2, /* taken off the wire, not started */
	NVO_CMD_PUNTED		= 1 << 3, /* executed for an offload device */
};

/* How far a reclaim has got: asked for, then killed at its deadline. */
enum nvo_reclaim_stage {
	NVO_RECLAIM_IDLE,
	NVO_RECLAIM_ASKED,
	NVO_RECLAIM_KILLING,
	NVO_RECLAIM_FAILED,
};

/* Where a queue's I/O runs; the admin queue is always in software. */
enum nvo_offload_state {
	NVO_OQ_SOFTWARE,	/* served by io_work */
	NVO_OQ_OFFLOADING,	/* draining in software, then handed over */
	NVO_OQ_OFFLOADED,	/* a device owns the socket */
	NVO_OQ_RECLAIMING,	/* the device drains, then hands it back */
	NVO_OQ_FAILED,		/* the device gave it back after a failure */
	NVO_OQ_RETURNED,	/* handed back; io_work resumes it */
};

struct nvo_queue;

struct nvo_cmd {
	struct nvo_queue	*queue;
	struct nvmet_req	req;
	struct nvme_command	sqe;
	struct nvme_completion	cqe;
	u16			ttag;
	u16			flags;
	/* Set when the data failed its digest: completes with this status. */
	u16			data_status;
	u32			parked_len;	/* in-capsule bytes of a parked cmd */
	void			*punt_cookie;
	/* The device a punt came from: oq.dev may be cleared before it ends. */
	struct nvo_offload_dev	*punt_dev;

	/*
	 * Data the command owns, from its arrival to its end: in-capsule
	 * data, and a read of up to a page. Kept apart from req.sg, which
	 * nvmet_req_init() clears. Up to a page of it goes to the slot's own
	 * page (slot_page, allocated at the slot's first such command,
	 * charged as slot memory: free slots are taken last-freed first, so
	 * memory follows what was in flight at most, not the queue depth);
	 * more in-capsule data to pages allocated for the command.
	 */
	struct scatterlist	*own_sg;
	unsigned int		own_nents;
	struct scatterlist	*slot_page;

	/* Its data coming in (into req.sg), and its PDUs going out. */
	struct nvo_pdu_rx	rx;
	struct nvo_pdu_tx	tx;

	struct llist_node	rsp_node;	/* queue->rsp_list */
	struct list_head	entry;		/* free list or tx list */
};

/*
 * Per-queue counters. Only the queue's io_work writes them, so they need no
 * lock or atomics; readers (debugfs) may see a slightly stale value.
 */
struct nvo_queue_stats {
	u64	cmds;		/* commands completed */
	u64	read_cmds;
	u64	read_bytes;
	u64	write_cmds;
	u64	write_bytes;
	u64	inline_writes;	/* writes whose data came in the capsule */
	/* slot pages found still held by an skb of a read: replaced */
	u64	read_pages_held;
	u64	r2ts;
	u64	errors;		/* completions with a non-zero status */
	u64	digest_errors;
};

struct nvo_queue {
	struct socket		*sock;
	struct nvo_port		*port;
	struct nvmet_port	*nport;
	int			idx;
	int			cpu;
	struct work_struct	io_work;
	/* io_work's task while in its pass, and kicks it had meanwhile */
	struct task_struct	*io_task;
	bool			io_again;
	struct work_struct	release_work;
	struct delayed_work	icreq_timeout;
	struct list_head	entry;		/* nvo_queue_list */

	spinlock_t		state_lock;	/* guards state */
	enum nvo_queue_state	state;

	struct nvmet_cq		nvme_cq;
	struct nvmet_sq		nvme_sq;
	/*
	 * The connection: its parameters, receive and send state. Reads
	 * ahead into rx_stage (many capsules per call at depth) only when
	 * settled in software: while a hand-over is near the parser reads
	 * exactly what it needs, so the socket stops at a PDU boundary.
	 */
	struct nvo_stream	stream;
	u8			rx_stage[NVO_STREAM_STAGE];

	/* Commands. */
	struct nvo_cmd		*cmds;
	u32			nr_cmds;
	struct list_head	free_cmds;
	struct nvo_cmd		*connect_cmd;	/* serves Connect before install */
	bool			connect_busy;

	/* Send state. */
	struct llist_head	rsp_list;	/* completions, any context */
	struct list_head	tx_list;	/* ready to send, io_work only */
	u8			ctl_pdu[NVO_IC_PDU_LEN];
	u32			ctl_len;	/* ICResp waiting to be sent */
	u32			ctl_off;

	struct nvo_queue_stats	stats;

	/*
	 * Offload. Requests change ostate under state_lock from any context;
	 * io_work carries the hand-over out.
	 */
	enum nvo_offload_state	ostate;
	bool			want_offload;	/* what requests asked for */
	bool			retarget;	/* then to the port's device */
	bool			offer_again;	/* io_work offers it: retarget */
	struct nvo_offload_queue oq;		/* oq.dev: target or owner */
	enum nvo_fallback_reason fallback_reason; /* of the last fallback */
	enum nvo_fallback_reason reclaim_reason; /* of a reclaim under way */
	/*
	 * How long moves take, measured here, not by whoever watches: the
	 * ktime_get_ns() of the first request of a move not yet done (0:
	 * none), and the last done move's time (once move_done is set).
	 */
	atomic64_t		move_asked_ns;
	u32			move_us;
	bool			move_done;
	struct nvo_handover	*returned;	/* record handed back */
	struct completion	offload_idle;	/* device let go of the queue */
	/*
	 * A reclaim's deadline and then the kill's (offload.c): reclaim_stage
	 * says which, under state_lock. A queue whose kill went unanswered is
	 * killed: cut, no longer the device's (oq.dev NULL), kept until the
	 * driver answers for it.
	 */
	struct delayed_work	reclaim_dwork;
	u8			reclaim_stage;	/* enum nvo_reclaim_stage */
	/* What the device completed, looked at every KATO/2 (traffic.c). */
	struct delayed_work	traffic_dwork;
	u64			traffic_seen;
	bool			killed;
	struct list_head	parked;		/* cmds parked while draining */
	u32			nr_parked;
	u32			nr_active;	/* cmds taken, not yet free */
	spinlock_t		cmd_lock;	/* free_cmds: punts complete anywhere */
	/*
	 * Punts whose punt_done() has not returned yet: the queue stays the
	 * device's (oq.dev set, counted against it) until they are over.
	 */
	atomic_t		nr_punts;
	size_t			slot_mem;	/* charged to nvo_queue_mem */
	struct nvo_event_counts	events;		/* io_work writes them */
	/* retired: oq.stats of past device stints; base: at stats-reset. */
	struct nvo_counters_acct acct;
	/* nsid -> struct nvo_queue_ns: per-namespace offload counters. */
	struct xarray		ns_stats;
	struct nvo_offload_stats ns_unaccounted; /* when one cannot be had */
	/* Its subsystem's namespace table on oq.dev (ns_table.c), or NULL. */
	struct nvo_ns_table	*ns_table;
};

/* queue_base.c: what every layer may do to any queue */
extern const struct nvmet_fabrics_ops *nvo_nvmet_ops;
extern struct workqueue_struct *nvo_io_wq;
void nvo_delete_ctrl(struct nvmet_ctrl *ctrl);
void nvo_close_port_queues(struct nvo_port *port);
void nvo_close_all_queues(void);
typedef void (*nvo_queue_visit_t)(struct nvo_queue *queue, void *arg);
void nvo_visit_queues(nvo_queue_visit_t fn, void *arg);
int nvo_queue_init(const struct nvmet_fabrics_ops *ops);
void nvo_queue_exit(void);

/* port.c */
int nvo_add_port(struct nvmet_port *nport);
void nvo_remove_port(struct nvmet_port *nport);
void nvo_disc_traddr(struct nvmet_req *req, struct nvmet_port *nport,
		     char *traddr);

/* cmd.c */
long nvo_queue_mem_bytes(void);

/* queue.c: a queue's life from accept to release */
int nvo_queue_alloc(struct nvo_port *port, struct socket *sock);
void nvo_port_put(struct nvo_port *port);

/* handover.c */
extern unsigned int nvo_reclaim_timeout_ms;
extern unsigned int nvo_kill_timeout_ms;
int nvo_queue_request_offload(struct nvo_queue *queue,
			      struct nvo_offload_dev *dev);
void nvo_queue_killed(struct nvo_queue *queue);
int nvo_queue_request_reclaim(struct nvo_queue *queue,
			      enum nvo_fallback_reason reason);
const char *nvo_offload_state_name(enum nvo_offload_state state);
const char *nvo_fallback_reason_name(enum nvo_fallback_reason reason);

/* offload.c (the visitors hold nvo_offload_mutex while @fn runs) */
typedef void (*nvo_dev_visit_t)(struct nvo_offload_dev *dev, void *arg);
typedef void (*nvo_port_visit_t)(struct nvo_port *port, void *arg);
void nvo_visit_devices(nvo_dev_visit_t fn, void *arg);
void nvo_visit_ports(nvo_port_visit_t fn, void *arg);
int nvo_port_policy_set(u16 portid, const char *devname);
int nvo_port_set(u16 portid, const char *devname, bool on);
int nvo_queue_offload_set(int idx, bool on);
void nvo_port_limits_init(struct nvo_port *port);
void nvo_offload_port_added(struct nvo_port *port);
void nvo_offload_port_removed(struct nvo_port *port);
void nvo_offload_offer_queue(struct nvo_queue *queue);
void nvo_reclaim_timeout_work(struct work_struct *w);
void nvo_offload_exit(void);

/* peer_offload.c: peer transports' ports bound to devices (peer.h) */
int nvo_peer_port_set(u16 portid, struct nvo_offload_dev *dev, bool on,
		      bool keep_bound);
void nvo_peer_binds_dev_gone(struct nvo_offload_dev *dev);

struct nvo_peer_bind_info {
	bool	on;
	bool	bound;
	u32	dev_id;
	char	dev_name[NVO_DEV_NAME_LEN];
};

void nvo_peer_bind_get(u16 portid, struct nvo_peer_bind_info *bi);
void nvo_peer_binds_exit(void);

/* counters.c */
/* A namespace's counters: one per port, subsystem and namespace id. */
struct nvo_ns_acct {
	struct list_head	entry;
	struct hlist_node	hnode;
	u32			id;		/* netlink's key, from 1 */
	struct nvo_port		*port;		/* the key: not a reference */
	u16			portid;
	u32			nsid;
	char			subsysnqn[NVMF_NQN_FIELD_LEN];
	struct nvo_counters_acct acct;
};

/* One namespace's counters on one queue. */
struct nvo_queue_ns {
	struct nvo_offload_stats st;
	struct nvo_ns_acct	*ns;
};

void nvo_counters_acct_init(struct nvo_counters_acct *acct);
void nvo_counters_add(struct nvo_counters *sum, const struct nvo_counters *c);
void nvo_counters_add_stats(struct nvo_offload_stats *sum,
			    const struct nvo_offload_stats *st);
void nvo_counters_sub_base(struct nvo_counters *c,
			   const struct nvo_counters *base);
void nvo_counters_acct_read(struct nvo_counters_acct *acct,
			    struct nvo_counters *retired,
			    struct nvo_counters *base);
void nvo_counters_acct_set_base(struct nvo_counters_acct *acct,
				const struct nvo_counters *raw);
void nvo_counters_queue_raw(struct nvo_queue *queue, struct nvo_counters *c);
void nvo_counters_queue_init(struct nvo_queue *queue);
void nvo_counters_queue_release(struct nvo_queue *queue);
void nvo_counters_left_dev(struct nvo_queue *queue,
			   struct nvo_offload_dev *dev);
void nvo_counters_dev_fold(struct nvo_offload_dev *dev,
			   const struct nvo_offload_stats *st);
void nvo_counters_dev_event(struct nvo_offload_dev *dev, enum nvo_event ev);
void nvo_counters_handover(struct nvo_queue *queue);
struct nvo_offload_stats *nvo_counters_ns(struct nvo_queue *queue, u32 nsid,
					  gfp_t gfp);
void nvo_counters_punt(struct nvo_queue *queue, const struct nvme_command *sqe);
typedef void (*nvo_ns_visit_t)(struct nvo_ns_acct *ns, void *arg);
void nvo_visit_ns_accts(nvo_ns_visit_t fn, void *arg);
typedef void (*nvo_queue_ns_visit_t)(struct nvo_queue_ns *qns, void *arg);
void nvo_visit_queue_ns(struct nvo_queue *queue, nvo_queue_ns_visit_t fn,
			void *arg);
void nvo_counters_port_release(struct nvo_port *port);
void nvo_counters_exit(void);

/* ns_table.c: namespace tables pushed to devices */
void nvo_ns_table_get(struct nvo_queue *queue, struct nvo_offload_dev *dev,
		      struct nvo_handover *h);
void nvo_ns_table_put(struct nvo_queue *queue);
void nvo_ns_tables_aen(const struct nvmet_req *req);
void nvo_ns_tables_dev_failed(struct nvo_offload_dev *dev);
void nvo_ns_tables_exit(void);

/* A bounded copy of (part of) one namespace table, for observers. */
#define NVO_NS_SNAP_ENTRIES	32

enum nvo_ns_snap_table_state {
	NVO_NS_SNAP_ATTACHED,
	NVO_NS_SNAP_DECLINED,	/* subsys_attach said no */
	NVO_NS_SNAP_DEAD,	/* the device failed */
};

enum nvo_ns_snap_entry_state {
	NVO_NS_SNAP_IN_DEVICE,
	NVO_NS_SNAP_REFUSED,	/* a full table: left out, punted */
	NVO_NS_SNAP_REMOVING,	/* REMOVE sent, not completed */
	NVO_NS_SNAP_FAILED,	/* the device's back end failed: punted */
};

struct nvo_ns_snap_entry {
	/* nsid << 1, | 1 when removing: the order, and a dump's cursor */
	u64	key;
	u64	nr_blocks;
	u32	nsid;
	u32	flags;		/* enum nvo_ns_flags */
	u8	lba_shift;
	u8	state;		/* enum nvo_ns_snap_entry_state */
};

struct nvo_ns_snap {
	u32	subsys_id;	/* the table's id, from 1 */
	u32	dev_id;
	u64	gen;
	u8	state;		/* enum nvo_ns_snap_table_state */
	bool	more;		/* entries after e[nr - 1] were left out */
	unsigned int nr;
	char	subsysnqn[NVMF_NQN_FIELD_LEN];
	struct nvo_ns_snap_entry e[NVO_NS_SNAP_ENTRIES];
};

int nvo_ns_table_snap(u32 dev_id, u32 from_id, u64 from_key,
		      struct nvo_ns_snap *snap);

/* counters.c: the software path's own */
void nvo_stats_complete(struct nvo_queue *queue, struct nvo_cmd *cmd);

/* debugfs.c */
void nvo_debugfs_init(void);
void nvo_debugfs_exit(void);

#endif /* NVO_TRANSPORT_H */
