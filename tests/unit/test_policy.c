/*
 * test_policy.c - the policy engine's rules (lib/policy.c, policy.h): tables
 * of cases, each a small cluster written as text and the exact set of
 * actions it must produce, plus error paths, determinism and a randomised
 * simulation that checks the safety invariants over many runs.
 *
 * Case syntax. Nodes, ';'-separated: "NAME [id=N] [mem=MIB] [paused]
 * [unfenced|fenced]" (default id: position + 1, state up). Roles, ';'-
 * separated: "NAME [on=NODE] [state=stopped|starting|started|stopping|
 * failed] [target=stopped] [prio=N] [pref=A,B] [poss=A,B] [mem=MIB]
 * [thr=N] [fail=NODE:N,...] [fb=never|immediate|S-E] [move=NODE] [ha=no]
 * [last=NODE]" (on= alone means started; ha=no: not highly available,
 * last=: its last owner). Expected actions, ';'-separated, as a set:
 * "fence NODE", "start|stop|restart|move ROLE NODE", "refuse ROLE [~TEXT]"
 * (TEXT: a substring of the reason).
 */
#include "policy.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_NODES 16
#define MAX_ROLES 64
#define MAX_ACTS (MAX_NODES + MAX_ROLES)

struct pcase {
	const char *name;
	const char *nodes;
	const char *roles;
	unsigned hour;
	const char *expect;
};

struct world {
	struct cd_pnode nodes[MAX_NODES];
	struct cd_prole roles[MAX_ROLES];
	unsigned failures[MAX_ROLES][MAX_NODES];
	struct cd_policy_input in;
	struct cd_action out[MAX_ACTS];
	size_t n;
	int rc;
};

/* ---- building worlds from text ---- */

static void
copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, CD_POLICY_NAME_MAX - 1);

	memmove(dst, src, n);
	dst[n] = '\0';
}

static int
node_idx(const struct world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->in.n_nodes; i++) {
		if (strcmp(w->nodes[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* "A,B,C" into a name list; returns the count. */
static size_t
split_names(char list[][CD_POLICY_NAME_MAX], const char *csv)
{
	char buf[256], *save = NULL, *t;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", csv);
	for (t = strtok_r(buf, ",", &save); t && n < CD_POLICY_MAX_OWNERS;
	     t = strtok_r(NULL, ",", &save))
		copy_name(list[n++], t);
	return n;
}

static void
parse_node(struct world *w, char *spec)
{
	struct cd_pnode *n = &w->nodes[w->in.n_nodes];
	char *save = NULL, *t = strtok_r(spec, " ", &save);

	memset(n, 0, sizeof(*n));
	copy_name(n->name, t);
	n->id = (uint32_t)w->in.n_nodes + 1;
	while ((t = strtok_r(NULL, " ", &save))) {
		if (strncmp(t, "id=", 3) == 0)
			n->id = (uint32_t)strtoul(t + 3, NULL, 10);
		else if (strncmp(t, "mem=", 4) == 0)
			n->memory_mib = strtoull(t + 4, NULL, 10);
		else if (strcmp(t, "paused") == 0)
			n->paused = true;
		else if (strcmp(t, "unfenced") == 0)
			n->state = CD_PNODE_DOWN_UNFENCED;
		else if (strcmp(t, "fenced") == 0)
			n->state = CD_PNODE_DOWN_FENCED;
		else
			CU_FAIL_FATAL("bad node token");
	}
	w->in.n_nodes++;
}

static enum cd_role_state
role_state(const char *s)
{
	static const char *names[] = { "stopped", "starting", "started", "stopping", "failed" };
	size_t i;

	for (i = 0; i < N_ELEMS(names); i++) {
		if (strcmp(s, names[i]) == 0)
			return (enum cd_role_state)i;
	}
	CU_FAIL_FATAL("bad role state");
	return CD_ROLE_STOPPED;
}

static void
parse_failures(struct world *w, size_t ri, const char *csv)
{
	char buf[256], *save = NULL, *t;

	snprintf(buf, sizeof(buf), "%s", csv);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		int ni;

		CU_ASSERT_PTR_NOT_NULL_FATAL(colon);
		*colon = '\0';
		ni = node_idx(w, t);
		CU_ASSERT_FATAL(ni >= 0);
		w->failures[ri][ni] = (unsigned)strtoul(colon + 1, NULL, 10);
	}
	w->roles[ri].failures = w->failures[ri];
}

static void
parse_failback(struct cd_prole *r, const char *v)
{
	if (strcmp(v, "never") == 0) {
		r->failback = CD_FAILBACK_NEVER;
	} else if (strcmp(v, "immediate") == 0) {
		r->failback = CD_FAILBACK_IMMEDIATE;
	} else {
		r->failback = CD_FAILBACK_WINDOW;
		CU_ASSERT_EQUAL_FATAL(sscanf(v, "%u-%u", &r->window_start, &r->window_end), 2);
	}
}

static void
parse_role(struct world *w, char *spec)
{
	size_t ri = w->in.n_roles;
	struct cd_prole *r = &w->roles[ri];
	char *save = NULL, *t = strtok_r(spec, " ", &save);
	bool has_state = false;

	memset(r, 0, sizeof(*r));
	copy_name(r->name, t);
	r->target_started = true;
	while ((t = strtok_r(NULL, " ", &save))) {
		char *v = strchr(t, '=');

		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		*v++ = '\0';
		if (strcmp(t, "on") == 0)
			copy_name(r->owner, v);
		else if (strcmp(t, "state") == 0)
			r->state = role_state(v), has_state = true;
		else if (strcmp(t, "target") == 0)
			r->target_started = strcmp(v, "stopped") != 0;
		else if (strcmp(t, "prio") == 0)
			r->priority = atoi(v);
		else if (strcmp(t, "pref") == 0)
			r->n_preferred = split_names(r->preferred, v);
		else if (strcmp(t, "poss") == 0)
			r->n_possible = split_names(r->possible, v);
		else if (strcmp(t, "mem") == 0)
			r->memory_mib = strtoull(v, NULL, 10);
		else if (strcmp(t, "thr") == 0)
			r->failover_threshold = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(t, "fail") == 0)
			parse_failures(w, ri, v);
		else if (strcmp(t, "fb") == 0)
			parse_failback(r, v);
		else if (strcmp(t, "move") == 0)
			copy_name(r->move_to, v);
		else if (strcmp(t, "ha") == 0)
			r->not_ha = strcmp(v, "no") == 0;
		else if (strcmp(t, "last") == 0)
			copy_name(r->last_owner, v);
		else
			CU_FAIL_FATAL("bad role token");
	}
	if (!has_state && r->owner[0])
		r->state = CD_ROLE_STARTED;
	w->in.n_roles++;
}

static void
build(struct world *w, const char *nodes, const char *roles, unsigned hour)
{
	char buf[2048], *save = NULL, *t;

	memset(w, 0, sizeof(*w));
	w->in.nodes = w->nodes;
	w->in.roles = w->roles;
	w->in.hour = hour;
	snprintf(buf, sizeof(buf), "%s", nodes);
	for (t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		if (*t)
			parse_node(w, t);
	}
	snprintf(buf, sizeof(buf), "%s", roles);
	for (t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		if (*t)
			parse_role(w, t);
	}
}

static void
run(struct world *w)
{
	memset(w->out, 0, sizeof(w->out));
	w->rc = cd_policy_run(&w->in, w->out, N_ELEMS(w->out), &w->n);
}

/* ---- comparing actions ---- */

/* "start r1 n2" for an action, the form expectations are written in. */
static void
action_text(const struct world *w, const struct cd_action *a, char *buf, size_t len)
{
	const char *type = a->type == CD_ACT_REFUSE_MOVE ? "refuse" : cd_action_str(a->type);
	const char *role = a->role >= 0 ? w->roles[a->role].name : "";
	const char *node = a->node >= 0 ? w->nodes[a->node].name : "";

	if (a->type == CD_ACT_FENCE)
		snprintf(buf, len, "%s %s", type, node);
	else if (a->type == CD_ACT_REFUSE_MOVE)
		snprintf(buf, len, "%s %s", type, role);
	else
		snprintf(buf, len, "%s %s %s", type, role, node);
}

/* Does action a match the expectation e ("refuse r1 ~paused")? */
static bool
matches(const struct world *w, const struct cd_action *a, const char *e)
{
	char text[200], want[200], *tilde;

	snprintf(want, sizeof(want), "%s", e);
	tilde = strchr(want, '~');
	if (tilde) {
		tilde[-1] = '\0';
		if (!strstr(a->reason, tilde + 1))
			return false;
	}
	action_text(w, a, text, sizeof(text));
	return strcmp(text, want) == 0;
}

static void
dump(const struct world *w)
{
	size_t i;

	printf("\n    got %zu action(s), rc %d:\n", w->n, w->rc);
	for (i = 0; i < w->n; i++) {
		char text[200];

		action_text(w, &w->out[i], text, sizeof(text));
		printf("      %-24s (%s)\n", text, w->out[i].reason);
	}
}

/* The actions equal the expected set (order free); report by case name. */
static bool
expect_actions(const struct world *w, const char *name, const char *expect)
{
	char buf[1024], *save = NULL, *t, msg[300];
	bool used[MAX_ACTS] = { false }, ok = w->rc == 0;
	size_t i, n_exp = 0;

	snprintf(buf, sizeof(buf), "%s", expect);
	for (t = strtok_r(buf, ";", &save); t && ok; t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		n_exp++;
		for (i = 0; i < w->n; i++) {
			if (!used[i] && matches(w, &w->out[i], t))
				break;
		}
		if (i == w->n) {
			ok = false;
			break;
		}
		used[i] = true;
	}
	ok = ok && n_exp == w->n;
	if (!ok) {
		printf("\n    case '%s': expected {%s}", name, expect);
		dump(w);
	}
	snprintf(msg, sizeof(msg), "case '%s'", name);
	CU_assertImplementation(ok, __LINE__, msg, __FILE__, "", CU_FALSE);
	return ok;
}

static void
run_cases(const struct pcase *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct world w;

		build(&w, cases[i].nodes, cases[i].roles, cases[i].hour);
		run(&w);
		expect_actions(&w, cases[i].name, cases[i].expect);
	}
}

#define RUN_TABLE(t) run_cases((t), N_ELEMS(t))

#define THREE "n1; n2; n3"

/* ---- rule 1: fence first ---- */

static const struct pcase fence_cases[] = {
	{ "lost node is fenced, its roles left alone", "n1; n2; n3 unfenced",
	  "r1 on=n3 prio=1000 pref=n3,n1; r2 on=n1", 0, "fence n3" },
	{ "failed role on lost node: no stop/restart", "n1; n2 unfenced",
	  "r1 on=n2 state=failed thr=1 fail=n2:5", 0, "fence n2" },
	{ "target stopped on lost node: no stop", "n1; n2 unfenced",
	  "r1 on=n2 target=stopped", 0, "fence n2" },
	{ "move requested on lost node: nothing", "n1; n2 unfenced",
	  "r1 on=n2 move=n1", 0, "fence n2" },
	{ "stopped record on lost node: still waits for fence", "n1; n2 unfenced",
	  "r1 on=n2 state=stopped", 0, "fence n2" },
	{ "transition on lost node: nothing", "n1; n2 unfenced",
	  "r1 on=n2 state=starting; r2 on=n2 state=stopping", 0, "fence n2" },
	{ "lost node without roles is fenced too", "n1; n2 unfenced", "r1 on=n1", 0,
	  "fence n2" },
	{ "two lost nodes, two fences", "n1; n2 unfenced; n3 unfenced",
	  "r1 on=n2; r2 on=n3", 0, "fence n2; fence n3" },
	{ "others proceed while fencing", "n1; n2 unfenced",
	  "r1 on=n2; r2 pref=n1; r3 on=n1 target=stopped", 0,
	  "fence n2; start r2 n1; stop r3 n1" },
	{ "never placed on the lost node", "n1 paused; n2 unfenced", "r1 pref=n2,n1", 0,
	  "fence n2" },
	{ "negative: fenced and up nodes are not fenced", "n1; n2 fenced", "", 0, "" },
};

static void
test_rule1_fence_first(void)
{
	RUN_TABLE(fence_cases);
}

/* ---- rule 2: roles of a fenced node are placed anew ---- */

static const struct pcase fenced_cases[] = {
	{ "started on fenced node: start on preferred", "n1; n2; n3 fenced",
	  "r1 on=n3 pref=n3,n2,n1", 0, "start r1 n2" },
	{ "failed on fenced node: start, not restart", "n1; n2 fenced",
	  "r1 on=n2 state=failed thr=1 fail=n2:3", 0, "start r1 n1" },
	{ "starting on fenced node: start elsewhere", "n1; n2 fenced",
	  "r1 on=n2 state=starting", 0, "start r1 n1" },
	{ "stopping on fenced node: start elsewhere", "n1; n2 fenced",
	  "r1 on=n2 state=stopping", 0, "start r1 n1" },
	{ "target stopped on fenced node: nothing", "n1; n2 fenced",
	  "r1 on=n2 target=stopped", 0, "" },
	{ "fence is not a failure: n1 below threshold still fits", "n1; n2 fenced",
	  "r1 on=n2 pref=n1 thr=2 fail=n1:1,n2:9", 0, "start r1 n1" },
	{ "banned survivor skipped", "n1; n2; n3 fenced",
	  "r1 on=n3 pref=n1,n2 thr=2 fail=n1:2", 0, "start r1 n2" },
	{ "no survivor fits: nothing", "n1 paused; n2 fenced", "r1 on=n2", 0, "" },
};

static void
test_rule2_fenced_roles(void)
{
	RUN_TABLE(fenced_cases);
}

/* ---- rule 3: transitions ---- */

static const struct pcase transition_cases[] = {
	{ "starting: nothing", "n1; n2", "r1 on=n1 state=starting pref=n2", 0, "" },
	{ "stopping: nothing", "n1; n2", "r1 on=n1 state=stopping", 0, "" },
	{ "starting with target stopped: nothing", "n1", "r1 on=n1 state=starting target=stopped",
	  0, "" },
	{ "stopping with move request: nothing", "n1; n2", "r1 on=n1 state=stopping move=n2",
	  0, "" },
	{ "starting with failback due: nothing", "n1; n2",
	  "r1 on=n2 state=starting pref=n1 fb=immediate", 0, "" },
	{ "transition counts as load", "n1 mem=1000; n2",
	  "r1 on=n1 state=starting mem=800; r2 pref=n1 mem=400", 0, "start r2 n2" },
	{ "negative: started role with target stopped is stopped", "n1",
	  "r1 on=n1 target=stopped", 0, "stop r1 n1" },
};

static void
test_rule3_transitions(void)
{
	RUN_TABLE(transition_cases);
}

/* ---- rule 4: administrator stopped ---- */

static const struct pcase stop_cases[] = {
	{ "started, target stopped: stop", "n1; n2", "r1 on=n2 target=stopped", 0, "stop r1 n2" },
	{ "failed, target stopped: stop (not restart)", "n1", "r1 on=n1 state=failed target=stopped",
	  0, "stop r1 n1" },
	{ "stopped, target stopped: nothing", "n1", "r1 target=stopped", 0, "" },
	{ "running on paused node, target stopped: stop", "n1 paused", "r1 on=n1 target=stopped",
	  0, "stop r1 n1" },
	{ "negative: started, target started: nothing", "n1", "r1 on=n1", 0, "" },
	{ "stop does not free room this run", "n1 mem=1000; n2",
	  "r1 on=n1 mem=800 target=stopped; r2 pref=n1 mem=800", 0, "stop r1 n1; start r2 n2" },
};

static void
test_rule4_stop(void)
{
	RUN_TABLE(stop_cases);
}

/* ---- rule 5: placement ---- */

static const struct pcase place_cases[] = {
	{ "first preferred owner", THREE, "r1 pref=n2,n3", 0, "start r1 n2" },
	{ "preferred order, not node order", THREE, "r1 pref=n3,n1,n2", 0, "start r1 n3" },
	{ "down preferred skipped", "n1; n2 fenced; n3", "r1 pref=n2,n3", 0, "start r1 n3" },
	{ "paused preferred skipped", "n1; n2 paused; n3", "r1 pref=n2,n3", 0, "start r1 n3" },
	{ "non-possible preferred skipped", THREE, "r1 pref=n1,n3 poss=n2,n3", 0, "start r1 n3" },
	{ "banned preferred skipped", THREE, "r1 pref=n1,n2 thr=3 fail=n1:3", 0, "start r1 n2" },
	{ "below threshold not banned", THREE, "r1 pref=n1,n2 thr=3 fail=n1:2", 0, "start r1 n1" },
	{ "threshold 0: never banned", THREE, "r1 pref=n1,n2 thr=0 fail=n1:50", 0, "start r1 n1" },
	{ "full preferred skipped", "n1 mem=1000; n2; n3", "r1 pref=n1,n3 mem=1001", 0,
	  "start r1 n3" },
	{ "exact fit accepted", "n1 mem=1000; n2", "r1 pref=n1 mem=1000", 0, "start r1 n1" },
	{ "unknown preferred name ignored", THREE, "r1 pref=gone,n3", 0, "start r1 n3" },
	{ "no preferred: least loaded", THREE, "r0 on=n1; r9 on=n2; r1", 0, "start r1 n3" },
	{ "no valid preferred: least loaded", "n1 paused; n2; n3",
	  "r0 on=n2; r1 pref=n1", 0, "start r1 n3" },
	{ "possible owners restrict least loaded", THREE, "r1 poss=n2,n1; r0 on=n1", 0,
	  "start r1 n2" },
	{ "nothing possible is up: nothing", "n1; n2 fenced; n3", "r1 poss=n2", 0, "" },
	{ "all paused: nothing", "n1 paused; n2 paused", "r1", 0, "" },
	{ "no node has room: nothing", "n1 mem=100; n2 mem=100", "r1 mem=200", 0, "" },
	{ "banned everywhere: nothing", "n1; n2", "r1 thr=1 fail=n1:1,n2:1", 0, "" },
	{ "unlimited node takes any memory", "n1 mem=100; n2", "r1 pref=n1,n2 mem=5000", 0,
	  "start r1 n2" },
	{ "zero-memory role fits a full node", "n1 mem=100",
	  "r0 on=n1 mem=100; r1 pref=n1", 0, "start r1 n1" },
	{ "running role on paused node stays", "n1 paused; n2", "r1 on=n1 pref=n2", 0, "" },
	{ "running role on full node stays", "n1 mem=100; n2", "r1 on=n1 mem=500", 0, "" },
};

static void
test_rule5_placement(void)
{
	RUN_TABLE(place_cases);
}

static const struct pcase capacity_cases[] = {
	{ "room used by running roles", "n1 mem=4096; n2 mem=4096",
	  "r0 on=n1 mem=3000; r1 pref=n1,n2 mem=2000", 0, "start r1 n2" },
	{ "room used earlier in the same run", "n1 mem=4096; n2 mem=4096; n3",
	  "a pref=n1,n2 mem=3000; b pref=n1,n2 mem=3000; c pref=n1,n2 mem=3000", 0,
	  "start a n1; start b n2; start c n3" },
	{ "room used by failed and starting roles", "n1 mem=1000; n2",
	  "r0 on=n1 state=failed mem=500; r1 on=n1 state=starting mem=400; r2 pref=n1 mem=200",
	  0, "restart r0 n1; start r2 n2" },
	{ "recovered role counts once", "n1 mem=1000; n2 fenced",
	  "r0 on=n2 pref=n1 mem=600; r1 pref=n1 mem=400", 0, "start r0 n1; start r1 n1" },
	{ "stopped role with last owner not counted", "n1 mem=1000",
	  "r0 on=n1 state=stopped target=stopped mem=900; r1 pref=n1 mem=1000", 0,
	  "start r1 n1" },
	{ "overcommitted node refuses memory", "n1 mem=100; n2 mem=100",
	  "r0 on=n1 mem=300; r1 pref=n1,n2 mem=1", 0, "start r1 n2" },
};

static void
test_rule5_capacity(void)
{
	RUN_TABLE(capacity_cases);
}

static const struct pcase priority_cases[] = {
	{ "short room: higher priority wins", "n1 mem=4096",
	  "a prio=1 mem=3000; b prio=5 mem=3000", 0, "start b n1" },
	{ "short room: negative priority last", "n1 mem=4096",
	  "a prio=-1 mem=3000; z prio=0 mem=3000", 0, "start z n1" },
	{ "equal priority: by name", "n1 mem=4096", "b mem=3000; a mem=3000", 0, "start a n1" },
	{ "priority picks the preferred node first", "n1 mem=4096; n2 mem=4096",
	  "low prio=1 pref=n1,n2 mem=3000; high prio=9 pref=n1,n2 mem=3000", 0,
	  "start high n1; start low n2" },
	{ "recovery before failback of a higher priority", "n1 mem=4096; n2 mem=4096; n3 fenced",
	  "high prio=9 on=n2 pref=n1 fb=immediate mem=3000; low prio=1 on=n3 pref=n1 mem=3000",
	  0, "start low n1" },
};

static void
test_rule5_priority(void)
{
	RUN_TABLE(priority_cases);
}

static const struct pcase balance_cases[] = {
	{ "least memory wins", THREE,
	  "x on=n1 mem=2048; y on=n2 mem=1024; z on=n3 mem=1536; r1", 0, "start r1 n2" },
	{ "memory before role count", "n1; n2",
	  "x on=n1 mem=2048; y1 on=n2; y2 on=n2; y3 on=n2; r1", 0, "start r1 n2" },
	{ "equal memory: fewer roles", "n1; n2",
	  "x1 on=n1 mem=10; x2 on=n1; y on=n2 mem=10; r1", 0, "start r1 n2" },
	{ "equal load: lowest id, not input order", "na id=7; nb id=3; nc id=5", "r1", 0,
	  "start r1 nb" },
	{ "roles placed in this run count", "n1; n2", "a; b; c; d", 0,
	  "start a n1; start b n2; start c n1; start d n2" },
	{ "memory placed in this run counts", "n1; n2",
	  "a prio=2 mem=100; b prio=1 mem=10; c mem=10", 0,
	  "start a n1; start b n2; start c n2" },
	{ "absolute memory, not free memory", "n1 mem=8000; n2 mem=2000",
	  "x on=n1 mem=1500; y on=n2 mem=1000; r1 mem=500", 0, "start r1 n2" },
};

static void
test_rule5_balance(void)
{
	RUN_TABLE(balance_cases);
}

/* ---- rule 6: local restart, then failover ---- */

static const struct pcase failure_cases[] = {
	{ "below threshold: restart", "n1; n2", "r1 on=n1 state=failed thr=3 fail=n1:2", 0,
	  "restart r1 n1" },
	{ "first failure: restart", "n1; n2", "r1 on=n1 state=failed thr=3 fail=n1:1", 0,
	  "restart r1 n1" },
	{ "at threshold: stop", "n1; n2", "r1 on=n1 state=failed thr=3 fail=n1:3", 0,
	  "stop r1 n1" },
	{ "above threshold: stop", "n1; n2", "r1 on=n1 state=failed thr=3 fail=n1:7", 0,
	  "stop r1 n1" },
	{ "threshold 1: stop on first failure", "n1; n2", "r1 on=n1 state=failed thr=1 fail=n1:1",
	  0, "stop r1 n1" },
	{ "threshold 0: always restart", "n1; n2", "r1 on=n1 state=failed thr=0 fail=n1:99", 0,
	  "restart r1 n1" },
	{ "no failure records: restart", "n1", "r1 on=n1 state=failed thr=2", 0, "restart r1 n1" },
	{ "failures elsewhere do not count", "n1; n2", "r1 on=n1 state=failed thr=2 fail=n2:9", 0,
	  "restart r1 n1" },
	{ "after the stop: placed elsewhere, banned node skipped", "n1; n2; n3",
	  "r1 pref=n1,n3,n2 thr=3 fail=n1:3", 0, "start r1 n3" },
	{ "after the stop: banned node skipped by least loaded", "n1; n2",
	  "r0 on=n2; r1 thr=3 fail=n1:3", 0, "start r1 n2" },
	{ "failed with move request: recovery first", "n1; n2",
	  "r1 on=n1 state=failed thr=3 fail=n1:1 move=n2", 0, "restart r1 n1" },
	{ "failed on paused node: restart there", "n1 paused; n2",
	  "r1 on=n1 state=failed thr=3 fail=n1:1", 0, "restart r1 n1" },
};

static void
test_rule6_failures(void)
{
	RUN_TABLE(failure_cases);
}

/* ---- rule 7: administrator's moves ---- */

static const struct pcase move_cases[] = {
	{ "move to a valid node", THREE, "r1 on=n1 move=n3", 0, "move r1 n3" },
	{ "move to a non-preferred node", THREE, "r1 on=n1 pref=n1,n2 move=n3", 0, "move r1 n3" },
	{ "move to a paused node", "n1; n2 paused", "r1 on=n1 move=n2", 0, "refuse r1 ~paused" },
	{ "move to a non-possible node", THREE, "r1 on=n1 poss=n1,n2 move=n3", 0,
	  "refuse r1 ~possible" },
	{ "move to a down node", "n1; n2 fenced", "r1 on=n1 move=n2", 0, "refuse r1 ~down" },
	{ "move to a lost node", "n1; n2 unfenced", "r1 on=n1 move=n2", 0,
	  "fence n2; refuse r1 ~down" },
	{ "move to an unknown node", "n1", "r1 on=n1 move=nx", 0, "refuse r1 ~unknown" },
	{ "move to a full node", "n1; n2 mem=1000", "r0 on=n2 mem=600; r1 on=n1 mem=600 move=n2", 0,
	  "refuse r1 ~no room" },
	{ "move to a banned node", "n1; n2", "r1 on=n1 thr=2 fail=n2:2 move=n2", 0,
	  "refuse r1 ~threshold" },
	{ "move to where it runs", "n1; n2", "r1 on=n1 move=n1", 0, "refuse r1 ~already" },
	{ "move of a stopped role", "n1; n2", "r1 target=stopped move=n2", 0,
	  "refuse r1 ~stopped" },
	{ "move of a role to start: starts there", THREE, "r1 pref=n1 move=n3", 0,
	  "start r1 n3" },
	{ "move of a role to start, target invalid: placed as usual", "n1; n2 paused",
	  "r1 pref=n2 move=n2", 0, "start r1 n1" },
	{ "moves share room in priority order", "n1; n2 mem=1000",
	  "a on=n1 prio=1 mem=600 move=n2; b on=n1 prio=2 mem=600 move=n2", 0,
	  "move b n2; refuse a ~no room" },
	{ "move does not take a stopped role's room", "n1; n2 mem=1000; n3 fenced",
	  "a on=n1 prio=9 mem=600 move=n2; b on=n3 prio=1 pref=n2 mem=600", 0,
	  "start b n2; refuse a ~no room" },
	{ "move instead of failback", "n1; n2; n3",
	  "r1 on=n2 pref=n1 fb=immediate move=n3", 0, "move r1 n3" },
	{ "negative: no request, no move", THREE, "r1 on=n1", 0, "" },
};

static void
test_rule7_move(void)
{
	RUN_TABLE(move_cases);
}

static void
test_move_reason_names_node(void)
{
	struct world w;

	build(&w, "n1; n2 paused", "r1 on=n1 move=n2", 0);
	run(&w);
	CU_ASSERT_EQUAL_FATAL(w.n, 1);
	CU_ASSERT_EQUAL(w.out[0].type, CD_ACT_REFUSE_MOVE);
	CU_ASSERT_EQUAL(w.out[0].role, 0);
	CU_ASSERT_EQUAL(w.out[0].node, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.out[0].reason, "n2"));
	CU_ASSERT_STRING_EQUAL(cd_action_str(CD_ACT_REFUSE_MOVE), "refuse-move");
	CU_ASSERT_STRING_EQUAL(cd_action_str(CD_ACT_FENCE), "fence");
	CU_ASSERT_STRING_EQUAL(cd_action_str((enum cd_action_type)99), "unknown");
}

/* ---- rule 7 at request time (cd_policy_move_check) and drain (cd_policy_pick) ---- */

struct mcase {
	const char *name;
	const char *nodes;
	const char *roles;
	const char *role;
	const char *to;
	int rc;
	const char *why;	/* substring of the reason, for a refusal */
};

static const struct mcase check_cases[] = {
	{ "valid", THREE, "r1 on=n1", "r1", "n3", 0, NULL },
	{ "paused", "n1; n2 paused", "r1 on=n1", "r1", "n2", -EPERM, "node is paused" },
	{ "not possible", THREE, "r1 on=n1 poss=n1,n2", "r1", "n3", -EPERM, "not a possible owner" },
	{ "down", "n1; n2 fenced", "r1 on=n1", "r1", "n2", -EPERM, "node is down" },
	{ "lost", "n1; n2 unfenced", "r1 on=n1", "r1", "n2", -EPERM, "node is down" },
	{ "unknown", "n1", "r1 on=n1", "r1", "nx", -ENOENT, "unknown node" },
	{ "full", "n1; n2 mem=1000", "r0 on=n2 mem=600; r1 on=n1 mem=600", "r1", "n2", -EPERM,
	  "no room" },
	{ "banned", "n1; n2", "r1 on=n1 thr=2 fail=n2:2", "r1", "n2", -EPERM, "threshold" },
	{ "already started there", "n1; n2", "r1 on=n1", "r1", "n1", -EALREADY, "already runs" },
	{ "starting there", "n1; n2", "r1 on=n1 state=starting", "r1", "n1", -EPERM, "already runs" },
	{ "stopped role, valid node", "n1; n2", "r1 target=stopped", "r1", "n2", 0, NULL },
	{ "stopped role keeps its last owner", "n1; n2", "r1 on=n1 state=stopped", "r1", "n1", 0,
	  NULL },
};

static int
role_idx(const struct world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->in.n_roles; i++) {
		if (!strcmp(w->roles[i].name, name))
			return (int)i;
	}
	return -1;
}

static void
test_move_check(void)
{
	char why[CD_POLICY_REASON_MAX];
	struct world w;
	size_t i;

	for (i = 0; i < N_ELEMS(check_cases); i++) {
		const struct mcase *c = &check_cases[i];
		int ri, rc;

		build(&w, c->nodes, c->roles, 0);
		ri = role_idx(&w, c->role);
		CU_ASSERT_FATAL(ri >= 0);
		why[0] = '\0';
		rc = cd_policy_move_check(&w.in, (size_t)ri, c->to, why, sizeof(why));
		if (rc != c->rc || (c->why && !strstr(why, c->why)))
			printf("\n  case '%s': rc %d (expected %d), why '%s'", c->name, rc, c->rc, why);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->why)
			CU_ASSERT_PTR_NOT_NULL(strstr(why, c->why));
	}
	build(&w, "n1", "r1 on=n1", 0);
	CU_ASSERT_EQUAL(cd_policy_move_check(&w.in, 1, "n1", why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(cd_policy_move_check(&w.in, 0, NULL, why, sizeof(why)), -EINVAL);
	build(&w, "n1", "r1 on=nx", 0);
	CU_ASSERT_EQUAL(cd_policy_move_check(&w.in, 0, "n1", NULL, 0), -EINVAL);
}

/* The request-time check and a run's rule 7 agree on every settled move case. */
static void
test_move_check_agrees(void)
{
	char why[CD_POLICY_REASON_MAX];
	struct world w;
	size_t i, checked = 0;

	for (i = 0; i < N_ELEMS(move_cases); i++) {
		const struct pcase *c = &move_cases[i];
		int ri, rc;

		build(&w, c->nodes, c->roles, c->hour);
		ri = role_idx(&w, "r1");
		if (ri < 0 || !w.roles[ri].move_to[0] || !w.roles[ri].owner[0] ||
		    w.roles[ri].state != CD_ROLE_STARTED || strchr(c->expect, ';'))
			continue;	/* one settled role's request, one action */
		run(&w);
		CU_ASSERT_EQUAL_FATAL(w.n, 1);
		rc = cd_policy_move_check(&w.in, (size_t)ri, w.roles[ri].move_to, why, sizeof(why));
		if (w.out[0].type == CD_ACT_MOVE) {
			CU_ASSERT_EQUAL(rc, 0);
		} else {
			CU_ASSERT(rc < 0);
			CU_ASSERT_STRING_EQUAL(why, w.out[0].reason);
		}
		checked++;
	}
	CU_ASSERT(checked >= 8);
}

struct kcase {
	const char *name;
	const char *nodes;
	const char *roles;
	const char *pick;	/* NULL: none fits */
};

static const struct kcase pick_cases[] = {
	{ "first preferred but the owner", THREE, "r1 on=n1 pref=n1,n3,n2", "n3" },
	{ "paused preferred skipped", "n1; n2 paused; n3", "r1 on=n1 pref=n2,n3", "n3" },
	{ "the drained owner is paused too", "n1 paused; n2; n3", "r1 on=n1 pref=n1,n2", "n2" },
	{ "no preferred: least loaded, not the owner", THREE, "r0 on=n2; r1 on=n1", "n3" },
	{ "banned and down skipped", "n1; n2 fenced; n3; n4", "r1 on=n1 thr=1 fail=n3:1", "n4" },
	{ "possible owners", THREE, "r1 on=n1 poss=n1,n2", "n2" },
	{ "full", "n1; n2 mem=100", "r1 on=n1 mem=200", NULL },
	{ "alone", "n1", "r1 on=n1", NULL },
};

static void
test_pick(void)
{
	struct world w;
	size_t i;

	for (i = 0; i < N_ELEMS(pick_cases); i++) {
		const struct kcase *c = &pick_cases[i];
		int rc;

		build(&w, c->nodes, c->roles, 0);
		rc = cd_policy_pick(&w.in, (size_t)role_idx(&w, "r1"));
		if (c->pick) {
			if (rc < 0 || strcmp(w.nodes[rc].name, c->pick))
				printf("\n  case '%s': %d", c->name, rc);
			CU_ASSERT_FATAL(rc >= 0);
			CU_ASSERT_STRING_EQUAL(w.nodes[rc].name, c->pick);
		} else {
			CU_ASSERT_EQUAL(rc, -ENOENT);
		}
	}
	build(&w, "n1", "r1 on=n1", 0);
	CU_ASSERT_EQUAL(cd_policy_pick(&w.in, 5), -EINVAL);
}

/* ---- rule 8: failback ---- */

static const struct pcase failback_cases[] = {
	{ "immediate: back to first preferred", THREE, "r1 on=n2 pref=n1,n2 fb=immediate", 0,
	  "move r1 n1" },
	{ "never: stays", THREE, "r1 on=n2 pref=n1,n2 fb=never", 0, "" },
	{ "on most preferred: stays", THREE, "r1 on=n1 pref=n1,n2 fb=immediate", 0, "" },
	{ "not preferred at all: to preferred", THREE, "r1 on=n3 pref=n1 fb=immediate", 0,
	  "move r1 n1" },
	{ "no preferred owners: stays", THREE, "r1 on=n3 fb=immediate", 0, "" },
	{ "preferred down: stays", "n1 fenced; n2", "r1 on=n2 pref=n1,n2 fb=immediate", 0, "" },
	{ "preferred paused: stays, not sideways", "n1 paused; n2; n3",
	  "r1 on=n2 pref=n1,n2,n3 fb=immediate", 0, "" },
	{ "not preferred, first paused: to the next preferred", "n1 paused; n2; n3",
	  "r1 on=n2 pref=n1,n3 fb=immediate", 0, "move r1 n3" },
	{ "preferred paused: to the next more preferred", "n1 paused; n2; n3",
	  "r1 on=n3 pref=n1,n2,n3 fb=immediate", 0, "move r1 n2" },
	{ "preferred full: stays", "n1 mem=100; n2", "r1 on=n2 pref=n1 mem=200 fb=immediate", 0,
	  "" },
	{ "preferred banned: stays", THREE, "r1 on=n2 pref=n1 thr=2 fail=n1:2 fb=immediate", 0,
	  "" },
	{ "preferred not possible: stays", THREE, "r1 on=n2 pref=n1,n2 poss=n2,n3 fb=immediate", 0,
	  "" },
	{ "window 8-17 at 8: moves", THREE, "r1 on=n2 pref=n1 fb=8-17", 8, "move r1 n1" },
	{ "window 8-17 at 16: moves", THREE, "r1 on=n2 pref=n1 fb=8-17", 16, "move r1 n1" },
	{ "window 8-17 at 17: end excluded", THREE, "r1 on=n2 pref=n1 fb=8-17", 17, "" },
	{ "window 8-17 at 7: before", THREE, "r1 on=n2 pref=n1 fb=8-17", 7, "" },
	{ "window 22-6 at 22: moves", THREE, "r1 on=n2 pref=n1 fb=22-6", 22, "move r1 n1" },
	{ "window 22-6 at 23: moves", THREE, "r1 on=n2 pref=n1 fb=22-6", 23, "move r1 n1" },
	{ "window 22-6 at 0: moves", THREE, "r1 on=n2 pref=n1 fb=22-6", 0, "move r1 n1" },
	{ "window 22-6 at 5: moves", THREE, "r1 on=n2 pref=n1 fb=22-6", 5, "move r1 n1" },
	{ "window 22-6 at 6: end excluded", THREE, "r1 on=n2 pref=n1 fb=22-6", 6, "" },
	{ "window 22-6 at 12: outside", THREE, "r1 on=n2 pref=n1 fb=22-6", 12, "" },
	{ "window 22-6 at 21: outside", THREE, "r1 on=n2 pref=n1 fb=22-6", 21, "" },
	{ "window 0-23 at 23: end excluded", THREE, "r1 on=n2 pref=n1 fb=0-23", 23, "" },
	{ "window 5-5: empty", THREE, "r1 on=n2 pref=n1 fb=5-5", 5, "" },
	{ "failback room in priority order", "n1 mem=1000; n2; n3",
	  "a on=n2 prio=1 pref=n1 mem=600 fb=immediate; b on=n3 prio=2 pref=n1 mem=600 fb=immediate",
	  0, "move b n1" },
	{ "failback after requested moves", "n1 mem=1000; n2; n3",
	  "a on=n2 prio=9 pref=n1 mem=600 fb=immediate; b on=n3 prio=1 mem=600 move=n1", 0,
	  "move b n1" },
};

static void
test_rule8_failback(void)
{
	RUN_TABLE(failback_cases);
}

/* ---- rule 9: roles that are not highly available ---- */

static const struct pcase noha_cases[] = {
	{ "owner fenced: no start elsewhere", "n1; n2 fenced", "r1 on=n2 ha=no", 0, "" },
	{ "failed on a fenced owner: waits too", "n1; n2 fenced",
	  "r1 on=n2 state=failed ha=no pref=n1", 0, "" },
	{ "owner lost: fence, nothing else", "n1; n2 unfenced", "r1 on=n2 ha=no", 0, "fence n2" },
	{ "owner back: start there, not on the preferred", "n1; n2",
	  "r1 ha=no last=n2 pref=n1", 0, "start r1 n2 ~not highly available" },
	{ "stopped record keeps its owner: start there", "n1; n2",
	  "r1 on=n2 state=stopped ha=no pref=n1", 0, "start r1 n2" },
	{ "first start placed as usual: preferred", "n1; n2", "r1 ha=no pref=n2", 0,
	  "start r1 n2" },
	{ "first start placed as usual: least loaded", "n1; n2", "r0 on=n1; r1 ha=no", 0,
	  "start r1 n2" },
	{ "home paused: waits", "n1; n2 paused", "r1 ha=no last=n2", 0, "" },
	{ "home full: waits", "n1; n2 mem=1000", "r0 on=n2 mem=600; r1 ha=no last=n2 mem=600",
	  0, "" },
	{ "home no longer a node: waits", "n1", "r1 ha=no last=n9", 0, "" },
	{ "failure on the owner: restart there", "n1; n2",
	  "r1 on=n1 state=failed ha=no thr=3 fail=n1:1", 0, "restart r1 n1" },
	{ "threshold on the owner: stop, no failover", "n1; n2",
	  "r1 on=n1 state=failed ha=no thr=2 fail=n1:2", 0, "stop r1 n1 ~wait there" },
	{ "stopped after the threshold: waits for the ban to end", "n1; n2",
	  "r1 ha=no last=n1 thr=2 fail=n1:2", 0, "" },
	{ "ban over: start on its home", "n1; n2", "r1 ha=no last=n1 thr=2 fail=n1:1", 0,
	  "start r1 n1" },
	{ "no failback", "n1; n2", "r1 on=n2 ha=no pref=n1 fb=immediate", 0, "" },
	{ "running: a requested move is done (live, by the caller)", "n1; n2",
	  "r1 on=n1 ha=no move=n2", 0, "move r1 n2" },
	{ "stopped with a move asked: starts on its home", "n1; n2",
	  "r1 ha=no last=n1 move=n2", 0, "start r1 n1" },
	{ "target stopped: stop on its owner", "n1; n2", "r1 on=n1 ha=no target=stopped", 0,
	  "stop r1 n1" },
	{ "negative: an HA role with a last owner fails over", "n1; n2 fenced",
	  "r1 on=n2 last=n2", 0, "start r1 n1" },
	{ "negative: an HA role ignores its last owner", "n1; n2", "r1 last=n2 pref=n1", 0,
	  "start r1 n1" },
};

static void
test_rule9_not_ha(void)
{
	RUN_TABLE(noha_cases);
}

/* cd_policy_move_check and cd_policy_waits for roles that are not HA. */
static void
test_rule9_checks(void)
{
	static const struct {
		const char *nodes, *roles, *to;
		int move_rc, waits;
		const char *why;	/* of the refusal, then of the wait */
	} cases[] = {
		{ "n1; n2 fenced; n3", "r1 on=n2 ha=no", "n3", -EPERM, 1,
		  "not highly available: waits for n2 (its disks are local there)" },
		{ "n1; n2 paused", "r1 ha=no last=n2", "n1", -EPERM, 1,
		  "not highly available: waits for n2 (its disks are local there; it is paused)" },
		{ "n1", "r1 ha=no last=gone", "n1", -EPERM, 1,
		  "not highly available: waits for gone, no longer a node" },
		{ "n1; n2", "r1 ha=no last=n1 thr=1 fail=n1:1", "n2", -EPERM, 1, "banned there" },
		{ "n1; n2", "r1 on=n1 ha=no", "n2", 0, 0, NULL },
		{ "n1; n2", "r1 ha=no last=n1", "n1", 0, 0, NULL },
		{ "n1; n2", "r1 ha=no", "n2", 0, 0, NULL },
		{ "n1; n2 fenced", "r1 on=n2 state=stopped ha=no target=stopped", "n2", -EPERM, 0,
		  NULL },
		{ "n1; n2 fenced", "r1 on=n2", "n1", 0, 0, NULL },
	};
	char why[CD_POLICY_REASON_MAX];
	struct world w;
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		int rc;

		build(&w, cases[i].nodes, cases[i].roles, 0);
		rc = cd_policy_move_check(&w.in, 0, cases[i].to, why, sizeof(why));
		if (rc != cases[i].move_rc)
			printf("\n  case %zu: move rc %d: %s", i, rc, why);
		CU_ASSERT_EQUAL(rc, cases[i].move_rc);
		if (rc == -EPERM && cases[i].waits)
			CU_ASSERT_PTR_NOT_NULL(strstr(why, "it moves only live"));
		why[0] = '\0';
		rc = cd_policy_waits(&w.in, 0, why, sizeof(why));
		if (rc != cases[i].waits || (cases[i].why && !strstr(why, cases[i].why)))
			printf("\n  case %zu: waits %d: '%s'", i, rc, why);
		CU_ASSERT_EQUAL(rc, cases[i].waits);
		if (cases[i].why)
			CU_ASSERT_PTR_NOT_NULL(strstr(why, cases[i].why));
	}
	CU_ASSERT_EQUAL(cd_policy_waits(&w.in, 1, why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(cd_policy_waits(NULL, 0, why, sizeof(why)), -EINVAL);
	build(&w, "n1", "r1 on=nx ha=no", 0);
	CU_ASSERT_EQUAL(cd_policy_waits(&w.in, 0, NULL, 0), -EINVAL);
}

/* ---- errors ---- */

static void
test_e2big(void)
{
	struct world w;
	struct cd_action few[2];
	size_t n = 99;
	int rc;

	build(&w, "n1; n2 unfenced; n3", "a prio=3; b prio=2; c prio=1", 0);
	run(&w);
	CU_ASSERT_EQUAL_FATAL(w.rc, 0);
	CU_ASSERT_EQUAL_FATAL(w.n, 4);
	/* The fence first, then the roles by priority. */
	CU_ASSERT_EQUAL(w.out[0].type, CD_ACT_FENCE);
	CU_ASSERT_EQUAL(w.out[0].role, -1);
	CU_ASSERT_EQUAL(w.out[1].role, 0);

	memset(few, 0, sizeof(few));
	rc = cd_policy_run(&w.in, few, N_ELEMS(few), &n);
	CU_ASSERT_EQUAL(rc, -E2BIG);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(memcmp(few, w.out, sizeof(few)), 0);

	n = 99;
	CU_ASSERT_EQUAL(cd_policy_run(&w.in, NULL, 0, &n), -E2BIG);
	CU_ASSERT_EQUAL(n, 0);

	/* Exactly enough room is fine; so is n_roles + n_nodes. */
	CU_ASSERT_EQUAL(cd_policy_run(&w.in, w.out, 4, &n), 0);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(cd_policy_run(&w.in, w.out, w.in.n_roles + w.in.n_nodes, &n), 0);

	/* Nothing to do needs no room. */
	build(&w, "n1", "a on=n1", 0);
	CU_ASSERT_EQUAL(cd_policy_run(&w.in, NULL, 0, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
}

typedef void (*mutate_fn)(struct world *w);

static void m_owner_unknown(struct world *w) { copy_name(w->roles[0].owner, "nx"); }
static void m_dup_node_name(struct world *w) { copy_name(w->nodes[1].name, "n1"); }
static void m_dup_node_id(struct world *w) { w->nodes[1].id = w->nodes[0].id; }
static void m_empty_node_name(struct world *w) { w->nodes[1].name[0] = '\0'; }
static void m_dup_role_name(struct world *w) { copy_name(w->roles[1].name, "r1"); }
static void m_empty_role_name(struct world *w) { w->roles[1].name[0] = '\0'; }
static void m_started_no_owner(struct world *w) { w->roles[1].state = CD_ROLE_STARTED; }
static void m_failed_no_owner(struct world *w) { w->roles[1].state = CD_ROLE_FAILED; }
static void m_bad_role_state(struct world *w) { w->roles[0].state = (enum cd_role_state)9; }
static void m_bad_node_state(struct world *w) { w->nodes[0].state = (enum cd_pnode_state)7; }
static void m_bad_failback(struct world *w) { w->roles[0].failback = (enum cd_failback)5; }
static void m_hour(struct world *w) { w->in.hour = 24; }
static void m_too_many_preferred(struct world *w) { w->roles[0].n_preferred = CD_POLICY_MAX_OWNERS + 1; }
static void m_too_many_possible(struct world *w) { w->roles[0].n_possible = CD_POLICY_MAX_OWNERS + 1; }
static void m_nodes_null(struct world *w) { w->in.nodes = NULL; }
static void m_roles_null(struct world *w) { w->in.roles = NULL; }

static void
m_window_start(struct world *w)
{
	w->roles[0].failback = CD_FAILBACK_WINDOW;
	w->roles[0].window_start = 24;
}

static void
m_window_end(struct world *w)
{
	w->roles[0].failback = CD_FAILBACK_WINDOW;
	w->roles[0].window_end = 30;
}

static void
m_unterminated_node(struct world *w)
{
	memset(w->nodes[0].name, 'a', CD_POLICY_NAME_MAX);
}

static void
m_unterminated_role(struct world *w)
{
	memset(w->roles[0].name, 'a', CD_POLICY_NAME_MAX);
}

static void
m_unterminated_pref(struct world *w)
{
	w->roles[0].n_preferred = 1;
	memset(w->roles[0].preferred[0], 'a', CD_POLICY_NAME_MAX);
}

static void
m_unterminated_move(struct world *w)
{
	memset(w->roles[0].move_to, 'a', CD_POLICY_NAME_MAX);
}

static void
m_unterminated_last(struct world *w)
{
	memset(w->roles[1].last_owner, 'a', CD_POLICY_NAME_MAX);
}

static const struct {
	const char *name;
	mutate_fn mutate;
} einval_cases[] = {
	{ "owner not a known node", m_owner_unknown },
	{ "duplicate node name", m_dup_node_name },
	{ "duplicate node id", m_dup_node_id },
	{ "empty node name", m_empty_node_name },
	{ "duplicate role name", m_dup_role_name },
	{ "empty role name", m_empty_role_name },
	{ "started without owner", m_started_no_owner },
	{ "failed without owner", m_failed_no_owner },
	{ "bad role state", m_bad_role_state },
	{ "bad node state", m_bad_node_state },
	{ "bad failback", m_bad_failback },
	{ "hour 24", m_hour },
	{ "window start 24", m_window_start },
	{ "window end 30", m_window_end },
	{ "too many preferred", m_too_many_preferred },
	{ "too many possible", m_too_many_possible },
	{ "nodes NULL", m_nodes_null },
	{ "roles NULL", m_roles_null },
	{ "unterminated node name", m_unterminated_node },
	{ "unterminated role name", m_unterminated_role },
	{ "unterminated preferred name", m_unterminated_pref },
	{ "unterminated move_to", m_unterminated_move },
	{ "unterminated last_owner", m_unterminated_last },
};

static void
test_einval(void)
{
	struct world w;
	size_t i, n;

	/* The base input is valid... */
	build(&w, "n1; n2 unfenced", "r1 on=n1; r2", 0);
	run(&w);
	CU_ASSERT_EQUAL_FATAL(w.rc, 0);
	/* ...and each single inconsistency makes it -EINVAL, with no actions. */
	for (i = 0; i < N_ELEMS(einval_cases); i++) {
		char msg[200];

		build(&w, "n1; n2 unfenced", "r1 on=n1; r2", 0);
		einval_cases[i].mutate(&w);
		n = 99;
		w.rc = cd_policy_run(&w.in, w.out, N_ELEMS(w.out), &n);
		snprintf(msg, sizeof(msg), "-EINVAL: %s", einval_cases[i].name);
		CU_assertImplementation(w.rc == -EINVAL && n == 0, __LINE__, msg, __FILE__, "",
					CU_FALSE);
	}
	/* Bad arguments. */
	build(&w, "n1", "r1", 0);
	CU_ASSERT_EQUAL(cd_policy_run(NULL, w.out, 4, &n), -EINVAL);
	CU_ASSERT_EQUAL(cd_policy_run(&w.in, w.out, 4, NULL), -EINVAL);
	CU_ASSERT_EQUAL(cd_policy_run(&w.in, NULL, 4, &n), -EINVAL);
	/* Window hours matter only for WINDOW; unknown preferred names are ignored. */
	build(&w, "n1", "r1 pref=gone,n1 poss=gone,n1", 0);
	w.roles[0].window_start = 99;
	run(&w);
	CU_ASSERT_EQUAL(w.rc, 0);
	/* A stopped role may keep its (known) last owner. */
	build(&w, "n1", "r1 on=n1 state=stopped target=stopped", 0);
	run(&w);
	CU_ASSERT_EQUAL(w.rc, 0);
	CU_ASSERT_EQUAL(w.n, 0);
	/* Empty input. */
	build(&w, "", "", 0);
	run(&w);
	CU_ASSERT_EQUAL(w.rc, 0);
	CU_ASSERT_EQUAL(w.n, 0);
}

/* ---- determinism ---- */

/* A mixed cluster exercising every rule in one run. */
static const char *mixed_nodes =
	"n1 mem=8192; n2 mem=8192 paused; n3 mem=4096; n4 unfenced; n5 fenced; n6 mem=2048";
static const char *mixed_roles =
	"a prio=5 pref=n1,n3 mem=2048; b prio=5 pref=n1,n3 mem=2048; c on=n5 prio=7 mem=1024;"
	"d on=n4 prio=9; e on=n1 state=failed thr=3 fail=n1:1 mem=512;"
	"f on=n3 state=failed thr=2 fail=n3:2 mem=512; g on=n3 target=stopped;"
	"h on=n3 pref=n1 fb=immediate mem=1024; i on=n6 move=n1 mem=256;"
	"j on=n6 move=n2; k poss=n6 mem=4096; l prio=-3 mem=1024 thr=1 fail=n1:1;"
	"m on=n5 state=failed prio=7 pref=n6,n3; o on=n1 state=starting mem=1024;"
	"p mem=1024; q mem=1024; r prio=1 pref=n3 mem=2048; s on=n3 pref=n6 fb=22-6";

struct decision {
	int type;
	char node[CD_POLICY_NAME_MAX];
	char reason[CD_POLICY_REASON_MAX];
};

/* The decision per role name (type 0: none). */
static void
decisions(const struct world *w, const char *role, struct decision *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < w->n; i++) {
		const struct cd_action *a = &w->out[i];

		if (a->role < 0 || strcmp(w->roles[a->role].name, role) != 0)
			continue;
		CU_ASSERT_EQUAL(d->type, 0);	/* at most one per role */
		d->type = (int)a->type;
		if (a->node >= 0)
			copy_name(d->node, w->nodes[a->node].name);
		memcpy(d->reason, a->reason, sizeof(d->reason));
	}
}

static void
test_deterministic(void)
{
	struct world w1, w2;

	build(&w1, mixed_nodes, mixed_roles, 23);
	run(&w1);
	CU_ASSERT_EQUAL_FATAL(w1.rc, 0);
	CU_ASSERT_FATAL(w1.n > 10);
	build(&w2, mixed_nodes, mixed_roles, 23);
	run(&w2);
	CU_ASSERT_EQUAL(w2.rc, 0);
	CU_ASSERT_EQUAL(w1.n, w2.n);
	CU_ASSERT_EQUAL(memcmp(w1.out, w2.out, sizeof(w1.out)), 0);
	/*
	 * The expected outcome of the mixed run, as a golden set (worked out by
	 * hand): c goes to n6, the least loaded by memory; p and q find room only
	 * on n1; k (possible only on the small n6) and l (banned on n1, no room
	 * elsewhere) stay stopped; h cannot fail back, n1 being full after i's
	 * requested move; s fails back inside its 22-6 window.
	 */
	expect_actions(&w1, "mixed cluster",
		       "fence n4; start c n6; start m n6; start a n1; start b n1;"
		       "restart e n1; stop f n3; stop g n3; start r n3; start p n1; start q n1;"
		       "move i n1; refuse j ~paused; move s n6");
	/* In decision order: fence, then priority 7 (c, m), 5 (a, b), 1 (r)... */
	CU_ASSERT_EQUAL(w1.out[0].type, CD_ACT_FENCE);
	CU_ASSERT_STRING_EQUAL(w1.roles[w1.out[1].role].name, "c");
	CU_ASSERT_STRING_EQUAL(w1.roles[w1.out[5].role].name, "r");
}

/* Reverse and rotate the roles (with their failure rows): same decisions. */
static void
permute_roles(struct world *dst, const struct world *src, size_t shift)
{
	size_t i, n = src->in.n_roles;

	for (i = 0; i < n; i++) {
		size_t from = (n - 1 - i + shift) % n;

		dst->roles[i] = src->roles[from];
		memcpy(dst->failures[i], src->failures[from], sizeof(dst->failures[i]));
		if (src->roles[from].failures)
			dst->roles[i].failures = dst->failures[i];
	}
}

static void
test_order_independent(void)
{
	struct world w1, w2;
	size_t shift, i;

	build(&w1, mixed_nodes, mixed_roles, 23);
	run(&w1);
	CU_ASSERT_EQUAL_FATAL(w1.rc, 0);
	for (shift = 0; shift < w1.in.n_roles; shift += 3) {
		build(&w2, mixed_nodes, "", 23);
		w2.in.n_roles = w1.in.n_roles;
		permute_roles(&w2, &w1, shift);
		run(&w2);
		CU_ASSERT_EQUAL_FATAL(w2.rc, 0);
		CU_ASSERT_EQUAL(w2.n, w1.n);
		for (i = 0; i < w1.in.n_roles; i++) {
			struct decision d1, d2;

			decisions(&w1, w1.roles[i].name, &d1);
			decisions(&w2, w1.roles[i].name, &d2);
			CU_ASSERT_EQUAL(d1.type, d2.type);
			CU_ASSERT_STRING_EQUAL(d1.node, d2.node);
			CU_ASSERT_STRING_EQUAL(d1.reason, d2.reason);
		}
	}
}

/* ---- simulation: many runs, random events, safety invariants ---- */

#define SIM_NODES 6
#define SIM_ROLES 40

struct sim {
	struct world w;
	/* Ground truth: the nodes where each role's processes really run. */
	bool running[SIM_ROLES][SIM_NODES];
	uint64_t seed;
	unsigned home_starts;	/* not-HA roles started again on their home */
};

static unsigned
rnd(struct sim *s, unsigned n)
{
	s->seed = s->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((s->seed >> 33) % n);
}

static void
sim_init(struct sim *s)
{
	struct world *w = &s->w;
	size_t i, j;

	memset(s, 0, sizeof(*s));
	s->seed = 42;
	w->in.nodes = w->nodes;
	w->in.roles = w->roles;
	w->in.n_nodes = SIM_NODES;
	w->in.n_roles = SIM_ROLES;
	for (i = 0; i < SIM_NODES; i++) {
		snprintf(w->nodes[i].name, CD_POLICY_NAME_MAX, "n%zu", i + 1);
		w->nodes[i].id = (uint32_t)(i + 1);
		w->nodes[i].memory_mib = 8192;
	}
	for (i = 0; i < SIM_ROLES; i++) {
		struct cd_prole *r = &w->roles[i];

		snprintf(r->name, CD_POLICY_NAME_MAX, "vm%02zu", i);
		r->target_started = true;
		r->priority = (int)rnd(s, 3);
		r->memory_mib = 512 * (1 + rnd(s, 4));
		r->failover_threshold = 2;
		r->failures = w->failures[i];
		r->failback = (enum cd_failback)rnd(s, 3);
		r->not_ha = i % 5 == 0;		/* rule 9: a fifth of them */
		r->window_start = rnd(s, 24);
		r->window_end = rnd(s, 24);
		r->n_preferred = rnd(s, 3);
		for (j = 0; j < r->n_preferred; j++)
			snprintf(r->preferred[j], CD_POLICY_NAME_MAX, "n%u", 1 + rnd(s, SIM_NODES));
		if (rnd(s, 4) == 0) {
			r->n_possible = 3;
			for (j = 0; j < 3; j++)
				snprintf(r->possible[j], CD_POLICY_NAME_MAX, "n%u", 1 + rnd(s, SIM_NODES));
		}
	}
}

/* Check one run's actions against the truth, then apply them. */
static void
sim_apply(struct sim *s)
{
	struct world *w = &s->w;
	uint64_t used[SIM_NODES] = { 0 };
	size_t i, j;

	for (i = 0; i < w->n; i++) {
		const struct cd_action *a = &w->out[i];
		struct cd_prole *r = a->role >= 0 ? &w->roles[a->role] : NULL;
		int owner = r ? node_idx(w, r->owner) : -1;

		switch (a->type) {
		case CD_ACT_FENCE:
			CU_ASSERT_EQUAL(w->nodes[a->node].state, CD_PNODE_DOWN_UNFENCED);
			w->nodes[a->node].state = CD_PNODE_DOWN_FENCED;
			for (j = 0; j < SIM_ROLES; j++)
				s->running[j][a->node] = false;
			break;
		case CD_ACT_START:
			/* Never where it may still run: not on two nodes. */
			for (j = 0; j < SIM_NODES; j++)
				CU_ASSERT_FALSE(s->running[a->role][j]);
			CU_ASSERT(owner < 0 || w->nodes[owner].state != CD_PNODE_DOWN_UNFENCED);
			CU_ASSERT_EQUAL(w->nodes[a->node].state, CD_PNODE_UP);
			CU_ASSERT_FALSE(w->nodes[a->node].paused);
			CU_ASSERT(w->failures[a->role][a->node] < r->failover_threshold);
			/* Rule 9: never started but on its last owner. */
			if (r->not_ha && r->last_owner[0]) {
				CU_ASSERT_STRING_EQUAL(w->nodes[a->node].name, r->last_owner);
				s->home_starts++;
			}
			s->running[a->role][a->node] = true;
			copy_name(r->owner, w->nodes[a->node].name);
			copy_name(r->last_owner, r->owner);
			r->state = CD_ROLE_STARTED;
			break;
		case CD_ACT_STOP:
			s->running[a->role][a->node] = false;
			r->owner[0] = '\0';
			r->state = CD_ROLE_STOPPED;
			break;
		case CD_ACT_RESTART:
			CU_ASSERT_EQUAL(a->node, owner);
			r->state = CD_ROLE_STARTED;
			break;
		case CD_ACT_MOVE:
			CU_ASSERT_TRUE(s->running[a->role][owner]);
			CU_ASSERT(!r->not_ha || r->move_to[0]);	/* no failback (rule 9) */
			s->running[a->role][owner] = false;
			s->running[a->role][a->node] = true;
			copy_name(r->owner, w->nodes[a->node].name);
			copy_name(r->last_owner, r->owner);
			r->move_to[0] = '\0';
			break;
		case CD_ACT_REFUSE_MOVE:
			r->move_to[0] = '\0';
			break;
		}
	}
	/* Capacity holds on every up node; no role runs twice. */
	for (i = 0; i < SIM_ROLES; i++) {
		unsigned where = 0;

		for (j = 0; j < SIM_NODES; j++) {
			if (s->running[i][j]) {
				where++;
				used[j] += w->roles[i].memory_mib;
			}
		}
		CU_ASSERT(where <= 1);
	}
	for (j = 0; j < SIM_NODES; j++)
		CU_ASSERT(used[j] <= w->nodes[j].memory_mib);
}

/* One random event: a node lost or back, a pause, a failure, a move... */
static void
sim_event(struct sim *s)
{
	struct world *w = &s->w;
	unsigned ni = rnd(s, SIM_NODES), ri = rnd(s, SIM_ROLES);
	struct cd_pnode *n = &w->nodes[ni];
	struct cd_prole *r = &w->roles[ri];
	int owner = node_idx(w, r->owner);

	switch (rnd(s, 8)) {
	case 0:		/* node lost (its processes keep running) */
		if (n->state == CD_PNODE_UP)
			n->state = CD_PNODE_DOWN_UNFENCED;
		break;
	case 1:		/* fenced node returns */
		if (n->state == CD_PNODE_DOWN_FENCED) {
			size_t j;

			n->state = CD_PNODE_UP;
			for (j = 0; j < SIM_ROLES; j++) {
				if (strcmp(w->roles[j].owner, n->name) == 0) {
					w->roles[j].owner[0] = '\0';
					w->roles[j].state = CD_ROLE_STOPPED;
				}
			}
		}
		break;
	case 2:
		n->paused = !n->paused;
		break;
	case 3:		/* monitor failure on the owner */
		if (owner >= 0 && r->state == CD_ROLE_STARTED &&
		    w->nodes[owner].state == CD_PNODE_UP) {
			r->state = CD_ROLE_FAILED;
			w->failures[ri][owner]++;
		}
		break;
	case 4:
		copy_name(r->move_to, w->nodes[ni].name);
		break;
	case 5:
		r->target_started = !r->target_started;
		break;
	case 6:		/* failures expire */
		memset(w->failures[ri], 0, sizeof(w->failures[ri]));
		break;
	default:
		w->in.hour = rnd(s, 24);
		break;
	}
}

static void
test_simulation(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	unsigned step, actions = 0, fences = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	sim_init(s);
	for (step = 0; step < 3000; step++) {
		size_t i;

		run(&s->w);
		CU_ASSERT_EQUAL_FATAL(s->w.rc, 0);
		for (i = 0; i < s->w.n; i++)
			fences += s->w.out[i].type == CD_ACT_FENCE;
		actions += (unsigned)s->w.n;
		sim_apply(s);
		if (step % 2)
			sim_event(s);
	}
	/* The walk did exercise the engine. */
	CU_ASSERT(actions > 500);
	CU_ASSERT(fences > 20);
	CU_ASSERT(s->home_starts > 5);
	free(s);
}

static CU_TestInfo policy_tests[] = {
	{ "rule 1: fence first", test_rule1_fence_first },
	{ "rule 2: roles of fenced nodes", test_rule2_fenced_roles },
	{ "rule 3: transitions get no action", test_rule3_transitions },
	{ "rule 4: target stopped", test_rule4_stop },
	{ "rule 5: placement", test_rule5_placement },
	{ "rule 5: memory capacity", test_rule5_capacity },
	{ "rule 5: priority order", test_rule5_priority },
	{ "rule 5: load balancing", test_rule5_balance },
	{ "rule 6: restart, then failover", test_rule6_failures },
	{ "rule 7: moves", test_rule7_move },
	{ "rule 7: refusal names the node", test_move_reason_names_node },
	{ "rule 7: check at request time", test_move_check },
	{ "rule 7: the check agrees with a run", test_move_check_agrees },
	{ "drain: where a role would go", test_pick },
	{ "rule 8: failback", test_rule8_failback },
	{ "rule 9: not highly available", test_rule9_not_ha },
	{ "rule 9: move check and waiting", test_rule9_checks },
	{ "-E2BIG keeps a valid prefix", test_e2big },
	{ "-EINVAL for inconsistent input", test_einval },
	{ "deterministic", test_deterministic },
	{ "role order does not matter", test_order_independent },
	{ "simulation: never twice, fence first, not-HA at home", test_simulation },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "policy", NULL, NULL, NULL, NULL, policy_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
