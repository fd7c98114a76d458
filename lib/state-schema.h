/*
 * state-schema.h - the one module that spells the paths of the replicated
 * state document (lib/state.h). Readers get a value by its name
 * (cd_sp_get and the typed cd_sp_str/cd_sp_int/cd_sp_bool), writers build
 * operations by name (cd_sp_op); clusterd/, quorum/, lib/, cli/, agents/
 * and csv/ write no "config." or "runtime." path themselves
 * (tests/unit/test_state_schema.c greps the sources and fails if one does).
 * Renaming a member is a change to one row of the table in state-schema.c.
 *
 * The document, path by path (%s is a name: 1..63 characters of
 * [A-Za-z0-9_-], like every key of a path; type of the value in brackets):
 *
 *  config                               {}  what operators configure
 *  config.cluster_name                  ""  fixed at creation
 *  config.nodes                         {}  the members, by node name
 *  config.nodes.%s                      {}  {"id": 1..2^32-1, "addr": "10.0.0.1"}
 *  config.nodes.%s.id                   1   corosync node id, unique
 *  config.nodes.%s.addr                 ""  ring address
 *  config.quorum                        {}  {"mode": ..., "witness": ...}
 *  config.quorum.mode                   ""  node-majority|node-disk-majority|auto
 *  config.quorum.witness                *   the witness LUN's iscsi:// URL or null
 *  config.properties                    {}  cluster properties set (lib/props.h)
 *  config.properties.%s                 *   one property's value
 *  config.roles                         {}  roles by name
 *  config.roles.%s                      {}  {"resources": [ids in start order],
 *                                            "preferred_owners": [...],
 *                                            "possible_owners": [...],
 *                                            "priority", "failover_threshold",
 *                                            "failover_period_s", "failback",
 *                                            "failback_window", "memory_mib",
 *                                            "drain_fallback", "target", "ha"}
 *                                            (clusterd/rm-model.h, lib/drain.h;
 *                                            "ha": false for a role that is
 *                                            not highly available, policy.h
 *                                            rule 9; absent means true)
 *  config.roles.%s.target               ""  started|stopped: what the operator wants
 *  config.roles.%s.resources            []  the role's resource ids, start order
 *  config.resources                     {}  resources by id
 *  config.resources.%s                  {}  {"role", "agent": "ocf:P:T", "params",
 *                                            "monitor_interval_ms", "timeouts_ms"}
 *  config.storage.luns                  {}  the cluster's LUNs by name
 *  config.storage.luns.%s               {}  {"url": "iscsi://..."}
 *  config.volumes                       {}  cluster shared volumes by name
 *  runtime                              {}  what the cluster records as it runs
 *  runtime.roles                        {}  roles' runtime by name
 *  runtime.roles.%s                     {}  the members below
 *  runtime.roles.%s.owner               ""  the node running it ("" for none)
 *  runtime.roles.%s.last_owner          ""  the node it last ran on, set with
 *                                            every owner (policy.h rule 9)
 *  runtime.roles.%s.state               ""  stopped|starting|started|stopping|
 *                                            failed|migrating
 *  runtime.roles.%s.move_to             ""  a requested move's target node
 *  runtime.roles.%s.move_type           ""  ""|live|quick
 *  runtime.roles.%s.failures            []  [{"node", "at": EPOCH_S}, ...]
 *  runtime.roles.%s.last_error          ""  the last failure, for operators
 *  runtime.roles.%s.last_migration      ""  the last migration's result line
 *  runtime.roles.%s.migration           {}  a migration in progress: {"type",
 *                                            "from", "to", "phase", "started_at",
 *                                            "uri", "result", "error"}
 *  runtime.roles.%s.migration.phase     ""  lib/migphase.h
 *  runtime.roles.%s.migration.started_at 1  epoch seconds: which migration
 *  runtime.roles.%s.migration.uri       ""  the target's incoming URI
 *  runtime.roles.%s.migration.result    ""  the last step's measured result
 *  runtime.roles.%s.migration.error     ""  why it is rolling back
 *  runtime.roles.%s.migration.progress  ""  ephemeral only (clusterd/ephemeral.h)
 *  runtime.nodes                        {}  nodes' runtime by name
 *  runtime.nodes.%s                     {}  the members below
 *  runtime.nodes.%s.incarnation         1   +1 at every admission
 *  runtime.nodes.%s.fenced              t   fenced since it was lost
 *  runtime.nodes.%s.paused              t   takes no roles (node pause)
 *  runtime.nodes.%s.restart_grace_ms    1   a planned stop's grace (rm-restart.c)
 *  runtime.nodes.%s.drain               {}  a drain of the node (lib/drain.h): {"state":
 *                                            draining|done, "origin": admin|shutdown,
 *                                            "started_at", "roles": {...}}
 *  runtime.nodes.%s.drain.state         ""  draining|done
 *  runtime.nodes.%s.drain.roles.%s      {}  one role's step: {"step": queued|moving|
 *                                            done|failed, "to", "how": live|quick|
 *                                            cold, "tries", "reason"}
 *  runtime.nodes.%s.drain.roles.%s.step ""  queued|moving|done|failed
 *  runtime.csv                          {}  cluster shared volumes' runtime by name
 *  runtime.csv.%s                       {}  {"clients": {node: state}, "open_files"}
 *  runtime.csv.%s.clients.%s            ""  a node's client: connected|reconnecting|down
 *  runtime.csv.%s.open_files            1   files open on the coordinator
 *  runtime.resources                    {}  reserved (created empty)
 *  runtime.fences                       []  [{"node", "incarnation", "at", "by",
 *                                            "luns"}], the last 50
 *  runtime.audit                        {}  the audit trail by node id (clusterd/audit.h)
 *  runtime.audit.%s                     []  one node's last requests that change the
 *                                            cluster: [{"at", "node", "uid", "user",
 *                                            "cmd", "args", "result", "message"}]
 *
 * Errors never truncate a path: a name that is NULL, empty, longer than
 * 63 characters or holds a character outside [A-Za-z0-9_-] (a dot would
 * address another member), a wrong number of names, or a value of the
 * wrong type for "set", is refused.
 */
#ifndef CLUSTERD_STATE_SCHEMA_H
#define CLUSTERD_STATE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "state.h"

#define CD_SP_NAME_MAX	63	/* characters of one name */
#define CD_SP_PATH_MAX	256	/* bytes of any formatted path, NUL included */
#define CD_SP_MAX_NAMES	2

/** The JSON type a path holds (CD_SPT_ANY: whatever the row says). */
enum cd_sp_type {
	CD_SPT_OBJECT,
	CD_SPT_ARRAY,
	CD_SPT_STRING,
	CD_SPT_INT,
	CD_SPT_BOOL,
	CD_SPT_ANY,		/* any JSON value, null included */
};

/** Every path of the document; one row each in state-schema.c. */
enum cd_sp {
	CD_SP_CONFIG,
	CD_SP_CLUSTER_NAME,
	CD_SP_NODES,
	CD_SP_NODE,
	CD_SP_NODE_ID,
	CD_SP_NODE_ADDR,
	CD_SP_QUORUM,
	CD_SP_QUORUM_MODE,
	CD_SP_QUORUM_WITNESS,
	CD_SP_PROPERTIES,
	CD_SP_PROPERTY,
	CD_SP_ROLES,
	CD_SP_ROLE,
	CD_SP_ROLE_TARGET,
	CD_SP_ROLE_RESOURCES,
	CD_SP_RESOURCES,
	CD_SP_RESOURCE,
	CD_SP_LUNS,
	CD_SP_LUN,
	CD_SP_VOLUMES,
	CD_SP_RUNTIME,
	CD_SP_RT_ROLES,
	CD_SP_RT_ROLE,
	CD_SP_RT_ROLE_OWNER,
	CD_SP_RT_ROLE_LAST_OWNER,
	CD_SP_RT_ROLE_STATE,
	CD_SP_RT_ROLE_MOVE_TO,
	CD_SP_RT_ROLE_MOVE_TYPE,
	CD_SP_RT_ROLE_FAILURES,
	CD_SP_RT_ROLE_LAST_ERROR,
	CD_SP_RT_ROLE_LAST_MIGRATION,
	CD_SP_MIG,
	CD_SP_MIG_PHASE,
	CD_SP_MIG_STARTED_AT,
	CD_SP_MIG_URI,
	CD_SP_MIG_RESULT,
	CD_SP_MIG_ERROR,
	CD_SP_MIG_PROGRESS,
	CD_SP_SMOVE,
	CD_SP_SMOVE_PHASE,
	CD_SP_SMOVE_PROGRESS,
	CD_SP_RT_ROLE_LAST_STORAGE_MOVE,
	CD_SP_RT_NODES,
	CD_SP_RT_NODE,
	CD_SP_RT_NODE_INCARNATION,
	CD_SP_RT_NODE_FENCED,
	CD_SP_RT_NODE_PAUSED,
	CD_SP_RT_NODE_RESTART_GRACE,
	CD_SP_RT_NODE_DRAIN,
	CD_SP_RT_NODE_DRAIN_STATE,
	CD_SP_RT_NODE_DRAIN_ROLE,
	CD_SP_RT_NODE_DRAIN_STEP,
	CD_SP_CSV_RT,
	CD_SP_CSV_VOL,
	CD_SP_CSV_CLIENT,
	CD_SP_CSV_IO,
	CD_SP_CSV_OPEN_FILES,
	CD_SP_RT_RESOURCES,
	CD_SP_FENCES,
	CD_SP_AUDIT,
	CD_SP_AUDIT_NODE,
	CD_SP__COUNT
};

/** One row of the schema. */
struct cd_sp_row {
	const char *fmt;	/* the path, a %s per name */
	unsigned nargs;		/* names the path takes (0..CD_SP_MAX_NAMES) */
	enum cd_sp_type type;	/* what a "set" may store there */
	const char *meaning;	/* one line, for people */
};

/** The row of p, or NULL when p is out of range. */
const struct cd_sp_row *cd_sp_row(enum cd_sp p);

/** Is name usable as one key of a path (1..63 of [A-Za-z0-9_-])? */
bool cd_sp_name_ok(const char *name);

/** Does value have type t (NULL is JSON null: only CD_SPT_ANY)? */
bool cd_sp_type_ok(enum cd_sp_type t, json_object *value);

/*
 * The variadic functions below take exactly the row's names after p; the
 * macros end the list with CD_SP_END, so a missing or extra name is an
 * error, never a read past the arguments. Call the macros, not the
 * functions with the trailing underscore.
 */
extern const char cd_sp_end[];
#define CD_SP_END cd_sp_end

/**
 * Format path p with its names into buf.
 * @return 0; -EINVAL (p out of range, a bad name, a wrong number of
 *         names) or -ENAMETOOLONG (buf too small); buf holds "" then
 */
int cd_sp_path_(char *buf, size_t len, enum cd_sp p, ...);
#define cd_sp_path(buf, len, ...) cd_sp_path_((buf), (len), __VA_ARGS__, CD_SP_END)

/**
 * Path p for a message: the name (at most one; NULL for none) put in as
 * given, any characters, the text cut to fit buf. Never a path to use.
 * @return buf
 */
const char *cd_sp_text(char *buf, size_t len, enum cd_sp p, const char *name);

/**
 * The value at path p in the state (borrowed), NULL when absent, JSON
 * null, when s is NULL or empty, or when the names are refused.
 */
json_object *cd_sp_get_(const struct cd_state *s, enum cd_sp p, ...);
#define cd_sp_get(s, ...) cd_sp_get_((s), __VA_ARGS__, CD_SP_END)

/** The string at path p, dflt when absent or not a string. Borrowed. */
const char *cd_sp_str_(const struct cd_state *s, const char *dflt, enum cd_sp p, ...);
#define cd_sp_str(s, dflt, ...) cd_sp_str_((s), (dflt), __VA_ARGS__, CD_SP_END)

/** The integer at path p, dflt when absent or not an integer. */
int64_t cd_sp_int_(const struct cd_state *s, int64_t dflt, enum cd_sp p, ...);
#define cd_sp_int(s, dflt, ...) cd_sp_int_((s), (dflt), __VA_ARGS__, CD_SP_END)

/**
 * Append the operation {"op": kind, "path": p(names), "value": value} to
 * the array ops. value is taken over (also on failure); NULL is JSON null
 * (for "test"), "delete" drops it. A "set" must store the row's type.
 * On failure a JSON null is appended instead, so cd_state_apply refuses
 * the whole change: a builder that adds several operations may check
 * only the result of the apply (the change is never applied in part).
 * @return 0; -EINVAL (kind not set/delete/test, bad names, wrong type of
 *         value, ops not an array), -ENAMETOOLONG or -ENOMEM
 */
int cd_sp_op_(json_object *ops, const char *kind, json_object *value, enum cd_sp p, ...);
#define cd_sp_op(ops, kind, value, ...) \
	cd_sp_op_((ops), (kind), (value), __VA_ARGS__, CD_SP_END)

/** Is path exactly p, any valid key standing for each name? */
bool cd_sp_is(const char *path, enum cd_sp p);

/** Is path p itself or a member inside it (any key for each name)? */
bool cd_sp_under(const char *path, enum cd_sp p);

#endif
