/*
 * exec.h - the agent executor: runs OCF resource agents as child processes
 * of clusterd's qb_loop, never blocking it.
 *
 * - OCF conventions: OCF_ROOT (default /usr/lib/ocf), agents at
 *   $OCF_ROOT/resource.d/PROVIDER/TYPE for "ocf:PROVIDER:TYPE",
 *   OCF_RESOURCE_INSTANCE, OCF_RESOURCE_TYPE, OCF_RESOURCE_PROVIDER,
 *   OCF_RESKEY_<param> for each parameter, OCF_RESKEY_CRM_meta_timeout (ms),
 *   OCF_RESKEY_CRM_meta_interval (ms, monitors), OCF_FUNCTIONS_DIR, plus
 *   extra variables given by the caller; exit codes 0-7 (OCF_SUCCESS ..
 *   OCF_NOT_RUNNING) passed through; others mapped to OCF_ERR_GENERIC.
 * - One operation per resource at a time: later requests for the same
 *   resource queue behind the running one (a recurring monitor is skipped,
 *   not queued, while another operation of its resource runs).
 * - Timeouts: SIGTERM to the agent's process group at the timeout, SIGKILL
 *   2 s later; the result then says timed_out and rc OCF_ERR_GENERIC.
 * - stdout and stderr of every agent are read without blocking and logged
 *   line by line, naming the resource and action; the last 4 KiB of stdout
 *   are handed to the callback (migrate_prepare prints its URI there).
 *
 * Additions to the contract above (documented here, kept small):
 * - Children are watched with pidfds and reaped with waitid(P_PIDFD): the
 *   executor never reaps a pid it did not start, and no other module may
 *   call waitpid(-1) / wait() (it would steal the executor's children) or
 *   set SIGCHLD to SIG_IGN (the kernel would reap them). Where pidfd_open
 *   is missing (valgrind, old kernels) or CLUSTERD_EXEC_NO_PIDFD is set in
 *   the environment (a test seam), a qb_loop SIGCHLD handler tries each
 *   running agent by its pid instead: the same rule holds.
 * - Agents run with an environment built only from the request (base:
 *   PATH=/usr/sbin:/usr/bin:/sbin:/bin, LANG=C, OCF_ROOT, OCF_FUNCTIONS_DIR,
 *   OCF_RA_VERSION_MAJOR/MINOR; OCF_RESKEY_CRM_meta_interval is always set,
 *   0 for one-shot operations, so a one-shot monitor is a probe), in its
 *   own process group, working directory "/", stdin on /dev/null, no other
 *   fds, no blocked signals and default dispositions (except glibc's two
 *   internal signals 32 and 33, which posix_spawn leaves ignored).
 * - Cluster-wide variables: when an environment source is set
 *   (cd_exec_set_env_source), its list is added to every operation's
 *   environment when the operation is requested (for a recurring monitor:
 *   when it is started), before the request's extra_env. clusterd passes
 *   the cluster properties the agents enforce this way (lib/props.h
 *   agent_env: CD_VM_STORAGE_ROOTS, ...).
 * - The meta-data action keeps the whole stdout (up to 1 MiB), not 4 KiB,
 *   so that its output can be handed to cd_agent_meta_parse().
 * - Output is logged at info (recurring monitors: debug; meta-data's
 *   stdout not at all), at most 200 lines per operation. Recurring monitors
 *   log their start at debug and their result at info only when the rc
 *   changes.
 * - cd_exec_free() must not be called from a done callback; every other
 *   function may.
 * - Containment (after cd_exec_cgroup_init()): every operation of resource
 *   R runs in the cgroup ROOT/roles/R, created on demand, from before its
 *   agent execs (fork, and the child joins R's cgroup.procs first), so
 *   whatever it forks or daemonizes (QEMU) stays there for clusterd-guard
 *   to kill. The agent then starts with fork semantics instead of
 *   posix_spawn's, and everything above still holds (process group,
 *   stdin, fds, signals, working directory, exec errors at once).
 *   Agent-level actions (no rsc_id), stops and monitors are not contained
 *   (they must run also after the lease lapsed, when the guard kills
 *   whatever appears in the roles cgroup: a stop to end what the guard
 *   cannot kill, an IP address or a mount, a probe to say "not running";
 *   they leave nothing running).
 * - A stop's OCF_SUCCESS means nothing of R runs on this node any more:
 *   when the stop agent exits 0 while processes are still in R's cgroup
 *   (started by R's agents and not ended by the stop: a daemon whose start
 *   was cancelled before it wrote its pidfile), they are SIGKILLed through
 *   cgroup.kill, a warning names how many, and done is called when the
 *   cgroup is empty; if it is not empty 5 s after the kill (a process
 *   stuck in the kernel) the stop fails instead: rc OCF_ERR_GENERIC,
 *   error_line says why. A successful stop removes R's cgroup when it is
 *   empty. Without cgroup2, or when R's
 *   cgroup cannot be made, agents run uncontained: an error is logged
 *   once and cd_exec_cgroup_problem() says why.
 */
#ifndef CLUSTERD_EXEC_H
#define CLUSTERD_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <qb/qbloop.h>
#include <json-c/json.h>

#include "ocf.h"		/* agents/common: enum ocf_rc, shared with the agents */

struct cd_exec;

struct cd_op_request {
	const char *rsc_id;	/* resource instance name; NULL for agent-level
				 * actions (meta-data): then operations queue
				 * per agent and OCF_RESOURCE_INSTANCE is unset */
	const char *agent;	/* "ocf:PROVIDER:TYPE" */
	const char *action;	/* start, stop, monitor, meta-data, validate-all, ... */
	json_object *params;	/* object of string/number/bool values, or NULL */
	const char *const *extra_env;	/* NULL-terminated "K=V" list, or NULL */
	uint32_t timeout_ms;	/* 0: 20 s */
	uint32_t interval_ms;	/* > 0 only for recurring monitors */
	/* Optional: called in the loop with each stdout line as it comes
	 * (progress of long operations); ctx is the op's done context. */
	void (*on_line)(void *ctx, const char *line);
};

struct cd_op_result {
	const char *rsc_id;
	const char *action;
	int rc;			/* OCF exit code (enum ocf_rc) */
	bool timed_out;
	int signal;		/* signal that ended the agent, 0 if it exited */
	uint64_t duration_ms;
	const char *output;	/* last bytes of stdout, NUL-terminated */
	const char *error_line;	/* the agent's last line on stderr, or "" */
};

/* Called in the loop when an operation ends (also when it was cancelled:
 * rc OCF_ERR_GENERIC and the op's action). The result is valid only during
 * the call. A queued operation whose agent cannot be started when its turn
 * comes ends with rc OCF_ERR_INSTALLED (agent gone) or OCF_ERR_GENERIC. */
typedef void (*cd_op_done_fn)(void *ctx, const struct cd_op_result *res);

/**
 * Create an executor on a loop.
 * @param ocf_root NULL for $OCF_ROOT or /usr/lib/ocf; a relative path is
 *        made absolute against the current directory
 * @return NULL with errno on failure
 */
struct cd_exec *cd_exec_new(qb_loop_t *loop, const char *ocf_root);

/**
 * Set where cluster-wide variables come from (see above): fn(ctx) is called
 * in the loop for each request and returns a NULL-terminated "K=V" list
 * that stays valid until its next call (or NULL: none). fn NULL: none.
 */
void cd_exec_set_env_source(struct cd_exec *ex,
			    const char *const *(*fn)(void *ctx), void *ctx);

/** Kill (SIGKILL) running agents, cancel queued ones without callbacks, free. */
void cd_exec_free(struct cd_exec *ex);

/**
 * Run one operation (queued behind any running operation of the same
 * resource). The request is copied.
 * @return 0 (done will be called exactly once); -ENOENT if the agent does
 *         not exist (checked at once); -EACCES if it is not executable;
 *         -EINVAL for a malformed agent name, a parameter value that is an
 *         object or array, or an extra_env entry without '='; -ENOMEM; or
 *         the error of starting the agent when it would run at once
 *         (-EMFILE, ...). On any error done is never called.
 */
int cd_exec_run(struct cd_exec *ex, const struct cd_op_request *req,
		cd_op_done_fn done, void *ctx);

/**
 * Start a recurring monitor (every interval_ms, first after interval_ms);
 * done is called after every run. The next run is interval_ms after the
 * previous one ended (or was skipped). Replaces an existing monitor of the
 * resource. @return as cd_exec_run; -EINVAL without interval_ms or rsc_id
 */
int cd_exec_monitor_start(struct cd_exec *ex, const struct cd_op_request *req,
			  cd_op_done_fn done, void *ctx);

/** Stop the recurring monitor of a resource (a running one finishes and
 * its done is still called). */
void cd_exec_monitor_stop(struct cd_exec *ex, const char *rsc_id);

/**
 * Cancel everything of a resource: queued operations are dropped (done is
 * called with rc OCF_ERR_GENERIC before this returns), a running one is
 * killed with SIGKILL (its done comes from the loop, rc OCF_ERR_GENERIC,
 * signal 9), and the recurring monitor is stopped.
 */
void cd_exec_cancel(struct cd_exec *ex, const char *rsc_id);

/**
 * cd_exec_cancel(), and first SIGKILL to every process in the resource's
 * cgroup: also what its agents daemonized (a writer or a QEMU a cancelled
 * start had begun before it wrote its pidfile). For a resource that must
 * not run here any more; a migration step that is given up calls
 * cd_exec_cancel(), since the resource keeps running. Uncontained: the
 * same as cd_exec_cancel().
 */
void cd_exec_abort(struct cd_exec *ex, const char *rsc_id);

/** True when an operation of this resource is running or queued. */
bool cd_exec_busy(struct cd_exec *ex, const char *rsc_id);

/* ---- containment (process-wide: a node has one roles tree) ---- */

/**
 * Contain every resource's agents under ROOT/roles (creating it). Call
 * once before the executors run; without it agents run uncontained.
 * @param root the roles root (clusterd --cgroup); NULL: the default of
 *        cd_cgroup_default_root(); "none": containment off, by choice
 * @return 0 (also for "none"); or the error that leaves agents
 *         uncontained (-ENOENT no cgroup2, -ENOTSUP not on cgroup2,
 *         -errno of mkdir): logged, and cd_exec_cgroup_problem() says why
 */
int cd_exec_cgroup_init(const char *root);

/** ROOT/roles when agents are contained, else NULL. */
const char *cd_exec_cgroup_root(void);

/** Why agents are (or were last) not contained, "" when they are. */
const char *cd_exec_cgroup_problem(void);

/* ---- agent meta-data ---- */

struct cd_agent_param {
	char name[64];
	bool required;
	bool unique;
	char type[16];		/* string, integer, boolean */
	char dflt[128];
};

struct cd_agent_meta {
	char name[64];
	size_t n_params;
	struct cd_agent_param params[64];
	/* actions the agent declares (start, stop, monitor, migrate_to ...) */
	size_t n_actions;
	char actions[24][24];
	uint32_t timeouts_ms[24];	/* declared timeout per action, 0 if none */
};

/**
 * Parse an agent's meta-data XML (the output of the meta-data action) with
 * libxml2: <parameter name= required= unique=> with <content type=
 * default=>, and <action name= timeout=> ("20s", "2m", "500ms", "20").
 * An action listed more than once (per role) counts once, the first;
 * actions beyond 24 are ignored. No DTD or network access.
 * @return 0 or -CD_E_BAD_ARGS (not OCF meta-data, more than 64 parameters
 *         or a parameter name too long); out is zeroed on error
 */
int cd_agent_meta_parse(const char *xml, size_t len, struct cd_agent_meta *out);

/**
 * Check parameters against meta-data: every required parameter present
 * (and not ""), no unknown parameter, and values of integer and boolean
 * parameters well-formed. params may be NULL (no parameters).
 * @return 0 or -CD_E_BAD_ARGS with a reason in err (err may be NULL only
 *         when errlen is 0)
 */
int cd_agent_meta_check(const struct cd_agent_meta *meta, json_object *params,
			char *err, size_t errlen);

#endif
