/*
 * cmd-move.c - clusterctl move: a VM (or any role) to a node, live
 * (default for VMs), quick or by restart, followed to its end with the
 * migration's phases and progress (move-follow.h decides when it is over);
 * also each move of 'node drain' (ctl_move_role()).
 */
#include "ctl.h"
#include "move-follow.h"
#include "timeutil.h"
#include "verb.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MOVE_RETRY_MS	50	/* between "being migrated already" answers */

static const char move_help[] =
"Usage: clusterctl move NAME NODE [--live|--quick|--restart] [--timeout DUR] [--json]\n"
"       clusterctl move NAME --cancel\n"
"Move a VM (or any role) to NODE and wait until it runs there.\n"
"  --live     live migration (default for VMs): memory copied while the\n"
"             guest runs, then a pause of milliseconds\n"
"  --quick    quick migration: pause, save RAM and devices to shared storage,\n"
"             restore on NODE\n"
"  --restart  stop here, start there (the only way for other roles)\n"
"Progress goes to stderr; the result (type, total time, downtime, bytes) to\n"
"stdout. A migration that fails leaves the VM running where it was (exit 1\n"
"with the reason). --timeout (seconds, default 300) exits 5. --cancel (from\n"
"any node) rolls a migration that has not switched over yet back: the VM\n"
"stays where it was; the waiting 'move' then exits 1.\n";

/* ---- progress on stderr ---- */

/* The value of KEY= in a "k=v k=v" line, or "" */
static void
field(const char *line, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);
	const char *p = line;

	out[0] = '\0';
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + k + 1, " "), p + k + 1);
			return;
		}
		p += k;
	}
}

/* The agent's prediction of the move (migpredict.h), one line of its own. */
static void
prediction_line(const char *name, const char *prog, bool tty)
{
	char tot[32], dt[32], conv[8], dirty[32], link[32], from[16], paused[8], why[48],
	     post[8];

	field(prog, "predicted_total_ms", tot, sizeof(tot));
	field(prog, "predicted_downtime_ms", dt, sizeof(dt));
	field(prog, "predicted_converges", conv, sizeof(conv));
	field(prog, "dirty_rate", dirty, sizeof(dirty));
	field(prog, "link_bps", link, sizeof(link));
	field(prog, "link_from", from, sizeof(from));
	field(prog, "paused", paused, sizeof(paused));
	field(prog, "why", why, sizeof(why));
	field(prog, "postcopy", post, sizeof(post));
	fprintf(stderr, "%s", tty ? "\r" : "");
	if (!strcmp(tot, "-"))
		fprintf(stderr, "%s: no prediction (%s)\n", name,
			!strcmp(why, "no-bandwidth-yet") ? "the link's bandwidth is not known "
			"yet: no migration-bandwidth cap and no earlier move to this node" : why);
	else if (!strcmp(conv, "0"))
		fprintf(stderr, "%s: predicted: does not converge by itself (the guest dirties "
			"%.1f MiB/s, the link carries %.1f MiB/s): throttling or the migration "
			"policy will have to act\n", name, (double)atoll(dirty) / 1048576,
			(double)atoll(link) / 1048576);
	else
		fprintf(stderr, "%s: predicted: memory transfer %.1f s, downtime %s ms (%s; "
			"dirty %.1f MiB/s, link %.1f MiB/s from the %s)\n", name,
			(double)atoll(tot) / 1000, dt, !strcmp(paused, "1") ?
			(!strcmp(post, "1") ? "post-copy at once" : "paused mode") :
			"live pre-copy", (double)atoll(dirty) / 1048576,
			(double)atoll(link) / 1048576, !strcmp(from, "cap") ? "cap" : "last move");
	fflush(stderr);
}

/* "percent=45 mbps=120.3 remaining=80000000 dirty_rate=..." as a bar */
static void
progress_bar(const char *name, const char *prog, bool tty)
{
	char pct[16], mbps[16], rem[32], dirty[32], status[32];
	int p;
	char bar[CTL_BAR_WIDTH + 1];

	field(prog, "status", status, sizeof(status));
	if (!strcmp(status, "predicted")) {	/* before the transfer (vm-predict.h) */
		prediction_line(name, prog, tty);
		return;
	}
	field(prog, "percent", pct, sizeof(pct));
	field(prog, "mbps", mbps, sizeof(mbps));
	field(prog, "remaining", rem, sizeof(rem));
	field(prog, "dirty_rate", dirty, sizeof(dirty));
	p = atoi(pct);
	if (p < 0)
		p = 0;
	if (p > 100)
		p = 100;
	ctl_progress_bar(bar, p);
	if (!strcmp(status, "disk-mirror")) {	/* shared-nothing: the local disks first */
		fprintf(stderr, "%s%s: [%s] %3d%%  %s Mbit/s  copying local disks, %.1f MB "
			"left%s", tty ? "\r" : "", name, bar, p, mbps[0] ? mbps : "?",
			(double)atoll(rem) / 1e6, tty ? "" : "\n");
		fflush(stderr);
		return;
	}
	fprintf(stderr, "%s%s: [%s] %3d%%  %s Mbit/s  remaining %.1f MB  dirty %s pages/s%s",
		tty ? "\r" : "", name, bar, p, mbps[0] ? mbps : "?",
		(double)atoll(rem) / 1e6, dirty[0] ? dirty : "?", tty ? "" : "\n");
	fflush(stderr);
}

/* What the progress display has shown. */
struct move_view {
	struct ctl_globals *g;
	const char *name;
	char last_phase[32], last_progress[256];
	bool bar_shown, tty;
	bool migrated;		/* a migration ran: the result is its record */
};

/* Each look (move-follow.h): a line per new phase, the transfer's bar. */
static void
move_look(void *arg, json_object *rt, enum mf_verdict v, const struct mf_seen *seen,
	  uint64_t elapsed_ms)
{
	struct move_view *mv = arg;
	const char *phase = mf_phase(rt), *prog;
	const struct cd_mig_step *step;
	json_object *mig = NULL;

	(void)v;
	mv->migrated = seen->migration;
	if (!phase)
		return;
	json_object_object_get_ex(rt, "migration", &mig);
	if (strcmp(mv->last_phase, phase)) {
		if (mv->tty && mv->bar_shown)
			fputc('\n', stderr);
		mv->bar_shown = false;
		snprintf(mv->last_phase, sizeof(mv->last_phase), "%s", phase);
		if (!mv->g->json)
			fprintf(stderr, "%s: %s migration %s -> %s: %s (%.2f s)\n", mv->name,
				ctl_jstr(mig, "type", "?"), ctl_jstr(mig, "from", "?"),
				ctl_jstr(mig, "to", "?"), phase, (double)elapsed_ms / 1000.0);
	}
	/* the phases the migration table marks report progress (migphase.h M11) */
	step = mf_step(rt);
	prog = step && (step->flags & CD_MIG_PROGRESS) ? ctl_jstr(mig, "progress", "") : "";
	if (!mv->g->json && prog[0] && strcmp(prog, mv->last_progress)) {
		snprintf(mv->last_progress, sizeof(mv->last_progress), "%s", prog);
		progress_bar(mv->name, prog, mv->tty);
		mv->bar_shown = true;
	}
}

/* ---- the result on stdout ---- */

/* "type=live total_ms=12 downtime_ms=3 ..." -> JSON object of its fields */
static json_object *
parse_result(const char *line)
{
	json_object *o = json_object_new_object();
	char *dup = strdup(line ? line : ""), *save = NULL, *tok;

	for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '='), *end;
		long long v;

		if (!eq)
			continue;
		*eq = '\0';
		v = strtoll(eq + 1, &end, 10);
		json_object_object_add(o, tok, *end || end == eq + 1 ?
				       json_object_new_string(eq + 1) : json_object_new_int64(v));
	}
	free(dup);
	return o;
}

/*
 * The agent writes the live-migration mode's reason as one token, blanks
 * as '+' ("mode_why=TCG+on+QEMU+7.2+loses+pages+in+pre-copy"): back to text.
 */
static void
mode_reason(json_object *res)
{
	const char *why = ctl_jstr(res, "mode_why", "");
	char buf[160], *c;

	if (!why[0])
		return;
	snprintf(buf, sizeof(buf), "%s", why);
	for (c = buf; *c; c++)
		if (*c == '+')
			*c = ' ';
	json_object_object_add(res, "mode_why", json_object_new_string(buf));
}

/* A move that got there: its type, times and bytes (from the migration's
 * record when one ran). */
static void
print_moved(struct ctl_globals *g, const char *name, const char *node, json_object *rt,
	    bool migrated, uint64_t t0)
{
	json_object *res = parse_result(migrated ? ctl_jstr(rt, "last_migration", "") : "");
	double took = (double)(cd_now_mono_ms() - t0) / 1000.0;

	json_object_object_add(res, "role", json_object_new_string(name));
	json_object_object_add(res, "node", json_object_new_string(node));
	json_object_object_add(res, "elapsed_ms",
			       json_object_new_int64((int64_t)(cd_now_mono_ms() - t0)));
	if (!json_object_object_get_ex(res, "type", NULL))
		json_object_object_add(res, "type", json_object_new_string(
			migrated ? "live" : "restart"));
	mode_reason(res);
	if (g->json)
		ctl_print_json(res);
	else
		printf("%s: %s move to %s done in %.2f s (downtime %s ms, %s bytes)\n",
		       name, ctl_jstr(res, "type", "?"), node, took,
		       json_object_to_json_string(json_object_object_get(res, "downtime_ms")),
		       json_object_to_json_string(json_object_object_get(res, "transferred")));
	if (!g->json && json_object_object_get_ex(res, "predicted_total_ms", NULL))
		printf("%s: predicted %.1f s and %s ms of downtime; QEMU's transfer took %.1f s, "
		       "downtime %s ms\n", name,
		       (double)json_object_get_int64(json_object_object_get(res,
					"predicted_total_ms")) / 1000,
		       json_object_to_json_string(json_object_object_get(res,
					"predicted_downtime_ms")),
		       (double)json_object_get_int64(json_object_object_get(res, "total_ms")) / 1000,
		       json_object_to_json_string(json_object_object_get(res, "downtime_ms")));
	if (!g->json && !strcmp(ctl_jstr(res, "mode", ""), "paused"))
		printf("%s: live migration ran in paused mode: %s\n", name,
		       ctl_jstr(res, "mode_why", "live pre-copy is unsafe on this QEMU"));
	if (!g->json && !strcmp(ctl_jstr(res, "mode", ""), "postcopy"))
		printf("%s: live migration switched to post-copy: %s\n", name,
		       ctl_jstr(res, "mode_why", "pre-copy did not converge"));
	json_object_put(res);
}

/* ---- the move ---- */

/*
 * Ask clusterd for the move. A migration that just switched over is still
 * dropping its source copy for a moment ("being migrated already", EBUSY):
 * asked again until @p deadline; the last try prints the refusal.
 */
static int
request_move(json_object *args, uint64_t deadline, bool quiet)
{
	json_object *data = NULL;
	struct ctl_conn *c;
	int rc;

	for (;;) {
		c = ctl_connect(&rc);
		if (!c)
			return rc;
		rc = ctl_request_quiet(c, "role-move", args, &data,
				       cd_now_mono_ms() + 100 < deadline ? "EBUSY" : NULL);
		ctl_disconnect(c);
		/* over the migration limits (lib/drain.h A2, A3) the move waits */
		if (rc == CTL_EXIT_OK && !quiet && *ctl_jstr(data, "queued", ""))
			fprintf(stderr, "%s: queued: %s; it starts when a migration ends\n",
				ctl_jstr(args, "name", "?"), ctl_jstr(data, "queued", ""));
		json_object_put(data);
		data = NULL;
		if (rc != CTL_EXIT_RETRY)
			return rc;
		usleep(MOVE_RETRY_MS * 1000);
	}
}

int
ctl_move_role(struct ctl_globals *g, const char *name, const char *node, const char *type,
	      double timeout_s)
{
	struct move_view view = { .g = g, .name = name, .tty = isatty(STDERR_FILENO) };
	struct mf_follow f = { .goal = { name, node, "started" }, .t0 = cd_now_mono_ms(),
			       .timeout_ms = (int64_t)(timeout_s * 1000), .look = move_look,
			       .arg = &view };
	enum mf_verdict verdict;
	json_object *args, *rt = NULL;
	int rc;

	args = ctl_args_with("name", name);
	json_object_object_add(args, "node", json_object_new_string(node));
	if (type)
		json_object_object_add(args, "type", json_object_new_string(type));
	/*
	 * Follow the role by clusterd's events (every applied change is one),
	 * subscribed before the request so none is missed; polling every
	 * 20 ms only if the subscription fails.
	 */
	f.conn = ctl_connect(&rc);
	if (f.conn && ctl_subscribe(f.conn, NULL) != CTL_EXIT_OK) {
		ctl_disconnect(f.conn);
		f.conn = NULL;
	}
	f.subscribed = f.conn != NULL;
	rc = request_move(args, f.t0 + (uint64_t)f.timeout_ms, g->json);
	json_object_put(args);
	if (!rc)
		rc = mf_follow(&f, &rt, &verdict);
	if (rc == CTL_EXIT_OK) {
		print_moved(g, name, node, rt, view.migrated, f.t0);
	} else if (rc == CTL_EXIT_FAILED) {
		fprintf(stderr, "clusterctl move: %s did not move to %s: %s; it is %s on %s\n",
			name, node, ctl_jstr(rt, "last_error", "see 'clusterctl role show'"),
			ctl_jstr(rt, "state", ""), *ctl_jstr(rt, "owner", "") ?
			ctl_jstr(rt, "owner", "") : "no node");
	} else if (rc == CTL_EXIT_TIMEOUT) {
		fprintf(stderr, "clusterctl move: %s not on %s after %.0f s\n", name, node,
			timeout_s);
	}
	json_object_put(rt);
	if (f.conn)
		ctl_disconnect(f.conn);
	return rc;
}

static int
move_cancel(struct ctl_globals *g, const char *name)
{
	json_object *data = NULL;
	int rc;

	rc = ctl_call_put("role-move-cancel", ctl_args_with("name", name), &data);
	json_object_put(data);
	if (rc == 0 && !g->json)
		printf("%s: migration cancelled; it stays where it was\n", name);
	return rc;
}

int
cmd_move(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "live", no_argument, NULL, 'l' },
		{ "quick", no_argument, NULL, 'q' },
		{ "restart", no_argument, NULL, 'r' },
		{ "cancel", no_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *type = NULL;
	double timeout_s = CTL_MOVE_TIMEOUT_S;
	bool cancel = false;
	int64_t ms;
	int opt;

	ctl_args_set_prog("move", NULL);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': type = "live"; break;
		case 'q': type = "quick"; break;
		case 'r': type = "restart"; break;
		case 'c': cancel = true; break;
		case 't':
			if (ctl_parse_duration("--timeout", optarg, &ms))
				return CTL_EXIT_USAGE;
			if (ms <= 0)
				return ctl_usage_error("--timeout must be more than 0");
			timeout_s = (double)ms / 1000.0;
			break;
		case 'j': g->json = true; break;
		case 'h': fputs(move_help, stdout); return CTL_EXIT_OK;
		default: fputs(move_help, stderr); return CTL_EXIT_USAGE;
		}
	}
	if (cancel) {
		if (argc - optind != 1 || type) {
			fputs(move_help, stderr);
			return CTL_EXIT_USAGE;
		}
		return move_cancel(g, argv[optind]);
	}
	if (argc - optind != 2) {
		fputs(move_help, stderr);
		return CTL_EXIT_USAGE;
	}
	return ctl_move_role(g, argv[optind], argv[optind + 1], type, timeout_s);
}
