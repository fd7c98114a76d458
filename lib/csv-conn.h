/*
 * csv-conn.h - one authenticated, encrypted CSV protocol connection
 * (csv-proto.h frames over TCP, TLS 1.3 with a pre-shared key, GnuTLS).
 *
 * The key: 32 bytes derived with HKDF-SHA256 from the corosync authkey
 * (info "clusterd csv v1"), so the volume key is distributed, replaced and
 * protected exactly as the authkey is (`clusterctl create` and `node add`
 * copy it; mode 0400 root). A peer without that key fails the handshake:
 * csv_conn_open() returns NULL with errno EACCES and nothing of the
 * protocol is exchanged. TLS 1.3 ECDHE-PSK gives forward secrecy.
 *
 * Threads: one thread may receive while others send (sends are serialised
 * by a mutex inside; GnuTLS allows one sender and one receiver at once).
 * csv_conn_shutdown() may be called from any thread to make a blocked
 * receive return; csv_conn_free() only once no thread uses the conn.
 */
#ifndef CLUSTERD_CSV_CONN_H
#define CLUSTERD_CSV_CONN_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_KEY_LEN		32
#define CSV_DEFAULT_AUTHKEY	"/etc/corosync/authkey"

struct csv_conn;

/**
 * Derive the CSV key from the authkey file at path.
 * @return 0; -errno of open/read; -EINVAL for a file under 16 bytes or
 *         over 64 KiB; -EIO when GnuTLS fails
 */
int csv_key_load(const char *path, unsigned char key[CSV_KEY_LEN]);

/**
 * Handshake on a connected TCP socket (TCP_NODELAY is set here: without it
 * small frames wait for delayed ACKs).
 * @param fd         taken over: closed on failure and by csv_conn_free
 * @param server     true on the coordinator's side
 * @param key        the CSV key (copied)
 * @param identity   client: its name (the node), shown to the server;
 *                   server: ignored
 * @param timeout_ms deadline of the handshake
 * @return a connection, or NULL with errno: EACCES (the peer has another
 *         key or none), ETIMEDOUT, ECONNRESET, ENOMEM, EPROTO
 */
struct csv_conn *csv_conn_open(int fd, bool server,
			       const unsigned char key[CSV_KEY_LEN],
			       const char *identity, int timeout_ms);

/** The identity the client presented (server side), else "". */
const char *csv_conn_peer(const struct csv_conn *c);

/**
 * Send one encoded frame whole.
 * @return 0, -EPIPE/-ECONNRESET when the connection is gone, -EIO
 */
int csv_conn_send(struct csv_conn *c, const void *frame, size_t len);

/**
 * Receive one whole frame; its header is checked (csv_hdr_decode) before
 * the payload is read, so a peer cannot make us allocate more than
 * CSV_MAX_PAYLOAD.
 * @param timeout_ms   0: wait forever
 * @param frame        out: malloc'd frame the caller frees
 * @return 0; -ECONNRESET at EOF or after csv_conn_shutdown; -ETIMEDOUT;
 *         the CD_E_PROTO_* errors of csv_hdr_decode; -ENOMEM; -EIO
 */
int csv_conn_recv(struct csv_conn *c, void **frame, size_t *len, int timeout_ms);

/** Wake a blocked csv_conn_recv and refuse further I/O. Thread-safe. */
void csv_conn_shutdown(struct csv_conn *c);

/** Close the connection (without the TLS goodbye) and free it; NULL ok. */
void csv_conn_free(struct csv_conn *c);

#endif
