/*
 * test_validate.c - clusterctl validate's pure parts: result aggregation,
 * the text/JSON/HTML reports, and the checks over node inventories
 * (cli/validate-report.c, cli/validate-checks.c).
 */
#include "validate.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static struct v_report rep;

static char *
render(void (*fn)(const struct v_report *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(&rep, f);
	fclose(f);
	return buf;
}

static void
test_aggregate(void)
{
	size_t c[3];
	struct v_result *r;

	memset(&rep, 0, sizeof(rep));
	CU_ASSERT_EQUAL(v_summary(&rep, c), V_PASS);
	r = v_add(&rep, "network", "A", V_PASS, "fine %d", 1);
	CU_ASSERT_STRING_EQUAL(r->reason, "fine 1");
	v_worsen(r, V_WARN);
	v_worsen(r, V_PASS);	/* never better again */
	CU_ASSERT_EQUAL(r->status, V_WARN);
	v_add(&rep, "storage", "B", V_PASS, "ok");
	CU_ASSERT_EQUAL(v_summary(&rep, c), V_WARN);
	CU_ASSERT_EQUAL(c[V_PASS], 1);
	CU_ASSERT_EQUAL(c[V_WARN], 1);
	r = v_add(&rep, "storage", "C <&>", V_FAIL, "bad \"quote\"");
	v_detail(r, "n%d: detail", 3);
	CU_ASSERT_EQUAL(r->n_details, 1);
	CU_ASSERT_EQUAL(v_summary(&rep, c), V_FAIL);
	CU_ASSERT_STRING_EQUAL(v_status_name(V_WARN), "warning");
}

static void
test_render(void)
{
	char *t = render(v_render_text), *h = render(v_render_html);
	json_object *j = v_render_json(&rep), *tests, *sum;

	CU_ASSERT_PTR_NOT_NULL(strstr(t, "  WARN  A"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "        n3: detail"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "3 tests: 1 passed, 1 warnings, 1 failed"));
	/* HTML: one row per test with its result, text escaped, no script */
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<td class=\"name\">C &lt;&amp;&gt;</td><td class=\"res\">fail</td>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "bad &quot;quote&quot;"));
	CU_ASSERT_PTR_NULL(strstr(h, "<script"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "<style>"));
	CU_ASSERT(json_object_object_get_ex(j, "tests", &tests));
	CU_ASSERT_EQUAL(json_object_array_length(tests), 3);
	CU_ASSERT(json_object_object_get_ex(j, "summary", &sum));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(sum, "result")), "fail");
	json_object_put(j);
	free(t);
	free(h);
	v_report_clear(&rep);
	CU_ASSERT_EQUAL(rep.n, 0);
}

static void
test_x86_level(void)
{
	const char *v3 = "fpu cx8 cmov mmx fxsr sse sse2 lm cx16 lahf_lm popcnt sse4_1 "
			 "sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave";
	const char *v2 = "fpu cx8 cmov mmx fxsr sse sse2 lm cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3";
	const char *sets[] = { v3, v2 };

	CU_ASSERT_STRING_EQUAL(v_x86_level(sets, 1), "x86-64-v3");
	CU_ASSERT_STRING_EQUAL(v_x86_level(sets, 2), "x86-64-v2");
	sets[0] = "fpu";
	CU_ASSERT_STRING_EQUAL(v_x86_level(sets, 1), "none (not x86-64)");
}

static char inv1[] = "helper=1\nname=n1\nos=Debian 12\nkernel=6.1\narch=x86_64\n"
	"ver_corosync=3.1.7\nver_libqb=2.0.6\nver_clusterd=0.1.0\nver_qemu=7.2\nqemu=yes\nkvm=no\n"
	"cpu_model=X\ncpu_flags=fpu\nbridges=br0\nmem_total_kb=4000000\nmem_avail_kb=3000000\n"
	"disk_free_kb=5000000\naddrs=eth0,10.0.0.1/24,1500\ncorosync_running=no\nport5405=free\n"
	"ping_10.0.0.2=0.1\n";
static char inv2[] = "helper=1\nname=n2\nos=Debian 12\nkernel=6.1\narch=x86_64\n"
	"ver_corosync=3.0.4\nver_libqb=2.0.6\nver_clusterd=0.1.0\nver_qemu=7.2\nqemu=yes\nkvm=no\n"
	"cpu_model=X\ncpu_flags=fpu\nbridges=\nmem_total_kb=4000000\nmem_avail_kb=3000000\n"
	"disk_free_kb=5000000\naddrs=eth0,10.0.0.2/24,9000\ncorosync_running=no\nport5405=busy\n"
	"ping_10.0.0.1=unreachable\n";

static char inv_kvm[] = "helper=1\nname=n1\nver_qemu=7.2.22\nqemu=yes\nkvm=yes\naccel=kvm\n";
static char inv_new[] = "helper=1\nname=n2\nver_qemu=9.2.0\nqemu=yes\nkvm=yes\naccel=tcg\n";

static bool
detail_has(const char *name, const char *text)
{
	size_t i, d;

	for (i = 0; i < rep.n; i++)
		for (d = 0; strcmp(rep.r[i].name, name) == 0 && d < rep.r[i].n_details; d++)
			if (strstr(rep.r[i].details[d], text))
				return true;
	return false;
}

static enum v_status
status_of(const char *name)
{
	size_t i;

	for (i = 0; i < rep.n; i++)
		if (strcmp(rep.r[i].name, name) == 0)
			return rep.r[i].status;
	CU_FAIL("test missing");
	return V_PASS;
}

static void
test_checks(void)
{
	struct v_node nodes[2] = {
		{ .host = "n1", .reached = true, .out = inv1, .clock_ok = true, .clock_offset_s = 0 },
		{ .host = "n2", .reached = true, .out = inv2, .clock_ok = true, .clock_offset_s = 10 },
	};

	memset(&rep, 0, sizeof(rep));
	v_check_nodes(&rep, nodes, 2);
	CU_ASSERT_EQUAL(status_of("Nodes reachable over ssh"), V_PASS);
	CU_ASSERT_EQUAL(status_of("Package versions"), V_FAIL);	/* corosync differs */
	CU_ASSERT_EQUAL(status_of("Reachability on every network"), V_FAIL);
	CU_ASSERT_EQUAL(status_of("MTU agreement"), V_FAIL);
	CU_ASSERT_EQUAL(status_of("Duplicate addresses"), V_PASS);
	CU_ASSERT_EQUAL(status_of("Corosync port 5405"), V_FAIL);
	CU_ASSERT_EQUAL(status_of("KVM acceleration"), V_WARN);
	CU_ASSERT_EQUAL(status_of("Bridges named the same"), V_FAIL);
	CU_ASSERT_EQUAL(status_of("Clock skew"), V_FAIL);
	CU_ASSERT_EQUAL(status_of("Memory"), V_PASS);
	/* TCG (no accel verdict, no /dev/kvm) on QEMU 7.2: paused mode */
	CU_ASSERT_EQUAL(status_of("Live migration mode"), V_WARN);
	CU_ASSERT(detail_has("Live migration mode", "n1: live migration runs in paused "
			     "mode on this node (TCG, QEMU 7.2)"));
	v_report_clear(&rep);

	/* the plugin's verdict kvm on n1, QEMU 9.2 on n2: pre-copy on both */
	memset(&rep, 0, sizeof(rep));
	nodes[0].out = inv_kvm;
	nodes[1].out = inv_new;
	v_check_nodes(&rep, nodes, 2);
	CU_ASSERT_EQUAL(status_of("Live migration mode"), V_PASS);
	CU_ASSERT(detail_has("Live migration mode", "n2: live pre-copy (TCG on QEMU 9.2"));
	v_report_clear(&rep);
}

/* vm_storage_free per node, the roots given -> the result's status, reason
 * and one detail line per root */
static const struct {
	const char *a, *b, *roots;
	enum v_status want;
	const char *reason, *detail;
} vmstore_cases[] = {
	{ "/cs=5000000;/img=missing", "/cs=4000000;/img=missing", "/cs:/img", V_PASS,
	  "1 of 2 directories", "/img: n1 missing, n2 missing" },
	{ "/cs=5000000", "/cs=4000000", "/cs", V_PASS, "every directory",
	  "/cs: n1 4882 MiB free, n2 3906 MiB free" },
	{ "/cs=5000000", "/cs=missing", "/cs", V_WARN, "missing on some nodes",
	  "/cs: n1 4882 MiB free, n2 missing" },
	{ "/cs=5000000", "/cs=1000", "/cs", V_WARN, "less than 1 GiB free in 1",
	  "n2 0 MiB free" },
	{ "/cs=5000000", NULL, "/cs", V_PASS, "every directory", "n2 unknown" },
	{ "/cs=x", "/cs=5000000", "/cs", V_PASS, "every directory", "n1 unknown" },
	{ "", "", "", V_PASS, "not known", NULL },
};

static void
test_vm_storage(void)
{
	for (size_t c = 0; c < sizeof(vmstore_cases) / sizeof(vmstore_cases[0]); c++) {
		char o1[256], o2[256];
		struct v_node nodes[2] = {
			{ .host = "n1", .reached = true, .out = o1 },
			{ .host = "n2", .reached = true, .out = o2 },
		};

		snprintf(o1, sizeof(o1), "helper=1\nvm_storage_free=%s\n", vmstore_cases[c].a);
		if (vmstore_cases[c].b)
			snprintf(o2, sizeof(o2), "helper=1\nvm_storage_free=%s\n", vmstore_cases[c].b);
		else
			snprintf(o2, sizeof(o2), "helper=1\n");
		memset(&rep, 0, sizeof(rep));
		v_check_vm_storage(&rep, nodes, 2, vmstore_cases[c].roots);
		CU_ASSERT_EQUAL_FATAL(rep.n, 1);
		CU_ASSERT_EQUAL(rep.r[0].status, vmstore_cases[c].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(rep.r[0].reason, vmstore_cases[c].reason));
		if (vmstore_cases[c].detail)
			CU_ASSERT(detail_has("VM storage paths", vmstore_cases[c].detail));
		if (rep.r[0].status != vmstore_cases[c].want ||
		    !strstr(rep.r[0].reason, vmstore_cases[c].reason))
			printf("\ncase %zu: %d %s\n", c, rep.r[0].status, rep.r[0].reason);
		v_report_clear(&rep);
	}
}

/* uffd per node, the post-copy users -> the result's status, reason and
 * one detail */
static const struct {
	const char *a, *b, *users;
	enum v_status want;
	const char *reason, *detail;
} postcopy_cases[] = {
	{ "1", "1", "web1", V_PASS, "open to QEMU on every node", "post-copy is used by: web1" },
	{ "1", "0", "web1, db1", V_WARN, "vm.unprivileged_userfaultfd=1 on n2 (QEMU",
	  "n2: vm.unprivileged_userfaultfd=0" },
	{ "0", "0", "web1", V_WARN, "on n1, n2 (QEMU runs as clusterd-qemu): a move to them",
	  "n1: vm.unprivileged_userfaultfd=0" },
	{ "1", NULL, "web1", V_WARN, "unknown on n2", "n2: vm.unprivileged_userfaultfd=unknown" },
	{ "1", "junk", "web1", V_WARN, "unknown on n2", NULL },
	{ "0", "0", "", V_PASS, "no VM uses", "n1: vm.unprivileged_userfaultfd=0" },
	{ "0", "0", NULL, V_PASS, "not known", NULL },
};

static void
test_postcopy(void)
{
	for (size_t c = 0; c < sizeof(postcopy_cases) / sizeof(postcopy_cases[0]); c++) {
		char o1[128], o2[128];
		struct v_node nodes[2] = {
			{ .host = "n1", .reached = true, .out = o1 },
			{ .host = "n2", .reached = true, .out = o2 },
		};

		snprintf(o1, sizeof(o1), "helper=1\nuffd=%s\n", postcopy_cases[c].a);
		if (postcopy_cases[c].b)
			snprintf(o2, sizeof(o2), "helper=1\nuffd=%s\n", postcopy_cases[c].b);
		else
			snprintf(o2, sizeof(o2), "helper=1\n");
		memset(&rep, 0, sizeof(rep));
		v_check_postcopy(&rep, nodes, 2, postcopy_cases[c].users);
		CU_ASSERT_EQUAL_FATAL(rep.n, 1);
		CU_ASSERT_EQUAL(rep.r[0].status, postcopy_cases[c].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(rep.r[0].reason, postcopy_cases[c].reason));
		if (postcopy_cases[c].detail)
			CU_ASSERT(detail_has("Post-copy migration", postcopy_cases[c].detail));
		if (rep.r[0].status != postcopy_cases[c].want ||
		    !strstr(rep.r[0].reason, postcopy_cases[c].reason))
			printf("\ncase %zu: %d %s\n", c, rep.r[0].status, rep.r[0].reason);
		v_report_clear(&rep);
	}
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "aggregate", test_aggregate },
		{ "render", test_render },
		{ "x86 level", test_x86_level },
		{ "checks", test_checks },
		{ "vm storage paths", test_vm_storage },
		{ "post-copy", test_postcopy },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "validate", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
