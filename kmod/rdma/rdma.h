/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmet_offload_rdma: the NVMe/RDMA target transport (software path).
 * Layers, top to bottom (each file calls only the ones below it):
 *   main.c   module, nvmet_fabrics_ops, the ib_client for device removal
 *   cm.c     rdma_cm listeners, connection requests and events
 *   live.c   a running queue moving to a device and back
 *   queue.c  a queue's QP, CQ and its poller, receive buffers, slots
 *   offload.c a queue an offload device takes at its connect
 *   cmd.c    one command: its capsule, SGL, RDMA READ/WRITE, response
 */
#ifndef NVO_RDMA_H
#define NVO_RDMA_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/nvme-rdma.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <rdma/rw.h>
#include <linux/nvmet_offload_rdma.h>

#include "nvmet.h"
#include "../peer.h"

/*
 * What a host can make us allocate is bounded here. An I/O queue holds at
 * most NVO_RDMA_MAX_QSIZE commands (the admin queue NVME_AQ_DEPTH), an
 * in-capsule buffer is at most NVO_RDMA_MAX_INLINE bytes, and a command moves
 * at most 4 KiB << NVO_RDMA_MDTS bytes.
 */
#define NVO_RDMA_MAX_QSIZE	128
#define NVO_RDMA_DEF_INLINE	PAGE_SIZE
#define NVO_RDMA_MAX_INLINE	16384
#define NVO_RDMA_MDTS		8
#define NVO_RDMA_MAX_XFER	(SZ_4K << NVO_RDMA_MDTS)
#define NVO_RDMA_BACKLOG	128

/* One RDMA device (ib_device) our queues use, with its protection domain. */
struct nvo_rdma_dev {
	struct ib_device	*ibdev;
	struct ib_pd		*pd;
	struct kref		ref;
	struct list_head	entry;
};

/*
 * What an rdma_cm id's context is: the first member of a listening port
 * and of a queue (a device's QP on a queue's id is no sign of either).
 */
enum nvo_rdma_id_kind {
	NVO_RDMA_ID_PORT = 1,
	NVO_RDMA_ID_QUEUE,
};

/* A listening nvmet port. */
struct nvo_rdma_port {
	enum nvo_rdma_id_kind	kind;		/* NVO_RDMA_ID_PORT, first */
	struct nvmet_port	*nport;
	struct mutex		lock;		/* cm_id and the flags */
	struct rdma_cm_id	*cm_id;		/* the listener, NULL: none */
	bool			removed;	/* remove_port began */
	bool			listening;	/* an id being set up */
	bool			listen_lost;	/* ... and its device went */
	struct delayed_work	relisten;	/* after its device went */
	struct sockaddr_storage	addr;
	struct list_head	entry;		/* nvo_rdma_ports */
	/*
	 * What it advertises: ours, or a bound offload device's limits
	 * (cm.c's nvo_rdma_port_limits); the configured in-capsule size is
	 * kept to be restored. Under nvo_rdma_ports_lock; read unlocked.
	 */
	u8			mdts;
	u16			max_qsize;
	bool			limited;
	int			stock_inline;
	struct rcu_head		rcu;		/* nvmet's ops read it under RCU */
};

/* A command slot: the nvmet request, its response and its data transfer. */
struct nvo_rdma_cmd {
	struct nvmet_req	req;
	struct nvo_rdma_queue	*queue;
	/* The receive holding its capsule until answered; NULL: parked copy. */
	struct nvo_rdma_recv	*rx;
	struct list_head	entry;
	u64			cqe_dma;
	struct ib_cqe		send_cqe;
	struct ib_cqe		read_cqe;
	struct ib_send_wr	send_wr;
	struct ib_sge		send_sge;
	struct rdma_rw_ctx	rw;
	struct scatterlist	inline_sg;
	u32			invalidate_rkey;
	enum dma_data_direction	dir;
	bool			rw_used;
	bool			nvmet_sgls;
	bool			invalidate;
	/* A command an offload device punted: its capsule (nvo_rdma_punt). */
	bool			punted;
	void			*punt_cookie;
	/* The SQE of a punted or a parked command (no receive holds it). */
	struct nvme_command	own_sqe;
	void			*parked_data;	/* a parked one's in-capsule */
};

enum nvo_rdma_state {
	NVO_RDMA_Q_CONNECTING,
	NVO_RDMA_Q_LIVE,
	NVO_RDMA_Q_DISCONNECTING,
};

/* Work completions polled at once, and per run of the poll work. */
#define NVO_RDMA_POLL_BATCH	16
#define NVO_RDMA_POLL_BUDGET	64

/* One NVMe queue: one RC queue pair. */
struct nvo_rdma_queue {
	enum nvo_rdma_id_kind	kind;		/* NVO_RDMA_ID_QUEUE, first */
	struct rdma_cm_id	*cm_id;
	struct ib_qp		*qp;		/* ours; NULL: taken at connect */
	struct ib_cq		*cq;
	/*
	 * The CQ's poller: our work, or while a device has the queue live,
	 * the device (dev_polls, read under RCU by the CQ's handler).
	 */
	struct work_struct	poll_work;
	bool			dev_polls;
	bool			poll_held;	/* a hand-over under way */
	struct ib_wc		wcs[NVO_RDMA_POLL_BATCH];
	/* What a live move lends a device (rq.recvs: the receive buffers). */
	struct nvo_rdma_qp	rq;
	struct nvo_rdma_dev	*dev;
	struct nvmet_port	*nport;
	struct nvmet_sq		nvme_sq;
	struct nvmet_cq		nvme_cq;

	int			id;		/* the core's queue id */
	u16			host_qid;
	u32			recv_size;	/* receive buffers */
	u32			nr_cmds;	/* command slots: 2 x recv_size */
	u32			inline_size;
	size_t			mem;		/* charged to queue_mem_limit_kb */
	int			cq_size;

	struct nvo_rdma_cmd	*cmds;

	spinlock_t		lock;		/* state, free and wait lists */
	enum nvo_rdma_state	state;
	u32			nr_busy;	/* slots off free_cmds */
	struct list_head	free_cmds;
	struct list_head	wait_cmds;	/* received before ESTABLISHED */
	/*
	 * A live move (live.c): while @park is set, capsules polled are
	 * copied into it and their buffers posted again, not started; the
	 * poll work starts @resume's parked commands before anything newer.
	 */
	struct mutex		move_lock;	/* one move at a time; release */
	struct nvo_handover	*park;
	struct nvo_handover	*resume;
	bool			park_full;
	wait_queue_head_t	idle_wq;	/* nr_busy reached 0 */
	atomic_t		nr_punts;	/* in punt_done() or before */
	struct work_struct	give_back_work;	/* the device goes */

	struct list_head	entry;		/* nvo_rdma_queues */
	struct work_struct	release_work;

	/*
	 * Offloaded at connect (offload.c): the device owns the QP, its CQ
	 * and receive buffers; the command slots carry its punts. oq.dev is
	 * set from before rdma_accept() to the release, and held (the device
	 * cannot unregister) until then.
	 */
	struct nvo_offload_queue oq;
	bool			offloaded;
	bool			live;		/* taken live: the QP is ours */
	bool			returned;	/* under lock: the device gave it back */
	bool			answered;	/* under lock: ... and we are done */
	bool			parked;		/* under lock: released without it */
	enum nvo_fallback_reason why;		/* ... and why */
	wait_queue_head_t	returned_wq;
	struct delayed_work	traffic_dwork;	/* keep-alive, as the core's */
	u64			traffic_seen;
};

static inline struct nvo_rdma_queue *
nvo_rdma_oq_queue(struct nvo_offload_queue *oq)
{
	return container_of(oq, struct nvo_rdma_queue, oq);
}

extern struct list_head nvo_rdma_queues;
extern struct mutex nvo_rdma_queues_lock;

/* cmd.c */
void nvo_rdma_cmd_set_ops(const struct nvmet_fabrics_ops *ops);
void nvo_rdma_recv_done(struct ib_cq *cq, struct ib_wc *wc);
void nvo_rdma_queue_response(struct nvmet_req *req);
void nvo_rdma_handle_cmd(struct nvo_rdma_cmd *cmd);
int nvo_rdma_post_recv(struct nvo_rdma_queue *queue, struct nvo_rdma_recv *rx);
void nvo_rdma_start_parked(struct nvo_rdma_queue *queue,
			   struct nvo_handover *h);
void nvo_rdma_release_cmd(struct nvo_rdma_cmd *cmd);
void nvo_rdma_queue_kill(struct nvo_rdma_queue *queue);
void nvo_rdma_cmd_init(struct nvo_rdma_cmd *cmd);
int nvo_rdma_punt(struct nvo_offload_queue *oq, const struct nvme_command *sqe,
		  struct scatterlist *sg, unsigned int sg_cnt, u32 len,
		  void *cookie);

/* offload.c */
bool nvo_rdma_offload_connect(struct nvo_rdma_queue *queue,
			      const struct rdma_conn_param *host);
bool nvo_rdma_offload_release(struct nvo_rdma_queue *queue);
bool nvo_rdma_is_answered(struct nvo_rdma_queue *queue);
void nvo_rdma_answered(struct nvo_rdma_queue *queue);
bool nvo_rdma_reclaim_wait(struct nvo_rdma_queue *queue);
struct nvmet_ctrl *nvo_rdma_oq_ctrl(struct nvo_offload_queue *oq);
void nvo_rdma_traffic_work(struct work_struct *w);
void nvo_rdma_connect_returned(struct nvo_rdma_queue *queue,
			       enum nvo_fallback_reason reason);

/* live.c */
int nvo_rdma_queue_set(u32 id, bool on);
void nvo_rdma_returned(struct nvo_offload_queue *oq,
		       enum nvo_fallback_reason reason, struct nvo_handover *h);
void nvo_rdma_give_back_work(struct work_struct *w);
void nvo_rdma_dev_gone(struct nvo_offload_dev *dev);

/* queue.c */
int nvo_rdma_wq_init(void);
void nvo_rdma_wq_exit(void);
void nvo_rdma_poll_kick(struct nvo_rdma_queue *queue);
void nvo_rdma_recv_done_set(struct nvo_rdma_queue *queue);
void nvo_rdma_visit_queues(nvo_peer_queue_fn fn, void *arg);
struct nvo_rdma_dev *nvo_rdma_dev_get(struct ib_device *ibdev);
void nvo_rdma_dev_put(struct nvo_rdma_dev *dev);
struct nvo_rdma_queue *nvo_rdma_queue_alloc(struct nvo_rdma_port *port,
					    struct nvo_rdma_dev *dev,
					    struct rdma_cm_id *cm_id,
					    u16 qid, u32 recv_size);
int nvo_rdma_queue_software(struct nvo_rdma_queue *queue);
void nvo_rdma_queue_free(struct nvo_rdma_queue *queue);
void nvo_rdma_queue_established(struct nvo_rdma_queue *queue);
void nvo_rdma_kill_matching(struct nvmet_ctrl *ctrl, struct nvmet_port *nport,
			    struct ib_device *ibdev);

/* cm.c */
void nvo_rdma_visit_ports(nvo_peer_port_fn fn, void *arg);
void nvo_rdma_port_limits(u16 portid, const struct nvo_tr_caps *caps);
int nvo_rdma_add_port(struct nvmet_port *nport);
void nvo_rdma_remove_port(struct nvmet_port *nport);
void nvo_rdma_disc_traddr(struct nvmet_req *req, struct nvmet_port *nport,
			  char *traddr);

#endif /* NVO_RDMA_H */
