/*
 * client-conn.c - the CSV client's connection to its coordinator (see
 * client.h): one connection at a time, a reader thread, requests waiting
 * by id, reconnect and retry.
 */
#include "client.h"
#include "csv-conn.h"
#include "error.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A connection shared by the reader and senders; freed by the last one. */
struct conn_ref {
	struct csv_conn *c;
	int refs;		/* under g.lock */
};

struct pending {
	uint64_t id;
	void *frame;		/* the reply once it arrived */
	size_t len;
	pthread_cond_t cond;	/* its caller waits here (wake_all, reader) */
	struct pending *next;
};

static struct {
	const struct cl_opts *o;
	unsigned char key[CSV_KEY_LEN];
	uint64_t client;	/* this incarnation */
	uint64_t next_id;

	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t cond;
	struct conn_ref *c;	/* NULL: not connected */
	uint64_t gen;		/* connection generation */
	uint64_t epoch;		/* coordinator of the current connection */
	bool connecting;
	bool ever;		/* has been connected once */
	bool reconnector;	/* a reconnector thread runs */
	bool refused;		/* the coordinator refused this node at HELLO */
	uint64_t refused_ms;	/* ... when (monotonic ms) */
	struct pending *pending;
	int next_coord;
	void (*reclaim)(uint64_t epoch);	/* cl_on_new_coordinator */
	uint64_t caps;		/* the coordinator's HELLO reply */
	void (*push)(const struct csv_msg *m);	/* cl_on_push */
} g = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* The connection changed (g.lock held): wake every waiter, each caller
 * waiting for its reply included (they wait on their own condition, so a
 * reply wakes only its caller, not every request in flight). */
static void
wake_all(void)
{
	pthread_cond_broadcast(&g.cond);
	for (struct pending *p = g.pending; p; p = p->next)
		pthread_cond_signal(&p->cond);
}

int
cl_conn_init(const struct cl_opts *o)
{
	int rc;

	g.o = o;
	rc = csv_key_load(o->authkey, g.key);
	if (rc < 0)
		return rc;
	if (getrandom(&g.client, sizeof(g.client), 0) != sizeof(g.client))
		return -errno;
	g.client |= 1;
	return 0;
}

void
cl_on_new_coordinator(void (*fn)(uint64_t epoch))
{
	pthread_mutex_lock(&g.lock);
	g.reclaim = fn;
	pthread_mutex_unlock(&g.lock);
}

static void *
reclaimer(void *arg)
{
	uint64_t epoch = *(uint64_t *)arg;
	void (*fn)(uint64_t);

	free(arg);
	pthread_mutex_lock(&g.lock);
	fn = g.reclaim;
	pthread_mutex_unlock(&g.lock);
	if (fn)
		fn(epoch);
	return NULL;
}

void
cl_on_push(void (*fn)(const struct csv_msg *m))
{
	pthread_mutex_lock(&g.lock);
	g.push = fn;
	pthread_mutex_unlock(&g.lock);
}

uint64_t
cl_caps(void)
{
	uint64_t c;

	pthread_mutex_lock(&g.lock);
	c = g.c ? g.caps : 0;
	pthread_mutex_unlock(&g.lock);
	return c;
}

uint64_t
cl_epoch(void)
{
	uint64_t e;

	pthread_mutex_lock(&g.lock);
	e = g.c ? g.epoch : 0;
	pthread_mutex_unlock(&g.lock);
	return e;
}

const char *
cl_state(void)
{
	const char *s;

	pthread_mutex_lock(&g.lock);
	s = g.c ? "connected" : g.ever ? "reconnecting" : "down";
	pthread_mutex_unlock(&g.lock);
	return s;
}

/* The address to try now: the file's line, else the next of the list. */
static int
coord_addr(char *out, size_t len)
{
	FILE *f;

	if (g.o->coord_file) {
		f = fopen(g.o->coord_file, "r");
		if (!f)
			return -errno;
		if (!fgets(out, (int)len, f)) {
			fclose(f);
			return -ENOENT;
		}
		fclose(f);
		out[strcspn(out, " \t\r\n")] = '\0';
		return out[0] ? 0 : -ENOENT;
	}
	if (g.o->ncoords == 0)
		return -ENOENT;
	snprintf(out, len, "%s", g.o->coords[g.next_coord++ % g.o->ncoords]);
	return 0;
}

/* Is fd's local address its peer's address? */
static bool
self_connected(int fd)
{
	struct sockaddr_in a = { 0 }, b = { 0 };
	socklen_t la = sizeof(a), lb = sizeof(b);

	if (getsockname(fd, (struct sockaddr *)&a, &la) < 0 ||
	    getpeername(fd, (struct sockaddr *)&b, &lb) < 0)
		return false;
	return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
}

static int
tcp_connect(const char *spec)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd p;
	int fd, err = 0;
	socklen_t el = sizeof(err);
	size_t n;

	if (!colon || (n = (size_t)(colon - spec)) >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		err = errno;
		close(fd);
		return -err;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, CL_CONNECT_MS) <= 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		close(fd);
		return err ? -err : -EIO;
	}
	/* TCP simultaneous open: while nothing listens on a port of the
	 * ephemeral range, a connect from this host can get that very port as
	 * its source and connect to itself. Such a socket holds the port and
	 * the coordinator that starts there next fails with EADDRINUSE; a
	 * plain close would leave it in TIME_WAIT and hold the port for 60 s
	 * more (measured), so it is reset (linger 0) instead. */
	if (self_connected(fd)) {
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
				 sizeof(struct linger));
		close(fd);
		return -ELOOP;
	}
	/* back to blocking: the TLS layer waits with its own deadlines */
	if (fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* HELLO on a fresh connection; the coordinator's epoch in *epoch. */
static int
say_hello(struct csv_conn *c, uint64_t *epoch, uint64_t *caps)
{
	struct csv_msg m = { .op = CSV_OP_HELLO, .id = ++g.next_id, .client = g.client,
			     .caps = CSV_CAP_REDIRECTED | CSV_CAP_LOCKS | CSV_CAP_RECLAIM |
				     (g.o->lun ? CSV_CAP_DIRECT : 0) };
	static __thread struct csv_msg r;
	void *frame;
	size_t len;
	int rc;

	snprintf(m.name, sizeof(m.name), "%s", g.o->node);
	frame = csv_encode(&m, &len);
	if (!frame)
		return -errno;
	rc = csv_conn_send(c, frame, len);
	free(frame);
	if (rc < 0)
		return rc;
	rc = csv_conn_recv(c, &frame, &len, CL_CONNECT_MS);
	if (rc < 0)
		return rc;
	rc = csv_decode(frame, len, &r);
	if (rc == 0 && (r.op != CSV_OP_HELLO || r.id != m.id || !(r.flags & CSV_F_REPLY)))
		rc = -EPROTO;
	if (rc == 0)
		rc = r.status;
	if (rc == 0 && !(r.caps & CSV_CAP_RECLAIM))
		fprintf(stderr, "csv-client %s: the coordinator does not take lock reclaims: "
			"locks held here are not kept across its changes\n", g.o->volume);
	if (rc == 0) {
		*epoch = r.client;
		*caps = r.caps;
	}
	free(frame);
	return rc;
}

static void *reader(void *arg);

/* Drop a reference (g.lock held). */
static void
conn_put(struct conn_ref *r)
{
	if (--r->refs == 0) {
		csv_conn_free(r->c);
		free(r);
	}
}

/* Make one connection attempt (called with g.lock held, released inside). */
static void
connect_once(void)
{
	char addr[256];
	struct csv_conn *c = NULL;
	struct conn_ref *ref = NULL;
	uint64_t epoch = 0, caps = 0;
	pthread_t t;
	int fd, rc;
	static bool self_logged;	/* under g.lock */

	g.connecting = true;
	pthread_mutex_unlock(&g.lock);
	rc = coord_addr(addr, sizeof(addr));
	if (rc == 0) {
		fd = tcp_connect(addr);
		rc = fd;
		if (fd >= 0) {
			c = csv_conn_open(fd, false, g.key, g.o->node, CL_CONNECT_MS);
			rc = c ? say_hello(c, &epoch, &caps) : -errno;
		}
	}
	if (rc < 0 && c) {
		csv_conn_free(c);
		c = NULL;
	}
	if (c && !(ref = calloc(1, sizeof(*ref)))) {
		csv_conn_free(c);
		c = NULL;
	}
	if (ref) {
		ref->c = c;
		ref->refs = 2;	/* the reader's and g.c's */
		if (pthread_create(&t, NULL, reader, ref) != 0) {
			csv_conn_free(c);
			free(ref);
			ref = NULL;
			c = NULL;
		} else {
			pthread_detach(t);
		}
	}
	pthread_mutex_lock(&g.lock);
	g.connecting = false;
	if (!c && rc == -ELOOP && !self_logged) {
		self_logged = true;
		fprintf(stderr, "csv-client %s: a connection to %s connected to itself (nothing "
			"listens there; the port is in this host's ephemeral range): closed at "
			"once so a coordinator can take the port; retrying\n", g.o->volume, addr);
	}
	if (!c && rc == -EACCES && !g.refused)
		fprintf(stderr, "csv-client %s: the coordinator refuses this node (fenced "
			"until the cluster readmits it, or another cluster's key): I/O on "
			"the volume fails with EIO meanwhile; retrying every %d ms\n",
			g.o->volume, CL_REFUSED_RETRY_MS);
	if (!c && rc == -EACCES) {
		g.refused = true;
		g.refused_ms = cd_now_mono_ms();
	} else if (c && g.refused) {
		g.refused = false;
		fprintf(stderr, "csv-client %s: the coordinator accepts this node again\n",
			g.o->volume);
	}
	if (c) {
		if (g.epoch && g.epoch != epoch) {
			fprintf(stderr, "csv-client %s: new coordinator at %s\n", g.o->volume, addr);
			/* hold our locks again there, off this thread (it waits for replies) */
			uint64_t *arg = malloc(sizeof(*arg));

			if (arg)
				*arg = epoch;
			if (arg && pthread_create(&t, NULL, reclaimer, arg) == 0) {
				pthread_detach(t);
			} else {
				free(arg);
				fprintf(stderr, "csv-client %s: cannot start the lock reclaim: "
					"locks held here are lost\n", g.o->volume);
			}
		} else if (g.ever)
			fprintf(stderr, "csv-client %s: reconnected to %s\n", g.o->volume, addr);
		g.c = ref;
		g.epoch = epoch;
		g.caps = caps;
		g.gen++;
		g.ever = true;
	}
	wake_all();
	if (!c) {
		/* pace the attempts without a sleep: wait for a peer's success */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (g.refused ? CL_REFUSED_RETRY_MS : 100) * 1000000L;
		while (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g.cond, &g.lock, &ts);
	}
}

/* A PING nobody waits for: the coordinator answers it at once. */
static void
send_ping(struct csv_conn *c)
{
	struct csv_msg m = { .op = CSV_OP_PING };
	size_t len;
	void *frame;

	pthread_mutex_lock(&g.lock);
	m.id = ++g.next_id;
	pthread_mutex_unlock(&g.lock);
	frame = csv_encode(&m, &len);
	if (frame)
		(void)csv_conn_send(c, frame, len);
	free(frame);
}

/*
 * After a lost connection (and at the start, cl_conn_start): connect
 * without waiting for a request, so that an idle client reaches a new
 * coordinator too and says RECLAIM_DONE there (its grace would otherwise
 * wait for it until the bound).
 */
static void *
reconnector(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&g.lock);
	while (!g.c) {
		if (!g.connecting)
			connect_once();		/* paced: 100 ms after a failure */
		else
			pthread_cond_wait(&g.cond, &g.lock);
	}
	g.reconnector = false;
	pthread_mutex_unlock(&g.lock);
	return NULL;
}

/* The reconnector thread, unless it runs or a connection is up (g.lock held). */
static void
reconnector_start(void)
{
	pthread_t t;

	if (!g.c && !g.reconnector && pthread_create(&t, NULL, reconnector, NULL) == 0) {
		pthread_detach(t);
		g.reconnector = true;
	}
}

void
cl_conn_start(void)
{
	pthread_mutex_lock(&g.lock);
	reconnector_start();
	pthread_mutex_unlock(&g.lock);
}

static void *
reader(void *arg)
{
	struct conn_ref *ref = arg;
	struct csv_conn *c = ref->c;
	struct pending *p;
	void *frame;
	size_t len;
	uint64_t id;

	int silent = 0, rc;

	for (;;) {
		rc = csv_conn_recv(c, &frame, &len, CL_PING_MS);
		if (rc == -ETIMEDOUT && ++silent < CL_PING_MISSES) {
			/* a cut link shows no EOF: ask, and give up after silence */
			send_ping(c);
			continue;
		}
		if (rc < 0)
			break;
		silent = 0;
		if (((unsigned char *)frame)[8] & CSV_F_PUSH) {
			/* a push (a lease recall): its handler must not block */
			static __thread struct csv_msg m;
			void (*fn)(const struct csv_msg *);

			pthread_mutex_lock(&g.lock);
			fn = g.push;
			pthread_mutex_unlock(&g.lock);
			if (csv_decode(frame, len, &m) == 0 && fn)
				fn(&m);
			free(frame);
			continue;
		}
		id = 0;
		for (int i = 0; i < 8; i++)
			id |= (uint64_t)((unsigned char *)frame)[16 + i] << (8 * i);
		pthread_mutex_lock(&g.lock);
		for (p = g.pending; p && p->id != id; p = p->next)
			;
		if (p && !p->frame) {
			p->frame = frame;
			p->len = len;
			frame = NULL;
			pthread_cond_signal(&p->cond);
		}
		pthread_mutex_unlock(&g.lock);
		free(frame);	/* a reply nobody waits for (any more) */
	}
	csv_conn_shutdown(c);
	pthread_mutex_lock(&g.lock);
	if (g.c == ref) {
		g.c = NULL;
		conn_put(ref);
		fprintf(stderr, "csv-client %s: connection to the coordinator lost; "
			"reconnecting\n", g.o->volume);
		reconnector_start();
	}
	conn_put(ref);
	wake_all();
	pthread_mutex_unlock(&g.lock);
	return NULL;
}

int
cl_call(struct csv_msg *req, struct csv_msg *rep, void **frame, bool *moved)
{
	return cl_call_ex(req, rep, frame, moved, NULL, NULL);
}

int
cl_call_ex(struct csv_msg *req, struct csv_msg *rep, void **frame, bool *moved,
	   void (*sent)(void *arg), void *arg)
{
	struct pending me = { 0 }, **pp;
	uint64_t deadline = cd_now_mono_ms() + (uint64_t)g.o->timeout_s * 1000;
	uint64_t first_epoch = 0, gen;
	void *out = NULL;
	size_t len;
	int rc = -EIO;

	*frame = NULL;
	if (moved)
		*moved = false;
	pthread_cond_init(&me.cond, NULL);
	pthread_mutex_lock(&g.lock);
	req->id = me.id = ++g.next_id;
	req->flags = 0;
	me.next = g.pending;
	g.pending = &me;
	for (;;) {
		struct conn_ref *c;

		while (!g.c && cd_now_mono_ms() < deadline) {
			/* refused (fenced): fail at once, as the LUN would */
			if (g.refused && cd_now_mono_ms() - g.refused_ms < CL_REFUSED_RETRY_MS)
				break;
			if (!g.connecting)
				connect_once();
			else
				pthread_cond_wait(&g.cond, &g.lock);
		}
		if (!g.c)
			break;
		c = g.c;
		c->refs++;
		gen = g.gen;
		if (!first_epoch)
			first_epoch = g.epoch;
		else if (moved && g.epoch != first_epoch)
			*moved = true;
		pthread_mutex_unlock(&g.lock);
		out = csv_encode(req, &len);
		rc = out ? csv_conn_send(c->c, out, len) : -errno;
		free(out);
		if (sent) {
			/* on the wire (or failed): the caller's next request may go */
			sent(arg);
			sent = NULL;
		}
		pthread_mutex_lock(&g.lock);
		conn_put(c);
		if (rc == -EINVAL || rc == -EMSGSIZE)
			break;
		while (!me.frame && g.gen == gen && g.c)
			pthread_cond_wait(&me.cond, &g.lock);
		if (me.frame)
			break;
		/* the connection went: send again on the next one */
		req->flags = CSV_F_RETRY;
		rc = -EIO;
		if (cd_now_mono_ms() >= deadline)
			break;
	}
	for (pp = &g.pending; *pp != &me; pp = &(*pp)->next)
		;
	*pp = me.next;
	pthread_mutex_unlock(&g.lock);
	pthread_cond_destroy(&me.cond);
	if (sent)
		sent(arg);	/* never sent (no connection until the timeout) */
	if (!me.frame)
		return rc < 0 ? (rc == -EINVAL || rc == -EMSGSIZE ? rc : -EIO) : -EIO;
	*frame = me.frame;
	rc = csv_decode(me.frame, me.len, rep);
	if (rc < 0 || rep->op != req->op)
		return -EIO;
	return rep->status;
}
