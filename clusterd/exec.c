/*
 * exec.c - the agent executor: OCF resource agents as child processes of
 * the loop (see exec.h for the contract).
 *
 * Agents are started with posix_spawn (vfork semantics: a large daemon does
 * not copy its page tables, and exec errors come back at once) into their
 * own process group, with stdin on /dev/null, every other fd closed, all
 * signals at their defaults and an environment built only from the request.
 * The loop watches a pidfd per child, so the executor reaps exactly its own
 * children and never a pid that another module forked, and both output
 * pipes, which are drained without blocking.
 */
#include "exec.h"
#include "error.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <qb/qblist.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define EXEC_DEFAULT_ROOT	"/usr/lib/ocf"
#define EXEC_BASE_PATH		"PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define EXEC_OUTPUT_MAX		4096		/* stdout kept for the result */
#define EXEC_META_MAX		(1024 * 1024)	/* ... for meta-data */
#define EXEC_DEFAULT_TIMEOUT_MS	20000
#define EXEC_KILL_GRACE_MS	2000		/* SIGTERM -> SIGKILL */
#define EXEC_LINE_MAX		512		/* longer lines are split */
#define EXEC_LOG_LINES_MAX	200		/* per operation */
#define EXEC_READ_BUDGET	(256 * 1024)	/* per wake-up, keeps the loop fair */
#define EXEC_DRAIN_BUDGET	(4 * 1024 * 1024) /* after exit */
#define EXEC_REAP_WAIT_MS	2000		/* cd_exec_free's bound */

/* An operation as requested, copied: also the template of a recurring monitor. */
struct op_spec {
	char *rsc_id;		/* NULL for agent-level actions (meta-data) */
	char *agent;
	char *action;
	char *path;
	char **envp;
	uint32_t timeout_ms;
	uint32_t interval_ms;
	cd_op_done_fn done;
	void *ctx;
};

struct exec_stream {
	int fd;			/* -1 once closed */
	const char *name;
	size_t line_len;
	char line[EXEC_LINE_MAX];
};

struct exec_op {
	struct qb_list_head list;	/* in rsc->queue while queued */
	struct exec_rsc *rsc;
	struct op_spec spec;
	bool recurring;
	bool timed_out;
	bool cancelled;
	pid_t pid;
	int pidfd;
	struct exec_stream out, err;
	char *outbuf;			/* tail of stdout, NUL-terminated */
	size_t out_len, out_alloc, out_max;
	unsigned int lines_logged, lines_dropped;
	uint64_t started_ns;
	qb_loop_timer_handle timeout_timer, kill_timer;
	bool timeout_armed, kill_armed;
};

/* Everything of one resource (or, for agent-level actions, of one agent). */
struct exec_rsc {
	struct qb_list_head list;
	struct cd_exec *ex;
	char *key;
	const char *kind;		/* "rsc" or "agent", for the log */
	struct exec_op *running;
	struct qb_list_head queue;
	struct op_spec *monitor;	/* recurring monitor template */
	qb_loop_timer_handle mon_timer;
	bool mon_armed;
	int last_mon_rc;		/* -1: none yet; logs changes only */
	unsigned int pin;		/* > 0 while a callback may use it */
};

struct cd_exec {
	qb_loop_t *loop;
	char *ocf_root;
	struct qb_list_head rscs;
};

static void rsc_kick(struct exec_rsc *r);

/* ---- small helpers ---- */

static const char *
rc_text(int rc)
{
	static const char *const names[] = {
		"ok", "error", "invalid arguments", "unimplemented",
		"insufficient privileges", "not installed", "not configured",
		"not running",
	};

	return rc >= 0 && rc <= 7 ? names[rc] : "unknown";
}

static int
ms_timer_add(struct cd_exec *ex, uint32_t ms, void *data,
	     qb_loop_timer_dispatch_fn fn, qb_loop_timer_handle *h)
{
	return qb_loop_timer_add(ex->loop, QB_LOOP_MED, (uint64_t)ms * 1000000ull,
				 data, fn, h);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- requests: validation and the agent's environment ---- */

struct envb {
	char **v;
	size_t n, cap;
	int err;
};

/* Set KEY=VALUE, replacing an earlier KEY (the caller's extras win). */
static void
env_put(struct envb *b, const char *kv)
{
	size_t klen = strcspn(kv, "=") + 1, i;
	char *dup;

	if (b->err)
		return;
	dup = strdup(kv);
	if (!dup) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < b->n; i++) {
		if (strncmp(b->v[i], kv, klen) == 0) {
			free(b->v[i]);
			b->v[i] = dup;
			return;
		}
	}
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char **v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			free(dup);
			b->err = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = dup;
	b->v[b->n] = NULL;
}

static void __attribute__((format(printf, 2, 3)))
env_printf(struct envb *b, const char *fmt, ...)
{
	va_list ap;
	char *kv;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&kv, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -ENOMEM;
		return;
	}
	env_put(b, kv);
	free(kv);
}

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int
env_add_params(struct envb *b, json_object *params)
{
	if (!params)
		return 0;
	if (!json_object_is_type(params, json_type_object))
		return -EINVAL;
	json_object_object_foreach(params, name, val) {
		if (name[0] == '\0' || strchr(name, '=') || strlen(name) > 200)
			return -EINVAL;
		switch (json_object_get_type(val)) {
		case json_type_null:
			continue;
		case json_type_string:
		case json_type_int:
		case json_type_double:
		case json_type_boolean:
			break;
		default:
			return -EINVAL;
		}
		env_printf(b, "OCF_RESKEY_%s=%s", name, json_object_get_string(val));
	}
	return 0;
}

/* "ocf:PROVIDER:TYPE" -> provider and type, each a plain file name. */
static int
parse_agent(const char *agent, char *prov, size_t plen, char *type, size_t tlen)
{
	const char *p, *t;
	size_t n;

	if (strncmp(agent, "ocf:", 4) != 0)
		return -EINVAL;
	p = agent + 4;
	t = strchr(p, ':');
	if (!t)
		return -EINVAL;
	n = (size_t)(t - p);
	t++;
	if (n == 0 || n >= plen || *t == '\0' || strlen(t) >= tlen ||
	    strchr(t, ':') || strchr(t, '/') || memchr(p, '/', n))
		return -EINVAL;
	memcpy(prov, p, n);
	prov[n] = '\0';
	strcpy(type, t);
	if (strcmp(prov, ".") == 0 || strcmp(prov, "..") == 0 ||
	    strcmp(type, ".") == 0 || strcmp(type, "..") == 0)
		return -EINVAL;
	return 0;
}

static void
spec_clear(struct op_spec *s)
{
	free(s->rsc_id);
	free(s->agent);
	free(s->action);
	free(s->path);
	strv_free(s->envp);
	memset(s, 0, sizeof(*s));
}

static int
spec_build(struct cd_exec *ex, const struct cd_op_request *req,
	   cd_op_done_fn done, void *ctx, struct op_spec *s)
{
	char prov[128], type[128];
	struct envb b = { 0 };
	struct stat st;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!req || !req->agent || !req->action || !req->action[0] ||
	    strchr(req->action, '/') || (req->rsc_id && !req->rsc_id[0]))
		return -EINVAL;
	rc = parse_agent(req->agent, prov, sizeof(prov), type, sizeof(type));
	if (rc < 0)
		return rc;
	if (asprintf(&s->path, "%s/resource.d/%s/%s", ex->ocf_root, prov, type) < 0) {
		s->path = NULL;
		return -ENOMEM;
	}
	if (stat(s->path, &st) < 0) {
		rc = (errno == ENOENT || errno == ENOTDIR) ? -ENOENT : -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -ENOENT;
		goto fail;
	}
	if (access(s->path, X_OK) < 0) {
		rc = -EACCES;
		goto fail;
	}

	env_put(&b, EXEC_BASE_PATH);
	env_put(&b, "LANG=C");
	env_printf(&b, "OCF_ROOT=%s", ex->ocf_root);
	env_printf(&b, "OCF_FUNCTIONS_DIR=%s/lib/heartbeat", ex->ocf_root);
	env_put(&b, "OCF_RA_VERSION_MAJOR=1");
	env_put(&b, "OCF_RA_VERSION_MINOR=1");
	env_printf(&b, "OCF_RESOURCE_PROVIDER=%s", prov);
	env_printf(&b, "OCF_RESOURCE_TYPE=%s", type);
	if (req->rsc_id)
		env_printf(&b, "OCF_RESOURCE_INSTANCE=%s", req->rsc_id);
	s->timeout_ms = req->timeout_ms ? req->timeout_ms : EXEC_DEFAULT_TIMEOUT_MS;
	s->interval_ms = req->interval_ms;
	env_printf(&b, "OCF_RESKEY_CRM_meta_timeout=%" PRIu32, s->timeout_ms);
	env_printf(&b, "OCF_RESKEY_CRM_meta_interval=%" PRIu32, s->interval_ms);
	rc = env_add_params(&b, req->params);
	if (rc < 0)
		goto fail;
	for (i = 0; req->extra_env && req->extra_env[i]; i++) {
		const char *kv = req->extra_env[i];

		if (kv[0] == '=' || !strchr(kv, '=')) {
			rc = -EINVAL;
			goto fail;
		}
		env_put(&b, kv);
	}
	if (b.err) {
		rc = b.err;
		goto fail;
	}
	s->envp = b.v;
	s->rsc_id = req->rsc_id ? strdup(req->rsc_id) : NULL;
	s->agent = strdup(req->agent);
	s->action = strdup(req->action);
	s->done = done;
	s->ctx = ctx;
	if ((req->rsc_id && !s->rsc_id) || !s->agent || !s->action) {
		spec_clear(s);
		return -ENOMEM;
	}
	return 0;

fail:
	strv_free(b.v);
	free(s->path);
	s->path = NULL;
	return rc;
}

static int
spec_copy(const struct op_spec *src, struct op_spec *dst)
{
	size_t n = 0, i;

	memset(dst, 0, sizeof(*dst));
	*dst = *src;
	dst->rsc_id = dst->agent = dst->action = dst->path = NULL;
	dst->envp = NULL;
	while (src->envp[n])
		n++;
	dst->envp = calloc(n + 1, sizeof(char *));
	if (!dst->envp)
		goto fail;
	for (i = 0; i < n; i++) {
		dst->envp[i] = strdup(src->envp[i]);
		if (!dst->envp[i])
			goto fail;
	}
	dst->rsc_id = src->rsc_id ? strdup(src->rsc_id) : NULL;
	dst->agent = strdup(src->agent);
	dst->action = strdup(src->action);
	dst->path = strdup(src->path);
	if ((src->rsc_id && !dst->rsc_id) || !dst->agent || !dst->action || !dst->path)
		goto fail;
	return 0;
fail:
	spec_clear(dst);
	return -ENOMEM;
}

/* ---- resources ---- */

static struct exec_rsc *
rsc_find(struct cd_exec *ex, const char *key)
{
	struct exec_rsc *r;

	qb_list_for_each_entry(r, &ex->rscs, list) {
		if (strcmp(r->key, key) == 0)
			return r;
	}
	return NULL;
}

static struct exec_rsc *
rsc_get(struct cd_exec *ex, const struct op_spec *s)
{
	const char *key = s->rsc_id ? s->rsc_id : s->agent;
	struct exec_rsc *r = rsc_find(ex, key);

	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->key = strdup(key);
	if (!r->key) {
		free(r);
		return NULL;
	}
	r->ex = ex;
	r->kind = s->rsc_id ? "rsc" : "agent";
	r->last_mon_rc = -1;
	qb_list_init(&r->queue);
	qb_list_add_tail(&r->list, &ex->rscs);
	return r;
}

static void
rsc_monitor_clear(struct exec_rsc *r)
{
	if (r->mon_armed)
		qb_loop_timer_del(r->ex->loop, r->mon_timer);
	r->mon_armed = false;
	if (r->monitor) {
		spec_clear(r->monitor);
		free(r->monitor);
		r->monitor = NULL;
	}
}

static void
rsc_maybe_free(struct exec_rsc *r)
{
	if (r->pin || r->running || !qb_list_empty(&r->queue) || r->monitor)
		return;
	qb_list_del(&r->list);
	free(r->key);
	free(r);
}

/* ---- operations: output ---- */

static void
op_keep_output(struct exec_op *op, const char *p, size_t n)
{
	size_t need;

	if (n >= op->out_max) {
		p += n - op->out_max;
		n = op->out_max;
		op->out_len = 0;
	} else if (op->out_len + n > op->out_max) {
		size_t drop = op->out_len + n - op->out_max;

		memmove(op->outbuf, op->outbuf + drop, op->out_len - drop);
		op->out_len -= drop;
	}
	need = op->out_len + n + 1;
	if (need > op->out_alloc) {
		size_t alloc = op->out_alloc ? op->out_alloc : 1024;
		char *buf;

		while (alloc < need)
			alloc *= 2;
		if (alloc > op->out_max + 1)
			alloc = op->out_max + 1;
		buf = realloc(op->outbuf, alloc);
		if (!buf)
			return;	/* keep what we have; the tail is best effort */
		op->outbuf = buf;
		op->out_alloc = alloc;
	}
	memcpy(op->outbuf + op->out_len, p, n);
	op->out_len += n;
	op->outbuf[op->out_len] = '\0';
}

static void
op_log_line(struct exec_op *op, struct exec_stream *s)
{
	const struct exec_rsc *r = op->rsc;

	if (s == &op->out && op->out_max == EXEC_META_MAX) {
		/* meta-data's XML is the result, not news for the log */
	} else if (op->lines_logged >= EXEC_LOG_LINES_MAX) {
		op->lines_dropped++;
	} else {
		op->lines_logged++;
		if (op->recurring)
			cd_debug("%s %s: %s %s: %.*s", r->kind, r->key, op->spec.action,
				 s->name, (int)s->line_len, s->line);
		else
			cd_info("%s %s: %s %s: %.*s", r->kind, r->key, op->spec.action,
				s->name, (int)s->line_len, s->line);
	}
	s->line_len = 0;
}

static void
op_split_lines(struct exec_op *op, struct exec_stream *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			op_log_line(op, s);
			continue;
		}
		s->line[s->line_len++] = p[i];
		if (s->line_len == sizeof(s->line))
			op_log_line(op, s);
	}
}

static void
stream_close(struct exec_op *op, struct exec_stream *s)
{
	if (s->fd < 0)
		return;
	if (s->line_len)
		op_log_line(op, s);
	qb_loop_poll_del(op->rsc->ex->loop, s->fd);
	close_fd(&s->fd);
}

/* Read up to budget bytes; closes the stream at EOF or on an error. */
static void
stream_read(struct exec_op *op, struct exec_stream *s, size_t budget)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while (s->fd >= 0 && total < budget) {
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0) {
			if (s == &op->out)
				op_keep_output(op, buf, (size_t)n);
			op_split_lines(op, s, buf, (size_t)n);
			total += (size_t)n;
		} else if (n == 0) {
			stream_close(op, s);
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN)
				cd_warn("%s %s: %s: reading %s: %s", op->rsc->kind,
					op->rsc->key, op->spec.action, s->name,
					strerror(errno));
			return;
		}
	}
}

static int32_t
on_stream(int32_t fd, int32_t revents, void *data)
{
	struct exec_op *op = data;
	struct exec_stream *s = fd == op->out.fd ? &op->out : &op->err;

	if (s->fd != fd)
		return 0;
	stream_read(op, s, EXEC_READ_BUDGET);
	/* An error or hang-up with nothing left to read still ends the stream. */
	if (s->fd >= 0 && (revents & (POLLERR | POLLNVAL)))
		stream_close(op, s);
	/* libqb revives an entry deleted by its own callback unless told. */
	return s->fd < 0 ? -1 : 0;
}

/* ---- operations: life cycle ---- */

static void
op_free(struct exec_op *op)
{
	spec_clear(&op->spec);
	free(op->outbuf);
	free(op);
}

static struct exec_op *
op_new(struct exec_rsc *r, const struct op_spec *spec, bool copy)
{
	struct exec_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	if (copy) {
		if (spec_copy(spec, &op->spec) < 0) {
			free(op);
			return NULL;
		}
	} else {
		op->spec = *spec;
	}
	op->rsc = r;
	op->pid = -1;
	op->pidfd = -1;
	op->out.fd = op->err.fd = -1;
	op->out.name = "stdout";
	op->err.name = "stderr";
	op->out_max = strcmp(op->spec.action, "meta-data") == 0 ? EXEC_META_MAX
								: EXEC_OUTPUT_MAX;
	qb_list_init(&op->list);
	return op;
}

static void
op_timers_del(struct exec_op *op)
{
	qb_loop_t *loop = op->rsc->ex->loop;

	if (op->timeout_armed)
		qb_loop_timer_del(loop, op->timeout_timer);
	if (op->kill_armed)
		qb_loop_timer_del(loop, op->kill_timer);
	op->timeout_armed = op->kill_armed = false;
}

/* Deliver a result; the op is freed afterwards. The rsc stays pinned. */
static void
op_deliver(struct exec_op *op, int rc, bool timed_out, int sig,
	   uint64_t duration_ms)
{
	struct cd_op_result res = {
		.rsc_id = op->spec.rsc_id,
		.action = op->spec.action,
		.rc = rc,
		.timed_out = timed_out,
		.signal = sig,
		.duration_ms = duration_ms,
		.output = op->outbuf ? op->outbuf : "",
	};
	struct exec_rsc *r = op->rsc;

	r->pin++;
	if (op->spec.done)
		op->spec.done(op->spec.ctx, &res);
	r->pin--;
}

static void
op_log_end(struct exec_op *op, int rc, int status, int sig, uint64_t ms)
{
	struct exec_rsc *r = op->rsc;
	const char *a = op->spec.action;

	if (op->lines_dropped)
		cd_info("%s %s: %s: %u more output line(s) not logged", r->kind,
			r->key, a, op->lines_dropped);
	if (op->cancelled)
		cd_info("%s %s: %s cancelled (pid %d killed) after %" PRIu64 " ms",
			r->kind, r->key, a, (int)op->pid, ms);
	else if (op->timed_out)
		cd_warn("%s %s: %s timed out after %" PRIu64 " ms (limit %" PRIu32
			" ms, ended by signal %d)", r->kind, r->key, a, ms,
			op->spec.timeout_ms, sig);
	else if (sig)
		cd_warn("%s %s: %s killed by signal %d (%s) after %" PRIu64 " ms",
			r->kind, r->key, a, sig, strsignal(sig), ms);
	else if (status != rc)
		cd_warn("%s %s: %s exited with %d, not an OCF code: taken as "
			"error (rc 1) in %" PRIu64 " ms", r->kind, r->key, a,
			status, ms);
	else if (op->recurring && rc == r->last_mon_rc)
		cd_debug("%s %s: %s %s (rc %d) in %" PRIu64 " ms", r->kind, r->key,
			 a, rc_text(rc), rc, ms);
	else
		cd_info("%s %s: %s %s (rc %d) in %" PRIu64 " ms", r->kind, r->key,
			a, rc_text(rc), rc, ms);
}

static void
rsc_arm_monitor(struct exec_rsc *r);

/* The child has exited (and is reaped): finish the op, start the next. */
static void
op_finish(struct exec_op *op, const siginfo_t *si)
{
	struct exec_rsc *r = op->rsc;
	int status = 0, sig = 0, rc;
	uint64_t ms = (cd_now_mono_ns() - op->started_ns) / 1000000ull;

	op_timers_del(op);
	/* Whatever the agent wrote before it exited is in the pipes now. */
	stream_read(op, &op->out, EXEC_DRAIN_BUDGET);
	stream_read(op, &op->err, EXEC_DRAIN_BUDGET);
	stream_close(op, &op->out);
	stream_close(op, &op->err);
	if (op->pidfd >= 0) {
		qb_loop_poll_del(r->ex->loop, op->pidfd);
		close_fd(&op->pidfd);
	}

	if (si->si_code == CLD_EXITED)
		status = si->si_status;
	else
		sig = si->si_status;
	rc = (!sig && status >= 0 && status <= CD_OCF_NOT_RUNNING) ? status
								   : CD_OCF_ERR_GENERIC;
	if (op->timed_out || op->cancelled)
		rc = CD_OCF_ERR_GENERIC;
	op_log_end(op, rc, status, sig, ms);
	if (op->recurring)
		r->last_mon_rc = rc;

	r->running = NULL;
	op_deliver(op, rc, op->timed_out, sig, ms);
	if (op->recurring && r->monitor && !r->mon_armed)
		rsc_arm_monitor(r);
	op_free(op);
	rsc_kick(r);
	rsc_maybe_free(r);
}

static int32_t
on_child_exit(int32_t fd, int32_t revents, void *data)
{
	struct exec_op *op = data;
	siginfo_t si;

	/* A timed-out or cancelled agent's helpers go with it; its pid (and
	 * so the group id) stays reserved until the waitid below. */
	if (op->timed_out || op->cancelled)
		killpg(op->pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)op->pidfd, &si, WEXITED | WNOHANG) < 0) {
		cd_err("%s %s: %s: waitid for pid %d: %s", op->rsc->kind,
		       op->rsc->key, op->spec.action, (int)op->pid, strerror(errno));
		/* ECHILD: someone else reaped it; report a generic failure. */
		si.si_code = CLD_EXITED;
		si.si_status = CD_OCF_ERR_GENERIC;
		si.si_pid = op->pid;
	}
	if (si.si_pid == 0)
		return 0;	/* not yet */
	op_finish(op, &si);
	return -1;	/* the entry is gone (see on_stream) */
}

static void
on_kill_timer(void *data)
{
	struct exec_op *op = data;

	op->kill_armed = false;
	cd_warn("%s %s: %s: pid %d still there %d ms after SIGTERM, sending SIGKILL"
		" to its process group", op->rsc->kind, op->rsc->key,
		op->spec.action, (int)op->pid, EXEC_KILL_GRACE_MS);
	killpg(op->pid, SIGKILL);
}

static void
on_timeout(void *data)
{
	struct exec_op *op = data;

	op->timeout_armed = false;
	op->timed_out = true;
	cd_warn("%s %s: %s: no result after %" PRIu32 " ms, sending SIGTERM to "
		"process group %d", op->rsc->kind, op->rsc->key, op->spec.action,
		op->spec.timeout_ms, (int)op->pid);
	killpg(op->pid, SIGTERM);
	if (ms_timer_add(op->rsc->ex, EXEC_KILL_GRACE_MS, op, on_kill_timer,
			 &op->kill_timer) == 0)
		op->kill_armed = true;
	else
		killpg(op->pid, SIGKILL);
}

static int
spawn_child(struct exec_op *op, int out[2], int err[2])
{
	char *argv[] = { op->spec.path, op->spec.action, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int rc;

	sigfillset(&all);
	sigemptyset(&none);
	rc = posix_spawn_file_actions_init(&fa);
	if (rc)
		return -rc;
	rc = posix_spawnattr_init(&attr);
	if (rc) {
		posix_spawn_file_actions_destroy(&fa);
		return -rc;
	}
	rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
					      O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	/* The same working directory however the daemon was started. */
	if (!rc)
		rc = posix_spawn_file_actions_addchdir_np(&fa, "/");
	/* Own process group (killed as a whole); no inherited SIG_IGN
	 * (clusterd ignores SIGPIPE) and no blocked signals. */
	if (!rc)
		rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETSIGMASK);
	if (!rc)
		rc = posix_spawnattr_setpgroup(&attr, 0);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&attr, &all);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (!rc)
		rc = posix_spawn(&op->pid, op->spec.path, &fa, &attr, argv,
				 op->spec.envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -rc;
}

/* Start the op's agent. On failure nothing is left behind. */
static int
op_spawn(struct exec_op *op)
{
	struct cd_exec *ex = op->rsc->ex;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int rc;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Only our ends are non-blocking: the agent writes as usual. */
	if (fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(err[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	op->started_ns = cd_now_mono_ns();
	rc = spawn_child(op, out, err);
	close_fd(&out[1]);
	close_fd(&err[1]);
	if (rc < 0)
		goto fail;
	op->pidfd = (int)syscall(SYS_pidfd_open, op->pid, 0);
	if (op->pidfd < 0) {
		rc = -errno;
		killpg(op->pid, SIGKILL);
		while (waitpid(op->pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	op->out.fd = out[0];
	op->err.fd = err[0];
	out[0] = err[0] = -1;
	rc = qb_loop_poll_add(ex->loop, QB_LOOP_MED, op->out.fd, POLLIN, op, on_stream);
	if (rc == 0)
		rc = qb_loop_poll_add(ex->loop, QB_LOOP_MED, op->err.fd, POLLIN, op,
				      on_stream);
	if (rc == 0)
		rc = qb_loop_poll_add(ex->loop, QB_LOOP_MED, op->pidfd, POLLIN, op,
				      on_child_exit);
	if (rc == 0)
		rc = ms_timer_add(ex, op->spec.timeout_ms, op, on_timeout,
				  &op->timeout_timer);
	if (rc < 0) {
		qb_loop_poll_del(ex->loop, op->out.fd);
		qb_loop_poll_del(ex->loop, op->err.fd);
		qb_loop_poll_del(ex->loop, op->pidfd);
		killpg(op->pid, SIGKILL);
		while (waitpid(op->pid, NULL, 0) < 0 && errno == EINTR)
			;
		close_fd(&op->out.fd);
		close_fd(&op->err.fd);
		close_fd(&op->pidfd);
		return rc;
	}
	op->timeout_armed = true;
	op->rsc->running = op;
	if (op->recurring)
		cd_debug("%s %s: %s (pid %d, interval %" PRIu32 " ms)", op->rsc->kind,
			 op->rsc->key, op->spec.action, (int)op->pid,
			 op->spec.interval_ms);
	else
		cd_info("%s %s: %s (%s, pid %d, timeout %" PRIu32 " ms)",
			op->rsc->kind, op->rsc->key, op->spec.action, op->spec.agent,
			(int)op->pid, op->spec.timeout_ms);
	return 0;

fail:
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	return rc;
}

/* An op that could not start after all (queued, or a recurring monitor). */
static void
op_fail_to_start(struct exec_op *op, int err)
{
	int rc = err == -ENOENT ? CD_OCF_ERR_INSTALLED : CD_OCF_ERR_GENERIC;

	cd_warn("%s %s: %s: cannot run %s: %s", op->rsc->kind, op->rsc->key,
		op->spec.action, op->spec.path, strerror(-err));
	if (op->recurring)
		op->rsc->last_mon_rc = rc;
	op_deliver(op, rc, false, 0, 0);
	op_free(op);
}

/* Start queued operations until one runs or none is left. */
static void
rsc_kick(struct exec_rsc *r)
{
	struct exec_op *op;
	int rc;

	r->pin++;
	while (!r->running && !qb_list_empty(&r->queue)) {
		op = qb_list_first_entry(&r->queue, struct exec_op, list);
		qb_list_del(&op->list);
		rc = op_spawn(op);
		if (rc < 0)
			op_fail_to_start(op, rc);
	}
	r->pin--;
}

static void
on_monitor_timer(void *data)
{
	struct exec_rsc *r = data;
	struct exec_op *op;
	int rc;

	r->mon_armed = false;
	if (!r->monitor)
		return;
	if (r->running || !qb_list_empty(&r->queue)) {
		cd_debug("%s %s: recurring %s skipped: %s running", r->kind, r->key,
			 r->monitor->action,
			 r->running ? r->running->spec.action : "an operation is");
		rsc_arm_monitor(r);
		return;
	}
	op = op_new(r, r->monitor, true);
	if (!op) {
		cd_err("%s %s: out of memory for the recurring monitor", r->kind, r->key);
		rsc_arm_monitor(r);
		return;
	}
	op->recurring = true;
	rc = op_spawn(op);
	if (rc < 0) {
		r->pin++;
		op_fail_to_start(op, rc);
		r->pin--;
		if (r->monitor && !r->mon_armed)
			rsc_arm_monitor(r);
		rsc_maybe_free(r);
	}
}

static void
rsc_arm_monitor(struct exec_rsc *r)
{
	if (ms_timer_add(r->ex, r->monitor->interval_ms, r, on_monitor_timer,
			 &r->mon_timer) == 0)
		r->mon_armed = true;
	else
		cd_err("%s %s: cannot schedule the recurring monitor", r->kind, r->key);
}

/* ---- public API ---- */

struct cd_exec *
cd_exec_new(qb_loop_t *loop, const char *ocf_root)
{
	struct cd_exec *ex;
	int fd;

	if (!loop) {
		errno = EINVAL;
		return NULL;
	}
	/* pidfds are how children are watched: fail early without them. */
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0)
		return NULL;
	close(fd);
	if (!ocf_root)
		ocf_root = getenv("OCF_ROOT");
	if (!ocf_root || !ocf_root[0])
		ocf_root = EXEC_DEFAULT_ROOT;
	ex = calloc(1, sizeof(*ex));
	if (!ex)
		return NULL;
	/* Agents run in "/": a relative root would not find them there. */
	if (ocf_root[0] == '/') {
		ex->ocf_root = strdup(ocf_root);
	} else {
		char *cwd = getcwd(NULL, 0);

		if (cwd && asprintf(&ex->ocf_root, "%s/%s", cwd, ocf_root) < 0)
			ex->ocf_root = NULL;
		free(cwd);
	}
	if (!ex->ocf_root) {
		free(ex);
		errno = ENOMEM;
		return NULL;
	}
	ex->loop = loop;
	qb_list_init(&ex->rscs);
	return ex;
}

/* Kill and reap a running agent, waiting a bounded time. */
static void
op_abandon(struct exec_op *op, uint64_t deadline_ns)
{
	qb_loop_t *loop = op->rsc->ex->loop;
	struct pollfd pfd = { .fd = op->pidfd, .events = POLLIN };
	uint64_t now = cd_now_mono_ns();
	siginfo_t si;

	op_timers_del(op);
	killpg(op->pid, SIGKILL);
	if (now < deadline_ns)
		(void)poll(&pfd, 1, (int)((deadline_ns - now) / 1000000ull));
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)op->pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		cd_warn("%s %s: %s: pid %d did not die on SIGKILL; leaving it",
			op->rsc->kind, op->rsc->key, op->spec.action, (int)op->pid);
	qb_loop_poll_del(loop, op->out.fd);
	qb_loop_poll_del(loop, op->err.fd);
	qb_loop_poll_del(loop, op->pidfd);
	close_fd(&op->out.fd);
	close_fd(&op->err.fd);
	close_fd(&op->pidfd);
}

void
cd_exec_free(struct cd_exec *ex)
{
	uint64_t deadline = cd_now_mono_ns() + EXEC_REAP_WAIT_MS * 1000000ull;
	struct exec_rsc *r, *rn;
	struct exec_op *op, *on;

	if (!ex)
		return;
	/* SIGKILL everything first, then reap: one bounded wait in all. */
	qb_list_for_each_entry(r, &ex->rscs, list) {
		if (r->running)
			killpg(r->running->pid, SIGKILL);
	}
	qb_list_for_each_entry_safe(r, rn, &ex->rscs, list) {
		if (r->running) {
			cd_info("%s %s: %s killed: executor shutting down", r->kind,
				r->key, r->running->spec.action);
			op_abandon(r->running, deadline);
			op_free(r->running);
		}
		qb_list_for_each_entry_safe(op, on, &r->queue, list) {
			qb_list_del(&op->list);
			op_free(op);
		}
		rsc_monitor_clear(r);
		qb_list_del(&r->list);
		free(r->key);
		free(r);
	}
	free(ex->ocf_root);
	free(ex);
}

int
cd_exec_run(struct cd_exec *ex, const struct cd_op_request *req,
	    cd_op_done_fn done, void *ctx)
{
	struct op_spec spec;
	struct exec_rsc *r;
	struct exec_op *op;
	int rc;

	if (!ex)
		return -EINVAL;
	rc = spec_build(ex, req, done, ctx, &spec);
	if (rc < 0)
		return rc;
	r = rsc_get(ex, &spec);
	op = r ? op_new(r, &spec, false) : NULL;
	if (!op) {
		spec_clear(&spec);
		if (r)
			rsc_maybe_free(r);
		return -ENOMEM;
	}
	if (r->running || !qb_list_empty(&r->queue)) {
		cd_debug("%s %s: %s queued behind %s", r->kind, r->key,
			 op->spec.action, r->running ? r->running->spec.action
						     : "queued operations");
		qb_list_add_tail(&op->list, &r->queue);
		return 0;
	}
	rc = op_spawn(op);
	if (rc < 0) {
		cd_warn("%s %s: %s: cannot run %s: %s", r->kind, r->key,
			op->spec.action, op->spec.path, strerror(-rc));
		op_free(op);
		rsc_maybe_free(r);
	}
	return rc;
}

int
cd_exec_monitor_start(struct cd_exec *ex, const struct cd_op_request *req,
		      cd_op_done_fn done, void *ctx)
{
	struct op_spec *spec;
	struct exec_rsc *r;
	int rc;

	if (!ex || !req || req->interval_ms == 0 || !req->rsc_id)
		return -EINVAL;
	spec = calloc(1, sizeof(*spec));
	if (!spec)
		return -ENOMEM;
	rc = spec_build(ex, req, done, ctx, spec);
	if (rc < 0) {
		free(spec);
		return rc;
	}
	r = rsc_get(ex, spec);
	if (!r) {
		spec_clear(spec);
		free(spec);
		return -ENOMEM;
	}
	rsc_monitor_clear(r);
	r->monitor = spec;
	r->last_mon_rc = -1;
	rsc_arm_monitor(r);
	if (!r->mon_armed) {
		rsc_monitor_clear(r);
		rsc_maybe_free(r);
		return -ENOMEM;
	}
	cd_info("%s %s: recurring %s every %" PRIu32 " ms", r->kind, r->key,
		spec->action, spec->interval_ms);
	return 0;
}

void
cd_exec_monitor_stop(struct cd_exec *ex, const char *rsc_id)
{
	struct exec_rsc *r = ex && rsc_id ? rsc_find(ex, rsc_id) : NULL;

	if (!r || !r->monitor)
		return;
	cd_info("%s %s: recurring %s stopped", r->kind, r->key, r->monitor->action);
	rsc_monitor_clear(r);
	rsc_maybe_free(r);
}

void
cd_exec_cancel(struct cd_exec *ex, const char *rsc_id)
{
	struct exec_rsc *r = ex && rsc_id ? rsc_find(ex, rsc_id) : NULL;
	struct qb_list_head dropped;
	struct exec_op *op, *on;
	size_t n = 0;

	if (!r)
		return;
	r->pin++;
	if (r->monitor) {
		cd_info("%s %s: recurring %s stopped", r->kind, r->key,
			r->monitor->action);
		rsc_monitor_clear(r);
	}
	if (r->running && !r->running->cancelled) {
		r->running->cancelled = true;
		cd_info("%s %s: cancelling %s: SIGKILL to process group %d", r->kind,
			r->key, r->running->spec.action, (int)r->running->pid);
		killpg(r->running->pid, SIGKILL);
	}
	/* Callbacks may queue new operations: those are not dropped. */
	qb_list_init(&dropped);
	qb_list_for_each_entry_safe(op, on, &r->queue, list) {
		qb_list_del(&op->list);
		qb_list_add_tail(&op->list, &dropped);
		n++;
	}
	if (n)
		cd_info("%s %s: %zu queued operation(s) cancelled", r->kind, r->key, n);
	qb_list_for_each_entry_safe(op, on, &dropped, list) {
		qb_list_del(&op->list);
		op_deliver(op, CD_OCF_ERR_GENERIC, false, 0, 0);
		op_free(op);
	}
	r->pin--;
	rsc_kick(r);
	rsc_maybe_free(r);
}

bool
cd_exec_busy(struct cd_exec *ex, const char *rsc_id)
{
	struct exec_rsc *r = ex && rsc_id ? rsc_find(ex, rsc_id) : NULL;

	return r && (r->running || !qb_list_empty(&r->queue));
}
