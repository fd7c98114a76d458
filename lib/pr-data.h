/*
 * pr-data.h - the pure half of the PR client (internal to lib/pr.c):
 * decoding of what the target sends (sense codes, PERSISTENT RESERVE IN,
 * INQUIRY and READ CAPACITY data) and the names of types and errors.
 * No I/O and no libiscsi, so the unit tests feed it byte tables, truncated
 * and malformed answers included. Every decoder checks lengths and returns
 * 0 or -CD_PR_E_PROTO; none reads past n bytes.
 */
#ifndef CLUSTERD_PR_DATA_H
#define CLUSTERD_PR_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "pr.h"

#define CD_PR_SENSE_UNIT_ATTENTION	0x6
#define CD_PR_SENSE_ILLEGAL_REQUEST	0x5

/**
 * The error for a CHECK CONDITION: UNIT ATTENTION 2A/03 and 2A/05 are
 * CD_PR_E_PREEMPTED, 2A/04 CD_PR_E_RELEASED, 29/xx CD_PR_E_RESET, other
 * attentions CD_PR_E_UNIT_ATTENTION; ILLEGAL REQUEST 20/00 is
 * CD_PR_E_NOT_SUPPORTED, other illegal requests CD_PR_E_ILLEGAL; any other
 * sense key CD_PR_E_CHECK.
 * @return a negative enum cd_pr_error
 */
int cd_pr_sense_error(uint8_t key, uint8_t asc, uint8_t ascq);

/** Name of a sense key ("unit attention"); never NULL. */
const char *cd_pr_sense_key_name(uint8_t key);

/**
 * One-line text of a sense triple:
 * "unit attention: reservations preempted (sense 6/2A/03)".
 */
void cd_pr_sense_text(uint8_t key, uint8_t asc, uint8_t ascq, char *buf,
		      size_t len);

/**
 * READ KEYS parameter data.
 * @param keys   up to max keys are stored (fewer if the answer was cut short
 *               by our allocation length)
 * @param count  the number of registrations the target reports
 */
int cd_pr_decode_read_keys(const uint8_t *d, size_t n, uint64_t *keys,
			   size_t max, size_t *count, uint32_t *generation);

/** READ RESERVATION parameter data. */
int cd_pr_decode_reservation(const uint8_t *d, size_t n,
			     struct cd_pr_reservation *res);

/** REPORT CAPABILITIES parameter data. */
int cd_pr_decode_caps(const uint8_t *d, size_t n, struct cd_pr_caps *caps);

/** Standard INQUIRY data: peripheral type, vendor, product, revision. */
int cd_pr_decode_inquiry(const uint8_t *d, size_t n, struct cd_pr_inquiry *inq);

/** VPD page 0x80 (unit serial number), trimmed, into buf. */
int cd_pr_decode_serial(const uint8_t *d, size_t n, char *buf, size_t len);

/**
 * VPD page 0x83: the best designator of the logical unit (NAA 6, 5, 2,
 * EUI-64, NAA 3 (locally assigned), SCSI name, T10 vendor id, vendor
 * specific) as "naa.<hex>", "eui.<hex>", the name itself, "t10.<text>" or
 * "vendor.<hex|text>"; "" if none.
 */
int cd_pr_decode_device_id(const uint8_t *d, size_t n, char *buf, size_t len);

/**
 * READ CAPACITY(16) (rc16) or (10) data. Block sizes outside 1..1 MiB are
 * refused as malformed.
 */
int cd_pr_decode_capacity(const uint8_t *d, size_t n, bool rc16,
			  uint64_t *blocks, uint32_t *block_size);

#endif
