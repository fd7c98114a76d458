/*
 * ocf.h - the OCF resource-agent API as both sides of it use it: the exit
 * codes an agent returns and clusterd's executor passes on, and the
 * parameters the executor hands to an agent as OCF_RESKEY_<name>.
 *
 * Header only (no library): agents/disk, agents/vm and clusterd/exec*
 * include it. Values are those of the OCF Resource Agent API 1.0.
 */
#ifndef CLUSTERD_AGENTS_OCF_H
#define CLUSTERD_AGENTS_OCF_H

#include <stdio.h>
#include <stdlib.h>

/* Exit codes of an agent's actions; anything else counts as
 * OCF_ERR_GENERIC (the executor maps it so). */
enum ocf_rc {
	OCF_SUCCESS = 0,
	OCF_ERR_GENERIC = 1,
	OCF_ERR_ARGS = 2,
	OCF_ERR_UNIMPLEMENTED = 3,
	OCF_ERR_PERM = 4,
	OCF_ERR_INSTALLED = 5,
	OCF_ERR_CONFIGURED = 6,
	OCF_NOT_RUNNING = 7,
};

#define OCF_RC_MAX		OCF_NOT_RUNNING	/* the highest code with a meaning */
#define OCF_RESKEY_PREFIX	"OCF_RESKEY_"	/* parameter NAME is OCF_RESKEY_NAME */
#define OCF_PARAM_NAME_MAX	100		/* longest NAME ocf_param() looks up */

/**
 * An agent's parameter @p name: the value of OCF_RESKEY_<name>.
 * @return a pointer into the environment (not to be freed), or NULL when
 *         the variable is unset, empty or @p name longer than
 *         OCF_PARAM_NAME_MAX
 */
static inline const char *
ocf_param(const char *name)
{
	char key[sizeof(OCF_RESKEY_PREFIX) + OCF_PARAM_NAME_MAX];
	const char *v;
	int n = snprintf(key, sizeof(key), OCF_RESKEY_PREFIX "%s", name);

	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	v = getenv(key);
	return v && *v ? v : NULL;
}

#endif
