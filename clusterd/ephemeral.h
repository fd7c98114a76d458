/*
 * ephemeral.h - this daemon's overlay of values that change several times
 * a second (a live migration's progress): carried to every node in CPG
 * EPHEMERAL messages, kept in memory, shown on top of the replicated state
 * to IPC clients, and never applied to the state, saved or fsynced
 * (lib/state-overlay.h O1-O5 say which values are shown and for how long).
 * Phase transitions and everything that must survive a restart stay in
 * replicated changes (replica.c).
 *
 * Everything runs on the daemon's qb_loop; there is one overlay per
 * process (emptied by cd_ephemeral_clear when the replica stops).
 */
#ifndef CLUSTERD_EPHEMERAL_H
#define CLUSTERD_EPHEMERAL_H

#include <stdint.h>
#include <json-c/json.h>

struct cd_daemon;

/**
 * Multicast one update (test and set operations, borrowed) to the group.
 * Best effort: nothing waits for it and a lost update is replaced by the
 * next one. @return 0, or -errno (-EINVAL for a body cpgmsg refuses,
 * -ENOTCONN, -ENOMEM ...)
 */
int cd_ephemeral_send(struct cd_daemon *d, json_object *ops);

/**
 * replica.c: a delivered EPHEMERAL body (borrowed). Keeps its values
 * (judged against this node's replicated state) and, when kept, sends
 * subscribed IPC clients an "ephemeral" event {"node": id, "ops": [...]}
 * so that followers re-read at once.
 */
void cd_ephemeral_deliver(struct cd_daemon *d, uint32_t nodeid, json_object *body);

/**
 * The member at prefix (a state path, e.g. "runtime.roles.web") as shown
 * to clients: a new reference to member itself when no value applies,
 * else a deep copy of it with the values merged (O5). member may be NULL
 * (then NULL is returned).
 */
json_object *cd_ephemeral_view(struct cd_daemon *d, const char *prefix, json_object *member);

/** Forget every value (the replica stops). */
void cd_ephemeral_clear(void);

#endif
