/*
 * cmd-status.c - clusterctl status, events and wait.
 */
#include "ctl.h"
#include "args.h"
#include "membership.h"
#include "timeutil.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
no_extra_args(const char *cmd, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "clusterctl %s: unexpected argument '%s'\n"
			"Try 'clusterctl %s --help'.\n", cmd, argv[optind], cmd);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

static int
simple_opts(struct ctl_globals *g, const char *cmd, const char *help,
	    int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': g->json = true; break;
		case 'h': fputs(help, stdout); exit(CTL_EXIT_OK);
		default:
			fprintf(stderr, "Try 'clusterctl %s --help'.\n", cmd);
			return CTL_EXIT_USAGE;
		}
	}
	return no_extra_args(cmd, argc, argv);
}

int
cmd_status(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl status [--json]\n"
"Show the cluster as this node sees it: cluster name, this node, leader,\n"
"quorum (votes, expected, needed) and every node with its state:\n"
"  up       corosync member running clusterd\n"
"  joining  corosync member whose clusterd has not joined (yet)\n"
"  down     not in this node's corosync membership\n"
"It also shows how full the replicated state is (the configuration has a\n"
"budget so that runtime records such as fencing and failover always fit)\n"
"and, in capitals, internal changes the cluster needed but refused here\n"
"(JSON: .rm.refused_changes, .rm.refused_last).\n";
	struct ctl_conn *c;
	json_object *st;
	int rc;

	rc = simple_opts(g, "status", help, argc, argv);
	if (rc)
		return rc;
	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = ctl_request(c, "status", NULL, &st);
	ctl_disconnect(c);
	if (rc)
		return rc;
	if (g->json)
		ctl_print_json(st);
	else
		ctl_print_status(st);
	json_object_put(st);
	return CTL_EXIT_OK;
}

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	interrupted = 1;
}

static void
print_event_line(const char *name, json_object *data)
{
	json_object *q = NULL;
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	json_object_object_get_ex(data, "quorum", &q);
	printf("%02d:%02d:%02d.%03ld %s (%s): %lld up, %s, leader %s\n",
	       tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, name,
	       ctl_jstr(data, "reason", "?"),
	       (long long)ctl_jint(data, "members", 0),
	       ctl_jbool(q, "quorate") ? "quorate" : "NOT quorate",
	       ctl_jref_name(data, "leader"));
	fflush(stdout);
}

/* Print one event; takes over the reference to data. */
static void
print_event(struct ctl_globals *g, const char *name, json_object *data)
{
	if (g->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "event", json_object_new_string(name));
		json_object_object_add(o, "recv_mono_ns",
			json_object_new_int64((int64_t)cd_now_mono_ns()));
		json_object_object_add(o, "data", data);
		printf("%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		fflush(stdout);
		json_object_put(o);
	} else {
		print_event_line(name, data);
		json_object_put(data);
	}
}

int
cmd_events(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl events [--json] [--count N] [--timeout SEC]\n"
"Print cluster events as clusterd sends them, one per line, until\n"
"interrupted, N events were shown, or SEC seconds passed. The first line\n"
"is a \"snapshot\" of the state at subscription (not counted). With --json each\n"
"line is the event object plus \"recv_mono_ns\", the CLOCK_MONOTONIC time\n"
"clusterctl received it (the daemon's own stamp is \"changed_mono_ns\").\n";
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	long count = -1, shown = 0;
	double timeout_s = -1;
	uint64_t deadline = 0;
	struct ctl_conn *c;
	json_object *st;
	long long v;
	int64_t ms;
	int rc, opt;

	ctl_args_set_prog("events", NULL);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': g->json = true; break;
		case 'n':
			if (ctl_parse_int("--count", optarg, 1, LONG_MAX, &v))
				return CTL_EXIT_USAGE;
			count = (long)v;
			break;
		case 't':
			if (ctl_parse_duration("--timeout", optarg, &ms))
				return CTL_EXIT_USAGE;
			timeout_s = (double)ms / 1000.0;
			break;
		case 'h': fputs(help, stdout); return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'clusterctl events --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	rc = no_extra_args("events", argc, argv);
	if (rc)
		return rc;
	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = ctl_subscribe(c, &st);
	if (rc) {
		ctl_disconnect(c);
		return rc;
	}
	/* First line: the state at subscription, so readers start in sync. */
	print_event(g, "snapshot", st);
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	if (timeout_s >= 0)
		deadline = cd_now_mono_ms() + (uint64_t)(timeout_s * 1000);

	while (!interrupted && (count < 0 || shown < count)) {
		const char *name;
		json_object *data;
		int wait_ms = 250;
		uint64_t now = cd_now_mono_ms();

		if (deadline) {
			if (now >= deadline)
				break;
			if (deadline - now < (uint64_t)wait_ms)
				wait_ms = (int)(deadline - now);
		}
		rc = ctl_next_event(c, wait_ms, &name, &data);
		if (rc == -ETIMEDOUT || rc == -EPROTO)
			continue;
		if (rc < 0) {
			fprintf(stderr, "clusterctl: clusterd went away\n");
			ctl_disconnect(c);
			return CTL_EXIT_NO_DAEMON;
		}
		print_event(g, name, data);
		shown++;
	}
	ctl_disconnect(c);
	return CTL_EXIT_OK;
}

/* What `wait` waits for. A field left at its default is not checked. */
struct wait_cond {
	long members;		/* -1: any */
	int quorate;		/* -1 any, 0 not quorate, 1 quorate */
	const char *leader;	/* name or id; "none"; NULL: any */
	const char *corosync;	/* "connected"/"disconnected"; NULL: any */
	long long generation;	/* state generation at least this; -1: any */
	bool synced;		/* no state sync round in progress */
};

static bool
cond_met(const struct wait_cond *w, json_object *st)
{
	json_object *q = NULL, *lead = NULL;
	char idbuf[24];

	json_object *state = NULL;

	json_object_object_get_ex(st, "quorum", &q);
	json_object_object_get_ex(st, "state", &state);
	if (w->generation >= 0 && ctl_jint(state, "generation", -1) < w->generation)
		return false;
	if (w->synced && ctl_jbool(state, "syncing"))
		return false;
	if (w->members >= 0 && ctl_jint(st, "members", -1) != w->members)
		return false;
	if (w->quorate >= 0 && ctl_jbool(q, "quorate") != (w->quorate == 1))
		return false;
	if (w->corosync && strcmp(ctl_jstr(st, "corosync", ""), w->corosync))
		return false;
	if (w->leader) {
		json_object_object_get_ex(st, "leader", &lead);
		if (!lead || !json_object_is_type(lead, json_type_object))
			return strcmp(w->leader, "none") == 0;
		snprintf(idbuf, sizeof(idbuf), "%lld",
			 (long long)ctl_jint(lead, "id", 0));
		if (strcmp(w->leader, ctl_jstr(lead, "name", "")) &&
		    strcmp(w->leader, idbuf))
			return false;
	}
	return true;
}

int
cmd_wait(struct ctl_globals *g, int argc, char **argv)
{
	static const char help[] =
"Usage: clusterctl wait [CONDITIONS] [--timeout SEC] [--json]\n"
"Block until this node's view of the cluster meets every condition, then\n"
"print the status and exit 0; exit 5 (printing the last status) when\n"
"SEC seconds (default 60) pass first. Driven by clusterd's events.\n"
"  --members N        exactly N nodes up\n"
"  --quorate          this partition is quorate\n"
"  --not-quorate      this partition is not quorate\n"
"  --leader NODE      NODE (name or id) leads; 'none' for no leader\n"
"  --corosync STATE   'connected' or 'disconnected'\n"
"  --generation G     the replicated state reached generation G or later\n"
"  --synced           no state synchronisation round in progress\n";
	static const struct option longopts[] = {
		{ "members", required_argument, NULL, 'm' },
		{ "quorate", no_argument, NULL, 'q' },
		{ "not-quorate", no_argument, NULL, 'Q' },
		{ "leader", required_argument, NULL, 'l' },
		{ "corosync", required_argument, NULL, 'c' },
		{ "generation", required_argument, NULL, 'g' },
		{ "synced", no_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct wait_cond w = { .members = -1, .quorate = -1, .generation = -1 };
	double timeout_s = 60;
	uint64_t deadline;
	struct ctl_conn *c;
	json_object *st = NULL;
	long long v;
	int64_t ms;
	int rc, opt;

	ctl_args_set_prog("wait", NULL);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (ctl_parse_int("--members", optarg, 0, CD_MAX_NODES, &v))
				return CTL_EXIT_USAGE;
			w.members = (long)v;
			break;
		case 'q': w.quorate = 1; break;
		case 'g':
			if (ctl_parse_int("--generation", optarg, 0, LLONG_MAX, &v))
				return CTL_EXIT_USAGE;
			w.generation = v;
			break;
		case 's': w.synced = true; break;
		case 'Q': w.quorate = 0; break;
		case 'l': w.leader = optarg; break;
		case 'c':
			if (strcmp(optarg, "connected") && strcmp(optarg, "disconnected")) {
				fprintf(stderr, "clusterctl wait: --corosync is "
					"'connected' or 'disconnected'\n");
				return CTL_EXIT_USAGE;
			}
			w.corosync = optarg;
			break;
		case 't':
			if (ctl_parse_duration("--timeout", optarg, &ms))
				return CTL_EXIT_USAGE;
			timeout_s = (double)ms / 1000.0;
			break;
		case 'j': g->json = true; break;
		case 'h': fputs(help, stdout); return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'clusterctl wait --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}
	rc = no_extra_args("wait", argc, argv);
	if (rc)
		return rc;

	c = ctl_connect(&rc);
	if (!c)
		return rc;
	/* Subscribe first: its reply is the current status, then events. */
	rc = ctl_subscribe(c, &st);
	if (rc) {
		ctl_disconnect(c);
		return rc;
	}
	deadline = cd_now_mono_ms() + (uint64_t)(timeout_s * 1000);
	while (!cond_met(&w, st)) {
		uint64_t now = cd_now_mono_ms();
		const char *name;
		json_object *data;

		if (now >= deadline) {
			fprintf(stderr, "clusterctl wait: timed out after %.1f s; "
				"last status:\n", timeout_s);
			if (g->json)
				ctl_print_json(st);
			else
				ctl_print_status(st);
			json_object_put(st);
			ctl_disconnect(c);
			return CTL_EXIT_TIMEOUT;
		}
		rc = ctl_next_event(c, (int)(deadline - now), &name, &data);
		if (rc == -ETIMEDOUT || rc == -EPROTO)
			continue;
		if (rc < 0) {
			fprintf(stderr, "clusterctl: clusterd went away\n");
			json_object_put(st);
			ctl_disconnect(c);
			return CTL_EXIT_NO_DAEMON;
		}
		if ((strcmp(name, "membership") == 0 || strcmp(name, "state") == 0) && data) {
			json_object_put(st);
			st = data;
		} else {
			json_object_put(data);
		}
	}
	if (g->json)
		ctl_print_json(st);
	else
		ctl_print_status(st);
	json_object_put(st);
	ctl_disconnect(c);
	return CTL_EXIT_OK;
}
