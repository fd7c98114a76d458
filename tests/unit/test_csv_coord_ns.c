/*
 * test_csv_coord_ns.c - the coordinator's namespace operations and their
 * records (csv/coord-ns.c, lib/csv-reqrec.h R1-R8) on a real directory
 * standing for the volume: coordinator A executes a request whose reply
 * is lost, coordinator B (a second struct coord on the same directory, as
 * after a crash and journal replay) gets the client's retry. The states a
 * crash can leave in the middle of an operation are made by hand.
 */
#include "coord.h"
#include "csv-reqrec.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/test_csv_coord_ns.XXXXXX";
static struct coord a = { .name = "A", .mntfd = -1 }, b = { .name = "B", .mntfd = -1 };
static struct csv_msg q, r;

static int
start(struct coord *c, uint64_t gen)
{
	c->mntfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	c->fh_gen = gen << 32;
	if (c->mntfd < 0 || pthread_mutex_init(&c->lock, NULL) || coord_grace_init(c) < 0 ||
	    coord_req_init(c, 60000) < 0)
		return -1;
	return c->rq_on ? 0 : -1;
}

static int
suite_init(void)
{
	if (!mkdtemp(dir))
		return -1;
	return start(&a, 7) < 0 || start(&b, 9) < 0 ? -1 : 0;
}

static int
suite_clean(void)
{
	char cmd[128];

	coord_clear(&a);
	coord_clear(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
req(unsigned op, uint64_t id, const char *path, const char *path2)
{
	memset(&q, 0, sizeof(q));
	q.op = (uint16_t)op;
	q.id = id;
	q.uid = getuid();
	q.gid = getgid();
	q.mode = op == CSV_OP_MKDIR ? 0755 : 0644;
	snprintf(q.path, sizeof(q.path), "%s", path);
	if (path2)
		snprintf(q.path2, sizeof(q.path2), "%s", path2);
}

static int
run(struct coord *c, uint64_t client, bool retry)
{
	void *buf = NULL;
	int rc;

	q.flags = retry ? CSV_F_RETRY : 0;
	memset(&r, 0, sizeof(r));
	rc = coord_exec(c, client, &q, &r, &buf);
	if (rc == 0 && r.datalen && buf) {	/* data replies point into buf */
		static char keep[65536];

		memcpy(keep, r.data, r.datalen < sizeof(keep) ? r.datalen : sizeof(keep));
		r.data = keep;
	}
	free(buf);
	return rc;
}

static int
release(struct coord *c, uint64_t fh)
{
	req(CSV_OP_RELEASE, 999, "", NULL);
	q.fh = fh;
	return run(c, 1, false);
}

/* The inode at path in the volume (0: none). */
static uint64_t
ino(const char *path)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", dir, path);
	return lstat(p, &st) == 0 ? st.st_ino : 0;
}

/* What entry P-1-ID of the request directory is: 'w'hiteout, 'n'ode, '-' none. */
static char
rec(char prefix, uint64_t client, uint64_t id)
{
	char name[CSV_RQ_NAME_LEN + 1];
	struct stat st;

	csv_rq_name(name, sizeof(name), prefix, client, id);
	if (fstatat(a.reqfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return '-';
	return S_ISCHR(st.st_mode) && st.st_rdev == 0 ? 'w' : 'n';
}

/* R1, R4: creations retried on the next coordinator. */
static void
test_create(void)
{
	uint64_t fh, first;

	/* executed on A, reply lost: B answers with a handle on that file */
	req(CSV_OP_CREATE, 10, "/lock", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL_FATAL(run(&a, 1, false), 0);
	first = r.attr.ino;
	CU_ASSERT_EQUAL(first, ino("/lock"));
	CU_ASSERT_EQUAL(rec('r', 1, 10), 'w');
	CU_ASSERT_EQUAL(release(&a, r.fh), 0);
	req(CSV_OP_CREATE, 10, "/lock", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT_EQUAL(r.attr.ino, first);
	CU_ASSERT(r.fh > (9ull << 32));
	CU_ASSERT_EQUAL(release(&b, r.fh), 0);

	/* the race: client 1's create never reached the volume (lost
	 * with A's journal), client 2 creates the name on B, client 1's retry
	 * gets EEXIST: only one of them created it exclusively */
	req(CSV_OP_CREATE, 20, "/lock2", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL_FATAL(run(&b, 2, false), 0);
	fh = r.fh;
	req(CSV_OP_CREATE, 11, "/lock2", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL(run(&b, 1, true), -EEXIST);
	CU_ASSERT_EQUAL(rec('r', 1, 11), '-');
	CU_ASSERT_EQUAL(release(&b, fh), 0);

	/* made by A, then removed and made anew by client 2 on B: client 1's
	 * retry gets no handle on client 2's file */
	req(CSV_OP_CREATE, 12, "/lock3", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL_FATAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(release(&a, r.fh), 0);
	req(CSV_OP_UNLINK, 21, "/lock3", NULL);
	CU_ASSERT_EQUAL(run(&b, 2, false), 0);
	req(CSV_OP_CREATE, 22, "/lock3", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL_FATAL(run(&b, 2, false), 0);
	CU_ASSERT_EQUAL(release(&b, r.fh), 0);
	req(CSV_OP_CREATE, 12, "/lock3", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL(run(&b, 1, true), -ESTALE);

	/* A died after making the node at its record, before placing it */
	CU_ASSERT_EQUAL_FATAL(mkdirat(a.reqfd, "r-0000000000000001-000000000000000d", 0700), 0);
	req(CSV_OP_MKDIR, 13, "/d", NULL);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT(S_ISDIR(r.attr.mode));
	CU_ASSERT_EQUAL(rec('r', 1, 13), 'w');
	/* ... and a retry of a done mkdir, symlink, mknod, link: no EEXIST */
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	req(CSV_OP_SYMLINK, 14, "/d/l", "target");
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	req(CSV_OP_MKNOD, 15, "/d/fifo", NULL);
	q.mode = S_IFIFO | 0600;
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	req(CSV_OP_LINK, 16, "/lock", "/d/hard");
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(ino("/d/hard"), first);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	/* a retry whose first attempt never ran: executed now */
	req(CSV_OP_MKDIR, 17, "/d2", NULL);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT(ino("/d2") != 0);
	/* a request that finds its record taken without CSV_F_RETRY: R4 too */
	CU_ASSERT_EQUAL_FATAL(mkdirat(a.reqfd, "r-0000000000000001-0000000000000013", 0700), 0);
	req(CSV_OP_MKDIR, 19, "/d3", NULL);
	CU_ASSERT_EQUAL(run(&b, 1, false), 0);
	CU_ASSERT_EQUAL(rec('r', 1, 19), 'w');
	req(CSV_OP_RMDIR, 26, "/d3", NULL);
	CU_ASSERT_EQUAL(run(&b, 2, false), 0);
	/* another's mkdir of an existing name: EEXIST, nothing left behind */
	req(CSV_OP_MKDIR, 23, "/d2", NULL);
	CU_ASSERT_EQUAL(run(&b, 2, true), -EEXIST);
	CU_ASSERT_EQUAL(rec('r', 2, 23), '-');
	/* a create without O_EXCL keeps no record (R5) and opens on a retry */
	req(CSV_OP_CREATE, 18, "/plain", NULL);
	q.oflags = O_WRONLY;
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(release(&a, r.fh), 0);
	CU_ASSERT_EQUAL(rec('r', 1, 18), '-');
	req(CSV_OP_CREATE, 18, "/plain", NULL);
	q.oflags = O_WRONLY;
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT_EQUAL(release(&b, r.fh), 0);
}

/* R2, R4: removals. */
static void
test_remove(void)
{
	req(CSV_OP_CREATE, 30, "/victim", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL_FATAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(release(&a, r.fh), 0);
	/* the errors unlink/rmdir give, nothing moved */
	req(CSV_OP_RMDIR, 31, "/victim", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), -ENOTDIR);
	req(CSV_OP_UNLINK, 32, "/d", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), -EISDIR);
	req(CSV_OP_RMDIR, 33, "/d", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), -ENOTEMPTY);
	CU_ASSERT(ino("/d") != 0);
	req(CSV_OP_UNLINK, 34, "/nothing", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), -ENOENT);
	CU_ASSERT(rec('r', 1, 31) == '-' && rec('r', 1, 32) == '-' && rec('r', 1, 33) == '-' &&
		  rec('r', 1, 34) == '-');

	/* executed on A, retried on B: no ENOENT; the victim is gone */
	req(CSV_OP_UNLINK, 35, "/victim", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(ino("/victim"), 0);
	CU_ASSERT_EQUAL(rec('r', 1, 35), 'w');
	CU_ASSERT_EQUAL(rec('x', 1, 35), '-');
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	/* another client's unlink of a missing name: ENOENT is real */
	req(CSV_OP_UNLINK, 24, "/victim", NULL);
	CU_ASSERT_EQUAL(run(&b, 2, true), -ENOENT);

	/* A died after moving the victim to the record: B finishes */
	req(CSV_OP_RMDIR, 36, "/d2", NULL);
	CU_ASSERT_EQUAL_FATAL(renameat(a.mntfd, "d2", a.reqfd,
				       "r-0000000000000001-0000000000000024"), 0);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT_EQUAL(rec('r', 1, 36), 'w');
	CU_ASSERT_EQUAL(rec('x', 1, 36), '-');
	/* rmdir executed, retried */
	req(CSV_OP_UNLINK, 37, "/d/l", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	req(CSV_OP_UNLINK, 38, "/d/fifo", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	req(CSV_OP_UNLINK, 39, "/d/hard", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	req(CSV_OP_RMDIR, 40, "/d", NULL);
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT_EQUAL(ino("/d"), 0);
}

/* R3, R4, R8: renames and their tag. */
static void
test_rename(void)
{
	unsigned char t[CSV_RQ_TAG_LEN];
	uint64_t f, g;
	char p[256];
	ssize_t all;

	req(CSV_OP_CREATE, 50, "/f", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL_FATAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(release(&a, r.fh), 0);
	req(CSV_OP_CREATE, 51, "/g", NULL);
	q.oflags = O_WRONLY | O_EXCL;
	CU_ASSERT_EQUAL_FATAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(release(&a, r.fh), 0);
	f = ino("/f");
	g = ino("/g");

	/* executed on A, retried on B: no ENOENT */
	req(CSV_OP_RENAME, 52, "/f", "/f2");
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT_EQUAL(ino("/f2"), f);
	/* another client's rename of the missing name: ENOENT is real */
	req(CSV_OP_RENAME, 25, "/f", "/f3");
	CU_ASSERT_EQUAL(run(&b, 2, true), -ENOENT);
	/* RENAME_NOREPLACE executed: no EEXIST on the retry */
	req(CSV_OP_RENAME, 53, "/f2", "/f4");
	q.oflags = 1;			/* RENAME_NOREPLACE */
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	/* RENAME_EXCHANGE executed: the retry does not swap them back */
	req(CSV_OP_RENAME, 54, "/f4", "/g");
	q.oflags = 2;			/* RENAME_EXCHANGE */
	CU_ASSERT_EQUAL(run(&a, 1, false), 0);
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT(ino("/g") == f && ino("/f4") == g);
	/* A died after tagging the source, before the rename: B renames */
	csv_rq_tag(t, 1, 55);
	snprintf(p, sizeof(p), "%s/g", dir);
	CU_ASSERT_EQUAL(setxattr(p, CSV_RQ_XATTR, t, sizeof(t), 0), 0);
	req(CSV_OP_RENAME, 55, "/g", "/g2");
	CU_ASSERT_EQUAL(run(&b, 1, true), 0);
	CU_ASSERT_EQUAL(ino("/g2"), f);

	/* R8: the tag is the coordinator's */
	snprintf(p, sizeof(p), "%s/g2", dir);
	CU_ASSERT(getxattr(p, CSV_RQ_XATTR, NULL, 0) == CSV_RQ_TAG_LEN);
	CU_ASSERT_EQUAL(setxattr(p, "user.a", "1", 1, 0), 0);
	all = listxattr(p, NULL, 0);
	req(CSV_OP_LISTXATTR, 56, "/g2", NULL);
	q.len = 0;
	CU_ASSERT_EQUAL(run(&b, 1, false), 0);
	CU_ASSERT_EQUAL((ssize_t)r.len, all - (ssize_t)sizeof(CSV_RQ_XATTR));
	q.len = 1024;
	CU_ASSERT_EQUAL(run(&b, 1, false), 0);
	CU_ASSERT(r.datalen > 0 && !memmem(r.data, r.datalen, "trusted.csv", 11));
	req(CSV_OP_LISTXATTR, 57, "/g2", NULL);
	q.len = 4;
	CU_ASSERT_EQUAL(run(&b, 1, false), -ERANGE);
	req(CSV_OP_GETXATTR, 58, "/g2", NULL);
	snprintf(q.name, sizeof(q.name), CSV_RQ_XATTR);
	q.len = 64;
	CU_ASSERT_EQUAL(run(&b, 1, false), -ENODATA);
	req(CSV_OP_SETXATTR, 59, "/g2", NULL);
	snprintf(q.name, sizeof(q.name), CSV_RQ_XATTR);
	q.data = "x";
	q.datalen = 1;
	CU_ASSERT_EQUAL(run(&b, 1, false), -EPERM);
	req(CSV_OP_REMOVEXATTR, 60, "/g2", NULL);
	snprintf(q.name, sizeof(q.name), CSV_RQ_XATTR);
	CU_ASSERT_EQUAL(run(&b, 1, false), -EPERM);
}

/* R6: victims go at once, records after the bound. */
static void
test_prune(void)
{
	int fd = openat(a.reqfd, "x-0000000000000003-0000000000000001",
			O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(mkdirat(a.reqfd, "keep-me", 0700), 0);
	CU_ASSERT_EQUAL(rec('r', 1, 10), 'w');
	coord_req_prune(&b);
	CU_ASSERT_EQUAL(rec('x', 3, 1), '-');
	CU_ASSERT_EQUAL(rec('r', 1, 10), 'w');
	b.rq_keep_ms = 0;
	/* ages are whole milliseconds of ctime: make them at least 1 */
	nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	coord_req_prune(&b);
	CU_ASSERT_EQUAL(rec('r', 1, 10), '-');
	CU_ASSERT_EQUAL(rec('r', 1, 35), '-');
	CU_ASSERT_EQUAL(unlinkat(a.reqfd, "keep-me", AT_REMOVEDIR), 0);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "R1, R4: creations retried", test_create },
		{ "R2, R4: removals retried", test_remove },
		{ "R3, R4, R8: renames retried, the tag hidden", test_rename },
		{ "R6: pruning", test_prune },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv-coord-ns", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
