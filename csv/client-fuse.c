/*
 * client-fuse.c - the CSV client's FUSE session (see client-fuse.h).
 */
#define FUSE_USE_VERSION 35
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>

#include "client-fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef FOPEN_PARALLEL_DIRECT_WRITES
#define FOPEN_PARALLEL_DIRECT_WRITES	(1 << 6)
#endif

/* FUSE_OPENs with O_DIRECT whose reply has not gone out yet. The kernel
 * has at most max_background + a thread's worth of requests in flight;
 * a full table only means an open is not made parallel. */
#define PENDING_MAX	256

static struct {
	pthread_mutex_t lock;
	uint64_t unique[PENDING_MAX];	/* 0: free */
	atomic_ulong parallel;
} pf = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
pending_add(uint64_t unique)
{
	pthread_mutex_lock(&pf.lock);
	for (size_t i = 0; i < PENDING_MAX; i++) {
		if (!pf.unique[i]) {
			pf.unique[i] = unique;
			break;
		}
	}
	pthread_mutex_unlock(&pf.lock);
}

static bool
pending_take(uint64_t unique)
{
	bool found = false;

	pthread_mutex_lock(&pf.lock);
	for (size_t i = 0; i < PENDING_MAX && !found; i++) {
		if (pf.unique[i] == unique) {
			pf.unique[i] = 0;
			found = true;
		}
	}
	pthread_mutex_unlock(&pf.lock);
	return found;
}

static ssize_t
dev_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t n = read(fd, buf, len);
	struct fuse_in_header in;
	struct fuse_open_in oi;

	(void)userdata;
	if (n < (ssize_t)(sizeof(in) + sizeof(oi)))
		return n;
	memcpy(&in, buf, sizeof(in));
	if (in.opcode != FUSE_OPEN)
		return n;
	memcpy(&oi, (char *)buf + sizeof(in), sizeof(oi));
	if (oi.flags & O_DIRECT)
		pending_add(in.unique);
	return n;
}

static ssize_t
dev_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct fuse_out_header out;

	(void)userdata;
	if (count >= 1 && iov[0].iov_len >= sizeof(out)) {
		memcpy(&out, iov[0].iov_base, sizeof(out));
		/* every reply passes here; only a noted open is looked up */
		if (out.unique && pending_take(out.unique) && out.error == 0 && count >= 2 &&
		    iov[1].iov_len >= sizeof(struct fuse_open_out)) {
			struct fuse_open_out *oo = iov[1].iov_base;

			if (oo->open_flags & FOPEN_DIRECT_IO) {
				oo->open_flags |= FOPEN_PARALLEL_DIRECT_WRITES;
				atomic_fetch_add(&pf.parallel, 1);
			}
		}
	}
	return writev(fd, iov, count);
}

unsigned long
cl_fuse_parallel_opens(void)
{
	return atomic_load(&pf.parallel);
}

int
cl_fuse_run(int argc, char **argv, const struct fuse_operations *ops)
{
	static const struct fuse_custom_io io = { .read = dev_read, .writev = dev_writev };
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_session *se;
	struct fuse *f;
	int res;

	memset(&opts, 0, sizeof(opts));
	if (fuse_parse_cmdline(&args, &opts) != 0)
		return 1;
	if (!opts.mountpoint) {
		fprintf(stderr, "csv-client: no mount point\n");
		fuse_opt_free_args(&args);
		return 1;
	}
	f = fuse_new(&args, ops, sizeof(*ops), NULL);
	if (!f) {
		res = 3;
		goto out1;
	}
	if (fuse_mount(f, opts.mountpoint) != 0) {
		res = 4;
		goto out2;
	}
	se = fuse_get_session(f);
	/* the same device fd, read and written through the hooks above */
	if (fuse_session_custom_io(se, &io, fuse_session_fd(se)) != 0) {
		fprintf(stderr, "csv-client: fuse_session_custom_io failed: direct writes to "
			"one file stay serialised\n");
	}
	if (fuse_set_signal_handlers(se) != 0) {
		res = 6;
		goto out3;
	}
	if (opts.singlethread) {
		res = fuse_loop(f);
	} else {
		struct fuse_loop_config cfg = { .clone_fd = opts.clone_fd,
						.max_idle_threads = opts.max_idle_threads };

		res = fuse_loop_mt(f, &cfg);
	}
	if (res)
		res = 7;
	fuse_remove_signal_handlers(se);
out3:
	fuse_unmount(f);
out2:
	fuse_destroy(f);
out1:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return res;
}
