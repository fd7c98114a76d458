/*
 * cconf.c - the cluster definition and the two files made from it:
 * /etc/corosync/corosync.conf and /etc/clusterd/clusterd.conf.
 *
 * Both are rendered deterministically (nodes by id, fixed layout) so that
 * the same cluster gives the same bytes on every node and on every run:
 * "unchanged" is then a byte comparison on the node.
 */
#include "jsonget.h"
#include "cluster.h"
#include "valid.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* lib/valid.h V1, the rule clusterd applies to the same names. */
bool
cl_valid_cluster_name(const char *s)
{
	return cd_valid_name(CD_NAME_CLUSTER, s, NULL, 0) == 0;
}

bool
cl_valid_node_name(const char *s)
{
	return cd_valid_name(CD_NAME_NODE, s, NULL, 0) == 0;
}

bool
cl_valid_addr(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > CL_ADDR_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]) && s[i] != '.' && s[i] != ':')
			return false;
	}
	return true;
}

int
cl_uuid_new(char out[CL_UUID_MAX + 1])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	const struct cl_node_def *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

void
cl_def_sort(struct cl_def *d)
{
	qsort(d->nodes, d->n, sizeof(d->nodes[0]), by_id);
}

const struct cl_node_def *
cl_def_find(const struct cl_def *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->nodes[i].name, name) == 0)
			return &d->nodes[i];
	}
	return NULL;
}

uint32_t
cl_def_max_id(const struct cl_def *d)
{
	uint32_t max = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->nodes[i].id > max)
			max = d->nodes[i].id;
	}
	return max;
}

bool
cl_same_nodes(const struct cl_def *a, const struct cl_def *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct cl_node_def *o = cl_def_find(b, a->nodes[i].name);

		if (!o || strcmp(o->addr, a->nodes[i].addr))
			return false;
	}
	return true;
}

const char *
cl_node_list(const struct cl_def *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n && used < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? "," : "",
				 d->nodes[i].name);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* A growing string buffer; on ENOMEM it stays NULL and appends do nothing. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
		char *ns = realloc(b->s, cap);

		if (!ns) {
			free(b->s);
			b->s = NULL;
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
}

char *
cl_corosync_conf(const struct cl_def *d)
{
	struct sbuf b = { 0 };
	struct cl_def s = *d;

	cl_def_sort(&s);
	sb_printf(&b,
"# corosync.conf of cluster %s, written by clusterctl (create, node add,\n"
"# node remove). Change the cluster with clusterctl: it rewrites this file.\n"
"totem {\n"
"    version: 2\n"
"    cluster_name: %s\n"
"    transport: knet\n"
"    crypto_cipher: aes256\n"
"    crypto_hash: sha256\n"
"    token: %u\n"
"    token_coefficient: 0\n"
"    # a link that went down and up again stalled the rejoin until knet's\n"
"    # next path MTU discovery (every 30 s by default): run it every 5 s\n"
"    knet_pmtud_interval: 5\n"
"}\n"
"\n"
"logging {\n"
"    to_logfile: yes\n"
"    logfile: /var/log/corosync/corosync.log\n"
"    to_syslog: yes\n"
"    to_stderr: no\n"
"    timestamp: hires\n"
"}\n"
"\n"
"# clusterd fences by itself and survives corosync restarts: corosync must\n"
"# not arm a watchdog that reboots the host when corosync stops.\n"
"resources {\n"
"    watchdog_device: off\n"
"}\n"
"\n"
"quorum {\n"
"    provider: corosync_votequorum\n",
		  s.name, s.name, s.token_ms ? s.token_ms : CL_TOKEN_DEFAULT_MS);
	if (s.witness_device) {
		unsigned t = s.token_ms ? s.token_ms : CL_TOKEN_DEFAULT_MS;

		/* The clusterd witness polls as this device (quorum/qdevice.c). */
		sb_printf(&b,
"    device {\n"
"        model: Witness\n"
"        votes: 1\n"
"        timeout: %u\n"
"        sync_timeout: %u\n"
"    }\n", 3 * t, 2 * t);
	} else if (s.n == 2) {
		sb_printf(&b, "    two_node: 1\n");
	}
	sb_printf(&b, "}\n\nnodelist {\n");
	for (size_t i = 0; i < s.n; i++)
		sb_printf(&b,
"    node {\n"
"        name: %s\n"
"        nodeid: %u\n"
"        ring0_addr: %s\n"
"    }\n", s.nodes[i].name, s.nodes[i].id, s.nodes[i].addr);
	sb_printf(&b, "}\n");
	return b.failed ? NULL : b.s;
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Section nesting while reading corosync.conf: "totem", "nodelist.node"... */
#define CC_DEPTH 8

static void
cc_assign(struct cl_def *d, const char *path, const char *key,
	  const char *val, struct cl_node_def *node)
{
	if (strcmp(path, "totem") == 0) {
		if (strcmp(key, "cluster_name") == 0)
			snprintf(d->name, sizeof(d->name), "%s", val);
		else if (strcmp(key, "token") == 0)
			d->token_ms = (unsigned)strtoul(val, NULL, 10);
	} else if (strcmp(path, "quorum.device") == 0) {
		if (strcmp(key, "model") == 0 && val[0])
			d->witness_device = true;
	} else if (strcmp(path, "nodelist.node") == 0 && node) {
		if (strcmp(key, "name") == 0)
			snprintf(node->name, sizeof(node->name), "%s", val);
		else if (strcmp(key, "nodeid") == 0)
			node->id = (uint32_t)strtoul(val, NULL, 10);
		else if (strcmp(key, "ring0_addr") == 0)
			snprintf(node->addr, sizeof(node->addr), "%s", val);
	}
}

int
cl_corosync_conf_parse(const char *text, struct cl_def *d, char *err,
		       size_t errlen)
{
	char *copy = strdup(text ? text : ""), *line, *save = NULL;
	char path[CC_DEPTH * 32] = "";
	size_t depth = 0, lens[CC_DEPTH + 1] = { 0 };
	struct cl_node_def *node = NULL;
	int lineno = 0, rc = 0;

	memset(d, 0, sizeof(*d));
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s = trim(line), *colon;

		lineno++;
		if (!*s || *s == '#')
			continue;
		if (strcmp(s, "}") == 0) {
			if (depth == 0) {
				set_err(err, errlen, "line %d: '}' without a section", lineno);
				rc = -EINVAL;
				break;
			}
			if (strcmp(path, "nodelist.node") == 0 && node) {
				if (!node->name[0])	/* corosync allows a nameless node */
					snprintf(node->name, sizeof(node->name), "node%u", node->id);
				node = NULL;
			}
			path[lens[--depth]] = '\0';
			continue;
		}
		if (s[strlen(s) - 1] == '{') {
			s[strlen(s) - 1] = '\0';
			s = trim(s);
			if (depth >= CC_DEPTH || strlen(path) + strlen(s) + 2 >= sizeof(path)) {
				set_err(err, errlen, "line %d: sections nested too deep", lineno);
				rc = -EINVAL;
				break;
			}
			lens[depth++] = strlen(path);
			if (path[0])
				strcat(path, ".");
			strcat(path, s);
			if (strcmp(path, "nodelist.node") == 0) {
				if (d->n >= CL_MAX_NODES) {
					set_err(err, errlen, "more than %d nodes", CL_MAX_NODES);
					rc = -EINVAL;
					break;
				}
				node = &d->nodes[d->n++];
			}
			continue;
		}
		colon = strchr(s, ':');
		if (!colon) {
			set_err(err, errlen, "line %d: neither 'key: value' nor a section", lineno);
			rc = -EINVAL;
			break;
		}
		*colon = '\0';
		cc_assign(d, path, trim(s), trim(colon + 1), node);
	}
	if (rc == 0 && depth) {
		set_err(err, errlen, "unterminated section '%s'", path);
		rc = -EINVAL;
	}
	if (rc == 0 && !d->name[0]) {
		set_err(err, errlen, "no totem.cluster_name");
		rc = -EINVAL;
	}
	free(copy);
	if (rc == 0)
		cl_def_sort(d);
	return rc;
}

json_object *
cl_nodes_json(const struct cl_def *d)
{
	json_object *nodes = json_object_new_object();
	struct cl_def s = *d;

	cl_def_sort(&s);
	for (size_t i = 0; nodes && i < s.n; i++) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "id", json_object_new_int64(s.nodes[i].id));
		json_object_object_add(n, "addr", json_object_new_string(s.nodes[i].addr));
		json_object_object_add(nodes, s.nodes[i].name, n);
	}
	return nodes;
}

char *
cl_clusterd_conf(const struct cl_def *d)
{
	json_object *o = json_object_new_object();
	char *text = NULL;

	if (!o)
		return NULL;
	json_object_object_add(o, "cluster_name", json_object_new_string(d->name));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "nodes", cl_nodes_json(d));
	if (asprintf(&text, "%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		text = NULL;
	json_object_put(o);
	return text;
}

int
cl_clusterd_conf_parse(const char *text, struct cl_def *d, char *err,
		       size_t errlen)
{
	enum json_tokener_error jerr;
	json_object *o, *nodes;
	const char *name, *uuid;
	int rc = -EINVAL;

	memset(d, 0, sizeof(*d));
	o = json_tokener_parse_verbose(text ? text : "", &jerr);
	if (!o || !json_object_is_type(o, json_type_object)) {
		set_err(err, errlen, "not a JSON object%s%s", o ? "" : ": ",
			o ? "" : json_tokener_error_desc(jerr));
		goto out;
	}
	name = cd_jstr(o, "cluster_name", NULL);
	uuid = cd_jstr(o, "uuid", NULL);
	if (!name || !uuid || !cl_valid_cluster_name(name) ||
	    strlen(uuid) > CL_UUID_MAX || !uuid[0]) {
		set_err(err, errlen, "no valid cluster_name and uuid");
		goto out;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
	if (!json_object_object_get_ex(o, "nodes", &nodes) ||
	    !json_object_is_type(nodes, json_type_object)) {
		set_err(err, errlen, "no \"nodes\" object");
		goto out;
	}
	json_object_object_foreach(nodes, key, val) {
		json_object *id;
		const char *addr = cd_jstr(val, "addr", NULL);

		if (d->n >= CL_MAX_NODES || !cl_valid_node_name(key) || !addr ||
		    !json_object_object_get_ex(val, "id", &id) ||
		    !json_object_is_type(id, json_type_int) ||
		    json_object_get_int64(id) <= 0 || json_object_get_int64(id) > UINT32_MAX) {
			set_err(err, errlen, "bad node entry '%s'", key);
			goto out;
		}
		struct cl_node_def *n = &d->nodes[d->n++];

		snprintf(n->name, sizeof(n->name), "%s", key);
		snprintf(n->addr, sizeof(n->addr), "%s", addr);
		n->id = (uint32_t)json_object_get_int64(id);
	}
	cl_def_sort(d);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}
