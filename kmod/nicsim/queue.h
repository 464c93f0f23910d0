/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nicsim's queues: what engine.c, stage.c, cmd.c, exec.c, pdus.c and
 * queue.c share. engine.c describes how they fit together.
 */
#ifndef NICSIM_QUEUE_H
#define NICSIM_QUEUE_H

#include <linux/blk_types.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/scatterlist.h>
#include <linux/nvmet_offload_stream.h>

#include "nicsim.h"

/* PDUs one queue handles per turn before its engine serves another. */
#define NQ_BUDGET		64
/* How soon a punt the shim had no room for is tried again. */
#define NQ_PUNT_RETRY_NS	(100 * NSEC_PER_USEC)
/* How soon a command waiting for staging looks at the budget again. */
#define NQ_STAGE_RETRY_NS	(200 * NSEC_PER_USEC)

enum nq_cmd_state {
	NQ_CMD_FREE,
	NQ_CMD_PARKED,		/* kept, not started: for the record */
	NQ_CMD_DATA,		/* receiving its in-capsule data or H2CData */
	NQ_CMD_STAGE_WAIT,	/* started, waiting for staging */
	NQ_CMD_BACKEND,		/* bio or punt outstanding */
	NQ_CMD_RETRY,		/* punt to try again */
	NQ_CMD_DELAYED,		/* completion held back (extra_latency_us) */
	NQ_CMD_TX,		/* response on its way out */
};

/* Requests to the engine from other contexts: bits of queue->requests. */
enum {
	NQ_REQ_RECLAIM,
	NQ_REQ_CRASH,
	NQ_REQ_CLOSED,		/* the connection is closing */
	NQ_REQ_KILL,		/* the reclaim deadline passed: stop now */
	NQ_REQ_THAW,		/* the device goes: end a frozen queue */
};

struct nicsim_queue;

struct nq_cmd {
	struct nicsim_queue	*q;
	struct nvme_command	sqe;
	struct nvme_completion	cqe;
	u16			ttag;
	u8			state;		/* enum nq_cmd_state */
	bool			own;		/* the device executes it */
	bool			inline_data;	/* its data came in the capsule */
	bool			ns_held;
	bool			injected;	/* backend error injected */
	bool			ns_failed;	/* its table entry's back end failed */
	u16			status;		/* own commands: NVMe status */
	u16			data_status;	/* set when a data digest failed */
	blk_status_t		bio_status;
	u32			inline_len;	/* in-capsule bytes received */
	u32			len;		/* the command's data bytes */
	struct nvo_ns_ref	ns;
	struct nicsim_ns	*tns;		/* ns from the table, or NULL */
	u64			start_ns;
	u64			ready_ns;	/* DELAYED: when to respond */

	/* Staging, charged to the device's budget: holds the data. */
	struct scatterlist	*stage;
	unsigned int		stage_nents;
	u32			stage_pages;
	/* A parked capsule's in-capsule data, outside the budget. */
	void			*park_buf;
	struct scatterlist	*data_sg;
	unsigned int		data_nents;

	struct nvo_pdu_rx	rx;
	struct nvo_pdu_tx	tx;

	struct list_head	entry;		/* free_cmds or a queue's list */
	struct list_head	done_entry;	/* queue->done_list */
};

struct nicsim_queue {
	struct nicsim_dev	*ndev;
	struct nicsim_engine	*eng;
	struct nvo_offload_queue *oq;
	struct nvo_stream	stream;		/* the engine's only */
	u16			qid;
	u16			sq_size;
	u16			sqhd;		/* the SQ head, the engine's */
	bool			sqhd_disabled;
	u32			inline_max;	/* in-capsule data bytes */
	/* The subsystem's namespace table, or NULL: nvo_offload_ns_get(). */
	struct nicsim_ns_table	*ns_tbl;

	struct nq_cmd		*cmds;
	u32			nr_cmds;

	struct list_head	free_cmds;
	struct list_head	start_list;	/* the record's, not started yet */
	struct list_head	parked;		/* parked while draining */
	struct list_head	stage_wait;	/* started, staging to come */
	struct list_head	tx_list;
	struct list_head	retry_list;
	struct list_head	delayed;
	u32			nr_used;	/* slots off the free list */
	u32			nr_parked;	/* of those, on start_list/parked */
	u32			nr_backend;	/* bios and punts outstanding */
	u32			nr_r2t;		/* writes soliciting data */
	bool			rx_stalled;	/* NVO_SRX_WAIT without staging */

	spinlock_t		done_lock;	/* guards done_list */
	struct list_head	done_list;

	unsigned long		requests;	/* NQ_REQ_* bits, any context */
	bool			draining;
	bool			broken;		/* the stream is lost */
	bool			frozen;		/* kill_hang: the engine skips it */
	/* why, when not a socket error: the kill, or the thaw after one */
	enum nvo_fallback_reason lost_reason;
	enum nvo_fallback_reason drain_reason;	/* NONE: a reclaim */
	u64			finish_at;	/* slow_reclaim_ms: not before */
	struct hrtimer		timer;

	struct list_head	dev_entry;	/* ndev->queues, ndev->lock */
	struct list_head	run_entry;	/* eng->runq, eng->lock */
};

static inline struct nicsim_queue *nq_of(struct nvo_stream *s)
{
	return s->owner;
}

/* engine.c: engine threads, a queue's turn on one */
void nq_kick(struct nicsim_queue *q);
enum hrtimer_restart nq_timer_fn(struct hrtimer *timer);
void nq_done(struct nq_cmd *c);

/* stage.c: staging */
void nq_stage_count_wait(struct nicsim_dev *ndev);
int nq_stage_alloc(struct nicsim_queue *q, struct nq_cmd *c, u32 len,
		   bool force);
void nq_stage_free(struct nicsim_queue *q, struct nq_cmd *c);
int nq_map_data(struct nicsim_queue *q, struct nq_cmd *c);
void nq_park_data(struct nicsim_queue *q, struct nq_cmd *c);

/* cmd.c: command slots and how a command starts */
struct nq_cmd *nq_get_cmd(struct nicsim_queue *q);
void nq_cmd_release(struct nicsim_queue *q, struct nq_cmd *c);
void nq_put_cmd(struct nicsim_queue *q, struct nq_cmd *c);
void nq_ns_drop(struct nq_cmd *c);
u16 nq_check_data(struct nicsim_queue *q, struct nq_cmd *c);
void nq_queue_r2t(struct nicsim_queue *q, struct nq_cmd *c);
bool nq_retry_staging(struct nicsim_queue *q);
void nq_capsule_ready(struct nicsim_queue *q, struct nq_cmd *c);
void nq_start_record(struct nicsim_queue *q);

/* exec.c: command execution: bios, punts, completions */
void nq_complete(struct nicsim_queue *q, struct nq_cmd *c, u16 status);
bool nq_reap(struct nicsim_queue *q);
bool nq_run_delayed(struct nicsim_queue *q, u64 now);
bool nq_retry_punts(struct nicsim_queue *q);
void nq_cmd_execute(struct nicsim_queue *q, struct nq_cmd *c);

/* pdus.c: the queue's PDU stream */
extern const struct nvo_stream_ops nq_stream_ops;

/* queue.c: queue life cycle */
void nq_finish(struct nicsim_queue *q);
void nq_begin_drain(struct nicsim_queue *q,
		    enum nvo_fallback_reason reason);

#endif /* NICSIM_QUEUE_H */
