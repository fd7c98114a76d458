/*
 * guard.c - clusterd-guard's loop: one poll() over the listening socket,
 * the clients, the roles cgroup's cgroup.events and a signalfd; the lease
 * decisions come from guard-fsm.c, this file does the I/O they ask for
 * (kill the roles cgroup, feed or starve the watchdog, publish status).
 * Nothing here depends on clusterd: it must work when clusterd does not.
 */
#include "guard.h"
#include "guard-fsm.h"
#include "cgroup.h"
#include "log.h"
#include "timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/watchdog.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define GUARD_CLIENTS_MAX	8
#define GUARD_KILL_WAIT_MS	5000	/* bound on waiting for populated 0 */
#define GUARD_REKILL_MS		100	/* retry while lapsed and still populated */
#define GUARD_STATUS_EVERY_MS	1000	/* deadline-only updates of the file */
#define GUARD_FEED_DEFAULT_MS	1000

struct guard {
	const struct guard_opts *o;
	struct guard_fsm fsm;
	char roles[PATH_MAX];		/* ROOT/roles: what a lapse kills */
	char status_path[PATH_MAX];
	int listen_fd, sig_fd, events_fd, wd_fd;
	int clients[GUARD_CLIENTS_MAX];
	pid_t client_pid[GUARD_CLIENTS_MAX];
	uint32_t feed_ms;		/* watchdog feeding interval */
	uint64_t fed_ms;
	bool populated;
	bool starving;			/* logged once per lapse */
	int last_kill_pids;
	uint64_t last_kill_ms;		/* how long the last kill took */
	uint64_t status_ms;		/* last write of the status file */
	bool status_dirty;
};

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- status ---- */

static int
status_json(const struct guard *g, char *buf, size_t len)
{
	const struct guard_fsm *f = &g->fsm;

	return snprintf(buf, len,
		"{\"state\":\"%s\",\"deadline_ms\":%" PRIu64 ",\"now_ms\":%" PRIu64
		",\"renewals\":%" PRIu64 ",\"lapses\":%" PRIu64
		",\"last_lapse_ms\":%" PRIu64 ",\"last_lapse_reason\":\"%s\""
		",\"last_kill_pids\":%d,\"last_kill_ms\":%" PRIu64
		",\"clients\":%u,\"cgroup\":\"%s\",\"watchdog\":\"%s\",\"pid\":%d}\n",
		guard_state_name(f->state), f->deadline_ms, cd_now_mono_ms(),
		f->renewals, f->lapses, f->lapsed_ms, guard_why_text(f->why),
		g->last_kill_pids, g->last_kill_ms, f->clients, g->roles,
		g->wd_fd >= 0 ? g->o->watchdog : "none", (int)getpid());
}

static void
status_write(struct guard *g)
{
	char tmp[PATH_MAX + 8], buf[1024];
	int fd, n;

	n = status_json(g, buf, sizeof(buf));
	snprintf(tmp, sizeof(tmp), "%s.tmp", g->status_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || rename(tmp, g->status_path) < 0)
		cd_warn("guard: cannot write %s: %s", g->status_path, strerror(errno));
	if (fd >= 0)
		close(fd);
	g->status_ms = cd_now_mono_ms();
	g->status_dirty = false;
}

/* ---- the watchdog ---- */

static void
watchdog_open(struct guard *g)
{
	int secs = 0;

	g->feed_ms = GUARD_FEED_DEFAULT_MS;
	if (!g->o->watchdog)
		return;
	g->wd_fd = open(g->o->watchdog, O_WRONLY | O_CLOEXEC);
	if (g->wd_fd < 0) {
		cd_err("guard: cannot open watchdog %s: %s; running without it",
		       g->o->watchdog, strerror(errno));
		return;
	}
	if (ioctl(g->wd_fd, WDIOC_GETTIMEOUT, &secs) == 0 && secs > 0 &&
	    (uint32_t)secs * 1000 / 3 < g->feed_ms)
		g->feed_ms = (uint32_t)secs * 1000 / 3;
	cd_notice("guard: watchdog %s open (timeout %d s), fed every %" PRIu32 " ms while the lease holds",
		  g->o->watchdog, secs, g->feed_ms);
}

static void
watchdog_feed(struct guard *g, uint64_t now)
{
	if (g->wd_fd < 0)
		return;
	if (!guard_fsm_feed(&g->fsm)) {
		if (!g->starving)
			cd_err("guard: lease lapsed: no longer feeding watchdog %s; the host will reset",
			       g->o->watchdog);
		g->starving = true;
		return;
	}
	g->starving = false;
	if (now - g->fed_ms < g->feed_ms)
		return;
	if (ioctl(g->wd_fd, WDIOC_KEEPALIVE, 0) < 0 && write(g->wd_fd, "\0", 1) != 1)
		cd_warn("guard: cannot feed watchdog %s: %s", g->o->watchdog, strerror(errno));
	g->fed_ms = now;
}

static void
watchdog_close(struct guard *g)
{
	if (g->wd_fd < 0)
		return;
	if (guard_fsm_may_disarm(&g->fsm)) {
		if (write(g->wd_fd, "V", 1) != 1)
			cd_warn("guard: magic close of %s failed: %s", g->o->watchdog,
				strerror(errno));
		else
			cd_notice("guard: watchdog %s disarmed (idle, clean stop)", g->o->watchdog);
	} else {
		cd_warn("guard: stopping while %s: watchdog %s left armed",
			guard_state_name(g->fsm.state), g->o->watchdog);
	}
	close_fd(&g->wd_fd);
}

/* ---- the roles cgroup ---- */

/* "r1:2 r2:1" for the log: what each resource had running. */
static void
describe_roles(const char *roles, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t used = 0;
	DIR *d = opendir(roles);
	int n;

	buf[0] = '\0';
	if (!d)
		return;
	while ((de = readdir(d)) && used + 1 < len) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", roles, de->d_name);
		n = cd_cgroup_count(path);
		if (n <= 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s:%d", used ? " " : "",
			     de->d_name, n);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	closedir(d);
}

static void
kill_roles(struct guard *g, uint64_t now)
{
	char what[512];
	struct timespec ms1 = { 0, 1000000 };
	uint64_t t0, t1;
	int n, rc, pop = 1;

	n = cd_cgroup_count(g->roles);
	describe_roles(g->roles, what, sizeof(what));
	t0 = cd_now_mono_ns();
	rc = cd_cgroup_kill(g->roles);
	if (rc < 0) {
		cd_err("guard: lease lapsed (%s) but killing cgroup %s failed: %s",
		       guard_why_text(g->fsm.why), g->roles, strerror(-rc));
		return;
	}
	while ((pop = cd_cgroup_populated(g->roles)) == 1 &&
	       cd_now_mono_ns() - t0 < GUARD_KILL_WAIT_MS * 1000000ull)
		nanosleep(&ms1, NULL);
	t1 = cd_now_mono_ns();
	g->populated = pop == 1;
	g->last_kill_pids = n;
	g->last_kill_ms = (t1 - t0) / 1000000ull;
	g->status_dirty = true;
	if (n <= 0 && !g->populated) {
		cd_notice("guard: lease %s (%s, deadline %" PRIu64 ", now %" PRIu64
			  "): roles cgroup %s is empty, nothing to kill",
			  guard_state_name(g->fsm.state), guard_why_text(g->fsm.why),
			  g->fsm.deadline_ms, now, g->roles);
		return;
	}
	cd_err("guard: lease lapsed (%s, %" PRIu64 " ms past deadline %" PRIu64
	       "): killed %d process(es) of %s [%s] in %.3f ms%s",
	       guard_why_text(g->fsm.why),
	       now > g->fsm.deadline_ms ? now - g->fsm.deadline_ms : 0,
	       g->fsm.deadline_ms, n, g->roles, what, (double)(t1 - t0) / 1e6,
	       g->populated ? "; STILL POPULATED, retrying" : "; cgroup empty");
}

static void
apply(struct guard *g, unsigned int todo, uint64_t now)
{
	if (todo & GUARD_DO_KILL)
		kill_roles(g, now);
	if (todo & GUARD_DO_STATUS) {
		g->status_dirty = true;
		status_write(g);
	}
	watchdog_feed(g, now);
}

/*
 * cgroup.events changed (POLLPRI) or a retry is due. Reading the watched fd
 * itself acknowledges the change: poll() reports kernfs events until then.
 */
static void
on_events(struct guard *g)
{
	uint64_t now = cd_now_mono_ms();
	char buf[256];
	const char *p;
	ssize_t n;
	int pop;

	n = pread(g->events_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	if (!p)
		return;
	pop = p[10] == '1';
	if ((pop == 1) != g->populated)
		cd_debug("guard: %s %s", g->roles, pop ? "populated" : "empty");
	g->populated = pop == 1;
	apply(g, guard_fsm_populated(&g->fsm, now, g->populated), now);
}

static int
cgroup_setup(struct guard *g)
{
	char path[PATH_MAX + 16];
	int rc, n;

	n = snprintf(g->roles, sizeof(g->roles), "%s/%s", g->o->cgroup_root,
		     CD_CGROUP_ROLES);
	if (n < 0 || (size_t)n >= sizeof(g->roles))
		return -ENAMETOOLONG;
	rc = cd_cgroup_mkdir(g->roles);
	if (rc < 0) {
		cd_err("guard: cannot create the roles cgroup %s: %s", g->roles,
		       rc == -ENOTSUP ? "not on cgroup2" : strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/cgroup.events", g->roles);
	g->events_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (g->events_fd < 0) {
		rc = -errno;
		cd_err("guard: cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/cgroup.kill", g->roles);
	if (access(path, W_OK) < 0)
		cd_err("guard: %s: %s (a kernel before 5.14?): a lapse cannot kill",
		       path, strerror(errno));
	rc = cd_cgroup_populated(g->roles);
	g->populated = rc == 1;
	return 0;
}

/* ---- the socket ---- */

static int
socket_setup(struct guard *g)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = g->o->socket_path;
	char dir[PATH_MAX], *slash;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			cd_warn("guard: cannot create %s: %s", dir, strerror(errno));
	}
	/* A guard that answers owns the socket: never take it over. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		cd_err("guard: another guard listens on %s", path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 8) < 0) {
		rc = -errno;
		cd_err("guard: cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	g->listen_fd = fd;
	return 0;
}

static void
client_drop(struct guard *g, int i, const char *why)
{
	cd_notice("guard: clusterd pid %d disconnected (%s); the lease (%s, deadline %" PRIu64
		  ") keeps running", (int)g->client_pid[i], why,
		  guard_state_name(g->fsm.state), g->fsm.deadline_ms);
	close_fd(&g->clients[i]);
	apply(g, guard_fsm_disconnect(&g->fsm), cd_now_mono_ms());
}

static void
on_accept(struct guard *g)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd, i;

	fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		cd_warn("guard: refused a client of uid %d", clen ? (int)cred.uid : -1);
		close(fd);
		return;
	}
	for (i = 0; i < GUARD_CLIENTS_MAX && g->clients[i] >= 0; i++)
		;
	if (i == GUARD_CLIENTS_MAX) {
		cd_warn("guard: too many clients; refused pid %d", (int)cred.pid);
		close(fd);
		return;
	}
	g->clients[i] = fd;
	g->client_pid[i] = cred.pid;
	cd_notice("guard: clusterd pid %d connected (lease %s)", (int)cred.pid,
		  guard_state_name(g->fsm.state));
	apply(g, guard_fsm_connect(&g->fsm), cd_now_mono_ms());
}

static void
on_client(struct guard *g, int i)
{
	char req[128], reply[1024];
	uint64_t now, deadline;
	enum guard_state before;
	ssize_t n;
	int len;

	n = recv(g->clients[i], req, sizeof(req) - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(g, i, n == 0 ? "closed" : strerror(errno));
		return;
	}
	req[n] = '\0';
	req[strcspn(req, "\r\n")] = '\0';
	now = cd_now_mono_ms();
	if (sscanf(req, "renew %" SCNu64, &deadline) == 1) {
		before = g->fsm.state;
		apply(g, guard_fsm_renew(&g->fsm, now, deadline), now);
		if (before != g->fsm.state && g->fsm.state == GUARD_ARMED)
			cd_notice("guard: lease armed by clusterd pid %d until %" PRIu64
				  " (%" PRIu64 " ms from now)", (int)g->client_pid[i],
				  deadline, deadline - now);
		else if (g->fsm.state == GUARD_ARMED)
			cd_debug("guard: renewed until %" PRIu64, deadline);
		len = snprintf(reply, sizeof(reply), "ok %s %" PRIu64,
			       guard_state_name(g->fsm.state), deadline);
	} else if (strcmp(req, "status") == 0) {
		len = status_json(g, reply, sizeof(reply));
	} else {
		len = snprintf(reply, sizeof(reply), "error unknown request");
	}
	if (send(g->clients[i], reply, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN)
		client_drop(g, i, strerror(errno));
	else if (g->status_dirty || now - g->status_ms >= GUARD_STATUS_EVERY_MS)
		status_write(g);
}

/* ---- the loop ---- */

static int
signals_setup(struct guard *g)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	g->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return g->sig_fd < 0 ? -errno : 0;
}

/* How long poll() may sleep: the lease, the watchdog, a pending retry. */
static int
next_timeout(const struct guard *g, uint64_t now)
{
	int64_t t = guard_fsm_timeout(&g->fsm, now), w;

	if (g->wd_fd >= 0 && guard_fsm_feed(&g->fsm)) {
		w = (int64_t)(g->fed_ms + g->feed_ms) - (int64_t)now;
		if (w < 0)
			w = 0;
		if (t < 0 || w < t)
			t = w;
	}
	if (g->fsm.state == GUARD_LAPSED && g->populated && (t < 0 || t > GUARD_REKILL_MS))
		t = GUARD_REKILL_MS;
	if (g->status_dirty && (t < 0 || t > GUARD_STATUS_EVERY_MS))
		t = GUARD_STATUS_EVERY_MS;
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

static void
loop(struct guard *g)
{
	struct pollfd pfd[3 + GUARD_CLIENTS_MAX];
	struct signalfd_siginfo si;
	uint64_t now;
	int i, n;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = g->sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = g->listen_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = g->events_fd, .events = POLLPRI };
		for (i = 0; i < GUARD_CLIENTS_MAX; i++)
			pfd[3 + i] = (struct pollfd){ .fd = g->clients[i], .events = POLLIN };
		n = poll(pfd, 3 + GUARD_CLIENTS_MAX, next_timeout(g, cd_now_mono_ms()));
		if (n < 0 && errno != EINTR) {
			cd_err("guard: poll: %s", strerror(errno));
			return;
		}
		/* The lease first: a lapse is acted on before anything else. */
		now = cd_now_mono_ms();
		apply(g, guard_fsm_tick(&g->fsm, now), now);
		if (n <= 0)
			goto idle;
		if (pfd[0].revents && read(g->sig_fd, &si, sizeof(si)) == sizeof(si)) {
			cd_notice("guard: signal %u: stopping (lease %s)", si.ssi_signo,
				  guard_state_name(g->fsm.state));
			return;
		}
		if (pfd[2].revents)
			on_events(g);
		for (i = 0; i < GUARD_CLIENTS_MAX; i++) {
			if (g->clients[i] >= 0 && pfd[3 + i].revents)
				on_client(g, i);
		}
		if (pfd[1].revents)
			on_accept(g);
idle:
		if (g->fsm.state == GUARD_LAPSED && g->populated)
			on_events(g);
		if (g->status_dirty && cd_now_mono_ms() - g->status_ms >= GUARD_STATUS_EVERY_MS)
			status_write(g);
	}
}

int
guard_run(const struct guard_opts *o)
{
	struct guard g = { .o = o, .listen_fd = -1, .sig_fd = -1, .events_fd = -1,
			   .wd_fd = -1 };
	uint64_t now;
	char *slash;
	int i, rc;

	for (i = 0; i < GUARD_CLIENTS_MAX; i++)
		g.clients[i] = -1;
	guard_fsm_init(&g.fsm);
	if (o->status_path) {
		snprintf(g.status_path, sizeof(g.status_path), "%s", o->status_path);
	} else {
		snprintf(g.status_path, sizeof(g.status_path), "%s", o->socket_path);
		slash = strrchr(g.status_path, '/');
		snprintf(slash ? slash + 1 : g.status_path,
			 sizeof(g.status_path) - (size_t)(slash ? slash + 1 - g.status_path : 0),
			 "guard.status");
	}
	rc = signals_setup(&g);
	if (rc == 0)
		rc = cgroup_setup(&g);
	if (rc == 0)
		rc = socket_setup(&g);
	if (rc < 0)
		goto out;
	watchdog_open(&g);
	now = cd_now_mono_ms();
	apply(&g, guard_fsm_start(&g.fsm, now, g.populated, o->grace_ms), now);
	if (g.fsm.state == GUARD_ARMED)
		cd_notice("guard: %s holds %d process(es) at start: armed with a %" PRIu64
			  " ms grace for clusterd to renew", g.roles,
			  cd_cgroup_count(g.roles), o->grace_ms);
	cd_notice("guard: started (pid %d): socket %s, roles cgroup %s, watchdog %s, lease %s",
		  (int)getpid(), o->socket_path, g.roles, g.wd_fd >= 0 ? o->watchdog : "none",
		  guard_state_name(g.fsm.state));
	loop(&g);
	rc = 0;
	status_write(&g);
out:
	watchdog_close(&g);
	for (i = 0; i < GUARD_CLIENTS_MAX; i++)
		close_fd(&g.clients[i]);
	if (g.listen_fd >= 0)
		unlink(o->socket_path);
	close_fd(&g.listen_fd);
	close_fd(&g.events_fd);
	close_fd(&g.sig_fd);
	return rc;
}
