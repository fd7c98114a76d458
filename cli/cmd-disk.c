/*
 * cmd-disk.c - clusterctl disk add|list: clustered disks, i.e. resources of
 * agent ocf:clusterd:disk (agents/disk), added through clusterd's ordinary
 * resource-add request.
 */
#include "ctl.h"
#include "args.h"
#include "valid.h"
#include "iscsi-url.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
"Usage: clusterctl disk add NAME --lun iscsi://HOST[:PORT]/TARGET/LUN --role ROLE\n"
"                           [--type wero|ea] [--monitor-interval DUR]\n"
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
	int64_t interval_ms = 5000;
	int opt, rc;

	ctl_args_set_prog("disk", "add");
	optind = 0;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': lun = optarg; break;
		case 'r': role = optarg; break;
		case 't': type = optarg; break;
		case 'm':
			if (ctl_parse_duration("--monitor-interval", optarg, &interval_ms))
				return CTL_EXIT_USAGE;
			break;
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
	if (interval_ms < 1000 || interval_ms > 3600000)
		return ctl_usage_error("--monitor-interval must be 1s..1h");
	if (cd_valid_name(CD_NAME_RESOURCE, argv[optind], why, sizeof(why)))
		return ctl_usage_error("%s", why);
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
		json_object_object_add(args, "agent", json_object_new_string(CTL_DISK_AGENT));
		json_object_object_add(args, "role", json_object_new_string(role));
		json_object_object_add(args, "params", params);
		json_object_object_add(args, "monitor_interval_ms",
				       json_object_new_int64(interval_ms));
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

		if (strcmp(ctl_jstr(r, "agent", ""), CTL_DISK_AGENT))
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
