/*
 * witness-disk.c - encode/decode of the witness LUN layout (witness-disk.h).
 */
#include "witness-disk.h"

#include <errno.h>
#include <string.h>

uint32_t
cd_wd_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

long
cd_wd_encode(const struct cd_wd_header *h, const void *payload, size_t len,
	     uint32_t block, void *out, size_t outlen)
{
	uint8_t *o = out;
	size_t total, ulen = strlen(h->uuid);

	if (block < CD_WD_HDR_BYTES || (block & (block - 1)) || ulen >= CD_WD_UUID_MAX)
		return -EINVAL;
	if (len > CD_WD_PAYLOAD_MAX)
		return -E2BIG;
	total = (CD_WD_HDR_BYTES + len + block - 1) / block * block;
	if (total > outlen || total > CD_WD_SLOT_BYTES)
		return -E2BIG;
	memset(o, 0, total);
	memcpy(o, CD_WD_MAGIC, 8);
	put32(o + 8, CD_WD_VERSION);
	put32(o + 12, CD_WD_HDR_BYTES);
	put64(o + 16, h->seq);
	put64(o + 24, h->generation);
	put32(o + 32, (uint32_t)len);
	put32(o + 36, cd_wd_crc32(payload, len));
	put32(o + 40, h->writer);
	put64(o + 48, h->written_ms);
	memcpy(o + 56, h->uuid, ulen);
	put32(o + 508, cd_wd_crc32(o, 508));
	if (len)
		memcpy(o + CD_WD_HDR_BYTES, payload, len);
	return (long)total;
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

int
cd_wd_decode_header(const void *buf, size_t len, struct cd_wd_header *h)
{
	const uint8_t *b = buf;

	memset(h, 0, sizeof(*h));
	if (len < CD_WD_HDR_BYTES)
		return -EMSGSIZE;
	if (all_zero(b, 8))
		return -ENODATA;
	if (memcmp(b, CD_WD_MAGIC, 8))
		return -EPROTO;
	if (get32(b + 508) != cd_wd_crc32(b, 508))
		return -EBADMSG;
	if (get32(b + 8) != CD_WD_VERSION || get32(b + 12) != CD_WD_HDR_BYTES)
		return -EPROTONOSUPPORT;
	h->seq = get64(b + 16);
	h->generation = get64(b + 24);
	h->length = get32(b + 32);
	h->payload_crc = get32(b + 36);
	h->writer = get32(b + 40);
	h->written_ms = get64(b + 48);
	memcpy(h->uuid, b + 56, CD_WD_UUID_MAX);
	h->uuid[CD_WD_UUID_MAX] = '\0';
	if (h->length > CD_WD_PAYLOAD_MAX)
		return -EMSGSIZE;
	return 0;
}

int
cd_wd_check_payload(const struct cd_wd_header *h, const void *payload, size_t len)
{
	if (len < h->length || cd_wd_crc32(payload, h->length) != h->payload_crc)
		return -EBADMSG;
	return 0;
}

int
cd_wd_newest(const struct cd_wd_slot s[2])
{
	if (s[0].rc == 0 && s[1].rc == 0)
		return s[1].h.seq > s[0].h.seq ? 1 : 0;
	if (s[0].rc == 0)
		return 0;
	if (s[1].rc == 0)
		return 1;
	return -1;
}

int
cd_wd_next_slot(const struct cd_wd_slot s[2])
{
	int n = cd_wd_newest(s);

	return n < 0 ? 0 : 1 - n;
}

uint64_t
cd_wd_next_seq(const struct cd_wd_slot s[2])
{
	int n = cd_wd_newest(s);

	return n < 0 ? 1 : s[n].h.seq + 1;
}

const char *
cd_wd_strerror(int rc)
{
	switch (rc) {
	case 0: return "valid";
	case -ENODATA: return "blank (never written)";
	case -EPROTO: return "not a clusterd witness copy (bad magic)";
	case -EPROTONOSUPPORT: return "unsupported layout version";
	case -EBADMSG: return "checksum mismatch (corrupted or torn write)";
	case -EMSGSIZE: return "length out of range";
	default: return "unreadable";
	}
}

int
cd_wd_hb_encode(const struct cd_wd_heartbeat *hb, void *out, size_t len)
{
	uint8_t *o = out;

	if (len < 512)
		return -EINVAL;
	memset(o, 0, 512);
	memcpy(o, CD_WD_HB_MAGIC, 8);
	put32(o + 8, CD_WD_VERSION);
	put32(o + 12, hb->owner);
	put64(o + 16, hb->counter);
	put64(o + 24, hb->ring_seq);
	put32(o + 508, cd_wd_crc32(o, 508));
	return 0;
}

int
cd_wd_hb_decode(const void *buf, size_t len, struct cd_wd_heartbeat *hb)
{
	const uint8_t *b = buf;

	memset(hb, 0, sizeof(*hb));
	if (len < 512 || all_zero(b, 8))
		return -ENODATA;
	if (memcmp(b, CD_WD_HB_MAGIC, 8))
		return -EPROTO;
	if (get32(b + 508) != cd_wd_crc32(b, 508))
		return -EBADMSG;
	hb->owner = get32(b + 12);
	hb->counter = get64(b + 16);
	hb->ring_seq = get64(b + 24);
	return 0;
}

bool
cd_witness_wanted(const char *mode, const char *url, size_t nodes)
{
	if (!url || !url[0] || !mode)
		return false;
	if (strcmp(mode, "node-disk-majority") == 0)
		return true;
	return strcmp(mode, "auto") == 0 && nodes % 2 == 0;
}
