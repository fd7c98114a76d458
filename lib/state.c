/*
 * state.c - the replicated cluster state document (see state.h).
 *
 * One validator, check_doc(), guards every way a document comes in:
 * cd_state_init, cd_state_set_doc, cd_state_load and the result of
 * cd_state_apply. So no node can hold a document another node would
 * refuse, and every valid document survives serialisation (state file,
 * SYNC_STATE) unchanged.
 */
#include "state.h"
#include "state-rules.h"
#include "fsutil.h"
#include "error.h"
#include "state-schema.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_MAX_LEN	63		/* cluster and node names, path keys */
#define ADDR_MAX_LEN	255
#define LOAD_MAX	(16u * 1024 * 1024)
#define PLAIN_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define FILE_FLAGS	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)
#define WHERE_MAX	256		/* walk position text in messages */

/* The tokener must accept every valid document (and our walk the rest). */
_Static_assert(CD_STATE_MAX_DEPTH + 2 < JSON_TOKENER_DEFAULT_DEPTH,
	       "state files parse with the default tokener depth");

/* A parsed operation path: keys[0..n-1]. */
struct path {
	size_t n;
	char key[CD_STATE_MAX_DEPTH][NAME_MAX_LEN + 1];
};


/* ---- small checks ---- */

static bool
key_char(char c, bool dot_ok)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       (dot_ok && c == '.');
}

static bool
name_ok(const char *s, bool dot_ok)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i == NAME_MAX_LEN || !key_char(s[i], dot_ok))
			return false;
	}
	return i > 0;
}

/*
 * UTF-8 as json-c's tokener checks it (lead byte, then that many
 * continuation bytes): what we accept here always parses back.
 */
static bool
utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i++];
		unsigned int more;

		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			more = 1;
		else if ((c & 0xf0) == 0xe0)
			more = 2;
		else if ((c & 0xf8) == 0xf0)
			more = 3;
		else
			return false;
		for (; more; more--) {
			if (i == len || (p[i++] & 0xc0) != 0x80)
				return false;
		}
	}
	return true;
}

/* A string member of min..max bytes without NUL. */
static bool
string_ok(json_object *v, size_t min, size_t max)
{
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return false;
	len = (size_t)json_object_get_string_len(v);
	return len >= min && len <= max &&
	       !memchr(json_object_get_string(v), '\0', len);
}

/* An integer in min..max (json-c clamps out-of-range literals; so do we). */
static bool
uint_ok(json_object *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t u;

	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	u = json_object_get_uint64(v);
	if (u < min || u > max)
		return false;
	if (out)
		*out = u;
	return true;
}

/* ---- the document validator ---- */

/* Extend the position text of the walk; returns the new length. */
static size_t
where_push(char *where, size_t len, json_object *parent, const char *key,
	   size_t idx)
{
	int n;

	if (json_object_is_type(parent, json_type_array))
		n = snprintf(where + len, WHERE_MAX - len, "[%zu]", idx);
	else
		n = snprintf(where + len, WHERE_MAX - len, "%s%s",
			     len ? "." : "", key);
	if (n < 0 || (size_t)n >= WHERE_MAX - len)
		return WHERE_MAX - 1;
	return len + (size_t)n;
}

/*
 * Limits on the whole tree: depth, finite numbers, UTF-8 strings and keys.
 * Recursion stops one level past the limit, so any input is safe.
 */
static int
check_tree(json_object *v, int depth, char *where, size_t len, char *err,
	   size_t errlen)
{
	const char *at = len ? where : "document";
	size_t i, n;
	int rc;

	switch (json_object_get_type(v)) {
	case json_type_double:
		if (isfinite(json_object_get_double(v)))
			return 0;
		cd_errf(err, errlen, "%s: numbers must be finite", at);
		return -CD_E_STATE_INVALID;
	case json_type_string:
		if (utf8_ok(json_object_get_string(v),
			    (size_t)json_object_get_string_len(v)))
			return 0;
		cd_errf(err, errlen, "%s: string is not valid UTF-8", at);
		return -CD_E_STATE_INVALID;
	case json_type_array:
	case json_type_object:
		break;
	default:
		return 0;
	}
	if (depth > CD_STATE_MAX_DEPTH) {
		cd_errf(err, errlen, "%s: nested deeper than %d levels", at,
		     CD_STATE_MAX_DEPTH);
		return -CD_E_STATE_INVALID;
	}
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			rc = check_tree(json_object_array_get_idx(v, i), depth + 1,
					where, where_push(where, len, v, NULL, i),
					err, errlen);
			where[len] = '\0';
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	json_object_object_foreach(v, key, child) {
		if (!utf8_ok(key, strlen(key))) {
			cd_errf(err, errlen, "%s: a key is not valid UTF-8", at);
			return -CD_E_STATE_INVALID;
		}
		rc = check_tree(child, depth + 1, where,
				where_push(where, len, v, key, 0), err, errlen);
		where[len] = '\0';
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const char *
type_text(json_type t)
{
	switch (t) {
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	default: return "a value";
	}
}

/* Fetch a member that must exist with type t; parent_name "" at the top. */
static int
need(json_object *parent, const char *parent_name, const char *key,
     json_type t, json_object **out, char *err, size_t errlen)
{
	const char *dot = *parent_name ? "." : "";

	if (!json_object_object_get_ex(parent, key, out)) {
		cd_errf(err, errlen, "%s%s%s: missing (must be %s)", parent_name,
		     dot, key, type_text(t));
		return -CD_E_STATE_INVALID;
	}
	if (!json_object_is_type(*out, t)) {
		cd_errf(err, errlen, "%s%s%s: must be %s", parent_name, dot, key,
		     type_text(t));
		return -CD_E_STATE_INVALID;
	}
	return 0;
}

struct node_id {
	uint64_t id;
	size_t order;
	const char *name;
};

static int
node_id_cmp(const void *a, const void *b)
{
	const struct node_id *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Every node id appears once (sorted, so large lists stay cheap). */
static int
check_node_ids(struct node_id *ids, size_t n, char *err, size_t errlen)
{
	char path[CD_SP_PATH_MAX];
	size_t i;

	qsort(ids, n, sizeof(ids[0]), node_id_cmp);
	for (i = 1; i < n; i++) {
		if (ids[i].id == ids[i - 1].id) {
			cd_errf(err, errlen, "%s: %" PRIu64 " is already the id of node %s",
				cd_sp_text(path, sizeof(path), CD_SP_NODE_ID, ids[i].name),
				ids[i].id, ids[i - 1].name);
			return -CD_E_STATE_INVALID;
		}
	}
	return 0;
}

static int
check_nodes(json_object *nodes, char *err, size_t errlen)
{
	size_t n = (size_t)json_object_object_length(nodes), i = 0;
	char path[CD_SP_PATH_MAX];
	struct node_id *ids;
	json_object *v;
	int rc = 0;

	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	json_object_object_foreach(nodes, name, node) {
		if (!name_ok(name, true)) {
			cd_errf(err, errlen, "%s: node name \"%.80s\" must be "
			     "1..%d characters of [A-Za-z0-9_.-]",
			     cd_sp_text(path, sizeof(path), CD_SP_NODES, NULL), name, NAME_MAX_LEN);
			rc = -CD_E_STATE_INVALID;
			break;
		}
		if (!json_object_is_type(node, json_type_object)) {
			cd_errf(err, errlen, "%s: must be an object",
				cd_sp_text(path, sizeof(path), CD_SP_NODE, name));
			rc = -CD_E_STATE_INVALID;
			break;
		}
		if (!json_object_object_get_ex(node, "id", &v) ||
		    !uint_ok(v, 1, UINT32_MAX, &ids[i].id)) {
			cd_errf(err, errlen, "%s: must be an integer 1..%" PRIu32,
				cd_sp_text(path, sizeof(path), CD_SP_NODE_ID, name), UINT32_MAX);
			rc = -CD_E_STATE_INVALID;
			break;
		}
		if (!json_object_object_get_ex(node, "addr", &v) ||
		    !string_ok(v, 1, ADDR_MAX_LEN)) {
			cd_errf(err, errlen, "%s: must be a string of 1..%d characters",
				cd_sp_text(path, sizeof(path), CD_SP_NODE_ADDR, name),
				ADDR_MAX_LEN);
			rc = -CD_E_STATE_INVALID;
			break;
		}
		ids[i].order = i;
		ids[i].name = name;
		i++;
	}
	if (rc == 0)
		rc = check_node_ids(ids, i, err, errlen);
	free(ids);
	return rc;
}

static int
check_config(json_object *doc, char *err, size_t errlen)
{
	static const char *const maps[] = {
		"quorum", "properties", "roles", "resources", "volumes",
	};
	char path[CD_SP_PATH_MAX];
	json_object *config, *v;
	size_t i;
	int rc;

	rc = need(doc, "", "config", json_type_object, &config, err, errlen);
	if (rc < 0)
		return rc;
	if (!json_object_object_get_ex(config, "cluster_name", &v) ||
	    !string_ok(v, 1, NAME_MAX_LEN)) {
		cd_errf(err, errlen, "%s: must be a string of 1..%d characters",
			cd_sp_text(path, sizeof(path), CD_SP_CLUSTER_NAME, NULL), NAME_MAX_LEN);
		return -CD_E_STATE_INVALID;
	}
	rc = need(config, "config", "nodes", json_type_object, &v, err, errlen);
	if (rc == 0)
		rc = check_nodes(v, err, errlen);
	for (i = 0; rc == 0 && i < sizeof(maps) / sizeof(maps[0]); i++)
		rc = need(config, "config", maps[i], json_type_object, &v, err,
			  errlen);
	return rc;
}

static int
check_top(json_object *doc, char *err, size_t errlen)
{
	static const char *const known[] = {
		"format", "uuid", "generation", "epoch", "config", "runtime",
	};
	json_object *v;
	size_t i;

	if (!json_object_object_get_ex(doc, "format", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		cd_errf(err, errlen, "format: must be %d", CD_STATE_FORMAT);
		return -CD_E_STATE_INVALID;
	}
	if (json_object_get_int64(v) != CD_STATE_FORMAT) {
		cd_errf(err, errlen, "format: %" PRId64 " is not supported (this "
		     "build reads format %d)", json_object_get_int64(v),
		     CD_STATE_FORMAT);
		return -CD_E_STATE_INVALID;
	}
	if (!json_object_object_get_ex(doc, "uuid", &v) ||
	    !string_ok(v, 1, CD_STATE_UUID_MAX - 1)) {
		cd_errf(err, errlen, "uuid: must be a string of 1..%d characters",
		     CD_STATE_UUID_MAX - 1);
		return -CD_E_STATE_INVALID;
	}
	if (!json_object_object_get_ex(doc, "generation", &v) ||
	    !uint_ok(v, 0, INT64_MAX, NULL)) {
		cd_errf(err, errlen, "generation: must be an integer 0..%" PRId64,
		     INT64_MAX);
		return -CD_E_STATE_INVALID;
	}
	/* epoch: absent in states written before majority views (= 0) */
	if (json_object_object_get_ex(doc, "epoch", &v) &&
	    !uint_ok(v, 0, INT64_MAX, NULL)) {
		cd_errf(err, errlen, "epoch: must be an integer 0..%" PRId64, INT64_MAX);
		return -CD_E_STATE_INVALID;
	}
	json_object_object_foreach(doc, key, val) {
		(void)val;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			if (strcmp(key, known[i]) == 0)
				break;
		}
		if (i == sizeof(known) / sizeof(known[0])) {
			cd_errf(err, errlen, "%.80s: unknown top-level member", key);
			return -CD_E_STATE_INVALID;
		}
	}
	return 0;
}

/*
 * The whole schema of state.h. Unknown members inside config and runtime
 * are allowed (later modules add sections); at the top level they are not.
 */
static int
check_doc(json_object *doc, char *err, size_t errlen)
{
	char where[WHERE_MAX] = "";
	json_object *runtime, *v;
	size_t len;
	int rc;

	if (!json_object_is_type(doc, json_type_object)) {
		cd_errf(err, errlen, "document: must be a JSON object");
		return -CD_E_STATE_INVALID;
	}
	rc = check_tree(doc, 1, where, 0, err, errlen);
	if (rc == 0)
		rc = check_top(doc, err, errlen);
	if (rc == 0)
		rc = check_config(doc, err, errlen);
	if (rc == 0)
		rc = need(doc, "", "runtime", json_type_object, &runtime, err,
			  errlen);
	if (rc == 0)
		rc = need(runtime, "runtime", "resources", json_type_object, &v,
			  err, errlen);
	if (rc == 0)
		rc = need(runtime, "runtime", "fences", json_type_array, &v, err,
			  errlen);
	if (rc < 0)
		return rc;
	if (!json_object_to_json_string_length(doc, PLAIN_FLAGS, &len))
		return -ENOMEM;
	if (len > CD_STATE_MAX_SIZE) {
		cd_errf(err, errlen, "document: %zu bytes serialised, over the limit "
		     "of %d", len, CD_STATE_MAX_SIZE);
		return -CD_E_STATE_INVALID;
	}
	return 0;
}

/* ---- construction and access ---- */

static void
add(json_object *o, const char *key, json_object *v, bool null_ok, bool *ok)
{
	if (!o || (!v && !null_ok) || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*ok = false;
	}
}

int
cd_state_init(struct cd_state *s, const char *cluster_name, const char *uuid)
{
	json_object *doc, *config, *quorum, *runtime;
	bool ok = true;
	int rc;

	if (!s || !cluster_name || !uuid || !*cluster_name || !*uuid ||
	    strlen(cluster_name) > NAME_MAX_LEN ||
	    strlen(uuid) >= CD_STATE_UUID_MAX)
		return -EINVAL;
	doc = json_object_new_object();
	config = json_object_new_object();
	quorum = json_object_new_object();
	runtime = json_object_new_object();
	add(doc, "format", json_object_new_int(CD_STATE_FORMAT), false, &ok);
	add(doc, "uuid", json_object_new_string(uuid), false, &ok);
	add(doc, "generation", json_object_new_int64(0), false, &ok);
	add(config, "cluster_name", json_object_new_string(cluster_name), false, &ok);
	add(config, "nodes", json_object_new_object(), false, &ok);
	add(quorum, "mode", json_object_new_string("auto"), false, &ok);
	add(quorum, "witness", NULL, true, &ok);
	add(config, "quorum", quorum, false, &ok);
	add(config, "properties", json_object_new_object(), false, &ok);
	add(config, "roles", json_object_new_object(), false, &ok);
	add(config, "resources", json_object_new_object(), false, &ok);
	add(config, "volumes", json_object_new_object(), false, &ok);
	add(doc, "config", config, false, &ok);
	add(runtime, "resources", json_object_new_object(), false, &ok);
	add(runtime, "fences", json_object_new_array(), false, &ok);
	add(doc, "runtime", runtime, false, &ok);
	if (!ok) {
		json_object_put(doc);
		return -ENOMEM;
	}
	/* Names with bad UTF-8 or NUL-free but odd bytes end here. */
	rc = check_doc(doc, NULL, 0);
	if (rc < 0) {
		json_object_put(doc);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	json_object_put(s->doc);
	s->doc = doc;
	return 0;
}

void
cd_state_clear(struct cd_state *s)
{
	if (!s)
		return;
	json_object_put(s->doc);
	s->doc = NULL;
}

int
cd_state_set_doc(struct cd_state *s, json_object *doc, char *err,
		 size_t errlen)
{
	int rc;

	cd_errf(err, errlen, "%s", "");
	if (!s || !doc) {
		cd_errf(err, errlen, "document: missing");
		return -CD_E_STATE_INVALID;
	}
	rc = check_doc(doc, err, errlen);
	if (rc < 0)
		return rc;
	json_object_get(doc);
	json_object_put(s->doc);
	s->doc = doc;
	return 0;
}

int
cd_state_copy(struct cd_state *dst, const struct cd_state *src)
{
	json_object *doc = NULL;

	if (src->doc && json_object_deep_copy(src->doc, &doc, NULL) != 0)
		return -ENOMEM;
	json_object_put(dst->doc);
	dst->doc = doc;
	return 0;
}

static json_object *
top_member(const struct cd_state *s, const char *key)
{
	json_object *v;

	if (!s || !s->doc || !json_object_object_get_ex(s->doc, key, &v))
		return NULL;
	return v;
}

uint64_t
cd_state_generation(const struct cd_state *s)
{
	json_object *v = top_member(s, "generation");
	uint64_t g;

	return uint_ok(v, 0, INT64_MAX, &g) ? g : 0;
}

uint64_t
cd_state_epoch(const struct cd_state *s)
{
	json_object *v = top_member(s, "epoch");
	uint64_t e;

	return v && uint_ok(v, 0, INT64_MAX, &e) ? e : 0;
}

int
cd_state_set_epoch(struct cd_state *s, uint64_t epoch)
{
	json_object *v;

	if (!s->doc)
		return -EINVAL;
	if (epoch > INT64_MAX)
		return -ERANGE;
	v = json_object_new_int64((int64_t)epoch);
	if (!v || json_object_object_add(s->doc, "epoch", v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

const char *
cd_state_uuid(const struct cd_state *s)
{
	json_object *v = top_member(s, "uuid");

	return json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
}

const char *
cd_state_cluster_name(const struct cd_state *s)
{
	json_object *config = top_member(s, "config"), *v;

	if (json_object_is_type(config, json_type_object) &&
	    json_object_object_get_ex(config, "cluster_name", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/* Split a dotted path; returns NULL or the reason it is invalid. */
static const char *
parse_path(const char *s, struct path *p)
{
	size_t klen = 0;

	p->n = 0;
	for (;; s++) {
		if (*s == '.' || *s == '\0') {
			if (klen == 0)
				return "has an empty key";
			p->key[p->n++][klen] = '\0';
			klen = 0;
			if (*s == '\0')
				return NULL;
			continue;
		}
		if (!key_char(*s, false))
			return "keys may only hold [A-Za-z0-9_-]";
		if (klen == NAME_MAX_LEN)
			return "has a key longer than 63 characters";
		if (p->n == CD_STATE_MAX_DEPTH)
			return "has too many keys";
		p->key[p->n][klen++] = *s;
	}
}

json_object *
cd_state_op(const char *kind, const char *path, json_object *value)
{
	json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(value);
		return NULL;
	}
	json_object_object_add(o, "op", json_object_new_string(kind));
	json_object_object_add(o, "path", json_object_new_string(path));
	if (strcmp(kind, "delete"))
		json_object_object_add(o, "value", value);
	else
		json_object_put(value);
	return o;
}

json_object *
cd_state_get(const struct cd_state *s, const char *path)
{
	struct path p;
	json_object *cur;
	size_t i;

	if (!s || !s->doc || !path || parse_path(path, &p))
		return NULL;
	cur = s->doc;
	for (i = 0; i < p.n; i++) {
		if (!json_object_is_type(cur, json_type_object) ||
		    !json_object_object_get_ex(cur, p.key[i], &cur))
			return NULL;
	}
	return cur;
}

/* ---- hashing ---- */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A copy with object keys sorted and doubles re-made from their value
 * (json-c keeps the parsed text of a double: 1.50 vs 1.5 must not differ).
 * Strings, integers and booleans are shared. JSON null is *out == NULL.
 */
static int
canonical(json_object *v, json_object **out)
{
	json_object *c, *child;
	const char **keys;
	size_t i, n;
	double d;

	*out = NULL;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_double:
		d = json_object_get_double(v);
		*out = json_object_new_double(d == 0 ? 0.0 : d);
		return *out ? 0 : -ENOMEM;
	case json_type_array:
		n = json_object_array_length(v);
		c = json_object_new_array_ext((int)(n ? n : 1));
		if (!c)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			if (canonical(json_object_array_get_idx(v, i), &child) < 0 ||
			    json_object_array_add(c, child) < 0) {
				json_object_put(child);
				json_object_put(c);
				return -ENOMEM;
			}
		}
		*out = c;
		return 0;
	case json_type_object:
		break;
	default:
		*out = json_object_get(v);
		return 0;
	}
	n = (size_t)json_object_object_length(v);
	keys = malloc((n ? n : 1) * sizeof(*keys));
	c = json_object_new_object();
	if (!keys || !c) {
		free(keys);
		json_object_put(c);
		return -ENOMEM;
	}
	i = 0;
	json_object_object_foreach(v, key, val) {
		(void)val;
		keys[i++] = key;
	}
	qsort(keys, n, sizeof(*keys), str_cmp);
	for (i = 0; i < n; i++) {
		if (canonical(json_object_object_get(v, keys[i]), &child) < 0 ||
		    json_object_object_add(c, keys[i], child) < 0) {
			json_object_put(child);
			json_object_put(c);
			free(keys);
			return -ENOMEM;
		}
	}
	free(keys);
	*out = c;
	return 0;
}

/* Out of memory hashes as an empty state: at worst a needless transfer. */
uint64_t
cd_state_hash(const struct cd_state *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *p;
	json_object *c;
	size_t len, i;

	if (!s || !s->doc || canonical(s->doc, &c) < 0)
		return 0;
	p = (const unsigned char *)
		json_object_to_json_string_length(c, PLAIN_FLAGS, &len);
	if (!p) {
		json_object_put(c);
		return 0;
	}
	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	json_object_put(c);
	return h;
}

/* ---- changes ---- */

/*
 * Nesting of a value (a scalar is 0, {} is 1): exact up to budget, some
 * larger number beyond it, without descending further than budget.
 */
static int
depth_of(json_object *v, int budget)
{
	bool array = json_object_is_type(v, json_type_array);
	int best = 0, d;
	size_t i, n;

	if (!array && !json_object_is_type(v, json_type_object))
		return 0;
	if (budget <= 0)
		return 1;
	if (array) {
		n = json_object_array_length(v);
		for (i = 0; i < n && best < budget; i++) {
			d = depth_of(json_object_array_get_idx(v, i), budget - 1);
			best = d > best ? d : best;
		}
		return best + 1;
	}
	json_object_object_foreach(v, key, child) {
		(void)key;
		d = depth_of(child, budget - 1);
		best = d > best ? d : best;
		if (best >= budget)
			break;
	}
	return best + 1;
}

/* Shape of one operation, before anything is applied. */
static int
check_op(json_object *op, size_t i, char *err, size_t errlen)
{
	json_object *v, *pathv, *value = NULL;
	const char *name, *path, *why;
	bool set, test, has_value;
	struct path p;

	if (!json_object_is_type(op, json_type_object)) {
		cd_errf(err, errlen, "ops[%zu]: must be an object", i);
		return -CD_E_BAD_ARGS;
	}
	name = json_object_object_get_ex(op, "op", &v) &&
	       json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : "";
	set = strcmp(name, "set") == 0;
	test = strcmp(name, "test") == 0;
	if (!set && !test && strcmp(name, "delete") != 0) {
		cd_errf(err, errlen, "ops[%zu].op: must be \"set\", \"delete\" or \"test\"", i);
		return -CD_E_BAD_ARGS;
	}
	if (!json_object_object_get_ex(op, "path", &pathv) ||
	    !json_object_is_type(pathv, json_type_string)) {
		cd_errf(err, errlen, "ops[%zu].path: must be a string", i);
		return -CD_E_BAD_ARGS;
	}
	path = json_object_get_string(pathv);
	why = parse_path(path, &p);
	if (!why && (size_t)json_object_get_string_len(pathv) != strlen(path))
		why = "keys may only hold [A-Za-z0-9_-]";
	if (!why && (p.n < 2 || (strcmp(p.key[0], "config") != 0 &&
				 strcmp(p.key[0], "runtime") != 0)))
		why = "must name a member inside config or runtime";
	if (why) {
		cd_errf(err, errlen, "ops[%zu].path \"%.100s\": %s", i, path, why);
		return -CD_E_BAD_ARGS;
	}
	has_value = json_object_object_get_ex(op, "value", &value);
	if (test) {
		if (!has_value) {
			cd_errf(err, errlen, "ops[%zu]: \"test\" needs a \"value\"", i);
			return -CD_E_BAD_ARGS;
		}
	} else if (set != has_value) {
		cd_errf(err, errlen, set ? "ops[%zu]: \"set\" needs a \"value\"" :
		     "ops[%zu]: \"delete\" takes no \"value\"", i);
		return -CD_E_BAD_ARGS;
	}
	if (set && (int)p.n + depth_of(value, CD_STATE_MAX_DEPTH - (int)p.n) >
	    CD_STATE_MAX_DEPTH) {
		cd_errf(err, errlen, "ops[%zu].value: nested too deeply (a document "
		     "has at most %d levels)", i, CD_STATE_MAX_DEPTH);
		return -CD_E_BAD_ARGS;
	}
	json_object_object_foreach(op, key, val) {
		(void)val;
		if (strcmp(key, "op") && strcmp(key, "path") && strcmp(key, "value")) {
			cd_errf(err, errlen, "ops[%zu]: unknown member \"%.40s\"", i, key);
			return -CD_E_BAD_ARGS;
		}
	}
	return 0;
}

/*
 * A "test" operation: the change applies only if the member at path equals
 * value (an absent member equals JSON null). Like JSON Patch's "test", it
 * makes a change conditional on what its author saw (compare-and-swap).
 */
static int
test_op(json_object *doc, json_object *op, size_t i, char *err, size_t errlen)
{
	json_object *v, *want = NULL, *cur = doc;
	const char *path;
	struct path p;
	size_t k;

	json_object_object_get_ex(op, "path", &v);
	path = json_object_get_string(v);
	parse_path(path, &p);
	json_object_object_get_ex(op, "value", &want);
	for (k = 0; k < p.n && cur; k++) {
		if (!json_object_is_type(cur, json_type_object) ||
		    !json_object_object_get_ex(cur, p.key[k], &cur))
			cur = NULL;
	}
	if (cur == NULL && want == NULL)
		return 0;
	if (cur && want && json_object_equal(cur, want))
		return 0;
	cd_errf(err, errlen, "ops[%zu]: test of %s failed: it is %.60s", i, path,
	     cur ? json_object_to_json_string_ext(cur, JSON_C_TO_STRING_PLAIN) : "absent");
	return -CD_E_BAD_ARGS;
}

/* Apply one operation (already checked by check_op) to doc. */
static int
apply_op(json_object *doc, json_object *op, size_t i, char *err, size_t errlen)
{
	json_object *v, *cur = doc, *next, *copy = NULL;
	const char *path;
	size_t k, prefix = 0;
	struct path p;
	bool set;

	json_object_object_get_ex(op, "op", &v);
	set = strcmp(json_object_get_string(v), "set") == 0;
	if (strcmp(json_object_get_string(v), "test") == 0)
		return test_op(doc, op, i, err, errlen);
	json_object_object_get_ex(op, "path", &v);
	path = json_object_get_string(v);
	parse_path(path, &p);

	for (k = 0; k + 1 < p.n; k++) {
		prefix += strlen(p.key[k]) + (k ? 1 : 0);
		if (json_object_object_get_ex(cur, p.key[k], &next)) {
			if (!json_object_is_type(next, json_type_object)) {
				cd_errf(err, errlen, "ops[%zu]: cannot %s %s: %.*s is "
				     "not an object", i, set ? "set" : "delete",
				     path, (int)prefix, path);
				return -CD_E_BAD_ARGS;
			}
		} else if (set) {
			next = json_object_new_object();
			if (!next || json_object_object_add(cur, p.key[k], next) < 0) {
				json_object_put(next);
				return -ENOMEM;
			}
		} else {
			cd_errf(err, errlen, "ops[%zu]: cannot delete %s: %.*s does "
			     "not exist", i, path, (int)prefix, path);
			return -CD_E_BAD_ARGS;
		}
		cur = next;
	}
	if (!set) {
		if (!json_object_object_get_ex(cur, p.key[p.n - 1], NULL)) {
			cd_errf(err, errlen, "ops[%zu]: cannot delete %s: it does not "
			     "exist", i, path);
			return -CD_E_BAD_ARGS;
		}
		json_object_object_del(cur, p.key[p.n - 1]);
		return 0;
	}
	/* A copy: the caller's ops must not alias the state. */
	json_object_object_get_ex(op, "value", &v);
	if (v && json_object_deep_copy(v, &copy, NULL) != 0)
		return -ENOMEM;
	if (json_object_object_add(cur, p.key[p.n - 1], copy) < 0) {
		json_object_put(copy);
		return -ENOMEM;
	}
	return 0;
}

int
cd_state_apply(struct cd_state *s, json_object *ops, char *err, size_t errlen)
{
	json_object *doc = NULL, *gen;
	char why[256];
	uint64_t g;
	size_t i, n;
	int rc;

	cd_errf(err, errlen, "%s", "");
	if (!s || !s->doc) {
		cd_errf(err, errlen, "there is no state to change");
		return -CD_E_BAD_ARGS;
	}
	if (!json_object_is_type(ops, json_type_array)) {
		cd_errf(err, errlen, "ops: must be an array of operations");
		return -CD_E_BAD_ARGS;
	}
	n = json_object_array_length(ops);
	if (n == 0 || n > CD_STATE_MAX_OPS) {
		cd_errf(err, errlen, "ops: must hold 1..%d operations, not %zu",
		     CD_STATE_MAX_OPS, n);
		return -CD_E_BAD_ARGS;
	}
	for (i = 0; i < n; i++) {
		rc = check_op(json_object_array_get_idx(ops, i), i, err, errlen);
		if (rc < 0)
			return rc;
	}
	g = cd_state_generation(s);
	if (g >= INT64_MAX) {
		cd_errf(err, errlen, "generation %" PRIu64 " cannot grow", g);
		return -CD_E_BAD_ARGS;
	}
	if (json_object_deep_copy(s->doc, &doc, NULL) != 0) {
		json_object_put(doc);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		rc = apply_op(doc, json_object_array_get_idx(ops, i), i, err, errlen);
		if (rc < 0)
			goto fail;
	}
	if (!json_object_object_get_ex(doc, "generation", &gen) ||
	    !json_object_set_int64(gen, (int64_t)g + 1)) {
		rc = -ENOMEM;
		goto fail;
	}
	/* Rules beyond the schema (state-rules.h): room kept for runtime
	 * records, one VM per role. */
	rc = cd_state_rules_check(s->doc, doc, ops, err, errlen);
	if (rc < 0)
		goto fail;
	rc = check_doc(doc, why, sizeof(why));
	if (rc < 0) {
		if (rc != -ENOMEM) {
			cd_errf(err, errlen, "the change would make the state "
			     "invalid: %s", why);
			rc = -CD_E_BAD_ARGS;
		}
		goto fail;
	}
	json_object_put(s->doc);
	s->doc = doc;
	return 0;

fail:
	json_object_put(doc);
	return rc;
}

/* ---- files ---- */

static int
read_all(int fd, char **out, size_t *outlen)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap), *nbuf;
	ssize_t r;

	while (buf) {
		if (len == cap) {
			if (cap > LOAD_MAX) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > LOAD_MAX + 1 ? LOAD_MAX + 1 : cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				break;
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (r == 0) {
			*out = buf;
			*outlen = len;
			return 0;
		}
		len += (size_t)r;
	}
	free(buf);
	return -ENOMEM;
}

/* Parse a whole buffer as one strict JSON value. */
static int
parse_strict(const char *buf, size_t len, json_object **out, char *err,
	     size_t errlen)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error e;

	*out = NULL;
	if (len == 0 || memchr(buf, '\0', len)) {
		cd_errf(err, errlen, len ? "not JSON: contains a NUL byte" :
		     "the file is empty");
		return -CD_E_STATE_INVALID;
	}
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	if (!obj || e != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		cd_errf(err, errlen, "not JSON: %s at byte %zu",
		     e == json_tokener_success ? "trailing data" :
		     e == json_tokener_continue ? "unexpected end of data" :
		     json_tokener_error_desc(e), json_tokener_get_parse_end(tok));
		json_object_put(obj);
		json_tokener_free(tok);
		return -CD_E_STATE_INVALID;
	}
	json_tokener_free(tok);
	*out = obj;
	return 0;
}

int
cd_state_load(struct cd_state *s, const char *path, char *err, size_t errlen)
{
	json_object *doc;
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, rc;

	cd_errf(err, errlen, "%s", "");
	if (!s || !path) {
		cd_errf(err, errlen, "no state or no path");
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = errno;
		cd_errf(err, errlen, "cannot open: %s", strerror(rc));
		return rc == ENOENT ? -ENOENT : -CD_E_STATE_INVALID;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		cd_errf(err, errlen, "not a regular file");
		return -CD_E_STATE_INVALID;
	}
	rc = read_all(fd, &buf, &len);
	close(fd);
	if (rc == -ENOMEM)
		return rc;
	if (rc == -EFBIG)
		cd_errf(err, errlen, "larger than %u bytes", LOAD_MAX);
	else if (rc < 0)
		cd_errf(err, errlen, "cannot read: %s", strerror(-rc));
	if (rc < 0)
		return -CD_E_STATE_INVALID;
	rc = parse_strict(buf, len, &doc, err, errlen);
	free(buf);
	if (rc < 0)
		return rc;
	rc = cd_state_set_doc(s, doc, err, errlen);
	json_object_put(doc);
	return rc;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
cd_state_save(const struct cd_state *s, const char *path)
{
	char tmp[PATH_MAX];
	const char *text;
	size_t len;
	int fd, n, rc;

	if (!s || !s->doc || !path || !*path)
		return -EINVAL;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	text = json_object_to_json_string_length(s->doc, FILE_FLAGS, &len);
	if (!text)
		return -ENOMEM;
	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, text, len);
	if (rc == 0)
		rc = write_all(fd, "\n", 1);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	return cd_fsync_dir_of(path);
}

/* ---- synchronisation ---- */

uint32_t
cd_sync_choose(const struct cd_sync_offer *offers, size_t n, bool *all_equal)
{
	size_t i, best = 0;
	bool equal = true;

	if (!offers || n == 0) {
		if (all_equal)
			*all_equal = true;
		return 0;
	}
	for (i = 1; i < n; i++) {
		const struct cd_sync_offer *o = &offers[i], *b = &offers[best];

		if (o->epoch != offers[0].epoch ||
		    o->generation != offers[0].generation ||
		    o->hash != offers[0].hash)
			equal = false;
		/* S1: the latest view's history first, then its longest prefix */
		if (o->epoch > b->epoch ||
		    (o->epoch == b->epoch && o->generation > b->generation) ||
		    (o->epoch == b->epoch && o->generation == b->generation &&
		     o->nodeid < b->nodeid))
			best = i;
	}
	if (all_equal)
		*all_equal = equal;
	return offers[best].nodeid;
}
