/*
 * cmd-audit.c - clusterctl audit: who changed what (clusterd/audit.h).
 */
#include "ctl.h"
#include "args.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char audit_help[] =
"Usage: clusterctl audit [--json] [-n N]\n"
"Show the last N (default 20) requests that changed or tried to change the\n"
"cluster, from every node, oldest first: when, on which node, by which user\n"
"(uid from the IPC credentials), the command with its arguments in short,\n"
"and the result (ok, or the error with clusterd's reason; refused requests\n"
"are audited too). Every node keeps its last 40 in the replicated state;\n"
"each is also in syslog on the node that received it, tag clusterd-audit,\n"
"where connections refused for want of root or group haclient are too.\n"
"  -n, --count N   how many entries, 1..2560\n";

static void
print_entry(json_object *e)
{
	int64_t at = ctl_jint(e, "at", 0);
	time_t s = (time_t)(at / 1000);
	const char *result = ctl_jstr(e, "result", "?");
	char when[32] = "?", who[96];
	struct tm tm;

	if (localtime_r(&s, &tm))
		snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d:%02d.%03d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int)(at % 1000));
	snprintf(who, sizeof(who), "%s(%lld)", ctl_jstr(e, "user", "?"),
		 (long long)ctl_jint(e, "uid", -1));
	printf("%s  %-8s %-14s %-16s %s", when, ctl_jstr(e, "node", "?"), who,
	       ctl_jstr(e, "cmd", "?"), ctl_jstr(e, "args", ""));
	if (strcmp(result, "ok") == 0)
		printf("  ok\n");
	else
		printf("  REFUSED %s: %s\n", result, ctl_jstr(e, "message", ""));
}

int
cmd_audit(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *args, *data = NULL, *entries = NULL;
	long long n = 20;
	size_t i;
	int opt, rc;

	ctl_args_set_prog("audit", NULL);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+jhn:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': g->json = true; break;
		case 'n':
			if (ctl_parse_int("--count", optarg, 1, 2560, &n))
				return CTL_EXIT_USAGE;
			break;
		case 'h': fputs(audit_help, stdout); return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'clusterctl audit --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_error("unexpected argument '%s'", argv[optind]);
	args = json_object_new_object();
	json_object_object_add(args, "n", json_object_new_int64(n));
	rc = ctl_call("audit", args, &data);
	json_object_put(args);
	if (rc)
		return rc;
	if (g->json) {
		ctl_print_json(data);
	} else {
		json_object_object_get_ex(data, "entries", &entries);
		for (i = 0; entries && i < json_object_array_length(entries); i++)
			print_entry(json_object_array_get_idx(entries, i));
		if (ctl_jint(data, "queued", 0) > 0)
			printf("(%lld more from this node not yet in the cluster state)\n",
			       (long long)ctl_jint(data, "queued", 0));
	}
	json_object_put(data);
	return CTL_EXIT_OK;
}
