/*
 * guard.h - clusterd-guard, the self-fencing supervisor: a lease that the
 * local clusterd renews over a unix socket; when it lapses, every process
 * of the roles cgroup is killed and the watchdog (if any) is no longer fed.
 *
 * Protocol (SOCK_SEQPACKET, one request per packet, ASCII; peers must be
 * root or the guard's own uid):
 *   "renew D"  the lease is valid until CLOCK_MONOTONIC D (ms);
 *              reply "ok STATE D" (STATE: armed, or lapsed for a D already
 *              past)
 *   "status"   reply: the status document (JSON, as in the status file)
 *   other      reply "error unknown request"
 * Renewals need no reply to be read; the client may ignore them.
 *
 * Status file (rewritten atomically on every change, and at most once a
 * second for deadline updates): {"state", "deadline_ms", "now_ms",
 * "renewals", "lapses", "last_lapse_ms", "last_lapse_reason",
 * "last_kill_pids", "last_kill_ms", "clients", "cgroup", "watchdog",
 * "pid"}.
 */
#ifndef CLUSTERD_GUARD_H
#define CLUSTERD_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#define GUARD_SOCKET_PATH	"/run/clusterd/guard.sock"
#define GUARD_WATCHDOG_DEV	"/dev/watchdog"
#define GUARD_GRACE_MS		5000

struct guard_opts {
	const char *socket_path;
	const char *status_path;	/* NULL: guard.status next to the socket */
	const char *cgroup_root;	/* the roles root; ROOT/roles is killed */
	const char *watchdog;		/* device, or NULL for none */
	uint64_t grace_ms;
};

/**
 * Run the guard until SIGTERM/SIGINT.
 * @return 0 on a clean stop, or a negative errno when it cannot start
 *         (socket, cgroup); errors are logged
 */
int guard_run(const struct guard_opts *o);

#endif
