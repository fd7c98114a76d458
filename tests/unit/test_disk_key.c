/*
 * test_disk_key.c - agents/disk/disk-key.c: the key the disk agent takes
 * without clusterd.conf is fence_scsi's for the node. Expected values
 * computed with Python's hashlib as fence_scsi does:
 * "%.4s%.4d" % (md5(cluster_name).hexdigest(), position), read as hex.
 */
#include <stdint.h>

#include "disk.h"
#include "unit.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *cluster;
	unsigned pos;
	uint64_t key;
} cases[] = {
	{ "lab", 0, 0xf9660000 },
	{ "lab", 2, 0xf9660002 },
	{ "pm1a2b", 1, 0x9c3f0001 },
	{ "mycluster", 7, 0x6c9d0007 },
	/* positions past 9999: %.4d prints them whole */
	{ "x", 12345, 0x9dd412345 },
};

static void
test_fence_scsi_table(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++)
		CU_ASSERT_EQUAL(disk_key_fence_scsi(cases[i].cluster, cases[i].pos), cases[i].key);
}

static void
test_nodes_differ(void)
{
	/* per node, not one key for all nodes */
	CU_ASSERT_NOT_EQUAL(disk_key_fence_scsi("lab", 0), disk_key_fence_scsi("lab", 1));
	CU_ASSERT_NOT_EQUAL(disk_key_fence_scsi("a", 0), disk_key_fence_scsi("b", 0));
}

static CU_TestInfo tests[] = {
	{ "fence_scsi's keys", test_fence_scsi_table },
	{ "one key per node", test_nodes_differ },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "disk_key", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
