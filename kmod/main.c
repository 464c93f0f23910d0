// SPDX-License-Identifier: GPL-2.0
/*
 * nvmet_offload: an NVMe/TCP target transport for the kernel's nvmet whose
 * I/O queues can be handed to SmartNIC offload devices. This file ties the
 * pieces to nvmet: the transport ops and module init/exit. It is the top of
 * the layers (Documentation/design.rst, "Layers"): it calls every layer,
 * and none calls it; the requests of the layers below run under its ops
 * through nvo_nvmet_ops.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/log2.h>

#include "compat.h"
#include "netlink.h"
#include "queue.h"

/*
 * The port's limits (struct nvo_port_limits): the software path's, or what
 * the device bound to the port honours. ctrl->port is the port the
 * controller's Connect came on; a port nvmet is removing has no priv left.
 */
static const struct nvo_port_limits *nvo_ctrl_limits(const struct nvmet_ctrl *ctrl)
{
	struct nvo_port *port = ctrl->port ? READ_ONCE(ctrl->port->priv) : NULL;

	return port ? &port->lim : NULL;
}

static u8 nvo_get_mdts(const struct nvmet_ctrl *ctrl)
{
	const struct nvo_port_limits *lim = nvo_ctrl_limits(ctrl);

	return lim ? READ_ONCE(lim->mdts) : NVO_MDTS_SHIFT;
}

/* CAP.MQES + 1 of a new controller; nvmet takes the smaller of its own. */
static u16 nvo_get_max_queue_size(const struct nvmet_ctrl *ctrl)
{
	const struct nvo_port_limits *lim = nvo_ctrl_limits(ctrl);

	return lim ? READ_ONCE(lim->max_queue_size) : NVO_NVMET_QUEUE_SIZE;
}

/* A Connect: the queue's slots, then an I/O queue goes to its port's device. */
static u16 nvo_install_queue(struct nvmet_sq *sq)
{
	struct nvo_queue *queue = container_of(sq, struct nvo_queue, nvme_sq);
	u16 status;

	status = nvo_cmds_install(queue, sq);
	if (status || !sq->qid)
		return status;
	queue->oq.qid = sq->qid;
	queue->oq.depth = sq->size;
	queue->oq.cntlid = sq->ctrl ? sq->ctrl->cntlid : 0;
	nvo_offload_offer_queue(queue);
	return 0;
}

/* nvmet completed a command: one it got from the wire, or a device's punt. */
static void nvo_queue_response(struct nvmet_req *req)
{
	struct nvo_cmd *cmd = container_of(req, struct nvo_cmd, req);

	if (cmd->flags & NVO_CMD_PUNTED) {
		nvo_punt_complete(cmd->queue, cmd);
		return;
	}
	/* A namespace notice: devices' namespace tables catch up now. */
	if (unlikely(!cmd->queue->nvme_sq.qid) &&
	    req->cmd->common.opcode == nvme_admin_async_event &&
	    !req->cqe->status)
		nvo_ns_tables_aen(req);
	nvo_tx_complete(cmd);
}

static const struct nvmet_fabrics_ops nvo_fabrics_ops = {
	.owner			= THIS_MODULE,
	.type			= NVMF_TRTYPE_TCP,
	.msdbd			= 1,
	.add_port		= nvo_add_port,
	.remove_port		= nvo_remove_port,
	.queue_response		= nvo_queue_response,
	.install_queue		= nvo_install_queue,
	.delete_ctrl		= nvo_delete_ctrl,
	.disc_traddr		= nvo_disc_traddr,
	.get_mdts		= nvo_get_mdts,
	.get_max_queue_size	= nvo_get_max_queue_size,
};

static int __init nvo_init(void)
{
	int ret;

	ret = nvo_queue_init(&nvo_fabrics_ops);
	if (ret)
		return ret;

	ret = nvmet_register_transport(&nvo_fabrics_ops);
	if (ret) {
		if (ret == -EINVAL)
			pr_err("the NVMe/TCP transport slot is taken (is nvmet-tcp loaded? unload it first)\n");
		else
			pr_err("cannot register with nvmet: %d\n", ret);
		nvo_queue_exit();
		return ret;
	}
	nvo_debugfs_init();
	ret = nvo_netlink_init();
	if (ret) {
		pr_err("cannot register the generic netlink family: %d\n", ret);
		nvo_offload_exit();
		nvo_debugfs_exit();
		nvmet_unregister_transport(&nvo_fabrics_ops);
		nvo_queue_exit();
		return ret;
	}
	pr_info("registered with nvmet as the NVMe/TCP transport\n");
	return 0;
}

static void __exit nvo_exit(void)
{
	nvo_netlink_exit();
	/* nvmet pins the module while a port is enabled: no port is left. */
	nvmet_unregister_transport(&nvo_fabrics_ops);
	nvo_debugfs_exit();
	nvo_offload_exit();
	nvo_close_all_queues();
	nvo_queue_exit();
	nvo_ns_tables_exit();
	nvo_counters_exit();
	pr_info("unregistered\n");
}

module_init(nvo_init);
module_exit(nvo_exit);

MODULE_DESCRIPTION("NVMe/TCP target transport with SmartNIC queue offload");
MODULE_LICENSE("GPL");
MODULE_ALIAS("nvmet-transport-3"); /* NVMF_TRTYPE_TCP */
