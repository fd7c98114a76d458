/*
 * ipc-poke.c - feed clusterd's IPC server bad input and check it copes.
 *
 *   ipc-poke malformed   send malformed requests over a real libqb
 *                        connection; each must get an error reply
 *   ipc-poke raw         write junk straight into the abstract setup socket
 *                        (a peer that does not speak libqb at all), and leave
 *                        one such connection half-open while a proper client
 *                        asks for status
 *
 * Exit 0 when clusterd answered every case as expected and still answers a
 * status request afterwards; 1 otherwise (the failing case is printed).
 */
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

static int
status_works(void)
{
	qb_ipcc_connection_t *c = qb_ipcc_connect(CD_IPC_SERVICE, CD_IPC_MAX_MSG);
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

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "malformed") == 0)
		return run_malformed();
	if (argc == 2 && strcmp(argv[1], "raw") == 0)
		return run_raw();
	fprintf(stderr, "usage: ipc-poke malformed|raw\n");
	return 2;
}
