/*
 * ctl.h - shared pieces of clusterctl: exit codes, the IPC client, the
 * command table entries.
 */
#ifndef CLUSTERCTL_CTL_H
#define CLUSTERCTL_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

/* Exit codes (documented in --help and docs/clusterctl.md). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,	/* the operation failed or the answer is "no" */
	CTL_EXIT_USAGE = 2,	/* bad command line */
	CTL_EXIT_NO_DAEMON = 3,	/* clusterd is not running on this node */
	CTL_EXIT_ACCESS = 4,	/* not root and not in group haclient */
	CTL_EXIT_TIMEOUT = 5,	/* a wait ran out of time */
	CTL_EXIT_PROTOCOL = 6,	/* clusterd answered something we cannot read */
	CTL_EXIT_RETRY = 100,	/* internal: the caller asked to retry this error */
};

struct ctl_globals {
	bool json;
	const char *prog;
};

struct ctl_conn;

/**
 * Connect to the local clusterd. On failure prints one clear line on
 * stderr and returns NULL with *exit_code set (NO_DAEMON, ACCESS...).
 */
struct ctl_conn *ctl_connect(int *exit_code);
void ctl_disconnect(struct ctl_conn *c);

/**
 * Send a request and wait for its reply.
 * @param args   borrowed, may be NULL
 * @param data   out: the reply's data (new reference, caller puts it),
 *               NULL if the reply has none
 * @return CTL_EXIT_OK; or an exit code after printing the error on stderr
 *         (a refused request prints clusterd's message: CTL_EXIT_FAILED)
 */
int ctl_request(struct ctl_conn *c, const char *cmd, json_object *args,
		json_object **data);

/**
 * As ctl_request, but when clusterd answers with error code retry_code
 * (e.g. "syncing"), print nothing and return CTL_EXIT_RETRY.
 */
int ctl_request_quiet(struct ctl_conn *c, const char *cmd, json_object *args,
		      json_object **data, const char *retry_code);

#define CTL_SYNC_RETRIES 50	/* "syncing" answers retried, 100 ms apart */

/**
 * Connect, send one request (retrying while clusterd answers "syncing", up
 * to 5 s), disconnect. Errors are printed as by ctl_request.
 * @return as ctl_request; *data as ctl_request's
 */
int ctl_call(const char *cmd, json_object *args, json_object **data);

/** ctl_request on an open connection, retrying "syncing" as ctl_call does. */
int ctl_request_sync(struct ctl_conn *c, const char *cmd, json_object *args,
		     json_object **data);

/**
 * For a clusterd that may be starting or syncing (right after create):
 * retry connecting and "syncing" answers until timeout_ms; the reply's data
 * is dropped. @return as ctl_request, CTL_EXIT_TIMEOUT when time ran out
 */
int ctl_call_patient(const char *cmd, json_object *args, int timeout_ms);

/**
 * Wait for the next event.
 * @param timeout_ms  -1 for ever
 * @param name/data   out: the event's name (static buffer) and data (new ref)
 * @return 0 on an event, -ETIMEDOUT, -ENOTCONN (clusterd went away), or
 *         -EPROTO (undecodable event, skipped by callers)
 */
/*
 * Wait until something changed: the next event on a subscribed connection
 * (then drain the queued ones), at most max_ms; without a subscription
 * (ev NULL) sleep min(max_ms, 20) ms, for callers that poll.
 */
void ctl_wait_change(struct ctl_conn *ev, int max_ms);

/*
 * Subscribe c to clusterd's events (requests keep working on it). The reply
 * is the status at subscription: into *snapshot (new reference), or dropped
 * when snapshot is NULL. @return CTL_EXIT_ code
 */
int ctl_subscribe(struct ctl_conn *c, json_object **snapshot);

int ctl_next_event(struct ctl_conn *c, int timeout_ms, const char **name,
		   json_object **data);

/* Commands: argc/argv start at the command name. One file per command
 * (cmd-NAME.c); role, resource, node and storage are tables of verbs
 * (verb.h). */
int cmd_status(struct ctl_globals *g, int argc, char **argv);
int cmd_events(struct ctl_globals *g, int argc, char **argv);
int cmd_wait(struct ctl_globals *g, int argc, char **argv);
int cmd_config(struct ctl_globals *g, int argc, char **argv);
int cmd_audit(struct ctl_globals *g, int argc, char **argv);
int cmd_vm(struct ctl_globals *g, int argc, char **argv);
/* cmd-vm-storage.c: vm move-storage (argv[1] is "move-storage") */
int cmd_vm_move_storage(struct ctl_globals *g, int argc, char **argv);
int cmd_move(struct ctl_globals *g, int argc, char **argv);
/* cmd-cluster.c: making and removing the cluster over ssh */
int cmd_create(struct ctl_globals *g, int argc, char **argv);
int cmd_tls(struct ctl_globals *g, int argc, char **argv);
int cmd_destroy(struct ctl_globals *g, int argc, char **argv);
int cmd_internal_nodes_update(struct ctl_globals *g, int argc, char **argv);
int cmd_role(struct ctl_globals *g, int argc, char **argv);
int cmd_resource(struct ctl_globals *g, int argc, char **argv);
int cmd_node(struct ctl_globals *g, int argc, char **argv);
int cmd_storage(struct ctl_globals *g, int argc, char **argv);
int cmd_quorum(struct ctl_globals *g, int argc, char **argv);
/* cmd-quorum.c: store config.quorum through the local clusterd (create --witness). */
int ctl_quorum_store(const char *mode, const char *url);
/* cmd-disk.c: clustered disks; cmd-validate.c: validate a configuration */
int cmd_disk(struct ctl_globals *g, int argc, char **argv);
int cmd_validate(struct ctl_globals *g, int argc, char **argv);
/* cmd-csv.c: cluster shared volumes */
int cmd_csv(struct ctl_globals *g, int argc, char **argv);

#define CTL_DISK_AGENT		"ocf:clusterd:disk"	/* clustered disks' agent */
#define CTL_MOVE_TIMEOUT_S	300.0	/* move --timeout default, each drain move */

/**
 * Move role @p name to @p node and follow it there, printing as
 * 'clusterctl move' does (cmd-move.c; used by node drain).
 * @param type       "live", "quick", "restart" or NULL (clusterd picks)
 * @param timeout_s  from the request on
 * @return CTL_EXIT_OK, _FAILED (did not move, reason on stderr), _TIMEOUT,
 *         or a failed request's code
 */
int ctl_move_role(struct ctl_globals *g, const char *name, const char *node,
		  const char *type, double timeout_s);

/** The resources of a role (resource-list entries) as a table (cmd-resource.c). */
void ctl_resource_table(json_object *resources);

/* Output helpers (output.c). */
#define CTL_BAR_WIDTH	30
/** The progress bar of pct percent (clamped to 0..100): CTL_BAR_WIDTH
 *  characters, '#' done and '.' to do, into bar (NUL-terminated). */
void ctl_progress_bar(char bar[CTL_BAR_WIDTH + 1], int pct);
void ctl_print_json(json_object *o);
/** A JSON value as text: strings bare, the rest as JSON, NULL as "-". */
const char *ctl_jtext(json_object *v);
void ctl_print_status(json_object *st);
const char *ctl_jstr(json_object *o, const char *key, const char *dflt);
int64_t ctl_jint(json_object *o, const char *key, int64_t dflt);
bool ctl_jbool(json_object *o, const char *key);
/** "name" of a {"id","name"} reference, or "-" */
const char *ctl_jref_name(json_object *o, const char *key);

#endif
