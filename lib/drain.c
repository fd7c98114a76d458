/*
 * drain.c - node drain planning (D1-D9) and migration admission (A1-A5);
 * the rules are in drain.h. Pure: no I/O, no state between calls.
 */
#include "drain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
cd_drain_order(const struct cd_prole *a, const struct cd_prole *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	if (a->memory_mib != b->memory_mib)
		return a->memory_mib < b->memory_mib ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
node_idx(const struct cd_policy_input *in, const char *name)
{
	size_t i;

	if (!name || !name[0])
		return -1;
	for (i = 0; i < in->n_nodes; i++) {
		if (!strcmp(in->nodes[i].name, name))
			return (int)i;
	}
	return -1;
}

/* The drain (index into in->drains) of node n, or -1. */
static int
drain_of(const struct cd_drain_input *in, int n)
{
	size_t i;

	for (i = 0; n >= 0 && i < in->n_drains; i++) {
		if (in->drains[i].node == n)
			return (int)i;
	}
	return -1;
}

/* The cluster as it will be (D3): moves under way count on their targets,
 * draining nodes take nothing. */
struct future {
	struct cd_policy_input in;
	struct cd_pnode *nodes;
	struct cd_prole *roles;
};

static int
future_init(struct future *f, const struct cd_drain_input *in)
{
	const struct cd_policy_input *p = in->pol;
	size_t i;

	f->in = *p;
	f->nodes = calloc(p->n_nodes ? p->n_nodes : 1, sizeof(*f->nodes));
	f->roles = calloc(p->n_roles ? p->n_roles : 1, sizeof(*f->roles));
	if (!f->nodes || !f->roles) {
		free(f->nodes);
		free(f->roles);
		return -ENOMEM;
	}
	memcpy(f->nodes, p->nodes, p->n_nodes * sizeof(*f->nodes));
	memcpy(f->roles, p->roles, p->n_roles * sizeof(*f->roles));
	for (i = 0; i < in->n_drains; i++)
		f->nodes[in->drains[i].node].paused = true;
	for (i = 0; i < p->n_roles; i++) {
		const struct cd_drain_role *d = &in->roles[i];
		const char *to = f->roles[i].move_to[0] ? f->roles[i].move_to :
				 d->mig_active ? d->mig_to :
				 (d->step == CD_DSTEP_QUEUED || d->step == CD_DSTEP_MOVING) ? d->to : "";

		if (to[0] && node_idx(p, to) >= 0) {
			snprintf(f->roles[i].owner, sizeof(f->roles[i].owner), "%s", to);
			f->roles[i].move_to[0] = '\0';
		}
	}
	f->in.nodes = f->nodes;
	f->in.roles = f->roles;
	return 0;
}

static void
future_free(struct future *f)
{
	free(f->nodes);
	free(f->roles);
}

/* D7: the next way to try after how failed, or -1 when the policy allows
 * none (D10: none for a role that is not highly available). */
static int
next_how(const struct cd_prole *r, const struct cd_drain_role *d)
{
	if (!d->migratable || r->not_ha)
		return -1;
	if (d->how == CD_DRAIN_LIVE && d->fallback >= CD_FALLBACK_QUICK)
		return CD_DRAIN_QUICK;
	if (d->how == CD_DRAIN_QUICK && d->fallback == CD_FALLBACK_RESTART)
		return CD_DRAIN_COLD;
	return -1;
}

struct plan {
	const struct cd_drain_input *in;
	struct future f;
	struct cd_drain_act *out;
	size_t max, n;
	bool *busy;		/* per drain: not finished after this pass */
};

static struct cd_drain_act *
emit(struct plan *pl, enum cd_drain_act_type t, int drain, int role)
{
	struct cd_drain_act *a;

	if (pl->n >= pl->max) {
		pl->n++;
		return NULL;
	}
	a = &pl->out[pl->n++];
	memset(a, 0, sizeof(*a));
	a->type = t;
	a->drain = drain;
	a->role = role;
	a->to = -1;
	return a;
}

static const char *
reason_or(const struct cd_drain_role *d, const char *dflt)
{
	return d->last_error && d->last_error[0] ? d->last_error : dflt;
}

/* D3, D4: queue role ri of drain node dn by how, or fail it (no target). */
static void
queue(struct plan *pl, int dn, size_t ri, enum cd_drain_how how, unsigned tries)
{
	struct cd_prole *fr = &pl->f.roles[ri];
	struct cd_drain_act *a;
	int t = cd_policy_pick(&pl->f.in, ri);

	if (t < 0) {
		a = emit(pl, CD_DRAIN_FAIL, dn, (int)ri);
		if (a)
			snprintf(a->reason, sizeof(a->reason), "no node can take it%s",
				 t == -ENOENT ? " (none up, unpaused, allowed, with room)" : "");
		return;
	}
	a = emit(pl, CD_DRAIN_QUEUE, dn, (int)ri);
	if (a) {
		a->to = t;
		a->how = how;
		a->tries = tries;
	}
	snprintf(fr->owner, sizeof(fr->owner), "%s", pl->f.nodes[t].name);
	pl->busy[drain_of(pl->in, dn)] = true;
}

/* D6-D8 for a role its record holds as queued or moving in drain node dn. */
static void
follow(struct plan *pl, int dn, size_t ri, int owner)
{
	const struct cd_prole *r = &pl->in->pol->roles[ri];
	const struct cd_drain_role *d = &pl->in->roles[ri];
	struct cd_drain_act *a;
	int nh;

	if (owner != dn) {
		if (owner >= 0 && r->state == CD_ROLE_STARTED && !d->mig_active) {
			a = emit(pl, CD_DRAIN_DONE, dn, (int)ri);	/* D6 */
			if (a)
				a->to = owner;
			return;
		}
		if (owner < 0 && !r->target_started) {
			a = emit(pl, CD_DRAIN_DONE, dn, (int)ri);
			if (a)
				snprintf(a->reason, sizeof(a->reason), "stopped by the administrator");
			return;
		}
		pl->busy[drain_of(pl->in, dn)] = true;
		return;
	}
	if (d->mig_active || r->move_to[0] || r->state != CD_ROLE_STARTED) {
		pl->busy[drain_of(pl->in, dn)] = true;	/* queued or on its way */
		return;
	}
	/* back on the node: its load is here, not on the recorded target */
	snprintf(pl->f.roles[ri].owner, sizeof(pl->f.roles[ri].owner), "%s", r->owner);
	if (d->step == CD_DSTEP_MOVING) {	/* D7 */
		nh = next_how(r, d);
		if (nh >= 0) {
			queue(pl, dn, ri, (enum cd_drain_how)nh, 1);
			return;
		}
		a = emit(pl, CD_DRAIN_FAIL, dn, (int)ri);
		if (a)
			snprintf(a->reason, sizeof(a->reason), "%s",
				 reason_or(d, "its move failed"));
		return;
	}
	if (d->tries < CD_DRAIN_TRIES) {	/* D8 */
		queue(pl, dn, ri, d->how, d->tries + 1);
		return;
	}
	a = emit(pl, CD_DRAIN_FAIL, dn, (int)ri);
	if (a)
		snprintf(a->reason, sizeof(a->reason), "%s",
			 reason_or(d, "its move was refused"));
}

static int
check_input(const struct cd_drain_input *in)
{
	size_t i, j;

	if (!in || !in->pol || (in->pol->n_roles && !in->roles) ||
	    (in->n_drains && !in->drains))
		return -EINVAL;
	for (i = 0; i < in->n_drains; i++) {
		if (in->drains[i].node < 0 || (size_t)in->drains[i].node >= in->pol->n_nodes)
			return -EINVAL;
		for (j = 0; j < i; j++) {
			if (in->drains[j].node == in->drains[i].node)
				return -EINVAL;
		}
	}
	return 0;
}

/* The roles in D2 order (indices). */
static size_t *
sorted_roles(const struct cd_policy_input *p)
{
	size_t *o = calloc(p->n_roles ? p->n_roles : 1, sizeof(*o));
	size_t i, j;

	if (!o)
		return NULL;
	for (i = 0; i < p->n_roles; i++) {	/* insertion sort: stable, small n */
		size_t v = i;

		for (j = i; j > 0 && cd_drain_order(&p->roles[v], &p->roles[o[j - 1]]) < 0; j--)
			o[j] = o[j - 1];
		o[j] = v;
	}
	return o;
}

int
cd_drain_plan(const struct cd_drain_input *in, struct cd_drain_act *out, size_t max,
	      size_t *n)
{
	struct plan pl = { .in = in, .out = out, .max = max };
	size_t *order = NULL, k, i;
	int rc;

	*n = 0;
	rc = check_input(in);
	if (rc < 0)
		return rc;
	pl.busy = calloc(in->n_drains ? in->n_drains : 1, sizeof(*pl.busy));
	order = sorted_roles(in->pol);
	if (!pl.busy || !order || future_init(&pl.f, in) < 0) {
		free(pl.busy);
		free(order);
		return -ENOMEM;
	}
	for (k = 0; k < in->pol->n_roles; k++) {
		size_t ri = order[k];
		const struct cd_prole *r = &in->pol->roles[ri];
		const struct cd_drain_role *d = &in->roles[ri];
		int owner = node_idx(in->pol, r->owner);
		int here = d->mig_active ? node_idx(in->pol, d->mig_from) : owner;
		int dn;

		if (d->step == CD_DSTEP_QUEUED || d->step == CD_DSTEP_MOVING) {
			dn = drain_of(in, d->rec_node);
			if (dn >= 0 && !in->drains[dn].finished)
				follow(&pl, d->rec_node, ri, owner);
			continue;
		}
		dn = drain_of(in, here);
		if (dn < 0 || in->drains[dn].finished)
			continue;
		if (d->rec_node == here && d->step != CD_DSTEP_NONE)
			continue;	/* done or failed in this drain */
		/* D1: a role of the node that nothing moves yet */
		if (r->state != CD_ROLE_STARTED || d->mig_active || r->move_to[0] ||
		    owner != here) {
			if (r->state != CD_ROLE_STOPPED)
				pl.busy[dn] = true;
			continue;
		}
		if (r->not_ha && !d->migratable) {	/* D10 */
			struct cd_drain_act *a = emit(&pl, CD_DRAIN_FAIL, owner, (int)ri);

			if (a)
				snprintf(a->reason, sizeof(a->reason), "not highly available: it "
					 "moves only live, and it is no VM");
			continue;
		}
		queue(&pl, owner, ri, d->migratable ? CD_DRAIN_LIVE : CD_DRAIN_COLD, 1);
	}
	for (i = 0; i < in->n_drains; i++) {	/* D9 */
		if (!in->drains[i].finished && !pl.busy[i])
			emit(&pl, CD_DRAIN_FINISH, in->drains[i].node, -1);
	}
	future_free(&pl.f);
	free(order);
	free(pl.busy);
	if (pl.n > max) {
		*n = max;
		return -E2BIG;
	}
	*n = pl.n;
	return 0;
}

/* ---- admission (A1-A5) ---- */

struct counts {
	unsigned *live_out, *live_in, *quick;
	unsigned live, quick_all;
};

static void
count(struct counts *c, enum cd_mig_kind k, int from, int to)
{
	if (k == CD_MIGK_LIVE) {
		c->live_out[from]++;
		c->live_in[to]++;
		c->live++;
	} else {
		c->quick[from]++;
		c->quick[to]++;
		c->quick_all++;
	}
}

#define NODE_NAME(names, i) ((names) ? (names)[i] : "node")

/* A2, A3: does c fit? Else why not, into why. */
static bool
fits(const struct cd_mig_limits *lim, const struct counts *n, const char *const *names,
     const struct cd_mig_cand *c, char *why, size_t len)
{
	if (c->kind == CD_MIGK_LIVE) {
		if (n->live_out[c->from] >= lim->live_out) {
			snprintf(why, len, "%s has %u live migration(s) going out (limit %u)",
				 NODE_NAME(names, c->from), n->live_out[c->from], lim->live_out);
			return false;
		}
		if (n->live_in[c->to] >= lim->live_in) {
			snprintf(why, len, "%s has %u live migration(s) coming in (limit %u)",
				 NODE_NAME(names, c->to), n->live_in[c->to], lim->live_in);
			return false;
		}
		if (n->live >= lim->live_cluster) {
			snprintf(why, len, "the cluster runs %u live migration(s) (limit %u)",
				 n->live, lim->live_cluster);
			return false;
		}
		return true;
	}
	if (n->quick[c->from] >= lim->quick_node || n->quick[c->to] >= lim->quick_node) {
		int busy = n->quick[c->from] >= lim->quick_node ? c->from : c->to;

		snprintf(why, len, "%s takes part in %u quick migration(s) (limit %u)",
			 NODE_NAME(names, busy), n->quick[busy], lim->quick_node);
		return false;
	}
	if (n->quick_all >= lim->quick_cluster) {
		snprintf(why, len, "the cluster runs %u quick migration(s) (limit %u)",
			 n->quick_all, lim->quick_cluster);
		return false;
	}
	return true;
}

int
cd_mig_admit(const struct cd_mig_limits *lim, size_t n_nodes, const char *const *names,
	     const struct cd_mig_running *run, size_t n_run, struct cd_mig_cand *c,
	     size_t n_c)
{
	struct counts cnt = { 0 };
	size_t *order, i, j;
	unsigned *mem;

	if (!lim || !lim->live_out || !lim->live_in || !lim->live_cluster ||
	    !lim->quick_node || !lim->quick_cluster || (n_run && !run) || (n_c && !c))
		return -EINVAL;
	for (i = 0; i < n_run; i++) {
		if (run[i].from < 0 || run[i].to < 0 || (size_t)run[i].from >= n_nodes ||
		    (size_t)run[i].to >= n_nodes)
			return -EINVAL;
	}
	for (i = 0; i < n_c; i++) {
		if (c[i].from < 0 || c[i].to < 0 || (size_t)c[i].from >= n_nodes ||
		    (size_t)c[i].to >= n_nodes || !c[i].role)
			return -EINVAL;
	}
	mem = calloc(3 * (n_nodes ? n_nodes : 1), sizeof(*mem));
	order = calloc(n_c ? n_c : 1, sizeof(*order));
	if (!mem || !order) {
		free(mem);
		free(order);
		return -ENOMEM;
	}
	cnt.live_out = mem;
	cnt.live_in = mem + n_nodes;
	cnt.quick = mem + 2 * n_nodes;
	for (i = 0; i < n_run; i++)
		count(&cnt, run[i].kind, run[i].from, run[i].to);
	for (i = 0; i < n_c; i++) {	/* A1 */
		for (j = i; j > 0 && cd_drain_order(c[i].role, c[order[j - 1]].role) < 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < n_c; i++) {	/* A2-A4 */
		struct cd_mig_cand *k = &c[order[i]];

		k->why[0] = '\0';
		k->admit = fits(lim, &cnt, names, k, k->why, sizeof(k->why));
		if (k->admit)
			count(&cnt, k->kind, k->from, k->to);
	}
	free(mem);
	free(order);
	return 0;
}

/* ---- names ---- */

static const char *const how_names[] = { "live", "quick", "cold" };
static const char *const step_names[] = { "", "queued", "moving", "done", "failed" };
static const char *const fallback_names[] = { "none", "quick", "restart" };

const char *
cd_drain_how_str(enum cd_drain_how h)
{
	return (unsigned)h < 3 ? how_names[h] : "unknown";
}

int
cd_drain_how_parse(const char *s, enum cd_drain_how *out)
{
	unsigned i;

	for (i = 0; s && i < 3; i++) {
		if (!strcmp(s, how_names[i])) {
			*out = (enum cd_drain_how)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
cd_drain_step_str(enum cd_drain_step s)
{
	return (unsigned)s < 5 ? step_names[s] : "unknown";
}

enum cd_drain_step
cd_drain_step_parse(const char *s)
{
	unsigned i;

	for (i = 1; s && i < 5; i++) {
		if (!strcmp(s, step_names[i]))
			return (enum cd_drain_step)i;
	}
	return CD_DSTEP_NONE;
}

const char *
cd_drain_fallback_str(enum cd_drain_fallback f)
{
	return (unsigned)f < 3 ? fallback_names[f] : "unknown";
}

int
cd_drain_fallback_parse(const char *s, enum cd_drain_fallback *out)
{
	unsigned i;

	for (i = 0; s && i < 3; i++) {
		if (!strcmp(s, fallback_names[i])) {
			*out = (enum cd_drain_fallback)i;
			return 0;
		}
	}
	return -EINVAL;
}
