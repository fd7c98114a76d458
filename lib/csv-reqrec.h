/*
 * csv-reqrec.h - the record a namespace operation leaves on the volume, so
 * that its retry on a new coordinator is answered as its first attempt was
 * (issue 14: "a retried non-idempotent operation does not report a
 * spurious EEXIST/ENOENT"; csv/README.md). Pure code: names, the decision
 * table, the prune rule and the hidden xattr; csv/coord-ns.c does the I/O.
 *
 * A request is named by its client id (HELLO's: random per client process)
 * and its request id (unique per client; its retries repeat it). Its
 * RECORD is the entry "r-CLIENT-ID" (16 hex digits each) in the
 * coordinator's directory COORD_RESERVED/req on the volume; its TAG is the
 * xattr trusted.csv.req = client id, request id (u64 little-endian each).
 * What makes a record trustworthy after a crash and journal replay on
 * another node is that it is made by the operation itself: by the one
 * rename that shows the operation's result, in that rename's journal
 * transaction, never in a write of its own (two transactions: a crash
 * between them leaves the operation done and no record). No fsync.
 *
 * Rules:
 *  R1. Creations (CREATE with O_EXCL, MKDIR, MKNOD, SYMLINK, LINK) make
 *      the node (LINK: the new link) at RECORD, then rename it into place
 *      with RENAME_NOREPLACE | RENAME_WHITEOUT: the name appears and a
 *      whiteout (a 0:0 character device) takes RECORD's place in the same
 *      rename. A whiteout at RECORD says "done". CREATE's node carries TAG
 *      (set before the rename), so that its retry hands out a handle on
 *      the file it created and on no other. A name that exists fails with
 *      EEXIST before anything is made.
 *  R2. Removals (UNLINK, RMDIR) rename the victim to RECORD (its name goes
 *      and RECORD comes in one rename), then rename it on to "x-CLIENT-ID"
 *      with RENAME_WHITEOUT (RECORD becomes a whiteout, no space held) and
 *      delete it there. RECORD, node or whiteout, says "done". Their errors
 *      (ENOENT, EISDIR, ENOTDIR, ENOTEMPTY) are found before the first
 *      rename, while no other rename or directory removal runs.
 *  R3. RENAME sets TAG on its source node, then renames: the tag moves with
 *      the node in the rename's transaction. The destination carrying TAG
 *      says "done".
 *  R4. A retry (CSV_F_RETRY), and a request that finds its RECORD taken,
 *      is resolved before it executes:
 *        creation, RECORD a whiteout  -> done: success (CREATE: a handle on
 *                                        the node at the path when it
 *                                        carries TAG, else ESTALE: the
 *                                        file it made was removed or
 *                                        renamed by someone else since)
 *        creation, RECORD a node      -> its first attempt never became
 *                                        visible: remove RECORD, execute
 *        removal, RECORD a node       -> done, not finished: finish R2
 *        removal, RECORD a whiteout   -> done
 *        rename, destination has TAG  -> done
 *        otherwise                    -> execute: its result is the answer
 *                                        (an EEXIST or ENOENT is real)
 *  R5. Without a record: requests with id 0 (never on the wire: csv_decode
 *      refuses them; in-process callers), CREATE without O_EXCL (its retry
 *      opens the file the first attempt made, as a second open would), and
 *      every op of a coordinator whose filesystem has no RENAME_WHITEOUT
 *      (logged at start).
 *  R6. Pruning: "x-" entries are deleted whenever found (the victims of
 *      R2 whose deletion a crash cut); a RECORD whose ctime is older than
 *      the keep bound (csv-coord --retry-keep-ms, longer than the clients'
 *      --timeout: no retry comes later) is deleted; other names are left.
 *      A record pruned too early costs a spurious error, never a false
 *      success.
 *  R7. The client resends a request cut by a coordinator change with the
 *      same id and CSV_F_RETRY and reports the answer as it comes; the
 *      coordinator alone decides (R4).
 *  R8. TAG is the coordinator's: clients do not see it in LISTXATTR, read
 *      it as absent (ENODATA) and cannot set or remove it (EPERM).
 */
#ifndef CLUSTERD_CSV_REQREC_H
#define CLUSTERD_CSV_REQREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_RQ_DIR		"req"		/* in COORD_RESERVED */
#define CSV_RQ_XATTR		"trusted.csv.req"
#define CSV_RQ_XATTR_PREFIX	"trusted.csv."	/* R8 */
#define CSV_RQ_TAG_LEN		16
#define CSV_RQ_NAME_LEN		35		/* "r-" 16 "-" 16 */
#define CSV_RQ_KEEP_DEFAULT_MS	(20 * 60 * 1000)	/* 4x clusterd's client --timeout */

/** What a request is, for the rules. */
enum csv_rq_kind {
	CSV_RQ_PLAIN,		/* no record (R5) */
	CSV_RQ_CREATE,		/* R1 */
	CSV_RQ_REMOVE,		/* R2 */
	CSV_RQ_RENAME,		/* R3 */
};

/** What the request's RECORD is on the volume. */
enum csv_rq_rec {
	CSV_RQ_ABSENT,
	CSV_RQ_WHITEOUT,	/* a 0:0 character device */
	CSV_RQ_NODE,		/* anything else */
};

/** R4's verdicts. */
enum csv_rq_act {
	CSV_RQ_EXEC,		/* execute it (R1-R3) */
	CSV_RQ_DISCARD_EXEC,	/* remove RECORD, then execute */
	CSV_RQ_DONE,		/* the first attempt did it: answer success */
	CSV_RQ_FINISH,		/* done; finish R2 (whiteout, delete), answer success */
};

/** The kind of request op (oflags: CREATE's open flags) with id (R1-R3, R5). */
enum csv_rq_kind csv_rq_kind(unsigned op, uint32_t oflags, uint64_t id);

/**
 * R4: what to do with a retried request (or one that found its RECORD).
 * @param tagged RENAME: the destination carries the request's TAG
 */
enum csv_rq_act csv_rq_decide(enum csv_rq_kind kind, enum csv_rq_rec rec, bool tagged);

/**
 * The entry name "P-CLIENT-ID" of a request (P: 'r' RECORD, 'x' victim).
 * @return 0, or -ENAMETOOLONG when len < CSV_RQ_NAME_LEN + 1
 */
int csv_rq_name(char *buf, size_t len, char prefix, uint64_t client, uint64_t id);

/** Parse an entry name. @return 0, or -EINVAL for any other name */
int csv_rq_parse(const char *name, char *prefix, uint64_t *client, uint64_t *id);

/** R6: delete entry name whose ctime is age_ms old (may be < 0: clocks)? */
bool csv_rq_prune(const char *name, int64_t age_ms, uint64_t keep_ms);

/** TAG of a request in out[CSV_RQ_TAG_LEN]. */
void csv_rq_tag(unsigned char out[CSV_RQ_TAG_LEN], uint64_t client, uint64_t id);

/** Is value (len bytes, as read from the xattr) the TAG of this request? */
bool csv_rq_tag_is(const void *value, size_t len, uint64_t client, uint64_t id);

/** R8: is xattr name the coordinator's? */
bool csv_rq_xattr_hidden(const char *name);

/**
 * R8: remove the coordinator's names from an xattr list (NUL-terminated
 * names back to back, as listxattr(2) gives), in place.
 * @return the list's new length
 */
size_t csv_rq_xattr_filter(char *list, size_t len);

#endif
