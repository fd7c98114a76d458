/*
 * cmd-tls.c - clusterctl tls rotate: new migration TLS credentials for
 * every node of this node's cluster (issue 16; agents/vm/qemu-tls.c).
 */
#include "ctl.h"
#include "cluster.h"

#include <stdio.h>
#include <string.h>

static const char tls_help[] =
"Usage: clusterctl tls rotate\n"
"Live migration runs over TLS (cluster property migration-tls, default\n"
"true): QEMU on the target accepts only the source node's certificate, the\n"
"source sends only to the target node's. 'clusterctl create' makes a cluster\n"
"CA (GnuTLS certtool) and every node its own key and certificate signed by\n"
"it; 'node add' gives a new node the CA and makes its certificate.\n"
"'rotate' makes a new CA and, on every node of this node's cluster (over\n"
"ssh, as create), a new key and certificate signed by it; nodes trust the\n"
"new and the previous CA until the next rotation, so a node not reached yet\n"
"still migrates. Every migration loads the credentials afresh: running VMs\n"
"need no restart. Files: /etc/clusterd/tls (root:clusterd-qemu, what QEMU\n"
"reads), /etc/clusterd/tls-ca (the CA, root only).\n";

static int
tls_rotate(void)
{
	struct cl_tls_ca ca = { 0 }, old = { 0 };
	struct cl_nodeset *s;
	struct cl_node *src = NULL;
	struct cl_def cur;
	size_t bad, failed;
	int rc;

	rc = cl_read_local_cluster("tls rotate", &cur);
	if (rc)
		return rc;
	s = cl_nodeset_new();
	if (!s)
		return CTL_EXIT_FAILED;
	for (size_t i = 0; i < cur.n; i++)
		cl_nodeset_add(s, cur.nodes[i].name);
	ctl_ssh_mux_begin();
	fprintf(stderr, "Rotating the migration TLS credentials of cluster %s (%zu "
		"nodes): checking them first\n", cur.name, cur.n);
	bad = cl_probe(s->p, s->n);
	rc = CTL_EXIT_FAILED;
	if (bad) {
		fprintf(stderr, "clusterctl tls rotate: %zu of %zu nodes not reachable or "
			"not fit (see above); nothing was changed\n", bad, s->n);
		goto out;
	}
	for (size_t i = 0; i < s->n && !src; i++) {
		if (s->nd[i].has_tls_ca)
			src = &s->nd[i];
	}
	if (src && cl_tls_ca_get(src, &old))
		goto out;
	if (cl_tls_ca_new(s->p[0], &ca))
		goto out;
	failed = cl_tls_install(s->p, s->n, &ca, old.cert_b64, true);
	if (failed) {
		fprintf(stderr, "clusterctl tls rotate: %zu node%s failed (see above); "
			"run it again\n", failed, failed == 1 ? "" : "s");
		goto out;
	}
	fprintf(stderr, "Migration TLS credentials rotated on all %zu nodes%s\n", s->n,
		old.cert_b64 ? " (the previous CA stays trusted until the next rotation)" : "");
	rc = CTL_EXIT_OK;
out:
	ctl_ssh_mux_end();
	cl_tls_ca_clear(&ca);
	cl_tls_ca_clear(&old);
	cl_nodeset_free(s);
	return rc;
}

int
cmd_tls(struct ctl_globals *g, int argc, char **argv)
{
	(void)g;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(tls_help, stdout);
		return CTL_EXIT_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "rotate"))
		return tls_rotate();
	if (argc == 3 && !strcmp(argv[1], "rotate") &&
	    (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		fputs(tls_help, stdout);
		return CTL_EXIT_OK;
	}
	fputs(tls_help, stderr);
	return CTL_EXIT_USAGE;
}
