/*
 * client-ops.c - the CSV client's FUSE operations (see client.h): each one
 * is a request to the coordinator through cl_call.
 */
#define FUSE_USE_VERSION 35
#include "client.h"
#include "client-direct.h"
#include "client-wb.h"
#include "csv-lockset.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* An open file: the coordinator's handle and the epoch it belongs to. */
/*
 * A write the coordinator acknowledged but has not yet made durable (no
 * FSYNC since). Kept until an FSYNC succeeds, and written again on a new
 * coordinator before the handle is used there: a coordinator that dies
 * takes its page cache with it (NFS's unstable writes and verifier).
 */
struct unsynced {
	uint64_t seq;
	uint64_t off;
	uint32_t len;
	struct unsynced *next;
	char data[];
};

/* Unsynced data per handle before the client syncs by itself. */
#define CL_UNSYNCED_MAX		(64u << 20)
/* Lock owners remembered per handle (see cl_release). */
#define CL_HANDLE_OWNERS	8

struct cl_handle {
	pthread_mutex_t lock;	/* everything below */
	uint64_t fh;
	uint64_t epoch;
	uint32_t flags;
	struct unsynced *unsynced, **tail;
	size_t unsynced_bytes;
	uint64_t seq;
	uint64_t owners[CL_HANDLE_OWNERS];	/* lock owners that locked here */
	unsigned n_owners;
	bool wb;		/* writes go behind (client-wb.h): not O_DIRECT/O_SYNC/O_DSYNC */
	struct cl_dlease *dl;	/* direct I/O (client-direct.h); NULL: redirected only */
	int wb_err;		/* a write behind failed: for the next fsync/flush */

	/* under reg.lock: the registry, for the lock reclaim */
	struct cl_handle *next;
	char *path;		/* as opened, renamed along (cl_rename) */
	uint64_t ino;
	uint32_t flock;		/* CSV_LK_RD/WR held, CSV_LK_UN none */
	uint64_t flock_owner;
};

/* The POSIX/OFD locks one owner holds on one file (by inode number). */
struct owner_locks {
	uint64_t ino, owner;
	struct csv_lockset set;
	struct owner_locks *next;
};

/*
 * Every open handle and every lock held, to reclaim them on a new
 * coordinator (client.h). Lock order: reg.lock before a handle's lock.
 */
static struct {
	pthread_mutex_t lock;
	struct cl_handle *handles;
	struct owner_locks *locks;
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* One request/reply pair with its storage (struct csv_msg holds paths). */
struct call {
	struct csv_msg q, r;
	void *frame;
	bool moved;
	void (*sent)(void *arg);	/* cl_call_ex's; NULL: none */
	void *sent_arg;
};

static struct call *
call_new(unsigned op, const char *path)
{
	struct call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->q.op = (uint16_t)op;
	if (path && strlen(path) <= CSV_PATH_MAX)
		strcpy(c->q.path, path);
	return c;
}

static int
call_run(struct call *c)
{
	if (c->q.path[0] == '\0' && c->q.op != CSV_OP_STATFS && !c->q.fh &&
	    c->q.op != CSV_OP_PING && c->q.op != CSV_OP_RECLAIM_DONE)
		return -ENAMETOOLONG;
	return cl_call_ex(&c->q, &c->r, &c->frame, &c->moved, c->sent, c->sent_arg);
}

static void
call_free(struct call *c)
{
	if (c) {
		free(c->frame);
		free(c);
	}
}

static void
to_stat(const struct csv_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = a->ino;
	st->st_size = (off_t)a->size;
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_rdev = a->rdev;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_blksize = (blksize_t)a->blksize;
	st->st_atim = (struct timespec){ a->atime.sec, a->atime.nsec };
	st->st_mtim = (struct timespec){ a->mtime.sec, a->mtime.nsec };
	st->st_ctim = (struct timespec){ a->ctime.sec, a->ctime.nsec };
}

/* Run a request on path with nothing but a status to return. */
#define SIMPLE(op, path, setup)						\
	do {								\
		struct call *c = call_new(op, path);			\
		int rc;							\
									\
		if (!c)							\
			return -ENOMEM;					\
		setup;							\
		rc = call_run(c);					\
		call_free(c);						\
		return rc;						\
	} while (0)

/* ---- handles ---- */

static struct cl_handle *
H(struct fuse_file_info *fi)
{
	return fi ? (struct cl_handle *)(uintptr_t)fi->fh : NULL;
}

static void drain_for(struct cl_handle *h);

/* Write h's unsynced data again through its new handle (h->lock held). */
static int
replay(struct cl_handle *h)
{
	struct unsynced *u;
	struct call *c;
	int rc = 0;

	for (u = h->unsynced; u && rc == 0; u = u->next) {
		c = call_new(CSV_OP_WRITE, NULL);
		if (!c)
			return -ENOMEM;
		c->q.fh = h->fh;
		c->q.off = u->off;
		c->q.data = u->data;
		c->q.datalen = u->len;
		rc = call_run(c);
		if (rc == 0 && c->r.len != u->len)
			rc = -EIO;
		call_free(c);
	}
	if (h->unsynced)
		fprintf(stderr, "csv-client: wrote %zu unsynced bytes again on the new "
			"coordinator: %s\n", h->unsynced_bytes, rc ? strerror(-rc) : "ok");
	return rc;
}

/* Remember an acknowledged write until an FSYNC makes it durable. */
static int
remember(struct cl_handle *h, uint64_t off, const void *data, uint32_t len)
{
	struct unsynced *u = malloc(sizeof(*u) + len);

	if (!u)
		return -ENOMEM;
	u->off = off;
	u->len = len;
	u->next = NULL;
	memcpy(u->data, data, len);
	pthread_mutex_lock(&h->lock);
	u->seq = ++h->seq;
	*h->tail = u;
	h->tail = &u->next;
	h->unsynced_bytes += len;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* An FSYNC that started after write seq upto succeeded: forget those. */
static void
forget_synced(struct cl_handle *h, uint64_t upto)
{
	struct unsynced *u;

	pthread_mutex_lock(&h->lock);
	while ((u = h->unsynced) && u->seq <= upto) {
		h->unsynced = u->next;
		h->unsynced_bytes -= u->len;
		free(u);
	}
	if (!h->unsynced)
		h->tail = &h->unsynced;
	pthread_mutex_unlock(&h->lock);
}

/*
 * The coordinator handle of h, reopened by path when it belongs to an
 * earlier coordinator. @return the handle, or 0 with *err set
 */
static uint64_t
handle_fh(const char *path, struct cl_handle *h, int *err)
{
	struct call *c;
	uint64_t fh;

	pthread_mutex_lock(&h->lock);
	if (h->epoch == cl_epoch() || !path) {
		fh = h->fh;
		pthread_mutex_unlock(&h->lock);
		return fh;
	}
	c = call_new(CSV_OP_OPEN, path);
	if (!c) {
		pthread_mutex_unlock(&h->lock);
		*err = -ENOMEM;
		return 0;
	}
	c->q.oflags = h->flags & ~(uint32_t)(O_TRUNC | O_CREAT | O_EXCL);
	*err = call_run(c);
	if (*err == 0) {
		h->fh = c->r.fh;
		h->epoch = cl_epoch();
		*err = replay(h);
	}
	fh = *err == 0 ? h->fh : 0;
	pthread_mutex_unlock(&h->lock);
	call_free(c);
	return fh;
}

/* Run c on handle h: reopen first if needed, and once more on EBADF. */
static int
on_handle(const char *path, struct cl_handle *h, struct call *c)
{
	int rc = 0, tries;

	for (tries = 0; tries < 2; tries++) {
		c->q.fh = handle_fh(path, h, &rc);
		if (!c->q.fh)
			return rc ? rc : -EBADF;
		free(c->frame);
		c->frame = NULL;
		rc = call_run(c);
		if (rc != -EBADF || !c->moved)
			break;
	}
	return rc;
}

/*
 * C7 (lib/csv-dlease.h): the coordinator did not see h's direct writes;
 * set the file's mtime (and ctime) to now there when it is due. Never
 * fails the application's call: a failure is logged once and the update
 * is made at the next occasion.
 */
static void
direct_times(const char *path, struct cl_handle *h, bool force)
{
	static bool logged;
	struct call *c = NULL;
	uint64_t fh;
	int rc = 0;

	if (!h || !h->dl || !cl_direct_times_due(h->dl, force))
		return;
	fh = handle_fh(path, h, &rc);
	if (fh)
		c = call_new(CSV_OP_UTIMENS, path);
	if (c) {
		c->q.fh = fh;
		c->q.atime = (struct csv_time){ 0, CSV_UTIME_OMIT };
		c->q.mtime = (struct csv_time){ 0, CSV_UTIME_NOW };
		rc = call_run(c);
		call_free(c);
	} else if (fh) {
		rc = -ENOMEM;
	} else if (!rc) {
		rc = -EBADF;
	}
	if (rc < 0) {
		cl_direct_times_failed(h->dl);
		if (!logged)
			fprintf(stderr, "csv-client: the modification time of a file written "
				"directly could not be set: %s; tried again later\n", strerror(-rc));
		logged = true;
	}
}

/*
 * An fsync of h (c: its FSYNC): SYNCHRONIZE CACHE for its direct writes,
 * then the coordinator's FSYNC; when the first fails, the unsynced writes
 * (direct ones included) go through the coordinator again first
 * (client-direct.h). On success the writes before it are forgotten.
 */
static int
fsync_all(const char *path, struct cl_handle *h, struct call *c)
{
	uint64_t upto;
	int rc, err = 0;

	pthread_mutex_lock(&h->lock);
	upto = h->seq;
	pthread_mutex_unlock(&h->lock);
	direct_times(path, h, true);	/* C7: made stable by the FSYNC too */
	if (cl_direct_fsync(h->dl) < 0) {
		if (!handle_fh(path, h, &err))
			return err ? err : -EIO;
		pthread_mutex_lock(&h->lock);
		rc = replay(h);
		pthread_mutex_unlock(&h->lock);
		if (rc < 0)
			return rc;
	}
	rc = on_handle(path, h, c);
	if (rc == 0)
		forget_synced(h, upto);
	return rc;
}

/* ---- the lock registry and the reclaim (client.h) ---- */

/* Remember owner's lock change on h's file (never fails the application:
 * without memory the lock is only not reclaimed, and that is logged). */
static void
remember_lock(struct cl_handle *h, uint64_t owner, uint64_t off, uint64_t len, uint32_t type)
{
	struct owner_locks *o, **p;

	pthread_mutex_lock(&reg.lock);
	for (p = &reg.locks; (o = *p) && !(o->ino == h->ino && o->owner == owner); p = &o->next)
		;
	if (!o && type != CSV_LK_UN && (o = calloc(1, sizeof(*o)))) {
		o->ino = h->ino;
		o->owner = owner;
		o->next = reg.locks;
		reg.locks = o;
		p = &reg.locks;
	}
	if (o && csv_lockset_set(&o->set, off, len, type) < 0)
		fprintf(stderr, "csv-client: cannot remember a lock on inode %llu: it would "
			"not be reclaimed on a new coordinator\n", (unsigned long long)h->ino);
	if (o && o->set.n == 0) {
		*p = o->next;
		csv_lockset_clear(&o->set);
		free(o);
	}
	pthread_mutex_unlock(&reg.lock);
}

static void
remember_flock(struct cl_handle *h, uint64_t owner, uint32_t type)
{
	pthread_mutex_lock(&reg.lock);
	h->flock = type;
	h->flock_owner = owner;
	pthread_mutex_unlock(&reg.lock);
}

/* Drop h from the registry; with its file's last handle go its locks (the
 * coordinator drops them with the last handle too, coord.h). */
static void
unregister(struct cl_handle *h)
{
	struct cl_handle **hp, *o;
	struct owner_locks **lp, *l;
	bool other = false;

	pthread_mutex_lock(&reg.lock);
	for (hp = &reg.handles; *hp && *hp != h; hp = &(*hp)->next)
		;
	if (*hp)
		*hp = h->next;
	for (o = reg.handles; o && !other; o = o->next)
		other = o->ino == h->ino;
	for (lp = &reg.locks; !other && (l = *lp);) {
		if (l->ino == h->ino) {
			*lp = l->next;
			csv_lockset_clear(&l->set);
			free(l);
		} else {
			lp = &l->next;
		}
	}
	pthread_mutex_unlock(&reg.lock);
}

/* A rename on this node: open handles follow their file. */
static void
renamed(const char *from, const char *to)
{
	size_t n = strlen(from);
	struct cl_handle *h;

	pthread_mutex_lock(&reg.lock);
	for (h = reg.handles; h; h = h->next) {
		char *p;

		if (strncmp(h->path, from, n) || (h->path[n] && h->path[n] != '/'))
			continue;
		if (asprintf(&p, "%s%s", to, h->path + n) < 0)
			continue;
		free(h->path);
		h->path = p;
	}
	pthread_mutex_unlock(&reg.lock);
}

static uint64_t handle_fh(const char *path, struct cl_handle *h, int *err);

/* One reclaim request on h's new coordinator handle. @return 0 or -errno */
static int
reclaim_one(struct cl_handle *h, unsigned op, uint64_t owner, const struct csv_lkrange *r,
	    uint32_t type)
{
	struct call *c = call_new(op, NULL);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.fh = h->fh;
	c->q.owner = owner;
	c->q.type = type;
	if (op == CSV_OP_LOCK) {
		c->q.oflags = CSV_LK_RECLAIM;
		c->q.off = r->start;
		c->q.len = r->end == CSV_LKS_EOF ? 0 : r->end - r->start;
	} else {
		c->q.oflags = CSV_FL_RECLAIM;
	}
	rc = call_run(c);
	call_free(c);
	return rc;
}

/*
 * On a new coordinator (epoch): reopen every handle that carries locks,
 * reclaim them, say RECLAIM_DONE. Stops when the coordinator changes again
 * meanwhile: that one's reclaim thread does the work.
 */
static void
reclaim(uint64_t epoch)
{
	unsigned held = 0, lost = 0;
	struct owner_locks *l;
	struct cl_handle *h;
	struct call *c;
	int rc;

	pthread_mutex_lock(&reg.lock);
	for (h = reg.handles; h && cl_epoch() == epoch; h = h->next) {
		bool needed = h->flock != CSV_LK_UN;

		for (l = reg.locks; l && !needed; l = l->next)
			needed = l->ino == h->ino;
		if (needed && !handle_fh(h->path, h, &rc))
			fprintf(stderr, "csv-client: reopening %s on the new coordinator: %s\n",
				h->path, strerror(-rc));
	}
	for (l = reg.locks; l && cl_epoch() == epoch; l = l->next) {
		for (h = reg.handles; h && !(h->ino == l->ino && h->epoch == epoch); h = h->next)
			;
		for (size_t i = 0; i < l->set.n; i++) {
			rc = h ? reclaim_one(h, CSV_OP_LOCK, l->owner, &l->set.r[i],
					     l->set.r[i].type) : -EBADF;
			if (rc == 0) {
				held++;
				continue;
			}
			lost++;
			fprintf(stderr, "csv-client: LOST a %s lock on %s [%llu, +%llu) of owner "
				"%016llx: the new coordinator refused its reclaim: %s\n",
				l->set.r[i].type == CSV_LK_WR ? "write" : "read",
				h ? h->path : "(no open handle)",
				(unsigned long long)l->set.r[i].start,
				(unsigned long long)(l->set.r[i].end - l->set.r[i].start),
				(unsigned long long)l->owner, strerror(-rc));
		}
	}
	for (h = reg.handles; h && cl_epoch() == epoch; h = h->next) {
		if (h->flock == CSV_LK_UN)
			continue;
		rc = h->epoch == epoch ? reclaim_one(h, CSV_OP_FLOCK, h->flock_owner, NULL,
						     h->flock) : -EBADF;
		if (rc == 0) {
			held++;
		} else {
			lost++;
			fprintf(stderr, "csv-client: LOST the flock on %s: the new coordinator "
				"refused its reclaim: %s\n", h->path, strerror(-rc));
		}
	}
	if (cl_epoch() == epoch && (c = call_new(CSV_OP_RECLAIM_DONE, NULL))) {
		rc = call_run(c);
		call_free(c);
		if (rc < 0)
			fprintf(stderr, "csv-client: RECLAIM_DONE: %s\n", strerror(-rc));
	}
	pthread_mutex_unlock(&reg.lock);
	if (held || lost)
		fprintf(stderr, "csv-client: locks on the new coordinator: %u reclaimed, %u lost\n",
			held, lost);
}

/* ---- metadata ---- */

/*
 * The coordinator handle of a file open here under path on the current
 * coordinator (0: none), and its inode. The kernel's fstat(2) asks
 * getattr without the open file, and libfuse names the file by the path it
 * knows here, which is stale when another node renamed the file: such a
 * getattr must go by the handle, not by the old name (the quick
 * migration's stream follower fstats the state file that the saving node
 * renames when it is complete).
 */
static uint64_t
open_fh(const char *path, uint64_t *ino)
{
	uint64_t fh = 0, epoch = cl_epoch();
	struct cl_handle *h;

	pthread_mutex_lock(&reg.lock);
	for (h = reg.handles; h && !fh; h = h->next) {
		if (strcmp(h->path, path) != 0)
			continue;
		pthread_mutex_lock(&h->lock);
		if (h->epoch == epoch) {
			fh = h->fh;
			*ino = h->ino;
		}
		pthread_mutex_unlock(&h->lock);
	}
	pthread_mutex_unlock(&reg.lock);
	return fh;
}

static int
cl_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct call *c = call_new(CSV_OP_GETATTR, path);
	uint64_t ino = 0;
	int rc;

	if (!c)
		return -ENOMEM;
	if (!H(fi) && path && (c->q.fh = open_fh(path, &ino))) {
		cl_wb_drain_ino(ino);
		rc = call_run(c);
		if (rc == 0)
			to_stat(&c->r.attr, st);
		if (rc != -EBADF) {	/* EBADF: closed meanwhile; by path */
			call_free(c);
			return rc;
		}
		free(c->frame);
		c->frame = NULL;
		c->q.fh = 0;
	}
	drain_for(H(fi));
	rc = H(fi) ? on_handle(path, H(fi), c) : call_run(c);
	if (rc == 0)
		to_stat(&c->r.attr, st);
	call_free(c);
	return rc;
}

static int
cl_readlink(const char *path, char *buf, size_t size)
{
	struct call *c = call_new(CSV_OP_READLINK, path);
	int rc;

	if (!c)
		return -ENOMEM;
	rc = call_run(c);
	if (rc == 0 && size > 0) {
		strncpy(buf, c->r.path, size - 1);
		buf[size - 1] = '\0';
	}
	call_free(c);
	return rc;
}

/*
 * Creations. A retry on a new coordinator is resolved there from the
 * operation's record on the volume (lib/csv-reqrec.h R4, R7): its EEXIST
 * is real.
 */
static int
make(unsigned op, const char *path, mode_t mode, dev_t rdev, const char *target)
{
	struct fuse_context *ctx = fuse_get_context();
	struct call *c = call_new(op, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.mode = mode;
	c->q.rdev = rdev;
	c->q.uid = ctx->uid;
	c->q.gid = ctx->gid;
	if (target)
		snprintf(c->q.path2, sizeof(c->q.path2), "%s", target);
	rc = call_run(c);
	call_free(c);
	return rc;
}

static int
cl_mknod(const char *path, mode_t mode, dev_t rdev)
{
	return make(CSV_OP_MKNOD, path, mode, rdev, NULL);
}

static int
cl_mkdir(const char *path, mode_t mode)
{
	return make(CSV_OP_MKDIR, path, mode, 0, NULL);
}

static int
cl_symlink(const char *target, const char *path)
{
	return make(CSV_OP_SYMLINK, path, 0, 0, target);
}

/* Removals: a retry's ENOENT is real, as a creation's EEXIST (make). */
static int
removal(unsigned op, const char *path)
{
	struct call *c = call_new(op, path);
	int rc;

	if (!c)
		return -ENOMEM;
	rc = call_run(c);
	call_free(c);
	return rc;
}

static int
cl_unlink(const char *path)
{
	return removal(CSV_OP_UNLINK, path);
}

static int
cl_rmdir(const char *path)
{
	return removal(CSV_OP_RMDIR, path);
}

static int
cl_rename(const char *from, const char *to, unsigned int flags)
{
	struct call *c = call_new(CSV_OP_RENAME, from);
	int rc;

	if (!c)
		return -ENOMEM;
	snprintf(c->q.path2, sizeof(c->q.path2), "%s", to);
	c->q.oflags = flags;
	cl_wb_drain_all();	/* a file shows up under its new name with its data */
	rc = call_run(c);	/* a retry's ENOENT is real (make) */
	call_free(c);
	if (rc == 0)
		renamed(from, to);
	return rc;
}

static int
cl_link(const char *from, const char *to)
{
	struct call *c = call_new(CSV_OP_LINK, from);
	int rc;

	if (!c)
		return -ENOMEM;
	snprintf(c->q.path2, sizeof(c->q.path2), "%s", to);
	cl_wb_drain_all();
	rc = call_run(c);	/* a retry's EEXIST is real (make) */
	call_free(c);
	return rc;
}

static int
cl_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	drain_for(H(fi));
	SIMPLE(CSV_OP_CHMOD, path, c->q.mode = mode);
}

static int
cl_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	drain_for(H(fi));
	SIMPLE(CSV_OP_CHOWN, path, (c->q.uid = uid, c->q.gid = gid));
}

static int
cl_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct call *c = call_new(CSV_OP_TRUNCATE, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.off = (uint64_t)size;
	drain_for(H(fi));
	rc = H(fi) ? on_handle(path, H(fi), c) : call_run(c);
	call_free(c);
	return rc;
}

static struct csv_time
ts_to(const struct timespec *t)
{
	if (t->tv_nsec == UTIME_NOW)
		return (struct csv_time){ 0, CSV_UTIME_NOW };
	if (t->tv_nsec == UTIME_OMIT)
		return (struct csv_time){ 0, CSV_UTIME_OMIT };
	return (struct csv_time){ t->tv_sec, (uint32_t)t->tv_nsec };
}

static int
cl_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	drain_for(H(fi));
	SIMPLE(CSV_OP_UTIMENS, path, (c->q.atime = ts_to(&tv[0]), c->q.mtime = ts_to(&tv[1])));
}

static int
cl_access(const char *path, int mask)
{
	SIMPLE(CSV_OP_ACCESS, path, c->q.mode = (uint32_t)mask);
}

static int
cl_statfs(const char *path, struct statvfs *sv)
{
	struct call *c = call_new(CSV_OP_STATFS, NULL);
	int rc;

	if (!c)
		return -ENOMEM;
	rc = call_run(c);
	if (rc == 0) {
		memset(sv, 0, sizeof(*sv));
		sv->f_bsize = c->r.statfs.bsize;
		sv->f_frsize = c->r.statfs.frsize;
		sv->f_blocks = c->r.statfs.blocks;
		sv->f_bfree = c->r.statfs.bfree;
		sv->f_bavail = c->r.statfs.bavail;
		sv->f_files = c->r.statfs.files;
		sv->f_ffree = c->r.statfs.ffree;
		sv->f_favail = c->r.statfs.ffree;
		sv->f_namemax = c->r.statfs.namemax;
	}
	call_free(c);
	return rc;
}

/* ---- xattrs ---- */

static int
cl_setxattr(const char *path, const char *name, const char *value, size_t size, int flags)
{
	if (strlen(name) > CSV_NAME_MAX)
		return -ERANGE;
	if (size > CSV_MAX_DATA)
		return -E2BIG;
	SIMPLE(CSV_OP_SETXATTR, path, (strcpy(c->q.name, name), c->q.data = value,
				       c->q.datalen = (uint32_t)size, c->q.oflags = (uint32_t)flags));
}

static int
xattr_get(unsigned op, const char *path, const char *name, char *value, size_t size)
{
	struct call *c = call_new(op, path);
	int rc;

	if (!c)
		return -ENOMEM;
	if (name) {
		if (strlen(name) > CSV_NAME_MAX) {
			call_free(c);
			return -ERANGE;
		}
		strcpy(c->q.name, name);
	}
	c->q.len = size;
	rc = call_run(c);
	if (rc == 0) {
		if (size && c->r.datalen && c->r.datalen <= size)
			memcpy(value, c->r.data, c->r.datalen);
		rc = (int)c->r.len;
	}
	call_free(c);
	return rc;
}

static int
cl_getxattr(const char *path, const char *name, char *value, size_t size)
{
	return xattr_get(CSV_OP_GETXATTR, path, name, value, size);
}

static int
cl_listxattr(const char *path, char *list, size_t size)
{
	return xattr_get(CSV_OP_LISTXATTR, path, NULL, list, size);
}

static int
cl_removexattr(const char *path, const char *name)
{
	if (strlen(name) > CSV_NAME_MAX)
		return -ERANGE;
	SIMPLE(CSV_OP_REMOVEXATTR, path, strcpy(c->q.name, name));
}

/* ---- files ---- */

static int
opened(const struct call *c, struct fuse_file_info *fi, uint32_t flags, const char *path)
{
	struct cl_handle *h = calloc(1, sizeof(*h));

	if (!h || !(h->path = strdup(path))) {
		free(h);
		return -ENOMEM;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->ino = c->r.attr.ino;
	h->flock = CSV_LK_UN;
	h->fh = c->r.fh;
	h->epoch = cl_epoch();
	h->flags = flags;
	h->wb = !(flags & (O_DIRECT | O_SYNC | O_DSYNC));
	if (S_ISREG(c->r.attr.mode))
		h->dl = cl_direct_new(flags);
	h->tail = &h->unsynced;
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;	/* no page cache: other nodes write too */
	pthread_mutex_lock(&reg.lock);
	h->next = reg.handles;
	reg.handles = h;
	pthread_mutex_unlock(&reg.lock);
	return 0;
}

static int
cl_open(const char *path, struct fuse_file_info *fi)
{
	struct call *c = call_new(CSV_OP_OPEN, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.oflags = (uint32_t)fi->flags;
	cl_wb_drain_all();	/* O_TRUNC after writes still behind */
	rc = call_run(c);
	if (rc == 0)
		rc = opened(c, fi, (uint32_t)fi->flags, path);
	call_free(c);
	return rc;
}

static int
cl_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_context *ctx = fuse_get_context();
	struct call *c = call_new(CSV_OP_CREATE, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.oflags = (uint32_t)fi->flags;
	c->q.mode = mode;
	c->q.uid = ctx->uid;
	c->q.gid = ctx->gid;
	cl_wb_drain_all();	/* O_TRUNC after writes still behind */
	/* a retry's EEXIST is real: the coordinator answers a create its
	 * first attempt made with a handle on that file (make) */
	rc = call_run(c);
	if (rc == 0)
		rc = opened(c, fi, (uint32_t)fi->flags, path);
	call_free(c);
	return rc;
}

/* client-direct.h's access to a handle's coordinator handle */
struct dl_arg {
	const char *path;
	struct cl_handle *h;
};

static uint64_t
dl_fh(void *arg, int *err)
{
	struct dl_arg *a = arg;

	return handle_fh(a->path, a->h, err);
}

static int
cl_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct call *c;
	int rc;

	drain_for(H(fi));
	if (H(fi) && H(fi)->dl) {
		struct dl_arg a = { path, H(fi) };
		struct cl_direct_ops ops = { dl_fh, &a };

		rc = cl_direct_read(H(fi)->dl, &ops, buf, size, (uint64_t)off);
		if (rc != -EAGAIN)
			return rc;
	}
	c = call_new(CSV_OP_READ, path);
	if (!c)
		return -ENOMEM;
	c->q.off = (uint64_t)off;
	c->q.len = size > CSV_MAX_DATA ? CSV_MAX_DATA : size;
	rc = on_handle(path, H(fi), c);
	if (rc == 0) {
		if (c->r.datalen)
			memcpy(buf, c->r.data, c->r.datalen);
		rc = (int)c->r.datalen;
	}
	call_free(c);
	return rc;
}

/* Bound h's unsynced copy (remember): past CL_UNSYNCED_MAX, make it durable. */
static int
bound_unsynced(const char *path, struct cl_handle *h)
{
	struct call *s;
	size_t n;
	int rc;

	pthread_mutex_lock(&h->lock);
	n = h->unsynced_bytes;
	pthread_mutex_unlock(&h->lock);
	if (n <= CL_UNSYNCED_MAX)
		return 0;
	cl_wb_drain_handle(h);
	s = call_new(CSV_OP_FSYNC, path);
	rc = s ? fsync_all(path, h, s) : -ENOMEM;
	call_free(s);
	return rc;
}

static void
wb_sent(void *arg)
{
	cl_wb_sent(arg);
}

/* One WRITE on h, the acknowledged bytes remembered (unsynced); for a
 * write behind (j), cl_wb_sent once it is on the wire. */
static int
write_now(const char *path, struct cl_handle *h, const char *buf, uint32_t len, uint64_t off,
	  struct cl_wb_job *j)
{
	struct call *c = call_new(CSV_OP_WRITE, path);
	int rc;

	if (!c)
		return -ENOMEM;
	if (j) {
		c->sent = wb_sent;
		c->sent_arg = j;
	}
	c->q.off = off;
	c->q.data = buf;
	c->q.datalen = len;
	rc = on_handle(path, h, c);
	if (rc == 0 && c->r.len > 0)
		rc = remember(h, c->q.off, buf, (uint32_t)c->r.len);
	if (rc == 0)
		rc = (int)c->r.len;
	call_free(c);
	return rc;
}

/* client-wb.h's run: a write behind, sent now. */
static int
wb_run(struct cl_wb_job *j)
{
	int rc = write_now(j->path[0] ? j->path : NULL, j->h, j->data, j->len, j->off, j);

	/* a short write: the coordinator's pwrite stopped (ENOSPC, EFBIG) */
	return rc >= 0 && (uint32_t)rc != j->len ? -ENOSPC : rc;
}

/* client-wb.h's done: a failed write is reported on the next fsync or
 * close of every handle open on its file (as a writeback error is). */
static void
wb_done(struct cl_wb_job *j, int rc)
{
	struct cl_handle *h = j->h, *o;

	if (rc >= 0)
		return;
	fprintf(stderr, "csv-client: a write behind to %s [%llu, +%u) failed: %s\n", j->path,
		(unsigned long long)j->off, j->len, strerror(-rc));
	pthread_mutex_lock(&reg.lock);
	for (o = reg.handles; o; o = o->next) {
		if (o == h || o->ino == j->ino) {
			pthread_mutex_lock(&o->lock);
			o->wb_err = rc;
			pthread_mutex_unlock(&o->lock);
		}
	}
	pthread_mutex_unlock(&reg.lock);
}

/* The error of a write behind on h, reported once. */
static int
wb_take_err(struct cl_handle *h)
{
	int rc;

	pthread_mutex_lock(&h->lock);
	rc = h->wb_err;
	h->wb_err = 0;
	pthread_mutex_unlock(&h->lock);
	return rc;
}

/* O_DIRECT/O_SYNC writes in flight, and the most seen at once: logged
 * when it first reaches 2, 4, 8, 16... (parallel direct writes, see
 * client-fuse.h; the kernel lets one file's overwrites run side by side) */
static atomic_uint sync_writes, sync_writes_peak;

static void
sync_write_enter(void)
{
	unsigned n = atomic_fetch_add(&sync_writes, 1) + 1;
	unsigned peak = atomic_load(&sync_writes_peak);

	while (n > peak) {
		if (atomic_compare_exchange_weak(&sync_writes_peak, &peak, n)) {
			if (n >= 2 && (n & (n - 1)) == 0)
				fprintf(stderr, "csv-client: %u O_DIRECT/O_SYNC writes in flight "
					"at once\n", n);
			break;
		}
	}
}

static int
sync_write(const char *path, struct cl_handle *h, const char *buf, uint32_t len, off_t off)
{
	cl_wb_drain_ino(h->ino);
	if (h->dl) {
		struct dl_arg a = { path, h };
		struct cl_direct_ops ops = { dl_fh, &a };
		/* on the LUN: remembered until an fsync made it stable */
		int rc = cl_direct_write(h->dl, &ops, buf, len, (uint64_t)off);

		if (rc >= 0) {
			int r2 = remember(h, (uint64_t)off, buf, (uint32_t)rc);

			direct_times(path, h, false);
			return r2 < 0 ? r2 : rc;
		}
		if (rc != -EAGAIN)
			return rc;
	}
	return write_now(path, h, buf, len, (uint64_t)off, NULL);
}

static int
cl_write(const char *path, const char *buf, size_t size, off_t off,
	 struct fuse_file_info *fi)
{
	struct cl_handle *h = H(fi);
	uint32_t len = (uint32_t)(size > CSV_MAX_DATA ? CSV_MAX_DATA : size);
	int rc;

	rc = bound_unsynced(path, h);
	if (rc < 0)
		return rc;
	if (!h->wb) {
		/* O_DIRECT: on the coordinator, for every node, when write(2)
		 * returns (as on a disk; shared-disk leases rely on it);
		 * O_SYNC/O_DSYNC: durable when acknowledged. So sent now. */
		sync_write_enter();
		rc = sync_write(path, h, buf, len, off);
		atomic_fetch_sub(&sync_writes, 1);
		return rc;
	}
	rc = cl_wb_submit(h, h->ino, path, (uint64_t)off, buf, len);
	return rc < 0 ? rc : (int)len;
}

/* Writes behind that an operation on h's file (or, without a handle, on
 * any file) must see done first (client-wb.h). */
static void
drain_for(struct cl_handle *h)
{
	if (h)
		cl_wb_drain_ino(h->ino);
	else
		cl_wb_drain_all();
}

/*
 * Byte-range locks of an open file that closes. The kernel drops OFD locks
 * (owner: the open file) on the last close by itself and tells a FUSE
 * filesystem nothing but RELEASE, whose lock_owner it fills only for
 * flock; POSIX locks go on FLUSH (libfuse unlocks the closer's owner). So
 * the owners that locked through this handle are unlocked here, on the
 * coordinator, before the RELEASE: else an OFD lock outlives its file
 * there, and QEMU, which moves its image locks to a new fd and closes the
 * old one when a block node's permissions change (activation after a
 * migration), conflicts with its own leftovers ("Failed to get "write"
 * lock"). A POSIX owner's locks are gone already (FLUSH); one it took again
 * through another handle between this handle's FLUSH and RELEASE would go
 * too (the same as POSIX's "any close drops them all").
 */
static void
unlock_owners(const char *path, struct cl_handle *h)
{
	for (unsigned i = 0; i < h->n_owners; i++) {
		struct call *c = call_new(CSV_OP_LOCK, path);

		if (!c)
			return;
		c->q.fh = h->fh;
		c->q.owner = h->owners[i];
		c->q.oflags = CSV_LK_SET;
		c->q.type = CSV_LK_UN;
		c->q.off = 0;
		c->q.len = 0;	/* to the end */
		(void)call_run(c);
		call_free(c);
	}
	h->n_owners = 0;
}

/*
 * close(): what this handle wrote and did not fsync is made durable before
 * close returns, as an NFS client commits on close. A file written and
 * closed then survives a coordinator crash (its replay buffer goes with
 * the handle at release, so without this it would not); an error here is
 * close()'s error. Handles that wrote nothing since their last fsync cost
 * nothing. The file's writes behind are done first (client-wb.h: close-to-
 * open across nodes), and one that failed is close()'s error.
 */
static int
cl_flush(const char *path, struct fuse_file_info *fi)
{
	struct cl_handle *h = H(fi);
	struct call *c;
	bool dirty;
	int rc;

	if (!h)
		return 0;
	cl_wb_drain_ino(h->ino);
	rc = wb_take_err(h);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&h->lock);
	dirty = h->unsynced != NULL;
	pthread_mutex_unlock(&h->lock);
	if (!dirty)
		return 0;
	c = call_new(CSV_OP_FSYNC, path);
	if (!c)
		return -ENOMEM;
	c->q.mode = 0;	/* a new file's entry and size too, not only its data */
	rc = fsync_all(path, h, c);
	call_free(c);
	return rc;
}

static int
cl_release(const char *path, struct fuse_file_info *fi)
{
	struct cl_handle *h = H(fi);
	struct call *c;

	cl_wb_drain_handle(h);
	direct_times(path, h, true);	/* C7 */
	cl_direct_free(h->dl);	/* the lease goes back first */
	h->dl = NULL;
	/* the owners' locks end here (unlock_owners): forgotten before sent */
	for (unsigned i = 0; i < h->n_owners; i++)
		remember_lock(h, h->owners[i], 0, 0, CSV_LK_UN);
	/* a handle of an earlier coordinator died with it: nothing to release */
	if (h->epoch == cl_epoch())
		unlock_owners(path, h);
	c = call_new(CSV_OP_RELEASE, path);
	if (c && h->epoch == cl_epoch()) {
		c->q.fh = h->fh;
		(void)call_run(c);
	}
	call_free(c);
	unregister(h);
	forget_synced(h, UINT64_MAX);
	pthread_mutex_destroy(&h->lock);
	free(h->path);
	free(h);
	return 0;
}

static int
cl_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct call *c = call_new(CSV_OP_FSYNC, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.mode = datasync ? 1 : 0;
	cl_wb_drain_ino(H(fi)->ino);
	rc = fsync_all(path, H(fi), c);
	call_free(c);
	/* a write behind that failed fails the fsync that covers it */
	if (rc == 0)
		rc = wb_take_err(H(fi));
	return rc;
}

static int
cl_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	struct call *c = call_new(CSV_OP_FALLOCATE, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.mode = (uint32_t)mode;
	c->q.off = (uint64_t)off;
	c->q.len = (uint64_t)len;
	drain_for(H(fi));
	rc = on_handle(path, H(fi), c);
	call_free(c);
	return rc;
}

static off_t
cl_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
	struct call *c = call_new(CSV_OP_LSEEK, path);
	off_t rc;

	if (!c)
		return -ENOMEM;
	c->q.off = (uint64_t)off;
	c->q.mode = (uint32_t)whence;
	drain_for(H(fi));
	rc = on_handle(path, H(fi), c);
	if (rc == 0)
		rc = (off_t)c->r.off;
	call_free(c);
	return rc;
}

/* Note a lock owner that holds locks through h (for cl_release); when h
 * has too many, the oldest is forgotten (its locks then last until the
 * client's last handle on the file closes, the coordinator's rule). */
static void
remember_owner(struct cl_handle *h, uint64_t owner)
{
	unsigned i;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->n_owners && h->owners[i] != owner; i++)
		;
	if (i == h->n_owners) {
		if (h->n_owners == CL_HANDLE_OWNERS) {
			memmove(h->owners, h->owners + 1, sizeof(h->owners) - sizeof(h->owners[0]));
			h->n_owners--;
		}
		h->owners[h->n_owners++] = owner;
	}
	pthread_mutex_unlock(&h->lock);
}

static int
cl_lock(const char *path, struct fuse_file_info *fi, int cmd, struct flock *fl)
{
	struct call *c = call_new(CSV_OP_LOCK, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.owner = fi->lock_owner;
	c->q.oflags = cmd == F_GETLK ? CSV_LK_GET : cmd == F_SETLKW ? CSV_LK_SETW : CSV_LK_SET;
	c->q.type = fl->l_type == F_RDLCK ? CSV_LK_RD : fl->l_type == F_WRLCK ? CSV_LK_WR :
		    CSV_LK_UN;
	c->q.off = (uint64_t)fl->l_start;
	c->q.len = (uint64_t)fl->l_len;
	c->q.pid = (uint32_t)fl->l_pid;
	/* a release is forgotten before it is sent, a lock once granted */
	if (cmd != F_GETLK && c->q.type == CSV_LK_UN)
		remember_lock(H(fi), c->q.owner, c->q.off, c->q.len, CSV_LK_UN);
	/* what was written under a lock is on the coordinator before another
	 * node can take it (and a lock taken sees the writes before it) */
	cl_wb_drain_all();
	rc = on_handle(path, H(fi), c);
	if (rc == 0 && cmd != F_GETLK && c->q.type != CSV_LK_UN) {
		remember_lock(H(fi), c->q.owner, c->q.off, c->q.len, c->q.type);
		remember_owner(H(fi), fi->lock_owner);
		/*
		 * The coordinator holds the lock; libfuse's high-level API
		 * would also note it in a table of its own (from *fl, after
		 * this returns) and answer later F_GETLKs from that table
		 * first. That table forgets an owner's locks only on an unlock
		 * or a FLUSH of that owner, never for OFD locks (owner: the
		 * open file, which FLUSH does not name), so a closed file's
		 * OFD locks would conflict there for ever. Recorded as an
		 * unlock, the table stays empty and every conflict is the
		 * coordinator's answer (which sees every node's owners).
		 */
		fl->l_type = F_UNLCK;
	}
	if (rc == 0 && cmd == F_GETLK) {
		fl->l_type = c->r.type == CSV_LK_RD ? F_RDLCK : c->r.type == CSV_LK_WR ?
			     F_WRLCK : F_UNLCK;
		fl->l_start = (off_t)c->r.off;
		fl->l_len = (off_t)c->r.len;
		fl->l_pid = (pid_t)c->r.pid;
	}
	call_free(c);
	return rc;
}

static int
cl_flock(const char *path, struct fuse_file_info *fi, int op)
{
	struct call *c = call_new(CSV_OP_FLOCK, path);
	int rc;

	if (!c)
		return -ENOMEM;
	c->q.owner = fi->lock_owner;
	c->q.type = (op & LOCK_SH) ? CSV_LK_RD : (op & LOCK_EX) ? CSV_LK_WR : CSV_LK_UN;
	c->q.oflags = (op & LOCK_NB) ? 0 : CSV_FL_WAIT;
	if (c->q.type == CSV_LK_UN)
		remember_flock(H(fi), c->q.owner, CSV_LK_UN);
	cl_wb_drain_all();
	rc = on_handle(path, H(fi), c);
	if (rc == 0 && c->q.type != CSV_LK_UN)
		remember_flock(H(fi), c->q.owner, c->q.type);
	call_free(c);
	return rc;
}

/* ---- directories ---- */

static int
cl_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
	   struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct csv_dirent d;
	struct stat st;
	uint64_t cookie = (uint64_t)off;
	size_t pos;
	int rc, got;

	for (;;) {
		struct call *c = call_new(CSV_OP_READDIR, path);

		if (!c)
			return -ENOMEM;
		c->q.off = cookie;
		c->q.len = 64 * 1024;
		rc = call_run(c);
		if (rc < 0) {
			call_free(c);
			return rc;
		}
		pos = 0;
		got = 0;
		while ((rc = csv_dirent_next(c->r.data, c->r.datalen, &pos, &d)) == 1) {
			got++;
			memset(&st, 0, sizeof(st));
			st.st_ino = d.ino;
			st.st_mode = (mode_t)d.type << 12;
			cookie = d.next;
			if (fill(buf, d.name, &st, (off_t)d.next, 0)) {
				call_free(c);
				return 0;
			}
		}
		call_free(c);
		if (rc < 0)
			return -EIO;
		if (!got)
			return 0;
	}
}

static void *
cl_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	int rc;

	cl_on_new_coordinator(reclaim);
	rc = cl_wb_init(wb_run, wb_done);
	if (rc < 0) {
		fprintf(stderr, "csv-client: cannot start the write-behind threads: %s\n",
			strerror(-rc));
		exit(1);
	}
	/* 1 MiB requests: one frame each (the kernel's default is 128 KiB) */
	conn->max_write = CSV_MAX_DATA;
	cfg->use_ino = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->hard_remove = 0;	/* open-unlinked files keep a path to reopen by */
	cl_conn_start();	/* connected before the first request needs it */
	return NULL;
}

const struct fuse_operations cl_ops = {
	.init = cl_init,
	.getattr = cl_getattr,
	.readlink = cl_readlink,
	.mknod = cl_mknod,
	.mkdir = cl_mkdir,
	.unlink = cl_unlink,
	.rmdir = cl_rmdir,
	.symlink = cl_symlink,
	.rename = cl_rename,
	.link = cl_link,
	.chmod = cl_chmod,
	.chown = cl_chown,
	.truncate = cl_truncate,
	.utimens = cl_utimens,
	.access = cl_access,
	.statfs = cl_statfs,
	.setxattr = cl_setxattr,
	.getxattr = cl_getxattr,
	.listxattr = cl_listxattr,
	.removexattr = cl_removexattr,
	.open = cl_open,
	.create = cl_create,
	.read = cl_read,
	.write = cl_write,
	.flush = cl_flush,
	.release = cl_release,
	.fsync = cl_fsync,
	.fallocate = cl_fallocate,
	.lseek = cl_lseek,
	.lock = cl_lock,
	.flock = cl_flock,
	.readdir = cl_readdir,
};
