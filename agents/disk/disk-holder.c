/*
 * disk-holder.c - the per-disk daemon: owns the iSCSI session (so the
 * registration and reservation live as long as it does), exposes the LUN as
 * the FUSE file DIR/fuse/lun and as a loop device over it (DIR/device ->
 * /dev/loopN, `losetup --direct-io=on`, as in notes/csv/REPORT.md 3), and
 * checks the reservation every DISK_CHECK_MS, writing DIR/status.
 *
 * Threads: the FUSE loop (single-threaded) serves I/O; the main thread
 * waits for SIGTERM and checks. Both use the one session under a mutex.
 * A lost reservation is reported, never repaired: no re-registration.
 * Writes are FUA (lib/pr has no SYNCHRONIZE CACHE): a completed write is
 * stable, which is what a shared disk needs after a failover.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fuse.h>

#include "disk.h"

struct holder {
	const struct disk_conf *c;
	struct cd_pr *pr;
	pthread_mutex_t lock;		/* around every use of pr */
	uint64_t size;
	uint32_t bs;
	bool lost;			/* set once; I/O then fails with EIO */
	bool lost_said;			/* the status file says "lost" */
	char state[16], reason[256], device[64], file[PATH_MAX], mnt[PATH_MAX];
	long long checked;
	struct fuse *fuse;
	pthread_t fuse_thread;
	bool fuse_running;
};

static struct holder *H;	/* for the FUSE callbacks */

/* ---- status file ---- */

static void
status_write(struct holder *h)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", h->c->dir);
	snprintf(tmp, sizeof(tmp), "%s/status.tmp", h->c->dir);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "state=%s\nreason=%s\ndevice=%s\nfile=%s\nkey=0x%016" PRIx64
		"\ntype=%s\nchecked=%lld\npid=%ld\n", h->state, h->reason, h->device,
		h->file, h->c->key, cd_pr_type_name((int)h->c->type), h->checked,
		(long)getpid());
	if (fclose(f) == 0)
		rename(tmp, path);
}

int
disk_status_read(const char *dir, struct disk_status *st)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 32];
	FILE *f;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (strcmp(line, "state") == 0)
			snprintf(st->state, sizeof(st->state), "%s", v);
		else if (strcmp(line, "reason") == 0)
			snprintf(st->reason, sizeof(st->reason), "%s", v);
		else if (strcmp(line, "device") == 0)
			snprintf(st->device, sizeof(st->device), "%s", v);
		else if (strcmp(line, "file") == 0)
			snprintf(st->file, sizeof(st->file), "%s", v);
		else if (strcmp(line, "checked") == 0)
			st->checked = atoll(v);
		else if (strcmp(line, "pid") == 0)
			st->pid = atol(v);
	}
	fclose(f);
	return 0;
}

static void
set_state(struct holder *h, const char *state, const char *reason)
{
	snprintf(h->state, sizeof(h->state), "%s", state);
	snprintf(h->reason, sizeof(h->reason), "%s", reason);
	if (strcmp(state, "held") == 0)
		h->checked = (long long)time(NULL);
	status_write(h);
	fprintf(stderr, "disk %s: %s: %s\n", h->c->name, state, reason);
}

/* ---- FUSE: one file, "lun" ---- */

static int
fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0700;
		st->st_nlink = 2;
	} else if (strcmp(path, "/lun") == 0) {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_size = (off_t)H->size;
		st->st_blksize = (blksize_t)H->bs;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int
fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
	   struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "lun", NULL, 0, 0);
	return 0;
}

static int
fs_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, "/lun") != 0)
		return -ENOENT;
	fi->direct_io = 1;	/* no page cache: the disk is shared */
	return 0;
}

static int
io_error(int rc)
{
	if (rc == -CD_PR_E_PREEMPTED || rc == -CD_PR_E_CONFLICT)
		H->lost = true;
	return -EIO;
}

/* Read or write [off, off+len): whole blocks straight, partial ones through
 * a bounce buffer (read-modify-write). */
static int
fs_io(bool wr, char *buf, size_t len, off_t off)
{
	uint64_t start, end, first, n;
	char *bounce = NULL;
	int rc;

	if (off < 0 || (uint64_t)off >= H->size)
		return 0;
	if ((uint64_t)off + len > H->size)
		len = (size_t)(H->size - (uint64_t)off);
	if (len == 0)
		return 0;
	if (len > CD_PR_IO_MAX / 2)
		len = CD_PR_IO_MAX / 2;
	start = (uint64_t)off;
	end = start + len;
	first = start / H->bs;
	n = (end + H->bs - 1) / H->bs - first;
	pthread_mutex_lock(&H->lock);
	if (H->lost) {
		rc = -CD_PR_E_PREEMPTED;
	} else if (start % H->bs == 0 && end % H->bs == 0) {
		rc = wr ? cd_pr_write_blocks(H->pr, first, buf, len, CD_PR_WRITE_FUA)
			: cd_pr_read_blocks(H->pr, first, buf, len);
	} else {
		bounce = malloc(n * H->bs);
		rc = bounce ? cd_pr_read_blocks(H->pr, first, bounce, n * H->bs) : -ENOMEM;
		if (rc == 0 && wr) {
			memcpy(bounce + (start - first * H->bs), buf, len);
			rc = cd_pr_write_blocks(H->pr, first, bounce, n * H->bs, CD_PR_WRITE_FUA);
		} else if (rc == 0) {
			memcpy(buf, bounce + (start - first * H->bs), len);
		}
		free(bounce);
	}
	if (rc < 0)
		fprintf(stderr, "disk %s: %s at %" PRIu64 ": %s\n", H->c->name,
			wr ? "write" : "read", start, cd_pr_last_error(H->pr));
	pthread_mutex_unlock(&H->lock);
	return rc < 0 ? io_error(rc) : (int)len;
}

static int
fs_read(const char *path, char *buf, size_t len, off_t off, struct fuse_file_info *fi)
{
	return fs_io(false, buf, len, off);
}

static int
fs_write(const char *path, const char *buf, size_t len, off_t off,
	 struct fuse_file_info *fi)
{
	return fs_io(true, (char *)(uintptr_t)buf, len, off);
}

static int
fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	return H->lost ? -EIO : 0;	/* every write was FUA */
}

static const struct fuse_operations fs_ops = {
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.fsync = fs_fsync,
};

static void *
fuse_thread(void *arg)
{
	fuse_loop(arg);
	return NULL;
}

static int
fuse_up(struct holder *h)
{
	char *argv[] = { (char *)"disk", (char *)"-o", (char *)"default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);

	snprintf(h->mnt, sizeof(h->mnt), "%s/fuse", h->c->dir);
	snprintf(h->file, sizeof(h->file), "%s/lun", h->mnt);
	if (mkdir(h->mnt, 0700) < 0 && errno != EEXIST)
		return -errno;
	h->fuse = fuse_new(&args, &fs_ops, sizeof(fs_ops), NULL);
	fuse_opt_free_args(&args);
	if (!h->fuse)
		return -EIO;
	if (fuse_mount(h->fuse, h->mnt) != 0) {
		fuse_destroy(h->fuse);
		h->fuse = NULL;
		return -EIO;
	}
	if (pthread_create(&h->fuse_thread, NULL, fuse_thread, h->fuse) != 0) {
		fuse_unmount(h->fuse);
		fuse_destroy(h->fuse);
		h->fuse = NULL;
		return -EAGAIN;
	}
	h->fuse_running = true;
	return 0;
}

static void
fuse_down(struct holder *h)
{
	if (!h->fuse)
		return;
	fuse_exit(h->fuse);
	fuse_unmount(h->fuse);	/* the loop's read of /dev/fuse now ends */
	if (h->fuse_running)
		pthread_join(h->fuse_thread, NULL);
	fuse_destroy(h->fuse);
	h->fuse = NULL;
}

/* ---- loop device ---- */

/* Run a program, capture the first line of its stdout. @return exit status */
static int
run(char *const argv[], char *out, size_t outlen)
{
	int fds[2], status = -1;
	pid_t pid;
	ssize_t r;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	r = out ? read(fds[0], out, outlen - 1) : 0;
	if (out) {
		out[r > 0 ? r : 0] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *
losetup_path(void)
{
	static char usr[] = "/usr/sbin/losetup", sbin[] = "/sbin/losetup";

	return access(usr, X_OK) == 0 ? usr : sbin;
}

static int
loop_up(struct holder *h)
{
	char *argv[] = { losetup_path(), (char *)"-f", (char *)"--show",
			 (char *)"--direct-io=on", h->file, NULL };
	char link[PATH_MAX + 16];

	if (run(argv, h->device, sizeof(h->device)) != 0 ||
	    strncmp(h->device, "/dev/loop", 9) != 0) {
		h->device[0] = '\0';
		return -EIO;
	}
	snprintf(link, sizeof(link), "%s/device", h->c->dir);
	unlink(link);
	if (symlink(h->device, link) < 0)
		return -errno;
	return 0;
}

static void
loop_down(struct holder *h)
{
	char *argv[] = { losetup_path(), (char *)"-d", h->device, NULL };
	char link[PATH_MAX + 16];

	if (!h->device[0])
		return;
	run(argv, NULL, 0);
	snprintf(link, sizeof(link), "%s/device", h->c->dir);
	unlink(link);
	h->device[0] = '\0';
}

/* ---- main ---- */

static void
check(struct holder *h)
{
	char why[256];
	int rc;

	pthread_mutex_lock(&h->lock);
	/* The FUSE thread may have met the loss first (a refused read or
	 * write): it only sets h->lost, and the status file says so here. */
	if (h->lost)
		snprintf(why, sizeof(why), "a read or write on the LUN was refused: "
			 "the reservation was preempted or this key removed");
	rc = h->lost ? -CD_PR_E_PREEMPTED : disk_lun_check(h->pr, h->c->key, h->c->type,
							   why, sizeof(why));
	if (rc < 0 && !h->lost_said) {
		h->lost = h->lost_said = true;
		set_state(h, "lost", why);
	} else if (rc == 0) {
		h->checked = (long long)time(NULL);
		status_write(h);
	}
	pthread_mutex_unlock(&h->lock);
}

int
disk_holder_main(const struct disk_conf *c)
{
	struct holder h = { .c = c, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct timespec period = { DISK_CHECK_MS / 1000, (DISK_CHECK_MS % 1000) * 1000000L };
	char why[256] = "";
	sigset_t set;
	int rc, sig;

	H = &h;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* inherited by the FUSE thread */
	set_state(&h, "starting", "logging in");
	h.pr = cd_pr_open(&c->url, c->initiator, c->timeout_ms, &rc);
	if (!h.pr) {
		snprintf(why, sizeof(why), "cannot log in to %s: %s", c->url_text,
			 cd_pr_strerror(rc));
		goto failed;
	}
	rc = disk_lun_take(h.pr, c->key, c->type, why, sizeof(why));
	if (rc < 0)
		goto failed;
	h.bs = cd_pr_block_size(h.pr);
	{
		uint64_t blocks = 0;

		if (cd_pr_read_capacity(h.pr, &blocks, &h.bs) < 0 || h.bs == 0) {
			snprintf(why, sizeof(why), "read capacity: %s", cd_pr_last_error(h.pr));
			goto failed;
		}
		h.size = blocks * h.bs;
	}
	if (fuse_up(&h) < 0) {
		snprintf(why, sizeof(why), "cannot mount the FUSE file on %s/fuse", c->dir);
		goto failed;
	}
	if (loop_up(&h) < 0)
		fprintf(stderr, "disk %s: no loop device (losetup failed); the LUN is "
			"the file %s only\n", c->name, h.file);
	set_state(&h, "held", "registered, reservation held");
	for (;;) {
		sig = sigtimedwait(&set, NULL, &period);
		if (sig > 0)
			break;
		check(&h);
	}
	loop_down(&h);
	fuse_down(&h);
	if (!h.lost)
		disk_lun_give(h.pr, c->key, c->type);
	cd_pr_close(h.pr);
	set_state(&h, "stopped", h.lost ? "stopped after losing the reservation" :
		  "released and unregistered");
	return 0;
failed:
	fuse_down(&h);
	if (h.pr) {
		cd_pr_unregister(h.pr, c->key);
		cd_pr_close(h.pr);
	}
	set_state(&h, "failed", why);
	return 1;
}
