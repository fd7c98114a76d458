/*
 * cmd-resource.c - clusterctl resource add|list|show|remove: the OCF
 * resources of roles, through the local clusterd.
 */
#include "ctl.h"
#include "verb.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int
resource_add(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	     int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "role", required_argument, NULL, 'r' },
		{ "param", required_argument, NULL, 'p' },
		{ "monitor-interval", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *params = json_object_new_object();
	json_object *timeouts = json_object_new_object();
	json_object *args = NULL, *data = NULL;
	const char *agent = NULL, *role = NULL;
	int64_t interval = -1;
	int opt, rc = 0;

	optind = 0;
	while (!rc && (opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a': agent = optarg; rc = ctl_check_agent(optarg); break;
		case 'r': role = optarg; break;
		case 'p': rc = ctl_parse_param(optarg, params); break;
		case 'm': rc = ctl_parse_duration("--monitor-interval", optarg, &interval); break;
		case 't': rc = ctl_parse_op_timeout(optarg, timeouts); break;
		case 'j': g->json = true; break;
		case 'h': fputs(n->help, stdout); rc = CTL_HELP_SHOWN; break;
		default:
			fprintf(stderr, "Try '%s --help'.\n", ctl_args_prog());
			rc = CTL_EXIT_USAGE;
		}
	}
	if (!rc && argc - optind != 1)
		rc = ctl_usage_error("want one resource ID");
	else if (!rc && !*argv[optind])
		rc = ctl_usage_error("empty resource ID");
	else if (!rc && !agent)
		rc = ctl_usage_error("--agent ocf:PROVIDER:TYPE is required");
	else if (!rc && (!role || !*role))
		rc = ctl_usage_error("--role ROLE is required");
	if (rc) {
		json_object_put(params);
		json_object_put(timeouts);
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	}
	args = ctl_args_with("id", argv[optind]);
	json_object_object_add(args, "agent", json_object_new_string(agent));
	json_object_object_add(args, "role", json_object_new_string(role));
	json_object_object_add(args, "params", params);
	if (interval >= 0)
		json_object_object_add(args, "monitor_interval_ms",
				       json_object_new_int64(interval));
	if (json_object_object_length(timeouts))
		json_object_object_add(args, "timeouts_ms", timeouts);
	else
		json_object_put(timeouts);
	rc = ctl_call_put(v->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		ctl_print_done(g, data, "resource %s: added to role %s", argv[optind], role);
	json_object_put(data);
	return rc;
}

static void
res_row(json_object *r, char cell[][CTL_CELL_MAX])
{
	json_object *params = NULL;

	json_object_object_get_ex(r, "params", &params);
	snprintf(cell[0], CTL_CELL_MAX, "%s", ctl_jstr(r, "id", "?"));
	snprintf(cell[1], CTL_CELL_MAX, "%s", ctl_jstr(r, "role", "-"));
	snprintf(cell[2], CTL_CELL_MAX, "%s", ctl_jstr(r, "agent", "?"));
	ctl_join_params(params, cell[3], CTL_CELL_MAX);
}

static const char *const res_head[] = { "ID", "ROLE", "AGENT", "PARAMS" };

void
ctl_resource_table(json_object *resources)
{
	ctl_table_print(stdout, resources, res_head, 4, res_row);
}

static int
resource_list(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	      int argc, char **argv)
{
	return ctl_verb_list(g, n, v, argc, argv, "resources", "No resources.", res_head,
			     4, res_row);
}

static void
print_resource(json_object *d)
{
	static const char *const shown[] = { "id", "agent", "role", "state", "owner",
		"params", "monitor_interval_ms", "timeouts_ms" };
	json_object *params = NULL, *to = NULL;
	char t[32];

	json_object_object_get_ex(d, "params", &params);
	json_object_object_get_ex(d, "timeouts_ms", &to);
	printf("Resource:   %s\n", ctl_jstr(d, "id", "?"));
	printf("Agent:      %s\n", ctl_jstr(d, "agent", "?"));
	printf("Role:       %s (%s%s%s)\n", ctl_jstr(d, "role", "?"),
	       ctl_jstr(d, "state", "?"), *ctl_jstr(d, "owner", "") ? " on " : "",
	       ctl_jstr(d, "owner", ""));
	if (ctl_jint(d, "monitor_interval_ms", -1) > 0)
		printf("Monitor:    every %s\n",
		       ctl_fmt_ms(ctl_jint(d, "monitor_interval_ms", 0), t, sizeof(t)));
	else
		printf("Monitor:    %s\n", ctl_jint(d, "monitor_interval_ms", -1) ?
		       "default" : "off");
	printf("Timeouts:  ");
	if (to && json_object_is_type(to, json_type_object) &&
	    json_object_object_length(to)) {
		const char *sep = " ";

		json_object_object_foreach(to, op, ms) {
			printf("%s%s %s", sep, op,
			       ctl_fmt_ms(json_object_get_int64(ms), t, sizeof(t)));
			sep = ", ";
		}
		printf("\n");
	} else {
		printf(" default\n");
	}
	printf("Parameters:%s\n",
	       params && json_object_object_length(params) ? "" : " none");
	if (params && json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, k, val)
			printf("  %s=%s\n", k, ctl_jtext(val));
	}
	ctl_print_rest(stdout, d, shown, sizeof(shown) / sizeof(shown[0]));
}

static int
resource_show(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	      int argc, char **argv)
{
	return ctl_verb_show(g, n, v, argc, argv, print_resource);
}

int
cmd_resource(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl resource add ID --agent ocf:PROVIDER:TYPE --role ROLE\n"
"           [--param KEY=VALUE]... [--monitor-interval DUR]\n"
"           [--timeout start=DUR] [--timeout stop=DUR] [--timeout monitor=DUR]\n"
"       clusterctl resource list [--json]\n"
"       clusterctl resource show ID [--json]\n"
"       clusterctl resource remove ID\n"
"A resource is one OCF resource agent instance (an address, a disk, a VM)\n"
"in a role; 'add' appends it to the role's start order. clusterd checks the\n"
"agent exists under /usr/lib/ocf/resource.d and that every parameter its\n"
"meta-data requires is given. Each --param is passed to the agent as\n"
"OCF_RESKEY_KEY=VALUE (VALUE may contain '='). --monitor-interval sets how\n"
"often the resource is checked; --timeout bounds one operation, after which\n"
"the agent is killed and the operation failed. Durations: 500ms, 10s, 2m,\n"
"1h; a plain number is seconds.\n";
	static const struct ctl_verb verbs[] = {
		{ "add", resource_add, "resource-add", "id", "ID", 0, NULL, NULL },
		{ "list", resource_list, "resource-list", NULL, "", 0, NULL, NULL },
		{ "show", resource_show, "resource-show", "id", "ID", 0, NULL, NULL },
		{ "remove", ctl_verb_change, "resource-remove", "id", "ID", 0, "removed", NULL },
	};
	static const struct ctl_noun noun = { "resource", help, verbs,
					      sizeof(verbs) / sizeof(verbs[0]) };

	return ctl_noun_run(g, &noun, argc, argv);
}
