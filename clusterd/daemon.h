/*
 * daemon.h - clusterd's daemon object and the interfaces of its core: the
 * corosync glue (cs.c), the IPC server (ipc.c), the replicated state
 * (replica.c). Subsystems (the resource manager, the quorum device) plug in
 * through hooks.h; their own interfaces are in their headers (rm.h,
 * quorum/quorum.h), which only main.c includes. One qb_loop drives
 * everything; no module blocks it.
 */
#ifndef CLUSTERD_DAEMON_H
#define CLUSTERD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <qb/qbloop.h>
#include <json-c/json.h>

#include "hooks.h"
#include "membership.h"
#include "state.h"

#define CD_RUNTIME_DIR		"/run/clusterd"
/* Present at SIGTERM: the stop is a restart that keeps the roles (no drain
 * on shutdown); clusterd removes it. Written by the package's postinst
 * before an upgrade's restart, or by an administrator. */
#define CD_KEEP_ROLES_MARKER	CD_RUNTIME_DIR "/keep-roles-on-stop"
#define CD_STATE_DIR		"/var/lib/clusterd"
#define CD_CONFIG_PATH		"/etc/clusterd/clusterd.conf"
#define CD_CPG_GROUP		"clusterd"
#define CD_RECONNECT_MS		1000

struct cd_cs;
struct cd_guard;
struct cd_ipc;
struct cd_replica;
struct cd_rm;
struct cd_witness;
struct cd_hb;
struct cd_ipc_client;	/* one connected clusterctl */
struct cd_ipc_deferred;	/* a request answered later */

struct cd_daemon {
	qb_loop_t *loop;
	const char *runtime_dir;
	const char *state_dir;
	const char *config_path;	/* clusterd.conf written by 'clusterctl create' */
	struct cd_membership mship;
	uint64_t mship_changed_ns;	/* when the view last changed */
	uint32_t last_leader;		/* to log leader changes once */
	bool last_quorate;
	bool stopping;			/* SIGTERM seen: a planned stop under way */
	uint32_t totem_token_ms;	/* corosync's runtime token timeout (0: unknown) */
	uint32_t totem_consensus_ms;	/* and consensus */
	struct cd_cs *cs;
	struct cd_ipc *ipc;
	struct cd_replica *replica;
	struct cd_hb *hb;		/* heartbeat.c: the self-fencing lease */
	/* The subsystems' own objects: the core never reads them (hooks.h). */
	struct cd_rm *rm;		/* rm.c */
	struct cd_witness *witness;	/* quorum/ */
	/* Called (in the loop) with each lease renewal: the lease is valid
	 * until deadline_ms (CLOCK_MONOTONIC); the guard client hands it on. */
	void (*on_lease_renewed)(struct cd_daemon *d, uint64_t deadline_ms);
	struct cd_guard *guard;		/* guard-client.c: clusterd-guard; NULL: none */
	/* hooks.h: the registered subsystems, in registration order */
	const struct cd_hooks *hooks[CD_MAX_HOOKS];
	size_t n_hooks;
};

/* cs.c: the corosync connections (cmap, votequorum, cpg). */

/**
 * Connect to corosync and join the process group. When corosync is not
 * there (now or later) the module retries every CD_RECONNECT_MS and keeps
 * the membership marked disconnected meanwhile; it never fails the daemon.
 * @return 0, or -ENOMEM
 */
int cd_cs_start(struct cd_daemon *d);

/** Leave the group and close the connections. Safe to call twice. */
void cd_cs_stop(struct cd_daemon *d);

/**
 * Multicast a message to the group in total order (CPG_TYPE_AGREED). When
 * corosync applies flow control the message is queued and sent in order
 * as soon as it can be. @return 0, -ENOTCONN, -ENOMEM, -EMSGSIZE
 */
int cd_cs_send(struct cd_daemon *d, const void *buf, size_t len);

/* ipc.c: the libqb IPC server clusterctl talks to. */

/** @return 0, or a negative errno when the server cannot be created */
int cd_ipc_start(struct cd_daemon *d);
void cd_ipc_stop(struct cd_daemon *d);

/**
 * Send an event to every subscribed client. data is borrowed.
 * Clients that cannot take it (full queue) miss it; a warning is logged.
 */
void cd_ipc_broadcast(struct cd_daemon *d, const char *event,
		      json_object *data);

/**
 * The explanation a failing handler returns in *out: {"message": text};
 * ipc.c sends it as the error's message. @return a new object or NULL
 */
json_object *cd_ipc_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Keep a request open: the handler returns CD_IPC_DEFERRED and answers
 * later with cd_ipc_complete(). Holds a reference on the connection.
 * @return the token, or NULL (ENOMEM): then answer at once
 */
struct cd_ipc_deferred *cd_ipc_defer(struct cd_ipc_client *client);

/**
 * Answer a deferred request (data borrowed; err 0 = ok) and free the token.
 * If the client went away meanwhile, the answer is dropped.
 */
void cd_ipc_complete(struct cd_ipc_deferred *def, json_object *data, int err,
		     const char *message);

/* replica*.c: the replicated cluster state. */

/** Load the state from disk (or clusterd.conf). @return 0 or -ENOMEM */
int cd_replica_start(struct cd_daemon *d);
void cd_replica_stop(struct cd_daemon *d);
/** Answer every change still on its way with "stopping" (before rm stops). */
void cd_replica_cancel_pending(struct cd_daemon *d);

/** The CPG membership changed: start a synchronisation round. */
void cd_replica_confchg(struct cd_daemon *d, const uint32_t *members,
			size_t n);

/** A message arrived from the group, in total order. */
void cd_replica_deliver(struct cd_daemon *d, uint32_t nodeid,
			const void *msg, size_t len);

/** corosync went away: fail pending changes, stop any sync round. */
void cd_replica_disconnected(struct cd_daemon *d);

/* Result of an internal change: err 0 once applied on this node. */
typedef void (*cd_change_done_fn)(void *ctx, int err, const char *msg);

/**
 * Submit a change from inside clusterd (the resource manager): checked like
 * a client's (quorate, not syncing, valid), then multicast; done is called
 * when it was applied (or refused) here, or on timeout.
 * @return 0 when sent (done will be called), or a negative error (done
 *         will not be called)
 */
int cd_replica_submit(struct cd_daemon *d, json_object *ops,
		      cd_change_done_fn done, void *ctx);

/** The current state (borrowed; NULL before start). */
const struct cd_state *cd_replica_state(struct cd_daemon *d);

/**
 * A state exists, no sync round is in progress and this view is
 * established (lib/sync.h S4): what leader duties, fencing, registration and starting
 * roles may rely on. False on a restarted node until it has synchronised
 * with a majority.
 */
bool cd_replica_ready(struct cd_daemon *d);

/**
 * Like cd_replica_submit(), but done is called only once a strict majority
 * of the configured nodes has the change (sync.h S5), or with an error
 * (-CD_E_UNCONFIRMED when the view ended first, -ETIMEDOUT).
 */
int cd_replica_submit_committed(struct cd_daemon *d, json_object *ops,
				cd_change_done_fn done, void *ctx);

/** The configured node ids (the state's node list). @return their count */
size_t cd_replica_configured(struct cd_daemon *d, uint32_t *ids);

/** cd_replica_ready() in a majority view: administrators' changes commit. */
bool cd_replica_client_changes(struct cd_daemon *d);

/**
 * Take a document from outside the group (the witness copy at start-up,
 * quorum/qdevice.c) when it is a newer generation of our cluster; persisted.
 * @return 0, or -CD_E_STATE_INVALID / -ESTALE (not newer), doc borrowed
 */
int cd_replica_adopt(struct cd_daemon *d, json_object *doc, const char *why);

/**
 * S7 (lib/sync.h): this node casts the witness vote in a half view whose
 * round is done and which nobody claimed yet: multicast the claim, with an
 * epoch above the round's and copy_epoch (the newest epoch this node knows
 * on the witness LUN) and the state to go on from: the round's, or newer
 * (borrowed; the copy read at a takeover) when it is a newer state of our
 * cluster.
 * @return 0 when sent, -EAGAIN when there is nothing to claim, -ENOMEM
 */
int cd_replica_claim(struct cd_daemon *d, json_object *newer, uint64_t copy_epoch);

/**
 * S7: a half view whose members all promised its epoch and that is not
 * established yet: the document the witness holder writes to the LUN (the
 * state with the promised epoch), *epoch set. Its cd_replica_witness_written
 * establishes the view.
 * @return a new document (the caller's), or NULL
 */
json_object *cd_replica_establish_doc(struct cd_daemon *d, uint64_t *epoch);

/** S5, S7: the witness LUN holds (epoch, generation) of this view's
 *  epoch: multicast WITNESS_ACK (it establishes a half view; a half view
 *  commits only what the witness copy holds). */
void cd_replica_witness_written(struct cd_daemon *d, uint64_t epoch, uint64_t generation);

/** The replicated state's part of the status and IPC (hooks.h): section
 *  "state", config-* and nodes-update commands. */
extern const struct cd_hooks cd_replica_hooks;

#endif
