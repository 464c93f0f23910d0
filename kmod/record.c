// SPDX-License-Identifier: GPL-2.0
/*
 * The hand-over record (struct nvo_handover, include/linux/nvmet_offload.h):
 * what carries a queue between the shim and a device, in either direction.
 * Whoever lets go of a stream fills one: the connection's parameters from
 * the stream, then each capsule taken off the wire but not started.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/nvmet_offload.h>
#include <linux/nvmet_offload_stream.h>

#include "compat.h"

/* Room for every command a queue of @sq_size can hold. */
struct nvo_handover *nvo_handover_alloc(u16 sq_size, gfp_t gfp)
{
	struct nvo_handover *h;

	h = kzalloc(sizeof(*h), gfp);
	if (!h)
		return NULL;
	h->parked = kcalloc(sq_size, sizeof(*h->parked), gfp);
	if (!h->parked) {
		kfree(h);
		return NULL;
	}
	h->sq_size = sq_size;
	return h;
}
EXPORT_SYMBOL_NS_GPL(nvo_handover_alloc, NVO_NS);

void nvo_handover_free(struct nvo_handover *h)
{
	u32 i;

	if (!h)
		return;
	for (i = 0; i < h->sq_size; i++)
		kfree(h->parked[i].inline_data);
	kfree(h->parked);
	kfree(h);
}
EXPORT_SYMBOL_NS_GPL(nvo_handover_free, NVO_NS);

/* What @s knows of its connection, into a new record (nvo_handover_alloc()). */
void nvo_stream_record(struct nvo_stream *s, struct nvo_handover *h, u16 qid,
		       bool sqhd_disabled)
{
	h->sock = s->sock;
	h->params = s->params;
	h->qid = qid;
	h->sqhd_disabled = sqhd_disabled;
	h->inline_limit = s->inline_limit;
}
EXPORT_SYMBOL_NS_GPL(nvo_stream_record, NVO_NS);

/*
 * Add a parked capsule to @h: its @len bytes of in-capsule data are @buf,
 * which the record takes, or are copied from @sg.
 */
int nvo_record_park(struct nvo_handover *h, const struct nvme_command *sqe,
		    struct scatterlist *sg, unsigned int nents, u32 len,
		    void *buf)
{
	struct nvo_parked_cmd *p = &h->parked[h->nr_parked++];

	p->sqe = *sqe;
	if (!len)
		return 0;
	if (!buf) {
		buf = kmalloc(len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		sg_copy_to_buffer(sg, nents, buf, len);
	}
	p->inline_data = buf;
	p->inline_len = len;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(nvo_record_park, NVO_NS);
