// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim devices: a struct device on the nicsim bus, its engines, its
 * capabilities (tunable in debugfs) and its registration with the
 * nvmet_offload shim as offload device "nicsimID".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/nvme.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "nicsim.h"

#define NICSIM_DEF_MAX_QUEUES	64
#define NICSIM_DEF_MAX_IO	(128 * 1024)
#define NICSIM_DEF_MAX_INLINE	(16 * 1024)
#define NICSIM_DEF_MIN_DEPTH	1
#define NICSIM_DEF_MAX_DEPTH	1024
/* The NVMe/RDMA transport's largest I/O queue (NVO_RDMA_MAX_QSIZE). */
#define NICSIM_RDMA_MAX_DEPTH	128

static void nicsim_dev_release(struct device *dev)
{
	struct nicsim_dev *ndev = to_nicsim_dev(dev);

	free_cpumask_var(ndev->cpus);
	kfree(ndev->engines);
	kfree(ndev);
}

/* Takes NVMe/TCP and NVMe/RDMA queues at connect and live, both ways. */
static void nicsim_default_caps(struct nvo_caps *caps)
{
	struct nvo_tr_caps *tcp = &caps->tr[NVO_TR_TCP];
	struct nvo_tr_caps *rdma = &caps->tr[NVO_TR_RDMA];

	caps->size = sizeof(*caps);
	tcp->take = NVO_TAKE_AT_CONNECT | NVO_TAKE_LIVE | NVO_GIVE_LIVE;
	tcp->max_queues = NICSIM_DEF_MAX_QUEUES;
	tcp->max_io_size = NICSIM_DEF_MAX_IO;
	tcp->min_queue_depth = NICSIM_DEF_MIN_DEPTH;
	tcp->max_queue_depth = NICSIM_DEF_MAX_DEPTH;
	tcp->max_inline = NICSIM_DEF_MAX_INLINE;
	tcp->sgl = NVO_SGL_INCAPSULE | NVO_SGL_TRANSPORT;
	tcp->tcp.max_h2c_data = 0;	/* any: it follows the record's */
	tcp->tcp.max_hpda = 0;		/* the shim offers no other */
	tcp->tcp.hdgst = true;
	tcp->tcp.ddgst = true;
	/*
	 * NVMe/RDMA (nicsim_rdma.ko, at connect and live both ways): as many
	 * queues as TCP, up to the RDMA transport's depth, keyed and
	 * in-capsule SGLs.
	 */
	rdma->take = NVO_TAKE_AT_CONNECT | NVO_TAKE_LIVE | NVO_GIVE_LIVE;
	rdma->max_queues = NICSIM_DEF_MAX_QUEUES;
	rdma->max_io_size = NICSIM_MAX_XFER;
	rdma->min_queue_depth = NICSIM_DEF_MIN_DEPTH;
	rdma->max_queue_depth = NICSIM_RDMA_MAX_DEPTH;
	rdma->max_inline = NICSIM_DEF_MAX_INLINE;
	rdma->sgl = NVO_SGL_INCAPSULE | NVO_SGL_KEYED | NVO_SGL_KEYED_INV;
	rdma->rdma.max_rd_atomic = 16;
	rdma->rdma.send_with_inv = false;
	__set_bit(nvme_cmd_read, caps->io_opcodes);
	__set_bit(nvme_cmd_write, caps->io_opcodes);
	__set_bit(nvme_cmd_flush, caps->io_opcodes);
	__set_bit(nvme_cmd_write_zeroes, caps->io_opcodes);
	caps->backends = NVO_BACKEND_BDEV;
}

DEFINE_SHOW_ATTRIBUTE(nicsim_queues);

static void nicsim_dev_debugfs(struct nicsim_dev *ndev)
{
	struct nvo_caps *caps = &ndev->odev.caps;
	struct nvo_tr_caps *tcp = &caps->tr[NVO_TR_TCP];
	struct nvo_tr_caps *rdma = &caps->tr[NVO_TR_RDMA];
	struct dentry *d;

	ndev->ddir = debugfs_create_dir(dev_name(&ndev->dev),
					nicsim_debugfs_root);
	d = ndev->ddir;
	/*
	 * The shim reads the capabilities when the device is bound to a port
	 * (and nicsim checks them again at each offload); the engine reads
	 * io_opcodes and max_io_size per command. So changes apply to the
	 * next bind, offload or command; aligned stores cannot tear.
	 * io_opcodes shows opcodes 0-63: the bitmap's first word, a u64 on
	 * the 64-bit kernels nicsim is built for.
	 */
	BUILD_BUG_ON(BITS_PER_LONG != 64);
	debugfs_create_x64("io_opcodes", 0600, d, (u64 *)caps->io_opcodes);
	debugfs_create_u32("max_queues", 0600, d, &tcp->max_queues);
	debugfs_create_u32("max_io_size", 0600, d, &tcp->max_io_size);
	debugfs_create_u32("max_inline", 0600, d, &tcp->max_inline);
	debugfs_create_u16("min_queue_depth", 0600, d, &tcp->min_queue_depth);
	debugfs_create_u16("max_queue_depth", 0600, d, &tcp->max_queue_depth);
	debugfs_create_u32("max_h2c_data", 0600, d, &tcp->tcp.max_h2c_data);
	debugfs_create_bool("hdgst", 0600, d, &tcp->tcp.hdgst);
	debugfs_create_bool("ddgst", 0600, d, &tcp->tcp.ddgst);
	/* The RDMA queues', read at bind and at each accept or live take. */
	debugfs_create_u32("rdma_max_queues", 0600, d, &rdma->max_queues);
	debugfs_create_u32("rdma_max_io_size", 0600, d, &rdma->max_io_size);
	debugfs_create_u32("rdma_max_inline", 0600, d, &rdma->max_inline);
	debugfs_create_u16("rdma_min_queue_depth", 0600, d,
			   &rdma->min_queue_depth);
	debugfs_create_u16("rdma_max_queue_depth", 0600, d,
			   &rdma->max_queue_depth);
	debugfs_create_file("queues", 0400, ndev->ddir, ndev,
			    &nicsim_queues_fops);
	/*
	 * The budget applies to the next allocation; the counts are stats.
	 * A test writes 0 to the high-water mark to measure a phase: the next
	 * allocation raises it to what is in use again.
	 */
	debugfs_create_u32("staging_limit_kb", 0600, ndev->ddir,
			   &ndev->staging.limit_kb);
	debugfs_create_ulong("staging_pages", 0400, ndev->ddir,
			     &ndev->staging.pages);
	debugfs_create_ulong("staging_pages_max", 0600, ndev->ddir,
			     &ndev->staging.pages_max);
	debugfs_create_ulong("staging_waits", 0400, ndev->ddir,
			     &ndev->staging.waits);
	debugfs_create_ulong("staging_forced", 0400, ndev->ddir,
			     &ndev->staging.forced);
	nicsim_fault_debugfs(ndev);
	nicsim_ns_debugfs(ndev);
	nicsim_rdma_debugfs(ndev);
}

struct nicsim_dev *nicsim_dev_create(u32 id, unsigned int nr_engines,
				     const struct cpumask *cpus)
{
	struct nicsim_dev *ndev;
	int ret;

	ndev = kzalloc(sizeof(*ndev), GFP_KERNEL);
	if (!ndev)
		return ERR_PTR(-ENOMEM);
	if (!alloc_cpumask_var(&ndev->cpus, GFP_KERNEL)) {
		kfree(ndev);
		return ERR_PTR(-ENOMEM);
	}
	cpumask_copy(ndev->cpus, cpus);
	ndev->id = id;
	ndev->nr_engines = nr_engines;
	atomic_set(&ndev->next_engine, 0);
	mutex_init(&ndev->lock);
	INIT_LIST_HEAD(&ndev->queues);
	INIT_LIST_HEAD(&ndev->rdma_queues);
	INIT_LIST_HEAD(&ndev->entry);
	spin_lock_init(&ndev->staging.lock);
	ndev->staging.limit_kb = NICSIM_DEF_STAGING_KB;
	nicsim_fault_init(ndev);
	nicsim_ns_init(ndev);

	snprintf(ndev->odev.name, sizeof(ndev->odev.name), "nicsim%u", id);
	ndev->odev.api_version = NVO_API_V2;
	ndev->odev.ops = &nicsim_offload_ops;
	ndev->odev.nr_engines = nr_engines;
	ndev->odev.owner = THIS_MODULE;
	ndev->odev.priv = ndev;
	nicsim_default_caps(&ndev->odev.caps);

	/* From here on the release callback frees ndev. */
	device_initialize(&ndev->dev);
	ndev->dev.bus = &nicsim_bus;
	ndev->dev.id = id;
	ndev->dev.release = nicsim_dev_release;
	ret = dev_set_name(&ndev->dev, "nicsim%u", id);
	if (ret)
		goto err_put;
	ret = device_add(&ndev->dev);
	if (ret)
		goto err_put;

	ret = nicsim_engines_start(ndev);
	if (ret)
		goto err_del;
	nicsim_dev_debugfs(ndev);

	ret = nvo_offload_register(&ndev->odev);
	if (ret) {
		pr_err("nicsim%u: registering with nvmet_offload failed: %d\n",
		       id, ret);
		goto err_debugfs;
	}
	ndev->registered = true;
	dev_info(&ndev->dev, "%u engine(s) on CPUs %*pbl\n", nr_engines,
		 cpumask_pr_args(ndev->cpus));
	return ndev;

err_debugfs:
	debugfs_remove_recursive(ndev->ddir);
	nicsim_engines_stop(ndev);
err_del:
	device_del(&ndev->dev);
err_put:
	put_device(&ndev->dev);
	return ERR_PTR(ret);
}

void nicsim_dev_destroy(struct nicsim_dev *ndev)
{
	/*
	 * A frozen RDMA queue's QP is on the shim's CM id: the shim cannot end
	 * it, so it stops first, as a NIC's reset would stop it, and is handed
	 * back; the unregister waits for that. A device being deleted
	 * freezes no more queues, or the unregister would wait for them.
	 */
	WRITE_ONCE(ndev->fault.kill_hang, false);
	nicsim_rdma_thaw_hook(ndev);
	/*
	 * The shim reclaims every queue first, through our engines, or kills
	 * it; TCP queues that ignored their kill (kill_hang) are ours to end.
	 */
	if (ndev->registered)
		nvo_offload_unregister(&ndev->odev);
	ndev->registered = false;
	nicsim_engines_thaw(ndev);
	nicsim_engines_stop(ndev);
	nicsim_ns_tables_free(ndev);
	debugfs_remove_recursive(ndev->ddir);
	dev_info(&ndev->dev, "deleted\n");
	device_unregister(&ndev->dev);
}
