/*
 * cmd-disk.c - clusterctl disk add|list: clustered disks, i.e. resources of
 * agent ocf:clusterd:disk (agents/disk), added through clusterd's ordinary
 * resource-add request.
 */
#include "ctl.h"
#include "iscsi-url.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DISK_AGENT "ocf:clusterd:disk"

static const char help[] =
"Usage: clusterctl disk add NAME --lun iscsi://HOST[:PORT]/TARGET/LUN --role ROLE\n"
"                           [--type wero|ea] [--monitor-interval SECONDS]\n"
"       clusterctl disk list [--json]\n"
"A clustered disk belongs to one role at a time: where the role runs, the\n"
"disk agent registers that node's key on the LUN and reserves it (Write\n"
"Exclusive - Registrants Only by default, Exclusive Access with --type ea),\n"
"so no other node can write it. The role's other resources find the disk at\n"
"/run/clusterd/disk/NAME/device. A fencing LUN (clusterctl storage) cannot\n"
"be a disk.\n";

/* The fencing LUN with this URL, if any (canonical forms compared). */
static const char *
fencing_lun(json_object *luns, const struct cd_iscsi_url *u, char *name, size_t len)
{
	char a[600], b[600];
	size_t i, n = luns ? json_object_array_length(luns) : 0;

	cd_iscsi_url_format(u, a, sizeof(a));
	for (i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(luns, i);
		struct cd_iscsi_url v;

		if (cd_iscsi_url_parse(ctl_jstr(l, "url", ""), &v, NULL, 0) < 0)
			continue;
		cd_iscsi_url_format(&v, b, sizeof(b));
		if (strcmp(a, b) == 0) {
			snprintf(name, len, "%s", ctl_jstr(l, "name", "?"));
			return name;
		}
	}
	return NULL;
}

static int
disk_add(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lun", required_argument, NULL, 'l' },
		{ "role", required_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 't' },
		{ "monitor-interval", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *lun = NULL, *role = NULL, *type = "wero";
	json_object *args, *params, *data = NULL, *luns = NULL;
	struct cd_iscsi_url url;
	struct ctl_conn *c;
	char why[160], fname[128];
	long interval_s = 5;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': lun = optarg; break;
		case 'r': role = optarg; break;
		case 't': type = optarg; break;
		case 'm': interval_s = atol(optarg); break;
		case 'j': g->json = true; break;
		case 'h': fputs(help, stdout); return CTL_EXIT_OK;
		default: goto usage;
		}
	}
	if (argc - optind != 1 || !*argv[optind] || !lun || !role || !*role) {
		fprintf(stderr, "clusterctl disk add: want NAME, --lun URL and --role ROLE\n");
		goto usage;
	}
	if (cd_iscsi_url_parse(lun, &url, why, sizeof(why)) < 0) {
		fprintf(stderr, "clusterctl disk add: bad URL '%s': %s\n", lun, why);
		return CTL_EXIT_USAGE;
	}
	if (strcasecmp(type, "wero") && strcasecmp(type, "ea")) {
		fprintf(stderr, "clusterctl disk add: --type is wero or ea, not '%s'\n", type);
		return CTL_EXIT_USAGE;
	}
	if (interval_s < 1 || interval_s > 3600) {
		fprintf(stderr, "clusterctl disk add: --monitor-interval: seconds 1..3600\n");
		return CTL_EXIT_USAGE;
	}
	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = ctl_request_sync(c, "storage-list", NULL, &data);
	if (rc == CTL_EXIT_OK && json_object_object_get_ex(data, "luns", &luns) &&
	    fencing_lun(luns, &url, fname, sizeof(fname))) {
		fprintf(stderr, "clusterctl disk add: %s is the fencing LUN '%s': every node "
			"registers there, so it cannot belong to one role\n", lun, fname);
		rc = CTL_EXIT_FAILED;
	}
	json_object_put(data);
	data = NULL;
	if (rc == CTL_EXIT_OK) {
		args = json_object_new_object();
		params = json_object_new_object();
		json_object_object_add(params, "lun", json_object_new_string(lun));
		json_object_object_add(params, "type", json_object_new_string(type));
		json_object_object_add(args, "id", json_object_new_string(argv[optind]));
		json_object_object_add(args, "agent", json_object_new_string(DISK_AGENT));
		json_object_object_add(args, "role", json_object_new_string(role));
		json_object_object_add(args, "params", params);
		json_object_object_add(args, "monitor_interval_ms",
				       json_object_new_int64((int64_t)interval_s * 1000));
		rc = ctl_request_sync(c, "resource-add", args, &data);
		json_object_put(args);
		if (rc == CTL_EXIT_OK) {
			if (g->json)
				ctl_print_json(data);
			else
				printf("disk %s: added to role %s (%s, %s)\n", argv[optind], role,
				       lun, type);
		}
		json_object_put(data);
	}
	ctl_disconnect(c);
	return rc;
usage:
	fprintf(stderr, "Try 'clusterctl disk --help'.\n");
	return CTL_EXIT_USAGE;
}

static int
disk_list(struct ctl_globals *g, int argc, char **argv)
{
	json_object *data = NULL, *rs = NULL, *out;
	struct ctl_conn *c;
	size_t i, n;
	int rc, shown = 0;

	if (argc > 1 && strcmp(argv[1], "--json") == 0)
		g->json = true;
	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = ctl_request_sync(c, "resource-list", NULL, &data);
	ctl_disconnect(c);
	if (rc)
		return rc;
	json_object_object_get_ex(data, "resources", &rs);
	out = json_object_new_array();
	n = rs ? json_object_array_length(rs) : 0;
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(rs, i), *p = NULL;

		if (strcmp(ctl_jstr(r, "agent", ""), DISK_AGENT))
			continue;
		json_object_array_add(out, json_object_get(r));
		json_object_object_get_ex(r, "params", &p);
		if (!g->json) {
			if (!shown++)
				printf("%-16s %-12s %-6s %s\n", "NAME", "ROLE", "TYPE", "LUN");
			printf("%-16s %-12s %-6s %s\n", ctl_jstr(r, "id", "?"),
			       ctl_jstr(r, "role", "?"), ctl_jstr(p, "type", "wero"),
			       ctl_jstr(p, "lun", "?"));
		}
	}
	if (g->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "disks", out);
		ctl_print_json(o);
		json_object_put(o);
	} else {
		if (!shown)
			printf("No clustered disks ('clusterctl disk add').\n");
		json_object_put(out);
	}
	json_object_put(data);
	return CTL_EXIT_OK;
}

int
cmd_disk(struct ctl_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	if (strcmp(argv[1], "add") == 0)
		return disk_add(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return disk_list(g, argc - 1, argv + 1);
	fprintf(stderr, "clusterctl disk: unknown subcommand '%s'\n", argv[1]);
	fprintf(stderr, "Try 'clusterctl disk --help'.\n");
	return CTL_EXIT_USAGE;
}

/* ---- storage list: every LUN the cluster uses, as the target sees it ---- */

#include "pr.h"

#include <inttypes.h>
#include <signal.h>

#define SCAN_TIMEOUT_MS 3000
#define SCAN_MAX_KEYS	32

/* The name of node id in node-list's answer, or NULL. */
static const char *
node_name(json_object *nodes, uint32_t id)
{
	size_t i, n = nodes ? json_object_array_length(nodes) : 0;

	for (i = 0; i < n; i++) {
		json_object *nd = json_object_array_get_idx(nodes, i);

		if (ctl_jint(nd, "id", 0) == (int64_t)id)
			return ctl_jstr(nd, "name", NULL);
	}
	return NULL;
}

static json_object *
key_json(uint64_t key, json_object *nodes)
{
	json_object *k = json_object_new_object();
	uint32_t id, inc;
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, key);
	json_object_object_add(k, "key", json_object_new_string(buf));
	if (cd_pr_key_decode(key, &id, &inc)) {
		const char *nm = node_name(nodes, id);

		json_object_object_add(k, "node", json_object_new_string(nm ? nm : "?"));
		json_object_object_add(k, "nodeid", json_object_new_int64(id));
		json_object_object_add(k, "incarnation", json_object_new_int64(inc));
	} else {
		json_object_object_add(k, "node", json_object_new_string("(not ours)"));
	}
	return k;
}

/* Read one LUN's identity, keys and reservation from this node. */
static void
scan_lun(json_object *l, json_object *nodes, const char *initiator)
{
	struct cd_iscsi_url u;
	struct cd_pr_inquiry inq;
	struct cd_pr_reservation res;
	uint64_t keys[SCAN_MAX_KEYS];
	size_t n = 0, i;
	struct cd_pr *pr;
	json_object *ka = json_object_new_array();
	int err = 0;

	json_object_object_add(l, "keys", ka);
	if (cd_iscsi_url_parse(ctl_jstr(l, "url", ""), &u, NULL, 0) < 0) {
		json_object_object_add(l, "health", json_object_new_string("bad-url"));
		return;
	}
	pr = cd_pr_open(&u, initiator, SCAN_TIMEOUT_MS, &err);
	if (!pr) {
		json_object_object_add(l, "health", json_object_new_string("unreachable"));
		json_object_object_add(l, "error", json_object_new_string(cd_pr_strerror(err)));
		return;
	}
	if ((err = cd_pr_inquiry(pr, &inq)) == 0) {
		json_object_object_add(l, "serial", json_object_new_string(inq.serial));
		json_object_object_add(l, "size_bytes",
				       json_object_new_int64((int64_t)(inq.blocks * inq.block_size)));
	}
	if (!err)
		err = cd_pr_read_keys(pr, keys, SCAN_MAX_KEYS, &n, NULL);
	for (i = 0; !err && i < n && i < SCAN_MAX_KEYS; i++)
		json_object_array_add(ka, key_json(keys[i], nodes));
	if (!err)
		err = cd_pr_read_reservation(pr, &res);
	if (!err && res.present) {
		json_object *r = key_json(res.key, nodes);

		json_object_object_add(r, "type", json_object_new_string(
			cd_pr_type_name((int)res.type) ? cd_pr_type_name((int)res.type) : "?"));
		json_object_object_add(l, "reservation", r);
	}
	json_object_object_add(l, "health", json_object_new_string(err ? "error" : "ok"));
	if (err)
		json_object_object_add(l, "error", json_object_new_string(cd_pr_last_error(pr)));
	cd_pr_close(pr);
}

static void
print_lun(json_object *l)
{
	json_object *ka = NULL, *r = NULL;
	char keys[512] = "", res[128] = "-";
	size_t i, n, o = 0;

	json_object_object_get_ex(l, "keys", &ka);
	n = ka ? json_object_array_length(ka) : 0;
	for (i = 0; i < n && o < sizeof(keys); i++) {
		json_object *k = json_object_array_get_idx(ka, i);

		o += (size_t)snprintf(keys + o, sizeof(keys) - o, "%s%s(%s)", i ? " " : "",
				      ctl_jstr(k, "node", "?"), ctl_jstr(k, "key", "?"));
	}
	if (json_object_object_get_ex(l, "reservation", &r))
		snprintf(res, sizeof(res), "%s by %s", ctl_jstr(r, "type", "?"),
			 ctl_jstr(r, "node", "?"));
	printf("%-12s %-8s %-10s %-8s %-18s %s\n", ctl_jstr(l, "name", "?"),
	       ctl_jstr(l, "use", "?"), ctl_jstr(l, "role", "-"), ctl_jstr(l, "health", "?"),
	       res, n ? keys : "-");
	printf("             %s%s%s\n", ctl_jstr(l, "url", "?"),
	       json_object_object_get_ex(l, "error", NULL) ? "  error: " : "",
	       ctl_jstr(l, "error", ""));
}

int
ctl_storage_list(struct ctl_globals *g, int argc, char **argv)
{
	json_object *fl = NULL, *rl = NULL, *nl = NULL, *luns = NULL, *rs = NULL, *nodes = NULL;
	json_object *out = json_object_new_array(), *o;
	char initiator[CD_ISCSI_NAME_MAX + 1], host[64] = "";
	struct ctl_conn *c;
	size_t i, n;
	int rc;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			g->json = true;
		} else {
			fprintf(stderr, "clusterctl storage list: unexpected '%s'\n", argv[i]);
			json_object_put(out);
			return CTL_EXIT_USAGE;
		}
	}
	c = ctl_connect(&rc);
	if (!c) {
		json_object_put(out);
		return rc;
	}
	rc = ctl_request_sync(c, "storage-list", NULL, &fl);
	if (!rc)
		rc = ctl_request_sync(c, "resource-list", NULL, &rl);
	if (!rc)
		rc = ctl_request_sync(c, "node-list", NULL, &nl);
	ctl_disconnect(c);
	if (rc)
		goto out;
	json_object_object_get_ex(fl, "luns", &luns);
	json_object_object_get_ex(rl, "resources", &rs);
	json_object_object_get_ex(nl, "nodes", &nodes);
	n = luns ? json_object_array_length(luns) : 0;
	for (i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(luns, i);

		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(ctl_jstr(l, "name", "?")));
		json_object_object_add(o, "use", json_object_new_string("fencing"));
		json_object_object_add(o, "url", json_object_new_string(ctl_jstr(l, "url", "")));
		json_object_array_add(out, o);
	}
	n = rs ? json_object_array_length(rs) : 0;
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(rs, i), *p = NULL;

		if (strcmp(ctl_jstr(r, "agent", ""), DISK_AGENT))
			continue;
		json_object_object_get_ex(r, "params", &p);
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(ctl_jstr(r, "id", "?")));
		json_object_object_add(o, "use", json_object_new_string("disk"));
		json_object_object_add(o, "role", json_object_new_string(ctl_jstr(r, "role", "?")));
		json_object_object_add(o, "url", json_object_new_string(ctl_jstr(p, "lun", "")));
		json_object_array_add(out, o);
	}
	signal(SIGPIPE, SIG_IGN);	/* libiscsi writes with writev() */
	gethostname(host, sizeof(host) - 1);
	for (i = 0; host[i]; i++)
		host[i] = (char)((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= '0' && host[i] <= '9') ||
				 host[i] == '-' ? host[i] : host[i] >= 'A' && host[i] <= 'Z' ?
				 host[i] - 'A' + 'a' : '-');
	snprintf(initiator, sizeof(initiator), "iqn.2026-11.org.clusterd:storage-list:%s", host);
	n = json_object_array_length(out);
	for (i = 0; i < n; i++)
		scan_lun(json_object_array_get_idx(out, i), nodes, initiator);
	if (g->json) {
		o = json_object_new_object();
		json_object_object_add(o, "luns", json_object_get(out));
		ctl_print_json(o);
		json_object_put(o);
	} else if (n == 0) {
		printf("No shared LUNs ('clusterctl storage add', 'clusterctl disk add').\n");
	} else {
		printf("%-12s %-8s %-10s %-8s %-18s %s\n", "NAME", "USE", "ROLE", "HEALTH",
		       "RESERVATION", "KEYS");
		for (i = 0; i < n; i++)
			print_lun(json_object_array_get_idx(out, i));
	}
out:
	json_object_put(fl);
	json_object_put(rl);
	json_object_put(nl);
	json_object_put(out);
	return rc;
}
