/*
 * error.h - clusterd's error convention.
 *
 * Functions return 0 on success or a negative error: either -errno or one
 * of the domain errors below (which live above errno's range).
 * cd_strerror() turns either into text. corosync's cs_error_t is
 * converted to this convention only in cs-error.c.
 */
#ifndef CLUSTERD_ERROR_H
#define CLUSTERD_ERROR_H

#include <stddef.h>

enum cd_error {
	CD_E_BASE = 2000,
	CD_E_PROTO_MALFORMED,	/* message is not valid protocol framing or JSON */
	CD_E_PROTO_VERSION,	/* message speaks a protocol version we do not */
	CD_E_PROTO_TOO_BIG,	/* message exceeds the size limit */
	CD_E_UNKNOWN_CMD,	/* request names a command we do not know */
	CD_E_BAD_ARGS,		/* request arguments are missing or invalid */
	CD_E_NO_COROSYNC,	/* corosync is not reachable on this node */
	CD_E_NOT_QUORATE,	/* the partition is not quorate */
	CD_E_STATE_INVALID,	/* a state document fails validation */
	CD_E_SYNCING,		/* state synchronisation in progress; retry */
	CD_E_UNCONFIRMED,	/* applied here, but the membership changed before
				 * a majority confirmed it: outcome unknown */
	CD_E_BAD_VALUE,		/* a value fails its type's validation (lib/valid.h):
				 * a usage error, clusterctl exits 2 */
	CD_E_MAX
};

/**
 * Describe an error code.
 * @param err a negative errno or a negative enum cd_error value
 * @return a static string, never NULL
 */
const char *cd_strerror(int err);

/**
 * Short, stable identifier of an error for JSON ("malformed", "EACCES"...).
 * @return a static string, never NULL
 */
const char *cd_errname(int err);

/**
 * Format an explanation into err (errlen bytes), as the validators' "err,
 * errlen" out parameters do; nothing when err is NULL or errlen 0.
 */
void cd_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
