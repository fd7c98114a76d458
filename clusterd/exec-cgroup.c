/*
 * exec-cgroup.c - role containment: every operation of resource R runs in
 * the cgroup ROOT/roles/R from before its agent execs, so whatever the
 * agent forks or daemonizes (QEMU) stays there and clusterd-guard can find
 * and kill all of it (cgroup.kill of ROOT/roles) when the lease lapses.
 *
 * fork(), and the child writes "0" to the cgroup's cgroup.procs before
 * anything else: it runs nothing of the agent before it is inside. It
 * uses only async-signal-safe calls until execve, and an exec error comes
 * back at once over a close-on-exec pipe, as with posix_spawn. Not
 * clone3(CLONE_INTO_CGROUP): on this kernel (6.18) a child cloned into a
 * cgroup that was once killed through cgroup.kill is SIGKILLed at birth
 * (the kill sequence is compared with the parent's cgroup), and a lapse of
 * the guard's lease kills exactly these cgroups.
 */
#include "exec-int.h"
#include "cgroup.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CG_CLOSE_RANGE_CLOEXEC	(1U << 2)

/* Process-wide: the node has one roles tree, whichever executor runs. */
static struct {
	bool configured;
	bool contained;
	bool failing;			/* the last open failed: logged once */
	char roles[PATH_MAX];		/* ROOT/roles */
	char problem[256];
} cg;


int
cd_exec_cgroup_init(const char *root)
{
	char dflt[PATH_MAX];
	int rc, n;

	memset(&cg, 0, sizeof(cg));
	cg.configured = true;
	if (root && strcmp(root, "none") == 0) {
		snprintf(cg.problem, sizeof(cg.problem), "containment disabled (--cgroup none)");
		cd_warn("executor: %s: agents run uncontained", cg.problem);
		return 0;
	}
	if (!root) {
		rc = cd_cgroup_default_root(dflt, sizeof(dflt));
		if (rc < 0) {
			snprintf(cg.problem, sizeof(cg.problem), "no cgroup2 mount on this host");
			cd_err("executor: %s: agents run uncontained (a lapsed lease "
			       "cannot kill what they start)", cg.problem);
			return rc;
		}
		root = dflt;
	}
	n = snprintf(cg.roles, sizeof(cg.roles), "%s/%s", root, CD_CGROUP_ROLES);
	if (n < 0 || (size_t)n >= sizeof(cg.roles))
		return -ENAMETOOLONG;
	rc = cd_cgroup_mkdir(cg.roles);
	if (rc < 0) {
		snprintf(cg.problem, sizeof(cg.problem), "cannot create the roles cgroup %s: %s",
			 cg.roles, rc == -ENOTSUP ? "not on cgroup2" : strerror(-rc));
		cd_err("executor: %s: agents run uncontained (a lapsed lease "
		       "cannot kill what they start)", cg.problem);
		return rc;
	}
	cg.contained = true;
	cd_notice("executor: every resource's agents run in the cgroup %s/RESOURCE",
		  cg.roles);
	return 0;
}

const char *
cd_exec_cgroup_root(void)
{
	return cg.contained ? cg.roles : NULL;
}

const char *
cd_exec_cgroup_problem(void)
{
	return cg.problem;
}

static bool
name_ok(const char *rsc_id)
{
	return rsc_id[0] && rsc_id[0] != '.' && !strchr(rsc_id, '/') &&
	       strncmp(rsc_id, "cgroup.", 7) != 0 && strlen(rsc_id) < NAME_MAX;
}

int
exec_cgroup_open(const char *rsc_id)
{
	char path[PATH_MAX + NAME_MAX + 2];
	int rc, fd;

	if (!cg.contained || !rsc_id)
		return -1;
	if (!name_ok(rsc_id)) {
		rc = -EINVAL;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s", cg.roles, rsc_id);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (cg.failing)
		cd_notice("rsc %s: cgroup %s usable again: agents are contained", rsc_id, path);
	cg.failing = false;
	return fd;
fail:
	if (!cg.failing)
		cd_err("rsc %s: cannot use the cgroup %s/%s: %s; its agents run "
		       "uncontained (logged once)", rsc_id, cg.roles, rsc_id, strerror(-rc));
	cg.failing = true;
	snprintf(cg.problem, sizeof(cg.problem), "cannot use %s/%s: %s", cg.roles,
		 rsc_id, strerror(-rc));
	return -1;
}

void
exec_cgroup_release(const char *rsc_id)
{
	char path[PATH_MAX + NAME_MAX + 2];

	if (!cg.contained || !rsc_id || !name_ok(rsc_id))
		return;
	snprintf(path, sizeof(path), "%s/%s", cg.roles, rsc_id);
	/* -EBUSY while something still runs there: it stays. */
	if (cd_cgroup_remove(path) == 0)
		cd_debug("rsc %s: empty cgroup %s removed after the stop", rsc_id, path);
}

static int
rsc_path(const char *rsc_id, char *path, size_t len)
{
	if (!cg.contained || !rsc_id || !name_ok(rsc_id))
		return -ENOENT;
	snprintf(path, len, "%s/%s", cg.roles, rsc_id);
	return 0;
}

int
exec_cgroup_populated(const char *rsc_id)
{
	char path[PATH_MAX + NAME_MAX + 2];
	int rc;

	if (rsc_path(rsc_id, path, sizeof(path)) < 0)
		return 0;
	rc = cd_cgroup_populated(path);
	return rc == -ENOENT ? 0 : rc;
}

int
exec_cgroup_kill(const char *rsc_id)
{
	char path[PATH_MAX + NAME_MAX + 2];
	int pop, n, rc;

	if (rsc_path(rsc_id, path, sizeof(path)) < 0)
		return 0;
	pop = cd_cgroup_populated(path);
	if (pop == -ENOENT || pop == 0)
		return 0;
	n = cd_cgroup_count(path);
	rc = cd_cgroup_kill(path);
	if (rc < 0) {
		cd_err("rsc %s: cannot kill the processes of the cgroup %s: %s", rsc_id,
		       path, strerror(-rc));
		return rc;
	}
	/* a count that raced with the last exits still means "was populated" */
	return n > 0 ? n : 1;
}

/* ---- spawning into a cgroup ---- */

/* The child, between clone and execve: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(const struct exec_child *c, int errfd, int procs_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig, fd, e;

	if (procs_fd >= 0 && write(procs_fd, "0", 1) != 1)
		goto fail;
	/* Handlers reset at execve anyway; SIG_IGN (SIGPIPE) would not. */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	}
	if (setpgid(0, 0) < 0)
		goto fail;
	if (dup2(c->out_fd, STDOUT_FILENO) < 0 || dup2(c->err_fd, STDERR_FILENO) < 0)
		goto fail;
	/* dup2 onto itself keeps close-on-exec: clear it. */
	(void)fcntl(STDOUT_FILENO, F_SETFD, 0);
	(void)fcntl(STDERR_FILENO, F_SETFD, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || (fd != STDIN_FILENO && dup2(fd, STDIN_FILENO) < 0))
		goto fail;
	/* Everything else closes at execve (errfd must live until then). */
	if (syscall(SYS_close_range, 3u, ~0u, CG_CLOSE_RANGE_CLOEXEC) < 0) {
		for (fd = 3; fd < 1024; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	if (chdir("/") < 0)
		goto fail;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(c->path, c->argv, c->envp);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

int
exec_cgroup_spawn(const struct exec_child *c, int cgfd, pid_t *pid_out)
{
	sigset_t all, old;
	int ep[2], procs_fd, e = 0, rc = 0;
	ssize_t n;
	pid_t pid;

	procs_fd = openat(cgfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (procs_fd < 0) {
		e = errno;
		rc = 1;
		goto out;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		close(procs_fd);
		return -errno;
	}
	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(c, ep[1], procs_fd);
	if (pid < 0)
		rc = -errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(procs_fd);
	close(ep[1]);
	if (rc == 0) {
		/* EOF: it exec'd. An int: it did not, and has exited. */
		while ((n = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(e)) {
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			/* The cgroup refused it: run uncontained (below). */
			rc = e == EBUSY || e == EACCES || e == EPERM || e == EOPNOTSUPP ||
			     e == ENODEV ? 1 : -e;
		} else {
			*pid_out = pid;
		}
	}
	close(ep[0]);
out:
	if (rc == 1) {
		if (!cg.failing)
			cd_err("executor: cannot start a child in the cgroup under %s: %s; "
			       "agents run uncontained (logged once)", cg.roles, strerror(e));
		cg.failing = true;
		snprintf(cg.problem, sizeof(cg.problem), "cannot start children in %s: %s",
			 cg.roles, strerror(e));
	}
	return rc;
}
