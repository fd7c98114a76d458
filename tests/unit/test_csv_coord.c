/*
 * test_csv_coord.c - unit tests of the coordinator's operations
 * (csv/coord-ops.c) on a real directory standing for the mounted volume:
 * path rules, escapes refused, and the operations a client relies on; and
 * locks across a coordinator change (csv/coord-grace.c): the lock record,
 * the grace period, reclaims and the fenced nodes, with a second struct
 * coord on the same directory standing for the next coordinator.
 */
#include "coord.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/test_csv_coord.XXXXXX";
static struct coord co = { .name = "t", .mntfd = -1, .grace_ms = 60000 };

/* A client as HELLO registers it. */
static void
add_client(struct coord *c, uint64_t id, const char *node)
{
	struct coord_client *cl = calloc(1, sizeof(*cl));

	CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
	cl->id = id;
	snprintf(cl->node, sizeof(cl->node), "%s", node);
	cl->next_client = c->clients;
	c->clients = cl;
}

static int
suite_init(void)
{
	if (!mkdtemp(dir))
		return -1;
	co.mntfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	co.fh_gen = 7ull << 32;
	if (pthread_mutex_init(&co.lock, NULL) || co.mntfd < 0 || coord_grace_init(&co) < 0)
		return -1;
	/* an empty volume: no lock record, no grace */
	return co.grace.active ? -1 : 0;
}

static int
suite_clean(void)
{
	char cmd[128];

	coord_forget_client(&co, 1);
	coord_clear(&co);
	close(co.resfd);
	close(co.mntfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct {
	const char *path;
	int rc;
} path_cases[] = {
	{ "/", 0 }, { "/a", 0 }, { "/a/b.c/d", 0 }, { "/.hidden", 0 }, { "/a..b", 0 },
	{ "", -EINVAL }, { "a", -EINVAL }, { "//a", -EINVAL }, { "/a/", -EINVAL },
	{ "/a//b", -EINVAL }, { "/.", -EINVAL }, { "/..", -EINVAL }, { "/a/../b", -EINVAL },
	{ "/a/./b", -EINVAL }, { "/a/..", -EINVAL },
	{ "/" COORD_RESERVED, -EPERM }, { "/" COORD_RESERVED "/locks", -EPERM },
	{ "/" COORD_RESERVED "x", 0 }, { "/a/" COORD_RESERVED, 0 },
};

static void
test_path_rules(void)
{
	size_t i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		int rc = coord_path_ok(path_cases[i].path);

		if (rc != path_cases[i].rc)
			printf("\n  path '%s': %d\n", path_cases[i].path, rc);
		CU_ASSERT_EQUAL(rc, path_cases[i].rc);
	}
}

/* Run one request of client on c; the reply in *r, its buffer freed. */
static int
run_on(struct coord *c, uint64_t client, struct csv_msg *q, struct csv_msg *r)
{
	void *buf = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = coord_exec(c, client, q, r, &buf);
	/* data replies point into buf: keep what the tests look at */
	if (rc == 0 && r->datalen && buf) {
		static char keep[65536];

		memcpy(keep, r->data, r->datalen < sizeof(keep) ? r->datalen : sizeof(keep));
		r->data = keep;
	}
	free(buf);
	return rc;
}

static int
run(struct csv_msg *q, struct csv_msg *r)
{
	return run_on(&co, 1, q, r);
}

static struct csv_msg q, r;

static void
req(unsigned op, const char *path)
{
	memset(&q, 0, sizeof(q));
	q.op = (uint16_t)op;
	q.id = 1;
	q.uid = getuid();	/* creations chown to these: no root needed */
	q.gid = getgid();
	snprintf(q.path, sizeof(q.path), "%s", path);
}

static void
test_file_ops(void)
{
	uint64_t fh;

	req(CSV_OP_MKDIR, "/vm");
	q.mode = 0755;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT(S_ISDIR(r.attr.mode));
	req(CSV_OP_CREATE, "/vm/disk.img");
	q.oflags = O_RDWR | O_EXCL;
	q.mode = 0600;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	fh = r.fh;
	CU_ASSERT(fh > (7ull << 32));
	req(CSV_OP_WRITE, "");
	q.fh = fh;
	q.off = 1 << 20;
	q.data = "hello";
	q.datalen = 5;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_EQUAL(r.len, 5);
	req(CSV_OP_FSYNC, "");
	q.fh = fh;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	req(CSV_OP_LSEEK, "");
	q.fh = fh;
	q.mode = SEEK_DATA;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT(r.off > 0 && r.off <= (1 << 20));	/* sparse: a hole first */
	req(CSV_OP_READ, "");
	q.fh = fh;
	q.off = (1 << 20) - 2;
	q.len = 100;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_EQUAL(r.datalen, 7);
	CU_ASSERT(memcmp(r.data, "\0\0hello", 7) == 0);
	req(CSV_OP_CREATE, "/vm/disk.img");
	q.oflags = O_RDWR | O_EXCL;
	CU_ASSERT_EQUAL(run(&q, &r), -EEXIST);
	req(CSV_OP_RENAME, "/vm/disk.img");
	strcpy(q.path2, "/vm/disk2.img");
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	req(CSV_OP_GETATTR, "/vm/disk2.img");
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_EQUAL(r.attr.size, (1 << 20) + 5);
	/* the handle follows the file across the rename */
	req(CSV_OP_GETATTR, "");
	q.fh = fh;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	req(CSV_OP_READDIR, "/vm");
	q.len = 4096;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT(r.datalen > 0);
	req(CSV_OP_RELEASE, "");
	q.fh = fh;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_EQUAL(run(&q, &r), -EBADF);
	/* a handle of another coordinator is unknown */
	req(CSV_OP_READ, "");
	q.fh = 3;
	q.len = 1;
	CU_ASSERT_EQUAL(run(&q, &r), -EBADF);
	req(CSV_OP_UNLINK, "/vm/disk2.img");
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_EQUAL(run(&q, &r), -ENOENT);
}

/* A symlink on the volume never leads a request out of it. */
static void
test_no_escape(void)
{
	req(CSV_OP_SYMLINK, "/out");
	strcpy(q.path2, "/etc");
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT(S_ISLNK(r.attr.mode));
	req(CSV_OP_OPEN, "/out/passwd");
	CU_ASSERT_EQUAL(run(&q, &r), -ELOOP);
	req(CSV_OP_CREATE, "/out/x");
	q.oflags = O_RDWR;
	q.mode = 0600;
	CU_ASSERT_EQUAL(run(&q, &r), -ELOOP);
	req(CSV_OP_GETATTR, "/out");	/* the link itself */
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT(S_ISLNK(r.attr.mode));
	req(CSV_OP_OPEN, "/out");	/* not followed */
	q.oflags = O_RDONLY;
	CU_ASSERT_EQUAL(run(&q, &r), -ELOOP);
	req(CSV_OP_READLINK, "/out");
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.path, "/etc");
	req(CSV_OP_UNLINK, "/../x");
	CU_ASSERT_EQUAL(run(&q, &r), -EINVAL);
	req(CSV_OP_RMDIR, "/");
	CU_ASSERT_EQUAL(run(&q, &r), -EBUSY);
	req(CSV_OP_STATFS, "");
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT(r.statfs.blocks > 0);
	req(0x100, "/");
	CU_ASSERT_EQUAL(run(&q, &r), -ENOSYS);
}

/* Owners conflict as they would locally: POSIX (OFD underneath) and flock. */
static void
test_locks(void)
{
	uint64_t fh1, fh2;

	add_client(&co, 1, "nA");
	req(CSV_OP_CREATE, "/lockme");
	q.oflags = O_RDWR;
	q.mode = 0600;
	CU_ASSERT_EQUAL_FATAL(run(&q, &r), 0);
	fh1 = r.fh;
	req(CSV_OP_OPEN, "/lockme");
	q.oflags = O_RDWR;
	CU_ASSERT_EQUAL_FATAL(run(&q, &r), 0);
	fh2 = r.fh;

	req(CSV_OP_LOCK, "");
	q.fh = fh1;
	q.owner = 0xa;
	q.oflags = CSV_LK_SET;
	q.type = CSV_LK_WR;
	q.off = 0;
	q.len = 100;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	q.fh = fh2;			/* another owner, another handle */
	q.owner = 0xb;
	q.off = 50;
	CU_ASSERT_EQUAL(run(&q, &r), -EAGAIN);
	q.oflags = CSV_LK_GET;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_EQUAL(r.type, CSV_LK_WR);
	CU_ASSERT_EQUAL(r.off, 0);
	CU_ASSERT_EQUAL(r.len, 100);
	q.fh = fh2;			/* same owner through another handle: its own lock */
	q.owner = 0xa;
	q.oflags = CSV_LK_SET;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	q.owner = 0xa;
	q.type = CSV_LK_UN;
	q.off = 0;
	q.len = 0;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	q.owner = 0xb;
	q.type = CSV_LK_WR;
	CU_ASSERT_EQUAL(run(&q, &r), 0);

	req(CSV_OP_FLOCK, "");
	q.fh = fh1;
	q.type = CSV_LK_WR;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	q.fh = fh2;
	CU_ASSERT_EQUAL(run(&q, &r), -EAGAIN);
	q.fh = fh1;
	q.type = CSV_LK_UN;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	q.fh = fh2;
	q.type = CSV_LK_RD;
	CU_ASSERT_EQUAL(run(&q, &r), 0);

	/* closing the client's last handle on the file drops its locks */
	CU_ASSERT_PTR_NOT_NULL(co.locks);
	req(CSV_OP_RELEASE, "");
	q.fh = fh1;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_PTR_NOT_NULL(co.locks);	/* fh2 is still open */
	q.fh = fh2;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_PTR_NULL(co.locks);
}


/* The reserved directory is not the clients': not listed, not reachable. */
static void
test_reserved(void)
{
	struct csv_dirent d;
	size_t pos = 0;
	bool seen = false;

	req(CSV_OP_READDIR, "/");
	q.len = 65536;
	CU_ASSERT_EQUAL_FATAL(run(&q, &r), 0);
	while (csv_dirent_next(r.data, r.datalen, &pos, &d) == 1)
		seen |= !strcmp(d.name, COORD_RESERVED);
	CU_ASSERT_FALSE(seen);
	req(CSV_OP_GETATTR, "/" COORD_RESERVED "/locks");
	CU_ASSERT_EQUAL(run(&q, &r), -EPERM);
	req(CSV_OP_MKDIR, "/" COORD_RESERVED);
	CU_ASSERT_EQUAL(run(&q, &r), -EPERM);
}

static void
lock_req(uint64_t fh, uint64_t owner, uint32_t cmd, uint32_t type)
{
	req(CSV_OP_LOCK, "");
	q.fh = fh;
	q.owner = owner;
	q.oflags = cmd;
	q.type = type;
	q.off = 100;
	q.len = 1;
}

/*
 * Client 1 (node nA) holds a lock under the first coordinator, which dies;
 * the next one starts in grace: client 2 (nB) must wait, client 1
 * reclaims, then client 2 is refused the range; fencing nA frees it.
 */
static void
test_grace(void)
{
	static struct coord co2 = { .name = "t2", .mntfd = -1, .grace_ms = 60000 };
	char path[64], fenced[64];
	uint64_t fh, fh1, fh2;
	FILE *f;

	req(CSV_OP_CREATE, "/qemu.img");
	q.oflags = O_RDWR;
	q.mode = 0600;
	CU_ASSERT_EQUAL_FATAL(run(&q, &r), 0);
	fh = r.fh;
	lock_req(fh, 0xa, CSV_LK_SET, CSV_LK_WR);
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	/* the write-ahead: client 1 is in the record */
	snprintf(path, sizeof(path), "%s/" COORD_RESERVED "/locks", dir);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(fenced, sizeof(fenced), f));
	CU_ASSERT_STRING_EQUAL(fenced, "csv-locks 1\n");
	CU_ASSERT_PTR_NOT_NULL(fgets(fenced, sizeof(fenced), f));
	CU_ASSERT_STRING_EQUAL(fenced, "0000000000000001 nA\n");
	fclose(f);
	/* the first coordinator dies: its locks go with it */
	coord_forget_client(&co, 1);

	co2.mntfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	co2.fh_gen = 9ull << 32;
	snprintf(fenced, sizeof(fenced), "%s/fenced", dir);
	co2.fenced_file = fenced;
	CU_ASSERT_EQUAL_FATAL(pthread_mutex_init(&co2.lock, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(coord_grace_init(&co2), 0);
	CU_ASSERT_TRUE(co2.grace.active);	/* G1 */
	add_client(&co2, 1, "nA");
	add_client(&co2, 2, "nB");
	req(CSV_OP_OPEN, "/qemu.img");
	q.oflags = O_RDWR;
	CU_ASSERT_EQUAL_FATAL(run_on(&co2, 1, &q, &r), 0);
	fh1 = r.fh;
	CU_ASSERT_EQUAL_FATAL(run_on(&co2, 2, &q, &r), 0);
	fh2 = r.fh;

	/* G3: client 2's lock and test would wait; G2: its reclaim is refused */
	lock_req(fh2, 0xb, CSV_LK_SET, CSV_LK_WR);
	CU_ASSERT_TRUE(coord_lock_may_wait(&co2, &q));
	lock_req(fh2, 0xb, CSV_LK_GET, CSV_LK_WR);
	CU_ASSERT_TRUE(coord_lock_may_wait(&co2, &q));
	lock_req(fh2, 0xb, CSV_LK_RECLAIM, CSV_LK_WR);
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), -ENOLCK);
	/* client 1 reclaims and is done: the grace ends (G5) */
	lock_req(fh1, 0xa, CSV_LK_RECLAIM, CSV_LK_WR);
	CU_ASSERT_EQUAL(run_on(&co2, 1, &q, &r), 0);
	req(CSV_OP_RECLAIM_DONE, "");
	CU_ASSERT_EQUAL(run_on(&co2, 1, &q, &r), 0);
	CU_ASSERT_FALSE(co2.grace.active);
	coord_tick(&co2);
	CU_ASSERT_FALSE(co2.grace_on);
	/* G4: a late reclaim is refused; the reclaimed lock holds */
	lock_req(fh2, 0xb, CSV_LK_RECLAIM, CSV_LK_WR);
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), -ENOLCK);
	lock_req(fh2, 0xb, CSV_LK_SET, CSV_LK_WR);
	CU_ASSERT_FALSE(coord_lock_may_wait(&co2, &q));
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), -EAGAIN);

	/* bad lock requests: no such command, a reclaim of nothing, unknown bits */
	lock_req(fh2, 0xb, CSV_LK_RECLAIM + 1, CSV_LK_WR);
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), -EINVAL);
	lock_req(fh2, 0xb, CSV_LK_SET, CSV_LK_UN + 1);
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), -EINVAL);
	req(CSV_OP_FLOCK, "");
	q.fh = fh2;
	q.type = CSV_LK_WR;
	q.oflags = 0x4;
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), -EINVAL);
	q.oflags = CSV_FL_RECLAIM;
	q.type = CSV_LK_UN;
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), -ENOLCK);	/* the grace is over (G4) */

	/* nA is fenced: refused from now on, its lock released */
	f = fopen(fenced, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("nA\n", f);
	fclose(f);
	coord_tick(&co2);
	CU_ASSERT_TRUE(coord_node_fenced(&co2, "nA"));
	CU_ASSERT_FALSE(coord_node_fenced(&co2, "nB"));
	lock_req(fh2, 0xb, CSV_LK_SET, CSV_LK_WR);
	CU_ASSERT_EQUAL(run_on(&co2, 2, &q, &r), 0);
	/* readmitted: no longer fenced */
	f = fopen(fenced, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	coord_tick(&co2);
	CU_ASSERT_FALSE(coord_node_fenced(&co2, "nA"));

	coord_clear(&co2);
	close(co2.resfd);
	close(co2.mntfd);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "path rules", test_path_rules },
		{ "file operations", test_file_ops },
		{ "no way out of the volume", test_no_escape },
		{ "locks between owners", test_locks },
		{ "the reserved directory", test_reserved },
		{ "locks across a coordinator change", test_grace },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv-coord", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
