/*
 * vmpolicy.c - what a VM definition may reach (vmpolicy.h, rules V1, V2).
 */
#include "vmpolicy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Options a definition may add, with the number of values each takes:
 * guest behaviour only, nothing that opens a channel, a backend or a file
 * (so not -boot, whose splash= reads one, nor -smbios file=). */
static const struct {
	const char *opt;
	int values;
} extra_allowed[] = {
	{ "-no-reboot", 0 },
	{ "-no-shutdown", 0 },
	{ "-rtc", 1 },
	{ "-uuid", 1 },
	{ "-k", 1 },
	{ "-overcommit", 1 },
};

int
cd_vmpolicy_path_check(const char *path, const char *roots, char *why,
		       size_t why_size)
{
	const char *r = roots;

	while (r && *r) {
		size_t len = strcspn(r, ":");

		if (len) {
			if (r[0] != '/') {
				snprintf(why, why_size, "vm-storage-roots: '%.*s' is "
					 "not an absolute path", (int)len, r);
				return -EINVAL;
			}
			/* "/" alone is every path; trailing slashes do not count. */
			while (len > 1 && r[len - 1] == '/')
				len--;
			if (len == 1 ||
			    (!strncmp(path, r, len) && path[len] == '/'))
				return 0;
		}
		r += strcspn(r, ":");
		if (*r == ':')
			r++;
	}
	snprintf(why, why_size, "%s is outside the storage roots (%s; cluster "
		 "property vm-storage-roots)", path, roots);
	return -EINVAL;
}

static int
extra_values(const char *opt)
{
	for (size_t i = 0; i < sizeof(extra_allowed) / sizeof(extra_allowed[0]); i++) {
		if (!strcmp(extra_allowed[i].opt, opt))
			return extra_allowed[i].values;
	}
	return -1;
}

int
cd_vmpolicy_extra_check(const struct cd_vmdef *def, bool allowed, char *why,
			size_t why_size)
{
	size_t i = 0;

	if (!def->n_extra_args)
		return 0;
	if (!allowed) {
		snprintf(why, why_size, "extra_args: not allowed in this cluster "
			 "(cluster property vm-extra-args is false)");
		return -EPERM;
	}
	while (i < def->n_extra_args) {
		const char *a = def->extra_args[i];
		int n = extra_values(a);

		if (n < 0) {
			snprintf(why, why_size, "extra_args[%zu]: '%s' is not an "
				 "option a definition may add (allowed: -no-reboot "
				 "-no-shutdown -rtc -uuid -k -overcommit)",
				 i, a);
			return -EPERM;
		}
		for (int k = 1; k <= n; k++) {
			if (i + (size_t)k >= def->n_extra_args ||
			    def->extra_args[i + (size_t)k][0] == '-') {
				snprintf(why, why_size, "extra_args[%zu]: '%s' needs "
					 "a value", i, a);
				return -EPERM;
			}
		}
		i += (size_t)n + 1;
	}
	return 0;
}

bool
cd_vmpolicy_bool(const char *s)
{
	return s && (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes") ||
		     !strcmp(s, "on"));
}
