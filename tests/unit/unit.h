/*
 * unit.h - the common runner of the CUnit suites in tests/unit.
 *
 * Every test program registers its suites, runs them verbosely and exits
 * nonzero when an assertion, a test or a suite's init/cleanup failed, so
 * ctest sees the failure.
 */
#ifndef CLUSTERD_TEST_UNIT_H
#define CLUSTERD_TEST_UNIT_H

#include <stdio.h>
#include <CUnit/Basic.h>

static inline int
cd_unit_run(CU_SuiteInfo *suites)
{
	unsigned int failed;
	int rc = 0;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		return 2;
	}
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		rc = 2;
	}
	failed = CU_get_number_of_failures() +
		 CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	if (failed) {
		printf("\nFailures:");
		CU_basic_show_failures(CU_get_failure_list());
		printf("\n");
	}
	CU_cleanup_registry();
	return failed ? 1 : rc;
}

#endif
