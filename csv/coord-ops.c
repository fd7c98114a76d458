/*
 * coord-ops.c - the coordinator's operations on its private mount (see
 * coord.h): every path is resolved beneath the mount's fd without symlinks.
 */
#include "coord.h"
#include "csv-reqrec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#define RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)
#define OPEN_FLAGS COORD_OPEN_FLAGS

int
coord_path_ok(const char *path)
{
	const char *p = path, *slash;
	size_t n;

	if (path[0] != '/')
		return -EINVAL;
	if (path[1] == '\0')
		return 0;
	n = strlen(COORD_RESERVED);
	if (!strncmp(path + 1, COORD_RESERVED, n) && (path[n + 1] == '/' || !path[n + 1]))
		return -EPERM;		/* the coordinator's own directory */
	while (*p == '/') {
		p++;
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		p += n;
	}
	return 0;
}

int
coord_open_beneath(struct coord *co, const char *rel, int flags, mode_t mode)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC, .mode = mode,
				.resolve = RESOLVE };
	long fd = syscall(SYS_openat2, co->mntfd, *rel ? rel : ".", &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* The node at path itself (a trailing symlink included), as an O_PATH fd. */
int
coord_node_fd(struct coord *co, const char *path)
{
	int rc = coord_path_ok(path);

	return rc < 0 ? rc : coord_open_beneath(co, path + 1, O_PATH | O_NOFOLLOW, 0);
}

/* The parent directory of path as an O_PATH fd; its last component in leaf. */
int
coord_parent_fd(struct coord *co, const char *path, const char **leaf)
{
	char dir[CSV_PATH_MAX + 1];
	const char *slash;
	int rc = coord_path_ok(path);

	if (rc < 0)
		return rc;
	if (path[1] == '\0')
		return -EBUSY;		/* the root has no parent here */
	slash = strrchr(path, '/');
	memcpy(dir, path + 1, (size_t)(slash - path));
	dir[slash - path > 0 ? slash - path - 1 : 0] = '\0';
	*leaf = slash + 1;
	return coord_open_beneath(co, dir, O_PATH | O_DIRECTORY, 0);
}

void
coord_proc_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static void
fill_attr(struct csv_attr *a, const struct stat *st)
{
	a->ino = st->st_ino;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->rdev = st->st_rdev;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->blksize = (uint32_t)st->st_blksize;
	a->atime = (struct csv_time){ st->st_atim.tv_sec, (uint32_t)st->st_atim.tv_nsec };
	a->mtime = (struct csv_time){ st->st_mtim.tv_sec, (uint32_t)st->st_mtim.tv_nsec };
	a->ctime = (struct csv_time){ st->st_ctim.tv_sec, (uint32_t)st->st_ctim.tv_nsec };
}

int
coord_stat_fd(int fd, struct csv_attr *a)
{
	struct stat st;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	fill_attr(a, &st);
	return 0;
}

int
coord_stat_at(int dirfd, const char *leaf, struct csv_attr *a)
{
	struct stat st;

	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	fill_attr(a, &st);
	return 0;
}

/* ---- handles ---- */

/* The fd of handle fh of client (a dup the caller closes), or -EBADF. */
static int
fh_get(struct coord *co, uint64_t fh, int *flags)
{
	size_t i;
	int fd = -EBADF;

	pthread_mutex_lock(&co->lock);
	for (i = 0; i < co->nfh; i++) {
		if (co->fhs[i].fh == fh && fh != 0) {
			fd = fcntl(co->fhs[i].fd, F_DUPFD_CLOEXEC, 0);
			if (fd < 0)
				fd = -errno;
			if (flags)
				*flags = co->fhs[i].flags;
			break;
		}
	}
	pthread_mutex_unlock(&co->lock);
	return fd;
}

int
coord_fh_dup(struct coord *co, uint64_t fh, int *fd)
{
	int rc = fh_get(co, fh, NULL);

	if (rc < 0)
		return rc;
	*fd = rc;
	return 0;
}

/*
 * O_TRUNC of a file opened for writing, as an operation that frees blocks
 * (coord_move_begin: the file's direct-I/O leases end first); fd was
 * opened without it.
 */
int
coord_open_trunc(struct coord *co, int fd)
{
	struct coord_move mv;
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	rc = coord_move_begin(co, fd, &mv);
	if (rc < 0)
		return rc;
	rc = ftruncate(fd, 0) < 0 ? -errno : 0;
	coord_move_end(co, &mv);
	return rc;
}

/* Strip O_TRUNC from flags for open_trunc (kept for read-only opens). */
bool
coord_trunc_later(int *flags)
{
	if (!(*flags & O_TRUNC) || (*flags & O_ACCMODE) == O_RDONLY)
		return false;
	*flags &= ~O_TRUNC;
	return true;
}

bool
coord_fh_direct(struct coord *co, uint64_t fh)
{
	bool direct = false;

	pthread_mutex_lock(&co->lock);
	for (size_t i = 0; i < co->nfh; i++) {
		if (co->fhs[i].fh == fh && fh != 0) {
			direct = (co->fhs[i].flags & O_DIRECT) != 0;
			break;
		}
	}
	pthread_mutex_unlock(&co->lock);
	return direct;
}

/* Register fd (taken over) as a new handle; its number, or 0 on ENOMEM. */
uint64_t
coord_fh_add(struct coord *co, int fd, int flags, uint64_t client)
{
	struct coord_fh *n;
	uint64_t fh = 0;
	size_t i;

	pthread_mutex_lock(&co->lock);
	for (i = 0; i < co->nfh && co->fhs[i].fh; i++)
		;
	if (i == co->nfh) {
		n = realloc(co->fhs, (co->nfh + 64) * sizeof(*n));
		if (n) {
			memset(n + co->nfh, 0, 64 * sizeof(*n));
			co->fhs = n;
			co->nfh += 64;
		}
	}
	if (i < co->nfh) {
		fh = ++co->fh_gen;
		co->fhs[i] = (struct coord_fh){ fh, fd, flags, client };
	}
	pthread_mutex_unlock(&co->lock);
	if (!fh)
		close(fd);
	return fh;
}

/*
 * Close handle fh. When it was its client's last handle on that file, the
 * client's lock files there go too, and with them its locks (a client that
 * closed the file everywhere holds no lock on it: POSIX drops a process's
 * locks at its first close already).
 */
static int
fh_release(struct coord *co, uint64_t fh)
{
	struct coord_lock **pl, *l;
	struct stat st, other;
	uint64_t client = 0;
	bool last = true, have = false;
	size_t i;
	int rc = -EBADF;

	pthread_mutex_lock(&co->lock);
	for (i = 0; i < co->nfh; i++) {
		if (co->fhs[i].fh == fh && fh != 0) {
			have = fstat(co->fhs[i].fd, &st) == 0;
			client = co->fhs[i].client;
			close(co->fhs[i].fd);
			co->fhs[i].fh = 0;
			rc = 0;
			break;
		}
	}
	for (i = 0; have && i < co->nfh && last; i++) {
		if (co->fhs[i].fh && co->fhs[i].client == client &&
		    fstat(co->fhs[i].fd, &other) == 0 && other.st_dev == st.st_dev &&
		    other.st_ino == st.st_ino)
			last = false;
	}
	for (pl = &co->locks; have && last && (l = *pl);) {
		if (l->client == client && l->dev == st.st_dev && l->ino == st.st_ino) {
			*pl = l->next;
			close(l->fd);
			free(l);
		} else {
			pl = &l->next;
		}
	}
	pthread_mutex_unlock(&co->lock);
	return rc;
}

void
coord_forget_client(struct coord *co, uint64_t client)
{
	struct coord_lock **pl, *l;
	size_t i;

	pthread_mutex_lock(&co->lock);
	for (i = 0; i < co->nfh; i++) {
		if (co->fhs[i].fh && co->fhs[i].client == client) {
			close(co->fhs[i].fd);
			co->fhs[i].fh = 0;
		}
	}
	for (pl = &co->locks; (l = *pl);) {
		if (l->client == client) {
			*pl = l->next;
			close(l->fd);	/* drops its OFD locks */
			free(l);
		} else {
			pl = &l->next;
		}
	}
	pthread_mutex_unlock(&co->lock);
}

void
coord_clear(struct coord *co)
{
	struct coord_client *cl;
	struct coord_lock *l;
	size_t i;
	unsigned k;

	pthread_mutex_lock(&co->lock);
	for (i = 0; i < co->nfh; i++) {
		if (co->fhs[i].fh)
			close(co->fhs[i].fd);
	}
	free(co->fhs);
	co->fhs = NULL;
	co->nfh = 0;
	while ((l = co->locks)) {
		co->locks = l->next;
		close(l->fd);
		free(l);
	}
	while ((cl = co->clients)) {
		co->clients = cl->next_client;
		for (k = 0; k < COORD_CACHE; k++)
			free(cl->cache[k].frame);
		free(cl);
	}
	pthread_mutex_unlock(&co->lock);
}

/* ---- locks ---- */

/* The open file that carries owner's POSIX locks on fh's file (dup'd). */
static int
lock_fd(struct coord *co, uint64_t client, uint64_t owner, int fhfd, int fhflags)
{
	struct coord_lock *l;
	char proc[64];
	struct stat st;
	int fd;

	if (fstat(fhfd, &st) < 0)
		return -errno;
	pthread_mutex_lock(&co->lock);
	for (l = co->locks; l; l = l->next) {
		if (l->client == client && l->owner == owner && l->dev == st.st_dev &&
		    l->ino == st.st_ino) {
			fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
			pthread_mutex_unlock(&co->lock);
			return fd < 0 ? -errno : fd;
		}
	}
	pthread_mutex_unlock(&co->lock);
	coord_proc_path(proc, sizeof(proc), fhfd);
	fd = open(proc, (fhflags & O_ACCMODE) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	*l = (struct coord_lock){ client, owner, st.st_dev, st.st_ino, fd, NULL };
	pthread_mutex_lock(&co->lock);
	l->next = co->locks;
	co->locks = l;
	fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&co->lock);
	return fd < 0 ? -errno : fd;
}

static int
do_lock(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r,
	int fd, int fhflags)
{
	static const short types[] = { F_RDLCK, F_WRLCK, F_UNLCK };
	struct flock fl = { 0 };
	int lfd, cmd, rc = 0;

	if (q->type > CSV_LK_UN || q->oflags < CSV_LK_GET || q->oflags > CSV_LK_RECLAIM ||
	    (q->oflags == CSV_LK_RECLAIM && q->type == CSV_LK_UN))
		return -EINVAL;
	lfd = lock_fd(co, client, q->owner, fd, fhflags);
	if (lfd < 0)
		return lfd;
	fl.l_type = types[q->type];
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)q->off;
	fl.l_len = (off_t)q->len;
	/* a reclaim never waits: it was granted once, nothing can hold it */
	cmd = q->oflags == CSV_LK_GET ? F_OFD_GETLK :
	      q->oflags == CSV_LK_SETW ? F_OFD_SETLKW : F_OFD_SETLK;
	if (fcntl(lfd, cmd, &fl) < 0)
		rc = -errno;
	close(lfd);
	if (rc == 0 && cmd == F_OFD_GETLK) {
		r->type = fl.l_type == F_RDLCK ? CSV_LK_RD :
			  fl.l_type == F_WRLCK ? CSV_LK_WR : CSV_LK_UN;
		r->off = (uint64_t)fl.l_start;
		r->len = (uint64_t)fl.l_len;
		r->pid = 0;
	}
	return rc;
}

/* ---- directories ---- */

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int
do_readdir(struct coord *co, const struct csv_msg *q, struct csv_msg *r, void **buf)
{
	size_t cap = q->len > CSV_MAX_DATA ? CSV_MAX_DATA : q->len, used = 0;
	char raw[32768];
	struct csv_dirent d;
	long n, pos;
	int fd, rc = 0;
	bool full = false, root = !strcmp(q->path, "/");

	if (cap < 64)
		return -EINVAL;
	if ((rc = coord_path_ok(q->path)) < 0)
		return rc;
	fd = coord_open_beneath(co, q->path + 1, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	*buf = malloc(cap);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	if (lseek(fd, (off_t)q->off, SEEK_SET) < 0) {
		rc = -errno;
		goto out;
	}
	while (!full && (n = syscall(SYS_getdents64, fd, raw, sizeof(raw))) > 0) {
		for (pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(void *)(raw + pos);

			if (root && !strcmp(e->d_name, COORD_RESERVED)) {
				pos += e->d_reclen;	/* not the clients' */
				continue;
			}
			d.ino = e->d_ino;
			d.next = (uint64_t)e->d_off;
			d.type = e->d_type;
			snprintf(d.name, sizeof(d.name), "%s", e->d_name);
			if (csv_dirent_put(*buf, cap, &used, &d) == -ENOSPC) {
				full = true;
				break;
			}
			pos += e->d_reclen;
		}
	}
	if (!full && n < 0)
		rc = -errno;
out:
	close(fd);
	r->data = *buf;
	r->datalen = (uint32_t)used;
	return rc;
}

/* ---- the dispatcher ---- */

/* LISTXATTR without the coordinator's names (R8 of lib/csv-reqrec.h). */
static int
list_xattr(const char *proc, const struct csv_msg *q, struct csv_msg *r, void **buf)
{
	size_t want = q->len > CSV_MAX_DATA ? CSV_MAX_DATA : q->len;
	ssize_t n;

	*buf = malloc(XATTR_LIST_MAX);
	if (!*buf)
		return -ENOMEM;
	n = listxattr(proc, *buf, XATTR_LIST_MAX);
	if (n < 0)
		return -errno;
	n = (ssize_t)csv_rq_xattr_filter(*buf, (size_t)n);
	if (want && (size_t)n > want)
		return -ERANGE;
	r->len = (uint64_t)n;
	r->data = want ? *buf : NULL;
	r->datalen = want ? (uint32_t)n : 0;
	return 0;
}

/* Ops on the node at path (or on handle fh when given). */
static int
do_node(struct coord *co, const struct csv_msg *q, struct csv_msg *r, void **buf)
{
	struct timespec ts[2];
	char proc[64], target[CSV_PATH_MAX + 1];
	ssize_t n;
	int fd, rc = 0;

	fd = q->fh ? fh_get(co, q->fh, NULL) : coord_node_fd(co, q->path);
	if (fd < 0)
		return fd;
	coord_proc_path(proc, sizeof(proc), fd);
	switch (q->op) {
	case CSV_OP_GETATTR:
		rc = coord_stat_fd(fd, &r->attr);
		break;
	case CSV_OP_READLINK:
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0) {
			rc = -errno;
			break;
		}
		target[n] = '\0';
		memcpy(r->path, target, (size_t)n + 1);
		break;
	case CSV_OP_CHMOD:
		rc = chmod(proc, q->mode & 07777) < 0 ? -errno : 0;
		break;
	case CSV_OP_CHOWN:
		rc = fchownat(fd, "", q->uid, q->gid, AT_EMPTY_PATH) < 0 ? -errno : 0;
		break;
	case CSV_OP_UTIMENS:
		ts[0] = (struct timespec){ q->atime.sec,
			q->atime.nsec == CSV_UTIME_NOW ? UTIME_NOW :
			q->atime.nsec == CSV_UTIME_OMIT ? UTIME_OMIT : (long)q->atime.nsec };
		ts[1] = (struct timespec){ q->mtime.sec,
			q->mtime.nsec == CSV_UTIME_NOW ? UTIME_NOW :
			q->mtime.nsec == CSV_UTIME_OMIT ? UTIME_OMIT : (long)q->mtime.nsec };
		rc = utimensat(AT_FDCWD, proc, ts, 0) < 0 ? -errno : 0;
		break;
	case CSV_OP_TRUNCATE: {
		struct coord_move mv;

		rc = coord_move_begin(co, fd, &mv);
		if (rc < 0)
			break;
		rc = truncate(proc, (off_t)q->off) < 0 ? -errno : 0;
		coord_move_end(co, &mv);
		break;
	}
	case CSV_OP_ACCESS:
		rc = access(proc, q->mode) < 0 ? -errno : 0;
		break;
	case CSV_OP_SETXATTR:
	case CSV_OP_REMOVEXATTR:
		if (csv_rq_xattr_hidden(q->name)) {
			rc = -EPERM;	/* R8: the coordinator's (lib/csv-reqrec.h) */
			break;
		}
		rc = (q->op == CSV_OP_SETXATTR ?
		      setxattr(proc, q->name, q->data, q->datalen, (int)q->oflags) :
		      removexattr(proc, q->name)) < 0 ? -errno : 0;
		break;
	case CSV_OP_GETXATTR:
		if (csv_rq_xattr_hidden(q->name)) {
			rc = -ENODATA;	/* R8 */
			break;
		}
		*buf = malloc(q->len ? (q->len > CSV_MAX_DATA ? CSV_MAX_DATA : q->len) : 1);
		if (!*buf) {
			rc = -ENOMEM;
			break;
		}
		n = getxattr(proc, q->name, *buf, q->len > CSV_MAX_DATA ? CSV_MAX_DATA : q->len);
		if (n < 0) {
			rc = -errno;
			break;
		}
		r->len = (uint64_t)n;
		r->data = q->len ? *buf : NULL;
		r->datalen = q->len ? (uint32_t)n : 0;
		break;
	case CSV_OP_LISTXATTR:
		rc = list_xattr(proc, q, r, buf);
		break;
	}
	close(fd);
	return rc;
}

static int
do_open(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r)
{
	int flags = (int)(q->oflags & OPEN_FLAGS & ~O_EXCL), fd, rc;
	bool trunc = coord_trunc_later(&flags);

	if ((rc = coord_path_ok(q->path)) < 0)
		return rc;
	fd = coord_open_beneath(co, q->path + 1, flags | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	rc = trunc ? coord_open_trunc(co, fd) : 0;
	if (rc == 0)
		rc = coord_stat_fd(fd, &r->attr);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	r->fh = coord_fh_add(co, fd, flags, client);
	return r->fh ? 0 : -ENOMEM;
}

/* Ops on an open handle. */
static int
do_handle(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r,
	  void **buf)
{
	size_t len = q->len > CSV_MAX_DATA ? CSV_MAX_DATA : q->len;
	int flags = 0, fd, rc = 0;
	const void *src;
	ssize_t n;
	off_t o;

	fd = fh_get(co, q->fh, &flags);
	if (fd < 0)
		return fd;
	switch (q->op) {
	case CSV_OP_READ:
		/* O_DIRECT wants aligned buffers */
		if (posix_memalign(buf, 4096, len ? len : 1) != 0) {
			rc = -ENOMEM;
			break;
		}
		/* D7: a client may have written the blocks behind our cache */
		if (!(flags & O_DIRECT) && coord_leased(co, fd))
			(void)posix_fadvise(fd, (off_t)q->off, (off_t)len, POSIX_FADV_DONTNEED);
		n = pread(fd, *buf, len, (off_t)q->off);
		if (n < 0) {
			rc = -errno;
			break;
		}
		r->data = n ? *buf : NULL;
		r->datalen = (uint32_t)n;
		break;
	case CSV_OP_WRITE:
		src = q->data;
		if ((flags & O_DIRECT) && q->datalen) {
			if (posix_memalign(buf, 4096, q->datalen) != 0) {
				rc = -ENOMEM;
				break;
			}
			memcpy(*buf, q->data, q->datalen);
			src = *buf;
		}
		n = pwrite(fd, src, q->datalen, (off_t)q->off);
		if (n < 0) {
			rc = -errno;
			break;
		}
		r->len = (uint64_t)n;
		/* D7: write through, so direct readers elsewhere see it on the LUN */
		if (n > 0 && !(flags & O_DIRECT) && coord_leased(co, fd)) {
			if (sync_file_range(fd, (off_t)q->off, n, SYNC_FILE_RANGE_WAIT_BEFORE |
					    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0)
				rc = -errno;
			(void)posix_fadvise(fd, (off_t)q->off, n, POSIX_FADV_DONTNEED);
		}
		break;
	case CSV_OP_FSYNC:
		rc = (q->mode ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
		break;
	case CSV_OP_FALLOCATE: {
		struct coord_move mv = { 0 };
		bool moves = q->mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE |
					FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE);

		/* these free, move or unwrite blocks: leases end first (D4) */
		if (moves && (rc = coord_move_begin(co, fd, &mv)) < 0)
			break;
		rc = fallocate(fd, (int)q->mode, (off_t)q->off, (off_t)q->len) < 0 ? -errno : 0;
		coord_move_end(co, &mv);
		break;
	}
	case CSV_OP_LSEEK:
		o = lseek(fd, (off_t)q->off, (int)q->mode);
		if (o < 0)
			rc = -errno;
		else
			r->off = (uint64_t)o;
		break;
	case CSV_OP_FLOCK:
		if (q->type > CSV_LK_UN || (q->oflags & ~(CSV_FL_WAIT | CSV_FL_RECLAIM)) ||
		    ((q->oflags & CSV_FL_RECLAIM) && q->type == CSV_LK_UN)) {
			rc = -EINVAL;
			break;
		}
		rc = flock(fd, (q->type == CSV_LK_RD ? LOCK_SH : q->type == CSV_LK_WR ?
				LOCK_EX : LOCK_UN) |
			   ((q->oflags & CSV_FL_WAIT) && !(q->oflags & CSV_FL_RECLAIM) ?
			    0 : LOCK_NB)) < 0 ? -errno : 0;
		if (rc == -EWOULDBLOCK)
			rc = -EAGAIN;
		break;
	case CSV_OP_LOCK:
		rc = do_lock(co, client, q, r, fd, flags);
		break;
	}
	close(fd);
	return rc;
}

/* LOCK and FLOCK: the grace's gate first (coord-grace.c). */
static int
do_locking(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r,
	   void **buf)
{
	int rc = coord_lock_gate(co, client, q);

	if (rc < 0)
		return rc;
	rc = do_handle(co, client, q, r, buf);
	if (rc == 0 && q->type != CSV_LK_UN && !(q->op == CSV_OP_LOCK && q->oflags == CSV_LK_GET))
		coord_lock_granted(co, client);
	return rc;
}

int
coord_exec(struct coord *co, uint64_t client, const struct csv_msg *q,
	   struct csv_msg *r, void **buf)
{
	struct statvfs sv;

	*buf = NULL;
	switch (q->op) {
	case CSV_OP_PING:
		return 0;
	case CSV_OP_GETATTR:
	case CSV_OP_READLINK:
	case CSV_OP_CHMOD:
	case CSV_OP_CHOWN:
	case CSV_OP_TRUNCATE:
	case CSV_OP_UTIMENS:
	case CSV_OP_ACCESS:
	case CSV_OP_SETXATTR:
	case CSV_OP_GETXATTR:
	case CSV_OP_LISTXATTR:
	case CSV_OP_REMOVEXATTR:
		return do_node(co, q, r, buf);
	case CSV_OP_MKNOD:
	case CSV_OP_MKDIR:
	case CSV_OP_SYMLINK:
	case CSV_OP_CREATE:
		return coord_ns_create(co, client, q, r);
	case CSV_OP_UNLINK:
	case CSV_OP_RMDIR:
		return coord_ns_remove(co, client, q);
	case CSV_OP_RENAME:
	case CSV_OP_LINK:
		return coord_ns_two(co, client, q, r);
	case CSV_OP_OPEN:
		return do_open(co, client, q, r);
	case CSV_OP_RELEASE:
		return fh_release(co, q->fh);
	case CSV_OP_READ:
	case CSV_OP_WRITE:
	case CSV_OP_FSYNC:
	case CSV_OP_FALLOCATE:
	case CSV_OP_LSEEK:
		return do_handle(co, client, q, r, buf);
	case CSV_OP_FLOCK:
	case CSV_OP_LOCK:
		return do_locking(co, client, q, r, buf);
	case CSV_OP_RECLAIM_DONE:
		return coord_reclaim_done(co, client);
	case CSV_OP_READDIR:
		return do_readdir(co, q, r, buf);
	case CSV_OP_MAP:
		return coord_map(co, client, q, r, buf);
	case CSV_OP_RETURN:
		return coord_return(co, client, q->owner);
	case CSV_OP_STATFS:
		if (fstatvfs(co->mntfd, &sv) < 0)
			return -errno;
		r->statfs = (struct csv_statfs){ sv.f_blocks, sv.f_bfree, sv.f_bavail,
			sv.f_files, sv.f_ffree, sv.f_fsid, (uint32_t)sv.f_bsize,
			(uint32_t)sv.f_frsize, (uint32_t)sv.f_namemax, (uint32_t)sv.f_flag };
		return 0;
	default:
		return -ENOSYS;
	}
}
