/* SPDX-License-Identifier: GPL-2.0 */
/*
 * offload_state - where nvmet_offload's debugfs says one queue is served,
 * for the test clients that wait for a queue to be offloaded.
 */
#ifndef SELFTESTS_TOOLS_OFFLOAD_STATE_H
#define SELFTESTS_TOOLS_OFFLOAD_STATE_H

#include <stddef.h>

#define NVO_QUEUES_DEBUGFS "/sys/kernel/debug/nvmet_offload/queues"

/*
 * The offload state ("software", "offloaded", ...) of queue (cntlid, qid)
 * in NVO_QUEUES_DEBUGFS (columns 3, 4 and 16) into buf: 0, -ENOENT when the
 * queue is not listed, or -errno when the file cannot be read.
 */
int nvo_queue_ostate(unsigned int cntlid, unsigned int qid, char *buf,
		     size_t len);

#endif
