/*
 * witness-disk.h - the on-disk layout of the witness LUN (pure code: no I/O).
 *
 * The witness LUN carries the witness vote (SCSI-3 PR, quorum/)
 * and, like WSFC's cluster database on the witness disk, a copy of the
 * cluster state with its generation, against amnesia. Layout (byte offsets;
 * every integer little-endian; the LUN needs at least CD_WD_MIN_BYTES):
 *
 *   0        heartbeat block (512 bytes used, 4 KiB reserved): written by
 *            the leader of the partition that holds the witness every
 *            CD_WD_HEARTBEAT_MS; a challenger may take the disk only after
 *            seeing it unchanged for a lease (quorum/arbiter.h).
 *   1 MiB    state slot 0 (CD_WD_SLOT_BYTES)
 *   3 MiB    state slot 1
 *
 * A slot is a 512-byte header followed by the state JSON (plain, no NUL):
 *   0  magic "CDWSTATE" (8)      8  version u32 (1)     12 header length u32 (512)
 *   16 seq u64 (write sequence, +1 per copy written; the newest valid slot wins)
 *   24 generation u64 (the state's)   32 payload length u32   36 payload CRC32 u32
 *   40 writer node id u32       44 reserved u32     48 written, unix ms u64
 *   56 cluster uuid (40, NUL-padded)  96..507 zero  508 header CRC32 u32 (of bytes 0..507)
 * Writes alternate: a new copy goes to the slot that does NOT hold the
 * newest valid copy, so a torn write (header and payload disagree: a CRC
 * fails) leaves the previous copy intact in the other slot.
 */
#ifndef CLUSTERD_WITNESS_DISK_H
#define CLUSTERD_WITNESS_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_WD_MAGIC		"CDWSTATE"
#define CD_WD_HB_MAGIC		"CDWHBEAT"
#define CD_WD_VERSION		1u
#define CD_WD_HDR_BYTES		512u
#define CD_WD_HB_OFFSET		0u
#define CD_WD_SLOT_OFFSET	(1u << 20)
#define CD_WD_SLOT_BYTES	(2u << 20)
#define CD_WD_PAYLOAD_MAX	(CD_WD_SLOT_BYTES - CD_WD_HDR_BYTES)
#define CD_WD_MIN_BYTES		(CD_WD_SLOT_OFFSET + 2 * CD_WD_SLOT_BYTES)
#define CD_WD_UUID_MAX		40u

/** Byte offset of slot 0 or 1. */
static inline uint64_t
cd_wd_slot_offset(int slot)
{
	return CD_WD_SLOT_OFFSET + (uint64_t)(slot ? 1 : 0) * CD_WD_SLOT_BYTES;
}

struct cd_wd_header {
	uint64_t seq;
	uint64_t generation;
	uint32_t length;		/* payload bytes */
	uint32_t payload_crc;
	uint32_t writer;		/* node id */
	uint64_t written_ms;		/* unix time, ms */
	char uuid[CD_WD_UUID_MAX + 1];
};

/** CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of @p len bytes. */
uint32_t cd_wd_crc32(const void *data, size_t len);

/**
 * Build a slot image: header (seq, generation, writer, written_ms, uuid
 * taken from @p h; length and payload CRC computed) then the payload,
 * zero-padded to a multiple of @p block (512 or 4096...).
 * @param out  buffer of @p outlen bytes
 * @return the bytes to write (a multiple of block), or -EINVAL (bad block,
 *         uuid too long) or -E2BIG (payload over CD_WD_PAYLOAD_MAX, or
 *         out too small)
 */
long cd_wd_encode(const struct cd_wd_header *h, const void *payload,
		  size_t len, uint32_t block, void *out, size_t outlen);

/**
 * Check a slot header (the first CD_WD_HDR_BYTES of a slot).
 * @return 0; -ENODATA (blank: no magic), -EPROTO (not our magic),
 *         -EPROTONOSUPPORT (another version), -EBADMSG (header CRC
 *         mismatch, e.g. torn write) or -EMSGSIZE (length out of range)
 */
/**
 * Whether the disk witness votes, by config.quorum (mode "node-majority",
 * "node-disk-majority" or "auto"; url "" or NULL: none) and the number of
 * configured nodes: node-disk-majority with a witness always; auto with a
 * witness when the count is even (as WSFC chooses); never without one.
 * clusterd casts by it and clusterctl writes corosync's device by it.
 */
bool cd_witness_wanted(const char *mode, const char *url, size_t nodes);

int cd_wd_decode_header(const void *buf, size_t len, struct cd_wd_header *h);

/** Check the payload against a decoded header. @return 0 or -EBADMSG */
int cd_wd_check_payload(const struct cd_wd_header *h, const void *payload,
			size_t len);

/** What reading one slot gave: rc 0 (valid) or a decode error. */
struct cd_wd_slot {
	int rc;
	struct cd_wd_header h;
};

/** The slot holding the newest valid copy (highest seq), or -1 if none. */
int cd_wd_newest(const struct cd_wd_slot s[2]);

/** The slot to write next: the other one than the newest valid copy. */
int cd_wd_next_slot(const struct cd_wd_slot s[2]);

/** The seq for the next copy: newest valid seq + 1 (1 when none). */
uint64_t cd_wd_next_seq(const struct cd_wd_slot s[2]);

/** One-line reason for a decode error ("checksum mismatch (torn write?)"). */
const char *cd_wd_strerror(int rc);

/* ---- heartbeat block ---- */

struct cd_wd_heartbeat {
	uint32_t owner;		/* node id of the writer (partition leader) */
	uint64_t counter;	/* +1 per write */
	uint64_t ring_seq;	/* the writer's ring */
};

/** Encode into a 512-byte block. @return 0 or -EINVAL (len < 512) */
int cd_wd_hb_encode(const struct cd_wd_heartbeat *hb, void *out, size_t len);

/** Decode a heartbeat block. @return 0, -ENODATA, -EPROTO or -EBADMSG */
int cd_wd_hb_decode(const void *buf, size_t len, struct cd_wd_heartbeat *hb);

#endif
