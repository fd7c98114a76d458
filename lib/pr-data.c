/*
 * pr-data.c - decoding of SCSI answers and the names of PR types and errors.
 */
#include "pr-data.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	int type;
	const char *name;
} type_names[] = {
	{ CD_PR_WE, "WE" }, { CD_PR_EA, "EA" }, { CD_PR_WERO, "WERO" },
	{ CD_PR_EARO, "EARO" }, { CD_PR_WEAR, "WEAR" }, { CD_PR_EAAR, "EAAR" },
};

const char *
cd_pr_type_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (type_names[i].type == type)
			return type_names[i].name;
	}
	return NULL;
}

int
cd_pr_type_parse(const char *s)
{
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		char num[12];

		snprintf(num, sizeof(num), "%d", type_names[i].type);
		if (strcasecmp(s, type_names[i].name) == 0 || strcmp(s, num) == 0)
			return type_names[i].type;
	}
	return -EINVAL;
}

static const struct {
	int code;
	const char *name;
	const char *text;
} pr_errors[] = {
	{ CD_PR_E_CONFLICT, "conflict", "reservation conflict" },
	{ CD_PR_E_PREEMPTED, "preempted", "unit attention: reservations preempted" },
	{ CD_PR_E_RELEASED, "released", "unit attention: reservations released" },
	{ CD_PR_E_RESET, "reset", "unit attention: target reset or power on" },
	{ CD_PR_E_UNIT_ATTENTION, "unit-attention", "unit attention" },
	{ CD_PR_E_ILLEGAL, "illegal-request", "illegal request" },
	{ CD_PR_E_NOT_SUPPORTED, "not-supported", "command not supported by the target" },
	{ CD_PR_E_CHECK, "check-condition", "check condition" },
	{ CD_PR_E_BUSY, "busy", "target busy" },
	{ CD_PR_E_CONNECT, "connect", "cannot connect to the iSCSI portal" },
	{ CD_PR_E_LOGIN, "login", "iSCSI login refused" },
	{ CD_PR_E_PROTO, "protocol", "malformed answer from the target" },
};

const char *
cd_pr_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(pr_errors) / sizeof(pr_errors[0]); i++) {
		if (-pr_errors[i].code == err)
			return pr_errors[i].text;
	}
	return cd_strerror(err);
}

const char *
cd_pr_errname(int err)
{
	size_t i;

	for (i = 0; i < sizeof(pr_errors) / sizeof(pr_errors[0]); i++) {
		if (-pr_errors[i].code == err)
			return pr_errors[i].name;
	}
	switch (err) {
	case 0: return "ok";
	case -ETIMEDOUT: return "timeout";
	case -ECONNRESET: return "connection-lost";
	case -ENOTCONN: return "not-connected";
	case -EINVAL: return "invalid";
	case -ENOMEM: return "no-memory";
	case -EIO: return "io-error";
	default: return cd_errname(err);
	}
}

static const struct {
	uint16_t code;		/* ASC << 8 | ASCQ */
	const char *name;
} asc_names[] = {
	{ 0x0400, "logical unit not ready" },
	{ 0x0401, "logical unit is becoming ready" },
	{ 0x0402, "logical unit not ready, initializing command required" },
	{ 0x0c00, "write error" },
	{ 0x1100, "unrecovered read error" },
	{ 0x1a00, "parameter list length error" },
	{ 0x2000, "invalid command operation code" },
	{ 0x2100, "logical block address out of range" },
	{ 0x2400, "invalid field in CDB" },
	{ 0x2500, "logical unit not supported" },
	{ 0x2600, "invalid field in parameter list" },
	{ 0x2604, "invalid release of persistent reservation" },
	{ 0x2700, "write protected" },
	{ 0x2900, "power on, reset, or bus device reset occurred" },
	{ 0x2901, "power on occurred" },
	{ 0x2902, "SCSI bus reset occurred" },
	{ 0x2903, "bus device reset function occurred" },
	{ 0x2904, "device internal reset" },
	{ 0x2907, "I_T nexus loss occurred" },
	{ 0x2a01, "mode parameters changed" },
	{ 0x2a03, "reservations preempted" },
	{ 0x2a04, "reservations released" },
	{ 0x2a05, "registrations preempted" },
	{ 0x2a09, "capacity data has changed" },
	{ 0x3a00, "medium not present" },
	{ 0x3f0e, "reported LUNs data has changed" },
	{ 0x5504, "insufficient registration resources" },
};

const char *
cd_pr_asc_name(uint8_t asc, uint8_t ascq)
{
	uint16_t code = (uint16_t)(asc << 8 | ascq);
	size_t i;

	for (i = 0; i < sizeof(asc_names) / sizeof(asc_names[0]); i++) {
		if (asc_names[i].code == code)
			return asc_names[i].name;
	}
	return NULL;
}

static const char *const sense_keys[16] = {
	"no sense", "recovered error", "not ready", "medium error",
	"hardware error", "illegal request", "unit attention", "data protect",
	"blank check", "vendor specific", "copy aborted", "aborted command",
	"obsolete", "volume overflow", "miscompare", "reserved",
};

const char *
cd_pr_sense_key_name(uint8_t key)
{
	return sense_keys[key & 0x0f];
}

int
cd_pr_sense_error(uint8_t key, uint8_t asc, uint8_t ascq)
{
	switch (key & 0x0f) {
	case CD_PR_SENSE_UNIT_ATTENTION:
		if (asc == 0x2a && (ascq == 0x03 || ascq == 0x05))
			return -CD_PR_E_PREEMPTED;
		if (asc == 0x2a && ascq == 0x04)
			return -CD_PR_E_RELEASED;
		if (asc == 0x29)
			return -CD_PR_E_RESET;
		return -CD_PR_E_UNIT_ATTENTION;
	case CD_PR_SENSE_ILLEGAL_REQUEST:
		return asc == 0x20 && ascq == 0 ? -CD_PR_E_NOT_SUPPORTED : -CD_PR_E_ILLEGAL;
	default:
		return -CD_PR_E_CHECK;
	}
}

void
cd_pr_sense_text(uint8_t key, uint8_t asc, uint8_t ascq, char *buf, size_t len)
{
	const char *name = cd_pr_asc_name(asc, ascq);

	snprintf(buf, len, "%s: %s (sense %X/%02X/%02X)", cd_pr_sense_key_name(key),
		 name ? name : "unknown additional sense code", key & 0x0f, asc, ascq);
}

/* ---- decoders ---------------------------------------------------------- */

static uint32_t
get_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* Printable ASCII of a fixed-width field, blanks and NULs trimmed at both
 * ends, anything unprintable shown as '?'. */
static void
copy_trimmed(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t i = 0, o = 0;

	if (dstlen == 0)
		return;
	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	while (i < n && src[i] == ' ')
		i++;
	for (; i < n && o + 1 < dstlen; i++)
		dst[o++] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[o] = '\0';
}

int
cd_pr_decode_read_keys(const uint8_t *d, size_t n, uint64_t *keys, size_t max,
		       size_t *count, uint32_t *generation)
{
	size_t total, have, i;

	if (n < 8)
		return -CD_PR_E_PROTO;
	total = get_be32(d + 4) / 8;
	have = (n - 8) / 8;
	if (have > total)
		have = total;
	for (i = 0; i < have && i < max; i++)
		keys[i] = get_be64(d + 8 + 8 * i);
	*count = total;
	if (generation)
		*generation = get_be32(d);
	return 0;
}

int
cd_pr_decode_reservation(const uint8_t *d, size_t n, struct cd_pr_reservation *res)
{
	memset(res, 0, sizeof(*res));
	if (n < 8)
		return -CD_PR_E_PROTO;
	res->generation = get_be32(d);
	if (get_be32(d + 4) == 0)
		return 0;
	if (get_be32(d + 4) < 16 || n < 24)
		return -CD_PR_E_PROTO;
	res->present = true;
	res->key = get_be64(d + 8);
	res->type = (enum cd_pr_type)(d[21] & 0x0f);
	return 0;
}

int
cd_pr_decode_caps(const uint8_t *d, size_t n, struct cd_pr_caps *caps)
{
	static const struct { uint8_t byte, bit, type; } mask_bits[] = {
		{ 4, 0x80, CD_PR_WEAR }, { 4, 0x40, CD_PR_EARO },
		{ 4, 0x20, CD_PR_WERO }, { 4, 0x08, CD_PR_EA },
		{ 4, 0x02, CD_PR_WE }, { 5, 0x01, CD_PR_EAAR },
	};
	size_t i;

	memset(caps, 0, sizeof(*caps));
	if (n < 8 || get_be16(d) < 8)
		return -CD_PR_E_PROTO;
	caps->crh = d[2] & 0x10;
	caps->sip_capable = d[2] & 0x08;
	caps->atp_capable = d[2] & 0x04;
	caps->ptpl_capable = d[2] & 0x01;
	caps->tmv = d[3] & 0x80;
	caps->ptpl_active = d[3] & 0x01;
	for (i = 0; i < sizeof(mask_bits) / sizeof(mask_bits[0]); i++) {
		if (d[mask_bits[i].byte] & mask_bits[i].bit)
			caps->type_mask |= (uint16_t)(1u << mask_bits[i].type);
	}
	return 0;
}

int
cd_pr_decode_inquiry(const uint8_t *d, size_t n, struct cd_pr_inquiry *inq)
{
	if (n < 36)
		return -CD_PR_E_PROTO;
	inq->peripheral_type = d[0] & 0x1f;
	copy_trimmed(inq->vendor, sizeof(inq->vendor), d + 8, 8);
	copy_trimmed(inq->product, sizeof(inq->product), d + 16, 16);
	copy_trimmed(inq->revision, sizeof(inq->revision), d + 32, 4);
	return 0;
}

int
cd_pr_decode_serial(const uint8_t *d, size_t n, char *buf, size_t len)
{
	size_t plen;

	if (len)
		buf[0] = '\0';
	if (n < 4 || d[1] != 0x80)
		return -CD_PR_E_PROTO;
	plen = get_be16(d + 2);
	if (plen > n - 4)
		plen = n - 4;
	copy_trimmed(buf, len, d + 4, plen);
	return 0;
}

/*
 * Preference among LU designators: globally unique ones first (NAA IEEE
 * registered extended, registered, extended; EUI-64), then NAA locally
 * assigned, SCSI name string, T10 vendor id, vendor specific. tgt sends a
 * T10 id, an NAA 3 and an NAA 6, all derived from tid and LUN numbers.
 */
static int
designator_rank(const uint8_t *des)
{
	int type = des[1] & 0x0f;

	if (type == 3 && des[3] > 0) {
		switch (des[4] >> 4) {
		case 6: return 9;
		case 5: return 8;
		case 2: return 7;
		case 3: return 5;
		default: return 4;
		}
	}
	switch (type) {
	case 2: return 6;
	case 8: return 3;
	case 1: return 2;
	case 0: return 1;
	default: return 0;
	}
}

static void
format_designator(const uint8_t *des, char *buf, size_t len)
{
	int type = des[1] & 0x0f, codeset = des[0] & 0x0f;
	const uint8_t *p = des + 4;
	size_t n = des[3], i, o;

	if (codeset == 2 || codeset == 3) {	/* ASCII, UTF-8 */
		o = (size_t)snprintf(buf, len, "%s",
				     type == 1 ? "t10." : type == 8 ? "" : "vendor.");
		if (o >= len)
			return;
		copy_trimmed(buf + o, len - o, p, n);
		for (i = o; buf[i]; i++) {
			if (buf[i] == ' ')
				buf[i] = '_';
		}
		return;
	}
	o = (size_t)snprintf(buf, len, "%s",
			     type == 3 ? "naa." : type == 2 ? "eui." : "vendor.");
	for (i = 0; i < n && o + 3 <= len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", p[i]);
}

int
cd_pr_decode_device_id(const uint8_t *d, size_t n, char *buf, size_t len)
{
	size_t end, off, best = 0;
	int best_rank = 0;

	if (len)
		buf[0] = '\0';
	if (n < 4 || d[1] != 0x83)
		return -CD_PR_E_PROTO;
	end = 4 + get_be16(d + 2);
	if (end > n)
		end = n;
	for (off = 4; off + 4 <= end && off + 4 + d[off + 3] <= end;
	     off += 4 + (size_t)d[off + 3]) {
		int assoc = (d[off + 1] >> 4) & 0x03;
		int rank = designator_rank(d + off);

		if (assoc == 0 && rank > best_rank) {
			best_rank = rank;
			best = off;
		}
	}
	if (best_rank > 0 && len)
		format_designator(d + best, buf, len);
	return 0;
}

int
cd_pr_decode_capacity(const uint8_t *d, size_t n, bool rc16, uint64_t *blocks,
		      uint32_t *block_size)
{
	uint32_t bs;

	if (n < (rc16 ? 12u : 8u))
		return -CD_PR_E_PROTO;
	bs = get_be32(d + (rc16 ? 8 : 4));
	if (bs == 0 || bs > (1u << 20))
		return -CD_PR_E_PROTO;
	*blocks = (rc16 ? get_be64(d) : get_be32(d)) + 1;
	*block_size = bs;
	return 0;
}
