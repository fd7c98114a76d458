/*
 * exec-op.c - one agent process: started with posix_spawn (vfork semantics:
 * a large daemon does not copy its page tables, and exec errors come back
 * at once) into its own process group, with stdin on /dev/null, every other
 * fd closed and all signals at their defaults; its output drained without
 * blocking; its timeout enforced on the whole group; and its exit seen
 * through a pidfd (or, without pidfds, SIGCHLD: see exec.c), and reaped by
 * its own pid, so the executor reaps exactly its own children.
 */
#include "exec-int.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

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

int
exec_timer_add(struct cd_exec *ex, uint32_t ms, void *data,
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

/* ---- output ---- */

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

	if (s == &op->err && s->line_len)
		snprintf(op->last_err, sizeof(op->last_err), "%.*s", (int)s->line_len, s->line);
	if (s == &op->out && op->spec.on_line && s->line_len < sizeof(s->line)) {
		char line[EXEC_LINE_MAX + 1];

		memcpy(line, s->line, s->line_len);
		line[s->line_len] = '\0';
		op->spec.on_line(op->spec.ctx, line);
	}
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

/* ---- life cycle ---- */

void
exec_op_free(struct exec_op *op)
{
	exec_spec_clear(&op->spec);
	free(op->outbuf);
	free(op);
}

struct exec_op *
exec_op_new(struct exec_rsc *r, const struct op_spec *spec, bool copy)
{
	struct exec_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	if (copy) {
		if (exec_spec_copy(spec, &op->spec) < 0) {
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

/* The child has exited and is reaped: collect the rest and report. */
static void
op_reaped(struct exec_op *op, const siginfo_t *si)
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
	rc = (!sig && status >= 0 && status <= OCF_RC_MAX) ? status : OCF_ERR_GENERIC;
	if (op->timed_out || op->cancelled)
		rc = OCF_ERR_GENERIC;
	op_log_end(op, rc, status, sig, ms);
	exec_op_ended(op, rc, sig, ms);
}

/* waitid on the op's child, through its pidfd when it has one. */
static int
op_wait(struct exec_op *op, siginfo_t *si, int flags)
{
	memset(si, 0, sizeof(*si));
	if (op->pidfd >= 0)
		return waitid((idtype_t)P_PIDFD, (id_t)op->pidfd, si, flags);
	return waitid(P_PID, (id_t)op->pid, si, flags);
}

bool
exec_op_try_reap(struct exec_op *op)
{
	siginfo_t si, reaped;

	if (op_wait(op, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		/* ECHILD: someone else reaped it; report a generic failure. */
		cd_err("%s %s: %s: waitid for pid %d: %s", op->rsc->kind,
		       op->rsc->key, op->spec.action, (int)op->pid, strerror(errno));
		si.si_code = CLD_EXITED;
		si.si_status = OCF_ERR_GENERIC;
		op_reaped(op, &si);
		return true;
	}
	if (si.si_pid == 0)
		return false;	/* still running */
	/* A timed-out or cancelled agent's helpers go with it; its pid (and
	 * so the group id) stays reserved until the waitid below. */
	if (op->timed_out || op->cancelled)
		killpg(op->pid, SIGKILL);
	/* The status seen above stands even if the reaping itself failed. */
	if (op_wait(op, &reaped, WEXITED | WNOHANG) == 0 && reaped.si_pid != 0)
		si = reaped;
	else
		cd_warn("%s %s: %s: pid %d could not be reaped: %s", op->rsc->kind,
			op->rsc->key, op->spec.action, (int)op->pid, strerror(errno));
	op_reaped(op, &si);
	return true;
}

static int32_t
on_child_exit(int32_t fd, int32_t revents, void *data)
{
	/* -1: the entry is gone (see on_stream) */
	return exec_op_try_reap(data) ? -1 : 0;
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
	if (exec_timer_add(op->rsc->ex, EXEC_KILL_GRACE_MS, op, on_kill_timer,
			 &op->kill_timer) == 0)
		op->kill_armed = true;
	else
		killpg(op->pid, SIGKILL);
}

/* ---- spawning ---- */

static int
spawn_child(struct exec_op *op, int out[2], int err[2])
{
	char *argv[] = { op->spec.path, op->spec.action, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct exec_child child = {
		.path = op->spec.path, .argv = argv, .envp = op->spec.envp,
		.out_fd = out[1], .err_fd = err[1],
	};
	sigset_t all, none;
	int rc, cgfd;

	/*
	 * A resource's agents start inside its cgroup (exec-cgroup.c), but
	 * not its stop and monitor: a stop must run also after the lease
	 * lapsed (the guard kills whatever appears in the roles cgroup then)
	 * to stop what the guard cannot kill, an IP address or a mount, and a
	 * probe must say "not running" then, not die; neither leaves anything
	 * running behind.
	 */
	cgfd = op->spec.action && (strcmp(op->spec.action, "stop") == 0 ||
				   strcmp(op->spec.action, "monitor") == 0) ? -1 :
	       exec_cgroup_open(op->spec.rsc_id);
	if (cgfd >= 0) {
		rc = exec_cgroup_spawn(&child, cgfd, &op->pid);
		close(cgfd);
		if (rc <= 0)
			return rc;
	}
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
int
exec_op_spawn(struct exec_op *op)
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
	if (ex->use_pidfd)
		op->pidfd = (int)syscall(SYS_pidfd_open, op->pid, 0);
	if (ex->use_pidfd && op->pidfd < 0) {
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
	if (rc == 0 && op->pidfd >= 0)
		rc = qb_loop_poll_add(ex->loop, QB_LOOP_MED, op->pidfd, POLLIN, op,
				      on_child_exit);
	if (rc == 0)
		rc = exec_timer_add(ex, op->spec.timeout_ms, op, on_timeout,
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

/* Kill and reap a running agent, waiting a bounded time. */
void
exec_op_abandon(struct exec_op *op, uint64_t deadline_ns)
{
	qb_loop_t *loop = op->rsc->ex->loop;
	struct pollfd pfd = { .fd = op->pidfd, .events = POLLIN };
	struct timespec tick = { 0, 5 * 1000000 };
	uint64_t now;
	siginfo_t si;

	op_timers_del(op);
	killpg(op->pid, SIGKILL);
	while (op_wait(op, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0) {
		now = cd_now_mono_ns();
		if (now >= deadline_ns) {
			cd_warn("%s %s: %s: pid %d did not die on SIGKILL; leaving it",
				op->rsc->kind, op->rsc->key, op->spec.action,
				(int)op->pid);
			break;
		}
		if (op->pidfd >= 0)
			(void)poll(&pfd, 1, (int)((deadline_ns - now) / 1000000ull) + 1);
		else
			nanosleep(&tick, NULL);
	}
	qb_loop_poll_del(loop, op->out.fd);
	qb_loop_poll_del(loop, op->err.fd);
	if (op->pidfd >= 0)
		qb_loop_poll_del(loop, op->pidfd);
	close_fd(&op->out.fd);
	close_fd(&op->err.fd);
	close_fd(&op->pidfd);
}
