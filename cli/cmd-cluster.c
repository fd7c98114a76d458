/*
 * cmd-cluster.c - clusterctl create, destroy, node add, node remove (and
 * the hidden internal-nodes-update): making and changing a cluster over ssh.
 *
 * Each command first checks every node it touches and changes nothing
 * unless all are fit; then it installs the files (only those whose content
 * differs), starts, reloads or restarts what must be, and waits until every
 * node sees the cluster it should. Progress on stderr, the result on stdout.
 */
#include "ctl.h"
#include "cluster.h"
#include "valid.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- create ---- */

struct create_opts {
	const char *name;
	unsigned token_ms;
	bool force;
	const char *witness;	/* --witness URL (issue 5) */
	const char *ip;		/* --ip ADDR/PREFIX: the cluster access point */
};

/*
 * The cluster access point (WSFC's "cluster name" resource): a role of its
 * own, placed first, holding the address with Debian's IPaddr2. Added once:
 * a re-run of create keeps what exists.
 */
static int
add_cluster_ip(const char *cidr)
{
	json_object *args, *params;
	char addr[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(cidr, '/');
	int rc;

	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - cidr), cidr);
	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string("cluster-ip"));
	json_object_object_add(args, "priority", json_object_new_int(1000));
	rc = ctl_call_patient("role-show", args, 30000);
	if (rc != CTL_EXIT_OK) {
		rc = ctl_call_patient("role-add", args, 30000);
		if (rc) {
			json_object_put(args);
			return rc;
		}
	}
	json_object_put(args);
	args = json_object_new_object();
	json_object_object_add(args, "id", json_object_new_string("cluster-ip-addr"));
	rc = ctl_call_patient("resource-show", args, 30000);
	if (rc == CTL_EXIT_OK) {
		json_object_put(args);
		return 0;
	}
	params = json_object_new_object();
	json_object_object_add(params, "ip", json_object_new_string(addr));
	json_object_object_add(params, "cidr_netmask", json_object_new_string(slash + 1));
	json_object_object_add(args, "agent", json_object_new_string("ocf:heartbeat:IPaddr2"));
	json_object_object_add(args, "role", json_object_new_string("cluster-ip"));
	json_object_object_add(args, "params", params);
	json_object_object_add(args, "monitor_interval_ms", json_object_new_int(5000));
	rc = ctl_call_patient("resource-add", args, 30000);
	json_object_put(args);
	return rc;
}

static bool
check_membership(const struct create_opts *o, const struct cl_def *d,
		 struct cl_node *nd)
{
	char list[512];

	nd->same = false;
	if (nd->cur_kind == CL_CUR_NONE)
		return true;
	if (nd->cur_kind == CL_CUR_BAD) {
		if (o->force)
			return true;
		fprintf(stderr, "%s: has a cluster configuration clusterctl cannot read "
			"(%s, %s); --force replaces it\n", nd->host, CL_COROSYNC_CONF,
			CL_CLUSTERD_CONF);
		return false;
	}
	nd->same = strcmp(nd->cur.name, d->name) == 0 && cl_same_nodes(&nd->cur, d);
	if (nd->same || o->force)
		return true;
	cl_node_list(&nd->cur, list, sizeof(list));
	if (strcmp(nd->cur.name, d->name) == 0)
		fprintf(stderr, "%s: belongs to cluster '%s' with other nodes (%s); "
			"'clusterctl node add/remove' changes a cluster, --force makes "
			"it anew\n", nd->host, nd->cur.name, list);
	else
		fprintf(stderr, "%s: belongs to cluster '%s' (nodes %s); 'clusterctl "
			"destroy' there first, or --force to take it over\n", nd->host,
			nd->cur.name, list);
	return false;
}

/* Node names and addresses from the probes, ids 1..n in the given order. */
static bool
define_nodes(struct cl_def *d, struct cl_nodeset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct cl_node_def *nd = &d->nodes[i];

		snprintf(nd->name, sizeof(nd->name), "%s", s->nd[i].name);
		snprintf(nd->addr, sizeof(nd->addr), "%s", s->nd[i].addr);
		nd->id = (uint32_t)i + 1;
		for (size_t k = 0; k < i; k++) {
			if (strcmp(d->nodes[k].name, nd->name) == 0 ||
			    strcmp(d->nodes[k].addr, nd->addr) == 0) {
				fprintf(stderr, "clusterctl create: %s and %s are the same node "
					"or have the same name (%s %s, %s %s)\n", s->nd[k].host,
					s->nd[i].host, d->nodes[k].name, d->nodes[k].addr,
					nd->name, nd->addr);
				return false;
			}
		}
	}
	d->n = s->n;
	return true;
}

/* On a re-run, keep the ids, the uuid and the key the nodes already have. */
static int
reuse_identity(const struct create_opts *o, struct cl_def *d, struct cl_nodeset *s,
	       const char **key_sha)
{
	const struct cl_node *first = NULL;
	bool keys_agree = true;

	*key_sha = NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct cl_node *nd = &s->nd[i];

		if (!nd->same)
			continue;
		if (!first) {
			first = nd;
			for (size_t k = 0; k < d->n; k++)
				d->nodes[k].id = cl_def_find(&nd->cur, d->nodes[k].name)->id;
		}
		if (nd->cur.uuid[0]) {
			if (!d->uuid[0]) {
				snprintf(d->uuid, sizeof(d->uuid), "%s", nd->cur.uuid);
			} else if (strcmp(d->uuid, nd->cur.uuid)) {
				if (!o->force) {
					fprintf(stderr, "clusterctl create: the nodes disagree on "
						"the uuid of cluster '%s' (%s: %s, another: %s); "
						"--force makes it anew\n", d->name, nd->host,
						nd->cur.uuid, d->uuid);
					return CTL_EXIT_FAILED;
				}
				d->uuid[0] = '\0';
				break;
			}
		}
		if (!nd->key_sha[0] || (*key_sha && strcmp(*key_sha, nd->key_sha)))
			keys_agree = false;
		else if (!*key_sha)
			*key_sha = nd->key_sha;
	}
	if (!keys_agree)
		*key_sha = NULL;
	cl_def_sort(d);
	return CTL_EXIT_OK;
}

static int
create_opts(struct ctl_globals *g, int argc, char **argv, struct create_opts *o,
	    const char **nodes)
{
	static const char help[] =
"Usage: clusterctl create NAME --nodes HOST1,HOST2,... [--token MS] [--force]\n"
"                         [--json]\n"
"Create cluster NAME on the nodes, from any machine that reaches them over ssh\n"
"as root with keys (BatchMode: never a password prompt).\n"
"First every node is checked, and nothing changes unless all are fit: ssh\n"
"works; corosync, corosync-keygen, corosync-cfgtool, clusterd and clusterctl\n"
"are installed; a service manager runs (systemd, or CLUSTERD_SERVICE_CMD); the\n"
"node belongs to no other cluster. Then corosync.conf (knet, aes256/sha256),\n"
"a fresh authkey and clusterd.conf are installed on every node, corosync and\n"
"clusterd started, and clusterctl waits (60 s at most) until every node sees\n"
"all nodes as members, quorate.\n"
"Node names are the nodes' host names; ring addresses are the addresses ssh\n"
"reached. Running the same command again changes and restarts nothing.\n"
"  --nodes H,...  the nodes (host names or addresses), 1 to 32\n"
"  --token MS     corosync token timeout (default 3000, 100..60000)\n"
"  --witness URL  a disk witness (iscsi://PORTAL/IQN/LUN): quorum mode auto,\n"
"                 i.e. node and disk majority with an even node count; checked\n"
"                 from every node first (clusterctl quorum check)\n"
"  --ip A.B.C.D/N the cluster's access point: a core role 'cluster-ip' holding\n"
"                 this address (ocf:heartbeat:IPaddr2) on whichever node runs it\n"
"  --force        take over nodes that belong to another cluster\n"
"  --json         print the result as JSON\n";
	static const struct option longopts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "witness", required_argument, NULL, 'w' },
		{ "ip", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char why[256];
	int64_t v;
	int c;

	optind = 1;
	/* No '+': options may follow NAME. */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': *nodes = optarg; break;
		case 't':
			/* milliseconds, or with a unit (V4) */
			if (cd_valid_duration("--token", optarg, 1, CL_TOKEN_MIN_MS,
					      CL_TOKEN_MAX_MS, &v, why, sizeof(why))) {
				fprintf(stderr, "clusterctl create: %s\n", why);
				return CTL_EXIT_USAGE;
			}
			o->token_ms = (unsigned)v;
			break;
		case 'f': o->force = true; break;
		case 'w': o->witness = optarg; break;
		case 'i':
			if (cd_valid_cidr4("--ip", optarg, NULL, NULL, why, sizeof(why))) {
				fprintf(stderr, "clusterctl create: %s (the address with "
					"its prefix, e.g. 10.0.0.100/24)\n", why);
				return CTL_EXIT_USAGE;
			}
			o->ip = optarg;
			break;
		case 'j': g->json = true; break;
		case 'h': fputs(help, stdout); return -1;
		default: return cl_bad_usage("create");
		}
	}
	if (optind < argc)
		o->name = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "clusterctl create: unexpected argument '%s'\n", argv[optind]);
		return cl_bad_usage("create");
	}
	if (!o->name || !*nodes) {
		fprintf(stderr, "clusterctl create: NAME and --nodes are required\n");
		return cl_bad_usage("create");
	}
	if (cd_valid_name(CD_NAME_CLUSTER, o->name, why, sizeof(why))) {
		fprintf(stderr, "clusterctl create: %s\n", why);
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

/* The key: reuse the one the nodes share (fetched only if a node lacks it),
 * else a new one for every node. @return base64 (malloc'd) or NULL if none
 * is needed; *rc set on failure. */
static char *
choose_key(struct cl_nodeset *s, const char *key_sha, int *rc)
{
	struct cl_node *src = NULL;
	bool need = false;
	char *key;

	*rc = CTL_EXIT_OK;
	for (size_t i = 0; i < s->n; i++) {
		struct cl_node *nd = &s->nd[i];

		nd->wants_key = !key_sha || strcmp(nd->key_sha, key_sha) != 0;
		need = need || nd->wants_key;
		if (key_sha && !src && nd->same && strcmp(nd->key_sha, key_sha) == 0)
			src = nd;
	}
	if (!need)
		return NULL;
	key = src ? cl_get_key(src) : cl_new_key(s->p[0]);
	if (!key) {
		fprintf(stderr, "clusterctl: no corosync authkey; nothing was changed\n");
		*rc = CTL_EXIT_FAILED;
	}
	return key;
}

/*
 * Migration TLS (issue 16; agents/vm/qemu-tls.c): the cluster CA a node of
 * this cluster holds already (create run again), else a new one; then each
 * node makes its own key and certificate signed by it.
 */
static int
create_tls(struct cl_nodeset *s)
{
	struct cl_node *src = NULL;
	struct cl_tls_ca ca;
	size_t failed;

	for (size_t i = 0; i < s->n && !src; i++) {
		if (s->nd[i].same && s->nd[i].has_tls_ca)
			src = &s->nd[i];
	}
	if (src ? cl_tls_ca_get(src, &ca) : cl_tls_ca_new(s->p[0], &ca)) {
		fprintf(stderr, "clusterctl create: no cluster CA for migration TLS "
			"(see above)\n");
		return CTL_EXIT_FAILED;
	}
	failed = cl_tls_install(s->p, s->n, &ca, NULL, false);
	cl_tls_ca_clear(&ca);
	if (failed) {
		fprintf(stderr, "clusterctl create: %zu node%s without migration TLS "
			"credentials (see above)\n", failed, failed == 1 ? "" : "s");
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}

int
cmd_create(struct ctl_globals *g, int argc, char **argv)
{
	struct create_opts o = { .token_ms = CL_TOKEN_DEFAULT_MS };
	struct cl_payload pl = { 0 };
	struct cl_def d = { 0 };
	struct cl_nodeset *s = NULL;
	const char *nodes = NULL, *key_sha = NULL;
	uint64_t t0 = cd_now_mono_ms();
	size_t bad;
	char *key;
	int rc;

	rc = create_opts(g, argc, argv, &o, &nodes);
	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	s = cl_nodeset_new();
	if (!s)
		return CTL_EXIT_FAILED;
	rc = cl_parse_hosts("create", nodes, s);
	if (rc)
		goto out;
	snprintf(d.name, sizeof(d.name), "%s", o.name);
	d.token_ms = o.token_ms;
	d.witness_device = o.witness && o.witness[0] && s->n % 2 == 0;

	ctl_ssh_mux_begin();
	fprintf(stderr, "Creating cluster %s on %zu node%s: checking them first "
		"(nothing changes unless all are fit)\n", d.name, s->n, s->n == 1 ? "" : "s");
	bad = cl_probe(s->p, s->n);
	if (bad) {
		fprintf(stderr, "clusterctl create: %zu of %zu nodes not fit (see above); "
			"nothing was changed\n", bad, s->n);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	rc = CTL_EXIT_FAILED;
	if (!define_nodes(&d, s))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if (!check_membership(&o, &d, &s->nd[i]))
			bad++;
	}
	if (bad) {
		fprintf(stderr, "clusterctl create: nothing was changed\n");
		goto out;
	}
	if (o.witness && o.witness[0] && cl_quorum_check_nodes("create", s, o.witness))
		goto out;
	rc = reuse_identity(&o, &d, s, &key_sha);
	if (rc)
		goto out;
	if (!d.uuid[0] && cl_uuid_new(d.uuid) < 0) {
		fprintf(stderr, "clusterctl create: no random numbers: %s\n", strerror(errno));
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	key = choose_key(s, key_sha, &rc);
	if (rc)
		goto out;
	rc = cl_payload_make(&d, key, &pl);
	if (rc)
		goto out;
	fprintf(stderr, "All %zu nodes fit: configuring cluster %s (uuid %s)\n",
		s->n, d.name, d.uuid);
	rc = create_tls(s);
	if (rc)
		goto out;
	rc = cl_apply_all("create", s, s->p, s->n, NULL, 0, &d, &pl);
	if (rc)
		goto out;
	if (o.ip) {
		rc = add_cluster_ip(o.ip);
		fprintf(stderr, "cluster access point %s... %s\n", o.ip,
			rc ? "FAILED (add it with 'clusterctl role add cluster-ip' on a node)" : "ok");
		if (rc)
			goto out;
	}
	if (o.witness && o.witness[0]) {
		/* Through this node's clusterd: create runs on a node of the cluster. */
		rc = ctl_quorum_store("auto", o.witness);
		fprintf(stderr, "quorum mode auto with witness %s... %s\n", o.witness,
			rc ? "FAILED (run 'clusterctl quorum set' on a node)" : "ok");
		if (rc)
			goto out;
	}
	cl_print_summary(g, !cl_anything_changed(s) ? "The cluster already exists as "
			 "asked: nothing changed" : key_sha ? "Cluster updated: every node "
			 "is a member, quorate" : "Cluster created: every node is a member, "
			 "quorate", &d, s, cl_anything_changed(s), t0);
out:
	ctl_ssh_mux_end();
	cl_payload_clear(&pl);
	cl_nodeset_free(s);
	return rc;
}

/* ---- destroy ---- */

static void
print_destroyed(struct ctl_globals *g, struct cl_nodeset *s, const char *what,
		size_t failed)
{
	if (g->json) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (size_t i = 0; i < s->n; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "host", json_object_new_string(s->nd[i].host));
			json_object_object_add(e, "ok", json_object_new_boolean(s->nd[i].rc == 0));
			json_object_object_add(e, "message", json_object_new_string(s->nd[i].why));
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "nodes", arr);
		json_object_object_add(o, "failed", json_object_new_int64((int64_t)failed));
		ctl_print_json(o);
		json_object_put(o);
	} else if (!failed) {
		printf("Destroyed %s: nothing of the cluster is left there.\n", what);
	}
	if (!failed)
		return;
	fprintf(stderr, "clusterctl destroy: %zu of %zu nodes not (fully) cleaned:",
		failed, s->n);
	for (size_t i = 0; i < s->n; i++) {
		if (s->nd[i].rc)
			fprintf(stderr, " %s", s->nd[i].host);
	}
	fprintf(stderr, " (see above); the others are clean\n");
}

int
cmd_destroy(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl destroy [--nodes HOST1,HOST2,...] --yes [--json]\n"
"Stop clusterd and corosync on every node and delete the cluster's\n"
"configuration there: corosync.conf, authkey, clusterd.conf and clusterd's\n"
"state (/var/lib/clusterd/state.json*). The nodes are those of this node's\n"
"/etc/clusterd/clusterd.conf unless --nodes names them. Nodes that cannot be\n"
"reached are reported (exit 1); the others are cleaned all the same.\n"
"Without --yes it only says what it would destroy.\n";
	static const struct option longopts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *nodes = NULL;
	char what[600] = "", list[512];
	struct cl_nodeset *s;
	struct cl_def d = { 0 };
	bool yes = false;
	size_t failed;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': nodes = optarg; break;
		case 'y': yes = true; break;
		case 'j': g->json = true; break;
		case 'h': fputs(help, stdout); return CTL_EXIT_OK;
		default: return cl_bad_usage("destroy");
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clusterctl destroy: unexpected argument '%s'\n", argv[optind]);
		return cl_bad_usage("destroy");
	}
	s = cl_nodeset_new();
	if (!s)
		return CTL_EXIT_FAILED;
	if (nodes) {
		rc = cl_parse_hosts("destroy", nodes, s);
		if (rc)
			goto out;
		snprintf(what, sizeof(what), "the nodes %s", nodes);
	} else {
		char *text = cl_read_text(CL_CLUSTERD_CONF), err[160];

		rc = CTL_EXIT_USAGE;
		if (!text) {
			fprintf(stderr, "clusterctl destroy: no --nodes, and no cluster here "
				"(%s: %s): name the nodes with --nodes\n", CL_CLUSTERD_CONF,
				strerror(errno));
			goto out;
		}
		c = cl_clusterd_conf_parse(text, &d, err, sizeof(err));
		free(text);
		if (c < 0) {
			fprintf(stderr, "clusterctl destroy: %s: %s; name the nodes with "
				"--nodes\n", CL_CLUSTERD_CONF, err);
			goto out;
		}
		for (size_t i = 0; i < d.n; i++)
			cl_nodeset_add(s, d.nodes[i].name);
		snprintf(what, sizeof(what), "cluster %s (uuid %s) on its nodes %s",
			 d.name, d.uuid, cl_node_list(&d, list, sizeof(list)));
	}
	if (!yes) {
		fprintf(stderr, "clusterctl destroy: this would stop clusterd and corosync "
			"and delete corosync.conf, the authkey, clusterd.conf and clusterd's "
			"state of %s. Add --yes to do it.\n", what);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	fprintf(stderr, "Destroying %s\n", what);
	failed = cl_destroy(s->p, s->n);	/* one step: nothing to share */
	print_destroyed(g, s, what, failed);
	rc = failed ? CTL_EXIT_FAILED : CTL_EXIT_OK;
out:
	cl_nodeset_free(s);
	return rc;
}
