/*
 * coord-grace.c - locks across a coordinator change (see coord.h and
 * lib/csv-grace.h): the lock record on the volume, the grace period, and
 * the fenced nodes clusterd reports.
 */
#include "coord.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD		"locks"
#define RECORD_TMP	"locks.tmp"
#define RECORD_MAGIC	"csv-locks 1"

static bool
lost(int rc)
{
	return rc == -EIO || rc == -EROFS;
}

/* ---- the lock record ---- */

/*
 * Write the record: the clients that hold locks, and while in grace the
 * expected clients still reclaiming. Temporary file, fsync, rename, fsync
 * of the directory: after a crash the old record or the new one is there.
 */
static int
record_write(struct coord *co)
{
	struct coord_client *cl;
	FILE *f;
	int fd, rc = 0;

	if (co->resfd < 0)
		return 0;
	pthread_mutex_lock(&co->record_lock);
	fd = openat(co->resfd, RECORD_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fprintf(f, RECORD_MAGIC "\n");
	pthread_mutex_lock(&co->lock);
	for (cl = co->clients; cl; cl = cl->next_client)
		if (cl->locker)
			fprintf(f, "%016llx %s\n", (unsigned long long)cl->id, cl->node);
	for (size_t i = 0; co->grace.active && i < co->grace.n; i++)
		if (!co->grace.c[i].done)
			fprintf(f, "%016llx %s\n", (unsigned long long)co->grace.c[i].id,
				co->grace.c[i].node);
	pthread_mutex_unlock(&co->lock);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(co->resfd, RECORD_TMP, co->resfd, RECORD) < 0)
		rc = -errno;
	if (rc == 0 && fsync(co->resfd) < 0)
		rc = -errno;
out:
	pthread_mutex_unlock(&co->record_lock);
	if (rc < 0)
		fprintf(stderr, "csv-coord %s: writing the lock record: %s\n", co->name,
			strerror(-rc));
	return rc;
}

/*
 * Read the record into exp (at most CSV_GRACE_MAX). @return the number of
 * clients, 0 without a record, -EBADMSG for one that cannot be read.
 */
static int
record_read(struct coord *co, struct csv_grace_client *exp)
{
	char line[CSV_NAME_MAX + 64];
	unsigned long long id;
	char node[CSV_NAME_MAX + 1];
	int fd, n = 0;
	FILE *f;

	fd = openat(co->resfd, RECORD, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -EBADMSG;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -EBADMSG;
	}
	if (!fgets(line, sizeof(line), f) || strcmp(line, RECORD_MAGIC "\n")) {
		fclose(f);
		return -EBADMSG;
	}
	while (n < CSV_GRACE_MAX && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%16llx %255s", &id, node) != 2 || !id) {
			fclose(f);
			return -EBADMSG;
		}
		exp[n] = (struct csv_grace_client){ .id = id };
		snprintf(exp[n].node, sizeof(exp[n].node), "%s", node);
		n++;
	}
	fclose(f);
	return n;
}

/* ---- fenced nodes ---- */

/* Release everything of node's clients (co->lock not held). */
static void
release_node(struct coord *co, const char *node)
{
	struct coord_client *cl, **p, *gone = NULL;

	pthread_mutex_lock(&co->lock);
	for (p = &co->clients; (cl = *p);) {
		if (!strcmp(cl->node, node)) {
			*p = cl->next_client;
			cl->next_client = gone;
			gone = cl;
		} else {
			p = &cl->next_client;
		}
	}
	pthread_mutex_unlock(&co->lock);
	while ((cl = gone)) {
		gone = cl->next_client;
		fprintf(stderr, "csv-coord %s: node %s is fenced: releasing the handles and "
			"locks of its client %016llx\n", co->name, node, (unsigned long long)cl->id);
		coord_forget_client(co, cl->id);
		for (unsigned i = 0; i < COORD_CACHE; i++)
			free(cl->cache[i].frame);
		free(cl);
	}
}

/*
 * Read the fenced file when it changed. Nodes that appear in it are
 * released and end their part of the grace. @return true when the grace
 * ended because of it.
 */
static bool
fenced_poll(struct coord *co, bool force)
{
	char names[COORD_MAX_FENCED][CSV_NAME_MAX + 1], line[CSV_NAME_MAX + 8];
	size_t n = 0;
	struct stat st;
	bool ended = false;
	FILE *f;

	if (!co->fenced_file)
		return false;
	if (stat(co->fenced_file, &st) < 0)
		memset(&st, 0, sizeof(st));	/* no file: nobody fenced */
	if (!force && st.st_mtim.tv_sec == co->fenced_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == co->fenced_mtime.tv_nsec)
		return false;
	co->fenced_mtime = st.st_mtim;
	f = st.st_mtim.tv_sec || st.st_mtim.tv_nsec ? fopen(co->fenced_file, "r") : NULL;
	while (f && n < COORD_MAX_FENCED && fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0])
			snprintf(names[n++], sizeof(names[0]), "%s", line);
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i++) {
		bool known = false;

		pthread_mutex_lock(&co->lock);
		for (size_t k = 0; k < co->nfenced && !known; k++)
			known = !strcmp(co->fenced[k], names[i]);
		pthread_mutex_unlock(&co->lock);
		if (known)
			continue;
		fprintf(stderr, "csv-coord %s: node %s is fenced\n", co->name, names[i]);
		release_node(co, names[i]);
		pthread_mutex_lock(&co->lock);
		ended |= csv_grace_fenced(&co->grace, cd_now_mono_ms(), names[i]);
		pthread_mutex_unlock(&co->lock);
	}
	pthread_mutex_lock(&co->lock);
	for (size_t k = 0; k < co->nfenced; k++) {
		bool still = false;

		for (size_t i = 0; i < n && !still; i++)
			still = !strcmp(co->fenced[k], names[i]);
		if (!still)
			fprintf(stderr, "csv-coord %s: node %s is no longer fenced (readmitted)\n",
				co->name, co->fenced[k]);
	}
	memcpy(co->fenced, names, n * sizeof(names[0]));
	co->nfenced = n;
	pthread_mutex_unlock(&co->lock);
	return ended;
}

bool
coord_node_fenced(struct coord *co, const char *node)
{
	bool yes = false;

	pthread_mutex_lock(&co->lock);
	for (size_t k = 0; k < co->nfenced && !yes; k++)
		yes = !strcmp(co->fenced[k], node);
	pthread_mutex_unlock(&co->lock);
	return yes;
}

/* ---- the grace ---- */

/* Wake the requests waiting for the grace to end. */
static void
wake(struct coord *co)
{
	pthread_mutex_lock(&co->lock);
	pthread_cond_broadcast(&co->grace_cond);
	pthread_mutex_unlock(&co->lock);
}

int
coord_grace_init(struct coord *co)
{
	static struct csv_grace_client exp[CSV_GRACE_MAX];
	const char *fenced[COORD_MAX_FENCED + 1];
	pthread_condattr_t ca;
	int n, fd;

	pthread_mutex_init(&co->record_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&co->grace_cond, &ca);
	pthread_condattr_destroy(&ca);
	co->resfd = -1;
	if (mkdirat(co->mntfd, COORD_RESERVED, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(co->mntfd, COORD_RESERVED, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	co->resfd = fd;
	(void)fenced_poll(co, true);
	for (size_t k = 0; k < co->nfenced; k++)
		fenced[k] = co->fenced[k];
	fenced[co->nfenced] = NULL;
	n = record_read(co, exp);
	if (n < 0) {
		/* unknown holders: nobody can reclaim, the bound ends it */
		fprintf(stderr, "csv-coord %s: the lock record cannot be read; lock grace for "
			"its whole bound\n", co->name);
		exp[0] = (struct csv_grace_client){ .id = UINT64_MAX, .node = "?" };
		n = 1;
	}
	co->grace_on = csv_grace_start(&co->grace, cd_now_mono_ms(), co->grace_ms, exp,
				       (size_t)n, fenced);
	if (co->grace_on)
		fprintf(stderr, "csv-coord %s: lock grace period: %zu client(s) of the previous "
			"coordinator may reclaim their locks (at most %llu ms)\n", co->name,
			co->grace.n, (unsigned long long)co->grace_ms);
	else if (n > 0)
		fprintf(stderr, "csv-coord %s: no lock to reclaim (the lock holders' nodes are "
			"fenced)\n", co->name);
	return 0;
}

static enum csv_grace_kind
kind_of(const struct csv_msg *q)
{
	if (q->op == CSV_OP_LOCK && q->oflags == CSV_LK_RECLAIM)
		return CSV_GK_RECLAIM;
	if (q->op == CSV_OP_FLOCK && (q->oflags & CSV_FL_RECLAIM))
		return CSV_GK_RECLAIM;
	return q->type == CSV_LK_UN && !(q->op == CSV_OP_LOCK && q->oflags == CSV_LK_GET) ?
	       CSV_GK_RELEASE : CSV_GK_TAKE;
}

bool
coord_lock_may_wait(struct coord *co, const struct csv_msg *q)
{
	bool wait;

	if (q->op != CSV_OP_LOCK && q->op != CSV_OP_FLOCK)
		return false;
	pthread_mutex_lock(&co->lock);
	wait = co->grace.active && kind_of(q) == CSV_GK_TAKE;
	pthread_mutex_unlock(&co->lock);
	return wait;
}

int
coord_lock_gate(struct coord *co, uint64_t client, const struct csv_msg *q)
{
	enum csv_grace_kind kind = kind_of(q);
	enum csv_grace_verdict v;
	struct coord_client *cl;
	bool record = false;
	int rc;

	pthread_mutex_lock(&co->lock);
	while ((v = csv_grace_admit(&co->grace, cd_now_mono_ms(), kind, client)) == CSV_GV_WAIT) {
		struct timespec ts = { (time_t)(co->grace.end_ms / 1000),
				       (long)(co->grace.end_ms % 1000) * 1000000L };

		pthread_cond_timedwait(&co->grace_cond, &co->lock, &ts);
	}
	if (v == CSV_GV_REFUSE) {
		pthread_mutex_unlock(&co->lock);
		fprintf(stderr, "csv-coord %s: refused a lock reclaim of client %016llx (%s)\n",
			co->name, (unsigned long long)client,
			co->grace.active ? "not a holder under the previous coordinator" :
			"the grace period is over");
		return -ENOLCK;
	}
	/* the write-ahead: recorded before its first lock is granted */
	if (kind == CSV_GK_TAKE && !(q->op == CSV_OP_LOCK && q->oflags == CSV_LK_GET)) {
		for (cl = co->clients; cl && cl->id != client; cl = cl->next_client)
			;
		if (cl && !cl->locker) {
			cl->locker = true;
			record = true;
		}
	}
	pthread_mutex_unlock(&co->lock);
	if (!record)
		return 0;
	rc = record_write(co);
	if (rc < 0) {
		pthread_mutex_lock(&co->lock);
		for (cl = co->clients; cl && cl->id != client; cl = cl->next_client)
			;
		if (cl)
			cl->locker = false;	/* not recorded: no lock for it */
		pthread_mutex_unlock(&co->lock);
	}
	return lost(rc) ? rc : rc < 0 ? -ENOLCK : 0;
}

void
coord_lock_granted(struct coord *co, uint64_t client)
{
	struct coord_client *cl;

	pthread_mutex_lock(&co->lock);
	for (cl = co->clients; cl && cl->id != client; cl = cl->next_client)
		;
	if (cl)
		cl->locker = true;	/* a reclaimer: in the record already */
	pthread_mutex_unlock(&co->lock);
}

int
coord_reclaim_done(struct coord *co, uint64_t client)
{
	bool ended;

	pthread_mutex_lock(&co->lock);
	ended = csv_grace_done(&co->grace, cd_now_mono_ms(), client);
	pthread_mutex_unlock(&co->lock);
	if (ended)
		wake(co);
	return 0;
}

void
coord_grace_hello(struct coord *co, const char *node, uint64_t client)
{
	bool ended;

	pthread_mutex_lock(&co->lock);
	ended = csv_grace_hello(&co->grace, cd_now_mono_ms(), node, client);
	pthread_mutex_unlock(&co->lock);
	if (ended)
		wake(co);
}

void
coord_tick(struct coord *co)
{
	uint64_t now = cd_now_mono_ms();
	bool over;
	int rc;

	if (fenced_poll(co, false))
		wake(co);
	pthread_mutex_lock(&co->lock);
	if (csv_grace_tick(&co->grace, now))
		pthread_cond_broadcast(&co->grace_cond);
	over = co->grace_on && !co->grace.active;
	if (over)
		co->grace_on = false;
	pthread_mutex_unlock(&co->lock);
	if (!over)
		return;
	/* announced here once, whichever request or rule ended it */
	fprintf(stderr, "csv-coord %s: lock grace period over (%s); locks are granted again\n",
		co->name, now >= co->grace.end_ms ? "its bound passed" :
		"every lock holder reclaimed, was replaced or fenced");
	rc = record_write(co);
	if (lost(rc)) {
		fprintf(stderr, "csv-coord %s: the LUN is lost (fenced or unreachable); "
			"exiting\n", co->name);
		_exit(COORD_EXIT_LOST);
	}
}
