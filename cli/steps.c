/*
 * steps.c - the steps of create, destroy and node add/remove: one helper
 * operation (remote.sh) run on many nodes at once, a progress line on
 * stderr per node as each finishes, the answer read into struct cl_node.
 */
#include "ctl.h"
#include "cluster.h"
#include "valid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS	30000
#define START_TIMEOUT_MS	90000
#define DESTROY_TIMEOUT_MS	90000
#define KEY_TIMEOUT_MS		30000
#define WITNESS_TIMEOUT_MS	30000

struct step {
	const char *what;
	void (*after)(struct cl_node *nd);	/* read the answer; may set rc */
};

static struct cl_node *
node_of(struct cl_job *j)
{
	return (struct cl_node *)(void *)((char *)j - offsetof(struct cl_node, job));
}

static void
step_done(struct cl_job *j, void *arg)
{
	struct step *st = arg;
	struct cl_node *nd = node_of(j);
	const char *why;

	nd->why[0] = '\0';
	nd->rc = cl_job_result(j, &why);
	if (nd->rc == CTL_SSH_FAILED)
		snprintf(nd->why, sizeof(nd->why), "unreachable: %s", why);
	else if (nd->rc != 0)
		snprintf(nd->why, sizeof(nd->why), "%s", why);
	else if (st->after)
		st->after(nd);
	if (nd->rc)
		fprintf(stderr, "%s: %s... FAILED: %s\n", nd->host, st->what, nd->why);
	else if (nd->why[0])
		fprintf(stderr, "%s: %s... ok (%s)\n", nd->host, st->what, nd->why);
	else
		fprintf(stderr, "%s: %s... ok\n", nd->host, st->what);
	cl_job_clear(j);
}

/* Run the prepared jobs of @p nodes at once. @return how many failed */
static size_t
run_step(struct cl_node **nodes, size_t n, const char *what,
	 void (*after)(struct cl_node *nd))
{
	struct cl_job *jobs[CL_MAX_NODES] = { 0 };
	struct step st = { what, after };
	size_t k = 0, failed = 0;

	for (size_t i = 0; i < n && k < CL_MAX_NODES; i++) {
		if (nodes[i]->job.script)
			jobs[k++] = &nodes[i]->job;
	}
	cl_jobs_run(jobs, k, step_done, &st);
	for (size_t i = 0; i < k; i++) {
		if (node_of(jobs[i])->rc)
			failed++;
	}
	return failed;
}

/* Prepare the job of every node; @return 0 or -errno (all cleared then) */
static int
prepare_all(struct cl_node **nodes, size_t n, const char *op,
	    const char *const *vars, int timeout_ms)
{
	for (size_t i = 0; i < n; i++) {
		int rc = cl_job_init(&nodes[i]->job, nodes[i]->host, op, vars, timeout_ms);

		if (rc < 0) {
			fprintf(stderr, "clusterctl: %s: cannot prepare '%s': %s\n",
				nodes[i]->host, op, strerror(-rc));
			for (size_t k = 0; k <= i; k++)
				cl_job_clear(&nodes[k]->job);
			return rc;
		}
	}
	return 0;
}

static bool
value_is(struct cl_node *nd, const char *key, const char *want)
{
	char *v = cl_job_value(&nd->job, key);
	bool is = v && strcmp(v, want) == 0;

	free(v);
	return is;
}

/* ---- probe ---- */

/* What the node's files say it belongs to (clusterd.conf, else corosync.conf). */
static void
read_files(struct cl_node *nd)
{
	char *v, *text, err[160];
	struct cl_def cs;

	nd->cur_kind = CL_CUR_NONE;
	v = cl_job_value(&nd->job, "clusterd_conf");
	if (v && *v) {
		text = cl_b64_decode(v, NULL);
		nd->cur_kind = text && cl_clusterd_conf_parse(text, &nd->cur, err,
				sizeof(err)) == 0 ? CL_CUR_DEF : CL_CUR_BAD;
		free(text);
	}
	free(v);
	v = cl_job_value(&nd->job, "corosync_conf");
	if (v && *v) {
		text = cl_b64_decode(v, NULL);
		if (!text || cl_corosync_conf_parse(text, &cs, err, sizeof(err)) < 0) {
			if (nd->cur_kind == CL_CUR_NONE)
				nd->cur_kind = CL_CUR_BAD;
		} else if (nd->cur_kind == CL_CUR_NONE) {
			nd->cur = cs;		/* corosync set up without clusterctl */
			nd->cur_kind = CL_CUR_DEF;
		} else if (nd->cur_kind == CL_CUR_DEF) {
			nd->cur.token_ms = cs.token_ms;
		}
		free(text);
	}
	free(v);
}

/* "corosync-keygen clusterd" -> "corosync clusterd" (Debian packages) */
static void
packages_of(const char *missing, char *buf, size_t len)
{
	bool cs = strstr(missing, "corosync") != NULL;
	bool cd = strstr(missing, "clusterd") || strstr(missing, "clusterctl");
	bool gt = strstr(missing, "certtool") != NULL;

	snprintf(buf, len, "%s%s%s%s%s", cs ? "corosync" : "", cs && cd ? " " : "",
		 cd ? "clusterd" : "", (cs || cd) && gt ? " " : "", gt ? "gnutls-bin" : "");
}

static void
after_probe(struct cl_node *nd)
{
	char *name = cl_job_value(&nd->job, "name");
	char *addr = cl_job_value(&nd->job, "addr");
	char *missing = cl_job_value(&nd->job, "missing");
	char *sha = cl_job_value(&nd->job, "authkey_sha256");
	char pkgs[64], reason[256];

	snprintf(nd->name, sizeof(nd->name), "%s", name ? name : "");
	snprintf(nd->addr, sizeof(nd->addr), "%s", addr ? addr : "");
	snprintf(nd->key_sha, sizeof(nd->key_sha), "%s", sha ? sha : "");
	nd->cs_running = value_is(nd, "corosync_running", "1");
	nd->cd_running = value_is(nd, "clusterd_running", "1");
	nd->has_tls_ca = value_is(nd, "tls_ca", "1");
	read_files(nd);

	nd->ready = false;
	nd->rc = 1;
	if (cd_valid_name(CD_NAME_NODE, name, reason, sizeof(reason))) {
		/* checked before anything is written on any node (V1; quoted) */
		snprintf(nd->why, sizeof(nd->why), "its host name is not a valid "
			 "node name: %s", reason);
	} else if (!addr || !cl_valid_addr(addr)) {
		snprintf(nd->why, sizeof(nd->why), "cannot tell its address "
			 "(SSH_CONNECTION gives '%.64s')", addr ? addr : "");
	} else if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0) {
		snprintf(nd->why, sizeof(nd->why), "reached over loopback (%s): name "
			 "it by an address the other nodes can reach", addr);
	} else if (missing && *missing) {
		packages_of(missing, pkgs, sizeof(pkgs));
		snprintf(nd->why, sizeof(nd->why), "missing %s; install with: "
			 "apt-get install %s", missing, pkgs);
	} else if (value_is(nd, "svc", "none")) {
		snprintf(nd->why, sizeof(nd->why), "no service manager on %s: "
			 "neither systemd nor CLUSTERD_SERVICE_CMD", nd->host);
	} else {
		nd->rc = 0;
		nd->ready = true;
		snprintf(nd->why, sizeof(nd->why), "%s, %s%s%s", nd->name, nd->addr,
			 nd->cur_kind == CL_CUR_DEF ? ", in cluster " :
			 nd->cur_kind == CL_CUR_BAD ? ", unreadable cluster configuration" : "",
			 nd->cur_kind == CL_CUR_DEF ? nd->cur.name : "");
	}
	free(name);
	free(addr);
	free(missing);
	free(sha);
}

size_t
cl_probe(struct cl_node **nodes, size_t n)
{
	if (prepare_all(nodes, n, "probe", NULL, PROBE_TIMEOUT_MS) < 0)
		return n;
	return run_step(nodes, n, "checking", after_probe);
}

/* ---- apply: install, then start ---- */

static void
after_apply(struct cl_node *nd)
{
	char *changed = cl_job_value(&nd->job, "changed");
	char *cs = cl_job_value(&nd->job, "corosync");
	char *cd = cl_job_value(&nd->job, "clusterd");
	const char *c = changed ? changed : "";

	nd->changed_conf = strstr(c, "corosync.conf") != NULL;
	nd->changed_key = strstr(c, "authkey") != NULL;
	nd->changed_cdconf = strstr(c, "clusterd.conf") != NULL;
	nd->started = (cs && strcmp(cs, "running")) || (cd && strcmp(cd, "running"));
	snprintf(nd->why, sizeof(nd->why), "%s%s; corosync %s, clusterd %s",
		 *c ? "new " : "files unchanged", c, cs ? cs : "?", cd ? cd : "?");
	free(changed);
	free(cs);
	free(cd);
}

/*
 * Install the payload (the key only where wants_key; a file is replaced
 * only when its content differs), then start what is stopped. corosync is
 * restarted only for a new authkey or a node taken over from another
 * cluster, and reloaded (corosync-cfgtool -R) for a new corosync.conf;
 * clusterd is restarted only when the node held another cluster's uuid
 * (clusterd reads clusterd.conf when it starts).
 */
size_t
cl_apply(struct cl_node **nodes, size_t n, const struct cl_payload *pl,
	 const char *uuid)
{
	for (size_t i = 0; i < n; i++) {
		struct cl_node *nd = nodes[i];
		bool restart_cd = nd->cd_running && (nd->cur_kind != CL_CUR_DEF ||
				  strcmp(nd->cur.uuid, uuid) != 0);
		const char *vars[] = {
			"CONF_B64", pl->conf_b64 ? pl->conf_b64 : "",
			"KEY_B64", nd->wants_key && pl->key_b64 ? pl->key_b64 : "",
			"CDCONF_B64", pl->cdconf_b64 ? pl->cdconf_b64 : "",
			"SAME", nd->same ? "1" : "0",
			"RESTART_CLUSTERD", restart_cd ? "1" : "0",
			NULL
		};

		if (prepare_all(&nodes[i], 1, "apply", vars, START_TIMEOUT_MS) < 0) {
			for (size_t k = 0; k < i; k++)
				cl_job_clear(&nodes[k]->job);
			return n;
		}
	}
	return run_step(nodes, n, "configuring", after_apply);
}

/* ---- wait ---- */

static void
after_wait(struct cl_node *nd)
{
	char *flags = cl_job_value(&nd->job, "quorum_flags");

	snprintf(nd->flags, sizeof(nd->flags), "%s", flags ? flags : "");
	snprintf(nd->why, sizeof(nd->why), "corosync flags: %s", nd->flags);
	free(flags);
}

int
cl_wait(struct cl_node **nodes, size_t n, size_t members)
{
	char m[24], t[24], what[64];
	const char *vars[] = { "MEMBERS", m, "TIMEOUT", t, NULL };
	size_t failed;
	int rc = CTL_EXIT_OK;

	snprintf(m, sizeof(m), "%zu", members);
	snprintf(t, sizeof(t), "%d", CL_WAIT_TIMEOUT_S);
	snprintf(what, sizeof(what), "waiting for %zu members, quorate", members);
	if (prepare_all(nodes, n, "wait", vars, (CL_WAIT_TIMEOUT_S + 15) * 1000) < 0)
		return CTL_EXIT_FAILED;
	failed = run_step(nodes, n, what, after_wait);
	for (size_t i = 0; failed && i < n; i++) {
		if (nodes[i]->rc == CTL_EXIT_TIMEOUT)
			rc = CTL_EXIT_TIMEOUT;
		else if (nodes[i]->rc && rc == CTL_EXIT_OK)
			rc = CTL_EXIT_FAILED;
	}
	/* corosync 3.1 switches two_node at reload; say so where it did not. */
	for (size_t i = 0; !failed && i < n; i++) {
		bool two = strstr(nodes[i]->flags, "2Node") != NULL;

		/* With a witness device corosync runs without two_node (Qdevice flag). */
		if (nodes[i]->flags[0] && two != (members == 2) &&
		    !(members == 2 && !two && strstr(nodes[i]->flags, "Qdevice")))
			fprintf(stderr, "clusterctl: warning: %s: corosync runs %s two_node "
				"(flags: %s), unlike its corosync.conf; restart corosync on "
				"one node at a time to apply it\n", nodes[i]->host,
				two ? "with" : "without", nodes[i]->flags);
	}
	return rc;
}

/* ---- destroy ---- */

static void
after_destroy(struct cl_node *nd)
{
	char *cd = cl_job_value(&nd->job, "clusterd");
	char *cs = cl_job_value(&nd->job, "corosync");
	char *removed = cl_job_value(&nd->job, "removed");
	size_t files = 0;

	for (const char *p = removed; p && *p; p++) {
		if (*p == '/' && (p == removed || p[-1] == ' '))
			files++;
	}
	snprintf(nd->why, sizeof(nd->why), "clusterd %s, corosync %s, %zu file%s removed",
		 cd ? cd : "?", cs ? cs : "?", files, files == 1 ? "" : "s");
	free(cd);
	free(cs);
	free(removed);
}

size_t
cl_destroy(struct cl_node **nodes, size_t n)
{
	if (prepare_all(nodes, n, "destroy", NULL, DESTROY_TIMEOUT_MS) < 0)
		return n;
	return run_step(nodes, n, "destroying", after_destroy);
}

/* ---- the authkey ---- */

static void
after_key(struct cl_node *nd)
{
	free(nd->value);
	nd->value = cl_job_value(&nd->job, "authkey");
	if (!nd->value || !*nd->value) {
		nd->rc = 1;
		snprintf(nd->why, sizeof(nd->why), "no key in the answer");
	}
}

static char *
remote_key(struct cl_node *nd, const char *op, const char *what)
{
	char *key;

	if (prepare_all(&nd, 1, op, NULL, KEY_TIMEOUT_MS) < 0)
		return NULL;
	run_step(&nd, 1, what, after_key);
	key = nd->rc == 0 ? nd->value : NULL;
	if (!key)
		free(nd->value);
	nd->value = NULL;
	return key;
}

char *
cl_get_key(struct cl_node *nd)
{
	return remote_key(nd, "getkey", "reading the authkey");
}

char *
cl_new_key(struct cl_node *nd)
{
	char dir[] = "/tmp/clusterctl-key.XXXXXX", path[64], *b64 = NULL;
	char *argv[] = { (char *)"corosync-keygen", (char *)"-k", path, NULL };
	struct ctl_proc p = { .argv = argv, .timeout_ms = KEY_TIMEOUT_MS };
	struct ctl_proc *pp = &p;
	unsigned char key[4096];
	size_t len = 0;
	FILE *f;

	if (!ctl_have_program("corosync-keygen") || !mkdtemp(dir))
		return remote_key(nd, "keygen", "generating the authkey");
	snprintf(path, sizeof(path), "%s/authkey", dir);
	ctl_proc_run(&pp, 1, NULL, NULL);
	if (p.status == 0 && (f = fopen(path, "re"))) {
		len = fread(key, 1, sizeof(key), f);
		fclose(f);
	}
	if (len > 0)
		b64 = cl_b64_encode(key, len);
	memset(key, 0, sizeof(key));
	ctl_proc_clear(&p);
	unlink(path);
	rmdir(dir);
	if (b64) {
		fprintf(stderr, "here: generating the authkey... ok (corosync-keygen)\n");
		return b64;
	}
	/* Not root here, say: the first node makes it. */
	return remote_key(nd, "keygen", "generating the authkey");
}

/* ---- migration TLS credentials (remote.sh tlsca, tlsget, tls) ---- */

static void
after_ca(struct cl_node *nd)
{
	char *cert = cl_job_value(&nd->job, "tls_ca_cert");
	char *key = cl_job_value(&nd->job, "tls_ca_key");

	free(nd->value);
	nd->value = NULL;
	if (cert && *cert && key && *key &&
	    asprintf(&nd->value, "%s %s", cert, key) < 0)
		nd->value = NULL;
	if (!nd->value) {
		nd->rc = 1;
		snprintf(nd->why, sizeof(nd->why), "no CA in the answer");
	}
	if (key)
		memset(key, 0, strlen(key));
	free(cert);
	free(key);
}

static int
remote_ca(struct cl_node *nd, const char *op, const char *what, struct cl_tls_ca *ca)
{
	char *sp;

	memset(ca, 0, sizeof(*ca));
	if (prepare_all(&nd, 1, op, NULL, KEY_TIMEOUT_MS) < 0)
		return -1;
	run_step(&nd, 1, what, after_ca);
	if (nd->rc || !nd->value || !(sp = strchr(nd->value, ' '))) {
		free(nd->value);
		nd->value = NULL;
		return -1;
	}
	*sp = '\0';
	ca->cert_b64 = strdup(nd->value);
	ca->key_b64 = strdup(sp + 1);
	memset(sp + 1, 0, strlen(sp + 1));
	free(nd->value);
	nd->value = NULL;
	if (!ca->cert_b64 || !ca->key_b64) {
		cl_tls_ca_clear(ca);
		return -1;
	}
	return 0;
}

int
cl_tls_ca_new(struct cl_node *nd, struct cl_tls_ca *ca)
{
	return remote_ca(nd, "tlsca", "making the cluster CA for migration TLS", ca);
}

int
cl_tls_ca_get(struct cl_node *nd, struct cl_tls_ca *ca)
{
	return remote_ca(nd, "tlsget", "reading the cluster CA", ca);
}

void
cl_tls_ca_clear(struct cl_tls_ca *ca)
{
	if (ca->key_b64)
		memset(ca->key_b64, 0, strlen(ca->key_b64));
	free(ca->key_b64);
	free(ca->cert_b64);
	ca->key_b64 = ca->cert_b64 = NULL;
}

static void
after_tls(struct cl_node *nd)
{
	char *v = cl_job_value(&nd->job, "tls");

	snprintf(nd->why, sizeof(nd->why), "%s", v && !strcmp(v, "kept") ?
		 "certificate kept" : "new key and certificate");
	free(v);
}

size_t
cl_tls_install(struct cl_node **nodes, size_t n, const struct cl_tls_ca *ca,
	       const char *old_cert_b64, bool rotate)
{
	const char *vars[] = {
		"TLS_CA_CERT_B64", ca->cert_b64,
		"TLS_CA_KEY_B64", ca->key_b64,
		"TLS_CA_OLD_B64", old_cert_b64 ? old_cert_b64 : "",
		"ROTATE", rotate ? "1" : "0",
		NULL
	};

	if (prepare_all(nodes, n, "tls", vars, KEY_TIMEOUT_MS * 2) < 0)
		return n;
	return run_step(nodes, n, "migration TLS credentials", after_tls);
}

/* ---- the witness LUN, checked from every node ---- */

size_t
cl_witness_check(struct cl_node **nodes, size_t n, const char *url)
{
	char *b64 = cl_b64_encode(url, strlen(url));
	const char *vars[] = { "WITNESS_B64", b64, NULL };
	int rc;

	if (!b64)
		return n;
	rc = prepare_all(nodes, n, "witness", vars, WITNESS_TIMEOUT_MS);
	free(b64);
	if (rc < 0)
		return n;
	return run_step(nodes, n, "checking the witness", NULL);
}

/* ---- nodes-update ---- */

int
cl_nodes_update(const struct cl_def *d, bool local_ok, struct cl_node *nd)
{
	json_object *args = json_object_new_object(), *nodes = cl_nodes_json(d);
	json_object *data = NULL;
	const char *text;
	char *b64;
	int rc;

	if (!args || !nodes) {
		json_object_put(args);
		json_object_put(nodes);
		return CTL_EXIT_FAILED;
	}
	json_object_object_add(args, "nodes", json_object_get(nodes));
	if (local_ok) {
		struct ctl_conn *c = ctl_connect(&rc);

		if (c) {
			rc = ctl_request(c, "nodes-update", args, &data);
			ctl_disconnect(c);
			json_object_put(data);
			json_object_put(args);
			json_object_put(nodes);
			fprintf(stderr, "here: updating the node list of the cluster "
				"state... %s\n", rc ? "FAILED" : "ok");
			return rc;
		}
	}
	text = json_object_to_json_string_ext(nodes, JSON_C_TO_STRING_PLAIN);
	b64 = cl_b64_encode(text, strlen(text));
	json_object_put(args);
	json_object_put(nodes);
	if (!b64)
		return CTL_EXIT_FAILED;
	{
		const char *vars[] = { "NODES_B64", b64, NULL };

		rc = prepare_all(&nd, 1, "nodes-update", vars, 60000);
	}
	free(b64);
	if (rc < 0)
		return CTL_EXIT_FAILED;
	run_step(&nd, 1, "updating the node list of the cluster state", NULL);
	return nd->rc ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

/* ---- small helpers ---- */

char *
cl_read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, cap = 0, r;
	char *buf = NULL;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 16384);

			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap += 16384;
		}
		r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
	} while (r > 0 && len < (1u << 20));
	buf[len] = '\0';
	fclose(f);
	return buf;
}

void
cl_local_name(char *buf, size_t len)
{
	struct utsname u;

	buf[0] = '\0';
	if (uname(&u) == 0) {
		snprintf(buf, len, "%s", u.nodename);
		buf[strcspn(buf, ".")] = '\0';
	}
}

void
cl_node_clear(struct cl_node *nd)
{
	cl_job_clear(&nd->job);
	free(nd->value);
	nd->value = NULL;
}
