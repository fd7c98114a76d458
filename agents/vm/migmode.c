/*
 * migmode.c - the live-migration mode decision (see migmode.h).
 */
#include "migmode.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
version_fixed(const struct cd_migmode_in *in)
{
	return in->major > CD_MIGMODE_FIXED_MAJOR ||
	       (in->major == CD_MIGMODE_FIXED_MAJOR && in->minor >= CD_MIGMODE_FIXED_MINOR);
}

enum cd_migmode
cd_migmode_decide(const struct cd_migmode_in *in, char *why, size_t why_size)
{
	char dummy[8], ver[32];

	if (!why) {
		why = dummy;
		why_size = sizeof(dummy);
	}
	if (in->major > 0)
		snprintf(ver, sizeof(ver), "QEMU %d.%d", in->major, in->minor);
	else
		snprintf(ver, sizeof(ver), "a QEMU of unknown version");
	if (in->accel && strcmp(in->accel, "kvm") == 0) {
		snprintf(why, why_size, "KVM tracks dirty pages itself");
		return CD_MIGMODE_PRECOPY;
	}
	if (in->major > 0 && version_fixed(in)) {
		snprintf(why, why_size, "TCG on %s tracks dirty pages correctly", ver);
		return CD_MIGMODE_PRECOPY;
	}
	if (in->declared_fixed) {
		snprintf(why, why_size, "TCG on %s, declared fixed by "
			 "qemu_dirty_tracking_fixed", ver);
		return CD_MIGMODE_PRECOPY;
	}
	snprintf(why, why_size, "TCG on %s loses pages in pre-copy", ver);
	return CD_MIGMODE_PAUSED;
}

const char *
cd_migmode_name(enum cd_migmode m)
{
	return m == CD_MIGMODE_PAUSED ? "paused" : "precopy";
}

int
cd_migmode_parse_version(const char *s, int *major, int *minor, int *micro)
{
	const char *p;

	*major = *minor = *micro = 0;
	for (p = s ? s : ""; *p; p++) {
		char *end;
		long a, b, c = 0;

		if (!isdigit((unsigned char)*p))
			continue;
		a = strtol(p, &end, 10);
		if (*end != '.' || !isdigit((unsigned char)end[1])) {
			p = end - 1;	/* a lone number, or a Debian epoch "1:" */
			continue;
		}
		b = strtol(end + 1, &end, 10);
		if (*end == '.' && isdigit((unsigned char)end[1]))
			c = strtol(end + 1, &end, 10);
		if (a < 1 || a > 1000 || b > 1000 || c > 100000) {
			p = end - 1;
			continue;
		}
		*major = (int)a;
		*minor = (int)b;
		*micro = (int)c;
		return 0;
	}
	return -EINVAL;
}

/* Does this console line (timestamp removed) report a kernel crash? */
static bool
is_crash(const char *l, size_t n)
{
	static const char *const marks[] = { "BUG: ", "kernel BUG at ", "Oops: ",
					     "Oops#", "Kernel panic - ",
					     "general protection fault" };
	size_t i, k;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		k = strlen(marks[i]);
		if (n >= k && strncmp(l, marks[i], k) == 0)
			return true;
	}
	return false;
}

bool
cd_migmode_crash_line(const char *text, char *line, size_t size)
{
	const char *p = text, *l, *e;
	size_t n;

	while (p && *p) {
		e = strchr(p, '\n');
		n = e ? (size_t)(e - p) : strlen(p);
		l = p;
		if (*l == '[') {	/* printk time: "[   12.345678] " */
			const char *r = memchr(l, ']', n);

			if (r) {
				r++;
				while (r < p + n && *r == ' ')
					r++;
				l = r;
			}
		}
		if (is_crash(l, n - (size_t)(l - p))) {
			n -= (size_t)(l - p);
			while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
				n--;
			snprintf(line, size, "%.*s", (int)n, l);
			return true;
		}
		p = e ? e + 1 : NULL;
	}
	return false;
}
