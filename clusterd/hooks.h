/*
 * hooks.h - how the daemon core reaches its subsystems.
 *
 * The core is main.c, the corosync glue (cs.c), the IPC server (ipc.c), the
 * replicated state (replica.c) and the self-fencing lease (heartbeat.c). It
 * names no subsystem: each part that acts on what the core learns (the
 * resource manager rm*.c, the quorum device quorum/, and next the shared
 * volumes) exports one const struct cd_hooks, and main.c registers them
 * with cd_hooks_add() before it starts anything. The core then calls every
 * registered hook of a kind, in registration order, on the one qb_loop
 * thread. As corosync's service engines expose their lib_engine[] arrays,
 * a subsystem's IPC commands are a table in its own hooks.
 *
 * Contracts common to every hook:
 *  - They run on the loop thread, never concurrently. They may run before
 *    the subsystem started or after it stopped (cs.c reports corosync's
 *    disconnect while main.c shuts down, after the subsystems): a hook
 *    then does nothing (its object, e.g. d->rm, is NULL).
 *  - A hook must not block and must not call back into the function that
 *    ran it (e.g. no cd_hooks_membership_changed() from membership_changed);
 *    it may submit state changes (cd_replica_submit) and arm timers.
 *  - Every member is optional (NULL: not interested). The struct and its
 *    tables are borrowed for the daemon's lifetime (static const).
 *  - A subsystem keeps its own object (d->rm, d->quorum); the core never
 *    reads those fields.
 */
#ifndef CLUSTERD_HOOKS_H
#define CLUSTERD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "membership.h"

struct cd_daemon;
struct cd_ipc_client;

/* A handler's return value meaning "the reply comes later". */
#define CD_IPC_DEFERRED 1

/*
 * One IPC command. fn fills *out (a new object) and returns 0, returns a
 * negative error (*out may then be {"message": ...}, cd_ipc_message()), or
 * returns CD_IPC_DEFERRED after cd_ipc_defer() to answer later. args is
 * borrowed for the call.
 */
typedef int (*cd_ipc_fn)(struct cd_daemon *d, struct cd_ipc_client *client,
			 json_object *args, json_object **out);

/* An internal command of clusterctl: root only (an haclient administrator
 * gets EACCES). */
#define CD_IPC_ROOT_ONLY	0x1u
/* The command changes the cluster: ipc.c audits every request for it,
 * refused ones included (clusterd/audit.h). */
#define CD_IPC_CHANGES		0x2u

struct cd_ipc_handler {
	const char *cmd;	/* unique over every registered table */
	cd_ipc_fn fn;
	unsigned int flags;	/* CD_IPC_ROOT_ONLY, CD_IPC_CHANGES */
};

/* What votequorum says about the quorum device's vote (cs.c fills it from
 * votequorum_getinfo for the quorum filter). */
struct cd_vote_info {
	bool device_vote_counted;	/* VOTEQUORUM_INFO_QDEVICE_CAST_VOTE */
	uint32_t total_votes;
	uint32_t qdevice_votes;
	uint32_t quorum;
};

struct cd_hooks {
	/** The subsystem's name and its section of the status document. */
	const char *name;
	/**
	 * Membership or quorum changed. Runs after the core updated d->mship,
	 * logged quorum and leader transitions and sent the "membership" event
	 * to subscribed clients.
	 */
	void (*membership_changed)(struct cd_daemon *d);
	/**
	 * cs.c's quorum numbers before they reach d->mship (every votequorum
	 * quorum callback, settle = true, and every expected-votes change,
	 * settle = false). q->witness_vote is false on entry: a filter sets it
	 * when v->device_vote_counted and the device vote is one this node
	 * really casts for the current ring (membership.h rule M1). With settle
	 * a filter may lower q->quorate (a vote votequorum counts but this node
	 * does not cast); a filter never raises it. Must not call back into
	 * the core's membership functions.
	 */
	void (*quorum_filter)(struct cd_daemon *d, struct cd_quorum_info *q,
			      const struct cd_vote_info *v, bool settle);
	/**
	 * The replicated state changed: a change was applied or adopted, a sync
	 * round ended, or this view was stamped. Runs after the state was
	 * persisted and before the "state" event is sent to clients.
	 */
	void (*state_changed)(struct cd_daemon *d);
	/**
	 * The self-fencing lease (heartbeat.h) became valid, failing or lapsed,
	 * or a peer's clusterd became stale or was heard again (lease.h L4).
	 */
	void (*lease_changed)(struct cd_daemon *d);
	/** This subsystem's section of the status document (new object, or
	 *  NULL: the section is null). */
	json_object *(*status)(struct cd_daemon *d);
	/** The subsystem's IPC commands (n_ipc entries). */
	const struct cd_ipc_handler *ipc;
	size_t n_ipc;
};

#define CD_MAX_HOOKS	8

/**
 * Register a subsystem's hooks (main.c, before the core starts).
 * @return 0, -ENOSPC (more than CD_MAX_HOOKS), -EEXIST (its name or one of
 *         its IPC commands is registered already)
 */
int cd_hooks_add(struct cd_daemon *d, const struct cd_hooks *h);

/* ---- for the core: run the registered hooks ---- */

/**
 * Any membership view changed (cs.c; the quorum device when only the vote
 * counts changed): logs quorum and leader transitions, sends the
 * "membership" event, then runs every membership_changed hook.
 * @param why short reason for the log ("cpg", "quorum", "ring", ...)
 */
void cd_hooks_membership_changed(struct cd_daemon *d, const char *why);

/** Run every quorum_filter on q (see struct cd_hooks). */
void cd_hooks_quorum_filter(struct cd_daemon *d, struct cd_quorum_info *q,
			    const struct cd_vote_info *v, bool settle);

/** Run every state_changed hook (replica.c). */
void cd_hooks_state_changed(struct cd_daemon *d);

/** Run every lease_changed hook (heartbeat.c). */
void cd_hooks_lease_changed(struct cd_daemon *d);

/**
 * The status document: the membership, then one section per registered
 * subsystem in registration order. @return a new object, or NULL (ENOMEM)
 */
json_object *cd_hooks_status(struct cd_daemon *d);

/** The registered handler of an IPC command, or NULL. */
const struct cd_ipc_handler *cd_hooks_ipc_find(struct cd_daemon *d, const char *cmd);

#endif
