/*
 * rm-restart.c - a planned stop of clusterd (SIGTERM: a restart, a package
 * upgrade) keeps the local roles running under a longer lease.
 *
 * Roles survive a clusterd restart (VMs must), but under the self-fencing
 * lease (lib/lease.h) they survive only if the new clusterd renews it
 * before it lapses: lease-ms, 2 s by default, less than a restart takes on
 * a busy host. So a planned stop first records a grace in the replicated
 * state, runtime.nodes.NAME.restart_grace_ms = G (property
 * restart-grace-ms), and waits until a majority of the nodes has it
 * (sync.h S5). Only then it extends the guard's lease to t_s + G, t_s
 * taken before the change was sent. Every node that decides about this
 * node after that has the record in its state (any later majority view
 * holds it) and learned of the loss after t_s, so waiting G instead of
 * lease-ms from the loss (rm-leader.c recovery_at) covers the extended
 * lease (lease.h L5 with G). The restarted clusterd, once ready, deletes
 * the record. A stop that cannot record the grace within STOP_WAIT_MS (not
 * quorate, no roles here) just stops: the normal lease applies.
 */
#include "rm-int.h"
#include "heartbeat.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define STOP_WAIT_MS			3000
#define RESTART_GRACE_MS_DEFAULT	20000

struct planned_stop {
	struct cd_daemon *d;
	void (*stop)(struct cd_daemon *d);
	uint64_t t_s;
	uint32_t grace_ms;
	bool done;
	qb_loop_timer_handle timer;
};

static void
finish(struct planned_stop *ps, const char *why)
{
	if (ps->done)
		return;
	ps->done = true;
	qb_loop_timer_del(ps->d->loop, ps->timer);
	cd_notice("rm: planned stop: %s", why);
	ps->stop(ps->d);
}

static void
recorded(void *ctx, int err, const char *msg)
{
	struct planned_stop *ps = ctx;
	char why[256];

	if (ps->done) {
		free(ps);	/* the timer stopped us already */
		return;
	}
	if (err == 0 && ps->d->on_lease_renewed) {
		/* a majority has the record: the lease may run for the grace */
		ps->d->on_lease_renewed(ps->d, ps->t_s + ps->grace_ms);
		snprintf(why, sizeof(why), "the local roles keep running for up to %" PRIu32
			 " ms while clusterd restarts", ps->grace_ms);
	} else {
		snprintf(why, sizeof(why), "restart grace not recorded (%s); the roles "
			 "keep the normal lease", err ? (msg ? msg : strerror(-err)) :
			 "no guard");
	}
	finish(ps, why);
	free(ps);
}

static void
timeout_fn(void *data)
{
	struct planned_stop *ps = data;

	/* recorded() still comes (the replica answers or times out) and frees */
	finish(ps, "restart grace not confirmed in time; the roles keep the normal lease");
}

static bool
roles_here(struct cd_rm *rm)
{
	size_t i;

	for (i = 0; i < rm->n_local; i++) {
		if (rm->local[i].running)
			return true;
	}
	return false;
}

void
cd_rm_planned_stop(struct cd_daemon *d, void (*stop)(struct cd_daemon *d))
{
	struct cd_rm *rm = d->rm;
	struct planned_stop *ps;
	json_object *ops;
	const char *me;

	if (!rm || !roles_here(rm) || !cd_replica_ready(d) || !cd_hb_lease_valid(d) ||
	    !(me = rm_local_name(rm)) || !me[0]) {
		stop(d);
		return;
	}
	ps = calloc(1, sizeof(*ps));
	ops = json_object_new_array();
	if (!ps || !ops) {
		free(ps);
		json_object_put(ops);
		stop(d);
		return;
	}
	ps->d = d;
	ps->stop = stop;
	ps->grace_ms = (uint32_t)rm_prop_int(rm, "restart-grace-ms", RESTART_GRACE_MS_DEFAULT);
	ps->t_s = cd_now_mono_ms();
	cd_sp_op(ops, "set", json_object_new_int64(ps->grace_ms), CD_SP_RT_NODE_RESTART_GRACE, me);
	if (cd_replica_submit_committed(d, ops, recorded, ps) < 0) {
		json_object_put(ops);
		free(ps);
		cd_notice("rm: planned stop: restart grace cannot be recorded; the roles keep "
			  "the normal lease");
		stop(d);
		return;
	}
	json_object_put(ops);
	cd_notice("rm: planned stop: recording a restart grace of %" PRIu32 " ms", ps->grace_ms);
	qb_loop_timer_add(d->loop, QB_LOOP_HIGH, (uint64_t)STOP_WAIT_MS * QB_TIME_NS_IN_MSEC,
			  ps, timeout_fn, &ps->timer);
}

uint32_t
rm_node_lease_ms(struct cd_rm *rm, uint32_t nodeid)
{
	const struct rm_node_rt *n = rm_model_node_id(&rm->model, nodeid);
	uint32_t lease = cd_hb_lease_ms(rm->d);

	return n && n->restart_grace_ms > lease ? n->restart_grace_ms : lease;
}

static void
cleared(void *ctx, int err, const char *msg)
{
	struct cd_rm *rm = ctx;

	rm->restart_clearing = false;
	if (err)
		cd_debug("rm: restart grace not cleared yet: %s", msg ? msg : strerror(-err));
}

void
rm_restart_duties(struct cd_rm *rm)
{
	struct rm_node_rt *me = rm_model_node_id(&rm->model, rm->d->mship.local_id);
	json_object *ops;

	/*
	 * Only a new incarnation clears the grace: the stopping daemon sees
	 * its own record applied (a reconcile after the commit, or one more
	 * turn of the loop at shutdown) and would otherwise delete it at
	 * once; the cluster would then recover its roles after the normal
	 * lease while they still run (test-roles g).
	 */
	if (rm->d->stopping || !me || !me->restart_grace_ms || rm->restart_clearing ||
	    !cd_hb_lease_valid(rm->d))
		return;
	ops = json_object_new_array();
	if (!ops)
		return;
	cd_sp_op(ops, "delete", NULL, CD_SP_RT_NODE_RESTART_GRACE, me->name);
	rm->restart_clearing = cd_replica_submit(rm->d, ops, cleared, rm) == 0;
	if (rm->restart_clearing)
		cd_info("rm: back after a planned stop: clearing the restart grace");
	json_object_put(ops);
}
