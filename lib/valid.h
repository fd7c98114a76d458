/*
 * valid.h - the one validation layer: every value an administrator gives
 * (a cluster property, a field of an IPC request, an option of clusterctl)
 * is checked by type here, in pure code linked into clusterd and clusterctl,
 * so both give the same answer with the same words. clusterctl checks
 * before it sends (a clear error, exit 2); clusterd checks again, because
 * its IPC can be called without clusterctl.
 *
 * Rules:
 *  V1. Names (roles, resources, VMs, volumes, LUNs, nodes, the cluster):
 *      1..CD_VALID_NAME_MAX characters of A-Z a-z 0-9 '_' '-' (node and
 *      cluster names also '.'), the first a letter, a digit or '_': never
 *      a leading '-' or '.' (it would read as an option or a hidden file),
 *      never a control character, a space,
 *      a '/' or a shell metacharacter.
 *  V2. Host names (what a node calls itself, learned during `create`):
 *      RFC 1123, at most 253 characters, labels of 1..63 letters, digits
 *      and '-' not starting or ending with '-', separated by single dots.
 *  V3. Whole numbers: optional '-', decimal digits, nothing else (no
 *      space, '+', hex, exponent, "nan" or "inf"), within [min, max];
 *      overflow is out of range.
 *  V4. Durations: DIGITS[.DIGITS]UNIT with UNIT ms, s, m, min or h; a bare
 *      number is in the caller's default unit; the result in ms, rounded,
 *      within [min, max]. No sign, no exponent, no nan or inf.
 *  V5. Sizes: DIGITS[UNIT] with UNIT K, KiB, M, MiB, G, GiB, T or TiB
 *      (powers of 1024; B for bytes); a bare number is in the caller's
 *      unit; the result in that unit, which it must divide exactly,
 *      within [min, max].
 *  V6. IPv4 networks: A.B.C.D/N, four decimal octets 0..255 without
 *      leading zeros, N 1..32 without leading zeros.
 *  V7. Enumerations: exactly one of the listed words.
 *  V8. Booleans: true|yes|on|1 or false|no|off|0.
 *  V9. Free text (a description): valid UTF-8, no control characters
 *      (C0, DEL, C1: no terminal escape codes), at most max bytes.
 * Every function returns 0 and fills its output, or -CD_E_BAD_VALUE with a
 * reason in err ("must be ..., not 'X'", X quoted by cd_valid_quote) and
 * leaves the output as it was. what names the value in the reason.
 */
#ifndef CLUSTERD_VALID_H
#define CLUSTERD_VALID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_VALID_NAME_MAX	63
#define CD_VALID_HOST_MAX	253

/* The ranges of request fields, one definition for clusterctl's options
 * and clusterd's checks of the same fields (clusterd/rm-ipc.c). */
#define CD_ROLE_PRIORITY_MIN		(-1000)
#define CD_ROLE_PRIORITY_MAX		1000
#define CD_ROLE_THRESHOLD_MAX		1000		/* failover_threshold */
#define CD_ROLE_PERIOD_MIN_S		60		/* failover_period_s */
#define CD_ROLE_PERIOD_MAX_S		(30 * 86400)
#define CD_ROLE_MEMORY_MAX_MIB		(16LL * 1024 * 1024)	/* 16 TiB */
#define CD_ROLE_OWNERS_MAX		16		/* preferred/possible owners */
/* failback: never, immediate, window; target: started, stopped (NULL-ended) */
extern const char *const cd_role_failback_values[];
extern const char *const cd_role_target_values[];

/** What a name names (V1): the words of messages; nodes and the cluster
 * also allow '.'. */
enum cd_name_kind {
	CD_NAME_ROLE,
	CD_NAME_RESOURCE,
	CD_NAME_VM,
	CD_NAME_VOLUME,
	CD_NAME_LUN,
	CD_NAME_NODE,
	CD_NAME_CLUSTER,
};

/** The charset of V1, for --help and docs. */
#define CD_VALID_NAME_RULE "1..63 characters of A-Z a-z 0-9 _ - (node and cluster " \
	"names also .), not starting with - or ."

/** V1. */
int cd_valid_name(enum cd_name_kind kind, const char *s, char *err, size_t errlen);

/** V2. */
int cd_valid_hostname(const char *what, const char *s, char *err, size_t errlen);

/** V3. */
int cd_valid_int(const char *what, const char *s, int64_t min, int64_t max,
		 int64_t *out, char *err, size_t errlen);

/**
 * V4. @param unit_ms what a bare number counts (1: ms, 1000: seconds)
 */
int cd_valid_duration(const char *what, const char *s, int64_t unit_ms,
		      int64_t min_ms, int64_t max_ms, int64_t *ms,
		      char *err, size_t errlen);

/**
 * V5. @param unit bytes of one unit of the result and of a bare number
 *      (1048576: MiB)
 */
int cd_valid_size(const char *what, const char *s, int64_t unit, int64_t min,
		  int64_t max, int64_t *out, char *err, size_t errlen);

/** V6. addr and prefix may be NULL. */
int cd_valid_cidr4(const char *what, const char *s, uint32_t *addr,
		   unsigned *prefix, char *err, size_t errlen);

/** V7. values ends with NULL; *index (may be NULL) its position. */
int cd_valid_enum(const char *what, const char *s, const char *const *values,
		  int *index, char *err, size_t errlen);

/** V8. */
int cd_valid_bool(const char *what, const char *s, bool *out, char *err,
		  size_t errlen);

/** V9. */
int cd_valid_text(const char *what, const char *s, size_t max, char *err,
		  size_t errlen);

/**
 * s for a message: at most 40 bytes, control characters and bytes over
 * 0x7e as \xHH, so an echoed value can never carry an escape code.
 * @return buf
 */
const char *cd_valid_quote(const char *s, char *buf, size_t len);

#endif
