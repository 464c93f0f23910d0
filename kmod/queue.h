/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The queue layer's internals, shared by cmd.c, rx.c, tx.c, handover.c,
 * offload_api.c and queue.c only: what one of them calls in another.
 */
#ifndef NVO_QUEUE_H
#define NVO_QUEUE_H

#include "transport.h"

static inline struct nvo_queue *nvo_oq_queue(struct nvo_offload_queue *oq)
{
	return container_of(oq, struct nvo_queue, oq);
}

/* queue.c: life cycle and socket callbacks */
void nvo_kick(struct nvo_queue *queue);
void nvo_queue_close(struct nvo_queue *queue);
int nvo_queue_fatal(struct nvo_queue *queue, enum nvo_fes fes, u32 fei);
int nvo_queue_sock_error(struct nvo_queue *queue, int ret);
int nvo_install_callbacks(struct nvo_queue *queue);
void nvo_restore_callbacks(struct nvo_queue *queue);

/* cmd.c: command slots */
void nvo_cmd_init(struct nvo_queue *queue, struct nvo_cmd *cmd, u16 ttag);
int nvo_cmd_alloc_inline(struct nvo_cmd *cmd, u32 len);
struct nvo_cmd *nvo_get_cmd(struct nvo_queue *queue);
void nvo_put_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd);
void nvo_free_cmds(struct nvo_queue *queue);
void nvo_cmd_use_inline(struct nvo_cmd *cmd);

/* rx.c: receive */
void nvo_rx_next_pdu(struct nvo_queue *queue);
u32 nvo_rx_staged(const struct nvo_queue *queue);
u16 nvo_map_data(struct nvo_queue *queue, struct nvo_cmd *cmd,
		 u32 pdu_data_len);
void nvo_queue_r2t(struct nvo_queue *queue, struct nvo_cmd *cmd);
void nvo_cmd_execute(struct nvo_cmd *cmd);
int nvo_try_recv(struct nvo_queue *queue, int *ops);

/* tx.c: send */
int nvo_try_send(struct nvo_queue *queue, int *ops);

/* handover.c: hand-over */
void nvo_park(struct nvo_queue *queue, struct nvo_cmd *cmd);
bool nvo_queue_drained(struct nvo_queue *queue);
void nvo_handover(struct nvo_queue *queue);
bool nvo_offload_reconcile(struct nvo_queue *queue);
void nvo_offload_returned(struct nvo_offload_queue *oq, struct nvo_handover *h,
			  enum nvo_fallback_reason reason);
void nvo_offload_release(struct nvo_queue *queue);

/* offload_api.c: the driver API's calls */
void nvo_punt_complete(struct nvo_queue *queue, struct nvo_cmd *cmd);

#endif /* NVO_QUEUE_H */
