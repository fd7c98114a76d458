/*
 * test_state_rules.c - the rules every state change keeps (lib/state-rules.c):
 * tables of cases for the size budget and for "one VM, one role", then the
 * same rules through cd_state_apply (a filled configuration leaves room for
 * runtime records; a second claim of a VM is refused on apply).
 */
#include "state-rules.h"
#include "state.h"
#include "error.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define CFG CD_STATE_CONFIG_MAX
#define MAX CD_STATE_MAX_SIZE

/* ---- rules 1-2: sizes ---- */

struct size_case {
	const char *name;
	size_t old_cfg, new_cfg, total;
	int rc;
	const char *msg;	/* substring of the reason, or NULL */
};

static const struct size_case size_cases[] = {
	{ "small change", 1000, 1200, 5000, 0, NULL },
	{ "config grows to the budget", CFG - 10, CFG, CFG + 100, 0, NULL },
	{ "config grows past the budget", CFG - 10, CFG + 1, CFG + 100, -ENOSPC,
	  "over its budget" },
	{ "config over the budget grows", CFG + 100, CFG + 101, CFG + 200, -ENOSPC,
	  "remove something first" },
	{ "config over the budget shrinks", CFG + 100, CFG + 50, CFG + 200, 0, NULL },
	{ "config over the budget unchanged (runtime change)", CFG + 100, CFG + 100,
	  MAX - 1, 0, NULL },
	{ "runtime-only change at the budget", 0, 0, CFG + (MAX - CFG) / 2, 0, NULL },
	{ "runtime-only change to the limit", 0, 0, MAX, 0, NULL },
	{ "runtime-only change past the limit", 0, 0, MAX + 1, -ENOSPC,
	  "over its limit" },
	{ "config shrinks but total past the limit", CFG, CFG - 1, MAX + 1, -ENOSPC,
	  "over its limit" },
};

static void
test_size_table(void)
{
	char err[512];
	size_t i;
	int rc;

	for (i = 0; i < N_ELEMS(size_cases); i++) {
		const struct size_case *c = &size_cases[i];

		err[0] = '\0';
		rc = cd_rule_size(c->old_cfg, c->new_cfg, c->total, err, sizeof(err));
		if (rc != c->rc || (c->msg && !strstr(err, c->msg)))
			printf("\n  case '%s': rc %d (want %d), '%s'", c->name, rc,
			       c->rc, err);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->msg)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, c->msg));
	}
}

/* The budget leaves a real reserve for runtime records. */
static void
test_size_reserve(void)
{
	CU_ASSERT(CD_STATE_MAX_SIZE - CD_STATE_CONFIG_MAX >= 256 * 1024);
}

/* ---- rule 3: one VM, one resource ---- */

struct claim_case {
	const char *name;
	const char *resources;	/* config.resources as JSON */
	int rc;
	const char *msg;
};

#define R(id, role, vm) "\"" id "\": {\"role\": \"" role "\", \"agent\": \"ocf:clusterd:vm\", " \
	"\"params\": {}" vm "}"
#define VM(name, disks, macs) ", \"vm\": {\"name\": \"" name "\", \"disks\": [" disks "], " \
	"\"macs\": [" macs "]}"

static const struct claim_case claim_cases[] = {
	{ "no resources", "{}", 0, NULL },
	{ "resources without identity", "{" R("a", "a", "") ", " R("b", "b", "") "}", 0, NULL },
	{ "two different VMs",
	  "{" R("a", "a", VM("vm1", "\"/s/vm1.img\"", "\"52:54:00:00:00:01\"")) ", "
	      R("b", "b", VM("vm2", "\"/s/vm2.img\"", "\"52:54:00:00:00:02\"")) "}", 0, NULL },
	{ "same definition in two roles (the finding)",
	  "{" R("vm1", "vm1", VM("vm1", "\"/s/vm1.img\"", "\"52:54:00:00:00:01\"")) ", "
	      R("vm1b", "vm1b", VM("vm1", "\"/s/vm1.img\"", "\"52:54:00:00:00:01\"")) "}",
	  -EEXIST, "already used by resource vm1 of role vm1" },
	{ "same name only",
	  "{" R("a", "a", VM("vm1", "", "")) ", " R("b", "b", VM("vm1", "", "")) "}",
	  -EEXIST, "VM name vm1" },
	{ "same disk, other name",
	  "{" R("a", "a", VM("vm1", "\"/s/x.img\"", "")) ", "
	      R("b", "b", VM("vm2", "\"/s/y.img\", \"/s/x.img\"", "")) "}",
	  -EEXIST, "VM disk /s/x.img" },
	{ "same MAC in another case",
	  "{" R("a", "a", VM("vm1", "", "\"52:54:00:AA:00:01\"")) ", "
	      R("b", "b", VM("vm2", "", "\"52:54:00:aa:00:01\"")) "}",
	  -EEXIST, "MAC" },
	{ "same VM twice in one role is still two copies",
	  "{" R("a", "r", VM("vm1", "", "")) ", " R("b", "r", VM("vm1", "", "")) "}",
	  -EEXIST, "role r" },
	{ "one resource naming a disk twice is not a clash",
	  "{" R("a", "a", VM("vm1", "\"/s/x.img\", \"/s/x.img\"", "")) "}", 0, NULL },
	{ "identity without a name",
	  "{\"a\": {\"role\": \"a\", \"vm\": {\"disks\": []}}}", -CD_E_BAD_ARGS,
	  "vm must be an object with a name" },
	{ "identity not an object", "{\"a\": {\"role\": \"a\", \"vm\": \"vm1\"}}",
	  -CD_E_BAD_ARGS, "resource a" },
	{ "disks not a list", "{\"a\": {\"role\": \"a\", \"vm\": {\"name\": \"x\", "
	  "\"disks\": \"/s/x\"}}}", -CD_E_BAD_ARGS, "vm.disks" },
	{ "empty MAC", "{\"a\": {\"role\": \"a\", \"vm\": {\"name\": \"x\", "
	  "\"macs\": [\"\"]}}}", -CD_E_BAD_ARGS, "vm.macs[0]" },
	{ "unknown member", "{\"a\": {\"role\": \"a\", \"vm\": {\"name\": \"x\", "
	  "\"cpu\": 1}}}", -CD_E_BAD_ARGS, "unknown member" },
	{ "too many MACs", "{\"a\": {\"role\": \"a\", \"vm\": {\"name\": \"x\", \"macs\": "
	  "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}}}", -CD_E_BAD_ARGS,
	  "at most 8" },
};

static void
test_claims_table(void)
{
	char err[512];
	size_t i;
	int rc;

	for (i = 0; i < N_ELEMS(claim_cases); i++) {
		const struct claim_case *c = &claim_cases[i];
		json_object *res = json_tokener_parse(c->resources);

		CU_ASSERT_PTR_NOT_NULL_FATAL(res);
		err[0] = '\0';
		rc = cd_rule_vm_claims(res, err, sizeof(err));
		if (rc != c->rc || (c->msg && !strstr(err, c->msg)))
			printf("\n  case '%s': rc %d (want %d), '%s'", c->name, rc,
			       c->rc, err);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->msg)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, c->msg));
		json_object_put(res);
	}
}

struct cand_case {
	const char *name;
	const char *id;
	const char *vm;
	int rc;
	const char *msg;
};

static const struct cand_case cand_cases[] = {
	{ "new VM", "c", "{\"name\": \"vm3\", \"disks\": [\"/s/vm3.img\"]}", 0, NULL },
	{ "name of another role's VM", "c", "{\"name\": \"vm1\"}", -EEXIST,
	  "already used by resource a of role ra" },
	{ "disk of another role's VM", "c", "{\"name\": \"vm3\", \"disks\": [\"/s/vm2.img\"]}",
	  -EEXIST, "resource b of role rb" },
	{ "MAC of another role's VM", "c",
	  "{\"name\": \"vm3\", \"macs\": [\"52:54:00:00:00:01\"]}", -EEXIST, "MAC" },
	{ "its own identity again (re-check of a stored resource)", "a",
	  "{\"name\": \"vm1\", \"macs\": [\"52:54:00:00:00:01\"]}", 0, NULL },
	{ "malformed", "c", "{\"disks\": []}", -CD_E_BAD_ARGS, "name" },
};

static void
test_candidate_table(void)
{
	json_object *res = json_tokener_parse(
		"{" R("a", "ra", VM("vm1", "\"/s/vm1.img\"", "\"52:54:00:00:00:01\"")) ", "
		    R("b", "rb", VM("vm2", "\"/s/vm2.img\"", "")) ", "
		    R("x", "rx", "") "}");
	char err[512];
	size_t i;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	for (i = 0; i < N_ELEMS(cand_cases); i++) {
		const struct cand_case *c = &cand_cases[i];
		json_object *vm = json_tokener_parse(c->vm);

		err[0] = '\0';
		rc = cd_rule_vm_claim_check(res, c->id, vm, err, sizeof(err));
		if (rc != c->rc || (c->msg && !strstr(err, c->msg)))
			printf("\n  case '%s': rc %d (want %d), '%s'", c->name, rc,
			       c->rc, err);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->msg)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, c->msg));
		json_object_put(vm);
	}
	json_object_put(res);
}

/* ---- through cd_state_apply ---- */

static int
apply1(struct cd_state *s, const char *kind, const char *path, json_object *value,
       char *err, size_t errlen)
{
	json_object *ops = json_object_new_array();
	int rc;

	json_object_array_add(ops, cd_state_op(kind, path, value));
	rc = cd_state_apply(s, ops, err, errlen);
	json_object_put(ops);
	return rc;
}

/* A 16 KiB string property. */
static json_object *
blob(void)
{
	static char text[16 * 1024 + 1];

	memset(text, 'x', sizeof(text) - 1);
	return json_object_new_string(text);
}

static void
test_apply_budget(void)
{
	struct cd_state s = { 0 };
	char err[512], path[64];
	size_t total, cfg, i;
	int rc = 0;

	CU_ASSERT_EQUAL_FATAL(cd_state_init(&s, "c", "uuid-1"), 0);
	/* Fill the configuration with ordinary properties until refused. */
	for (i = 0; i < 200 && rc == 0; i++) {
		snprintf(path, sizeof(path), "config.properties.p%zu", i);
		rc = apply1(&s, "set", path, blob(), err, sizeof(err));
	}
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "budget"));
	cd_state_sizes(&s, &total, &cfg);
	CU_ASSERT(cfg <= CD_STATE_CONFIG_MAX);
	CU_ASSERT(cfg > CD_STATE_CONFIG_MAX - 17 * 1024);
	/* Runtime records still fit: many of them. */
	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "runtime.fill.r%zu", i);
		CU_ASSERT_EQUAL(apply1(&s, "set", path, blob(), err, sizeof(err)), 0);
	}
	CU_ASSERT_EQUAL(apply1(&s, "set", "runtime.roles.r1.state",
			       json_object_new_string("started"), err, sizeof(err)), 0);
	/* Shrinking the configuration is always possible. */
	CU_ASSERT_EQUAL(apply1(&s, "delete", "config.properties.p0", NULL, err,
			       sizeof(err)), 0);
	/* ... and then a small config change fits again. */
	CU_ASSERT_EQUAL(apply1(&s, "set", "config.properties.small",
			       json_object_new_string("y"), err, sizeof(err)), 0);
	/* The whole limit holds for runtime too. */
	rc = 0;
	for (i = 100; i < 200 && rc == 0; i++) {
		snprintf(path, sizeof(path), "runtime.fill.r%zu", i);
		rc = apply1(&s, "set", path, blob(), err, sizeof(err));
	}
	CU_ASSERT_EQUAL(rc, -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "over its limit"));
	cd_state_sizes(&s, &total, &cfg);
	CU_ASSERT(total <= CD_STATE_MAX_SIZE);
	cd_state_clear(&s);
}

static json_object *
vm_rsc(const char *role, const char *name, const char *mac)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"role\": \"%s\", \"agent\": \"ocf:clusterd:vm\", "
		 "\"params\": {\"config\": \"/s/%s.json\"}, \"vm\": {\"name\": \"%s\", "
		 "\"disks\": [\"/s/%s.img\"], \"macs\": [\"%s\"]}}", role, name, name, name, mac);
	return json_tokener_parse(text);
}

static void
test_apply_claims(void)
{
	struct cd_state s = { 0 };
	char err[512];
	uint64_t g;

	CU_ASSERT_EQUAL_FATAL(cd_state_init(&s, "c", "uuid-1"), 0);
	CU_ASSERT_EQUAL(apply1(&s, "set", "config.resources.vm1",
			       vm_rsc("vm1", "vm1", "52:54:00:00:00:01"), err, sizeof(err)), 0);
	g = cd_state_generation(&s);
	/* The raced second add of the same definition under another role. */
	CU_ASSERT_EQUAL(apply1(&s, "set", "config.resources.vm1b",
			       vm_rsc("vm1b", "vm1", "52:54:00:00:00:01"), err, sizeof(err)),
			-EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "role vm1"));
	CU_ASSERT_EQUAL(cd_state_generation(&s), g);
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.resources.vm1b"));
	/* Another VM is fine; after removing the first, its name is free. */
	CU_ASSERT_EQUAL(apply1(&s, "set", "config.resources.vm2",
			       vm_rsc("vm2", "vm2", "52:54:00:00:00:02"), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(apply1(&s, "delete", "config.resources.vm1", NULL, err,
			       sizeof(err)), 0);
	CU_ASSERT_EQUAL(apply1(&s, "set", "config.resources.vm1b",
			       vm_rsc("vm1b", "vm1", "52:54:00:00:00:01"), err, sizeof(err)), 0);
	/* Editing an identity into a clash is refused too. */
	CU_ASSERT_EQUAL(apply1(&s, "set", "config.resources.vm2.vm.name",
			       json_object_new_string("vm1"), err, sizeof(err)), -EEXIST);
	/* Runtime changes do not pay for the check. */
	CU_ASSERT_EQUAL(apply1(&s, "set", "runtime.roles.vm2.state",
			       json_object_new_string("started"), err, sizeof(err)), 0);
	cd_state_clear(&s);
}

/* ---- rule 4: a new node list ---- */

struct nodes_case {
	const char *name;
	const char *nodes;
	uint32_t live[4];	/* 0-terminated */
	int rc;
	const char *msg;
};

#define N3 "{\"n1\": {\"id\": 1, \"addr\": \"10.0.0.1\"}, \"n2\": {\"id\": 2, " \
	"\"addr\": \"10.0.0.2\"}, \"n3\": {\"id\": 3, \"addr\": \"10.0.0.3\"}"

static const struct nodes_case nodes_cases[] = {
	{ "the same list", N3 "}", { 1, 2, 3 }, 0, NULL },
	{ "a node added", N3 ", \"n4\": {\"id\": 4, \"addr\": \"10.0.0.4\"}}",
	  { 1, 2, 3, 4 }, 0, NULL },
	{ "a down node without roles removed",
	  "{\"n1\": {\"id\": 1, \"addr\": \"a\"}, \"n2\": {\"id\": 2, \"addr\": \"b\"}}",
	  { 1, 2 }, 0, NULL },
	{ "a live node dropped (the finding)",
	  "{\"n1\": {\"id\": 1, \"addr\": \"a\"}, \"n3\": {\"id\": 3, \"addr\": \"c\"}}",
	  { 1, 2, 3 }, -CD_E_BAD_ARGS, "node n2 (id 2) is a live member" },
	{ "a live node renamed", "{\"n1\": {\"id\": 1, \"addr\": \"a\"}, \"x2\": {\"id\": 2, "
	  "\"addr\": \"b\"}, \"n3\": {\"id\": 3, \"addr\": \"c\"}}", { 1, 2 },
	  -CD_E_BAD_ARGS, "live as n2" },
	{ "a down node that owns a started role dropped",
	  "{\"n1\": {\"id\": 1, \"addr\": \"a\"}, \"n2\": {\"id\": 2, \"addr\": \"b\"}}",
	  { 1 }, -CD_E_BAD_ARGS, "n3 still runs or is moving role r1" },
	{ "empty list", "{}", { 1 }, -CD_E_BAD_ARGS, "1..64 nodes" },
	{ "not an object", "[1, 2]", { 1 }, -CD_E_BAD_ARGS, "must be an object" },
	{ "id missing", N3 ", \"n4\": {\"addr\": \"d\"}}", { 1 }, -CD_E_BAD_ARGS,
	  "node n4: id must be" },
	{ "id zero", N3 ", \"n4\": {\"id\": 0, \"addr\": \"d\"}}", { 1 }, -CD_E_BAD_ARGS,
	  "id must be" },
	{ "id as text", N3 ", \"n4\": {\"id\": \"4\", \"addr\": \"d\"}}", { 1 },
	  -CD_E_BAD_ARGS, "id must be" },
	{ "duplicate id", N3 ", \"n4\": {\"id\": 3, \"addr\": \"d\"}}", { 1 },
	  -CD_E_BAD_ARGS, "already node" },
	{ "no addr", N3 ", \"n4\": {\"id\": 4}}", { 1 }, -CD_E_BAD_ARGS, "addr must be" },
	{ "unknown member", N3 ", \"n4\": {\"id\": 4, \"addr\": \"d\", \"x\": 1}}", { 1 },
	  -CD_E_BAD_ARGS, "unknown member" },
	{ "bad name", N3 ", \"n 4\": {\"id\": 4, \"addr\": \"d\"}}", { 1 },
	  -CD_E_BAD_ARGS, "node name" },
	{ "entry not an object", N3 ", \"n4\": 4}", { 1 }, -CD_E_BAD_ARGS, "node n4: must be" },
};

static void
test_nodes_table(void)
{
	json_object *doc = json_tokener_parse(
		"{\"config\": {\"nodes\": " N3 "}}, \"runtime\": {\"roles\": {"
		"\"r1\": {\"owner\": \"n3\", \"state\": \"started\"}}}}");
	json_object *doc2 = json_tokener_parse(
		"{\"config\": {\"nodes\": " N3 "}}, \"runtime\": {\"roles\": {"
		"\"r1\": {\"owner\": \"n1\", \"state\": \"started\"}}}}");
	char err[512];
	size_t i, n;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc2);
	for (i = 0; i < N_ELEMS(nodes_cases); i++) {
		const struct nodes_case *c = &nodes_cases[i];
		json_object *nodes = json_tokener_parse(c->nodes);

		for (n = 0; n < 4 && c->live[n]; n++)
			;
		err[0] = '\0';
		/* The role on n3 matters only to the case about it. */
		rc = cd_rule_nodes_update(strstr(c->name, "owns") ? doc : doc2, nodes,
					  c->live, n, err, sizeof(err));
		if (rc != c->rc || (c->msg && !strstr(err, c->msg)))
			printf("\n  case '%s': rc %d (want %d), '%s'", c->name, rc, c->rc, err);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->msg)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, c->msg));
		json_object_put(nodes);
	}
	json_object_put(doc);
	json_object_put(doc2);
}

/* A stopped role's last owner is cleared with the node that leaves. */
static void
test_nodes_ops(void)
{
	json_object *doc = json_tokener_parse(
		"{\"config\": {\"nodes\": " N3 "}}, \"runtime\": {\"roles\": {"
		"\"r1\": {\"owner\": \"n3\", \"state\": \"stopped\"},"
		"\"r2\": {\"owner\": \"n1\", \"state\": \"stopped\"},"
		"\"r3\": {\"owner\": \"\", \"state\": \"stopped\"}}}}");
	json_object *nodes = json_tokener_parse(
		"{\"n1\": {\"id\": 1, \"addr\": \"a\"}, \"n2\": {\"id\": 2, \"addr\": \"b\"}}");
	json_object *ops = json_object_new_array(), *op;
	uint32_t live[] = { 1, 2 };

	CU_ASSERT_EQUAL(cd_rule_nodes_update(doc, nodes, live, 2, NULL, 0), 0);
	CU_ASSERT_EQUAL(cd_rule_nodes_update_ops(doc, nodes, ops), 0);
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(ops), 1);
	op = json_object_array_get_idx(ops, 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(op, "path")),
			       "runtime.roles.r1.owner");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(op, "value")), "");
	json_object_put(ops);
	json_object_put(nodes);
	json_object_put(doc);
}

int
main(void)
{
	CU_TestInfo rules[] = {
		{ "size: table", test_size_table },
		{ "size: runtime reserve", test_size_reserve },
		{ "vm claims: table", test_claims_table },
		{ "vm claims: candidate table", test_candidate_table },
		{ "apply: config budget keeps room for runtime", test_apply_budget },
		{ "apply: one VM, one role", test_apply_claims },
		{ "nodes update: table", test_nodes_table },
		{ "nodes update: stopped roles forget a leaving owner", test_nodes_ops },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "state-rules", NULL, NULL, NULL, NULL, rules },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
