/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The queue layer's internals, shared by queue_base.c, cmd.c, rx.c, tx.c,
 * traffic.c, handover.c, offload_api.c, queue.c and main.c only: what one of them
 * calls in another. Each calls only the files listed above it here
 * (Documentation/design.rst, "Layers").
 */
#ifndef NVO_QUEUE_H
#define NVO_QUEUE_H

#include "transport.h"

static inline struct nvo_queue *nvo_oq_queue(struct nvo_offload_queue *oq)
{
	return container_of(oq, struct nvo_queue, oq);
}

static inline struct nvo_queue *nvo_stream_queue(struct nvo_stream *s)
{
	return s->owner;
}

/* cmd.c: command slots */
void nvo_cmd_init(struct nvo_queue *queue, struct nvo_cmd *cmd, u16 ttag);
int nvo_cmd_alloc_inline(struct nvo_cmd *cmd, u32 len);
struct nvo_cmd *nvo_get_cmd(struct nvo_queue *queue);
void nvo_put_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd);
void nvo_free_cmds(struct nvo_queue *queue);
void nvo_cmd_use_own(struct nvo_cmd *cmd);
int nvo_cmd_alloc_read(struct nvo_cmd *cmd, u32 len);
u16 nvo_cmds_install(struct nvo_queue *queue, struct nvmet_sq *sq);

/* queue_base.c: wake, close, fail; the list of queues */
void nvo_kick(struct nvo_queue *queue);
void nvo_kick_io(struct nvo_queue *queue);
void nvo_queue_close(struct nvo_queue *queue);
int nvo_queue_fatal(struct nvo_stream *s, enum nvo_fes fes, u32 fei);
int nvo_queue_sock_error(struct nvo_stream *s, int ret);
int nvo_queue_id_get(void);
void nvo_queue_id_put(int id);
void nvo_queue_list_add(struct nvo_queue *queue);
void nvo_queue_list_del(struct nvo_queue *queue);

/* rx.c: what is received (the stream's receive callbacks) */
bool nvo_rx_may_read_ahead(struct nvo_stream *s);
int nvo_rx_icreq(struct nvo_stream *s);
int nvo_rx_cmd(struct nvo_stream *s, u32 data_len);
struct nvo_pdu_rx *nvo_rx_h2c_cmd(struct nvo_stream *s, u16 ttag);
void nvo_rx_ddgst_error(struct nvo_stream *s, struct nvo_pdu_rx *rx);
void nvo_rx_capsule_ready(struct nvo_stream *s, struct nvo_pdu_rx *rx);
void nvo_rx_r2t(struct nvo_stream *s, struct nvo_pdu_rx *rx);
void nvo_rx_h2c_done(struct nvo_stream *s, struct nvo_pdu_rx *rx);
u16 nvo_map_data(struct nvo_queue *queue, struct nvo_cmd *cmd,
		 u32 pdu_data_len);
void nvo_queue_r2t(struct nvo_queue *queue, struct nvo_cmd *cmd);
void nvo_cmd_execute(struct nvo_cmd *cmd);
void nvo_start_cmd(struct nvo_queue *queue, struct nvo_cmd *cmd);
void nvo_park(struct nvo_queue *queue, struct nvo_cmd *cmd);

/* tx.c: what is sent (the stream's send callbacks) */
bool nvo_tx_more(struct nvo_stream *s);
struct nvo_pdu_tx *nvo_tx_next(struct nvo_stream *s);
void nvo_tx_done(struct nvo_stream *s, struct nvo_pdu_tx *tx);
int nvo_try_send(struct nvo_queue *queue, int *budget);
void nvo_tx_complete(struct nvo_cmd *cmd);

/* traffic.c: keep-alive while a device owns the queue */
void nvo_traffic_init(struct nvo_queue *queue);
void nvo_traffic_start(struct nvo_queue *queue);
void nvo_traffic_stop(struct nvo_queue *queue);

/* handover.c: hand-over */
bool nvo_queue_drained(struct nvo_queue *queue);
void nvo_handover(struct nvo_queue *queue);
bool nvo_offload_reconcile(struct nvo_queue *queue);
void nvo_offload_returned(struct nvo_offload_queue *oq, struct nvo_handover *h,
			  enum nvo_fallback_reason reason);
void nvo_offload_release(struct nvo_queue *queue);

/* offload_api.c: the driver API's calls */
void nvo_punt_complete(struct nvo_queue *queue, struct nvo_cmd *cmd);

#endif /* NVO_QUEUE_H */
