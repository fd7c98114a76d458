/*
 * ipc.c - the libqb IPC server that clusterctl talks to.
 *
 * Access: root, or a client with haclient among its groups, primary or
 * supplementary (as Pacemaker does). Who may connect at all, how many
 * connections each may hold and how long a handshake may take is decided
 * before libqb reads from a new socket (ipc-guard.h, lib/ipc-admit.h); a
 * connection that sends no request within CD_IPC_FIRST_REQUEST_MS of its
 * handshake is closed here.
 * Internal commands (how clusterctl changes the cluster on another node's
 * behalf, e.g. nodes-update over ssh) are for root only: an administrator
 * in haclient gets EACCES.
 * Every request gets exactly one reply, also a malformed one, so a client
 * never hangs; a bad request never harms the daemon or other clients.
 * Requests are dispatched through tables of {command, handler, flags}: the
 * server's own (status, subscribe, audit) and the one each registered
 * subsystem brings in its hooks (hooks.h), as corosync's services bring
 * lib_engine[].
 * Every request for a command flagged CD_IPC_CHANGES is audited once, when
 * its answer is known (also when it is deferred, and when it is refused),
 * and so is a client refused at the handshake (audit.h).
 */
#include "audit.h"
#include "daemon.h"
#include "ipc-admit.h"
#include "ipc-guard.h"
#include "log.h"
#include "error.h"
#include "proto.h"
#include "timeutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <qb/qbipcs.h>
#include <qb/qblist.h>

/* How often idle handshakes and silent connections are looked for. */
#define CD_IPC_SWEEP_MS 1000

struct cd_ipc {
	struct cd_daemon *d;
	qb_ipcs_service_t *srv;
	struct qb_list_head conns;
	qb_loop_timer_handle sweep;
	uint64_t silent_closed;	/* no request within CD_IPC_FIRST_REQUEST_MS */
	struct cd_audit *audit;
};

struct cd_ipc_client {
	struct qb_list_head list;
	qb_ipcs_connection_t *c;
	pid_t pid;
	uid_t uid;	/* as accepted; (uid_t)-1 if unknown (never root) */
	char user[64];	/* uid's name here, for the audit; "" if unknown */
	bool subscribed;
	bool spoke;	/* sent a request */
	bool closed;	/* client gone; struct lives until the last unref */
	uint64_t since_ms;
};

struct cd_ipc_deferred {
	struct cd_ipc_client *client;	/* its connection is referenced */
	char *cmd;			/* an audited request's command, or NULL */
	json_object *args;		/* and its arguments (a reference) */
};

/* The request ipc_msg_process is running a handler for: a deferral of it
 * carries what the audit needs. */
static struct {
	struct cd_ipc_client *client;
	const char *cmd;
	json_object *args;
	bool audited;
} current;

static struct cd_daemon *ipc_daemon;	/* for libqb's loop hooks */

/* ---- handlers ---- */

/* The IPC server's own section of the status document. */
static json_object *
ipc_status(struct cd_daemon *d)
{
	json_object *o = json_object_new_object();
	unsigned int open, handshaking;
	uint64_t refused, timed_out;

	if (!o)
		return NULL;
	cd_ipc_guard_counts(&open, &handshaking, &refused, &timed_out);
	json_object_object_add(o, "sockets", json_object_new_int64(open));
	json_object_object_add(o, "handshaking", json_object_new_int64(handshaking));
	json_object_object_add(o, "refused", json_object_new_int64((int64_t)refused));
	json_object_object_add(o, "handshake_timeouts",
			       json_object_new_int64((int64_t)timed_out));
	json_object_object_add(o, "silent_closed",
			       json_object_new_int64((int64_t)d->ipc->silent_closed));
	return o;
}

static json_object *
status_doc(struct cd_daemon *d)
{
	json_object *o = cd_hooks_status(d);

	if (o)
		json_object_object_add(o, "ipc", ipc_status(d));
	return o;
}

static int
handle_status(struct cd_daemon *d, struct cd_ipc_client *conn, json_object *args,
	      json_object **out)
{
	*out = status_doc(d);
	return *out ? 0 : -ENOMEM;
}

static int
handle_subscribe(struct cd_daemon *d, struct cd_ipc_client *conn,
		 json_object *args, json_object **out)
{
	conn->subscribed = true;
	/* The reply carries the current status so the client starts in sync. */
	*out = status_doc(d);
	return *out ? 0 : -ENOMEM;
}

#define AUDIT_SHOW_DEFAULT	20
#define AUDIT_SHOW_MAX		(CD_MAX_NODES * CD_AUDIT_KEEP)

/* audit {"n": N}: the last N audited requests of every node, oldest first. */
static int
handle_audit(struct cd_daemon *d, struct cd_ipc_client *conn, json_object *args,
	     json_object **out)
{
	json_object *v = NULL;
	int64_t n = AUDIT_SHOW_DEFAULT;

	if (args && json_object_object_get_ex(args, "n", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (n = json_object_get_int64(v)) < 1 || n > AUDIT_SHOW_MAX) {
			*out = cd_ipc_message("n must be a whole number 1..%d", AUDIT_SHOW_MAX);
			return -CD_E_BAD_VALUE;
		}
	}
	*out = cd_audit_list(d->ipc->audit, (size_t)n);
	return *out ? 0 : -ENOMEM;
}

/* The server's own commands. */
static const struct cd_ipc_handler builtin[] = {
	{ "status", handle_status, 0 },
	{ "subscribe", handle_subscribe, 0 },
	{ "audit", handle_audit, 0 },
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

/*
 * libqb's check, on the credentials the client sent with its handshake.
 * The guard judged the same socket's peer at connect() (SO_PEERCRED and
 * SO_PEERGROUPS): a uid other than root passes when haclient is its
 * primary group here or the guard found haclient among its groups. Only a
 * bounded number of refusals reach this point (lib/ipc-admit.h A3), so
 * this warning cannot flood the log.
 */
static int32_t
ipc_accept(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	const struct cd_ipc_peer_cred *p = cd_ipc_guard_handshake_peer();
	struct group *gr;

	accepted.c = c;
	accepted.uid = uid;
	if (uid == 0)
		return 0;
	gr = getgrnam(CD_ADMIN_GROUP);
	if (gr && (gr->gr_gid == gid || (p && p->uid == uid && p->admin))) {
		qb_ipcs_connection_auth_set(c, -1, gr->gr_gid, 0660);
		return 0;
	}
	cd_audit_peer_refused(ipc_daemon->ipc->audit, uid, gid, p ? p->pid : 0,
			      "neither root nor in group " CD_ADMIN_GROUP);
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
	conn->since_ms = cd_now_mono_ms();
	conn->uid = accepted.c == c ? accepted.uid : (uid_t)-1;
	accepted.c = NULL;
	if (qb_ipcs_connection_stats_get(c, &st, QB_FALSE) == 0)
		conn->pid = st.client_pid;
	if (conn->uid != (uid_t)-1) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		/* once per connection, for the audit (files: no network) */
		if (getpwuid_r(conn->uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			snprintf(conn->user, sizeof(conn->user), "%s", res->pw_name);
	}
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

/* Record an answered request of a changing command (audit.h). */
static void
audit(struct cd_ipc_client *client, const char *cmd, json_object *args, int err,
      const char *message)
{
	struct cd_audit_who who = { client->uid, client->pid, client->user };

	if (ipc_daemon && ipc_daemon->ipc)
		cd_audit_request(ipc_daemon->ipc->audit, &who, cmd, args, err, message);
}

struct cd_ipc_deferred *
cd_ipc_defer(struct cd_ipc_client *client)
{
	struct cd_ipc_deferred *def = calloc(1, sizeof(*def));

	if (!def)
		return NULL;
	if (current.audited && current.client == client) {
		def->cmd = strdup(current.cmd);
		def->args = json_object_get(current.args);
		if (!def->cmd) {
			json_object_put(def->args);
			free(def);
			return NULL;
		}
	}
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
	if (def->cmd)
		audit(client, def->cmd, def->args, err, message);
	free(def->cmd);
	json_object_put(def->args);
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
	bool audited;
	int rc;

	if (!conn)
		return 0;
	conn->spoke = true;
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
	audited = (h->flags & CD_IPC_CHANGES) != 0;
	if ((h->flags & CD_IPC_ROOT_ONLY) && conn->uid != 0) {
		cd_warn("ipc client %d (uid %d): refused internal command '%s': root only",
			(int)conn->pid, (int)conn->uid, req.cmd);
		snprintf(text, sizeof(text), "'%s' is an internal command of clusterctl: "
			 "root only", req.cmd);
		send_reply(conn, NULL, -EACCES, text);
		if (audited)
			audit(conn, req.cmd, req.args, -EACCES, text);
		cd_request_clear(&req);
		return 0;
	}
	cd_debug("ipc client %d: %s", (int)conn->pid, req.cmd);
	current.client = conn;
	current.cmd = req.cmd;
	current.args = req.args;
	current.audited = audited;
	rc = h->fn(ipc_daemon, conn, req.args, &out);
	memset(&current, 0, sizeof(current));
	text[0] = '\0';
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
	if (audited && rc != CD_IPC_DEFERRED)
		audit(conn, req.cmd, req.args, rc, text);
	json_object_put(out);
	cd_request_clear(&req);
	return 0;
}

/* ---- deadlines ---- */

/* Close connections that sent nothing since their handshake; let the guard
 * close handshakes that never came; then look again in a second. */
static void
ipc_sweep(void *data)
{
	struct cd_ipc *ipc = data;
	struct cd_ipc_client *conn, *tmp;
	uint64_t now = cd_now_mono_ms();

	qb_list_for_each_entry_safe(conn, tmp, &ipc->conns, list) {
		if (conn->spoke || conn->closed ||
		    now - conn->since_ms < CD_IPC_FIRST_REQUEST_MS)
			continue;
		ipc->silent_closed++;
		cd_debug("ipc client %d (uid %d): no request in %d ms, closed",
			 (int)conn->pid, (int)conn->uid, CD_IPC_FIRST_REQUEST_MS);
		conn->spoke = true;	/* once */
		/* May free conn (its destroyed callback): tmp is kept. */
		qb_ipcs_disconnect(conn->c);
	}
	cd_ipc_guard_sweep(now);
	if (qb_loop_timer_add(ipc->d->loop, QB_LOOP_LOW,
			      CD_IPC_SWEEP_MS * 1000000ull, ipc, ipc_sweep,
			      &ipc->sweep) != 0)
		cd_err("ipc: cannot arm the deadline timer");
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
	struct qb_ipcs_poll_handlers poll;
	struct cd_ipc *ipc;
	int rc;

	ipc = calloc(1, sizeof(*ipc));
	if (!ipc)
		return -ENOMEM;
	ipc->d = d;
	qb_list_init(&ipc->conns);
	ipc_daemon = d;
	d->ipc = ipc;
	ipc->audit = cd_audit_new(d);
	if (!ipc->audit) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = cd_ipc_guard_start(d->loop);
	if (rc < 0)
		goto fail;
	cd_ipc_guard_handlers(&poll);

	ipc->srv = qb_ipcs_create(CD_IPC_SERVICE, 0, QB_IPC_SHM, &svc);
	if (!ipc->srv) {
		rc = -errno;
		goto fail_guard;
	}
	qb_ipcs_enforce_buffer_size(ipc->srv, CD_IPC_MAX_MSG);
	qb_ipcs_poll_handlers_set(ipc->srv, &poll);
	/* On failure qb_ipcs_run() has destroyed the service itself (qbipcs.h). */
	cd_ipc_guard_publishing(true);
	rc = qb_ipcs_run(ipc->srv);
	cd_ipc_guard_publishing(false);
	if (rc < 0)
		goto fail_guard;
	rc = qb_loop_timer_add(d->loop, QB_LOOP_LOW, CD_IPC_SWEEP_MS * 1000000ull,
			       ipc, ipc_sweep, &ipc->sweep);
	if (rc != 0) {
		qb_ipcs_destroy(ipc->srv);
		goto fail_guard;
	}
	cd_info("ipc: listening as '%s' (at most %d connections for root, %d per "
		"user of %s, %d for all of them)", CD_IPC_SERVICE, CD_IPC_ROOT_MAX,
		CD_IPC_UID_MAX, CD_ADMIN_GROUP, CD_IPC_ADMIN_MAX);
	return 0;

fail_guard:
	cd_ipc_guard_stop();
fail:
	cd_err("ipc: cannot start server '%s': %s", CD_IPC_SERVICE,
	       strerror(-rc));
	cd_audit_free(ipc->audit);
	free(ipc);
	d->ipc = NULL;
	return rc;
}

void
cd_ipc_stop(struct cd_daemon *d)
{
	if (!d->ipc)
		return;
	qb_loop_timer_del(d->loop, d->ipc->sweep);
	/* Destroying the service disconnects and destroys every connection. */
	qb_ipcs_destroy(d->ipc->srv);
	cd_ipc_guard_stop();
	cd_audit_free(d->ipc->audit);
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
