/*
 * args.c - clusterctl's argument parser (args.h).
 */
#include "args.h"
#include "valid.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char prog[64] = "clusterctl";	/* "clusterctl role add", for messages */

void
ctl_args_set_prog(const char *group, const char *verb)
{
	snprintf(prog, sizeof(prog), "clusterctl %s%s%s", group, verb ? " " : "",
		 verb ? verb : "");
}

const char *
ctl_args_prog(void)
{
	return prog;
}

int
ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return CTL_EXIT_USAGE;
}

int
ctl_parse_duration(const char *opt, const char *s, int64_t *ms)
{
	char err[256];

	if (cd_valid_duration(opt, s, 1000, 0, CTL_DURATION_MAX_MS, ms, err, sizeof(err)))
		return ctl_usage_error("%s", err);
	return 0;
}

int
ctl_parse_int(const char *opt, const char *s, long long min, long long max,
	      long long *out)
{
	char err[256];
	int64_t v;

	if (cd_valid_int(opt, s, min, max, &v, err, sizeof(err)))
		return ctl_usage_error("%s", err);
	*out = v;
	return 0;
}

int
ctl_parse_mib(const char *s, long long *mib)
{
	char err[256];
	int64_t v;

	if (cd_valid_size("--memory", s, 1LL << 20, 0, CD_ROLE_MEMORY_MAX_MIB, &v,
			  err, sizeof(err)))
		return ctl_usage_error("%s", err);
	*mib = v;
	return 0;
}

bool
ctl_jarray_has(json_object *a, const char *s)
{
	size_t i, n = json_object_array_length(a);

	for (i = 0; i < n; i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	}
	return false;
}

int
ctl_parse_nodes(const char *opt, const char *s, json_object *a)
{
	const char *p = s, *comma;
	char name[CTL_ARG_MAX], err[256];
	size_t len;

	do {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(name))
			return ctl_usage_error("%s: bad node list '%s' (want NODE[,NODE...])",
					       opt, s);
		memcpy(name, p, len);
		name[len] = '\0';
		if (cd_valid_name(CD_NAME_NODE, name, err, sizeof(err)))
			return ctl_usage_error("%s: %s", opt, err);
		if (ctl_jarray_has(a, name))
			return ctl_usage_error("%s: node %s given twice", opt, name);
		json_object_array_add(a, json_object_new_string(name));
		p = comma + 1;
	} while (comma);
	return 0;
}

int
ctl_parse_window(const char *s, json_object **win)
{
	int start, end, n = -1;

	if (strspn(s, "0123456789-") != strlen(s) ||
	    sscanf(s, "%2d-%2d%n", &start, &end, &n) != 2 || s[n] ||
	    !isdigit((unsigned char)s[0]) || start < 0 || start > 23 ||
	    end < 0 || end > 23 || start == end)
		return ctl_usage_error("--failback-window needs START-END, two "
				       "different hours 0..23 (e.g. 22-6), not '%s'", s);
	*win = json_object_new_array();
	json_object_array_add(*win, json_object_new_int(start));
	json_object_array_add(*win, json_object_new_int(end));
	return 0;
}

int
ctl_parse_param(const char *s, json_object *params)
{
	const char *eq = strchr(s, '=');
	char key[CTL_ARG_MAX];
	size_t i, len;

	if (!eq)
		return ctl_usage_error("--param needs KEY=VALUE, not '%s'", s);
	len = (size_t)(eq - s);
	if (len == 0 || len >= sizeof(key) || isdigit((unsigned char)s[0]))
		goto bad;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			goto bad;
	}
	memcpy(key, s, len);
	key[len] = '\0';
	if (json_object_object_get_ex(params, key, NULL))
		return ctl_usage_error("--param %s given twice", key);
	json_object_object_add(params, key, json_object_new_string(eq + 1));
	return 0;
bad:
	return ctl_usage_error("--param '%s': KEY must be letters, digits and '_' "
			       "(it becomes OCF_RESKEY_KEY)", s);
}

int
ctl_parse_op_timeout(const char *s, json_object *timeouts)
{
	static const char *const ops[] = { "start", "stop", "monitor" };
	const char *eq = strchr(s, '=');
	int64_t ms;
	size_t i;
	int rc;

	for (i = 0; eq && i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strncmp(s, ops[i], (size_t)(eq - s)) || ops[i][eq - s])
			continue;
		if (json_object_object_get_ex(timeouts, ops[i], NULL))
			return ctl_usage_error("--timeout %s given twice", ops[i]);
		rc = ctl_parse_duration("--timeout", eq + 1, &ms);
		if (rc)
			return rc;
		if (ms <= 0)
			return ctl_usage_error("--timeout %s must be more than 0", ops[i]);
		json_object_object_add(timeouts, ops[i], json_object_new_int64(ms));
		return 0;
	}
	return ctl_usage_error("--timeout needs OP=DURATION with OP start, stop or "
			       "monitor (e.g. start=20s), not '%s'", s);
}

/* A provider or type: a plain file name under /usr/lib/ocf/resource.d. */
static bool
agent_part_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || p[0] == '.' || p[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)p[i]) && !strchr("_.-", p[i]))
			return false;
	}
	return true;
}

int
ctl_check_agent(const char *s)
{
	const char *type = strncmp(s, "ocf:", 4) ? NULL : strchr(s + 4, ':');

	if (type && agent_part_ok(s + 4, (size_t)(type - s - 4)) &&
	    agent_part_ok(type + 1, strlen(type + 1)))
		return 0;
	return ctl_usage_error("--agent needs ocf:PROVIDER:TYPE (e.g. "
			       "ocf:heartbeat:IPaddr2), not '%s'", s);
}

/* The number of words of a usage string: "ROLE NODE" 2, "" 0. */
static int
usage_words(const char *usage)
{
	const char *u;
	int n = 0;

	for (u = usage; *u; u++)
		n += u == usage || u[-1] == ' ';
	return n;
}

int
ctl_args_parse(struct ctl_globals *g, const struct ctl_args_spec *spec,
	       int argc, char **argv, struct ctl_args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, 'f' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, want = usage_words(spec->usage), rc, i;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = CTL_WAIT_DEFAULT_MS;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (opt == 'j') {
			g->json = true;
		} else if (opt == 'h') {
			fputs(spec->help, stdout);
			return CTL_HELP_SHOWN;
		} else if (opt == 'f' && (spec->opts & CTL_OPT_FORCE)) {
			a->force = true;
		} else if (opt == 'w' && (spec->opts & CTL_OPT_WAIT)) {
			a->wait = true;
		} else if (opt == 't' && (spec->opts & CTL_OPT_WAIT)) {
			rc = ctl_parse_duration("--timeout", optarg, &a->timeout_ms);
			if (rc)
				return rc;
			a->wait = true;	/* --timeout alone means --wait too */
		} else if (opt == '?') {
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return CTL_EXIT_USAGE;
		} else {
			return ctl_usage_error("option '%s' does not apply here",
					       argv[optind - 1]);
		}
	}
	if (want > 2 || argc - optind != want)
		return want ? ctl_usage_error("want %s", spec->usage) :
			      ctl_usage_error("unexpected argument '%s'", argv[optind]);
	for (i = 0; i < want; i++) {
		a->pos[i] = argv[optind + i];
		if (!*a->pos[i])
			return ctl_usage_error("empty %s", spec->usage);
	}
	return 0;
}
