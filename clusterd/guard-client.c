/*
 * guard-client.c - clusterd's connection to clusterd-guard (see
 * guard-client.h): non-blocking connect, reconnect timer, renewals.
 */
#include "guard-client.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct cd_guard {
	qb_loop_t *loop;
	struct sockaddr_un sa;
	int fd;			/* -1 while not connected */
	bool connecting;	/* EINPROGRESS: waiting for POLLOUT */
	bool polled;		/* fd is in the loop */
	bool timer_armed;
	qb_loop_timer_handle timer;
	bool was_connected;	/* for logging transitions once */
	bool warned_absent;
	bool lapse_logged;
	char state[16];
	void (*on_connect)(void *ctx);
	void *ctx;
};

static void try_connect(struct cd_guard *g);

static void
on_timer(void *data)
{
	struct cd_guard *g = data;

	g->timer_armed = false;
	try_connect(g);
}

static void
schedule_reconnect(struct cd_guard *g)
{
	if (g->timer_armed)
		return;
	if (qb_loop_timer_add(g->loop, QB_LOOP_LOW,
			      (uint64_t)CD_GUARD_RECONNECT_MS * QB_TIME_NS_IN_MSEC,
			      g, on_timer, &g->timer) == 0)
		g->timer_armed = true;
	else
		cd_err("guard %s: cannot schedule a reconnect", g->sa.sun_path);
}

static void
drop(struct cd_guard *g, const char *why)
{
	if (g->polled)
		qb_loop_poll_del(g->loop, g->fd);
	g->polled = false;
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	g->connecting = false;
	g->state[0] = '\0';
	if (g->was_connected)
		cd_warn("guard %s: connection lost (%s); reconnecting every %d ms "
			"(the guard's lease keeps running)", g->sa.sun_path, why,
			CD_GUARD_RECONNECT_MS);
	g->was_connected = false;
	schedule_reconnect(g);
}

static void
up(struct cd_guard *g)
{
	g->connecting = false;
	g->was_connected = true;
	g->warned_absent = false;
	cd_notice("guard %s: connected", g->sa.sun_path);
	if (g->on_connect)
		g->on_connect(g->ctx);
}

static void
read_replies(struct cd_guard *g)
{
	char buf[256], st[16];
	uint64_t d;
	ssize_t n;

	while (g->fd >= 0) {
		n = recv(g->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			drop(g, n == 0 ? "closed by the guard" : strerror(errno));
			return;
		}
		buf[n] = '\0';
		if (sscanf(buf, "ok %15s %" SCNu64, st, &d) != 2)
			continue;
		snprintf(g->state, sizeof(g->state), "%s", st);
		if (strcmp(st, "lapsed") == 0 && !g->lapse_logged) {
			cd_err("guard %s: the lease is lapsed (renewal until %" PRIu64
			       "): the guard killed this node's roles", g->sa.sun_path, d);
			g->lapse_logged = true;
		} else if (strcmp(st, "armed") == 0) {
			g->lapse_logged = false;
		}
	}
}

static int32_t
on_poll(int32_t fd, int32_t revents, void *data)
{
	struct cd_guard *g = data;
	int err = 0;
	socklen_t len = sizeof(err);

	if (g->connecting) {
		if (getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			drop(g, strerror(err));
			return 0;
		}
		qb_loop_poll_mod(g->loop, QB_LOOP_MED, g->fd, POLLIN, g, on_poll);
		up(g);
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		read_replies(g);
	return 0;
}

static void
try_connect(struct cd_guard *g)
{
	int fd, rc;

	if (g->fd >= 0)
		return;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		cd_err("guard %s: socket: %s", g->sa.sun_path, strerror(errno));
		schedule_reconnect(g);
		return;
	}
	rc = connect(fd, (struct sockaddr *)&g->sa, sizeof(g->sa));
	if (rc < 0 && errno != EINPROGRESS) {
		if (!g->warned_absent)
			cd_warn("guard %s: cannot connect: %s; retrying every %d ms "
				"(no self-fencing until the guard answers)",
				g->sa.sun_path, strerror(errno), CD_GUARD_RECONNECT_MS);
		g->warned_absent = true;
		close(fd);
		schedule_reconnect(g);
		return;
	}
	g->fd = fd;
	g->connecting = rc < 0;
	if (qb_loop_poll_add(g->loop, QB_LOOP_MED, fd,
			     g->connecting ? POLLOUT : POLLIN, g, on_poll) < 0) {
		cd_err("guard %s: cannot watch the socket", g->sa.sun_path);
		close(fd);
		g->fd = -1;
		g->connecting = false;
		schedule_reconnect(g);
		return;
	}
	g->polled = true;
	if (!g->connecting)
		up(g);
}

struct cd_guard *
cd_guard_open(qb_loop_t *loop, const char *path)
{
	struct cd_guard *g;

	if (!path)
		path = CD_GUARD_SOCKET;
	if (!loop || strlen(path) >= sizeof(g->sa.sun_path)) {
		errno = loop ? ENAMETOOLONG : EINVAL;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->loop = loop;
	g->fd = -1;
	g->sa.sun_family = AF_UNIX;
	strcpy(g->sa.sun_path, path);
	try_connect(g);
	return g;
}

void
cd_guard_on_connect(struct cd_guard *g, void (*fn)(void *ctx), void *ctx)
{
	g->on_connect = fn;
	g->ctx = ctx;
}

int
cd_guard_renew(struct cd_guard *g, uint64_t deadline_mono_ms)
{
	char buf[48];
	int n, err;

	if (!g || g->fd < 0 || g->connecting)
		return -ENOTCONN;
	n = snprintf(buf, sizeof(buf), "renew %" PRIu64, deadline_mono_ms);
	if (send(g->fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
		return 0;
	err = errno;
	if (err == EAGAIN || err == EWOULDBLOCK)
		return -EAGAIN;
	drop(g, strerror(err));
	return -err;
}

bool
cd_guard_connected(const struct cd_guard *g)
{
	return g && g->fd >= 0 && !g->connecting;
}

const char *
cd_guard_state(const struct cd_guard *g)
{
	return g ? g->state : "";
}

const char *
cd_guard_path(const struct cd_guard *g)
{
	return g->sa.sun_path;
}

void
cd_guard_close(struct cd_guard *g)
{
	if (!g)
		return;
	if (g->timer_armed)
		qb_loop_timer_del(g->loop, g->timer);
	if (g->polled)
		qb_loop_poll_del(g->loop, g->fd);
	if (g->fd >= 0)
		close(g->fd);
	free(g);
}
