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
#include <time.h>
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
	if (pthread_mutex_init(&co.lock, NULL) || co.mntfd < 0 || coord_grace_init(&co) < 0 ||
	    coord_req_init(&co, 60000) < 0 || !co.rq_on)
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
	close(co.reqfd);
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
	static uint64_t ids;

	q.op = (uint16_t)op;
	q.id = ++ids;		/* unique, as a client's (namespace records) */
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
	req(CSV_OP_DIRECT_END, "/");
	CU_ASSERT_EQUAL(run(&q, &r), -ENOSYS);
	req(CSV_OP_MAP, "");		/* direct I/O not offered (no lease init yet) */
	CU_ASSERT_EQUAL(run(&q, &r), -EOPNOTSUPP);
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

/* ---- direct I/O: maps under leases, recalls (coord-lease.c, D1-D8) ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t client, lease;	/* the last push */
	int pushes;
	bool truncated;
} pushed = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, false };

static int
record_push(struct coord *c, uint64_t client, const struct csv_msg *m)
{
	(void)c;
	CU_ASSERT_EQUAL(m->op, CSV_OP_RECALL);
	CU_ASSERT_EQUAL(m->flags, CSV_F_PUSH);
	pthread_mutex_lock(&pushed.lock);
	pushed.client = client;
	pushed.lease = m->owner;
	pushed.pushes++;
	pthread_cond_broadcast(&pushed.cond);
	pthread_mutex_unlock(&pushed.lock);
	return 0;
}

static void *
truncator(void *arg)
{
	struct csv_msg tq = { .op = CSV_OP_TRUNCATE, .id = 9, .off = 4096 }, tr;
	void *buf = NULL;

	(void)arg;
	strcpy(tq.path, "/leased.img");
	CU_ASSERT_EQUAL(coord_exec(&co, 1, &tq, &tr, &buf), 0);
	free(buf);
	pthread_mutex_lock(&pushed.lock);
	pushed.truncated = true;
	pthread_cond_broadcast(&pushed.cond);
	pthread_mutex_unlock(&pushed.lock);
	return NULL;
}

/* MAP of fh for client into ext (at most max); the lease id, 0 on error rc. */
static uint64_t
map(uint64_t client, uint64_t fh, uint64_t renew, struct csv_extent *ext, size_t max,
    size_t *n, int *rc)
{
	size_t pos = 0;

	req(CSV_OP_MAP, "");
	q.fh = fh;
	q.owner = renew;
	*rc = run_on(&co, client, &q, &r);
	*n = 0;
	if (*rc < 0)
		return 0;
	while (*n < max && csv_extent_next(r.data, r.datalen, &pos, &ext[*n]) == 1)
		(*n)++;
	CU_ASSERT_EQUAL(pos, r.datalen);
	CU_ASSERT_EQUAL(r.len, co.lease_ms);
	return r.owner;
}

static void
test_direct(void)
{
	static char data[65536];
	struct csv_extent ext[64];
	struct timespec ts;
	struct stat st;
	uint64_t fh, fh2, id, id2;
	uint64_t total = 0;
	size_t n, i;
	pthread_t t;
	int rc, fd;

	co.lease_ms = 10000;
	CU_ASSERT_EQUAL_FATAL(coord_lease_init(&co, "/dev/null"), 0);
	CU_ASSERT_FALSE(co.direct);	/* not a block device: not offered */
	co.direct = true;		/* /tmp's extents stand for the LUN's */
	co.push = record_push;
	add_client(&co, 1, "nA");
	add_client(&co, 2, "nB");
	for (struct coord_client *cl = co.clients; cl; cl = cl->next_client)
		cl->direct = cl->id == 1 || cl->id == 2;

	/* a written file: mapped whole, even before writeback (delalloc) */
	memset(data, 'd', sizeof(data));
	req(CSV_OP_CREATE, "/leased.img");
	q.oflags = O_RDWR;
	q.mode = 0644;
	CU_ASSERT_EQUAL_FATAL(run(&q, &r), 0);
	fh = r.fh;
	req(CSV_OP_WRITE, "");
	q.fh = fh;
	q.data = data;
	q.datalen = sizeof(data);
	CU_ASSERT_EQUAL_FATAL(run(&q, &r), 0);
	id = map(1, fh, 0, ext, 64, &n, &rc);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT(id != 0);
	CU_ASSERT_EQUAL(r.off, sizeof(data));
	for (i = 0; i < n; i++) {
		CU_ASSERT(ext[i].physical != 0);
		total += ext[i].length;
	}
	CU_ASSERT_EQUAL(total, sizeof(data));
	fd = openat(co.mntfd, "leased.img", O_RDONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_TRUE(coord_leased(&co, fd));		/* D7 */

	/* D2: only the holder renews */
	CU_ASSERT_EQUAL(map(2, fh, id, ext, 64, &n, &rc), 0);
	CU_ASSERT_EQUAL(rc, -ENOENT);
	id2 = map(1, fh, id, ext, 64, &n, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(id2 != id && id2 != 0);
	id = id2;
	/* a client without CSV_CAP_DIRECT gets none */
	add_client(&co, 3, "nC");
	CU_ASSERT_EQUAL(map(3, fh, 0, ext, 64, &n, &rc), 0);
	CU_ASSERT_EQUAL(rc, -EPERM);

	/* unwritten extents (fallocate) are not mapped: a direct write there
	 * would not be seen */
	req(CSV_OP_FALLOCATE, "");
	q.fh = fh;
	q.off = 65536;
	q.len = 65536;
	q.mode = 0;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	id2 = map(2, fh, 0, ext, 64, &n, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	for (total = 0, i = 0; i < n; i++)
		total += ext[i].length;
	CU_ASSERT_EQUAL(total, sizeof(data));
	CU_ASSERT_EQUAL(coord_return(&co, 2, id2), 0);
	CU_ASSERT_EQUAL(coord_return(&co, 2, id2), -ENOENT);

	/* D4: a truncate recalls the lease and waits for its return */
	pthread_mutex_lock(&pushed.lock);
	pushed.pushes = 0;
	pthread_mutex_unlock(&pushed.lock);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, truncator, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&pushed.lock);
	while (!pushed.pushes && !pushed.truncated &&
	       pthread_cond_timedwait(&pushed.cond, &pushed.lock, &ts) == 0)
		;
	CU_ASSERT_EQUAL(pushed.pushes, 1);
	CU_ASSERT_EQUAL(pushed.client, 1);
	CU_ASSERT_EQUAL(pushed.lease, id);
	CU_ASSERT_FALSE(pushed.truncated);
	pthread_mutex_unlock(&pushed.lock);
	/* D1: no new lease of that file meanwhile */
	CU_ASSERT_EQUAL(map(2, fh, 0, ext, 64, &n, &rc), 0);
	CU_ASSERT_EQUAL(rc, -EBUSY);
	CU_ASSERT_EQUAL(fstatat(co.mntfd, "leased.img", &st, 0), 0);
	CU_ASSERT_EQUAL(st.st_size, 131072);	/* not truncated yet */
	CU_ASSERT_EQUAL(coord_return(&co, 1, id), 0);
	pthread_join(t, NULL);
	CU_ASSERT_TRUE(pushed.truncated);
	CU_ASSERT_EQUAL(fstatat(co.mntfd, "leased.img", &st, 0), 0);
	CU_ASSERT_EQUAL(st.st_size, 4096);
	/* a new map sees the truncated file */
	id = map(2, fh, 0, ext, 64, &n, &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(r.off, 4096);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ext[0].length, 4096);

	/* a second handle of the file; the last return ends D7's regime */
	req(CSV_OP_OPEN, "/leased.img");
	q.oflags = O_RDWR;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	fh2 = r.fh;
	req(CSV_OP_RELEASE, "");
	q.fh = fh2;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_TRUE(coord_leased(&co, fd));
	CU_ASSERT_EQUAL(coord_return(&co, 2, id), 0);
	CU_ASSERT_FALSE(coord_leased(&co, fd));
	close(fd);
	req(CSV_OP_RELEASE, "");
	q.fh = fh;
	CU_ASSERT_EQUAL(run(&q, &r), 0);
	CU_ASSERT_EQUAL(csv_dl_count(&co.dl), 0);
	co.push = NULL;
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
		{ "direct I/O: maps, leases, recalls", test_direct },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv-coord", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
