/*
 * cmd-node.c - clusterctl node: list, pause and fence nodes through the
 * local clusterd (drain, show and resume: node-drain.c, a drain is the
 * cluster's own operation); add and remove grow or shrink a running
 * cluster over ssh, with a reload of corosync (nothing restarts), then
 * update the node list of the replicated state; and the hidden
 * internal-nodes-update that does the latter on another node.
 */
#include "ctl.h"
#include "cluster.h"
#include "timeutil.h"
#include "verb.h"
#include "node-drain.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An existing node must run the cluster to be changed with it. */
static bool
check_existing(const struct cl_def *d, struct cl_node *nd)
{
	nd->same = true;
	if (!nd->ready)
		return false;
	if (nd->cur_kind != CL_CUR_DEF || strcmp(nd->cur.uuid, d->uuid)) {
		fprintf(stderr, "%s: its configuration is not that of cluster %s "
			"(uuid %s); fix it with 'clusterctl create' first\n", nd->host,
			d->name, d->uuid);
		return false;
	}
	if (!nd->cs_running || !nd->cd_running) {
		fprintf(stderr, "%s: %s not running; start it first (every node must "
			"run while the node list changes)\n", nd->host,
			!nd->cs_running ? "corosync is" : "clusterd is");
		return false;
	}
	return true;
}

/* Ask clusterd on this node when it is in @p d and runs clusterd, else on
 * the first node of @p s that is in @p d. */
static int
update_state_nodes(const struct cl_def *d, struct cl_nodeset *s)
{
	struct cl_node *via = NULL, *self;
	char me[CL_NAME_MAX + 1];

	cl_local_name(me, sizeof(me));
	self = cl_def_find(d, me) ? cl_nodeset_by_name(s, me) : NULL;
	if (self && self->cd_running)
		return cl_nodes_update(d, true, self);
	for (size_t i = 0; i < s->n && !via; i++) {
		if (cl_def_find(d, s->nd[i].name))
			via = &s->nd[i];
	}
	return via ? cl_nodes_update(d, false, via) : CTL_EXIT_FAILED;
}

static int
node_opts(struct ctl_globals *g, const char *cmd, const char *help, int argc,
	  char **argv, bool *force, const char **arg)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!force)
				return cl_bad_usage(cmd);
			*force = true;
			break;
		case 'j': g->json = true; break;
		case 'h': fputs(help, stdout); return -1;
		default: return cl_bad_usage(cmd);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "clusterctl %s: want exactly one %s\n", cmd,
			force ? "HOST" : "NAME");
		return cl_bad_usage(cmd);
	}
	*arg = argv[optind];
	return CTL_EXIT_OK;
}

/* Key for a new node: this node's authkey, else that of @p from. */
static char *
cluster_key(struct cl_node *from)
{
	char *text, *b64;
	size_t len = 0;
	FILE *f = fopen(CL_AUTHKEY, "re");
	unsigned char key[4096];

	if (f) {
		len = fread(key, 1, sizeof(key), f);
		fclose(f);
	}
	if (len > 0) {
		b64 = cl_b64_encode(key, len);
		memset(key, 0, sizeof(key));
		return b64;
	}
	text = cl_get_key(from);
	return text;
}

/*
 * Can @p nw (probed) join cluster @p cur? It must not clash with a node by
 * name or address, and belong to no other cluster unless @p force. If it is
 * an existing node under another name, *twin is that node.
 */
static bool
check_new_node(const struct cl_def *cur, struct cl_nodeset *s, struct cl_node *nw,
	       bool force, struct cl_node **twin)
{
	bool fit = true;

	*twin = NULL;
	if (!nw->ready)
		return false;
	for (size_t i = 0; i < cur->n; i++) {
		struct cl_node *nd = cl_nodeset_by_name(s, cur->nodes[i].name);

		if (nd && strcmp(nd->name, nw->name) == 0 && strcmp(nd->addr, nw->addr) == 0) {
			*twin = nd;
		} else if (strcmp(cur->nodes[i].name, nw->name) == 0 ||
			   strcmp(cur->nodes[i].addr, nw->addr) == 0) {
			fprintf(stderr, "%s: cluster %s has a node %s %s already, and this "
				"is %s %s\n", nw->host, cur->name, cur->nodes[i].name,
				cur->nodes[i].addr, nw->name, nw->addr);
			fit = false;
		}
	}
	nw->same = nw->cur_kind == CL_CUR_DEF && strcmp(nw->cur.uuid, cur->uuid) == 0;
	if (*twin || nw->cur_kind == CL_CUR_NONE || nw->same || force)
		return fit;
	if (nw->cur_kind == CL_CUR_DEF)
		fprintf(stderr, "%s: belongs to cluster %s; 'clusterctl destroy' there "
			"first, or --force to take it over\n", nw->host, nw->cur.name);
	else
		fprintf(stderr, "%s: has a cluster configuration clusterctl cannot "
			"read; --force replaces it\n", nw->host);
	return false;
}

/*
 * Migration TLS (issue 16): the new node gets the cluster CA from a node
 * that holds it and makes its own certificate. A cluster made before
 * migration TLS has no CA: said, and 'clusterctl tls rotate' makes one.
 */
static int
new_node_tls(struct cl_nodeset *s, size_t n_old, struct cl_node *nw)
{
	struct cl_node *src = NULL;
	struct cl_tls_ca ca;
	size_t failed;

	for (size_t i = 0; i < n_old && !src; i++) {
		if (s->nd[i].has_tls_ca)
			src = &s->nd[i];
	}
	if (!src) {
		fprintf(stderr, "clusterctl node add: warning: no node holds a cluster CA "
			"for migration TLS (a cluster made before it): run 'clusterctl "
			"tls rotate'\n");
		return CTL_EXIT_OK;
	}
	if (cl_tls_ca_get(src, &ca))
		return CTL_EXIT_FAILED;
	failed = cl_tls_install(&nw, 1, &ca, NULL, false);
	cl_tls_ca_clear(&ca);
	if (failed)
		fprintf(stderr, "clusterctl node add: %s is a member but has no migration "
			"TLS credentials: live migrations to and from it fail until "
			"'clusterctl tls rotate'\n", nw->host);
	return failed ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

/* Probe the cluster's nodes and HOST. @return the new node, or NULL when
 * HOST already is a node (*twin); *fit false when something is wrong. */
static struct cl_node *
probe_for_add(const struct cl_def *cur, struct cl_nodeset *s, const char *host,
	      bool force, struct cl_node **twin, bool *fit)
{
	struct cl_node *nw = NULL;

	for (size_t i = 0; i < cur->n; i++) {
		struct cl_node *nd = cl_nodeset_add(s, cur->nodes[i].name);

		if (strcmp(cur->nodes[i].name, host) == 0)
			*twin = nd;
	}
	if (!*twin)
		nw = cl_nodeset_add(s, host);
	fprintf(stderr, "Adding %s to cluster %s (%zu nodes): checking the nodes first\n",
		host, cur->name, cur->n);
	*fit = cl_probe(s->p, s->n) == 0;
	for (size_t i = 0; i < cur->n; i++) {
		if (!check_existing(cur, &s->nd[i]))
			*fit = false;
	}
	if (nw && !check_new_node(cur, s, nw, force, twin))
		*fit = false;
	if (*fit && *twin && nw) {
		/* HOST is an existing node by another name: no new node. */
		cl_node_clear(nw);
		s->n--;
		nw = NULL;
	}
	if (*twin)
		fprintf(stderr, "%s is node %s of cluster %s already: checking that it "
			"runs\n", host, (*twin)->name[0] ? (*twin)->name : host, cur->name);
	return nw;
}

static int
node_add(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	 int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl node add HOST [--force] [--json]\n"
"Add HOST to the running cluster of this node. HOST is checked like a node\n"
"of 'create' (ssh as root, packages, service manager, no other cluster\n"
"unless --force); every node of the cluster must run corosync and clusterd.\n"
"HOST gets the next node id; the new corosync.conf goes to every node and\n"
"corosync reloads it (corosync-cfgtool -R: nothing restarts; going from 2 to\n"
"3 nodes drops two_node at that reload; in quorum mode auto with a witness\n"
"an even count adds the witness device, an odd one drops it, and HOST must\n"
"reach the witness when it votes: checked first); HOST gets the\n"
"authkey and clusterd.conf and starts corosync and clusterd; then clusterctl waits until\n"
"every node sees all members, quorate, and updates the cluster state; last,\n"
"HOST gets the cluster CA and makes its certificate for migration TLS.\n";
	struct cl_payload pl = { 0 };
	struct cl_def d, cur;
	struct cl_nodeset *s = NULL;
	struct cl_node *nw, *twin = NULL;
	const char *host = NULL;
	uint64_t t0 = cd_now_mono_ms();
	bool force = false, fit;
	char headline[256];
	int rc;

	rc = node_opts(g, "node add", help, argc, argv, &force, &host);
	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	if (!ctl_host_valid(host)) {
		fprintf(stderr, "clusterctl node add: bad host name '%s'\n", host);
		return CTL_EXIT_USAGE;
	}
	rc = cl_read_local_cluster("node add", &cur);
	if (rc)
		return rc;
	if (cur.n >= CL_MAX_NODES) {
		fprintf(stderr, "clusterctl node add: cluster %s has %d nodes, the most "
			"it can have\n", cur.name, CL_MAX_NODES);
		return CTL_EXIT_FAILED;
	}
	s = cl_nodeset_new();
	if (!s)
		return CTL_EXIT_FAILED;
	ctl_ssh_mux_begin();
	nw = probe_for_add(&cur, s, host, force, &twin, &fit);
	if (!fit) {
		fprintf(stderr, "clusterctl node add: nothing was changed\n");
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	d = cur;
	if (nw) {
		struct cl_node_def *nn = &d.nodes[d.n++];

		snprintf(nn->name, sizeof(nn->name), "%s", nw->name);
		snprintf(nn->addr, sizeof(nn->addr), "%s", nw->addr);
		nn->id = cl_def_max_id(&cur) + 1;
		nw->wants_key = true;
	}
	/* auto: the witness device follows the node count (even: in use). */
	d.witness_device = cl_quorum_device_for("node add", d.n, cur.witness_device);
	/* a new node must reach the witness that will count its vote */
	if (nw && (rc = cl_quorum_check_new_node("node add", nw, d.n)))
		goto out;
	rc = cl_payload_make(&d, nw ? cluster_key(&s->nd[0]) : NULL, &pl);
	if (rc)
		goto out;
	if (nw && !pl.key_b64) {
		fprintf(stderr, "clusterctl node add: cannot read the cluster's authkey; "
			"nothing was changed\n");
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	/* The others reload first, so that they accept the new node. */
	rc = cl_apply_all("node add", s, s->p, cur.n, nw ? &nw : NULL, nw ? 1 : 0,
			  &d, &pl);
	if (!rc && nw)
		rc = update_state_nodes(&d, s);
	if (!rc && nw)
		rc = new_node_tls(s, cur.n, nw);
	if (rc)
		goto out;
	snprintf(headline, sizeof(headline), nw ? "Node %s added to cluster %s: "
		 "every node is a member, quorate" : "%s is a node of cluster %s "
		 "already: every node is a member, quorate", nw ? nw->name : twin->name,
		 d.name);
	cl_print_summary(g, headline, &d, s, cl_anything_changed(s), t0);
out:
	ctl_ssh_mux_end();
	cl_payload_clear(&pl);
	cl_nodeset_free(s);
	return rc;
}

/* Probe every node of @p cur; @p d gets the cluster without NAME, @p rest
 * the other nodes. @return NAME's node; *fit false when another node is not
 * fit (NAME itself may be unreachable). */
static struct cl_node *
probe_for_remove(const struct cl_def *cur, const char *name, struct cl_nodeset *s,
		 struct cl_def *d, struct cl_node **rest, size_t *nrest, bool *fit)
{
	struct cl_node *gone = NULL;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", cur->name);
	snprintf(d->uuid, sizeof(d->uuid), "%s", cur->uuid);
	d->token_ms = cur->token_ms;
	*nrest = 0;
	for (size_t i = 0; i < cur->n; i++) {
		struct cl_node *nd = cl_nodeset_add(s, cur->nodes[i].name);

		if (strcmp(cur->nodes[i].name, name) == 0) {
			gone = nd;
		} else {
			rest[(*nrest)++] = nd;
			d->nodes[d->n++] = cur->nodes[i];
		}
	}
	fprintf(stderr, "Removing %s from cluster %s: checking the nodes first\n",
		name, cur->name);
	cl_probe(s->p, s->n);
	*fit = true;
	for (size_t i = 0; i < *nrest; i++) {
		if (!check_existing(cur, rest[i]))
			*fit = false;
	}
	return gone;
}

static int
node_remove(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	    int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl node remove NAME [--json]\n"
"Remove node NAME from the running cluster of this node. If NAME can be\n"
"reached, clusterd and corosync stop there and the cluster's files are\n"
"removed from it (as 'destroy' does); then the corosync.conf without it goes\n"
"to the other nodes, which reload it (corosync-cfgtool -R: nothing restarts;\n"
"going down to 2 nodes turns two_node on at that reload; in quorum mode\n"
"auto with a witness an even count adds the witness device, an odd one\n"
"drops it), the cluster state drops the node, and clusterctl waits until the others see each other,\n"
"quorate. Every other node must run corosync and clusterd.\n";
	struct cl_payload pl = { 0 };
	struct cl_def d, cur;
	struct cl_nodeset *s = NULL;
	struct cl_node *gone, *rest[CL_MAX_NODES];
	const char *name = NULL;
	uint64_t t0 = cd_now_mono_ms();
	bool fit, gone_clean = false;
	char headline[256], list[512];
	size_t nrest = 0, failed;
	int rc;

	rc = node_opts(g, "node remove", help, argc, argv, NULL, &name);
	if (rc)
		return rc < 0 ? CTL_EXIT_OK : rc;
	rc = cl_read_local_cluster("node remove", &cur);
	if (rc)
		return rc;
	if (!cl_def_find(&cur, name)) {
		fprintf(stderr, "clusterctl node remove: cluster %s has no node '%s' "
			"(it has %s)\n", cur.name, name, cl_node_list(&cur, list, sizeof(list)));
		return CTL_EXIT_FAILED;
	}
	if (cur.n == 1) {
		fprintf(stderr, "clusterctl node remove: %s is the only node of cluster "
			"%s: 'clusterctl destroy' removes the cluster\n", name, cur.name);
		return CTL_EXIT_FAILED;
	}
	s = cl_nodeset_new();
	if (!s)
		return CTL_EXIT_FAILED;
	ctl_ssh_mux_begin();
	gone = probe_for_remove(&cur, name, s, &d, rest, &nrest, &fit);
	if (!fit) {
		fprintf(stderr, "clusterctl node remove: nothing was changed\n");
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	/* Asked before NAME (maybe this node) stops: auto follows the count. */
	d.witness_device = cl_quorum_device_for("node remove", d.n, cur.witness_device);
	if (gone->ready) {
		gone_clean = cl_destroy(&gone, 1) == 0;
	} else {
		fprintf(stderr, "%s: cannot be reached: it keeps its copy of the cluster's "
			"files; when it is back, run 'clusterctl destroy --nodes %s --yes' "
			"before it starts again\n", gone->host, gone->host);
	}
	rc = cl_payload_make(&d, NULL, &pl);
	if (rc)
		goto out;
	failed = cl_apply(rest, nrest, &pl, d.uuid);
	if (failed) {
		fprintf(stderr, "clusterctl node remove: could not change %zu node%s "
			"(see above); run the same command again when fixed\n",
			failed, failed == 1 ? "" : "s");
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	rc = update_state_nodes(&d, s);
	if (!rc)
		rc = cl_wait(rest, nrest, d.n);
	if (rc)
		goto out;
	snprintf(headline, sizeof(headline), "Node %s removed from cluster %s%s", name,
		 d.name, gone_clean ? " and cleaned" : " (it was not cleaned: see above)");
	cl_print_summary(g, headline, &d, s, true, t0);
	if (!gone_clean)
		rc = CTL_EXIT_FAILED;
out:
	ctl_ssh_mux_end();
	cl_payload_clear(&pl);
	cl_nodeset_free(s);
	return rc;
}

/* ---- node list, drain ---- */

static void
node_row(json_object *nd, char cell[][CTL_CELL_MAX])
{
	json_object *roles = NULL;
	bool paused = ctl_jbool(nd, "paused"), fenced = ctl_jbool(nd, "fenced");

	json_object_object_get_ex(nd, "roles", &roles);
	snprintf(cell[0], CTL_CELL_MAX, "%s", ctl_jstr(nd, "name", "?"));
	snprintf(cell[1], CTL_CELL_MAX, "%lld", (long long)ctl_jint(nd, "id", 0));
	snprintf(cell[2], CTL_CELL_MAX, "%s", ctl_jstr(nd, "state", "?"));
	snprintf(cell[3], CTL_CELL_MAX, "%s%s%s", paused ? "paused" : "",
		 paused && fenced ? "," : "", fenced ? "fenced" : !paused ? "-" : "");
	snprintf(cell[4], CTL_CELL_MAX, "%lld", (long long)ctl_jint(nd, "incarnation", 0));
	ctl_join(roles, ",", cell[5], CTL_CELL_MAX);
	if (!roles || !json_object_array_length(roles))
		strcpy(cell[5], "-");
}

static int
node_list(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	  int argc, char **argv)
{
	static const char *const head[] = { "NAME", "ID", "STATE", "FLAGS",
					    "INCARNATION", "ROLES" };

	return ctl_verb_list(g, n, v, argc, argv, "nodes", "No nodes.", head, 6, node_row);
}

int
cmd_node(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl node list [--json]\n"
"       clusterctl node show NAME [--json]\n"
"       clusterctl node pause NAME\n"
"       clusterctl node resume NAME [--json]\n"
"       clusterctl node fence NAME\n"
"       clusterctl node drain NAME [--wait] [--timeout DUR] [--json]\n"
"       clusterctl node add HOST [--force] [--json]\n"
"       clusterctl node remove NAME [--json]\n"
"'list' shows every node with its state, flags (paused, fenced), its\n"
"registration incarnation and the roles it owns. A paused node gets no new\n"
"roles (the ones it runs stay). 'fence' removes the node's registration key\n"
"from every shared LUN (clusterctl storage list) and its keys from every\n"
"disk resource's LUN (disks, cluster shared volumes), as clusterd does by\n"
"itself when a node is lost, so that it can write no more; it rejoins with\n"
"a new key. 'drain' asks the cluster to empty the node: it is paused and the\n"
"leader moves every role off it, VMs by live migration (quick, then a\n"
"restart, only when the role's drain fallback allows it), in priority\n"
"order then smallest memory first, each where the policy engine would\n"
"place it (first valid preferred owner, else the least loaded node), at\n"
"most live-migrations-out/-in/-cluster at once ('clusterctl config\n"
"properties'). The drain goes on without clusterctl, across leader\n"
"changes and restarts; a role that cannot move stays and is reported.\n"
"--wait follows it with a line per role (default timeout 30 min; exit 1\n"
"when a role stayed). 'show' prints a node with its drain's progress.\n"
"'resume' ends a drain, lets the node take roles again and says which\n"
"roles come back by their failback policy. 'add' and\n"
"'remove' change the cluster's membership over ssh; see\n"
"'clusterctl node add --help' and 'clusterctl node remove --help'.\n";
	static const struct ctl_verb verbs[] = {
		{ "list", node_list, "node-list", NULL, "", 0, NULL, NULL },
		{ "pause", ctl_verb_change, "node-pause", "name", "NAME", 0, "paused", NULL },
		{ "show", ctl_node_show, "node-show", "name", "NAME", 0, NULL, NULL },
		{ "resume", ctl_node_resume, "node-resume", "name", "NAME", 0, NULL, NULL },
		{ "fence", ctl_verb_change, "node-fence", "name", "NAME", 0, "fenced", NULL },
		{ "drain", ctl_node_drain, "node-drain", "name", "NAME", CTL_OPT_WAIT, NULL, NULL },
		{ "add", node_add, NULL, NULL, NULL, 0, NULL, NULL },
		{ "remove", node_remove, NULL, NULL, NULL, 0, NULL, NULL },
	};
	static const struct ctl_noun noun = { "node", help, verbs,
					      sizeof(verbs) / sizeof(verbs[0]) };

	return ctl_noun_run(g, &noun, argc, argv);
}

/* Hidden: 'clusterctl internal-nodes-update JSON', how node add/remove asks
 * another node's clusterd when this node runs none. */
int
cmd_internal_nodes_update(struct ctl_globals *g, int argc, char **argv)
{
	json_object *nodes, *args, *data = NULL;
	struct ctl_conn *c;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: clusterctl internal-nodes-update "
			"'{\"NAME\": {\"id\": N, \"addr\": \"A\"}, ...}'\n");
		return CTL_EXIT_USAGE;
	}
	nodes = json_tokener_parse(argv[1]);
	if (!nodes || !json_object_is_type(nodes, json_type_object)) {
		fprintf(stderr, "clusterctl internal-nodes-update: not a JSON object\n");
		json_object_put(nodes);
		return CTL_EXIT_USAGE;
	}
	args = json_object_new_object();
	json_object_object_add(args, "nodes", nodes);
	c = ctl_connect(&rc);
	if (c) {
		rc = ctl_request(c, "nodes-update", args, &data);
		ctl_disconnect(c);
	}
	if (rc == CTL_EXIT_OK && g->json && data)
		ctl_print_json(data);
	json_object_put(data);
	json_object_put(args);
	return rc;
}
