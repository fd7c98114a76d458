/*
 * state-schema.c - the table of the state document's paths and the
 * functions that format, read, write and match them (state-schema.h).
 */
#include "state-schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char cd_sp_end[] = "";

#define ROW(id, f, n, t, m) [id] = { .fmt = (f), .nargs = (n), .type = (t), .meaning = (m) }

static const struct cd_sp_row rows[CD_SP__COUNT] = {
	ROW(CD_SP_CONFIG, "config", 0, CD_SPT_OBJECT, "what operators configure"),
	ROW(CD_SP_CLUSTER_NAME, "config.cluster_name", 0, CD_SPT_STRING,
	    "the cluster's name, fixed at creation"),
	ROW(CD_SP_NODES, "config.nodes", 0, CD_SPT_OBJECT, "the members, by node name"),
	ROW(CD_SP_NODE, "config.nodes.%s", 1, CD_SPT_OBJECT, "one member: {id, addr}"),
	ROW(CD_SP_NODE_ID, "config.nodes.%s.id", 1, CD_SPT_INT, "a member's corosync node id"),
	ROW(CD_SP_NODE_ADDR, "config.nodes.%s.addr", 1, CD_SPT_STRING,
	    "a member's ring address"),
	ROW(CD_SP_QUORUM, "config.quorum", 0, CD_SPT_OBJECT, "the quorum configuration"),
	ROW(CD_SP_QUORUM_MODE, "config.quorum.mode", 0, CD_SPT_STRING,
	    "node-majority, node-disk-majority or auto"),
	ROW(CD_SP_QUORUM_WITNESS, "config.quorum.witness", 0, CD_SPT_ANY,
	    "the witness LUN's iscsi:// URL, or null"),
	ROW(CD_SP_PROPERTIES, "config.properties", 0, CD_SPT_OBJECT,
	    "the cluster properties set (lib/props.h)"),
	ROW(CD_SP_PROPERTY, "config.properties.%s", 1, CD_SPT_ANY, "one property's value"),
	ROW(CD_SP_ROLES, "config.roles", 0, CD_SPT_OBJECT, "roles' configuration by name"),
	ROW(CD_SP_ROLE, "config.roles.%s", 1, CD_SPT_OBJECT, "one role's configuration"),
	ROW(CD_SP_ROLE_TARGET, "config.roles.%s.target", 1, CD_SPT_STRING,
	    "started or stopped: what the operator wants"),
	ROW(CD_SP_ROLE_RESOURCES, "config.roles.%s.resources", 1, CD_SPT_ARRAY,
	    "a role's resource ids in start order"),
	ROW(CD_SP_RESOURCES, "config.resources", 0, CD_SPT_OBJECT, "resources by id"),
	ROW(CD_SP_RESOURCE, "config.resources.%s", 1, CD_SPT_OBJECT,
	    "one resource: {role, agent, params, ...}"),
	ROW(CD_SP_LUNS, "config.storage.luns", 0, CD_SPT_OBJECT, "the cluster's LUNs by name"),
	ROW(CD_SP_LUN, "config.storage.luns.%s", 1, CD_SPT_OBJECT, "one LUN: {url}"),
	ROW(CD_SP_VOLUMES, "config.volumes", 0, CD_SPT_OBJECT,
	    "cluster shared volumes by name"),
	ROW(CD_SP_RUNTIME, "runtime", 0, CD_SPT_OBJECT, "what the cluster records as it runs"),
	ROW(CD_SP_RT_ROLES, "runtime.roles", 0, CD_SPT_OBJECT, "roles' runtime by name"),
	ROW(CD_SP_RT_ROLE, "runtime.roles.%s", 1, CD_SPT_OBJECT, "one role's runtime"),
	ROW(CD_SP_RT_ROLE_OWNER, "runtime.roles.%s.owner", 1, CD_SPT_STRING,
	    "the node running the role, \"\" for none"),
	ROW(CD_SP_RT_ROLE_LAST_OWNER, "runtime.roles.%s.last_owner", 1, CD_SPT_STRING,
	    "the node the role last ran on (its home when not highly available)"),
	ROW(CD_SP_RT_ROLE_STATE, "runtime.roles.%s.state", 1, CD_SPT_STRING,
	    "the role's state (stopped, starting, started, ...)"),
	ROW(CD_SP_RT_ROLE_MOVE_TO, "runtime.roles.%s.move_to", 1, CD_SPT_STRING,
	    "a requested move's target node"),
	ROW(CD_SP_RT_ROLE_MOVE_TYPE, "runtime.roles.%s.move_type", 1, CD_SPT_STRING,
	    "how the requested move goes: \"\", live or quick"),
	ROW(CD_SP_RT_ROLE_FAILURES, "runtime.roles.%s.failures", 1, CD_SPT_ARRAY,
	    "recent failures: [{node, at}]"),
	ROW(CD_SP_RT_ROLE_LAST_ERROR, "runtime.roles.%s.last_error", 1, CD_SPT_STRING,
	    "the last failure, for operators"),
	ROW(CD_SP_RT_ROLE_LAST_MIGRATION, "runtime.roles.%s.last_migration", 1, CD_SPT_STRING,
	    "the last migration's result line"),
	ROW(CD_SP_MIG, "runtime.roles.%s.migration", 1, CD_SPT_OBJECT,
	    "a migration in progress"),
	ROW(CD_SP_MIG_PHASE, "runtime.roles.%s.migration.phase", 1, CD_SPT_STRING,
	    "the migration's phase (lib/migphase.h)"),
	ROW(CD_SP_MIG_STARTED_AT, "runtime.roles.%s.migration.started_at", 1, CD_SPT_INT,
	    "epoch seconds: which migration a report belongs to"),
	ROW(CD_SP_MIG_URI, "runtime.roles.%s.migration.uri", 1, CD_SPT_STRING,
	    "the target's incoming migration URI"),
	ROW(CD_SP_MIG_RESULT, "runtime.roles.%s.migration.result", 1, CD_SPT_STRING,
	    "the last step's measured result"),
	ROW(CD_SP_MIG_ERROR, "runtime.roles.%s.migration.error", 1, CD_SPT_STRING,
	    "why the migration is rolling back"),
	ROW(CD_SP_MIG_PROGRESS, "runtime.roles.%s.migration.progress", 1, CD_SPT_STRING,
	    "progress of the transfer (ephemeral, never applied)"),
	ROW(CD_SP_SMOVE, "runtime.roles.%s.storage_move", 1, CD_SPT_OBJECT,
	    "a live storage move in progress: {disk, from, to, format, node, phase, "
	    "started_at, error}"),
	ROW(CD_SP_SMOVE_PHASE, "runtime.roles.%s.storage_move.phase", 1, CD_SPT_STRING,
	    "the storage move's phase (lib/smove.h)"),
	ROW(CD_SP_SMOVE_PROGRESS, "runtime.roles.%s.storage_move.progress", 1, CD_SPT_STRING,
	    "progress of the copy (ephemeral, never applied)"),
	ROW(CD_SP_RT_ROLE_LAST_STORAGE_MOVE, "runtime.roles.%s.last_storage_move", 1,
	    CD_SPT_STRING, "the last storage move's result line"),
	ROW(CD_SP_RT_NODES, "runtime.nodes", 0, CD_SPT_OBJECT, "nodes' runtime by name"),
	ROW(CD_SP_RT_NODE, "runtime.nodes.%s", 1, CD_SPT_OBJECT, "one node's runtime"),
	ROW(CD_SP_RT_NODE_INCARNATION, "runtime.nodes.%s.incarnation", 1, CD_SPT_INT,
	    "+1 at every admission of the node"),
	ROW(CD_SP_RT_NODE_FENCED, "runtime.nodes.%s.fenced", 1, CD_SPT_BOOL,
	    "the node was fenced since it was lost"),
	ROW(CD_SP_RT_NODE_PAUSED, "runtime.nodes.%s.paused", 1, CD_SPT_BOOL,
	    "the node takes no roles"),
	ROW(CD_SP_RT_NODE_RESTART_GRACE, "runtime.nodes.%s.restart_grace_ms", 1, CD_SPT_INT,
	    "a planned stop's grace in ms (clusterd/rm-restart.c)"),
	ROW(CD_SP_RT_NODE_DRAIN, "runtime.nodes.%s.drain", 1, CD_SPT_OBJECT,
	    "a drain of the node and its progress (lib/drain.h)"),
	ROW(CD_SP_RT_NODE_DRAIN_STATE, "runtime.nodes.%s.drain.state", 1, CD_SPT_STRING,
	    "draining or done"),
	ROW(CD_SP_RT_NODE_DRAIN_ROLE, "runtime.nodes.%s.drain.roles.%s", 2, CD_SPT_OBJECT,
	    "one role's step in the drain"),
	ROW(CD_SP_RT_NODE_DRAIN_STEP, "runtime.nodes.%s.drain.roles.%s.step", 2, CD_SPT_STRING,
	    "queued, moving, done or failed"),
	ROW(CD_SP_CSV_RT, "runtime.csv", 0, CD_SPT_OBJECT,
	    "cluster shared volumes' runtime by name (clusterd/csv-clients.c)"),
	ROW(CD_SP_CSV_VOL, "runtime.csv.%s", 1, CD_SPT_OBJECT, "one volume's runtime"),
	ROW(CD_SP_CSV_CLIENT, "runtime.csv.%s.clients.%s", 2, CD_SPT_STRING,
	    "a node's client of a volume: connected, reconnecting or down"),
	ROW(CD_SP_CSV_IO, "runtime.csv.%s.io.%s", 2, CD_SPT_STRING,
	    "a node's data path on a volume: direct, or redirected: REASON (issue 15)"),
	ROW(CD_SP_CSV_OPEN_FILES, "runtime.csv.%s.open_files", 1, CD_SPT_INT,
	    "files open on the volume's coordinator"),
	ROW(CD_SP_RT_RESOURCES, "runtime.resources", 0, CD_SPT_OBJECT,
	    "reserved, created empty"),
	ROW(CD_SP_FENCES, "runtime.fences", 0, CD_SPT_ARRAY, "the last 50 fences"),
	ROW(CD_SP_AUDIT, "runtime.audit", 0, CD_SPT_OBJECT,
	    "the audit trail by node id (clusterd/audit.h)"),
	ROW(CD_SP_AUDIT_NODE, "runtime.audit.%s", 1, CD_SPT_ARRAY,
	    "one node's last audited requests, oldest first"),
};

const struct cd_sp_row *
cd_sp_row(enum cd_sp p)
{
	if ((unsigned)p >= CD_SP__COUNT)
		return NULL;
	return &rows[p];
}

bool
cd_sp_name_ok(const char *name)
{
	size_t i;

	if (!name || name == cd_sp_end || !name[0])
		return false;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if (i == CD_SP_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool
cd_sp_type_ok(enum cd_sp_type t, json_object *value)
{
	switch (t) {
	case CD_SPT_OBJECT:
		return json_object_is_type(value, json_type_object);
	case CD_SPT_ARRAY:
		return json_object_is_type(value, json_type_array);
	case CD_SPT_STRING:
		return json_object_is_type(value, json_type_string);
	case CD_SPT_INT:
		return json_object_is_type(value, json_type_int);
	case CD_SPT_BOOL:
		return json_object_is_type(value, json_type_boolean);
	case CD_SPT_ANY:
		return true;
	}
	return false;
}

/* Copy fmt into buf, the names in place of its %s. */
static int
fill(char *buf, size_t len, const char *fmt, const char *const *names)
{
	size_t o = 0, k = 0, n;
	const char *piece;

	while (*fmt) {
		if (fmt[0] == '%' && fmt[1] == 's') {
			piece = names[k++];
			n = strlen(piece);
			fmt += 2;
		} else {
			piece = fmt;
			n = 1;
			fmt++;
		}
		if (o + n >= len) {
			if (len)
				buf[0] = '\0';
			return -ENAMETOOLONG;
		}
		memcpy(buf + o, piece, n);
		o += n;
	}
	if (o >= len)
		return -ENAMETOOLONG;
	buf[o] = '\0';
	return 0;
}

/*
 * Format from a name list ending with CD_SP_END. Every name is read up
 * to the end mark whatever happens, so a wrong count is caught safely.
 */
static int
vpath(char *buf, size_t len, enum cd_sp p, va_list ap)
{
	const struct cd_sp_row *row = cd_sp_row(p);
	const char *names[CD_SP_MAX_NAMES] = { NULL, NULL }, *n;
	unsigned count = 0;
	bool bad = !row;

	if (len)
		buf[0] = '\0';
	while ((n = va_arg(ap, const char *)) != cd_sp_end) {
		if (count < CD_SP_MAX_NAMES)
			names[count] = n;
		if (!cd_sp_name_ok(n))
			bad = true;
		count++;
	}
	if (bad || count != row->nargs)
		return -EINVAL;
	return fill(buf, len, row->fmt, names);
}

int
cd_sp_path_(char *buf, size_t len, enum cd_sp p, ...)
{
	va_list ap;
	int rc;

	va_start(ap, p);
	rc = vpath(buf, len, p, ap);
	va_end(ap);
	return rc;
}

const char *
cd_sp_text(char *buf, size_t len, enum cd_sp p, const char *name)
{
	const struct cd_sp_row *row = cd_sp_row(p);
	const char *f;
	size_t o = 0;

	if (!len)
		return buf;
	for (f = row ? row->fmt : ""; *f && o + 1 < len; f++) {
		if (f[0] == '%' && f[1] == 's') {
			o += (size_t)snprintf(buf + o, len - o, "%s", name ? name : "");
			o = o < len ? o : len - 1;
			f++;
		} else {
			buf[o++] = *f;
		}
	}
	buf[o] = '\0';
	return buf;
}

json_object *
cd_sp_get_(const struct cd_state *s, enum cd_sp p, ...)
{
	char path[CD_SP_PATH_MAX];
	va_list ap;
	int rc;

	va_start(ap, p);
	rc = vpath(path, sizeof(path), p, ap);
	va_end(ap);
	return rc < 0 ? NULL : cd_state_get(s, path);
}

const char *
cd_sp_str_(const struct cd_state *s, const char *dflt, enum cd_sp p, ...)
{
	char path[CD_SP_PATH_MAX];
	json_object *v;
	va_list ap;
	int rc;

	va_start(ap, p);
	rc = vpath(path, sizeof(path), p, ap);
	va_end(ap);
	v = rc < 0 ? NULL : cd_state_get(s, path);
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : dflt;
}

int64_t
cd_sp_int_(const struct cd_state *s, int64_t dflt, enum cd_sp p, ...)
{
	char path[CD_SP_PATH_MAX];
	json_object *v;
	va_list ap;
	int rc;

	va_start(ap, p);
	rc = vpath(path, sizeof(path), p, ap);
	va_end(ap);
	v = rc < 0 ? NULL : cd_state_get(s, path);
	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : dflt;
}

static int
op_check(const char *kind, json_object *value, enum cd_sp p)
{
	if (!kind)
		return -EINVAL;
	if (!strcmp(kind, "set"))
		return cd_sp_type_ok(rows[p].type, value) ? 0 : -EINVAL;
	return !strcmp(kind, "delete") || !strcmp(kind, "test") ? 0 : -EINVAL;
}

int
cd_sp_op_(json_object *ops, const char *kind, json_object *value, enum cd_sp p, ...)
{
	char path[CD_SP_PATH_MAX];
	json_object *op = NULL;
	va_list ap;
	int rc;

	va_start(ap, p);
	rc = vpath(path, sizeof(path), p, ap);
	va_end(ap);
	if (!json_object_is_type(ops, json_type_array)) {
		json_object_put(value);
		return -EINVAL;
	}
	if (rc == 0)
		rc = op_check(kind, value, p);
	if (rc == 0) {
		op = cd_state_op(kind, path, value);	/* takes value */
		value = NULL;
		if (!op)
			rc = -ENOMEM;
	}
	json_object_put(value);
	if (rc == 0 && json_object_array_add(ops, op) < 0) {
		json_object_put(op);
		rc = -ENOMEM;
	}
	if (rc < 0)
		json_object_array_add(ops, NULL);	/* poison: the apply refuses */
	return rc;
}

/* Match path against p's format, a key standing for each %s; below: p or inside it. */
static bool
match(const char *path, enum cd_sp p, bool below)
{
	const struct cd_sp_row *row = cd_sp_row(p);
	const char *f, *s = path;
	size_t klen;

	if (!row || !path)
		return false;
	for (f = row->fmt; *f; ) {
		if (f[0] == '%' && f[1] == 's') {
			for (klen = 0; s[klen] && s[klen] != '.'; klen++)
				;
			if (!klen || klen > CD_SP_NAME_MAX)
				return false;
			s += klen;
			f += 2;
			continue;
		}
		if (*s++ != *f++)
			return false;
	}
	return !*s || (below && *s == '.' && s[1]);
}

bool
cd_sp_is(const char *path, enum cd_sp p)
{
	return match(path, p, false);
}

bool
cd_sp_under(const char *path, enum cd_sp p)
{
	return match(path, p, true);
}
