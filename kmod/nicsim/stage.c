// SPDX-License-Identifier: GPL-2.0
/*
 * nicsim staging: the pages that hold a command's data while the device
 * has it, taken from the device's budget per command and given back when
 * the command is answered.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "queue.h"

/*
 * Staging is taken when a command needs room for its data and given back
 * when the command is answered, from the device's budget
 * (staging_limit_kb): what the device holds follows what is in flight, not
 * the queue depths hosts ask for. Never less than one largest transfer, so
 * that any command can be served once the others are.
 */
static unsigned long nq_stage_limit(struct nicsim_staging *st)
{
	unsigned long pages = READ_ONCE(st->limit_kb) >> (PAGE_SHIFT - 10);

	return max_t(unsigned long, pages, NICSIM_MAX_XFER >> PAGE_SHIFT);
}

/* Charge @n pages to the budget; @force: even beyond it. */
static bool nq_stage_charge(struct nicsim_dev *ndev, u32 n, bool force)
{
	struct nicsim_staging *st = &ndev->staging;
	unsigned long limit = nq_stage_limit(st);
	bool ok = true;

	spin_lock(&st->lock);
	if (st->pages + n > limit) {
		if (force)
			st->forced += n;
		else
			ok = false;
	}
	if (ok) {
		st->pages += n;
		st->pages_max = max(st->pages_max, st->pages);
	}
	spin_unlock(&st->lock);
	return ok;
}

static void nq_stage_uncharge(struct nicsim_dev *ndev, u32 n)
{
	spin_lock(&ndev->staging.lock);
	ndev->staging.pages -= n;
	spin_unlock(&ndev->staging.lock);
}

void nq_stage_count_wait(struct nicsim_dev *ndev)
{
	spin_lock(&ndev->staging.lock);
	ndev->staging.waits++;
	spin_unlock(&ndev->staging.lock);
}

/*
 * nicsim_rdma.ko's commands stage their data in the same budget, so that
 * staging_limit_kb bounds the device whatever transport its queues use.
 */
bool nicsim_stage_get(struct nicsim_dev *ndev, u32 pages)
{
	return nq_stage_charge(ndev, pages, false);
}
EXPORT_SYMBOL_GPL(nicsim_stage_get);

void nicsim_stage_put(struct nicsim_dev *ndev, u32 pages)
{
	nq_stage_uncharge(ndev, pages);
}
EXPORT_SYMBOL_GPL(nicsim_stage_put);

void nicsim_stage_waited(struct nicsim_dev *ndev)
{
	nq_stage_count_wait(ndev);
}
EXPORT_SYMBOL_GPL(nicsim_stage_waited);

/*
 * Staging for @len bytes, mapped as @c's data. 0, or -EAGAIN when the
 * budget (or memory) is short: the command waits and tries again. Engine
 * context: the allocation may sleep, but must not start I/O, as a host on
 * this very kernel may be what reclaim would write to.
 */
int nq_stage_alloc(struct nicsim_queue *q, struct nq_cmd *c, u32 len,
		   bool force)
{
	u32 n = DIV_ROUND_UP(len, PAGE_SIZE);

	if (!nq_stage_charge(q->ndev, n, force))
		return -EAGAIN;
	c->stage = sgl_alloc(len, GFP_NOIO | __GFP_NOWARN, &c->stage_nents);
	if (!c->stage) {
		nq_stage_uncharge(q->ndev, n);
		return -EAGAIN;
	}
	c->stage_pages = n;
	c->data_sg = c->stage;
	c->data_nents = c->stage_nents;
	return 0;
}

void nq_stage_free(struct nicsim_queue *q, struct nq_cmd *c)
{
	if (!c->stage)
		return;
	sgl_free(c->stage);
	nq_stage_uncharge(q->ndev, c->stage_pages);
	c->stage = NULL;
	c->stage_nents = 0;
	c->stage_pages = 0;
	c->data_sg = NULL;
	c->data_nents = 0;
}

/*
 * Staging for the data of a started command that has none yet: room to
 * receive or read into, or, for a capsule that was parked, where its
 * in-capsule data moves. -EAGAIN: wait for the budget.
 */
int nq_map_data(struct nicsim_queue *q, struct nq_cmd *c)
{
	int ret;

	ret = nq_stage_alloc(q, c, c->len, false);
	if (ret)
		return ret;
	if (c->park_buf) {
		/* nq_check_data() made sure len is the in-capsule length. */
		sg_copy_from_buffer(c->data_sg, c->data_nents, c->park_buf,
				    c->len);
		kfree(c->park_buf);
		c->park_buf = NULL;
	}
	return 0;
}

/*
 * A parked capsule keeps its in-capsule data outside the staging budget,
 * as the record will, so that a draining queue never waits for staging
 * its own parked capsules hold. It stays in staging if memory is short.
 */
void nq_park_data(struct nicsim_queue *q, struct nq_cmd *c)
{
	void *buf;

	if (!c->stage)
		return;
	buf = kmalloc(c->inline_len, GFP_NOIO | __GFP_NOWARN);
	if (!buf)
		return;
	sg_copy_to_buffer(c->data_sg, c->data_nents, buf, c->inline_len);
	nq_stage_free(q, c);
	c->park_buf = buf;
}
