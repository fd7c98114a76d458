/*
 * csv-probe.c - feeds a running csv-coord bad protocol input over a real
 * authenticated connection (tests/csv/test-csv-loop):
 *
 *   csv-probe ADDR:PORT AUTHKEY
 *
 * Cases: a request before HELLO (connection closed), a sound header around a
 * malformed payload (EINVAL reply, connection kept), an op the coordinator
 * does not know (ENOSYS), a path escaping the volume (EINVAL), a reply
 * flag from a client and an oversized length (connection closed), a frame
 * cut short by the client closing. After each, a fresh connection must still
 * get HELLO and PING answered. Prints one line per case; exit 0 when all
 * behave.
 */
#include "csv-conn.h"
#include "csv-proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char key[CSV_KEY_LEN];
static struct sockaddr_in sa;
static int failures;
static uint64_t next_id = 1;

static struct csv_conn *
dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return csv_conn_open(fd, false, key, "probe", 5000);
}

static int
send_msg(struct csv_conn *c, struct csv_msg *m)
{
	size_t len;
	void *f = csv_encode(m, &len);
	int rc;

	if (!f)
		return -errno;
	rc = csv_conn_send(c, f, len);
	free(f);
	return rc;
}

/* Receive one reply; its status, or the receive error. */
static int
reply_status(struct csv_conn *c, uint16_t *op)
{
	static struct csv_msg r;
	void *f;
	size_t len;
	int rc = csv_conn_recv(c, &f, &len, 5000);

	if (rc < 0)
		return rc;
	rc = csv_decode(f, len, &r);
	if (rc == 0 || rc < -2000) {
		/* an ENOSYS reply to an op we do not know either decodes as unknown */
		*op = (uint16_t)(((unsigned char *)f)[6] | ((unsigned char *)f)[7] << 8);
		rc = (int32_t)(((unsigned char *)f)[24] | ((unsigned char *)f)[25] << 8 |
			       ((unsigned char *)f)[26] << 16 |
			       (uint32_t)((unsigned char *)f)[27] << 24);
	}
	free(f);
	return rc;
}

static struct csv_conn *
hello(void)
{
	struct csv_msg m = { .op = CSV_OP_HELLO, .id = next_id++, .client = 0x5eed,
			     .caps = CSV_CAP_REDIRECTED };
	struct csv_conn *c = dial();
	uint16_t op;

	strcpy(m.name, "probe");
	if (!c || send_msg(c, &m) < 0 || reply_status(c, &op) != 0) {
		csv_conn_free(c);
		return NULL;
	}
	return c;
}

static void
verdict(const char *what, int ok)
{
	printf("csv-probe: %s: %s\n", what, ok ? "ok" : "WRONG");
	if (!ok)
		failures++;
}

/* A fresh connection still gets HELLO and PING answered. */
static void
still_serves(const char *after)
{
	struct csv_msg m = { .op = CSV_OP_PING };
	struct csv_conn *c = hello();
	char what[128];
	uint16_t op;

	m.id = next_id++;
	snprintf(what, sizeof(what), "still serving after %s", after);
	verdict(what, c && send_msg(c, &m) == 0 && reply_status(c, &op) == 0);
	csv_conn_free(c);
}

/* Send raw bytes as one frame; put the header fields in place. */
static int
send_raw(struct csv_conn *c, uint16_t op, uint32_t flags, uint32_t plen,
	 const void *payload, size_t n)
{
	unsigned char buf[256] = { 0 };
	uint32_t magic = CSV_MAGIC;
	uint64_t id = next_id++;

	memcpy(buf, &magic, 4);
	buf[4] = CSV_VERSION;
	memcpy(buf + 6, &op, 2);
	memcpy(buf + 8, &flags, 4);
	memcpy(buf + 12, &plen, 4);
	memcpy(buf + 16, &id, 8);
	memcpy(buf + CSV_HDR_SIZE, payload, n);
	return csv_conn_send(c, buf, CSV_HDR_SIZE + n);
}

int
main(int argc, char **argv)
{
	struct csv_conn *c;
	struct csv_msg m = { 0 };
	char host[64], *colon;
	void *f;
	size_t len;
	uint16_t op;
	int rc;

	if (argc != 3 || !(colon = strrchr(argv[1], ':')) ||
	    (size_t)(colon - argv[1]) >= sizeof(host)) {
		fprintf(stderr, "usage: csv-probe ADDR:PORT AUTHKEY\n");
		return 2;
	}
	memcpy(host, argv[1], (size_t)(colon - argv[1]));
	host[colon - argv[1]] = '\0';
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || csv_key_load(argv[2], key) < 0) {
		fprintf(stderr, "csv-probe: bad address or key\n");
		return 2;
	}

	/* 1. a request before HELLO: closed */
	c = dial();
	m = (struct csv_msg){ .op = CSV_OP_GETATTR, .id = next_id++ };
	strcpy(m.path, "/");
	verdict("request before HELLO closes the connection",
		c && send_msg(c, &m) == 0 && csv_conn_recv(c, &f, &len, 5000) == -ECONNRESET);
	csv_conn_free(c);
	still_serves("a request before HELLO");

	/* 2. malformed payload: EINVAL, connection kept; 3. unknown op: ENOSYS;
	 * 4. a path out of the volume: EINVAL */
	c = hello();
	rc = c ? send_raw(c, CSV_OP_UNLINK, 0, 3, "\x05\x00/", 3) : -1;
	verdict("malformed payload gets EINVAL", rc == 0 && reply_status(c, &op) == -EINVAL);
	rc = c ? send_raw(c, 0x150, 0, 0, "", 0) : -1;
	verdict("unknown op gets ENOSYS", rc == 0 && reply_status(c, &op) == -ENOSYS &&
		op == 0x150);
	m = (struct csv_msg){ .op = CSV_OP_GETATTR, .id = next_id++ };
	strcpy(m.path, "/../../etc/passwd");
	verdict("a path out of the volume gets EINVAL",
		c && send_msg(c, &m) == 0 && reply_status(c, &op) == -EINVAL);
	/* 5. a client sending a reply: closed */
	rc = c ? send_raw(c, CSV_OP_PING, CSV_F_REPLY, 0, "", 0) : -1;
	verdict("a reply from a client closes the connection",
		rc == 0 && csv_conn_recv(c, &f, &len, 5000) == -ECONNRESET);
	csv_conn_free(c);
	still_serves("bad payloads");

	/* 6. an oversized length: closed before any payload is read */
	c = hello();
	rc = c ? send_raw(c, CSV_OP_WRITE, 0, CSV_MAX_PAYLOAD + 1, "", 0) : -1;
	verdict("an oversized frame closes the connection",
		rc == 0 && csv_conn_recv(c, &f, &len, 5000) == -ECONNRESET);
	csv_conn_free(c);
	still_serves("an oversized frame");

	/* 7. a frame cut short: the client goes away mid-frame */
	c = hello();
	rc = c ? send_raw(c, CSV_OP_WRITE, 0, 1000, "0123456789", 10) : -1;
	csv_conn_free(c);
	verdict("a truncated frame is sent", rc == 0);
	still_serves("a truncated frame");

	printf("csv-probe: %s\n", failures ? "FAILED" : "all cases behave");
	return failures ? 1 : 0;
}
