/*
 * cmd-storage.c - clusterctl storage add|list|remove: the shared LUNs the
 * cluster fences on. 'list' also shows the clustered disks (cmd-disk.c)
 * and reads every LUN's keys and reservation from this node.
 */
#include "ctl.h"
#include "iscsi-url.h"
#include "pr.h"
#include "verb.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- storage list: every LUN the cluster uses, as the target sees it ---- */

#define SCAN_TIMEOUT_MS 3000
#define SCAN_MAX_KEYS	32

/* The name of node id in node-list's answer, or NULL. */
static const char *
node_name(json_object *nodes, uint32_t id)
{
	size_t i, n = nodes ? json_object_array_length(nodes) : 0;

	for (i = 0; i < n; i++) {
		json_object *nd = json_object_array_get_idx(nodes, i);

		if (ctl_jint(nd, "id", 0) == (int64_t)id)
			return ctl_jstr(nd, "name", NULL);
	}
	return NULL;
}

static json_object *
key_json(uint64_t key, json_object *nodes)
{
	json_object *k = json_object_new_object();
	uint32_t id, inc;
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, key);
	json_object_object_add(k, "key", json_object_new_string(buf));
	if (cd_pr_key_decode(key, &id, &inc)) {
		const char *nm = node_name(nodes, id);

		json_object_object_add(k, "node", json_object_new_string(nm ? nm : "?"));
		json_object_object_add(k, "nodeid", json_object_new_int64(id));
		json_object_object_add(k, "incarnation", json_object_new_int64(inc));
	} else {
		json_object_object_add(k, "node", json_object_new_string("(not ours)"));
	}
	return k;
}

/* Read one LUN's identity, keys and reservation from this node. */
static void
scan_lun(json_object *l, json_object *nodes, const char *initiator)
{
	struct cd_iscsi_url u;
	struct cd_pr_inquiry inq;
	struct cd_pr_reservation res;
	uint64_t keys[SCAN_MAX_KEYS];
	size_t n = 0, i;
	struct cd_pr *pr;
	json_object *ka = json_object_new_array();
	int err = 0;

	json_object_object_add(l, "keys", ka);
	if (cd_iscsi_url_parse(ctl_jstr(l, "url", ""), &u, NULL, 0) < 0) {
		json_object_object_add(l, "health", json_object_new_string("bad-url"));
		return;
	}
	pr = cd_pr_open(&u, initiator, SCAN_TIMEOUT_MS, &err);
	if (!pr) {
		json_object_object_add(l, "health", json_object_new_string("unreachable"));
		json_object_object_add(l, "error", json_object_new_string(cd_pr_strerror(err)));
		return;
	}
	if ((err = cd_pr_inquiry(pr, &inq)) == 0) {
		json_object_object_add(l, "serial", json_object_new_string(inq.serial));
		json_object_object_add(l, "size_bytes",
				       json_object_new_int64((int64_t)(inq.blocks * inq.block_size)));
	}
	if (!err)
		err = cd_pr_read_keys(pr, keys, SCAN_MAX_KEYS, &n, NULL);
	for (i = 0; !err && i < n && i < SCAN_MAX_KEYS; i++)
		json_object_array_add(ka, key_json(keys[i], nodes));
	if (!err)
		err = cd_pr_read_reservation(pr, &res);
	if (!err && res.present) {
		json_object *r = key_json(res.key, nodes);

		json_object_object_add(r, "type", json_object_new_string(
			cd_pr_type_name((int)res.type) ? cd_pr_type_name((int)res.type) : "?"));
		json_object_object_add(l, "reservation", r);
	}
	json_object_object_add(l, "health", json_object_new_string(err ? "error" : "ok"));
	if (err)
		json_object_object_add(l, "error", json_object_new_string(cd_pr_last_error(pr)));
	cd_pr_close(pr);
}

static void
print_lun(json_object *l)
{
	json_object *ka = NULL, *r = NULL;
	char keys[512] = "", res[128] = "-";
	size_t i, n, o = 0;

	json_object_object_get_ex(l, "keys", &ka);
	n = ka ? json_object_array_length(ka) : 0;
	for (i = 0; i < n && o < sizeof(keys); i++) {
		json_object *k = json_object_array_get_idx(ka, i);

		o += (size_t)snprintf(keys + o, sizeof(keys) - o, "%s%s(%s)", i ? " " : "",
				      ctl_jstr(k, "node", "?"), ctl_jstr(k, "key", "?"));
	}
	if (json_object_object_get_ex(l, "reservation", &r))
		snprintf(res, sizeof(res), "%s by %s", ctl_jstr(r, "type", "?"),
			 ctl_jstr(r, "node", "?"));
	printf("%-12s %-8s %-10s %-8s %-18s %s\n", ctl_jstr(l, "name", "?"),
	       ctl_jstr(l, "use", "?"), ctl_jstr(l, "role", "-"), ctl_jstr(l, "health", "?"),
	       res, n ? keys : "-");
	printf("             %s%s%s\n", ctl_jstr(l, "url", "?"),
	       json_object_object_get_ex(l, "error", NULL) ? "  error: " : "",
	       ctl_jstr(l, "error", ""));
}

static int
storage_list(struct ctl_globals *g, const struct ctl_noun *nn, const struct ctl_verb *v,
	     int argc, char **argv)
{
	struct ctl_args_spec spec = ctl_verb_spec(nn, v);
	struct ctl_args a;
	json_object *fl = NULL, *rl = NULL, *nl = NULL, *luns = NULL, *rs = NULL, *nodes = NULL;
	json_object *out = json_object_new_array(), *o;
	char initiator[CD_ISCSI_NAME_MAX + 1], host[64] = "";
	struct ctl_conn *c;
	size_t i, n;
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc) {
		json_object_put(out);
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	}
	c = ctl_connect(&rc);
	if (!c) {
		json_object_put(out);
		return rc;
	}
	rc = ctl_request_sync(c, "storage-list", NULL, &fl);
	if (!rc)
		rc = ctl_request_sync(c, "resource-list", NULL, &rl);
	if (!rc)
		rc = ctl_request_sync(c, "node-list", NULL, &nl);
	ctl_disconnect(c);
	if (rc)
		goto out;
	json_object_object_get_ex(fl, "luns", &luns);
	json_object_object_get_ex(rl, "resources", &rs);
	json_object_object_get_ex(nl, "nodes", &nodes);
	n = luns ? json_object_array_length(luns) : 0;
	for (i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(luns, i);

		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(ctl_jstr(l, "name", "?")));
		json_object_object_add(o, "use", json_object_new_string("fencing"));
		json_object_object_add(o, "url", json_object_new_string(ctl_jstr(l, "url", "")));
		json_object_array_add(out, o);
	}
	n = rs ? json_object_array_length(rs) : 0;
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(rs, i), *p = NULL;

		if (strcmp(ctl_jstr(r, "agent", ""), CTL_DISK_AGENT))
			continue;
		json_object_object_get_ex(r, "params", &p);
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(ctl_jstr(r, "id", "?")));
		json_object_object_add(o, "use", json_object_new_string("disk"));
		json_object_object_add(o, "role", json_object_new_string(ctl_jstr(r, "role", "?")));
		json_object_object_add(o, "url", json_object_new_string(ctl_jstr(p, "lun", "")));
		json_object_array_add(out, o);
	}
	signal(SIGPIPE, SIG_IGN);	/* libiscsi writes with writev() */
	gethostname(host, sizeof(host) - 1);
	for (i = 0; host[i]; i++)
		host[i] = (char)((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= '0' && host[i] <= '9') ||
				 host[i] == '-' ? host[i] : host[i] >= 'A' && host[i] <= 'Z' ?
				 host[i] - 'A' + 'a' : '-');
	snprintf(initiator, sizeof(initiator), "iqn.2026-11.org.clusterd:storage-list:%s", host);
	n = json_object_array_length(out);
	for (i = 0; i < n; i++)
		scan_lun(json_object_array_get_idx(out, i), nodes, initiator);
	if (g->json) {
		o = json_object_new_object();
		json_object_object_add(o, "luns", json_object_get(out));
		ctl_print_json(o);
		json_object_put(o);
	} else if (n == 0) {
		printf("No shared LUNs ('clusterctl storage add', 'clusterctl disk add').\n");
	} else {
		printf("%-12s %-8s %-10s %-8s %-18s %s\n", "NAME", "USE", "ROLE", "HEALTH",
		       "RESERVATION", "KEYS");
		for (i = 0; i < n; i++)
			print_lun(json_object_array_get_idx(out, i));
	}
out:
	json_object_put(fl);
	json_object_put(rl);
	json_object_put(nl);
	json_object_put(out);
	return rc;
}

static int
storage_add(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
	    int argc, char **argv)
{
	struct ctl_args_spec spec = ctl_verb_spec(n, v);
	struct cd_iscsi_url url;
	json_object *args, *data;
	struct ctl_args a;
	char why_bad[128];
	int rc;

	rc = ctl_args_parse(g, &spec, argc, argv, &a);
	if (rc)
		return rc == CTL_HELP_SHOWN ? CTL_EXIT_OK : rc;
	if (cd_iscsi_url_parse(a.pos[1], &url, why_bad, sizeof(why_bad)) < 0)
		return ctl_usage_error("bad URL '%s': %s", a.pos[1], why_bad);
	args = ctl_args_with("name", a.pos[0]);
	json_object_object_add(args, "url", json_object_new_string(a.pos[1]));
	rc = ctl_call_put(v->ipc, args, &data);
	if (rc == CTL_EXIT_OK)
		ctl_print_done(g, data, "storage %s: added (%s)", a.pos[0], a.pos[1]);
	json_object_put(data);
	return rc;
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
	static const struct ctl_verb verbs[] = {
		{ "add", storage_add, "storage-add", "name", "NAME URL", 0, NULL, NULL },
		{ "list", storage_list, "storage-list", NULL, "", 0, NULL, NULL },
		{ "remove", ctl_verb_change, "storage-remove", "name", "NAME", 0, "removed", NULL },
	};
	static const struct ctl_noun noun = { "storage", help, verbs,
					      sizeof(verbs) / sizeof(verbs[0]) };

	return ctl_noun_run(g, &noun, argc, argv);
}
