/*
 * test_storage_moves.c - the disk moves a live storage move records
 * (agents/vm/vmdef-moves.c): applying vm_disk_moves to a definition
 * (chains, format, bad lists) and rewriting a definition file in a
 * temporary directory. (Adding a move to the list: test_smove.)
 */
#include "vmdef.h"
#include "vmdef-moves.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEF "{\"name\":\"web1\",\"memory_mib\":64,\"disks\":[" \
	"{\"path\":\"/a/web1.img\"},{\"path\":\"/a/data.qcow2\",\"format\":\"qcow2\"}]}"

static struct cd_vmdef *
def_new(void)
{
	char err[256];
	struct cd_vmdef *d = cd_vmdef_parse(DEF, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

struct acase {
	const char *moves;
	int want;		/* disks changed, or -EINVAL */
	const char *d0, *f0, *d1, *f1;
};

static const struct acase applies[] = {
	{ NULL, 0, "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "", 0, "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "[]", 0, "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "[{\"from\":\"/a/web1.img\",\"to\":\"/b/web1.img\"}]", 1,
	  "/b/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "[{\"from\":\"/a/data.qcow2\",\"to\":\"/b/data.raw\",\"format\":\"raw\"}]", 1,
	  "/a/web1.img", "raw", "/b/data.raw", "raw" },
	/* a chain: A->B then B->C */
	{ "[{\"from\":\"/a/web1.img\",\"to\":\"/b/web1.img\"},"
	  "{\"from\":\"/b/web1.img\",\"to\":\"/c/web1.img\"}]", 1,
	  "/c/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	/* moves of paths the definition does not have: nothing */
	{ "[{\"from\":\"/x/y\",\"to\":\"/z/y\"}]", 0,
	  "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	/* back and forth A->B, B->A: stops after the bound, no endless loop */
	{ "[{\"from\":\"/a/web1.img\",\"to\":\"/b/web1.img\"},"
	  "{\"from\":\"/b/web1.img\",\"to\":\"/a/web1.img\"}]", 1,
	  "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "{}", -EINVAL, "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "[{\"from\":\"rel\",\"to\":\"/b\"}]", -EINVAL,
	  "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "[{\"from\":\"/a/web1.img\"}]", -EINVAL,
	  "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
	{ "not json", -EINVAL, "/a/web1.img", "raw", "/a/data.qcow2", "qcow2" },
};

static void
test_apply(void)
{
	size_t i;

	for (i = 0; i < sizeof(applies) / sizeof(applies[0]); i++) {
		const struct acase *c = &applies[i];
		struct cd_vmdef *d = def_new();
		char err[256] = "";
		int rc = cd_vmdef_apply_moves(d, c->moves, err, sizeof(err));

		if (rc != c->want)
			printf("\n  case %zu: %d (%s)", i, rc, err);
		CU_ASSERT_EQUAL(rc, c->want);
		CU_ASSERT_STRING_EQUAL(d->disks[0].path, c->d0);
		CU_ASSERT_STRING_EQUAL(d->disks[0].format, c->f0);
		CU_ASSERT_STRING_EQUAL(d->disks[1].path, c->d1);
		CU_ASSERT_STRING_EQUAL(d->disks[1].format, c->f1);
		if (rc == -EINVAL)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "vm_disk_moves"));
		cd_vmdef_free(d);
	}
}

static void
test_rewrite(void)
{
	char dir[] = "/tmp/test_storage_moves.XXXXXX", path[128], err[256], buf[2048];
	struct cd_vmdef *d;
	FILE *f;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web1.json", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(DEF, f);
	fclose(f);
	CU_ASSERT_EQUAL(cd_vmdef_rewrite_disk(path, "/a/data.qcow2", "/b/data.raw", "raw", err,
					      sizeof(err)), 1);
	d = cd_vmdef_load(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d->disks[1].path, "/b/data.raw");
	CU_ASSERT_STRING_EQUAL(d->disks[1].format, "raw");
	CU_ASSERT_STRING_EQUAL(d->disks[0].path, "/a/web1.img");
	CU_ASSERT_STRING_EQUAL(d->name, "web1");
	cd_vmdef_free(d);
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"/b/data.raw\""));	/* slashes unescaped */
	/* again: nothing at the old path any more, nothing written */
	CU_ASSERT_EQUAL(cd_vmdef_rewrite_disk(path, "/a/data.qcow2", "/b/data.raw", NULL, err,
					      sizeof(err)), 0);
	CU_ASSERT_TRUE(cd_vmdef_rewrite_disk("/nonexistent/x.json", "/a", "/b", NULL, err,
					     sizeof(err)) < 0);
	unlink(path);
	CU_ASSERT_EQUAL(rmdir(dir), 0);	/* no temporary file left */
}

static CU_TestInfo tests[] = {
	{ "apply vm_disk_moves", test_apply },
	{ "rewrite the definition file", test_rewrite },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "storage moves", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
