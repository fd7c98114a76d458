/*
 * state-overlay.c - values on top of the replicated state, never persisted
 * (see state-overlay.h for the rules).
 */
#include "state-overlay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void
cd_overlay_init(struct cd_overlay *ov)
{
	memset(ov, 0, sizeof(*ov));
}

static void
entry_free(struct cd_overlay_entry *e)
{
	json_object_put(e->value);
	json_object_put(e->tests);
	memset(e, 0, sizeof(*e));
}

static void
drop(struct cd_overlay *ov, size_t i)
{
	entry_free(&ov->e[i]);
	if (i + 1 < ov->n)
		memmove(&ov->e[i], &ov->e[i + 1], (ov->n - i - 1) * sizeof(ov->e[0]));
	ov->n--;
	memset(&ov->e[ov->n], 0, sizeof(ov->e[0]));
}

void
cd_overlay_clear(struct cd_overlay *ov)
{
	while (ov->n)
		drop(ov, ov->n - 1);
	ov->seq = 0;
}

static const char *
op_str(json_object *op, const char *key)
{
	json_object *v;

	if (!json_object_is_type(op, json_type_object) ||
	    !json_object_object_get_ex(op, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* O1: the shape of an update; *sets counts its set operations. */
static int
check(json_object *ops, size_t *sets)
{
	size_t i, n;

	*sets = 0;
	if (!json_object_is_type(ops, json_type_array))
		return -EINVAL;
	n = json_object_array_length(ops);
	if (n == 0 || n > CD_STATE_MAX_OPS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		json_object *op = json_object_array_get_idx(ops, i);
		const char *kind = op_str(op, "op"), *path = op_str(op, "path");

		if (!kind || !path || !path[0] || strlen(path) >= CD_OVERLAY_PATH_MAX ||
		    !json_object_object_get_ex(op, "value", NULL))
			return -EINVAL;
		if (!strcmp(kind, "set"))
			(*sets)++;
		else if (strcmp(kind, "test"))
			return -EINVAL;
	}
	return *sets ? 0 : -EINVAL;
}

/* O2: every test holds in st (an absent member equals JSON null). */
static bool
tests_hold(const struct cd_state *st, json_object *tests)
{
	size_t i, n = json_object_array_length(tests);

	for (i = 0; i < n; i++) {
		json_object *op = json_object_array_get_idx(tests, i), *want = NULL;
		json_object *cur = cd_state_get(st, op_str(op, "path"));

		json_object_object_get_ex(op, "value", &want);
		if (!cur && !want)
			continue;
		if (!cur || !want || !json_object_equal(cur, want))
			return false;
	}
	return true;
}

static int
find(const struct cd_overlay *ov, const char *path)
{
	size_t i;

	for (i = 0; i < ov->n; i++) {
		if (!strcmp(ov->e[i].path, path))
			return (int)i;
	}
	return -1;
}

/* O4: room for one more value. */
static void
make_room(struct cd_overlay *ov, const struct cd_state *st)
{
	size_t i, oldest = 0;

	for (i = ov->n; i-- > 0;) {
		if (!tests_hold(st, ov->e[i].tests))
			drop(ov, i);
	}
	if (ov->n < CD_OVERLAY_MAX)
		return;
	for (i = 1; i < ov->n; i++) {
		if (ov->e[i].seq < ov->e[oldest].seq)
			oldest = i;
	}
	drop(ov, oldest);
}

static int
keep(struct cd_overlay *ov, const struct cd_state *st, const char *path,
     json_object *value, json_object *tests)
{
	struct cd_overlay_entry *e;
	int i = find(ov, path);

	if (i < 0) {
		if (ov->n == CD_OVERLAY_MAX)
			make_room(ov, st);
		i = (int)ov->n++;
	}
	e = &ov->e[i];
	json_object_put(e->value);
	json_object_put(e->tests);
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->value = json_object_get(value);
	e->tests = json_object_get(tests);
	e->seq = ++ov->seq;
	return 0;
}

int
cd_overlay_put(struct cd_overlay *ov, const struct cd_state *st, json_object *ops)
{
	json_object *tests;
	size_t i, n, sets;
	int rc = check(ops, &sets);

	if (rc < 0)
		return rc;
	tests = json_object_new_array();
	if (!tests)
		return -ENOMEM;
	n = json_object_array_length(ops);
	for (i = 0; i < n; i++) {
		json_object *op = json_object_array_get_idx(ops, i);

		if (!strcmp(op_str(op, "op"), "test"))
			json_object_array_add(tests, json_object_get(op));
	}
	if (!tests_hold(st, tests)) {
		json_object_put(tests);
		return -ESTALE;
	}
	for (i = 0; i < n && rc == 0; i++) {
		json_object *op = json_object_array_get_idx(ops, i), *v = NULL;

		if (strcmp(op_str(op, "op"), "set"))
			continue;
		json_object_object_get_ex(op, "value", &v);
		rc = keep(ov, st, op_str(op, "path"), v, tests);
	}
	json_object_put(tests);
	return rc;
}

json_object *
cd_overlay_get(struct cd_overlay *ov, const struct cd_state *st, const char *path)
{
	int i = path ? find(ov, path) : -1;

	if (i < 0)
		return NULL;
	if (!tests_hold(st, ov->e[i].tests)) {
		drop(ov, (size_t)i);
		return NULL;
	}
	return ov->e[i].value;
}

/* Set obj.rel (rel = "a.b.c") if every object on the way exists (O5). */
static bool
put_at(json_object *obj, const char *rel, json_object *value)
{
	char key[CD_OVERLAY_PATH_MAX];
	const char *dot;
	json_object *next;

	while ((dot = strchr(rel, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - rel), rel);
		if (!json_object_is_type(obj, json_type_object) ||
		    !json_object_object_get_ex(obj, key, &next))
			return false;
		obj = next;
		rel = dot + 1;
	}
	if (!json_object_is_type(obj, json_type_object) || !rel[0])
		return false;
	json_object_object_add(obj, rel, json_object_get(value));
	return true;
}

size_t
cd_overlay_merge(struct cd_overlay *ov, const struct cd_state *st, const char *prefix,
		 json_object *obj)
{
	size_t i, k = strlen(prefix), added = 0;

	for (i = ov->n; i-- > 0;) {
		const struct cd_overlay_entry *e = &ov->e[i];

		if (strncmp(e->path, prefix, k) || e->path[k] != '.')
			continue;
		if (!tests_hold(st, e->tests)) {
			drop(ov, i);
			continue;
		}
		if (put_at(obj, e->path + k + 1, e->value))
			added++;
	}
	return added;
}
