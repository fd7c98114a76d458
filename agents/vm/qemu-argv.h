/*
 * qemu-argv.h - the QEMU command line of a VM definition (pure).
 *
 * Always an argv array handed to execv(), never a shell string: paths with
 * spaces or commas are safe (commas inside option values are doubled, as
 * QEMU's option parser wants).
 */
#ifndef CLUSTERD_QEMU_ARGV_H
#define CLUSTERD_QEMU_ARGV_H

#include <stdbool.h>
#include <stddef.h>

#include "vmdef.h"

/* Files of a VM inside its runtime directory. */
#define CD_QEMU_PIDFILE		"qemu.pid"
#define CD_QEMU_QMP_SOCK	"qmp.sock"	/* operations, one client at a time */
#define CD_QEMU_MON_SOCK	"qmp-mon.sock"	/* monitor/status, never held long */
#define CD_QEMU_CONSOLE		"console.log"	/* serial console */
#define CD_QEMU_LOG		"qemu.log"	/* QEMU's own messages */
/* a quick-migration target loading the state file as the source writes it */
#define CD_QEMU_STREAM		"stream"	/* the state file it follows */
#define CD_QEMU_STREAM_INO	"stream.ino"	/* "DEV INO" of the file opened */
#define CD_QEMU_STREAM_PID	"stream.pid"	/* the follower, while it runs */

/*
 * QEMU drops to this user once it has opened what the agent set up for it
 * (disks, kernel, console and QEMU logs, QMP sockets, tap fds; quick
 * migration state goes through fds the agent opens), and runs under a
 * seccomp filter: CD_QEMU_SANDBOX. elevateprivileges=deny would forbid
 * -runas's own setuid and spawn=deny -daemonize's fork (both set up after
 * the filter), so those two stay at QEMU's default.
 */
#define CD_QEMU_USER		"clusterd-qemu"
#define CD_QEMU_SANDBOX		"on,obsolete=deny,resourcecontrol=deny"

struct cd_qemu_launch {
	const char *binary;	/* "qemu-system-x86_64" or a path */
	const char *accel;	/* "tcg" or "kvm" */
	const char *run_dir;	/* absolute */
	const char *incoming;	/* NULL, or the -incoming value ("defer") */
	const int *tap_fds;	/* one open tap fd per NIC */
	const char *runas;	/* -runas user, or NULL */
	bool sandbox;		/* -sandbox CD_QEMU_SANDBOX */
	bool daemonize;
};

/**
 * Build the argv.
 * @return a NULL-terminated, malloc'd array of malloc'd strings (free with
 *         cd_qemu_argv_free), or NULL with errno ENOMEM
 */
char **cd_qemu_argv(const struct cd_vmdef *def, const struct cd_qemu_launch *l);

void cd_qemu_argv_free(char **argv);

/**
 * Can this QEMU run a guest with CPU model `model` under accelerator `accel`?
 * @param help   the output of `qemu-system-x86_64 -cpu help` on this node:
 *               "x86 NAME  description" lines after "Available CPUs:", up to
 *               the first blank line
 * @param why    on refusal, the reason (for an administrator)
 * @return 0 (listed, and runnable with accel), -ENOENT (not a model of this
 *         QEMU), -ENOTSUP ("host" without KVM), -EINVAL (help has no model
 *         list at all: treat as unknown, do not refuse)
 */
/**
 * The CPU models in `qemu -cpu help` output (see below): how many, and
 * whether `model` (may be NULL) is one of them (*found).
 */
int cd_qemu_cpu_models(const char *help, const char *model, bool *found);

int cd_qemu_cpu_model_check(const char *help, const char *model, const char *accel,
			    char *why, size_t why_size);

/** Double every comma of s (QEMU option value escaping); malloc'd or NULL. */
char *cd_qemu_escape(const char *s);

#endif
