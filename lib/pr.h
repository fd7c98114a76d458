/*
 * pr.h - SCSI-3 persistent reservations and block I/O on one iSCSI LUN,
 * over libiscsi (userspace initiator; no kernel iSCSI needed).
 *
 * A struct cd_pr is one iSCSI session, i.e. one I_T nexus, to one LUN. The
 * witness arbitration (quorum/), storage fencing (agents/disk/) and CSV
 * volumes build on it. Facts this module relies on (tgt 1.0.85, measured in
 * notes/iscsi-pr/REPORT.md):
 *
 *  - A registration authorises the session that made it, not the initiator
 *    name: a new session (cd_pr_reconnect, or another process with the same
 *    IQN) is unregistered, and the old session's key stays behind as an
 *    orphan until someone preempts it. So PR and I/O share one session.
 *    Every session here uses a fresh random ISID, so a new session is a new
 *    I_T nexus on any target, SPC-compliant or not.
 *  - tgt has no PREEMPT AND ABORT, no READ FULL STATUS and no APTPL (a target
 *    restart forgets every key and unfences everyone). None is offered here.
 *  - tgt sends RESERVATIONS RELEASED (2A/04) to the wrong nexuses; nothing
 *    may depend on receiving it.
 *
 * Unit attentions are reported, never retried silently: the command that
 * met one was not executed, and the caller learns why (CD_PR_E_PREEMPTED is
 * how a fenced node finds out). The 29/00 "power on, reset" attention that
 * every new nexus has pending is consumed while logging in (a TEST UNIT
 * READY loop) because a new nexus holds no registration that could have
 * been lost; any later 29/xx means the target restarted or reset and is
 * reported as CD_PR_E_RESET (re-check keys and reservation: tgt will have
 * forgotten them).
 *
 * Deadlines: every call returns within the handle's timeout (login included;
 * host names are resolved with getaddrinfo, which has no deadline: use
 * addresses where that matters). When a command times out or the
 * connection breaks, the session is dropped at once and the call returns
 * -ETIMEDOUT or -ECONNRESET; later calls return -ENOTCONN until
 * cd_pr_reconnect(). A command that timed out may still have executed on
 * the target (there is no PREEMPT AND ABORT to stop it).
 *
 * Rejoining after a reconnect (the session's registration is lost): do not
 * register the old key again blindly, that would undo a fence. Register a
 * new key (new incarnation), then PREEMPT the old key with it: GOOD means
 * the node was not fenced meanwhile (and the orphan is gone), CD_PR_E_CONFLICT
 * means it was: unregister the new key and stay fenced.
 *
 * Thread safety: a struct cd_pr is used by one thread at a time (the daemon
 * runs these calls on a worker thread). Distinct handles are independent.
 * libiscsi writes to its socket with writev(): the process must ignore
 * SIGPIPE, or a target closing the connection kills it.
 */
#ifndef CLUSTERD_PR_H
#define CLUSTERD_PR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iscsi-url.h"

/* ---- keys -------------------------------------------------------------- */

#define CD_PR_KEY_TAG		0x4344u	/* "CD" in the top 16 bits */
#define CD_PR_NODEID_MAX	65535u

/**
 * Our reservation key for a node: "CD" (16 bits) | node id (16) | incarnation (32).
 * A new incarnation makes a new key, so a node that lost its key (fenced)
 * can never be confused with its earlier self.
 * @return the key, or 0 (never a valid key) for node ids outside 1..65535
 */
static inline uint64_t
cd_pr_key(uint32_t nodeid, uint32_t incarnation)
{
	if (nodeid == 0 || nodeid > CD_PR_NODEID_MAX)
		return 0;
	return (uint64_t)CD_PR_KEY_TAG << 48 | (uint64_t)nodeid << 32 | incarnation;
}

/**
 * Split one of our keys.
 * @param nodeid, incarnation  set when the key is ours; either may be NULL
 * @return false for keys that are not ours (another tag, or node id 0)
 */
static inline bool
cd_pr_key_decode(uint64_t key, uint32_t *nodeid, uint32_t *incarnation)
{
	uint32_t id = (uint32_t)(key >> 32) & 0xffffu;

	if ((key >> 48) != CD_PR_KEY_TAG || id == 0)
		return false;
	if (nodeid)
		*nodeid = id;
	if (incarnation)
		*incarnation = (uint32_t)key;
	return true;
}

/* ---- reservation types ------------------------------------------------- */

enum cd_pr_type {
	CD_PR_WE = 1,	/* Write Exclusive */
	CD_PR_EA = 3,	/* Exclusive Access */
	CD_PR_WERO = 5,	/* Write Exclusive - Registrants Only (CSV, witness) */
	CD_PR_EARO = 6,	/* Exclusive Access - Registrants Only */
	CD_PR_WEAR = 7,	/* Write Exclusive - All Registrants */
	CD_PR_EAAR = 8,	/* Exclusive Access - All Registrants */
};

/** "WE", "EA", "WERO", "EARO", "WEAR", "EAAR"; NULL for other values. */
const char *cd_pr_type_name(int type);

/**
 * Parse a type: one of the names above (any case) or its number.
 * @return the type or -EINVAL
 */
int cd_pr_type_parse(const char *s);

/* ---- errors ------------------------------------------------------------ */

/* Returned negated, like errno values; a range of their own (error.h has 2000..). */
enum cd_pr_error {
	CD_PR_E_BASE = 3000,
	CD_PR_E_CONFLICT,	/* RESERVATION CONFLICT: this nexus may not do that */
	CD_PR_E_PREEMPTED,	/* UA 2A/03, 2A/05: our registration was preempted/cleared */
	CD_PR_E_RELEASED,	/* UA 2A/04: a reservation was released (informational) */
	CD_PR_E_RESET,		/* UA 29/xx: target reset or restart; PR state may be gone */
	CD_PR_E_UNIT_ATTENTION,	/* any other UNIT ATTENTION (capacity, LUNs changed...) */
	CD_PR_E_ILLEGAL,	/* ILLEGAL REQUEST: the target refused a field (see sense) */
	CD_PR_E_NOT_SUPPORTED,	/* ILLEGAL REQUEST 20/00: command not implemented */
	CD_PR_E_CHECK,		/* another CHECK CONDITION (not ready, medium error...) */
	CD_PR_E_BUSY,		/* BUSY, TASK SET FULL, ACA ACTIVE or TASK ABORTED: retry */
	CD_PR_E_CONNECT,	/* cannot reach the portal (refused, unreachable, unknown) */
	CD_PR_E_LOGIN,		/* login refused (unknown target, initiator not allowed) */
	CD_PR_E_PROTO,		/* the target answered with malformed data */
	CD_PR_E_MAX
};

/**
 * Describe an error.
 * @param err a negative enum cd_pr_error, a negative errno or a negative
 *            clusterd error (error.h)
 * @return a static string, never NULL
 */
const char *cd_pr_strerror(int err);

/**
 * Short, stable name of an error for scripts and JSON: "conflict",
 * "preempted", "timeout", "not-connected", ...
 * @return a static string, never NULL
 */
const char *cd_pr_errname(int err);

/** True for the unit-attention errors (the command was not executed). */
static inline bool
cd_pr_is_unit_attention(int err)
{
	return err == -CD_PR_E_PREEMPTED || err == -CD_PR_E_RELEASED ||
	       err == -CD_PR_E_RESET || err == -CD_PR_E_UNIT_ATTENTION;
}

/** The SCSI outcome of the last command, for diagnostics. */
struct cd_pr_sense {
	int status;		/* SCSI status (2 CHECK CONDITION, 0x18 CONFLICT...); -1 none */
	uint8_t key;		/* sense key, when status is CHECK CONDITION */
	uint8_t asc, ascq;
};

/** Name of an ASC/ASCQ pair, e.g. "reservations preempted"; NULL if unknown. */
const char *cd_pr_asc_name(uint8_t asc, uint8_t ascq);

/* ---- sessions ---------------------------------------------------------- */

struct cd_pr;

#define CD_PR_DEFAULT_TIMEOUT_MS 5000

/**
 * Make a handle for a LUN; no I/O and no session yet (see cd_pr_reconnect).
 * @param url        the LUN; copied
 * @param initiator  our initiator IQN: the node identity the target sees,
 *                   e.g. iqn.2026-11.org.clusterd:CLUSTER:NODE; copied
 * @param timeout_ms deadline of each call, 1..3600000
 * @return a handle (free with cd_pr_close) or NULL with errno EINVAL
 *         (bad initiator name or timeout) or ENOMEM
 */
struct cd_pr *cd_pr_new(const struct cd_iscsi_url *url, const char *initiator,
			int timeout_ms);

/**
 * Log in: drop the current session if any, then connect, log in, consume
 * the new nexus's pending unit attentions and read the capacity, all
 * within one timeout. The new session holds no registration.
 * @return 0; -CD_PR_E_CONNECT, -CD_PR_E_LOGIN, -ETIMEDOUT, -ENOMEM, or a
 *         SCSI error of the first commands (a missing LUN is -CD_PR_E_ILLEGAL)
 */
int cd_pr_reconnect(struct cd_pr *pr);

/**
 * cd_pr_new() and cd_pr_reconnect() in one.
 * @param err set to the error when NULL is returned; may be NULL
 * @return a connected handle, or NULL
 */
struct cd_pr *cd_pr_open(const struct cd_iscsi_url *url, const char *initiator,
			 int timeout_ms, int *err);

/**
 * Keep *pr connected to the LUN at url (a text iSCSI URL): make the handle
 * when *pr is NULL, log in again when it has no session, nothing when it
 * has one. Fencing and the witness worker keep their sessions so.
 * @param pr       in/out: the handle (owned by the caller; on error a handle
 *                 made here stays in *pr, without a session)
 * @param detail   set to "URL: what failed" on error
 * @return 1 when a new session was made (it holds no registration), 0 when
 *         the session was there, -EINVAL (bad URL), -ENOMEM or
 *         cd_pr_reconnect()'s error
 */
int cd_pr_ensure(struct cd_pr **pr, const char *url, const char *initiator,
		 int timeout_ms, char *detail, size_t dlen);

/** Log out (bounded by the timeout), drop the session and free. NULL is fine. */
void cd_pr_close(struct cd_pr *pr);

/** Drop the session without logging out (also fine when there is none). */
void cd_pr_disconnect(struct cd_pr *pr);

/** True while the handle has a session. */
bool cd_pr_connected(const struct cd_pr *pr);

/** Change the per-call deadline (1..3600000 ms). @return 0 or -EINVAL */
int cd_pr_set_timeout(struct cd_pr *pr, int timeout_ms);

const struct cd_iscsi_url *cd_pr_url(const struct cd_pr *pr);

/**
 * Text of the last failure on this handle, with detail the error code lacks:
 * "reservation conflict", "unit attention: reservations preempted (6/2A/03)",
 * "connection lost: ...". Valid until the next call on the handle.
 */
const char *cd_pr_last_error(const struct cd_pr *pr);

/** The SCSI status and sense of the last completed command. */
void cd_pr_last_sense(const struct cd_pr *pr, struct cd_pr_sense *sense);

/* ---- PERSISTENT RESERVE OUT -------------------------------------------- */
/*
 * All return 0 or a negative error, typically:
 *   -CD_PR_E_CONFLICT   the target refused (wrong key, not registered,
 *                       reserved by another nexus);
 *   a unit attention    the command was not executed;
 *   -ETIMEDOUT, -ECONNRESET, -ENOTCONN  transport, see above.
 * Keys are 64-bit; 0 is "no key".
 */

/** REGISTER: this nexus registers key (it must not be registered yet). */
int cd_pr_register(struct cd_pr *pr, uint64_t key);

/** REGISTER AND IGNORE EXISTING KEY: (re)register with key, whatever we held. */
int cd_pr_register_ignore(struct cd_pr *pr, uint64_t key);

/** REGISTER key -> 0: drop our registration (and our reservation, if we hold it). */
int cd_pr_unregister(struct cd_pr *pr, uint64_t key);

/** RESERVE with our registered key. Reserving again with the same type is GOOD. */
int cd_pr_reserve(struct cd_pr *pr, uint64_t key, enum cd_pr_type type);

/** RELEASE; a wrong type is CD_PR_E_ILLEGAL (26/04), a non-holder gets GOOD. */
int cd_pr_release(struct cd_pr *pr, uint64_t key, enum cd_pr_type type);

/** CLEAR: drop every registration and the reservation (any registrant may). */
int cd_pr_clear(struct cd_pr *pr, uint64_t key);

/**
 * PREEMPT: remove victim's registrations (and take over the reservation
 * with type if victim held it). This is the fencing primitive: the victim's
 * next command gets -CD_PR_E_PREEMPTED, later ones -CD_PR_E_CONFLICT.
 * -CD_PR_E_CONFLICT here means we are not registered or nobody holds victim.
 * When two nodes preempt each other at once (witness arbitration), the
 * loser's PREEMPT usually fails with -CD_PR_E_PREEMPTED (the winner's went
 * first and left it that attention), not -CD_PR_E_CONFLICT: both mean lost.
 */
int cd_pr_preempt(struct cd_pr *pr, uint64_t key, uint64_t victim,
		  enum cd_pr_type type);

/* ---- PERSISTENT RESERVE IN --------------------------------------------- */

/**
 * READ KEYS (any nexus may, registered or not).
 * @param keys        filled with up to max keys (may be NULL when max is 0)
 * @param n           the number of registrations, which may exceed max
 * @param generation  the PR generation (bumped by every PR OUT change); may be NULL
 */
int cd_pr_read_keys(struct cd_pr *pr, uint64_t *keys, size_t max, size_t *n,
		    uint32_t *generation);

struct cd_pr_reservation {
	bool present;
	uint64_t key;		/* holder's key; 0 for all-registrants types */
	enum cd_pr_type type;	/* valid when present */
	uint32_t generation;
};

/** READ RESERVATION. */
int cd_pr_read_reservation(struct cd_pr *pr, struct cd_pr_reservation *res);

struct cd_pr_caps {
	uint16_t type_mask;	/* bit (1 << type) for each supported enum cd_pr_type */
	bool ptpl_capable;	/* PTPL_C: can persist through power loss (tgt: no) */
	bool ptpl_active;
	bool crh;		/* compatible reservation handling */
	bool sip_capable, atp_capable;
	bool tmv;		/* type_mask is valid */
};

/** REPORT CAPABILITIES (what `clusterctl validate` checks). */
int cd_pr_capabilities(struct cd_pr *pr, struct cd_pr_caps *caps);

/* ---- identity, capacity, block I/O ------------------------------------- */

struct cd_pr_inquiry {
	char vendor[9];
	char product[17];
	char revision[5];
	char serial[256];	/* VPD 0x80; "" if the target has none */
	char device_id[256];	/* VPD 0x83, best LU designator: "naa.6...", "eui.", "t10.", "" */
	int peripheral_type;	/* 0 = direct-access block device */
	uint64_t blocks;
	uint32_t block_size;
};

/** INQUIRY (standard, VPD 0x80 and 0x83) and READ CAPACITY. Strings trimmed. */
int cd_pr_inquiry(struct cd_pr *pr, struct cd_pr_inquiry *inq);

/** READ CAPACITY(16) (10 as fallback). Also refreshes cd_pr_block_size(). */
int cd_pr_read_capacity(struct cd_pr *pr, uint64_t *blocks, uint32_t *block_size);

/** Logical block size learnt at login (0 before the first login). */
uint32_t cd_pr_block_size(const struct cd_pr *pr);

/** TEST UNIT READY: the cheapest round trip (liveness, pending unit attentions). */
int cd_pr_test_unit_ready(struct cd_pr *pr);

#define CD_PR_IO_MAX	(16u << 20)	/* bytes per read or write call */
#define CD_PR_WRITE_FUA	1u		/* force unit access: stable at completion */

/**
 * READ(16) len bytes at lba into buf.
 * @param len a nonzero multiple of the block size, at most CD_PR_IO_MAX
 * @return 0, -EINVAL for a bad length, or an error as above
 */
int cd_pr_read_blocks(struct cd_pr *pr, uint64_t lba, void *buf, size_t len);

/** WRITE(16), as cd_pr_read_blocks(); flags: 0 or CD_PR_WRITE_FUA. */
int cd_pr_write_blocks(struct cd_pr *pr, uint64_t lba, const void *buf,
		       size_t len, unsigned int flags);

/**
 * SYNCHRONIZE CACHE(16) of the whole LUN: the writes this session had
 * completed before are stable when it returns (a CSV client's fsync of
 * data it wrote directly, issue 15).
 * @return 0 or an error as above
 */
int cd_pr_sync_cache(struct cd_pr *pr);

#endif
