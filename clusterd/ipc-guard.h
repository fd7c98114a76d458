/*
 * ipc-guard.h - what stands between clusterd's IPC socket and libqb.
 *
 * libqb accepts every connection to its abstract setup socket and keeps it,
 * with a little state, until the client sends its handshake; nothing in its
 * API runs before that. So ipc.c gives libqb the guard's poll handlers: every
 * socket libqb wants polled passes through them, and the guard
 *  - recognises a newly accepted socket (libqb's first dispatch_add of it),
 *    asks the kernel who is on the other end (SO_PEERCRED; SO_PEERGROUPS for
 *    the supplementary groups) and applies lib/ipc-admit.h's rules before
 *    libqb reads from it or allocates anything for it: a socket that is
 *    refused makes dispatch_add fail, and libqb closes it at once;
 *  - counts every socket it polls by uid (handshakes and connections), for
 *    the budgets of those rules;
 *  - closes sockets whose handshake does not complete within
 *    CD_IPC_HANDSHAKE_MS (cd_ipc_guard_sweep(), as if the peer had hung
 *    up, so libqb frees what it holds);
 *  - logs refusals at most once per CD_IPC_GUARD_LOG_MS, with counts.
 * A socket libqb adds while it processes a handshake on that same socket
 * (its dispatch function is running through the guard) is the established
 * connection: it keeps the peer's identity and its place in the budgets.
 *
 * One guard per process (libqb's poll hooks carry no context); everything
 * runs on the loop thread.
 */
#ifndef CLUSTERD_IPC_GUARD_H
#define CLUSTERD_IPC_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <qb/qbipcs.h>
#include <qb/qbloop.h>

#define CD_IPC_GUARD_LOG_MS	10000
#define CD_ADMIN_GROUP		"haclient"

/* The peer of a socket, as the kernel reported it at connect(). */
struct cd_ipc_peer_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool admin;	/* root, or haclient among its groups */
};

/**
 * Start the guard for one IPC service on loop.
 * @return 0, -EEXIST (one exists), -ENOMEM
 */
int cd_ipc_guard_start(qb_loop_t *loop);

/** Stop it (after qb_ipcs_destroy: libqb has deleted every socket). */
void cd_ipc_guard_stop(void);

/** The poll handlers to give libqb (qb_ipcs_poll_handlers_set). */
void cd_ipc_guard_handlers(struct qb_ipcs_poll_handlers *h);

/**
 * Around qb_ipcs_run(): the socket libqb adds in between is the listener.
 */
void cd_ipc_guard_publishing(bool on);

/**
 * The peer of the socket whose handshake libqb is processing now (for the
 * connection_accept callback), or NULL when there is none (a connection
 * not accepted through the guard).
 */
const struct cd_ipc_peer_cred *cd_ipc_guard_handshake_peer(void);

/**
 * Close handshakes older than CD_IPC_HANDSHAKE_MS, flush the refusal
 * summary to the log when due; ipc.c calls it every second.
 */
void cd_ipc_guard_sweep(uint64_t now_ms);

/** For the status document: sockets open, refusals since start. */
void cd_ipc_guard_counts(unsigned int *open, unsigned int *handshaking,
			 uint64_t *refused, uint64_t *timed_out);

#endif
