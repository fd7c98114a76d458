/*
 * validate.h - `clusterctl validate`: WSFC-style tests of nodes, networks
 * and storage before (or after) a cluster is trusted with them.
 *
 *   validate-report.c  results, their aggregation and the text, JSON and
 *                      HTML reports (pure: tested in tests/unit/test_validate.c)
 *   validate-checks.c  node inventories (from validate.sh) into results (pure)
 *   validate-pr.c      the SCSI-3 PR compliance test between two nodes
 *   cmd-validate.c     the command: options, ssh jobs, order of the tests
 */
#ifndef CLUSTERCTL_VALIDATE_H
#define CLUSTERCTL_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

enum v_status { V_PASS = 0, V_WARN = 1, V_FAIL = 2 };

#define V_MAX_RESULTS	64
#define V_MAX_DETAILS	48
#define V_MAX_NODES	32
#define V_MAX_LUNS	8

struct v_result {
	char category[24];	/* inventory, network, storage, hypervisor, system */
	char name[64];
	enum v_status status;
	char reason[256];	/* one line */
	size_t n_details;
	char *details[V_MAX_DETAILS];	/* owned */
};

struct v_report {
	char nodes[256];	/* "n1,n2,n3" */
	char started[32];	/* ISO 8601 local time */
	double seconds;
	size_t n;
	struct v_result r[V_MAX_RESULTS];
};

/** "pass", "warning", "fail" */
const char *v_status_name(enum v_status s);

/**
 * Append a result. @return it (details are added with v_detail), or NULL
 * when the report is full
 */
struct v_result *v_add(struct v_report *rep, const char *category,
		       const char *name, enum v_status st, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/** Append a detail line (dropped silently past V_MAX_DETAILS). */
void v_detail(struct v_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Raise r's status to at least st (pass < warning < fail). */
void v_worsen(struct v_result *r, enum v_status st);

/** Counts per status; @return the worst status of the report. */
enum v_status v_summary(const struct v_report *rep, size_t counts[3]);

/** Free every detail. */
void v_report_clear(struct v_report *rep);

/* Renderers. Text: one line per test, details indented, a summary line.
 * JSON: {"nodes","started","seconds","summary":{pass,warning,fail,result},
 * "tests":[{category,name,result,reason,details[]}]}. HTML: one file with
 * inline CSS, no scripts, every test a row with its result. */
void v_render_text(const struct v_report *rep, FILE *f);
json_object *v_render_json(const struct v_report *rep);
void v_render_html(const struct v_report *rep, FILE *f);

/* ---- validate-checks.c ---- */

/* What validate.sh reported for one node (strings owned by the node). */
struct v_node {
	char host[254];		/* how ssh reaches it */
	bool reached;		/* the inventory job ran */
	char why[256];		/* if not */
	char *out;		/* the job's stdout, KEY=VALUE lines (owned) */
	double clock_offset_s;	/* its clock minus ours */
	double clock_error_s;	/* +- */
	bool clock_ok;
};

/** Value of KEY in node's output (first occurrence), or NULL: static copy. */
const char *v_node_get(const struct v_node *nd, const char *key, char *buf, size_t len);

/** Inventory, network, hypervisor and system tests from the inventories. */
void v_check_nodes(struct v_report *rep, struct v_node *nodes, size_t n);

/**
 * Migration encryption: @p tls is the cluster property migration-tls (1, 0)
 * or -1 when unknown (no clusterd here: before create, nothing to check).
 * Off: a warning (only on a dedicated trusted network). On: every node with
 * QEMU must hold the credentials (inventory key tls_creds), else a failure
 * naming it.
 */
void v_check_migration_tls(struct v_report *rep, struct v_node *nodes, size_t n, int tls);

/**
 * VM storage paths (issue 17 item 3; cli/validate-vmstore.c): free space on
 * each directory of the property vm-storage-roots per node, from the
 * inventory key vm_storage_free ("ROOT=KB;ROOT=missing;..."). @p roots the
 * property's value, "" or NULL when unknown (no clusterd here: a pass that
 * says so). Warns when a directory exists on some nodes and not on others
 * (a VM whose files are there cannot run on them), else when one has less
 * than 1 GiB free on a node; the details give every node's MiB per directory.
 */
void v_check_vm_storage(struct v_report *rep, struct v_node *nodes, size_t n, const char *roots);

/**
 * Post-copy migration (issue 20 item 4; cli/validate-postcopy.c): @p users
 * names the VMs (or "the cluster's migration-policy") that use post-copy,
 * "" for none, NULL when unknown (no clusterd here: a pass that says so).
 * Warns when some use it and a node's vm.unprivileged_userfaultfd
 * (inventory key uffd) is 0 or unknown: QEMU runs as clusterd-qemu and
 * cannot take post-copy there. The details give every node's value.
 */
void v_check_postcopy(struct v_report *rep, struct v_node *nodes, size_t n, const char *users);

/**
 * Storage tests of LUN number idx (1-based, the order of --storage):
 * visibility, identity, read/write. @param in_use set when any node saw
 * registrations or a reservation on it
 */
void v_check_lun(struct v_report *rep, struct v_node *nodes, size_t n,
		 int idx, const char *url, bool *in_use, char *use_why, size_t whylen);

/** The lowest x86-64 micro-architecture level all flag sets support. */
const char *v_x86_level(const char *const *flag_sets, size_t n);

/* ---- validate-pr.c ---- */

/**
 * The PR compliance test on url between hosts a and b: register, reserve,
 * a non-holder's write refused, preempt, release, clear, register-and-ignore.
 * Leaves the LUN without registrations. Adds one result.
 */
void v_pr_test(struct v_report *rep, const char *url, const char *a, const char *b);

#endif
