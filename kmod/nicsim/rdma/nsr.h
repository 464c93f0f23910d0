/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nicsim_rdma: nicsim's NVMe/RDMA engine. A nicsim device takes an NVMe/RDMA
 * I/O queue at its connection request (driver API v2, offload at connect):
 * it builds its own CQ and QP on the shim's CM id, receives every capsule
 * of the queue, executes reads and writes with its own bios, punts the rest
 * to nvmet, and sends each completion itself. It also takes a running queue
 * live (ops->rdma_take): then the QP, the CQ and the receive ring are the
 * shim's, lent (<linux/nvmet_offload_rdma.h>), and the queue is given back
 * live with a record of the capsules it parked while draining.
 *
 * Layers, top to bottom (each file calls only the ones below it):
 *   main.c    module init and exit, registration with nicsim.ko
 *   queue.c   the driver ops for one queue: accept, take, reclaim, kill,
 *             punt_done, cq_wake
 *   engine.c  the queue's thread: events, CQ polling, stopping, hand-back
 *   cmd.c     one command: capsule, SGL, own or punt, RDMA READ/WRITE, SEND;
 *             parked capsules, started at a take, parked at a give-back
 *   lent.c    a queue over the shim's lent QP, CQ and receive ring
 *   qp.c      the queue's CQ, QP, receive buffers, responses and slots
 */
#ifndef NICSIM_RDMA_H
#define NICSIM_RDMA_H

#include <linux/blk_types.h>
#include <linux/list.h>
#include <linux/nvme.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <rdma/rw.h>
#include <linux/nvmet_offload_rdma.h>

#include "../nicsim.h"

/*
 * The largest transfer of a command: the shim's NVMe/RDMA MDTS (1 MiB). A
 * keyed SGL beyond it is answered as the software transport answers it.
 */
#define NSR_MAX_XFER		NICSIM_MAX_XFER
/* Send SGEs per RDMA READ/WRITE work request: fewer WRs per transfer. */
#define NSR_MAX_SEND_SGE	32
/* Work completions taken from the CQ at once, and per turn of the thread. */
#define NSR_POLL_BATCH		16
#define NSR_POLL_BUDGET		64
/* How soon a punt without room, or a command without staging, tries again. */
#define NSR_RETRY_NS		(200 * NSEC_PER_USEC)
/* While stopping: how often the thread looks, should a CQ event be missed. */
#define NSR_DRAIN_POLL_NS	(10 * NSEC_PER_MSEC)

/* Where a command is; only the queue's thread changes it. */
enum nsr_cmd_state {
	NSR_C_FREE,
	NSR_C_STAGE_WAIT,	/* waiting for staging */
	NSR_C_READ_WAIT,	/* RDMA READ waiting for send queue room */
	NSR_C_READ,		/* RDMA READ of the host's data posted */
	NSR_C_BACKEND,		/* bio or punt outstanding */
	NSR_C_DELAYED,		/* done, answered at ready_ns (extra_latency_us) */
	NSR_C_PUNT_RETRY,	/* the shim had no room for the punt */
	NSR_C_SEND_WAIT,	/* response waiting for send queue room */
	NSR_C_SEND,		/* response (and read data) posted */
	NSR_C_DEAD,		/* a post failed: released at teardown */
};

/* Requests to the thread from other contexts: bits of queue->requests. */
enum {
	NSR_REQ_CQ,		/* the CQ has completions */
	NSR_REQ_RECLAIM,	/* queue_reclaim() */
	NSR_REQ_KILL,		/* queue_kill(): stop now */
	NSR_REQ_FATAL,		/* an asynchronous QP or CQ error */
	NSR_REQ_CRASH,		/* the device's engine crashed (debugfs) */
};

/* A receive buffer: one capsule, the SQE and the in-capsule data. */
struct nsr_rx {
	struct nvme_command	*sqe;		/* in queue->sqes */
	u64			sqe_dma;
	struct page		*inline_page;	/* inline_size bytes, or NULL */
	u64			inline_dma;
	struct ib_cqe		cqe;
	struct ib_recv_wr	wr;
	struct ib_sge		sge[2];
	struct nsr_queue	*q;
	/* A lent queue's: the shim's entry, always posted through its WR. */
	struct nvo_rdma_recv	*ring;
};

/* A command slot. Staging and the RDMA context are taken per command. */
struct nsr_cmd {
	struct nsr_queue	*q;
	struct nvme_command	sqe;		/* copied off the receive */
	struct nvme_completion	cqe;		/* what the response will say */
	struct nvme_completion	*rsp;		/* in queue->rsps, mapped */
	u64			rsp_dma;
	u8			state;		/* enum nsr_cmd_state */
	bool			own;		/* the device executes it */
	bool			write;		/* host to controller data */
	bool			in_capsule;	/* its data came in the capsule */
	bool			ns_held;
	bool			rw_used;	/* rw is initialised */
	bool			connect;	/* a Fabrics Connect */
	blk_status_t		bio_status;
	u32			len;		/* data bytes */
	u64			raddr;		/* keyed: the host's buffer */
	u32			rkey;
	u64			start_ns;
	u64			ready_ns;	/* NSR_C_DELAYED: answer from then */
	struct nvo_ns_ref	ns;

	/* The receive it holds until answered (in-capsule data), or NULL. */
	struct nsr_rx		*rx;
	/* A parked capsule's in-capsule data (kmalloc'd, ours), or NULL. */
	void			*parked_data;
	u32			parked_len;
	/* The data: staging, or the receive's in-capsule bytes. */
	struct scatterlist	*stage;
	unsigned int		stage_nents;
	u32			stage_pages;
	struct scatterlist	inline_sg;
	struct scatterlist	*data_sg;
	unsigned int		data_nents;

	struct rdma_rw_ctx	rw;
	enum dma_data_direction	rw_dir;
	u32			rw_wrs;		/* its work requests */
	struct ib_cqe		read_cqe;
	struct ib_cqe		send_cqe;
	struct ib_send_wr	send_wr;
	struct ib_sge		send_sge;

	struct list_head	entry;		/* free or a wait list */
	struct list_head	done_entry;	/* queue->done_list */
};

struct nsr_queue {
	struct nicsim_dev	*ndev;
	struct list_head	dev_entry;	/* ndev->rdma_queues, ndev->lock */
	struct nvo_offload_queue *oq;
	struct rdma_cm_id	*cm_id;		/* the shim's */
	struct ib_pd		*pd;		/* the shim's */
	struct ib_device	*ibdev;
	u32			port_num;
	struct ib_cq		*cq;
	struct ib_qp		*qp;
	u16			qid;
	u16			sq_size;
	u16			sqhd;		/* SQ head of the last response */
	bool			sqhd_disabled;	/* the Connect asked so */
	u32			inline_size;
	u32			inline_limit;	/* lent: the record's, given back */

	/*
	 * Taken live: the QP, the CQ and the receive ring are the shim's
	 * (@ring), never created or destroyed here, and nothing of ours may
	 * stay on them when the queue is handed back.
	 */
	bool			lent;
	struct nvo_rdma_qp	*ring;
	/* The take's record: its parked commands start first (thread). */
	struct nvo_handover	*parked_in;
	/* Given back live: the record capsules are parked in meanwhile. */
	struct nvo_handover	*parked_out;

	struct nsr_rx		*rxs;		/* sq_size */
	struct nvme_command	*sqes;		/* their SQEs, one mapping */
	u64			sqes_dma;
	struct nsr_cmd		*cmds;		/* nr_cmds */
	u32			nr_cmds;
	struct nvme_completion	*rsps;		/* one per slot, one mapping */
	u64			rsps_dma;
	int			cq_size;

	/* The thread's only: */
	struct ib_wc		wcs[NSR_POLL_BATCH];	/* one poll's */
	struct list_head	free_cmds;
	struct list_head	stage_wait;
	struct list_head	wr_wait;	/* READs and responses, in order */
	struct list_head	retry_list;	/* punts to try again */
	struct list_head	delayed;	/* own I/O held: extra_latency_us */
	int			wr_total;	/* send queue WRs we use */
	int			wr_avail;	/* of those, not in use */
	u32			nr_recvs;	/* receives posted */
	u32			nr_sends;	/* responses posted */
	u32			nr_reads;	/* RDMA READs posted */
	u32			nr_backend;	/* bios and punts outstanding */
	bool			dead;		/* nothing more is posted */
	bool			stopping;	/* ends once quiet */
	bool			killed;		/* ... without draining the QP */
	bool			frozen;		/* kill_hang: the thread waits */
	enum nvo_fallback_reason stop_reason;	/* NONE: a reclaim */
	u64			finish_at;	/* slow_reclaim_ms: not before */

	spinlock_t		done_lock;	/* guards done_list */
	struct list_head	done_list;	/* bios and punts completed */

	unsigned long		requests;	/* NSR_REQ_* bits, any context */
	wait_queue_head_t	wq;
	struct task_struct	*task;
};

/* Wake the queue's thread for request @bit. Any context. */
static inline void nsr_request(struct nsr_queue *q, int bit)
{
	set_bit(bit, &q->requests);
	wake_up(&q->wq);
}

/* cmd.c: one command */
void nsr_cmds_setup(struct nsr_queue *q);
void nsr_start_parked(struct nsr_queue *q);
void nsr_cmd_done(struct nsr_cmd *c);
bool nsr_reap(struct nsr_queue *q);
bool nsr_retry(struct nsr_queue *q);
u64 nsr_next_ready(struct nsr_queue *q);
void nsr_drop_waiting(struct nsr_queue *q);

/* qp.c: the queue's verbs resources */
int nsr_qp_create(struct nsr_queue *q);
void nsr_qp_destroy(struct nsr_queue *q);
int nsr_alloc_cmds(struct nsr_queue *q);
void nsr_free_cmds(struct nsr_queue *q);
int nsr_post_recv(struct nsr_queue *q, struct nsr_rx *rx);
void nsr_qp_error(struct nsr_queue *q);
void nsr_stop(struct nsr_queue *q, enum nvo_fallback_reason reason,
	      bool kill);
struct nsr_cmd *nsr_get_cmd(struct nsr_queue *q);
void nsr_put_cmd(struct nsr_queue *q, struct nsr_cmd *c);
void nsr_release_cmd(struct nsr_queue *q, struct nsr_cmd *c);

/* lent.c: a queue over the shim's QP, CQ and receive ring */
int nsr_lent_check(const struct nvo_handover *h);
int nsr_lent_create(struct nsr_queue *q, struct nvo_rdma_qp *ring);
void nsr_lent_destroy(struct nsr_queue *q);

/* engine.c: the queue's thread */
int nsr_engine_create(struct nsr_queue *q);
void nsr_engine_start(struct nsr_queue *q);

/* queue.c: the driver ops */
extern const struct nicsim_rdma_ops nsr_ops;

#endif /* NICSIM_RDMA_H */
