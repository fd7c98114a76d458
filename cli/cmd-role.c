/*
 * cmd-role.c - clusterctl role add|list|show|start|stop|move|remove|
 * cleanup: roles of the resource manager, through the local clusterd;
 * start, stop and move --wait follow the role (move-follow.h).
 */
#include "ctl.h"
#include "drain.h"
#include "move-follow.h"
#include "timeutil.h"
#include "valid.h"
#include "verb.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* ---- role add ---- */

/* The array @p key of @p o, created empty if absent. */
static json_object *
jarray_in(json_object *o, const char *key)
{
	json_object *a;

	if (!json_object_object_get_ex(o, key, &a)) {
		a = json_object_new_array();
		json_object_object_add(o, key, a);
	}
	return a;
}

static int
role_add_opt(int opt, const char *arg, json_object *args)
{
	char err[256];
	long long v;
	int64_t ms;
	int rc;

	switch (opt) {
	case 'P':
		return ctl_parse_nodes("--preferred", arg, jarray_in(args, "preferred_owners"));
	case 'O':
		return ctl_parse_nodes("--possible", arg, jarray_in(args, "possible_owners"));
	case 'p':
	case 'T':
		rc = opt == 'p' ? ctl_parse_int("--priority", arg, CD_ROLE_PRIORITY_MIN,
						CD_ROLE_PRIORITY_MAX, &v) :
		     ctl_parse_int("--failover-threshold", arg, 0, CD_ROLE_THRESHOLD_MAX, &v);
		if (!rc)
			json_object_object_add(args, opt == 'p' ? "priority" :
				"failover_threshold", json_object_new_int64(v));
		return rc;
	case 'F':
		if (cd_valid_enum("--failback", arg, cd_role_failback_values, NULL, err,
				  sizeof(err)))
			return ctl_usage_error("%s", err);
		json_object_object_add(args, "failback", json_object_new_string(arg));
		return 0;
	case 'W': {
		json_object *win = NULL;

		rc = ctl_parse_window(arg, &win);
		if (!rc)
			json_object_object_add(args, "failback_window", win);
		return rc;
	}
	case 'D':
		rc = ctl_parse_duration("--failover-period", arg, &ms);
		if (!rc && (ms < CD_ROLE_PERIOD_MIN_S * 1000 || ms > CD_ROLE_PERIOD_MAX_S * 1000LL ||
			    ms % 1000))
			rc = ctl_usage_error("--failover-period needs whole seconds, "
					     "%ds..%dd, not '%s'", CD_ROLE_PERIOD_MIN_S,
					     CD_ROLE_PERIOD_MAX_S / 86400, arg);
		if (!rc)
			json_object_object_add(args, "failover_period_s",
					       json_object_new_int64(ms / 1000));
		return rc;
	case 'M':
		rc = ctl_parse_mib(arg, &v);
		if (!rc)
			json_object_object_add(args, "memory_mib", json_object_new_int64(v));
		return rc;
	case 'S':
		json_object_object_add(args, "target", json_object_new_string("stopped"));
		return 0;
	case 'X': {
		enum cd_drain_fallback fb;

		if (cd_drain_fallback_parse(arg, &fb) < 0)	/* lib/drain.h D7 */
			return ctl_usage_error("--drain-fallback is none, quick or restart, "
					       "not '%s'", arg);
		json_object_object_add(args, "drain_fallback", json_object_new_string(arg));
		return 0;
	}
	}
	fprintf(stderr, "Try '%s --help'.\n", ctl_args_prog());
	return CTL_EXIT_USAGE;
}

/* What single options cannot check: how they go together. */
static int
role_add_check(json_object *args)
{
	const char *fb = ctl_jstr(args, "failback", NULL);
	json_object *pref = NULL, *poss = NULL, *e;
	size_t i, n;

	if (json_object_object_get_ex(args, "failback_window", NULL)) {
		if (!fb)
			json_object_object_add(args, "failback",
					       json_object_new_string("window"));
		else if (strcmp(fb, "window"))
			return ctl_usage_error("--failback-window goes with --failback "
					       "window, not --failback %s", fb);
	} else if (fb && strcmp(fb, "window") == 0) {
		return ctl_usage_error("--failback window needs --failback-window START-END");
	}
	json_object_object_get_ex(args, "preferred_owners", &pref);
	if (!json_object_object_get_ex(args, "possible_owners", &poss))
		return 0;
	n = pref ? json_object_array_length(pref) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(pref, i);
		if (!ctl_jarray_has(poss, json_object_get_string(e)))
			return ctl_usage_error("preferred owner %s is not one of the "
					       "possible owners", json_object_get_string(e));
	}
	return 0;
}

static int
role_add(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	 int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "preferred", required_argument, NULL, 'P' },
		{ "possible", required_argument, NULL, 'O' },
		{ "priority", required_argument, NULL, 'p' },
		{ "failback", required_argument, NULL, 'F' },
		{ "failback-window", required_argument, NULL, 'W' },
		{ "failover-threshold", required_argument, NULL, 'T' },
		{ "failover-period", required_argument, NULL, 'D' },
		{ "memory", required_argument, NULL, 'M' },
		{ "stopped", no_argument, NULL, 'S' },
		{ "drain-fallback", required_argument, NULL, 'X' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *args = json_object_new_object(), *data = NULL;
	char why[256];
	int opt, rc = 0;

	optind = 0;
	while (!rc && (opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (opt == 'j')
			g->json = true;
		else if (opt == 'h')
			rc = CTL_HELP_SHOWN;
		else
			rc = role_add_opt(opt, optarg, args);
	}
	if (rc == CTL_HELP_SHOWN)
		fputs(n->help, stdout);
	else if (!rc && argc - optind != 1)
		rc = ctl_usage_error("want one ROLE name");
	else if (!rc && cd_valid_name(CD_NAME_ROLE, argv[optind], why, sizeof(why)))
		rc = ctl_usage_error("%s", why);
	else if (!rc)
		rc = role_add_check(args);
	if (rc) {
		json_object_put(args);
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	}
	json_object_object_add(args, "name", json_object_new_string(argv[optind]));
	rc = ctl_call_put(v->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		ctl_print_done(g, data, "role %s: added", argv[optind]);
	json_object_put(data);
	return rc;
}

/* ---- role list|show ---- */

static void
role_state_text(json_object *rt, char *buf, size_t size)
{
	const char *owner = ctl_jstr(rt, "owner", "");

	snprintf(buf, size, "%s%s%s", ctl_jstr(rt, "state", "?"),
		 *owner ? " on " : "", owner);
}

/* clusterd's last word on the role (a refused move...), or NULL. */
static const char *
why(json_object *rt)
{
	const char *s = ctl_jstr(rt, "last_error", ctl_jstr(rt, "reason", NULL));

	return s && *s ? s : NULL;
}

/* "yes", or "no" and, while it waits for its node, why (policy.h rule 9). */
static void
ha_text(json_object *r, char *buf, size_t len)
{
	const char *waits = ctl_jstr(r, "waits", NULL), *colon = waits ? strstr(waits, ": ") : NULL;

	if (ctl_jbool(r, "ha") || !json_object_object_get_ex(r, "ha", NULL))
		snprintf(buf, len, "yes");
	else
		snprintf(buf, len, "no%s%s", colon ? ": " : "", colon ? colon + 2 : "");
}

static void
role_row(json_object *r, char cell[][CTL_CELL_MAX])
{
	json_object *res = NULL;
	char buf[CTL_CELL_MAX];

	json_object_object_get_ex(r, "resources", &res);
	snprintf(cell[0], CTL_CELL_MAX, "%s", ctl_jstr(r, "name", "?"));
	snprintf(cell[1], CTL_CELL_MAX, "%s", ctl_jstr(r, "state", "?"));
	snprintf(cell[2], CTL_CELL_MAX, "%s", *ctl_jstr(r, "owner", "") ?
		 ctl_jstr(r, "owner", "") : "-");
	snprintf(cell[3], CTL_CELL_MAX, "%s", ctl_jstr(r, "target", "?"));
	snprintf(cell[4], CTL_CELL_MAX, "%s", ctl_join(res, ",", buf, sizeof(buf)));
	ha_text(r, cell[5], CTL_CELL_MAX);
}

static int
role_list(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	  int argc, char **argv)
{
	static const char *const head[] = { "NAME", "STATE", "OWNER", "TARGET",
					    "RESOURCES", "HA" };

	return ctl_verb_list(g, n, v, argc, argv, "roles",
			     "No roles ('clusterctl role add ROLE').", head, 6, role_row);
}

static void
print_role_config(json_object *cfg)
{
	static const char *const shown[] = { "name", "target", "resources",
		"preferred_owners", "possible_owners", "priority", "failback", "failback_window",
		"failover_threshold", "failover_period_s", "memory_mib", "drain_fallback", "ha" };
	json_object *v = NULL, *win = NULL;
	char buf[1024], t[32];

	json_object_object_get_ex(cfg, "preferred_owners", &v);
	printf("Preferred:  %s\n", ctl_join(v, ", ", buf, sizeof(buf)));
	v = NULL;
	json_object_object_get_ex(cfg, "possible_owners", &v);
	printf("Possible:   %s\n", v && json_object_array_length(v) ?
	       ctl_join(v, ", ", buf, sizeof(buf)) : "any node");
	printf("Priority:   %lld\n", (long long)ctl_jint(cfg, "priority", 0));
	json_object_object_get_ex(cfg, "failback_window", &win);
	printf("Failback:   %s", ctl_jstr(cfg, "failback", "never"));
	if (win && json_object_is_type(win, json_type_array) &&
	    json_object_array_length(win) == 2)
		printf(" %d-%d h", json_object_get_int(json_object_array_get_idx(win, 0)),
		       json_object_get_int(json_object_array_get_idx(win, 1)));
	printf("\nFailover:   ");
	if (json_object_object_get_ex(cfg, "failover_threshold", NULL))
		printf("after %lld failure%s on a node within %s\n",
		       (long long)ctl_jint(cfg, "failover_threshold", 0),
		       ctl_jint(cfg, "failover_threshold", 0) == 1 ? "" : "s",
		       ctl_fmt_ms(ctl_jint(cfg, "failover_period_s", -1) * 1000, t, sizeof(t)));
	else
		printf("default\n");
	if (ctl_jint(cfg, "memory_mib", 0) > 0)
		printf("Memory:     %lld MiB\n", (long long)ctl_jint(cfg, "memory_mib", 0));
	printf("Drain fallback: %s\n", ctl_jstr(cfg, "drain_fallback", "none"));
	if (!ctl_jbool(cfg, "ha") && json_object_object_get_ex(cfg, "ha", NULL))
		printf("HA:         no: not highly available, its disks are local to its node; "
		       "it moves only live and never fails over\n");
	ctl_print_rest(stdout, cfg, shown, sizeof(shown) / sizeof(shown[0]));
}

static void
print_role(json_object *d)
{
	json_object *cfg = NULL, *rt = NULL, *res = NULL, *fails = NULL, *f, *at;
	char buf[CTL_CELL_MAX], t[64];
	size_t i, n;

	json_object_object_get_ex(d, "config", &cfg);
	json_object_object_get_ex(d, "runtime", &rt);
	json_object_object_get_ex(d, "resources", &res);
	json_object_object_get_ex(rt, "failures", &fails);
	role_state_text(rt, buf, sizeof(buf));
	printf("Role:       %s\n", ctl_jstr(d, "name", "?"));
	printf("State:      %s\n", buf);
	printf("Target:     %s\n", ctl_jstr(cfg, "target", "started"));
	if (*ctl_jstr(rt, "move_to", ""))
		printf("Moving to:  %s\n", ctl_jstr(rt, "move_to", ""));
	if (ctl_jstr(d, "waits", NULL))
		printf("Waits:      %s\n", ctl_jstr(d, "waits", ""));
	if (why(rt))
		printf("Last error: %s\n", why(rt));
	print_role_config(cfg);
	n = fails && json_object_is_type(fails, json_type_array) ?
	    json_object_array_length(fails) : 0;
	printf("Failures:%s\n", n ? "" : "   none");
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(fails, i);
		at = NULL;
		json_object_object_get_ex(f, "at", &at);
		printf("  %s at %s%s%s\n", ctl_jstr(f, "node", "?"), ctl_fmt_time(at, t, sizeof(t)),
		       ctl_jstr(f, "reason", NULL) ? ": " : "", ctl_jstr(f, "reason", ""));
	}
	if (res && json_object_array_length(res)) {
		printf("\nResources, in start order:\n");
		ctl_resource_table(res);
	} else {
		printf("Resources:  none ('clusterctl resource add ID --role %s ...')\n",
		       ctl_jstr(d, "name", "ROLE"));
	}
}

static int
role_show(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	  int argc, char **argv)
{
	return ctl_verb_show(g, n, v, argc, argv, print_role);
}

/* ---- role start|stop|move [--wait] ---- */

/* Why the role failed on @p node (NULL: anywhere): its latest failure. */
static const char *
failure_reason(json_object *rt, const char *node)
{
	json_object *fails = NULL, *f;
	size_t n;

	json_object_object_get_ex(rt, "failures", &fails);
	n = fails && json_object_is_type(fails, json_type_array) ?
	    json_object_array_length(fails) : 0;
	while (n-- > 0) {
		f = json_object_array_get_idx(fails, n);
		if (!node || strcmp(ctl_jstr(f, "node", ""), node) == 0)
			return ctl_jstr(f, "reason", NULL);
	}
	return why(rt);
}

/* Progress of a --wait on stderr: each new state, then how long it took. */
struct role_view {
	const struct mf_goal *goal;
	char printed[CTL_CELL_MAX];
};

static void
role_look(void *arg, json_object *rt, enum mf_verdict v, const struct mf_seen *seen,
	  uint64_t elapsed_ms)
{
	struct role_view *rv = arg;
	char cur[CTL_CELL_MAX];

	(void)seen;
	role_state_text(rt, cur, sizeof(cur));
	if (v == MF_DONE)
		fprintf(stderr, "%s: %s in %.1f s\n", rv->goal->role, cur,
			(double)elapsed_ms / 1000.0);
	else if (v == MF_PENDING && strcmp(cur, rv->printed)) {
		fprintf(stderr, "%s: %s ...\n", rv->goal->role, cur);
		strcpy(rv->printed, cur);
	}
}

/* Why a --wait ended without success, on stderr. */
static void
role_wait_failed(const struct mf_goal *w, json_object *rt, enum mf_verdict v,
		 int64_t timeout_ms)
{
	const char *prog = ctl_args_prog(), *owner = ctl_jstr(rt, "owner", "");
	const char *reason;
	char cur[CTL_CELL_MAX];

	if (v == MF_FAILED) {
		reason = failure_reason(rt, owner);
		fprintf(stderr, "%s: %s failed on %s%s%s\n", prog, w->role,
			*owner ? owner : "?", reason ? ": " : "", reason ? reason : "");
	} else if (v == MF_NOT_MOVED) {
		/* the leader's refusal ("cannot move to n1: banned, ..."), else
		 * the latest failure there */
		reason = why(rt);
		if (!reason || strncmp(reason, "cannot move to ", 15))
			reason = failure_reason(rt, w->node);
		fprintf(stderr, "%s: %s did not move to %s%s%s%s; it is %s on %s\n",
			prog, w->role, w->node, reason ? " (" : "", reason ? reason : "",
			reason ? ")" : "", ctl_jstr(rt, "state", "?"), owner);
	} else {
		reason = failure_reason(rt, w->node);
		role_state_text(rt, cur, sizeof(cur));
		fprintf(stderr, "%s: timed out after %.1f s: %s is %s%s%s\n",
			prog, (double)timeout_ms / 1000.0, w->role, cur,
			reason ? "; last failure: " : "", reason ? reason : "");
	}
}

/*
 * Send @p args (taken over) to v->ipc; with --wait follow the role until
 * it gets there (subscribed to clusterd's events before the change).
 */
static int
change_and_wait(struct ctl_globals *g, const struct ctl_verb *v,
		const struct ctl_args *a, json_object *args, const char *what)
{
	struct mf_follow f = { .goal = { a->pos[0], a->pos[1], v->wait_state },
			       .t0 = cd_now_mono_ms(), .timeout_ms = a->timeout_ms,
			       .look = role_look };
	struct role_view view = { &f.goal, "" };
	json_object *data = NULL, *rt = NULL;
	enum mf_verdict verdict = MF_PENDING;
	char cur[CTL_CELL_MAX];
	int rc;

	f.arg = &view;
	f.conn = ctl_connect(&rc);
	if (f.conn) {
		if (a->wait)
			f.subscribed = ctl_subscribe(f.conn, NULL) == CTL_EXIT_OK;
		rc = ctl_request_sync(f.conn, v->ipc, args, &data);
		if (rc == CTL_EXIT_OK && a->wait) {
			rc = mf_follow(&f, &rt, &verdict);
			if (rc == CTL_EXIT_FAILED || rc == CTL_EXIT_TIMEOUT)
				role_wait_failed(&f.goal, rt, verdict, a->timeout_ms);
		}
		ctl_disconnect(f.conn);
	}
	json_object_put(args);
	if (data && g->json && a->wait) {
		json_object_object_add(data, "runtime", json_object_get(rt));
		json_object_object_add(data, "elapsed_ms",
				       json_object_new_int64((int64_t)(cd_now_mono_ms() - f.t0)));
	}
	if (data && (rc == CTL_EXIT_OK || g->json)) {
		role_state_text(rt, cur, sizeof(cur));
		ctl_print_done(g, data, "role %s: %s", a->pos[0], a->wait ? cur : what);
	}
	json_object_put(rt);
	json_object_put(data);
	return rc;
}

/* role start|stop ROLE, role move ROLE NODE */
static int
role_change(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	    int argc, char **argv)
{
	struct ctl_args_spec spec = ctl_verb_spec(n, v);
	char what[CTL_CELL_MAX];
	json_object *args;
	struct ctl_args a;
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc)
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	args = ctl_args_with(v->key, a.pos[0]);
	if (a.pos[1]) {
		json_object_object_add(args, "node", json_object_new_string(a.pos[1]));
		snprintf(what, sizeof(what), "moving to %s", a.pos[1]);
	} else {
		snprintf(what, sizeof(what), "%s", v->done);
	}
	return change_and_wait(g, v, &a, args, what);
}

int
cmd_role(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl role add ROLE [OPTIONS]\n"
"       clusterctl role list [--json]\n"
"       clusterctl role show ROLE [--json]\n"
"       clusterctl role start ROLE [--wait] [--timeout DUR]\n"
"       clusterctl role stop ROLE [--wait] [--timeout DUR]\n"
"       clusterctl role move ROLE NODE [--wait] [--timeout DUR]\n"
"       clusterctl role remove ROLE\n"
"       clusterctl role cleanup ROLE\n"
"A role is an ordered list of resources that start in order, stop in reverse\n"
"order and move together; it runs on one node at a time. Changes need a\n"
"quorate partition; --json prints clusterd's answer.\n"
"\n"
"Options of 'role add' (only ROLE is required):\n"
"  --preferred N1[,N2...]   preferred owners, most preferred first\n"
"  --possible N1[,N2...]    the only nodes it may run on (default: any)\n"
"  --priority N             higher priorities are placed first\n"
"  --failback MODE          back to the preferred owner when it returns:\n"
"                           never, immediate or window\n"
"  --failback-window S-E    fail back only from hour S to hour E (0..23,\n"
"                           e.g. 22-6); implies --failback window\n"
"  --failover-threshold N   fail over after N failures on one node\n"
"  --failover-period DUR    within DUR (e.g. 6h); before that, restart there\n"
"  --memory MIB             declared memory (e.g. 2048 or 2G), for placement\n"
"  --stopped                add it stopped (default: it starts at once)\n"
"  --drain-fallback MODE    when a drain's live migration of it fails: none\n"
"                           (stays, reported; default), quick, or restart\n"
"                           (quick, then stop and start on the target)\n"
"\n"
"'start' and 'stop' set the role's target; 'move' asks for it to run on NODE.\n"
"With --wait clusterctl follows the role (progress on stderr) until it is\n"
"there (exit 0), fails (exit 1) or DUR passes (exit 5; default 60s);\n"
"--timeout implies --wait. 'remove' is refused until the role is stopped\n"
"(its resources' definitions go with it). 'cleanup' forgets the role's\n"
"failures and last error, which also lifts a node's ban after\n"
"--failover-threshold failures; the role is then placed as usual.\n"
"Durations: 500ms, 10s, 2m, 1h; a plain number is seconds.\n";
	static const struct ctl_verb verbs[] = {
		{ "add", role_add, "role-add", "name", "ROLE", 0, NULL, NULL },
		{ "list", role_list, "role-list", NULL, "", 0, NULL, NULL },
		{ "show", role_show, "role-show", "name", "ROLE", 0, NULL, NULL },
		{ "start", role_change, "role-start", "name", "ROLE", CTL_OPT_WAIT,
		  "start requested", "started" },
		{ "stop", role_change, "role-stop", "name", "ROLE", CTL_OPT_WAIT,
		  "stop requested", "stopped" },
		{ "move", role_change, "role-move", "name", "ROLE NODE", CTL_OPT_WAIT,
		  NULL, "started" },
		{ "remove", ctl_verb_change, "role-remove", "name", "ROLE", 0,
		  "removed", NULL },
		{ "cleanup", ctl_verb_change, "role-cleanup", "name", "ROLE", 0,
		  "failure history cleared", NULL },
	};
	static const struct ctl_noun noun = { "role", help, verbs,
					      sizeof(verbs) / sizeof(verbs[0]) };

	return ctl_noun_run(g, &noun, argc, argv);
}
