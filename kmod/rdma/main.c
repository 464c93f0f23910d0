// SPDX-License-Identifier: GPL-2.0
/*
 * nvmet_offload_rdma: an NVMe/RDMA target transport for the kernel's nvmet
 * (software path), a module of its own so that the NVMe/TCP module does not
 * pull in ib_core and rdma_cm. This file ties it to nvmet and to the RDMA
 * core: the transport ops, the ib_client that ends queues on a device being
 * removed, module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "../compat.h"
#include "rdma.h"

static void nvo_rdma_delete_ctrl(struct nvmet_ctrl *ctrl)
{
	nvo_rdma_kill_matching(ctrl, NULL, NULL);
}

/*
 * The port's: ours, or its offload device's (cm.c, nvo_rdma_port_limits).
 * Under RCU: an admin command may run while the port is being removed.
 */
static u8 nvo_rdma_get_mdts(const struct nvmet_ctrl *ctrl)
{
	struct nvo_rdma_port *port;
	u8 mdts = NVO_RDMA_MDTS;

	rcu_read_lock();
	port = READ_ONCE(ctrl->port->priv);
	if (port)
		mdts = READ_ONCE(port->mdts);
	rcu_read_unlock();
	return mdts;
}

static u16 nvo_rdma_get_max_queue_size(const struct nvmet_ctrl *ctrl)
{
	struct nvo_rdma_port *port;
	u16 size = NVO_RDMA_MAX_QSIZE;

	rcu_read_lock();
	port = READ_ONCE(ctrl->port->priv);
	if (port)
		size = READ_ONCE(port->max_qsize);
	rcu_read_unlock();
	return size;
}

static const struct nvmet_fabrics_ops nvo_rdma_ops = {
	.owner			= THIS_MODULE,
	.type			= NVMF_TRTYPE_RDMA,
	.msdbd			= 1,
	.flags			= NVMF_KEYED_SGLS,
	.add_port		= nvo_rdma_add_port,
	.remove_port		= nvo_rdma_remove_port,
	.queue_response		= nvo_rdma_queue_response,
	.delete_ctrl		= nvo_rdma_delete_ctrl,
	.disc_traddr		= nvo_rdma_disc_traddr,
	.get_mdts		= nvo_rdma_get_mdts,
	.get_max_queue_size	= nvo_rdma_get_max_queue_size,
};

static int nvo_rdma_add_one(struct ib_device *ibdev)
{
	return 0;
}

/*
 * Called before rdma_cm hears of the removal (we registered after it):
 * every queue on the device is released, and its PD with the last one.
 */
static void nvo_rdma_remove_one(struct ib_device *ibdev, void *client_data)
{
	nvo_rdma_kill_matching(NULL, NULL, ibdev);
	flush_workqueue(nvmet_wq);
}

static struct ib_client nvo_rdma_ib_client = {
	.name	= "nvmet_offload_rdma",
	.add	= nvo_rdma_add_one,
	.remove	= nvo_rdma_remove_one,
};

/*
 * Our ports and queues in nvmet_offload's netlink family and nicctl, and
 * the driver API's calls on the queues devices take at connect.
 */
static const struct nvo_peer_ops nvo_rdma_peer_ops = {
	.owner		= THIS_MODULE,
	.visit_ports	= nvo_rdma_visit_ports,
	.visit_queues	= nvo_rdma_visit_queues,
	.punt		= nvo_rdma_punt,
	.ctrl		= nvo_rdma_oq_ctrl,
	.returned	= nvo_rdma_returned,
	.dev_gone	= nvo_rdma_dev_gone,
	.port_limits	= nvo_rdma_port_limits,
	.queue_set	= nvo_rdma_queue_set,
};

static int __init nvo_rdma_init(void)
{
	int ret;

	nvo_rdma_cmd_set_ops(&nvo_rdma_ops);
	ret = nvo_rdma_wq_init();
	if (ret)
		return ret;
	ret = nvo_peer_register(&nvo_rdma_peer_ops);
	if (ret) {
		pr_err("cannot register with nvmet_offload: %d\n", ret);
		goto err_wq;
	}
	ret = ib_register_client(&nvo_rdma_ib_client);
	if (ret)
		goto err_peer;
	ret = nvmet_register_transport(&nvo_rdma_ops);
	if (ret) {
		if (ret == -EINVAL)
			pr_err("the NVMe/RDMA transport slot is taken (is nvmet-rdma loaded? unload it first)\n");
		else
			pr_err("cannot register with nvmet: %d\n", ret);
		goto err_client;
	}
	pr_info("registered with nvmet as the NVMe/RDMA transport\n");
	return 0;

err_client:
	ib_unregister_client(&nvo_rdma_ib_client);
err_peer:
	nvo_peer_unregister(&nvo_rdma_peer_ops);
err_wq:
	nvo_rdma_wq_exit();
	return ret;
}

static void __exit nvo_rdma_exit(void)
{
	/* nvmet pins the module while a port is enabled: no port is left. */
	nvmet_unregister_transport(&nvo_rdma_ops);
	nvo_rdma_kill_matching(NULL, NULL, NULL);
	flush_workqueue(nvmet_wq);
	ib_unregister_client(&nvo_rdma_ib_client);
	nvo_peer_unregister(&nvo_rdma_peer_ops);
	nvo_rdma_wq_exit();
	pr_info("unregistered\n");
}

module_init(nvo_rdma_init);
module_exit(nvo_rdma_exit);

MODULE_DESCRIPTION("NVMe/RDMA target transport (nvmet-offload, software path)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(NVO_NS);
