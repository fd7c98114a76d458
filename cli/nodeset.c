/*
 * nodeset.c - what the cluster commands share: the set of nodes a command
 * works on, the host list it is given, this node's cluster, the files sent
 * to the nodes, the last phase (configure, then wait) and the summary.
 */
#include "ctl.h"
#include "cluster.h"
#include "valid.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cl_nodeset *
cl_nodeset_new(void)
{
	struct cl_nodeset *s = calloc(1, sizeof(*s));

	if (!s)
		fprintf(stderr, "clusterctl: out of memory\n");
	return s;
}

void
cl_nodeset_free(struct cl_nodeset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		cl_node_clear(&s->nd[i]);
	free(s);
}

struct cl_node *
cl_nodeset_add(struct cl_nodeset *s, const char *host)
{
	struct cl_node *nd;

	if (s->n > CL_MAX_NODES)
		return NULL;
	nd = &s->nd[s->n];
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->host, sizeof(nd->host), "%s", host);
	s->p[s->n++] = nd;
	return nd;
}

struct cl_node *
cl_nodeset_by_name(struct cl_nodeset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->nd[i].name, name) == 0)
			return &s->nd[i];
	}
	return NULL;
}

/* Parse "h1,h2,..." into @p s. @return 0 or CTL_EXIT_USAGE (printed) */
int
cl_parse_hosts(const char *cmd, const char *list, struct cl_nodeset *s)
{
	char *copy = strdup(list), *save = NULL, *h, why[320];
	int rc = 0;

	if (!copy)
		return CTL_EXIT_FAILED;
	for (h = strtok_r(copy, ",", &save); h && !rc; h = strtok_r(NULL, ",", &save)) {
		if (!ctl_host_valid(h)) {
			cd_valid_hostname("host", h, why, sizeof(why));
			fprintf(stderr, "clusterctl %s: %s\n", cmd, why);
			rc = CTL_EXIT_USAGE;
		} else if (s->n >= CL_MAX_NODES) {
			fprintf(stderr, "clusterctl %s: at most %d nodes\n", cmd, CL_MAX_NODES);
			rc = CTL_EXIT_USAGE;
		} else {
			for (size_t i = 0; i < s->n; i++) {
				if (strcmp(s->nd[i].host, h) == 0) {
					fprintf(stderr, "clusterctl %s: '%s' is named twice\n", cmd, h);
					rc = CTL_EXIT_USAGE;
				}
			}
			if (!rc)
				cl_nodeset_add(s, h);
		}
	}
	free(copy);
	if (!rc && s->n == 0) {
		fprintf(stderr, "clusterctl %s: no nodes given\n", cmd);
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}

int
cl_bad_usage(const char *cmd)
{
	fprintf(stderr, "Try 'clusterctl %s --help'.\n", cmd);
	return CTL_EXIT_USAGE;
}

/* The cluster this node belongs to: /etc/clusterd/clusterd.conf, and
 * totem.token from /etc/corosync/corosync.conf. */
int
cl_read_local_cluster(const char *cmd, struct cl_def *d)
{
	char *text = cl_read_text(CL_CLUSTERD_CONF), err[160];
	struct cl_def cs;

	if (!text) {
		fprintf(stderr, "clusterctl %s: cannot read %s (%s): run this on a node "
			"of the cluster\n", cmd, CL_CLUSTERD_CONF, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	if (cl_clusterd_conf_parse(text, d, err, sizeof(err)) < 0) {
		fprintf(stderr, "clusterctl %s: %s: %s\n", cmd, CL_CLUSTERD_CONF, err);
		free(text);
		return CTL_EXIT_FAILED;
	}
	free(text);
	text = cl_read_text(CL_COROSYNC_CONF);
	d->token_ms = CL_TOKEN_DEFAULT_MS;
	if (text && cl_corosync_conf_parse(text, &cs, err, sizeof(err)) == 0) {
		if (cs.token_ms)
			d->token_ms = cs.token_ms;
		d->witness_device = cs.witness_device;
	}
	free(text);
	return CTL_EXIT_OK;
}

/* The payload for @p d; the key is given (base64) or NULL. */
int
cl_payload_make(const struct cl_def *d, char *key_b64, struct cl_payload *pl)
{
	char *conf = cl_corosync_conf(d), *cdconf = cl_clusterd_conf(d);

	memset(pl, 0, sizeof(*pl));
	pl->key_b64 = key_b64;
	if (conf)
		pl->conf_b64 = cl_b64_encode(conf, strlen(conf));
	if (cdconf)
		pl->cdconf_b64 = cl_b64_encode(cdconf, strlen(cdconf));
	free(conf);
	free(cdconf);
	if (!pl->conf_b64 || !pl->cdconf_b64) {
		fprintf(stderr, "clusterctl: out of memory\n");
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}

void
cl_payload_clear(struct cl_payload *pl)
{
	if (pl->key_b64)
		memset(pl->key_b64, 0, strlen(pl->key_b64));
	free(pl->conf_b64);
	free(pl->key_b64);
	free(pl->cdconf_b64);
	memset(pl, 0, sizeof(*pl));
}

static json_object *
summary_json(const struct cl_def *d, struct cl_nodeset *s, bool changed, uint64_t t0)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(o, "cluster_name", json_object_new_string(d->name));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "token_ms", json_object_new_int64(d->token_ms));
	json_object_object_add(o, "two_node", json_object_new_boolean(d->n == 2));
	for (size_t i = 0; i < d->n; i++) {
		json_object *e = json_object_new_object();
		struct cl_node *nd = cl_nodeset_by_name(s, d->nodes[i].name);

		json_object_object_add(e, "id", json_object_new_int64(d->nodes[i].id));
		json_object_object_add(e, "name", json_object_new_string(d->nodes[i].name));
		json_object_object_add(e, "address", json_object_new_string(d->nodes[i].addr));
		json_object_object_add(e, "host", json_object_new_string(nd ? nd->host :
								       d->nodes[i].name));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "nodes", arr);
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	json_object_object_add(o, "elapsed_ms",
			       json_object_new_int64((int64_t)(cd_now_mono_ms() - t0)));
	return o;
}

/* Print the cluster: JSON, or a headline and a node table. */
void
cl_print_summary(struct ctl_globals *g, const char *headline, const struct cl_def *d,
	      struct cl_nodeset *s, bool changed, uint64_t t0)
{
	json_object *o;

	if (g->json) {
		o = summary_json(d, s, changed, t0);
		ctl_print_json(o);
		json_object_put(o);
		return;
	}
	printf("%s (%.1f s)\n", headline, (double)(cd_now_mono_ms() - t0) / 1000.0);
	printf("  cluster  %s\n  uuid     %s\n  token    %u ms%s\n  nodes    %zu\n\n",
	       d->name, d->uuid, d->token_ms, d->n == 2 ? ", two_node" : "", d->n);
	printf("%4s  %-16s %-16s %s\n", "ID", "NAME", "ADDRESS", "HOST");
	for (size_t i = 0; i < d->n; i++) {
		struct cl_node *nd = cl_nodeset_by_name(s, d->nodes[i].name);

		printf("%4u  %-16s %-16s %s\n", d->nodes[i].id, d->nodes[i].name,
		       d->nodes[i].addr, nd ? nd->host : d->nodes[i].name);
	}
}

bool
cl_anything_changed(struct cl_nodeset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct cl_node *nd = &s->nd[i];

		if (nd->changed_conf || nd->changed_key || nd->changed_cdconf || nd->started)
			return true;
	}
	return false;
}


/* Phase 2 of create and node add: files and daemons on @p first, then on
 * @p then (a new node starts after the others accept it), then wait. */
int
cl_apply_all(const char *cmd, struct cl_nodeset *s, struct cl_node **first,
	     size_t nfirst, struct cl_node **then, size_t nthen,
	     const struct cl_def *d, const struct cl_payload *pl)
{
	size_t failed;
	int rc;

	failed = cl_apply(first, nfirst, pl, d->uuid);
	if (!failed && nthen)
		failed = cl_apply(then, nthen, pl, d->uuid);
	if (failed) {
		fprintf(stderr, "clusterctl %s: could not configure %zu node%s (see "
			"above); run the same command again when fixed\n", cmd, failed,
			failed == 1 ? "" : "s");
		return CTL_EXIT_FAILED;
	}
	rc = cl_wait(s->p, s->n, d->n);
	if (rc)
		fprintf(stderr, "clusterctl %s: not every node sees %zu members, "
			"quorate, within %d s (see above)\n", cmd, d->n, CL_WAIT_TIMEOUT_S);
	return rc;
}
