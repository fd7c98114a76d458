/*
 * ipc-admit.h - who may hold a connection to clusterd's IPC server, and how
 * many. Pure code: clusterd/ipc-guard.c learns the peer's credentials from
 * the kernel (SO_PEERCRED, SO_PEERGROUPS) the moment libqb accepts a socket,
 * before libqb reads a byte from it or allocates anything for it, counts
 * what is open, and asks cd_ipc_admit() what to do.
 *
 * Rules, in order:
 *  A1. root (uid 0) is admitted while fewer than CD_IPC_ROOT_MAX of root's
 *      connections are open: root has a budget of its own, so no other user
 *      can crowd root's `clusterctl status` out.
 *  A2. An administrator (a uid whose primary or supplementary groups, as
 *      the kernel reports them for the socket, include haclient) is
 *      admitted while that uid holds fewer than CD_IPC_UID_MAX connections
 *      and all administrators together fewer than CD_IPC_ADMIN_MAX.
 *  A3. Anyone else is let through to libqb's handshake, where the accept
 *      callback refuses it with EACCES (so clusterctl prints "permission
 *      denied"), only while fewer than CD_IPC_DENY_PENDING_MAX such
 *      connections wait for their handshake and fewer than
 *      CD_IPC_DENY_WINDOW_MAX were let through in the current window of
 *      CD_IPC_DENY_WINDOW_MS; otherwise the socket is closed at once.
 *  A4. A connection over its budget (A1, A2) is closed at once.
 * Every socket admitted must finish libqb's handshake within
 * CD_IPC_HANDSHAKE_MS and then send its first request within
 * CD_IPC_FIRST_REQUEST_MS, or it is closed (clusterd/ipc-guard.c).
 */
#ifndef CLUSTERD_IPC_ADMIT_H
#define CLUSTERD_IPC_ADMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CD_IPC_ROOT_MAX		64
#define CD_IPC_UID_MAX		16
#define CD_IPC_ADMIN_MAX	64
#define CD_IPC_DENY_PENDING_MAX	4
#define CD_IPC_DENY_WINDOW_MAX	20
#define CD_IPC_DENY_WINDOW_MS	10000
#define CD_IPC_HANDSHAKE_MS	5000
#define CD_IPC_FIRST_REQUEST_MS	10000
/* Every socket the rules can leave open at once, plus the listener; the
 * systemd unit's LimitNOFILE leaves room for this and for the agents. */
#define CD_IPC_FD_MAX	(CD_IPC_ROOT_MAX + CD_IPC_ADMIN_MAX + \
			 CD_IPC_DENY_PENDING_MAX + 1)

/* What is open now (connections waiting for their handshake included). */
struct cd_ipc_counts {
	unsigned int root;		/* uid 0 */
	unsigned int admin;		/* every administrator (A2) */
	unsigned int uid;		/* of the peer's uid */
	unsigned int deny_pending;	/* A3 sockets waiting for the handshake */
	unsigned int deny_window;	/* A3 sockets let through this window */
};

struct cd_ipc_peer {
	uid_t uid;
	bool admin;	/* haclient is its primary or a supplementary group */
};

enum cd_ipc_verdict {
	CD_IPC_ADMIT = 0,	/* A1, A2 */
	CD_IPC_LET_REFUSE,	/* A3: let libqb refuse it with EACCES */
	CD_IPC_CLOSE_DENIED,	/* A3 over its bounds: closed at once */
	CD_IPC_CLOSE_BUSY,	/* A4 */
};

/** The rules above. Pure. */
enum cd_ipc_verdict cd_ipc_admit(const struct cd_ipc_peer *p,
				 const struct cd_ipc_counts *n);

/** "admitted", "let through to be refused", ... for the log. */
const char *cd_ipc_verdict_str(enum cd_ipc_verdict v);

/**
 * Whether gid is among n gids (the peer's primary group and SO_PEERGROUPS).
 * Pure.
 */
bool cd_ipc_gid_in(gid_t gid, const gid_t *gids, unsigned int n);

#endif
