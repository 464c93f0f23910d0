// SPDX-License-Identifier: GPL-2.0
/*
 * Command slots: the array a Connect installs, charged against the
 * queue_mem_limit_kb ceiling, and the data buffers a command owns: a
 * slot's own page, kept and charged from its first use, for up to a page of
 * in-capsule data or of a read; pages allocated when the capsule arrives
 * and freed when the command completes for more in-capsule data.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "queue.h"

/*
 * Bytes of command slots all queues hold at once. A host chooses the queue
 * depth (up to 1024 a queue, as many queues as it likes): past this ceiling
 * a Connect fails with an error instead of pinning more of a NIC's memory.
 */
static unsigned long queue_mem_limit_kb = 256 * 1024;
module_param(queue_mem_limit_kb, ulong, 0644);
MODULE_PARM_DESC(queue_mem_limit_kb,
		 "ceiling on the command slots of all queues, in KiB (default 256 MiB)");
static atomic_long_t nvo_queue_mem = ATOMIC_LONG_INIT(0);

/* Slot memory now held, for debugfs. */
long nvo_queue_mem_bytes(void)
{
	return atomic_long_read(&nvo_queue_mem);
}

static bool nvo_queue_mem_charge(size_t bytes)
{
	long limit = (long)min_t(unsigned long, READ_ONCE(queue_mem_limit_kb),
				 LONG_MAX >> 10) << 10;

	if (atomic_long_add_return(bytes, &nvo_queue_mem) > limit) {
		atomic_long_sub(bytes, &nvo_queue_mem);
		return false;
	}
	return true;
}

void nvo_cmd_init(struct nvo_queue *queue, struct nvo_cmd *cmd, u16 ttag)
{
	cmd->queue = queue;
	cmd->ttag = ttag;
	cmd->req.cmd = &cmd->sqe;
	cmd->req.cqe = &cmd->cqe;
	cmd->rx.sqe = &cmd->sqe;
	cmd->tx.cqe = &cmd->cqe;
	INIT_LIST_HEAD(&cmd->entry);
}

static void nvo_cmd_put_data(struct nvo_cmd *cmd)
{
	if (cmd->flags & NVO_CMD_OWN_SGL)
		nvmet_req_free_sgls(&cmd->req);
	cmd->flags &= ~NVO_CMD_OWN_SGL;
	if (cmd->own_sg) {
		if (cmd->own_sg != cmd->slot_page)
			sgl_free(cmd->own_sg);
		cmd->own_sg = NULL;
		cmd->own_nents = 0;
	}
}

/*
 * The slot's own page, ours alone: false if it has none to get. Read data
 * goes out by reference, so an skb of the slot's last read may still hold
 * the page (TCP until the ACK; on loopback the host's receive queue too):
 * then the slot takes a fresh page, whatever the next command writes into
 * it, and leaves the old one to the skb's reference.
 */
static bool nvo_cmd_slot_page(struct nvo_cmd *cmd)
{
	struct nvo_queue *queue = cmd->queue;
	struct page *held, *fresh;
	unsigned int nents;

	if (cmd->slot_page) {
		held = sg_page(cmd->slot_page);
		if (page_ref_count(held) == 1)
			return true;
		fresh = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!fresh)
			return false;
		sg_set_page(cmd->slot_page, fresh, PAGE_SIZE, 0);
		put_page(held);
		queue->stats.read_pages_held++;
		return true;
	}
	/* Connect's slot outlives no Connect: nothing to keep. */
	if (cmd == queue->connect_cmd || !nvo_queue_mem_charge(PAGE_SIZE))
		return false;
	cmd->slot_page = sgl_alloc(PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN,
				   &nents);
	if (!cmd->slot_page) {
		atomic_long_sub(PAGE_SIZE, &nvo_queue_mem);
		return false;
	}
	queue->slot_mem += PAGE_SIZE;
	return true;
}

/* Room for @len bytes of in-capsule data; the command keeps it until put. */
int nvo_cmd_alloc_inline(struct nvo_cmd *cmd, u32 len)
{
	if (cmd->own_sg)
		return 0;	/* parked: the data is already there */
	if (len <= PAGE_SIZE && nvo_cmd_slot_page(cmd)) {
		cmd->slot_page->length = len;
		cmd->own_sg = cmd->slot_page;
		cmd->own_nents = 1;
		return 0;
	}
	cmd->own_sg = sgl_alloc(len, GFP_KERNEL | __GFP_NOWARN,
				&cmd->own_nents);
	return cmd->own_sg ? 0 : -ENOMEM;
}

/*
 * A read of up to a page into the slot's page, which saves allocating (and,
 * with init_on_alloc, clearing) one per read. -ENOMEM: no slot page to be
 * had, nvmet's own buffers then.
 */
int nvo_cmd_alloc_read(struct nvo_cmd *cmd, u32 len)
{
	if (len > PAGE_SIZE || !nvo_cmd_slot_page(cmd))
		return -ENOMEM;
	cmd->slot_page->length = len;
	cmd->own_sg = cmd->slot_page;
	cmd->own_nents = 1;
	return 0;
}

struct nvo_cmd *nvo_get_cmd(struct nvo_queue *queue)
{
	struct nvo_cmd *cmd = NULL;
	unsigned long flags;

	spin_lock_irqsave(&queue->cmd_lock, flags);
	if (!queue->cmds) {
		/* Before Connect installs the queue only Connect can come. */
		if (!queue->connect_busy) {
			queue->connect_busy = true;
			cmd = queue->connect_cmd;
		}
	} else {
		cmd = list_first_entry_or_null(&queue->free_cmds,
					       struct nvo_cmd, entry);
		if (cmd)
			list_del_init(&cmd->entry);
	}
	if (cmd)
		queue->nr_active++;
	spin_unlock_irqrestore(&queue->cmd_lock, flags);
	if (!cmd)
		return NULL;

	cmd->flags = 0;
	cmd->data_status = 0;
	cmd->parked_len = 0;
	cmd->tx.state = NVO_STX_IDLE;
	nvo_xfer_init(&cmd->rx.xfer, 0);
	cmd->req.port = queue->nport;
	return cmd;
}

void nvo_put_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd)
{
	unsigned long flags;

	nvo_cmd_put_data(cmd);
	cmd->flags = 0;
	spin_lock_irqsave(&queue->cmd_lock, flags);
	queue->nr_active--;
	if (cmd == queue->connect_cmd)
		queue->connect_busy = false;
	else
		list_add(&cmd->entry, &queue->free_cmds);
	spin_unlock_irqrestore(&queue->cmd_lock, flags);
}

void nvo_free_cmds(struct nvo_queue *queue)
{
	u32 i;

	for (i = 0; i < queue->nr_cmds; i++) {
		nvo_cmd_put_data(&queue->cmds[i]);
		if (queue->cmds[i].slot_page)
			sgl_free(queue->cmds[i].slot_page);
	}
	kvfree(queue->cmds);
	queue->cmds = NULL;
	queue->nr_cmds = 0;
	atomic_long_sub(queue->slot_mem, &nvo_queue_mem);
	queue->slot_mem = 0;
	if (queue->connect_cmd) {
		nvo_cmd_put_data(queue->connect_cmd);
		kfree(queue->connect_cmd);
		queue->connect_cmd = NULL;
	}
}

/* A Connect's slots: @sq->size of them, all or none. */
u16 nvo_cmds_install(struct nvo_queue *queue, struct nvmet_sq *sq)
{
	u32 limit = queue->nport->inline_data_size;
	size_t bytes = array_size(sq->size, sizeof(struct nvo_cmd));
	struct nvo_cmd *cmds;
	LIST_HEAD(free);
	u32 i;

	if (queue->cmds)
		return NVME_SC_CMD_SEQ_ERROR | NVME_STATUS_DNR;
	if (!sq->qid)
		limit = max_t(u32, limit, NVO_ADMIN_INLINE);

	if (!nvo_queue_mem_charge(bytes)) {
		pr_warn_ratelimited("queue %d: %u slots would pass queue_mem_limit_kb (%lu KiB), refusing the Connect\n",
				    queue->idx, sq->size,
				    READ_ONCE(queue_mem_limit_kb));
		return NVME_SC_INTERNAL;
	}
	cmds = kvcalloc(sq->size, sizeof(*cmds), GFP_KERNEL);
	if (!cmds) {
		atomic_long_sub(bytes, &nvo_queue_mem);
		return NVME_SC_INTERNAL;
	}
	/* Nothing here can fail: the queue takes the slots whole or not. */
	for (i = 0; i < sq->size; i++) {
		nvo_cmd_init(queue, &cmds[i], i);
		list_add_tail(&cmds[i].entry, &free);
	}
	queue->stream.inline_limit = limit;
	queue->slot_mem = bytes;
	spin_lock_irq(&queue->cmd_lock);
	list_splice_tail(&free, &queue->free_cmds);
	queue->nr_cmds = sq->size;
	queue->cmds = cmds;
	spin_unlock_irq(&queue->cmd_lock);
	return 0;
}

void nvo_cmd_use_own(struct nvo_cmd *cmd)
{
	cmd->req.sg = cmd->own_sg;
	cmd->req.sg_cnt = cmd->own_nents;
}
