/*
 * test_csv_conn.c - unit tests of the CSV transport (lib/csv-conn.c): real
 * TLS 1.3 PSK handshakes between two threads over a socket pair.
 */
#include "csv-conn.h"
#include "csv-proto.h"
#include "error.h"
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char dir[] = "/tmp/test_csv_conn.XXXXXX";

static int
write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int
load(const char *name, unsigned char key[CSV_KEY_LEN])
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return csv_key_load(path, key);
}

static int
suite_init(void)
{
	unsigned char k1[128], k2[128];
	size_t i;

	if (!mkdtemp(dir))
		return -1;
	for (i = 0; i < sizeof(k1); i++) {
		k1[i] = (unsigned char)(i * 7 + 1);
		k2[i] = (unsigned char)(i * 7 + 2);
	}
	return write_file("authkey1", k1, sizeof(k1)) | write_file("authkey1-copy", k1, sizeof(k1)) |
	       write_file("authkey2", k2, sizeof(k2)) | write_file("short", k1, 15);
}

static int
suite_clean(void)
{
	static const char *const names[] = { "authkey1", "authkey1-copy", "authkey2", "short" };
	char path[256];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	return rmdir(dir);
}

static void
test_key_derivation(void)
{
	unsigned char a[CSV_KEY_LEN], b[CSV_KEY_LEN], c[CSV_KEY_LEN];

	CU_ASSERT_EQUAL(load("authkey1", a), 0);
	CU_ASSERT_EQUAL(load("authkey1-copy", b), 0);
	CU_ASSERT_EQUAL(load("authkey2", c), 0);
	CU_ASSERT(memcmp(a, b, CSV_KEY_LEN) == 0);
	CU_ASSERT(memcmp(a, c, CSV_KEY_LEN) != 0);
	CU_ASSERT_EQUAL(load("short", a), -EINVAL);
	CU_ASSERT_EQUAL(load("missing", a), -ENOENT);
}

/* ---- a server thread answering each frame with a reply ---- */

struct server {
	int fd;
	unsigned char key[CSV_KEY_LEN];
	int open_errno;		/* errno of a failed handshake */
	int frames;		/* frames answered */
	int last_rc;		/* the csv_conn_recv that ended the loop */
	char peer[256];
	pthread_t thread;
};

static void *
serve(void *arg)
{
	struct server *s = arg;
	struct csv_conn *c = csv_conn_open(s->fd, true, s->key, NULL, 5000);
	struct csv_msg m;
	void *frame, *out;
	size_t len, olen;

	if (!c) {
		s->open_errno = errno;
		return NULL;
	}
	snprintf(s->peer, sizeof(s->peer), "%s", csv_conn_peer(c));
	for (;;) {
		s->last_rc = csv_conn_recv(c, &frame, &len, 5000);
		if (s->last_rc < 0)
			break;
		if (csv_decode(frame, len, &m) == 0) {
			m.flags = CSV_F_REPLY;
			m.op = CSV_OP_WRITE;
			m.len = len;
			out = csv_encode(&m, &olen);
			if (out && csv_conn_send(c, out, olen) == 0)
				s->frames++;
			free(out);
		}
		free(frame);
	}
	csv_conn_free(c);
	return NULL;
}

static int
start(struct server *s, const char *keyfile)
{
	int sv[2];

	memset(s, 0, sizeof(*s));
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CU_ASSERT_FATAL(load(keyfile, s->key) == 0);
	s->fd = sv[0];
	CU_ASSERT_FATAL(pthread_create(&s->thread, NULL, serve, s) == 0);
	return sv[1];
}

static void
test_exchange(void)
{
	unsigned char key[CSV_KEY_LEN];
	struct server s;
	struct csv_conn *c;
	struct csv_msg m = { 0 }, r;
	static unsigned char data[CSV_MAX_DATA];
	void *frame, *reply;
	size_t len, rlen;
	int fd = start(&s, "authkey1"), i;

	CU_ASSERT_FATAL(load("authkey1-copy", key) == 0);
	c = csv_conn_open(fd, false, key, "n2", 5000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		m.op = CSV_OP_WRITE;
		m.id = (uint64_t)i + 1;
		m.fh = 7;
		m.data = data;
		m.datalen = i == 1 ? CSV_MAX_DATA : 10;
		frame = csv_encode(&m, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(frame);
		CU_ASSERT_EQUAL(csv_conn_send(c, frame, len), 0);
		CU_ASSERT_EQUAL(csv_conn_recv(c, &reply, &rlen, 5000), 0);
		CU_ASSERT_EQUAL(csv_decode(reply, rlen, &r), 0);
		CU_ASSERT_EQUAL(r.id, (uint64_t)i + 1);
		CU_ASSERT_EQUAL(r.len, len);	/* the server saw the whole frame */
		free(frame);
		free(reply);
	}
	csv_conn_shutdown(c);
	pthread_join(s.thread, NULL);
	CU_ASSERT_EQUAL(s.frames, 3);
	CU_ASSERT_EQUAL(s.last_rc, -ECONNRESET);
	CU_ASSERT_STRING_EQUAL(s.peer, "n2");
	csv_conn_free(c);
}

static void
test_wrong_key_refused(void)
{
	unsigned char key[CSV_KEY_LEN];
	struct server s;
	struct csv_conn *c;
	int fd = start(&s, "authkey1");

	CU_ASSERT_FATAL(load("authkey2", key) == 0);
	errno = 0;
	c = csv_conn_open(fd, false, key, "intruder", 5000);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(errno, EACCES);
	pthread_join(s.thread, NULL);
	CU_ASSERT_EQUAL(s.open_errno, EACCES);
	CU_ASSERT_EQUAL(s.frames, 0);
	csv_conn_free(c);
}

/* A peer speaking the protocol in clear text never gets a frame through. */
static void
test_cleartext_refused(void)
{
	struct csv_msg m = { .op = CSV_OP_PING, .id = 1 };
	struct server s;
	size_t len;
	void *frame;
	int fd = start(&s, "authkey1");

	frame = csv_encode(&m, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(frame);
	CU_ASSERT_EQUAL(write(fd, frame, len), (ssize_t)len);
	free(frame);
	shutdown(fd, SHUT_WR);
	pthread_join(s.thread, NULL);
	CU_ASSERT(s.open_errno != 0);
	CU_ASSERT_EQUAL(s.frames, 0);
	close(fd);
}

/* The receiver checks the header before it reads or allocates a payload. */
static void
test_oversized_header(void)
{
	unsigned char key[CSV_KEY_LEN], hdr[CSV_HDR_SIZE] = { 0 };
	struct server s;
	struct csv_conn *c;
	int fd = start(&s, "authkey1");
	uint32_t big = CSV_MAX_PAYLOAD + 1;

	CU_ASSERT_FATAL(load("authkey1", key) == 0);
	c = csv_conn_open(fd, false, key, "n3", 5000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memcpy(hdr, "CSV1", 4);
	hdr[4] = 1;
	hdr[6] = CSV_OP_PING;
	memcpy(hdr + 12, &big, 4);
	hdr[16] = 1;
	CU_ASSERT_EQUAL(csv_conn_send(c, hdr, sizeof(hdr)), 0);
	pthread_join(s.thread, NULL);
	CU_ASSERT_EQUAL(s.last_rc, -CD_E_PROTO_TOO_BIG);
	csv_conn_free(c);
}

/* A receive with a deadline ends with -ETIMEDOUT; shutdown wakes it. */
static void *
recv_forever(void *arg)
{
	void *frame;
	size_t len;

	return (void *)(intptr_t)csv_conn_recv(arg, &frame, &len, 0);
}

static void
test_timeout_and_shutdown(void)
{
	unsigned char key[CSV_KEY_LEN];
	struct server s;
	struct csv_conn *c;
	pthread_t t;
	void *frame, *ret;
	size_t len;
	int fd = start(&s, "authkey1");

	CU_ASSERT_FATAL(load("authkey1", key) == 0);
	c = csv_conn_open(fd, false, key, "n4", 5000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(csv_conn_recv(c, &frame, &len, 50), -ETIMEDOUT);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, recv_forever, c) == 0);
	csv_conn_shutdown(c);
	pthread_join(t, &ret);
	CU_ASSERT_EQUAL((int)(intptr_t)ret, -ECONNRESET);
	pthread_join(s.thread, NULL);
	csv_conn_free(c);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "key derived from the authkey", test_key_derivation },
		{ "frames both ways, 1 MiB included", test_exchange },
		{ "a client with another key is refused", test_wrong_key_refused },
		{ "a clear-text client is refused", test_cleartext_refused },
		{ "an oversized header is refused unread", test_oversized_header },
		{ "receive deadline and shutdown", test_timeout_and_shutdown },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv-conn", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
