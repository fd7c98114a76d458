/*
 * coord-main.c - csv-coord, the coordinator of one cluster shared volume
 * (see coord.h):
 *
 *   csv-coord --name volume1 --device PATH --listen ADDR:PORT
 *             [--fs ext4|xfs] [--mount DIR] [--authkey FILE] [--ready FILE]
 *             [--fenced-file FILE] [--grace-ms MS] [--lease-ms MS]
 *             [--retry-keep-ms MS]
 *
 * It mounts the device in a mount namespace of its own (nobody else on the
 * node sees the mount; it goes when the process goes), then serves until
 * SIGTERM/SIGINT, then unmounts cleanly. --ready is written once it serves.
 */
#include "coord.h"
#include "csv-reqrec.h"
#include "error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile int stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char usage[] =
"usage: csv-coord --name NAME --device PATH --listen ADDR:PORT [--fs ext4|xfs]\n"
"                 [--mount DIR] [--authkey FILE] [--ready FILE]\n"
"                 [--fenced-file FILE] [--grace-ms MS] [--lease-ms MS]\n"
"                 [--retry-keep-ms MS]\n"
"Coordinator of a cluster shared volume: mounts PATH (a block device: the\n"
"open-iscsi/multipath device, or the device of the role's disk agent) in a\n"
"private mount namespace and serves the CSV protocol on ADDR:PORT (TLS with\n"
"a key derived from FILE, default " CSV_DEFAULT_AUTHKEY ").\n"
"Locks survive a coordinator change: a new coordinator gives the clients of\n"
"the previous one up to MS ms (default 15000) to reclaim their locks, and\n"
"releases the locks of a node once it is listed in the fenced file (one\n"
"node name per line, kept by clusterd).\n"
"Direct I/O (issue 15): clients that ask get a regular file's extent map\n"
"under a lease of --lease-ms ms (default 10000) and read and overwrite\n"
"its blocks on the LUN themselves; blocks move or are freed only once the\n"
"file's leases were returned or expired. Offered when PATH is a whole block\n"
"device (its offsets are the LUN's).\n"
"Namespace operations leave a record on the volume so that a client's retry\n"
"on the next coordinator gets the first attempt's answer; records are kept\n"
"--retry-keep-ms ms (default 1200000; longer than the clients' --timeout).\n"
"Exit status 3: the volume failed (EIO/EROFS: fenced, path or holder lost);\n"
"the request that met it got no reply, so clients retry elsewhere.\n";

struct opts {
	const char *name, *device, *listen, *fs, *mount, *authkey, *ready, *fenced;
	long grace_ms, lease_ms, keep_ms;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "device", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "fs", required_argument, NULL, 'f' },
		{ "mount", required_argument, NULL, 'm' },
		{ "authkey", required_argument, NULL, 'k' },
		{ "ready", required_argument, NULL, 'r' },
		{ "fenced-file", required_argument, NULL, 'F' },
		{ "grace-ms", required_argument, NULL, 'g' },
		{ "lease-ms", required_argument, NULL, 'L' },
		{ "retry-keep-ms", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .fs = "ext4", .authkey = CSV_DEFAULT_AUTHKEY,
			    .grace_ms = CSV_GRACE_DEFAULT_MS, .lease_ms = CSV_DL_DURATION_MS,
			    .keep_ms = CSV_RQ_KEEP_DEFAULT_MS };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o->name = optarg; break;
		case 'd': o->device = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'f': o->fs = optarg; break;
		case 'm': o->mount = optarg; break;
		case 'k': o->authkey = optarg; break;
		case 'r': o->ready = optarg; break;
		case 'F': o->fenced = optarg; break;
		case 'g': o->grace_ms = atol(optarg); break;
		case 'L': o->lease_ms = atol(optarg); break;
		case 'K': o->keep_ms = atol(optarg); break;
		case 'h': fputs(usage, stdout); exit(0);
		default: return -EINVAL;
		}
	}
	if (!o->name || !o->device || !o->listen || optind != argc || o->grace_ms < 0 ||
	    o->lease_ms <= 2 * CSV_DL_MARGIN_MS || o->lease_ms > 600000 || o->keep_ms <= 0 ||
	    (strcmp(o->fs, "ext4") != 0 && strcmp(o->fs, "xfs") != 0))
		return -EINVAL;
	return 0;
}

/* Listen on ADDR:PORT (IPv4 or [IPv6]). */
enum { LISTEN_RETRIES = 50 };	/* 100 ms apart */

static int
listen_on(const char *spec)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1, port;
	size_t n;

	if (!colon || (n = (size_t)(colon - spec)) >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	port = atoi(colon + 1);
	if (port <= 0 || port > 65535)
		return -EINVAL;
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		sl = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Mount device on dir in a mount namespace of our own. */
static int
private_mount(const struct opts *o, const char *dir)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* the kernel replays the journal of a volume whose coordinator died */
	if (mount(o->device, dir, o->fs, MS_NOATIME | MS_NODEV | MS_NOSUID, NULL) < 0)
		return -errno;
	return 0;
}

static int
write_ready(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

int
main(int argc, char **argv)
{
	struct coord co = { .mntfd = -1, .listenfd = -1 };
	char dir[512], ready[128];
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o;
	int rc;

	if (parse(argc, argv, &o) < 0) {
		fputs(usage, stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	co.name = o.name;
	co.resfd = -1;
	co.fenced_file = o.fenced;
	co.grace_ms = (uint64_t)o.grace_ms;
	pthread_mutex_init(&co.lock, NULL);
	pthread_cond_init(&co.cache_cond, NULL);
	if (getrandom(&co.epoch, sizeof(co.epoch), 0) != sizeof(co.epoch) || !co.epoch)
		co.epoch = (uint64_t)getpid() << 32 | (uint64_t)time(NULL);
	/* handles of another coordinator (a client retrying after a failover)
	 * must not name one of ours: ours start from our epoch */
	co.fh_gen = co.epoch << 32;
	rc = csv_key_load(o.authkey, co.key);
	if (rc < 0) {
		fprintf(stderr, "csv-coord %s: key from %s: %s\n", o.name, o.authkey,
			strerror(-rc));
		return 1;
	}
	co.listenfd = listen_on(o.listen);
	/* The port can be held for a moment by a socket that is not a
	 * listener (a client's connection to itself while nothing listened,
	 * see the client's self_connected()); such holds end within
	 * milliseconds, another coordinator's listener does not. */
	for (int i = 0; co.listenfd == -EADDRINUSE && i < LISTEN_RETRIES; i++) {
		if (i == 0)
			fprintf(stderr, "csv-coord %s: %s is in use; retrying for %d s\n",
				o.name, o.listen, LISTEN_RETRIES / 10);
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
		co.listenfd = listen_on(o.listen);
	}
	if (co.listenfd < 0) {
		fprintf(stderr, "csv-coord %s: listen on %s: %s\n", o.name, o.listen,
			strerror(-co.listenfd));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", o.mount ? o.mount : "/run/clusterd/csv-mnt");
	rc = private_mount(&o, dir);
	if (rc < 0) {
		fprintf(stderr, "csv-coord %s: mount %s (%s) on %s: %s\n", o.name, o.device,
			o.fs, dir, strerror(-rc));
		return 1;
	}
	co.mntfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (co.mntfd < 0) {
		fprintf(stderr, "csv-coord %s: open %s: %s\n", o.name, dir, strerror(errno));
		umount2(dir, MNT_DETACH);
		return 1;
	}
	rc = coord_grace_init(&co);
	if (rc < 0) {
		fprintf(stderr, "csv-coord %s: %s on the volume: %s\n", o.name, COORD_RESERVED,
			strerror(-rc));
		return rc == -EIO || rc == -EROFS ? COORD_EXIT_LOST : 1;
	}
	rc = coord_req_init(&co, (uint64_t)o.keep_ms);
	if (rc < 0) {
		fprintf(stderr, "csv-coord %s: %s/%s on the volume: %s\n", o.name, COORD_RESERVED,
			CSV_RQ_DIR, strerror(-rc));
		return rc == -EIO || rc == -EROFS ? COORD_EXIT_LOST : 1;
	}
	co.lease_ms = (uint64_t)o.lease_ms;
	coord_lease_init(&co, o.device);
	fprintf(stderr, "csv-coord %s: %s mounted, serving on %s (epoch %016llx)\n",
		o.name, o.device, o.listen, (unsigned long long)co.epoch);
	snprintf(ready, sizeof(ready), "%d\n", getpid());
	if (o.ready && (rc = write_ready(o.ready, ready)) < 0)
		fprintf(stderr, "csv-coord %s: %s: %s\n", o.name, o.ready, strerror(-rc));
	rc = coord_serve(&co, &stop);
	if (rc < 0)
		fprintf(stderr, "csv-coord %s: accept: %s\n", o.name, strerror(-rc));
	close(co.listenfd);
	/* in-flight requests end with the process; what they wrote is journaled */
	syncfs(co.mntfd);
	if (umount2(dir, MNT_DETACH) < 0)
		fprintf(stderr, "csv-coord %s: umount: %s\n", o.name, strerror(errno));
	fprintf(stderr, "csv-coord %s: stopped\n", o.name);
	/*
	 * No coord_clear() and no return from main: the reader and worker
	 * threads still answer until the process ends, and a request answered
	 * after the handles were closed got EBADF for a handle its client holds
	 * (an application's fsync failed across `clusterctl csv move`). The
	 * connections end with the process, unanswered, and the clients resend
	 * to the next coordinator; the handles close and the detached mount
	 * goes with the process.
	 */
	_exit(rc < 0 ? 1 : 0);
}
