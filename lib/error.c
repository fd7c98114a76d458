/*
 * error.c - text for clusterd's error codes.
 */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct cd_error_desc {
	int code;
	const char *name;
	const char *text;
};

static const struct cd_error_desc domain_errors[] = {
	{ CD_E_PROTO_MALFORMED, "malformed", "malformed message" },
	{ CD_E_PROTO_VERSION, "version", "unsupported protocol version" },
	{ CD_E_PROTO_TOO_BIG, "too-big", "message too large" },
	{ CD_E_UNKNOWN_CMD, "unknown-command", "unknown command" },
	{ CD_E_BAD_ARGS, "bad-arguments", "invalid arguments" },
	{ CD_E_NO_COROSYNC, "no-corosync", "corosync is not running on this node" },
	{ CD_E_NOT_QUORATE, "not-quorate", "this partition is not quorate" },
	{ CD_E_STATE_INVALID, "invalid-state", "invalid cluster state document" },
	{ CD_E_SYNCING, "syncing", "cluster state is synchronising; retry" },
	{ CD_E_UNCONFIRMED, "unconfirmed", "the membership changed before a majority "
	  "of nodes confirmed the change; check whether it is in place and retry" },
	{ CD_E_BAD_VALUE, "bad-value", "invalid value" },
};

static const struct cd_error_desc *
find_domain(int err)
{
	size_t i;

	for (i = 0; i < sizeof(domain_errors) / sizeof(domain_errors[0]); i++) {
		if (-domain_errors[i].code == err)
			return &domain_errors[i];
	}
	return NULL;
}

const char *
cd_strerror(int err)
{
	const struct cd_error_desc *d;

	if (err == 0)
		return "success";
	d = find_domain(err);
	if (d)
		return d->text;
	if (err < 0 && err > -CD_E_BASE) {
		const char *s = strerrordesc_np(-err);

		return s ? s : "unknown error";
	}
	return "unknown error";
}

const char *
cd_errname(int err)
{
	const struct cd_error_desc *d = find_domain(err);

	if (d)
		return d->name;
	switch (err) {
	case -EACCES: return "EACCES";
	case -EPERM: return "EPERM";
	case -ENOENT: return "ENOENT";
	case -EINVAL: return "EINVAL";
	case -ENOMEM: return "ENOMEM";
	case -ETIMEDOUT: return "ETIMEDOUT";
	case -EAGAIN: return "EAGAIN";
	case -EBUSY: return "EBUSY";
	default: return "error";
	}
}

void
cd_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
