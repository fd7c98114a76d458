/*
 * test_rm_model.c - clusterd/rm-model.c: the model holds the state
 * document it was loaded from. Every change replaces the replica's
 * document (state.c applies to a copy), and an agent operation that ends
 * between a change and the next load reads its resource's params from the
 * model: they must still be there. Found in the lab: a stop of a disk
 * resource right after an audited role-move "could not run (Invalid
 * argument)": its params pointed into a freed document. Run with
 * ASAN_OPTIONS max_free_fill_size (tests/unit/CMakeLists.txt), a freed
 * document is scribbled over, so a model without its reference fails here.
 */
#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "rm-model.h"
#include "state.h"

static int
apply1(struct cd_state *s, const char *path, json_object *value)
{
	json_object *ops = json_object_new_array();
	char err[256];
	int rc;

	json_object_array_add(ops, cd_state_op("set", path, value));
	rc = cd_state_apply(s, ops, err, sizeof(err));
	if (rc)
		fprintf(stderr, "\n  %s: %s\n", path, err);
	json_object_put(ops);
	return rc;
}

static void
test_params_outlive_changes(void)
{
	struct cd_state st = { 0 };
	struct rm_model m = { 0 };
	struct rm_role *r;
	char path[64];

	CU_ASSERT_EQUAL_FATAL(cd_state_init(&st, "c", "uuid-1"), 0);
	CU_ASSERT_EQUAL_FATAL(apply1(&st, "config.resources.v1-lun", json_tokener_parse(
		"{\"role\": \"csv-v1\", \"agent\": \"ocf:clusterd:disk\", \"params\": "
		"{\"lun\": \"iscsi://10.0.0.1/iqn.2026-01.t:s/2\", \"type\": \"wero\"}}")), 0);
	CU_ASSERT_EQUAL_FATAL(apply1(&st, "config.roles.csv-v1", json_tokener_parse(
		"{\"resources\": [\"v1-lun\"]}")), 0);
	CU_ASSERT_EQUAL_FATAL(rm_model_load(&m, &st), 0);
	r = rm_model_role(&m, "csv-v1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(r->n_rsc, 1);
	/* changes the model has not seen yet (audit entries, as in the lab):
	 * each replaces the document the params came from */
	for (int i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "runtime.audit.n%d", i);
		CU_ASSERT_EQUAL(apply1(&st, path, json_object_new_string("role-move")), 0);
	}
	/* what run_op hands to the executor */
	CU_ASSERT(json_object_is_type(r->rsc[0].params, json_type_object));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		json_object_object_get(r->rsc[0].params, "lun")),
		"iscsi://10.0.0.1/iqn.2026-01.t:s/2");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		json_object_object_get(r->rsc[0].params, "type")), "wero");
	/* the next load takes the new document and lets the old one go */
	CU_ASSERT_EQUAL(rm_model_load(&m, &st), 0);
	CU_ASSERT_PTR_EQUAL(m.doc, st.doc);
	r = rm_model_role(&m, "csv-v1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(
		json_object_object_get(r->rsc[0].params, "type")), "wero");
	rm_model_free(&m);
	cd_state_clear(&st);
}

int
main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("rm_model", NULL, NULL);
	CU_add_test(s, "params outlive state changes until the next load",
		    test_params_outlive_changes);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
