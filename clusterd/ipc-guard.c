/*
 * ipc-guard.c - admission, budgets and handshake deadlines for the sockets
 * of clusterd's IPC server (ipc-guard.h; rules in lib/ipc-admit.h).
 */
#include "ipc-guard.h"
#include "ipc-admit.h"
#include "log.h"
#include "timeutil.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <qb/qblist.h>

/* One socket libqb polls through the guard. */
struct gfd {
	struct qb_list_head all;	/* guard.all */
	struct qb_list_head hs;		/* guard.handshakes while handshaking */
	int fd;
	uint64_t gen;		/* tells a reused fd number from this one */
	bool listener;
	bool handshaking;	/* accepted, handshake not processed yet */
	bool deny;		/* A3: let through to be refused */
	uint64_t since_ms;
	qb_ipcs_dispatch_fn_t fn;	/* libqb's */
	void *data;
	struct cd_ipc_peer_cred peer;
};

static struct guard {
	qb_loop_t *loop;
	bool publishing;
	struct gfd **by_fd;
	size_t n_by_fd;
	struct qb_list_head all;
	struct qb_list_head handshakes;	/* oldest first */
	uint64_t gen;
	/* The handshake libqb is processing now (its dispatch runs). */
	bool in_valid;
	int in_fd;
	struct cd_ipc_peer_cred in_peer;
	/* haclient's gid, looked up again every CD_IPC_GUARD_LOG_MS. */
	bool have_admin_gid;
	gid_t admin_gid;
	uint64_t admin_gid_at;
	/* A3's window. */
	uint64_t window_start;
	unsigned int deny_window;
	/* Rate-limited log: what was not logged since log_at. */
	uint64_t log_at;
	uint64_t quiet_denied, quiet_busy, quiet_timeout;
	uid_t quiet_uid;
	/* Totals for the status document. */
	uint64_t refused, timed_out;
} *G;

static void
lookup_admin_gid(uint64_t now)
{
	struct group *gr = getgrnam(CD_ADMIN_GROUP);

	G->have_admin_gid = gr != NULL;
	G->admin_gid = gr ? gr->gr_gid : (gid_t)-1;
	G->admin_gid_at = now;
}

int
cd_ipc_guard_start(qb_loop_t *loop)
{
	if (G)
		return -EEXIST;
	G = calloc(1, sizeof(*G));
	if (!G)
		return -ENOMEM;
	G->loop = loop;
	qb_list_init(&G->all);
	qb_list_init(&G->handshakes);
	lookup_admin_gid(cd_now_mono_ms());
	return 0;
}

void
cd_ipc_guard_stop(void)
{
	struct gfd *e, *tmp;

	if (!G)
		return;
	qb_list_for_each_entry_safe(e, tmp, &G->all, all)
		free(e);
	free(G->by_fd);
	free(G);
	G = NULL;
}

void
cd_ipc_guard_publishing(bool on)
{
	if (G)
		G->publishing = on;
}

const struct cd_ipc_peer_cred *
cd_ipc_guard_handshake_peer(void)
{
	return G && G->in_valid ? &G->in_peer : NULL;
}

void
cd_ipc_guard_counts(unsigned int *open, unsigned int *handshaking,
		    uint64_t *refused, uint64_t *timed_out)
{
	struct gfd *e;

	*open = *handshaking = 0;
	*refused = *timed_out = 0;
	if (!G)
		return;
	qb_list_for_each_entry(e, &G->all, all) {
		if (e->listener)
			continue;
		(*open)++;
		if (e->handshaking)
			(*handshaking)++;
	}
	*refused = G->refused;
	*timed_out = G->timed_out;
}

/* ---- the table of sockets ---- */

static struct gfd *
lookup(int fd)
{
	return fd >= 0 && (size_t)fd < G->n_by_fd ? G->by_fd[fd] : NULL;
}

static int
insert(struct gfd *e)
{
	if ((size_t)e->fd >= G->n_by_fd) {
		size_t n = (size_t)e->fd + 64;
		struct gfd **t = realloc(G->by_fd, n * sizeof(*t));

		if (!t)
			return -ENOMEM;
		memset(t + G->n_by_fd, 0, (n - G->n_by_fd) * sizeof(*t));
		G->by_fd = t;
		G->n_by_fd = n;
	}
	e->gen = ++G->gen;
	G->by_fd[e->fd] = e;
	qb_list_add_tail(&e->all, &G->all);
	if (e->handshaking)
		qb_list_add_tail(&e->hs, &G->handshakes);
	return 0;
}

static void
drop(struct gfd *e)
{
	if (G->by_fd[e->fd] == e)
		G->by_fd[e->fd] = NULL;
	qb_list_del(&e->all);
	if (e->handshaking)
		qb_list_del(&e->hs);
	free(e);
}

/* ---- rate-limited log ---- */

static void
log_quiet(uint64_t now, bool force)
{
	uint64_t n = G->quiet_denied + G->quiet_busy + G->quiet_timeout;

	if (!n || (!force && now < G->log_at))
		return;
	cd_warn("ipc: closed %llu more connections in the last %d s: %llu neither "
		"root nor in %s, %llu over their budget, %llu without a handshake "
		"in %d ms (the last from uid %d)",
		(unsigned long long)n, CD_IPC_GUARD_LOG_MS / 1000,
		(unsigned long long)G->quiet_denied, CD_ADMIN_GROUP,
		(unsigned long long)G->quiet_busy,
		(unsigned long long)G->quiet_timeout, CD_IPC_HANDSHAKE_MS,
		(int)G->quiet_uid);
	G->quiet_denied = G->quiet_busy = G->quiet_timeout = 0;
	G->log_at = now + CD_IPC_GUARD_LOG_MS;
}

/* A closed socket: the first one in a period is logged, then counted. */
static void
note_closed(uint64_t now, const struct cd_ipc_peer_cred *p, const char *why,
	    uint64_t *quiet)
{
	if (now >= G->log_at && !G->quiet_denied && !G->quiet_busy &&
	    !G->quiet_timeout) {
		cd_warn("ipc: closed a connection from pid %d uid %d gid %d: %s "
			"(more are counted, logged every %d s)", (int)p->pid,
			(int)p->uid, (int)p->gid, why, CD_IPC_GUARD_LOG_MS / 1000);
		G->log_at = now + CD_IPC_GUARD_LOG_MS;
		return;
	}
	(*quiet)++;
	G->quiet_uid = p->uid;
}

/* ---- admission ---- */

static int
peer_cred(int fd, struct cd_ipc_peer_cred *p)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t small[64], *groups = small;
	socklen_t glen = sizeof(small);
	int rc = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	p->admin = uc.uid == 0 ||
		   (G->have_admin_gid && uc.gid == G->admin_gid);
	if (p->admin || !G->have_admin_gid)
		return 0;
	/* The supplementary groups the peer had at connect(). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0) {
		if (errno != ERANGE)
			return -errno;
		groups = malloc(glen);
		if (!groups)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0)
			rc = -errno;
	}
	if (rc == 0)
		p->admin = cd_ipc_gid_in(G->admin_gid, groups,
					 (unsigned int)(glen / sizeof(gid_t)));
	if (groups != small)
		free(groups);
	return rc;
}

static enum cd_ipc_verdict
judge(const struct cd_ipc_peer_cred *p, uint64_t now)
{
	struct cd_ipc_peer peer = { .uid = p->uid, .admin = p->admin };
	struct cd_ipc_counts n = { 0 };
	struct gfd *e;

	if (now - G->window_start >= CD_IPC_DENY_WINDOW_MS) {
		G->window_start = now;
		G->deny_window = 0;
	}
	n.deny_window = G->deny_window;
	qb_list_for_each_entry(e, &G->all, all) {
		if (e->listener)
			continue;
		if (e->peer.uid == 0)
			n.root++;
		else if (e->peer.admin)
			n.admin++;
		if (e->peer.uid == p->uid)
			n.uid++;
		if (e->handshaking && e->deny)
			n.deny_pending++;
	}
	return cd_ipc_admit(&peer, &n);
}

/* ---- the poll handlers libqb calls ---- */

/*
 * libqb accepts one connection per wake-up. Under a flood the backlog
 * stays full and a client's non-blocking connect() fails with EAGAIN; so
 * the listener takes up to CD_IPC_ACCEPT_BURST connections per wake-up,
 * each judged (and most refused) at once.
 */
#define CD_IPC_ACCEPT_BURST 256

static int32_t
drain_backlog(int fd, qb_ipcs_dispatch_fn_t fn, void *fn_data)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int32_t res = 0;

	for (int i = 1; i < CD_IPC_ACCEPT_BURST && res == 0; i++) {
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
			break;
		res = fn(fd, p.revents, fn_data);
	}
	return res;
}

static int32_t
trampoline(int32_t fd, int32_t revents, void *data)
{
	struct gfd *e = data, *now_e;
	qb_ipcs_dispatch_fn_t fn = e->fn;
	void *fn_data = e->data;
	uint64_t gen = e->gen;
	bool listener = e->listener;
	bool saved_valid = G->in_valid;
	int saved_fd = G->in_fd;
	struct cd_ipc_peer_cred saved_peer = G->in_peer;
	int32_t res;

	if (e->handshaking) {
		G->in_valid = true;
		G->in_fd = fd;
		G->in_peer = e->peer;
	}
	/* libqb may delete e here (and add this fd again: the connection). */
	res = fn(fd, revents, fn_data);
	if (listener && res == 0)	/* (e may be gone: not for the listener) */
		res = drain_backlog(fd, fn, fn_data);
	G->in_valid = saved_valid;
	G->in_fd = saved_fd;
	G->in_peer = saved_peer;
	/* A negative result makes qb_loop forget the fd by itself. */
	now_e = lookup(fd);
	if (res < 0 && now_e && now_e->gen == gen)
		drop(now_e);
	return res;
}

static int32_t
hook_add(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
	 qb_ipcs_dispatch_fn_t fn)
{
	uint64_t now = cd_now_mono_ms();
	enum cd_ipc_verdict v = CD_IPC_ADMIT;
	struct gfd *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	e->fd = fd;
	e->fn = fn;
	e->data = data;
	e->since_ms = now;
	if (G->publishing) {
		e->listener = true;
		/* libqb listens with a backlog of 128; the kernel caps this at
		 * net.core.somaxconn. */
		if (listen(fd, SOMAXCONN) < 0)
			cd_warn("ipc: cannot widen the listen backlog: %s",
				strerror(errno));
	} else if (G->in_valid && G->in_fd == fd) {
		/* The handshake on fd succeeded: the connection proper. */
		e->peer = G->in_peer;
	} else {
		/* A socket libqb has just accepted. */
		if (now - G->admin_gid_at >= CD_IPC_GUARD_LOG_MS)
			lookup_admin_gid(now);
		rc = peer_cred(fd, &e->peer);
		if (rc < 0) {
			cd_warn("ipc: cannot learn who connected on fd %d: %s",
				fd, strerror(-rc));
			free(e);
			return rc;
		}
		v = judge(&e->peer, now);
		if (v == CD_IPC_CLOSE_DENIED || v == CD_IPC_CLOSE_BUSY) {
			G->refused++;
			note_closed(now, &e->peer, cd_ipc_verdict_str(v),
				    v == CD_IPC_CLOSE_DENIED ? &G->quiet_denied :
				    &G->quiet_busy);
			free(e);
			/* libqb closes the socket and frees its handshake state. */
			return v == CD_IPC_CLOSE_DENIED ? -EACCES : -EBUSY;
		}
		e->handshaking = true;
		e->deny = v == CD_IPC_LET_REFUSE;
		if (e->deny)
			G->deny_window++;
	}
	rc = insert(e);
	if (rc < 0) {
		free(e);
		return rc;
	}
	rc = qb_loop_poll_add(G->loop, p, fd, events, e, trampoline);
	if (rc < 0)
		drop(e);
	return rc;
}

static int32_t
hook_mod(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
	 qb_ipcs_dispatch_fn_t fn)
{
	struct gfd *e = lookup(fd);

	if (!e)
		return -EBADF;
	e->fn = fn;
	e->data = data;
	return qb_loop_poll_mod(G->loop, p, fd, events, e, trampoline);
}

static int32_t
hook_del(int32_t fd)
{
	struct gfd *e = lookup(fd);

	if (e)
		drop(e);
	return qb_loop_poll_del(G->loop, fd);
}

static int32_t
hook_job_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
	return qb_loop_job_add(G->loop, p, data, fn);
}

void
cd_ipc_guard_handlers(struct qb_ipcs_poll_handlers *h)
{
	h->job_add = hook_job_add;
	h->dispatch_add = hook_add;
	h->dispatch_mod = hook_mod;
	h->dispatch_del = hook_del;
}

void
cd_ipc_guard_sweep(uint64_t now)
{
	if (!G)
		return;
	while (!qb_list_empty(&G->handshakes)) {
		struct gfd *e = qb_list_first_entry(&G->handshakes, struct gfd, hs);
		struct cd_ipc_peer_cred peer = e->peer;
		uint64_t gen = e->gen;
		int fd = e->fd;
		struct gfd *still;

		if (now - e->since_ms < CD_IPC_HANDSHAKE_MS)
			break;
		G->timed_out++;
		note_closed(now, &peer, "no handshake in time", &G->quiet_timeout);
		/* As if the peer hung up: libqb deletes the fd, closes it and
		 * frees its handshake state. */
		(void)trampoline(fd, POLLHUP, e);
		still = lookup(fd);
		if (still && still->gen == gen && still->handshaking) {
			/* libqb kept it: never look at it again. */
			qb_list_del(&still->hs);
			still->handshaking = false;
		}
	}
	log_quiet(now, false);
}
