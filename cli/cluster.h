/*
 * cluster.h - what clusterctl's create, destroy and node add/remove share:
 * the cluster definition and its two files (cconf.c), and remote jobs on
 * the nodes over ssh (remote.c).
 */
#ifndef CLUSTERCTL_CLUSTER_H
#define CLUSTERCTL_CLUSTER_H

#include "ssh.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CL_MAX_NODES 32
#define CL_NAME_MAX 63		/* cluster and node names */
#define CL_ADDR_MAX 63
#define CL_UUID_MAX 39
#define CL_TOKEN_DEFAULT_MS 3000
#define CL_TOKEN_MIN_MS 100
#define CL_TOKEN_MAX_MS 60000

#define CL_COROSYNC_CONF "/etc/corosync/corosync.conf"
#define CL_AUTHKEY "/etc/corosync/authkey"
#define CL_CLUSTERD_CONF "/etc/clusterd/clusterd.conf"

struct cl_node_def {
	char name[CL_NAME_MAX + 1];
	char addr[CL_ADDR_MAX + 1];
	uint32_t id;
};

/* A cluster as its configuration files describe it. */
struct cl_def {
	char name[CL_NAME_MAX + 1];
	char uuid[CL_UUID_MAX + 1];	/* "" when only corosync.conf was read */
	unsigned token_ms;		/* 0 when unknown */
	bool witness_device;		/* quorum.device (model Witness, issue 5) */
	size_t n;
	struct cl_node_def nodes[CL_MAX_NODES];
};

/* ---- cconf.c: names, the files, comparisons (pure, no I/O but urandom) */

/** Cluster name: [A-Za-z0-9_.-]{1,63}, starting with a letter or digit. */
bool cl_valid_cluster_name(const char *s);
/** Node name: [A-Za-z0-9_.-]{1,63}. */
bool cl_valid_node_name(const char *s);
/** A ring address: IPv4 or IPv6 literal characters, 1..63. */
bool cl_valid_addr(const char *s);

/** 32 lowercase hex digits from getrandom(). @return 0 or -errno */
int cl_uuid_new(char out[CL_UUID_MAX + 1]);

/** Sort the nodes by id (the order of both files). */
void cl_def_sort(struct cl_def *d);
const struct cl_node_def *cl_def_find(const struct cl_def *d, const char *name);
uint32_t cl_def_max_id(const struct cl_def *d);
/** Same node names with the same addresses (ids and order aside). */
bool cl_same_nodes(const struct cl_def *a, const struct cl_def *b);
/** "n1,n2,n3" into @p buf */
const char *cl_node_list(const struct cl_def *d, char *buf, size_t len);

/**
 * corosync.conf for @p d (knet, aes256/sha256, votequorum, two_node with
 * exactly two nodes unless there is a witness device, nodelist sorted by
 * id). With witness_device: quorum.device { model: Witness; votes: 1;
 * timeout: 3 x token; sync_timeout: 2 x token } and no two_node (corosync
 * refuses both together; expected_votes is left to corosync: nodes + 1). The same definition always
 * gives the same bytes. @return malloc'd text (caller frees), NULL on ENOMEM
 */
char *cl_corosync_conf(const struct cl_def *d);

/**
 * Read cluster_name, totem.token and the nodelist from corosync.conf text.
 * @return 0, or -EINVAL with a reason in @p err
 */
int cl_corosync_conf_parse(const char *text, struct cl_def *d,
			   char *err, size_t errlen);

/** clusterd.conf: {"cluster_name", "uuid", "nodes": {name: {id, addr}}}.
 *  @return malloc'd text (caller frees), NULL on ENOMEM */
char *cl_clusterd_conf(const struct cl_def *d);

/** Parse clusterd.conf text. @return 0, or -EINVAL with a reason in @p err */
int cl_clusterd_conf_parse(const char *text, struct cl_def *d,
			   char *err, size_t errlen);

/** {name: {"id", "addr"}} of @p d (new reference). */
json_object *cl_nodes_json(const struct cl_def *d);

/* ---- remote.c: jobs on nodes */

/* One run of the helper script (remote.sh) on one host. */
struct cl_job {
	char host[CTL_HOST_MAX + 1];
	char *script;			/* owned */
	size_t script_len;
	struct ctl_ssh_argv sa;
	struct ctl_proc proc;
};

/* Variables for the helper, NULL-terminated name/value pairs. Values must
 * be tokens of [A-Za-z0-9+/=._,:-] (base64 for anything else). */
/**
 * Prepare a job running helper operation @p op on @p host.
 * @return 0, -EINVAL (bad host or value), -ENOMEM
 */
int cl_job_init(struct cl_job *j, const char *host, const char *op,
		const char *const *vars, int timeout_ms);
void cl_job_clear(struct cl_job *j);

/**
 * Run the jobs concurrently; @p done (may be NULL) is called as each one
 * ends, for progress lines.
 */
void cl_jobs_run(struct cl_job *const *jobs, size_t n,
		 void (*done)(struct cl_job *j, void *arg), void *arg);

/**
 * How the job went. @return 0 when the helper ran and succeeded; else its
 * exit status (255: ssh could not connect or log in) with a one-line
 * reason in @p why (static buffer of ctl_proc_reason or a fixed text).
 */
int cl_job_result(const struct cl_job *j, const char **why);

/** Value of KEY in the helper's output: malloc'd copy, NULL if absent. */
char *cl_job_value(const struct cl_job *j, const char *key);

/* ---- steps.c: one helper operation on many nodes at once ---- */

enum cl_cur { CL_CUR_NONE, CL_CUR_DEF, CL_CUR_BAD };

/* One node being worked on, and what its last remote job found. */
struct cl_node {
	char host[CTL_HOST_MAX + 1];	/* how ssh reaches it */
	struct cl_job job;
	int rc;				/* last job: 0 ok, else its status */
	char why[320];			/* last job: reason, or progress note */
	char *value;			/* last job: a value it returned (owned) */

	/* from the probe */
	bool ready;			/* reachable, packages, service manager */
	char name[CL_NAME_MAX + 1], addr[CL_ADDR_MAX + 1];
	bool cs_running, cd_running;
	char key_sha[65];		/* sha256 of its authkey, "" if none */
	bool has_tls_ca;		/* holds the cluster CA (migration TLS) */
	enum cl_cur cur_kind;		/* what its files say it belongs to */
	struct cl_def cur;

	/* decisions and results */
	bool same;			/* its files already describe our cluster */
	bool wants_key;
	bool changed_conf, changed_key, changed_cdconf;
	bool started;			/* something was started, reloaded... */
	char flags[64];			/* corosync-quorumtool Flags after the wait */
};

/* The files to install (base64; NULL: leave that file alone). */
struct cl_payload {
	char *conf_b64, *key_b64, *cdconf_b64;
};

#define CL_WAIT_TIMEOUT_S 60

/** Probe: reachable, host name, address, packages, service manager,
 *  running daemons, present configuration. @return nodes not fit */
size_t cl_probe(struct cl_node **nodes, size_t n);
/** Install the payload (the key only where wants_key), then start, reload
 *  or restart what the files need. @return failures */
size_t cl_apply(struct cl_node **nodes, size_t n, const struct cl_payload *pl,
		const char *uuid);
/** Every node sees @p members members, quorate. @return a CTL_EXIT_ code */
int cl_wait(struct cl_node **nodes, size_t n, size_t members);
/** Stop clusterd and corosync, remove the files. @return failures */
size_t cl_destroy(struct cl_node **nodes, size_t n);
/** Check the witness LUN @p url from each node (`clusterctl quorum check`
 *  there: login, register and remove a test key); a failed node's why says
 *  what went wrong. @return how many nodes cannot use it */
size_t cl_witness_check(struct cl_node **nodes, size_t n, const char *url);
/** The authkey of @p nd (getkey), base64, malloc'd; NULL on failure. */
char *cl_get_key(struct cl_node *nd);
/** A new authkey: corosync-keygen here if possible, else on @p nd. */
char *cl_new_key(struct cl_node *nd);
/* The cluster CA of migration TLS (remote.sh tlsca/tlsget/tls; issue 16):
 * PEM files, base64. */
struct cl_tls_ca {
	char *cert_b64, *key_b64;
};
/** A new CA, made on @p nd with certtool. @return 0, or -1 (printed) */
int cl_tls_ca_new(struct cl_node *nd, struct cl_tls_ca *ca);
/** The CA @p nd holds. @return 0, or -1 (printed) */
int cl_tls_ca_get(struct cl_node *nd, struct cl_tls_ca *ca);
/** Wipe the key and free. */
void cl_tls_ca_clear(struct cl_tls_ca *ca);
/** Install @p ca on each node (and @p old_cert_b64 as also trusted, or
 *  NULL); each node makes its own key and certificate signed by it (kept
 *  when one of this CA exists, unless @p rotate). @return failures */
size_t cl_tls_install(struct cl_node **nodes, size_t n, const struct cl_tls_ca *ca,
		      const char *old_cert_b64, bool rotate);
/** nodes-update to clusterd: locally if @p local_ok, else over ssh on @p nd.
 *  @return a CTL_EXIT_ code */
int cl_nodes_update(const struct cl_def *d, bool local_ok, struct cl_node *nd);

/** Read a small text file (1 MiB at most): malloc'd, NULL + errno. */
char *cl_read_text(const char *path);
/** This machine's short host name. */
void cl_local_name(char *buf, size_t len);
/** Free what the node holds (not the struct). */
void cl_node_clear(struct cl_node *nd);

/* ---- nodeset.c: what the cluster commands share ---- */

/* The nodes a command works on: storage, and the pointer array of steps. */
struct cl_nodeset {
	struct cl_node nd[CL_MAX_NODES + 1];
	struct cl_node *p[CL_MAX_NODES + 1];
	size_t n;
};

/** calloc'd (prints on ENOMEM and returns NULL); free with cl_nodeset_free */
struct cl_nodeset *cl_nodeset_new(void);
void cl_nodeset_free(struct cl_nodeset *s);
/** Append a node reached as @p host; NULL when full. */
struct cl_node *cl_nodeset_add(struct cl_nodeset *s, const char *host);
struct cl_node *cl_nodeset_by_name(struct cl_nodeset *s, const char *name);
/** "h1,h2,..." into @p s. @return 0, or CTL_EXIT_USAGE (printed) */
int cl_parse_hosts(const char *cmd, const char *list, struct cl_nodeset *s);
/** "Try 'clusterctl CMD --help'." @return CTL_EXIT_USAGE */
int cl_bad_usage(const char *cmd);
/** This node's cluster: clusterd.conf, and the token of corosync.conf.
 *  @return 0, or CTL_EXIT_FAILED (printed) */
int cl_read_local_cluster(const char *cmd, struct cl_def *d);
/** Render the files of @p d; takes over @p key_b64 (may be NULL).
 *  @return 0 or CTL_EXIT_FAILED; cl_payload_clear frees in any case */
int cl_payload_make(const struct cl_def *d, char *key_b64, struct cl_payload *pl);
void cl_payload_clear(struct cl_payload *pl);
/** Configure @p first, then @p then (a new node starts once the others
 *  accept it), then wait until all of @p s see @p d. @return CTL_EXIT_ */
int cl_apply_all(const char *cmd, struct cl_nodeset *s, struct cl_node **first,
		 size_t nfirst, struct cl_node **then, size_t nthen,
		 const struct cl_def *d, const struct cl_payload *pl);
/** The result: JSON, or @p headline and a node table, on stdout. */
struct ctl_globals;
void cl_print_summary(struct ctl_globals *g, const char *headline,
		      const struct cl_def *d, struct cl_nodeset *s, bool changed,
		      uint64_t t0);
/** Did any node get a new file or a (re)started or reloaded daemon? */
bool cl_anything_changed(struct cl_nodeset *s);

/* ---- cmd-quorum.c: the witness in the cluster commands */

/** Does corosync.conf get the witness device (quorum.device), by
 *  cd_witness_wanted() (lib/witness-disk.h), for a cluster of @p nodes, with config.quorum read from the
 *  local clusterd; @p fallback (say, the current corosync.conf) when
 *  clusterd cannot tell (a warning is printed). */
bool cl_quorum_device_for(const char *cmd, size_t nodes, bool fallback);
/** Check the witness @p url from every node of @p s (cl_witness_check);
 *  names those that cannot use it. @return CTL_EXIT_OK or CTL_EXIT_FAILED */
int cl_quorum_check_nodes(const char *cmd, struct cl_nodeset *s, const char *url);
/** node add: when the witness votes with @p nodes nodes (the count after
 *  the add), check it from the new node @p nw first. @return CTL_EXIT_ code */
int cl_quorum_check_new_node(const char *cmd, struct cl_node *nw, size_t nodes);

/** Base64 (RFC 4648, no line breaks). malloc'd, NULL on ENOMEM. */
char *cl_b64_encode(const void *data, size_t len);
/** Decode; NULL on bad input or ENOMEM; *len (may be NULL) gets the size;
 *  the result is NUL-terminated. */
char *cl_b64_decode(const char *s, size_t *len);

#endif
