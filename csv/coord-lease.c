/*
 * coord-lease.c - the coordinator's side of direct I/O (issue 15; coord.h,
 * lib/csv-dlease.h D1-D8): extent maps under leases, recalls before blocks
 * move or are freed, page-cache coherence for leased files.
 */
#include "coord.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define MARKER		"direct"	/* in COORD_RESERVED: leases were granted (D6) */
#define FIEMAP_BATCH	256

/* extents a client may not use: no block yet, not written, not plain */
#define FE_SKIP (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED | \
		 FIEMAP_EXTENT_DATA_ENCRYPTED | FIEMAP_EXTENT_NOT_ALIGNED | \
		 FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL | \
		 FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_SHARED)

/* A whole block device: its byte offsets are the LUN's. */
static bool
whole_device(const char *device, char *why, size_t len)
{
	char path[128];
	struct stat st;

	if (stat(device, &st) < 0) {
		snprintf(why, len, "stat %s: %s", device, strerror(errno));
		return false;
	}
	if (!S_ISBLK(st.st_mode)) {
		snprintf(why, len, "%s is not a block device", device);
		return false;
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major(st.st_rdev),
		 minor(st.st_rdev));
	if (access(path, F_OK) == 0) {
		snprintf(why, len, "%s is a partition (its offsets are not the LUN's)", device);
		return false;
	}
	return true;
}

int
coord_lease_init(struct coord *co, const char *device)
{
	uint64_t now = cd_now_mono_ms();
	char why[256];
	bool marked;

	if (!co->lease_ms)
		co->lease_ms = CSV_DL_DURATION_MS;
	marked = faccessat(co->resfd, MARKER, F_OK, 0) == 0;
	/* D6: a predecessor's leases may run until one duration from now */
	csv_dl_init(&co->dl, marked ? now : now - co->lease_ms, co->lease_ms, co->epoch << 20);
	co->dl_marked = marked;
	pthread_cond_init(&co->dl_cond, NULL);
	co->dl_on = true;
	co->direct = whole_device(device, why, sizeof(why));
	if (!co->direct)
		fprintf(stderr, "csv-coord %s: direct I/O not offered: %s\n", co->name, why);
	if (marked)
		fprintf(stderr, "csv-coord %s: leases may have been granted before: blocks "
			"move no sooner than %" PRIu64 " ms from now\n", co->name, co->lease_ms);
	return 0;
}

/* The marker before the first grant (D6), durable. */
static int
mark(struct coord *co)
{
	int fd;

	if (co->dl_marked)
		return 0;
	fd = openat(co->resfd, MARKER, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 || fsync(co->resfd) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	co->dl_marked = true;
	return 0;
}

static void
drop_cache(int fd)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* A lease ended (its O_PATH fd): drop the file's cache when it was the
 * last one (D7), then close. */
static void
lease_end(int fd, bool last)
{
	char p[64];
	int rfd;

	if (fd < 0)
		return;
	if (last) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		rfd = open(p, O_RDONLY | O_CLOEXEC | O_NOATIME);
		if (rfd >= 0) {
			drop_cache(rfd);
			close(rfd);
		}
	}
	close(fd);
}

/* The written, allocated extents of fd within [0, size) into *buf. */
static int
fiemap(int fd, uint64_t size, void **buf, uint32_t *len)
{
	size_t sz = sizeof(struct fiemap) + FIEMAP_BATCH * sizeof(struct fiemap_extent);
	struct fiemap *fm = malloc(sz);
	uint64_t start = 0, end = size & ~(uint64_t)(CSV_DL_SECTOR - 1);
	size_t used = 0, cap = 64 * CSV_EXTENT_SIZE;
	unsigned char *out = malloc(cap);
	bool last = false, first = true;
	int rc = 0;

	if (!fm || !out) {
		free(fm);
		free(out);
		return -ENOMEM;
	}
	while (!last && start < end) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = end - start;
		/* delalloc gets its blocks first (the trap of REPORT.md §3) */
		fm->fm_flags = first ? FIEMAP_FLAG_SYNC : 0;
		fm->fm_extent_count = FIEMAP_BATCH;
		first = false;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
			rc = -errno;
			break;
		}
		if (fm->fm_mapped_extents == 0)
			break;
		for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
			struct fiemap_extent *fe = &fm->fm_extents[i];
			struct csv_extent e = { fe->fe_logical, fe->fe_physical, fe->fe_length };

			if (fe->fe_flags & FIEMAP_EXTENT_LAST)
				last = true;
			start = fe->fe_logical + fe->fe_length;
			if (fe->fe_flags & FE_SKIP)
				continue;
			if (e.logical >= end)
				continue;
			if (e.logical + e.length > end)
				e.length = end - e.logical;
			if (used / CSV_EXTENT_SIZE >= CSV_MAX_EXTENTS) {
				last = true;	/* the rest stays redirected */
				break;
			}
			if (used + CSV_EXTENT_SIZE > cap) {
				unsigned char *n = realloc(out, cap * 2);

				if (!n) {
					rc = -ENOMEM;
					last = true;
					break;
				}
				out = n;
				cap *= 2;
			}
			if (csv_extent_put(out, cap, &used, &e) < 0)
				continue;	/* not on sectors: not for direct use */
		}
	}
	free(fm);
	if (rc < 0) {
		free(out);
		return rc;
	}
	*buf = out;
	*len = (uint32_t)used;
	return 0;
}

int
coord_map(struct coord *co, uint64_t client, const struct csv_msg *q, struct csv_msg *r,
	  void **buf)
{
	struct coord_client *cl;
	struct stat st;
	char p[64], node[CSV_NAME_MAX + 1] = "";
	uint64_t id = 0;
	int fd = -1, lfd, old = -1, rc;
	bool allowed = false;

	if (!co->dl_on || !co->direct)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&co->lock);
	for (cl = co->clients; cl; cl = cl->next_client) {
		if (cl->id == client) {
			allowed = cl->direct;
			snprintf(node, sizeof(node), "%s", cl->node);
		}
	}
	pthread_mutex_unlock(&co->lock);
	if (!allowed || coord_node_fenced(co, node))
		return -EPERM;
	rc = coord_fh_dup(co, q->fh, &fd);
	if (rc < 0)
		return rc;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return rc;
	}
	/* the lease's own reference: blocks stay allocated while it lasts (D8) */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	lfd = open(p, O_PATH | O_CLOEXEC);
	if (lfd < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	pthread_mutex_lock(&co->lock);
	rc = mark(co);
	if (rc == 0)
		rc = csv_dl_grant(&co->dl, client, st.st_dev, st.st_ino, cd_now_mono_ms(), lfd,
				  q->owner, &id, &old);
	pthread_mutex_unlock(&co->lock);
	if (rc < 0) {
		close(lfd);
		close(fd);
		return rc;
	}
	if (old >= 0)
		close(old);
	/* granted before mapping: a mover from now on waits for this lease */
	rc = fiemap(fd, (uint64_t)st.st_size, buf, &r->datalen);
	if (rc == 0) {
		drop_cache(fd);		/* D7: our pages may go stale from now on */
		r->owner = id;
		r->len = co->lease_ms;
		r->off = (uint64_t)st.st_size;
		r->data = r->datalen ? *buf : NULL;
	} else {
		bool last;

		pthread_mutex_lock(&co->lock);
		if (csv_dl_return(&co->dl, id, client, &lfd, &last) == 0)
			lease_end(lfd, last);
		pthread_cond_broadcast(&co->dl_cond);
		pthread_mutex_unlock(&co->lock);
	}
	close(fd);
	return rc;
}

int
coord_return(struct coord *co, uint64_t client, uint64_t id)
{
	bool last = false;
	int fd = -1, rc;

	if (!co->dl_on)
		return -ENOENT;
	pthread_mutex_lock(&co->lock);
	rc = csv_dl_return(&co->dl, id, client, &fd, &last);
	if (rc == 0)
		pthread_cond_broadcast(&co->dl_cond);
	pthread_mutex_unlock(&co->lock);
	if (rc == 0)
		lease_end(fd, last);
	return rc;
}

int
coord_move_begin(struct coord *co, int fd, struct coord_move *mv)
{
	uint64_t rec[16], holders[16], until, now;
	struct stat st;
	size_t n, i;
	bool said = false;
	int rc;

	mv->active = false;
	if (!co->dl_on)
		return 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	mv->dev = st.st_dev;
	mv->ino = st.st_ino;
	pthread_mutex_lock(&co->lock);
	rc = csv_dl_move_begin(&co->dl, mv->dev, mv->ino);
	if (rc < 0) {
		pthread_mutex_unlock(&co->lock);
		return -EAGAIN;
	}
	mv->active = true;
	for (;;) {
		struct timespec ts;
		uint64_t wait_ms;

		now = cd_now_mono_ms();
		if (csv_dl_move_check(&co->dl, mv->dev, mv->ino, now, rec, 16, &n, &until))
			break;
		for (i = 0; i < n; i++)
			holders[i] = csv_dl_holder(&co->dl, rec[i]);
		pthread_mutex_unlock(&co->lock);
		if (!said) {
			fprintf(stderr, "csv-coord %s: inode %" PRIu64 ": waiting for its direct-I/O "
				"leases to end before blocks move (up to %" PRIu64 " ms)\n",
				co->name, mv->ino, until - now);
			said = true;
		}
		for (i = 0; i < n; i++) {
			struct csv_msg m = { .op = CSV_OP_RECALL, .flags = CSV_F_PUSH,
					     .owner = rec[i] };

			if (!co->push || co->push(co, holders[i], &m) < 0)
				fprintf(stderr, "csv-coord %s: lease %" PRIu64 " not recalled "
					"(its client is not connected): waiting for its expiry\n",
					co->name, rec[i]);
		}
		pthread_mutex_lock(&co->lock);
		/* a return wakes us; otherwise look again at the expiry */
		wait_ms = until > now ? until - now : 1;
		if (wait_ms > COORD_TICK_MS)
			wait_ms = COORD_TICK_MS;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(wait_ms * 1000000);
		while (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&co->dl_cond, &co->lock, &ts);
	}
	pthread_mutex_unlock(&co->lock);
	if (said)
		fprintf(stderr, "csv-coord %s: inode %" PRIu64 ": no direct-I/O lease left\n",
			co->name, mv->ino);
	return 0;
}

void
coord_move_end(struct coord *co, struct coord_move *mv)
{
	if (!mv->active)
		return;
	pthread_mutex_lock(&co->lock);
	csv_dl_move_end(&co->dl, mv->dev, mv->ino);
	pthread_mutex_unlock(&co->lock);
	mv->active = false;
}

bool
coord_leased(struct coord *co, int fd)
{
	struct stat st;
	bool leased;

	if (!co->dl_on)
		return false;
	pthread_mutex_lock(&co->lock);
	leased = csv_dl_count(&co->dl) > 0;
	pthread_mutex_unlock(&co->lock);
	if (!leased || fstat(fd, &st) < 0)
		return false;
	pthread_mutex_lock(&co->lock);
	leased = csv_dl_leased(&co->dl, st.st_dev, st.st_ino);
	pthread_mutex_unlock(&co->lock);
	return leased;
}

void
coord_lease_tick(struct coord *co)
{
	struct csv_dl out[16];
	size_t n, i;

	if (!co->dl_on)
		return;
	do {
		pthread_mutex_lock(&co->lock);
		n = csv_dl_expire(&co->dl, cd_now_mono_ms(), out, 16);
		if (n)
			pthread_cond_broadcast(&co->dl_cond);
		bool last[16];

		for (i = 0; i < n; i++)
			last[i] = !csv_dl_leased(&co->dl, out[i].dev, out[i].ino);
		pthread_mutex_unlock(&co->lock);
		for (i = 0; i < n; i++) {
			fprintf(stderr, "csv-coord %s: lease %" PRIu64 " of client %016" PRIx64
				" expired\n", co->name, out[i].id, out[i].client);
			lease_end(out[i].fd, last[i]);
		}
	} while (n == 16);
}
