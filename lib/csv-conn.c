/*
 * csv-conn.c - CSV protocol connections over TLS 1.3 PSK (see csv-conn.h).
 */
#include "csv-conn.h"
#include "csv-proto.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

/* TLS 1.3 only, and only key exchanges that need the pre-shared key. */
#define CSV_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+DHE-PSK"
#define CSV_HKDF_INFO "clusterd csv v1"

struct csv_conn {
	int fd;
	bool server;
	gnutls_session_t tls;
	gnutls_psk_client_credentials_t ccred;
	gnutls_psk_server_credentials_t scred;
	pthread_mutex_t send_lock;
	unsigned char key[CSV_KEY_LEN];
	char peer[256];
};

int
csv_key_load(const char *path, unsigned char key[CSV_KEY_LEN])
{
	unsigned char buf[65536], prk[32];
	gnutls_datum_t ikm, salt = { NULL, 0 }, prkd, info;
	ssize_t n;
	size_t got = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (rc == 0 && (got < 16 || got == sizeof(buf)))
		rc = -EINVAL;
	if (rc == 0) {
		ikm = (gnutls_datum_t){ buf, (unsigned)got };
		prkd = (gnutls_datum_t){ prk, sizeof(prk) };
		info = (gnutls_datum_t){ (unsigned char *)(uintptr_t)CSV_HKDF_INFO,
					 sizeof(CSV_HKDF_INFO) - 1 };
		if (gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, prk) < 0 ||
		    gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &prkd, &info, key,
				       CSV_KEY_LEN) < 0)
			rc = -EIO;
	}
	/* the authkey must not linger in freed stack memory */
	gnutls_memset(buf, 0, sizeof(buf));
	gnutls_memset(prk, 0, sizeof(prk));
	return rc;
}

static int
psk_server_key(gnutls_session_t s, const gnutls_datum_t *user, gnutls_datum_t *key)
{
	struct csv_conn *c = gnutls_session_get_ptr(s);
	size_t n = user->size < sizeof(c->peer) - 1 ? user->size : sizeof(c->peer) - 1;

	memcpy(c->peer, user->data, n);
	c->peer[n] = '\0';
	key->data = gnutls_malloc(CSV_KEY_LEN);
	if (!key->data)
		return -1;
	memcpy(key->data, c->key, CSV_KEY_LEN);
	key->size = CSV_KEY_LEN;
	return 0;
}

static int
tls_errno(int grc)
{
	switch (grc) {
	case GNUTLS_E_TIMEDOUT:
		return ETIMEDOUT;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		return ECONNRESET;
	case GNUTLS_E_MEMORY_ERROR:
		return ENOMEM;
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER:
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
		return EACCES;
	default:
		return EPROTO;
	}
}

void
csv_conn_free(struct csv_conn *c)
{
	if (!c)
		return;
	if (c->tls)
		gnutls_deinit(c->tls);
	if (c->ccred)
		gnutls_psk_free_client_credentials(c->ccred);
	if (c->scred)
		gnutls_psk_free_server_credentials(c->scred);
	if (c->fd >= 0)
		close(c->fd);
	pthread_mutex_destroy(&c->send_lock);
	gnutls_memset(c->key, 0, sizeof(c->key));
	free(c);
}

static int
setup(struct csv_conn *c, const char *identity)
{
	gnutls_datum_t k = { c->key, CSV_KEY_LEN };
	int grc;

	grc = gnutls_init(&c->tls, c->server ? GNUTLS_SERVER : GNUTLS_CLIENT);
	if (grc < 0)
		return grc;
	gnutls_session_set_ptr(c->tls, c);
	grc = gnutls_priority_set_direct(c->tls, CSV_TLS_PRIORITY, NULL);
	if (grc < 0)
		return grc;
	if (c->server) {
		grc = gnutls_psk_allocate_server_credentials(&c->scred);
		if (grc < 0)
			return grc;
		gnutls_psk_set_server_credentials_function2(c->scred, psk_server_key);
		grc = gnutls_credentials_set(c->tls, GNUTLS_CRD_PSK, c->scred);
	} else {
		grc = gnutls_psk_allocate_client_credentials(&c->ccred);
		if (grc < 0)
			return grc;
		grc = gnutls_psk_set_client_credentials(c->ccred,
							identity && *identity ? identity : "-",
							&k, GNUTLS_PSK_KEY_RAW);
		if (grc < 0)
			return grc;
		grc = gnutls_credentials_set(c->tls, GNUTLS_CRD_PSK, c->ccred);
	}
	if (grc < 0)
		return grc;
	gnutls_transport_set_int(c->tls, c->fd);
	return 0;
}

struct csv_conn *
csv_conn_open(int fd, bool server, const unsigned char key[CSV_KEY_LEN],
	      const char *identity, int timeout_ms)
{
	struct csv_conn *c = calloc(1, sizeof(*c));
	int one = 1, grc, err;

	if (!c) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->server = server;
	pthread_mutex_init(&c->send_lock, NULL);
	memcpy(c->key, key, CSV_KEY_LEN);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	grc = setup(c, identity);
	if (grc == 0) {
		gnutls_handshake_set_timeout(c->tls, (unsigned)timeout_ms);
		do {
			grc = gnutls_handshake(c->tls);
		} while (grc < 0 && !gnutls_error_is_fatal(grc));
	}
	if (grc < 0) {
		err = tls_errno(grc);
		/* tell the peer why, or a refused client only sees EOF */
		if (c->tls && err != ECONNRESET && err != ETIMEDOUT)
			(void)gnutls_alert_send_appropriate(c->tls, grc);
		csv_conn_free(c);
		errno = err;
		return NULL;
	}
	return c;
}

const char *
csv_conn_peer(const struct csv_conn *c)
{
	return c->peer;
}

int
csv_conn_send(struct csv_conn *c, const void *frame, size_t len)
{
	const unsigned char *p = frame;
	ssize_t n;
	int rc = 0;

	pthread_mutex_lock(&c->send_lock);
	while (len > 0) {
		n = gnutls_record_send(c->tls, p, len);
		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN)
			continue;
		if (n < 0) {
			rc = n == GNUTLS_E_PUSH_ERROR ? -EPIPE : -tls_errno((int)n);
			if (rc == -EPROTO)
				rc = -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	pthread_mutex_unlock(&c->send_lock);
	return rc;
}

/* Read exactly len bytes; -ECONNRESET at EOF, -ETIMEDOUT, -EIO. */
static int
recv_all(struct csv_conn *c, void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = gnutls_record_recv(c->tls, p, len);
		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN)
			continue;
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			int e = tls_errno((int)n);

			/* a deadline in the middle of a frame leaves the stream unusable */
			if (e == ETIMEDOUT && p != buf)
				return -EIO;
			return e == ETIMEDOUT || e == ECONNRESET ? -e : -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
csv_conn_recv(struct csv_conn *c, void **frame, size_t *len, int timeout_ms)
{
	unsigned char hdr[CSV_HDR_SIZE], *buf;
	uint32_t plen;
	int rc;

	*frame = NULL;
	gnutls_record_set_timeout(c->tls, timeout_ms > 0 ? (unsigned)timeout_ms : 0);
	rc = recv_all(c, hdr, sizeof(hdr));
	if (rc < 0)
		return rc;
	rc = csv_hdr_decode(hdr, sizeof(hdr), &plen);
	if (rc < 0)
		return rc;
	buf = malloc(CSV_HDR_SIZE + (size_t)plen);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, CSV_HDR_SIZE);
	rc = recv_all(c, buf + CSV_HDR_SIZE, plen);
	if (rc < 0) {
		free(buf);
		/* a frame cut in the middle leaves the stream unusable */
		return rc == -ETIMEDOUT ? -EIO : rc;
	}
	*frame = buf;
	*len = CSV_HDR_SIZE + (size_t)plen;
	return 0;
}

void
csv_conn_shutdown(struct csv_conn *c)
{
	(void)shutdown(c->fd, SHUT_RDWR);
}
