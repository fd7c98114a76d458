/*
 * disk-lun.c - take, check and give back one LUN's reservation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "disk.h"

/* Registrations read at once: 64 nodes with a disk holder, a fence key and
 * CL_DIRECT_SESSIONS (16) direct-I/O sessions each (csv/client-direct.h)
 * are 1152. More than this are preempted in several passes (take) or
 * reported (check). */
#define MAX_KEYS	2048
#define TAKE_PASSES	8

/* tgt sends RESERVATIONS RELEASED to the wrong nexuses (REPORT 2.4): a
 * command that met it or another harmless attention is simply sent again. */
static bool
retry_ua(int rc)
{
	return rc == -CD_PR_E_RELEASED || rc == -CD_PR_E_UNIT_ATTENTION;
}

#define RETRY(call) ({ int r_ = (call); if (retry_ua(r_)) r_ = (call); r_; })

static int
fail(struct cd_pr *pr, int rc, char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s: %s", what, cd_pr_last_error(pr));
	return rc;
}

int
disk_lun_take(struct cd_pr *pr, uint64_t key, enum cd_pr_type type,
	      char *why, size_t whylen)
{
	uint64_t keys[MAX_KEYS];
	struct cd_pr_reservation res;
	size_t n = 0, i;
	int rc;

	rc = RETRY(cd_pr_register(pr, key));
	if (rc < 0)
		return fail(pr, rc, why, whylen, "register");
	for (int pass = 0;; pass++) {
		rc = RETRY(cd_pr_read_keys(pr, keys, MAX_KEYS, &n, NULL));
		if (rc < 0)
			return fail(pr, rc, why, whylen, "read keys");
		for (i = 0; i < n && i < MAX_KEYS; i++) {
			if (keys[i] == key)
				continue;
			/* PREEMPT removes every registration with that key, and
			 * moves the reservation to us with our type if it held
			 * it. A key already gone (listed twice) is a conflict:
			 * ignore it. */
			rc = RETRY(cd_pr_preempt(pr, key, keys[i], type));
			if (rc < 0 && rc != -CD_PR_E_CONFLICT)
				return fail(pr, rc, why, whylen, "preempt previous owner");
		}
		if (n <= MAX_KEYS)
			break;		/* every other key was seen, and preempted */
		if (pass + 1 == TAKE_PASSES) {
			snprintf(why, whylen, "the LUN still holds %zu registrations after %d "
				 "passes of preempting %d", n, TAKE_PASSES, MAX_KEYS);
			return -E2BIG;
		}
	}
	rc = RETRY(cd_pr_read_reservation(pr, &res));
	if (rc < 0)
		return fail(pr, rc, why, whylen, "read reservation");
	if (!res.present || res.key != key || res.type != type) {
		rc = RETRY(cd_pr_reserve(pr, key, type));
		if (rc < 0)
			return fail(pr, rc, why, whylen, "reserve");
	}
	return disk_lun_check(pr, key, type, why, whylen);
}

int
disk_lun_check(struct cd_pr *pr, uint64_t key, enum cd_pr_type type,
	       char *why, size_t whylen)
{
	uint64_t keys[MAX_KEYS];
	struct cd_pr_reservation res;
	size_t n = 0, i;
	bool found = false;
	int rc;

	rc = RETRY(cd_pr_read_keys(pr, keys, MAX_KEYS, &n, NULL));
	if (rc < 0)
		return fail(pr, rc, why, whylen, "read keys");
	for (i = 0; i < n && i < MAX_KEYS; i++)
		found = found || keys[i] == key;
	if (!found && n > MAX_KEYS) {
		/* not a verdict: ours may be past what was read */
		snprintf(why, whylen, "the LUN holds %zu registrations, more than the %d "
			 "read: cannot tell whether ours is there", n, MAX_KEYS);
		return -E2BIG;
	}
	if (!found) {
		snprintf(why, whylen, "our key 0x%016" PRIx64 " is no longer registered "
			 "(preempted: another node took the disk or fenced us)", key);
		return -CD_PR_E_PREEMPTED;
	}
	rc = RETRY(cd_pr_read_reservation(pr, &res));
	if (rc < 0)
		return fail(pr, rc, why, whylen, "read reservation");
	if (!res.present || res.key != key || res.type != type) {
		snprintf(why, whylen, "reservation %s (key 0x%016" PRIx64 ", %s), "
			 "not ours (0x%016" PRIx64 ", %s)", res.present ? "held" : "absent",
			 res.key, res.present && cd_pr_type_name((int)res.type) ?
			 cd_pr_type_name((int)res.type) : "-", key, cd_pr_type_name((int)type));
		return -CD_PR_E_PREEMPTED;
	}
	return 0;
}

void
disk_lun_give(struct cd_pr *pr, uint64_t key, enum cd_pr_type type)
{
	(void)RETRY(cd_pr_release(pr, key, type));
	(void)RETRY(cd_pr_unregister(pr, key));
}
