/*
 * test_vm_prealloc.c - cli/vm-prealloc.c (rules P1-P5 of vm-prealloc.h) on
 * real files in a temporary directory: each case is a layout of the file
 * as text, segments of KiB: "H" a hole, "D" data (a pattern), "Z" written
 * zeros, "F" fallocated (unwritten where the file system has such
 * extents). After preallocation the content is what it was, no hole and
 * no unwritten extent is left (FIEMAP, where the file system has it), and
 * only holes and unwritten extents were written.
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "../../cli/vm-prealloc.h"

static char dir[] = "/var/tmp/test_vm_prealloc.XXXXXX";

struct layout_case {
	const char *layout;	/* segments, KiB */
	uint64_t holes_kib;	/* what must be written: H (and F, see below) */
	uint64_t data_kib;	/* what must be kept: D and Z */
};

static const struct layout_case cases[] = {
	{ "H1024",			1024, 0 },	/* truncate: all holes */
	{ "D1024",			0, 1024 },	/* all data: nothing written */
	{ "H64 D8 H120 D4 H4",		188, 12 },	/* holes between data */
	{ "D4 H2044",			2044, 4 },	/* a hole to the end */
	{ "H2048 D4",			2048, 4 },	/* data only at the end */
	{ "Z64 H64",			64, 64 },	/* written zeros are data */
	{ "H4 F64 D4 F128 H4",		200, 4 },	/* unwritten extents too */
	{ "H3000 D1 H5",		3002, 4 },	/* chunks beyond 1 MiB, a block's data */
};

/* Build the file for layout; its expected content into *want (size). */
static char *
build(const char *layout, unsigned char **want, uint64_t *size)
{
	static int seq;
	char *path, kind;
	const char *s = layout;
	uint64_t off = 0, kib;
	int fd, n;

	if (asprintf(&path, "%s/img%d", dir, seq++) < 0)
		return NULL;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	*want = calloc(1, 8 << 20);
	while (sscanf(s, " %c%lu%n", &kind, &kib, &n) == 2) {
		uint64_t len = kib << 10;

		s += n;
		if (kind == 'D') {
			for (uint64_t i = 0; i < len; i++)
				(*want)[off + i] = (unsigned char)(1 + (off + i) % 251);
			CU_ASSERT(pwrite(fd, *want + off, len, (off_t)off) == (ssize_t)len);
		} else if (kind == 'Z') {
			CU_ASSERT(pwrite(fd, *want + off, len, (off_t)off) == (ssize_t)len);
		} else if (kind == 'F') {
			CU_ASSERT(fallocate(fd, 0, (off_t)off, (off_t)len) == 0);
		}
		off += len;
	}
	CU_ASSERT(ftruncate(fd, (off_t)off) == 0);
	CU_ASSERT(fsync(fd) == 0);
	close(fd);
	*size = off;
	return path;
}

/* No hole and no unwritten extent in [0, size) (FIEMAP); true where the
 * file system cannot say. */
static bool
all_written(const char *path, uint64_t size)
{
	size_t sz = sizeof(struct fiemap) + 64 * sizeof(struct fiemap_extent);
	struct fiemap *fm = calloc(1, sz);
	uint64_t next = 0;
	bool ok = true;
	int fd = open(path, O_RDONLY);

	fm->fm_length = size;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 64;
	if (fd < 0 || ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
		free(fm);
		if (fd >= 0)
			close(fd);
		return true;
	}
	for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
		struct fiemap_extent *e = &fm->fm_extents[i];

		if (e->fe_logical > next || (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN))
			ok = false;
		next = e->fe_logical + e->fe_length;
	}
	if (next < size)
		ok = false;
	close(fd);
	free(fm);
	return ok;
}

static void
test_layouts(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct layout_case *c = &cases[i];
		struct cd_prealloc_result res;
		unsigned char *want, *got;
		uint64_t size;
		char err[256], *path = build(c->layout, &want, &size);
		int fd, rc;

		rc = cd_prealloc_file(path, NULL, NULL, &res, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			fprintf(stderr, "\n  %s: %s\n", c->layout, err);
		CU_ASSERT_EQUAL(res.size, size);
		CU_ASSERT_EQUAL(res.scanned, 0);
		/* P1: the holes written, the data kept; a file system without
		 * unwritten extents reports an F segment as data */
		CU_ASSERT(res.written + res.kept == size);
		CU_ASSERT(res.kept >= c->data_kib << 10);
		CU_ASSERT(res.written <= c->holes_kib << 10);
		if (!strchr(c->layout, 'F'))
			CU_ASSERT_EQUAL(res.written, c->holes_kib << 10);
		got = malloc(size);
		fd = open(path, O_RDONLY);
		CU_ASSERT(pread(fd, got, size, 0) == (ssize_t)size);
		close(fd);
		CU_ASSERT(memcmp(got, want, size) == 0);	/* content unchanged */
		CU_ASSERT(all_written(path, size));
		if (!all_written(path, size))
			fprintf(stderr, "\n  %s: holes or unwritten extents left\n", c->layout);
		unlink(path);
		free(path);
		free(want);
		free(got);
	}
}

/* P3: a file another open file description has locked is refused, as a
 * running QEMU's image is; untouched. */
static void
test_locked(void)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 1 };
	struct cd_prealloc_result res;
	unsigned char *want;
	uint64_t size;
	char err[256], *path = build("H256", &want, &size);
	struct stat st;
	int fd = open(path, O_RDONLY);

	CU_ASSERT(fcntl(fd, F_OFD_SETLK, &fl) == 0);	/* as QEMU locks byte 100 */
	CU_ASSERT_EQUAL(cd_prealloc_file(path, NULL, NULL, &res, err, sizeof(err)), -EBUSY);
	CU_ASSERT(strstr(err, "in use") != NULL);
	CU_ASSERT(stat(path, &st) == 0 && st.st_blocks == 0);
	close(fd);
	CU_ASSERT_EQUAL(cd_prealloc_file(path, NULL, NULL, &res, err, sizeof(err)), 0);
	unlink(path);
	free(path);
	free(want);
}

/* P5 and a missing file: clear errors naming the path. */
static void
test_refused(void)
{
	struct cd_prealloc_result res;
	char err[256], missing[300];

	CU_ASSERT_EQUAL(cd_prealloc_file(dir, NULL, NULL, &res, err, sizeof(err)), -EISDIR);
	snprintf(missing, sizeof(missing), "%s/none", dir);
	CU_ASSERT_EQUAL(cd_prealloc_file(missing, NULL, NULL, &res, err, sizeof(err)), -ENOENT);
	CU_ASSERT(strstr(err, missing) == err);
	CU_ASSERT_EQUAL(cd_prealloc_file("/dev/null", NULL, NULL, &res, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT(strstr(err, "not a regular file") != NULL);
}

static uint64_t seen_done, seen_calls;

static void
on_progress(void *opaque, uint64_t done, uint64_t size)
{
	(void)opaque;
	CU_ASSERT(done >= seen_done && done <= size);
	seen_done = done;
	seen_calls++;
}

/* The progress callback: monotonic, ends at the size. */
static void
test_progress(void)
{
	struct cd_prealloc_result res;
	unsigned char *want;
	uint64_t size;
	char err[256], *path = build("H3000 D4 H1096", &want, &size);

	CU_ASSERT_EQUAL(cd_prealloc_file(path, on_progress, NULL, &res, err, sizeof(err)), 0);
	CU_ASSERT(seen_calls >= 4);
	CU_ASSERT_EQUAL(seen_done, size);
	unlink(path);
	free(path);
	free(want);
}

int
main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("vm_prealloc", NULL, NULL);
	CU_add_test(s, "layouts: holes written, data kept, no hole left", test_layouts);
	CU_add_test(s, "locked: refused, untouched", test_locked);
	CU_add_test(s, "refused: directory, missing, device", test_refused);
	CU_add_test(s, "progress", test_progress);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	rmdir(dir);
	return fails ? 1 : 0;
}
