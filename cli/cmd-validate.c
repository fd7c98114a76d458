/*
 * cmd-validate.c - clusterctl validate: run validate.sh on every node over
 * ssh (in parallel, one shared connection per host), the PR compliance test
 * between two nodes, and report (text, --json, --report FILE.html).
 * Works before a cluster exists: it needs only ssh to the nodes as root.
 */
#include "ctl.h"
#include "ssh.h"
#include "validate.h"
#include "iscsi-url.h"
#include "timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* validate.sh, generated into validate-script.c by embed.cmake */
extern const unsigned char ctl_validate_sh[];
extern const size_t ctl_validate_sh_len;

#define JOB_TIMEOUT_MS	60000

static const char help[] =
"Usage: clusterctl validate --nodes HOST,HOST... [--storage URL,URL...]\n"
"                           [--report FILE.html] [--json]\n"
"                           [--force-disruptive-storage-tests]\n"
"Test whether nodes, their networks and shared storage are fit for a failover\n"
"cluster, before or after 'clusterctl create' (over ssh as root, like create):\n"
"  inventory   nodes reachable; OS, kernel; corosync, libqb, clusterd and QEMU\n"
"              versions match\n"
"  network     every node reaches every other on each shared network; latency;\n"
"              MTU agreement; duplicate addresses; corosync's port\n"
"  hypervisor  QEMU present; KVM (or a TCG warning); lowest common CPU model;\n"
"              bridges named the same everywhere\n"
"  system      clock skew; available memory; free disk under /var/lib/clusterd\n"
"  storage     each LUN (iscsi://HOST[:PORT]/TARGET/LUN) visible from every node\n"
"              with the same identity; reads and writes; a SCSI-3 persistent\n"
"              reservation test between two nodes (register, reserve, conflict,\n"
"              preempt, release, register-and-ignore, clear)\n"
"Storage writes and the reservation test only touch a LUN on which nobody is\n"
"registered; --force-disruptive-storage-tests runs the reservation test on a\n"
"LUN in use too (it CLEARS every registration there: never on a live cluster).\n"
"Each test passes, warns or fails with a reason and details. Exit code: 0 when\n"
"nothing failed (warnings allowed), 1 when a test failed, 2 usage.\n";

struct vjob {
	struct v_node *nd;
	struct ctl_ssh_argv sa;
	struct ctl_proc proc;
	char *script;
};

static bool
token_ok(const char *v)
{
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || strchr("+/=._,:-[]", *v)))
			return false;
	return true;
}

/* Script: validate.sh, PEERS, LUNS and ROOTS, then "main OP". */
static int
vjob_init(struct vjob *j, struct v_node *nd, const char *op, const char *peers,
	  const char *luns, const char *roots)
{
	size_t len = ctl_validate_sh_len + strlen(peers) + strlen(luns) + strlen(roots) + 128;
	int o;

	memset(j, 0, sizeof(*j));
	j->nd = nd;
	if (!token_ok(peers) || !token_ok(luns) || !token_ok(roots) ||
	    ctl_ssh_argv_init(&j->sa, nd->host) < 0)
		return -EINVAL;
	j->script = malloc(len);
	if (!j->script)
		return -ENOMEM;
	memcpy(j->script, ctl_validate_sh, ctl_validate_sh_len);
	o = snprintf(j->script + ctl_validate_sh_len, len - ctl_validate_sh_len,
		     "\nPEERS='%s'\nLUNS='%s'\nROOTS='%s'\nmain %s </dev/null\nexit $?\n", peers,
		     luns, roots, op);
	j->proc.argv = j->sa.argv;
	j->proc.input = j->script;
	j->proc.input_len = ctl_validate_sh_len + (size_t)o;
	j->proc.timeout_ms = JOB_TIMEOUT_MS;
	return 0;
}

static void
vjob_clear(struct vjob *j)
{
	free(j->script);
	j->script = NULL;
	ctl_proc_clear(&j->proc);
}

static bool
answered(const struct ctl_proc *p)
{
	return p->status == 0 && p->out &&
	       (strncmp(p->out, "helper=1\n", 9) == 0 || strstr(p->out, "\nhelper=1\n"));
}

/* Run op on every reached node at once; append each answer to its output. */
static void
run_all(struct v_node *nodes, size_t n, const char *op, const char *peers,
	const char *luns, const char *roots, bool first)
{
	struct vjob *jobs = calloc(n, sizeof(*jobs));
	struct ctl_proc **procs = calloc(n, sizeof(*procs));
	size_t i, k = 0;

	if (!jobs || !procs)
		goto out;
	for (i = 0; i < n; i++) {
		if (!first && !nodes[i].reached)
			continue;
		if (vjob_init(&jobs[k], &nodes[i], op, peers, luns, roots) < 0) {
			snprintf(nodes[i].why, sizeof(nodes[i].why), "bad host name or argument");
			vjob_clear(&jobs[k]);
			continue;
		}
		procs[k] = &jobs[k].proc;
		k++;
	}
	ctl_proc_run(procs, k, NULL, NULL);
	for (i = 0; i < k; i++) {
		struct v_node *nd = jobs[i].nd;

		if (answered(&jobs[i].proc)) {
			size_t old = nd->out ? strlen(nd->out) : 0;
			char *p = realloc(nd->out, old + jobs[i].proc.out_len + 1);

			if (p) {
				memcpy(p + old, jobs[i].proc.out, jobs[i].proc.out_len + 1);
				nd->out = p;
			}
			if (first)
				nd->reached = true;
		} else if (first) {
			snprintf(nd->why, sizeof(nd->why), "%s", ctl_proc_reason(&jobs[i].proc));
		}
		vjob_clear(&jobs[i]);
	}
out:
	free(jobs);
	free(procs);
}

/* Each node's clock against ours, one node at a time on the warm ssh
 * connection: offset = its time - our time when its answer arrived, with
 * the round trip as the error bound. */
static void
measure_clocks(struct v_node *nodes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct vjob j;
		struct ctl_proc *p = &j.proc;
		struct timespec t0, t1;
		char buf[64];

		if (!nodes[i].reached || vjob_init(&j, &nodes[i], "time", "", "", "") < 0)
			continue;
		clock_gettime(CLOCK_REALTIME, &t0);
		ctl_proc_run(&p, 1, NULL, NULL);
		clock_gettime(CLOCK_REALTIME, &t1);
		if (answered(p)) {
			struct v_node tmp = { .out = p->out };

			if (v_node_get(&tmp, "time_ns", buf, sizeof(buf))) {
				double remote = atof(buf) / 1e9;
				double t1s = (double)t1.tv_sec + (double)t1.tv_nsec / 1e9;
				double t0s = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9;

				nodes[i].clock_offset_s = remote - t1s;
				nodes[i].clock_error_s = t1s - t0s;
				nodes[i].clock_ok = true;
			}
		}
		vjob_clear(&j);
	}
}

/* All IPv4 addresses of the reached nodes: "a,b,c". */
static void
all_addrs(struct v_node *nodes, size_t n, char *out, size_t len)
{
	char buf[2048], *save = NULL, *item;
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!nodes[i].reached || !v_node_get(&nodes[i], "addrs", buf, sizeof(buf)))
			continue;
		for (item = strtok_r(buf, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
			char *comma = strchr(item, ','), *slash;

			if (!comma)
				continue;
			slash = strchr(comma + 1, '/');
			if (slash)
				*slash = '\0';
			if (o + strlen(comma + 1) + 2 < len)
				o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "", comma + 1);
		}
		save = NULL;
	}
}

static bool
sees_lun(const struct v_node *nd, int idx)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "lun%d_pr={\"command\":\"connect\",\"ok\":true", idx);
	return nd->reached && nd->out && strstr(nd->out, pat);
}

struct opts {
	char *nodes_arg, *storage_arg;
	const char *report;
	bool force;
};

static int
parse(struct ctl_globals *g, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "storage", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "force-disruptive-storage-tests", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': o->nodes_arg = optarg; break;
		case 's': o->storage_arg = optarg; break;
		case 'r': o->report = optarg; break;
		case 'j': g->json = true; break;
		case 'F': o->force = true; break;
		case 'h': fputs(help, stdout); return -1;
		default: goto usage;
		}
	}
	if (optind != argc || !o->nodes_arg) {
		fprintf(stderr, "clusterctl validate: --nodes HOST,HOST... is required\n");
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "Try 'clusterctl validate --help'.\n");
	return CTL_EXIT_USAGE;
}

/* Split and check --nodes and --storage. @return 0 or CTL_EXIT_USAGE */
static int
split_args(struct opts *o, struct v_node *nodes, size_t *n, char luns[][600],
	   size_t *nl, char *lunlist, size_t lllen)
{
	char *save = NULL, *w, why[160];
	size_t i, k;

	for (w = strtok_r(o->nodes_arg, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!ctl_host_valid(w) || *n == V_MAX_NODES) {
			fprintf(stderr, "clusterctl validate: bad or too many hosts at '%s'\n", w);
			return CTL_EXIT_USAGE;
		}
		for (i = 0; i < *n; i++)
			if (strcmp(nodes[i].host, w) == 0) {
				fprintf(stderr, "clusterctl validate: host %s given twice\n", w);
				return CTL_EXIT_USAGE;
			}
		snprintf(nodes[(*n)++].host, sizeof(nodes[0].host), "%s", w);
	}
	save = NULL;
	lunlist[0] = '\0';
	for (w = o->storage_arg ? strtok_r(o->storage_arg, ",", &save) : NULL; w;
	     w = strtok_r(NULL, ",", &save)) {
		struct cd_iscsi_url u;

		if (cd_iscsi_url_parse(w, &u, why, sizeof(why)) < 0 || *nl == V_MAX_LUNS) {
			fprintf(stderr, "clusterctl validate: --storage '%s': %s\n", w,
				*nl == V_MAX_LUNS ? "too many LUNs" : why);
			return CTL_EXIT_USAGE;
		}
		cd_iscsi_url_format(&u, luns[*nl], 600);
		k = strlen(lunlist);
		snprintf(lunlist + k, lllen - k, "%s%s", k ? "," : "", luns[*nl]);
		(*nl)++;
	}
	if (*n == 0) {
		fprintf(stderr, "clusterctl validate: --nodes is empty\n");
		return CTL_EXIT_USAGE;
	}
	return 0;
}

static void
storage_tests(struct v_report *rep, struct v_node *nodes, size_t n, char luns[][600],
	      size_t nl, bool force)
{
	size_t l, i;

	for (l = 0; l < nl; l++) {
		bool in_use = false;
		char why[256];
		const char *a = NULL, *b = NULL;
		struct v_result *r;

		v_check_lun(rep, nodes, n, (int)l + 1, luns[l], &in_use, why, sizeof(why));
		for (i = 0; i < n; i++) {
			if (!sees_lun(&nodes[i], (int)l + 1))
				continue;
			if (!a)
				a = nodes[i].host;
			else if (!b)
				b = nodes[i].host;
		}
		if (in_use && !force) {
			r = v_add(rep, "storage", "SCSI-3 persistent reservations", V_WARN,
				  "%s is in use (%s): not tested", luns[l], why);
			v_detail(r, "the test clears every registration: it runs only on a LUN "
				 "nobody uses, or with --force-disruptive-storage-tests");
		} else if (!a || !b) {
			r = v_add(rep, "storage", "SCSI-3 persistent reservations", V_FAIL,
				  "%s: the test needs two nodes that see the LUN", luns[l]);
		} else {
			v_pr_test(rep, luns[l], a, b);
		}
	}
}

/* Does the VM definition at path (read here, when it can be) name a
 * migration policy? Its value into pol, "" when none or unreadable. */
static void
def_policy(const char *path, char *pol, size_t len)
{
	struct stat st;
	json_object *def, *v;

	pol[0] = '\0';
	if (!path || stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
		return;
	def = json_object_from_file(path);
	if (def && json_object_object_get_ex(def, "migration_policy", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(pol, len, "%s", json_object_get_string(v));
	json_object_put(def);
}

/* The VMs whose migration policy is postcopy (their definition's, else the
 * cluster's migration-policy) into users, comma-separated. */
static void
postcopy_users(json_object *data, const char *cluster_policy, char *users, size_t len)
{
	json_object *rscs = NULL, *st = NULL, *cfg = NULL;

	users[0] = '\0';
	if (!json_object_object_get_ex(data, "state", &st) ||
	    !json_object_object_get_ex(st, "config", &cfg) ||
	    !json_object_object_get_ex(cfg, "resources", &rscs) ||
	    !json_object_is_type(rscs, json_type_object))
		return;
	json_object_object_foreach(rscs, id, r) {
		json_object *params = NULL, *v = NULL;
		char pol[32];

		if (strcmp(ctl_jstr(r, "agent", ""), "ocf:clusterd:vm"))
			continue;
		json_object_object_get_ex(r, "params", &params);
		if (params)
			json_object_object_get_ex(params, "config", &v);
		def_policy(v ? json_object_get_string(v) : NULL, pol, sizeof(pol));
		if (strcmp(pol[0] ? pol : cluster_policy, "postcopy"))
			continue;
		if (strlen(users) + strlen(id) + 3 < len)
			snprintf(users + strlen(users), len - strlen(users), "%s%s",
				 users[0] ? ", " : "", id);
	}
}

/* The cluster properties validate checks against, from clusterd here:
 * @return migration-tls 1, 0, or -1 (no clusterd, or no answer); @p roots
 * vm-storage-roots, "" when unknown; @p users the VMs that use post-copy,
 * *known false without clusterd. */
static int
cluster_props(char *roots, size_t len, char *users, size_t ulen, bool *known)
{
	json_object *data = NULL, *props = NULL, *v;
	struct ctl_conn *c;
	int rc, tls = -1;

	roots[0] = '\0';
	users[0] = '\0';
	*known = false;
	c = ctl_connect(&rc);
	if (!c)
		return -1;
	if (ctl_request(c, "config-show", NULL, &data) == 0 &&
	    json_object_object_get_ex(data, "properties", &props) &&
	    json_object_object_get_ex(props, "migration-tls", &v) &&
	    json_object_is_type(v, json_type_boolean))
		tls = json_object_get_boolean(v);
	if (props && json_object_object_get_ex(props, "vm-storage-roots", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(roots, len, "%s", json_object_get_string(v));
	if (data) {
		const char *pol = "";

		if (props && json_object_object_get_ex(props, "migration-policy", &v) &&
		    json_object_is_type(v, json_type_string))
			pol = json_object_get_string(v);
		postcopy_users(data, pol, users, ulen);
		*known = true;
	}
	ctl_disconnect(c);
	json_object_put(data);
	return tls;
}

int
cmd_validate(struct ctl_globals *g, int argc, char **argv)
{
	static struct v_node nodes[V_MAX_NODES];
	static struct v_report rep;
	static char luns[V_MAX_LUNS][600], lunlist[V_MAX_LUNS * 601], peers[8192], roots[1024];
	static char pcusers[1024];
	bool pcknown;
	struct opts o = { 0 };
	size_t n = 0, nl = 0, i, counts[3];
	uint64_t t0 = cd_now_mono_ms();
	time_t now = time(NULL);
	struct tm tm;
	int rc, tls;

	rc = parse(g, argc, argv, &o);
	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	rc = split_args(&o, nodes, &n, luns, &nl, lunlist, sizeof(lunlist));
	if (rc)
		return rc;
	memset(&rep, 0, sizeof(rep));
	snprintf(rep.nodes, sizeof(rep.nodes), "%s", nodes[0].host);
	for (i = 1; i < n; i++)
		snprintf(rep.nodes + strlen(rep.nodes), sizeof(rep.nodes) - strlen(rep.nodes),
			 ",%s", nodes[i].host);
	localtime_r(&now, &tm);
	strftime(rep.started, sizeof(rep.started), "%Y-%m-%d %H:%M:%S", &tm);
	if (!g->json)
		fprintf(stderr, "Validating %s%s%s ...\n", rep.nodes, nl ? " and " : "",
			nl ? lunlist : "");

	ctl_ssh_mux_begin();
	tls = cluster_props(roots, sizeof(roots), pcusers, sizeof(pcusers), &pcknown);
	if (!token_ok(roots)) {
		fprintf(stderr, "clusterctl validate: vm-storage-roots '%s' has characters "
			"validate does not pass over ssh: its paths are not checked\n", roots);
		roots[0] = '\0';
	}
	run_all(nodes, n, "inventory", "", lunlist, roots, true);
	all_addrs(nodes, n, peers, sizeof(peers));
	run_all(nodes, n, "ping", peers, "", "", false);
	measure_clocks(nodes, n);
	v_check_nodes(&rep, nodes, n);
	v_check_migration_tls(&rep, nodes, n, tls);
	v_check_vm_storage(&rep, nodes, n, roots);
	v_check_postcopy(&rep, nodes, n, pcknown ? pcusers : NULL);
	storage_tests(&rep, nodes, n, luns, nl, o.force);
	ctl_ssh_mux_end();
	rep.seconds = (double)(cd_now_mono_ms() - t0) / 1000.0;

	if (g->json) {
		json_object *j = v_render_json(&rep);

		ctl_print_json(j);
		json_object_put(j);
	} else {
		v_render_text(&rep, stdout);
	}
	if (o.report) {
		FILE *f = fopen(o.report, "w");

		if (!f || (v_render_html(&rep, f), fclose(f)) != 0) {
			fprintf(stderr, "clusterctl validate: cannot write %s: %s\n", o.report,
				strerror(errno));
			rc = CTL_EXIT_FAILED;
		} else if (!g->json) {
			fprintf(stderr, "HTML report: %s\n", o.report);
		}
	}
	if (v_summary(&rep, counts) == V_FAIL)
		rc = CTL_EXIT_FAILED;
	v_report_clear(&rep);
	for (i = 0; i < n; i++)
		free(nodes[i].out);
	return rc;
}
