/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmet_offload driver API: what a SmartNIC driver implements to take
 * NVMe-oF I/O queues from the software transport, and the calls it makes
 * back into the shim. Documentation/offload.rst describes the protocol.
 *
 * A queue moves between the shim and a device as a hand-over record: the
 * socket at a PDU boundary in both directions, the negotiated parameters,
 * and the commands taken off the wire but not started ("parked"). No
 * command is ever in flight on both sides.
 *
 * Every symbol nvmet_offload.ko exports is in the symbol namespace
 * NVMET_OFFLOAD: a driver says MODULE_IMPORT_NS(NVMET_OFFLOAD), or
 * MODULE_IMPORT_NS("NVMET_OFFLOAD") from Linux 6.13 (kmod/compat.h's NVO_NS
 * is either).
 */
#ifndef _LINUX_NVMET_OFFLOAD_H
#define _LINUX_NVMET_OFFLOAD_H

#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/net.h>
#include <linux/nvme.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/nvmet_offload_pdu.h>
#include <linux/nvmet_offload_counters.h>

#define NVO_DEV_NAME_LEN	32
#define NVO_LAT_BUCKETS		24	/* log2(us): [0,1), [1,2), [2,4) ... */
/* Punts counted per opcode: 0x00-0x1e one slot each, the last for the rest. */
#define NVO_PUNT_OPC_SLOTS	32

/*
 * The driver API's version, in struct nvo_offload_dev.api_version: major in
 * the upper 16 bits, minor in the lower. The shim refuses another major
 * (-EPROTO); a newer minor only appends fields to struct nvo_caps (whose
 * size field says how much the driver knows) and ops that may be NULL.
 */
#define NVO_API_V2		0x00020000
#define NVO_API_MAJOR(v)	((v) >> 16)

/* Namespace backends a device can serve itself. */
enum nvo_backend {
	NVO_BACKEND_BDEV	= 1 << 0,
};

/* The transports a device may take queues of: the index of caps.tr[]. */
enum nvo_trtype {
	NVO_TR_TCP,
	NVO_TR_RDMA,
	NVO_TR_MAX
};

/*
 * How a device takes and gives back queues of a transport (caps.tr[].take):
 * AT_CONNECT before the queue's first I/O, TAKE_LIVE mid-stream at a command
 * boundary, GIVE_LIVE hands a live queue back with a record. 0: the device
 * takes no queue of that transport.
 */
enum nvo_take {
	NVO_TAKE_AT_CONNECT	= 1 << 0,
	NVO_TAKE_LIVE		= 1 << 1,
	NVO_GIVE_LIVE		= 1 << 2,
};

/*
 * SGL forms a device parses itself (caps.tr[].sgl): in-capsule offset, the
 * transport's data block (TCP: R2T), RDMA keyed, keyed with invalidate.
 */
enum nvo_sgl {
	NVO_SGL_INCAPSULE	= 1 << 0,
	NVO_SGL_TRANSPORT	= 1 << 1,
	NVO_SGL_KEYED		= 1 << 2,
	NVO_SGL_KEYED_INV	= 1 << 3,
};

/* What a device honours on an NVMe/TCP connection. */
struct nvo_tcp_caps {
	u32	max_h2c_data;		/* H2CData PDU bytes; 0: no limit */
	u8	max_hpda;		/* host PDU data alignment it accepts */
	bool	hdgst;			/* header digests */
	bool	ddgst;			/* data digests */
};

/* What a device honours on an NVMe/RDMA queue pair (later phases). */
struct nvo_rdma_caps {
	u8	max_rd_atomic;		/* RDMA READs in flight */
	bool	send_with_inv;		/* SEND with invalidate */
};

/* A device's limits for the queues of one transport. */
struct nvo_tr_caps {
	u32	take;			/* enum nvo_take; 0: not this one */
	u32	max_queues;		/* queues offloaded at once */
	u16	min_queue_depth;	/* SQ size range the device takes */
	u16	max_queue_depth;
	u32	max_inline;		/* in-capsule data bytes */
	u32	max_io_size;		/* data bytes per command */
	u32	sgl;			/* enum nvo_sgl */
	union {
		struct nvo_tcp_caps	tcp;
		struct nvo_rdma_caps	rdma;
	};
};

/*
 * A device's capabilities. The shim reads them once, when the device is
 * bound to a port: the port then advertises only what the device honours
 * (MDTS, in-capsule size, queue size, MAXH2CDATA) and keeps in software
 * the queues the device could not take (too deep, digests it lacks), before
 * the host's Connect completes. Changing them later applies at the next
 * bind. io_opcodes and max_io_size are the device's own business per
 * command (what it does not execute, it punts).
 */
struct nvo_caps {
	u32			size;	/* sizeof(struct nvo_caps) at build */
	struct nvo_tr_caps	tr[NVO_TR_MAX];
	/* NVMe I/O opcodes the device executes itself, bit N for opcode N */
	DECLARE_BITMAP(io_opcodes, 256);
	u32			backends;	/* enum nvo_backend */
};

/* A capsule taken off the wire but not started. */
struct nvo_parked_cmd {
	struct nvme_command	sqe;
	u32			inline_len;	/* in-capsule data bytes */
	void			*inline_data;	/* kmalloc'd, owned by the record */
};

struct nvo_offload_dev;
struct nvo_offload_queue;
struct ib_pd;
struct rdma_cm_id;
struct nvo_rdma_qp;

/*
 * An NVMe/RDMA I/O queue offered to a device at its connection request
 * (caps.tr[NVO_TR_RDMA].take has NVO_TAKE_AT_CONNECT), the device's
 * ops->rdma_accept(). The shim keeps the CM id and its events: it accepts
 * or rejects the connection, and ends it (disconnect, controller deletion,
 * port removal, the device's unregister) by calling ops->queue_reclaim().
 * The device creates its own completion queue and its queue pair on @cm_id
 * (rdma_create_qp(cm_id, pd, ...)), posts @sq_size receive buffers of
 * sizeof(struct nvme_command) + @inline_size bytes each, and from then on
 * receives every capsule of the queue, the Fabrics Connect first: it punts
 * what it does not execute (nvo_offload_punt(), Connect included, whose
 * in-capsule data it passes in the punt's buffer) and answers each command
 * with a SEND of its completion on its QP, read data by RDMA WRITE before
 * it, host data by RDMA READ before the command starts.
 */
struct nvo_rdma_conn {
	struct rdma_cm_id	*cm_id;		/* the shim's; context is too */
	struct ib_pd		*pd;		/* the shim's PD on cm_id->device */
	u16			qid;
	u16			sq_size;	/* hsqsize + 1: receives to post */
	u32			inline_size;	/* in-capsule bytes per receive */
	u8			initiator_depth; /* its RDMA READs in flight */
	u8			responder_resources; /* the host's, in flight */
};

/*
 * Namespace tables. The shim pushes to a device that has ops->ns_update a
 * table of the namespaces of each subsystem it has queues of, per (device,
 * subsystem), so that the device resolves a command's nsid without a call.
 * The table is a cache: software stays the authority. A command whose nsid
 * is not in the table, whose LBA range ends past the entry's nr_blocks, or
 * that the entry's flags forbid (a write to an NVO_NS_RO namespace) is
 * punted, and nvmet answers it (Invalid Namespace, LBA Out of Range, or the
 * I/O of a namespace the table has not caught up with yet).
 */
enum nvo_ns_flags {
	NVO_NS_RO	= 1 << 0,	/* writes are nvmet's (punt them) */
	NVO_NS_VWC	= 1 << 1,	/* the back end has a volatile cache */
	NVO_NS_WZ	= 1 << 2,	/* the back end does write zeroes */
	NVO_NS_DISCARD	= 1 << 3,	/* the back end discards */
};

/* One namespace of a table; only NVO_BACKEND_BDEV for now. */
struct nvo_ns_entry {
	u32			nsid;
	u32			flags;		/* enum nvo_ns_flags */
	u8			lba_shift;	/* log2 of the LBA size */
	u64			nr_blocks;	/* LBAs: commands past it punt */
	enum nvo_backend	kind;
	/* Pinned by the shim from the entry's ADD until its REMOVE completed. */
	struct block_device	*bdev;
};

enum nvo_ns_op {
	NVO_NS_ADD,
	NVO_NS_REMOVE,
	NVO_NS_RESIZE,	/* e.nr_blocks is the new size */
};

/* One change to a table, in gen order (each update's gen is one more). */
struct nvo_ns_update {
	u32			subsys_id;
	u64			gen;
	enum nvo_ns_op		op;
	struct nvo_ns_entry	e;
};

/*
 * A device answers an ns_update it completed later (-EINPROGRESS) with
 * this: @err 0 when applied. For NVO_NS_REMOVE that is once every command
 * it started on the nsid, back-end I/O included, has finished: only then
 * does the shim drop its pin on the namespace (so nvmet's disable waits for
 * the device as for software I/O). Any context. A call for a table the
 * shim detached meanwhile is ignored.
 */
void nvo_ns_update_done(struct nvo_offload_dev *dev, u32 subsys_id, u64 gen,
			int err);

/*
 * The device lost the table of @subsys_id (its entries, or updates, e.g.
 * an engine reset): the shim sends it the whole table again with
 * subsys_attach within its next reconcile period (100 ms) instead of at
 * the next change's -ESTALE. Meanwhile the device punts what it cannot
 * resolve. Any context.
 */
void nvo_ns_table_lost(struct nvo_offload_dev *dev, u32 subsys_id);

/*
 * The device's back end failed for @nsid of @subsys_id (its path to the
 * namespace's storage is gone; MLNX_OFED tears its back-end controller
 * down): the shim takes the entry out of the table with a REMOVE within
 * its next reconcile, and leaves it out until the namespace is disabled
 * and enabled again (or replaced), so that nvmet serves it in software and
 * reports any error itself. Meanwhile the device punts the nsid's
 * commands, and calls again if it still has the entry after a period (a
 * report may be dropped when many arrive at once). Any context.
 */
void nvo_ns_failed(struct nvo_offload_dev *dev, u32 subsys_id, u32 nsid);

/*
 * The queue as it moves between the shim and a device: an NVMe/TCP queue's
 * socket, or an NVMe/RDMA queue's QP, CQ and receive buffers
 * (<linux/nvmet_offload_rdma.h>: @rdma set, @sock and @params unused).
 */
struct nvo_handover {
	struct socket		*sock;
	struct nvo_rdma_qp	*rdma;		/* the shim's, lent */
	struct nvo_conn_params	params;
	u16			qid;
	u16			sq_size;
	/*
	 * The SQ head the last completion reported. The side that takes the
	 * queue continues from it: it advances it by one for each completion
	 * it sends (its own commands' and punted ones': a device sets it in
	 * the response punt_done() gives it) and puts it back in the record
	 * it hands back, so that the host sees one SQHD sequence across
	 * hand-overs. Unused (0) when sqhd_disabled.
	 */
	u16			sqhd;
	bool			sqhd_disabled;	/* DATA_SUCCESS allowed */
	/*
	 * In-capsule data the host was told it may send (IOCCSZ). A device
	 * holds the host to it exactly as the shim does: a capsule with more
	 * than max(inline_limit, NVO_INLINE_FLOOR) bytes ends the connection
	 * (FES Data Transfer Limit Exceeded), one with more than inline_limit
	 * fails with SGL Offset Invalid. A device that cannot take that much
	 * refuses the queue.
	 */
	u32			inline_limit;
	u32			nr_parked;
	struct nvo_parked_cmd	*parked;	/* sq_size entries */
	/*
	 * The queue's subsystem's namespace table on this device (attached by
	 * subsys_attach before the queue_offload that carries it), or 0: no
	 * table, resolve namespaces with nvo_offload_ns_get() (v1).
	 */
	u32			subsys_id;
	u16			cntlid;		/* the queue's controller */
};

struct nvo_handover *nvo_handover_alloc(u16 sq_size, gfp_t gfp);
/* Frees the record and the parked commands' data, not the socket. */
void nvo_handover_free(struct nvo_handover *h);

/*
 * Counters the offload path keeps per queue and per namespace; the device's
 * engine writes them, except the punt counts, which nvo_offload_punt()
 * keeps. Only u64 fields: the shim sums and folds them as arrays.
 */
struct nvo_offload_stats {
	/* u64 <counter>; for each counter of the spec a device counts */
	NVO_DEV_COUNTER_FIELDS
	/*
	 * One count per completion the device sends: their sum moving is
	 * what tells the shim the queue is busy (nvmet's keep-alive).
	 */
	u64	lat_hist[NVO_LAT_BUCKETS];
	u64	punted_by_opcode[NVO_PUNT_OPC_SLOTS];
};

enum nvo_fallback_reason {
	NVO_FALLBACK_NONE,
	NVO_FALLBACK_REFUSED,		/* queue_offload said no */
	NVO_FALLBACK_QUEUE_FAILED,	/* the device failed this queue */
	NVO_FALLBACK_DEV_FAILED,	/* the device (engine) failed */
	NVO_FALLBACK_DEV_REMOVED,	/* unregistered while offloaded */
	NVO_FALLBACK_STREAM_LOST,	/* failed mid-PDU: connection closed */
	NVO_FALLBACK_RECLAIM_TIMEOUT,	/* killed at the reclaim deadline */
	NVO_FALLBACK_KILL_TIMEOUT,	/* the kill went unanswered too */
};

struct nvo_counters_acct;

/* The shim's queue as a device sees it. */
struct nvo_offload_queue {
	struct nvo_offload_dev	*dev;
	void			*dev_priv;	/* the device's, for its queue */
	s32			engine;		/* the device's engine; -1: none */
	u32			id;		/* shim queue index */
	enum nvo_trtype		trtype;		/* the queue's transport */
	u16			qid;
	u16			cntlid;		/* RDMA: 0 until its Connect */
	u16			depth;
	struct nvo_offload_stats stats;
};

struct nvo_offload_ops {
	/*
	 * Take the queue described by @h. On success the device owns the
	 * socket (it installs its own socket callbacks and must look for data
	 * already queued) and the record, which it frees once it has started
	 * the parked commands. On error the shim keeps both. May sleep.
	 */
	int (*queue_offload)(struct nvo_offload_queue *oq,
			     struct nvo_handover *h);
	/*
	 * Give the queue back by @deadline (CLOCK_MONOTONIC, as ktime_get()):
	 * drain (park new capsules, finish started commands and punts),
	 * restore the socket callbacks found at offload, then call
	 * nvo_offload_reclaimed(). Completes later; must not wait for the
	 * drain. A queue that has failed meanwhile answers with its
	 * nvo_offload_failed() instead; a reclaim of a queue already handed
	 * back is a no-op. Process context, no shim lock held.
	 */
	void (*queue_reclaim)(struct nvo_offload_queue *oq, ktime_t deadline);
	/*
	 * The reclaim deadline passed: stop now. Within kill_timeout_ms the
	 * device stops touching the connection (mid-PDU if need be), ends or
	 * aborts the queue's back-end I/O, stops using what punts lent it,
	 * and calls nvo_offload_failed(oq, NVO_FALLBACK_RECLAIM_TIMEOUT, h):
	 * with a record if it happens to be at a command boundary, else NULL
	 * (the shim then closes the connection; the host reconnects and
	 * retries). Unanswered, the device is failed: unbound from every
	 * port, each of its queues' connections cut by the shim and counted
	 * (NVO_FALLBACK_KILL_TIMEOUT); the shim keeps those queues until the
	 * driver answers for them, which it must do before its module goes
	 * (after resetting the hardware, in its remove path). Process
	 * context, no shim lock held. NULL: the deadline fails the device.
	 */
	void (*queue_kill)(struct nvo_offload_queue *oq);
	/*
	 * A punted command completed in software: send its response, and for
	 * a successful read the data nvmet placed in the punted buffer. @cqe
	 * is complete but for its sq_head, which the device sets from its own
	 * SQ head (struct nvo_handover.sqhd); valid only during the call. Any
	 * context, possibly inside nvo_offload_punt().
	 */
	void (*punt_done)(struct nvo_offload_queue *oq, void *cookie,
			  const struct nvme_completion *cqe);
	/*
	 * Namespace tables (optional: all three or none; NULL and the device
	 * resolves each command with nvo_offload_ns_get() as in v1).
	 *
	 * subsys_attach: a table for subsystem @subsys_id (named @subnqn for
	 * the device's own reports), before the first queue_offload whose
	 * record names it, holding @nr entries at generation @gen. 0, or an
	 * error: the subsystem's queues then carry subsys_id 0 (v1). Called
	 * again for an id already attached (after -ESTALE): the whole table,
	 * which replaces the device's; it returns only once the device no
	 * longer uses an entry it dropped (none of them is reported done).
	 * subsys_detach: after the last queue of the subsystem left the device
	 * (every one reclaimed or failed): the device drops the table and
	 * reports no more nvo_ns_update_done() for it. ns_update: one change,
	 * in gen order; 0 (applied), -EINPROGRESS (nvo_ns_update_done()
	 * follows), -ENOSPC (table full: the namespace stays out, its commands
	 * punt), other errors refuse it; -ESTALE on a gen gap (the device
	 * lost updates: it is sent the whole table with subsys_attach). For
	 * NVO_NS_REMOVE the device starts no command on the nsid once the call
	 * is made; for a growing NVO_NS_RESIZE it may go on punting commands
	 * past the old end until it completes.
	 *
	 * All three: process context, may sleep; no shim spinlock is held, the
	 * shim's table mutex is (a device calls nothing of the shim's but
	 * nvo_ns_update_done() from them). Never called on a failed device.
	 */
	int (*subsys_attach)(struct nvo_offload_dev *dev, u32 subsys_id,
			     const char *subnqn,
			     const struct nvo_ns_entry *tbl, u32 nr, u64 gen);
	void (*subsys_detach)(struct nvo_offload_dev *dev, u32 subsys_id);
	int (*ns_update)(struct nvo_offload_dev *dev,
			 const struct nvo_ns_update *u);
	/*
	 * NVMe/RDMA, offload at connect (struct nvo_rdma_conn says what the
	 * device does): 0 once its QP exists on @c->cm_id with its receives
	 * posted; the shim then accepts the connection with that QP. An error
	 * leaves no QP on the id (the device destroyed what it made): the
	 * queue stays in software, counted as refused. Called from the id's
	 * rdma_cm handler (process context, may sleep, no shim lock held):
	 * the device calls no rdma_cm function on the id but rdma_create_qp()
	 * and rdma_destroy_qp(). The shim ends such a queue with
	 * queue_reclaim(): its connection is gone or going (the shim called
	 * rdma_disconnect()), so the device stops taking capsules, lets its
	 * started commands and punts end (their responses may be dropped),
	 * destroys its QP (rdma_destroy_qp()) and CQ, and then calls
	 * nvo_offload_reclaimed(oq, NULL). Optional: NULL, and the device
	 * takes no RDMA queue.
	 */
	int (*rdma_accept)(struct nvo_offload_queue *oq,
			   const struct nvo_rdma_conn *c);
	/*
	 * NVMe/RDMA, live (caps.tr[NVO_TR_RDMA].take has NVO_TAKE_LIVE and
	 * NVO_GIVE_LIVE): take the running queue @h describes (@h->rdma, the
	 * rules in <linux/nvmet_offload_rdma.h>). Before returning 0 the
	 * device has set each receive's cqe.done and owner_priv and made
	 * oq->dev_priv its queue; it then polls the CQ (completions may be
	 * waiting), starts the parked commands in order, continues the SQ
	 * head from @h->sqhd, and frees the record. An error leaves
	 * everything as it was: the shim keeps serving the queue. Process
	 * context, may sleep; the shim holds the queue's move lock (the
	 * calls the device makes on the queue are fine, its unregister is
	 * not).
	 *
	 * queue_reclaim() on such a queue gives it back live: the device
	 * parks the capsules it polls from then on (reposting their
	 * buffers), lets its started commands and punts end with their
	 * responses, and calls nvo_offload_reclaimed() with a record (from
	 * nvo_handover_alloc(), @rdma as it was given, @sqhd its SQ head).
	 * Killed, or failing, it moves the QP to the error state, polls the
	 * flushes of its own work requests, and calls nvo_offload_failed()
	 * (NULL: the shim ends the connection). Either way it destroys
	 * neither the QP nor the CQ, and no work request of its own may be
	 * left on them: the shim polls the CQ afterwards.
	 */
	int (*rdma_take)(struct nvo_offload_queue *oq, struct nvo_handover *h);
	/*
	 * The CQ of a queue the device took live has completions: wake what
	 * polls it. Called from the CQ's completion handler (any context,
	 * possibly hard interrupt; under rcu_read_lock()) from the start of
	 * rdma_take() until the device's nvo_offload_reclaimed() or
	 * nvo_offload_failed() on the queue returns; the device keeps what
	 * oq->dev_priv points to valid until then, or clears oq->dev_priv
	 * first. Required with rdma_take.
	 */
	void (*rdma_cq_wake)(struct nvo_offload_queue *oq);
};

struct nvo_offload_dev {
	u32				api_version;	/* NVO_API_V2 */
	char				name[NVO_DEV_NAME_LEN];
	const struct nvo_offload_ops	*ops;
	struct nvo_caps			caps;
	struct module			*owner;
	void				*priv;
	u32				nr_engines;	/* 0: not told */

	/* The shim's: */
	u32				id;
	bool				failed;	/* a kill went unanswered */
	struct list_head		entry;
	atomic_t			nr_queues;
	/* Counts of queues that left the device, the stats-reset base. */
	struct nvo_counters_acct	*acct;
};

/*
 * 0, -EINVAL (an op or the name missing), -EEXIST (the name is taken), or
 * -EPROTO: another major API version, or a struct nvo_caps larger than the
 * shim knows. May sleep.
 */
int nvo_offload_register(struct nvo_offload_dev *dev);
/*
 * Reclaims every queue of @dev first and waits until all are back in
 * software (every queue_reclaim has called its done callback, or failed)
 * or killed: a reclaim is bounded (queue_kill), so this returns within
 * reclaim_timeout_ms + kill_timeout_ms of the last reclaim. The driver
 * still answers for its killed queues before its module goes. May sleep.
 */
void nvo_offload_unregister(struct nvo_offload_dev *dev);

/*
 * Hand the queue back. Both end the device's ownership, so a device calls
 * them only once every punt it made on the queue has had its punt_done()
 * called, and punts nothing on it afterwards (the shim refuses a punt from
 * a device that no longer owns the queue). The shim keeps the queue
 * counted against the device until its own work after each punt_done()
 * is over too, so no punt_done() ever runs into an unregistered driver.
 */
void nvo_offload_reclaimed(struct nvo_offload_queue *oq,
			   struct nvo_handover *h);
/*
 * @h is NULL when the stream is lost: the shim then closes the connection.
 * On an NVMe/RDMA queue taken live (ops->rdma_take) both are called in
 * process context and may sleep: the shim waits there until no
 * rdma_cq_wake() can still be running.
 * An RDMA queue taken at connect has no record either way: the device
 * calls one of the two with NULL once its QP is destroyed (after
 * queue_reclaim(), or on its own when the QP failed, e.g. a bad rkey: the
 * shim then ends the connection and the host reconnects).
 */
void nvo_offload_failed(struct nvo_offload_queue *oq,
			enum nvo_fallback_reason reason,
			struct nvo_handover *h);

/*
 * Execute a command in software. @sg holds @len bytes: the write data the
 * device received, or room for read data. ops->punt_done() reports the
 * completion; the command's slot is free again before it is called.
 * Returns 0, -EBUSY when no command slot is free (retry later), or -EINVAL
 * when the device does not own the queue. Process context.
 */
int nvo_offload_punt(struct nvo_offload_queue *oq,
		     const struct nvme_command *sqe, struct scatterlist *sg,
		     unsigned int sg_cnt, u32 len, void *cookie);

/*
 * v1 helper, for a device that does not keep the SQ head itself: advances
 * the head nvmet keeps and returns it for a completion, and marks the
 * controller busy for keep-alive. A v2 device keeps SQHD itself
 * (struct nvo_handover.sqhd) and calls nothing per completion: the shim
 * sees its traffic in oq->stats (every completion it sends counts in
 * lat_hist, nvo_offload_account_lat()). A device using the helper hands
 * back a record whose sqhd is the last value it returned.
 */
u16 nvo_offload_next_sqhd(struct nvo_offload_queue *oq);

/*
 * A namespace's block device, pinned while the device does I/O on it, and
 * the namespace's counters on this queue: the device counts a command it
 * executes both there and in oq->stats. @stats stays valid after
 * nvo_offload_ns_put() until the queue is reclaimed.
 */
struct nvo_ns_ref {
	void			*ns;		/* opaque */
	struct block_device	*bdev;
	u8			blksize_shift;
	u64			nr_blocks;
	struct nvo_offload_stats *stats;
};

/* 0, -ENOENT (no such namespace) or -EOPNOTSUPP (not a block device). */
int nvo_offload_ns_get(struct nvo_offload_queue *oq, u32 nsid,
		       struct nvo_ns_ref *ref);
void nvo_offload_ns_put(struct nvo_ns_ref *ref);

/*
 * The counters of namespace @nsid on the queue, for a device that resolves
 * namespaces from its table (v1's counters in shim memory, until the
 * device keeps its own): valid until the queue is reclaimed, never NULL.
 * Any context; does not sleep.
 */
struct nvo_offload_stats *nvo_offload_ns_stats(struct nvo_offload_queue *oq,
					       u32 nsid);

/*
 * The completions a device has counted (the sum of lat_hist): what the
 * shim watches for keep-alive. Read while the device writes: any recent
 * value will do.
 */
static inline u64 nvo_offload_completions(const struct nvo_offload_stats *st)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < NVO_LAT_BUCKETS; i++)
		sum += READ_ONCE(st->lat_hist[i]);
	return sum;
}

static inline void nvo_offload_account_lat(struct nvo_offload_stats *st,
					   u64 lat_ns)
{
	u64 us = div_u64(lat_ns, 1000);
	unsigned int b = us ? fls64(us) : 0;

	st->lat_hist[min_t(unsigned int, b, NVO_LAT_BUCKETS - 1)]++;
}

#endif /* _LINUX_NVMET_OFFLOAD_H */
