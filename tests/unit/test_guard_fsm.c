/*
 * test_guard_fsm.c - clusterd-guard's lease state machine
 * (clusterd/guard/guard-fsm.c): tables of cases, each a script of events
 * with the state and actions expected after every step, plus the timeout,
 * feeding and disarm rules and a randomised check of the safety invariant.
 *
 * Script syntax, ';'-separated steps "EVENT NOW [ARG] -> STATE [ACTIONS]":
 *   start NOW pop|empty [GRACE]     guard starts (grace default 5000)
 *   renew NOW DEADLINE              a renewal
 *   tick NOW                        time passes
 *   pop NOW 1|0                     the roles cgroup's populated changed
 *   conn NOW / disc NOW             a client connected / went away
 * STATE: idle, armed, lapsed; ACTIONS: any of "kill", "status" (exactly
 * the bits expected; none written means 0).
 */
#include "guard-fsm.h"
#include "unit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct fcase {
	const char *name;
	const char *script;
};

static const struct fcase cases[] = {
	{ "idle until the first renewal",
	  "start 100 empty -> idle status; tick 10000 -> idle; pop 20000 1 -> idle" },
	{ "renewal arms, expiry kills once",
	  "start 0 empty -> idle status; renew 10 1000 -> armed status;"
	  "tick 1000 -> armed; tick 1001 -> lapsed kill status; tick 2000 -> lapsed" },
	{ "renewals keep it armed",
	  "start 0 empty -> idle status; renew 0 1000 -> armed status;"
	  "renew 250 1250 -> armed; renew 500 1500 -> armed; tick 1400 -> armed;"
	  "tick 1501 -> lapsed kill status" },
	{ "the latest renewal wins, also a shorter one",
	  "start 0 empty -> idle status; renew 0 5000 -> armed status;"
	  "renew 100 300 -> armed; tick 301 -> lapsed kill status" },
	{ "a renewal already past is a lapse",
	  "start 0 empty -> idle status; renew 500 499 -> lapsed kill status" },
	{ "a renewal due now is still valid",
	  "start 0 empty -> idle status; renew 500 500 -> armed status;"
	  "tick 500 -> armed; tick 501 -> lapsed kill status" },
	{ "a stale renewal while armed lapses at once",
	  "start 0 empty -> idle status; renew 0 1000 -> armed status;"
	  "renew 600 400 -> lapsed kill status" },
	{ "populated at start: armed with the grace",
	  "start 1000 pop 5000 -> armed status; tick 6000 -> armed;"
	  "tick 6001 -> lapsed kill status" },
	{ "populated at start, renewed within the grace",
	  "start 1000 pop 5000 -> armed status; renew 3000 4000 -> armed status;"
	  "tick 4001 -> lapsed kill status" },
	{ "populated at start with no grace: killed at once",
	  "start 1000 pop 0 -> lapsed kill status" },
	{ "a disconnect does not disarm",
	  "start 0 empty -> idle status; conn 0 -> idle status; renew 0 1000 -> armed status;"
	  "disc 200 -> armed status; tick 900 -> armed; tick 1001 -> lapsed kill status" },
	{ "a connect does not arm",
	  "start 0 empty -> idle status; conn 10 -> idle status; tick 99999 -> idle" },
	{ "the lapse is remembered until a renewal",
	  "start 0 empty -> idle status; renew 0 100 -> armed status;"
	  "tick 101 -> lapsed kill status; conn 200 -> lapsed status; disc 300 -> lapsed status;"
	  "tick 5000 -> lapsed; renew 6000 7000 -> armed status; tick 7001 -> lapsed kill status" },
	{ "processes appearing while lapsed are killed",
	  "start 0 empty -> idle status; renew 0 100 -> armed status;"
	  "tick 101 -> lapsed kill status; pop 200 0 -> lapsed; pop 300 1 -> lapsed kill;"
	  "pop 301 1 -> lapsed kill" },
	{ "processes while armed or idle are left alone",
	  "start 0 empty -> idle status; pop 5 1 -> idle; renew 10 1000 -> armed status;"
	  "pop 20 1 -> armed; pop 30 0 -> armed" },
	{ "populated after the deadline: the lapse comes first",
	  "start 0 empty -> idle status; renew 0 100 -> armed status; pop 150 1 -> lapsed kill status" },
	{ "a stale renewal while lapsed kills again, counted once",
	  "start 0 empty -> idle status; renew 0 100 -> armed status; tick 200 -> lapsed kill status;"
	  "renew 300 250 -> lapsed kill status" },
};

static enum guard_state
parse_state(const char *s)
{
	if (strcmp(s, "idle") == 0)
		return GUARD_IDLE;
	if (strcmp(s, "armed") == 0)
		return GUARD_ARMED;
	CU_ASSERT_STRING_EQUAL_FATAL(s, "lapsed");
	return GUARD_LAPSED;
}

/* Run one step; returns the actions. */
static unsigned int
step(struct guard_fsm *f, const char *ev, uint64_t now, const char *a1, const char *a2)
{
	if (strcmp(ev, "start") == 0)
		return guard_fsm_start(f, now, strcmp(a1, "pop") == 0,
				       a2 ? strtoull(a2, NULL, 10) : 5000);
	if (strcmp(ev, "renew") == 0)
		return guard_fsm_renew(f, now, strtoull(a1, NULL, 10));
	if (strcmp(ev, "tick") == 0)
		return guard_fsm_tick(f, now);
	if (strcmp(ev, "pop") == 0)
		return guard_fsm_populated(f, now, strcmp(a1, "1") == 0);
	if (strcmp(ev, "conn") == 0)
		return guard_fsm_connect(f);
	if (strcmp(ev, "disc") == 0)
		return guard_fsm_disconnect(f);
	CU_FAIL_FATAL("unknown event");
	return 0;
}

static void
run_case(const struct fcase *c)
{
	char buf[1024], *save = NULL, *st;
	struct guard_fsm f;
	unsigned int n = 0;

	guard_fsm_init(&f);
	snprintf(buf, sizeof(buf), "%s", c->script);
	for (st = strtok_r(buf, ";", &save); st; st = strtok_r(NULL, ";", &save)) {
		char *arrow = strstr(st, "->"), *tok, *save2 = NULL;
		char *words[4] = { 0 }, *exp[4] = { 0 };
		unsigned int want = 0, got, i = 0, j = 0;
		enum guard_state ws;

		CU_ASSERT_PTR_NOT_NULL_FATAL(arrow);
		*arrow = '\0';
		for (tok = strtok_r(st, " ", &save2); tok && i < 4; tok = strtok_r(NULL, " ", &save2))
			words[i++] = tok;
		save2 = NULL;
		for (tok = strtok_r(arrow + 2, " ", &save2); tok && j < 4;
		     tok = strtok_r(NULL, " ", &save2))
			exp[j++] = tok;
		CU_ASSERT_FATAL(i >= 2 && j >= 1);
		ws = parse_state(exp[0]);
		for (i = 1; i < j; i++)
			want |= strcmp(exp[i], "kill") == 0 ? GUARD_DO_KILL : GUARD_DO_STATUS;
		got = step(&f, words[0], strtoull(words[1], NULL, 10), words[2], words[3]);
		n++;
		if (f.state != ws || got != want)
			printf("\n  case '%s', step %u (%s): state %s (want %s), actions %#x (want %#x)",
			       c->name, n, words[0], guard_state_name(f.state),
			       guard_state_name(ws), got, want);
		CU_ASSERT_EQUAL(f.state, ws);
		CU_ASSERT_EQUAL(got, want);
	}
}

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++)
		run_case(&cases[i]);
}

static void
test_counters_and_reasons(void)
{
	struct guard_fsm f;

	guard_fsm_start(&f, 0, true, 100);
	CU_ASSERT_TRUE(f.by_grace);
	guard_fsm_tick(&f, 101);
	CU_ASSERT_EQUAL(f.why, GUARD_WHY_GRACE);
	CU_ASSERT_EQUAL(f.lapses, 1);
	CU_ASSERT_EQUAL(f.lapsed_ms, 101);
	guard_fsm_renew(&f, 200, 300);
	CU_ASSERT_FALSE(f.by_grace);
	CU_ASSERT_EQUAL(f.renewals, 1);
	guard_fsm_tick(&f, 301);
	CU_ASSERT_EQUAL(f.why, GUARD_WHY_EXPIRED);
	CU_ASSERT_EQUAL(f.lapses, 2);
	CU_ASSERT_EQUAL(f.deadline_ms, 300);	/* kept after the lapse */
	guard_fsm_renew(&f, 400, 399);
	CU_ASSERT_EQUAL(f.why, GUARD_WHY_STALE);
	CU_ASSERT_EQUAL(f.lapses, 2);		/* still the same lapse */
	CU_ASSERT_EQUAL(f.renewals, 1);
	CU_ASSERT_STRING_EQUAL(guard_why_text(GUARD_WHY_STALE), "renewal already past");
	guard_fsm_disconnect(&f);
	CU_ASSERT_EQUAL(f.clients, 0);		/* never below zero */
}

static void
test_timeout(void)
{
	struct guard_fsm f;

	guard_fsm_init(&f);
	CU_ASSERT_EQUAL(guard_fsm_timeout(&f, 0), -1);
	guard_fsm_renew(&f, 100, 1100);
	CU_ASSERT_EQUAL(guard_fsm_timeout(&f, 100), 1001);	/* first instant past */
	CU_ASSERT_EQUAL(guard_fsm_timeout(&f, 1100), 1);
	CU_ASSERT_EQUAL(guard_fsm_timeout(&f, 1101), 0);
	guard_fsm_tick(&f, 1101);
	CU_ASSERT_EQUAL(guard_fsm_timeout(&f, 1200), -1);
}

static void
test_feed_and_disarm(void)
{
	struct guard_fsm f;

	guard_fsm_start(&f, 0, false, 5000);
	CU_ASSERT_TRUE(guard_fsm_feed(&f));
	CU_ASSERT_TRUE(guard_fsm_may_disarm(&f));
	guard_fsm_renew(&f, 0, 100);
	CU_ASSERT_TRUE(guard_fsm_feed(&f));
	CU_ASSERT_FALSE(guard_fsm_may_disarm(&f));
	guard_fsm_tick(&f, 101);
	CU_ASSERT_FALSE(guard_fsm_feed(&f));
	CU_ASSERT_FALSE(guard_fsm_may_disarm(&f));
	guard_fsm_renew(&f, 200, 300);
	CU_ASSERT_TRUE(guard_fsm_feed(&f));
	CU_ASSERT_FALSE(guard_fsm_may_disarm(&f));	/* armed: never disarm */
}

/*
 * Random event sequences: whenever time passes a deadline that was last
 * renewed (and not renewed again), the step that sees it asks for a kill,
 * and the watchdog is never fed after a lapse until the next renewal.
 */
static void
test_random_invariant(void)
{
	unsigned int seed = 12345, run, k;

	for (run = 0; run < 2000; run++) {
		struct guard_fsm f;
		uint64_t now = 1000, deadline = 0;
		bool armed = false;

		guard_fsm_start(&f, now, false, 5000);
		for (k = 0; k < 50; k++) {
			unsigned int r = (unsigned int)rand_r(&seed) % 5, out;
			bool due;

			now += (uint64_t)(rand_r(&seed) % 400);
			due = armed && now > deadline;
			switch (r) {
			case 0: {
				uint64_t d = now + (uint64_t)(rand_r(&seed) % 600) - 100;

				out = guard_fsm_renew(&f, now, d);
				if (d < now) {
					CU_ASSERT(out & GUARD_DO_KILL);
					armed = false;
				} else {
					armed = true;
					deadline = d;
				}
				break;
			}
			case 1: out = guard_fsm_connect(&f); due = false; break;
			case 2: out = guard_fsm_disconnect(&f); due = false; break;
			case 3: out = guard_fsm_populated(&f, now, rand_r(&seed) & 1);
				if (due)
					CU_ASSERT(out & GUARD_DO_KILL);
				if (due)
					armed = false;
				break;
			default: out = guard_fsm_tick(&f, now);
				if (due)
					CU_ASSERT(out & GUARD_DO_KILL);
				if (due)
					armed = false;
				break;
			}
			if (f.state == GUARD_ARMED)
				CU_ASSERT(now <= f.deadline_ms || r == 1 || r == 2);
			CU_ASSERT_EQUAL(guard_fsm_feed(&f), f.state != GUARD_LAPSED);
		}
	}
}

static CU_TestInfo fsm_tests[] = {
	{ "scripted cases", test_cases },
	{ "counters and reasons", test_counters_and_reasons },
	{ "timeout to the next tick", test_timeout },
	{ "watchdog feeding and disarm", test_feed_and_disarm },
	{ "random sequences: every lapse kills", test_random_invariant },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "guard_fsm", NULL, NULL, NULL, NULL, fsm_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
