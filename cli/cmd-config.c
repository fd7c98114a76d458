/*
 * cmd-config.c - clusterctl config show|set|unset|properties.
 */
#include "ctl.h"
#include "props.h"
#include "state-schema.h"
#include "valid.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char config_help[] =
"Usage: clusterctl config show [--json]\n"
"       clusterctl config set NAME VALUE\n"
"       clusterctl config unset NAME\n"
"       clusterctl config properties [--json]\n"
"The cluster configuration is one replicated document: every node holds the\n"
"same copy, and every change is applied by all nodes in the same order.\n"
"Changes need a quorate partition. 'properties' lists the settable cluster\n"
"properties with their types, ranges, defaults and current values; among\n"
"them what VM definitions may reach: vm-storage-roots, vm-extra-args.\n";

static int
config_show(struct ctl_globals *g)
{
	json_object *data, *state = NULL, *props = NULL, *nodes;
	struct cd_state st;
	int rc;

	rc = ctl_call("config-show", NULL, &data);
	if (rc)
		return rc;
	if (g->json) {
		ctl_print_json(data);
		json_object_put(data);
		return CTL_EXIT_OK;
	}
	json_object_object_get_ex(data, "state", &state);
	json_object_object_get_ex(data, "properties", &props);
	if (!state || !json_object_is_type(state, json_type_object)) {
		printf("This node belongs to no cluster (no configuration).\n");
		json_object_put(data);
		return CTL_EXIT_OK;
	}
	st.doc = state;		/* the document, read through the schema */
	nodes = cd_sp_get(&st, CD_SP_NODES);
	printf("Cluster:    %s\n", cd_sp_str(&st, "?", CD_SP_CLUSTER_NAME));
	printf("UUID:       %s\n", ctl_jstr(state, "uuid", "?"));
	printf("Generation: %lld%s\n", (long long)ctl_jint(data, "generation", 0),
	       ctl_jbool(data, "syncing") ? " (synchronising)" : "");
	printf("\nNodes:\n");
	if (nodes && json_object_is_type(nodes, json_type_object)) {
		json_object_object_foreach(nodes, name, node) {
			printf("  %-16s id %-4lld %s\n", name,
			       (long long)ctl_jint(node, "id", 0),
			       ctl_jstr(node, "addr", ""));
		}
	}
	printf("\nProperties:\n");
	if (props && json_object_is_type(props, json_type_object)) {
		json_object_object_foreach(props, name, v) {
			printf("  %-28s %s\n", name, ctl_jtext(v));
		}
	}
	json_object_put(data);
	return CTL_EXIT_OK;
}

static int
config_properties(struct ctl_globals *g)
{
	json_object *data, *list = NULL, *values = NULL;
	size_t i, n;
	int rc;

	rc = ctl_call("config-properties", NULL, &data);
	if (rc)
		return rc;
	if (g->json) {
		ctl_print_json(data);
		json_object_put(data);
		return CTL_EXIT_OK;
	}
	json_object_object_get_ex(data, "properties", &list);
	json_object_object_get_ex(data, "values", &values);
	n = list ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(list, i), *v = NULL;
		const char *name = ctl_jstr(p, "name", "?");

		json_object_object_get_ex(values, name, &v);
		printf("%s = %s\n    %s; %s", name, ctl_jtext(v), ctl_jstr(p, "help", ""),
		       ctl_jstr(p, "type", ""));
		if (json_object_object_get_ex(p, "min", NULL))
			printf(" %lld..%lld", (long long)ctl_jint(p, "min", 0),
			       (long long)ctl_jint(p, "max", 0));
		printf(", default '%s'\n", ctl_jstr(p, "default", ""));
	}
	json_object_put(data);
	return CTL_EXIT_OK;
}

int
cmd_config(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sub;
	json_object *args, *data = NULL;
	int rc, opt, nargs;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': g->json = true; break;
		case 'h': fputs(config_help, stdout); return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'clusterctl config --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(config_help, stderr);
		return CTL_EXIT_USAGE;
	}
	sub = argv[optind++];
	/* Options may also follow the subcommand. */
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': g->json = true; break;
		case 'h': fputs(config_help, stdout); return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'clusterctl config --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	nargs = argc - optind;

	if (strcmp(sub, "show") == 0 && nargs == 0)
		return config_show(g);
	if (strcmp(sub, "properties") == 0 && nargs == 0)
		return config_properties(g);
	if ((strcmp(sub, "set") == 0 && nargs == 2) ||
	    (strcmp(sub, "unset") == 0 && nargs == 1)) {
		json_object *parsed = NULL;
		char why[320];

		/* The check clusterd makes again (lib/props.h): a clear error
		 * before anything is sent. */
		rc = nargs == 2 ? cd_prop_parse(argv[optind], argv[optind + 1], &parsed,
						why, sizeof(why)) :
		     cd_prop_parse(argv[optind], cd_prop_find(argv[optind]) ?
				   cd_prop_find(argv[optind])->dflt : "", &parsed,
				   why, sizeof(why));
		json_object_put(parsed);
		if (rc < 0) {
			fprintf(stderr, "clusterctl config %s: %s\n", sub, why);
			return CTL_EXIT_USAGE;
		}
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(argv[optind]));
		if (nargs == 2)
			json_object_object_add(args, "value",
					       json_object_new_string(argv[optind + 1]));
		rc = ctl_call(nargs == 2 ? "config-set" : "config-unset", args, &data);
		json_object_put(args);
		if (rc == CTL_EXIT_OK) {
			if (g->json)
				ctl_print_json(data);
			else
				printf("%s %s: generation %lld\n",
				       nargs == 2 ? "set" : "unset", argv[optind],
				       (long long)ctl_jint(data, "generation", 0));
		}
		json_object_put(data);
		return rc;
	}
	fprintf(stderr, "clusterctl config: unknown or incomplete subcommand '%s'\n", sub);
	fputs(config_help, stderr);
	return CTL_EXIT_USAGE;
}
