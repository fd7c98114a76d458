/*
 * state-rules.c - rules every change of the replicated state keeps (see
 * state-rules.h). Pure code.
 */
#include "state-rules.h"
#include "error.h"
#include "state-schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PLAIN_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)


/* ---- rules 1 and 2: size ---- */

int
cd_rule_size(size_t old_config, size_t new_config, size_t total, char *err,
	     size_t errlen)
{
	if (new_config > old_config && new_config > CD_STATE_CONFIG_MAX) {
		cd_errf(err, errlen, "the configuration would be %zu bytes, over its "
		     "budget of %d bytes (the rest of the state's %d bytes is kept "
		     "for runtime records such as fencing and failover): remove "
		     "something first ('clusterctl config unset', 'role remove', "
		     "'resource remove', 'vm remove')", new_config,
		     CD_STATE_CONFIG_MAX, CD_STATE_MAX_SIZE);
		return -ENOSPC;
	}
	if (total > CD_STATE_MAX_SIZE) {
		cd_errf(err, errlen, "the state would be %zu bytes, over its limit of "
		     "%d bytes", total, CD_STATE_MAX_SIZE);
		return -ENOSPC;
	}
	return 0;
}

void
cd_state_sizes(const struct cd_state *s, size_t *total, size_t *config)
{
	json_object *c;

	*total = 0;
	*config = 0;
	if (!s || !s->doc)
		return;
	if (!json_object_to_json_string_length(s->doc, PLAIN_FLAGS, total))
		*total = 0;
	if (json_object_object_get_ex(s->doc, "config", &c) &&
	    !json_object_to_json_string_length(c, PLAIN_FLAGS, config))
		*config = 0;
}

/* ---- rule 3: one VM, one resource ---- */

enum claim_kind { K_NAME = 0, K_DISK, K_MAC };

static const char *const kind_text[] = { "name", "disk", "MAC" };

struct claim {
	enum claim_kind kind;
	const char *value;
	const char *id;		/* resource */
	const char *role;
};

struct claims {
	struct claim *c;
	size_t n, cap;
};

static int
claim_add(struct claims *cl, enum claim_kind kind, const char *value,
	  const char *id, const char *role)
{
	if (cl->n == cl->cap) {
		size_t ncap = cl->cap ? cl->cap * 2 : 64;
		struct claim *nc = realloc(cl->c, ncap * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		cl->c = nc;
		cl->cap = ncap;
	}
	cl->c[cl->n++] = (struct claim){ kind, value, id, role };
	return 0;
}

static int
value_cmp(enum claim_kind kind, const char *a, const char *b)
{
	return kind == K_MAC ? strcasecmp(a, b) : strcmp(a, b);
}

static int
claim_cmp(const void *pa, const void *pb)
{
	const struct claim *a = pa, *b = pb;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	c = value_cmp(a->kind, a->value, b->value);
	return c ? c : strcmp(a->id, b->id);
}

/* A string list member of vm (absent = empty) with at most max entries. */
static int
list_claims(struct claims *cl, json_object *vm, const char *key,
	    enum claim_kind kind, size_t max, const char *id, const char *role,
	    char *err, size_t errlen)
{
	json_object *arr, *v;
	size_t i, n;
	int rc;

	if (!json_object_object_get_ex(vm, key, &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) > max) {
		cd_errf(err, errlen, "resource %s: vm.%s must be a list of at most "
		     "%zu strings", id, key, max);
		return -CD_E_BAD_ARGS;
	}
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0) {
			cd_errf(err, errlen, "resource %s: vm.%s[%zu] must be a "
			     "non-empty string", id, key, i);
			return -CD_E_BAD_ARGS;
		}
		rc = claim_add(cl, kind, json_object_get_string(v), id, role);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Everything the identity vm of resource id (in role) claims. */
static int
vm_claims(struct claims *cl, json_object *vm, const char *id, const char *role,
	  char *err, size_t errlen)
{
	json_object *name;
	int rc;

	if (!json_object_is_type(vm, json_type_object) ||
	    !json_object_object_get_ex(vm, "name", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    json_object_get_string_len(name) == 0 ||
	    json_object_get_string_len(name) > CD_VM_ID_NAME_MAX) {
		cd_errf(err, errlen, "resource %s: vm must be an object with a name "
		     "of 1..%d characters", id, CD_VM_ID_NAME_MAX);
		return -CD_E_BAD_ARGS;
	}
	json_object_object_foreach(vm, key, val) {
		(void)val;
		if (strcmp(key, "name") && strcmp(key, "disks") && strcmp(key, "macs")) {
			cd_errf(err, errlen, "resource %s: vm.%.40s: unknown member "
			     "(name, disks, macs)", id, key);
			return -CD_E_BAD_ARGS;
		}
	}
	rc = claim_add(cl, K_NAME, json_object_get_string(name), id, role);
	if (rc == 0)
		rc = list_claims(cl, vm, "disks", K_DISK, CD_VM_ID_DISKS_MAX, id,
				 role, err, errlen);
	if (rc == 0)
		rc = list_claims(cl, vm, "macs", K_MAC, CD_VM_ID_MACS_MAX, id,
				 role, err, errlen);
	return rc;
}

static const char *
role_of(json_object *rsc)
{
	json_object *v;

	if (json_object_object_get_ex(rsc, "role", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "?";
}

static void
clash(const struct claim *a, const struct claim *b, char *err, size_t errlen)
{
	cd_errf(err, errlen, "VM %s %s of resource %s is already used by resource "
	     "%s of role %s: a VM can belong to one role only", kind_text[a->kind],
	     a->value, a->id, b->id, b->role);
}

int
cd_rule_vm_claims(json_object *resources, char *err, size_t errlen)
{
	struct claims cl = { 0 };
	json_object *vm;
	size_t i;
	int rc = 0;

	if (!resources || !json_object_is_type(resources, json_type_object))
		return 0;
	json_object_object_foreach(resources, id, rsc) {
		if (!json_object_is_type(rsc, json_type_object) ||
		    !json_object_object_get_ex(rsc, "vm", &vm))
			continue;
		rc = vm_claims(&cl, vm, id, role_of(rsc), err, errlen);
		if (rc < 0)
			goto out;
	}
	if (cl.n > 1)
		qsort(cl.c, cl.n, sizeof(*cl.c), claim_cmp);
	for (i = 1; i < cl.n; i++) {
		const struct claim *a = &cl.c[i - 1], *b = &cl.c[i];

		if (a->kind != b->kind || value_cmp(a->kind, a->value, b->value))
			continue;
		/* One resource naming a disk twice is vmdef's business, not ours. */
		if (!strcmp(a->id, b->id))
			continue;
		clash(b, a, err, errlen);
		rc = -EEXIST;
		break;
	}
out:
	free(cl.c);
	return rc;
}

int
cd_rule_vm_claim_check(json_object *resources, const char *id, json_object *vm,
		       char *err, size_t errlen)
{
	struct claims mine = { 0 }, other = { 0 };
	json_object *ovm;
	size_t i, j;
	int rc;

	rc = vm_claims(&mine, vm, id, "(new)", err, errlen);
	if (rc < 0 || !resources || !json_object_is_type(resources, json_type_object))
		goto out;
	json_object_object_foreach(resources, oid, rsc) {
		if (!strcmp(oid, id) || !json_object_is_type(rsc, json_type_object) ||
		    !json_object_object_get_ex(rsc, "vm", &ovm))
			continue;
		other.n = 0;
		/* Malformed stored identities were refused when stored. */
		if (vm_claims(&other, ovm, oid, role_of(rsc), NULL, 0) < 0)
			continue;
		for (i = 0; i < mine.n; i++) {
			for (j = 0; j < other.n; j++) {
				if (mine.c[i].kind == other.c[j].kind &&
				    !value_cmp(mine.c[i].kind, mine.c[i].value,
					       other.c[j].value)) {
					clash(&mine.c[i], &other.c[j], err, errlen);
					rc = -EEXIST;
					goto out;
				}
			}
		}
	}
out:
	free(mine.c);
	free(other.c);
	return rc;
}

/* ---- all rules on a change ---- */

/* Does any operation of ops set or delete path p or inside it? */
static bool
ops_touch(json_object *ops, enum cd_sp p)
{
	size_t i, n = json_object_array_length(ops);
	json_object *op, *v;

	for (i = 0; i < n; i++) {
		op = json_object_array_get_idx(ops, i);
		if (json_object_object_get_ex(op, "op", &v) &&
		    !strcmp(json_object_get_string(v), "test"))
			continue;
		if (json_object_object_get_ex(op, "path", &v) &&
		    cd_sp_under(json_object_get_string(v), p))
			return true;
	}
	return false;
}

static size_t
config_size(json_object *doc)
{
	json_object *c;
	size_t len = 0;

	if (json_object_object_get_ex(doc, "config", &c) &&
	    !json_object_to_json_string_length(c, PLAIN_FLAGS, &len))
		return 0;
	return len;
}

int
cd_state_rules_check(json_object *old_doc, json_object *new_doc, json_object *ops,
		     char *err, size_t errlen)
{
	json_object *res;
	size_t total, old_cfg = 0, new_cfg = 0;
	int rc;

	if (!json_object_to_json_string_length(new_doc, PLAIN_FLAGS, &total))
		return -ENOMEM;
	if (ops_touch(ops, CD_SP_CONFIG)) {
		old_cfg = config_size(old_doc);
		new_cfg = config_size(new_doc);
	}
	rc = cd_rule_size(old_cfg, new_cfg, total, err, errlen);
	if (rc < 0)
		return rc;
	if (ops_touch(ops, CD_SP_RESOURCES) &&
	    (res = cd_sp_get(&(const struct cd_state){ .doc = new_doc }, CD_SP_RESOURCES)))
		return cd_rule_vm_claims(res, err, errlen);
	return 0;
}

/* ---- rule 4: a new node list ---- */

static bool
node_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i == 63 || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
				 (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' ||
				 s[i] == '.'))
			return false;
	}
	return i > 0;
}

/* The shape of one entry {"id": N, "addr": "A"}; its id in *id. */
static int
node_entry_ok(const char *name, json_object *n, uint32_t *id, char *err, size_t errlen)
{
	json_object *v;
	int64_t i;

	if (!node_name_ok(name)) {
		cd_errf(err, errlen, "node name \"%.80s\" must be 1..63 characters of "
		     "[A-Za-z0-9_.-]", name);
		return -CD_E_BAD_ARGS;
	}
	if (!json_object_is_type(n, json_type_object)) {
		cd_errf(err, errlen, "node %s: must be {\"id\": N, \"addr\": \"A\"}", name);
		return -CD_E_BAD_ARGS;
	}
	json_object_object_foreach(n, key, val) {
		(void)val;
		if (strcmp(key, "id") && strcmp(key, "addr")) {
			cd_errf(err, errlen, "node %s: unknown member \"%.40s\" (id, addr)",
			     name, key);
			return -CD_E_BAD_ARGS;
		}
	}
	if (!json_object_object_get_ex(n, "id", &v) || !json_object_is_type(v, json_type_int) ||
	    (i = json_object_get_int64(v)) < 1 || i > (int64_t)UINT32_MAX) {
		cd_errf(err, errlen, "node %s: id must be an integer 1..%u", name, UINT32_MAX);
		return -CD_E_BAD_ARGS;
	}
	*id = (uint32_t)i;
	if (!json_object_object_get_ex(n, "addr", &v) || !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) < 1 || json_object_get_string_len(v) > 255) {
		cd_errf(err, errlen, "node %s: addr must be a string of 1..255 characters", name);
		return -CD_E_BAD_ARGS;
	}
	return 0;
}

/* The name of node id in a node list, NULL if none. */
static const char *
name_of_id(json_object *nodes, uint32_t id)
{
	json_object *v;

	if (!nodes || !json_object_is_type(nodes, json_type_object))
		return NULL;
	json_object_object_foreach(nodes, name, n) {
		if (json_object_is_type(n, json_type_object) &&
		    json_object_object_get_ex(n, "id", &v) &&
		    json_object_get_int64(v) == (int64_t)id)
			return name;
	}
	return NULL;
}

static const char *
str_member(json_object *o, const char *key)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

static json_object *
runtime_roles(json_object *doc)
{
	const struct cd_state st = { .doc = doc };
	json_object *roles = cd_sp_get(&st, CD_SP_RT_ROLES);

	return json_object_is_type(roles, json_type_object) ? roles : NULL;
}

/* A role that still needs node name: its owner while not stopped, or an
 * end of its migration. (A stopped role's last owner is cleared.) */
static const char *
role_using(json_object *doc, const char *name)
{
	json_object *roles = runtime_roles(doc), *mig;

	if (!roles)
		return NULL;
	json_object_object_foreach(roles, role, r) {
		if (!strcmp(str_member(r, "owner"), name) &&
		    strcmp(str_member(r, "state"), "stopped"))
			return role;
		if (json_object_object_get_ex(r, "migration", &mig) &&
		    (!strcmp(str_member(mig, "from"), name) || !strcmp(str_member(mig, "to"), name)))
			return role;
	}
	return NULL;
}

int
cd_rule_nodes_update(json_object *doc, json_object *nodes, const uint32_t *live,
		     size_t n_live, char *err, size_t errlen)
{
	uint32_t ids[CD_STATE_NODES_MAX];
	json_object *cfg = NULL, *old = NULL;
	const char *was, *now, *role;
	size_t n = 0, i, j;
	int rc;

	if (!nodes || !json_object_is_type(nodes, json_type_object)) {
		cd_errf(err, errlen, "nodes must be an object {NAME: {\"id\": N, \"addr\": \"A\"}}");
		return -CD_E_BAD_ARGS;
	}
	if (json_object_object_length(nodes) < 1 ||
	    json_object_object_length(nodes) > CD_STATE_NODES_MAX) {
		cd_errf(err, errlen, "nodes must list 1..%d nodes", CD_STATE_NODES_MAX);
		return -CD_E_BAD_ARGS;
	}
	json_object_object_foreach(nodes, name, node) {
		rc = node_entry_ok(name, node, &ids[n], err, errlen);
		if (rc < 0)
			return rc;
		for (j = 0; j < n; j++) {
			if (ids[j] == ids[n]) {
				cd_errf(err, errlen, "node %s: id %u is already node %s's", name,
				     ids[n], name_of_id(nodes, ids[n]));
				return -CD_E_BAD_ARGS;
			}
		}
		n++;
	}
	if (doc && json_object_object_get_ex(doc, "config", &cfg))
		json_object_object_get_ex(cfg, "nodes", &old);
	for (i = 0; i < n_live; i++) {
		was = name_of_id(old, live[i]);
		now = name_of_id(nodes, live[i]);
		if (!now) {
			cd_errf(err, errlen, "node %s (id %u) is a live member of the cluster: "
			     "a node list without it is refused (stop it first)",
			     was ? was : "?", live[i]);
			return -CD_E_BAD_ARGS;
		}
		if (was && strcmp(was, now)) {
			cd_errf(err, errlen, "node id %u is live as %s: it cannot become %s",
			     live[i], was, now);
			return -CD_E_BAD_ARGS;
		}
	}
	if (old && json_object_is_type(old, json_type_object)) {
		json_object_object_foreach(old, oname, onode) {
			(void)onode;
			if (json_object_object_get_ex(nodes, oname, NULL))
				continue;
			role = role_using(doc, oname);
			if (role) {
				cd_errf(err, errlen, "node %s still runs or is moving role %s: "
				     "move or stop it before removing the node", oname, role);
				return -CD_E_BAD_ARGS;
			}
		}
	}
	return 0;
}

int
cd_rule_nodes_update_ops(json_object *doc, json_object *nodes, json_object *ops)
{
	json_object *roles = runtime_roles(doc);
	const char *owner;
	int rc;

	if (!roles)
		return 0;
	json_object_object_foreach(roles, role, r) {
		owner = str_member(r, "owner");
		if (!*owner || json_object_object_get_ex(nodes, owner, NULL) ||
		    strcmp(str_member(r, "state"), "stopped"))
			continue;
		rc = cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_OWNER, role);
		if (rc < 0)
			return rc;
	}
	return 0;
}
