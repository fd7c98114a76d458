/*
 * iscsi-url.c - strict parsing of iscsi:// LUN URLs and iSCSI names.
 */
#include "iscsi-url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SCHEME		"iscsi://"
#define URL_FORM	"iscsi://HOST[:PORT]/TARGET/LUN"

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Decimal digits only, no sign, value in [min, max]. */
static bool
parse_uint(const char *s, size_t n, long min, long max, long *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Dotted quad, four decimal octets 0..255, no leading zeros. */
static bool
ipv4_valid(const char *s)
{
	int parts = 0;

	while (parts < 4) {
		size_t n = strspn(s, "0123456789");
		long v;

		if (!parse_uint(s, n, 0, 255, &v) || (n > 1 && s[0] == '0'))
			return false;
		s += n;
		parts++;
		if (parts < 4) {
			if (*s != '.')
				return false;
			s++;
		}
	}
	return *s == '\0';
}

/* RFC 1123 host name: labels of letters, digits and inner hyphens. */
static int
hostname_check(const char *h, char *err, size_t errlen)
{
	const char *label = h;

	if (strspn(h, "0123456789.") == strlen(h))
		return ipv4_valid(h) ? 0 :
			fail(err, errlen, "invalid IPv4 address '%s'", h);
	for (;;) {
		size_t n = 0;

		while (is_alnum(label[n]) || label[n] == '-')
			n++;
		if (label[n] != '.' && label[n] != '\0')
			return fail(err, errlen,
				    "invalid character '%c' in host name '%s'",
				    label[n], h);
		if (n == 0)
			return fail(err, errlen, "empty label in host name '%s'", h);
		if (n > 63)
			return fail(err, errlen, "host name label longer than 63 characters");
		if (label[0] == '-' || label[n - 1] == '-')
			return fail(err, errlen,
				    "host name label may not begin or end with '-' in '%s'", h);
		if (label[n] == '\0')
			return 0;
		label += n + 1;
	}
}

/* HOST[:PORT] between the scheme and the first '/'. */
static int
parse_authority(const char *s, size_t n, struct cd_iscsi_url *u,
		char *err, size_t errlen)
{
	const char *port = NULL;
	size_t hlen;
	long v;

	if (n == 0)
		return fail(err, errlen, "missing host (" URL_FORM ")");
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		char addr[INET6_ADDRSTRLEN];
		unsigned char bin[16];

		if (!close)
			return fail(err, errlen, "missing ']' after IPv6 address");
		hlen = (size_t)(close - s - 1);
		if (hlen == 0 || hlen >= sizeof(addr))
			return fail(err, errlen, "invalid IPv6 address");
		memcpy(addr, s + 1, hlen);
		addr[hlen] = '\0';
		if (inet_pton(AF_INET6, addr, bin) != 1)
			return fail(err, errlen, "invalid IPv6 address '%s'", addr);
		memcpy(u->host, addr, hlen + 1);
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return fail(err, errlen, "unexpected text after ']'");
			port = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', n);

		if (colon && memchr(colon + 1, ':', (size_t)(s + n - colon - 1)))
			return fail(err, errlen,
				    "IPv6 addresses go in brackets: iscsi://[ADDR]:PORT/...");
		hlen = colon ? (size_t)(colon - s) : n;
		if (hlen == 0)
			return fail(err, errlen, "missing host (" URL_FORM ")");
		if (hlen > CD_ISCSI_HOST_MAX)
			return fail(err, errlen, "host name longer than %d characters",
				    CD_ISCSI_HOST_MAX);
		memcpy(u->host, s, hlen);
		u->host[hlen] = '\0';
		if (hostname_check(u->host, err, errlen) < 0)
			return -EINVAL;
		if (colon)
			port = colon + 1;
	}
	u->port = CD_ISCSI_DEFAULT_PORT;
	if (port) {
		size_t plen = (size_t)(s + n - port);

		if (plen == 0)
			return fail(err, errlen, "empty port after ':'");
		if (!parse_uint(port, plen, 1, 65535, &v))
			return fail(err, errlen, "port must be a number 1..65535");
		u->port = (int)v;
	}
	snprintf(u->portal, sizeof(u->portal),
		 strchr(u->host, ':') ? "[%s]:%d" : "%s:%d", u->host, u->port);
	return 0;
}

static int
iqn_check(const char *name, char *err, size_t errlen)
{
	const char *p = name + 4;
	long v;
	size_t i;

	/* iqn.YYYY-MM.naming-authority[:unique] */
	if (!parse_uint(p, 4, 1000, 9999, &v) || p[4] != '-' ||
	    !parse_uint(p + 5, 2, 1, 12, &v) || p[7] != '.')
		return fail(err, errlen, "iqn name must begin with iqn.YYYY-MM.: '%s'", name);
	p += 8;
	if (*p == '\0' || *p == ':' || *p == '.')
		return fail(err, errlen, "iqn name lacks a naming authority after the date: '%s'",
			    name);
	for (i = 0; p[i]; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			return fail(err, errlen,
				    "iSCSI names are lower case: '%c' in '%s'", c, name);
		if (!(is_alnum(c) || c == '.' || c == '-' || c == ':'))
			return fail(err, errlen, "invalid character '%c' in iSCSI name '%s'",
				    c, name);
	}
	return 0;
}

int
cd_iscsi_name_check(const char *name, char *err, size_t errlen)
{
	size_t n, i;

	if (!name || !*name)
		return fail(err, errlen, "empty iSCSI name");
	n = strlen(name);
	if (n > CD_ISCSI_NAME_MAX)
		return fail(err, errlen, "iSCSI name longer than %d bytes", CD_ISCSI_NAME_MAX);
	if (strncasecmp(name, "iqn.", 4) == 0)
		return strncmp(name, "iqn.", 4) == 0 ? iqn_check(name, err, errlen) :
			fail(err, errlen, "iSCSI names are lower case: '%s'", name);
	if (strncmp(name, "eui.", 4) == 0 || strncmp(name, "naa.", 4) == 0) {
		for (i = 4; i < n; i++) {
			if (!is_hex(name[i]))
				return fail(err, errlen, "'%s' must be followed by hex digits: '%s'",
					    name[0] == 'e' ? "eui." : "naa.", name);
		}
		if (name[0] == 'e' && n - 4 != 16)
			return fail(err, errlen, "eui. names have 16 hex digits: '%s'", name);
		if (name[0] == 'n' && n - 4 != 16 && n - 4 != 32)
			return fail(err, errlen, "naa. names have 16 or 32 hex digits: '%s'", name);
		return 0;
	}
	return fail(err, errlen, "iSCSI name must begin with iqn., eui. or naa.: '%s'", name);
}

int
cd_iscsi_url_parse(const char *url, struct cd_iscsi_url *out,
		   char *err, size_t errlen)
{
	const char *s, *slash, *lun, *at;
	size_t tlen;
	long v;

	memset(out, 0, sizeof(*out));
	if (!url || !*url)
		return fail(err, errlen, "empty URL (" URL_FORM ")");
	if (strncasecmp(url, SCHEME, strlen(SCHEME)) != 0)
		return fail(err, errlen, "URL must begin with iscsi:// (" URL_FORM ")");
	s = url + strlen(SCHEME);
	if (strpbrk(s, "?#"))
		return fail(err, errlen, "query strings and fragments are not supported");
	if (strpbrk(s, " \t\r\n"))
		return fail(err, errlen, "white space in URL");
	slash = strchr(s, '/');
	at = strchr(s, '@');
	if (at && (!slash || at < slash))
		return fail(err, errlen, "credentials in the URL are not supported (no CHAP)");
	if (strchr(s, '%'))
		return fail(err, errlen, "percent-escapes and IPv6 zone ids are not supported");
	if (!slash)
		return fail(err, errlen, "missing target name (" URL_FORM ")");
	if (parse_authority(s, (size_t)(slash - s), out, err, errlen) < 0)
		goto bad;

	s = slash + 1;
	slash = strchr(s, '/');
	tlen = slash ? (size_t)(slash - s) : strlen(s);
	if (tlen == 0) {
		fail(err, errlen, "missing target name (" URL_FORM ")");
		goto bad;
	}
	if (!slash) {
		fail(err, errlen, "missing LUN after the target name (" URL_FORM ")");
		goto bad;
	}
	if (tlen > CD_ISCSI_NAME_MAX) {
		fail(err, errlen, "target name longer than %d bytes", CD_ISCSI_NAME_MAX);
		goto bad;
	}
	memcpy(out->target, s, tlen);
	out->target[tlen] = '\0';
	if (cd_iscsi_name_check(out->target, err, errlen) < 0)
		goto bad;

	lun = slash + 1;
	if (*lun == '\0') {
		fail(err, errlen, "missing LUN after the target name (" URL_FORM ")");
		goto bad;
	}
	if (strchr(lun, '/')) {
		fail(err, errlen, "unexpected text after the LUN (" URL_FORM ")");
		goto bad;
	}
	if (!parse_uint(lun, strlen(lun), 0, CD_ISCSI_LUN_MAX, &v)) {
		fail(err, errlen, "LUN must be a number 0..%d", CD_ISCSI_LUN_MAX);
		goto bad;
	}
	out->lun = (int)v;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int
cd_iscsi_url_format(const struct cd_iscsi_url *url, char *buf, size_t len)
{
	return snprintf(buf, len, "iscsi://%s/%s/%d", url->portal, url->target, url->lun);
}
