/*
 * verb.c - nouns as verb tables, and the verbs every noun shares (verb.h).
 */
#include "verb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
ctl_noun_run(struct ctl_globals *g, const struct ctl_noun *n, int argc, char **argv)
{
	static char verb_argv0[64];	/* the verb's argv[0]: "clusterctl role add" */
	size_t k;
	int i;

	ctl_args_set_prog(n->name, NULL);
	/* --json and --help may come before the verb. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
			g->json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(n->help, stdout);
			return CTL_EXIT_OK;
		} else {
			fprintf(stderr, "clusterctl %s: unknown option '%s' before "
				"the subcommand\nTry 'clusterctl %s --help'.\n",
				n->name, argv[i], n->name);
			return CTL_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "clusterctl %s: no subcommand given\n", n->name);
		fputs(n->help, stderr);
		return CTL_EXIT_USAGE;
	}
	for (k = 0; k < n->n_verbs; k++) {
		if (strcmp(argv[i], n->verbs[k].name))
			continue;
		ctl_args_set_prog(n->name, n->verbs[k].name);
		snprintf(verb_argv0, sizeof(verb_argv0), "%s", ctl_args_prog());
		argv[i] = verb_argv0;	/* getopt names it in its messages */
		return n->verbs[k].fn(g, n, &n->verbs[k], argc - i, argv + i);
	}
	fprintf(stderr, "clusterctl %s: unknown subcommand '%s'\nTry 'clusterctl "
		"%s --help'.\n", n->name, argv[i], n->name);
	return CTL_EXIT_USAGE;
}

struct ctl_args_spec
ctl_verb_spec(const struct ctl_noun *n, const struct ctl_verb *v)
{
	struct ctl_args_spec s = { v->usage, v->opts, n->help };

	return s;
}

int
ctl_call_put(const char *cmd, json_object *args, json_object **data)
{
	int rc = ctl_call(cmd, args, data);

	json_object_put(args);
	return rc;
}

json_object *
ctl_args_with(const char *key, const char *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(value));
	return o;
}

void
ctl_print_done(struct ctl_globals *g, json_object *data, const char *fmt, ...)
{
	va_list ap;

	if (g->json) {
		ctl_print_json(data);
		return;
	}
	/* A change that was not needed: clusterd says why (no generation). */
	if (ctl_jstr(data, "message", NULL) && ctl_jint(data, "generation", -1) < 0) {
		printf("%s\n", ctl_jstr(data, "message", ""));
		return;
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (ctl_jint(data, "luns", -1) >= 0)	/* node fence */
		printf(" on %lld shared LUN%s", (long long)ctl_jint(data, "luns", 0),
		       ctl_jint(data, "luns", 0) == 1 ? "" : "s");
	if (ctl_jint(data, "generation", -1) >= 0)
		printf(" (generation %lld)", (long long)ctl_jint(data, "generation", 0));
	printf("\n");
}

int
ctl_verb_list(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	      int argc, char **argv, const char *key, const char *empty,
	      const char *const *head, size_t ncols, ctl_row_fn row)
{
	struct ctl_args_spec spec = ctl_verb_spec(n, v);
	json_object *data, *arr = NULL;
	struct ctl_args a;
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc)
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	rc = ctl_call_put(v->ipc, NULL, &data);
	if (rc)
		return rc;
	json_object_object_get_ex(data, key, &arr);
	if (g->json)
		ctl_print_json(data);
	else if (!arr || json_object_array_length(arr) == 0)
		printf("%s\n", empty);
	else
		ctl_table_print(stdout, arr, head, ncols, row);
	json_object_put(data);
	return CTL_EXIT_OK;
}

int
ctl_verb_show(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	      int argc, char **argv, void (*print)(json_object *d))
{
	struct ctl_args_spec spec = ctl_verb_spec(n, v);
	json_object *data;
	struct ctl_args a;
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc)
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	rc = ctl_call_put(v->ipc, ctl_args_with(v->key, a.pos[0]), &data);
	if (rc)
		return rc;
	if (g->json)
		ctl_print_json(data);
	else
		print(data);
	json_object_put(data);
	return CTL_EXIT_OK;
}

int
ctl_verb_change(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
		int argc, char **argv)
{
	struct ctl_args_spec spec = ctl_verb_spec(n, v);
	json_object *args, *data;
	struct ctl_args a;
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc)
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	args = ctl_args_with(v->key, a.pos[0]);
	if (v->opts & CTL_OPT_FORCE)
		json_object_object_add(args, "force", json_object_new_boolean(a.force));
	rc = ctl_call_put(v->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		ctl_print_done(g, data, "%s %s: %s", n->name, a.pos[0], v->done);
	json_object_put(data);
	return rc;
}
