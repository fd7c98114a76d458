/*
 * ssh.h - run commands on cluster nodes over ssh, and local helpers, as
 * child processes with pipes and a deadline each.
 *
 * No shell string is ever built from user input: the remote command is the
 * constant "sh -s" and everything variable travels on ssh's stdin (the remote
 * script, see remote.c). Host names are validated before use.
 */
#ifndef CLUSTERCTL_SSH_H
#define CLUSTERCTL_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_HOST_MAX 253

/** A host name or address ssh may be pointed at: [A-Za-z0-9.-]{1,253},
 *  not starting with '-' (it would be read as an option). */
bool ctl_host_valid(const char *host);

/* One child process: argv, bytes for its stdin, captured stdout/stderr. */
struct ctl_proc {
	/* in (borrowed, must outlive ctl_proc_run) */
	char *const *argv;
	const char *input;		/* NULL: stdin is /dev/null */
	size_t input_len;
	int timeout_ms;

	/* out (owned; ctl_proc_clear frees) */
	char *out, *err;		/* NUL-terminated, never NULL after run */
	size_t out_len, err_len;
	int status;			/* exit code; 128+N if killed by signal N;
					   -1 if it could not be started */
	bool timed_out;			/* killed at its deadline */
	int spawn_errno;		/* why it could not be started */

	/* private */
	pid_t pid;
	int fd_in, fd_out, fd_err;
	size_t in_off;
	uint64_t deadline_ms;
	bool reaped;
};

/**
 * Run every process of @p procs concurrently until each has exited or was
 * killed at its deadline (SIGTERM, then SIGKILL 2 s later). Never fails as a
 * whole: per-process results are in the structs (status -1 + spawn_errno
 * when fork/exec failed). Output beyond 8 MiB per stream is dropped.
 * @param done  called (may be NULL) as each process ends, for progress
 */
void ctl_proc_run(struct ctl_proc *const *procs, size_t n,
		  void (*done)(struct ctl_proc *p, void *arg), void *arg);

/** Free the captured output (the struct itself is the caller's). */
void ctl_proc_clear(struct ctl_proc *p);

/* The ssh client command line of one remote job ("sh -s" on HOST as root). */
struct ctl_ssh_argv {
	char *argv[32];
	char host[CTL_HOST_MAX + 1];
	char timeout_opt[32];
	char control_opt[96];
};

/**
 * Share one ssh connection per host among the jobs of one command (ssh
 * ControlMaster, sockets in a private directory): each step then costs a
 * session, not a key exchange. Call ctl_ssh_mux_end before returning; the
 * masters also end on their own after 60 s idle. Without begin (or when it
 * fails) every job makes its own connection.
 */
void ctl_ssh_mux_begin(void);
void ctl_ssh_mux_end(void);

/**
 * Fill @p a with the ssh command line for HOST: BatchMode (never a prompt),
 * user root, the caller's ssh configuration and keys otherwise.
 * @return 0, or -EINVAL for an invalid host name.
 */
int ctl_ssh_argv_init(struct ctl_ssh_argv *a, const char *host);

/** ssh's own failure (exit 255): the connection, not the remote command. */
#define CTL_SSH_FAILED 255

/**
 * One line explaining why @p p failed: the last non-empty line of its
 * stderr, or "timed out after N s", or the spawn error. Points into a
 * static buffer (valid until the next call).
 */
const char *ctl_proc_reason(const struct ctl_proc *p);

/** Is PROG an executable on this machine's PATH? */
bool ctl_have_program(const char *prog);

#endif
