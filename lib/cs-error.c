/*
 * cs-error.c - cs_error_t to errno glue.
 */
#include "cs-error.h"

#include <errno.h>

int
cd_cs_err(cs_error_t err)
{
	switch (err) {
	case CS_OK:
		return 0;
	case CS_ERR_TRY_AGAIN:
	case CS_ERR_QUEUE_FULL:
		return -EAGAIN;
	case CS_ERR_NO_MEMORY:
		return -ENOMEM;
	case CS_ERR_TIMEOUT:
		return -ETIMEDOUT;
	case CS_ERR_ACCESS:
	case CS_ERR_SECURITY:
		return -EACCES;
	case CS_ERR_NOT_EXIST:
	case CS_ERR_NAME_NOT_FOUND:
		return -ENOENT;
	case CS_ERR_EXIST:
		return -EEXIST;
	case CS_ERR_INVALID_PARAM:
	case CS_ERR_MESSAGE_ERROR:
		return -EINVAL;
	case CS_ERR_NOT_SUPPORTED:
		return -ENOTSUP;
	case CS_ERR_BAD_HANDLE:
	case CS_ERR_LIBRARY:
	case CS_ERR_BAD_OPERATION:
	case CS_ERR_FAILED_OPERATION:
	default:
		return -ENOTCONN;
	}
}

const char *
cd_cs_strerror(cs_error_t err)
{
	return cs_strerror(err);
}
