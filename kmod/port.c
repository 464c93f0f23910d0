// SPDX-License-Identifier: GPL-2.0
/*
 * Ports: one listening TCP socket per enabled nvmet port; accepted
 * connections become queues.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "nport.h"
#include "observe.h"
#include "transport.h"

static void nvo_accept_work(struct work_struct *w)
{
	struct nvo_port *port = container_of(w, struct nvo_port, accept_work);
	struct socket *sock;
	int ret;

	for (;;) {
		ret = kernel_accept(port->listener, &sock, O_NONBLOCK);
		if (ret < 0) {
			if (ret != -EAGAIN)
				pr_warn_ratelimited("port %u: accept failed: %d\n",
						    nvo_port_id(port), ret);
			return;
		}
		ret = nvo_queue_alloc(port, sock);
		if (ret) {
			pr_warn_ratelimited("port %u: cannot set up a queue: %d\n",
					    nvo_port_id(port), ret);
			sock_release(sock);
		}
	}
}

static void nvo_listener_data_ready(struct sock *sk)
{
	struct nvo_port *port;

	read_lock_bh(&sk->sk_callback_lock);
	port = sk->sk_user_data;
	if (port && sk->sk_state == TCP_LISTEN)
		queue_work(nvo_io_wq, &port->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

int nvo_add_port(struct nvmet_port *nport)
{
	struct nvo_port *port;
	struct sock *sk;
	int ret;

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	kref_init(&port->ref);
	nvo_port_limits_init(port);
	INIT_LIST_HEAD(&port->entry);
	nvo_counters_acct_init(&port->acct);
	port->nport = nport;
	port->id = nvo_nport_id(nport);
	INIT_WORK(&port->accept_work, nvo_accept_work);

	ret = nvo_nport_sockaddr(nport, &port->addr);
	if (ret)
		goto err_free;
	nvo_nport_set_inline(nport, NVO_DEF_INLINE, NVO_MAX_INLINE);

	ret = sock_create_kern(&init_net, port->addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &port->listener);
	if (ret) {
		pr_err("port %u: cannot create a socket: %d\n",
		       nvo_port_id(port), ret);
		goto err_free;
	}
	sk = port->listener->sk;
	sock_set_reuseaddr(sk);
	tcp_sock_set_nodelay(sk);

	ret = kernel_bind(port->listener, (struct sockaddr *)&port->addr,
			  sizeof(port->addr));
	if (ret) {
		pr_err("port %u: cannot bind %pISpc: %d\n", nvo_port_id(port),
		       &port->addr, ret);
		goto err_sock;
	}

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = port;
	port->saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = nvo_listener_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	ret = kernel_listen(port->listener, SOMAXCONN);
	if (ret) {
		pr_err("port %u: cannot listen on %pISpc: %d\n",
		       nvo_port_id(port), &port->addr, ret);
		goto err_callbacks;
	}

	nport->priv = port;
	nvo_offload_port_added(port);
	pr_info("port %u: listening on %pISpc\n", nvo_port_id(port),
		&port->addr);
	return 0;

err_callbacks:
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = port->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
err_sock:
	sock_release(port->listener);
err_free:
	nvo_port_put(port);
	return ret;
}

void nvo_remove_port(struct nvmet_port *nport)
{
	struct nvo_port *port = nport->priv;
	struct sock *sk = port->listener->sk;

	nvo_offload_port_removed(port);
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = port->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&port->accept_work);
	sock_release(port->listener);

	/* Queues not yet bound to a controller nvmet does not know about. */
	nvo_close_port_queues(port);
	nport->priv = NULL;
	pr_info("port %u: removed\n", nvo_port_id(port));
	nvo_port_put(port);
}

void nvo_disc_traddr(struct nvmet_req *req, struct nvmet_port *nport,
		     char *traddr)
{
	struct nvo_cmd *cmd = container_of(req, struct nvo_cmd, req);
	struct nvo_port *port = nport->priv;
	struct sockaddr_storage local;

	if (!port || kernel_getsockname(cmd->queue->sock,
					(struct sockaddr *)&local) <= 0) {
		memcpy(traddr, nport->disc_addr.traddr, NVMF_TRADDR_SIZE);
		return;
	}
	nvo_nport_disc_traddr(nport, &port->addr, (struct sockaddr *)&local,
			      traddr);
}
