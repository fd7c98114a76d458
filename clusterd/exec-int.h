/*
 * exec-int.h - internals of the agent executor, shared by exec.c (queues,
 * recurring monitors, the API), exec-op.c (one agent process: spawn,
 * output, timeouts, reaping) and exec-spec.c (requests -> argv/env).
 */
#ifndef CLUSTERD_EXEC_INT_H
#define CLUSTERD_EXEC_INT_H

#include "exec.h"

#include <signal.h>
#include <sys/types.h>
#include <qb/qblist.h>

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
#define EXEC_SWEEP_WAIT_MS	5000		/* a stop's leftovers: SIGKILL -> gone */
#define EXEC_SWEEP_TICK_MS	10

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
	void (*on_line)(void *ctx, const char *line);
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
	char last_err[256];	/* the agent's last stderr line (its reason) */
	uint64_t started_ns;
	qb_loop_timer_handle timeout_timer, kill_timer;
	bool timeout_armed, kill_armed;
	/*
	 * Sweeping: a stop ended ok while processes its resource's agents
	 * started were still in the resource's cgroup. They were SIGKILLed
	 * (cgroup.kill); the agent is reaped (pid -1) and the op stays the
	 * resource's running one until the cgroup is empty (exec.c).
	 */
	bool sweeping, sweep_armed;
	int end_sig;
	uint64_t end_ms, sweep_start_ms;
	qb_loop_timer_handle sweep_timer;
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
	bool use_pidfd;			/* else children are found on SIGCHLD */
	qb_loop_signal_handle sigchld;
	const char *const *(*env_fn)(void *ctx);	/* cd_exec_set_env_source */
	void *env_ctx;
};

/* exec-spec.c */

/** Validate and copy a request; the agent must exist. @return as cd_exec_run */
int exec_spec_build(struct cd_exec *ex, const struct cd_op_request *req,
		    cd_op_done_fn done, void *ctx, struct op_spec *s);
/** Deep copy (for each run of a recurring monitor). @return 0 or -ENOMEM */
int exec_spec_copy(const struct op_spec *src, struct op_spec *dst);
/** Free what a spec owns and zero it. */
void exec_spec_clear(struct op_spec *s);

/* exec-cgroup.c: role containment (cd_exec_cgroup_init() in exec.h) */

/* What a child needs to exec an agent. */
struct exec_child {
	const char *path;
	char *const *argv;
	char *const *envp;
	int out_fd, err_fd;	/* become stdout and stderr */
};

/**
 * The cgroup of a resource for a spawn, created on demand.
 * @return an O_PATH directory fd (caller closes), or -1: run uncontained
 *         (containment off, agent-level action, or the cgroup unusable:
 *         an error is logged once and cd_exec_cgroup_problem() says why)
 */
int exec_cgroup_open(const char *rsc_id);
/** After a stop: remove the resource's cgroup if it is empty. */
void exec_cgroup_release(const char *rsc_id);
/**
 * SIGKILL every process in the resource's cgroup at once (cgroup.kill: also
 * what forks meanwhile). Does not wait: see exec_cgroup_populated().
 * @return how many processes it held (> 0: killed); 0 when it is empty, does
 *         not exist or agents are not contained; -errno when it cannot be
 *         read or killed (logged)
 */
int exec_cgroup_kill(const char *rsc_id);
/** @return 1 while the resource's cgroup holds a process; 0 when it is
 *  empty, gone or not contained; -errno */
int exec_cgroup_populated(const char *rsc_id);
/**
 * Start c inside the cgroup cgfd (as posix_spawn would: own process group,
 * stdin /dev/null, no other fds, default signals, cwd "/").
 * @return 0 with *pid; -errno when the agent could not be exec'd (or no
 *         process could be made); 1 when this cgroup takes no children:
 *         logged, the caller runs the agent uncontained
 */
int exec_cgroup_spawn(const struct exec_child *c, int cgfd, pid_t *pid);

/* exec-op.c */

/** A new op of r, taking over spec (copy false) or copying it. NULL: ENOMEM */
struct exec_op *exec_op_new(struct exec_rsc *r, const struct op_spec *spec,
			    bool copy);
void exec_op_free(struct exec_op *op);
/** Start the agent; sets r->running. On failure nothing is left behind. */
int exec_op_spawn(struct exec_op *op);
/**
 * Reap the op's agent if it has exited, and then finish the op (which frees
 * it and may free its resource). @return true if so, false if it still runs
 */
bool exec_op_try_reap(struct exec_op *op);
/** SIGKILL and reap a running agent, waiting until deadline_ns at most. */
void exec_op_abandon(struct exec_op *op, uint64_t deadline_ns);
int exec_timer_add(struct cd_exec *ex, uint32_t ms, void *data,
		   qb_loop_timer_dispatch_fn fn, qb_loop_timer_handle *h);

/* exec.c */

/**
 * The running op's agent ended and was reaped (output closed, logged):
 * deliver the result, free the op and start what is queued.
 */
void exec_op_ended(struct exec_op *op, int rc, int sig, uint64_t duration_ms);

#endif
