/*
 * test_state.c - unit tests of the replicated state document
 * (lib/state.c): construction, the validator, atomic changes, the
 * canonical hash, the state file and the choice of the sync winner.
 */
#include "state.h"
#include "error.h"
#include "unit.h"
#include "unit-fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define BAD_ARGS	(-CD_E_BAD_ARGS)
#define INVALID		(-CD_E_STATE_INVALID)

/* A valid document in the layout of state.h, with two nodes. */
static const char base_json[] =
	"{\"format\":1,\"uuid\":\"8c5f0e0e-1111-2222-3333-444455556666\","
	"\"generation\":7,"
	"\"config\":{\"cluster_name\":\"prod\","
	"\"nodes\":{\"n1\":{\"id\":1,\"addr\":\"10.0.0.1\"},"
	"\"n2\":{\"id\":2,\"addr\":\"10.0.0.2\"}},"
	"\"quorum\":{\"mode\":\"auto\",\"witness\":null},"
	"\"properties\":{\"migration-bandwidth-mbps\":0},"
	"\"roles\":{},\"resources\":{},\"volumes\":{}},"
	"\"runtime\":{\"resources\":{},\"fences\":[]}}";

/* ---- helpers ---- */

static json_object *
parse(const char *json)
{
	json_object *o = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

/* Like parse(), for any value: JSON null is NULL in json-c. */
static json_object *
parse_value(const char *json)
{
	return strcmp(json, "null") == 0 ? NULL : parse(json);
}

/* A state holding base_json. */
static void
base_state(struct cd_state *s)
{
	json_object *doc = parse(base_json);
	char err[256];

	memset(s, 0, sizeof(*s));
	CU_ASSERT_EQUAL_FATAL(cd_state_set_doc(s, doc, err, sizeof(err)), 0);
	json_object_put(doc);
}

/* A string of n copies of c (caller frees). */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*
 * Set (value != NULL) or delete a member of doc by a '/'-separated path,
 * so that keys may hold dots. Intermediate objects must exist.
 */
static void
edit(json_object *doc, const char *path, json_object *value, bool del)
{
	char *copy = strdup(path), *key = copy, *slash;
	json_object *cur = doc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	while ((slash = strchr(key, '/'))) {
		*slash = '\0';
		CU_ASSERT_FATAL(json_object_object_get_ex(cur, key, &cur));
		key = slash + 1;
	}
	if (del)
		json_object_object_del(cur, key);
	else
		json_object_object_add(cur, key, value);
	free(copy);
}

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- init, accessors, copy, get ---- */

static void
test_init_fresh(void)
{
	struct cd_state s = { 0 }, again = { 0 };
	char err[256];
	json_object *v;

	CU_ASSERT_EQUAL_FATAL(cd_state_init(&s, "prod", "uuid-1"), 0);
	CU_ASSERT_EQUAL(cd_state_generation(&s), 0);
	CU_ASSERT_STRING_EQUAL(cd_state_uuid(&s), "uuid-1");
	CU_ASSERT_STRING_EQUAL(cd_state_cluster_name(&s), "prod");
	v = cd_state_get(&s, "format");
	CU_ASSERT_EQUAL(json_object_get_int(v), CD_STATE_FORMAT);
	v = cd_state_get(&s, "config.nodes");
	CU_ASSERT_TRUE(json_object_is_type(v, json_type_object));
	CU_ASSERT_EQUAL(json_object_object_length(v), 0);
	CU_ASSERT_TRUE(json_object_is_type(cd_state_get(&s, "runtime.fences"),
					   json_type_array));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		cd_state_get(&s, "config.quorum.mode")), "auto");
	CU_ASSERT_NOT_EQUAL(cd_state_hash(&s), 0);
	/* What init makes passes the validator on its own. */
	CU_ASSERT_EQUAL(cd_state_set_doc(&again, s.doc, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_hash(&again), cd_state_hash(&s));
	cd_state_clear(&again);

	/* Init over a held document replaces it (LeakSanitizer checks). */
	CU_ASSERT_EQUAL_FATAL(cd_state_init(&s, "other", "uuid-2"), 0);
	CU_ASSERT_STRING_EQUAL(cd_state_cluster_name(&s), "other");
	cd_state_clear(&s);
	CU_ASSERT_PTR_NULL(s.doc);
}

static void
test_init_limits(void)
{
	char *name63 = repeat('c', 63), *name64 = repeat('c', 64);
	char *uuid39 = repeat('u', 39), *uuid40 = repeat('u', 40);
	struct cd_state s = { 0 };

	CU_ASSERT_EQUAL(cd_state_init(&s, name63, uuid39), 0);
	CU_ASSERT_STRING_EQUAL(cd_state_cluster_name(&s), name63);
	CU_ASSERT_STRING_EQUAL(cd_state_uuid(&s), uuid39);
	cd_state_clear(&s);

	CU_ASSERT_EQUAL(cd_state_init(&s, name64, "u"), -EINVAL);
	CU_ASSERT_EQUAL(cd_state_init(&s, "", "u"), -EINVAL);
	CU_ASSERT_EQUAL(cd_state_init(&s, NULL, "u"), -EINVAL);
	CU_ASSERT_EQUAL(cd_state_init(&s, "c", uuid40), -EINVAL);
	CU_ASSERT_EQUAL(cd_state_init(&s, "c", ""), -EINVAL);
	CU_ASSERT_EQUAL(cd_state_init(&s, "c", NULL), -EINVAL);
	/* A name that could not be written as UTF-8 JSON and read back. */
	CU_ASSERT_EQUAL(cd_state_init(&s, "bad\xff", "u"), -EINVAL);
	CU_ASSERT_EQUAL(cd_state_init(NULL, "c", "u"), -EINVAL);
	CU_ASSERT_PTR_NULL(s.doc);
	free(name63);
	free(name64);
	free(uuid39);
	free(uuid40);
}

static void
test_empty_state(void)
{
	struct cd_state s = { 0 };
	json_object *ops = parse("[{\"op\":\"set\",\"path\":\"config.a\",\"value\":1}]");
	char err[128];

	CU_ASSERT_EQUAL(cd_state_generation(&s), 0);
	CU_ASSERT_STRING_EQUAL(cd_state_uuid(&s), "");
	CU_ASSERT_STRING_EQUAL(cd_state_cluster_name(&s), "");
	CU_ASSERT_EQUAL(cd_state_hash(&s), 0);
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config"));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, "there is no state to change");
	CU_ASSERT_EQUAL(cd_state_save(&s, "/nonexistent/x"), -EINVAL);
	cd_state_clear(&s);
	cd_state_clear(&s);
	cd_state_clear(NULL);
	json_object_put(ops);
}

static void
test_copy(void)
{
	struct cd_state a, b = { 0 }, empty = { 0 };
	json_object *ops = parse("[{\"op\":\"set\",\"path\":\"config.roles.r\","
				 "\"value\":{\"x\":1}}]");
	uint64_t h;

	base_state(&a);
	h = cd_state_hash(&a);
	CU_ASSERT_EQUAL_FATAL(cd_state_copy(&b, &a), 0);
	CU_ASSERT_PTR_NOT_EQUAL(b.doc, a.doc);
	CU_ASSERT_TRUE(json_object_equal(a.doc, b.doc));
	CU_ASSERT_EQUAL(cd_state_hash(&b), h);

	/* The copy is deep: changing it leaves the original alone. */
	CU_ASSERT_EQUAL(cd_state_apply(&b, ops, NULL, 0), 0);
	CU_ASSERT_EQUAL(cd_state_generation(&b), 8);
	CU_ASSERT_EQUAL(cd_state_generation(&a), 7);
	CU_ASSERT_PTR_NULL(cd_state_get(&a, "config.roles.r"));
	CU_ASSERT_EQUAL(cd_state_hash(&a), h);

	/* Copying an empty state empties dst and releases its document. */
	CU_ASSERT_EQUAL(cd_state_copy(&b, &empty), 0);
	CU_ASSERT_PTR_NULL(b.doc);
	cd_state_clear(&a);
	json_object_put(ops);
}

static void
test_get(void)
{
	struct cd_state s;
	json_object *v;

	base_state(&s);
	v = cd_state_get(&s, "generation");
	CU_ASSERT_EQUAL(json_object_get_int(v), 7);
	v = cd_state_get(&s, "config.nodes.n2.addr");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "10.0.0.2");
	CU_ASSERT_PTR_EQUAL(cd_state_get(&s, "config"),
			    json_object_object_get(s.doc, "config"));
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.nodes.n3"));
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.cluster_name.x"));
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config..nodes"));
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.nodes."));
	CU_ASSERT_PTR_NULL(cd_state_get(&s, ""));
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config/nodes"));
	CU_ASSERT_PTR_NULL(cd_state_get(&s, NULL));
	CU_ASSERT_PTR_NULL(cd_state_get(NULL, "config"));
	/* JSON null reads as absent. */
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.quorum.witness"));
	cd_state_clear(&s);
}

/* ---- the validator ---- */

struct vcase {
	const char *path;	/* '/'-separated */
	const char *value;	/* JSON text; NULL deletes the member */
	const char *reason;	/* exact err text; NULL if the result is valid */
};

#define ID_RANGE	"must be an integer 1..4294967295"
#define NAME_RULE	"must be 1..63 characters of [A-Za-z0-9_.-]"
#define ADDR_RULE	"must be a string of 1..255 characters"
#define GEN_RULE	"generation: must be an integer 0..9223372036854775807"
#define UUID_RULE	"uuid: must be a string of 1..39 characters"
#define CNAME_RULE	"config.cluster_name: must be a string of 1..63 characters"

static const struct vcase validator_cases[] = {
	{ "format", NULL, "format: must be 1" },
	{ "format", "\"1\"", "format: must be 1" },
	{ "format", "1.0", "format: must be 1" },
	{ "format", "2", "format: 2 is not supported (this build reads format 1)" },
	{ "format", "0", "format: 0 is not supported (this build reads format 1)" },
	{ "uuid", NULL, UUID_RULE },
	{ "uuid", "\"\"", UUID_RULE },
	{ "uuid", "7", UUID_RULE },
	{ "uuid", "\"a\\u0000b\"", UUID_RULE },
	{ "uuid", "\"0123456789012345678901234567890123456789\"", UUID_RULE },
	{ "uuid", "\"012345678901234567890123456789012345678\"", NULL },
	{ "generation", NULL, GEN_RULE },
	{ "generation", "-1", GEN_RULE },
	{ "generation", "1.5", GEN_RULE },
	{ "generation", "\"7\"", GEN_RULE },
	{ "generation", "null", GEN_RULE },
	{ "generation", "9223372036854775808", GEN_RULE },
	{ "generation", "0", NULL },
	{ "generation", "9223372036854775807", NULL },
	{ "extra", "1", "extra: unknown top-level member" },
	{ "config", NULL, "config: missing (must be an object)" },
	{ "config", "[]", "config: must be an object" },
	{ "config/cluster_name", NULL, CNAME_RULE },
	{ "config/cluster_name", "\"\"", CNAME_RULE },
	{ "config/cluster_name", "5", CNAME_RULE },
	{ "config/cluster_name",
	  "\"0123456789012345678901234567890123456789012345678901234567890123\"",
	  CNAME_RULE },
	{ "config/cluster_name",
	  "\"012345678901234567890123456789012345678901234567890123456789012\"",
	  NULL },
	{ "config/nodes", NULL, "config.nodes: missing (must be an object)" },
	{ "config/nodes", "[]", "config.nodes: must be an object" },
	{ "config/nodes", "{}", NULL },
	{ "config/nodes/n3", "\"10.0.0.3\"", "config.nodes.n3: must be an object" },
	{ "config/nodes/n3", "null", "config.nodes.n3: must be an object" },
	{ "config/nodes/a b", "{\"id\":3,\"addr\":\"x\"}",
	  "config.nodes: node name \"a b\" " NAME_RULE },
	{ "config/nodes/", "{\"id\":3,\"addr\":\"x\"}",
	  "config.nodes: node name \"\" " NAME_RULE },
	{ "config/nodes/n\xc3\xa9", "{\"id\":3,\"addr\":\"x\"}",
	  "config.nodes: node name \"n\xc3\xa9\" " NAME_RULE },
	{ "config/nodes/0123456789012345678901234567890123456789012345678901234567890123",
	  "{\"id\":3,\"addr\":\"x\"}",
	  "config.nodes: node name \"0123456789012345678901234567890123456789"
	  "012345678901234567890123\" " NAME_RULE },
	{ "config/nodes/012345678901234567890123456789012345678901234567890123456789012",
	  "{\"id\":3,\"addr\":\"x\"}", NULL },
	{ "config/nodes/n3.example-1_b", "{\"id\":3,\"addr\":\"x\"}", NULL },
	{ "config/nodes/n2/id", NULL, "config.nodes.n2.id: " ID_RANGE },
	{ "config/nodes/n2/id", "0", "config.nodes.n2.id: " ID_RANGE },
	{ "config/nodes/n2/id", "-1", "config.nodes.n2.id: " ID_RANGE },
	{ "config/nodes/n2/id", "4294967296", "config.nodes.n2.id: " ID_RANGE },
	{ "config/nodes/n2/id", "\"2\"", "config.nodes.n2.id: " ID_RANGE },
	{ "config/nodes/n2/id", "2.0", "config.nodes.n2.id: " ID_RANGE },
	{ "config/nodes/n2/id", "true", "config.nodes.n2.id: " ID_RANGE },
	{ "config/nodes/n2/id", "4294967295", NULL },
	{ "config/nodes/n2/id", "1",
	  "config.nodes.n2.id: 1 is already the id of node n1" },
	{ "config/nodes/n2/addr", NULL, "config.nodes.n2.addr: " ADDR_RULE },
	{ "config/nodes/n2/addr", "\"\"", "config.nodes.n2.addr: " ADDR_RULE },
	{ "config/nodes/n2/addr", "5", "config.nodes.n2.addr: " ADDR_RULE },
	{ "config/nodes/n2/extra", "{\"votes\":1}", NULL },
	{ "config/quorum", NULL, "config.quorum: missing (must be an object)" },
	{ "config/quorum", "null", "config.quorum: must be an object" },
	{ "config/quorum", "[]", "config.quorum: must be an object" },
	{ "config/properties", NULL, "config.properties: missing (must be an object)" },
	{ "config/properties", "1", "config.properties: must be an object" },
	{ "config/roles", NULL, "config.roles: missing (must be an object)" },
	{ "config/roles", "[]", "config.roles: must be an object" },
	{ "config/resources", NULL, "config.resources: missing (must be an object)" },
	{ "config/resources", "\"x\"", "config.resources: must be an object" },
	{ "config/volumes", NULL, "config.volumes: missing (must be an object)" },
	{ "config/volumes", "false", "config.volumes: must be an object" },
	{ "config/new-section", "{\"x\":[1,2]}", NULL },
	{ "runtime", NULL, "runtime: missing (must be an object)" },
	{ "runtime", "[]", "runtime: must be an object" },
	{ "runtime/resources", NULL, "runtime.resources: missing (must be an object)" },
	{ "runtime/resources", "[]", "runtime.resources: must be an object" },
	{ "runtime/fences", NULL, "runtime.fences: missing (must be an array)" },
	{ "runtime/fences", "{}", "runtime.fences: must be an array" },
	{ "runtime/fences", "[{\"node\":\"n1\",\"at\":12.5}]", NULL },
	/* Limits on the whole tree, with the position in the message. */
	{ "runtime/fences", "[1,2,NaN]", "runtime.fences[2]: numbers must be finite" },
	{ "config/properties/x", "1e999", "config.properties.x: numbers must be finite" },
	{ "config/properties/x", "-Infinity", "config.properties.x: numbers must be finite" },
	{ "config/properties/x", "\"\xff\"",
	  "config.properties.x: string is not valid UTF-8" },
	{ "config/properties/x", "\"\xe2\x82\"",
	  "config.properties.x: string is not valid UTF-8" },
	{ "config/properties/x", "\"\xe2\x82\xac \\u0000\"", NULL },
	{ "config/properties/\xc0", "1", "config.properties: a key is not valid UTF-8" },
};

static void
test_validator_table(void)
{
	struct cd_state s;
	size_t i;

	base_state(&s);
	for (i = 0; i < N_ELEMS(validator_cases); i++) {
		const struct vcase *c = &validator_cases[i];
		json_object *held = s.doc, *doc = parse(base_json);
		char err[256];
		int rc, want = c->reason ? INVALID : 0;

		edit(doc, c->path, c->value ? parse_value(c->value) : NULL,
		     !c->value);
		memset(err, 'x', sizeof(err));
		rc = cd_state_set_doc(&s, doc, err, sizeof(err));
		if (rc != want || (c->reason && strcmp(err, c->reason) != 0))
			fprintf(stderr, "\n  case %zu %s=%s: got %d \"%s\"\n", i,
				c->path, c->value ? c->value : "(deleted)", rc, err);
		CU_ASSERT_EQUAL(rc, want);
		if (c->reason) {
			CU_ASSERT_STRING_EQUAL(err, c->reason);
			/* The old document stays on failure. */
			CU_ASSERT_PTR_EQUAL(s.doc, held);
		} else {
			CU_ASSERT_STRING_EQUAL(err, "");
			CU_ASSERT_PTR_EQUAL(s.doc, doc);
		}
		json_object_put(doc);
	}
	cd_state_clear(&s);
}

static void
test_validator_not_object(void)
{
	struct cd_state s = { 0 };
	json_object *arr = parse("[1]");
	char err[128];

	CU_ASSERT_EQUAL(cd_state_set_doc(&s, arr, err, sizeof(err)), INVALID);
	CU_ASSERT_STRING_EQUAL(err, "document: must be a JSON object");
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, NULL, err, sizeof(err)), INVALID);
	CU_ASSERT_STRING_EQUAL(err, "document: missing");
	/* err may be omitted. */
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, arr, NULL, 0), INVALID);
	CU_ASSERT_PTR_NULL(s.doc);
	json_object_put(arr);
}

/* The document itself is level 1; CD_STATE_MAX_DEPTH levels pass. */
static void
test_validator_depth(void)
{
	struct cd_state s = { 0 };
	json_object *doc;
	char err[256];

	/* root, config, resources: 3 levels, so 17 more reach the limit. */
	doc = parse(base_json);
	edit(doc, "config/resources/web", cd_unit_nested(CD_STATE_MAX_DEPTH - 3), false);
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, doc, err, sizeof(err)), 0);
	json_object_put(doc);

	doc = parse(base_json);
	edit(doc, "config/resources/web", cd_unit_nested(CD_STATE_MAX_DEPTH - 2), false);
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, doc, err, sizeof(err)), INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "config.resources.web.a.a."));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": nested deeper than 20 levels"));
	json_object_put(doc);

	/* Very deep input is refused without deep recursion. */
	doc = parse(base_json);
	edit(doc, "config/resources/web", cd_unit_nested(1000), false);
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, doc, err, sizeof(err)), INVALID);
	json_object_put(doc);
	cd_state_clear(&s);
}

/* A document of exactly CD_STATE_MAX_SIZE bytes passes, one more does not. */
static void
test_validator_size(void)
{
	struct cd_state s = { 0 };
	json_object *doc = parse(base_json);
	size_t base_len;
	char err[256], want[128], *pad;

	edit(doc, "config/properties/pad", json_object_new_string(""), false);
	json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &base_len);
	pad = repeat('p', CD_STATE_MAX_SIZE - base_len);
	edit(doc, "config/properties/pad", json_object_new_string(pad), false);
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, doc, err, sizeof(err)), 0);
	free(pad);

	pad = repeat('p', CD_STATE_MAX_SIZE - base_len + 1);
	edit(doc, "config/properties/pad", json_object_new_string(pad), false);
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, doc, err, sizeof(err)), INVALID);
	snprintf(want, sizeof(want), "document: %d bytes serialised, over the "
		 "limit of %d", CD_STATE_MAX_SIZE + 1, CD_STATE_MAX_SIZE);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(pad);
	json_object_put(doc);
	cd_state_clear(&s);
}

/* The state shares the caller's document: one reference each. */
static void
test_set_doc_references(void)
{
	struct cd_state s = { 0 };
	json_object *doc = parse(base_json), *other = parse(base_json);
	char err[64];

	CU_ASSERT_EQUAL_FATAL(cd_state_set_doc(&s, doc, err, sizeof(err)), 0);
	CU_ASSERT_PTR_EQUAL(s.doc, doc);
	CU_ASSERT_EQUAL(json_object_put(doc), 0);	/* still held */
	CU_ASSERT_EQUAL(cd_state_generation(&s), 7);
	/* Setting the same document again is harmless. */
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, s.doc, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_set_doc(&s, other, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(json_object_put(other), 0);
	cd_state_clear(&s);
}

/* ---- apply ---- */

static int
apply_json(struct cd_state *s, const char *ops_json, char *err, size_t errlen)
{
	json_object *ops = parse(ops_json);
	int rc = cd_state_apply(s, ops, err, errlen);

	json_object_put(ops);
	return rc;
}

static void
test_apply_set_delete(void)
{
	struct cd_state s;
	char err[256];
	json_object *v;

	base_state(&s);
	CU_ASSERT_EQUAL_FATAL(apply_json(&s, "[{\"op\":\"set\",\"path\":"
		"\"config.properties.foo\",\"value\":5}]", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(cd_state_generation(&s), 8);
	CU_ASSERT_EQUAL(json_object_get_int(cd_state_get(&s, "config.properties.foo")), 5);

	/* Missing intermediate objects are created. */
	CU_ASSERT_EQUAL_FATAL(apply_json(&s, "[{\"op\":\"set\",\"path\":"
		"\"config.resources.web.params.image\",\"value\":\"nginx\"}]",
		err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		cd_state_get(&s, "config.resources.web.params.image")), "nginx");
	CU_ASSERT_EQUAL(cd_state_generation(&s), 9);

	/* A whole subtree is replaced. */
	CU_ASSERT_EQUAL_FATAL(apply_json(&s, "[{\"op\":\"set\",\"path\":"
		"\"config.properties\",\"value\":{\"a\":1}}]", err, sizeof(err)), 0);
	v = cd_state_get(&s, "config.properties");
	CU_ASSERT_EQUAL(json_object_object_length(v), 1);
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.properties.foo"));

	CU_ASSERT_EQUAL_FATAL(apply_json(&s, "[{\"op\":\"delete\",\"path\":"
		"\"config.properties.a\"}]", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(json_object_object_length(
		cd_state_get(&s, "config.properties")), 0);
	CU_ASSERT_EQUAL(cd_state_generation(&s), 11);

	/* Runtime and a JSON null value. */
	CU_ASSERT_EQUAL_FATAL(apply_json(&s, "[{\"op\":\"set\",\"path\":"
		"\"runtime.fences\",\"value\":[{\"node\":\"n2\"}]},"
		"{\"op\":\"set\",\"path\":\"runtime.resources.web\","
		"\"value\":{\"node\":\"n1\",\"state\":\"started\"}},"
		"{\"op\":\"set\",\"path\":\"config.quorum.witness\",\"value\":null}]",
		err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(json_object_array_length(cd_state_get(&s, "runtime.fences")), 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(cd_state_get(&s, "config.quorum"),
						 "witness", &v));
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_EQUAL(cd_state_generation(&s), 12);
	cd_state_clear(&s);
}

/* cd_state_op builds operations cd_state_apply takes. */
static void
test_state_op(void)
{
	struct cd_state s = { 0 };
	json_object *ops, *del;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(cd_state_init(&s, "c", "u"), 0);
	ops = json_object_new_array();
	json_object_array_add(ops, cd_state_op("set", "config.properties.description",
					       json_object_new_string("x")));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	json_object_put(ops);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		cd_state_get(&s, "config.properties.description")), "x");
	del = cd_state_op("delete", "config.properties.description", NULL);
	CU_ASSERT_FALSE(json_object_object_get_ex(del, "value", NULL));
	ops = json_object_new_array();
	json_object_array_add(ops, del);
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	json_object_put(ops);
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.properties.description"));
	cd_state_clear(&s);
}

/* "test" makes a change conditional on what its author saw. */
static void
test_apply_test_op(void)
{
	struct cd_state s = { 0 };
	char err[256];
	json_object *ops;
	uint64_t g;

	CU_ASSERT_EQUAL_FATAL(cd_state_init(&s, "c", "u"), 0);
	g = cd_state_generation(&s);
	/* Absent equals null. */
	ops = json_tokener_parse("[{\"op\":\"test\",\"path\":\"runtime.roles.w.state\",\"value\":null},"
				 "{\"op\":\"set\",\"path\":\"runtime.roles.w.state\",\"value\":\"started\"}]");
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	json_object_put(ops);
	CU_ASSERT_EQUAL(cd_state_generation(&s), g + 1);
	/* Equal value: applies. */
	ops = json_tokener_parse("[{\"op\":\"test\",\"path\":\"runtime.roles.w.state\",\"value\":\"started\"},"
				 "{\"op\":\"set\",\"path\":\"runtime.roles.w.state\",\"value\":\"stopping\"}]");
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	/* The same again: the test now fails and nothing changes. */
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), -CD_E_BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, "ops[0]: test of runtime.roles.w.state failed: it is \"stopping\"");
	json_object_put(ops);
	CU_ASSERT_EQUAL(cd_state_generation(&s), g + 2);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(cd_state_get(&s, "runtime.roles.w.state")),
			       "stopping");
	/* Objects compare by value. */
	ops = json_tokener_parse("[{\"op\":\"test\",\"path\":\"runtime.roles.w\",\"value\":{\"state\":\"stopping\"}},"
				 "{\"op\":\"delete\",\"path\":\"runtime.roles.w\"}]");
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	json_object_put(ops);
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "runtime.roles.w"));
	cd_state_clear(&s);
}

/* Operations apply in order, and the list counts as one generation. */
static void
test_apply_order(void)
{
	struct cd_state s;
	json_object *want = parse("{\"y\":null,\"z\":{\"k\":[1]}}");
	char err[256];

	base_state(&s);
	CU_ASSERT_EQUAL_FATAL(apply_json(&s, "["
		"{\"op\":\"set\",\"path\":\"config.roles.r\",\"value\":{}},"
		"{\"op\":\"set\",\"path\":\"config.roles.r.x\",\"value\":1},"
		"{\"op\":\"delete\",\"path\":\"config.roles.r.x\"},"
		"{\"op\":\"set\",\"path\":\"config.roles.r.y\",\"value\":null},"
		"{\"op\":\"set\",\"path\":\"config.roles.r.z.k\",\"value\":[1]}]",
		err, sizeof(err)), 0);
	CU_ASSERT_TRUE(json_object_equal(cd_state_get(&s, "config.roles.r"), want));
	CU_ASSERT_EQUAL(cd_state_generation(&s), 8);
	json_object_put(want);
	cd_state_clear(&s);
}

/* The state keeps its own copy of a set value. */
static void
test_apply_copies_value(void)
{
	json_object *ops = parse("[{\"op\":\"set\",\"path\":\"config.roles.r\","
				 "\"value\":{\"list\":[1,2]}}]");
	json_object *value, *list;
	struct cd_state s;

	base_state(&s);
	CU_ASSERT_EQUAL_FATAL(cd_state_apply(&s, ops, NULL, 0), 0);
	value = json_object_object_get(json_object_array_get_idx(ops, 0), "value");
	CU_ASSERT_PTR_NOT_EQUAL(cd_state_get(&s, "config.roles.r"), value);
	list = json_object_object_get(value, "list");
	json_object_array_add(list, json_object_new_int(3));
	json_object_object_add(value, "extra", json_object_new_int(1));
	CU_ASSERT_EQUAL(json_object_array_length(
		cd_state_get(&s, "config.roles.r.list")), 2);
	CU_ASSERT_PTR_NULL(cd_state_get(&s, "config.roles.r.extra"));
	/* ops is borrowed: ours is the only reference again. */
	CU_ASSERT_EQUAL(json_object_put(ops), 1);
	cd_state_clear(&s);
}

/* 64 operations are one change; 65 are refused. */
static void
test_apply_op_count(void)
{
	json_object *ops = json_object_new_array();
	struct cd_state s;
	char err[256];
	int i;

	base_state(&s);
	for (i = 0; i < CD_STATE_MAX_OPS; i++) {
		json_object *op = json_object_new_object();
		char path[64];

		snprintf(path, sizeof(path), "config.properties.p%d", i);
		json_object_object_add(op, "op", json_object_new_string("set"));
		json_object_object_add(op, "path", json_object_new_string(path));
		json_object_object_add(op, "value", json_object_new_int(i));
		json_object_array_add(ops, op);
	}
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_generation(&s), 8);
	CU_ASSERT_EQUAL(json_object_get_int(cd_state_get(&s, "config.properties.p63")), 63);
	json_object_array_add(ops, json_object_get(json_object_array_get_idx(ops, 0)));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, "ops: must hold 1..64 operations, not 65");
	CU_ASSERT_EQUAL(cd_state_generation(&s), 8);
	json_object_put(ops);
	cd_state_clear(&s);
}

/* Paths of the longest and of the deepest accepted kind. */
static void
test_apply_path_limits(void)
{
	char path[2048], *key63 = repeat('k', 63);
	json_object *ops, *op;
	struct cd_state s;
	char err[256];
	int i;

	base_state(&s);
	snprintf(path, sizeof(path), "config.properties.%s", key63);
	ops = json_object_new_array();
	op = json_object_new_object();
	json_object_object_add(op, "op", json_object_new_string("set"));
	json_object_object_add(op, "path", json_object_new_string(path));
	json_object_object_add(op, "value", json_object_new_int(1));
	json_object_array_add(ops, op);
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);

	/* 20 keys reach level 20 with a scalar: allowed. */
	strcpy(path, "config");
	for (i = 1; i < CD_STATE_MAX_DEPTH; i++)
		strcat(path, ".d");
	json_object_object_add(op, "path", json_object_new_string(path));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	/* ...but an object there would be level 21. */
	json_object_object_add(op, "value", json_object_new_object());
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, "ops[0].value: nested too deeply (a document "
			       "has at most 20 levels)");
	/* 21 keys are too many whatever the value. */
	strcat(path, ".d");
	json_object_object_add(op, "path", json_object_new_string(path));
	json_object_object_add(op, "value", json_object_new_int(1));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "has too many keys"));
	CU_ASSERT_EQUAL(cd_state_generation(&s), 9);
	json_object_put(ops);
	free(key63);
	cd_state_clear(&s);
}

struct acase {
	const char *ops;	/* JSON text */
	const char *err;	/* exact reason */
};

#define SET(p, v)	"{\"op\":\"set\",\"path\":\"" p "\",\"value\":" v "}"
#define DEL(p)		"{\"op\":\"delete\",\"path\":\"" p "\"}"
#define OKSET		SET("config.properties.ok", "1")
#define CONFRUN		"must name a member inside config or runtime"
#define KEYCHARS	"keys may only hold [A-Za-z0-9_-]"
#define WOULD		"the change would make the state invalid: "

static const struct acase apply_cases[] = {
	{ "{}", "ops: must be an array of operations" },
	{ "\"ops\"", "ops: must be an array of operations" },
	{ "[]", "ops: must hold 1..64 operations, not 0" },
	{ "[1]", "ops[0]: must be an object" },
	{ "[" OKSET ",null]", "ops[1]: must be an object" },
	{ "[{\"path\":\"config.x\",\"value\":1}]", "ops[0].op: must be \"set\", \"delete\" or \"test\"" },
	{ "[{\"op\":\"put\",\"path\":\"config.x\",\"value\":1}]",
	  "ops[0].op: must be \"set\", \"delete\" or \"test\"" },
	{ "[{\"op\":\"SET\",\"path\":\"config.x\",\"value\":1}]",
	  "ops[0].op: must be \"set\", \"delete\" or \"test\"" },
	{ "[{\"op\":1,\"path\":\"config.x\",\"value\":1}]",
	  "ops[0].op: must be \"set\", \"delete\" or \"test\"" },
	{ "[{\"op\":\"set\",\"value\":1}]", "ops[0].path: must be a string" },
	{ "[{\"op\":\"delete\",\"path\":[\"config\",\"x\"]}]", "ops[0].path: must be a string" },
	{ "[" SET("", "1") "]", "ops[0].path \"\": has an empty key" },
	{ "[" SET("config", "{}") "]", "ops[0].path \"config\": " CONFRUN },
	{ "[" SET("runtime", "{}") "]", "ops[0].path \"runtime\": " CONFRUN },
	{ "[" DEL("config") "]", "ops[0].path \"config\": " CONFRUN },
	{ "[" SET("format", "2") "]", "ops[0].path \"format\": " CONFRUN },
	{ "[" SET("uuid", "\"x\"") "]", "ops[0].path \"uuid\": " CONFRUN },
	{ "[" SET("generation", "0") "]", "ops[0].path \"generation\": " CONFRUN },
	{ "[" DEL("generation") "]", "ops[0].path \"generation\": " CONFRUN },
	{ "[" SET("generation.x", "0") "]", "ops[0].path \"generation.x\": " CONFRUN },
	{ "[" SET("nodes.n1", "{}") "]", "ops[0].path \"nodes.n1\": " CONFRUN },
	{ "[" SET("Config.x", "1") "]", "ops[0].path \"Config.x\": " CONFRUN },
	{ "[" SET("config..x", "1") "]", "ops[0].path \"config..x\": has an empty key" },
	{ "[" SET(".config.x", "1") "]", "ops[0].path \".config.x\": has an empty key" },
	{ "[" SET("config.x.", "1") "]", "ops[0].path \"config.x.\": has an empty key" },
	{ "[" SET("config.a b", "1") "]", "ops[0].path \"config.a b\": " KEYCHARS },
	{ "[" SET("config.a/b", "1") "]", "ops[0].path \"config.a/b\": " KEYCHARS },
	{ "[" SET("config.\xc3\xa9", "1") "]", "ops[0].path \"config.\xc3\xa9\": " KEYCHARS },
	{ "[" SET("config.a\\u0000b", "1") "]", "ops[0].path \"config.a\": " KEYCHARS },
	{ "[" SET("config.properties.0123456789012345678901234567890123456789"
		  "012345678901234567890123", "1") "]",
	  "ops[0].path \"config.properties.0123456789012345678901234567890123456789"
	  "012345678901234567890123\": has a key longer than 63 characters" },
	{ "[{\"op\":\"set\",\"path\":\"config.x\"}]", "ops[0]: \"set\" needs a \"value\"" },
	{ "[{\"op\":\"test\",\"path\":\"config.x\"}]", "ops[0]: \"test\" needs a \"value\"" },
	{ "[{\"op\":\"test\",\"path\":\"config.properties.zz\",\"value\":1}," OKSET "]",
	  "ops[0]: test of config.properties.zz failed: it is absent" },
	{ "[{\"op\":\"delete\",\"path\":\"config.properties.migration-bandwidth-mbps\","
	  "\"value\":1}]", "ops[0]: \"delete\" takes no \"value\"" },
	{ "[{\"op\":\"set\",\"path\":\"config.x\",\"value\":1,\"extra\":2}]",
	  "ops[0]: unknown member \"extra\"" },
	/* Found while applying, after earlier operations took effect. */
	{ "[" OKSET "," DEL("config.properties.nope") "]",
	  "ops[1]: cannot delete config.properties.nope: it does not exist" },
	{ "[" OKSET "," DEL("config.nope.x.y") "]",
	  "ops[1]: cannot delete config.nope.x.y: config.nope does not exist" },
	{ "[" OKSET "," DEL("config.properties.ok") "," DEL("config.properties.ok") "]",
	  "ops[2]: cannot delete config.properties.ok: it does not exist" },
	{ "[" OKSET "," SET("config.cluster_name.x", "1") "]",
	  "ops[1]: cannot set config.cluster_name.x: config.cluster_name is not "
	  "an object" },
	{ "[" SET("config.quorum.witness.x", "1") "]",
	  "ops[0]: cannot set config.quorum.witness.x: config.quorum.witness is "
	  "not an object" },
	{ "[" DEL("runtime.fences.x") "]",
	  "ops[0]: cannot delete runtime.fences.x: runtime.fences is not an object" },
	/* The result must be a valid document. */
	{ "[" OKSET "," SET("config.nodes.x", "\"str\"") "]",
	  WOULD "config.nodes.x: must be an object" },
	{ "[" DEL("config.nodes") "]", WOULD "config.nodes: missing (must be an object)" },
	{ "[" DEL("runtime.fences") "]", WOULD "runtime.fences: missing (must be an array)" },
	{ "[" SET("config.cluster_name", "\"\"") "]", WOULD CNAME_RULE },
	{ "[" SET("config.nodes.n3", "{\"id\":1,\"addr\":\"10.0.0.3\"}") "]",
	  WOULD "config.nodes.n3.id: 1 is already the id of node n1" },
	{ "[" SET("config.nodes.n3", "{\"id\":3}") "]", WOULD "config.nodes.n3.addr: " ADDR_RULE },
	{ "[" SET("config.nodes.n1.id", "0") "]", WOULD "config.nodes.n1.id: " ID_RANGE },
	{ "[" SET("runtime.x", "[1,NaN]") "]", WOULD "runtime.x[1]: numbers must be finite" },
	{ "[" SET("config.properties.s", "\"\xff\"") "]",
	  WOULD "config.properties.s: string is not valid UTF-8" },
};

/* Every rejected list leaves the state exactly as it was. */
static void
test_apply_rejections(void)
{
	struct cd_state s;
	json_object *before;
	uint64_t hash;
	size_t i;

	base_state(&s);
	before = parse(base_json);
	hash = cd_state_hash(&s);
	for (i = 0; i < N_ELEMS(apply_cases); i++) {
		const struct acase *c = &apply_cases[i];
		json_object *held = s.doc;
		char err[512];
		int rc;

		memset(err, 'x', sizeof(err));
		rc = apply_json(&s, c->ops, err, sizeof(err));
		if (rc != BAD_ARGS || strcmp(err, c->err) != 0)
			fprintf(stderr, "\n  case %zu %s: got %d \"%s\"\n", i, c->ops,
				rc, err);
		CU_ASSERT_EQUAL(rc, BAD_ARGS);
		CU_ASSERT_STRING_EQUAL(err, c->err);
		CU_ASSERT_PTR_EQUAL(s.doc, held);
		CU_ASSERT_EQUAL(cd_state_generation(&s), 7);
		CU_ASSERT_EQUAL(cd_state_hash(&s), hash);
		CU_ASSERT_TRUE(json_object_equal(s.doc, before));
	}
	json_object_put(before);
	cd_state_clear(&s);
}

/* Values made in memory that no document may hold. */
static void
test_apply_rejects_built_values(void)
{
	json_object *ops = parse("[" SET("config.properties.v", "0") "]");
	json_object *op = json_object_array_get_idx(ops, 0);
	struct cd_state s;
	char err[256];
	uint64_t hash;

	base_state(&s);
	hash = cd_state_hash(&s);
	json_object_object_add(op, "value", json_object_new_double(NAN));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, WOULD "config.properties.v: numbers must be finite");
	json_object_object_add(op, "value", json_object_new_double(INFINITY));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	json_object_object_add(op, "value", json_object_new_string_len("a\x80", 2));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, WOULD "config.properties.v: string is not valid UTF-8");
	/* Deeply nested values are refused before they are copied. */
	json_object_object_add(op, "value", cd_unit_nested(1000));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, "ops[0].value: nested too deeply (a document "
			       "has at most 20 levels)");
	/* config.properties.v is level 3 (root 1): 17 more levels fit. */
	json_object_object_add(op, "value", cd_unit_nested(CD_STATE_MAX_DEPTH - 2));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), BAD_ARGS);
	json_object_object_add(op, "value", cd_unit_nested(CD_STATE_MAX_DEPTH - 3));
	CU_ASSERT_EQUAL(cd_state_hash(&s), hash);
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_generation(&s), 8);
	json_object_put(ops);
	cd_state_clear(&s);
}

/*
 * A change that would outgrow a SYNC_STATE message is refused (-ENOSPC);
 * configuration is refused earlier, at its budget (state-rules.h rule 1;
 * test_state_rules.c has the table).
 */
static void
test_apply_size_limit(void)
{
	json_object *ops = parse("[" SET("config.properties.pad", "\"\"") "]");
	json_object *op = json_object_array_get_idx(ops, 0);
	char err[512], *pad = repeat('p', CD_STATE_MAX_SIZE);
	struct cd_state s;

	base_state(&s);
	json_object_object_add(op, "value", json_object_new_string(pad));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "over its budget of 524288"));
	CU_ASSERT_EQUAL(cd_state_generation(&s), 7);
	json_object_object_add(op, "path", json_object_new_string("runtime.pad"));
	CU_ASSERT_EQUAL(cd_state_apply(&s, ops, err, sizeof(err)), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "over its limit of 1024000"));
	CU_ASSERT_EQUAL(cd_state_generation(&s), 7);
	free(pad);
	json_object_put(ops);
	cd_state_clear(&s);
}

static void
test_apply_generation_overflow(void)
{
	json_object *doc = parse(base_json);
	struct cd_state s = { 0 };
	char err[256];

	edit(doc, "generation", json_object_new_int64(INT64_MAX), false);
	CU_ASSERT_EQUAL_FATAL(cd_state_set_doc(&s, doc, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(apply_json(&s, "[" OKSET "]", err, sizeof(err)), BAD_ARGS);
	CU_ASSERT_STRING_EQUAL(err, "generation 9223372036854775807 cannot grow");
	CU_ASSERT_EQUAL(cd_state_generation(&s), (uint64_t)INT64_MAX);
	json_object_put(doc);
	cd_state_clear(&s);
}

/* ---- hash ---- */

static void
test_fnv_reference(void)
{
	/* Published FNV-1a 64 vectors: the test's own hash is right. */
	CU_ASSERT_EQUAL(fnv1a("", 0), 0xcbf29ce484222325ull);
	CU_ASSERT_EQUAL(fnv1a("a", 1), 0xaf63dc4c8601ec8cull);
	CU_ASSERT_EQUAL(fnv1a("foobar", 6), 0x85944171f73967e8ull);
}

/* The hash is FNV-1a over sorted, plain JSON with doubles re-made. */
static void
test_hash_canonical_text(void)
{
	static const char scrambled[] =
		"{\"runtime\":{\"fences\":[],\"resources\":{}},\"generation\":3,"
		"\"config\":{\"volumes\":{},\"roles\":{},\"resources\":{\"web\":"
		"{\"z\":1,\"a\":[{\"y\":2,\"b\":1.50}],\"url\":\"http:\\/\\/x/y\"}},"
		"\"properties\":{},\"quorum\":{\"witness\":null,\"mode\":\"auto\"},"
		"\"nodes\":{\"n2\":{\"id\":2,\"addr\":\"b\"},\"n1\":{\"addr\":\"a\","
		"\"id\":1}},\"cluster_name\":\"c\"},\"uuid\":\"u\",\"format\":1}";
	static const char canonical[] =
		"{\"config\":{\"cluster_name\":\"c\",\"nodes\":{\"n1\":{\"addr\":\"a\","
		"\"id\":1},\"n2\":{\"addr\":\"b\",\"id\":2}},\"properties\":{},"
		"\"quorum\":{\"mode\":\"auto\",\"witness\":null},\"resources\":{\"web\":"
		"{\"a\":[{\"b\":1.5,\"y\":2}],\"url\":\"http://x/y\",\"z\":1}},"
		"\"roles\":{},\"volumes\":{}},\"format\":1,\"generation\":3,"
		"\"runtime\":{\"fences\":[],\"resources\":{}},\"uuid\":\"u\"}";
	json_object *doc = parse(scrambled);
	struct cd_state s = { 0 };
	char err[128];

	CU_ASSERT_EQUAL_FATAL(cd_state_set_doc(&s, doc, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_hash(&s), fnv1a(canonical, strlen(canonical)));
	/* Hashing leaves the document as it was. */
	CU_ASSERT_EQUAL(json_object_put(doc), 0);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		cd_state_get(&s, "config.resources.web.url")), "http://x/y");
	cd_state_clear(&s);
}

static void
test_hash_key_order(void)
{
	struct cd_state a, b;
	char err[128];

	base_state(&a);
	base_state(&b);
	CU_ASSERT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));

	/* The same content set in a different order hashes the same. */
	CU_ASSERT_EQUAL(apply_json(&a, "[" SET("config.roles.x", "{\"p\":1,\"q\":2}") ","
				   SET("config.roles.y", "2") "]", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(apply_json(&b, "[" SET("config.roles.y", "2") ","
				   SET("config.roles.x", "{\"q\":2,\"p\":1}") "]",
				   err, sizeof(err)), 0);
	CU_ASSERT_TRUE(json_object_equal(a.doc, b.doc));
	CU_ASSERT_STRING_NOT_EQUAL(
		json_object_to_json_string_ext(a.doc, JSON_C_TO_STRING_PLAIN),
		json_object_to_json_string_ext(b.doc, JSON_C_TO_STRING_PLAIN));
	CU_ASSERT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));

	/* Any change shows, a value or the generation alone. */
	CU_ASSERT_EQUAL(apply_json(&b, "[" SET("config.roles.y", "3") "]", err,
				   sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));
	CU_ASSERT_EQUAL(apply_json(&a, "[" SET("config.roles.y", "3") "]", err,
				   sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));
	CU_ASSERT_EQUAL(apply_json(&a, "[" SET("config.roles.y", "3") "]", err,
				   sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));
	cd_state_clear(&a);
	cd_state_clear(&b);
}

/* A double hashes by value, not by the text it was parsed from. */
static void
test_hash_doubles(void)
{
	struct cd_state a, b;

	base_state(&a);
	base_state(&b);
	edit(a.doc, "config/properties/d", parse("0.10"), false);
	edit(b.doc, "config/properties/d", json_object_new_double(0.1), false);
	CU_ASSERT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));
	edit(a.doc, "config/properties/d", parse("-0.0"), false);
	edit(b.doc, "config/properties/d", json_object_new_double(0.0), false);
	CU_ASSERT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));
	edit(b.doc, "config/properties/d", json_object_new_double(0.2), false);
	CU_ASSERT_NOT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));
	/* An integer is not a double. */
	edit(a.doc, "config/properties/d", json_object_new_int(1), false);
	edit(b.doc, "config/properties/d", json_object_new_double(1.0), false);
	CU_ASSERT_NOT_EQUAL(cd_state_hash(&a), cd_state_hash(&b));
	cd_state_clear(&a);
	cd_state_clear(&b);
}

/* ---- files ---- */

static char tmpdir[64];

static int
files_init(void)
{
	strcpy(tmpdir, "/tmp/test_state.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
files_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
file_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	CU_ASSERT_EQUAL(fclose(f), 0);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(4 << 20);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	*len = fread(buf, 1, 4 << 20, f);
	fclose(f);
	return buf;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
test_save_load_roundtrip(void)
{
	char path[128], tmp[160], err[256], *text;
	struct cd_state s, back = { 0 };
	struct stat st;
	mode_t old_mask;
	size_t len;

	base_state(&s);
	CU_ASSERT_EQUAL(apply_json(&s, "[" SET("config.resources.web",
		"{\"image\":\"a/b\",\"x\":1.25,\"u\":\"\xc3\xa9\\u0001\"}") "]",
		err, sizeof(err)), 0);
	file_path(path, sizeof(path), "state.json");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	old_mask = umask(022);
	CU_ASSERT_EQUAL_FATAL(cd_state_save(&s, path), 0);
	umask(old_mask);
	CU_ASSERT_FALSE(exists(tmp));
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);
	text = read_file(path, &len);
	CU_ASSERT_FATAL(len > 1);
	CU_ASSERT_EQUAL(text[len - 1], '\n');
	free(text);

	CU_ASSERT_EQUAL_FATAL(cd_state_load(&back, path, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_TRUE(json_object_equal(back.doc, s.doc));
	CU_ASSERT_EQUAL(cd_state_hash(&back), cd_state_hash(&s));
	CU_ASSERT_EQUAL(cd_state_generation(&back), 8);

	/* A second save replaces the file; load replaces the held state. */
	CU_ASSERT_EQUAL(apply_json(&s, "[" DEL("config.resources.web") "]", err,
				   sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_save(&s, path), 0);
	CU_ASSERT_EQUAL(cd_state_load(&back, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_generation(&back), 9);
	CU_ASSERT_EQUAL(cd_state_hash(&back), cd_state_hash(&s));
	CU_ASSERT_FALSE(exists(tmp));
	CU_ASSERT_EQUAL(unlink(path), 0);
	cd_state_clear(&back);
	cd_state_clear(&s);
}

/* A path without a directory part saves in the current directory. */
static void
test_save_relative(void)
{
	struct cd_state s, back = { 0 };
	char cwd[4096], err[128];

	base_state(&s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(tmpdir), 0);
	CU_ASSERT_EQUAL(cd_state_save(&s, "rel.json"), 0);
	CU_ASSERT_EQUAL(cd_state_load(&back, "rel.json", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(cd_state_hash(&back), cd_state_hash(&s));
	CU_ASSERT_EQUAL(unlink("rel.json"), 0);
	CU_ASSERT_EQUAL(chdir(cwd), 0);
	cd_state_clear(&back);
	cd_state_clear(&s);
}

static void
test_save_failures(void)
{
	char path[128], tmp[160];
	struct cd_state s;

	base_state(&s);
	file_path(path, sizeof(path), "missing-dir/state.json");
	CU_ASSERT_EQUAL(cd_state_save(&s, path), -ENOENT);

	/* rename() over a directory fails: the tmp file goes away again. */
	file_path(path, sizeof(path), "a-dir");
	CU_ASSERT_EQUAL_FATAL(mkdir(path, 0700), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CU_ASSERT_EQUAL(cd_state_save(&s, path), -EISDIR);
	CU_ASSERT_FALSE(exists(tmp));
	CU_ASSERT_EQUAL(rmdir(path), 0);

	CU_ASSERT_EQUAL(cd_state_save(&s, ""), -EINVAL);
	CU_ASSERT_EQUAL(cd_state_save(&s, NULL), -EINVAL);
	cd_state_clear(&s);
}

struct lcase {
	const char *name;
	const char *data;	/* NULL: special content (see below) */
	size_t len;
	const char *err;	/* start of the reason */
};

static void
test_load_failures(void)
{
	static const char bad_format[] =
		"{\"format\":2,\"uuid\":\"u\",\"generation\":0}";
	static const struct lcase cases[] = {
		{ "corrupt", "this is not json", 16, "not JSON: " },
		{ "garbage", "{\"format\":1} x", 14,
		  "not JSON: unexpected character at byte 13" },
		{ "nul", "{\"format\":1}\0", 13, "not JSON: contains a NUL byte" },
		{ "empty", "", 0, "the file is empty" },
		{ "lenient", "{\"a\":'x'}", 9,
		  "not JSON: unexpected character at byte 5" },
		{ "badutf8", "{\"a\":\"\xff\"}", 9, "not JSON: " },
		{ "array", "[]", 2, "document: must be a JSON object" },
		{ "format2", bad_format, sizeof(bad_format) - 1,
		  "format: 2 is not supported (this build reads format 1)" },
	};
	char path[128], err[256], *text;
	struct cd_state s, held;
	size_t i, len;
	uint64_t hash;
	int fd;

	base_state(&s);
	base_state(&held);
	CU_ASSERT_EQUAL(apply_json(&held, "[" OKSET "]", err, sizeof(err)), 0);
	hash = cd_state_hash(&held);
	file_path(path, sizeof(path), "nothing-here.json");
	CU_ASSERT_EQUAL(cd_state_load(&held, path, err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "cannot open: No such file or directory");
	CU_ASSERT_EQUAL(cd_state_load(&held, NULL, err, sizeof(err)), -EINVAL);

	for (i = 0; i < N_ELEMS(cases); i++) {
		file_path(path, sizeof(path), cases[i].name);
		write_file(path, cases[i].data, cases[i].len);
		CU_ASSERT_EQUAL(cd_state_load(&held, path, err, sizeof(err)), INVALID);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fprintf(stderr, "\n  load %s: \"%s\"\n", cases[i].name, err);
		CU_ASSERT_EQUAL(strncmp(err, cases[i].err, strlen(cases[i].err)), 0);
	}

	/* A file cut short, as a crash mid-write would leave it. */
	file_path(path, sizeof(path), "full.json");
	CU_ASSERT_EQUAL_FATAL(cd_state_save(&s, path), 0);
	text = read_file(path, &len);
	file_path(path, sizeof(path), "truncated.json");
	write_file(path, text, len / 2);
	free(text);
	CU_ASSERT_EQUAL(cd_state_load(&held, path, err, sizeof(err)), INVALID);
	CU_ASSERT_EQUAL(strncmp(err, "not JSON: unexpected end of data at byte ",
				strlen("not JSON: unexpected end of data at byte ")), 0);

	/* Not a regular file. */
	CU_ASSERT_EQUAL(cd_state_load(&held, tmpdir, err, sizeof(err)), INVALID);
	CU_ASSERT_STRING_EQUAL(err, "not a regular file");

	/* Over 16 MiB (sparse, so cheap). */
	file_path(path, sizeof(path), "huge.json");
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, 16 * 1024 * 1024 + 1), 0);
	close(fd);
	CU_ASSERT_EQUAL(cd_state_load(&held, path, err, sizeof(err)), INVALID);
	CU_ASSERT_STRING_EQUAL(err, "larger than 16777216 bytes");
	unlink(path);

	/* None of the failures touched the held state. */
	CU_ASSERT_EQUAL(cd_state_generation(&held), 8);
	CU_ASSERT_EQUAL(cd_state_hash(&held), hash);
	cd_state_clear(&held);
	cd_state_clear(&s);
}

/* ---- cd_sync_choose ---- */

struct sync_case {
	const char *what;
	struct cd_sync_offer offers[4];
	size_t n;
	uint32_t winner;
	bool all_equal;
};

static const struct sync_case sync_cases[] = {
	{ "empty", { { 0, 0, 0, 0, 0 } }, 0, 0, true },
	{ "single", { { 5, 3, 0xabc, 0, 0 } }, 1, 5, true },
	{ "single without state", { { 2, 0, 0, 0, 0 } }, 1, 2, true },
	{ "all equal", { { 3, 9, 0x11, 0, 0 }, { 1, 9, 0x11, 0, 0 }, { 2, 9, 0x11, 0, 0 } }, 3, 1, true },
	{ "max generation last", { { 1, 4, 0x1, 0, 0 }, { 2, 4, 0x1, 0, 0 }, { 3, 5, 0x2, 0, 0 } }, 3, 3, false },
	{ "max generation first", { { 9, 8, 0x1, 0, 0 }, { 2, 4, 0x2, 0, 0 }, { 3, 5, 0x3, 0, 0 } }, 3, 9, false },
	{ "max generation middle", { { 4, 1, 0x1, 0, 0 }, { 7, 100, 0x2, 0, 0 }, { 1, 99, 0x3, 0, 0 } }, 3, 7, false },
	{ "tie: lowest id", { { 4, 6, 0x1, 0, 0 }, { 2, 6, 0x2, 0, 0 }, { 3, 6, 0x3, 0, 0 } }, 3, 2, false },
	{ "tie on top only", { { 1, 3, 0x1, 0, 0 }, { 5, 6, 0x2, 0, 0 }, { 4, 6, 0x2, 0, 0 }, { 2, 5, 0x2, 0, 0 } },
	  4, 4, false },
	{ "same generation, other hash", { { 1, 6, 0x1, 0, 0 }, { 2, 6, 0x2, 0, 0 } }, 2, 1, false },
	{ "same hash, other generation", { { 1, 6, 0x1, 0, 0 }, { 2, 7, 0x1, 0, 0 } }, 2, 2, false },
	{ "huge generations", { { 1, UINT64_MAX - 1, 0x1, 0, 0 }, { 2, UINT64_MAX, 0x1, 0, 0 } },
	  2, 2, false },
	/* S1: the epoch (last majority view) decides before the generation */
	{ "higher epoch beats higher generation",
	  { { 1, 14, 0x1, 3, 0 }, { 2, 12, 0x2, 4, 0 }, { 3, 12, 0x2, 4, 0 } }, 3, 2, false },
	{ "same epoch: higher generation", { { 1, 14, 0x1, 4, 0 }, { 2, 12, 0x2, 4, 0 } }, 2, 1, false },
	{ "same epoch and generation, other hash: lowest id",
	  { { 3, 10, 0x1, 5, 0 }, { 2, 10, 0x2, 5, 0 } }, 2, 2, false },
	{ "equal but epoch differs", { { 1, 9, 0x11, 1, 0 }, { 2, 9, 0x11, 2, 0 } }, 2, 2, false },
	{ "all equal with epochs", { { 2, 9, 0x11, 7, 0 }, { 1, 9, 0x11, 7, 0 } }, 2, 1, true },
};

static void
test_sync_choose(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(sync_cases); i++) {
		const struct sync_case *c = &sync_cases[i];
		bool all_equal = !c->all_equal;
		uint32_t w = cd_sync_choose(c->offers, c->n, &all_equal);

		if (w != c->winner || all_equal != c->all_equal)
			fprintf(stderr, "\n  sync case \"%s\": winner %" PRIu32
				" all_equal %d\n", c->what, w, all_equal);
		CU_ASSERT_EQUAL(w, c->winner);
		CU_ASSERT_EQUAL(all_equal, c->all_equal);
		/* all_equal is optional. */
		CU_ASSERT_EQUAL(cd_sync_choose(c->offers, c->n, NULL), c->winner);
	}
	CU_ASSERT_EQUAL(cd_sync_choose(NULL, 3, NULL), 0);
}

/* ---- registration ---- */

static CU_TestInfo basic_tests[] = {
	{ "init makes a valid fresh state", test_init_fresh },
	{ "init argument limits", test_init_limits },
	{ "empty state", test_empty_state },
	{ "copy is deep", test_copy },
	{ "get by path", test_get },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo validator_tests[] = {
	{ "table of documents", test_validator_table },
	{ "not an object", test_validator_not_object },
	{ "depth limit", test_validator_depth },
	{ "size limit", test_validator_size },
	{ "set_doc references", test_set_doc_references },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo apply_tests[] = {
	{ "set and delete", test_apply_set_delete },
	{ "operations in order, one generation", test_apply_order },
	{ "test operations (compare and swap)", test_apply_test_op },
	{ "cd_state_op builds applicable operations", test_state_op },
	{ "set values are copied", test_apply_copies_value },
	{ "64 operations at most", test_apply_op_count },
	{ "path limits", test_apply_path_limits },
	{ "rejections leave the state unchanged", test_apply_rejections },
	{ "values built in memory", test_apply_rejects_built_values },
	{ "size limit", test_apply_size_limit },
	{ "generation overflow", test_apply_generation_overflow },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo hash_tests[] = {
	{ "FNV-1a reference vectors", test_fnv_reference },
	{ "canonical text", test_hash_canonical_text },
	{ "key order does not matter, content does", test_hash_key_order },
	{ "doubles by value", test_hash_doubles },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo file_tests[] = {
	{ "save and load round trip", test_save_load_roundtrip },
	{ "relative path", test_save_relative },
	{ "save failures", test_save_failures },
	{ "load failures", test_load_failures },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo sync_tests[] = {
	{ "winner table", test_sync_choose },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "state basics", NULL, NULL, NULL, NULL, basic_tests },
	{ "state validator", NULL, NULL, NULL, NULL, validator_tests },
	{ "state apply", NULL, NULL, NULL, NULL, apply_tests },
	{ "state hash", NULL, NULL, NULL, NULL, hash_tests },
	{ "state files", files_init, files_cleanup, NULL, NULL, file_tests },
	{ "state sync", NULL, NULL, NULL, NULL, sync_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
