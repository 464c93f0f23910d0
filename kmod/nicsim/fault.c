// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim fault injection: debugfs knobs under nicsim/nicsimID/ and the
 * hooks the engine calls to apply them. Every knob is 0 (off) by default.
 *
 *   refuse_next_offload    offloads left to refuse (each one counts down)
 *   fail_queue_after       commands left until the queue that runs the
 *                          last one fails (drain, then QUEUE_FAILED);
 *                          one-shot, counts down across the device
 *   backend_error_every    every Nth I/O the device executes fails
 *   backend_error_lba_start, backend_error_lba_end
 *                          I/O touching LBAs [start, end) fails
 *   extra_latency_us       added to every I/O the device completes
 *                          itself (NVMe/TCP and NVMe/RDMA queues)
 *   slow_reclaim_ms        a reclaim completes no sooner than this (TCP
 *                          and RDMA; a lent RDMA queue parks meanwhile)
 *   offload_delay_ms       queue_offload, rdma_accept and rdma_take sleep
 *                          this long before they take the queue (widens
 *                          the hand-over window)
 *   crash                  write 1: every queue fails (DEV_FAILED);
 *                          reads back how often that happened
 *   reclaim_hang           1: reclaims are ignored (the shim's deadline
 *                          kills the queue: it stops, without a record)
 *   kill_hang              1: kills are ignored too, the queue freezes
 *                          until the device is deleted (the shim fails
 *                          the device); an RDMA queue freezes at the
 *                          reclaim, and at the deletion stops and is
 *                          handed back before the device unregisters
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/module.h>

#include "nicsim.h"

void nicsim_fault_init(struct nicsim_dev *ndev)
{
	struct nicsim_fault *f = &ndev->fault;

	atomic_set(&f->refuse_next_offload, 0);
	atomic_set(&f->fail_queue_after, 0);
	atomic_set(&f->backend_io_count, 0);
	atomic_set(&f->crashes, 0);
	f->backend_error_every = 0;
	f->backend_error_lba_start = 0;
	f->backend_error_lba_end = 0;
	f->extra_latency_us = 0;
	f->slow_reclaim_ms = 0;
	f->offload_delay_ms = 0;
	f->reclaim_hang = false;
	f->kill_hang = false;
}

bool nicsim_fault_reclaim_hang(struct nicsim_dev *ndev)
{
	bool hang = READ_ONCE(ndev->fault.reclaim_hang);

	if (hang)
		pr_info("%s: reclaim ignored (reclaim_hang)\n", ndev->odev.name);
	return hang;
}

bool nicsim_fault_kill_hang(struct nicsim_dev *ndev)
{
	bool hang = READ_ONCE(ndev->fault.kill_hang);

	if (hang)
		pr_info("%s: kill ignored, queue frozen (kill_hang)\n",
			ndev->odev.name);
	return hang;
}

/* A knob counts down to 0 and stays there, whatever was written to it. */
bool nicsim_fault_refuse_offload(struct nicsim_dev *ndev)
{
	return atomic_dec_if_positive(&ndev->fault.refuse_next_offload) >= 0;
}

/* True for the command that brings fail_queue_after from 1 to 0. */
bool nicsim_fault_fail_queue(struct nicsim_dev *ndev)
{
	return atomic_dec_if_positive(&ndev->fault.fail_queue_after) == 0;
}
EXPORT_SYMBOL_GPL(nicsim_fault_fail_queue);

/* Should an I/O on LBAs [slba, slba + nlb) fail? */
bool nicsim_fault_backend_error(struct nicsim_dev *ndev, u64 slba, u64 nlb)
{
	struct nicsim_fault *f = &ndev->fault;
	u32 every = READ_ONCE(f->backend_error_every);
	u64 start = READ_ONCE(f->backend_error_lba_start);
	u64 end = READ_ONCE(f->backend_error_lba_end);
	bool fail = false;

	if (every &&
	    (u32)atomic_inc_return(&f->backend_io_count) % every == 0)
		fail = true;
	if (start < end && nlb && slba < end && slba + nlb > start)
		fail = true;
	return fail;
}
EXPORT_SYMBOL_GPL(nicsim_fault_backend_error);

u64 nicsim_fault_latency_ns(struct nicsim_dev *ndev)
{
	return (u64)READ_ONCE(ndev->fault.extra_latency_us) * NSEC_PER_USEC;
}
EXPORT_SYMBOL_GPL(nicsim_fault_latency_ns);

u64 nicsim_fault_reclaim_delay_ns(struct nicsim_dev *ndev)
{
	return (u64)READ_ONCE(ndev->fault.slow_reclaim_ms) * NSEC_PER_MSEC;
}
EXPORT_SYMBOL_GPL(nicsim_fault_reclaim_delay_ns);

/*
 * Sleep in queue_offload before the socket is taken (in rdma_accept and
 * rdma_take before the queue is taken), so that a test can land a close,
 * a reclaim or a crash in the hand-over window. Process context; no lock
 * held but rdma_take's, which the shim holds for that window anyway.
 */
void nicsim_fault_offload_delay(struct nicsim_dev *ndev)
{
	u32 ms = READ_ONCE(ndev->fault.offload_delay_ms);

	if (ms)
		msleep(ms);
}
EXPORT_SYMBOL_GPL(nicsim_fault_offload_delay);

static int nicsim_crash_get(void *data, u64 *val)
{
	struct nicsim_dev *ndev = data;

	*val = atomic_read(&ndev->fault.crashes);
	return 0;
}

static int nicsim_crash_set(void *data, u64 val)
{
	struct nicsim_dev *ndev = data;

	if (val != 1)
		return -EINVAL;
	atomic_inc(&ndev->fault.crashes);
	pr_info("%s: engine crash injected\n", ndev->odev.name);
	nicsim_engine_crash(ndev);
	nicsim_rdma_crash_hook(ndev);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(nicsim_crash_fops, nicsim_crash_get,
			 nicsim_crash_set, "%llu\n");

void nicsim_fault_debugfs(struct nicsim_dev *ndev)
{
	struct nicsim_fault *f = &ndev->fault;
	struct dentry *d = ndev->ddir;

	debugfs_create_atomic_t("refuse_next_offload", 0600, d,
				&f->refuse_next_offload);
	debugfs_create_atomic_t("fail_queue_after", 0600, d,
				&f->fail_queue_after);
	debugfs_create_u32("backend_error_every", 0600, d,
			   &f->backend_error_every);
	debugfs_create_u64("backend_error_lba_start", 0600, d,
			   &f->backend_error_lba_start);
	debugfs_create_u64("backend_error_lba_end", 0600, d,
			   &f->backend_error_lba_end);
	debugfs_create_u32("extra_latency_us", 0600, d,
			   &f->extra_latency_us);
	debugfs_create_u32("slow_reclaim_ms", 0600, d, &f->slow_reclaim_ms);
	debugfs_create_u32("offload_delay_ms", 0600, d, &f->offload_delay_ms);
	debugfs_create_file_unsafe("crash", 0600, d, ndev, &nicsim_crash_fops);
	debugfs_create_bool("reclaim_hang", 0600, d, &f->reclaim_hang);
	debugfs_create_bool("kill_hang", 0600, d, &f->kill_hang);
}
