/*
 * test_state_schema.c - the state document's schema (lib/state-schema.c):
 * every row's format against its declared names, every path set and read
 * back on a real cd_state with a value of its type, names and counts that
 * must be refused, path matching, and the rule that keeps the schema the
 * one place that spells a path: no other source file under clusterd/,
 * cli/, lib/, quorum/, agents/ or csv/ holds a "config." or "runtime."
 * string literal.
 */
#include "state-schema.h"
#include "state.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void
test_rows(void)
{
	char path[CD_SP_PATH_MAX], long_name[CD_SP_NAME_MAX + 1];
	int p;

	memset(long_name, 'x', CD_SP_NAME_MAX);
	long_name[CD_SP_NAME_MAX] = '\0';
	for (p = 0; p < CD_SP__COUNT; p++) {
		const struct cd_sp_row *row = cd_sp_row((enum cd_sp)p);
		unsigned n = 0;
		const char *f;
		int rc;

		CU_ASSERT_PTR_NOT_NULL_FATAL(row);
		CU_ASSERT_PTR_NOT_NULL_FATAL(row->fmt);
		CU_ASSERT(row->meaning && row->meaning[0]);
		for (f = strchr(row->fmt, '%'); f; f = strchr(f + 1, '%')) {
			CU_ASSERT_EQUAL(f[1], 's');	/* no other conversion */
			n++;
		}
		if (n != row->nargs)
			fprintf(stderr, "row %d (%s): %u %%s, %u names\n", p, row->fmt, n,
				row->nargs);
		CU_ASSERT_EQUAL(n, row->nargs);
		CU_ASSERT(!strncmp(row->fmt, "config", 6) || !strncmp(row->fmt, "runtime", 7));
		/* the longest names fit CD_SP_PATH_MAX */
		rc = row->nargs == 0 ? cd_sp_path(path, sizeof(path), (enum cd_sp)p) :
		     row->nargs == 1 ? cd_sp_path(path, sizeof(path), (enum cd_sp)p, long_name) :
		     cd_sp_path(path, sizeof(path), (enum cd_sp)p, long_name, long_name);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT(cd_sp_is(path, (enum cd_sp)p));
	}
	CU_ASSERT_PTR_NULL(cd_sp_row(CD_SP__COUNT));
	CU_ASSERT_PTR_NULL(cd_sp_row((enum cd_sp)-1));
}

/* A value of the row's type the state accepts at that path ("n1" names). */
static json_object *
sample(enum cd_sp p)
{
	switch (p) {
	case CD_SP_NODES:
		return json_tokener_parse("{\"n1\": {\"id\": 1, \"addr\": \"10.0.0.1\"}}");
	case CD_SP_NODE:
		return json_tokener_parse("{\"id\": 1, \"addr\": \"10.0.0.1\"}");
	case CD_SP_QUORUM:
		return json_tokener_parse("{\"mode\": \"auto\", \"witness\": null}");
	case CD_SP_QUORUM_WITNESS:
		return json_object_new_string("iscsi://127.0.0.1/iqn.2026-01.lab:w/0");
	case CD_SP_PROPERTY:
		return json_object_new_int(5);
	case CD_SP_ROLE_RESOURCES:
		return json_tokener_parse("[\"x1\"]");
	case CD_SP_RESOURCE:
		return json_tokener_parse("{\"role\": \"n1\", \"agent\": \"ocf:clusterd:dummy\"}");
	case CD_SP_LUN:
		return json_tokener_parse("{\"url\": \"iscsi://127.0.0.1/iqn.2026-01.lab:d/0\"}");
	case CD_SP_NODE_ADDR:
		return json_object_new_string("10.0.0.9");
	case CD_SP_NODE_ID:
		return json_object_new_int(1);
	default:
		break;
	}
	switch (cd_sp_row(p)->type) {
	case CD_SPT_OBJECT:
		return json_object_new_object();
	case CD_SPT_ARRAY:
		return json_object_new_array();
	case CD_SPT_STRING:
		return json_object_new_string("v1");
	case CD_SPT_INT:
		return json_object_new_int64(42);
	case CD_SPT_BOOL:
		return json_object_new_boolean(1);
	case CD_SPT_ANY:
		return json_object_new_string("any");
	}
	return NULL;
}

/* A value of another type than the row's, or NULL for CD_SPT_ANY. */
static json_object *
wrong(enum cd_sp p)
{
	switch (cd_sp_row(p)->type) {
	case CD_SPT_STRING:
		return json_object_new_int(1);
	case CD_SPT_ANY:
		return NULL;
	default:
		return json_object_new_string("wrong");
	}
}

static int
op_names(json_object *ops, const char *kind, json_object *v, enum cd_sp p)
{
	switch (cd_sp_row(p)->nargs) {
	case 0:
		return cd_sp_op(ops, kind, v, p);
	case 1:
		return cd_sp_op(ops, kind, v, p, "n1");
	default:
		return cd_sp_op(ops, kind, v, p, "n1", "n2");
	}
}

static json_object *
get_names(const struct cd_state *s, enum cd_sp p)
{
	switch (cd_sp_row(p)->nargs) {
	case 0:
		return cd_sp_get(s, p);
	case 1:
		return cd_sp_get(s, p, "n1");
	default:
		return cd_sp_get(s, p, "n1", "n2");
	}
}

static const char *
str_names(const struct cd_state *s, enum cd_sp p)
{
	switch (cd_sp_row(p)->nargs) {
	case 0:
		return cd_sp_str(s, "dflt", p);
	case 1:
		return cd_sp_str(s, "dflt", p, "n1");
	default:
		return cd_sp_str(s, "dflt", p, "n1", "n2");
	}
}

static int64_t
int_names(const struct cd_state *s, enum cd_sp p)
{
	switch (cd_sp_row(p)->nargs) {
	case 0:
		return cd_sp_int(s, -1, p);
	case 1:
		return cd_sp_int(s, -1, p, "n1");
	default:
		return cd_sp_int(s, -1, p, "n1", "n2");
	}
}

static void
base_state(struct cd_state *s)
{
	json_object *ops = json_object_new_array();
	char err[256];

	CU_ASSERT_EQUAL_FATAL(cd_state_init(s, "c1", "u1"), 0);
	CU_ASSERT_EQUAL(cd_sp_op(ops, "set", sample(CD_SP_NODE), CD_SP_NODE, "n1"), 0);
	CU_ASSERT_EQUAL_FATAL(cd_state_apply(s, ops, err, sizeof(err)), 0);
	json_object_put(ops);
}

/* Set every path to a value of its type on a real state and read it back. */
static void
test_round_trip(void)
{
	struct cd_state base = { 0 };
	int p;

	base_state(&base);
	for (p = 0; p < CD_SP__COUNT; p++) {
		const struct cd_sp_row *row = cd_sp_row((enum cd_sp)p);
		struct cd_state s = { 0 };
		json_object *ops, *want, *got;
		char err[256] = "";
		int rc;

		if (!strchr(row->fmt, '.')) {	/* the roots: read only */
			CU_ASSERT_PTR_NOT_NULL(cd_sp_get(&base, (enum cd_sp)p));
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(cd_state_copy(&s, &base), 0);
		want = sample((enum cd_sp)p);
		ops = json_object_new_array();
		CU_ASSERT_EQUAL(op_names(ops, "set", json_object_get(want), (enum cd_sp)p), 0);
		rc = cd_state_apply(&s, ops, err, sizeof(err));
		if (rc)
			fprintf(stderr, "%s: %s\n", row->fmt, err);
		CU_ASSERT_EQUAL(rc, 0);
		got = get_names(&s, (enum cd_sp)p);
		CU_ASSERT(json_object_equal(got, want));
		if (row->type == CD_SPT_STRING)
			CU_ASSERT_STRING_EQUAL(str_names(&s, (enum cd_sp)p),
					       json_object_get_string(want));
		if (row->type == CD_SPT_INT)
			CU_ASSERT_EQUAL(int_names(&s, (enum cd_sp)p), json_object_get_int64(want));
		json_object_put(ops);

		/* a "test" of the same value passes, a "delete" removes it */
		ops = json_object_new_array();
		CU_ASSERT_EQUAL(op_names(ops, "test", json_object_get(want), (enum cd_sp)p), 0);
		CU_ASSERT_EQUAL(op_names(ops, "delete", NULL, (enum cd_sp)p), 0);
		if (p != CD_SP_CLUSTER_NAME && p != CD_SP_NODES && p != CD_SP_NODE_ID &&
		    p != CD_SP_NODE_ADDR && p != CD_SP_QUORUM && p != CD_SP_PROPERTIES &&
		    p != CD_SP_ROLES && p != CD_SP_RESOURCES && p != CD_SP_VOLUMES &&
		    p != CD_SP_RT_RESOURCES && p != CD_SP_FENCES) {	/* required members */
			CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
			CU_ASSERT_PTR_NULL(get_names(&s, (enum cd_sp)p));
		}
		json_object_put(ops);
		json_object_put(want);

		/* a "set" of the wrong type is refused, and so is the change */
		want = wrong((enum cd_sp)p);
		if (want) {
			ops = json_object_new_array();
			CU_ASSERT_EQUAL(cd_sp_op(ops, "set", json_object_new_string("x"),
						 CD_SP_RT_ROLE_OWNER, "r"), 0);
			CU_ASSERT_EQUAL(op_names(ops, "set", want, (enum cd_sp)p), -EINVAL);
			CU_ASSERT_EQUAL(json_object_array_length(ops), 2);
			CU_ASSERT_NOT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
			CU_ASSERT_PTR_NULL(cd_sp_get(&s, CD_SP_RT_ROLE_OWNER, "r"));
			json_object_put(ops);
		}
		cd_state_clear(&s);
	}
	cd_state_clear(&base);
}

static void
test_refused(void)
{
	char path[CD_SP_PATH_MAX], long_name[CD_SP_NAME_MAX + 2], err[128];
	struct cd_state s = { 0 };
	json_object *ops;

	memset(long_name, 'x', CD_SP_NAME_MAX + 1);
	long_name[CD_SP_NAME_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, "web"), 0);
	CU_ASSERT_STRING_EQUAL(path, "config.roles.web");
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, "a.b"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(path, "");
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, ""), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, (const char *)NULL), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, "a b"), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, long_name), -EINVAL);
	long_name[CD_SP_NAME_MAX] = '\0';
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, long_name), 0);
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLE, "a", "b"), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP_ROLES, "a"), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_path(path, sizeof(path), CD_SP__COUNT), -EINVAL);
	/* a short buffer: an error, never a truncated path */
	CU_ASSERT_EQUAL(cd_sp_path(path, 12, CD_SP_ROLE, "web"), -ENAMETOOLONG);
	CU_ASSERT_STRING_EQUAL(path, "");
	CU_ASSERT_EQUAL(cd_sp_path(path, 17, CD_SP_ROLE, "web"), 0);

	/* refused names read nothing and build a change that is refused whole */
	CU_ASSERT_EQUAL_FATAL(cd_state_init(&s, "c1", "u1"), 0);
	CU_ASSERT_PTR_NULL(cd_sp_get(&s, CD_SP_ROLE, "a.b"));
	CU_ASSERT_STRING_EQUAL(cd_sp_str(&s, "d", CD_SP_RT_ROLE_OWNER, ""), "d");
	CU_ASSERT_EQUAL(cd_sp_int(&s, 7, CD_SP_RT_NODE_INCARNATION, (const char *)NULL), 7);
	ops = json_object_new_array();
	CU_ASSERT_EQUAL(cd_sp_op(ops, "set", json_object_new_string("x"),
				 CD_SP_RT_ROLE_OWNER, "web"), 0);
	CU_ASSERT_EQUAL(cd_sp_op(ops, "set", json_object_new_string("x"),
				 CD_SP_RT_ROLE_OWNER, "a.b"), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_op(ops, "put", json_object_new_string("x"),
				 CD_SP_RT_ROLE_OWNER, "web"), -EINVAL);
	CU_ASSERT_EQUAL(cd_sp_op(NULL, "set", json_object_new_string("x"),
				 CD_SP_RT_ROLE_OWNER, "web"), -EINVAL);
	CU_ASSERT_EQUAL(json_object_array_length(ops), 3);
	CU_ASSERT_NOT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(cd_sp_get(&s, CD_SP_RT_ROLE_OWNER, "web"));
	json_object_put(ops);
	cd_state_clear(&s);
}

struct match_case {
	const char *path;
	enum cd_sp p;
	bool is, under;
};

static const struct match_case match_cases[] = {
	{ "runtime.roles.web.migration.phase", CD_SP_MIG_PHASE, true, true },
	{ "runtime.roles.web.migration.phase", CD_SP_MIG, false, true },
	{ "runtime.roles.web.migration.phase", CD_SP_RT_ROLE, false, true },
	{ "runtime.roles.web.migration.phase", CD_SP_RUNTIME, false, true },
	{ "runtime.roles.web.migration.phase", CD_SP_CONFIG, false, false },
	{ "runtime.roles.web.migration.phasex", CD_SP_MIG_PHASE, false, false },
	{ "runtime.roles..migration.phase", CD_SP_MIG_PHASE, false, false },
	{ "runtime.roles.web", CD_SP_MIG, false, false },
	{ "config.resources", CD_SP_RESOURCES, true, true },
	{ "config.resources.vm1", CD_SP_RESOURCES, false, true },
	{ "config.resourcesx", CD_SP_RESOURCES, false, false },
	{ "config.resources.", CD_SP_RESOURCES, false, false },
	{ "config.properties.x", CD_SP_CONFIG, false, true },
	{ "config", CD_SP_CONFIG, true, true },
	{ "configx.a", CD_SP_CONFIG, false, false },
	{ "runtime.nodes.n1.paused", CD_SP_RT_NODE_PAUSED, true, true },
	{ "runtime.nodes.n1.paused", CD_SP_RT_NODE_FENCED, false, false },
};

static void
test_match(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(match_cases); i++) {
		const struct match_case *c = &match_cases[i];

		if (cd_sp_is(c->path, c->p) != c->is || cd_sp_under(c->path, c->p) != c->under)
			fprintf(stderr, "match case %zu (%s) failed\n", i, c->path);
		CU_ASSERT_EQUAL(cd_sp_is(c->path, c->p), c->is);
		CU_ASSERT_EQUAL(cd_sp_under(c->path, c->p), c->under);
	}
	CU_ASSERT(!cd_sp_is(NULL, CD_SP_CONFIG));
	CU_ASSERT(!cd_sp_under("config", CD_SP__COUNT));
}

/* ---- no other file spells a state path ---- */

/* String literals that are not state paths, by file (relative to the source root). */
static const struct { const char *file, *literal; } allowed[] = {
	{ "lib/state-schema.c", NULL },			/* the schema itself */
	{ "clusterd/cs.c", "runtime.config.totem." },	/* corosync cmap keys */
};

static bool
is_allowed(const char *file, const char *lit)
{
	size_t i;

	for (i = 0; i < N_ELEMS(allowed); i++) {
		if (strcmp(file, allowed[i].file))
			continue;
		if (!allowed[i].literal || !strncmp(lit, allowed[i].literal,
						    strlen(allowed[i].literal)))
			return true;
	}
	return false;
}

/* Count the path literals of one C file (comments and char literals skipped). */
static unsigned
scan_file(const char *full, const char *rel, bool quiet)
{
	unsigned bad = 0, line = 1;
	FILE *f = fopen(full, "re");
	char *text;
	long len;
	long i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			line++;
		} else if (text[i] == '/' && text[i + 1] == '*') {
			for (i += 2; i < len && !(text[i] == '*' && text[i + 1] == '/'); i++)
				line += text[i] == '\n';
			i++;
		} else if (text[i] == '/' && text[i + 1] == '/') {
			while (i < len && text[i + 1] != '\n')
				i++;
		} else if (text[i] == '\'') {
			for (i++; i < len && text[i] != '\''; i++)
				i += text[i] == '\\';
		} else if (text[i] == '"') {
			const char *lit = &text[i + 1];

			if ((!strncmp(lit, "config.", 7) || !strncmp(lit, "runtime.", 8)) &&
			    !is_allowed(rel, lit)) {
				if (!quiet)
					fprintf(stderr, "%s:%u: a state path outside "
						"lib/state-schema.c: \"%.*s\"\n", rel, line,
						(int)strcspn(lit, "\"\n"), lit);
				bad++;
			}
			for (i++; i < len && text[i] != '"'; i++)
				i += text[i] == '\\';
		}
	}
	free(text);
	return bad;
}

static unsigned
scan_dir(const char *root, const char *rel)
{
	char full[1024], sub[512];
	unsigned bad = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(full, sizeof(full), "%s/%s", root, rel);
	d = opendir(full);
	if (!d)
		return 0;	/* a folder this tree does not have */
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (stat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			bad += scan_dir(root, sub);
		else if (n > 2 && (!strcmp(e->d_name + n - 2, ".c") ||
				   !strcmp(e->d_name + n - 2, ".h")))
			bad += scan_file(full, sub, false);
	}
	closedir(d);
	return bad;
}

static void
test_no_path_elsewhere(void)
{
	static const char *const dirs[] = { "clusterd", "cli", "lib", "quorum", "agents", "csv" };
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < N_ELEMS(dirs); i++)
		bad += scan_dir(CD_SOURCE_DIR, dirs[i]);
	CU_ASSERT_EQUAL(bad, 0);
	/* the scanner finds what it must: the schema's own table */
	CU_ASSERT(scan_file(CD_SOURCE_DIR "/lib/state-schema.c", "lib/state-schema.c.check", true) > 10);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "every row: names, length, matching", test_rows },
		{ "every path set and read back on a state", test_round_trip },
		{ "bad names, counts and buffers refused", test_refused },
		{ "path matching", test_match },
		{ "no other source spells a state path", test_no_path_elsewhere },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "state-schema", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
