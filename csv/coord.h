/*
 * coord.h - the CSV coordinator: the one process of a volume that mounts
 * its filesystem (privately) and executes every client's operations on it
 * (redirected I/O, issue 14; DESIGN.md §8).
 *
 * Pieces:
 *   coord-main.c   arguments, the block device from a provider, the private
 *                  mount (the kernel replays the journal here), listening
 *   coord-serve.c  connections: handshake (lib/csv-conn.h), one reader
 *                  thread per connection, a worker pool executing requests,
 *                  the per-client reply cache that answers retried requests
 *   coord-ops.c    the operations, each with *at() calls relative to the
 *                  mount's directory fd; paths never leave the volume
 *
 * Block-device providers (--device): any block device path. On real hosts
 * the open-iscsi/multipath device (/dev/disk/by-id/..., /dev/mapper/...);
 * in the lab, where the kernel has no iSCSI initiator, the device of a disk
 * agent holder of the same role (/run/clusterd/disk/NAME/device: libiscsi
 * behind a FUSE file behind `losetup --direct-io=on`), which also holds the
 * LUN's SCSI-3 reservation (WERO) through lib/pr.h. The coordinator itself
 * never registers a key: the reservation belongs to the role's disk.
 *
 * Path rules (coord_path_ok): a client path is absolute, has no empty, "."
 * or ".." component and is resolved with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV): FUSE resolves symlinks on the
 * client, so a symlink inside a path the coordinator receives is an attack
 * or a race and fails with ELOOP; a trailing symlink is acted on itself.
 *
 * Durability: WRITE returns once pwrite(2) returned; FSYNC returns once
 * fsync/fdatasync on the coordinator's file returned, i.e. the data and
 * the journal are on the LUN (barriers reach the target: ext4 -> loop ->
 * the disk holder's FUSE file -> FUA writes).
 *
 * Handles and locks: a client's OPEN/CREATE gets a handle (coordinator fd,
 * numbered from the epoch's low 32 bits up, so that a handle of an earlier
 * coordinator is unknown here: EBADF, and the client reopens)
 * that lives until RELEASE or until the same node says HELLO with another
 * client id (a new client process: the old one's handles and locks go).
 * A connection that breaks keeps its client's handles, so the client can
 * reconnect and go on. FLOCK acts on the handle's own open file; LOCK (POSIX
 * and OFD from the client) uses one open file per (client, lock owner,
 * file), with OFD locks, so owners conflict exactly as they do locally;
 * a client's lock files on a file close with its last handle there.
 *
 * Lost volume: an operation that fails with EIO or EROFS means the
 * volume failed under this coordinator (its reservation was preempted, its
 * path or disk holder is gone, or ext4 aborted its journal). The
 * coordinator then sends no reply and exits at once with COORD_EXIT_LOST:
 * connections break, clients resend to the next coordinator (writes not
 * yet fsynced included), and applications see a pause, not the error.
 *
 * Retries: a non-idempotent request whose id is in its client's reply
 * cache (the last COORD_CACHE such requests) is answered from the cache,
 * not executed again; a retry that overtakes its original (still
 * executing on a worker when the client reconnected) waits for its reply.
 */
#ifndef CLUSTERD_CSV_COORD_H
#define CLUSTERD_CSV_COORD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv-conn.h"
#include "csv-proto.h"

#define COORD_CACHE		512	/* cached replies per client */
#define COORD_WORKERS		8
#define COORD_HANDSHAKE_MS	5000
#define COORD_EXIT_LOST		3	/* exit status: the volume failed (EIO/EROFS) */

struct coord_cached {
	uint64_t id;
	void *frame;		/* the encoded reply; owned */
	size_t len;
	bool busy;		/* executing; retries wait for it */
};

/* One client incarnation (HELLO's client id), across its connections. */
struct coord_client {
	uint64_t id;
	char node[CSV_NAME_MAX + 1];
	struct coord_cached cache[COORD_CACHE];
	unsigned next;		/* ring position */
	struct coord_client *next_client;
};

struct coord_fh {
	uint64_t fh;		/* 0: free slot */
	int fd;
	int flags;		/* open flags as the coordinator used them */
	uint64_t client;
};

struct coord_lock {
	uint64_t client, owner;
	uint64_t dev, ino;
	int fd;
	struct coord_lock *next;
};

struct coord {
	const char *name;	/* volume name, for logs */
	int mntfd;		/* O_PATH directory fd of the private mount */
	uint64_t epoch;		/* this coordinator incarnation (HELLO reply) */
	unsigned char key[CSV_KEY_LEN];
	int listenfd;

	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t cache_cond;	/* a busy reply cache entry was filled */
	struct coord_fh *fhs;
	size_t nfh;
	uint64_t fh_gen;
	struct coord_client *clients;
	struct coord_lock *locks;
};

/* One request as a worker executes it. */
struct coord_req {
	struct coord_conn *conn;
	void *frame;		/* owned; the request's data points into it */
	struct csv_msg msg;
};

/* ---- coord-ops.c ---- */

/**
 * Is path acceptable (see the path rules above)?
 * @return 0 or -EINVAL
 */
int coord_path_ok(const char *path);

/**
 * Execute request q for client cl; fill rep (op, id, flags set by the
 * caller). READ/READDIR/GETXATTR/LISTXATTR data goes to *buf, which the
 * caller frees after encoding.
 * @return 0, or the negative errno to answer with
 */
int coord_exec(struct coord *co, uint64_t client, const struct csv_msg *q,
	       struct csv_msg *rep, void **buf);

/** Close every handle and lock of client id (a new incarnation said HELLO). */
void coord_forget_client(struct coord *co, uint64_t client);

/** Close every handle and lock and forget every client (at exit). */
void coord_clear(struct coord *co);

/* ---- coord-serve.c ---- */

/**
 * Accept and serve connections on co->listenfd until *stop becomes true
 * (checked at least every 200 ms).
 * @return 0, or -errno when the listening socket fails
 */
int coord_serve(struct coord *co, volatile int *stop);

#endif
