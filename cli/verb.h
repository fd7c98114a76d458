/*
 * verb.h - the nouns of clusterctl that administer the resource manager
 * (role, resource, node, storage) as tables of verbs, the dispatcher that
 * runs one verb, and the verbs that are the same for every noun: list,
 * show and a plain change.
 *
 * A noun's file (cmd-role.c, ...) holds its help text, its verb table and
 * its own verbs; ctl_noun_run() parses what comes before the verb (--json,
 * --help), sets the program name for messages (args.h), and calls the
 * verb with argv[0] the verb itself. Verbs return a CTL_EXIT_ code and
 * print their result on stdout (clusterd's answer as JSON with --json),
 * errors on stderr.
 */
#ifndef CLUSTERCTL_VERB_H
#define CLUSTERCTL_VERB_H

#include "args.h"
#include "ctl.h"
#include "table.h"

#include <stddef.h>
#include <json-c/json.h>

struct ctl_noun;
struct ctl_verb;

typedef int (*ctl_verb_fn)(struct ctl_globals *g, const struct ctl_noun *n,
			   const struct ctl_verb *v, int argc, char **argv);

/* One verb of a noun. */
struct ctl_verb {
	const char *name;	/* "add" */
	ctl_verb_fn fn;
	const char *ipc;	/* its IPC command; NULL when it sends several */
	const char *key;	/* request key of the first argument: "name"/"id" */
	const char *usage;	/* its positional arguments: "ROLE NODE" */
	unsigned opts;		/* CTL_OPT_* (args.h) */
	const char *done;	/* confirmation of a plain change: "removed" */
	const char *wait_state;	/* --wait follows the role to this state */
};

struct ctl_noun {
	const char *name;	/* "role" */
	const char *help;	/* for --help, before or after the verb */
	const struct ctl_verb *verbs;
	size_t n_verbs;
};

/** Run the verb argv[1...] of @p n (argv[0] is the noun). */
int ctl_noun_run(struct ctl_globals *g, const struct ctl_noun *n, int argc,
		 char **argv);

/** The argument spec of @p v: its usage and options, @p n's help. */
struct ctl_args_spec ctl_verb_spec(const struct ctl_noun *n, const struct ctl_verb *v);

/**
 * "list": send v->ipc, print the array @p key of the answer as a table
 * (ctl_table_print() with @p head and @p row), @p empty when it has none,
 * or the answer as JSON.
 */
int ctl_verb_list(struct ctl_globals *g, const struct ctl_noun *n,
		  const struct ctl_verb *v, int argc, char **argv, const char *key,
		  const char *empty, const char *const *head, size_t ncols,
		  ctl_row_fn row);

/** "show": send v->ipc with {v->key: ARG}; print the answer with @p print
 * or as JSON. */
int ctl_verb_show(struct ctl_globals *g, const struct ctl_noun *n,
		  const struct ctl_verb *v, int argc, char **argv,
		  void (*print)(json_object *d));

/** A plain change: send v->ipc with {v->key: ARG} (and "force" when the
 * verb takes --force); say "NOUN ARG: v->done". */
int ctl_verb_change(struct ctl_globals *g, const struct ctl_noun *n,
		    const struct ctl_verb *v, int argc, char **argv);

/** ctl_call() that also puts @p args (may be NULL). */
int ctl_call_put(const char *cmd, json_object *args, json_object **data);

/** A new request {@p key: @p value}. */
json_object *ctl_args_with(const char *key, const char *value);

/**
 * After a change: the answer as JSON (--json); else clusterd's message
 * for a change that was not needed; else the text of @p fmt, " on N shared
 * LUNs" (node fence) and " (generation G)".
 */
void ctl_print_done(struct ctl_globals *g, json_object *data, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
