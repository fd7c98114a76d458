/*
 * coord-ns.c - the coordinator's namespace operations (CREATE, MKDIR,
 * MKNOD, SYMLINK, LINK, UNLINK, RMDIR, RENAME), each leaving the record of
 * lib/csv-reqrec.h (rules R1-R8, cited below) so that its retry on a new
 * coordinator, after a crash and journal replay, is answered as its first
 * attempt was; the records' pruning; the test-only crash points.
 *
 * Lock (co->ns_lock): recorded creations take it shared; recorded
 * removals and renames exclusive, so that what a removal checked (the
 * victim's type, an empty directory) and the node a rename tagged are
 * still what it renames. A removed file's blocks are freed after it.
 */
#include "coord.h"
#include "csv-reqrec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define PRUNE_MS	10000	/* the pruner's period */

static void
rq_name(char *buf, char prefix, uint64_t client, uint64_t id)
{
	(void)csv_rq_name(buf, CSV_RQ_NAME_LEN + 1, prefix, client, id);
}

/* What entry name of the request directory is (enum csv_rq_rec), or -errno. */
static int
rec_state(struct coord *co, const char *name)
{
	struct stat st;

	if (fstatat(co->reqfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? CSV_RQ_ABSENT : -errno;
	return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0) ? CSV_RQ_WHITEOUT :
	       CSV_RQ_NODE;
}

/* Remove entry name of dirfd, a directory (empty) or not. */
static int
rm_entry(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR)
		return -errno;
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

void
coord_crash(struct coord *co, int point, const struct csv_msg *q)
{
	const char *leaf = strrchr(q->path, '/');

	if (co->crash_point != point || q->op != co->crash_op || !leaf ||
	    strcmp(leaf + 1, co->crash_name) != 0)
		return;
	fprintf(stderr, "csv-coord %s: CSV_COORD_CRASH: killed %s executing %s %s (test only)\n",
		co->name, point == COORD_CRASH_BEFORE ? "before" :
		point == COORD_CRASH_MID ? "in the middle of" : "after", csv_op_name(q->op),
		q->path);
	raise(SIGKILL);
}

/* CSV_COORD_CRASH=POINT:OP:NAME (test only; coord.h). */
static void
crash_env(struct coord *co)
{
	static const char *const points[] = { NULL, "before", "mid", "after" };
	const char *env = getenv("CSV_COORD_CRASH"), *c1, *c2;
	char op[32];

	if (!env)
		return;
	c1 = strchr(env, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	for (int p = COORD_CRASH_BEFORE; c2 && p <= COORD_CRASH_AFTER; p++) {
		if (strncmp(env, points[p], (size_t)(c1 - env)) || strlen(points[p]) != (size_t)(c1 - env))
			continue;
		snprintf(op, sizeof(op), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		for (unsigned o = 1; o < CSV_OP_COUNT; o++) {
			if (!strcmp(csv_op_name(o), op)) {
				co->crash_point = p;
				co->crash_op = o;
				snprintf(co->crash_name, sizeof(co->crash_name), "%s", c2 + 1);
				fprintf(stderr, "csv-coord %s: CSV_COORD_CRASH=%s: will kill itself "
					"(test only)\n", co->name, env);
				return;
			}
		}
	}
	fprintf(stderr, "csv-coord %s: CSV_COORD_CRASH=%s not understood; ignored\n", co->name,
		env);
}

/* Can the volume hold records (RENAME_WHITEOUT, trusted xattrs)? 0 or -errno. */
static int
probe(struct coord *co)
{
	char a[CSV_RQ_NAME_LEN + 1], b[CSV_RQ_NAME_LEN + 1];
	unsigned char tag[CSV_RQ_TAG_LEN];
	int fd, rc = 0;

	rq_name(a, 'x', 0, 0);		/* client 0 is never a client's */
	rq_name(b, 'x', 0, 1);
	(void)rm_entry(co->reqfd, a);
	(void)rm_entry(co->reqfd, b);
	fd = openat(co->reqfd, a, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	csv_rq_tag(tag, 0, 0);
	if (fsetxattr(fd, CSV_RQ_XATTR, tag, sizeof(tag), 0) < 0 ||
	    renameat2(co->reqfd, a, co->reqfd, b, RENAME_WHITEOUT) < 0)
		rc = -errno;
	else if (rec_state(co, a) != CSV_RQ_WHITEOUT)
		rc = -ENOTSUP;
	close(fd);
	(void)rm_entry(co->reqfd, a);
	(void)rm_entry(co->reqfd, b);
	return rc;
}

int
coord_req_init(struct coord *co, uint64_t keep_ms)
{
	pthread_rwlockattr_t a;
	int fd, rc;

	pthread_rwlockattr_init(&a);
	/* a rename must not starve behind a stream of creations */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&co->ns_lock, &a);
	pthread_rwlockattr_destroy(&a);
	co->rq_on = false;
	co->rq_keep_ms = keep_ms;
	co->reqfd = -1;
	crash_env(co);
	if (mkdirat(co->resfd, CSV_RQ_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(co->resfd, CSV_RQ_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	co->reqfd = fd;
	rc = probe(co);
	if (rc == -EIO || rc == -EROFS)
		return rc;
	if (rc < 0) {
		/* R5: every operation as before, a retry's answer as it comes */
		fprintf(stderr, "csv-coord %s: no records of namespace operations (%s): a "
			"retry after a coordinator change may report EEXIST/ENOENT\n", co->name,
			strerror(-rc));
		return 0;
	}
	co->rq_on = true;
	coord_req_prune(co);
	return 0;
}

void
coord_req_prune(struct coord *co)
{
	struct timespec now;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if (co->reqfd < 0 || (fd = openat(co->reqfd, ".", O_RDONLY | O_DIRECTORY |
					  O_CLOEXEC)) < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	while ((e = readdir(d))) {
		int64_t age;

		if (fstatat(co->reqfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		age = (int64_t)(now.tv_sec - st.st_ctim.tv_sec) * 1000 +
		      (now.tv_nsec - st.st_ctim.tv_nsec) / 1000000;
		if (csv_rq_prune(e->d_name, age, co->rq_keep_ms))	/* R6 */
			(void)rm_entry(co->reqfd, e->d_name);
	}
	closedir(d);
}

static void *
pruner(void *arg)
{
	struct timespec ts = { PRUNE_MS / 1000, (PRUNE_MS % 1000) * 1000000L };

	for (;;) {
		nanosleep(&ts, NULL);
		coord_req_prune(arg);
	}
	return NULL;
}

void
coord_req_start(struct coord *co)
{
	pthread_t t;

	if (co->rq_on && pthread_create(&t, NULL, pruner, co) == 0)
		pthread_detach(t);
}

/* ---- creations (R1) ---- */

/*
 * Make q's node at dirfd/name: the file (its fd in *fd), directory, device,
 * symlink, or LINK's new link to q->path.
 */
static int
make_node(struct coord *co, const struct csv_msg *q, int dirfd, const char *name, int flags,
	  int *fd)
{
	const char *l1;
	int p1, rc = 0;

	switch (q->op) {
	case CSV_OP_CREATE:
		*fd = openat(dirfd, name, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, q->mode & 07777);
		return *fd < 0 ? -errno : 0;
	case CSV_OP_MKDIR:
		return mkdirat(dirfd, name, q->mode & 07777) < 0 ? -errno : 0;
	case CSV_OP_MKNOD:
		return mknodat(dirfd, name, q->mode, (dev_t)q->rdev) < 0 ? -errno : 0;
	case CSV_OP_SYMLINK:
		return symlinkat(q->path2, dirfd, name) < 0 ? -errno : 0;
	case CSV_OP_LINK:
		p1 = coord_parent_fd(co, q->path, &l1);
		if (p1 < 0)
			return p1;
		if (linkat(p1, l1, dirfd, name, 0) < 0)
			rc = -errno;
		close(p1);
		return rc;
	default:
		return -EINVAL;
	}
}

/* The new node's owner (every creation but LINK) as the client asked. */
static int
own_node(const struct csv_msg *q, int dirfd, const char *name, int fd)
{
	if (q->op == CSV_OP_LINK)
		return 0;
	if (fd >= 0)
		return fchown(fd, q->uid, q->gid) < 0 ? -errno : 0;
	return fchownat(dirfd, name, q->uid, q->gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

/* A creation without a record (R5), as before. */
static int
create_plain(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r,
	     int pfd, const char *leaf)
{
	int flags = (int)(q->oflags & COORD_OPEN_FLAGS), fd = -1, rc;
	bool trunc = coord_trunc_later(&flags);

	pthread_rwlock_rdlock(&co->ns_lock);
	rc = make_node(co, q, pfd, leaf, flags, &fd);
	pthread_rwlock_unlock(&co->ns_lock);
	if (rc < 0)
		return rc;
	/* O_TRUNC may wait for leases: not under ns_lock */
	if ((fd >= 0 && trunc && (rc = coord_open_trunc(co, fd)) < 0) ||
	    (rc = own_node(q, pfd, leaf, fd)) < 0 ||
	    (rc = fd >= 0 ? coord_stat_fd(fd, &r->attr) : coord_stat_at(pfd, leaf, &r->attr)) < 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (fd >= 0 && !(r->fh = coord_fh_add(co, fd, flags, client)))
		return -ENOMEM;
	return 0;
}

/* R4 "done" of a creation: its reply. */
static int
create_done(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r,
	    int pfd, const char *leaf)
{
	int flags = (int)(q->oflags & COORD_OPEN_FLAGS & ~(O_EXCL | O_TRUNC)), fd;
	unsigned char tag[CSV_RQ_TAG_LEN];
	ssize_t n;

	if (q->op != CSV_OP_CREATE) {
		(void)coord_stat_at(pfd, leaf, &r->attr);	/* the node may be gone since */
		return 0;
	}
	/* a handle on the file it created, on no other (R1, R4) */
	fd = openat(pfd, leaf, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	n = fgetxattr(fd, CSV_RQ_XATTR, tag, sizeof(tag));
	if (n < 0 || !csv_rq_tag_is(tag, (size_t)n, client, q->id) ||
	    coord_stat_fd(fd, &r->attr) < 0) {
		close(fd);
		return -ESTALE;
	}
	r->fh = coord_fh_add(co, fd, flags, client);
	return r->fh ? 0 : -ENOMEM;
}

/* R1: make the node at its RECORD (owner, tag, setgid dir), fd for CREATE. */
static int
make_recorded(struct coord *co, const struct csv_msg *q, uint64_t client, const char *rec,
	      int pfd, int flags, int *fd)
{
	unsigned char tag[CSV_RQ_TAG_LEN];
	struct stat parent, st;
	int rc = make_node(co, q, co->reqfd, rec, flags | O_EXCL, fd);

	if (rc < 0)
		return rc;
	rc = own_node(q, co->reqfd, rec, *fd);
	if (rc == 0 && q->op == CSV_OP_CREATE) {
		csv_rq_tag(tag, client, q->id);
		if (fsetxattr(*fd, CSV_RQ_XATTR, tag, sizeof(tag), 0) < 0)
			rc = -errno;
	}
	/* made in place it would have inherited its parent's setgid bit */
	if (rc == 0 && q->op == CSV_OP_MKDIR && fstat(pfd, &parent) == 0 &&
	    (parent.st_mode & S_ISGID) && fstatat(co->reqfd, rec, &st, 0) == 0 &&
	    fchmodat(co->reqfd, rec, (st.st_mode & 07777) | S_ISGID, 0) < 0)
		rc = -errno;
	if (rc < 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		(void)rm_entry(co->reqfd, rec);
	}
	return rc;
}

static int
create_recorded(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r,
		int pfd, const char *leaf)
{
	int flags = (int)(q->oflags & COORD_OPEN_FLAGS & ~O_TRUNC), fd = -1, rc, st;
	char rec[CSV_RQ_NAME_LEN + 1];
	enum csv_rq_act act = CSV_RQ_EXEC;
	bool resolved = false;
	struct stat sb;

	rq_name(rec, 'r', client, q->id);
	for (bool check = q->flags & CSV_F_RETRY;; check = true) {
		if (check) {		/* R4 */
			if ((st = rec_state(co, rec)) < 0)
				return st;
			act = csv_rq_decide(CSV_RQ_CREATE, (enum csv_rq_rec)st, false);
			resolved = true;
		}
		if (act == CSV_RQ_DONE)
			return create_done(co, client, q, r, pfd, leaf);
		if (act == CSV_RQ_DISCARD_EXEC && (rc = rm_entry(co->reqfd, rec)) < 0 &&
		    rc != -ENOENT)
			return rc;
		if (fstatat(pfd, leaf, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			return -EEXIST;		/* R1: before anything is made */
		if (errno != ENOENT)
			return -errno;
		rc = make_recorded(co, q, client, rec, pfd, flags, &fd);
		if (rc != -EEXIST || resolved)
			break;
		/* its RECORD is taken (a retry without CSV_F_RETRY): R4 */
	}
	if (rc < 0)
		return rc;
	coord_crash(co, COORD_CRASH_MID, q);
	/* the name and the "done" whiteout in one rename (R1) */
	if (renameat2(co->reqfd, rec, pfd, leaf, RENAME_NOREPLACE | RENAME_WHITEOUT) < 0) {
		rc = -errno;
		(void)rm_entry(co->reqfd, rec);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (fd < 0) {
		(void)coord_stat_at(pfd, leaf, &r->attr);	/* done, whatever stat says */
		return 0;
	}
	if ((rc = coord_stat_fd(fd, &r->attr)) < 0) {
		close(fd);
		return rc;
	}
	r->fh = coord_fh_add(co, fd, flags, client);
	return r->fh ? 0 : -ENOMEM;
}

int
coord_ns_create(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r)
{
	const char *place = q->op == CSV_OP_LINK ? q->path2 : q->path, *leaf;
	int pfd, rc;

	pfd = coord_parent_fd(co, place, &leaf);
	if (pfd < 0)
		return pfd;
	if (!co->rq_on || csv_rq_kind(q->op, q->oflags, q->id) == CSV_RQ_PLAIN) {
		rc = create_plain(co, client, q, r, pfd, leaf);
	} else {
		pthread_rwlock_rdlock(&co->ns_lock);
		rc = create_recorded(co, client, q, r, pfd, leaf);
		pthread_rwlock_unlock(&co->ns_lock);
	}
	close(pfd);
	return rc;
}

/* ---- removals (R2) ---- */

/* Is directory dirfd/name empty? 0, -ENOTEMPTY or -errno. */
static int
dir_empty(int dirfd, const char *name)
{
	struct dirent *e;
	int fd, rc = 0;
	DIR *d;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			rc = -ENOTEMPTY;
			break;
		}
	}
	closedir(d);
	return rc;
}

/*
 * R2's end: RECORD (the victim) becomes a whiteout, the victim moves on to
 * "x-CLIENT-ID". @return true when the victim is there, for remove_victim
 */
static bool
remove_finish(struct coord *co, const char *rec)
{
	char victim[CSV_RQ_NAME_LEN + 1];

	memcpy(victim, rec, sizeof(victim));
	victim[0] = 'x';
	if (renameat2(co->reqfd, rec, co->reqfd, victim, RENAME_WHITEOUT) < 0) {
		/* the victim stays the record until pruned (R6) */
		fprintf(stderr, "csv-coord %s: %s: %s; kept until pruned\n", co->name, rec,
			strerror(errno));
		return false;
	}
	return true;
}

/* Delete R2's victim, after ns_lock (a large file's blocks take time). */
static void
remove_victim(struct coord *co, uint64_t client, uint64_t id)
{
	char victim[CSV_RQ_NAME_LEN + 1];
	int rc;

	rq_name(victim, 'x', client, id);
	if ((rc = rm_entry(co->reqfd, victim)) < 0 && rc != -ENOENT)
		fprintf(stderr, "csv-coord %s: %s: %s; deleted when pruned\n", co->name, victim,
			strerror(-rc));
}

static int
remove_recorded(struct coord *co, uint64_t client, const struct csv_msg *q, int pfd,
		const char *leaf, bool *victim)
{
	char rec[CSV_RQ_NAME_LEN + 1];
	enum csv_rq_act act = CSV_RQ_EXEC;
	bool resolved = false;
	struct stat sb;
	int st, rc;

	rq_name(rec, 'r', client, q->id);
	for (bool check = q->flags & CSV_F_RETRY;; check = true) {
		if (check) {		/* R4 */
			if ((st = rec_state(co, rec)) < 0)
				return st;
			act = csv_rq_decide(CSV_RQ_REMOVE, (enum csv_rq_rec)st, false);
			resolved = true;
		}
		if (act == CSV_RQ_DONE)
			return 0;
		if (act == CSV_RQ_FINISH) {
			*victim = remove_finish(co, rec);
			return 0;
		}
		/* the errors unlinkat would give, before anything moves */
		if (fstatat(pfd, leaf, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (q->op == CSV_OP_UNLINK && S_ISDIR(sb.st_mode))
			return -EISDIR;
		if (q->op == CSV_OP_RMDIR && !S_ISDIR(sb.st_mode))
			return -ENOTDIR;
		if (q->op == CSV_OP_RMDIR && (rc = dir_empty(pfd, leaf)) < 0)
			return rc;
		/* the name goes and the record comes in one rename (R2) */
		if (renameat2(pfd, leaf, co->reqfd, rec, RENAME_NOREPLACE) == 0)
			break;
		if (errno != EEXIST || resolved)
			return -errno;
		/* its RECORD is taken (a retry without CSV_F_RETRY): R4 */
	}
	coord_crash(co, COORD_CRASH_MID, q);
	*victim = remove_finish(co, rec);
	return 0;
}

int
coord_ns_remove(struct coord *co, uint64_t client, const struct csv_msg *q)
{
	const char *leaf;
	bool victim = false;
	int pfd, rc;

	pfd = coord_parent_fd(co, q->path, &leaf);
	if (pfd < 0)
		return pfd;
	if (!co->rq_on || csv_rq_kind(q->op, q->oflags, q->id) == CSV_RQ_PLAIN) {
		/* the kernel checks and removes in one step: no lock needed */
		rc = unlinkat(pfd, leaf, q->op == CSV_OP_RMDIR ? AT_REMOVEDIR : 0) < 0 ? -errno : 0;
	} else {
		pthread_rwlock_wrlock(&co->ns_lock);
		rc = remove_recorded(co, client, q, pfd, leaf, &victim);
		pthread_rwlock_unlock(&co->ns_lock);
		if (victim)
			remove_victim(co, client, q->id);
	}
	close(pfd);
	return rc;
}

/* ---- renames (R3) ---- */

/* Does the node at dirfd/name carry the request's TAG? */
static bool
tagged(int dirfd, const char *name, uint64_t client, uint64_t id)
{
	unsigned char tag[CSV_RQ_TAG_LEN];
	char proc[64];
	ssize_t n;
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return false;
	coord_proc_path(proc, sizeof(proc), fd);
	n = getxattr(proc, CSV_RQ_XATTR, tag, sizeof(tag));
	close(fd);
	return n > 0 && csv_rq_tag_is(tag, (size_t)n, client, id);
}

/* R3: tag the node at dirfd/name (a missing node: the rename says ENOENT). */
static void
tag(struct coord *co, int dirfd, const char *name, uint64_t client, uint64_t id)
{
	static bool logged;
	unsigned char t[CSV_RQ_TAG_LEN];
	char proc[64];
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	coord_proc_path(proc, sizeof(proc), fd);
	csv_rq_tag(t, client, id);
	if (setxattr(proc, CSV_RQ_XATTR, t, sizeof(t), 0) < 0 && !logged) {
		logged = true;		/* renamed untagged: its retry may say ENOENT */
		fprintf(stderr, "csv-coord %s: tagging a rename's source: %s\n", co->name,
			strerror(errno));
	}
	close(fd);
}

int
coord_ns_two(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r)
{
	const char *l1, *l2;
	int p1, p2, rc = 0;
	bool rec;

	if (q->op == CSV_OP_LINK)
		return coord_ns_create(co, client, q, r);	/* a creation (R1) */
	p1 = coord_parent_fd(co, q->path, &l1);
	if (p1 < 0)
		return p1;
	p2 = coord_parent_fd(co, q->path2, &l2);
	if (p2 < 0) {
		close(p1);
		return p2;
	}
	rec = co->rq_on && csv_rq_kind(q->op, q->oflags, q->id) == CSV_RQ_RENAME;
	pthread_rwlock_wrlock(&co->ns_lock);
	if (rec && (q->flags & CSV_F_RETRY) &&
	    csv_rq_decide(CSV_RQ_RENAME, CSV_RQ_ABSENT, tagged(p2, l2, client, q->id)) ==
	    CSV_RQ_DONE)
		goto out;			/* R4 */
	if (rec)
		tag(co, p1, l1, client, q->id);
	coord_crash(co, COORD_CRASH_MID, q);
	if (renameat2(p1, l1, p2, l2, q->oflags) < 0)
		rc = -errno;
out:
	pthread_rwlock_unlock(&co->ns_lock);
	close(p1);
	close(p2);
	return rc;
}
