/*
 * cmd-quorum.c - clusterctl quorum show | set | check: the quorum mode and
 * the disk witness (issue 5; quorum/qdevice.c does the voting).
 *
 * "check" tries the witness LUN from this node (reachable; PR works: a test
 * key is registered and removed on a session of its own). "set" runs that
 * check on every node over ssh (remote.sh "witness") and refuses, naming
 * the nodes that cannot use the LUN; then it rewrites corosync.conf on every
 * node with or without the quorum.device section (through the same steps as
 * create and node add: a reload), then stores config.quorum in the
 * replicated state, which makes clusterd on every node register as the
 * device or stop. node add/remove ask cl_quorum_device_for() whether the new
 * node count keeps the device (auto: even count).
 */
#include "ctl.h"
#include "cluster.h"
#include "witness-disk.h"
#include "pr.h"
#include "timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
quorum_show(struct ctl_globals *g)
{
	struct ctl_conn *c;
	json_object *data = NULL, *w = NULL, *cfg = NULL, *v = NULL;
	int rc;

	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = ctl_request(c, "quorum-show", NULL, &data);
	ctl_disconnect(c);
	if (rc)
		return rc;
	if (g->json) {
		printf("%s\n", json_object_to_json_string_ext(data, JSON_C_TO_STRING_PRETTY));
		json_object_put(data);
		return CTL_EXIT_OK;
	}
	json_object_object_get_ex(data, "witness", &w);
	json_object_object_get_ex(data, "config", &cfg);
	json_object_object_get_ex(data, "votes", &v);
	printf("Mode:      %s (%lld nodes)\n", ctl_jstr(cfg, "mode", "auto"),
	       (long long)ctl_jint(data, "nodes", 0));
	printf("Witness:   %s\n", ctl_jstr(cfg, "witness", "none"));
	printf("In use:    %s\n", ctl_jbool(w, "in_use") ? "yes (node and disk majority)" :
	       "no (node majority)");
	if (ctl_jbool(w, "in_use")) {
		printf("Health:    %s (%s)\n", ctl_jstr(w, "health", "?"), ctl_jstr(w, "detail", ""));
		printf("Owner:     %s%s\n", ctl_jstr(w, "owner", "?"),
		       ctl_jbool(w, "casting") ? ", this node casts the witness vote" : "");
		printf("Copy:      state generation %lld on the witness\n",
		       (long long)ctl_jint(w, "copy_generation", 0));
	}
	printf("Votes:     %lld of %lld expected (%lld needed), %s\n",
	       (long long)ctl_jint(v, "total_votes", 0), (long long)ctl_jint(v, "expected_votes", 0),
	       (long long)ctl_jint(v, "quorum", 0), ctl_jbool(v, "quorate") ? "quorate" :
	       "NOT QUORATE");
	json_object_put(data);
	return CTL_EXIT_OK;
}

/*
 * Register and remove a test key on a session of our own. A holder may
 * remove the test key first (it removes keys of nodes outside its
 * partition): the registration worked, which is what is checked.
 */
static int
check_lun(const char *cmd, const char *url_text)
{
	struct cd_iscsi_url url;
	struct cd_pr *pr;
	char err[160], host[64] = "ctl", ini[160];
	uint64_t key;
	int rc;

	if (cd_iscsi_url_parse(url_text, &url, err, sizeof(err)) < 0) {
		fprintf(stderr, "clusterctl %s: bad witness URL '%s': %s\n", cmd, url_text, err);
		return CTL_EXIT_USAGE;
	}
	cl_local_name(host, sizeof(host));
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			*p = '-';
	snprintf(ini, sizeof(ini), "iqn.2026-11.org.clusterd:%s.check", host[0] ? host : "ctl");
	pr = cd_pr_open(&url, ini, 5000, &rc);
	if (!pr) {
		fprintf(stderr, "clusterctl %s: witness %s unreachable from %s: %s\n", cmd,
			url_text, host, cd_pr_strerror(rc));
		return CTL_EXIT_FAILED;
	}
	key = cd_pr_key(0xfffe, (uint32_t)getpid());
	rc = cd_pr_register(pr, key);
	if (rc == 0) {
		int urc = cd_pr_unregister(pr, key);

		if (urc < 0 && urc != -CD_PR_E_PREEMPTED && urc != -CD_PR_E_CONFLICT)
			fprintf(stderr, "clusterctl %s: warning: cannot remove the test key "
				"%016" PRIx64 " from %s: %s\n", cmd, key, url_text,
				cd_pr_last_error(pr));
	} else {
		fprintf(stderr, "clusterctl %s: witness %s: persistent reservations do not "
			"work from %s: %s\n", cmd, url_text, host, cd_pr_last_error(pr));
	}
	cd_pr_close(pr);
	return rc < 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

/* quorum check --witness URL: the LUN from this node only. */
static int
quorum_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "witness", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL;
	char host[64];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'w': url = optarg; break;
		case 'h':
			printf("Usage: clusterctl quorum check --witness iscsi://PORTAL/IQN/LUN\n"
			       "Check the LUN from this node: log in, register a test key and\n"
			       "remove it. 'quorum set' and 'create --witness' run this on every\n"
			       "node over ssh. Exit 0 when the LUN can be the witness.\n");
			return CTL_EXIT_OK;
		default: return cl_bad_usage("quorum check");
		}
	}
	if (!url || !url[0] || optind < argc) {
		fprintf(stderr, "clusterctl quorum check: --witness URL is required\n");
		return CTL_EXIT_USAGE;
	}
	rc = check_lun("quorum check", url);
	cl_local_name(host, sizeof(host));
	if (rc == CTL_EXIT_OK)
		printf("witness %s: reachable from %s, persistent reservations work\n", url, host);
	return rc;
}


/* config.quorum of the local clusterd: *mode and *url (malloc'd, "" none). */
static int
quorum_config(char **mode, char **url)
{
	json_object *data = NULL, *cfg = NULL;
	int rc = ctl_call("quorum-show", NULL, &data);

	*mode = *url = NULL;
	if (rc)
		return rc;
	json_object_object_get_ex(data, "config", &cfg);
	*mode = strdup(ctl_jstr(cfg, "mode", "auto"));
	*url = strdup(ctl_jstr(cfg, "witness", ""));
	json_object_put(data);
	if (!*mode || !*url) {
		free(*mode);
		free(*url);
		*mode = *url = NULL;
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}

bool
cl_quorum_device_for(const char *cmd, size_t nodes, bool fallback)
{
	char *mode, *url;
	bool dev;

	if (quorum_config(&mode, &url)) {
		fprintf(stderr, "clusterctl %s: warning: cannot read the quorum mode from "
			"clusterd; corosync.conf keeps%s the witness device\n", cmd,
			fallback ? "" : " no");
		return fallback;
	}
	dev = cd_witness_wanted(mode, url, nodes);
	if (dev != fallback)
		fprintf(stderr, "quorum mode %s, witness %s, %zu nodes: corosync.conf %s the "
			"witness device\n", mode, url[0] ? url : "none", nodes,
			dev ? "gets" : "drops");
	free(mode);
	free(url);
	return dev;
}

int
cl_quorum_check_new_node(const char *cmd, struct cl_node *nw, size_t nodes)
{
	char *mode, *url;
	int rc = CTL_EXIT_OK;

	if (quorum_config(&mode, &url))
		return CTL_EXIT_OK;	/* cl_quorum_device_for() warns about it */
	if (cd_witness_wanted(mode, url, nodes)) {
		fprintf(stderr, "Checking the witness %s from %s\n", url, nw->host);
		if (cl_witness_check(&nw, 1, url)) {
			fprintf(stderr, "clusterctl %s: %s cannot use the witness %s (see above), "
				"which votes with %zu nodes in mode %s; fix its storage path "
				"or change the quorum mode first (clusterctl quorum set); "
				"nothing was changed\n", cmd, nw->host, url, nodes, mode);
			rc = CTL_EXIT_FAILED;
		}
	}
	free(mode);
	free(url);
	return rc;
}

/* The witness from every node of @p d over ssh. @return CTL_EXIT_ code */
int
cl_quorum_check_nodes(const char *cmd, struct cl_nodeset *s, const char *url)
{
	char names[512] = "";
	size_t bad, len = 0;

	fprintf(stderr, "Checking the witness %s from every node\n", url);
	bad = cl_witness_check(s->p, s->n, url);
	if (!bad)
		return CTL_EXIT_OK;
	for (size_t i = 0; i < s->n; i++) {
		if (s->p[i]->rc && len < sizeof(names))
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
						len ? ", " : "", s->p[i]->host);
	}
	fprintf(stderr, "clusterctl %s: the witness %s cannot be used from %s (see "
		"above); nothing was changed\n", cmd, url, names);
	return CTL_EXIT_FAILED;
}

/* config.quorum through clusterd, retried while the state syncs. */
int
ctl_quorum_store(const char *mode, const char *url)
{
	json_object *args = json_object_new_object();
	int rc;

	json_object_object_add(args, "mode", json_object_new_string(mode));
	if (url)
		json_object_object_add(args, "witness", url[0] ?
				       json_object_new_string(url) : NULL);
	rc = ctl_call_patient("quorum-set", args, 30000);
	json_object_put(args);
	if (rc == CTL_EXIT_TIMEOUT)
		fprintf(stderr, "clusterctl: could not store the quorum configuration in time\n");
	return rc;
}

static int
quorum_set(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "witness", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode = NULL, *url = NULL, *eff;
	char *cur_mode = NULL, *cur_url = NULL;
	struct cl_def d = { 0 };
	struct cl_nodeset *s = NULL;
	struct cl_payload pl = { 0 };
	uint64_t t0 = cd_now_mono_ms();
	bool dev;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'w': url = optarg; break;
		case 'j': g->json = true; break;
		case 'h':
			printf("Usage: clusterctl quorum set --mode node-majority|node-disk-majority|auto\n"
			       "                             [--witness iscsi://PORTAL/IQN/LUN | --witness '']\n"
			       "auto uses the disk witness when one is configured and the node count\n"
			       "is even. Before anything changes the LUN is checked from every node\n"
			       "over ssh (reachable, persistent reservations work: 'clusterctl quorum\n"
			       "check' there); a node that cannot use it is named and nothing changes.\n"
			       "Then corosync.conf is rewritten on every node and the mode stored in\n"
			       "the cluster state.\n");
			return CTL_EXIT_OK;
		default: return cl_bad_usage("quorum set");
		}
	}
	if (!mode || (strcmp(mode, "node-majority") && strcmp(mode, "node-disk-majority") &&
		      strcmp(mode, "auto"))) {
		fprintf(stderr, "clusterctl quorum set: --mode node-majority, node-disk-majority "
			"or auto is required\n");
		return CTL_EXIT_USAGE;
	}
	rc = cl_read_local_cluster("quorum set", &d);
	if (rc)
		return rc;
	rc = quorum_config(&cur_mode, &cur_url);
	if (rc)
		return rc;
	eff = url ? url : cur_url;	/* no --witness: the configured one stays */
	if (!strcmp(mode, "node-disk-majority") && !eff[0]) {
		fprintf(stderr, "clusterctl quorum set: node-disk-majority needs --witness URL\n");
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	dev = cd_witness_wanted(mode, eff, d.n);
	s = cl_nodeset_new();
	if (!s) {
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	for (size_t i = 0; i < d.n; i++)
		cl_nodeset_add(s, d.nodes[i].name);
	ctl_ssh_mux_begin();
	if ((url && url[0]) || (dev && !d.witness_device)) {
		rc = cl_quorum_check_nodes("quorum set", s, eff);
		if (rc)
			goto out;
	}
	if (dev != d.witness_device) {
		d.witness_device = dev;
		if (cl_probe(s->p, s->n)) {
			fprintf(stderr, "clusterctl quorum set: not every node is fit; nothing "
				"was changed\n");
			rc = CTL_EXIT_FAILED;
			goto out;
		}
		for (size_t i = 0; i < s->n; i++)
			s->nd[i].same = true;	/* same cluster: reload, not restart */
		rc = cl_payload_make(&d, NULL, &pl);
		if (!rc)
			rc = cl_apply_all("quorum set", s, s->p, s->n, NULL, 0, &d, &pl);
		if (rc)
			goto out;
		fprintf(stderr, "corosync.conf %s the witness device on every node\n",
			dev ? "now has" : "no longer has");
	}
	rc = ctl_quorum_store(mode, url);
	if (rc == CTL_EXIT_OK && !g->json)
		printf("Quorum mode %s%s%s: %s (%llu ms)\n", mode, eff[0] ? ", witness " : "",
		       eff, dev ? "node and disk majority" : "node majority",
		       (unsigned long long)(cd_now_mono_ms() - t0));
out:
	if (s)
		ctl_ssh_mux_end();
	cl_payload_clear(&pl);
	cl_nodeset_free(s);
	free(cur_mode);
	free(cur_url);
	return rc;
}

int
cmd_quorum(struct ctl_globals *g, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "show")) {
		for (int i = 2; i < argc; i++)
			if (!strcmp(argv[i], "--json"))
				g->json = true;
		return quorum_show(g);
	}
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return quorum_set(g, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "check"))
		return quorum_check(argc - 1, argv + 1);
	fprintf(stderr, "Usage: clusterctl quorum show [--json]\n"
		"       clusterctl quorum set --mode MODE [--witness URL]\n"
		"       clusterctl quorum check --witness URL\n");
	return argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ?
	       CTL_EXIT_OK : CTL_EXIT_USAGE;
}
