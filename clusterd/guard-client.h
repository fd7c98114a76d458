/*
 * guard-client.h - clusterd's side of the lease held by clusterd-guard
 * (clusterd/guard/guard.h): a connection to the guard's unix socket, on
 * clusterd's qb_loop, that never blocks it.
 *
 * - Connect: non-blocking (SOCK_SEQPACKET, AF_UNIX) at open and, while not
 *   connected, again every CD_GUARD_RECONNECT_MS on a loop timer; a guard
 *   that is not there (yet) is not an error of open. Connection changes
 *   are logged once each (notice/warning), not every retry.
 * - Renew: one packet "renew D" (D: CLOCK_MONOTONIC ms) per call, sent with
 *   MSG_DONTWAIT. The guard's replies ("ok armed D", "ok lapsed D") are read
 *   in the loop; the last state is kept for status and a lapse the guard
 *   reports is logged at error once per lapse.
 * - The lease semantics are the guard's: a renewal is "valid until D"; the
 *   latest renewal wins (also a shorter one); a D already past is a lapse
 *   (the guard kills the roles cgroup at once); a disconnect does not
 *   disarm. While the lease is lapsed the guard also kills any process
 *   that appears in the roles cgroup: renew before starting roles.
 * - Which deadline to send, and when, is the caller's decision (lease.c).
 */
#ifndef CLUSTERD_GUARD_CLIENT_H
#define CLUSTERD_GUARD_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <qb/qbloop.h>

#define CD_GUARD_SOCKET		"/run/clusterd/guard.sock"
#define CD_GUARD_RECONNECT_MS	500

struct cd_guard;

/**
 * Open the client and try to connect at once (without blocking).
 * @param loop clusterd's loop (timers and the socket's poll live there)
 * @param path the guard's socket; NULL: CD_GUARD_SOCKET. Copied.
 * @return the client (free with cd_guard_close), or NULL with errno
 *         (ENOMEM, ENAMETOOLONG for a path too long for sun_path)
 */
struct cd_guard *cd_guard_open(qb_loop_t *loop, const char *path);

/**
 * Called in the loop each time a connection comes up (so that the caller
 * can renew at once instead of waiting for its next tick). fn NULL: none.
 */
void cd_guard_on_connect(struct cd_guard *g, void (*fn)(void *ctx), void *ctx);

/**
 * Send a renewal: the lease is valid until deadline_mono_ms
 * (CLOCK_MONOTONIC, ms).
 * @return 0 sent; -ENOTCONN not connected, or g NULL (a reconnect is pending: the
 *         renewal is lost, send the next one later); -EAGAIN the socket
 *         is full (the guard is not reading); another -errno: the
 *         connection failed and is closed, a reconnect is scheduled
 */
int cd_guard_renew(struct cd_guard *g, uint64_t deadline_mono_ms);

/** Connected to the guard now. */
bool cd_guard_connected(const struct cd_guard *g);

/**
 * The lease state the guard last replied ("armed", "lapsed"), or "" when
 * it has not replied since the connection came up. Borrowed.
 */
const char *cd_guard_state(const struct cd_guard *g);

/** The socket path. Borrowed. */
const char *cd_guard_path(const struct cd_guard *g);

/** Close the connection and free. The guard keeps the lease running. NULL ok. */
void cd_guard_close(struct cd_guard *g);

#endif
