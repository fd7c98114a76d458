/*
 * args.h - clusterctl's argument parser: the options every verb of a noun
 * shares (--json, --help, --force, --wait, --timeout) with its positional
 * arguments, and the checked values options take (durations, counts,
 * memory sizes, node lists, hour windows, agent parameters).
 *
 * Contract of every parser here: it returns 0 and fills its output, or
 * prints one line "PROG: what is wrong" plus "Try 'PROG --help'." on stderr
 * and returns CTL_EXIT_USAGE, leaving the output as it was (a list or
 * object it appends to may hold the elements before the bad one). PROG is
 * the command being run ("clusterctl role add"), set by ctl_args_set_prog().
 * Nothing here talks to clusterd; json objects passed in are borrowed.
 */
#ifndef CLUSTERCTL_ARGS_H
#define CLUSTERCTL_ARGS_H

#include "ctl.h"

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#define CTL_HELP_SHOWN		(-1)	/* a parser printed --help: exit 0 */
#define CTL_WAIT_DEFAULT_MS	60000	/* --wait without --timeout */
#define CTL_DURATION_MAX_MS	2147483647LL	/* ~24.8 days: fits an int of ms */
#define CTL_ARG_MAX		256	/* longest node name or parameter key + 1 */

/** The command named in messages: "clusterctl GROUP VERB" (VERB may be NULL). */
void ctl_args_set_prog(const char *group, const char *verb);
/** "clusterctl role add", or "clusterctl" before ctl_args_set_prog(). */
const char *ctl_args_prog(void);

/** Print "PROG: <message>\nTry 'PROG --help'." on stderr. @return CTL_EXIT_USAGE */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Options a verb accepts besides --json and --help (struct ctl_args_spec.opts). */
enum {
	CTL_OPT_FORCE = 1,	/* --force */
	CTL_OPT_WAIT = 2,	/* --wait, --timeout DUR (which implies --wait) */
};

/* What a verb takes. */
struct ctl_args_spec {
	const char *usage;	/* its positional arguments: "ROLE NODE", "" for none */
	unsigned opts;		/* CTL_OPT_* */
	const char *help;	/* printed on stdout for --help */
};

/* What it was given. */
struct ctl_args {
	const char *pos[2];	/* the positional arguments (borrowed from argv) */
	bool force, wait;
	int64_t timeout_ms;	/* CTL_WAIT_DEFAULT_MS unless --timeout */
};

/**
 * Parse a verb's command line: argv[0] is the verb (getopt names it in its
 * messages), then the options of @p spec in any order, and exactly as many
 * positional arguments as @p spec->usage has words, none empty. --json sets
 * g->json. At most two positional arguments.
 * @return 0; CTL_HELP_SHOWN after printing spec->help; CTL_EXIT_USAGE
 */
int ctl_args_parse(struct ctl_globals *g, const struct ctl_args_spec *spec,
		   int argc, char **argv, struct ctl_args *a);

/*
 * The checks below are lib/valid.h's (V1-V9), the ones clusterd applies to
 * the same fields, with their reasons; these wrappers print them.
 */

/** A duration (V4): "500ms", "10s", "1.5s", "2m", "2min", "1h"; a plain number is
 * seconds; at most CTL_DURATION_MAX_MS. @p opt names the option in messages. */
int ctl_parse_duration(const char *opt, const char *s, int64_t *ms);

/** A whole number in [min, max], decimal (V3). */
int ctl_parse_int(const char *opt, const char *s, long long min, long long max,
		  long long *out);

/** Memory in MiB for --memory (V5): "2048", "2048M", "2048MiB", "2G", "2GiB",
 * "1T", at most CD_ROLE_MEMORY_MAX_MIB. */
int ctl_parse_mib(const char *s, long long *mib);

/** Append the names of "n1,n2" to the array @p a; a name already in @p a
 * or one that is not a node name (V1) is an error. */
int ctl_parse_nodes(const char *opt, const char *s, json_object *a);

/** "22-6" for --failback-window: two different hours 0..23, wrapping.
 * @param win  out: a new array [start, end] (caller puts it) */
int ctl_parse_window(const char *s, json_object **win);

/** "KEY=VALUE" for --param into @p params (KEY letters, digits and '_', not
 * starting with a digit: it becomes OCF_RESKEY_KEY; VALUE may hold '='). */
int ctl_parse_param(const char *s, json_object *params);

/** "OP=DURATION" for --timeout of resource add, OP start, stop or monitor,
 * DURATION more than 0, into @p timeouts as {"OP": ms}. */
int ctl_parse_op_timeout(const char *s, json_object *timeouts);

/** An agent "ocf:PROVIDER:TYPE", each part a plain file name. */
int ctl_check_agent(const char *s);

/** Whether the array of strings @p a holds @p s. */
bool ctl_jarray_has(json_object *a, const char *s);

#endif
