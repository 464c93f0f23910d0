/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nicsim internals: the simulated SmartNIC's devices, engines (its "NIC
 * cores") and fault injection. Documentation/nicsim.rst describes it.
 */
#ifndef NICSIM_H
#define NICSIM_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/nvmet_offload.h>

#define NICSIM_MAX_ENGINES	64
/*
 * Largest transfer a host may ask of nvmet_offload (its MDTS, 1 MiB): the
 * bound for punted commands, whose data may exceed the staging buffers.
 */
#define NICSIM_MAX_XFER		SZ_1M

struct seq_file;
struct dentry;
struct nicsim_dev;

/* Fault injection knobs (debugfs); fault.c documents each. */
struct nicsim_fault {
	atomic_t	refuse_next_offload;	/* offloads left to refuse */
	atomic_t	fail_queue_after;	/* commands before a queue fails */
	u32		backend_error_every;	/* every Nth I/O fails */
	atomic_t	backend_io_count;	/* I/Os seen, for the above */
	u64		backend_error_lba_start; /* [start, end) fails */
	u64		backend_error_lba_end;
	u32		extra_latency_us;
	u32		slow_reclaim_ms;
	u32		offload_delay_ms;	/* before taking the socket */
	atomic_t	crashes;		/* times "crash" was written */
	bool		reclaim_hang;		/* ignore reclaims */
	bool		kill_hang;		/* ignore kills: freeze */
};

/* Default staging budget of a device (debugfs staging_limit_kb). */
#define NICSIM_DEF_STAGING_KB	(64 * 1024)

/*
 * Staging: the pages holding commands' data while the device has them,
 * taken per command from a per-device budget and given back when the
 * command is answered. The counts are debugfs's, read without the lock.
 */
struct nicsim_staging {
	spinlock_t	lock;		/* guards the counts below */
	u32		limit_kb;	/* the budget (debugfs) */
	unsigned long	pages;		/* in use */
	unsigned long	pages_max;	/* high-water mark */
	unsigned long	waits;		/* commands that waited for it */
	unsigned long	forced;		/* pages taken over the budget */
};

/* One "NIC core": a kthread serving the queues assigned to it. */
struct nicsim_engine {
	struct nicsim_dev	*ndev;
	unsigned int		idx;
	struct task_struct	*task;
	spinlock_t		lock;		/* guards runq */
	struct list_head	runq;		/* queues with work to do */
	wait_queue_head_t	wq;
};

/*
 * The NVMe/RDMA engine's counts (nicsim_rdma.ko, rdma/), kept in the device
 * so that its debugfs files (rdma_hook.c) live and die with the device,
 * whether nicsim_rdma is loaded or not.
 */
struct nicsim_rdma_counts {
	atomic_t	queues;		/* RDMA queues the device holds now */
	atomic64_t	own;		/* reads and writes it executed */
	atomic64_t	punts;		/* commands it punted */
	atomic64_t	failed;		/* queues it failed (its QP, a fault) */
	atomic64_t	backend_errors;	/* its bios that failed (run by nvmet) */
};

struct nicsim_dev {
	struct device		dev;
	u32			id;
	struct list_head	entry;		/* nicsim_devs, bus.c */
	struct nvo_offload_dev	odev;
	bool			registered;	/* with nvmet_offload */

	unsigned int		nr_engines;
	struct nicsim_engine	*engines;
	atomic_t		next_engine;	/* round-robin queue placement */
	cpumask_var_t		cpus;		/* where the engines run */

	struct dentry		*ddir;		/* debugfs nicsim/nicsimID */

	struct mutex		lock;		/* guards queues, nr_queues */
	struct list_head	queues;		/* struct nicsim_queue */
	struct list_head	rdma_queues;	/* nicsim_rdma's, also ->lock */
	unsigned int		nr_queues;

	struct nicsim_staging	staging;
	struct nicsim_fault	fault;

	/* Namespace tables (ns_table.c), one per subsystem attached. */
	struct mutex		ns_lock;	/* guards ns_tables, updates */
	struct list_head	ns_tables;
	u32			ns_table_max;	/* entries per table; 0: any */
	u32			ns_update_delay_ms;
	bool			ns_table_decline;	/* attach: -EOPNOTSUPP */
	unsigned long		ns_table_full;	/* ADDs refused: table full */
	unsigned long		ns_table_resyncs; /* attaches of a known id */
	/* Back end failed for this nsid of a table (0: none): reported, punted. */
	u32			ns_fail_nsid;
	unsigned long		ns_failed_reports; /* nvo_ns_failed() calls */

	struct nicsim_rdma_counts rdma;
};

static inline struct nicsim_dev *to_nicsim_dev(struct device *dev)
{
	return container_of(dev, struct nicsim_dev, dev);
}

/* bus.c */
extern struct dentry *nicsim_debugfs_root;
extern struct bus_type nicsim_bus;

/* dev.c */
struct nicsim_dev *nicsim_dev_create(u32 id, unsigned int nr_engines,
				     const struct cpumask *cpus);
void nicsim_dev_destroy(struct nicsim_dev *ndev);

/* engine.c */
int nicsim_engines_start(struct nicsim_dev *ndev);
void nicsim_engines_stop(struct nicsim_dev *ndev);
void nicsim_engine_crash(struct nicsim_dev *ndev);
void nicsim_engines_thaw(struct nicsim_dev *ndev);

/* queue.c */
extern const struct nvo_offload_ops nicsim_offload_ops;
int nicsim_queues_show(struct seq_file *m, void *unused);

/*
 * rdma_hook.c: nicsim_rdma.ko, when loaded, serves the device's NVMe/RDMA
 * queues (offload at connect, and live: taken from and given back to the
 * shim's QP). nicsim.ko itself needs no RDMA core: its driver ops forward
 * the RDMA queues' calls to these, registered by nicsim_rdma; without it
 * rdma_accept and rdma_take refuse (-EOPNOTSUPP).
 */
struct nicsim_rdma_ops {
	struct module	*owner;
	int (*accept)(struct nicsim_dev *ndev, struct nvo_offload_queue *oq,
		      const struct nvo_rdma_conn *c);
	/* A running queue on the shim's QP, lent with @h (ops->rdma_take). */
	int (*take)(struct nicsim_dev *ndev, struct nvo_offload_queue *oq,
		    struct nvo_handover *h);
	/* The lent CQ has completions: any context, must not sleep. */
	void (*cq_wake)(struct nvo_offload_queue *oq);
	void (*reclaim)(struct nvo_offload_queue *oq);
	void (*kill)(struct nvo_offload_queue *oq);
	void (*punt_done)(struct nvo_offload_queue *oq, void *cookie,
			  const struct nvme_completion *cqe);
	/* The device's engine crashed: every RDMA queue of it fails. */
	void (*crash)(struct nicsim_dev *ndev);
	/* kill_hang: the queue's thread stops answering, until thaw() */
	void (*freeze)(struct nvo_offload_queue *oq);
	/* The device goes: frozen queues stop (killed) and are handed back. */
	void (*thaw)(struct nicsim_dev *ndev);
};

int nicsim_rdma_register(const struct nicsim_rdma_ops *ops);
void nicsim_rdma_unregister(const struct nicsim_rdma_ops *ops);
int nicsim_rdma_accept_hook(struct nvo_offload_queue *oq,
			    const struct nvo_rdma_conn *c);
int nicsim_rdma_take_hook(struct nvo_offload_queue *oq,
			  struct nvo_handover *h);
void nicsim_rdma_cq_wake_hook(struct nvo_offload_queue *oq);
void nicsim_rdma_reclaim_hook(struct nvo_offload_queue *oq);
void nicsim_rdma_kill_hook(struct nvo_offload_queue *oq);
void nicsim_rdma_punt_done_hook(struct nvo_offload_queue *oq, void *cookie,
				const struct nvme_completion *cqe);
void nicsim_rdma_crash_hook(struct nicsim_dev *ndev);
void nicsim_rdma_freeze_hook(struct nvo_offload_queue *oq);
void nicsim_rdma_thaw_hook(struct nicsim_dev *ndev);
void nicsim_rdma_debugfs(struct nicsim_dev *ndev);

/* stage.c: the staging budget, for nicsim_rdma's commands too */
bool nicsim_stage_get(struct nicsim_dev *ndev, u32 pages);
void nicsim_stage_put(struct nicsim_dev *ndev, u32 pages);
void nicsim_stage_waited(struct nicsim_dev *ndev);

/* ns_table.c */
struct nicsim_ns;
struct nicsim_ns_table;
void nicsim_ns_init(struct nicsim_dev *ndev);
void nicsim_ns_debugfs(struct nicsim_dev *ndev);
void nicsim_ns_tables_free(struct nicsim_dev *ndev);
int nicsim_subsys_attach(struct nvo_offload_dev *odev, u32 subsys_id,
			 const char *subnqn, const struct nvo_ns_entry *tbl,
			 u32 nr, u64 gen);
void nicsim_subsys_detach(struct nvo_offload_dev *odev, u32 subsys_id);
int nicsim_ns_update(struct nvo_offload_dev *odev,
		     const struct nvo_ns_update *u);
struct nicsim_ns_table *nicsim_ns_table_of(struct nicsim_dev *ndev,
					   u32 subsys_id);
struct nicsim_ns *nicsim_ns_get(struct nicsim_ns_table *t, u32 nsid,
				struct nvo_ns_entry *e);
void nicsim_ns_put(struct nicsim_ns *ns);
void nicsim_ns_count(struct nicsim_ns *ns);
bool nicsim_ns_backend_failed(struct nicsim_ns *ns);
void nicsim_ns_report_failed(struct nicsim_ns *ns);

/* fault.c */
void nicsim_fault_init(struct nicsim_dev *ndev);
void nicsim_fault_debugfs(struct nicsim_dev *ndev);
bool nicsim_fault_refuse_offload(struct nicsim_dev *ndev);
bool nicsim_fault_fail_queue(struct nicsim_dev *ndev);
bool nicsim_fault_backend_error(struct nicsim_dev *ndev, u64 slba, u64 nlb);
u64 nicsim_fault_latency_ns(struct nicsim_dev *ndev);
u64 nicsim_fault_reclaim_delay_ns(struct nicsim_dev *ndev);
void nicsim_fault_offload_delay(struct nicsim_dev *ndev);
bool nicsim_fault_reclaim_hang(struct nicsim_dev *ndev);
bool nicsim_fault_kill_hang(struct nicsim_dev *ndev);

/* exec.c */
void nicsim_count_own(struct nvo_offload_stats *st,
		      const struct nvme_command *sqe, bool inline_data,
		      bool failed);

#endif /* NICSIM_H */
