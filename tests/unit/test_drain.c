/*
 * test_drain.c - node drain planning (D1-D10) and migration admission
 * (A1-A5) of lib/drain.c: tables of cases written as text, error paths, and
 * a randomized simulation of 16 nodes x 200 VMs draining two nodes at once
 * under limits, with failing and refused moves.
 *
 * Plan cases. Nodes, ';'-separated: "NAME [mem=MIB] [paused] [drain]
 * [finished]" (drain: the node is being drained; finished: its drain is
 * recorded done). Roles, ';'-separated: "NAME [on=NODE] [state=S]
 * [target=stopped] [prio=N] [mem=MIB] [pref=A,B] [poss=A,B] [move=NODE]
 * [vm] [noha] [fb=none|quick|restart] [mig=FROM>TO]
 * [rec=NODE:STEP:TO:HOW:TRIES] [err=TEXT]" (noha: not highly available).
 * Expected actions, ';'-separated, in order: "queue ROLE NODE HOW TRIES",
 * "done ROLE NODE|-", "fail ROLE ~TEXT", "finish NODE".
 *
 * Admission cases. "FROM>TO KIND" for running migrations and candidates
 * (KIND live or quick; candidates "ROLE:FROM>TO KIND [prio=N] [mem=M]"),
 * limits as "out,in,cluster,quick_node,quick_cluster", expected: the
 * admitted roles in input order.
 */
#include "drain.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_NODES 16
#define MAX_ROLES 32
#define MAX_ACTS (MAX_NODES + MAX_ROLES)

struct world {
	struct cd_pnode nodes[MAX_NODES];
	struct cd_prole roles[MAX_ROLES];
	struct cd_drain_role dr[MAX_ROLES];
	struct cd_drain_node drains[MAX_NODES];
	char errs[MAX_ROLES][64];
	struct cd_policy_input pol;
	struct cd_drain_input in;
	struct cd_drain_act out[MAX_ACTS];
	size_t n;
	int rc;
};

static void
copy_name(char *dst, const char *src, size_t len)
{
	snprintf(dst, len, "%.*s", (int)strcspn(src, ",:>"), src);
}

static int
node_idx(const struct world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->pol.n_nodes; i++) {
		if (!strncmp(w->nodes[i].name, name, strlen(w->nodes[i].name)) &&
		    strchr(",:> ", name[strlen(w->nodes[i].name)] ? name[strlen(w->nodes[i].name)] : ' '))
			return (int)i;
	}
	return -1;
}

static void
parse_node(struct world *w, char *spec)
{
	struct cd_pnode *n = &w->nodes[w->pol.n_nodes];
	char *tok, *save = NULL;
	bool drain = false, finished = false;

	CU_ASSERT_FATAL(w->pol.n_nodes < MAX_NODES);
	memset(n, 0, sizeof(*n));
	n->id = (uint32_t)w->pol.n_nodes + 1;
	copy_name(n->name, strtok_r(spec, " ", &save), sizeof(n->name));
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (!strncmp(tok, "mem=", 4))
			n->memory_mib = strtoull(tok + 4, NULL, 10);
		else if (!strcmp(tok, "paused"))
			n->paused = true;
		else if (!strcmp(tok, "drain"))
			drain = true;
		else if (!strcmp(tok, "finished"))
			drain = finished = true;
		else
			CU_FAIL_FATAL("bad node token");
	}
	if (drain) {
		w->drains[w->in.n_drains].node = (int)w->pol.n_nodes;
		w->drains[w->in.n_drains++].finished = finished;
		n->paused = true;
	}
	w->pol.n_nodes++;
}

static enum cd_role_state
state_of(const char *s)
{
	static const char *const names[] = { "stopped", "starting", "started", "stopping",
					     "failed" };
	size_t i;

	for (i = 0; i < N_ELEMS(names); i++) {
		if (!strcmp(s, names[i]))
			return (enum cd_role_state)i;
	}
	CU_FAIL_FATAL("bad role state");
	return CD_ROLE_STOPPED;
}

static size_t
names_list(char (*dst)[CD_POLICY_NAME_MAX], const char *csv)
{
	size_t n = 0;

	while (*csv && n < CD_POLICY_MAX_OWNERS) {
		copy_name(dst[n++], csv, CD_POLICY_NAME_MAX);
		csv += strcspn(csv, ",");
		if (*csv == ',')
			csv++;
	}
	return n;
}

static void
parse_rec(struct world *w, struct cd_drain_role *d, char *v)
{
	char *f[5], *save = NULL;
	size_t i;

	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : v, ":", &save);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
	}
	d->rec_node = node_idx(w, f[0]);
	d->step = cd_drain_step_parse(f[1]);
	CU_ASSERT_FATAL(d->rec_node >= 0 && d->step != CD_DSTEP_NONE);
	copy_name(d->to, f[2], sizeof(d->to));
	CU_ASSERT_EQUAL_FATAL(cd_drain_how_parse(f[3], &d->how), 0);
	d->tries = (unsigned)atoi(f[4]);
}

static void
parse_role(struct world *w, char *spec)
{
	size_t ri = w->pol.n_roles;
	struct cd_prole *r = &w->roles[ri];
	struct cd_drain_role *d = &w->dr[ri];
	char *tok, *save = NULL;

	CU_ASSERT_FATAL(ri < MAX_ROLES);
	memset(r, 0, sizeof(*r));
	memset(d, 0, sizeof(*d));
	d->rec_node = -1;
	r->target_started = true;
	r->failover_threshold = 3;
	copy_name(r->name, strtok_r(spec, " ", &save), sizeof(r->name));
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *v = strchr(tok, '=');

		if (!strcmp(tok, "vm") || !strcmp(tok, "noha")) {
			d->migratable |= tok[0] == 'v';
			r->not_ha |= tok[0] == 'n';
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		*v++ = '\0';
		if (!strcmp(tok, "on")) {
			copy_name(r->owner, v, sizeof(r->owner));
			if (r->state == CD_ROLE_STOPPED)
				r->state = CD_ROLE_STARTED;
		} else if (!strcmp(tok, "state")) {
			r->state = state_of(v);
		} else if (!strcmp(tok, "target")) {
			r->target_started = strcmp(v, "stopped") != 0;
		} else if (!strcmp(tok, "prio")) {
			r->priority = atoi(v);
		} else if (!strcmp(tok, "mem")) {
			r->memory_mib = strtoull(v, NULL, 10);
		} else if (!strcmp(tok, "pref")) {
			r->n_preferred = names_list(r->preferred, v);
		} else if (!strcmp(tok, "poss")) {
			r->n_possible = names_list(r->possible, v);
		} else if (!strcmp(tok, "move")) {
			copy_name(r->move_to, v, sizeof(r->move_to));
		} else if (!strcmp(tok, "fb")) {
			CU_ASSERT_EQUAL_FATAL(cd_drain_fallback_parse(v, &d->fallback), 0);
		} else if (!strcmp(tok, "mig")) {
			d->mig_active = true;
			copy_name(d->mig_from, v, sizeof(d->mig_from));
			copy_name(d->mig_to, strchr(v, '>') + 1, sizeof(d->mig_to));
		} else if (!strcmp(tok, "rec")) {
			parse_rec(w, d, v);
		} else if (!strcmp(tok, "err")) {
			snprintf(w->errs[ri], sizeof(w->errs[ri]), "%s", v);
			d->last_error = w->errs[ri];
		} else {
			CU_FAIL_FATAL("bad role token");
		}
	}
	w->pol.n_roles++;
}

static void
build(struct world *w, const char *nodes, const char *roles)
{
	char buf[2048], *t, *save = NULL;

	memset(w, 0, sizeof(*w));
	w->pol.nodes = w->nodes;
	w->pol.roles = w->roles;
	w->in.pol = &w->pol;
	w->in.roles = w->dr;
	w->in.drains = w->drains;
	snprintf(buf, sizeof(buf), "%s", nodes);
	for (t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		parse_node(w, t);
	}
	snprintf(buf, sizeof(buf), "%s", roles);
	save = NULL;
	for (t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		if (*t)
			parse_role(w, t);
	}
}

/* One action as the text of the case syntax. */
static void
act_text(const struct world *w, const struct cd_drain_act *a, char *buf, size_t len)
{
	const char *role = a->role >= 0 ? w->roles[a->role].name : "";

	switch (a->type) {
	case CD_DRAIN_QUEUE:
		snprintf(buf, len, "queue %s %s %s %u", role, w->nodes[a->to].name,
			 cd_drain_how_str(a->how), a->tries);
		break;
	case CD_DRAIN_DONE:
		snprintf(buf, len, "done %s %s", role, a->to >= 0 ? w->nodes[a->to].name : "-");
		break;
	case CD_DRAIN_FAIL:
		snprintf(buf, len, "fail %s ~%s", role, a->reason);
		break;
	case CD_DRAIN_FINISH:
		snprintf(buf, len, "finish %s", w->nodes[a->drain].name);
		break;
	}
}

struct dcase {
	const char *name, *nodes, *roles, *expect;
};

static void
run_cases(const struct dcase *cases, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		struct world *w = calloc(1, sizeof(*w));
		char got[2048] = "", one[256], exp[2048], *e, *save = NULL;
		bool ok = true;

		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		build(w, cases[i].nodes, cases[i].roles);
		w->rc = cd_drain_plan(&w->in, w->out, MAX_ACTS, &w->n);
		CU_ASSERT_EQUAL(w->rc, 0);
		snprintf(exp, sizeof(exp), "%s", cases[i].expect);
		e = strtok_r(exp, ";", &save);
		for (k = 0; k < w->n; k++) {
			act_text(w, &w->out[k], one, sizeof(one));
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? "; " : "",
				 one);
			while (e && *e == ' ')
				e++;
			if (!e) {
				ok = false;
			} else if (!strncmp(e, "fail ", 5)) {
				/* "fail ROLE ~TEXT": the reason holds TEXT */
				char *tl = strchr(e, '~');

				ok = ok && tl && !strncmp(one, e, (size_t)(tl - e)) &&
				     strstr(one, tl + 1);
			} else {
				ok = ok && !strcmp(one, e);
			}
			e = strtok_r(NULL, ";", &save);
		}
		if (e)
			ok = false;
		if (!ok)
			printf("\n  case '%s': expected '%s', got '%s'", cases[i].name,
			       cases[i].expect, got);
		CU_ASSERT(ok);
		free(w);
	}
}

static const struct dcase plan_cases[] = {
	/* D1, D2, D3, D4 */
	{ "D4: a VM goes live, a non-VM cold",
	  "n1 drain; n2; n3", "a on=n1 vm; b on=n1",
	  "queue a n2 live 1; queue b n3 cold 1" },
	{ "D2: priority first, then the smallest memory, then the name",
	  "n1 drain; n2 mem=100000; n3 mem=100000",
	  "big on=n1 vm mem=4096; small on=n1 vm mem=512; vip on=n1 vm prio=5 mem=8192; "
	  "small2 on=n1 vm mem=512",
	  "queue vip n2 live 1; queue small n3 live 1; queue small2 n3 live 1; "
	  "queue big n3 live 1" },
	{ "D3: preferred owner first",
	  "n1 drain; n2; n3", "a on=n1 vm pref=n1,n3",
	  "queue a n3 live 1" },
	{ "D3: earlier picks count on their targets (spread by memory)",
	  "n1 drain; n2 mem=4096; n3 mem=4096",
	  "a on=n1 vm mem=3000; b on=n1 vm mem=3000",
	  "queue a n2 live 1; queue b n3 live 1" },
	{ "D3: a running migration counts on its target",
	  "n1 drain; n2 mem=4096; n3 mem=4096; n4",
	  "x on=n4 vm mem=3000 state=starting mig=n4>n2; a on=n1 vm mem=3000 poss=n2,n3",
	  "queue a n3 live 1" },
	{ "D3: a requested move counts on its target",
	  "n1 drain; n2 mem=4096; n3 mem=4096; n4",
	  "x on=n4 vm mem=3000 move=n2; a on=n1 vm mem=3000 poss=n2,n3",
	  "queue a n3 live 1" },
	{ "D3: no draining node is a target, nor a paused one",
	  "n1 drain; n2 drain; n3 paused; n4",
	  "a on=n1 vm; b on=n2 vm",
	  "queue a n4 live 1; queue b n4 live 1" },
	{ "D4: no target: failed, reported",
	  "n1 drain; n2", "a on=n1 vm poss=n1; b on=n1 vm",
	  "fail a ~no node can take it; queue b n2 live 1" },
	{ "D4: no room anywhere",
	  "n1 drain; n2 mem=1024", "a on=n1 vm mem=2048",
	  "fail a ~no node can take it; finish n1" },
	{ "D1: roles in a transition are waited for",
	  "n1 drain; n2", "a on=n1 vm state=starting; b on=n1 state=failed; c on=n1 vm state=stopping",
	  "" },
	{ "D1: a role moving away by someone else's request is left alone",
	  "n1 drain; n2; n3", "a on=n1 vm move=n3; b on=n1 vm state=starting mig=n1>n2",
	  "" },
	{ "D1: roles of other nodes and stopped roles are not the drain's",
	  "n1 drain; n2", "a on=n2 vm; b vm; c state=stopped",
	  "finish n1" },
	{ "D1: a finished drain plans nothing",
	  "n1 finished; n2", "a on=n1 vm rec=n1:failed:-:live:1", "" },
	/* D5, D6 */
	{ "D6: queued and waiting (move requested): nothing",
	  "n1 drain; n2", "a on=n1 vm move=n2 rec=n1:queued:n2:live:1", "" },
	{ "D6: moving, migration running: nothing",
	  "n1 drain; n2", "a on=n1 vm state=starting mig=n1>n2 rec=n1:moving:n2:live:1", "" },
	{ "D6: switched owner but still migrating: nothing",
	  "n1 drain; n2", "a on=n2 vm state=starting mig=n1>n2 rec=n1:moving:n2:live:1", "" },
	{ "D6: arrived: done, and the drain finishes",
	  "n1 drain; n2", "a on=n2 vm rec=n1:moving:n2:live:1",
	  "done a n2; finish n1" },
	{ "D6: ended elsewhere than planned: done there",
	  "n1 drain; n2; n3", "a on=n3 vm rec=n1:moving:n2:cold:1",
	  "done a n3; finish n1" },
	{ "D6: stopped by the administrator meanwhile: done",
	  "n1 drain; n2", "a vm target=stopped rec=n1:moving:n2:live:1",
	  "done a -; finish n1" },
	{ "D6: stopped, to be started again: waited for",
	  "n1 drain; n2", "a vm rec=n1:moving:n2:cold:1", "" },
	/* D7 */
	{ "D7: live failed, no fallback: failed with the reason, node finished",
	  "n1 drain; n2", "a on=n1 vm err=bridge_br9_missing rec=n1:moving:n2:live:1",
	  "fail a ~bridge_br9_missing; finish n1" },
	{ "D7: live failed, fallback quick: quick, to the best target again",
	  "n1 drain; n2; n3", "a on=n1 vm fb=quick rec=n1:moving:n2:live:1",
	  "queue a n2 quick 1" },
	{ "D7: quick failed, fallback quick: failed",
	  "n1 drain; n2", "a on=n1 vm fb=quick err=x rec=n1:moving:n2:quick:1",
	  "fail a ~x; finish n1" },
	{ "D7: quick failed, fallback restart: cold",
	  "n1 drain; n2", "a on=n1 vm fb=restart rec=n1:moving:n2:quick:1",
	  "queue a n2 cold 1" },
	{ "D7: live failed, fallback restart: quick first",
	  "n1 drain; n2", "a on=n1 vm fb=restart rec=n1:moving:n2:live:1",
	  "queue a n2 quick 1" },
	{ "D7: a cold move that failed is not retried",
	  "n1 drain; n2", "b on=n1 rec=n1:moving:n2:cold:1",
	  "fail b ~its move failed; finish n1" },
	{ "D7: back on the node but failed: waited for (the policy restarts it)",
	  "n1 drain; n2", "a on=n1 vm state=failed rec=n1:moving:n2:live:1", "" },
	/* D8 */
	{ "D8: refused: queued again, a new target",
	  "n1 drain; n2; n3 paused", "a on=n1 vm rec=n1:queued:n3:live:1",
	  "queue a n2 live 2" },
	{ "D8: refused three times: failed with the last error",
	  "n1 drain; n2", "a on=n1 vm err=no_room rec=n1:queued:n2:live:3",
	  "fail a ~no_room; finish n1" },
	/* D9 */
	{ "D9: failed roles left: finished",
	  "n1 drain; n2", "a on=n1 vm rec=n1:failed:-:live:1; b on=n2 vm rec=n1:done:n2:live:1",
	  "finish n1" },
	{ "D9: one still moving: not finished",
	  "n1 drain; n2", "a on=n2 vm rec=n1:done:n2:live:1; "
	  "b on=n1 vm state=starting mig=n1>n2 rec=n1:moving:n2:live:1", "" },
	{ "D9: an empty node finishes at once",
	  "n1 drain; n2", "", "finish n1" },
	{ "two drains at once",
	  "n1 drain; n2 drain; n3 mem=8192; n4 mem=8192",
	  "a on=n1 vm mem=4096; b on=n2 vm mem=4096; c on=n1 vm mem=1024",
	  "queue c n3 live 1; queue a n4 live 1; queue b n3 live 1" },
	{ "a role drained again from its drain's target",
	  "n1 finished; n2 drain; n3", "a on=n2 vm rec=n1:done:n2:live:1",
	  "queue a n3 live 1" },
};

static void
test_plan(void)
{
	run_cases(plan_cases, N_ELEMS(plan_cases));
}

static const struct dcase noha_cases[] = {
	{ "D10: a not-HA VM goes live like any VM",
	  "n1 drain; n2", "a on=n1 vm noha", "queue a n2 live 1" },
	{ "D10: live failed, fallback quick: failed all the same",
	  "n1 drain; n2", "a on=n1 vm noha fb=quick err=copy_failed rec=n1:moving:n2:live:1",
	  "fail a ~copy_failed; finish n1" },
	{ "D10: live failed, fallback restart: failed all the same",
	  "n1 drain; n2", "a on=n1 vm noha fb=restart rec=n1:moving:n2:live:1",
	  "fail a ~its move failed; finish n1" },
	{ "D10: refused: queued again live",
	  "n1 drain; n2; n3 paused", "a on=n1 vm noha fb=restart rec=n1:queued:n3:live:1",
	  "queue a n2 live 2" },
	{ "D10: not a VM: failed at once, never cold",
	  "n1 drain; n2", "a on=n1 noha; b on=n1",
	  "fail a ~it moves only live; queue b n2 cold 1" },
};

static void
test_plan_not_ha(void)
{
	run_cases(noha_cases, N_ELEMS(noha_cases));
}

static void
test_plan_errors(void)
{
	struct world *w = calloc(1, sizeof(*w));
	size_t n = 99;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(cd_drain_plan(NULL, w->out, MAX_ACTS, &n), -EINVAL);
	CU_ASSERT_EQUAL(n, 0);
	build(w, "n1 drain; n2", "a on=n1 vm; b on=n1 vm; c on=n1 vm");
	CU_ASSERT_EQUAL(cd_drain_plan(&w->in, w->out, 2, &n), -E2BIG);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(w->out[0].type, CD_DRAIN_QUEUE);
	w->drains[0].node = 7;	/* not a node */
	CU_ASSERT_EQUAL(cd_drain_plan(&w->in, w->out, MAX_ACTS, &n), -EINVAL);
	w->drains[0].node = 0;
	w->drains[1].node = 0;	/* twice */
	w->in.n_drains = 2;
	CU_ASSERT_EQUAL(cd_drain_plan(&w->in, w->out, MAX_ACTS, &n), -EINVAL);
	free(w);
}

/* ---- admission ---- */

struct acase {
	const char *name, *nodes, *running, *cands, *limits, *expect;
};

static const struct acase admit_cases[] = {
	{ "A2: two out per node by default", "n1 n2 n3", "",
	  "a:n1>n2 live; b:n1>n3 live; c:n1>n2 live", "2,2,8,2,8", "a b" },
	{ "A2: running ones count", "n1 n2 n3", "n1>n3 live",
	  "a:n1>n2 live; b:n1>n3 live", "2,2,8,2,8", "a" },
	{ "A2: inbound limit: the VMs do not all land on one node",
	  "n1 n2 n3 n4", "", "a:n1>n4 live; b:n2>n4 live; c:n3>n4 live; d:n3>n2 live",
	  "2,1,8,2,8", "a d" },
	{ "A2: cluster limit", "n1 n2 n3 n4", "n1>n2 live",
	  "a:n3>n4 live; b:n2>n1 live", "2,2,2,2,8", "a" },
	{ "A1: priority, then smaller memory, decides who goes first",
	  "n1 n2", "", "big:n1>n2 live mem=4096; vip:n1>n2 live prio=3 mem=8192; "
	  "small:n1>n2 live mem=512", "2,2,8,2,8", "vip small" },
	{ "A4: a busy target does not hold up others",
	  "n1 n2 n3", "n3>n2 live", "hi:n1>n2 live prio=9; lo:n1>n3 live", "2,1,8,2,8", "lo" },
	{ "A3: quick limit counts both ends", "n1 n2 n3", "n2>n3 quick",
	  "a:n1>n2 quick; b:n1>n3 quick; c:n3>n1 quick", "2,2,8,1,8", "" },
	{ "A3: quick and live are counted apart", "n1 n2", "n1>n2 live; n1>n2 live",
	  "a:n1>n2 quick; b:n1>n2 live", "2,2,8,1,8", "a" },
	{ "A3: quick cluster limit", "n1 n2 n3 n4", "n1>n2 quick",
	  "a:n3>n4 quick", "2,2,8,2,1", "" },
	{ "limit 1 everywhere", "n1 n2 n3", "",
	  "a:n1>n2 live; b:n1>n3 live; c:n2>n3 live", "1,1,1,1,1", "a" },
};

static void
parse_pair(const char *names, const char *s, int *from, int *to)
{
	char a[16], b[16];
	const char *p;

	CU_ASSERT_EQUAL_FATAL(sscanf(s, "%15[^>]>%15s", a, b), 2);
	*from = *to = -1;
	p = strstr(names, a);
	if (p)
		*from = atoi(p + 1) - 1;	/* nodes are n1..n9 */
	p = strstr(names, b);
	if (p)
		*to = atoi(p + 1) - 1;
}

static void
test_admit(void)
{
	static const char *const names[] = { "n1", "n2", "n3", "n4" };
	size_t i;

	for (i = 0; i < N_ELEMS(admit_cases); i++) {
		const struct acase *c = &admit_cases[i];
		struct cd_mig_running run[8];
		struct cd_mig_cand cand[8];
		struct cd_prole roles[8];
		struct cd_mig_limits lim;
		char buf[512], *t, *save = NULL, got[256] = "";
		size_t nr = 0, nc = 0, k, nn = 0;

		for (k = 0; c->nodes[k]; k++)
			nn += c->nodes[k] == 'n';
		memset(roles, 0, sizeof(roles));
		memset(cand, 0, sizeof(cand));
		CU_ASSERT_EQUAL_FATAL(sscanf(c->limits, "%u,%u,%u,%u,%u", &lim.live_out,
					     &lim.live_in, &lim.live_cluster, &lim.quick_node,
					     &lim.quick_cluster), 5);
		snprintf(buf, sizeof(buf), "%s", c->running);
		for (t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
			while (*t == ' ')
				t++;
			parse_pair(c->nodes, t, &run[nr].from, &run[nr].to);
			run[nr++].kind = strstr(t, "quick") ? CD_MIGK_QUICK : CD_MIGK_LIVE;
		}
		snprintf(buf, sizeof(buf), "%s", c->cands);
		save = NULL;
		for (t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
			char *colon, *p;

			while (*t == ' ')
				t++;
			colon = strchr(t, ':');
			snprintf(roles[nc].name, sizeof(roles[nc].name), "%.*s", (int)(colon - t), t);
			parse_pair(c->nodes, colon + 1, &cand[nc].from, &cand[nc].to);
			cand[nc].kind = strstr(t, "quick") ? CD_MIGK_QUICK : CD_MIGK_LIVE;
			if ((p = strstr(t, "prio=")))
				roles[nc].priority = atoi(p + 5);
			if ((p = strstr(t, "mem=")))
				roles[nc].memory_mib = strtoull(p + 4, NULL, 10);
			cand[nc].role = &roles[nc];
			nc++;
		}
		CU_ASSERT_EQUAL(cd_mig_admit(&lim, nn, names, run, nr, cand, nc), 0);
		for (k = 0; k < nc; k++) {
			if (cand[k].admit)
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
					 got[0] ? " " : "", roles[k].name);
			else
				CU_ASSERT(strstr(cand[k].why, "limit") != NULL);
		}
		if (strcmp(got, c->expect))
			printf("\n  case '%s': expected '%s', got '%s'", c->name, c->expect, got);
		CU_ASSERT_STRING_EQUAL(got, c->expect);
	}
}

static void
test_admit_reasons_and_errors(void)
{
	static const char *const names[] = { "n1", "n2" };
	struct cd_mig_limits lim = { 1, 1, 1, 1, 1 };
	struct cd_mig_running run = { CD_MIGK_LIVE, 0, 1 };
	struct cd_prole r = { .name = "a" };
	struct cd_mig_cand c = { .kind = CD_MIGK_LIVE, .from = 0, .to = 1, .role = &r };

	CU_ASSERT_EQUAL(cd_mig_admit(&lim, 2, names, &run, 1, &c, 1), 0);
	CU_ASSERT_FALSE(c.admit);
	CU_ASSERT_STRING_EQUAL(c.why, "n1 has 1 live migration(s) going out (limit 1)");
	lim.live_out = 0;
	CU_ASSERT_EQUAL(cd_mig_admit(&lim, 2, names, &run, 1, &c, 1), -EINVAL);
	lim.live_out = 1;
	lim.quick_cluster = 0;
	CU_ASSERT_EQUAL(cd_mig_admit(&lim, 2, names, &run, 1, &c, 1), -EINVAL);
	lim.quick_cluster = 1;
	c.to = 2;
	CU_ASSERT_EQUAL(cd_mig_admit(&lim, 2, names, &run, 1, &c, 1), -EINVAL);
	c.to = 1;
	run.from = -1;
	CU_ASSERT_EQUAL(cd_mig_admit(&lim, 2, names, &run, 1, &c, 1), -EINVAL);
	CU_ASSERT_EQUAL(cd_mig_admit(&lim, 2, NULL, NULL, 0, &c, 1), 0);
	CU_ASSERT_TRUE(c.admit);
}

static void
test_names(void)
{
	enum cd_drain_how h;
	enum cd_drain_fallback f;

	CU_ASSERT_EQUAL(cd_drain_how_parse("quick", &h), 0);
	CU_ASSERT_EQUAL(h, CD_DRAIN_QUICK);
	CU_ASSERT_EQUAL(cd_drain_how_parse("teleport", &h), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cd_drain_how_str(CD_DRAIN_COLD), "cold");
	CU_ASSERT_EQUAL(cd_drain_step_parse("moving"), CD_DSTEP_MOVING);
	CU_ASSERT_EQUAL(cd_drain_step_parse(""), CD_DSTEP_NONE);
	CU_ASSERT_STRING_EQUAL(cd_drain_step_str(CD_DSTEP_FAILED), "failed");
	CU_ASSERT_EQUAL(cd_drain_fallback_parse("restart", &f), 0);
	CU_ASSERT_EQUAL(f, CD_FALLBACK_RESTART);
	CU_ASSERT_EQUAL(cd_drain_fallback_parse("always", &f), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cd_drain_fallback_str(CD_FALLBACK_NONE), "none");
}

/* ---- simulation: 16 nodes x 200 VMs, two drained at once ---- */

#define SIM_NODES	16
#define SIM_ROLES	200

struct sim {
	struct cd_pnode nodes[SIM_NODES];
	struct cd_prole roles[SIM_ROLES];
	struct cd_drain_role dr[SIM_ROLES];
	struct cd_drain_node drains[2];
	unsigned mig_left[SIM_ROLES];	/* steps until the migration ends */
	enum cd_drain_how mig_how[SIM_ROLES];
	struct cd_drain_act out[SIM_ROLES + 4];
	struct cd_mig_cand cand[SIM_ROLES];
	int cand_role[SIM_ROLES];
	struct cd_mig_running run[SIM_ROLES];
	const char *names[SIM_NODES];
	struct cd_policy_input pol;
	struct cd_drain_input in;
};

static unsigned sim_seed = 20261206;

/* A name copy inside the simulation's one object (no snprintf overlap). */
static void
set_name(char *dst, const char *src)
{
	size_t n = strnlen(src, CD_POLICY_NAME_MAX - 1);

	memmove(dst, src, n);
	dst[n] = '\0';
}

static unsigned
sim_rand(unsigned n)
{
	sim_seed = sim_seed * 1103515245u + 12345u;
	return (sim_seed >> 16) % n;
}

static int
sim_node(const struct sim *s, const char *name)
{
	size_t i;

	for (i = 0; i < SIM_NODES; i++) {
		if (!strcmp(s->nodes[i].name, name))
			return (int)i;
	}
	return -1;
}

static void
sim_init(struct sim *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < SIM_NODES; i++) {
		snprintf(s->nodes[i].name, sizeof(s->nodes[i].name), "n%zu", i + 1);
		s->nodes[i].id = (uint32_t)i + 1;
		s->nodes[i].memory_mib = 64 * 1024;
		s->names[i] = s->nodes[i].name;
	}
	for (i = 0; i < SIM_ROLES; i++) {
		struct cd_prole *r = &s->roles[i];

		snprintf(r->name, sizeof(r->name), "vm%03zu", i);
		r->target_started = true;
		r->failover_threshold = 3;
		r->priority = (int)sim_rand(3);
		r->memory_mib = 256u << sim_rand(5);	/* 256 MiB .. 4 GiB */
		r->state = CD_ROLE_STARTED;
		/* the two drained nodes hold more than their share */
		snprintf(r->owner, sizeof(r->owner), "n%u", i % 4 == 0 ? 1 : i % 4 == 1 ? 2 :
			 3 + sim_rand(SIM_NODES - 2));
		if (sim_rand(10) == 0) {	/* a few restricted roles */
			r->n_possible = 2;
			set_name(r->possible[0], r->owner);
			snprintf(r->possible[1], CD_POLICY_NAME_MAX, "n%u", 3 + sim_rand(4));
		}
		s->dr[i].migratable = sim_rand(20) != 0;
		s->dr[i].fallback = (enum cd_drain_fallback)sim_rand(3);
		s->dr[i].rec_node = -1;
		s->dr[i].last_error = "simulated failure";
	}
	s->drains[0].node = 0;
	s->drains[1].node = 1;
	s->nodes[0].paused = s->nodes[1].paused = true;
	s->pol.nodes = s->nodes;
	s->pol.n_nodes = SIM_NODES;
	s->pol.roles = s->roles;
	s->pol.n_roles = SIM_ROLES;
	s->in.pol = &s->pol;
	s->in.roles = s->dr;
	s->in.drains = s->drains;
	s->in.n_drains = 2;
}

/* Apply the plan to the records and roles (what clusterd/drain.c writes). */
static void
sim_apply_plan(struct sim *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct cd_drain_act *a = &s->out[i];
		struct cd_drain_role *d = a->role >= 0 ? &s->dr[a->role] : NULL;

		switch (a->type) {
		case CD_DRAIN_QUEUE:
			/* never onto a draining or paused node */
			CU_ASSERT_FATAL(!s->nodes[a->to].paused);
			set_name(s->roles[a->role].move_to, s->nodes[a->to].name);
			d->rec_node = a->drain;
			d->step = CD_DSTEP_QUEUED;
			d->how = a->how;
			d->tries = a->tries;
			set_name(d->to, s->nodes[a->to].name);
			break;
		case CD_DRAIN_DONE:
			d->step = CD_DSTEP_DONE;
			break;
		case CD_DRAIN_FAIL:
			CU_ASSERT(a->reason[0] != '\0');
			d->rec_node = a->drain;
			d->step = CD_DSTEP_FAILED;
			break;
		case CD_DRAIN_FINISH:
			s->drains[a->drain == 0 ? 0 : 1].finished = true;
			break;
		}
	}
}

/* The leader's pass: refuse a few moves (rule 7), admit migrations under
 * the limits, start cold moves at once; check the limits hold. */
static void
sim_leader(struct sim *s, const struct cd_mig_limits *lim)
{
	size_t i, nc = 0, nr = 0;
	unsigned out[SIM_NODES] = { 0 }, in[SIM_NODES] = { 0 }, all = 0;

	for (i = 0; i < SIM_ROLES; i++) {
		struct cd_prole *r = &s->roles[i];
		struct cd_drain_role *d = &s->dr[i];

		if (d->mig_active && d->how != CD_DRAIN_COLD) {
			s->run[nr].kind = d->how == CD_DRAIN_QUICK ? CD_MIGK_QUICK : CD_MIGK_LIVE;
			s->run[nr].from = sim_node(s, d->mig_from);
			s->run[nr++].to = sim_node(s, d->mig_to);
		}
		if (!r->move_to[0] || d->mig_active)
			continue;
		if (sim_rand(40) == 0) {	/* rule 7 refuses: the record stays queued */
			r->move_to[0] = '\0';
			continue;
		}
		if (d->how == CD_DRAIN_COLD || !d->migratable) {	/* A5: not limited */
			d->mig_active = true;
			d->how = CD_DRAIN_COLD;
			set_name(d->mig_from, r->owner);
			set_name(d->mig_to, r->move_to);
			s->mig_left[i] = 1 + sim_rand(3);
			r->move_to[0] = '\0';
			r->state = CD_ROLE_STOPPING;
			if (d->step == CD_DSTEP_QUEUED)
				d->step = CD_DSTEP_MOVING;	/* D5 */
			continue;
		}
		s->cand[nc].kind = d->how == CD_DRAIN_QUICK ? CD_MIGK_QUICK : CD_MIGK_LIVE;
		s->cand[nc].from = sim_node(s, r->owner);
		s->cand[nc].to = sim_node(s, r->move_to);
		s->cand[nc].role = r;
		s->cand_role[nc++] = (int)i;
	}
	CU_ASSERT_EQUAL_FATAL(cd_mig_admit(lim, SIM_NODES, s->names, s->run, nr, s->cand, nc), 0);
	for (i = 0; i < nc; i++) {
		int ri = s->cand_role[i];
		struct cd_prole *r = &s->roles[ri];
		struct cd_drain_role *d = &s->dr[ri];

		if (!s->cand[i].admit)
			continue;
		d->mig_active = true;
		set_name(d->mig_from, r->owner);
		set_name(d->mig_to, r->move_to);
		s->mig_left[ri] = 1 + sim_rand(6);
		r->move_to[0] = '\0';
		r->state = CD_ROLE_STARTING;	/* migrating */
		if (d->step == CD_DSTEP_QUEUED)
			d->step = CD_DSTEP_MOVING;
	}
	/* the limits hold for every live migration running now */
	for (i = 0; i < SIM_ROLES; i++) {
		const struct cd_drain_role *d = &s->dr[i];

		if (!d->mig_active || d->how != CD_DRAIN_LIVE)
			continue;
		out[sim_node(s, d->mig_from)]++;
		in[sim_node(s, d->mig_to)]++;
		all++;
	}
	for (i = 0; i < SIM_NODES; i++) {
		CU_ASSERT_FATAL(out[i] <= lim->live_out);
		CU_ASSERT_FATAL(in[i] <= lim->live_in);
	}
	CU_ASSERT_FATAL(all <= lim->live_cluster);
}

/* Migrations advance; one in ten fails (the role stays on its source). */
static void
sim_progress(struct sim *s)
{
	size_t i;

	for (i = 0; i < SIM_ROLES; i++) {
		struct cd_prole *r = &s->roles[i];
		struct cd_drain_role *d = &s->dr[i];

		if (!d->mig_active || --s->mig_left[i])
			continue;
		d->mig_active = false;
		r->state = CD_ROLE_STARTED;
		if (sim_rand(10) != 0)
			set_name(r->owner, d->mig_to);
	}
}

static void
test_simulation(void)
{
	struct sim *s = malloc(sizeof(*s));
	struct cd_mig_limits lim = { 2, 2, 8, 2, 4 };
	unsigned steps, done = 0, failed = 0, queued = 0;
	size_t i, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	sim_init(s);
	for (steps = 0; steps < 2000 && !(s->drains[0].finished && s->drains[1].finished);
	     steps++) {
		CU_ASSERT_EQUAL_FATAL(cd_drain_plan(&s->in, s->out, N_ELEMS(s->out), &n), 0);
		for (i = 0; i < n; i++)
			queued += s->out[i].type == CD_DRAIN_QUEUE;
		sim_apply_plan(s, n);
		sim_leader(s, &lim);
		sim_progress(s);
	}
	printf("\n  %u steps, %u moves queued ", steps, queued);
	CU_ASSERT(s->drains[0].finished && s->drains[1].finished);
	for (i = 0; i < SIM_ROLES; i++) {
		const struct cd_drain_role *d = &s->dr[i];
		bool on_drained = !strcmp(s->roles[i].owner, "n1") || !strcmp(s->roles[i].owner, "n2");

		/* every role is off the drained nodes, or failed there, reported */
		CU_ASSERT_FALSE(d->mig_active);
		if (on_drained) {
			CU_ASSERT_EQUAL(d->step, CD_DSTEP_FAILED);
			failed++;
		} else if (d->step == CD_DSTEP_DONE) {
			done++;
		}
		/* a role not allowed to restart was never moved cold */
		if (d->migratable && d->fallback != CD_FALLBACK_RESTART)
			CU_ASSERT(d->how != CD_DRAIN_COLD);
	}
	/* each drained node held ~50 roles; most moved, some failed */
	printf("%u done, %u failed ", done, failed);
	CU_ASSERT(done >= 70);
	CU_ASSERT(failed >= 1);
	/* no node took more than its memory */
	for (i = 2; i < SIM_NODES; i++) {
		uint64_t mem = 0;
		size_t k;

		for (k = 0; k < SIM_ROLES; k++)
			if (!strcmp(s->roles[k].owner, s->nodes[i].name))
				mem += s->roles[k].memory_mib;
		CU_ASSERT(mem <= s->nodes[i].memory_mib);
	}
	free(s);
}

static CU_TestInfo drain_tests[] = {
	{ "D1-D9: plans", test_plan },
	{ "D10: roles that are not highly available", test_plan_not_ha },
	{ "plan: -EINVAL, -E2BIG", test_plan_errors },
	{ "A1-A5: admission", test_admit },
	{ "admission: reasons, -EINVAL", test_admit_reasons_and_errors },
	{ "names", test_names },
	{ "simulation: 16 nodes x 200 VMs, two drains, limits", test_simulation },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "drain", NULL, NULL, NULL, NULL, drain_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
