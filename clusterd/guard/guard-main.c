/*
 * guard-main.c - clusterd-guard: options, start-up, daemonizing. The
 * supervisor itself is guard.c; its decisions are guard-fsm.c.
 */
#include "daemonize.h"
#include "guard.h"
#include "cgroup.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: clusterd-guard [OPTIONS]\n"
"The self-fencing supervisor of a clusterd node. The local clusterd renews\n"
"a lease over a unix socket while its partition may run roles; when the\n"
"lease lapses (clusterd dead, hung or cut off), the guard kills every\n"
"process of the roles cgroup and stops feeding the watchdog, if any.\n"
"\n"
"  -f, --foreground       stay in the foreground and log to stderr\n"
"  -d, --debug            log debug messages too\n"
"      --socket PATH      where clusterd connects (default " GUARD_SOCKET_PATH ")\n"
"      --status FILE      status document (default: guard.status next to\n"
"                         the socket)\n"
"      --cgroup DIR       the roles cgroup root; DIR/roles is killed on a\n"
"                         lapse (default: /sys/fs/cgroup/clusterd on a\n"
"                         cgroup2 host, else the cgroup2 mount's /clusterd)\n"
"      --watchdog DEV|none  watchdog device fed while the lease holds\n"
"                         (default " GUARD_WATCHDOG_DEV " if it exists, else none)\n"
"      --grace MS         lease given at start when the roles cgroup already\n"
"                         holds processes (default %d)\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"Signals: SIGTERM/SIGINT stop it; the watchdog is disarmed only when idle.\n",
		GUARD_GRACE_MS);
}

static int
parse_ms(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > 24ull * 3600 * 1000)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct guard_opts *o, bool *fg, bool *debug,
	   char *cgbuf, size_t cglen)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 'S' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "watchdog", required_argument, NULL, 'w' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *wd = NULL;
	int c, rc;

	o->socket_path = GUARD_SOCKET_PATH;
	o->grace_ms = GUARD_GRACE_MS;
	while ((c = getopt_long(argc, argv, "fdhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': *fg = true; break;
		case 'd': *debug = true; break;
		case 's': o->socket_path = optarg; break;
		case 'S': o->status_path = optarg; break;
		case 'c': o->cgroup_root = optarg; break;
		case 'w': wd = optarg; break;
		case 'g':
			if (parse_ms(optarg, &o->grace_ms) < 0) {
				fprintf(stderr, "clusterd-guard: bad --grace '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("clusterd-guard %s\n", CLUSTERD_VERSION); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clusterd-guard: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->socket_path[0] != '/') {
		fprintf(stderr, "clusterd-guard: --socket wants an absolute path\n");
		return -EINVAL;
	}
	if (!wd)
		o->watchdog = access(GUARD_WATCHDOG_DEV, F_OK) == 0 ? GUARD_WATCHDOG_DEV : NULL;
	else
		o->watchdog = strcmp(wd, "none") == 0 ? NULL : wd;
	if (!o->cgroup_root) {
		rc = cd_cgroup_default_root(cgbuf, cglen);
		if (rc < 0) {
			fprintf(stderr, "clusterd-guard: no cgroup2 mount on this host (%s); "
				"give --cgroup\n", strerror(-rc));
			return rc;
		}
		o->cgroup_root = cgbuf;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct guard_opts o = { 0 };
	char cgroot[PATH_MAX];
	bool fg = false, debug = false;
	int rc;

	if (parse_args(argc, argv, &o, &fg, &debug, cgroot, sizeof(cgroot)) < 0)
		return 2;
	if (!fg && cd_daemonize() < 0) {
		fprintf(stderr, "clusterd-guard: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	cd_log_init("clusterd-guard", fg, debug);
	rc = guard_run(&o);
	cd_log_fini();
	return rc < 0 ? 1 : 0;
}
