/*
 * main.c - clusterd: start-up, the main loop, signals, shutdown. The one
 * place that knows every part: it registers the subsystems' hooks
 * (hooks.h), starts the core and the subsystems, and stops them in the
 * order written in stop_all().
 */
#include "audit.h"
#include "daemonize.h"
#include "daemon.h"
#include "exec.h"
#include "guard-client.h"
#include "heartbeat.h"
#include "quorum.h"
#include "csv-clients.h"
#include "csv-fence.h"
#include "rm.h"
#include "drain-sys.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct options {
	bool foreground;
	bool debug;
	const char *runtime_dir;
	const char *state_dir;
	const char *config_path;
	const char *guard_socket;
	const char *cgroup_root;	/* NULL: the default */
};

static struct cd_daemon daemon_obj;

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: clusterd [OPTIONS]\n"
"The clusterd cluster daemon: membership, quorum and resources for a\n"
"failover cluster of QEMU/KVM hosts, on top of corosync.\n"
"\n"
"  -f, --foreground       stay in the foreground and log to stderr\n"
"                         (default: daemonize and log to syslog)\n"
"  -d, --debug            log debug messages too\n"
"      --runtime-dir DIR  pidfile and sockets (default " CD_RUNTIME_DIR ")\n"
"      --state-dir DIR    persistent state (default " CD_STATE_DIR ")\n"
"      --config FILE      cluster identity written by 'clusterctl create'\n"
"                         (default " CD_CONFIG_PATH ")\n"
"      --guard-socket PATH  clusterd-guard's socket, or none (default\n"
"                         " CD_GUARD_SOCKET ")\n"
"      --cgroup DIR       roles cgroup root: resource R's agents run in\n"
"                         DIR/roles/R; none: uncontained (default\n"
"                         /sys/fs/cgroup/clusterd on a cgroup2 host, else\n"
"                         the cgroup2 mount's /clusterd)\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"Environment:\n"
"  OCF_ROOT               the resource agents' tree (default /usr/lib/ocf)\n"
"  " CD_AUDIT_SOCKET_ENV "\n"
"                         syslog socket of the audit trail (tag " CD_AUDIT_TAG ",\n"
"                         default " CD_AUDIT_SOCKET "); where it is missing, audit lines\n"
"                         go to clusterd's own log. clusterd's own syslog\n"
"                         (without -f) stays /dev/log\n"
"\n"
"Signals: SIGTERM/SIGINT leave the cluster cleanly and exit.\n");
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "guard-socket", required_argument, NULL, 'G' },
		{ "cgroup", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	o->runtime_dir = CD_RUNTIME_DIR;
	o->state_dir = CD_STATE_DIR;
	o->config_path = CD_CONFIG_PATH;
	o->guard_socket = CD_GUARD_SOCKET;
	while ((c = getopt_long(argc, argv, "fdhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->foreground = true; break;
		case 'd': o->debug = true; break;
		case 'r': o->runtime_dir = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'c': o->config_path = optarg; break;
		case 'G': o->guard_socket = optarg; break;
		case 'C': o->cgroup_root = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("clusterd %s\n", CLUSTERD_VERSION); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "clusterd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/*
 * Take the pidfile lock: one clusterd per node. The lock dies with the
 * process, so a crashed clusterd never blocks its successor.
 */
static int
lock_pidfile(const char *dir, int *fd_out)
{
	char path[512], buf[32];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd, len;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "clusterd: cannot create %s: %s\n", dir,
			strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/clusterd.pid", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "clusterd: cannot open %s: %s\n", path,
			strerror(errno));
		return -errno;
	}
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		int err = errno;

		len = (int)read(fd, buf, sizeof(buf) - 1);
		buf[len > 0 ? len : 0] = '\0';
		fprintf(stderr, "clusterd: already running (pid %s) per %s\n",
			len > 0 ? strtok(buf, "\n") : "?", path);
		close(fd);
		return -err;
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)len) != len) {
		fprintf(stderr, "clusterd: cannot write %s\n", path);
		close(fd);
		return -EIO;
	}
	*fd_out = fd;
	return 0;
}

static void
stop_daemon(struct cd_daemon *d)
{
	qb_loop_stop(d->loop);
}

/* After the drain on stop: the planned stop keeps what is left running
 * through a restart (rm-restart.c), then the loop ends. */
static void
planned_stop(struct cd_daemon *d)
{
	cd_rm_planned_stop(d, stop_daemon);
}

static int32_t
on_stop_signal(int32_t sig, void *data)
{
	struct cd_daemon *d = data;

	if (d->stopping) {
		cd_notice("received signal %d again: stopping now", (int)sig);
		qb_loop_stop(d->loop);
		return 0;
	}
	d->stopping = true;
	cd_notice("received signal %d, leaving the cluster", (int)sig);
	/* a clean stop drains the node's VMs first (drain-sys.h), then the
	 * planned stop: what is left keeps running through a restart */
	cd_drain_planned_stop(d, planned_stop);
	return 0;
}

static void
on_crash(int sig)
{
	/* Best effort: the blackbox is what a post-mortem needs. */
	cd_log_blackbox_dump(daemon_obj.state_dir ? daemon_obj.state_dir : "/tmp");
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
stop_loop(void *data)
{
	qb_loop_stop(data);
}

/* One more turn of the loop, for queued jobs; bounded by a 100 ms timer. */
static void
flush_loop(qb_loop_t *loop)
{
	qb_loop_timer_handle t;

	if (qb_loop_timer_add(loop, QB_LOOP_LOW, 100 * QB_TIME_NS_IN_MSEC, loop,
			      stop_loop, &t) == 0)
		qb_loop_run(loop);
}

/* Self-fencing as this node has it: the guard's lease and containment. */
static json_object *
guard_status(struct cd_daemon *d)
{
	json_object *g = json_object_new_object();
	const char *root = cd_exec_cgroup_root();

	if (!g)
		return NULL;
	json_object_object_add(g, "socket", d->guard ?
			       json_object_new_string(cd_guard_path(d->guard)) : NULL);
	json_object_object_add(g, "connected",
			       json_object_new_boolean(cd_guard_connected(d->guard)));
	json_object_object_add(g, "lease", json_object_new_string(cd_guard_state(d->guard)));
	json_object_object_add(g, "cgroup", root ? json_object_new_string(root) : NULL);
	json_object_object_add(g, "contained", json_object_new_boolean(root != NULL));
	json_object_object_add(g, "containment_problem",
			       json_object_new_string(cd_exec_cgroup_problem()));
	return g;
}

/*
 * heartbeat.c's lease renewals (d->on_lease_renewed) go to clusterd-guard.
 * The last one is re-sent when a connection comes up, so a guard that
 * (re)started hears the lease still running at once, not a renewal later.
 */
static uint64_t lease_until_ms;

/*
 * The guard's deadline only moves forward in one clusterd process: a
 * planned stop extends it for the restart grace (rm-restart.c), and the
 * heartbeats that still renew the normal lease until clusterd is gone must
 * not bring it back (they did: the guard then killed the roles of a
 * restart slower than the lease).
 */
static void
lease_to_guard(struct cd_daemon *d, uint64_t deadline_ms)
{
	int rc;

	if (deadline_ms <= lease_until_ms)
		return;
	lease_until_ms = deadline_ms;
	rc = cd_guard_renew(d->guard, deadline_ms);
	if (rc < 0 && rc != -ENOTCONN)
		cd_warn("guard %s: renewal until %" PRIu64 " not sent: %s",
			cd_guard_path(d->guard), deadline_ms, strerror(-rc));
}

static void
guard_connected(void *data)
{
	struct cd_daemon *d = data;

	if (lease_until_ms > cd_now_mono_ms())
		(void)cd_guard_renew(d->guard, lease_until_ms);
}

static const struct cd_hooks guard_hooks = {
	.name = "guard",
	.status = guard_status,
};

/*
 * The parts that see membership, state and lease changes, in the order
 * their hooks run and their status sections appear: the replicated state
 * first (a half view claims before the resource manager acts on it).
 */
static const struct cd_hooks *const parts[] = {
	&cd_replica_hooks, &cd_quorum_hooks, &cd_rm_hooks, &cd_drain_hooks, &cd_hb_hooks,
	&guard_hooks, &cd_csv_hooks, &cd_csv_fence_hooks,
};

static int
register_parts(struct cd_daemon *d)
{
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int rc = cd_hooks_add(d, parts[i]);

		if (rc < 0) {
			cd_err("cannot register %s: %s", parts[i]->name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int
start(struct cd_daemon *d)
{
	int rc;

	rc = cd_replica_start(d);
	if (rc < 0)
		return rc;
	rc = cd_ipc_start(d);
	if (rc < 0)
		return rc;
	rc = cd_rm_start(d);
	if (rc < 0) {
		cd_err("cannot start the resource manager: %s", strerror(-rc));
		return rc;
	}
	rc = cd_hb_start(d);
	if (rc < 0)
		return rc;
	rc = cd_csv_clients_start(d);
	if (rc < 0)
		return rc;
	rc = cd_cs_start(d);
	if (rc < 0)
		return rc;
	rc = cd_quorum_start(d);
	if (rc < 0)
		cd_err("cannot start the witness: %s", strerror(-rc));
	return rc;
}

/*
 * The shutdown order, in one place. Each stop is safe when its start did
 * not run. Hooks may still run after a subsystem stopped (cs.c reports the
 * disconnect last): they then do nothing (hooks.h).
 */
static void
stop_all(struct cd_daemon *d)
{
	/* The quorum device first: its vote goes at once. */
	cd_quorum_stop(d);
	/* Their callbacks reach the resource manager and IPC: before those go. */
	cd_replica_cancel_pending(d);
	cd_ipc_stop(d);
	/*
	 * Run what the loop still has queued (libqb's own IPC jobs for the
	 * connections just closed), so nothing is left behind in it.
	 */
	if (d->loop)
		flush_loop(d->loop);
	cd_csv_clients_stop(d);	/* the clients keep running (csv-clients.h) */
	cd_rm_stop(d);
	cd_hb_stop(d);
	cd_replica_stop(d);
	cd_cs_stop(d);
	d->on_lease_renewed = NULL;
	cd_guard_close(d->guard);
	d->guard = NULL;
	if (d->loop)
		qb_loop_destroy(d->loop);
	d->loop = NULL;
}

int
main(int argc, char **argv)
{
	struct cd_daemon *d = &daemon_obj;
	struct options o = { 0 };
	int pidfd = -1, ret = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (!o.foreground && cd_daemonize() < 0) {
		fprintf(stderr, "clusterd: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	if (lock_pidfile(o.runtime_dir, &pidfd) < 0)
		return 1;
	if (mkdir(o.state_dir, 0750) < 0 && errno != EEXIST)
		fprintf(stderr, "clusterd: warning: cannot create %s: %s\n",
			o.state_dir, strerror(errno));

	cd_log_init("clusterd", o.foreground, o.debug);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGABRT, on_crash);
	signal(SIGPIPE, SIG_IGN);

	cd_exec_cgroup_init(o.cgroup_root);
	cd_membership_init(&d->mship);
	d->runtime_dir = o.runtime_dir;
	d->state_dir = o.state_dir;
	d->config_path = o.config_path;
	d->loop = qb_loop_create();
	if (!d->loop) {
		cd_err("cannot create the main loop");
		goto out;
	}
	qb_loop_signal_add(d->loop, QB_LOOP_HIGH, SIGTERM, d, on_stop_signal, NULL);
	qb_loop_signal_add(d->loop, QB_LOOP_HIGH, SIGINT, d, on_stop_signal, NULL);
	if (strcmp(o.guard_socket, "none") != 0) {
		d->guard = cd_guard_open(d->loop, o.guard_socket);
		if (!d->guard)
			cd_err("guard %s: %s: no self-fencing", o.guard_socket, strerror(errno));
		else
			cd_guard_on_connect(d->guard, guard_connected, d);
		if (d->guard)
			d->on_lease_renewed = lease_to_guard;
	} else {
		cd_warn("guard: none (--guard-socket none): no self-fencing supervisor");
	}

	if (register_parts(d) < 0 || start(d) < 0)
		goto out;

	cd_notice("clusterd %s started (pid %d)", CLUSTERD_VERSION, (int)getpid());
	qb_loop_run(d->loop);
	ret = 0;
	cd_notice("clusterd stopping");

out:
	stop_all(d);
	if (pidfd >= 0) {
		char path[512];

		snprintf(path, sizeof(path), "%s/clusterd.pid", o.runtime_dir);
		unlink(path);
		close(pidfd);
	}
	cd_log_fini();
	return ret;
}
