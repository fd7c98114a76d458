/*
 * rm.h - the resource manager (roles, resources, fencing; clusterd/rm*.c)
 * as main.c sees it: start, stop, a planned stop, and its hooks. The core
 * reaches it only through cd_rm_hooks (hooks.h).
 */
#ifndef CLUSTERD_RM_H
#define CLUSTERD_RM_H

#include <stddef.h>

struct cd_daemon;
struct cd_policy_input;
struct rm_role;

/**
 * Create the executor and the fencing worker, arm the start-up grace and
 * set d->rm. @return 0, or -ENOMEM / -errno
 */
int cd_rm_start(struct cd_daemon *d);

/** Free everything; the resources keep running (VMs survive a restart).
 *  Safe to call when not started. */
void cd_rm_stop(struct cd_daemon *d);

/**
 * A planned stop (SIGTERM): record a restart grace so the local roles
 * survive the restart under a longer lease (rm-restart.c), then call stop.
 * stop is called exactly once, from the loop or before this returns.
 */
void cd_rm_planned_stop(struct cd_daemon *d, void (*stop)(struct cd_daemon *d));

/**
 * The resource manager's hooks (rm.c): membership_changed (quorum lost:
 * self-fence at once; otherwise a reconcile pass), state_changed and
 * lease_changed (a reconcile pass), status (section "rm": internal changes
 * the cluster refused, rm-util.c) and the role-*, resource-*, node-* and
 * storage-* IPC commands (rm-ipc.c).
 */
extern const struct cd_hooks cd_rm_hooks;

/*
 * For the drain subsystem (clusterd/drain.c): the policy engine's input as
 * the resource manager sees the state now (reloaded), and its roles
 * (rm-model.h) in the same order. Valid until cd_rm_view_put, on the loop.
 */
struct cd_rm_view {
	const struct cd_policy_input *in;
	const struct rm_role *roles;
	void *priv;
};
/** @return 0, -EAGAIN (no resource manager), -ENOMEM */
int cd_rm_view_get(struct cd_daemon *d, struct cd_rm_view *v);
void cd_rm_view_put(struct cd_daemon *d, struct cd_rm_view *v);

#endif
