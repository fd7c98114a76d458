/*
 * state-rules.c - rules every change of the replicated state keeps (see
 * state-rules.h). Pure code.
 */
#include "state-rules.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PLAIN_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static void
fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- rules 1 and 2: size ---- */

int
cd_rule_size(size_t old_config, size_t new_config, size_t total, char *err,
	     size_t errlen)
{
	if (new_config > old_config && new_config > CD_STATE_CONFIG_MAX) {
		fail(err, errlen, "the configuration would be %zu bytes, over its "
		     "budget of %d bytes (the rest of the state's %d bytes is kept "
		     "for runtime records such as fencing and failover): remove "
		     "something first ('clusterctl config unset', 'role remove', "
		     "'resource remove', 'vm remove')", new_config,
		     CD_STATE_CONFIG_MAX, CD_STATE_MAX_SIZE);
		return -ENOSPC;
	}
	if (total > CD_STATE_MAX_SIZE) {
		fail(err, errlen, "the state would be %zu bytes, over its limit of "
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
		fail(err, errlen, "resource %s: vm.%s must be a list of at most "
		     "%zu strings", id, key, max);
		return -CD_E_BAD_ARGS;
	}
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0) {
			fail(err, errlen, "resource %s: vm.%s[%zu] must be a "
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
		fail(err, errlen, "resource %s: vm must be an object with a name "
		     "of 1..%d characters", id, CD_VM_ID_NAME_MAX);
		return -CD_E_BAD_ARGS;
	}
	json_object_object_foreach(vm, key, val) {
		(void)val;
		if (strcmp(key, "name") && strcmp(key, "disks") && strcmp(key, "macs")) {
			fail(err, errlen, "resource %s: vm.%.40s: unknown member "
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
	fail(err, errlen, "VM %s %s of resource %s is already used by resource "
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

/* Does any operation of ops set or delete under prefix ("config.")? */
static bool
ops_touch(json_object *ops, const char *prefix)
{
	size_t i, n = json_object_array_length(ops), len = strlen(prefix);
	json_object *op, *v;

	for (i = 0; i < n; i++) {
		op = json_object_array_get_idx(ops, i);
		if (json_object_object_get_ex(op, "op", &v) &&
		    !strcmp(json_object_get_string(v), "test"))
			continue;
		if (json_object_object_get_ex(op, "path", &v) &&
		    !strncmp(json_object_get_string(v), prefix, len))
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
	if (ops_touch(ops, "config.")) {
		old_cfg = config_size(old_doc);
		new_cfg = config_size(new_doc);
	}
	rc = cd_rule_size(old_cfg, new_cfg, total, err, errlen);
	if (rc < 0)
		return rc;
	if (ops_touch(ops, "config.resources") &&
	    json_object_object_get_ex(new_doc, "config", &res) &&
	    json_object_object_get_ex(res, "resources", &res))
		return cd_rule_vm_claims(res, err, errlen);
	return 0;
}
