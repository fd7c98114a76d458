/*
 * ipc.c - the libqb IPC server that clusterctl talks to.
 *
 * Access: root, or a client whose group is haclient (as Pacemaker does).
 * Internal commands (how clusterctl changes the cluster on another node's
 * behalf, e.g. nodes-update over ssh) are for root only: an administrator
 * in haclient gets EACCES.
 * Every request gets exactly one reply, also a malformed one, so a client
 * never hangs; a bad request never harms the daemon or other clients.
 * Requests are dispatched through tables of {command, handler, flags}: the
 * server's own (status, subscribe) and the one each registered subsystem
 * brings in its hooks (hooks.h), as corosync's services bring lib_engine[].
 */
#include "daemon.h"
#include "log.h"
#include "error.h"
#include "proto.h"
#include "timeutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <qb/qbipcs.h>
#include <qb/qblist.h>

#define CD_ADMIN_GROUP "haclient"

struct cd_ipc {
	struct cd_daemon *d;
	qb_ipcs_service_t *srv;
	struct qb_list_head conns;
};

struct cd_ipc_client {
	struct qb_list_head list;
	qb_ipcs_connection_t *c;
	pid_t pid;
	uid_t uid;	/* as accepted; (uid_t)-1 if unknown (never root) */
	bool subscribed;
	bool closed;	/* client gone; struct lives until the last unref */
};

struct cd_ipc_deferred {
	struct cd_ipc_client *client;	/* its connection is referenced */
};

static struct cd_daemon *ipc_daemon;	/* for libqb's loop hooks */

/* ---- handlers ---- */

static int
handle_status(struct cd_daemon *d, struct cd_ipc_client *conn, json_object *args,
	      json_object **out)
{
	*out = cd_hooks_status(d);
	return *out ? 0 : -ENOMEM;
}

static int
handle_subscribe(struct cd_daemon *d, struct cd_ipc_client *conn,
		 json_object *args, json_object **out)
{
	conn->subscribed = true;
	/* The reply carries the current status so the client starts in sync. */
	*out = cd_hooks_status(d);
	return *out ? 0 : -ENOMEM;
}

/* The server's own commands. */
static const struct cd_ipc_handler builtin[] = {
	{ "status", handle_status, 0 },
	{ "subscribe", handle_subscribe, 0 },
};

static const struct cd_ipc_handler *
find_handler(struct cd_daemon *d, const char *cmd)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (strcmp(builtin[i].cmd, cmd) == 0)
			return &builtin[i];
	}
	return cd_hooks_ipc_find(d, cmd);
}

json_object *
cd_ipc_message(const char *fmt, ...)
{
	char buf[CD_PROTO_MSG_MAX];
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (o)
		json_object_object_add(o, "message", json_object_new_string(buf));
	return o;
}

/* ---- libqb service callbacks ---- */

/* The uid ipc_accept saw, for ipc_created of the same connection (libqb
 * calls one right after the other on this one thread). */
static struct {
	qb_ipcs_connection_t *c;
	uid_t uid;
} accepted;

static int32_t
ipc_accept(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	struct group *gr;

	accepted.c = c;
	accepted.uid = uid;
	if (uid == 0)
		return 0;
	gr = getgrnam(CD_ADMIN_GROUP);
	if (gr && gr->gr_gid == gid) {
		qb_ipcs_connection_auth_set(c, -1, gr->gr_gid, 0660);
		return 0;
	}
	cd_warn("ipc: refused client uid %d gid %d: neither root nor group %s",
		(int)uid, (int)gid, CD_ADMIN_GROUP);
	return -EACCES;
}

static void
ipc_created(qb_ipcs_connection_t *c)
{
	struct cd_ipc_client *conn = calloc(1, sizeof(*conn));
	struct qb_ipcs_connection_stats st;

	if (!conn) {
		cd_err("ipc: out of memory for a new client");
		qb_ipcs_disconnect(c);
		return;
	}
	conn->c = c;
	conn->uid = accepted.c == c ? accepted.uid : (uid_t)-1;
	accepted.c = NULL;
	if (qb_ipcs_connection_stats_get(c, &st, QB_FALSE) == 0)
		conn->pid = st.client_pid;
	qb_list_add_tail(&conn->list, &ipc_daemon->ipc->conns);
	qb_ipcs_context_set(c, conn);
	cd_debug("ipc client %d: connected", (int)conn->pid);
}

static int32_t
ipc_closed(qb_ipcs_connection_t *c)
{
	struct cd_ipc_client *conn = qb_ipcs_context_get(c);

	if (conn)
		conn->closed = true;
	return 0;
}

static void
ipc_destroyed(qb_ipcs_connection_t *c)
{
	struct cd_ipc_client *conn = qb_ipcs_context_get(c);

	if (!conn)
		return;
	cd_debug("ipc client %d: disconnected", (int)conn->pid);
	qb_list_del(&conn->list);
	qb_ipcs_context_set(c, NULL);
	free(conn);
}

static void
send_reply_to(qb_ipcs_connection_t *c, pid_t pid, json_object *data, int err,
	      const char *message)
{
	size_t size;
	void *msg = cd_proto_reply_encode(data, err, message, &size);
	ssize_t rc;

	if (!msg) {
		/* Too big or no memory: still answer, with a short error. */
		msg = cd_proto_reply_encode(NULL, -errno, NULL, &size);
		if (!msg) {
			cd_err("ipc client %d: cannot encode a reply", (int)pid);
			return;
		}
	}
	rc = qb_ipcs_response_send(c, msg, size);
	if (rc < 0)
		cd_warn("ipc client %d: reply not sent: %s", (int)pid,
			strerror((int)-rc));
	free(msg);
}

static void
send_reply(struct cd_ipc_client *conn, json_object *data, int err,
	   const char *message)
{
	send_reply_to(conn->c, conn->pid, data, err, message);
}

struct cd_ipc_deferred *
cd_ipc_defer(struct cd_ipc_client *client)
{
	struct cd_ipc_deferred *def = calloc(1, sizeof(*def));

	if (!def)
		return NULL;
	qb_ipcs_connection_ref(client->c);
	def->client = client;
	return def;
}

void
cd_ipc_complete(struct cd_ipc_deferred *def, json_object *data, int err,
		const char *message)
{
	if (!def)
		return;
	struct cd_ipc_client *client = def->client;

	if (!client->closed)
		send_reply(client, data, err, message);
	else
		cd_debug("ipc client %d: gone before its answer", (int)client->pid);
	free(def);
	/* May destroy the connection, and free client, if it was closed. */
	qb_ipcs_connection_unref(client->c);
}

static int32_t
ipc_msg_process(qb_ipcs_connection_t *c, void *data, size_t size)
{
	struct cd_ipc_client *conn = qb_ipcs_context_get(c);
	const struct cd_ipc_handler *h;
	struct cd_request req;
	json_object *out = NULL;
	char text[CD_PROTO_MSG_MAX];
	int rc;

	if (!conn)
		return 0;
	rc = cd_proto_request_decode(data, size, &req);
	if (rc < 0) {
		cd_warn("ipc client %d: rejected a %zu-byte request: %s",
			(int)conn->pid, size, cd_strerror(rc));
		send_reply(conn, NULL, rc, NULL);
		return 0;
	}
	h = find_handler(ipc_daemon, req.cmd);
	if (!h) {
		cd_warn("ipc client %d: unknown command '%s'", (int)conn->pid,
			req.cmd);
		snprintf(text, sizeof(text), "unknown command '%s'", req.cmd);
		send_reply(conn, NULL, -CD_E_UNKNOWN_CMD, text);
		cd_request_clear(&req);
		return 0;
	}
	if ((h->flags & CD_IPC_ROOT_ONLY) && conn->uid != 0) {
		cd_warn("ipc client %d (uid %d): refused internal command '%s': root only",
			(int)conn->pid, (int)conn->uid, req.cmd);
		snprintf(text, sizeof(text), "'%s' is an internal command of clusterctl: "
			 "root only", req.cmd);
		send_reply(conn, NULL, -EACCES, text);
		cd_request_clear(&req);
		return 0;
	}
	cd_debug("ipc client %d: %s", (int)conn->pid, req.cmd);
	rc = h->fn(ipc_daemon, conn, req.args, &out);
	if (rc < 0 && out) {
		/* A failing handler may explain itself: {"message": "..."}. */
		json_object *msg;

		if (json_object_object_get_ex(out, "message", &msg) &&
		    json_object_is_type(msg, json_type_string))
			snprintf(text, sizeof(text), "%s", json_object_get_string(msg));
		send_reply(conn, NULL, rc, text);
	} else if (rc != CD_IPC_DEFERRED) {
		send_reply(conn, out, rc, NULL);
	}
	json_object_put(out);
	cd_request_clear(&req);
	return 0;
}

/* ---- qb_loop hooks for the server ---- */

static int32_t
hook_job_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
	return qb_loop_job_add(ipc_daemon->loop, p, data, fn);
}

static int32_t
hook_dispatch_add(enum qb_loop_priority p, int32_t fd, int32_t events,
		  void *data, qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_add(ipc_daemon->loop, p, fd, events, data, fn);
}

static int32_t
hook_dispatch_mod(enum qb_loop_priority p, int32_t fd, int32_t events,
		  void *data, qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_mod(ipc_daemon->loop, p, fd, events, data, fn);
}

static int32_t
hook_dispatch_del(int32_t fd)
{
	return qb_loop_poll_del(ipc_daemon->loop, fd);
}

int
cd_ipc_start(struct cd_daemon *d)
{
	struct qb_ipcs_service_handlers svc = {
		.connection_accept = ipc_accept,
		.connection_created = ipc_created,
		.msg_process = ipc_msg_process,
		.connection_closed = ipc_closed,
		.connection_destroyed = ipc_destroyed,
	};
	struct qb_ipcs_poll_handlers poll = {
		.job_add = hook_job_add,
		.dispatch_add = hook_dispatch_add,
		.dispatch_mod = hook_dispatch_mod,
		.dispatch_del = hook_dispatch_del,
	};
	struct cd_ipc *ipc;
	int rc;

	ipc = calloc(1, sizeof(*ipc));
	if (!ipc)
		return -ENOMEM;
	ipc->d = d;
	qb_list_init(&ipc->conns);
	ipc_daemon = d;
	d->ipc = ipc;

	ipc->srv = qb_ipcs_create(CD_IPC_SERVICE, 0, QB_IPC_SHM, &svc);
	if (!ipc->srv) {
		rc = -errno;
		goto fail;
	}
	qb_ipcs_enforce_buffer_size(ipc->srv, CD_IPC_MAX_MSG);
	qb_ipcs_poll_handlers_set(ipc->srv, &poll);
	/* On failure qb_ipcs_run() has destroyed the service itself (qbipcs.h). */
	rc = qb_ipcs_run(ipc->srv);
	if (rc < 0)
		goto fail;
	cd_info("ipc: listening as '%s'", CD_IPC_SERVICE);
	return 0;

fail:
	cd_err("ipc: cannot start server '%s': %s", CD_IPC_SERVICE,
	       strerror(-rc));
	free(ipc);
	d->ipc = NULL;
	return rc;
}

void
cd_ipc_stop(struct cd_daemon *d)
{
	if (!d->ipc)
		return;
	/* Destroying the service disconnects and destroys every connection. */
	qb_ipcs_destroy(d->ipc->srv);
	free(d->ipc);
	d->ipc = NULL;
}

void
cd_ipc_broadcast(struct cd_daemon *d, const char *event, json_object *data)
{
	struct cd_ipc_client *conn;
	size_t size;
	void *msg;

	if (!d->ipc || qb_list_empty(&d->ipc->conns))
		return;
	msg = cd_proto_event_encode(event, data, &size);
	if (!msg) {
		cd_err("ipc: cannot encode event %s: %s", event, strerror(errno));
		return;
	}
	qb_list_for_each_entry(conn, &d->ipc->conns, list) {
		ssize_t rc;

		if (!conn->subscribed || conn->closed)
			continue;
		rc = qb_ipcs_event_send(conn->c, msg, size);
		if (rc < 0)
			cd_warn("ipc client %d: event %s not sent: %s",
				(int)conn->pid, event, strerror((int)-rc));
	}
	free(msg);
}
