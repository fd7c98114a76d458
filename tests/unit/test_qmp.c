/*
 * test_qmp.c - unit tests of the QMP client (agents/vm/qmp.c): line framing,
 * message classification, command encoding, and the client against a
 * scripted peer on a socketpair (greeting, capabilities, replies matched by
 * id, events recorded, errors, deadlines, EOF, fd passing).
 */
#include "qmp.h"
#include "unit.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#define GREETING "{\"QMP\":{\"version\":{\"qemu\":{\"major\":7,\"minor\":2,\"micro\":22}},\"capabilities\":[\"oob\"]}}\n"
#define CAPS_OK "{\"return\":{},\"id\":1}\n"

/* ---- framing ---- */

static void
test_buf_lines(void)
{
	struct cd_qmp_buf b = { 0 };
	char *line;

	CU_ASSERT_EQUAL(cd_qmp_buf_append(&b, "{\"a\":1}\r\n{\"b\"", 13), 0);
	CU_ASSERT_EQUAL(cd_qmp_buf_take_line(&b, &line), 0);
	CU_ASSERT_STRING_EQUAL(line, "{\"a\":1}");	/* \r dropped */
	free(line);
	CU_ASSERT_EQUAL(cd_qmp_buf_take_line(&b, &line), 0);
	CU_ASSERT_PTR_NULL(line);			/* partial line stays */
	CU_ASSERT_EQUAL(cd_qmp_buf_append(&b, ":2}\n\n", 5), 0);
	CU_ASSERT_EQUAL(cd_qmp_buf_take_line(&b, &line), 0);
	CU_ASSERT_STRING_EQUAL(line, "{\"b\":2}");
	free(line);
	CU_ASSERT_EQUAL(cd_qmp_buf_take_line(&b, &line), 0);
	CU_ASSERT_STRING_EQUAL(line, "");		/* empty line */
	free(line);
	CU_ASSERT_EQUAL(b.len, 0);
	cd_qmp_buf_clear(&b);
}

static void
test_buf_too_long(void)
{
	struct cd_qmp_buf b = { 0 };
	size_t n = CD_QMP_LINE_MAX + 10;
	char *big = malloc(n), *line;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', n);
	CU_ASSERT_EQUAL(cd_qmp_buf_append(&b, big, n), 0);
	CU_ASSERT_EQUAL(cd_qmp_buf_take_line(&b, &line), -E2BIG);
	CU_ASSERT_PTR_NULL(line);
	free(big);
	cd_qmp_buf_clear(&b);
}

/* ---- messages ---- */

static void
test_parse_kinds(void)
{
	struct cd_qmp_msg m;

	CU_ASSERT_EQUAL(cd_qmp_msg_parse(GREETING, &m), 0);
	CU_ASSERT_EQUAL(m.kind, CD_QMP_GREETING);
	cd_qmp_msg_clear(&m);

	CU_ASSERT_EQUAL(cd_qmp_msg_parse("{\"return\":{\"status\":\"running\"},\"id\":7}", &m), 0);
	CU_ASSERT_EQUAL(m.kind, CD_QMP_RETURN);
	CU_ASSERT_EQUAL(m.id, 7);
	CU_ASSERT_PTR_NOT_NULL(m.value);
	cd_qmp_msg_clear(&m);

	CU_ASSERT_EQUAL(cd_qmp_msg_parse("{\"return\":{}}", &m), 0);
	CU_ASSERT_EQUAL(m.id, -1);
	cd_qmp_msg_clear(&m);

	CU_ASSERT_EQUAL(cd_qmp_msg_parse("{\"error\":{\"class\":\"GenericError\","
					 "\"desc\":\"There's a migration process in progress\"},\"id\":3}", &m), 0);
	CU_ASSERT_EQUAL(m.kind, CD_QMP_ERROR);
	CU_ASSERT_STRING_EQUAL(m.err_class, "GenericError");
	CU_ASSERT_STRING_EQUAL(m.err_desc, "There's a migration process in progress");
	CU_ASSERT_EQUAL(m.id, 3);
	cd_qmp_msg_clear(&m);

	CU_ASSERT_EQUAL(cd_qmp_msg_parse("{\"timestamp\":{\"seconds\":1,\"microseconds\":2},"
					 "\"event\":\"MIGRATION\",\"data\":{\"status\":\"setup\"}}", &m), 0);
	CU_ASSERT_EQUAL(m.kind, CD_QMP_EVENT);
	CU_ASSERT_STRING_EQUAL(m.event, "MIGRATION");
	CU_ASSERT_PTR_NOT_NULL(m.value);
	cd_qmp_msg_clear(&m);

	CU_ASSERT_EQUAL(cd_qmp_msg_parse("{\"event\":\"STOP\"}", &m), 0);
	CU_ASSERT_PTR_NULL(m.value);
	cd_qmp_msg_clear(&m);
}

static void
test_parse_bad(void)
{
	static const char *const bad[] = {
		"", "not json", "[1]", "42", "{\"foo\":1}", "{\"event\":5}",
		"{\"error\":\"x\"}", "{\"return\":",
	};
	struct cd_qmp_msg m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(cd_qmp_msg_parse(bad[i], &m), -EPROTO);
		CU_ASSERT_PTR_NULL(m.root);
	}
}

static void
test_encode(void)
{
	json_object *args = json_object_new_object(), *o, *v;
	size_t len;
	char *s;

	json_object_object_add(args, "uri", json_object_new_string("tcp:10.0.0.2:4444"));
	s = cd_qmp_encode("migrate", args, 42, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(len, strlen(s));
	CU_ASSERT_EQUAL(s[len - 1], '\n');
	CU_ASSERT_PTR_NULL(memchr(s, '\n', len - 1));	/* one line */
	o = json_tokener_parse(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT(json_object_object_get_ex(o, "execute", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "migrate");
	CU_ASSERT(json_object_object_get_ex(o, "id", &v));
	CU_ASSERT_EQUAL(json_object_get_int64(v), 42);
	CU_ASSERT(json_object_object_get_ex(o, "arguments", &v));
	json_object_put(o);
	free(s);
	s = cd_qmp_encode("query-status", NULL, 1, NULL);
	CU_ASSERT_PTR_NULL(strstr(s, "arguments"));
	free(s);
	json_object_put(args);	/* the encoder took and dropped its own reference */
}

/* ---- client against a scripted peer ---- */

static void
peer_write(int fd, const char *s)
{
	CU_ASSERT_EQUAL(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* A connected client whose peer already sent greeting + capabilities reply. */
static struct cd_qmp *
scripted(int *peer)
{
	int sv[2];
	char err[256];
	struct cd_qmp *q;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	peer_write(sv[1], GREETING CAPS_OK);
	q = cd_qmp_open_fd(sv[0], 1000, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(q);
	*peer = sv[1];
	return q;
}

/* What the client sent, as one string (peer side, non-blocking drain). */
static char *
peer_read(int fd)
{
	static char buf[4096];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_client_handshake(void)
{
	int peer;
	struct cd_qmp *q = scripted(&peer);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_PTR_NOT_NULL(strstr(peer_read(peer), "\"execute\":\"qmp_capabilities\""));
	cd_qmp_close(q);
	close(peer);
}

static void
test_client_no_greeting(void)
{
	int sv[2];
	char err[256];
	struct cd_qmp *q;

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	peer_write(sv[1], "{\"return\":{},\"id\":1}\n");
	q = cd_qmp_open_fd(sv[0], 500, err, sizeof(err));
	CU_ASSERT_PTR_NULL(q);
	CU_ASSERT_EQUAL(errno, EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "greet"));
	close(sv[1]);

	/* silence: the deadline holds */
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	uint64_t t0 = cd_now_mono_ms();
	q = cd_qmp_open_fd(sv[0], 200, err, sizeof(err));
	CU_ASSERT_PTR_NULL(q);
	CU_ASSERT_EQUAL(errno, ETIMEDOUT);
	CU_ASSERT(cd_now_mono_ms() - t0 >= 190 && cd_now_mono_ms() - t0 < 2000);
	close(sv[1]);
}

static void
test_client_events_and_ids(void)
{
	json_object *ret = NULL, *v, *data = NULL;
	int peer;
	struct cd_qmp *q = scripted(&peer);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	peer_read(peer);
	/* an event, a stale reply for an old id, then ours (id 2) */
	peer_write(peer, "{\"event\":\"MIGRATION\",\"data\":{\"status\":\"setup\"}}\n"
		   "{\"return\":{\"status\":\"old\"},\"id\":99}\n"
		   "{\"event\":\"STOP\"}\n"
		   "{\"return\":{\"status\":\"running\",\"running\":true},\"id\":2}\n");
	CU_ASSERT_EQUAL(cd_qmp_cmd(q, "query-status", NULL, -1, 1000, &ret), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ret);
	CU_ASSERT(json_object_object_get_ex(ret, "status", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "running");
	json_object_put(ret);
	CU_ASSERT_EQUAL(cd_qmp_pending_events(q), 2);
	/* recorded events are consumed by name, earliest first */
	CU_ASSERT_EQUAL(cd_qmp_wait_event(q, "MIGRATION", 100, &data), 0);
	CU_ASSERT(json_object_object_get_ex(data, "status", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "setup");
	json_object_put(data);
	CU_ASSERT_EQUAL(cd_qmp_wait_event(q, "STOP", 100, NULL), 0);
	CU_ASSERT_EQUAL(cd_qmp_pending_events(q), 0);
	/* an event that has not come: deadline */
	CU_ASSERT_EQUAL(cd_qmp_wait_event(q, "RESUME", 100, NULL), -ETIMEDOUT);
	/* ... and one that comes later */
	peer_write(peer, "{\"event\":\"RESUME\"}\n");
	CU_ASSERT_EQUAL(cd_qmp_wait_event(q, "RESUME", 100, NULL), 0);
	cd_qmp_close(q);
	close(peer);
}

static void
test_client_error_reply(void)
{
	int peer;
	struct cd_qmp *q = scripted(&peer);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	peer_write(peer, "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter "
		   "'uri' expects a valid migration protocol\"},\"id\":2}\n");
	CU_ASSERT_EQUAL(cd_qmp_cmdf(q, "migrate", "{\"uri\":\"file:/x\"}", 1000, NULL),
			-EREMOTEIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(cd_qmp_last_error(q), "migrate: Parameter 'uri'"));
	/* the connection stays usable */
	peer_write(peer, "{\"return\":{},\"id\":3}\n");
	CU_ASSERT_EQUAL(cd_qmp_cmd(q, "cont", NULL, -1, 1000, NULL), 0);
	CU_ASSERT_EQUAL(cd_qmp_cmdf(q, "x", "{bad json", 1000, NULL), -EINVAL);
	cd_qmp_close(q);
	close(peer);
}

static void
test_client_timeout_then_stale(void)
{
	int peer;
	struct cd_qmp *q = scripted(&peer);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(cd_qmp_cmd(q, "query-migrate", NULL, -1, 100, NULL), -ETIMEDOUT);
	/* the late reply to id 2 must not be taken for the reply to id 3 */
	peer_write(peer, "{\"return\":{\"late\":true},\"id\":2}\n"
		   "{\"return\":{\"late\":false},\"id\":3}\n");
	json_object *ret = NULL, *v;

	CU_ASSERT_EQUAL(cd_qmp_cmd(q, "query-migrate", NULL, -1, 1000, &ret), 0);
	CU_ASSERT(json_object_object_get_ex(ret, "late", &v));
	CU_ASSERT_FALSE(json_object_get_boolean(v));
	json_object_put(ret);
	cd_qmp_close(q);
	close(peer);
}

static void
test_client_eof_and_garbage(void)
{
	int peer;
	struct cd_qmp *q = scripted(&peer);

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	peer_write(peer, "this is not json\n");
	CU_ASSERT_EQUAL(cd_qmp_cmd(q, "query-status", NULL, -1, 1000, NULL), -EPROTO);
	close(peer);
	CU_ASSERT_EQUAL(cd_qmp_cmd(q, "query-status", NULL, -1, 1000, NULL), -ECONNRESET);
	cd_qmp_close(q);
}

static void
test_client_fd_passing(void)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char data[512];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	int peer, fds[2], got = -1;
	struct cd_qmp *q = scripted(&peer);
	ssize_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	peer_read(peer);
	CU_ASSERT_FATAL(pipe(fds) == 0);
	peer_write(peer, "{\"return\":{},\"id\":2}\n");
	CU_ASSERT_EQUAL(cd_qmp_cmdf(q, "getfd", NULL, 1000, NULL), 0);	/* no fd */
	peer_read(peer);
	peer_write(peer, "{\"return\":{},\"id\":3}\n");
	json_object *args = json_object_new_object();

	json_object_object_add(args, "fdname", json_object_new_string("cdstate"));
	CU_ASSERT_EQUAL(cd_qmp_cmd(q, "getfd", args, fds[1], 1000, NULL), 0);
	json_object_put(args);
	n = recvmsg(peer, &mh, MSG_DONTWAIT);
	CU_ASSERT(n > 0);
	data[n > 0 ? n : 0] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(data, "\"fdname\":\"cdstate\""));
	c = CMSG_FIRSTHDR(&mh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->cmsg_type, SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	/* the passed fd is the pipe's write end: data written arrives */
	CU_ASSERT_EQUAL(write(got, "ok", 2), 2);
	CU_ASSERT_EQUAL(read(fds[0], data, 2), 2);
	CU_ASSERT_EQUAL(memcmp(data, "ok", 2), 0);
	close(got);
	close(fds[0]);
	close(fds[1]);
	cd_qmp_close(q);
	close(peer);
}

static CU_TestInfo framing_tests[] = {
	{ "lines out of a stream", test_buf_lines },
	{ "overlong line rejected", test_buf_too_long },
	{ "message kinds", test_parse_kinds },
	{ "malformed messages", test_parse_bad },
	{ "command encoding", test_encode },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo client_tests[] = {
	{ "greeting and capabilities", test_client_handshake },
	{ "no greeting, or silence", test_client_no_greeting },
	{ "replies matched by id, events recorded", test_client_events_and_ids },
	{ "error replies", test_client_error_reply },
	{ "timeout, then a stale reply", test_client_timeout_then_stale },
	{ "garbage and EOF", test_client_eof_and_garbage },
	{ "fd passing with SCM_RIGHTS", test_client_fd_passing },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "qmp-framing", NULL, NULL, NULL, NULL, framing_tests },
	{ "qmp-client", NULL, NULL, NULL, NULL, client_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
