/*
 * cmd-csv.c - clusterctl csv add|list|show|move|remove: cluster shared
 * volumes. A volume NAME is the role csv-NAME of two resources, in order:
 * NAME-lun (agent ocf:clusterd:disk: the LUN's reservation and device) and
 * NAME (agent ocf:clusterd:csv: csv-coord on that device). The role's owner
 * is the coordinator; clusterd starts a csv-client at /clusterstorage/NAME
 * on every member (clusterd/csv-clients.h), whose state it publishes in
 * runtime.csv.NAME.
 *
 * `add` reads the LUN itself (libiscsi) before it changes anything: a URL
 * that does not answer, a LUN whose first or last MiB holds anything, or a
 * LUN the cluster uses already (fencing LUN, witness, a disk resource) is
 * refused. --format erases the first and last MiB (the filesystem
 * signatures) instead; the csv agent then makes the filesystem on the
 * blank device where the role first starts (agents/csv/csv.h).
 */
#include "ctl.h"
#include "verb.h"
#include "valid.h"
#include "csv.h"
#include "iscsi-url.h"
#include "pr.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#define CSV_AGENT	"ocf:clusterd:csv"
#define CSV_PORT0	"7401"	/* the first volume's port; each volume has its own */
#define ROLE_PREFIX	"csv-"
#define MOUNT_ROOT	"/clusterstorage"
#define START_WAIT_S	180

static const char help[] =
"Usage: clusterctl csv add iscsi://HOST[:PORT]/TARGET/LUN [--name NAME]\n"
"                          [--fs ext4|xfs] [--format] [--port PORT]\n"
"                          [--direct|--redirected]\n"
"                          [--json]\n"
"       clusterctl csv list [--json]\n"
"       clusterctl csv show NAME [--json]\n"
"       clusterctl csv move NAME NODE\n"
"       clusterctl csv remove NAME [--force]\n"
"A cluster shared volume: one LUN mounted at /clusterstorage/NAME on every\n"
"node. The role csv-NAME (resources NAME-lun, agent disk, and NAME, agent\n"
"csv) runs the volume's coordinator; every node's client forwards to it.\n"
"add refuses a LUN that does not answer, one the cluster already uses\n"
"(fencing LUN, witness, a disk) and one holding data (anything in its first\n"
"or last MiB) unless --format, which erases it. NAME defaults to the first\n"
"free volumeN. move is a planned coordinator change (open files see a pause);\n"
"remove stops the volume and refuses while files are open unless --force.\n"
"--port: the coordinator's TCP port on the cluster address; each volume has\n"
"its own (two volumes may be coordinated by one node), by default the first\n"
"one from 7401 no other volume uses.\n"
"--direct (the default): files opened O_DIRECT (QEMU cache=none) are read and\n"
"overwritten straight on the LUN by every node under the coordinator's extent\n"
"maps and leases; --redirected: every byte goes through the coordinator. show\n"
"lists per node \"direct\" or \"redirected: REASON\".\n";

/* ---- shared look-ups ---- */

static bool
same_lun(const char *a, const char *b)
{
	struct cd_iscsi_url ua, ub;
	char fa[600], fb[600];

	if (cd_iscsi_url_parse(a, &ua, NULL, 0) < 0 || cd_iscsi_url_parse(b, &ub, NULL, 0) < 0)
		return false;
	cd_iscsi_url_format(&ua, fa, sizeof(fa));
	cd_iscsi_url_format(&ub, fb, sizeof(fb));
	return strcmp(fa, fb) == 0;
}

static json_object *
path_get(json_object *o, const char *a, const char *b, const char *c)
{
	const char *keys[] = { a, b, c };

	for (size_t i = 0; i < 3 && o && keys[i]; i++)
		if (!json_object_object_get_ex(o, keys[i], &o))
			return NULL;
	return o;
}

/* What the cluster uses this LUN for already, or NULL. */
static const char *
lun_user(json_object *doc, json_object *luns, const char *url, char *out, size_t len)
{
	json_object *rscs = path_get(doc, "config", "resources", NULL);
	json_object *q = path_get(doc, "config", "quorum", NULL);
	size_t n = luns ? json_object_array_length(luns) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(luns, i);

		if (same_lun(ctl_jstr(l, "url", ""), url)) {
			snprintf(out, len, "the fencing LUN '%s'", ctl_jstr(l, "name", "?"));
			return out;
		}
	}
	if (q) {
		json_object_object_foreach(q, k, v) {
			const char *s = json_object_is_type(v, json_type_string) ?
					json_object_get_string(v) : ctl_jstr(v, "url", "");

			if (same_lun(s, url)) {
				snprintf(out, len, "the quorum witness (%s)", k);
				return out;
			}
		}
	}
	if (rscs) {
		json_object_object_foreach(rscs, id, r) {
			if (same_lun(ctl_jstr(path_get(r, "params", NULL, NULL), "lun", ""), url)) {
				snprintf(out, len, "disk resource '%s' of role %s", id,
					 ctl_jstr(r, "role", "?"));
				return out;
			}
		}
	}
	return NULL;
}

/* The state document (config-show). @return CTL_EXIT_ code */
static int
state_doc(struct ctl_conn *c, json_object **all, json_object **doc)
{
	int rc = ctl_request_sync(c, "config-show", NULL, all);

	*doc = NULL;
	if (rc == CTL_EXIT_OK && !json_object_object_get_ex(*all, "state", doc))
		rc = CTL_EXIT_PROTOCOL;
	return rc;
}

/* statfs of the local mount in a child, at most 3 s (a client that waits
 * for a coordinator must not hang clusterctl). @return 0 or -errno */
static int
statfs_bounded(const char *mnt, struct statvfs *out)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(p) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		struct statvfs s;

		close(p[0]);
		alarm(3);
		if (statvfs(mnt, &s) == 0)
			(void)!write(p[1], &s, sizeof(s));
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], out, sizeof(*out));
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof(*out) ? 0 : -ETIMEDOUT;
}

/* Is node up in the status document's node list (NULL: assume so)? */
static bool
node_up(json_object *nodes, const char *node)
{
	size_t n = nodes ? json_object_array_length(nodes) : 0;

	if (!nodes)
		return true;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(nodes, i);

		if (!strcmp(ctl_jstr(e, "name", ""), node))
			return !strcmp(ctl_jstr(e, "state", ""), "up");
	}
	return false;
}

/* One volume's summary from the state document (new object); a client of a
 * node that is not up (per the status nodes) shows as down, whatever it
 * published last. */
static json_object *
volume_json(json_object *doc, json_object *nodes, const char *name, json_object *r)
{
	json_object *o = json_object_new_object(), *params = path_get(r, "params", NULL, NULL);
	const char *role = ctl_jstr(r, "role", "");
	json_object *rt = path_get(doc, "runtime", "roles", role);
	json_object *csv = path_get(doc, "runtime", "csv", name), *clients, *lunr, *v;
	char lun[128], mnt[300];
	struct statvfs s;

	snprintf(lun, sizeof(lun), "%s", ctl_jstr(params, "disk", ""));
	if (!lun[0])
		snprintf(lun, sizeof(lun), "%s-lun", name);
	lunr = path_get(doc, "config", "resources", lun);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "lun", json_object_new_string(
		ctl_jstr(path_get(lunr, "params", NULL, NULL), "lun", "")));
	json_object_object_add(o, "fs", json_object_new_string(ctl_jstr(params, "fs", "ext4")));
	json_object_object_add(o, "state", json_object_new_string(ctl_jstr(rt, "state", "?")));
	json_object_object_add(o, "coordinator", json_object_new_string(ctl_jstr(rt, "owner", "")));
	snprintf(mnt, sizeof(mnt), MOUNT_ROOT "/%s", name);
	json_object_object_add(o, "mount", json_object_new_string(mnt));
	if (statfs_bounded(mnt, &s) == 0 && s.f_blocks) {
		json_object_object_add(o, "size_bytes",
				       json_object_new_int64((int64_t)(s.f_blocks * s.f_frsize)));
		json_object_object_add(o, "free_bytes",
				       json_object_new_int64((int64_t)(s.f_bavail * s.f_frsize)));
	}
	v = path_get(csv, "open_files", NULL, NULL);
	json_object_object_add(o, "open_files", v ? json_object_get(v) : NULL);
	clients = path_get(csv, "clients", NULL, NULL);
	v = json_object_new_object();
	if (clients) {
		json_object_object_foreach(clients, node, st)
			json_object_object_add(v, node, node_up(nodes, node) ? json_object_get(st) :
					       json_object_new_string("down"));
	}
	json_object_object_add(o, "clients", v);
	json_object_object_add(o, "direct", json_object_new_boolean(
		!strcmp(ctl_jstr(params, "direct", "false"), "true")));
	/* each node's data path (issue 15), as its client published it */
	clients = path_get(csv, "io", NULL, NULL);
	v = json_object_new_object();
	if (clients) {
		json_object_object_foreach(clients, node, st) {
			if (node_up(nodes, node))
				json_object_object_add(v, node, json_object_get(st));
		}
	}
	json_object_object_add(o, "io", v);
	return o;
}

/* Every volume (resources of agent csv), as {name: summary}; *n counted. */
static json_object *
volumes(json_object *doc, json_object *nodes, const char *only, size_t *n)
{
	json_object *rscs = path_get(doc, "config", "resources", NULL), *out = json_object_new_array();

	*n = 0;
	if (rscs) {
		json_object_object_foreach(rscs, id, r) {
			if (strcmp(ctl_jstr(r, "agent", ""), CSV_AGENT) || (only && strcmp(only, id)))
				continue;
			json_object_array_add(out, volume_json(doc, nodes, id, r));
			(*n)++;
		}
	}
	return out;
}

static void
size_text(json_object *v, char *out, size_t len)
{
	int64_t b = ctl_jint(v, "size_bytes", -1), f = ctl_jint(v, "free_bytes", -1);

	if (b < 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.1f/%.1f GiB", f / 1073741824.0, b / 1073741824.0);
}

static void
clients_text(json_object *v, char *out, size_t len)
{
	json_object *cl = path_get(v, "clients", NULL, NULL);
	size_t o = 0;

	out[0] = '\0';
	if (cl) {
		json_object_object_foreach(cl, node, st) {
			int k = snprintf(out + o, len - o, "%s%s=%s", o ? " " : "", node,
					 json_object_get_string(st));

			if (k < 0 || (size_t)k >= len - o)
				break;
			o += (size_t)k;
		}
	}
	if (!o)
		snprintf(out, len, "-");
}

/* ---- verbs ---- */

/* Read (and with wipe, erase) the first and last MiB of the LUN.
 * @return 0 blank (or erased), 1 holds data, <0 error printed */
static int
lun_check(const char *url_text, bool wipe)
{
	struct cd_iscsi_url url;
	char host[64] = "", ini[160], why[160];
	struct cd_pr *pr;
	uint64_t blocks = 0;
	uint32_t bs = 0;
	void *buf;
	int err = 0, rc = 0;

	if (cd_iscsi_url_parse(url_text, &url, why, sizeof(why)) < 0) {
		fprintf(stderr, "clusterctl csv add: bad URL '%s': %s\n", url_text, why);
		return -EINVAL;
	}
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' :
			    ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') ? *p : '-');
	snprintf(ini, sizeof(ini), "iqn.2026-11.org.clusterd:csv-add:%s", host);
	pr = cd_pr_open(&url, ini, 10000, &err);
	if (!pr) {
		fprintf(stderr, "clusterctl csv add: %s does not answer: %s\n", url_text,
			cd_pr_strerror(err));
		return -EIO;
	}
	if ((err = cd_pr_read_capacity(pr, &blocks, &bs)) < 0 || !bs ||
	    blocks * bs < 2 * CSV_BLANK_SPAN) {
		fprintf(stderr, "clusterctl csv add: %s: capacity: %s\n", url_text,
			err < 0 ? cd_pr_strerror(err) : "too small");
		cd_pr_close(pr);
		return -EIO;
	}
	buf = calloc(1, CSV_BLANK_SPAN);
	for (int end = 0; buf && end < 2 && rc >= 0; end++) {
		uint64_t lba = end ? blocks - CSV_BLANK_SPAN / bs : 0;

		if ((err = cd_pr_read_blocks(pr, lba, buf, CSV_BLANK_SPAN)) < 0) {
			fprintf(stderr, "clusterctl csv add: reading %s: %s\n", url_text,
				cd_pr_strerror(err));
			rc = -EIO;
		} else if (!csv_all_zero(buf, CSV_BLANK_SPAN)) {
			rc = 1;
		}
	}
	if (rc == 1 && wipe) {
		memset(buf, 0, CSV_BLANK_SPAN);
		rc = 0;
		for (int end = 0; end < 2 && rc == 0; end++) {
			uint64_t lba = end ? blocks - CSV_BLANK_SPAN / bs : 0;

			if ((err = cd_pr_write_blocks(pr, lba, buf, CSV_BLANK_SPAN,
						      CD_PR_WRITE_FUA)) < 0) {
				fprintf(stderr, "clusterctl csv add: erasing %s: %s\n", url_text,
					cd_pr_strerror(err));
				rc = -EIO;
			}
		}
		if (rc == 0)
			printf("csv: erased the first and last MiB of %s\n", url_text);
	}
	free(buf);
	cd_pr_close(pr);
	return buf ? rc : -ENOMEM;
}

static int
add_rsc(struct ctl_conn *c, const char *id, const char *agent, const char *role,
	json_object *params, int monitor_ms)
{
	json_object *args = json_object_new_object(), *data = NULL;
	int rc;

	json_object_object_add(args, "id", json_object_new_string(id));
	json_object_object_add(args, "agent", json_object_new_string(agent));
	json_object_object_add(args, "role", json_object_new_string(role));
	json_object_object_add(args, "params", params);
	json_object_object_add(args, "monitor_interval_ms", json_object_new_int64(monitor_ms));
	rc = ctl_request_sync(c, "resource-add", args, &data);
	json_object_put(args);
	json_object_put(data);
	return rc;
}

/* Wait until role reaches state (role-show), or fails. @return CTL_EXIT_ code */
static int
wait_role(struct ctl_conn *c, const char *role, const char *want, int secs, json_object **last)
{
	time_t end = time(NULL) + secs;
	json_object *args = ctl_args_with("name", role);
	int rc;

	for (;;) {
		json_object *data = NULL, *rt = NULL;

		rc = ctl_request_sync(c, "role-show", args, &data);
		if (rc != CTL_EXIT_OK)
			break;
		json_object_object_get_ex(data, "runtime", &rt);
		if (!strcmp(ctl_jstr(rt, "state", ""), want)) {
			if (last)
				*last = data;
			else
				json_object_put(data);
			break;
		}
		if (time(NULL) >= end) {
			fprintf(stderr, "clusterctl csv: role %s is %s, not %s, after %d s%s%s\n",
				role, ctl_jstr(rt, "state", "?"), want, secs,
				ctl_jstr(rt, "last_error", NULL) ? ": " : "",
				ctl_jstr(rt, "last_error", ""));
			json_object_put(data);
			rc = CTL_EXIT_TIMEOUT;
			break;
		}
		json_object_put(data);
		ctl_wait_change(NULL, 200);
	}
	json_object_put(args);
	return rc;
}

/* The volume whose coordinator listens on port (its csv resource's
 * params.port, "7401" when it has none), else NULL. */
static const char *
port_user(json_object *doc, int port)
{
	json_object *rscs = path_get(doc, "config", "resources", NULL);

	if (!rscs)
		return NULL;
	json_object_object_foreach(rscs, id, r) {
		if (strcmp(ctl_jstr(r, "agent", ""), CSV_AGENT) == 0 &&
		    atoi(ctl_jstr(path_get(r, "params", NULL, NULL), "port", CSV_PORT0)) == port)
			return id;
	}
	return NULL;
}

static int
csv_add(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' }, { "fs", required_argument, NULL, 'f' },
		{ "format", no_argument, NULL, 'F' }, { "port", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ "direct", no_argument, NULL, 'D' }, { "redirected", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *fs = "ext4", *url;
	bool direct = true;
	char vname[64], role[80], lunid[80], why[256], port[16] = "";
	int64_t pv;
	json_object *all = NULL, *doc = NULL, *luns = NULL, *sl = NULL, *params, *shown = NULL;
	struct ctl_conn *c;
	bool format = false;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "jh", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'f': fs = optarg; break;
		case 'F': format = true; break;
		case 'D': direct = true; break;
		case 'R': direct = false; break;
		case 'p':
			if (cd_valid_int("--port", optarg, 1, 65535, &pv, why, sizeof(why)) ||
			    snprintf(port, sizeof(port), "%" PRId64, pv) < 0) {
				fprintf(stderr, "clusterctl csv add: %s\n", why);
				return CTL_EXIT_USAGE;
			}
			break;
		case 'j': g->json = true; break;
		case 'h': fputs(help, stdout); return CTL_EXIT_OK;
		default: return CTL_EXIT_USAGE;
		}
	}
	if (name && (cd_valid_name(CD_NAME_VOLUME, name, why, sizeof(why)) ||
		     strlen(name) > 50)) {
		/* 50: the role csv-NAME and its resources stay names (V1) */
		fprintf(stderr, "clusterctl csv add: %s\n", strlen(name) > 50 ?
			"volume name: at most 50 characters" : why);
		return CTL_EXIT_USAGE;
	}
	if (argc - optind != 1 || (strcmp(fs, "ext4") && strcmp(fs, "xfs"))) {
		fprintf(stderr, "clusterctl csv add: want URL [--name NAME] [--fs ext4|xfs] "
			"[--port 1..65535]\nTry 'clusterctl csv --help'.\n");
		return CTL_EXIT_USAGE;
	}
	url = argv[optind];
	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = state_doc(c, &all, &doc);
	if (rc == CTL_EXIT_OK)
		rc = ctl_request_sync(c, "storage-list", NULL, &sl);
	if (rc != CTL_EXIT_OK)
		goto out;
	json_object_object_get_ex(sl, "luns", &luns);
	if (lun_user(doc, luns, url, why, sizeof(why))) {
		fprintf(stderr, "clusterctl csv add: %s is %s: refused\n", url, why);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	if (name) {
		snprintf(vname, sizeof(vname), "%s", name);
	} else {
		for (int i = 1; i < 1000; i++) {
			snprintf(vname, sizeof(vname), "volume%d", i);
			snprintf(role, sizeof(role), ROLE_PREFIX "%s", vname);
			if (!path_get(doc, "config", "resources", vname) &&
			    !path_get(doc, "config", "roles", role))
				break;
		}
	}
	snprintf(role, sizeof(role), ROLE_PREFIX "%s", vname);
	snprintf(lunid, sizeof(lunid), "%s-lun", vname);
	if (path_get(doc, "config", "resources", vname) || path_get(doc, "config", "roles", role)) {
		fprintf(stderr, "clusterctl csv add: volume %s exists already\n", vname);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	/* Each volume's coordinator listens on a port of its own: two volumes
	 * coordinated by one node must not collide. */
	if (port[0] && port_user(doc, atoi(port))) {
		fprintf(stderr, "clusterctl csv add: port %s is volume %s's: choose another "
			"(or leave --port out: the first free one from " CSV_PORT0 ")\n", port,
			port_user(doc, atoi(port)));
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	for (int p = atoi(CSV_PORT0); !port[0] && p < atoi(CSV_PORT0) + 1000; p++)
		if (!port_user(doc, p))
			snprintf(port, sizeof(port), "%d", p);
	rc = lun_check(url, format);
	if (rc == 1) {
		fprintf(stderr, "clusterctl csv add: %s holds data (its first or last MiB is not "
			"blank): refused; --format erases it\n", url);
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	if (rc < 0) {
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	{
		json_object *args = ctl_args_with("name", role), *data = NULL;

		json_object_object_add(args, "target", json_object_new_string("stopped"));
		rc = ctl_request_sync(c, "role-add", args, &data);
		json_object_put(args);
		json_object_put(data);
	}
	if (rc != CTL_EXIT_OK)
		goto out;
	params = json_object_new_object();
	json_object_object_add(params, "lun", json_object_new_string(url));
	json_object_object_add(params, "type", json_object_new_string("wero"));
	rc = add_rsc(c, lunid, CTL_DISK_AGENT, role, params, 5000);
	if (rc == CTL_EXIT_OK) {
		params = json_object_new_object();
		json_object_object_add(params, "disk", json_object_new_string(lunid));
		json_object_object_add(params, "fs", json_object_new_string(fs));
		json_object_object_add(params, "port", json_object_new_string(port));
		json_object_object_add(params, "format", json_object_new_string("true"));
		json_object_object_add(params, "direct",
				       json_object_new_string(direct ? "true" : "false"));
		rc = add_rsc(c, vname, CSV_AGENT, role, params, 2000);
	}
	if (rc == CTL_EXIT_OK) {
		json_object *data = NULL, *args = ctl_args_with("name", role);

		rc = ctl_request_sync(c, "role-start", args, &data);
		json_object_put(args);
		json_object_put(data);
	}
	if (rc == CTL_EXIT_OK)
		rc = wait_role(c, role, "started", START_WAIT_S, &shown);
	if (rc == CTL_EXIT_OK) {
		json_object *rt = path_get(shown, "runtime", NULL, NULL);

		if (g->json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(vname));
			json_object_object_add(o, "role", json_object_new_string(role));
			json_object_object_add(o, "coordinator",
					       json_object_new_string(ctl_jstr(rt, "owner", "")));
			ctl_print_json(o);
			json_object_put(o);
		} else {
			printf("csv %s: added (role %s, coordinator %s, %s); every node mounts it at "
			       MOUNT_ROOT "/%s\n", vname, role, ctl_jstr(rt, "owner", "?"), fs, vname);
		}
	}
	json_object_put(shown);
out:
	json_object_put(all);
	json_object_put(sl);
	ctl_disconnect(c);
	return rc;
}

static int
csv_list(struct ctl_globals *g, int argc, char **argv, bool show)
{
	json_object *all = NULL, *doc = NULL, *vols, *st = NULL, *nodes = NULL;
	const char *only = NULL;
	size_t n;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			g->json = true;
		else if (show && !only && argv[i][0] != '-')
			only = argv[i];
		else
			return fprintf(stderr, "clusterctl csv: unexpected '%s'\n", argv[i]),
			       CTL_EXIT_USAGE;
	}
	if (show && !only)
		return fprintf(stderr, "clusterctl csv show: which volume?\n"), CTL_EXIT_USAGE;
	rc = ctl_call("config-show", NULL, &all);
	if (rc != CTL_EXIT_OK)
		return rc;
	if (ctl_call("status", NULL, &st) == CTL_EXIT_OK)
		json_object_object_get_ex(st, "nodes", &nodes);
	json_object_object_get_ex(all, "state", &doc);
	vols = volumes(doc, nodes, only, &n);
	if (show && !n) {
		fprintf(stderr, "clusterctl csv show: no volume '%s'\n", only);
		rc = CTL_EXIT_FAILED;
	} else if (g->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, show ? "volume" : "volumes",
				       show ? json_object_get(json_object_array_get_idx(vols, 0)) :
					      json_object_get(vols));
		ctl_print_json(o);
		json_object_put(o);
	} else if (!n) {
		printf("No cluster shared volumes ('clusterctl csv add').\n");
	} else {
		if (!show)
			printf("%-10s %-8s %-12s %-5s %-18s %s\n", "NAME", "STATE", "COORDINATOR",
			       "FS", "FREE/SIZE", "CLIENTS");
		for (size_t i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(vols, i);
			char sz[64], cl[512];

			size_text(v, sz, sizeof(sz));
			clients_text(v, cl, sizeof(cl));
			if (!show) {
				printf("%-10s %-8s %-12s %-5s %-18s %s\n", ctl_jstr(v, "name", "?"),
				       ctl_jstr(v, "state", "?"), ctl_jstr(v, "coordinator", "-"),
				       ctl_jstr(v, "fs", "?"), sz, cl);
				continue;
			}
			printf("Volume:      %s (role %s, %s)\n", ctl_jstr(v, "name", "?"),
			       ctl_jstr(v, "role", "?"), ctl_jstr(v, "state", "?"));
			printf("LUN:         %s\n", ctl_jstr(v, "lun", "?"));
			printf("Mount:       %s (%s)\n", ctl_jstr(v, "mount", "?"), ctl_jstr(v, "fs", "?"));
			printf("Coordinator: %s\n", ctl_jstr(v, "coordinator", "-"));
			printf("Free/size:   %s\n", sz);
			printf("Open files:  %s\n", ctl_jtext(path_get(v, "open_files", NULL, NULL)));
			printf("Clients:     %s\n", cl);
			printf("I/O:%s\n", json_object_object_length(path_get(v, "io", NULL, NULL)) ?
			       "" : "         -");
			json_object_object_foreach(path_get(v, "io", NULL, NULL), node, io)
				printf("  %-10s %s\n", node, json_object_get_string(io));
		}
	}
	json_object_put(vols);
	json_object_put(all);
	json_object_put(st);
	return rc;
}

static int
csv_move(struct ctl_globals *g, int argc, char **argv)
{
	char role[80];

	if (argc != 3)
		return fprintf(stderr, "clusterctl csv move: want NAME NODE\n"), CTL_EXIT_USAGE;
	snprintf(role, sizeof(role), ROLE_PREFIX "%s", argv[1]);
	return ctl_move_role(g, role, argv[2], NULL, CTL_MOVE_TIMEOUT_S);
}

static int
csv_remove(struct ctl_globals *g, int argc, char **argv)
{
	json_object *all = NULL, *doc = NULL, *vols = NULL, *args, *data = NULL;
	const char *name = NULL;
	bool force = false;
	char role[80];
	struct ctl_conn *c;
	size_t n = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			force = true;
		else if (!strcmp(argv[i], "--json"))
			g->json = true;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else
			return fprintf(stderr, "clusterctl csv remove: unexpected '%s'\n", argv[i]),
			       CTL_EXIT_USAGE;
	}
	if (!name)
		return fprintf(stderr, "clusterctl csv remove: which volume?\n"), CTL_EXIT_USAGE;
	snprintf(role, sizeof(role), ROLE_PREFIX "%s", name);
	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = state_doc(c, &all, &doc);
	if (rc == CTL_EXIT_OK)
		vols = volumes(doc, NULL, name, &n);
	if (rc == CTL_EXIT_OK && !n) {
		fprintf(stderr, "clusterctl csv remove: no volume '%s'\n", name);
		rc = CTL_EXIT_FAILED;
	}
	if (rc == CTL_EXIT_OK && !force) {
		int64_t open = ctl_jint(json_object_array_get_idx(vols, 0), "open_files", 0);

		if (open > 0) {
			fprintf(stderr, "clusterctl csv remove: %s has %lld open file(s) "
				"(VM disks?): refused; --force removes it anyway\n", name,
				(long long)open);
			rc = CTL_EXIT_FAILED;
		}
	}
	args = ctl_args_with("name", role);
	if (rc == CTL_EXIT_OK)
		rc = ctl_request_sync(c, "role-stop", args, &data);
	json_object_put(data);
	data = NULL;
	if (rc == CTL_EXIT_OK)
		rc = wait_role(c, role, "stopped", START_WAIT_S, NULL);
	if (rc == CTL_EXIT_OK)
		rc = ctl_request_sync(c, "role-remove", args, &data);
	if (rc == CTL_EXIT_OK && !g->json)
		printf("csv %s: removed (the LUN keeps its data)\n", name);
	json_object_put(args);
	json_object_put(data);
	json_object_put(vols);
	json_object_put(all);
	ctl_disconnect(c);
	return rc;
}

int
cmd_csv(struct ctl_globals *g, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	if (!strcmp(argv[1], "add"))
		return csv_add(g, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return csv_list(g, argc - 1, argv + 1, false);
	if (!strcmp(argv[1], "show"))
		return csv_list(g, argc - 1, argv + 1, true);
	if (!strcmp(argv[1], "move"))
		return csv_move(g, argc - 1, argv + 1);
	if (!strcmp(argv[1], "remove"))
		return csv_remove(g, argc - 1, argv + 1);
	fprintf(stderr, "clusterctl csv: unknown subcommand '%s'\nTry 'clusterctl csv --help'.\n",
		argv[1]);
	return CTL_EXIT_USAGE;
}
