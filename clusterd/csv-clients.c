/*
 * csv-clients.c - one supervised csv-client per cluster shared volume on
 * this node (contract in csv-clients.h).
 */
#include "csv-clients.h"
#include "jsonget.h"
#include "log.h"
#include "state-schema.h"
#include "fsutil.h"
#include "timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define TICK_MS		1000
#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000
#define STABLE_MS	60000
#define OPEN_PUBLISH_MS	5000

struct vol {
	char name[64];
	char role[64];
	char coord[96];			/* "ADDR:PORT" written, "" none */
	char owner[64];			/* the role's owner, "" none */
	bool configured;		/* in the configuration now */
	pid_t pid;			/* 0: none */
	unsigned long long start_time;	/* /proc/PID/stat field 22 */
	int pidfd;
	uint64_t started_ms, next_start_ms;
	uint32_t backoff_ms;
	unsigned int restarts;
	const char *state;		/* down, connected, reconnecting */
	const char *published;		/* what runtime.csv has, NULL: unknown */
	bool publishing;
	long open_files, open_published;
	uint64_t open_published_ms;
	char lun[256];			/* the LUN's URL when direct I/O is on, else "" */
	char io[160];			/* the client's status file: direct / redirected: ... */
	char io_published[160];
};

static struct {
	struct cd_daemon *d;
	bool started;
	qb_loop_timer_handle timer;
	struct vol v[CSV_CLIENTS_MAX];
	size_t n;
	char run_root[PATH_MAX];
	char mount_root[PATH_MAX];
} cs;

static void tick(void *data);

static const char *
local_name(struct cd_daemon *d)
{
	const struct cd_node *n = cd_membership_node(&d->mship, d->mship.local_id);

	return n ? n->name : "";
}

static void
vol_path(const struct vol *v, const char *file, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/%s", cs.run_root, v->name, file);
}

static struct vol *
vol_get(const char *name, bool create)
{
	for (size_t i = 0; i < cs.n; i++)
		if (!strcmp(cs.v[i].name, name))
			return &cs.v[i];
	if (!create || cs.n == CSV_CLIENTS_MAX)
		return NULL;
	memset(&cs.v[cs.n], 0, sizeof(cs.v[0]));
	snprintf(cs.v[cs.n].name, sizeof(cs.v[0].name), "%s", name);
	cs.v[cs.n].pidfd = -1;
	cs.v[cs.n].state = "down";
	cs.v[cs.n].open_published = -1;
	cs.v[cs.n].backoff_ms = BACKOFF_MIN_MS;
	return &cs.v[cs.n++];
}

/* Field 22 of /proc/PID/stat (start time), 0 if the process is gone or a zombie. */
static unsigned long long
proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command may hold spaces */
	if (p && (p[2] == 'Z' || p[2] == 'X'))
		return 0;	/* exited, not reaped yet: gone */
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static bool
is_client(pid_t pid, const char *name)
{
	char cmd[512];

	if (cd_proc_cmdline((long)pid, cmd, sizeof(cmd), 1) < 0)
		return false;
	return strstr(cmd, "csv-client") && strstr(cmd, name);
}

static int32_t
on_exit_fd(int32_t fd, int32_t revents, void *data)
{
	struct vol *v = data;

	(void)fd;
	(void)revents;
	if (v->pidfd >= 0) {
		qb_loop_poll_del(cs.d->loop, v->pidfd);
		close(v->pidfd);
		v->pidfd = -1;
	}
	tick(NULL);	/* notices the exit at once */
	return 0;
}

static void
watch(struct vol *v)
{
	int fd = (int)syscall(SYS_pidfd_open, v->pid, 0);

	if (fd < 0)
		return;		/* the timer polls the pid instead */
	if (qb_loop_poll_add(cs.d->loop, QB_LOOP_MED, fd, POLLIN, v, on_exit_fd) < 0) {
		close(fd);
		return;
	}
	v->pidfd = fd;
}

static void
unwatch(struct vol *v)
{
	if (v->pidfd >= 0) {
		qb_loop_poll_del(cs.d->loop, v->pidfd);
		close(v->pidfd);
	}
	v->pidfd = -1;
}

/* Adopt the client recorded in client.pid if it still runs. */
static void
adopt(struct vol *v)
{
	char path[PATH_MAX + 80];
	long pid = 0;
	unsigned long long st = 0;
	FILE *f;

	vol_path(v, "client.pid", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%ld %llu", &pid, &st) != 2)
		pid = 0;
	fclose(f);
	if (pid <= 1 || !st || proc_start_time((pid_t)pid) != st || !is_client((pid_t)pid, v->name))
		return;
	v->pid = (pid_t)pid;
	v->start_time = st;
	v->started_ms = cd_now_mono_ms();
	watch(v);
	cd_notice("csv: volume %s: adopted the running client (pid %ld)", v->name, pid);
}

/* Double fork: the client is a session leader that is not our child. */
static int
spawn(struct vol *v)
{
	char bin[PATH_MAX], dir[PATH_MAX + 80], logp[PATH_MAX + 80], cfile[PATH_MAX + 80];
	char mnt[PATH_MAX + 80], pidp[PATH_MAX + 80], tmp[PATH_MAX + 90], node[64];
	char o_vol[] = "--volume", o_node[] = "--node", o_cf[] = "--coordinator-file";
	char o_to[] = "--timeout", to[] = "300";
	char o_st[] = "--status-file", o_lun[] = "--lun", o_id[] = "--node-id";
	char iop[PATH_MAX + 80], lun[256], nid[16];
	char *argv[24];	/* 16 arguments and the NULL with --lun */
	int logfd, nullfd, pfd[2], status, a = 0;
	sigset_t none;
	pid_t child, gp = 0;
	FILE *f;

	snprintf(node, sizeof(node), "%s", local_name(cs.d));
	if (!node[0])
		return -EAGAIN;
	cd_sibling_binary("csv-client", bin, sizeof(bin));
	snprintf(dir, sizeof(dir), "%s/%s", cs.run_root, v->name);
	mkdir(cs.run_root, 0755);
	mkdir(dir, 0700);
	mkdir(cs.mount_root, 0755);
	snprintf(mnt, sizeof(mnt), "%s/%s", cs.mount_root, v->name);
	umount2(mnt, MNT_DETACH);	/* a dead FUSE mount of a crashed client */
	mkdir(mnt, 0755);
	vol_path(v, "client.log", logp, sizeof(logp));
	vol_path(v, "coordinator", cfile, sizeof(cfile));
	vol_path(v, "client.pid", pidp, sizeof(pidp));
	vol_path(v, "io", iop, sizeof(iop));
	unlink(iop);
	snprintf(lun, sizeof(lun), "%s", v->lun);
	snprintf(nid, sizeof(nid), "%u", cs.d->mship.local_id);
	argv[a++] = bin;
	argv[a++] = o_vol;
	argv[a++] = v->name;
	argv[a++] = o_node;
	argv[a++] = node;
	argv[a++] = o_cf;
	argv[a++] = cfile;
	argv[a++] = o_to;
	argv[a++] = to;
	argv[a++] = o_st;
	argv[a++] = iop;
	if (lun[0]) {
		argv[a++] = o_lun;
		argv[a++] = lun;
		argv[a++] = o_id;
		argv[a++] = nid;
	}
	argv[a++] = mnt;
	argv[a] = NULL;
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || nullfd < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		int e = errno;

		if (logfd >= 0)
			close(logfd);
		if (nullfd >= 0)
			close(nullfd);
		return -e;
	}
	sigemptyset(&none);
	child = fork();
	if (child == 0) {
		/* async-signal-safe calls only until execv */
		pid_t g;

		setsid();
		g = fork();
		if (g != 0) {
			(void)!write(pfd[1], &g, sizeof(g));
			_exit(0);
		}
		for (int s = 1; s < 32; s++)
			signal(s, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(nullfd, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		execv(bin, argv);
		_exit(127);
	}
	close(pfd[1]);
	close(logfd);
	close(nullfd);
	if (child < 0) {
		close(pfd[0]);
		return -errno;
	}
	if (read(pfd[0], &gp, sizeof(gp)) != sizeof(gp))
		gp = 0;
	close(pfd[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (gp <= 0)
		return -ECHILD;
	v->pid = gp;
	v->start_time = proc_start_time(gp);
	v->started_ms = cd_now_mono_ms();
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidp);
	f = fopen(tmp, "w");
	if (f) {
		fprintf(f, "%ld %llu\n", (long)gp, v->start_time);
		if (fclose(f) == 0)
			rename(tmp, pidp);
	}
	watch(v);
	cd_notice("csv: volume %s: client started (pid %ld) at %s", v->name, (long)gp, mnt);
	return 0;
}

/* Is the recorded client still the same process? */
static bool
alive(const struct vol *v)
{
	return v->pid > 0 && proc_start_time(v->pid) == v->start_time;
}

static void
write_coordinator(struct vol *v, const char *coord)
{
	char path[PATH_MAX + 80], tmp[PATH_MAX + 90], dir[PATH_MAX + 80];
	FILE *f;

	if (!strcmp(v->coord, coord))
		return;
	snprintf(dir, sizeof(dir), "%s/%s", cs.run_root, v->name);
	mkdir(cs.run_root, 0755);
	mkdir(dir, 0700);
	vol_path(v, "coordinator", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", coord) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		cd_err("csv: volume %s: cannot write %s: %s", v->name, path, strerror(errno));
		return;
	}
	snprintf(v->coord, sizeof(v->coord), "%s", coord);
	cd_info("csv: volume %s: coordinator %s", v->name, coord[0] ? coord : "(none)");
}

/* The volumes of the configuration into cs.v; coordinator files updated. */
static void
reconcile(struct cd_daemon *d)
{
	const struct cd_state *st = cd_replica_state(d);
	json_object *rscs = cd_sp_get(st, CD_SP_RESOURCES);
	char coord[96];

	for (size_t i = 0; i < cs.n; i++)
		cs.v[i].configured = false;
	if (!rscs)
		return;
	json_object_object_foreach(rscs, id, r) {
		json_object *params = NULL, *rt, *addr;
		const char *role, *owner;
		struct vol *v;

		if (strcmp(cd_jstr(r, "agent", ""), CSV_CLIENTS_AGENT))
			continue;
		v = vol_get(id, true);
		if (!v) {
			cd_warn("csv: more than %d volumes: %s not mounted", CSV_CLIENTS_MAX, id);
			continue;
		}
		v->configured = true;
		role = cd_jstr(r, "role", "");
		snprintf(v->role, sizeof(v->role), "%s", role);
		rt = cd_sp_get(st, CD_SP_RT_ROLE, role);
		owner = cd_jstr(rt, "owner", "");
		snprintf(v->owner, sizeof(v->owner), "%s", owner);
		coord[0] = '\0';
		json_object_object_get_ex(r, "params", &params);
		v->lun[0] = '\0';
		if (!strcmp(cd_jstr(params, "direct", "false"), "true")) {
			/* direct I/O (issue 15): the clients get the LUN of the volume's disk */
			char disk[128];
			json_object *dr, *dp = NULL;

			snprintf(disk, sizeof(disk), "%s", cd_jstr(params, "disk", ""));
			if (!disk[0])
				snprintf(disk, sizeof(disk), "%s-lun", id);
			dr = cd_sp_get(st, CD_SP_RESOURCE, disk);
			if (dr)
				json_object_object_get_ex(dr, "params", &dp);
			snprintf(v->lun, sizeof(v->lun), "%s", cd_jstr(dp, "lun", ""));
		}
		if (owner[0]) {
			addr = cd_sp_get(st, CD_SP_NODE_ADDR, owner);
			if (addr)
				snprintf(coord, sizeof(coord), "%s:%s", json_object_get_string(addr),
					 cd_jstr(params, "port", "7401"));
		}
		write_coordinator(v, coord);
	}
}

/* Established TCP connections of pid to addr:port (IPv4). */
static bool
connected_to(pid_t pid, const char *coord)
{
	char path[PATH_MAX], link[64], line[512], ip[64];
	unsigned long inodes[64];
	size_t n_in = 0;
	struct in_addr a;
	unsigned int port;
	bool found = false;
	struct dirent *e;
	DIR *dir;
	FILE *f;

	if (sscanf(coord, "%63[^:]:%u", ip, &port) != 2 || inet_pton(AF_INET, ip, &a) != 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((e = readdir(dir)) && n_in < 64) {
		char fdp[PATH_MAX + 300];
		ssize_t n;

		snprintf(fdp, sizeof(fdp), "%s/%s", path, e->d_name);
		n = readlink(fdp, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strncmp(link, "socket:[", 8))
			inodes[n_in++] = strtoul(link + 8, NULL, 10);
	}
	closedir(dir);
	snprintf(path, sizeof(path), "/proc/%ld/net/tcp", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int raddr, rport, st;
		unsigned long ino;

		if (sscanf(line, " %*d: %*x:%*x %x:%x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
			   &raddr, &rport, &st, &ino) != 4)
			continue;
		if (st != 1 || raddr != a.s_addr || rport != port)
			continue;
		for (size_t i = 0; i < n_in; i++)
			found |= inodes[i] == ino;
	}
	fclose(f);
	return found;
}

/* Files csv-coord holds open beneath its mount (this node coordinates). */
static long
coord_open_files(const struct vol *v)
{
	char path[PATH_MAX + 80], mnt[PATH_MAX + 80], link[PATH_MAX];
	long pid = 0, n = 0;
	size_t ml;
	struct dirent *e;
	DIR *dir;
	FILE *f;

	vol_path(v, "ready", path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	vol_path(v, "mnt/", mnt, sizeof(mnt));
	ml = strlen(mnt);
	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = pid > 1 ? opendir(path) : NULL;
	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		char fdp[PATH_MAX + 400];
		ssize_t k;

		snprintf(fdp, sizeof(fdp), "%s/%s", path, e->d_name);
		k = readlink(fdp, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		if (!strncmp(link, mnt, ml) && link[ml])
			n++;
	}
	closedir(dir);
	return n;
}

static void
publish_done(void *ctx, int err, const char *msg)
{
	struct vol *v = ctx;

	(void)msg;
	if (v >= cs.v && v < cs.v + CSV_CLIENTS_MAX) {
		v->publishing = false;
		if (err)
			v->published = NULL;	/* try again on the next tick */
		if (err)
			v->io_published[0] = '\0';
	}
}

static void
submit(struct vol *v, json_object *ops)
{
	v->publishing = true;
	if (cd_replica_submit(cs.d, ops, publish_done, v) < 0) {
		v->publishing = false;
		v->published = NULL;
	}
	json_object_put(ops);
}

static void
publish(struct vol *v)
{
	const struct cd_state *st = cd_replica_state(cs.d);
	const char *me = local_name(cs.d);
	json_object *ops, *rt;
	uint64_t now = cd_now_mono_ms();

	if (v->publishing || !me[0] || !cd_replica_client_changes(cs.d))
		return;
	ops = json_object_new_array();
	if (!v->configured) {
		/* the leader alone: a second delete would be refused */
		if (cd_membership_leader(&cs.d->mship) != cs.d->mship.local_id ||
		    !cd_sp_get(st, CD_SP_CSV_VOL, v->name)) {
			json_object_put(ops);
			return;
		}
		cd_sp_op(ops, "delete", NULL, CD_SP_CSV_VOL, v->name);
		submit(v, ops);
		return;
	}
	rt = cd_sp_get(st, CD_SP_CSV_CLIENT, v->name, me);
	if (!rt || strcmp(json_object_get_string(rt), v->state)) {
		cd_sp_op(ops, "set", json_object_new_string(v->state), CD_SP_CSV_CLIENT, v->name, me);
		v->published = v->state;
	}
	if (v->io[0] && strcmp(v->io, v->io_published)) {
		cd_sp_op(ops, "set", json_object_new_string(v->io), CD_SP_CSV_IO, v->name, me);
		snprintf(v->io_published, sizeof(v->io_published), "%s", v->io);
	}
	if (v->open_files >= 0 && v->open_files != v->open_published &&
	    now - v->open_published_ms >= OPEN_PUBLISH_MS) {
		cd_sp_op(ops, "set", json_object_new_int64(v->open_files), CD_SP_CSV_OPEN_FILES,
			 v->name);
		v->open_published = v->open_files;
		v->open_published_ms = now;
	}
	if (json_object_array_length(ops))
		submit(v, ops);
	else
		json_object_put(ops);
}

/* Forget entry i (a removed volume whose client is gone and state cleaned). */
static void
drop(size_t i)
{
	/* entries i.. move: a pending publish_done must not reach the wrong one */
	for (size_t k = i; k < cs.n; k++)
		if (cs.v[k].publishing)
			return;	/* the next tick drops it */
	unwatch(&cs.v[i]);
	for (size_t k = i; k + 1 < cs.n; k++) {
		cs.v[k] = cs.v[k + 1];
		if (cs.v[k].pidfd >= 0) {
			qb_loop_poll_del(cs.d->loop, cs.v[k].pidfd);
			qb_loop_poll_add(cs.d->loop, QB_LOOP_MED, cs.v[k].pidfd, POLLIN,
					 &cs.v[k], on_exit_fd);
		}
	}
	cs.n--;
}

/* The client's data path (its --status-file), "" while unknown. */
static void
read_io(struct vol *v)
{
	char path[PATH_MAX + 80];
	FILE *f;

	vol_path(v, "io", path, sizeof(path));
	f = v->pid ? fopen(path, "r") : NULL;
	if (!f) {
		v->io[0] = '\0';
		return;
	}
	if (!fgets(v->io, sizeof(v->io), f))
		v->io[0] = '\0';
	fclose(f);
	v->io[strcspn(v->io, "\n")] = '\0';
}

static void
supervise(struct vol *v, uint64_t now)
{
	const char *me = local_name(cs.d);
	json_object *o;

	if (v->pid && !alive(v)) {
		unwatch(v);
		cd_warn("csv: volume %s: client (pid %ld) exited%s", v->name, (long)v->pid,
			v->configured ? "" : " (volume removed)");
		if (now - v->started_ms >= STABLE_MS)
			v->backoff_ms = BACKOFF_MIN_MS;
		v->next_start_ms = now + v->backoff_ms;
		if (v->configured)
			cd_notice("csv: volume %s: restarting the client in %u ms (restart %u)",
				  v->name, v->backoff_ms, v->restarts + 1);
		v->backoff_ms = v->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
				v->backoff_ms * 2;
		v->pid = 0;
		v->restarts++;
		if (!v->configured) {
			char mnt[PATH_MAX + 80];

			snprintf(mnt, sizeof(mnt), "%s/%s", cs.mount_root, v->name);
			umount2(mnt, MNT_DETACH);
			rmdir(mnt);
		}
	}
	if (!v->configured) {
		if (v->pid)
			kill(v->pid, SIGTERM);
		return;
	}
	if (!v->pid && now >= v->next_start_ms && cd_replica_ready(cs.d)) {
		int rc = spawn(v);

		if (rc < 0) {
			cd_err("csv: volume %s: cannot start the client: %s", v->name, strerror(-rc));
			v->next_start_ms = now + v->backoff_ms;
		}
	}
	v->state = !v->pid ? "down" : connected_to(v->pid, v->coord) ? "connected" : "reconnecting";
	read_io(v);
	o = cd_sp_get(cd_replica_state(cs.d), CD_SP_RT_ROLE, v->role);
	v->open_files = me[0] && !strcmp(cd_jstr(o, "owner", ""), me) ? coord_open_files(v) : -1;
}

static void
tick(void *data)
{
	uint64_t now = cd_now_mono_ms();

	(void)data;
	if (!cs.started)
		return;
	for (size_t i = 0; i < cs.n; i++)
		supervise(&cs.v[i], now);
	for (size_t i = 0; i < cs.n; i++)
		publish(&cs.v[i]);
	for (size_t i = cs.n; i-- > 0;) {
		if (!cs.v[i].configured && !cs.v[i].pid &&
		    !cd_sp_get(cd_replica_state(cs.d), CD_SP_CSV_VOL, cs.v[i].name))
			drop(i);
	}
	if (data) {	/* the timer, not an exit event */
		qb_loop_timer_add(cs.d->loop, QB_LOOP_LOW, TICK_MS * 1000000ull, &cs, tick,
				  &cs.timer);
	}
}

static void
state_changed(struct cd_daemon *d)
{
	if (!cs.started || d != cs.d)
		return;
	reconcile(d);
	for (size_t i = 0; i < cs.n; i++)
		if (cs.v[i].configured && !cs.v[i].pid && !cs.v[i].restarts)
			adopt(&cs.v[i]);
	tick(NULL);
}

static json_object *
status(struct cd_daemon *d)
{
	json_object *o, *vols;

	if (!cs.started || d != cs.d)
		return NULL;
	o = json_object_new_object();
	vols = json_object_new_object();
	for (size_t i = 0; i < cs.n; i++) {
		const struct vol *v = &cs.v[i];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "client", json_object_new_string(v->state));
		json_object_object_add(e, "pid", json_object_new_int64(v->pid));
		json_object_object_add(e, "restarts", json_object_new_int64(v->restarts));
		json_object_object_add(e, "coordinator", json_object_new_string(v->coord));
		json_object_object_add(e, "coordinator_node", json_object_new_string(v->owner));
		json_object_object_add(e, "configured", json_object_new_boolean(v->configured));
		if (v->open_files >= 0)
			json_object_object_add(e, "open_files", json_object_new_int64(v->open_files));
		json_object_object_add(vols, v->name, e);
	}
	json_object_object_add(o, "volumes", vols);
	return o;
}

const struct cd_hooks cd_csv_hooks = {
	.name = "csv",
	.state_changed = state_changed,
	.status = status,
};

int
cd_csv_clients_start(struct cd_daemon *d)
{
	const char *run = getenv("CD_CSV_RUN_ROOT"), *mnt = getenv("CD_CSV_MOUNT_ROOT");

	memset(&cs, 0, sizeof(cs));
	cs.d = d;
	snprintf(cs.run_root, sizeof(cs.run_root), "%s", run && *run ? run : CSV_CLIENTS_RUN);
	snprintf(cs.mount_root, sizeof(cs.mount_root), "%s",
		 mnt && *mnt ? mnt : CSV_CLIENTS_MOUNT_ROOT);
	cs.started = true;
	if (qb_loop_timer_add(d->loop, QB_LOOP_LOW, TICK_MS * 1000000ull, &cs, tick,
			      &cs.timer) < 0) {
		cs.started = false;
		return -ENOMEM;
	}
	return 0;
}

void
cd_csv_clients_stop(struct cd_daemon *d)
{
	if (!cs.started || d != cs.d)
		return;
	qb_loop_timer_del(d->loop, cs.timer);
	for (size_t i = 0; i < cs.n; i++)
		unwatch(&cs.v[i]);
	if (cs.n)
		cd_notice("csv: stopping; %zu volume client(s) keep running", cs.n);
	cs.started = false;
}
