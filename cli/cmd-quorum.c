/*
 * cmd-quorum.c - clusterctl quorum show | set: the quorum mode and the
 * disk witness (issue 5; clusterd/witness.c does the voting).
 *
 * "set" checks the witness LUN from this node (reachable; PR works: a test
 * key is registered and removed on a session of its own), rewrites
 * corosync.conf on every node with or without the quorum.device section
 * (through the same steps as create and node add: reload, or restart where
 * corosync needs it), then stores config.quorum in the replicated state,
 * which makes clusterd on every node register as the device or stop.
 */
#include "ctl.h"
#include "cluster.h"
#include "pr.h"
#include "timeutil.h"

#include <errno.h>
#include <getopt.h>
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

/* Register and remove a test key on a session of our own. */
static int
check_lun(const char *url_text)
{
	struct cd_iscsi_url url;
	struct cd_pr *pr;
	char err[160], host[64] = "ctl", ini[160];
	uint64_t key;
	int rc;

	if (cd_iscsi_url_parse(url_text, &url, err, sizeof(err)) < 0) {
		fprintf(stderr, "clusterctl quorum set: bad witness URL '%s': %s\n", url_text, err);
		return CTL_EXIT_USAGE;
	}
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			*p = '-';
	snprintf(ini, sizeof(ini), "iqn.2026-11.org.clusterd:%s.check", host);
	pr = cd_pr_open(&url, ini, 5000, &rc);
	if (!pr) {
		fprintf(stderr, "clusterctl quorum set: witness %s unreachable: %s\n", url_text,
			cd_pr_strerror(rc));
		return CTL_EXIT_FAILED;
	}
	key = cd_pr_key(0xfffe, (uint32_t)getpid());
	rc = cd_pr_register(pr, key);
	if (rc == 0)
		rc = cd_pr_unregister(pr, key);
	if (rc < 0)
		fprintf(stderr, "clusterctl quorum set: witness %s: persistent reservations "
			"do not work: %s\n", url_text, cd_pr_last_error(pr));
	cd_pr_close(pr);
	return rc < 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
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
	const char *mode = NULL, *url = NULL;
	struct cl_def d = { 0 };
	struct cl_nodeset *s;
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
			       "is even. The LUN is checked (reachable, persistent reservations work)\n"
			       "before anything changes; then corosync.conf is rewritten on every node\n"
			       "and the mode stored in the cluster state.\n");
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
	if (!strcmp(mode, "node-disk-majority") && (!url || !url[0])) {
		fprintf(stderr, "clusterctl quorum set: node-disk-majority needs --witness URL\n");
		return CTL_EXIT_USAGE;
	}
	if (url && url[0]) {
		rc = check_lun(url);
		if (rc)
			return rc;
		fprintf(stderr, "witness %s: reachable, persistent reservations work\n", url);
	}
	rc = cl_read_local_cluster("quorum set", &d);
	if (rc)
		return rc;
	dev = url && url[0] && (!strcmp(mode, "node-disk-majority") ||
				(!strcmp(mode, "auto") && d.n % 2 == 0));
	if (!url) {
		dev = d.witness_device && strcmp(mode, "node-majority") != 0;
	}
	if (dev != d.witness_device) {
		d.witness_device = dev;
		s = cl_nodeset_new();
		if (!s)
			return CTL_EXIT_FAILED;
		for (size_t i = 0; i < d.n; i++)
			cl_nodeset_add(s, d.nodes[i].name);
		ctl_ssh_mux_begin();
		if (cl_probe(s->p, s->n)) {
			fprintf(stderr, "clusterctl quorum set: not every node is fit; nothing "
				"was changed\n");
			cl_nodeset_free(s);
			return CTL_EXIT_FAILED;
		}
		for (size_t i = 0; i < s->n; i++)
			s->nd[i].same = true;	/* same cluster: reload, not restart */
		rc = cl_payload_make(&d, NULL, &pl);
		if (!rc)
			rc = cl_apply_all("quorum set", s, s->p, s->n, NULL, 0, &d, &pl);
		cl_payload_clear(&pl);
		cl_nodeset_free(s);
		if (rc)
			return rc;
		fprintf(stderr, "corosync.conf %s the witness device on every node\n",
			dev ? "now has" : "no longer has");
	}
	rc = ctl_quorum_store(mode, url);
	if (rc == CTL_EXIT_OK && !g->json)
		printf("Quorum mode %s%s%s (%llu ms)\n", mode, url && url[0] ? ", witness " : "",
		       url && url[0] ? url : "", (unsigned long long)(cd_now_mono_ms() - t0));
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
	fprintf(stderr, "Usage: clusterctl quorum show [--json]\n"
		"       clusterctl quorum set --mode MODE [--witness URL]\n");
	return argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ?
	       CTL_EXIT_OK : CTL_EXIT_USAGE;
}
