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

#include "transport.h"

static u16 nvo_port_id(const struct nvo_port *port)
{
	return le16_to_cpu(port->nport->disc_addr.portid);
}

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

static int nvo_port_parse_addr(struct nvo_port *port)
{
	struct nvmf_disc_rsp_page_entry *disc = &port->nport->disc_addr;
	int af;

	switch (disc->adrfam) {
	case NVMF_ADDR_FAMILY_IP4:
		af = AF_INET;
		break;
	case NVMF_ADDR_FAMILY_IP6:
		af = AF_INET6;
		break;
	default:
		pr_err("port %u: address family %u is not IPv4 or IPv6\n",
		       nvo_port_id(port), disc->adrfam);
		return -EINVAL;
	}
	return inet_pton_with_scope(&init_net, af, disc->traddr, disc->trsvcid,
				    &port->addr);
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
	INIT_WORK(&port->accept_work, nvo_accept_work);

	ret = nvo_port_parse_addr(port);
	if (ret) {
		pr_err("port %u: bad address %s:%s\n", nvo_port_id(port),
		       nport->disc_addr.traddr, nport->disc_addr.trsvcid);
		goto err_free;
	}

	if (nport->inline_data_size < 0) {
		nport->inline_data_size = NVO_DEF_INLINE;
	} else if (nport->inline_data_size > NVO_MAX_INLINE) {
		pr_warn("port %u: inline_data_size %d capped to %d\n",
			nvo_port_id(port), nport->inline_data_size,
			NVO_MAX_INLINE);
		nport->inline_data_size = NVO_MAX_INLINE;
	}

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

	/* A wildcard listener reports the address the host reached us on. */
	if (port && inet_addr_is_any((struct sockaddr *)&port->addr) &&
	    kernel_getsockname(cmd->queue->sock,
			       (struct sockaddr *)&local) > 0) {
		snprintf(traddr, NVMF_TRADDR_SIZE, "%pISc", &local);
		return;
	}
	memcpy(traddr, nport->disc_addr.traddr, NVMF_TRADDR_SIZE);
}
