/*
 * cs-error.h - the one place where corosync's cs_error_t meets our
 * 0 / negative-error convention.
 */
#ifndef CLUSTERD_CS_ERROR_H
#define CLUSTERD_CS_ERROR_H

#include <corosync/corotypes.h>

/**
 * Convert a corosync result.
 * @return 0 for CS_OK, otherwise a negative errno that fits the failure
 *         (-EAGAIN for CS_ERR_TRY_AGAIN, -ENOTCONN when corosync is gone...)
 */
int cd_cs_err(cs_error_t err);

/** Text for a corosync result (wraps cs_strerror). */
const char *cd_cs_strerror(cs_error_t err);

#endif
