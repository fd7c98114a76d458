/*
 * policy.c - the policy engine (see policy.h for the rules). Pure code: no
 * I/O, no state between runs, one scratch allocation per run.
 *
 * A run validates the input, emits a FENCE per lost unfenced node, then
 * decides the roles in priority order (higher first, then by name) in three
 * passes, each decision seeing the load left by the earlier ones:
 *   pass 1  rules 1-6, 9: leave alone, STOP, START (placement), RESTART/STOP;
 *   pass 2  rule 7: the administrator's moves;
 *   pass 3  rule 8: failback.
 * Actions come out in decision order, so when max cuts the list short the
 * first max actions are still valid and are the most important ones.
 *
 * Where policy.h leaves room, the choices (what an HA administrator expects):
 *  - Safety first: a role whose owner is DOWN_UNFENCED gets no action at
 *    all, whatever its recorded state (even STOPPED: that record may be
 *    stale). Its START comes only after the FENCE is recorded.
 *  - A role owned by a DOWN_FENCED node runs nowhere, whatever its recorded
 *    state (STARTED, FAILED, STARTING, STOPPING): rule 2 comes before rule 3,
 *    since a transition on a fenced node never completes. With its target
 *    STOPPED it needs nothing (the caller clears the owner).
 *  - Recovery before discretionary moves: STARTs (and stops/restarts) of all
 *    roles are decided before any MOVE, so a failback or a requested move
 *    never takes the room a stopped role needs. Requested moves go before
 *    failbacks: a refused request is final, a failback is retried next run.
 *  - Capacity is conservative within a run: a STOP or a MOVE does not free
 *    its memory on the old node until a later run (the stop may not have
 *    finished when the next start begins). A node's load is the declared
 *    memory and count of the roles it owns in any state but STOPPED, plus
 *    this run's STARTs and MOVEs to it. A role declaring 0 MiB always fits.
 *  - "Least loaded" compares the declared memory used (MiB, absolute, not a
 *    fraction of the capacity: a node with unlimited memory has no
 *    fraction), then the role count, then the lowest node id.
 *  - failover_threshold 0 means no threshold (as Pacemaker's
 *    migration-threshold=0): always restart locally, never banned. With a
 *    threshold T > 0 a node is banned when the role's failures there >= T.
 *  - Failback moves only "up" the preferred-owner list: to the most
 *    preferred valid node, and only if it comes before the current owner in
 *    that list (a role on a non-preferred node counts as last). A role on
 *    n2 with n1 paused or full stays on n2; it never moves sideways to n3.
 *  - A WINDOW [s, e) with s == e is empty (never fails back): the
 *    conservative reading, since a failback interrupts the role.
 *  - move_to is honoured for a STARTED role on an up owner (rule 7). For a
 *    role that runs nowhere and must start, a valid move_to is where it
 *    starts (the administrator's choice beats the preferred owners); if it
 *    is not valid the role is placed as usual and the request is decided
 *    (MOVE or REFUSE_MOVE) in a later run. A role whose target is STOPPED
 *    and that runs nowhere gets REFUSE_MOVE ("role is stopped"). A move to
 *    the current owner is refused ("already runs there"), so the caller
 *    can clear the request. Roles in a transition keep their request.
 *    REFUSE_MOVE's node is the requested node, or -1 when it is unknown.
 *  - Rule 8 is stateless: a role the administrator moved off its preferred
 *    owner fails back like any other (WSFC fails back only after a
 *    failover); to keep it there, the caller changes its preferred owners.
 *  - Names in preferred/possible lists that name no input node are ignored
 *    (a node removed from the cluster must not stop the policy); an unknown
 *    move_to is refused with a reason. An unknown owner is -EINVAL, as is a
 *    role in any state but STOPPED without an owner; a STOPPED role may keep
 *    its last owner (ignored, but it must be a known node).
 *  - "reason recorded" for an unplaceable role: the output has no action
 *    type for it, so the engine emits nothing (as the header says); the
 *    caller sees a role with target STARTED that got no action.
 *  - Besides 0, -E2BIG and -EINVAL, a run can return -ENOMEM (scratch).
 *  - Rule 9's home is the owner while there is one (also a lost one: the
 *    disks went down with it), else last_owner; one no input node has is
 *    waited for like a down node. A not-HA role starts on its home even when
 *    a move was asked; the request is decided once it runs (a live move).
 */
#include "policy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_NODE		(-1)
#define GONE_NODE	(-2)	/* rule 9: a home that no input node has */
#define MAX_HOUR	23u

/* Why a node is not a valid placement for a role (rule 5's conditions). */
enum fit {
	FIT_OK = 0,
	FIT_DOWN,
	FIT_PAUSED,
	FIT_NOT_POSSIBLE,
	FIT_BANNED,
	FIT_NO_ROOM,
};

struct run {
	const struct cd_policy_input *in;
	struct cd_action *out;
	size_t max;
	size_t count;		/* actions decided (may exceed max) */
	int *owner;		/* per role: owner's node index or NO_NODE */
	size_t *order;		/* role indices in decision order */
	uint64_t *mem;		/* per node: declared memory placed there */
	size_t *cnt;		/* per node: roles placed there */
};

/* ---- output ---- */

static void
emit(struct run *r, enum cd_action_type type, int role, int node,
     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
emit(struct run *r, enum cd_action_type type, int role, int node,
     const char *fmt, ...)
{
	struct cd_action *a;
	va_list ap;

	if (r->count++ >= r->max)
		return;
	a = &r->out[r->count - 1];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->role = role;
	a->node = node;
	va_start(ap, fmt);
	if (vsnprintf(a->reason, sizeof(a->reason), fmt, ap) < 0)
		a->reason[0] = '\0';
	va_end(ap);
}

const char *
cd_action_str(enum cd_action_type t)
{
	switch (t) {
	case CD_ACT_FENCE: return "fence";
	case CD_ACT_START: return "start";
	case CD_ACT_STOP: return "stop";
	case CD_ACT_RESTART: return "restart";
	case CD_ACT_MOVE: return "move";
	case CD_ACT_REFUSE_MOVE: return "refuse-move";
	}
	return "unknown";
}

/* ---- lookups ---- */

static bool
name_ok(const char *s)
{
	return memchr(s, '\0', CD_POLICY_NAME_MAX) != NULL;
}

static int
node_index(const struct cd_policy_input *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->n_nodes; i++) {
		if (strcmp(in->nodes[i].name, name) == 0)
			return (int)i;
	}
	return NO_NODE;
}

static const char *
node_name(const struct run *r, int node)
{
	return node >= 0 ? r->in->nodes[node].name : "";
}

static bool
possible(const struct cd_prole *role, const char *node)
{
	size_t i;

	if (role->n_possible == 0)
		return true;
	for (i = 0; i < role->n_possible; i++) {
		if (strcmp(role->possible[i], node) == 0)
			return true;
	}
	return false;
}

static unsigned
failures(const struct cd_prole *role, int node)
{
	return role->failures ? role->failures[node] : 0;
}

static bool
banned(const struct cd_prole *role, int node)
{
	return role->failover_threshold > 0 &&
	       failures(role, node) >= role->failover_threshold;
}

static bool
room(const struct run *r, const struct cd_prole *role, int node)
{
	uint64_t cap = r->in->nodes[node].memory_mib, used = r->mem[node];

	if (role->memory_mib == 0 || cap == 0)
		return true;
	return used <= cap && role->memory_mib <= cap - used;
}

static enum fit
fit(const struct run *r, const struct cd_prole *role, int node)
{
	const struct cd_pnode *n = &r->in->nodes[node];

	if (n->state != CD_PNODE_UP)
		return FIT_DOWN;
	if (n->paused)
		return FIT_PAUSED;
	if (!possible(role, n->name))
		return FIT_NOT_POSSIBLE;
	if (banned(role, node))
		return FIT_BANNED;
	if (!room(r, role, node))
		return FIT_NO_ROOM;
	return FIT_OK;
}

static void
place_on(struct run *r, const struct cd_prole *role, int node)
{
	uint64_t m = r->mem[node] + role->memory_mib;

	r->mem[node] = m < r->mem[node] ? UINT64_MAX : m;	/* saturate */
	r->cnt[node]++;
}

/* Position in the preferred-owner list; n_preferred when not in it. */
static size_t
pref_rank(const struct cd_prole *role, const char *node)
{
	size_t i;

	for (i = 0; i < role->n_preferred; i++) {
		if (strcmp(role->preferred[i], node) == 0)
			return i;
	}
	return role->n_preferred;
}

/* ---- validation ---- */

static int
check_nodes(const struct cd_policy_input *in)
{
	size_t i, j;

	if (in->n_nodes && !in->nodes)
		return -EINVAL;
	for (i = 0; i < in->n_nodes; i++) {
		const struct cd_pnode *n = &in->nodes[i];

		if (!name_ok(n->name) || !n->name[0] ||
		    (unsigned)n->state > CD_PNODE_DOWN_FENCED)
			return -EINVAL;
		for (j = 0; j < i; j++) {
			if (in->nodes[j].id == n->id ||
			    strcmp(in->nodes[j].name, n->name) == 0)
				return -EINVAL;
		}
	}
	return 0;
}

static int
check_role(const struct cd_policy_input *in, const struct cd_prole *role,
	   int *owner)
{
	size_t i;

	if (!name_ok(role->name) || !role->name[0] || !name_ok(role->owner) ||
	    !name_ok(role->move_to) || !name_ok(role->last_owner) ||
	    role->n_preferred > CD_POLICY_MAX_OWNERS ||
	    role->n_possible > CD_POLICY_MAX_OWNERS ||
	    (unsigned)role->state > CD_ROLE_FAILED ||
	    (unsigned)role->failback > CD_FAILBACK_WINDOW)
		return -EINVAL;
	if (role->failback == CD_FAILBACK_WINDOW &&
	    (role->window_start > MAX_HOUR || role->window_end > MAX_HOUR))
		return -EINVAL;
	for (i = 0; i < role->n_preferred; i++) {
		if (!name_ok(role->preferred[i]))
			return -EINVAL;
	}
	for (i = 0; i < role->n_possible; i++) {
		if (!name_ok(role->possible[i]))
			return -EINVAL;
	}
	*owner = NO_NODE;
	if (role->owner[0]) {
		*owner = node_index(in, role->owner);
		if (*owner == NO_NODE)
			return -EINVAL;
	} else if (role->state != CD_ROLE_STOPPED) {
		return -EINVAL;		/* a role in a running state runs somewhere */
	}
	return 0;
}

static int
cmp_role(const void *a, const void *b)
{
	const struct cd_prole *x = *(const struct cd_prole *const *)a;
	const struct cd_prole *y = *(const struct cd_prole *const *)b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Validate the roles, resolve owners, sort; -EINVAL on duplicate names. */
static int
check_roles(struct run *r, const struct cd_prole **sorted)
{
	const struct cd_policy_input *in = r->in;
	size_t i;
	int rc;

	if (in->n_roles && !in->roles)
		return -EINVAL;
	for (i = 0; i < in->n_roles; i++) {
		rc = check_role(in, &in->roles[i], &r->owner[i]);
		if (rc < 0)
			return rc;
		sorted[i] = &in->roles[i];
	}
	if (in->n_roles > 1)
		qsort(sorted, in->n_roles, sizeof(*sorted), cmp_role);
	for (i = 0; i < in->n_roles; i++) {
		if (i > 0 && strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
			return -EINVAL;
		r->order[i] = (size_t)(sorted[i] - in->roles);
	}
	return 0;
}

/* ---- the rules ---- */

/* Does the role run on an up node (its owner)? */
static bool
runs(const struct run *r, size_t ri)
{
	int o = r->owner[ri];

	return o != NO_NODE && r->in->roles[ri].state != CD_ROLE_STOPPED &&
	       r->in->nodes[o].state == CD_PNODE_UP;
}

/* The load of the roles already running (or in a transition). */
static void
base_load(struct run *r)
{
	size_t i;

	for (i = 0; i < r->in->n_roles; i++) {
		if (runs(r, i))
			place_on(r, &r->in->roles[i], r->owner[i]);
	}
}

/* Least loaded valid node but skip: declared memory, then role count, then id. */
static int
least_loaded(const struct run *r, const struct cd_prole *role, int skip)
{
	const struct cd_pnode *nodes = r->in->nodes;
	int best = NO_NODE;
	size_t i;

	for (i = 0; i < r->in->n_nodes; i++) {
		int n = (int)i;

		if (n == skip || fit(r, role, n) != FIT_OK)
			continue;
		if (best == NO_NODE || r->mem[n] < r->mem[best] ||
		    (r->mem[n] == r->mem[best] &&
		     (r->cnt[n] < r->cnt[best] ||
		      (r->cnt[n] == r->cnt[best] && nodes[n].id < nodes[best].id))))
			best = n;
	}
	return best;
}

/*
 * The first valid preferred owner but skip, else the least loaded valid
 * node but skip, or NO_NODE; *how says which.
 */
static int
preferred_or_least(const struct run *r, const struct cd_prole *role, int skip,
		   const char **how)
{
	size_t i;
	int n;

	for (i = 0; i < role->n_preferred; i++) {
		n = node_index(r->in, role->preferred[i]);
		if (n != NO_NODE && n != skip && fit(r, role, n) == FIT_OK) {
			*how = "preferred owner";
			return n;
		}
	}
	*how = "least loaded";
	return least_loaded(r, role, skip);
}

/* Rule 5: the best node, or NO_NODE; *how says why it was chosen. */
static int
choose(const struct run *r, const struct cd_prole *role, const char **how)
{
	int n;

	if (role->move_to[0]) {
		n = node_index(r->in, role->move_to);
		if (n != NO_NODE && fit(r, role, n) == FIT_OK) {
			*how = "requested node";
			return n;
		}
	}
	return preferred_or_least(r, role, NO_NODE, how);
}

/* Rule 9: role ri's home (owner, else last owner), NO_NODE or GONE_NODE. */
static int
home(const struct run *r, size_t ri)
{
	const char *last = r->in->roles[ri].last_owner;

	if (r->owner[ri] != NO_NODE || !last[0])
		return r->owner[ri];
	return node_index(r->in, last) == NO_NODE ? GONE_NODE : node_index(r->in, last);
}

static const char *
home_name(const struct cd_prole *role)
{
	return role->owner[0] ? role->owner : role->last_owner;
}

/* Rule 9: does role ri (not HA, with a home) wait for its home? */
static bool
waits(const struct run *r, size_t ri, int h)
{
	return h == GONE_NODE || (h != NO_NODE && fit(r, &r->in->roles[ri], h) != FIT_OK);
}

static void
start(struct run *r, size_t ri)
{
	const struct cd_prole *role = &r->in->roles[ri];
	const char *how = "not highly available: its home";
	int n = role->not_ha ? home(r, ri) : NO_NODE;

	if (waits(r, ri, n))
		return;		/* rule 9: waits for its home */
	if (n == NO_NODE)
		n = choose(r, role, &how);
	if (n == NO_NODE)
		return;		/* stays stopped; retried next run */
	place_on(r, role, n);
	if (r->owner[ri] != NO_NODE && role->state != CD_ROLE_STOPPED)
		emit(r, CD_ACT_START, (int)ri, n, "recover from fenced %s on %s (%s)",
		     node_name(r, r->owner[ri]), node_name(r, n), how);
	else
		emit(r, CD_ACT_START, (int)ri, n, "start on %s (%s)",
		     node_name(r, n), how);
}

/* Rule 6: local restart below the threshold, else stop (failover). */
static void
recover(struct run *r, size_t ri)
{
	const struct cd_prole *role = &r->in->roles[ri];
	int o = r->owner[ri];
	unsigned f = failures(role, o), t = role->failover_threshold;

	if (banned(role, o))
		emit(r, CD_ACT_STOP, (int)ri, o,
		     "failed on %s: %u failures reached threshold %u: stop, %s",
		     node_name(r, o), f, t, role->not_ha ?
		     "wait there (not highly available)" : "fail over");
	else if (t == 0)
		emit(r, CD_ACT_RESTART, (int)ri, o, "failed on %s: restart (no threshold)",
		     node_name(r, o));
	else
		emit(r, CD_ACT_RESTART, (int)ri, o, "failed on %s: restart (%u of %u failures)",
		     node_name(r, o), f, t);
}

/* Pass 1 for one role: rules 1-6. */
static void
decide(struct run *r, size_t ri)
{
	const struct cd_prole *role = &r->in->roles[ri];
	int o = r->owner[ri];

	if (o != NO_NODE && r->in->nodes[o].state == CD_PNODE_DOWN_UNFENCED)
		return;					/* rule 1 */
	if (!runs(r, ri)) {				/* incl. rule 2 */
		if (role->target_started)
			start(r, ri);			/* rule 5 */
		else if (role->move_to[0])
			emit(r, CD_ACT_REFUSE_MOVE, (int)ri,
			     node_index(r->in, role->move_to),
			     "cannot move to %s: role is stopped", role->move_to);
		return;
	}
	if (role->state == CD_ROLE_STARTING || role->state == CD_ROLE_STOPPING)
		return;					/* rule 3 */
	if (!role->target_started)
		emit(r, CD_ACT_STOP, (int)ri, o, "stop on %s (target stopped)",
		     node_name(r, o));			/* rule 4 */
	else if (role->state == CD_ROLE_FAILED)
		recover(r, ri);				/* rule 6 */
}

/* A STARTED role that wants to stay started on its up owner. */
static bool
settled(const struct run *r, size_t ri)
{
	const struct cd_prole *role = &r->in->roles[ri];

	return role->target_started && role->state == CD_ROLE_STARTED &&
	       runs(r, ri);
}

/*
 * Rule 7's verdict on moving role ri to node "to": CD_ACT_MOVE, or
 * CD_ACT_REFUSE_MOVE with the reason in why; *node: the node's index or
 * NO_NODE. The one place that decides whether a move target is valid
 * (a run's moves and cd_policy_move_check).
 */
static enum cd_action_type
move_verdict(const struct run *r, size_t ri, const char *to, int *node, char *why,
	     size_t len)
{
	static const char *const reason[] = {
		[FIT_DOWN] = "node is down",
		[FIT_PAUSED] = "node is paused",
		[FIT_NOT_POSSIBLE] = "not a possible owner",
	};
	const struct cd_prole *role = &r->in->roles[ri];
	int n = node_index(r->in, to);
	enum fit f;

	*node = n;
	if (n == NO_NODE) {
		snprintf(why, len, "cannot move to %s: unknown node", to);
		return CD_ACT_REFUSE_MOVE;
	}
	if (role->not_ha && !runs(r, ri) && home(r, ri) != NO_NODE && n != home(r, ri)) {
		snprintf(why, len, "cannot move to %s: not highly available, it moves only "
			 "live, while it runs on %s", to, home_name(role));	/* rule 9 */
		return CD_ACT_REFUSE_MOVE;
	}
	if (n == r->owner[ri] && runs(r, ri)) {
		snprintf(why, len, "cannot move to %s: already runs there", to);
		return CD_ACT_REFUSE_MOVE;
	}
	f = fit(r, role, n);
	if (f == FIT_OK) {
		snprintf(why, len, "move %s -> %s (requested)", node_name(r, r->owner[ri]), to);
		return CD_ACT_MOVE;
	}
	if (f == FIT_BANNED)
		snprintf(why, len, "cannot move to %s: banned, %u failures reached threshold %u",
			 to, failures(role, n), role->failover_threshold);
	else if (f == FIT_NO_ROOM)
		snprintf(why, len, "cannot move to %s: no room for %" PRIu64 " MiB, %" PRIu64
			 " of %" PRIu64 " used", to, role->memory_mib, r->mem[n],
			 r->in->nodes[n].memory_mib);
	else
		snprintf(why, len, "cannot move to %s: %s", to, reason[f]);
	return CD_ACT_REFUSE_MOVE;
}

/* Rule 7: the administrator's move of a settled role. */
static void
move(struct run *r, size_t ri)
{
	const struct cd_prole *role = &r->in->roles[ri];
	char why[CD_POLICY_REASON_MAX];
	int n;
	enum cd_action_type t = move_verdict(r, ri, role->move_to, &n, why, sizeof(why));

	if (t == CD_ACT_MOVE)
		place_on(r, role, n);
	emit(r, t, (int)ri, n, "%s", why);
}

/* Is the failback policy of the role active at this hour? */
static bool
failback_now(const struct cd_prole *role, unsigned hour)
{
	unsigned s = role->window_start, e = role->window_end;

	switch (role->failback) {
	case CD_FAILBACK_IMMEDIATE:
		return true;
	case CD_FAILBACK_WINDOW:
		if (s <= e)
			return s <= hour && hour < e;	/* s == e: empty */
		return hour >= s || hour < e;		/* wraps past midnight */
	case CD_FAILBACK_NEVER:
		break;
	}
	return false;
}

/* Rule 8: move up the preferred-owner list to the first valid node. */
static void
failback(struct run *r, size_t ri)
{
	const struct cd_prole *role = &r->in->roles[ri];
	int o = r->owner[ri];
	size_t i, rank = pref_rank(role, node_name(r, o));

	if (role->not_ha || !failback_now(role, r->in->hour))
		return;					/* rule 9: no failback */
	for (i = 0; i < rank; i++) {
		int n = node_index(r->in, role->preferred[i]);

		if (n == NO_NODE || n == o || fit(r, role, n) != FIT_OK)
			continue;
		place_on(r, role, n);
		emit(r, CD_ACT_MOVE, (int)ri, n, "failback %s -> %s (preferred owner %zu)",
		     node_name(r, o), node_name(r, n), i + 1);
		return;
	}
}

static int
run_rules(struct run *r)
{
	const struct cd_policy_input *in = r->in;
	size_t i;

	for (i = 0; i < in->n_nodes; i++) {
		if (in->nodes[i].state == CD_PNODE_DOWN_UNFENCED)
			emit(r, CD_ACT_FENCE, -1, (int)i, "node %s lost: fence before recovery",
			     in->nodes[i].name);			/* rule 1 */
	}
	base_load(r);
	for (i = 0; i < in->n_roles; i++)
		decide(r, r->order[i]);
	for (i = 0; i < in->n_roles; i++) {
		size_t ri = r->order[i];

		if (settled(r, ri) && in->roles[ri].move_to[0])
			move(r, ri);
	}
	for (i = 0; i < in->n_roles; i++) {
		size_t ri = r->order[i];

		if (settled(r, ri) && !in->roles[ri].move_to[0])
			failback(r, ri);
	}
	return r->count > r->max ? -E2BIG : 0;
}

/* Validate the input and set up a run's scratch (*scratch: to free). */
static int
setup(struct run *r, void **scratch)
{
	const struct cd_policy_input *in = r->in;
	const struct cd_prole **sorted;
	size_t nr, nn, per_role, per_node;
	int rc;

	*scratch = NULL;
	if (in->hour > MAX_HOUR)
		return -EINVAL;
	rc = check_nodes(in);
	if (rc < 0)
		return rc;
	nr = in->n_roles ? in->n_roles : 1;
	nn = in->n_nodes ? in->n_nodes : 1;
	per_role = sizeof(*sorted) + sizeof(*r->order) + sizeof(*r->owner);
	per_node = sizeof(*r->mem) + sizeof(*r->cnt);
	if (nr > SIZE_MAX / 2 / per_role || nn > SIZE_MAX / 2 / per_node)
		return -ENOMEM;
	*scratch = calloc(1, nr * per_role + nn * per_node);
	if (!*scratch)
		return -ENOMEM;
	/* Widest alignment first: uint64_t, pointers and size_t, then int. */
	r->mem = *scratch;
	sorted = (const struct cd_prole **)(r->mem + nn);
	r->order = (size_t *)(sorted + nr);
	r->cnt = r->order + nr;
	r->owner = (int *)(r->cnt + nn);
	return check_roles(r, sorted);
}

int
cd_policy_run(const struct cd_policy_input *in, struct cd_action *out,
	      size_t max, size_t *n)
{
	struct run r = { .in = in, .out = out, .max = max };
	void *scratch = NULL;
	int rc;

	if (n)
		*n = 0;
	if (!in || !n || (max && !out))
		return -EINVAL;
	rc = setup(&r, &scratch);
	if (rc == 0)
		rc = run_rules(&r);
	if (rc == 0 || rc == -E2BIG)
		*n = r.count < max ? r.count : max;
	free(scratch);
	return rc;
}

int
cd_policy_move_check(const struct cd_policy_input *in, size_t role, const char *to,
		     char *why, size_t len)
{
	struct run r = { .in = in };
	char buf[CD_POLICY_REASON_MAX];
	void *scratch = NULL;
	int rc, n;

	if (!in || role >= in->n_roles || !to)
		return -EINVAL;
	rc = setup(&r, &scratch);
	if (rc == 0) {
		base_load(&r);
		if (move_verdict(&r, role, to, &n, buf, sizeof(buf)) == CD_ACT_MOVE)
			rc = 0;
		else if (n == NO_NODE)
			rc = -ENOENT;
		else if (n == r.owner[role] && in->roles[role].state == CD_ROLE_STARTED)
			rc = -EALREADY;
		else
			rc = -EPERM;
		if (rc && why && len)
			snprintf(why, len, "%s", buf);
	}
	free(scratch);
	return rc;
}

int
cd_policy_pick(const struct cd_policy_input *in, size_t role)
{
	struct run r = { .in = in };
	void *scratch = NULL;
	const char *how;
	int rc, n;

	if (!in || role >= in->n_roles)
		return -EINVAL;
	rc = setup(&r, &scratch);
	if (rc == 0) {
		base_load(&r);
		n = preferred_or_least(&r, &in->roles[role], r.owner[role], &how);
		rc = n == NO_NODE ? -ENOENT : n;
	}
	free(scratch);
	return rc;
}

/* Rule 9 ahead of a run, with its reason (the text status shows). */
int
cd_policy_waits(const struct cd_policy_input *in, size_t role, char *why, size_t len)
{
	static const char *const reason[] = {
		[FIT_DOWN] = "",
		[FIT_PAUSED] = "; it is paused",
		[FIT_NOT_POSSIBLE] = "; it is not a possible owner",
		[FIT_BANNED] = "; banned there after failures",
		[FIT_NO_ROOM] = "; no room there",
	};
	struct run r = { .in = in };
	void *scratch = NULL;
	int rc, h;

	if (!in || role >= in->n_roles)
		return -EINVAL;
	rc = setup(&r, &scratch);
	if (rc == 0) {
		const struct cd_prole *p = &in->roles[role];

		base_load(&r);
		h = p->not_ha ? home(&r, role) : NO_NODE;
		rc = p->target_started && !runs(&r, role) && waits(&r, role, h);
		if (rc && why && len && h == GONE_NODE)
			snprintf(why, len, "not highly available: waits for %s, no longer a "
				 "node (its disks are local there)", home_name(p));
		else if (rc && why && len)
			snprintf(why, len, "not highly available: waits for %s (its disks are "
				 "local there%s)", home_name(p), reason[fit(&r, p, h)]);
	}
	free(scratch);
	return rc;
}
