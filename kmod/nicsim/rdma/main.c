// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim_rdma: nicsim's NVMe/RDMA engine, a module of its own so that
 * nicsim.ko does not depend on ib_core and rdma_cm. Loaded, it registers
 * with nicsim.ko, whose devices then take NVMe/RDMA I/O queues at connect
 * (nsr.h describes the module). It cannot be unloaded while it serves a
 * queue: each holds a reference on it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "../../compat.h"
#include "nsr.h"

static int __init nsr_init(void)
{
	return nicsim_rdma_register(&nsr_ops);
}

static void __exit nsr_exit(void)
{
	nicsim_rdma_unregister(&nsr_ops);
}

module_init(nsr_init);
module_exit(nsr_exit);

MODULE_DESCRIPTION("NVMe/RDMA engine for nicsim, the simulated SmartNIC of nvmet_offload");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(NVO_NS);
