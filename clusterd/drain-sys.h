/*
 * drain-sys.h - node drain as a cluster operation (clusterd/drain.c), the
 * subsystem main.c registers through cd_drain_hooks (hooks.h).
 *
 * A drain is a record in the replicated state (state-schema.h
 * CD_SP_RT_NODE_DRAIN) that any node's clusterd writes for an
 * administrator ('clusterctl node drain') or for itself (a clean stop).
 * The leader plans it with lib/drain.h (rules D1-D9) after every state or
 * membership change and carries it out through the resource manager's
 * moves, the same as 'clusterctl move' (rm-leader.c admits migrations
 * under the limits, A1-A5). Nothing lives in clusterctl or in one daemon's
 * memory: a new leader continues from the record.
 *
 * Hooks: state_changed and membership_changed queue one drain pass on the
 * loop (leader: plan and submit; the stopping node: check its drain on
 * stop; a node back after a drain on stop: end it), status (section
 * "drain": each drained node's counts), ipc: node-drain, node-show,
 * node-resume.
 */
#ifndef CLUSTERD_DRAIN_SUBSYS_H
#define CLUSTERD_DRAIN_SUBSYS_H

struct cd_daemon;
struct cd_hooks;

extern const struct cd_hooks cd_drain_hooks;

/**
 * A clean stop (SIGTERM): when the property drain-on-shutdown is true (the
 * default) and this node runs VM roles, drain the node first and call
 * stop once the drain finished or after drain-on-shutdown-s seconds;
 * otherwise (property off, no VM role here, not quorate, no state yet)
 * call stop at once, saying why in the log. stop is called exactly once,
 * from the loop or before this returns.
 */
void cd_drain_planned_stop(struct cd_daemon *d, void (*stop)(struct cd_daemon *d));

#endif
