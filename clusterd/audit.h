/*
 * audit.h - who changed what: the audit trail of clusterd's IPC.
 *
 * ipc.c calls cd_audit_request() once for every request whose handler is
 * flagged CD_IPC_CHANGES (hooks.h), when its answer is known: accepted,
 * refused by validation, by quorum, by the handler, or refused as root
 * only; and cd_audit_peer_refused() for a client refused at the handshake
 * (neither root nor in haclient: its command is never read). The user is
 * the uid of the IPC credentials libqb gives at connection time, with its
 * name as this node's passwd knows it.
 *
 * Where it goes:
 *  - syslog, once, on the node that received it, with the stable tag
 *    CD_AUDIT_TAG (facility authpriv; notice, warning when refused),
 *    through the datagram socket CD_AUDIT_SOCKET, or the one named by the
 *    environment variable CD_AUDIT_SOCKET_ENV (the lab's per-node
 *    rsyslog). When the socket is not there, or a send fails (syslog gone
 *    or restarted, its queue full), the line goes to clusterd's own log
 *    instead, prefixed "clusterd-audit: ", never lost and never in both.
 *    A failed send closes the socket and the next line connects anew: of
 *    the lines after a syslog restart, at most the first goes to our log;
 *  - the replicated state, so that every node can show it: each node owns
 *    runtime.audit.<its node id>, an array of its last CD_AUDIT_KEEP
 *    requests, oldest first (lib/state-schema.h). Entries are queued and
 *    written by one change at a time, several at once when they come
 *    together; while this node cannot change the state (not in a majority,
 *    syncing) they wait, at most CD_AUDIT_QUEUE_MAX of them (the oldest
 *    dropped first, counted in the log). A refused handshake goes to
 *    syslog only: the guard bounds how often it can happen
 *    (lib/ipc-admit.h A3), and a stranger must not be able to write to the
 *    replicated state.
 * Arguments are recorded in short: values of the request's top-level
 * members, the keys only of "params" (agent parameters may hold secrets),
 * "vm" left out; at most CD_AUDIT_TEXT_MAX bytes each for the arguments and
 * the message.
 *
 * Everything runs on the loop thread.
 */
#ifndef CLUSTERD_AUDIT_H
#define CLUSTERD_AUDIT_H

#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#define CD_AUDIT_TAG		"clusterd-audit"
#define CD_AUDIT_SOCKET		"/dev/log"
#define CD_AUDIT_SOCKET_ENV	"CLUSTERD_AUDIT_SYSLOG_SOCKET"
#define CD_AUDIT_KEEP		40	/* entries per node in the state */
#define CD_AUDIT_QUEUE_MAX	64	/* waiting to be written */
#define CD_AUDIT_TEXT_MAX	160
#define CD_AUDIT_RETRY_MS	2000

struct cd_daemon;
struct cd_audit;

/** Who sent a request, as ipc.c knows it. */
struct cd_audit_who {
	uid_t uid;		/* (uid_t)-1: unknown */
	pid_t pid;
	const char *user;	/* the uid's name, or "" */
};

/**
 * Start the trail for daemon d (ipc.c, with the IPC server).
 * @return a new object, or NULL (errno ENOMEM)
 */
struct cd_audit *cd_audit_new(struct cd_daemon *d);

/** Stop: entries still queued are lost (they are in syslog). NULL is fine. */
void cd_audit_free(struct cd_audit *a);

/**
 * A request for a changing command was answered.
 * @param args    the request's arguments (borrowed; may be NULL)
 * @param err     0 or the negative error it was answered with
 * @param message the explanation sent with an error, or NULL
 */
void cd_audit_request(struct cd_audit *a, const struct cd_audit_who *who,
		      const char *cmd, json_object *args, int err,
		      const char *message);

/** A client was refused at the handshake: syslog only. */
void cd_audit_peer_refused(struct cd_audit *a, uid_t uid, gid_t gid, pid_t pid,
			   const char *why);

/**
 * The last n entries of every node's trail in the state, oldest first, as
 * {"entries": [...], "queued": N (this node's, not yet written)}.
 * @return a new object, or NULL (ENOMEM)
 */
json_object *cd_audit_list(struct cd_audit *a, size_t n);

/** Summarise a request's arguments as described above (pure; new string
 * in buf, cut at len - 1 bytes). @return buf */
const char *cd_audit_args_text(json_object *args, char *buf, size_t len);

#endif
