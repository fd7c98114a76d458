/*
 * vm-prealloc.c - preallocation of a raw VM disk image, content kept
 * (vm-prealloc.h, rules P1-P5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "vm-prealloc.h"

struct pa {
	const char *path;
	int fd;
	uint64_t size, since_sync;
	unsigned char *zero, *buf;
	cd_prealloc_progress_fn progress;
	void *opaque;
	struct cd_prealloc_result *res;
	char *err;
	size_t err_size;
};

static int
fail(struct pa *p, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->err_size, "%s: ", p->path);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->err_size)
		vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* P4: bound the dirty data */
static int
maybe_sync(struct pa *p, uint64_t n)
{
	p->since_sync += n;
	if (p->since_sync < CD_PREALLOC_SYNC_EVERY)
		return 0;
	p->since_sync = 0;
	return fdatasync(p->fd) < 0 ? fail(p, -errno, "fdatasync: %s", strerror(errno)) : 0;
}

/* Zeros into [from, to). */
static int
fill(struct pa *p, uint64_t from, uint64_t to)
{
	while (from < to) {
		size_t len = to - from > CD_PREALLOC_CHUNK ? CD_PREALLOC_CHUNK : (size_t)(to - from);
		ssize_t n = pwrite(p->fd, p->zero, len, (off_t)from);
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(p, n < 0 ? -errno : -EIO, "writing at %llu: %s",
				    (unsigned long long)from, n < 0 ? strerror(errno) :
				    "nothing written");
		from += (uint64_t)n;
		p->res->written += (uint64_t)n;
		if ((rc = maybe_sync(p, (uint64_t)n)))
			return rc;
		if (p->progress)
			p->progress(p->opaque, from, p->size);
	}
	return 0;
}

/* P2: read each chunk, write zeros back where it reads as zeros. */
static int
scan(struct pa *p, uint64_t off)
{
	p->res->scanned = 1;
	while (off < p->size) {
		size_t len = p->size - off > CD_PREALLOC_CHUNK ? CD_PREALLOC_CHUNK :
			     (size_t)(p->size - off);
		ssize_t n = pread(p->fd, p->buf, len, (off_t)off);
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(p, n < 0 ? -errno : -EIO, "reading at %llu: %s",
				    (unsigned long long)off, n < 0 ? strerror(errno) :
				    "the file ended early");
		if (memcmp(p->buf, p->zero, (size_t)n) == 0) {
			if ((rc = fill(p, off, off + (uint64_t)n)))
				return rc;
		} else {
			p->res->kept += (uint64_t)n;
			if (p->progress)
				p->progress(p->opaque, off + (uint64_t)n, p->size);
		}
		off += (uint64_t)n;
	}
	return 0;
}

/* P1: the holes between the data, found by lseek; P2 where lseek cannot. */
static int
walk(struct pa *p)
{
	uint64_t off = 0;
	off_t data, hole;
	int rc;

	while (off < p->size) {
		data = lseek(p->fd, (off_t)off, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			data = (off_t)p->size;	/* a hole to the end */
		else if (data < 0 && (errno == EINVAL || errno == EOPNOTSUPP))
			return scan(p, off);
		else if (data < 0)
			return fail(p, -errno, "SEEK_DATA at %llu: %s",
				    (unsigned long long)off, strerror(errno));
		if ((uint64_t)data > p->size)
			data = (off_t)p->size;
		if ((rc = fill(p, off, (uint64_t)data)))
			return rc;
		if ((uint64_t)data >= p->size)
			break;
		hole = lseek(p->fd, data, SEEK_HOLE);
		if (hole < 0)
			return fail(p, -errno, "SEEK_HOLE at %lld: %s", (long long)data,
				    strerror(errno));
		if ((uint64_t)hole > p->size || hole <= data)
			hole = (off_t)p->size;
		p->res->kept += (uint64_t)(hole - data);
		off = (uint64_t)hole;
		if (p->progress)
			p->progress(p->opaque, off, p->size);
	}
	return 0;
}

int
cd_prealloc_file(const char *path, cd_prealloc_progress_fn progress, void *opaque,
		 struct cd_prealloc_result *res, char *err, size_t err_size)
{
	struct pa p = { .path = path, .progress = progress, .opaque = opaque, .res = res,
			.err = err, .err_size = err_size };
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (err_size)
		err[0] = '\0';
	p.fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (p.fd < 0)
		return fail(&p, -errno, "%s", strerror(errno));
	if (fstat(p.fd, &st) < 0) {
		rc = fail(&p, -errno, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {	/* P5 */
		rc = fail(&p, -EINVAL, "not a regular file (only raw image files are "
			  "preallocated)");
		goto out;
	}
	if (fcntl(p.fd, F_OFD_SETLK, &fl) < 0) {	/* P3 */
		rc = errno == EAGAIN || errno == EACCES ?
		     fail(&p, -EBUSY, "in use: a QEMU or another program holds a lock on "
			  "it (stop what uses it first)") :
		     fail(&p, -errno, "cannot lock it: %s", strerror(errno));
		goto out;
	}
	p.size = res->size = (uint64_t)st.st_size;
	p.zero = calloc(1, CD_PREALLOC_CHUNK);
	p.buf = malloc(CD_PREALLOC_CHUNK);
	if (!p.zero || !p.buf) {
		rc = fail(&p, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = walk(&p)))
		goto out;
	if (fdatasync(p.fd) < 0)	/* P4 */
		rc = fail(&p, -errno, "fdatasync: %s", strerror(errno));
out:
	free(p.zero);
	free(p.buf);
	close(p.fd);	/* the lock goes with it */
	return rc;
}
