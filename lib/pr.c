/*
 * pr.c - persistent reservations and block I/O on one iSCSI LUN (libiscsi).
 *
 * Every command runs through libiscsi's async API and our own poll loop, so
 * the deadline is ours to the millisecond (libiscsi's own timeouts count in
 * whole seconds and are only a backstop here). Auto-reconnect is off: a
 * silent reconnect would be a new, unregistered nexus re-sending our
 * commands, and its reconnect loop sleeps.
 */
#include "pr.h"
#include "pr-data.h"
#include "timeutil.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define TIMEOUT_MS_MAX		3600000
#define POLL_SLICE_MS		250	/* let libiscsi scan its own timeouts */
#define LOGIN_UA_TRIES		8	/* pending unit attentions drained at login */
#define READ_KEYS_MAX		((65535 - 8) / 8)

struct cd_pr {
	struct iscsi_context *ctx;	/* NULL: no session */
	struct cd_iscsi_url url;
	char initiator[CD_ISCSI_NAME_MAX + 1];
	int timeout_ms;
	uint64_t deadline;		/* of the call in progress, CLOCK_MONOTONIC ms */
	int sock_err;			/* SO_ERROR seen with POLLERR/POLLHUP, or 0 */
	char stale_err[256];		/* libiscsi's error text before the call */
	uint64_t blocks;
	uint32_t block_size;
	struct cd_pr_sense sense;
	char errmsg[512];
};

/* One command in flight; lives on the caller's stack until it completes or
 * is cancelled (either way cmd_cb runs before the frame goes away). */
struct pr_cmd {
	bool done;
	int status;
};

/* ---- errors on the handle ---------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
pr_fail(struct cd_pr *pr, int err, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(pr->errmsg, sizeof(pr->errmsg), fmt, ap);
	va_end(ap);
	/* One line: libiscsi's texts may hold newlines. */
	for (p = pr->errmsg; *p; p++) {
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	}
	return err;
}

const char *
cd_pr_last_error(const struct cd_pr *pr)
{
	return pr->errmsg[0] ? pr->errmsg : "no error";
}

void
cd_pr_last_sense(const struct cd_pr *pr, struct cd_pr_sense *sense)
{
	*sense = pr->sense;
}

/* ---- the session ------------------------------------------------------- */

static void
cmd_cb(struct iscsi_context *ctx, int status, void *data, void *priv)
{
	struct pr_cmd *c = priv;

	(void)ctx;
	(void)data;	/* NULL on some cancel paths: never rely on it */
	c->done = true;
	c->status = status;
}

/* Tear the session down. Every command of ours is complete or cancelled by
 * now, so libiscsi calls no callback into a dead stack frame. */
static void
pr_drop(struct cd_pr *pr)
{
	if (pr->ctx) {
		iscsi_destroy_context(pr->ctx);
		pr->ctx = NULL;
	}
}

/*
 * Drive libiscsi until c completes or the call's deadline passes.
 * @return 0 (c->done), -ETIMEDOUT, or -ECONNRESET (the socket failed and
 *         c was not completed by libiscsi)
 */
static int
pr_loop(struct cd_pr *pr, struct pr_cmd *c)
{
	while (!c->done) {
		uint64_t now = cd_now_mono_ms();
		struct pollfd pfd;
		int wait, n;

		if (now >= pr->deadline)
			return -ETIMEDOUT;
		wait = pr->deadline - now > POLL_SLICE_MS ? POLL_SLICE_MS :
			(int)(pr->deadline - now);
		pfd.fd = iscsi_get_fd(pr->ctx);
		pfd.events = (short)iscsi_which_events(pr->ctx);
		pfd.revents = 0;
		n = poll(&pfd, pfd.fd >= 0 && pfd.events ? 1 : 0, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* libiscsi's texts for a failed socket are vague ("Can not
		 * reconnect right now"); keep the kernel's reason. */
		if (n > 0 && (pfd.revents & (POLLERR | POLLHUP)) && !pr->sock_err) {
			int e = 0;
			socklen_t len = sizeof(e);

			if (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0)
				pr->sock_err = e;
		}
		if (iscsi_service(pr->ctx, n > 0 ? pfd.revents : 0) < 0)
			return c->done ? 0 : -ECONNRESET;
	}
	return 0;
}

/*
 * Wait for a queued task and turn its outcome into 0 or an error. On a
 * timeout or a broken connection the task is cancelled locally and the
 * session dropped. The caller still owns (and frees) the task.
 */
static int
pr_wait_task(struct cd_pr *pr, struct scsi_task *task, struct pr_cmd *c,
	     const char *what)
{
	char why[256];
	int r;

	if (!task)
		return pr_fail(pr, -ENOMEM, "%s: cannot queue the command: %s", what,
			       iscsi_get_error(pr->ctx));
	r = pr_loop(pr, c);
	if (r == 0 && c->status != SCSI_STATUS_CANCELLED &&
	    c->status != SCSI_STATUS_TIMEOUT && c->status != SCSI_STATUS_ERROR)
		return 0;
	/* libiscsi keeps its last text forever: show it only if it is new. */
	snprintf(why, sizeof(why), "%s", pr->sock_err ? strerror(pr->sock_err) :
		 strcmp(iscsi_get_error(pr->ctx), pr->stale_err) ? iscsi_get_error(pr->ctx) : "");
	if (!c->done)
		iscsi_scsi_cancel_task(pr->ctx, task);
	pr_drop(pr);
	if (r == -ETIMEDOUT || (r == 0 && c->status == SCSI_STATUS_TIMEOUT))
		return pr_fail(pr, -ETIMEDOUT,
			       "%s: no answer within %d ms; session dropped", what,
			       pr->timeout_ms);
	if (r == 0 && c->status == SCSI_STATUS_ERROR)
		return pr_fail(pr, -EIO, "%s: %s; session dropped", what,
			       why[0] ? why : "libiscsi error");
	return pr_fail(pr, r == 0 ? -ECONNRESET : r,
		       "%s: connection lost%s%s; session dropped", what,
		       why[0] ? ": " : "", why);
}

/* The SCSI status of a completed task as 0 or an error, sense recorded. */
static int
pr_status(struct cd_pr *pr, const struct scsi_task *task, int status)
{
	uint8_t key, asc, ascq;
	char text[160];

	memset(&pr->sense, 0, sizeof(pr->sense));
	pr->sense.status = status;
	switch (status) {
	case SCSI_STATUS_GOOD:
	case SCSI_STATUS_CONDITION_MET:
		return 0;
	case SCSI_STATUS_RESERVATION_CONFLICT:
		return pr_fail(pr, -CD_PR_E_CONFLICT, "reservation conflict");
	case SCSI_STATUS_BUSY:
	case SCSI_STATUS_TASK_SET_FULL:
	case SCSI_STATUS_ACA_ACTIVE:
	case SCSI_STATUS_TASK_ABORTED:
		return pr_fail(pr, -CD_PR_E_BUSY, "target busy (SCSI status 0x%02x)", status);
	case SCSI_STATUS_CHECK_CONDITION:
		break;
	default:
		return pr_fail(pr, -EIO, "unexpected SCSI status 0x%02x", status);
	}

	key = (uint8_t)(task->sense.key & 0x0f);
	asc = (uint8_t)(task->sense.ascq >> 8);
	ascq = (uint8_t)task->sense.ascq;
	pr->sense.key = key;
	pr->sense.asc = asc;
	pr->sense.ascq = ascq;
	cd_pr_sense_text(key, asc, ascq, text, sizeof(text));
	return pr_fail(pr, cd_pr_sense_error(key, asc, ascq), "%s", text);
}

/* Wait for a task, then map its SCSI status. */
static int
pr_complete(struct cd_pr *pr, struct scsi_task *task, struct pr_cmd *c,
	    const char *what)
{
	int r = pr_wait_task(pr, task, c, what);

	return r < 0 ? r : pr_status(pr, task, c->status);
}

/* Start of every public command: a session, a fresh deadline and error. */
static int
pr_begin(struct cd_pr *pr)
{
	pr->errmsg[0] = '\0';
	pr->sense.status = -1;
	pr->deadline = cd_now_mono_ms() + (uint64_t)pr->timeout_ms;
	if (!pr->ctx)
		return pr_fail(pr, -ENOTCONN, "no iSCSI session (reconnect first)");
	snprintf(pr->stale_err, sizeof(pr->stale_err), "%s", iscsi_get_error(pr->ctx));
	return 0;
}

static void
pr_set_libiscsi_timeouts(struct cd_pr *pr)
{
	int secs = (pr->timeout_ms + 999) / 1000;

	/* Backstop only, whole seconds (and one slack second): our own
	 * deadline is the one that normally fires. */
	iscsi_set_timeout(pr->ctx, secs + 1);
}

int
cd_pr_set_timeout(struct cd_pr *pr, int timeout_ms)
{
	if (timeout_ms < 1 || timeout_ms > TIMEOUT_MS_MAX)
		return -EINVAL;
	pr->timeout_ms = timeout_ms;
	if (pr->ctx)
		pr_set_libiscsi_timeouts(pr);
	return 0;
}

struct cd_pr *
cd_pr_new(const struct cd_iscsi_url *url, const char *initiator, int timeout_ms)
{
	struct cd_pr *pr;

	if (!url || !url->portal[0] || !url->target[0] ||
	    cd_iscsi_name_check(initiator, NULL, 0) < 0 ||
	    timeout_ms < 1 || timeout_ms > TIMEOUT_MS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return NULL;
	pr->url = *url;
	snprintf(pr->initiator, sizeof(pr->initiator), "%s", initiator);
	pr->timeout_ms = timeout_ms;
	pr->sense.status = -1;
	return pr;
}

/* A fresh context, configured; never auto-reconnecting. */
static int
pr_new_context(struct cd_pr *pr)
{
	uint8_t rnd[5] = { 0 };
	int keep_s = pr->timeout_ms / 1000 > 0 ? pr->timeout_ms / 1000 : 1;

	pr->ctx = iscsi_create_context(pr->initiator);
	if (!pr->ctx)
		return pr_fail(pr, -ENOMEM, "cannot create an iSCSI context");
	/* Our own random ISID (40 bits from the kernel): libiscsi's comes from
	 * the process-wide rand(), which anyone may reseed, and two sessions
	 * with equal ISIDs to one target would reinstate (kill) each other. */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return pr_fail(pr, -EIO, "getrandom failed: %s", strerror(errno));
	iscsi_set_isid_random(pr->ctx, (uint32_t)rnd[0] << 16 | rnd[1] << 8 | rnd[2],
			      (uint32_t)rnd[3] << 8 | rnd[4]);
	iscsi_set_noautoreconnect(pr->ctx, 1);
	if (iscsi_set_targetname(pr->ctx, pr->url.target) != 0 ||
	    iscsi_set_session_type(pr->ctx, ISCSI_SESSION_NORMAL) != 0 ||
	    iscsi_set_header_digest(pr->ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C) != 0)
		return pr_fail(pr, -EINVAL, "cannot configure the iSCSI context: %s",
			       iscsi_get_error(pr->ctx));
	pr_set_libiscsi_timeouts(pr);
	/* An idle session whose link died is noticed by the next command's
	 * deadline anyway; keepalives and the user timeout make the socket
	 * itself fail, so that command fails fast instead. */
	iscsi_set_tcp_user_timeout(pr->ctx, pr->timeout_ms);
	iscsi_set_tcp_keepalive(pr->ctx, keep_s, 3, keep_s);
	return 0;
}

/* TEST UNIT READY without pr_begin (used by login and the public call). */
static int
pr_tur(struct cd_pr *pr)
{
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	int r;

	task = iscsi_testunitready_task(pr->ctx, pr->url.lun, cmd_cb, &c);
	r = pr_complete(pr, task, &c, "TEST UNIT READY");
	if (task)
		scsi_free_scsi_task(task);
	return r;
}

static int pr_capacity(struct cd_pr *pr);

/*
 * Connect, log in, drain the new nexus's unit attentions, learn the size.
 * Failures drop the context here, while the callbacks' pr_cmd still lives.
 */
static int
pr_login(struct cd_pr *pr)
{
	struct pr_cmd c = { 0 };
	int r, i;

	if (iscsi_connect_async(pr->ctx, pr->url.portal, cmd_cb, &c) != 0) {
		r = pr_fail(pr, -CD_PR_E_CONNECT, "cannot connect to %s: %s",
			    pr->url.portal, iscsi_get_error(pr->ctx));
		goto out;
	}
	r = pr_loop(pr, &c);
	if (r == -ETIMEDOUT) {
		r = pr_fail(pr, r, "no connection to %s within %d ms",
			    pr->url.portal, pr->timeout_ms);
		goto out;
	}
	if (r < 0 || c.status != SCSI_STATUS_GOOD) {
		r = pr_fail(pr, -CD_PR_E_CONNECT, "cannot connect to %s: %s",
			    pr->url.portal, pr->sock_err ? strerror(pr->sock_err) :
			    iscsi_get_error(pr->ctx));
		goto out;
	}

	memset(&c, 0, sizeof(c));
	if (iscsi_login_async(pr->ctx, cmd_cb, &c) != 0) {
		r = pr_fail(pr, -CD_PR_E_LOGIN, "cannot log in to %s: %s",
			    pr->url.target, iscsi_get_error(pr->ctx));
		goto out;
	}
	r = pr_loop(pr, &c);
	if (r == -ETIMEDOUT) {
		r = pr_fail(pr, r, "no login answer from %s within %d ms",
			    pr->url.portal, pr->timeout_ms);
		goto out;
	}
	if (r < 0 || c.status != SCSI_STATUS_GOOD) {
		r = pr_fail(pr, -CD_PR_E_LOGIN, "login to %s as %s refused: %s",
			    pr->url.target, pr->initiator, iscsi_get_error(pr->ctx));
		goto out;
	}

	/* A new nexus has no registration to lose, so what it has pending
	 * (29/00 at least) is not news for us. */
	for (i = 0; i < LOGIN_UA_TRIES; i++) {
		r = pr_tur(pr);
		if (!cd_pr_is_unit_attention(r))
			break;
	}
	if (r == 0)
		r = pr_capacity(pr);
out:
	if (r < 0)
		pr_drop(pr);
	return r;
}

int
cd_pr_reconnect(struct cd_pr *pr)
{
	int r;

	pr_drop(pr);
	pr->errmsg[0] = '\0';
	pr->sense.status = -1;
	pr->deadline = cd_now_mono_ms() + (uint64_t)pr->timeout_ms;
	pr->sock_err = 0;
	pr->stale_err[0] = '\0';
	r = pr_new_context(pr);
	if (r == 0)
		r = pr_login(pr);
	if (r < 0)
		pr_drop(pr);
	return r;
}

struct cd_pr *
cd_pr_open(const struct cd_iscsi_url *url, const char *initiator,
	   int timeout_ms, int *err)
{
	struct cd_pr *pr = cd_pr_new(url, initiator, timeout_ms);
	int r;

	if (!pr) {
		if (err)
			*err = -errno;
		return NULL;
	}
	r = cd_pr_reconnect(pr);
	if (r < 0) {
		cd_pr_close(pr);
		if (err)
			*err = r;
		return NULL;
	}
	if (err)
		*err = 0;
	return pr;
}

int
cd_pr_ensure(struct cd_pr **pr, const char *url, const char *initiator,
	     int timeout_ms, char *detail, size_t dlen)
{
	struct cd_iscsi_url u;
	char err[128];
	int r;

	if (*pr && cd_pr_connected(*pr))
		return 0;
	if (!*pr) {
		if (cd_iscsi_url_parse(url, &u, err, sizeof(err)) < 0) {
			snprintf(detail, dlen, "%s: %s", url, err);
			return -EINVAL;
		}
		*pr = cd_pr_new(&u, initiator, timeout_ms);
		if (!*pr) {
			r = -errno;
			snprintf(detail, dlen, "%s: %s", url, strerror(-r));
			return r;
		}
	}
	r = cd_pr_reconnect(*pr);
	if (r < 0) {
		snprintf(detail, dlen, "%s: cannot log in: %s", url, cd_pr_last_error(*pr));
		return r;
	}
	return 1;
}

void
cd_pr_disconnect(struct cd_pr *pr)
{
	if (pr)
		pr_drop(pr);
}

void
cd_pr_close(struct cd_pr *pr)
{
	struct pr_cmd c = { 0 };

	if (!pr)
		return;
	if (pr->ctx && pr_begin(pr) == 0 &&
	    iscsi_logout_async(pr->ctx, cmd_cb, &c) == 0)
		(void)pr_loop(pr, &c);	/* best effort; closing drops it anyway */
	pr_drop(pr);
	free(pr);
}

bool
cd_pr_connected(const struct cd_pr *pr)
{
	return pr->ctx != NULL;
}

const struct cd_iscsi_url *
cd_pr_url(const struct cd_pr *pr)
{
	return &pr->url;
}

uint32_t
cd_pr_block_size(const struct cd_pr *pr)
{
	return pr->block_size;
}

/* ---- PERSISTENT RESERVE OUT -------------------------------------------- */

static const char *const prout_names[] = {
	"REGISTER", "RESERVE", "RELEASE", "CLEAR", "PREEMPT",
	"PREEMPT AND ABORT", "REGISTER AND IGNORE EXISTING KEY",
};

static int
pr_out(struct cd_pr *pr, int sa, int type, uint64_t key, uint64_t sakey)
{
	struct scsi_persistent_reserve_out_basic p = {
		.reservation_key = key,
		.service_action_reservation_key = sakey,
	};
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	char what[64];
	int r = pr_begin(pr);

	if (r < 0)
		return r;
	snprintf(what, sizeof(what), "PERSISTENT RESERVE OUT %s", prout_names[sa]);
	task = iscsi_persistent_reserve_out_task(pr->ctx, pr->url.lun, sa,
						 SCSI_PERSISTENT_RESERVE_SCOPE_LU,
						 type, &p, cmd_cb, &c);
	r = pr_complete(pr, task, &c, what);
	if (task)
		scsi_free_scsi_task(task);
	return r;
}

static bool
type_valid(int type)
{
	return cd_pr_type_name(type) != NULL;
}

int
cd_pr_register(struct cd_pr *pr, uint64_t key)
{
	if (key == 0)
		return pr_fail(pr, -EINVAL, "REGISTER needs a nonzero key");
	return pr_out(pr, SCSI_PERSISTENT_RESERVE_REGISTER, 0, 0, key);
}

int
cd_pr_register_ignore(struct cd_pr *pr, uint64_t key)
{
	return pr_out(pr, SCSI_PERSISTENT_RESERVE_REGISTER_AND_IGNORE_EXISTING_KEY,
		      0, 0, key);
}

int
cd_pr_unregister(struct cd_pr *pr, uint64_t key)
{
	if (key == 0)
		return pr_fail(pr, -EINVAL, "unregister needs our current key");
	return pr_out(pr, SCSI_PERSISTENT_RESERVE_REGISTER, 0, key, 0);
}

int
cd_pr_reserve(struct cd_pr *pr, uint64_t key, enum cd_pr_type type)
{
	if (!type_valid((int)type))
		return pr_fail(pr, -EINVAL, "invalid reservation type %d", (int)type);
	return pr_out(pr, SCSI_PERSISTENT_RESERVE_RESERVE, (int)type, key, 0);
}

int
cd_pr_release(struct cd_pr *pr, uint64_t key, enum cd_pr_type type)
{
	if (!type_valid((int)type))
		return pr_fail(pr, -EINVAL, "invalid reservation type %d", (int)type);
	return pr_out(pr, SCSI_PERSISTENT_RESERVE_RELEASE, (int)type, key, 0);
}

int
cd_pr_clear(struct cd_pr *pr, uint64_t key)
{
	return pr_out(pr, SCSI_PERSISTENT_RESERVE_CLEAR, 0, key, 0);
}

int
cd_pr_preempt(struct cd_pr *pr, uint64_t key, uint64_t victim,
	      enum cd_pr_type type)
{
	if (!type_valid((int)type))
		return pr_fail(pr, -EINVAL, "invalid reservation type %d", (int)type);
	return pr_out(pr, SCSI_PERSISTENT_RESERVE_PREEMPT, (int)type, key, victim);
}

/* ---- PERSISTENT RESERVE IN --------------------------------------------- */

/* Run a PR IN service action; on success *task holds the data (caller frees). */
static int
pr_in(struct cd_pr *pr, int sa, uint16_t len, struct scsi_task **taskp,
      const char *what)
{
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	int r = pr_begin(pr);

	*taskp = NULL;
	if (r < 0)
		return r;
	task = iscsi_persistent_reserve_in_task(pr->ctx, pr->url.lun, sa, len,
						cmd_cb, &c);
	r = pr_complete(pr, task, &c, what);
	if (r < 0 || task->datain.size < 8) {
		if (task)
			scsi_free_scsi_task(task);
		return r < 0 ? r :
			pr_fail(pr, -CD_PR_E_PROTO, "%s: %d bytes of data", what,
				task ? task->datain.size : 0);
	}
	*taskp = task;
	return 0;
}

int
cd_pr_read_keys(struct cd_pr *pr, uint64_t *keys, size_t max, size_t *n,
		uint32_t *generation)
{
	size_t want = max > READ_KEYS_MAX ? READ_KEYS_MAX : max;
	struct scsi_task *task;
	int r;

	r = pr_in(pr, SCSI_PERSISTENT_RESERVE_READ_KEYS, (uint16_t)(8 + 8 * want),
		  &task, "PERSISTENT RESERVE IN READ KEYS");
	if (r < 0)
		return r;
	r = cd_pr_decode_read_keys(task->datain.data, (size_t)task->datain.size,
				   keys, max, n, generation);
	scsi_free_scsi_task(task);
	return r < 0 ? pr_fail(pr, r, "READ KEYS: malformed answer") : 0;
}

int
cd_pr_read_reservation(struct cd_pr *pr, struct cd_pr_reservation *res)
{
	struct scsi_task *task;
	int r;

	memset(res, 0, sizeof(*res));
	r = pr_in(pr, SCSI_PERSISTENT_RESERVE_READ_RESERVATION, 8 + 16, &task,
		  "PERSISTENT RESERVE IN READ RESERVATION");
	if (r < 0)
		return r;
	r = cd_pr_decode_reservation(task->datain.data, (size_t)task->datain.size, res);
	scsi_free_scsi_task(task);
	return r < 0 ? pr_fail(pr, r, "READ RESERVATION: malformed answer") : 0;
}

int
cd_pr_capabilities(struct cd_pr *pr, struct cd_pr_caps *caps)
{
	struct scsi_task *task;
	int r;

	memset(caps, 0, sizeof(*caps));
	r = pr_in(pr, SCSI_PERSISTENT_RESERVE_REPORT_CAPABILITIES, 8, &task,
		  "PERSISTENT RESERVE IN REPORT CAPABILITIES");
	if (r < 0)
		return r;
	r = cd_pr_decode_caps(task->datain.data, (size_t)task->datain.size, caps);
	scsi_free_scsi_task(task);
	return r < 0 ? pr_fail(pr, r, "REPORT CAPABILITIES: malformed answer") : 0;
}

/* ---- identity and capacity --------------------------------------------- */

int
cd_pr_test_unit_ready(struct cd_pr *pr)
{
	int r = pr_begin(pr);

	return r < 0 ? r : pr_tur(pr);
}

/* READ CAPACITY(16), or (10) where 16 is not implemented. */
static int
pr_capacity(struct cd_pr *pr)
{
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	bool rc16 = true;
	int r;

	task = iscsi_readcapacity16_task(pr->ctx, pr->url.lun, cmd_cb, &c);
	r = pr_complete(pr, task, &c, "READ CAPACITY(16)");
	if (r == -CD_PR_E_NOT_SUPPORTED || r == -CD_PR_E_ILLEGAL) {
		scsi_free_scsi_task(task);
		memset(&c, 0, sizeof(c));
		rc16 = false;
		task = iscsi_readcapacity10_task(pr->ctx, pr->url.lun, 0, 0, cmd_cb, &c);
		r = pr_complete(pr, task, &c, "READ CAPACITY(10)");
	}
	if (r == 0) {
		r = cd_pr_decode_capacity(task->datain.data, (size_t)task->datain.size,
					  rc16, &pr->blocks, &pr->block_size);
		if (r < 0)
			pr_fail(pr, r, "READ CAPACITY: malformed answer");
	}
	if (task)
		scsi_free_scsi_task(task);
	return r;
}

int
cd_pr_read_capacity(struct cd_pr *pr, uint64_t *blocks, uint32_t *block_size)
{
	int r = pr_begin(pr);

	if (r == 0)
		r = pr_capacity(pr);
	if (r == 0) {
		*blocks = pr->blocks;
		*block_size = pr->block_size;
	}
	return r;
}

/*
 * One INQUIRY page through a decoder. A VPD page the target does not have
 * (ILLEGAL REQUEST) is not an error: the field stays "".
 */
static int
pr_inquiry_page(struct cd_pr *pr, int evpd, int page, struct cd_pr_inquiry *inq)
{
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	char what[32];
	int r;

	snprintf(what, sizeof(what), evpd ? "INQUIRY VPD 0x%02x" : "INQUIRY", page);
	task = iscsi_inquiry_task(pr->ctx, pr->url.lun, evpd, page, 1024, cmd_cb, &c);
	r = pr_complete(pr, task, &c, what);
	if (r == 0) {
		const uint8_t *d = task->datain.data;
		size_t n = (size_t)task->datain.size;

		if (!evpd)
			r = cd_pr_decode_inquiry(d, n, inq);
		else if (page == 0x80)
			r = cd_pr_decode_serial(d, n, inq->serial, sizeof(inq->serial));
		else
			r = cd_pr_decode_device_id(d, n, inq->device_id, sizeof(inq->device_id));
		if (r < 0)
			pr_fail(pr, r, "%s: malformed answer", what);
	} else if (r == -CD_PR_E_ILLEGAL && evpd) {
		r = 0;
	}
	if (task)
		scsi_free_scsi_task(task);
	return r;
}

int
cd_pr_inquiry(struct cd_pr *pr, struct cd_pr_inquiry *inq)
{
	int r = pr_begin(pr);

	memset(inq, 0, sizeof(*inq));
	if (r == 0)
		r = pr_inquiry_page(pr, 0, 0, inq);
	if (r == 0)
		r = pr_inquiry_page(pr, 1, 0x80, inq);
	if (r == 0)
		r = pr_inquiry_page(pr, 1, 0x83, inq);
	if (r == 0)
		r = pr_capacity(pr);
	if (r < 0)
		return r;
	inq->blocks = pr->blocks;
	inq->block_size = pr->block_size;
	pr->errmsg[0] = '\0';
	return 0;
}

/* ---- block I/O --------------------------------------------------------- */

static int
io_check(struct cd_pr *pr, size_t len)
{
	int r = pr_begin(pr);

	if (r < 0)
		return r;
	if (len == 0 || len > CD_PR_IO_MAX || len % pr->block_size)
		return pr_fail(pr, -EINVAL,
			       "I/O length %zu is not a multiple of the %u-byte block (max %u)",
			       len, pr->block_size, CD_PR_IO_MAX);
	return 0;
}

int
cd_pr_read_blocks(struct cd_pr *pr, uint64_t lba, void *buf, size_t len)
{
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	int r = io_check(pr, len);

	if (r < 0)
		return r;
	task = iscsi_read16_task(pr->ctx, pr->url.lun, lba, (uint32_t)len,
				 (int)pr->block_size, 0, 0, 0, 0, 0, cmd_cb, &c);
	/* Data lands in buf directly; set before the loop runs. */
	if (task && scsi_task_add_data_in_buffer(task, (int)len, buf) != 0) {
		iscsi_scsi_cancel_task(pr->ctx, task);
		scsi_free_scsi_task(task);
		return pr_fail(pr, -ENOMEM, "READ(16): cannot attach the buffer");
	}
	r = pr_complete(pr, task, &c, "READ(16)");
	if (r == 0 && task->residual_status == SCSI_RESIDUAL_UNDERFLOW &&
	    task->residual > 0)
		r = pr_fail(pr, -EIO, "READ(16): %zu bytes short", task->residual);
	if (task)
		scsi_free_scsi_task(task);
	return r;
}

int
cd_pr_write_blocks(struct cd_pr *pr, uint64_t lba, const void *buf, size_t len,
		   unsigned int flags)
{
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	int r = io_check(pr, len);

	if (r < 0)
		return r;
	if (flags & ~CD_PR_WRITE_FUA)
		return pr_fail(pr, -EINVAL, "unknown write flags 0x%x", flags);
	/* libiscsi takes a non-const pointer but only reads the data. */
	task = iscsi_write16_task(pr->ctx, pr->url.lun, lba,
				  (unsigned char *)(uintptr_t)buf, (uint32_t)len,
				  (int)pr->block_size, 0, 0,
				  (flags & CD_PR_WRITE_FUA) ? 1 : 0, 0, 0, cmd_cb, &c);
	r = pr_complete(pr, task, &c, "WRITE(16)");
	if (task)
		scsi_free_scsi_task(task);
	return r;
}

int
cd_pr_sync_cache(struct cd_pr *pr)
{
	struct pr_cmd c = { 0 };
	struct scsi_task *task;
	int r = pr_begin(pr);

	if (r < 0)
		return r;
	/* the whole LUN (lba 0, 0 blocks), synchronously (immed 0) */
	task = iscsi_synchronizecache16_task(pr->ctx, pr->url.lun, 0, 0, 0, 0, cmd_cb, &c);
	r = pr_complete(pr, task, &c, "SYNCHRONIZE CACHE(16)");
	if (task)
		scsi_free_scsi_task(task);
	return r;
}
