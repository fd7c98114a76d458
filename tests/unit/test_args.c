/*
 * test_args.c - clusterctl's argument parser (cli/args.c): tables of what
 * an operator types, with the value each parser must produce or the
 * message (a substring of its stderr line) and exit code it must refuse
 * it with; and the shared verb options with their positional arguments.
 */
#include "args.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- stderr of one call, to check the message ---- */

static FILE *err_file;
static int saved_stderr = -1;
static char err_text[1024];

static void
err_begin(void)
{
	fflush(stderr);
	err_file = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(err_file), STDERR_FILENO);
}

static const char *
err_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(err_file);
	n = fread(err_text, 1, sizeof(err_text) - 1, err_file);
	err_text[n] = '\0';
	fclose(err_file);
	return err_text;
}

/* A refusal: exit 2 and a message naming the command and the problem. */
static void
check_refusal(int rc, const char *err, const char *what, const char *input)
{
	if (rc != CTL_EXIT_USAGE || !strstr(err, what) ||
	    !strstr(err, "clusterctl test verb: ") ||
	    !strstr(err, "Try 'clusterctl test verb --help'."))
		printf("\ninput '%s': rc %d, stderr \"%s\" (want \"%s\")", input, rc, err, what);
	CU_ASSERT_EQUAL(rc, CTL_EXIT_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, what));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "clusterctl test verb: "));
}

static int
suite_init(void)
{
	ctl_args_set_prog("test", "verb");
	return 0;
}

/* ---- durations ---- */

struct dcase {
	const char *in;
	int64_t ms;		/* -1: refused */
	const char *err;
};

static const struct dcase durations[] = {
	{ "500ms", 500, NULL }, { "10s", 10000, NULL }, { "1.5s", 1500, NULL },
	{ "2m", 120000, NULL }, { "2min", 120000, NULL }, { "1h", 3600000, NULL },
	{ "10", 10000, NULL }, { "0", 0, NULL }, { "0.5", 500, NULL },
	{ "0.0005s", 1, NULL }, { "596h", 2145600000, NULL },
	{ "", -1, "bad duration ''" }, { "s", -1, "bad duration" },
	{ "1x", -1, "bad duration '1x'" }, { "-1s", -1, "bad duration" },
	{ "1.5.5", -1, "bad duration" }, { "1 s", -1, "bad duration" },
	{ "1S", -1, "bad duration" }, { ".", -1, "bad duration" },
	{ "597h", -1, "--opt must be 0 ms..24.9 days, not '597h'" },
	{ "99999999999", -1, "must be 0 ms..24.9 days" },
	{ "nan", -1, "bad duration 'nan'" }, { "inf", -1, "bad duration" },
	{ "1e3", -1, "bad duration" }, { "+1", -1, "bad duration" },
};

static void
test_duration(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(durations); i++) {
		const struct dcase *c = &durations[i];
		int64_t ms = -7;
		int rc;

		err_begin();
		rc = ctl_parse_duration("--opt", c->in, &ms);
		err_end();
		if (c->ms >= 0) {
			if (rc || ms != c->ms)
				printf("\n'%s': rc %d, %lld ms", c->in, rc, (long long)ms);
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(ms, c->ms);
		} else {
			check_refusal(rc, err_text, c->err, c->in);
			CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "--opt"));
			CU_ASSERT_EQUAL(ms, -7);
		}
	}
}

/* ---- whole numbers and memory ---- */

struct icase {
	const char *in;
	long long min, max;
	int rc;
	long long v;
};

static const struct icase ints[] = {
	{ "5", 0, 10, 0, 5 }, { "-3", -5, 5, 0, -3 }, { "0", 0, 0, 0, 0 },
	{ "1000000", -1000000, 1000000, 0, 1000000 },
	{ "11", 0, 10, CTL_EXIT_USAGE, 0 }, { "-1", 0, 10, CTL_EXIT_USAGE, 0 },
	{ "", 0, 10, CTL_EXIT_USAGE, 0 }, { "1x", 0, 10, CTL_EXIT_USAGE, 0 },
	{ "1.0", 0, 10, CTL_EXIT_USAGE, 0 },
	{ "99999999999999999999", 0, 10, CTL_EXIT_USAGE, 0 },
};

static void
test_int(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(ints); i++) {
		const struct icase *c = &ints[i];
		long long v = 42;
		int rc;

		err_begin();
		rc = ctl_parse_int("--n", c->in, c->min, c->max, &v);
		err_end();
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->rc == 0) {
			CU_ASSERT_EQUAL(v, c->v);
		} else {
			check_refusal(rc, err_text, "--n must be a whole number", c->in);
			CU_ASSERT_EQUAL(v, 42);
		}
	}
}

static const struct icase mibs[] = {
	{ "2048", 0, 0, 0, 2048 }, { "2048M", 0, 0, 0, 2048 },
	{ "2048MiB", 0, 0, 0, 2048 }, { "2G", 0, 0, 0, 2048 },
	{ "2GiB", 0, 0, 0, 2048 }, { "0", 0, 0, 0, 0 },
	{ "2T", 0, 0, 0, 2097152 }, { "17T", 0, 0, CTL_EXIT_USAGE, 0 },
	{ "", 0, 0, CTL_EXIT_USAGE, 0 }, { "nan", 0, 0, CTL_EXIT_USAGE, 0 },
	{ "1.5G", 0, 0, CTL_EXIT_USAGE, 0 },
	{ "-1", 0, 0, CTL_EXIT_USAGE, 0 }, { "G", 0, 0, CTL_EXIT_USAGE, 0 },
	{ "2 G", 0, 0, CTL_EXIT_USAGE, 0 }, { "2g", 0, 0, CTL_EXIT_USAGE, 0 },
	{ "1073741825", 0, 0, CTL_EXIT_USAGE, 0 },
};

static void
test_mib(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(mibs); i++) {
		const struct icase *c = &mibs[i];
		long long v = 42;
		int rc;

		err_begin();
		rc = ctl_parse_mib(c->in, &v);
		err_end();
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->rc == 0) {
			CU_ASSERT_EQUAL(v, c->v);
		} else {
			check_refusal(rc, err_text, "--memory", c->in);
		}
	}
}

/* ---- values that become JSON ---- */

/* A parser appending to or filling a JSON value. */
enum jkind { J_NODES, J_WINDOW, J_PARAM, J_OPTIMEOUT };

struct jcase {
	enum jkind kind;
	const char *before;	/* the value before (JSON), NULL: empty */
	const char *in;
	const char *after;	/* the value after (JSON), NULL: refused */
	const char *err;
};

static const struct jcase jcases[] = {
	{ J_NODES, NULL, "n1", "[\"n1\"]", NULL },
	{ J_NODES, NULL, "n1,n2,n3", "[\"n1\",\"n2\",\"n3\"]", NULL },
	{ J_NODES, "[\"n1\"]", "n2", "[\"n1\",\"n2\"]", NULL },
	{ J_NODES, NULL, "", NULL, "bad node list ''" },
	{ J_NODES, NULL, "n1,", NULL, "bad node list 'n1,'" },
	{ J_NODES, NULL, ",n1", NULL, "bad node list" },
	{ J_NODES, NULL, "n1,,n2", NULL, "bad node list" },
	{ J_NODES, NULL, "n1,n1", NULL, "node n1 given twice" },
	{ J_NODES, "[\"n1\"]", "n2,n1", NULL, "node n1 given twice" },
	{ J_WINDOW, NULL, "22-6", "[22,6]", NULL },
	{ J_WINDOW, NULL, "0-23", "[0,23]", NULL },
	{ J_WINDOW, NULL, "06-07", "[6,7]", NULL },
	{ J_WINDOW, NULL, "22-22", NULL, "two different hours" },
	{ J_WINDOW, NULL, "24-1", NULL, "not '24-1'" },
	{ J_WINDOW, NULL, "1-24", NULL, "START-END" },
	{ J_WINDOW, NULL, "a-b", NULL, "START-END" },
	{ J_WINDOW, NULL, "22", NULL, "START-END" },
	{ J_WINDOW, NULL, "-1-5", NULL, "START-END" },
	{ J_WINDOW, NULL, "22-6x", NULL, "START-END" },
	{ J_WINDOW, NULL, "+1-5", NULL, "START-END" },
	{ J_WINDOW, NULL, "", NULL, "START-END" },
	{ J_PARAM, NULL, "a=b", "{\"a\":\"b\"}", NULL },
	{ J_PARAM, NULL, "ip_1=x=y", "{\"ip_1\":\"x=y\"}", NULL },
	{ J_PARAM, NULL, "a=", "{\"a\":\"\"}", NULL },
	{ J_PARAM, "{\"a\":\"b\"}", "c=d", "{\"a\":\"b\",\"c\":\"d\"}", NULL },
	{ J_PARAM, NULL, "noeq", NULL, "--param needs KEY=VALUE, not 'noeq'" },
	{ J_PARAM, NULL, "=v", NULL, "KEY must be letters, digits and '_'" },
	{ J_PARAM, NULL, "1a=b", NULL, "KEY must be letters" },
	{ J_PARAM, NULL, "a-b=c", NULL, "KEY must be letters" },
	{ J_PARAM, NULL, "a b=c", NULL, "OCF_RESKEY_KEY" },
	{ J_PARAM, "{\"a\":\"b\"}", "a=c", NULL, "--param a given twice" },
	{ J_OPTIMEOUT, NULL, "start=20s", "{\"start\":20000}", NULL },
	{ J_OPTIMEOUT, NULL, "monitor=500ms", "{\"monitor\":500}", NULL },
	{ J_OPTIMEOUT, "{\"start\":1000}", "stop=2m", "{\"start\":1000,\"stop\":120000}", NULL },
	{ J_OPTIMEOUT, NULL, "start=0", NULL, "--timeout start must be more than 0" },
	{ J_OPTIMEOUT, NULL, "st=1s", NULL, "OP start, stop or monitor" },
	{ J_OPTIMEOUT, NULL, "restart=1s", NULL, "OP start, stop or monitor" },
	{ J_OPTIMEOUT, NULL, "start", NULL, "not 'start'" },
	{ J_OPTIMEOUT, NULL, "start=x", NULL, "bad duration 'x'" },
	{ J_OPTIMEOUT, "{\"stop\":1000}", "stop=1s", NULL, "--timeout stop given twice" },
};

static void
test_json_values(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(jcases); i++) {
		const struct jcase *c = &jcases[i];
		json_object *o = c->before ? json_tokener_parse(c->before) :
				 c->kind == J_NODES ? json_object_new_array() :
				 json_object_new_object();
		json_object *win = NULL, *want;
		int rc = -1;

		err_begin();
		switch (c->kind) {
		case J_NODES: rc = ctl_parse_nodes("--preferred", c->in, o); break;
		case J_WINDOW: rc = ctl_parse_window(c->in, &win); break;
		case J_PARAM: rc = ctl_parse_param(c->in, o); break;
		case J_OPTIMEOUT: rc = ctl_parse_op_timeout(c->in, o); break;
		}
		err_end();
		if (c->kind == J_WINDOW) {
			json_object_put(o);
			o = win;
		}
		if (c->after) {
			want = json_tokener_parse(c->after);
			if (rc || !json_object_equal(o, want))
				printf("\ncase %zu '%s': rc %d, %s", i, c->in, rc,
				       o ? json_object_to_json_string(o) : "NULL");
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT(json_object_equal(o, want));
			json_object_put(want);
		} else {
			check_refusal(rc, err_text, c->err, c->in);
			if (c->kind == J_WINDOW) {
				CU_ASSERT_PTR_NULL(win);
			}
		}
		json_object_put(o);
	}
}

static void
test_agent(void)
{
	static const struct { const char *in; bool ok; } cases[] = {
		{ "ocf:heartbeat:IPaddr2", true }, { "ocf:a:b", true },
		{ "ocf:clusterd:vm", true }, { "ocf:my_prov.1:x-y", true },
		{ "ocf::b", false }, { "ocf:a:", false }, { "lsb:a:b", false },
		{ "ocf:a", false }, { "ocf:.a:b", false }, { "ocf:a:-b", false },
		{ "ocf:a/b:c", false }, { "ocf:a:b:c", false }, { "", false },
		{ "OCF:a:b", false },
	};
	size_t i;
	int rc;

	for (i = 0; i < N_ELEMS(cases); i++) {
		err_begin();
		rc = ctl_check_agent(cases[i].in);
		err_end();
		if (cases[i].ok) {
			CU_ASSERT_EQUAL(rc, 0);
		} else {
			check_refusal(rc, err_text, "--agent needs ocf:PROVIDER:TYPE",
				      cases[i].in);
		}
	}
}

/* ---- a verb's command line ---- */

struct acase {
	const char *usage;
	unsigned opts;
	const char *argv[6];	/* after the verb; NULL-terminated */
	int rc;
	const char *pos0, *pos1;
	bool wait, force, json;
	int64_t timeout_ms;
	const char *err;	/* refusals: a substring of the message */
};

static const struct acase acases[] = {
	{ "ROLE", CTL_OPT_WAIT, { "r1" }, 0, "r1", NULL, false, false, false, 60000, NULL },
	{ "ROLE", CTL_OPT_WAIT, { "r1", "--wait" }, 0, "r1", NULL, true, false, false, 60000, NULL },
	{ "ROLE", CTL_OPT_WAIT, { "--timeout", "5s", "r1" }, 0, "r1", NULL, true, false,
	  false, 5000, NULL },
	{ "ROLE", CTL_OPT_WAIT, { "r1", "--timeout=2m" }, 0, "r1", NULL, true, false,
	  false, 120000, NULL },
	{ "ROLE", CTL_OPT_WAIT, { "--json", "r1" }, 0, "r1", NULL, false, false, true,
	  60000, NULL },
	{ "ROLE", CTL_OPT_WAIT, { "-j", "r1" }, 0, "r1", NULL, false, false, true,
	  60000, NULL },
	{ "ROLE NODE", CTL_OPT_WAIT, { "r1", "n2", "--wait" }, 0, "r1", "n2", true,
	  false, false, 60000, NULL },
	{ "NAME URL", 0, { "a", "iscsi://h/t/1" }, 0, "a", "iscsi://h/t/1", false,
	  false, false, 60000, NULL },
	{ "NAME", CTL_OPT_FORCE, { "--force", "n" }, 0, "n", NULL, false, true, false,
	  60000, NULL },
	{ "", 0, { NULL }, 0, NULL, NULL, false, false, false, 60000, NULL },
	{ "", 0, { "--json" }, 0, NULL, NULL, false, false, true, 60000, NULL },
	{ "ROLE", CTL_OPT_WAIT, { "--help" }, CTL_HELP_SHOWN, NULL, NULL, false,
	  false, false, 60000, NULL },
	{ "ROLE", CTL_OPT_WAIT, { "r1", "--force" }, CTL_EXIT_USAGE, NULL, NULL, false,
	  false, false, 0, "option '--force' does not apply here" },
	{ "ROLE", 0, { "r1", "--wait" }, CTL_EXIT_USAGE, NULL, NULL, false, false,
	  false, 0, "option '--wait' does not apply here" },
	{ "ROLE", CTL_OPT_WAIT, { NULL }, CTL_EXIT_USAGE, NULL, NULL, false, false,
	  false, 0, "want ROLE" },
	{ "ROLE NODE", CTL_OPT_WAIT, { "r1" }, CTL_EXIT_USAGE, NULL, NULL, false,
	  false, false, 0, "want ROLE NODE" },
	{ "ROLE", CTL_OPT_WAIT, { "r1", "r2" }, CTL_EXIT_USAGE, NULL, NULL, false,
	  false, false, 0, "want ROLE" },
	{ "ROLE", CTL_OPT_WAIT, { "" }, CTL_EXIT_USAGE, NULL, NULL, false, false,
	  false, 0, "empty ROLE" },
	{ "", 0, { "x" }, CTL_EXIT_USAGE, NULL, NULL, false, false, false, 0,
	  "unexpected argument 'x'" },
	{ "ROLE", CTL_OPT_WAIT, { "r1", "--timeout", "soon" }, CTL_EXIT_USAGE, NULL,
	  NULL, false, false, false, 0, "--timeout: bad duration 'soon'" },
	{ "ROLE", CTL_OPT_WAIT, { "--bogus", "r1" }, CTL_EXIT_USAGE, NULL, NULL, false,
	  false, false, 0, "unrecognized option '--bogus'" },
};

static void
test_args_parse(void)
{
	size_t i, k;

	for (i = 0; i < N_ELEMS(acases); i++) {
		const struct acase *c = &acases[i];
		struct ctl_args_spec spec = { c->usage, c->opts, "" };
		struct ctl_globals g = { .prog = "clusterctl" };
		char *argv[8], verb[] = "clusterctl test verb";
		struct ctl_args a;
		int argc = 1, rc;

		argv[0] = verb;
		for (k = 0; c->argv[k]; k++)
			argv[argc++] = (char *)(uintptr_t)c->argv[k];
		argv[argc] = NULL;
		err_begin();
		rc = ctl_args_parse(&g, &spec, argc, argv, &a);
		err_end();
		if (rc != c->rc)
			printf("\ncase %zu: rc %d, want %d: %s", i, rc, c->rc, err_text);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (c->rc == CTL_EXIT_USAGE) {
			if (!strstr(err_text, c->err))
				printf("\ncase %zu: \"%s\" lacks \"%s\"", i, err_text, c->err);
			CU_ASSERT_PTR_NOT_NULL(strstr(err_text, c->err));
			CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "Try 'clusterctl test verb --help'."));
			continue;
		}
		CU_ASSERT_EQUAL(g.json, c->json);
		if (rc)
			continue;
		CU_ASSERT_EQUAL(a.wait, c->wait);
		CU_ASSERT_EQUAL(a.force, c->force);
		CU_ASSERT_EQUAL(a.timeout_ms, c->timeout_ms);
		CU_ASSERT((!a.pos[0] && !c->pos0) ||
			  (a.pos[0] && c->pos0 && !strcmp(a.pos[0], c->pos0)));
		CU_ASSERT((!a.pos[1] && !c->pos1) ||
			  (a.pos[1] && c->pos1 && !strcmp(a.pos[1], c->pos1)));
		CU_ASSERT_STRING_EQUAL(err_text, "");
	}
}

static void
test_prog(void)
{
	ctl_args_set_prog("node", NULL);
	CU_ASSERT_STRING_EQUAL(ctl_args_prog(), "clusterctl node");
	ctl_args_set_prog("role", "move");
	CU_ASSERT_STRING_EQUAL(ctl_args_prog(), "clusterctl role move");
	ctl_args_set_prog("test", "verb");
}

static CU_TestInfo tests[] = {
	{ "durations", test_duration },
	{ "whole numbers", test_int },
	{ "memory sizes", test_mib },
	{ "node lists, windows, parameters, operation timeouts", test_json_values },
	{ "agents", test_agent },
	{ "a verb's options and arguments", test_args_parse },
	{ "program name", test_prog },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "args", suite_init, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
