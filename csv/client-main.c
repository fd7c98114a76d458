/*
 * client-main.c - csv-client, the CSV client of one volume on this node
 * (see client.h):
 *
 *   csv-client --volume NAME --node NODE (--coordinator ADDR:PORT ... |
 *              --coordinator-file FILE) [--authkey FILE] [--timeout S]
 *              [--lun URL --node-id N] [--status-file FILE]
 *              [--single-threaded] MOUNTPOINT
 *
 * Runs in the foreground (its supervisor restarts it) until unmounted or
 * signalled.
 */
#define FUSE_USE_VERSION 35
#include "client.h"
#include "client-direct.h"
#include "client-fuse.h"
#include "csv-conn.h"

#include <errno.h>
#include <fuse.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
"usage: csv-client --volume NAME --node NODE (--coordinator ADDR:PORT ... |\n"
"                  --coordinator-file FILE) [--authkey FILE] [--timeout S]\n"
"                  [--lun URL --node-id N] [--status-file FILE]\n"
"                  [--single-threaded] MOUNTPOINT\n"
"FUSE client of a cluster shared volume: mounts MOUNTPOINT (normally\n"
"/clusterstorage/NAME) and forwards every operation to the volume's\n"
"coordinator, reconnecting and retrying when the coordinator moves. A request\n"
"that gets no reply for S seconds (default 300) fails with EIO. The TLS key is\n"
"derived from FILE (default " CSV_DEFAULT_AUTHKEY ").\n"
"With --lun (the volume's iSCSI LUN) and --node-id (this node's id, for its\n"
"reservation key), files opened O_DIRECT are read and overwritten straight on\n"
"the LUN where the coordinator's extent map and lease allow (direct I/O);\n"
"everything else, and everything after a failure of that path, goes through\n"
"the coordinator (redirected). --status-file gets \"direct\" or\n"
"\"redirected: REASON\" whenever that changes.\n";

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "volume", required_argument, NULL, 'v' },
		{ "node", required_argument, NULL, 'n' },
		{ "coordinator", required_argument, NULL, 'c' },
		{ "coordinator-file", required_argument, NULL, 'C' },
		{ "authkey", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "single-threaded", no_argument, NULL, 's' },
		{ "lun", required_argument, NULL, 'L' },
		{ "node-id", required_argument, NULL, 'N' },
		{ "status-file", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cl_opts o = { .authkey = CSV_DEFAULT_AUTHKEY, .timeout_s = 300 };
	char fsname[CSV_NAME_MAX + 16];
	char *fargv[8];
	int c, rc, fargc = 0;
	bool single = false;

	/*
	 * The copies of written data kept until an fsync (client-ops.c
	 * remember(): up to 64 MiB a handle, all freed at each fsync) come
	 * from the heap and stay mapped across fsyncs. With glibc's defaults
	 * the heap was trimmed after each fsync and the next copies faulted
	 * their pages in again: 40% of the client's CPU in a 1 MiB sequential
	 * direct write (perf record, bench/csv). No effect under ASan.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);

	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'v': o.volume = optarg; break;
		case 'n': o.node = optarg; break;
		case 'c':
			if (o.ncoords == CL_MAX_COORDS) {
				fprintf(stderr, "csv-client: at most %d coordinators\n",
					CL_MAX_COORDS);
				return 2;
			}
			o.coords[o.ncoords++] = optarg;
			break;
		case 'C': o.coord_file = optarg; break;
		case 'k': o.authkey = optarg; break;
		case 't': o.timeout_s = atoi(optarg); break;
		case 's': single = true; break;
		case 'L': o.lun = optarg; break;
		case 'N': o.node_id = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S': o.status_file = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!o.volume || !o.node || (!o.ncoords && !o.coord_file) || o.timeout_s <= 0 ||
	    optind != argc - 1 || strlen(o.node) > CSV_NAME_MAX) {
		fputs(usage, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = cl_conn_init(&o);
	if (rc < 0) {
		fprintf(stderr, "csv-client %s: key from %s: %s\n", o.volume, o.authkey,
			strerror(-rc));
		return 1;
	}
	if (cl_direct_init(&o) < 0)
		return 2;
	snprintf(fsname, sizeof(fsname), "-ofsname=csv:%s", o.volume);
	fargv[fargc++] = argv[0];
	fargv[fargc++] = argv[optind];
	fargv[fargc++] = "-f";
	if (single)
		fargv[fargc++] = "-s";
	fargv[fargc++] = "-oallow_other,default_permissions,subtype=csv";
	fargv[fargc++] = fsname;
	fargv[fargc] = NULL;
	fprintf(stderr, "csv-client %s: mounting %s\n", o.volume, argv[optind]);
	rc = cl_fuse_run(fargc, fargv, &cl_ops);
	cl_direct_shutdown();
	return rc;
}
