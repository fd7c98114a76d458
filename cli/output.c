/*
 * output.c - clusterctl's human and JSON output.
 */
#include "ctl.h"
#include "jsonget.h"
#include "valid.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void
ctl_progress_bar(char bar[CTL_BAR_WIDTH + 1], int pct)
{
	pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	for (int i = 0; i < CTL_BAR_WIDTH; i++)
		bar[i] = i < pct * CTL_BAR_WIDTH / 100 ? '#' : '.';
	bar[CTL_BAR_WIDTH] = '\0';
}

void
ctl_print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE));
}

const char *
ctl_jtext(json_object *v)
{
	if (!v)
		return "-";
	/* Printable text bare; anything else (a control character stored
	 * before lib/valid.h refused them) as a JSON string, escaped. */
	if (json_object_is_type(v, json_type_string) &&
	    cd_valid_text("", json_object_get_string(v), SIZE_MAX, NULL, 0) == 0)
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

const char *
ctl_jstr(json_object *o, const char *key, const char *dflt)
{
	return cd_jstr(o, key, dflt);
}

int64_t
ctl_jint(json_object *o, const char *key, int64_t dflt)
{
	return cd_jint(o, key, dflt);
}

bool
ctl_jbool(json_object *o, const char *key)
{
	return cd_jbool(o, key, false);
}

const char *
ctl_jref_name(json_object *o, const char *key)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_object))
		return ctl_jstr(v, "name", "?");
	return "-";
}

/* One line per cluster shared volume: status section "csv" (clusterd/csv-clients.h). */
static void
csv_lines(json_object *st)
{
	json_object *csv = NULL, *vols = NULL;

	json_object_object_get_ex(st, "csv", &csv);
	if (!csv || !json_object_object_get_ex(csv, "volumes", &vols) || !vols)
		return;
	json_object_object_foreach(vols, name, v) {
		const char *owner = ctl_jstr(v, "coordinator_node", "");

		if (!ctl_jbool(v, "configured"))
			continue;
		printf("Volume:    %s at /clusterstorage/%s, coordinator %s, client %s", name, name,
		       owner[0] ? owner : "none", ctl_jstr(v, "client", "?"));
		if (ctl_jint(v, "restarts", 0))
			printf(" (restarted %lld times)", (long long)ctl_jint(v, "restarts", 0));
		printf("\n");
	}
}

/* The drains in progress or done (status section "drain", clusterd/drain.c)
 * and the migrations running. */
static void
print_drains(json_object *st)
{
	json_object *dr = NULL, *nodes = NULL;

	if (!json_object_object_get_ex(st, "drain", &dr))
		return;
	if (ctl_jint(dr, "live_migrations", 0) || ctl_jint(dr, "quick_migrations", 0))
		printf("Moving:    %lld live, %lld quick migration(s)\n",
		       (long long)ctl_jint(dr, "live_migrations", 0),
		       (long long)ctl_jint(dr, "quick_migrations", 0));
	if (!json_object_object_get_ex(dr, "nodes", &nodes))
		return;
	json_object_object_foreach(nodes, name, c) {
		printf("Drain:     %s %s (%s): %lld left (%lld queued, %lld moving), %lld done, "
		       "%lld failed\n", name, ctl_jstr(c, "state", "?"), ctl_jstr(c, "origin", "?"),
		       (long long)ctl_jint(c, "left", 0), (long long)ctl_jint(c, "queued", 0),
		       (long long)ctl_jint(c, "moving", 0), (long long)ctl_jint(c, "done", 0),
		       (long long)ctl_jint(c, "failed", 0));
	}
}

/* The roles that are not highly available (status .rm.not_ha, policy.h
 * rule 9), with the reason of one that waits for its node. */
static void
not_ha_lines(json_object *st)
{
	json_object *rm = NULL, *list = NULL;
	size_t i;

	if (!json_object_object_get_ex(st, "rm", &rm) ||
	    !json_object_object_get_ex(rm, "not_ha", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(list); i++) {
		json_object *r = json_object_array_get_idx(list, i);
		const char *home = ctl_jstr(r, "home", "");

		if (ctl_jstr(r, "waits", NULL))
			printf("Role:      %s %s, %s\n", ctl_jstr(r, "role", "?"),
			       ctl_jstr(r, "state", "?"), ctl_jstr(r, "waits", ""));
		else
			printf("Role:      %s %s, not highly available%s%s%s\n",
			       ctl_jstr(r, "role", "?"), ctl_jstr(r, "state", "?"),
			       *home ? " (its disks are local to " : "", home, *home ? ")" : "");
	}
}

void
ctl_print_status(json_object *st)
{
	json_object *q = NULL, *nodes = NULL;
	size_t i, n;
	bool quorate;

	json_object_object_get_ex(st, "quorum", &q);
	json_object_object_get_ex(st, "nodes", &nodes);
	quorate = ctl_jbool(q, "quorate");

	printf("Cluster:   %s\n", ctl_jstr(st, "cluster_name", "?"));
	printf("This node: %s\n", ctl_jref_name(st, "local_node"));
	printf("Corosync:  %s, ring %s\n", ctl_jstr(st, "corosync", "?"),
	       ctl_jstr(st, "ring_id", "?"));
	printf("Leader:    %s\n", ctl_jref_name(st, "leader"));
	printf("Quorum:    %s, %lld of %lld expected votes (%lld needed)\n",
	       quorate ? "quorate" : "NOT QUORATE",
	       (long long)ctl_jint(q, "total_votes", 0),
	       (long long)ctl_jint(q, "expected_votes", 0),
	       (long long)ctl_jint(q, "quorum", 0));
	{
		json_object *w = NULL;

		json_object_object_get_ex(st, "witness", &w);
		if (w && ctl_jbool(w, "in_use"))
			printf("Witness:   %s, %s, owner %s%s\n", ctl_jstr(w, "url", "?"),
			       ctl_jstr(w, "health", "?"), ctl_jstr(w, "owner", "?"),
			       ctl_jbool(w, "casting") ? ", vote cast" : ", no vote");
		else if (w)
			printf("Witness:   none (mode %s)\n", ctl_jstr(w, "mode", "?"));
	}
	{
		json_object *rm = NULL;
		int64_t refused;

		json_object_object_get_ex(st, "rm", &rm);
		if (rm && ctl_jint(rm, "state_bytes", 0) > 0)
			printf("State:     %lld KiB of %lld KiB; configuration %lld KiB of its "
			       "%lld KiB budget\n",
			       (long long)(ctl_jint(rm, "state_bytes", 0) + 1023) / 1024,
			       (long long)ctl_jint(rm, "state_limit", 0) / 1024,
			       (long long)(ctl_jint(rm, "config_bytes", 0) + 1023) / 1024,
			       (long long)ctl_jint(rm, "config_budget", 0) / 1024);
		refused = rm ? ctl_jint(rm, "refused_changes", 0) : 0;
		if (refused > 0)
			printf("REFUSED:   %lld internal change(s) the cluster needs were "
			       "refused here, the last %llds ago (%s): %s\n", (long long)refused,
			       (long long)(time(NULL) - ctl_jint(rm, "refused_at", 0)),
			       ctl_jstr(rm, "refused_what", "?"), ctl_jstr(rm, "refused_last", "?"));
	}
	csv_lines(st);
	print_drains(st);
	not_ha_lines(st);
	printf("Members:   %lld up\n\n", (long long)ctl_jint(st, "members", 0));

	printf("%4s  %-16s %-16s %-8s %s\n", "ID", "NAME", "ADDRESS", "STATE", "");
	n = nodes && json_object_is_type(nodes, json_type_array) ?
	    json_object_array_length(nodes) : 0;
	for (i = 0; i < n; i++) {
		json_object *node = json_object_array_get_idx(nodes, i);
		char notes[64] = "";

		if (ctl_jbool(node, "leader"))
			strcat(notes, "leader ");
		if (ctl_jbool(node, "local"))
			strcat(notes, "(this node) ");
		if (!ctl_jbool(node, "configured"))
			strcat(notes, "not-in-nodelist ");
		printf("%4lld  %-16s %-16s %-8s %s\n",
		       (long long)ctl_jint(node, "id", 0),
		       ctl_jstr(node, "name", "?"), ctl_jstr(node, "address", ""),
		       ctl_jstr(node, "state", "?"), notes);
	}
}
