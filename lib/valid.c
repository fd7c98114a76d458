/*
 * valid.c - typed validation of administrators' values (valid.h, V1-V9).
 */
#include "valid.h"
#include "error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define Q(s, b) cd_valid_quote((s), (b), sizeof(b))

const char *const cd_role_failback_values[] = { "never", "immediate", "window", NULL };
const char *const cd_role_target_values[] = { "started", "stopped", NULL };

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const char *
cd_valid_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!s)
		return buf;
	for (i = 0; s[i] && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];
		int n = c < 0x20 || c > 0x7e || c == '\\' ?
			snprintf(buf + o, len - o, "\\x%02x", c) :
			snprintf(buf + o, len - o, "%c", c);

		if (n < 0 || (size_t)n >= len - o) {
			buf[o] = '\0';
			return buf;
		}
		o += (size_t)n;
	}
	if (s[i] && o + 4 <= len)
		snprintf(buf + o, len - o, "...");
	return buf;
}

/* ---- V1, V2 ---- */

static const char *const kind_words[] = {
	[CD_NAME_ROLE] = "role name",
	[CD_NAME_RESOURCE] = "resource name",
	[CD_NAME_VM] = "VM name",
	[CD_NAME_VOLUME] = "volume name",
	[CD_NAME_LUN] = "LUN name",
	[CD_NAME_NODE] = "node name",
	[CD_NAME_CLUSTER] = "cluster name",
};

int
cd_valid_name(enum cd_name_kind kind, const char *s, char *err, size_t errlen)
{
	const char *what = (unsigned)kind < sizeof(kind_words) / sizeof(kind_words[0]) ?
			   kind_words[kind] : "name";
	bool dot = kind == CD_NAME_NODE || kind == CD_NAME_CLUSTER;
	char q[200];
	size_t i;

	if (!s || !*s) {
		cd_errf(err, errlen, "a %s is required", what);
		return -CD_E_BAD_VALUE;
	}
	for (i = 0; s[i]; i++) {
		if (i == CD_VALID_NAME_MAX)
			goto bad;
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-' && !(dot && s[i] == '.'))
			goto bad;
	}
	if (!is_alnum(s[0]) && s[0] != '_')
		goto bad;
	return 0;
bad:
	cd_errf(err, errlen, "%s must be 1..%d characters of A-Z a-z 0-9 _ -%s, not "
		"starting with %s, not '%s'", what, CD_VALID_NAME_MAX, dot ? " ." : "",
		dot ? "- or ." : "-", Q(s, q));
	return -CD_E_BAD_VALUE;
}

int
cd_valid_hostname(const char *what, const char *s, char *err, size_t errlen)
{
	size_t i, label = 0;
	char q[200];

	if (!s || !*s)
		goto bad;
	for (i = 0; s[i]; i++) {
		if (i == CD_VALID_HOST_MAX)
			goto bad;
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				goto bad;
			label = 0;
			continue;
		}
		if (!is_alnum(s[i]) && s[i] != '-')
			goto bad;
		if (s[i] == '-' && label == 0)
			goto bad;
		if (++label > 63)
			goto bad;
	}
	if (label == 0 || s[i - 1] == '-')
		goto bad;
	return 0;
bad:
	cd_errf(err, errlen, "%s must be a host name (RFC 1123: labels of letters, "
		"digits and -, separated by dots, at most %d characters), not '%s'",
		what, CD_VALID_HOST_MAX, Q(s, q));
	return -CD_E_BAD_VALUE;
}

/* ---- V3 ---- */

/* Digits at s (n of them) into *v, false on overflow past limit. */
static bool
digits_value(const char *s, size_t n, uint64_t limit, uint64_t *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (x > (limit - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

int
cd_valid_int(const char *what, const char *s, int64_t min, int64_t max,
	     int64_t *out, char *err, size_t errlen)
{
	bool neg;
	size_t n;
	uint64_t u;
	int64_t v;
	char q[200];

	if (!s)
		goto bad;
	neg = s[0] == '-';
	n = strspn(s + neg, "0123456789");
	if (n == 0 || s[neg + n] ||
	    !digits_value(s + neg, n, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &u))
		goto bad;
	v = neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) : (int64_t)u;
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	cd_errf(err, errlen, "%s must be a whole number %" PRId64 "..%" PRId64 ", not '%s'",
		what, min, max, Q(s, q));
	return -CD_E_BAD_VALUE;
}

/* ---- V4, V5 ---- */

struct unit {
	const char *name;
	int64_t scale;
};

static const struct unit time_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "min", 60000 },
	{ "h", 3600000 }, { NULL, 0 },
};

static const struct unit size_units[] = {
	{ "B", 1 }, { "K", 1LL << 10 }, { "KiB", 1LL << 10 }, { "M", 1LL << 20 },
	{ "MiB", 1LL << 20 }, { "G", 1LL << 30 }, { "GiB", 1LL << 30 },
	{ "T", 1LL << 40 }, { "TiB", 1LL << 40 }, { NULL, 0 },
};

/* The scale of unit u ("" = dflt), 0 when unknown. */
static int64_t
unit_scale(const struct unit *units, const char *u, int64_t dflt)
{
	if (!*u)
		return dflt;
	for (; units->name; units++) {
		if (strcmp(units->name, u) == 0)
			return units->scale;
	}
	return 0;
}

/* A bound for a message: "300 ms", "2s", "1m", "24.9 days". */
static const char *
fmt_ms(int64_t ms, char *buf, size_t len)
{
	if (ms >= 86400000 && ms % 3600000)
		snprintf(buf, len, "%.1f days", (double)ms / 86400000.0);
	else if (ms && ms % 3600000 == 0)
		snprintf(buf, len, "%" PRId64 "h", ms / 3600000);
	else if (ms && ms % 60000 == 0)
		snprintf(buf, len, "%" PRId64 "m", ms / 60000);
	else if (ms && ms % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRId64 " ms", ms);
	return buf;
}

int
cd_valid_duration(const char *what, const char *s, int64_t unit_ms,
		  int64_t min_ms, int64_t max_ms, int64_t *ms, char *err, size_t errlen)
{
	size_t n, f = 0;
	uint64_t whole, frac = 0, div = 1;
	int64_t scale;
	char q[200], lo[32], hi[32];
	long double v;

	if (!s)
		goto bad;
	n = strspn(s, "0123456789");
	if (s[n] == '.') {
		f = strspn(s + n + 1, "0123456789");
		if (f == 0 || f > 9)
			goto bad;
	}
	if (n == 0 || !digits_value(s, n, UINT64_MAX / 4, &whole))
		goto bad;
	if (f) {
		if (!digits_value(s + n + 1, f, UINT64_MAX, &frac))
			goto bad;
		for (size_t i = 0; i < f; i++)
			div *= 10;
	}
	scale = unit_scale(time_units, s + n + (f ? f + 1 : 0), unit_ms);
	if (scale <= 0)
		goto bad;
	v = ((long double)whole + (long double)frac / div) * scale + 0.5L;
	if (v < (long double)min_ms || v >= (long double)max_ms + 1)
		goto range;
	*ms = (int64_t)v;
	return 0;
range:
	cd_errf(err, errlen, "%s must be %s..%s, not '%s'", what,
		fmt_ms(min_ms, lo, sizeof(lo)), fmt_ms(max_ms, hi, sizeof(hi)), Q(s, q));
	return -CD_E_BAD_VALUE;
bad:
	cd_errf(err, errlen, "%s: bad duration '%s' (e.g. 500ms, 10s, 2m, 1h; a plain "
		"number is %s)", what, Q(s, q), unit_ms == 1 ? "milliseconds" :
		unit_ms == 1000 ? "seconds" : "in the default unit");
	return -CD_E_BAD_VALUE;
}

/* "MiB", "bytes", "units of N bytes". */
static const char *
unit_word(int64_t unit, char *buf, size_t len)
{
	for (const struct unit *x = size_units; x->name; x++) {
		if (x->scale == unit && strlen(x->name) == 3) {
			snprintf(buf, len, "%s", x->name);
			return buf;
		}
	}
	if (unit == 1)
		snprintf(buf, len, "bytes");
	else
		snprintf(buf, len, "units of %" PRId64 " bytes", unit);
	return buf;
}

int
cd_valid_size(const char *what, const char *s, int64_t unit, int64_t min,
	      int64_t max, int64_t *out, char *err, size_t errlen)
{
	size_t n;
	uint64_t v;
	int64_t scale;
	char q[200], u[40];

	if (!s || unit <= 0)
		goto bad;
	n = strspn(s, "0123456789");
	if (n == 0 || !digits_value(s, n, (uint64_t)INT64_MAX, &v))
		goto bad;
	scale = unit_scale(size_units, s + n, unit);
	if (scale <= 0)
		goto bad;
	if (scale % unit == 0) {
		scale /= unit;
		if (v > (uint64_t)INT64_MAX / (uint64_t)scale)
			goto range;
		v *= (uint64_t)scale;
	} else {
		/* a smaller unit than the result's: it must come out whole */
		__uint128_t bytes = (__uint128_t)v * (uint64_t)scale;

		if (bytes % (uint64_t)unit)
			goto bad;
		v = (uint64_t)(bytes / (uint64_t)unit);
	}
	if (v > (uint64_t)INT64_MAX || (int64_t)v < min || (int64_t)v > max)
		goto range;
	*out = (int64_t)v;
	return 0;
range:
	cd_errf(err, errlen, "%s must be %" PRId64 "..%" PRId64 " %s, not '%s'",
		what, min, max, unit_word(unit, u, sizeof(u)), Q(s, q));
	return -CD_E_BAD_VALUE;
bad:
	cd_errf(err, errlen, "%s: bad size '%s' (e.g. 512M, 2G, 2GiB; a plain number "
		"is in %s)", what, Q(s, q), unit_word(unit, u, sizeof(u)));
	return -CD_E_BAD_VALUE;
}

/* ---- V6 ---- */

/* A decimal 0..max without leading zeros, ending at *end; advances *p. */
static bool
small_number(const char **p, unsigned max, unsigned *out)
{
	size_t n = strspn(*p, "0123456789");
	uint64_t v;

	if (n == 0 || n > 3 || ((*p)[0] == '0' && n > 1) ||
	    !digits_value(*p, n, UINT64_MAX, &v) || v > max)
		return false;
	*out = (unsigned)v;
	*p += n;
	return true;
}

int
cd_valid_cidr4(const char *what, const char *s, uint32_t *addr, unsigned *prefix,
	       char *err, size_t errlen)
{
	const char *p = s;
	uint32_t a = 0;
	unsigned o, n;
	char q[200];

	if (!s)
		goto bad;
	for (int i = 0; i < 4; i++) {
		if (!small_number(&p, 255, &o) || *p++ != (i < 3 ? '.' : '/'))
			goto bad;
		a = a << 8 | o;
	}
	if (!small_number(&p, 32, &n) || *p || n < 1)
		goto bad;
	if (addr)
		*addr = a;
	if (prefix)
		*prefix = n;
	return 0;
bad:
	cd_errf(err, errlen, "%s must be an IPv4 network A.B.C.D/N with N 1..32 "
		"(e.g. 10.0.2.0/24), not '%s'", what, Q(s, q));
	return -CD_E_BAD_VALUE;
}

/* ---- V7, V8 ---- */

int
cd_valid_enum(const char *what, const char *s, const char *const *values,
	      int *index, char *err, size_t errlen)
{
	char list[256] = "", q[200];
	size_t o = 0;
	int i;

	for (i = 0; s && values[i]; i++) {
		if (strcmp(values[i], s) == 0) {
			if (index)
				*index = i;
			return 0;
		}
	}
	for (i = 0; values[i] && o < sizeof(list); i++) {
		int w = snprintf(list + o, sizeof(list) - o, "%s%s",
				 i == 0 ? "" : values[i + 1] ? ", " : " or ", values[i]);

		if (w < 0)
			break;
		o += (size_t)w;
	}
	cd_errf(err, errlen, "%s must be %s, not '%s'", what, list, Q(s, q));
	return -CD_E_BAD_VALUE;
}

int
cd_valid_bool(const char *what, const char *s, bool *out, char *err, size_t errlen)
{
	static const char *const words[] = {
		"true", "yes", "on", "1", "false", "no", "off", "0", NULL
	};
	char q[200];

	for (int i = 0; s && words[i]; i++) {
		if (strcmp(words[i], s) == 0) {
			*out = i < 4;
			return 0;
		}
	}
	cd_errf(err, errlen, "%s must be true or false (yes/no, on/off, 1/0), not '%s'",
		what, Q(s, q));
	return -CD_E_BAD_VALUE;
}

/* ---- V9 ---- */

/* The length of the UTF-8 sequence at s and its code point, 0 if invalid. */
static size_t
utf8_char(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogates, past U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

int
cd_valid_text(const char *what, const char *s, size_t max, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)s;
	char q[200];
	uint32_t cp;
	size_t n;

	if (!s)
		goto bad;
	if (strlen(s) > max) {
		cd_errf(err, errlen, "%s must be at most %zu bytes long", what, max);
		return -CD_E_BAD_VALUE;
	}
	for (; *p; p += n) {
		n = utf8_char(p, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			goto bad;
	}
	return 0;
bad:
	cd_errf(err, errlen, "%s must be printable UTF-8 text without control "
		"characters, not '%s'", what, Q(s, q));
	return -CD_E_BAD_VALUE;
}
