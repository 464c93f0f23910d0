/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every transport of ours makes of an nvmet configfs port: its id, its
 * listening address, its in-capsule size, the address discovery reports.
 * Header-only on purpose: nvmet_offload_rdma.ko must not depend on
 * nvmet_offload.ko, yet both read a port the same way.
 */
#ifndef NVO_NPORT_H
#define NVO_NPORT_H

#include <linux/inet.h>
#include <linux/log2.h>
#include <linux/printk.h>
#include <linux/sizes.h>
#include <linux/socket.h>

#include "nvmet.h"

/*
 * The MDTS a port advertises for a device's @bytes per command: 4 KiB
 * units, a power of two, at least 1 (0 would mean no limit), at most the
 * transport's own @max_shift.
 */
static inline u8 nvo_mdts_of(u32 bytes, u8 max_shift)
{
	u32 units = bytes / SZ_4K;

	if (units < 2)
		return 1;
	return min_t(u32, ilog2(units), max_shift);
}

static inline u16 nvo_nport_id(const struct nvmet_port *nport)
{
	return le16_to_cpu(nport->disc_addr.portid);
}

/* The port's traddr and trsvcid as a socket address; says why not. */
static inline int nvo_nport_sockaddr(struct nvmet_port *nport,
				     struct sockaddr_storage *addr)
{
	struct nvmf_disc_rsp_page_entry *disc = &nport->disc_addr;
	int af, ret;

	switch (disc->adrfam) {
	case NVMF_ADDR_FAMILY_IP4:
		af = AF_INET;
		break;
	case NVMF_ADDR_FAMILY_IP6:
		af = AF_INET6;
		break;
	default:
		pr_err("port %u: address family %u is not IPv4 or IPv6\n",
		       nvo_nport_id(nport), disc->adrfam);
		return -EINVAL;
	}
	ret = inet_pton_with_scope(&init_net, af, disc->traddr, disc->trsvcid,
				   addr);
	if (ret)
		pr_err("port %u: bad address %s:%s\n", nvo_nport_id(nport),
		       disc->traddr, disc->trsvcid);
	return ret;
}

/* configfs leaves inline_data_size at -1 unless the operator set it. */
static inline void nvo_nport_set_inline(struct nvmet_port *nport, int dflt,
					int max)
{
	if (nport->inline_data_size < 0) {
		nport->inline_data_size = dflt;
	} else if (nport->inline_data_size > max) {
		pr_warn("port %u: inline_data_size %d capped to %d\n",
			nvo_nport_id(nport), nport->inline_data_size, max);
		nport->inline_data_size = max;
	}
}

/*
 * Discovery's traddr: a wildcard listener reports @local, the address the
 * host reached us on (NULL when unknown); any other the configured one.
 */
static inline void nvo_nport_disc_traddr(struct nvmet_port *nport,
					 const struct sockaddr_storage *bound,
					 const struct sockaddr *local,
					 char *traddr)
{
	if (local && inet_addr_is_any((struct sockaddr *)bound)) {
		snprintf(traddr, NVMF_TRADDR_SIZE, "%pISc", local);
		return;
	}
	memcpy(traddr, nport->disc_addr.traddr, NVMF_TRADDR_SIZE);
}

#endif /* NVO_NPORT_H */
