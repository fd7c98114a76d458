/*
 * audit.c - the audit trail of clusterd's IPC (audit.h): syslog with a tag
 * of its own, and each node's last requests in the replicated state.
 */
#include "audit.h"
#include "daemon.h"
#include "error.h"
#include "log.h"
#include "state-schema.h"
#include "valid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* A change on its way; outlives the trail if clusterd stops first. */
struct flush_token {
	struct cd_audit *a;	/* NULL once the trail is gone */
	json_object *entries;	/* what it writes, to put back on failure */
};

struct cd_audit {
	struct cd_daemon *d;
	json_object *queue;		/* entries not written yet, oldest first */
	struct flush_token *inflight;	/* the change on its way, or NULL */
	qb_loop_timer_handle retry;
	bool retry_armed;
	bool job_armed;		/* a flush is scheduled on the loop */
	uint64_t dropped;		/* queue overflow, not yet logged */
	int log_fd;			/* to log_path; -1: not open */
	char log_path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* "": none */
};

/* ---- syslog ---- */

/* Send one line to the syslog socket with our tag.
 * @return 0, or -1: no syslog here */
static int
syslog_line(struct cd_audit *a, int prio, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[1024];
	int n;

	if (!a->log_path[0])
		return -1;
	if (a->log_fd < 0) {
		a->log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (a->log_fd < 0)
			return -1;
		memcpy(sa.sun_path, a->log_path, sizeof(a->log_path));
		if (connect(a->log_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(a->log_fd);
			a->log_fd = -1;
			return -1;
		}
	}
	n = snprintf(buf, sizeof(buf), "<%d>%s[%d]: %s", LOG_AUTHPRIV | prio,
		     CD_AUDIT_TAG, (int)getpid(), line);
	if (n < 0)
		return -1;
	if (send(a->log_fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
		 MSG_NOSIGNAL) < 0) {
		/* syslog restarted or gone: reopen once next time */
		close(a->log_fd);
		a->log_fd = -1;
		return -1;
	}
	return 0;
}

/* Once: to syslog under our tag, else to clusterd's log. */
static void
audit_log(struct cd_audit *a, bool refused, const char *line)
{
	if (syslog_line(a, refused ? LOG_WARNING : LOG_NOTICE, line) == 0)
		cd_debug("%s: %s", CD_AUDIT_TAG, line);	/* blackbox only */
	else if (refused)
		cd_warn("%s: %s", CD_AUDIT_TAG, line);
	else
		cd_notice("%s: %s", CD_AUDIT_TAG, line);
}

/* ---- entries ---- */

const char *
cd_audit_args_text(json_object *args, char *buf, size_t len)
{
	json_object *o = json_object_new_object();
	const char *s;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!o)
		return buf;
	if (args && json_object_is_type(args, json_type_object)) {
		json_object_object_foreach(args, k, v) {
			if (strcmp(k, "vm") == 0)
				continue;
			if (strcmp(k, "params") == 0 && json_object_is_type(v, json_type_object)) {
				json_object *keys = json_object_new_array();

				json_object_object_foreach(v, pk, pv) {
					(void)pv;
					json_object_array_add(keys, json_object_new_string(pk));
				}
				json_object_object_add(o, "params", keys);
				continue;
			}
			json_object_object_add(o, k, json_object_get(v));
		}
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(buf, len, "%s", s ? s : "");
	json_object_put(o);
	return buf;
}

static int64_t
now_epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
local_name(struct cd_daemon *d)
{
	const struct cd_node *n = cd_membership_node(&d->mship, d->mship.local_id);

	return n ? n->name : "";
}

/* ---- writing to the state ---- */

static void flush(struct cd_audit *a);
static void arm_retry(struct cd_audit *a);

static void
retry_fire(void *data)
{
	struct cd_audit *a = data;

	a->retry_armed = false;
	flush(a);
}

/* Flush from the loop, never from inside a replica callback or a handler. */
static void
flush_job(void *data)
{
	struct cd_audit *a = data;

	a->job_armed = false;
	flush(a);
}

static void
arm_flush(struct cd_audit *a)
{
	if (a->job_armed)
		return;
	if (qb_loop_job_add(a->d->loop, QB_LOOP_LOW, a, flush_job) == 0)
		a->job_armed = true;
	else
		arm_retry(a);
}

static void
arm_retry(struct cd_audit *a)
{
	if (a->retry_armed)
		return;
	if (qb_loop_timer_add(a->d->loop, QB_LOOP_LOW, CD_AUDIT_RETRY_MS * 1000000ull,
			      a, retry_fire, &a->retry) == 0)
		a->retry_armed = true;
	else
		cd_err("audit: cannot arm the retry timer");
}

/* Put entries (oldest first) back before the queue, within its bound. */
static void
requeue(struct cd_audit *a, json_object *entries)
{
	json_object *q = json_object_new_array();
	size_t i, n = json_object_array_length(entries), m = json_object_array_length(a->queue);

	if (!q)
		return;
	for (i = 0; i < n; i++)
		json_object_array_add(q, json_object_get(json_object_array_get_idx(entries, i)));
	for (i = 0; i < m; i++)
		json_object_array_add(q, json_object_get(json_object_array_get_idx(a->queue, i)));
	while (json_object_array_length(q) > CD_AUDIT_QUEUE_MAX) {
		json_object_array_del_idx(q, 0, 1);
		a->dropped++;
	}
	json_object_put(a->queue);
	a->queue = q;
}

static void
flush_done(void *ctx, int err, const char *msg)
{
	struct flush_token *t = ctx;
	struct cd_audit *a = t->a;

	if (a) {
		a->inflight = NULL;
		if (err) {
			cd_debug("audit: %zu entries not written yet: %s",
				 json_object_array_length(t->entries),
				 msg && *msg ? msg : cd_strerror(err));
			requeue(a, t->entries);
			arm_retry(a);
		} else {
			arm_flush(a);
		}
	}
	json_object_put(t->entries);
	free(t);
}

/* Write what is queued: one change at a time, only this node's array. */
static void
flush(struct cd_audit *a)
{
	const struct cd_state *st = cd_replica_state(a->d);
	json_object *old, *arr, *ops;
	struct flush_token *t;
	size_t i, n_old, n_new, keep;
	char key[16];
	int rc;

	if (a->dropped) {
		cd_warn("audit: %llu entries dropped while this node could not write "
			"to the cluster state (they are in syslog)",
			(unsigned long long)a->dropped);
		a->dropped = 0;
	}
	n_new = json_object_array_length(a->queue);
	if (a->inflight || n_new == 0)
		return;
	if (!st || !a->d->mship.local_id || !cd_replica_client_changes(a->d)) {
		arm_retry(a);
		return;
	}
	snprintf(key, sizeof(key), "%u", a->d->mship.local_id);
	old = cd_sp_get(st, CD_SP_AUDIT_NODE, key);
	n_old = old && json_object_is_type(old, json_type_array) ? json_object_array_length(old) : 0;
	if (n_new > CD_AUDIT_KEEP)
		n_new = CD_AUDIT_KEEP;
	keep = n_old + n_new > CD_AUDIT_KEEP ? CD_AUDIT_KEEP - n_new : n_old;
	arr = json_object_new_array();
	t = calloc(1, sizeof(*t));
	ops = json_object_new_array();
	if (!arr || !t || !ops) {
		json_object_put(arr);
		json_object_put(ops);
		free(t);
		arm_retry(a);
		return;
	}
	for (i = n_old - keep; i < n_old; i++)
		json_object_array_add(arr, json_object_get(json_object_array_get_idx(old, i)));
	/* the newest n_new of the queue; older ones beyond KEEP are dropped */
	t->entries = a->queue;
	for (i = json_object_array_length(a->queue) - n_new; i < json_object_array_length(a->queue); i++)
		json_object_array_add(arr, json_object_get(json_object_array_get_idx(a->queue, i)));
	a->queue = json_object_new_array();
	t->a = a;
	cd_sp_op(ops, "set", arr, CD_SP_AUDIT_NODE, key);
	rc = cd_replica_submit(a->d, ops, flush_done, t);
	json_object_put(ops);
	if (rc < 0) {
		requeue(a, t->entries);
		json_object_put(t->entries);
		free(t);
		arm_retry(a);
		return;
	}
	a->inflight = t;
}

/* ---- the API ---- */

/* The syslog socket: CD_AUDIT_SOCKET_ENV, else CD_AUDIT_SOCKET. One that
 * does not fit a socket address is refused: the lines go to our own log. */
static void
set_log_path(struct cd_audit *a)
{
	const char *env = getenv(CD_AUDIT_SOCKET_ENV);
	const char *path = env && *env ? env : CD_AUDIT_SOCKET;

	if (strlen(path) >= sizeof(a->log_path)) {
		cd_err("audit: %s: socket path longer than %zu bytes: audit lines go "
		       "to this log", CD_AUDIT_SOCKET_ENV, sizeof(a->log_path) - 1);
		return;
	}
	snprintf(a->log_path, sizeof(a->log_path), "%s", path);
	if (env && *env)
		cd_notice("audit: syslog socket %s (%s)", path, CD_AUDIT_SOCKET_ENV);
}

struct cd_audit *
cd_audit_new(struct cd_daemon *d)
{
	struct cd_audit *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->d = d;
	a->log_fd = -1;
	set_log_path(a);
	a->queue = json_object_new_array();
	if (!a->queue) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

void
cd_audit_free(struct cd_audit *a)
{
	if (!a)
		return;
	if (a->retry_armed)
		qb_loop_timer_del(a->d->loop, a->retry);
	if (a->job_armed)
		qb_loop_job_del(a->d->loop, QB_LOOP_LOW, a, flush_job);
	if (a->inflight)
		a->inflight->a = NULL;	/* its done callback frees it */
	json_object_put(a->queue);
	if (a->log_fd >= 0)
		close(a->log_fd);
	free(a);
}

void
cd_audit_request(struct cd_audit *a, const struct cd_audit_who *who,
		 const char *cmd, json_object *args, int err, const char *message)
{
	char argtext[CD_AUDIT_TEXT_MAX + 1], msgtext[CD_AUDIT_TEXT_MAX + 1];
	char user[64], line[768];
	const char *result = err ? cd_errname(err) : "ok";
	json_object *e;

	if (!a)
		return;
	cd_audit_args_text(args, argtext, sizeof(argtext));
	snprintf(msgtext, sizeof(msgtext), "%s", err ? (message && *message ? message :
							cd_strerror(err)) : "");
	cd_valid_quote(who->user, user, sizeof(user));
	snprintf(line, sizeof(line), "uid=%d user=%s pid=%d cmd=%s args=%s result=%s%s%s%s",
		 (int)who->uid, *user ? user : "?", (int)who->pid, cmd, argtext, result,
		 err ? " message=\"" : "", err ? msgtext : "", err ? "\"" : "");
	audit_log(a, err != 0, line);

	e = json_object_new_object();
	if (!e)
		return;
	json_object_object_add(e, "at", json_object_new_int64(now_epoch_ms()));
	json_object_object_add(e, "node", json_object_new_string(local_name(a->d)));
	json_object_object_add(e, "uid", json_object_new_int64(who->uid == (uid_t)-1 ? -1 :
							      (int64_t)who->uid));
	json_object_object_add(e, "user", json_object_new_string(user));
	json_object_object_add(e, "cmd", json_object_new_string(cmd));
	json_object_object_add(e, "args", json_object_new_string(argtext));
	json_object_object_add(e, "result", json_object_new_string(result));
	if (err)
		json_object_object_add(e, "message", json_object_new_string(msgtext));
	json_object_array_add(a->queue, e);
	while (json_object_array_length(a->queue) > CD_AUDIT_QUEUE_MAX) {
		json_object_array_del_idx(a->queue, 0, 1);
		a->dropped++;
	}
	arm_flush(a);
}

void
cd_audit_peer_refused(struct cd_audit *a, uid_t uid, gid_t gid, pid_t pid,
		      const char *why)
{
	char line[256];

	if (!a)
		return;
	snprintf(line, sizeof(line), "uid=%d gid=%d pid=%d cmd=(connect) result=EACCES "
		 "message=\"%s\"", (int)uid, (int)gid, (int)pid, why);
	audit_log(a, true, line);
}

static int
by_time(const void *x, const void *y)
{
	json_object *const *p = x, *const *q = y;
	int64_t a = json_object_get_int64(json_object_object_get(*p, "at"));
	int64_t b = json_object_get_int64(json_object_object_get(*q, "at"));

	return a < b ? -1 : a > b;
}

json_object *
cd_audit_list(struct cd_audit *a, size_t n)
{
	const struct cd_state *st = cd_replica_state(a->d);
	json_object *all = st ? cd_sp_get(st, CD_SP_AUDIT) : NULL;
	json_object *out = json_object_new_object(), *arr = json_object_new_array();
	json_object **v = NULL;
	size_t total = 0, k = 0, i;

	if (!out || !arr)
		goto fail;
	if (all && json_object_is_type(all, json_type_object)) {
		json_object_object_foreach(all, node, list) {
			(void)node;
			if (json_object_is_type(list, json_type_array))
				total += json_object_array_length(list);
		}
		v = calloc(total ? total : 1, sizeof(*v));
		if (!v)
			goto fail;
		json_object_object_foreach(all, node2, list2) {
			(void)node2;
			for (i = 0; json_object_is_type(list2, json_type_array) &&
				    i < json_object_array_length(list2); i++)
				v[k++] = json_object_array_get_idx(list2, i);
		}
		qsort(v, k, sizeof(*v), by_time);
	}
	for (i = k > n ? k - n : 0; i < k; i++)
		json_object_array_add(arr, json_object_get(v[i]));
	free(v);
	json_object_object_add(out, "entries", arr);
	json_object_object_add(out, "queued", json_object_new_int64(
		(int64_t)(json_object_array_length(a->queue) +
			  (a->inflight ? json_object_array_length(a->inflight->entries) : 0))));
	return out;
fail:
	json_object_put(out);
	json_object_put(arr);
	return NULL;
}
