/*
 * bench-policy.c - simulator and benchmark of the policy engine (lib/policy.c).
 *
 * Builds a 16-node cluster with 1000 roles (mixed priorities, preferred and
 * possible owners, declared memory, some failure counts), places them,
 * pauses one node, then for every node in turn: loses it (expect exactly one
 * FENCE and nothing else), fences it (expect a START for exactly its roles,
 * each to a valid node, within memory capacities), brings it back and lets
 * failback settle. The simulator keeps its own truth of where each role's
 * processes run and checks after every run that no role ever runs on two
 * nodes and that nothing starts while its owner is lost and unfenced.
 *
 * usage: bench-policy [ROUNDS] [TIMED_REPEATS]
 * Exit: 0 when every invariant held, 1 on a violation, 2 on bad usage.
 */
#include "policy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_NODES		16
#define N_ROLES		1000
#define MAX_ACTS	(N_NODES + N_ROLES)
#define PAUSED_NODE	(N_NODES - 1)
#define THRESHOLD	3
#define HOUR		23		/* inside the 22-6 failback windows */
#define GOAL_MS		50.0
#define MAX_SETTLE	50

struct samples {
	const char *what;
	double *ms;
	size_t n, cap;
};

struct cluster {
	struct cd_pnode nodes[N_NODES];
	struct cd_prole *roles;
	unsigned (*failures)[N_NODES];
	int truth[N_ROLES];		/* node where it really runs, -1 none */
	struct cd_policy_input in;
	struct cd_action out[MAX_ACTS];
	size_t n;
	uint64_t seed;
	unsigned long checks, violations;
};

/* ---- helpers ---- */

static unsigned
rnd(struct cluster *c, unsigned n)
{
	c->seed = c->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((c->seed >> 33) % n);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
violation(struct cluster *c, const char *what, size_t role, int node)
{
	if (c->violations++ < 20)
		fprintf(stderr, "VIOLATION: %s (role %s, node %s)\n", what,
			role < N_ROLES ? c->roles[role].name : "-",
			node >= 0 ? c->nodes[node].name : "-");
}

static void
check(struct cluster *c, int ok, const char *what, size_t role, int node)
{
	c->checks++;
	if (!ok)
		violation(c, what, role, node);
}

static int
node_of(const struct cluster *c, const char *name)
{
	int i;

	for (i = 0; i < N_NODES; i++) {
		if (strcmp(c->nodes[i].name, name) == 0)
			return i;
	}
	return -1;
}

static int
add_sample(struct samples *s, double ms)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		double *p = realloc(s->ms, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->ms = p;
		s->cap = cap;
	}
	s->ms[s->n++] = ms;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(const struct samples *s, double p)
{
	size_t i = (size_t)(p * (double)s->n + 0.999999);

	return s->ms[i ? i - 1 : 0];
}

static void
print_samples(struct samples *s)
{
	if (!s->n)
		return;
	qsort(s->ms, s->n, sizeof(*s->ms), cmp_double);
	printf("%-34s %7zu %9.3f %9.3f %9.3f %9.3f\n", s->what, s->n, s->ms[0],
	       percentile(s, 0.5), percentile(s, 0.99), s->ms[s->n - 1]);
}

/* ---- the cluster ---- */

static void
add_name(char list[][CD_POLICY_NAME_MAX], size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp(list[i], name) == 0)
			return;
	}
	snprintf(list[(*n)++], CD_POLICY_NAME_MAX, "%s", name);
}

static void
make_role(struct cluster *c, size_t i)
{
	static const uint64_t mem[] = { 1024, 1024, 1024, 2048, 2048, 2048, 4096, 4096,
					4096, 4096, 8192, 8192, 16384 };
	static const int prio[] = { 0, 1000, 2000, 3000 };
	struct cd_prole *r = &c->roles[i];
	unsigned k, n;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "vm%04zu", i);
	r->target_started = rnd(c, 50) != 0;		/* 2% stopped by the admin */
	r->priority = prio[rnd(c, 4)];
	r->memory_mib = mem[rnd(c, sizeof(mem) / sizeof(mem[0]))];
	r->failover_threshold = THRESHOLD;
	r->failback = (enum cd_failback)rnd(c, 3);
	r->window_start = 22;
	r->window_end = 6;
	r->failures = c->failures[i];
	if (rnd(c, 10) < 7) {				/* 70%: 1-3 preferred owners */
		n = 1 + rnd(c, 3);
		for (k = 0; k < n; k++)
			add_name(r->preferred, &r->n_preferred, c->nodes[rnd(c, N_NODES)].name);
	}
	if (rnd(c, 5) == 0) {				/* 20%: 8 possible owners */
		for (k = 0; k < r->n_preferred; k++)
			add_name(r->possible, &r->n_possible, r->preferred[k]);
		while (r->n_possible < 8)
			add_name(r->possible, &r->n_possible, c->nodes[rnd(c, N_NODES)].name);
	}
	if (rnd(c, 20) == 0) {				/* 5%: recent failures */
		c->failures[i][rnd(c, N_NODES)] = 1;
		c->failures[i][rnd(c, N_NODES)] = THRESHOLD;	/* banned there */
	}
	c->truth[i] = -1;
}

static int
make_cluster(struct cluster *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->seed = 20240601;
	c->roles = calloc(N_ROLES, sizeof(*c->roles));
	c->failures = calloc(N_ROLES, sizeof(*c->failures));
	if (!c->roles || !c->failures)
		return -ENOMEM;
	for (i = 0; i < N_NODES; i++) {
		struct cd_pnode *n = &c->nodes[i];

		snprintf(n->name, sizeof(n->name), "node%02zu", i + 1);
		n->id = (uint32_t)(i + 1);
		n->memory_mib = i % 4 == 0 ? 512 * 1024 : 384 * 1024;
	}
	for (i = 0; i < N_ROLES; i++)
		make_role(c, i);
	c->in.nodes = c->nodes;
	c->in.n_nodes = N_NODES;
	c->in.roles = c->roles;
	c->in.n_roles = N_ROLES;
	c->in.hour = HOUR;
	return 0;
}

/* One engine run; returns its time in ms. */
static double
decide(struct cluster *c)
{
	double t0 = now_ms();
	int rc = cd_policy_run(&c->in, c->out, MAX_ACTS, &c->n);
	double t = now_ms() - t0;

	check(c, rc == 0, "cd_policy_run failed", N_ROLES, -1);
	if (rc < 0)
		c->n = 0;
	return t;
}

/* ---- checking and applying actions ---- */

static int
valid_target(const struct cluster *c, size_t ri, int node)
{
	const struct cd_prole *r = &c->roles[ri];
	const struct cd_pnode *n = &c->nodes[node];
	size_t i;
	int possible = r->n_possible == 0;

	for (i = 0; i < r->n_possible; i++)
		possible |= strcmp(r->possible[i], n->name) == 0;
	return n->state == CD_PNODE_UP && !n->paused && possible &&
	       c->failures[ri][node] < r->failover_threshold;
}

/* Starting or moving a role to node: checks against the truth. */
static void
check_placement(struct cluster *c, const struct cd_action *a, int owner)
{
	size_t ri = (size_t)a->role;

	check(c, a->node >= 0 && a->node < N_NODES, "placement without a node", ri, a->node);
	check(c, valid_target(c, ri, a->node), "placed on an invalid node", ri, a->node);
	if (a->type == CD_ACT_START) {
		check(c, c->truth[ri] < 0, "started while running elsewhere", ri, a->node);
		check(c, owner < 0 || c->nodes[owner].state != CD_PNODE_DOWN_UNFENCED,
		      "started while its owner is lost and unfenced", ri, owner);
	} else {
		check(c, c->truth[ri] == owner, "moved from where it does not run", ri, owner);
	}
}

static void
apply_one(struct cluster *c, const struct cd_action *a)
{
	struct cd_prole *r = a->role >= 0 ? &c->roles[a->role] : NULL;
	int owner = r && r->owner[0] ? node_of(c, r->owner) : -1;
	size_t i, ri = r ? (size_t)a->role : N_ROLES;

	switch (a->type) {
	case CD_ACT_FENCE:
		check(c, c->nodes[a->node].state == CD_PNODE_DOWN_UNFENCED,
		      "fence of a node not lost", N_ROLES, a->node);
		c->nodes[a->node].state = CD_PNODE_DOWN_FENCED;
		for (i = 0; i < N_ROLES; i++) {
			if (c->truth[i] == a->node)
				c->truth[i] = -1;
		}
		break;
	case CD_ACT_START:
	case CD_ACT_MOVE:
		check_placement(c, a, owner);
		c->truth[ri] = a->node;
		snprintf(r->owner, sizeof(r->owner), "%s", c->nodes[a->node].name);
		r->state = CD_ROLE_STARTED;
		r->move_to[0] = '\0';
		break;
	case CD_ACT_STOP:
		check(c, c->truth[ri] == a->node, "stop where it does not run", ri, a->node);
		c->truth[ri] = -1;
		r->owner[0] = '\0';
		r->state = CD_ROLE_STOPPED;
		break;
	case CD_ACT_RESTART:
		check(c, c->truth[ri] == a->node, "restart where it does not run", ri, a->node);
		r->state = CD_ROLE_STARTED;
		break;
	case CD_ACT_REFUSE_MOVE:
		r->move_to[0] = '\0';
		break;
	}
}

/* Memory capacity on every node, from the truth. */
static void
check_capacity(struct cluster *c)
{
	uint64_t used[N_NODES] = { 0 };
	size_t i;

	for (i = 0; i < N_ROLES; i++) {
		if (c->truth[i] >= 0)
			used[c->truth[i]] += c->roles[i].memory_mib;
	}
	for (i = 0; i < N_NODES; i++)
		check(c, !c->nodes[i].memory_mib || used[i] <= c->nodes[i].memory_mib,
		      "memory capacity exceeded", N_ROLES, (int)i);
}

static void
apply(struct cluster *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		apply_one(c, &c->out[i]);
	check_capacity(c);
}

/* Run and apply until no action is left; returns the number of runs. */
static unsigned
settle(struct cluster *c, struct samples *s)
{
	unsigned runs;

	for (runs = 1; runs <= MAX_SETTLE; runs++) {
		double ms = decide(c);

		if (s)
			add_sample(s, ms);
		if (c->n == 0)
			return runs;
		apply(c);
	}
	violation(c, "no steady state", N_ROLES, -1);
	return runs;
}

/* ---- one lost node ---- */

struct stats {
	struct samples steady, unfenced, fenced, settle;
	size_t min_recovered, max_recovered, sum_recovered, victims;
};

/* Fenced node v: exactly its roles START, nothing else. */
static void
check_recovery(struct cluster *c, int v)
{
	static unsigned char seen[N_ROLES];
	size_t i, expected = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < c->n; i++) {
		const struct cd_action *a = &c->out[i];
		int owner = a->role >= 0 ? node_of(c, c->roles[a->role].owner) : -1;

		check(c, a->type == CD_ACT_START, "recovery action other than START",
		      a->role >= 0 ? (size_t)a->role : N_ROLES, a->node);
		if (a->type != CD_ACT_START)
			continue;
		check(c, owner == v, "START of a role the lost node did not own",
		      (size_t)a->role, a->node);
		check(c, !seen[a->role]++, "two STARTs for one role", (size_t)a->role, a->node);
	}
	for (i = 0; i < N_ROLES; i++) {
		if (c->roles[i].target_started && node_of(c, c->roles[i].owner) == v) {
			expected++;
			check(c, seen[i], "a role of the lost node was not started", i, v);
		}
	}
	check(c, c->n == expected, "recovery count differs", N_ROLES, v);
}

static void
lose_node(struct cluster *c, int v, unsigned repeats, struct stats *st)
{
	unsigned k;

	/* Steady state: nothing to do. */
	add_sample(&st->steady, decide(c));
	check(c, c->n == 0, "actions in the steady state", N_ROLES, -1);

	/* Lost: exactly one FENCE, nothing for its roles (nor anyone's). */
	c->nodes[v].state = CD_PNODE_DOWN_UNFENCED;
	add_sample(&st->unfenced, decide(c));
	check(c, c->n == 1 && c->out[0].type == CD_ACT_FENCE && c->out[0].node == v,
	      "lost node: not exactly one FENCE", N_ROLES, v);
	apply(c);

	/* Fenced: the timed decision, repeated on the same input. */
	check(c, c->nodes[v].state == CD_PNODE_DOWN_FENCED, "node not fenced", N_ROLES, v);
	for (k = 0; k < repeats; k++)
		add_sample(&st->fenced, decide(c));
	check_recovery(c, v);
	if (c->n < st->min_recovered || !st->victims)
		st->min_recovered = c->n;
	if (c->n > st->max_recovered)
		st->max_recovered = c->n;
	st->sum_recovered += c->n;
	st->victims++;
	apply(c);

	/* It returns; failback and the rest settle. */
	c->nodes[v].state = CD_PNODE_UP;
	settle(c, &st->settle);
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [ROUNDS] [TIMED_REPEATS]\n", prog);
	return 2;
}

int
main(int argc, char **argv)
{
	unsigned rounds = 20, repeats = 5, r;
	static struct cluster c;
	struct stats st = {
		.steady = { .what = "steady state (no actions)" },
		.unfenced = { .what = "node lost, unfenced (1 FENCE)" },
		.fenced = { .what = "node fenced: recovery decision" },
		.settle = { .what = "node back: failback runs" },
	};
	struct samples initial = { .what = "initial placement (1000 starts)" };
	double ms, worst;
	int v;

	if (argc > 1 && (sscanf(argv[1], "%u", &rounds) != 1 || rounds == 0))
		return usage(argv[0]);
	if (argc > 2 && (sscanf(argv[2], "%u", &repeats) != 1 || repeats == 0))
		return usage(argv[0]);
	if (make_cluster(&c) < 0) {
		fprintf(stderr, "bench-policy: out of memory\n");
		return 1;
	}

	printf("policy bench: %d nodes (1 paused), %d roles, %u rounds x %d lost nodes, "
	       "%u timed runs per recovery decision%s\n", N_NODES, N_ROLES, rounds, N_NODES,
	       repeats,
#if defined(__SANITIZE_ADDRESS__)
	       " (ASan/UBSan build: times are pessimistic)"
#else
	       ""
#endif
	       );
	ms = decide(&c);
	add_sample(&initial, ms);
	apply(&c);
	settle(&c, NULL);
	/* Paused after placement: it keeps its roles but gets no new ones. */
	c.nodes[PAUSED_NODE].paused = true;
	settle(&c, NULL);
	for (r = 0; r < rounds; r++) {
		for (v = 0; v < N_NODES; v++)
			lose_node(&c, v, repeats, &st);
	}

	printf("\n%-34s %7s %9s %9s %9s %9s\n", "decision (ms)", "samples", "min", "median",
	       "p99", "max");
	print_samples(&initial);
	print_samples(&st.steady);
	print_samples(&st.unfenced);
	print_samples(&st.fenced);
	print_samples(&st.settle);
	printf("\nroles recovered per lost node: min %zu, mean %.1f, max %zu "
	       "(the paused node is empty after its first loss)\n",
	       st.min_recovered, (double)st.sum_recovered / (double)st.victims, st.max_recovered);
	printf("invariants (never on two nodes, fence first, valid nodes, memory): %lu checks, %lu violations\n",
	       c.checks, c.violations);
	worst = st.fenced.n ? st.fenced.ms[st.fenced.n - 1] : 0;
	printf("recovery decision for %d roles: median %.3f ms, p99 %.3f ms, max %.3f ms "
	       "(goal <= %.0f ms): %s\n", N_ROLES, percentile(&st.fenced, 0.5),
	       percentile(&st.fenced, 0.99), worst, GOAL_MS, worst <= GOAL_MS ? "MET" : "NOT MET");
	free(initial.ms);
	free(st.steady.ms);
	free(st.unfenced.ms);
	free(st.fenced.ms);
	free(st.settle.ms);
	free(c.roles);
	free(c.failures);
	return c.violations ? 1 : 0;
}
