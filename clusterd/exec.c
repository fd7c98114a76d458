/*
 * exec.c - the agent executor: per-resource queues (one operation at a time),
 * recurring monitors, cancel, and the API of exec.h. One agent process is
 * exec-op.c's business; turning a request into argv/env is exec-spec.c's.
 */
#include "exec-int.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void rsc_kick(struct exec_rsc *r);

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
		exec_spec_clear(r->monitor);
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

/* ---- operations ---- */

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
		.error_line = op->last_err,
	};
	struct exec_rsc *r = op->rsc;

	r->pin++;
	if (op->spec.done)
		op->spec.done(op->spec.ctx, &res);
	r->pin--;
}

static void rsc_arm_monitor(struct exec_rsc *r);

static void
op_finish(struct exec_op *op, int rc, int sig, uint64_t duration_ms)
{
	struct exec_rsc *r = op->rsc;

	if (op->recurring)
		r->last_mon_rc = rc;
	r->running = NULL;
	/* A stopped resource leaves no empty cgroup behind. */
	if (rc == OCF_SUCCESS && strcmp(op->spec.action, "stop") == 0)
		exec_cgroup_release(op->spec.rsc_id);
	op_deliver(op, rc, op->timed_out, sig, duration_ms);
	if (op->recurring && r->monitor && !r->mon_armed)
		rsc_arm_monitor(r);
	exec_op_free(op);
	rsc_kick(r);
	rsc_maybe_free(r);
}

/*
 * A stop's leftovers (exec.h "Containment"): SIGKILLed at the stop's end;
 * the stop is done when the resource's cgroup is empty, or fails when it is
 * not after EXEC_SWEEP_WAIT_MS (a process that SIGKILL does not end: stuck
 * in the kernel on I/O). The kill is repeated on every tick: cheap, and it
 * also ends what a stuck process may still fork when it wakes.
 */
static void
on_sweep_timer(void *data)
{
	struct exec_op *op = data;
	struct exec_rsc *r = op->rsc;
	uint64_t waited = cd_now_mono_ms() - op->sweep_start_ms;
	int pop = exec_cgroup_populated(op->spec.rsc_id);

	op->sweep_armed = false;
	if (pop != 0 && waited < EXEC_SWEEP_WAIT_MS) {
		(void)exec_cgroup_kill(op->spec.rsc_id);
		if (exec_timer_add(r->ex, EXEC_SWEEP_TICK_MS, op, on_sweep_timer,
				   &op->sweep_timer) == 0) {
			op->sweep_armed = true;
			return;
		}
	}
	if (pop != 0) {
		cd_err("%s %s: processes of the resource are still in its cgroup %" PRIu64
		       " ms after SIGKILL: the stop fails (they may still use what the "
		       "resource holds)", r->kind, r->key, waited);
		snprintf(op->last_err, sizeof(op->last_err), "processes of the resource "
			 "survived SIGKILL in its cgroup %s/%s", cd_exec_cgroup_root(), r->key);
		op_finish(op, OCF_ERR_GENERIC, op->end_sig, op->end_ms + waited);
		return;
	}
	cd_notice("%s %s: its cgroup is empty %" PRIu64 " ms after the kill: stop done",
		  r->kind, r->key, waited);
	op_finish(op, OCF_SUCCESS, op->end_sig, op->end_ms + waited);
}

void
exec_op_ended(struct exec_op *op, int rc, int sig, uint64_t duration_ms)
{
	struct exec_rsc *r = op->rsc;
	int n;

	/*
	 * A successful stop means nothing of the resource runs here any more,
	 * also what its agents daemonized without the stop knowing (a start
	 * cancelled before it wrote its pidfile; a stop that missed a child):
	 * the cgroup's leftovers are killed before the result is delivered.
	 */
	n = rc == OCF_SUCCESS && op->spec.rsc_id && strcmp(op->spec.action, "stop") == 0 ?
	    exec_cgroup_kill(op->spec.rsc_id) : 0;
	if (n < 0) {
		snprintf(op->last_err, sizeof(op->last_err), "cannot kill the processes "
			 "of the resource's cgroup: %s", strerror(-n));
		rc = OCF_ERR_GENERIC;
	} else if (n > 0) {
		cd_warn("%s %s: stop ok, but %d process(es) its agents started are still "
			"in its cgroup: SIGKILL to them; the stop is done when the cgroup "
			"is empty", r->kind, r->key, n);
		op->pid = -1;		/* reaped: never signalled again */
		op->sweeping = true;
		op->end_sig = sig;
		op->end_ms = duration_ms;
		op->sweep_start_ms = cd_now_mono_ms();
		if (exec_timer_add(r->ex, EXEC_SWEEP_TICK_MS, op, on_sweep_timer,
				   &op->sweep_timer) == 0) {
			op->sweep_armed = true;
			return;
		}
		rc = OCF_ERR_GENERIC;
	}
	op_finish(op, rc, sig, duration_ms);
}

/* An op that could not start after all (queued, or a recurring monitor). */
static void
op_fail_to_start(struct exec_op *op, int err)
{
	int rc = err == -ENOENT ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC;

	cd_warn("%s %s: %s: cannot run %s: %s", op->rsc->kind, op->rsc->key,
		op->spec.action, op->spec.path, strerror(-err));
	if (op->recurring)
		op->rsc->last_mon_rc = rc;
	op_deliver(op, rc, false, 0, 0);
	exec_op_free(op);
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
		rc = exec_op_spawn(op);
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
	op = exec_op_new(r, r->monitor, true);
	if (!op) {
		cd_err("%s %s: out of memory for the recurring monitor", r->kind, r->key);
		rsc_arm_monitor(r);
		return;
	}
	op->recurring = true;
	rc = exec_op_spawn(op);
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
	if (exec_timer_add(r->ex, r->monitor->interval_ms, r, on_monitor_timer,
			 &r->mon_timer) == 0)
		r->mon_armed = true;
	else
		cd_err("%s %s: cannot schedule the recurring monitor", r->kind, r->key);
}

/* ---- public API ---- */

/*
 * Without pidfds (valgrind does not know pidfd_open; old kernels; seccomp),
 * SIGCHLD says "some child ended" and each running agent is tried by its
 * own pid: never waitpid(-1), which would steal other modules' children.
 */
static int32_t
on_sigchld(int32_t sig, void *data)
{
	struct cd_exec *ex = data;
	struct exec_rsc *r;
	bool again = true;

	/* Finishing an op may free its rsc and start others: rescan. */
	while (again) {
		again = false;
		qb_list_for_each_entry(r, &ex->rscs, list) {
			if (r->running && !r->running->sweeping &&
			    r->running->pidfd < 0 && exec_op_try_reap(r->running)) {
				again = true;
				break;
			}
		}
	}
	return 0;
}

static bool
pidfd_usable(void)
{
	int fd;

	if (getenv("CLUSTERD_EXEC_NO_PIDFD"))
		return false;	/* test seam: exercise the SIGCHLD path */
	fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

struct cd_exec *
cd_exec_new(qb_loop_t *loop, const char *ocf_root)
{
	struct cd_exec *ex;
	int rc;

	if (!loop) {
		errno = EINVAL;
		return NULL;
	}
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
	ex->use_pidfd = pidfd_usable();
	if (!ex->use_pidfd) {
		rc = qb_loop_signal_add(loop, QB_LOOP_HIGH, SIGCHLD, ex, on_sigchld,
					&ex->sigchld);
		if (rc < 0) {
			free(ex->ocf_root);
			free(ex);
			errno = -rc;
			return NULL;
		}
		cd_info("executor: no pidfds here; agents are watched through SIGCHLD");
	}
	return ex;
}

void
cd_exec_set_env_source(struct cd_exec *ex, const char *const *(*fn)(void *ctx),
		       void *ctx)
{
	ex->env_fn = fn;
	ex->env_ctx = ctx;
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
		if (r->running && !r->running->sweeping)
			killpg(r->running->pid, SIGKILL);
	}
	qb_list_for_each_entry_safe(r, rn, &ex->rscs, list) {
		if (r->running && r->running->sweeping) {
			/* the kill was sent; what is left is the guard's */
			if (r->running->sweep_armed)
				qb_loop_timer_del(ex->loop, r->running->sweep_timer);
			exec_op_free(r->running);
		} else if (r->running) {
			cd_info("%s %s: %s killed: executor shutting down", r->kind,
				r->key, r->running->spec.action);
			exec_op_abandon(r->running, deadline);
			exec_op_free(r->running);
		}
		qb_list_for_each_entry_safe(op, on, &r->queue, list) {
			qb_list_del(&op->list);
			exec_op_free(op);
		}
		rsc_monitor_clear(r);
		qb_list_del(&r->list);
		free(r->key);
		free(r);
	}
	if (!ex->use_pidfd)
		qb_loop_signal_del(ex->loop, ex->sigchld);
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
	rc = exec_spec_build(ex, req, done, ctx, &spec);
	if (rc < 0)
		return rc;
	r = rsc_get(ex, &spec);
	op = r ? exec_op_new(r, &spec, false) : NULL;
	if (!op) {
		exec_spec_clear(&spec);
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
	rc = exec_op_spawn(op);
	if (rc < 0) {
		cd_warn("%s %s: %s: cannot run %s: %s", r->kind, r->key,
			op->spec.action, op->spec.path, strerror(-rc));
		exec_op_free(op);
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
	rc = exec_spec_build(ex, req, done, ctx, spec);
	if (rc < 0) {
		free(spec);
		return rc;
	}
	r = rsc_get(ex, spec);
	if (!r) {
		exec_spec_clear(spec);
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
	/* a sweeping stop has ended its agent; its result comes as it is */
	if (r->running && !r->running->cancelled && !r->running->sweeping) {
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
		op_deliver(op, OCF_ERR_GENERIC, false, 0, 0);
		exec_op_free(op);
	}
	r->pin--;
	rsc_kick(r);
	rsc_maybe_free(r);
}

void
cd_exec_abort(struct cd_exec *ex, const char *rsc_id)
{
	struct exec_rsc *r = ex && rsc_id ? rsc_find(ex, rsc_id) : NULL;
	int n;

	/* The cgroup first: the agent dies with it, and nothing it forks
	 * between the two calls escapes. */
	n = rsc_id ? exec_cgroup_kill(rsc_id) : 0;
	if (n > 0)
		cd_info("rsc %s: SIGKILL to the %d process(es) in its cgroup%s", rsc_id, n,
			r && r->running ? " (the running agent and what it started)" : "");
	cd_exec_cancel(ex, rsc_id);
}

bool
cd_exec_busy(struct cd_exec *ex, const char *rsc_id)
{
	struct exec_rsc *r = ex && rsc_id ? rsc_find(ex, rsc_id) : NULL;

	return r && (r->running || !qb_list_empty(&r->queue));
}
