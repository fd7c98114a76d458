/*
 * cmd-role.c - clusterctl role, resource, storage and node list|pause|
 * resume|fence: administering the resource manager through the local
 * clusterd. 'node add|remove' change the cluster over ssh (cmd-cluster.c);
 * cmd_node_rm hands them over to cmd_node.
 */
#include "ctl.h"
#include "iscsi-url.h"
#include "timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAIT_DEFAULT_MS	60000
#define MOVE_GRACE_MS	1000		/* see wait_check() */
#define DURATION_MAX_MS	2147483647LL	/* ~24.8 days: fits an int of ms */
#define CELL_MAX	256
#define COLS_MAX	6
#define HELP_SHOWN	(-1)		/* an option parser printed --help */

/* Options a subcommand accepts besides --json and --help. */
enum {
	OPT_FORCE = 1,		/* --force */
	OPT_WAIT = 2,		/* --wait, --timeout DUR */
};

struct sub;
typedef int (*sub_fn)(struct ctl_globals *g, const struct sub *s, int argc,
		      char **argv);

/* One subcommand of a group (role, resource, node, storage). */
struct sub {
	const char *name;	/* "add" */
	sub_fn fn;
	const char *ipc;	/* IPC command; NULL for node add/remove */
	const char *key;	/* request key of the first argument: "name"/"id" */
	const char *usage;	/* its positional arguments: "ROLE NODE" */
	unsigned opts;		/* OPT_* */
	const char *done;	/* confirmation: "removed" */
	const char *wait_state;	/* --wait waits for this role state */
};

/* What a subcommand was given, parsed by sub_opts(). */
struct sub_args {
	const char *pos[2];
	bool force, wait;
	int64_t timeout_ms;
};

static const char *group;	/* the group being run: "role" */
static const char *group_help;	/* and its help */
static char prog[64];		/* "clusterctl role add", for messages */

/* ---- argument checks: all return 0 or print and return CTL_EXIT_USAGE ---- */

static int
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return CTL_EXIT_USAGE;
}

/* "500ms", "10s", "1.5s", "2m", "1h"; a plain number is seconds. */
static int
parse_duration(const char *opt, const char *s, int64_t *ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "", 1000 }, { "s", 1000 }, { "m", 60000 },
		{ "min", 60000 }, { "h", 3600000 },
	};
	const char *p = s;
	size_t digits = 0, i;
	double v;

	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	for (i = 0; digits && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit))
			continue;
		v = strtod(s, NULL) * units[i].ms + 0.5;
		if (v > (double)DURATION_MAX_MS)
			return usage_error("%s: '%s' is too long (at most 24 days)",
					   opt, s);
		*ms = (int64_t)v;
		return 0;
	}
	return usage_error("%s: bad duration '%s' (e.g. 500ms, 10s, 2m, 1h; "
			   "a plain number is seconds)", opt, s);
}

static int
parse_int(const char *opt, const char *s, long long min, long long max,
	  long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (!*s || *end || errno || *out < min || *out > max)
		return usage_error("%s needs a whole number %lld..%lld, not '%s'",
				   opt, min, max, s);
	return 0;
}

/* Memory in MiB: "2048", "2048M", "2048MiB", "2G", "2GiB". */
static int
parse_mib(const char *s, long long *mib)
{
	char *end;

	errno = 0;
	*mib = strtoll(s, &end, 10);
	if (end == s || errno || *mib < 0 || *mib > (1LL << 30))
		goto bad;
	if (strcmp(end, "G") == 0 || strcmp(end, "GiB") == 0)
		*mib *= 1024;
	else if (*end && strcmp(end, "M") && strcmp(end, "MiB"))
		goto bad;
	return 0;
bad:
	return usage_error("--memory needs MiB, e.g. 2048 or 2G, not '%s'", s);
}

static bool
jarray_has(json_object *a, const char *s)
{
	size_t i, n = json_object_array_length(a);

	for (i = 0; i < n; i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	}
	return false;
}

/* Append "n1,n2" to the node list @p a (the option may be repeated). */
static int
parse_nodes(const char *opt, const char *s, json_object *a)
{
	const char *p = s, *comma;
	char name[CELL_MAX];
	size_t len;

	do {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(name))
			return usage_error("%s: bad node list '%s' (want NODE[,NODE...])",
					   opt, s);
		memcpy(name, p, len);
		name[len] = '\0';
		if (jarray_has(a, name))
			return usage_error("%s: node %s given twice", opt, name);
		json_object_array_add(a, json_object_new_string(name));
		p = comma + 1;
	} while (comma);
	return 0;
}

/* "22-6": failback allowed from 22:00 to 06:00 (hours 0..23, wrapping). */
static int
parse_window(const char *s, json_object **win)
{
	int start, end, n = -1;

	if (strspn(s, "0123456789-") != strlen(s) ||
	    sscanf(s, "%2d-%2d%n", &start, &end, &n) != 2 || s[n] ||
	    !isdigit((unsigned char)s[0]) || start < 0 || start > 23 ||
	    end < 0 || end > 23 || start == end)
		return usage_error("--failback-window needs START-END, two "
				   "different hours 0..23 (e.g. 22-6), not '%s'", s);
	*win = json_object_new_array();
	json_object_array_add(*win, json_object_new_int(start));
	json_object_array_add(*win, json_object_new_int(end));
	return 0;
}

/* OCF parameter names become environment variables OCF_RESKEY_<name>. */
static int
parse_param(const char *s, json_object *params)
{
	const char *eq = strchr(s, '=');
	char key[CELL_MAX];
	size_t i, len;

	if (!eq)
		return usage_error("--param needs KEY=VALUE, not '%s'", s);
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
		return usage_error("--param %s given twice", key);
	json_object_object_add(params, key, json_object_new_string(eq + 1));
	return 0;
bad:
	return usage_error("--param '%s': KEY must be letters, digits and '_' "
			   "(it becomes OCF_RESKEY_KEY)", s);
}

/* "start=20s" into timeouts {"start": 20000}. */
static int
parse_op_timeout(const char *s, json_object *timeouts)
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
			return usage_error("--timeout %s given twice", ops[i]);
		rc = parse_duration("--timeout", eq + 1, &ms);
		if (rc)
			return rc;
		if (ms <= 0)
			return usage_error("--timeout %s must be more than 0", ops[i]);
		json_object_object_add(timeouts, ops[i], json_object_new_int64(ms));
		return 0;
	}
	return usage_error("--timeout needs OP=DURATION with OP start, stop or "
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

/* ocf:PROVIDER:TYPE */
static int
check_agent(const char *s)
{
	const char *type = strncmp(s, "ocf:", 4) ? NULL : strchr(s + 4, ':');

	if (type && agent_part_ok(s + 4, (size_t)(type - s - 4)) &&
	    agent_part_ok(type + 1, strlen(type + 1)))
		return 0;
	return usage_error("--agent needs ocf:PROVIDER:TYPE (e.g. "
			   "ocf:heartbeat:IPaddr2), not '%s'", s);
}

/*
 * Options every simple subcommand shares, then exactly the positional
 * arguments of @p s->usage. Returns 0, CTL_EXIT_USAGE or HELP_SHOWN.
 */
static int
sub_opts(struct ctl_globals *g, const struct sub *s, int argc, char **argv,
	 struct sub_args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "force", no_argument, NULL, 'f' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, want = 0, rc;
	const char *u;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = WAIT_DEFAULT_MS;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (opt == 'j') {
			g->json = true;
		} else if (opt == 'h') {
			fputs(group_help, stdout);
			return HELP_SHOWN;
		} else if (opt == 'f' && (s->opts & OPT_FORCE)) {
			a->force = true;
		} else if (opt == 'w' && (s->opts & OPT_WAIT)) {
			a->wait = true;
		} else if (opt == 't' && (s->opts & OPT_WAIT)) {
			rc = parse_duration("--timeout", optarg, &a->timeout_ms);
			if (rc)
				return rc;
			a->wait = true;	/* --timeout alone means --wait too */
		} else if (opt == '?') {
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return CTL_EXIT_USAGE;
		} else {
			return usage_error("option '%s' does not apply here",
					   argv[optind - 1]);
		}
	}
	for (u = s->usage; *u; u++)
		want += u == s->usage || u[-1] == ' ';
	if (argc - optind != want)
		return want ? usage_error("want %s", s->usage) :
			      usage_error("unexpected argument '%s'", argv[optind]);
	for (opt = 0; opt < want; opt++) {
		a->pos[opt] = argv[optind + opt];
		if (!*a->pos[opt])
			return usage_error("empty %s", s->usage);
	}
	return 0;
}

/* ---- talking to clusterd ---- */

/* Connect, send, disconnect. Takes over @p args (may be NULL). */
static int
call(const char *cmd, json_object *args, json_object **data)
{
	int rc = ctl_call(cmd, args, data);

	json_object_put(args);
	return rc;
}

static json_object *
args_with(const char *key, const char *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(value));
	return o;
}

/* After a change: the reply as JSON, or "what (generation G)". */
static void
print_done(struct ctl_globals *g, json_object *data, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
print_done(struct ctl_globals *g, json_object *data, const char *fmt, ...)
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

/* ---- human output ---- */


/* The members of o not named in shown (n names): whatever else clusterd
 * stores, so that nothing is hidden. */
static void
print_rest(json_object *o, const char *const *shown, size_t n)
{
	size_t i;

	if (!o || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, k, v) {
		for (i = 0; i < n && strcmp(k, shown[i]); i++)
			;
		if (i == n)
			printf("%s: %s\n", k, ctl_jtext(v));
	}
}

/* The strings of array @p a joined by @p sep, or "-"; truncated to fit. */
static const char *
join(json_object *a, const char *sep, char *buf, size_t size)
{
	size_t i, n, len = 0;

	buf[0] = '\0';
	n = a && json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
	for (i = 0; i < n && len < size; i++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? sep : "",
					ctl_jtext(json_object_array_get_idx(a, i)));
	}
	if (len >= size && size > 4)
		strcpy(buf + size - 4, "...");
	return n ? buf : "-";
}

/* Parameters {"k": "v"} as "k=v k2=v2", or "-". */
static const char *
join_params(json_object *params, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (params && json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, k, v) {
			if (len < size)
				len += (size_t)snprintf(buf + len, size - len, "%s%s=%s",
							len ? " " : "", k, ctl_jtext(v));
		}
	}
	if (len >= size && size > 4)
		strcpy(buf + size - 4, "...");
	return len ? buf : "-";
}

/* Milliseconds in the syntax the options take: 500ms, 10s, 2m, 1h. */
static const char *
fmt_ms(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "-");
	else if (ms && ms % 3600000 == 0)
		snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
	else if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
	return buf;
}

/* A failure stamp: wall-clock seconds or milliseconds, else as given. */
static const char *
fmt_time(json_object *v, char *buf, size_t size)
{
	int64_t t = v && json_object_is_type(v, json_type_int) ?
		    json_object_get_int64(v) : 0;
	struct tm tm;
	time_t s;

	if (t >= 1000000000000LL && t < 100000000000000LL)
		t /= 1000;
	if (t < 1000000000LL || t >= 100000000000LL)
		return ctl_jtext(v);
	s = (time_t)t;
	localtime_r(&s, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static void
role_state_text(json_object *rt, char *buf, size_t size)
{
	const char *owner = ctl_jstr(rt, "owner", "");

	snprintf(buf, size, "%s%s%s", ctl_jstr(rt, "state", "?"),
		 *owner ? " on " : "", owner);
}

typedef void (*row_fn)(json_object *item, char cell[][CELL_MAX]);

/* One row per element of @p arr, columns aligned; the last one unpadded. */
static void
print_table(json_object *arr, const char *const *head, size_t ncols, row_fn row)
{
	char cell[COLS_MAX][CELL_MAX];
	size_t w[COLS_MAX], i, k, n;

	n = arr && json_object_is_type(arr, json_type_array) ?
	    json_object_array_length(arr) : 0;
	for (k = 0; k < ncols; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < n; i++) {
		row(json_object_array_get_idx(arr, i), cell);
		for (k = 0; k < ncols; k++)
			if (strlen(cell[k]) > w[k])
				w[k] = strlen(cell[k]);
	}
	for (k = 0; k < ncols; k++)
		printf("%-*s%s", k + 1 < ncols ? (int)w[k] : 0, head[k],
		       k + 1 < ncols ? "  " : "\n");
	for (i = 0; i < n; i++) {
		row(json_object_array_get_idx(arr, i), cell);
		for (k = 0; k < ncols; k++)
			printf("%-*s%s", k + 1 < ncols ? (int)w[k] : 0, cell[k],
			       k + 1 < ncols ? "  " : "\n");
	}
}

/* "list": the array @p key of the reply as a table, or the reply as JSON. */
static int
list(struct ctl_globals *g, const struct sub *s, int argc, char **argv,
     const char *key, const char *empty, const char *const *head, size_t ncols,
     row_fn row)
{
	json_object *data, *arr = NULL;
	struct sub_args a;
	int rc;

	rc = sub_opts(g, s, argc, argv, &a);
	if (rc)
		return rc == HELP_SHOWN ? CTL_EXIT_OK : rc;
	rc = call(s->ipc, NULL, &data);
	if (rc)
		return rc;
	json_object_object_get_ex(data, key, &arr);
	if (g->json)
		ctl_print_json(data);
	else if (!arr || json_object_array_length(arr) == 0)
		printf("%s\n", empty);
	else
		print_table(arr, head, ncols, row);
	json_object_put(data);
	return CTL_EXIT_OK;
}

/* ---- waiting for a role (role start|stop|move --wait) ---- */

struct wait_goal {
	const char *role;
	const char *node;	/* the owner wanted; NULL: any */
	const char *state;	/* "started" or "stopped" */
};

/* clusterd's last word on the role (a refused move...), or NULL. */
static const char *
why(json_object *rt)
{
	const char *s = ctl_jstr(rt, "last_error", ctl_jstr(rt, "reason", NULL));

	return s && *s ? s : NULL;
}

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

/* What a wait saw so far. */
struct wait_seen {
	bool move;	/* move_to was the target node */
	bool live;	/* a state other than "failed" */
};

/*
 * One look at the role: CTL_EXIT_OK when it reached the goal, CTL_EXIT_FAILED
 * when it cannot any more, CTL_EXIT_RETRY to look again. It fails when it
 * turns "failed" (one that was failed already is being recovered); a move
 * fails once the role is settled on another node with no move pending:
 * after move_to was seen and cleared, or MOVE_GRACE_MS after asking.
 */
static int
wait_check(const struct wait_goal *w, json_object *rt, uint64_t elapsed_ms,
	   struct wait_seen *seen)
{
	const char *state = ctl_jstr(rt, "state", "?");
	const char *owner = ctl_jstr(rt, "owner", "");
	const char *move_to = ctl_jstr(rt, "move_to", "");
	const char *reason = why(rt);
	bool settled = strcmp(state, "started") == 0 || strcmp(state, "stopped") == 0;

	if (strcmp(state, w->state) == 0 && (!w->node || strcmp(owner, w->node) == 0))
		return CTL_EXIT_OK;
	if (strcmp(state, "failed")) {
		seen->live = true;
	} else if (seen->live) {
		reason = failure_reason(rt, owner);
		fprintf(stderr, "%s: %s failed on %s%s%s\n", prog, w->role,
			*owner ? owner : "?", reason ? ": " : "", reason ? reason : "");
		return CTL_EXIT_FAILED;
	}
	if (!w->node)
		return CTL_EXIT_RETRY;
	if (strcmp(move_to, w->node) == 0)
		seen->move = true;
	if (!*move_to && settled && *owner &&
	    (seen->move || elapsed_ms >= MOVE_GRACE_MS)) {
		/* the leader's refusal ("cannot move to n1: banned, ..."), else
		 * the latest failure there */
		if (!reason || strncmp(reason, "cannot move to ", 15))
			reason = failure_reason(rt, w->node);
		fprintf(stderr, "%s: %s did not move to %s%s%s%s; it is %s on %s\n",
			prog, w->role, w->node, reason ? " (" : "", reason ? reason : "",
			reason ? ")" : "", state, owner);
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_RETRY;
}

/*
 * Follow the role (re-read on every event when subscribed, else every 20 ms,
 * ctl_wait_change) until @p w is met, printing each new state on stderr.
 * @param last  out: the role's last runtime (new reference) or NULL
 */
static int
wait_role(struct ctl_conn *c, bool subscribed, const struct wait_goal *w, uint64_t t0,
	  int64_t timeout_ms, json_object **last)
{
	json_object *args = args_with("name", w->role), *data, *rt;
	char printed[CELL_MAX] = "", cur[CELL_MAX];
	struct wait_seen seen = { false, false };
	uint64_t now;
	int rc;

	*last = NULL;
	for (;;) {
		rc = ctl_request_sync(c, "role-show", args, &data);
		if (rc)
			break;
		rt = NULL;
		json_object_object_get_ex(data, "runtime", &rt);
		json_object_put(*last);
		*last = rt ? json_object_get(rt) : NULL;
		json_object_put(data);
		now = cd_now_mono_ms();
		rc = wait_check(w, *last, now - t0, &seen);
		role_state_text(*last, cur, sizeof(cur));
		if (rc == CTL_EXIT_OK)
			fprintf(stderr, "%s: %s in %.1f s\n", w->role, cur,
				(double)(now - t0) / 1000.0);
		if (rc != CTL_EXIT_RETRY)
			break;
		if (strcmp(cur, printed)) {
			fprintf(stderr, "%s: %s ...\n", w->role, cur);
			strcpy(printed, cur);
		}
		if (now - t0 >= (uint64_t)timeout_ms) {
			const char *hint = failure_reason(*last, w->node);

			fprintf(stderr, "%s: timed out after %.1f s: %s is %s%s%s\n",
				prog, (double)timeout_ms / 1000.0, w->role, cur,
				hint ? "; last failure: " : "", hint ? hint : "");
			rc = CTL_EXIT_TIMEOUT;
			break;
		}
		{
			int left = (int)(timeout_ms - (int64_t)(now - t0));

			ctl_wait_change(subscribed ? c : NULL, left < 250 ? left : 250);
		}
	}
	json_object_put(args);
	return rc;
}

/* ---- changes: the generic one, and the ones that --wait ---- */

/*
 * role start|stop|move: send, then with --wait follow the role until it
 * gets there. Takes over @p args.
 */
static int
change_and_wait(struct ctl_globals *g, const struct sub *s,
		const struct sub_args *a, json_object *args, const char *what)
{
	struct wait_goal w = { a->pos[0], a->pos[1], s->wait_state };
	uint64_t t0 = cd_now_mono_ms();
	json_object *data = NULL, *rt = NULL;
	struct ctl_conn *c;
	char cur[CELL_MAX];
	bool subscribed = false;
	int rc;

	c = ctl_connect(&rc);
	if (c) {
		/* --wait follows clusterd's events (subscribed before the change) */
		if (a->wait)
			subscribed = ctl_subscribe(c, NULL) == CTL_EXIT_OK;
		rc = ctl_request_sync(c, s->ipc, args, &data);
		if (rc == CTL_EXIT_OK && a->wait)
			rc = wait_role(c, subscribed, &w, t0, a->timeout_ms, &rt);
		ctl_disconnect(c);
	}
	json_object_put(args);
	if (data && g->json && a->wait) {
		json_object_object_add(data, "runtime", json_object_get(rt));
		json_object_object_add(data, "elapsed_ms",
				       json_object_new_int64((int64_t)(cd_now_mono_ms() - t0)));
	}
	if (data && (rc == CTL_EXIT_OK || g->json)) {
		role_state_text(rt, cur, sizeof(cur));
		print_done(g, data, "role %s: %s", a->pos[0], a->wait ? cur : what);
	}
	json_object_put(rt);
	json_object_put(data);
	return rc;
}

/* Subcommands with one argument and nothing else to say. */
static int
one_change(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	json_object *args, *data;
	struct sub_args a;
	int rc;

	rc = sub_opts(g, s, argc, argv, &a);
	if (rc)
		return rc == HELP_SHOWN ? CTL_EXIT_OK : rc;
	args = args_with(s->key, a.pos[0]);
	if (s->opts & OPT_FORCE)
		json_object_object_add(args, "force", json_object_new_boolean(a.force));
	if (s->opts & OPT_WAIT)
		return change_and_wait(g, s, &a, args, s->done);
	rc = call(s->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		print_done(g, data, "%s %s: %s", group, a.pos[0], s->done);
	json_object_put(data);
	return rc;
}

static int
role_move(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	char what[CELL_MAX];
	json_object *args;
	struct sub_args a;
	int rc;

	rc = sub_opts(g, s, argc, argv, &a);
	if (rc)
		return rc == HELP_SHOWN ? CTL_EXIT_OK : rc;
	args = args_with("name", a.pos[0]);
	json_object_object_add(args, "node", json_object_new_string(a.pos[1]));
	snprintf(what, sizeof(what), "moving to %s", a.pos[1]);
	return change_and_wait(g, s, &a, args, what);
}

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
	long long v;
	int64_t ms;
	int rc;

	switch (opt) {
	case 'P':
		return parse_nodes("--preferred", arg, jarray_in(args, "preferred_owners"));
	case 'O':
		return parse_nodes("--possible", arg, jarray_in(args, "possible_owners"));
	case 'p':
	case 'T':
		rc = opt == 'p' ? parse_int("--priority", arg, -1000000, 1000000, &v) :
		     parse_int("--failover-threshold", arg, 0, 1000000, &v);
		if (!rc)
			json_object_object_add(args, opt == 'p' ? "priority" :
				"failover_threshold", json_object_new_int64(v));
		return rc;
	case 'F':
		if (strcmp(arg, "never") && strcmp(arg, "immediate") && strcmp(arg, "window"))
			return usage_error("--failback is never, immediate or window, "
					   "not '%s'", arg);
		json_object_object_add(args, "failback", json_object_new_string(arg));
		return 0;
	case 'W': {
		json_object *win = NULL;

		rc = parse_window(arg, &win);
		if (!rc)
			json_object_object_add(args, "failback_window", win);
		return rc;
	}
	case 'D':
		rc = parse_duration("--failover-period", arg, &ms);
		if (!rc && (ms < 1000 || ms % 1000))
			rc = usage_error("--failover-period needs whole seconds, "
					 "at least 1s, not '%s'", arg);
		if (!rc)
			json_object_object_add(args, "failover_period_s",
					       json_object_new_int64(ms / 1000));
		return rc;
	case 'M':
		rc = parse_mib(arg, &v);
		if (!rc)
			json_object_object_add(args, "memory_mib", json_object_new_int64(v));
		return rc;
	case 'S':
		json_object_object_add(args, "target", json_object_new_string("stopped"));
		return 0;
	}
	fprintf(stderr, "Try '%s --help'.\n", prog);
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
			return usage_error("--failback-window goes with --failback "
					   "window, not --failback %s", fb);
	} else if (fb && strcmp(fb, "window") == 0) {
		return usage_error("--failback window needs --failback-window START-END");
	}
	json_object_object_get_ex(args, "preferred_owners", &pref);
	if (!json_object_object_get_ex(args, "possible_owners", &poss))
		return 0;
	n = pref ? json_object_array_length(pref) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(pref, i);
		if (!jarray_has(poss, json_object_get_string(e)))
			return usage_error("preferred owner %s is not one of the "
					   "possible owners", json_object_get_string(e));
	}
	return 0;
}

static int
role_add(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
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
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	json_object *args = json_object_new_object(), *data = NULL;
	int opt, rc = 0;

	optind = 0;
	while (!rc && (opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (opt == 'j')
			g->json = true;
		else if (opt == 'h')
			rc = HELP_SHOWN;
		else
			rc = role_add_opt(opt, optarg, args);
	}
	if (rc == HELP_SHOWN)
		fputs(group_help, stdout);
	else if (!rc && argc - optind != 1)
		rc = usage_error("want one ROLE name");
	else if (!rc && !*argv[optind])
		rc = usage_error("empty ROLE name");
	else if (!rc)
		rc = role_add_check(args);
	if (rc) {
		json_object_put(args);
		return rc == HELP_SHOWN ? CTL_EXIT_OK : rc;
	}
	json_object_object_add(args, "name", json_object_new_string(argv[optind]));
	rc = call(s->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		print_done(g, data, "role %s: added", argv[optind]);
	json_object_put(data);
	return rc;
}

/* ---- role list|show ---- */

static void
role_row(json_object *r, char cell[][CELL_MAX])
{
	json_object *res = NULL;
	char buf[CELL_MAX];

	json_object_object_get_ex(r, "resources", &res);
	snprintf(cell[0], CELL_MAX, "%s", ctl_jstr(r, "name", "?"));
	snprintf(cell[1], CELL_MAX, "%s", ctl_jstr(r, "state", "?"));
	snprintf(cell[2], CELL_MAX, "%s", *ctl_jstr(r, "owner", "") ?
		 ctl_jstr(r, "owner", "") : "-");
	snprintf(cell[3], CELL_MAX, "%s", ctl_jstr(r, "target", "?"));
	snprintf(cell[4], CELL_MAX, "%s", join(res, ",", buf, sizeof(buf)));
}

static int
role_list(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	static const char *const head[] = { "NAME", "STATE", "OWNER", "TARGET",
					    "RESOURCES" };

	return list(g, s, argc, argv, "roles", "No roles ('clusterctl role add ROLE').",
		    head, 5, role_row);
}

static void
print_role_config(json_object *cfg)
{
	static const char *const shown[] = { "name", "target", "resources",
		"preferred_owners", "possible_owners", "priority", "failback", "failback_window",
		"failover_threshold", "failover_period_s", "memory_mib" };
	json_object *v = NULL, *win = NULL;
	char buf[1024], t[32];

	json_object_object_get_ex(cfg, "preferred_owners", &v);
	printf("Preferred:  %s\n", join(v, ", ", buf, sizeof(buf)));
	v = NULL;
	json_object_object_get_ex(cfg, "possible_owners", &v);
	printf("Possible:   %s\n", v && json_object_array_length(v) ?
	       join(v, ", ", buf, sizeof(buf)) : "any node");
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
		       fmt_ms(ctl_jint(cfg, "failover_period_s", -1) * 1000, t, sizeof(t)));
	else
		printf("default\n");
	if (ctl_jint(cfg, "memory_mib", 0) > 0)
		printf("Memory:     %lld MiB\n", (long long)ctl_jint(cfg, "memory_mib", 0));
	print_rest(cfg, shown, sizeof(shown) / sizeof(shown[0]));
}

static void
res_row(json_object *r, char cell[][CELL_MAX])
{
	json_object *params = NULL;

	json_object_object_get_ex(r, "params", &params);
	snprintf(cell[0], CELL_MAX, "%s", ctl_jstr(r, "id", "?"));
	snprintf(cell[1], CELL_MAX, "%s", ctl_jstr(r, "role", "-"));
	snprintf(cell[2], CELL_MAX, "%s", ctl_jstr(r, "agent", "?"));
	join_params(params, cell[3], CELL_MAX);
}

static void
print_role(json_object *d)
{
	static const char *const head[] = { "ID", "ROLE", "AGENT", "PARAMS" };
	json_object *cfg = NULL, *rt = NULL, *res = NULL, *fails = NULL, *f, *at;
	char buf[CELL_MAX], t[64];
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
		printf("  %s at %s%s%s\n", ctl_jstr(f, "node", "?"), fmt_time(at, t, sizeof(t)),
		       ctl_jstr(f, "reason", NULL) ? ": " : "", ctl_jstr(f, "reason", ""));
	}
	if (res && json_object_array_length(res)) {
		printf("\nResources, in start order:\n");
		print_table(res, head, 4, res_row);
	} else {
		printf("Resources:  none ('clusterctl resource add ID --role %s ...')\n",
		       ctl_jstr(d, "name", "ROLE"));
	}
}

/* role show, resource show: one object, as JSON or by @p print. */
static int
show(struct ctl_globals *g, const struct sub *s, int argc, char **argv,
     void (*print)(json_object *d))
{
	json_object *data;
	struct sub_args a;
	int rc;

	rc = sub_opts(g, s, argc, argv, &a);
	if (rc)
		return rc == HELP_SHOWN ? CTL_EXIT_OK : rc;
	rc = call(s->ipc, args_with(s->key, a.pos[0]), &data);
	if (rc)
		return rc;
	if (g->json)
		ctl_print_json(data);
	else
		print(data);
	json_object_put(data);
	return CTL_EXIT_OK;
}

static int
role_show(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	return show(g, s, argc, argv, print_role);
}

/* ---- resource add|list|show ---- */

static int
resource_add(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
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
		case 'a': agent = optarg; rc = check_agent(optarg); break;
		case 'r': role = optarg; break;
		case 'p': rc = parse_param(optarg, params); break;
		case 'm': rc = parse_duration("--monitor-interval", optarg, &interval); break;
		case 't': rc = parse_op_timeout(optarg, timeouts); break;
		case 'j': g->json = true; break;
		case 'h': fputs(group_help, stdout); rc = HELP_SHOWN; break;
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			rc = CTL_EXIT_USAGE;
		}
	}
	if (!rc && argc - optind != 1)
		rc = usage_error("want one resource ID");
	else if (!rc && !*argv[optind])
		rc = usage_error("empty resource ID");
	else if (!rc && !agent)
		rc = usage_error("--agent ocf:PROVIDER:TYPE is required");
	else if (!rc && (!role || !*role))
		rc = usage_error("--role ROLE is required");
	if (rc) {
		json_object_put(params);
		json_object_put(timeouts);
		return rc == HELP_SHOWN ? CTL_EXIT_OK : rc;
	}
	args = args_with("id", argv[optind]);
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
	rc = call(s->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		print_done(g, data, "resource %s: added to role %s", argv[optind], role);
	json_object_put(data);
	return rc;
}

static int
resource_list(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	static const char *const head[] = { "ID", "ROLE", "AGENT", "PARAMS" };

	return list(g, s, argc, argv, "resources", "No resources.", head, 4, res_row);
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
		       fmt_ms(ctl_jint(d, "monitor_interval_ms", 0), t, sizeof(t)));
	else
		printf("Monitor:    %s\n", ctl_jint(d, "monitor_interval_ms", -1) ?
		       "default" : "off");
	printf("Timeouts:  ");
	if (to && json_object_is_type(to, json_type_object) &&
	    json_object_object_length(to)) {
		const char *sep = " ";

		json_object_object_foreach(to, op, ms) {
			printf("%s%s %s", sep, op, fmt_ms(json_object_get_int64(ms), t, sizeof(t)));
			sep = ", ";
		}
		printf("\n");
	} else {
		printf(" default\n");
	}
	printf("Parameters:%s\n",
	       params && json_object_object_length(params) ? "" : " none");
	if (params && json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, k, v)
			printf("  %s=%s\n", k, ctl_jtext(v));
	}
	print_rest(d, shown, sizeof(shown) / sizeof(shown[0]));
}

static int
resource_show(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	return show(g, s, argc, argv, print_resource);
}

/* ---- node list, storage add|list ---- */

static void
node_row(json_object *nd, char cell[][CELL_MAX])
{
	json_object *roles = NULL;
	bool paused = ctl_jbool(nd, "paused"), fenced = ctl_jbool(nd, "fenced");

	json_object_object_get_ex(nd, "roles", &roles);
	snprintf(cell[0], CELL_MAX, "%s", ctl_jstr(nd, "name", "?"));
	snprintf(cell[1], CELL_MAX, "%lld", (long long)ctl_jint(nd, "id", 0));
	snprintf(cell[2], CELL_MAX, "%s", ctl_jstr(nd, "state", "?"));
	snprintf(cell[3], CELL_MAX, "%s%s%s", paused ? "paused" : "",
		 paused && fenced ? "," : "", fenced ? "fenced" : !paused ? "-" : "");
	snprintf(cell[4], CELL_MAX, "%lld", (long long)ctl_jint(nd, "incarnation", 0));
	join(roles, ",", cell[5], CELL_MAX);
	if (!roles || !json_object_array_length(roles))
		strcpy(cell[5], "-");
}

static int
node_list(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	static const char *const head[] = { "NAME", "ID", "STATE", "FLAGS",
					    "INCARNATION", "ROLES" };

	return list(g, s, argc, argv, "nodes", "No nodes.", head, 6, node_row);
}

static void
lun_row(json_object *l, char cell[][CELL_MAX])
{
	snprintf(cell[0], CELL_MAX, "%s", ctl_jstr(l, "name", "?"));
	snprintf(cell[1], CELL_MAX, "%s", ctl_jstr(l, "url", "?"));
}

/* Every LUN the cluster uses, with keys and reservation: cmd-disk.c. */
static int
storage_list(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	(void)s;
	(void)lun_row;
	return ctl_storage_list(g, argc, argv);
}

static int
storage_add(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	struct cd_iscsi_url url;
	json_object *args, *data;
	struct sub_args a;
	char why_bad[128];
	int rc;

	rc = sub_opts(g, s, argc, argv, &a);
	if (rc)
		return rc == HELP_SHOWN ? CTL_EXIT_OK : rc;
	if (cd_iscsi_url_parse(a.pos[1], &url, why_bad, sizeof(why_bad)) < 0)
		return usage_error("bad URL '%s': %s", a.pos[1], why_bad);
	args = args_with("name", a.pos[0]);
	json_object_object_add(args, "url", json_object_new_string(a.pos[1]));
	rc = call(s->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		print_done(g, data, "storage %s: added (%s)", a.pos[0], a.pos[1]);
	json_object_put(data);
	return rc;
}

/* node add|remove change the cluster over ssh: cmd-cluster.c's cmd_node. */
static int
node_drain(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "clusterctl node drain: want one NAME\n");
		return CTL_EXIT_USAGE;
	}
	return ctl_node_drain(g, argv[1]);
}

static int
node_cluster(struct ctl_globals *g, const struct sub *s, int argc, char **argv)
{
	char **av = calloc((size_t)argc + 2, sizeof(*av)), sub[16];
	int rc;

	if (!av) {
		fprintf(stderr, "clusterctl: out of memory\n");
		return CTL_EXIT_FAILED;
	}
	snprintf(sub, sizeof(sub), "%s", s->name);
	av[0] = (char *)"node";
	av[1] = sub;
	memcpy(av + 2, argv + 1, (size_t)(argc - 1) * sizeof(*av));
	rc = cmd_node(g, argc + 1, av);
	free(av);
	return rc;
}

/* ---- the groups ---- */

static int
dispatch(struct ctl_globals *g, const char *help, const struct sub *subs,
	 size_t n, int argc, char **argv)
{
	size_t k;
	int i;

	group = argv[0];
	group_help = help;
	/* --json and --help may come before the subcommand. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
			g->json = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return CTL_EXIT_OK;
		} else {
			fprintf(stderr, "clusterctl %s: unknown option '%s' before "
				"the subcommand\nTry 'clusterctl %s --help'.\n",
				group, argv[i], group);
			return CTL_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "clusterctl %s: no subcommand given\n", group);
		fputs(help, stderr);
		return CTL_EXIT_USAGE;
	}
	for (k = 0; k < n; k++) {
		if (strcmp(argv[i], subs[k].name))
			continue;
		snprintf(prog, sizeof(prog), "clusterctl %s %s", group, subs[k].name);
		argv[i] = prog;		/* getopt names it in its messages */
		return subs[k].fn(g, &subs[k], argc - i, argv + i);
	}
	fprintf(stderr, "clusterctl %s: unknown subcommand '%s'\nTry 'clusterctl "
		"%s --help'.\n", group, argv[i], group);
	return CTL_EXIT_USAGE;
}

#define NSUBS(a) (sizeof(a) / sizeof((a)[0]))

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
"\n"
"'start' and 'stop' set the role's target; 'move' asks for it to run on NODE.\n"
"With --wait clusterctl follows the role (progress on stderr) until it is\n"
"there (exit 0), fails (exit 1) or DUR passes (exit 5; default 60s);\n"
"--timeout implies --wait. 'remove' is refused until the role is stopped\n"
"(its resources' definitions go with it). 'cleanup' forgets the role's\n"
"failures and last error, which also lifts a node's ban after\n"
"--failover-threshold failures; the role is then placed as usual.\n"
"Durations: 500ms, 10s, 2m, 1h; a plain number is seconds.\n";
	static const struct sub subs[] = {
		{ "add", role_add, "role-add", "name", "ROLE", 0, NULL, NULL },
		{ "list", role_list, "role-list", NULL, "", 0, NULL, NULL },
		{ "show", role_show, "role-show", "name", "ROLE", 0, NULL, NULL },
		{ "start", one_change, "role-start", "name", "ROLE", OPT_WAIT,
		  "start requested", "started" },
		{ "stop", one_change, "role-stop", "name", "ROLE", OPT_WAIT,
		  "stop requested", "stopped" },
		{ "move", role_move, "role-move", "name", "ROLE NODE", OPT_WAIT,
		  NULL, "started" },
		{ "remove", one_change, "role-remove", "name", "ROLE", 0,
		  "removed", NULL },
		{ "cleanup", one_change, "role-cleanup", "name", "ROLE", 0,
		  "failure history cleared", NULL },
	};

	return dispatch(g, help, subs, NSUBS(subs), argc, argv);
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
	static const struct sub subs[] = {
		{ "add", resource_add, "resource-add", "id", "ID", 0, NULL, NULL },
		{ "list", resource_list, "resource-list", NULL, "", 0, NULL, NULL },
		{ "show", resource_show, "resource-show", "id", "ID", 0, NULL, NULL },
		{ "remove", one_change, "resource-remove", "id", "ID", 0, "removed", NULL },
	};

	return dispatch(g, help, subs, NSUBS(subs), argc, argv);
}

int
cmd_node_rm(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl node list [--json]\n"
"       clusterctl node pause NAME\n"
"       clusterctl node resume NAME\n"
"       clusterctl node fence NAME\n"
"       clusterctl node drain NAME\n"
"       clusterctl node add HOST [--force] [--json]\n"
"       clusterctl node remove NAME [--json]\n"
"'list' shows every node with its state, flags (paused, fenced), its\n"
"registration incarnation and the roles it owns. A paused node gets no new\n"
"roles (the ones it runs stay). 'fence' removes the node's registration key\n"
"from every shared LUN (clusterctl storage list), as clusterd does by itself\n"
"when a node is lost, so that it can write no more; it rejoins with a new\n"
"key. 'drain' pauses the node and moves every role off it (VMs by live\n"
"migration), each to its next preferred owner. 'add' and 'remove' change the cluster's membership over ssh; see\n"
"'clusterctl node add --help' and 'clusterctl node remove --help'.\n";
	static const struct sub subs[] = {
		{ "list", node_list, "node-list", NULL, "", 0, NULL, NULL },
		{ "pause", one_change, "node-pause", "name", "NAME", 0, "paused", NULL },
		{ "resume", one_change, "node-resume", "name", "NAME", 0, "resumed", NULL },
		{ "fence", one_change, "node-fence", "name", "NAME", 0, "fenced", NULL },
		{ "drain", node_drain, NULL, "name", "NAME", 0, NULL, NULL },
		{ "add", node_cluster, NULL, NULL, NULL, 0, NULL, NULL },
		{ "remove", node_cluster, NULL, NULL, NULL, 0, NULL, NULL },
	};

	return dispatch(g, help, subs, NSUBS(subs), argc, argv);
}

int
cmd_storage(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl storage add NAME iscsi://HOST[:PORT]/TARGET/LUN\n"
"       clusterctl storage list [--json]\n"
"       clusterctl storage remove NAME\n"
"The shared LUNs the cluster fences on: every node registers a key on each,\n"
"and a lost node's key is preempted on all of them before its roles are\n"
"started elsewhere.\n";
	static const struct sub subs[] = {
		{ "add", storage_add, "storage-add", "name", "NAME URL", 0, NULL, NULL },
		{ "list", storage_list, "storage-list", NULL, "", 0, NULL, NULL },
		{ "remove", one_change, "storage-remove", "name", "NAME", 0, "removed", NULL },
	};

	return dispatch(g, help, subs, NSUBS(subs), argc, argv);
}
