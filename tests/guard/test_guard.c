/*
 * test_guard.c - clusterd-guard (the real binary) driven through clusterd's
 * client (clusterd/guard-client.c) on a real qb_loop, with a real cgroup:
 * renewals arm the lease, a lapse kills what runs in the roles cgroup within
 * a few ms, a disconnect does not disarm, a stale renewal lapses at once,
 * a guard that starts with processes in the cgroup arms a grace, the client
 * reconnects to a restarted guard, and an idle guard does not spin.
 *
 * Needs root and cgroup2 (skipped otherwise). Every wait is the loop run
 * until the awaited event or a deadline; nothing sleeps to synchronise.
 */
#include "guard-client.h"
#include "cgroup.h"
#include "log.h"
#include "timeutil.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static qb_loop_t *loop;
static char dir[] = "/tmp/cd-guard-XXXXXX";
static char sock[256], status_path[300], cg_root[512], roles[600];
static pid_t guard_pid = -1;
static bool usable;
static unsigned int connects;

/* ---- helpers ---- */

static void
on_connect(void *ctx)
{
	connects++;
}

static void
stop_loop(void *data)
{
	qb_loop_stop(loop);
}

/* Run the loop for ms (the client's socket and timers live there). */
static void
run_for(uint32_t ms)
{
	qb_loop_timer_handle t;

	qb_loop_timer_add(loop, QB_LOOP_HIGH, (uint64_t)ms * 1000000ull, NULL,
			  stop_loop, &t);
	qb_loop_run(loop);
}

/* Run the loop in 5 ms steps until cond() or ms pass. */
static bool
run_until(bool (*cond)(void), uint32_t ms)
{
	uint64_t end = cd_now_mono_ms() + ms;

	while (!cond()) {
		if (cd_now_mono_ms() >= end)
			return false;
		run_for(5);
	}
	return true;
}

static char status_buf[1024];

static const char *
status(void)
{
	int fd = open(status_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, status_buf, sizeof(status_buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	status_buf[n > 0 ? n : 0] = '\0';
	return status_buf;
}

static bool
state_is(const char *st)
{
	char want[32];

	snprintf(want, sizeof(want), "\"state\":\"%s\"", st);
	return strstr(status(), want) != NULL;
}

static const char *want_text;
static bool status_has(void) { return strstr(status(), want_text) != NULL; }
static bool armed(void) { return state_is("armed"); }
static bool lapsed(void) { return state_is("lapsed"); }
static bool idle(void) { return state_is("idle"); }

static bool
guard_listening(void)
{
	struct stat st;

	return stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && access(status_path, F_OK) == 0;
}

static const char *watchdog = "none";	/* --watchdog of the next start */

static pid_t
start_guard(uint32_t grace_ms)
{
	char grace[16];
	pid_t pid;

	snprintf(grace, sizeof(grace), "%u", grace_ms);
	unlink(status_path);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (!getenv("CD_TEST_VERBOSE") && fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(CD_TEST_GUARD_BIN, "clusterd-guard", "-f", "-d", "--socket", sock,
		      "--cgroup", cg_root, "--watchdog", watchdog, "--grace", grace,
		      (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_FATAL(run_until(guard_listening, 5000));
	return pid;
}

static void
stop_guard(int sig)
{
	if (guard_pid <= 0)
		return;
	kill(guard_pid, sig);
	while (waitpid(guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
	/* A guard that was killed leaves its libqb blackbox in /dev/shm. */
	for (int i = 0; i < 2; i++) {
		char shm[96];

		snprintf(shm, sizeof(shm), "/dev/shm/qb-clusterd-guard-%ld-blackbox-%s",
			 (long)guard_pid, i ? "header" : "data");
		unlink(shm);
	}
	guard_pid = -1;
}

/* A child that sits in ROOT/roles/NAME (as an agent's daemon would). */
static pid_t
start_role_proc(const char *name)
{
	char path[700];
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", roles, name);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", roles, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	pid = fork();
	if (pid == 0) {
		if (write(fd, "0", 1) != 1)
			_exit(1);
		execl("/bin/sleep", "sleep", "600", (char *)NULL);
		_exit(127);
	}
	close(fd);
	return pid;
}

static pid_t victim = -1;

static bool
victim_dead(void)
{
	int st;

	return waitpid(victim, &st, WNOHANG) == victim && WIFSIGNALED(st) &&
	       WTERMSIG(st) == SIGKILL;
}

/* ---- set-up ---- */

static int
setup(void)
{
	char base[400];

	cd_log_init("test_guard", true, getenv("CD_TEST_VERBOSE") != NULL);
	loop = qb_loop_create();
	if (!loop || !mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/guard.sock", dir);
	snprintf(status_path, sizeof(status_path), "%s/guard.status", dir);
	if (geteuid() != 0 || cd_cgroup_default_root(base, sizeof(base)) < 0)
		return 0;
	*strrchr(base, '/') = '\0';
	snprintf(cg_root, sizeof(cg_root), "%s/cd-guard-test-%d", base, (int)getpid());
	snprintf(roles, sizeof(roles), "%s/roles", cg_root);
	usable = cd_cgroup_mkdir(roles) == 0;
	return 0;
}

static int
teardown(void)
{
	char cmd[700];

	stop_guard(SIGKILL);
	if (usable) {
		cd_cgroup_kill(roles);
		snprintf(cmd, sizeof(cmd), "find '%s' -depth -type d -exec rmdir {} + 2>/dev/null",
			 cg_root);
		for (int i = 0; i < 100 && access(cg_root, F_OK) == 0; i++) {
			if (system(cmd) != 0)
				usleep(10000);	/* the kill is asynchronous */
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	if (loop)
		qb_loop_destroy(loop);
	cd_log_fini();
	return 0;
}

static bool
skip(void)
{
	if (usable)
		return false;
	printf("\n  (skipped: needs root and cgroup2) ");
	return true;
}

/* ---- tests ---- */

static struct cd_guard *client;

static bool client_up(void) { return cd_guard_connected(client); }
static bool client_says_armed(void) { return strcmp(cd_guard_state(client), "armed") == 0; }

static void
test_renew_and_lapse(void)
{
	uint64_t deadline, t_dead, lapse_ms;
	const char *p;

	if (skip())
		return;
	guard_pid = start_guard(5000);
	CU_ASSERT_TRUE(idle());
	client = cd_guard_open(loop, sock);
	CU_ASSERT_PTR_NOT_NULL_FATAL(client);
	cd_guard_on_connect(client, on_connect, NULL);
	CU_ASSERT_FATAL(run_until(client_up, 2000));
	/* Renewals arm; processes in the cgroup are left alone meanwhile. */
	victim = start_role_proc("r1");
	deadline = cd_now_mono_ms() + 400;
	CU_ASSERT_EQUAL(cd_guard_renew(client, deadline), 0);
	CU_ASSERT(run_until(armed, 2000));
	CU_ASSERT(run_until(client_says_armed, 2000));
	run_for(200);
	CU_ASSERT_EQUAL(kill(victim, 0), 0);
	/* No more renewals: killed right after the deadline. */
	CU_ASSERT(run_until(victim_dead, 3000));
	t_dead = cd_now_mono_ms();
	CU_ASSERT(t_dead >= deadline);
	CU_ASSERT(run_until(lapsed, 1000));
	/* By the guard's own stamp: it acted right after the deadline. */
	p = strstr(status(), "\"last_lapse_ms\":");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	lapse_ms = strtoull(p + 16, NULL, 10);
	printf("\n  lapse seen %lld ms after the deadline, victim reaped here after %lld ms ",
	       (long long)(lapse_ms - deadline), (long long)(t_dead - deadline));
	CU_ASSERT(lapse_ms > deadline);
	CU_ASSERT(lapse_ms <= deadline + 100);
	want_text = "\"last_kill_pids\":1";
	CU_ASSERT(run_until(status_has, 2000));
	CU_ASSERT_PTR_NOT_NULL(strstr(status(), "\"last_lapse_reason\":\"lease expired\""));
	CU_ASSERT_EQUAL(cd_cgroup_populated(roles), 0);
}

static void
test_lapsed_kills_newcomers(void)
{
	if (skip() || guard_pid < 0)
		return;
	/* Still lapsed: whatever appears in the roles cgroup is killed. */
	victim = start_role_proc("r2");
	CU_ASSERT(run_until(victim_dead, 2000));
	/* A renewal arms again; then processes stay. */
	CU_ASSERT_EQUAL(cd_guard_renew(client, cd_now_mono_ms() + 2000), 0);
	CU_ASSERT(run_until(armed, 2000));
	victim = start_role_proc("r2");
	run_for(300);
	CU_ASSERT_EQUAL(kill(victim, 0), 0);
}

static void
test_stale_renewal(void)
{
	if (skip() || guard_pid < 0)
		return;
	CU_ASSERT_EQUAL(cd_guard_renew(client, cd_now_mono_ms() - 10), 0);
	CU_ASSERT(run_until(victim_dead, 1000));
	CU_ASSERT(run_until(lapsed, 1000));
	want_text = "renewal already past";
	CU_ASSERT(run_until(status_has, 2000));
}

static void
test_disconnect_does_not_disarm(void)
{
	uint64_t deadline;

	if (skip() || guard_pid < 0)
		return;
	deadline = cd_now_mono_ms() + 700;
	CU_ASSERT_EQUAL(cd_guard_renew(client, deadline), 0);
	CU_ASSERT(run_until(armed, 2000));
	victim = start_role_proc("r3");	/* after: a lapsed guard kills newcomers */
	cd_guard_close(client);
	client = NULL;
	run_for(200);
	CU_ASSERT(armed());
	CU_ASSERT_EQUAL(kill(victim, 0), 0);
	CU_ASSERT(run_until(victim_dead, 3000));
	CU_ASSERT(cd_now_mono_ms() >= deadline);
}

static bool two_connects(void) { return connects >= 2 && cd_guard_connected(client); }

static void
test_grace_and_reconnect(void)
{
	uint64_t t0;

	if (skip())
		return;
	stop_guard(SIGKILL);
	victim = start_role_proc("r4");
	client = cd_guard_open(loop, sock);	/* no guard now: retries */
	CU_ASSERT_PTR_NOT_NULL_FATAL(client);
	connects = 0;
	cd_guard_on_connect(client, on_connect, NULL);
	run_for(100);
	CU_ASSERT_FALSE(cd_guard_connected(client));
	CU_ASSERT_EQUAL(cd_guard_renew(client, cd_now_mono_ms() + 1000), -ENOTCONN);
	/* A guard that finds processes in the cgroup arms a grace. */
	t0 = cd_now_mono_ms();
	guard_pid = start_guard(600);
	CU_ASSERT(armed());
	CU_ASSERT(run_until(victim_dead, 3000));
	CU_ASSERT(cd_now_mono_ms() >= t0 + 600);
	want_text = "start-up grace expired";
	CU_ASSERT(run_until(status_has, 2000));
	/* The client found the new guard on its own (reconnect timer). */
	CU_ASSERT(run_until(client_up, 2 * CD_GUARD_RECONNECT_MS + 500));
	CU_ASSERT_EQUAL(connects, 1);
	/* ... and again after a restart of the guard. */
	stop_guard(SIGTERM);
	guard_pid = start_guard(600);
	CU_ASSERT(run_until(two_connects, 2 * CD_GUARD_RECONNECT_MS + 1000));
	CU_ASSERT(idle());	/* the cgroup was empty at its start */
}

/* utime + stime of a process, in clock ticks */
static long
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	long ut = 0, st = 0;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld",
			 &ut, &st) != 2)
		return -1;
	return ut + st;
}

static void
test_no_spinning(void)
{
	long before, after;
	pid_t p;

	if (skip() || guard_pid < 0)
		return;
	/* cgroup.events changes (a process comes and goes), then quiet. */
	CU_ASSERT_EQUAL(cd_guard_renew(client, cd_now_mono_ms() + 5000), 0);
	CU_ASSERT(run_until(armed, 2000));
	p = start_role_proc("r5");
	run_for(50);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	run_for(100);
	before = cpu_ticks(guard_pid);
	run_for(1000);
	after = cpu_ticks(guard_pid);
	printf("\n  guard cpu over 1 s: %ld ticks ", after - before);
	CU_ASSERT(after - before <= 5);
	CU_ASSERT_EQUAL(cd_guard_renew(client, cd_now_mono_ms() - 1), 0);
	CU_ASSERT(run_until(lapsed, 1000));
	cd_guard_close(client);
	client = NULL;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static char
last_byte(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, -1, SEEK_END) >= 0 && read(fd, &c, 1) != 1)
		c = 0;
	if (fd >= 0)
		close(fd);
	return c;
}

/*
 * The watchdog, with a regular file standing in for /dev/watchdog (no
 * ioctls there: the guard feeds it by writing a byte): fed while the lease
 * holds, starved once it lapsed, 'V' (disarm) only on a clean stop in idle.
 */
static void
test_watchdog(void)
{
	char wd[300];
	off_t fed, starved;

	if (skip())
		return;
	stop_guard(SIGKILL);
	snprintf(wd, sizeof(wd), "%s/watchdog", dir);
	close(open(wd, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	watchdog = wd;
	guard_pid = start_guard(5000);
	client = client ? client : cd_guard_open(loop, sock);
	CU_ASSERT(run_until(client_up, 2 * CD_GUARD_RECONNECT_MS + 500));
	CU_ASSERT_EQUAL(cd_guard_renew(client, cd_now_mono_ms() + 2500), 0);
	CU_ASSERT(run_until(armed, 2000));
	run_for(2000);
	fed = file_size(wd);
	printf("\n  fed %lld times in 2 s ", (long long)fed);
	CU_ASSERT(fed >= 2);
	CU_ASSERT(run_until(lapsed, 2000));
	starved = file_size(wd);
	run_for(1500);
	CU_ASSERT_EQUAL(file_size(wd), starved);	/* no longer fed */
	stop_guard(SIGTERM);
	CU_ASSERT(last_byte(wd) != 'V');		/* left armed */
	/* Idle: a clean stop disarms. */
	close(open(wd, O_WRONLY | O_TRUNC));
	guard_pid = start_guard(5000);
	CU_ASSERT(idle());
	stop_guard(SIGTERM);
	CU_ASSERT_EQUAL(last_byte(wd), 'V');
	watchdog = "none";
	cd_guard_close(client);
	client = NULL;
}

static CU_TestInfo guard_tests[] = {
	{ "renewals arm, a lapse kills the roles cgroup", test_renew_and_lapse },
	{ "while lapsed, newcomers are killed; a renewal re-arms", test_lapsed_kills_newcomers },
	{ "a renewal already past lapses at once", test_stale_renewal },
	{ "a disconnect does not disarm", test_disconnect_does_not_disarm },
	{ "grace at start, client reconnects", test_grace_and_reconnect },
	{ "no busy loop after cgroup.events changes", test_no_spinning },
	{ "watchdog: fed, starved after a lapse, disarmed only when idle", test_watchdog },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "guard", NULL, NULL, NULL, NULL, guard_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (setup() < 0) {
		fprintf(stderr, "test_guard: set-up failed: %s\n", strerror(errno));
		teardown();
		return 2;
	}
	rc = cd_unit_run(suites);
	if (client)
		cd_guard_close(client);
	if (teardown() < 0)
		rc = rc ? rc : 1;
	return rc;
}
