/*
 * node-drain.c - 'clusterctl node drain', 'node show' and 'node resume'
 * (node-drain.h). The cluster carries a drain out (clusterd/drain.c): drain
 * asks for it and, with --wait, follows it with one line per role; show
 * prints a node with its drain's progress; resume ends the drain and says
 * which roles come back by their failback policy.
 */
#include "node-drain.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DRAIN_WAIT_DEFAULT_MS	(30 * 60 * 1000)	/* --wait without --timeout */
#define DRAIN_LOOK_MS		250

/* The drain's role entry of @p role in a node-show answer, or NULL. */
static json_object *
drain_entry(json_object *show, const char *role)
{
	json_object *dr = NULL, *roles = NULL;
	size_t i;

	if (!json_object_object_get_ex(show, "drain", &dr) ||
	    !json_object_object_get_ex(dr, "roles", &roles))
		return NULL;
	for (i = 0; i < json_object_array_length(roles); i++) {
		json_object *e = json_object_array_get_idx(roles, i);

		if (!strcmp(ctl_jstr(e, "role", ""), role))
			return e;
	}
	return NULL;
}

/* One line for a role whose step changed since @p before (--wait). */
static void
print_step(json_object *e, json_object *before)
{
	const char *role = ctl_jstr(e, "role", "?"), *step = ctl_jstr(e, "step", "");

	if (before && !strcmp(ctl_jstr(before, "step", ""), step) &&
	    !strcmp(ctl_jstr(before, "how", ""), ctl_jstr(e, "how", "")))
		return;
	if (!strcmp(step, "moving"))
		printf("%s: moving (%s) to %s\n", role, ctl_jstr(e, "how", "?"),
		       ctl_jstr(e, "to", "?"));
	else if (!strcmp(step, "done"))
		printf("%s: done: on %s%s%s\n", role, ctl_jstr(e, "owner", "?"),
		       *ctl_jstr(e, "last_migration", "") ? ", " : "",
		       ctl_jstr(e, "last_migration", ""));
	else if (!strcmp(step, "failed"))
		printf("%s: stays: %s\n", role, ctl_jstr(e, "reason", "?"));
	else if (!strcmp(step, "queued") && !before)
		printf("%s: queued (%s) to %s\n", role, ctl_jstr(e, "how", "?"),
		       ctl_jstr(e, "to", "?"));
	fflush(stdout);
}

/* Follow the drain of @p node until it is done: 0, _FAILED (a role stayed),
 * _TIMEOUT or a request's code; the last answer into *last. */
static int
follow(const char *node, int64_t timeout_ms, bool quiet, json_object **last)
{
	json_object *args = ctl_args_with("name", node), *prev = NULL, *cur = NULL, *dr, *roles;
	uint64_t t0 = cd_now_mono_ms();
	struct ctl_conn *c;
	bool subscribed;
	int rc;
	size_t i;

	c = ctl_connect(&rc);
	if (!c) {
		json_object_put(args);
		return rc;
	}
	subscribed = ctl_subscribe(c, NULL) == CTL_EXIT_OK;
	for (;;) {
		cur = NULL;
		rc = ctl_request_sync(c, "node-show", args, &cur);
		if (rc)
			break;
		dr = NULL;
		roles = NULL;
		json_object_object_get_ex(cur, "drain", &dr);
		json_object_object_get_ex(dr, "roles", &roles);
		for (i = 0; !quiet && roles && i < json_object_array_length(roles); i++) {
			json_object *e = json_object_array_get_idx(roles, i);

			print_step(e, prev ? drain_entry(prev, ctl_jstr(e, "role", "")) : NULL);
		}
		json_object_put(prev);
		prev = cur;
		if (!dr) {
			fprintf(stderr, "%s: the drain ended ('node resume'?)\n", node);
			rc = CTL_EXIT_FAILED;
			break;
		}
		if (!strcmp(ctl_jstr(dr, "state", ""), "done")) {
			rc = ctl_jint(dr, "failed", 0) ? CTL_EXIT_FAILED : CTL_EXIT_OK;
			break;
		}
		if ((int64_t)(cd_now_mono_ms() - t0) >= timeout_ms) {
			rc = CTL_EXIT_TIMEOUT;
			break;
		}
		ctl_wait_change(subscribed ? c : NULL, DRAIN_LOOK_MS);
	}
	ctl_disconnect(c);
	json_object_put(args);
	*last = prev;
	return rc;
}

int
ctl_node_drain(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	       int argc, char **argv)
{
	struct ctl_args_spec spec = ctl_verb_spec(n, v);
	json_object *data = NULL, *last = NULL, *dr = NULL;
	struct ctl_args a;
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc)
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	rc = ctl_call_put("node-drain", ctl_args_with("name", a.pos[0]), &data);
	if (rc) {
		json_object_put(data);
		return rc;
	}
	if (!a.wait) {
		if (g->json)
			ctl_print_json(data);
		else
			printf("%s: %s; 'clusterctl node show %s' shows its progress, "
			       "'clusterctl node resume %s' ends it\n", a.pos[0],
			       ctl_jbool(data, "already") ? "draining already" :
			       "draining (the cluster moves its roles away)", a.pos[0], a.pos[0]);
		json_object_put(data);
		return CTL_EXIT_OK;
	}
	json_object_put(data);
	if (!g->json)
		printf("%s: draining\n", a.pos[0]);
	rc = follow(a.pos[0], a.timeout_ms == CTL_WAIT_DEFAULT_MS ? DRAIN_WAIT_DEFAULT_MS :
			      a.timeout_ms, g->json, &last);
	json_object_object_get_ex(last, "drain", &dr);
	if (g->json && last)
		ctl_print_json(last);
	else if (rc == CTL_EXIT_TIMEOUT)
		fprintf(stderr, "%s: the drain goes on: %lld role(s) left after the wait "
			"(the cluster carries on)\n", a.pos[0], (long long)ctl_jint(dr, "left", 0));
	else if (dr)
		printf("%s: drained: %lld role(s) moved, %lld stayed; 'clusterctl node resume %s' "
		       "lets roles come back\n", a.pos[0], (long long)ctl_jint(dr, "done", 0),
		       (long long)ctl_jint(dr, "failed", 0), a.pos[0]);
	json_object_put(last);
	return rc;
}

static void
show_print(json_object *d)
{
	json_object *roles = NULL, *dr = NULL, *list = NULL;
	char buf[1024];
	size_t i;

	json_object_object_get_ex(d, "roles", &roles);
	printf("Node:        %s (id %lld)\n", ctl_jstr(d, "name", "?"),
	       (long long)ctl_jint(d, "id", 0));
	printf("State:       %s%s%s\n", ctl_jstr(d, "state", "?"),
	       ctl_jbool(d, "paused") ? ", paused" : "", ctl_jbool(d, "fenced") ? ", fenced" : "");
	printf("Incarnation: %lld\n", (long long)ctl_jint(d, "incarnation", 0));
	printf("Roles:       %s\n", roles && json_object_array_length(roles) ?
	       ctl_join(roles, ",", buf, sizeof(buf)) : "-");
	if (!json_object_object_get_ex(d, "drain", &dr))
		return;
	{
		time_t at = (time_t)ctl_jint(dr, "started_at", 0);
		struct tm tm;
		char when[32] = "?";

		if (at && localtime_r(&at, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("Drain:       %s (%s, since %s): %lld left (%lld queued, %lld moving), "
		       "%lld done, %lld failed\n", ctl_jstr(dr, "state", "?"),
		       ctl_jstr(dr, "origin", "?"), when, (long long)ctl_jint(dr, "left", 0),
		       (long long)ctl_jint(dr, "queued", 0), (long long)ctl_jint(dr, "moving", 0),
		       (long long)ctl_jint(dr, "done", 0), (long long)ctl_jint(dr, "failed", 0));
	}
	json_object_object_get_ex(dr, "roles", &list);
	for (i = 0; list && i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);
		const char *step = ctl_jstr(e, "step", "?");

		printf("  %-20s %-7s %-5s %s%s%s\n", ctl_jstr(e, "role", "?"), step,
		       ctl_jstr(e, "how", "-"),
		       !strcmp(step, "failed") ? "stays: " : "-> ",
		       !strcmp(step, "failed") ? ctl_jstr(e, "reason", "") :
		       !strcmp(step, "done") ? ctl_jstr(e, "owner", "?") : ctl_jstr(e, "to", "?"),
		       "");
	}
}

int
ctl_node_show(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	      int argc, char **argv)
{
	return ctl_verb_show(g, n, v, argc, argv, show_print);
}

int
ctl_node_resume(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
		int argc, char **argv)
{
	struct ctl_args_spec spec = ctl_verb_spec(n, v);
	json_object *data = NULL, *roles = NULL;
	struct ctl_args a;
	size_t i;
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc)
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	rc = ctl_call_put("node-resume", ctl_args_with("name", a.pos[0]), &data);
	if (rc) {
		json_object_put(data);
		return rc;
	}
	if (g->json) {
		ctl_print_json(data);
		json_object_put(data);
		return CTL_EXIT_OK;
	}
	printf("node %s: resumed\n", a.pos[0]);
	json_object_object_get_ex(data, "roles", &roles);
	for (i = 0; roles && i < json_object_array_length(roles); i++) {
		json_object *e = json_object_array_get_idx(roles, i);
		const char *role = ctl_jstr(e, "role", "?");

		if (ctl_jbool(e, "comes_back"))
			printf("  %s: comes back from %s (failback %s)\n", role,
			       ctl_jstr(e, "on", "?"), ctl_jstr(e, "failback", "?"));
		else
			printf("  %s: stays on %s (failback %s); 'clusterctl move %s %s' brings "
			       "it back\n", role, ctl_jstr(e, "on", "?"), ctl_jstr(e, "failback", "?"),
			       role, a.pos[0]);
	}
	json_object_put(data);
	return CTL_EXIT_OK;
}
