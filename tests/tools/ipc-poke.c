/*
 * ipc-poke.c - feed clusterd's IPC server bad input and check it copes.
 *
 *   ipc-poke malformed   send malformed requests over a real libqb
 *                        connection; each must get an error reply
 *   ipc-poke raw         write junk straight into the abstract setup socket
 *                        (a peer that does not speak libqb at all), and leave
 *                        one such connection half-open while a proper client
 *                        asks for status
 *   ipc-poke flood N MS  open N raw connections that never send a byte
 *                        (half-open), print "held N" when done, keep them
 *                        MS ms from the start, then print how many the
 *                        server had closed: "connected C failed F closed K
 *                        open O" (exit 0; the test judges the numbers)
 *   ipc-poke status      connect and ask for status once, as clusterctl does,
 *                        and print "answered in T ms" (connect + handshake
 *                        + request + reply, without a process start-up);
 *                        exit 1 if it was not answered
 *   ipc-poke silent MS   complete libqb's handshake, send nothing, and print
 *                        "closed after T ms" when the server hangs up, or
 *                        "open after MS ms" (exit 1) if it has not by then
 *   ipc-poke request CMD JSON
 *                        send one request as a client other than clusterctl
 *                        would (no check of its own), print the reply's code
 *                        ("ok", "bad-value", ...) and message on one line;
 *                        exit 0 when a reply came
 *
 * Exit 0 when clusterd answered every case as expected and still answers a
 * status request afterwards; 1 otherwise (the failing case is printed).
 */
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <qb/qbipcc.h>
#include <qb/qbipc_common.h>

#define TIMEOUT_MS 5000

static int failures;

static void
check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

/* Send raw bytes as one libqb message; return 1 if an error reply came. */
static int
send_expect_error(qb_ipcc_connection_t *c, const void *msg, size_t len,
		  char *buf)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = len };
	struct cd_reply rep;
	ssize_t n;
	int ok;

	n = qb_ipcc_sendv_recv(c, &iov, 1, buf, CD_IPC_MAX_MSG, TIMEOUT_MS);
	if (n < 0)
		return 0;
	if (cd_proto_reply_decode(buf, (size_t)n, &rep) < 0)
		return 0;
	ok = !rep.ok && rep.code[0];
	cd_reply_clear(&rep);
	return ok;
}

/* A request header followed by an arbitrary payload. */
static size_t
build(char *out, int32_t id, const char *payload, size_t plen, int size_delta)
{
	struct qb_ipc_request_header hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.id = id;
	hdr.size = (int32_t)(sizeof(hdr) + plen) + size_delta;
	memcpy(out, &hdr, sizeof(hdr));
	memcpy(out + sizeof(hdr), payload, plen);
	return sizeof(hdr) + plen;
}

static long long mono_ms(void);

/* As clusterctl: again while clusterd's listen backlog is full (EAGAIN). */
static qb_ipcc_connection_t *
connect_retry(void)
{
	long long deadline = mono_ms() + 3000;
	qb_ipcc_connection_t *c;

	while (!(c = qb_ipcc_connect(CD_IPC_SERVICE, CD_IPC_MAX_MSG)) &&
	       errno == EAGAIN && mono_ms() < deadline) {
		struct timespec ts = { .tv_nsec = 2000000 };

		nanosleep(&ts, NULL);
	}
	return c;
}

static int
status_works(void)
{
	qb_ipcc_connection_t *c = connect_retry();
	char *buf = malloc(CD_IPC_MAX_MSG);
	struct cd_reply rep;
	struct iovec iov;
	size_t size;
	void *msg;
	ssize_t n;
	int ok = 0;

	if (!c || !buf)
		goto out;
	msg = cd_proto_request_encode("status", NULL, &size);
	iov.iov_base = msg;
	iov.iov_len = size;
	n = qb_ipcc_sendv_recv(c, &iov, 1, buf, CD_IPC_MAX_MSG, TIMEOUT_MS);
	free(msg);
	if (n > 0 && cd_proto_reply_decode(buf, (size_t)n, &rep) == 0) {
		ok = rep.ok && rep.data;
		cd_reply_clear(&rep);
	}
out:
	if (c)
		qb_ipcc_disconnect(c);
	free(buf);
	return ok;
}

static int
run_malformed(void)
{
	static const struct {
		const char *name;
		int32_t id;
		const char *payload;
		int size_delta;
	} cases[] = {
		{ "not JSON", 1, "hello, clusterd", 0 },
		{ "truncated JSON", 1, "{\"v\":1,\"cmd\":\"sta", 0 },
		{ "JSON array", 1, "[1,2,3]", 0 },
		{ "JSON string", 1, "\"status\"", 0 },
		{ "no version", 1, "{\"cmd\":\"status\"}", 0 },
		{ "future version", 1, "{\"v\":99,\"cmd\":\"status\"}", 0 },
		{ "version as string", 1, "{\"v\":\"1\",\"cmd\":\"status\"}", 0 },
		{ "no command", 1, "{\"v\":1}", 0 },
		{ "command not a string", 1, "{\"v\":1,\"cmd\":42}", 0 },
		{ "empty command", 1, "{\"v\":1,\"cmd\":\"\"}", 0 },
		{ "unknown command", 1, "{\"v\":1,\"cmd\":\"format-all-disks\"}", 0 },
		{ "args not an object", 1, "{\"v\":1,\"cmd\":\"status\",\"args\":[]}", 0 },
		{ "trailing garbage", 1, "{\"v\":1,\"cmd\":\"status\"}xyz", 0 },
		{ "wrong message id", 77, "{\"v\":1,\"cmd\":\"status\"}", 0 },
		{ "deep nesting", 1, "{\"v\":1,\"cmd\":\"status\",\"args\":{\"a\":"
		  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}", 0 },
		{ "header size smaller than message", 1, "{\"v\":1,\"cmd\":\"status\"}", -4 },
	};
	qb_ipcc_connection_t *c;
	char *buf, *msg;
	size_t i, len;

	c = qb_ipcc_connect(CD_IPC_SERVICE, CD_IPC_MAX_MSG);
	if (!c) {
		fprintf(stderr, "ipc-poke: cannot connect to clusterd: %s\n",
			strerror(errno));
		return 1;
	}
	buf = malloc(CD_IPC_MAX_MSG);
	msg = malloc(CD_IPC_MAX_MSG);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = build(msg, cases[i].id, cases[i].payload,
			    strlen(cases[i].payload), cases[i].size_delta);
		check(send_expect_error(c, msg, len, buf), cases[i].name);
	}
	/* A NUL byte inside the JSON. */
	len = build(msg, 1, "{\"v\":1,\0\"cmd\":\"status\"}", 23, 0);
	check(send_expect_error(c, msg, len, buf), "NUL inside payload");
	/* Header only, no payload. */
	len = build(msg, 1, "", 0, 0);
	check(send_expect_error(c, msg, len, buf), "header without payload");
	/* The same connection still works for a good request. */
	check(status_works(), "status after malformed requests");
	qb_ipcc_disconnect(c);
	free(buf);
	free(msg);
	return failures ? 1 : 0;
}

static int
raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	/*
	 * libqb publishes its setup socket in the abstract namespace, with the
	 * name NUL-padded to the full sun_path ("@clusterd@@@..." in ss -x).
	 */
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "%s", CD_IPC_SERVICE);
	len = (socklen_t)sizeof(sa);
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
run_raw(void)
{
	static const char junk[] =
		"GET / HTTP/1.0\r\n\r\n\xff\xfe\x00\x01garbage garbage garbage";
	char big[65536];
	int fd, stalled, i;

	for (i = 0; i < 20; i++) {
		fd = raw_connect();
		if (fd < 0) {
			check(0, "connect to the setup socket");
			return 1;
		}
		if (write(fd, junk, sizeof(junk)) < 0)
			(void)0;	/* the server may hang up first: fine */
		close(fd);
	}
	check(status_works(), "status after 20 junk connections");

	memset(big, 'A', sizeof(big));
	fd = raw_connect();
	if (fd >= 0) {
		if (write(fd, big, sizeof(big)) < 0)
			(void)0;
		close(fd);
	}
	check(status_works(), "status after a 64 KiB junk write");

	/* A peer that connects and then says nothing must not stall others. */
	stalled = raw_connect();
	if (stalled >= 0 && write(stalled, "\x01", 1) < 0)
		(void)0;
	check(status_works(), "status while a half-open connection waits");
	if (stalled >= 0)
		close(stalled);
	check(status_works(), "status at the end");
	return failures ? 1 : 0;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sockets the server has closed (hang-up or end of file), marked -1. */
static int
count_closed(struct pollfd *p, int n)
{
	char b;
	int closed = 0;

	if (poll(p, (nfds_t)n, 0) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (p[i].fd < 0) {
			closed++;
			continue;
		}
		if (!p[i].revents)
			continue;
		if ((p[i].revents & (POLLHUP | POLLERR)) ||
		    recv(p[i].fd, &b, 1, MSG_DONTWAIT) <= 0) {
			close(p[i].fd);
			p[i].fd = -1;
			closed++;
		}
	}
	return closed;
}

static int
run_flood(int n, long long hold_ms)
{
	struct rlimit rl;
	struct timeval tv = { .tv_sec = 2 };
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	long long start = mono_ms();
	int connected = 0, failed = 0, closed;

	if (!p)
		return 1;
	/* Room for n sockets (the caller raises the hard limit). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < n; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		p[i].fd = -1;
		p[i].events = POLLIN;
		if (fd < 0) {
			failed++;
			continue;
		}
		/* A full backlog blocks connect(); do not wait for ever. */
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "%s",
			 CD_IPC_SERVICE);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd);
			failed++;
			continue;
		}
		p[i].fd = fd;
		connected++;
	}
	printf("held %d (failed %d) after %lld ms\n", connected, failed,
	       mono_ms() - start);
	fflush(stdout);
	while (mono_ms() - start < hold_ms) {
		struct timespec ts = { .tv_nsec = 100000000 };

		nanosleep(&ts, NULL);
	}
	closed = count_closed(p, n) - failed;
	printf("connected %d failed %d closed %d open %d\n", connected, failed,
	       closed, connected - closed);
	for (int i = 0; i < n; i++) {
		if (p[i].fd >= 0)
			close(p[i].fd);
	}
	free(p);
	return 0;
}

static int
run_status(void)
{
	long long t0 = mono_ms();
	int ok = status_works();

	if (!ok) {
		printf("not answered after %lld ms\n", mono_ms() - t0);
		return 1;
	}
	printf("answered in %lld ms\n", mono_ms() - t0);
	return 0;
}

static int
run_silent(long long limit_ms)
{
	qb_ipcc_connection_t *c = qb_ipcc_connect(CD_IPC_SERVICE, CD_IPC_MAX_MSG);
	long long start = mono_ms();
	struct pollfd p = { .events = POLLIN };
	int32_t fd;

	if (!c || qb_ipcc_fd_get(c, &fd) != 0) {
		fprintf(stderr, "ipc-poke: cannot connect to clusterd: %s\n",
			strerror(errno));
		return 1;
	}
	p.fd = fd;
	while (mono_ms() - start < limit_ms) {
		char b;

		if (poll(&p, 1, 100) > 0 &&
		    ((p.revents & (POLLHUP | POLLERR)) ||
		     recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK) == 0)) {
			printf("closed after %lld ms\n", mono_ms() - start);
			qb_ipcc_disconnect(c);
			return 0;
		}
	}
	printf("open after %lld ms\n", limit_ms);
	qb_ipcc_disconnect(c);
	return 1;
}

static int
run_request(const char *cmd, const char *json)
{
	qb_ipcc_connection_t *c = connect_retry();
	json_object *args = json_tokener_parse(json);
	char *buf = malloc(CD_IPC_MAX_MSG);
	struct cd_reply rep;
	struct iovec iov;
	size_t size;
	void *msg = NULL;
	ssize_t n = -1;
	int rc = 1;

	if (!c || !buf || !args) {
		fprintf(stderr, "ipc-poke: %s\n", !args ? "bad JSON" : "cannot connect");
		goto out;
	}
	msg = cd_proto_request_encode(cmd, args, &size);
	if (!msg)
		goto out;
	iov.iov_base = msg;
	iov.iov_len = size;
	n = qb_ipcc_sendv_recv(c, &iov, 1, buf, CD_IPC_MAX_MSG, TIMEOUT_MS);
	if (n > 0 && cd_proto_reply_decode(buf, (size_t)n, &rep) == 0) {
		printf("%s %s\n", rep.ok ? "ok" : rep.code, rep.message);
		cd_reply_clear(&rep);
		rc = 0;
	}
out:
	free(msg);
	json_object_put(args);
	if (c)
		qb_ipcc_disconnect(c);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "request") == 0)
		return run_request(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return run_status();
	if (argc == 3 && strcmp(argv[1], "silent") == 0)
		return run_silent(atoll(argv[2]));
	if (argc == 4 && strcmp(argv[1], "flood") == 0)
		return run_flood(atoi(argv[2]), atoll(argv[3]));
	if (argc == 2 && strcmp(argv[1], "malformed") == 0)
		return run_malformed();
	if (argc == 2 && strcmp(argv[1], "raw") == 0)
		return run_raw();
	fprintf(stderr, "usage: ipc-poke malformed|raw|status|flood N MS|silent MS|"
		"request CMD JSON\n");
	return 2;
}
