/*
 * hooks.c - the core's registry of subsystem hooks (see hooks.h), the
 * membership transitions the core logs and the status document.
 */
#include "hooks.h"
#include "daemon.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

int
cd_hooks_add(struct cd_daemon *d, const struct cd_hooks *h)
{
	if (d->n_hooks >= CD_MAX_HOOKS)
		return -ENOSPC;
	for (size_t i = 0; i < d->n_hooks; i++) {
		if (!strcmp(d->hooks[i]->name, h->name))
			return -EEXIST;
	}
	for (size_t i = 0; i < h->n_ipc; i++) {
		if (cd_hooks_ipc_find(d, h->ipc[i].cmd)) {
			cd_err("ipc: command %s of %s is registered already", h->ipc[i].cmd,
			       h->name);
			return -EEXIST;
		}
	}
	d->hooks[d->n_hooks++] = h;
	return 0;
}

const struct cd_ipc_handler *
cd_hooks_ipc_find(struct cd_daemon *d, const char *cmd)
{
	for (size_t i = 0; i < d->n_hooks; i++) {
		for (size_t j = 0; j < d->hooks[i]->n_ipc; j++) {
			if (!strcmp(d->hooks[i]->ipc[j].cmd, cmd))
				return &d->hooks[i]->ipc[j];
		}
	}
	return NULL;
}

json_object *
cd_hooks_status(struct cd_daemon *d)
{
	json_object *st = cd_membership_to_json(&d->mship);

	if (!st)
		return NULL;
	json_object_object_add(st, "changed_mono_ns",
			       json_object_new_int64((int64_t)d->mship_changed_ns));
	json_object_object_add(st, "daemon_pid", json_object_new_int64((int64_t)getpid()));
	for (size_t i = 0; i < d->n_hooks; i++) {
		if (d->hooks[i]->status)
			json_object_object_add(st, d->hooks[i]->name, d->hooks[i]->status(d));
	}
	return st;
}

/* Log quorum and leader transitions once each. */
static void
log_transitions(struct cd_daemon *d, const char *why)
{
	const struct cd_membership *m = &d->mship;
	uint32_t leader = cd_membership_leader(m);

	if (cd_membership_majority(m) != d->last_quorate)
		cd_notice("quorum: %s (%u of %u expected votes, %u needed; clusterd "
			  "on %zu of %zu configured nodes%s)",
			  cd_membership_majority(m) ? "quorate" : "NOT quorate",
			  m->quorum.total_votes, m->quorum.expected_votes,
			  m->quorum.quorum, cd_membership_count_group(m),
			  cd_membership_count_configured(m),
			  m->quorum.witness_vote ? " + the witness" : "");
	if (leader != d->last_leader) {
		const struct cd_node *n = cd_membership_node(m, leader);

		if (leader)
			cd_notice("leader: node %s (id %" PRIu32 ")",
				  n ? n->name : "?", leader);
		else
			cd_notice("leader: none (%s)", m->quorum_stale ?
				  "quorum not settled after a ring change" : "not quorate");
	}
	d->last_quorate = cd_membership_majority(m);
	d->last_leader = leader;
	cd_info("membership (%s): %zu node(s) up, ring %" PRIu32 ".%" PRIx64,
		why, cd_membership_count_up(m), m->ring_node, m->ring_seq);
}

void
cd_hooks_membership_changed(struct cd_daemon *d, const char *why)
{
	json_object *st;

	d->mship_changed_ns = cd_now_mono_ns();
	log_transitions(d, why);
	st = cd_hooks_status(d);
	if (st) {
		json_object_object_add(st, "reason", json_object_new_string(why));
		cd_ipc_broadcast(d, "membership", st);
		json_object_put(st);
	}
	for (size_t i = 0; i < d->n_hooks; i++) {
		if (d->hooks[i]->membership_changed)
			d->hooks[i]->membership_changed(d);
	}
}

void
cd_hooks_quorum_filter(struct cd_daemon *d, struct cd_quorum_info *q,
		       const struct cd_vote_info *v, bool settle)
{
	for (size_t i = 0; i < d->n_hooks; i++) {
		if (d->hooks[i]->quorum_filter)
			d->hooks[i]->quorum_filter(d, q, v, settle);
	}
}

void
cd_hooks_state_changed(struct cd_daemon *d)
{
	for (size_t i = 0; i < d->n_hooks; i++) {
		if (d->hooks[i]->state_changed)
			d->hooks[i]->state_changed(d);
	}
}

void
cd_hooks_lease_changed(struct cd_daemon *d)
{
	for (size_t i = 0; i < d->n_hooks; i++) {
		if (d->hooks[i]->lease_changed)
			d->hooks[i]->lease_changed(d);
	}
}
