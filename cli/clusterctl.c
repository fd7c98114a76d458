/*
 * clusterctl.c - the administrator's command line for clusterd.
 */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

struct ctl_command {
	const char *name;
	int (*fn)(struct ctl_globals *g, int argc, char **argv);
	const char *summary;
};

static const struct ctl_command commands[] = {
	{ "status", cmd_status, "show nodes, quorum and leader as this node sees them" },
	{ "wait", cmd_wait, "wait until members/quorum/leader reach a state" },
	{ "events", cmd_events, "print cluster events as they happen" },
	{ "config", cmd_config, "show or change the replicated cluster configuration" },
	{ "audit", cmd_audit, "show who changed what: the last requests that change the cluster" },
	{ "vm", cmd_vm, "add, list, show, start, stop or remove virtual machines" },
	{ "move", cmd_move, "move a VM or role to a node (live, quick or restart)" },
	{ "create", cmd_create, "create a cluster on nodes over ssh" },
	{ "destroy", cmd_destroy, "stop the cluster and remove its configuration" },
	{ "node", cmd_node, "list, pause, resume or fence nodes; add or remove one" },
	{ "role", cmd_role, "add, list, show, start, stop, move or remove roles" },
	{ "resource", cmd_resource, "add, list, show or remove resources of roles" },
	{ "storage", cmd_storage, "the shared LUNs the cluster fences on" },
	{ "quorum", cmd_quorum, "show or set the quorum mode and the disk witness" },
	{ "disk", cmd_disk, "add or list clustered disks (LUNs guarded by reservations)" },
	{ "csv", cmd_csv, "add, list, show, move or remove cluster shared volumes" },
	{ "tls", cmd_tls, "rotate the credentials of encrypted live migration" },
	{ "validate", cmd_validate, "test nodes, networks and storage before trusting them" },
	/* hidden (no summary): used by clusterctl itself over ssh */
	{ "internal-nodes-update", cmd_internal_nodes_update, NULL },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
"Usage: clusterctl [--json] COMMAND [ARGS...]\n"
"Administer a clusterd failover cluster from any of its nodes.\n"
"\n"
"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].summary)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	}
	fprintf(f,
"\n"
"Options:\n"
"  --json       machine-readable output\n"
"  -h, --help   this help; 'clusterctl COMMAND --help' for a command\n"
"  -V, --version\n"
"\n"
"Exit codes: 0 ok; 1 failed; 2 usage error; 3 clusterd not running;\n"
"4 permission denied (need root or group haclient); 5 timed out;\n"
"6 unreadable answer from clusterd.\n");
}

int
main(int argc, char **argv)
{
	struct ctl_globals g = { .prog = "clusterctl" };
	int i;
	size_t k;

	/* Global options come before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			g.json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return CTL_EXIT_OK;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("clusterctl %s\n", CLUSTERD_VERSION);
			return CTL_EXIT_OK;
		} else {
			fprintf(stderr, "clusterctl: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "clusterctl: no command given\n");
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(&g, argc - i, argv + i);
	}
	fprintf(stderr, "clusterctl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
