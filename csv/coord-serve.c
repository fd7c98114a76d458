/*
 * coord-serve.c - the coordinator's connections (see coord.h): a reader
 * thread per connection hands requests to a pool of workers; blocking lock
 * requests get a thread of their own so they cannot starve the pool.
 */
#include "coord.h"
#include "error.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct coord_conn {
	struct coord *co;
	struct csv_conn *c;
	int fd;			/* the socket, until the handshake */
	uint64_t client;	/* 0 until HELLO */
	char node[CSV_NAME_MAX + 1];	/* HELLO's */
	atomic_int refs;
};

/* The work queue of the pool. */
struct work {
	struct coord_req *req;
	struct work *next;
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct work *q_head, *q_tail;

/*
 * The WRITEs of one handle (not O_DIRECT) run one after the other, in the
 * order they arrived (a client sends one handle's writes behind in order,
 * several in flight: csv/client-wb.h), so a file written sequentially
 * grows as a prefix for every reader. A handle with a WRITE queued or executing has
 * a chain (under q_lock); its later WRITEs wait there, not in the queue.
 */
struct fh_chain {
	uint64_t fh;
	struct work *head, *tail;	/* waiting behind the one in the queue */
	struct fh_chain *next;
};
static struct fh_chain *chains;

static void
enqueue(struct work *w)	/* q_lock held */
{
	w->next = NULL;
	if (q_tail)
		q_tail->next = w;
	else
		q_head = w;
	q_tail = w;
	pthread_cond_signal(&q_cond);
}

/* A WRITE w arrives (q_lock held): true when it waits behind its handle's. */
static bool
chain_wait(struct work *w)
{
	uint64_t fh = w->req->msg.fh;
	struct fh_chain *ch;

	for (ch = chains; ch && ch->fh != fh; ch = ch->next)
		;
	if (!ch) {
		ch = calloc(1, sizeof(*ch));
		if (!ch)
			return false;	/* unordered rather than lost */
		ch->fh = fh;
		ch->next = chains;
		chains = ch;
		return false;
	}
	w->next = NULL;
	if (ch->tail)
		ch->tail->next = w;
	else
		ch->head = w;
	ch->tail = w;
	return true;
}

/* The WRITE on fh finished (q_lock held): queue its handle's next one. */
static void
chain_next(uint64_t fh)
{
	struct fh_chain *ch, **p;
	struct work *w;

	for (p = &chains; (ch = *p) && ch->fh != fh; p = &ch->next)
		;
	if (!ch)
		return;
	if (!(w = ch->head)) {
		*p = ch->next;
		free(ch);
		return;
	}
	ch->head = w->next;
	if (!ch->head)
		ch->tail = NULL;
	enqueue(w);
}

static void
conn_put(struct coord_conn *cc)
{
	if (atomic_fetch_sub(&cc->refs, 1) == 1) {
		csv_conn_free(cc->c);
		free(cc);
	}
}

static bool
cacheable(unsigned op)
{
	switch (op) {
	case CSV_OP_CREATE: case CSV_OP_OPEN: case CSV_OP_MKDIR: case CSV_OP_MKNOD:
	case CSV_OP_SYMLINK: case CSV_OP_LINK: case CSV_OP_UNLINK: case CSV_OP_RMDIR:
	case CSV_OP_RENAME: case CSV_OP_SETXATTR: case CSV_OP_REMOVEXATTR:
	case CSV_OP_WRITE: case CSV_OP_FALLOCATE: case CSV_OP_LOCK: case CSV_OP_FLOCK:
	case CSV_OP_RELEASE:
		return true;
	default:
		return false;
	}
}

static struct coord_client *
client_find(struct coord *co, uint64_t id)
{
	struct coord_client *cl;

	for (cl = co->clients; cl; cl = cl->next_client) {
		if (cl->id == id)
			return cl;
	}
	return NULL;
}

/*
 * The reply cache entry of request id: when the request was executed or is
 * executing (a retry that overtook its original after a reconnect), wait
 * for its reply and return a copy (*len bytes); otherwise claim an entry
 * for this execution and return NULL.
 */
static void *
cache_claim(struct coord *co, uint64_t client, uint64_t id, size_t *len)
{
	struct coord_client *cl;
	struct coord_cached *e;
	void *copy = NULL;
	unsigned i;

	pthread_mutex_lock(&co->lock);
again:
	cl = client_find(co, client);
	for (i = 0; cl && i < COORD_CACHE; i++) {
		e = &cl->cache[i];
		if (e->id != id || (!e->frame && !e->busy))
			continue;
		if (e->busy) {
			pthread_cond_wait(&co->cache_cond, &co->lock);
			goto again;	/* the client may be gone meanwhile */
		}
		copy = malloc(e->len);
		if (copy) {
			memcpy(copy, e->frame, e->len);
			*len = e->len;
		}
		pthread_mutex_unlock(&co->lock);
		return copy;
	}
	for (i = 0; cl && i < COORD_CACHE && cl->cache[cl->next].busy; i++)
		cl->next = (cl->next + 1) % COORD_CACHE;
	if (cl) {
		e = &cl->cache[cl->next];
		cl->next = (cl->next + 1) % COORD_CACHE;
		free(e->frame);
		*e = (struct coord_cached){ .id = id, .busy = true };
	}
	pthread_mutex_unlock(&co->lock);
	return NULL;
}

/* Fill the entry claimed for request id (no reply: frame NULL) and wake retries. */
static void
cache_store(struct coord *co, uint64_t client, uint64_t id, const void *frame, size_t len)
{
	struct coord_client *cl;
	void *copy = frame ? malloc(len) : NULL;
	unsigned i;

	if (copy)
		memcpy(copy, frame, len);
	pthread_mutex_lock(&co->lock);
	cl = client_find(co, client);
	for (i = 0; cl && i < COORD_CACHE; i++) {
		if (cl->cache[i].busy && cl->cache[i].id == id) {
			cl->cache[i] = (struct coord_cached){ id, copy, copy ? len : 0, false };
			copy = NULL;
			break;
		}
	}
	pthread_cond_broadcast(&co->cache_cond);
	pthread_mutex_unlock(&co->lock);
	free(copy);
}

static void
send_reply(struct coord_conn *cc, const struct csv_msg *rep, bool cache)
{
	size_t len;
	void *frame = csv_encode(rep, &len);

	if (!frame) {
		fprintf(stderr, "csv-coord %s: cannot encode a %s reply: %s\n", cc->co->name,
			csv_op_name(rep->op), strerror(errno));
		if (cache)
			cache_store(cc->co, cc->client, rep->id, NULL, 0);
		return;
	}
	if (cache)
		cache_store(cc->co, cc->client, rep->id, frame, len);
	(void)csv_conn_send(cc->c, frame, len);
	free(frame);
}

static void
execute(struct coord_req *r)
{
	struct coord_conn *cc = r->conn;
	static __thread struct csv_msg rep;
	void *buf = NULL, *cached;
	size_t len;
	int rc;

	if (cacheable(r->msg.op) &&
	    (cached = cache_claim(cc->co, cc->client, r->msg.id, &len))) {
		(void)csv_conn_send(cc->c, cached, len);
		free(cached);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	coord_crash(cc->co, COORD_CRASH_BEFORE, &r->msg);	/* test only */
	rc = coord_exec(cc->co, cc->client, &r->msg, &rep, &buf);
	if (rc == -EIO || rc == -EROFS) {
		/*
		 * The volume failed under this coordinator: its LUN was
		 * preempted (fenced), its path or its disk holder is gone, or
		 * the filesystem aborted its journal. The error is this
		 * coordinator's, not the application's: no reply, the process
		 * ends, every connection breaks, and the clients resend to the
		 * next coordinator (with their unsynced writes), so
		 * applications see a pause, never this error (issue 14 item 5).
		 */
		fprintf(stderr, "csv-coord %s: %s: %s on the volume: the LUN is lost "
			"(fenced or unreachable); exiting without a reply\n", cc->co->name,
			csv_op_name(r->msg.op), strerror(-rc));
		_exit(COORD_EXIT_LOST);
	}
	coord_crash(cc->co, COORD_CRASH_AFTER, &r->msg);	/* test only */
	rep.op = r->msg.op;
	rep.id = r->msg.id;
	rep.flags = CSV_F_REPLY;
	rep.status = rc;
	send_reply(cc, &rep, cacheable(r->msg.op));
	free(buf);
}

static void
req_free(struct coord_req *r)
{
	conn_put(r->conn);
	free(r->frame);
	free(r);
}

static void *
worker(void *arg)
{
	struct work *w;
	uint64_t fh;
	bool write;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&q_lock);
		while (!q_head)
			pthread_cond_wait(&q_cond, &q_lock);
		w = q_head;
		q_head = w->next;
		if (!q_head)
			q_tail = NULL;
		pthread_mutex_unlock(&q_lock);
		write = w->req->msg.op == CSV_OP_WRITE;
		fh = w->req->msg.fh;
		execute(w->req);
		req_free(w->req);
		free(w);
		if (write) {
			pthread_mutex_lock(&q_lock);
			chain_next(fh);
			pthread_mutex_unlock(&q_lock);
		}
	}
	return NULL;
}

static void *
blocking_one(void *arg)
{
	execute(arg);
	req_free(arg);
	return NULL;
}

/* Requests that may wait long: a blocking lock, or any lock taken or
 * tested during the grace period (coord-grace.c). */
static bool
blocks(struct coord *co, const struct csv_msg *m)
{
	return (m->op == CSV_OP_LOCK && m->oflags == CSV_LK_SETW) ||
	       (m->op == CSV_OP_FLOCK && (m->oflags & CSV_FL_WAIT)) ||
	       coord_lock_may_wait(co, m);
}

static void
dispatch(struct coord_req *r)
{
	struct work *w;
	pthread_t t;
	bool ordered;

	atomic_fetch_add(&r->conn->refs, 1);
	if (blocks(r->conn->co, &r->msg)) {
		if (pthread_create(&t, NULL, blocking_one, r) == 0) {
			pthread_detach(t);
			return;
		}
	}
	w = malloc(sizeof(*w));
	if (!w) {
		req_free(r);
		return;
	}
	w->req = r;
	w->next = NULL;
	ordered = r->msg.op == CSV_OP_WRITE && !coord_fh_direct(r->conn->co, r->msg.fh);
	pthread_mutex_lock(&q_lock);
	if (!ordered || !chain_wait(w))
		enqueue(w);
	pthread_mutex_unlock(&q_lock);
}

/* The push of coord.h: to client's current connection (coord->push). */
static int
push(struct coord *co, uint64_t client, const struct csv_msg *m)
{
	struct coord_client *cl;
	struct coord_conn *cc = NULL;
	size_t len;
	void *frame;
	int rc;

	pthread_mutex_lock(&co->lock);
	cl = client_find(co, client);
	if (cl && cl->conn) {
		cc = cl->conn;
		atomic_fetch_add(&cc->refs, 1);
	}
	pthread_mutex_unlock(&co->lock);
	if (!cc)
		return -ENOTCONN;
	frame = csv_encode(m, &len);
	rc = frame ? csv_conn_send(cc->c, frame, len) : -errno;
	free(frame);
	conn_put(cc);
	return rc;
}

/* cc is client's connection from now on (co->lock held). */
static void
client_conn_set(struct coord_client *cl, struct coord_conn *cc)
{
	if (cl->conn == cc)
		return;
	if (cl->conn)
		conn_put(cl->conn);
	if (cc)
		atomic_fetch_add(&cc->refs, 1);
	cl->conn = cc;
}

/* HELLO: register the client incarnation; a new one of the same node
 * replaces the old (its handles and locks go). */
static int
hello(struct coord_conn *cc, const struct csv_msg *m)
{
	struct coord *co = cc->co;
	struct coord_client *cl, **p, *old = NULL;
	struct csv_msg rep = { .op = CSV_OP_HELLO, .flags = CSV_F_REPLY, .id = m->id };

	if (m->client == 0 || !(m->caps & CSV_CAP_REDIRECTED))
		return -EPROTO;
	if (coord_node_fenced(co, m->name)) {
		/* fenced: it gets nothing from the volume until readmitted */
		fprintf(stderr, "csv-coord %s: refused the client of fenced node %s\n", co->name,
			m->name);
		rep.status = -EACCES;
		send_reply(cc, &rep, false);
		return -EACCES;
	}
	pthread_mutex_lock(&co->lock);
	for (p = &co->clients; (cl = *p);) {
		if (cl->id != m->client && strcmp(cl->node, m->name) == 0) {
			*p = cl->next_client;
			cl->next_client = old;
			old = cl;
		} else {
			p = &cl->next_client;
		}
	}
	if (!client_find(co, m->client)) {
		cl = calloc(1, sizeof(*cl));
		if (!cl) {
			pthread_mutex_unlock(&co->lock);
			return -ENOMEM;
		}
		cl->id = m->client;
		snprintf(cl->node, sizeof(cl->node), "%s", m->name);
		cl->next_client = co->clients;
		co->clients = cl;
	}
	cl = client_find(co, m->client);
	cl->direct = co->direct && (m->caps & CSV_CAP_DIRECT);
	client_conn_set(cl, cc);
	pthread_mutex_unlock(&co->lock);
	while ((cl = old)) {
		unsigned i;

		old = cl->next_client;
		fprintf(stderr, "csv-coord %s: node %s has a new client; releasing the "
			"handles and locks of the old one\n", co->name, cl->node);
		coord_forget_client(co, cl->id);
		for (i = 0; i < COORD_CACHE; i++)
			free(cl->cache[i].frame);
		pthread_mutex_lock(&co->lock);
		client_conn_set(cl, NULL);
		pthread_mutex_unlock(&co->lock);
		free(cl);
	}
	coord_grace_hello(co, m->name, m->client);
	cc->client = m->client;
	snprintf(cc->node, sizeof(cc->node), "%s", m->name);
	rep.client = co->epoch;
	rep.caps = CSV_CAP_REDIRECTED | CSV_CAP_LOCKS | (m->caps & CSV_CAP_RECLAIM) |
		   (co->direct ? m->caps & CSV_CAP_DIRECT : 0);
	send_reply(cc, &rep, false);
	return 0;
}

static void *
reader(void *arg)
{
	struct coord_conn *cc = arg;
	struct coord_req *r;
	void *frame;
	size_t len;
	int rc;

	for (;;) {
		rc = csv_conn_recv(cc->c, &frame, &len, 0);
		if (rc < 0)
			break;
		r = calloc(1, sizeof(*r));
		if (!r) {
			free(frame);
			break;
		}
		r->conn = cc;
		r->frame = frame;
		rc = csv_decode(frame, len, &r->msg);
		if (rc == -CD_E_UNKNOWN_CMD && !(r->msg.flags & CSV_F_REPLY)) {
			struct csv_msg rep = { .op = r->msg.op, .flags = CSV_F_REPLY,
					       .id = r->msg.id, .status = -ENOSYS };

			send_reply(cc, &rep, false);
			free(frame);
			free(r);
			continue;
		}
		if (rc == -CD_E_PROTO_MALFORMED && cc->client != 0 &&
		    csv_hdr_peek(frame, len, &r->msg) == 0 &&
		    !(r->msg.flags & (CSV_F_REPLY | CSV_F_PUSH))) {
			/* a sound header around a bad payload: refuse that request */
			struct csv_msg rep = { .op = r->msg.op, .flags = CSV_F_REPLY,
					       .id = r->msg.id, .status = -EINVAL };

			fprintf(stderr, "csv-coord %s: client %s sent a malformed %s request\n",
				cc->co->name, csv_conn_peer(cc->c), csv_op_name(rep.op));
			send_reply(cc, &rep, false);
			free(frame);
			free(r);
			continue;
		}
		if (rc < 0 || (r->msg.flags & (CSV_F_REPLY | CSV_F_PUSH)) ||
		    (cc->client == 0 && r->msg.op != CSV_OP_HELLO)) {
			fprintf(stderr, "csv-coord %s: client %s sent a bad frame (%s); "
				"closing\n", cc->co->name, csv_conn_peer(cc->c), cd_strerror(rc));
			free(frame);
			free(r);
			break;
		}
		if (r->msg.op == CSV_OP_PING) {
			/* answered here, not by a worker: liveness despite slow I/O */
			struct csv_msg rep = { .op = CSV_OP_PING, .flags = CSV_F_REPLY,
					       .id = r->msg.id };

			send_reply(cc, &rep, false);
			free(frame);
			free(r);
			continue;
		}
		if (r->msg.op == CSV_OP_RETURN) {
			/* here, not by a worker: workers may be waiting for it */
			struct csv_msg rep = { .op = CSV_OP_RETURN, .flags = CSV_F_REPLY,
					       .id = r->msg.id };

			rep.status = coord_return(cc->co, cc->client, r->msg.owner);
			send_reply(cc, &rep, false);
			free(frame);
			free(r);
			continue;
		}
		if (r->msg.op == CSV_OP_HELLO) {
			rc = hello(cc, &r->msg);
			free(frame);
			free(r);
			if (rc < 0)
				break;
			continue;
		}
		if (coord_node_fenced(cc->co, cc->node)) {
			fprintf(stderr, "csv-coord %s: closing the connection of fenced node %s\n",
				cc->co->name, cc->node);
			free(frame);
			free(r);
			break;
		}
		dispatch(r);
	}
	csv_conn_shutdown(cc->c);
	if (cc->client) {
		struct coord_client *cl;

		pthread_mutex_lock(&cc->co->lock);
		cl = client_find(cc->co, cc->client);
		if (cl && cl->conn == cc)
			client_conn_set(cl, NULL);
		pthread_mutex_unlock(&cc->co->lock);
	}
	conn_put(cc);
	return NULL;
}

static void *
handshake(void *arg)
{
	struct coord_conn *cc = arg;
	cc->c = csv_conn_open(cc->fd, true, cc->co->key, NULL, COORD_HANDSHAKE_MS);
	if (!cc->c) {
		fprintf(stderr, "csv-coord %s: refused a connection: %s\n", cc->co->name,
			strerror(errno));
		free(cc);
		return NULL;
	}
	return reader(cc);
}

int
coord_serve(struct coord *co, volatile int *stop)
{
	struct pollfd p = { .fd = co->listenfd, .events = POLLIN };
	struct coord_conn *cc;
	pthread_t t;
	int i, fd;

	co->push = push;
	coord_req_start(co);
	for (i = 0; i < COORD_WORKERS; i++) {
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			return -EAGAIN;
		pthread_detach(t);
	}
	while (!*stop) {
		coord_tick(co);
		coord_lease_tick(co);
		if (poll(&p, 1, COORD_TICK_MS) <= 0)
			continue;
		fd = accept4(co->listenfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			return -errno;
		}
		cc = calloc(1, sizeof(*cc));
		if (!cc) {
			close(fd);
			continue;
		}
		cc->co = co;
		cc->fd = fd;
		atomic_init(&cc->refs, 1);
		if (pthread_create(&t, NULL, handshake, cc) != 0) {
			close(fd);
			free(cc);
			continue;
		}
		pthread_detach(t);
	}
	return 0;
}
