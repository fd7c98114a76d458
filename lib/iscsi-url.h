/*
 * iscsi-url.h - iSCSI LUN URLs and iSCSI names, parsed strictly (pure code).
 *
 *   iscsi://HOST[:PORT]/TARGET/LUN
 *
 * HOST is a dotted-quad IPv4 address, a DNS host name or a bracketed IPv6
 * address ([fd00::1]); PORT defaults to 3260; TARGET is an iSCSI name
 * (iqn., eui. or naa. form, RFC 3720 3.2.6); LUN is decimal 0..16383.
 * Credentials (user%pass@), query strings, fragments and percent-escapes
 * are refused: CHAP is not supported and an escaped name is a typo more
 * often than a need.
 */
#ifndef CLUSTERD_ISCSI_URL_H
#define CLUSTERD_ISCSI_URL_H

#include <stddef.h>

#define CD_ISCSI_DEFAULT_PORT	3260
#define CD_ISCSI_NAME_MAX	223	/* RFC 3720: at most 223 bytes */
#define CD_ISCSI_HOST_MAX	253	/* a DNS name; IPv6 text is shorter */
#define CD_ISCSI_LUN_MAX	16383	/* flat space addressing */

struct cd_iscsi_url {
	char host[CD_ISCSI_HOST_MAX + 1];	/* without brackets */
	int port;				/* 1..65535 */
	char portal[CD_ISCSI_HOST_MAX + 9];	/* "host:port", "[v6]:port": libiscsi's form */
	char target[CD_ISCSI_NAME_MAX + 1];
	int lun;
};

/**
 * Parse an iSCSI LUN URL.
 * @param url  the text; NULL is refused
 * @param out  filled on success; cleared on failure
 * @param err  on failure, why ("port must be 1..65535", ...); may be NULL
 * @return 0 or -EINVAL
 */
int cd_iscsi_url_parse(const char *url, struct cd_iscsi_url *out,
		       char *err, size_t errlen);

/**
 * Render a URL in canonical form (port always written).
 * @return the length written as snprintf does; >= len means truncated
 */
int cd_iscsi_url_format(const struct cd_iscsi_url *url, char *buf, size_t len);

/**
 * Check an iSCSI name (target or initiator): "iqn.YYYY-MM.reversed.domain[:x]",
 * "eui." + 16 hex digits or "naa." + 16 or 32 hex digits; iqn names only in
 * the normalised (lower-case) alphabet a-z 0-9 . - :
 * @return 0 or -EINVAL with a reason in err (may be NULL)
 */
int cd_iscsi_name_check(const char *name, char *err, size_t errlen);

#endif
