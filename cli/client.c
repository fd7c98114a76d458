/*
 * client.c - clusterctl's IPC client to the local clusterd.
 */
#include "ctl.h"
#include "proto.h"
#include "error.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <qb/qbipcc.h>

#define CTL_REQUEST_TIMEOUT_MS 30000
/* A full listen backlog (clusterd busy refusing a flood of connections)
 * makes the non-blocking connect() fail with EAGAIN: try again this long. */
#define CTL_CONNECT_BUSY_MS 3000
#define CTL_CONNECT_RETRY_MS 2

/* qb_ipcc_connect, again while clusterd's backlog is full. */
static qb_ipcc_connection_t *
connect_retry(void)
{
	uint64_t deadline = cd_now_mono_ms() + CTL_CONNECT_BUSY_MS;
	qb_ipcc_connection_t *qb;

	while (!(qb = qb_ipcc_connect(CD_IPC_SERVICE, CD_IPC_MAX_MSG)) &&
	       errno == EAGAIN && cd_now_mono_ms() < deadline) {
		struct timespec ts = { .tv_nsec = CTL_CONNECT_RETRY_MS * 1000000L };

		nanosleep(&ts, NULL);
	}
	return qb;
}

struct ctl_conn {
	qb_ipcc_connection_t *qb;
	char *buf;
};

struct ctl_conn *
ctl_connect(int *exit_code)
{
	struct ctl_conn *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		fprintf(stderr, "clusterctl: out of memory\n");
		*exit_code = CTL_EXIT_FAILED;
		return NULL;
	}
	c->buf = malloc(CD_IPC_MAX_MSG);
	c->qb = c->buf ? connect_retry() : NULL;
	if (!c->qb) {
		err = c->buf ? errno : ENOMEM;
		free(c->buf);
		free(c);
		if (err == EACCES || err == EPERM) {
			fprintf(stderr, "clusterctl: permission denied by clusterd: "
				"run as root or as a member of group haclient\n");
			*exit_code = CTL_EXIT_ACCESS;
		} else {
			fprintf(stderr, "clusterctl: clusterd is not running on this "
				"node (%s); start it with 'systemctl start clusterd'\n",
				strerror(err));
			*exit_code = CTL_EXIT_NO_DAEMON;
		}
		return NULL;
	}
	return c;
}

void
ctl_disconnect(struct ctl_conn *c)
{
	if (!c)
		return;
	qb_ipcc_disconnect(c->qb);
	free(c->buf);
	free(c);
}

int
ctl_request(struct ctl_conn *c, const char *cmd, json_object *args,
	    json_object **data)
{
	return ctl_request_quiet(c, cmd, args, data, NULL);
}

int
ctl_request_quiet(struct ctl_conn *c, const char *cmd, json_object *args,
		  json_object **data, const char *retry_code)
{
	struct cd_reply rep;
	struct iovec iov;
	size_t size;
	ssize_t n;
	void *msg;
	int rc;

	*data = NULL;
	msg = cd_proto_request_encode(cmd, args, &size);
	if (!msg) {
		fprintf(stderr, "clusterctl: cannot encode request '%s': %s\n",
			cmd, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	iov.iov_base = msg;
	iov.iov_len = size;
	n = qb_ipcc_sendv_recv(c->qb, &iov, 1, c->buf, CD_IPC_MAX_MSG,
			       CTL_REQUEST_TIMEOUT_MS);
	free(msg);
	if (n < 0) {
		if (n == -ETIMEDOUT) {
			fprintf(stderr, "clusterctl: clusterd did not answer '%s' "
				"within %d s\n", cmd, CTL_REQUEST_TIMEOUT_MS / 1000);
			return CTL_EXIT_TIMEOUT;
		}
		fprintf(stderr, "clusterctl: lost the connection to clusterd: %s\n",
			strerror((int)-n));
		return CTL_EXIT_NO_DAEMON;
	}
	rc = cd_proto_reply_decode(c->buf, (size_t)n, &rep);
	if (rc < 0) {
		fprintf(stderr, "clusterctl: unreadable reply from clusterd: %s\n",
			cd_strerror(rc));
		return CTL_EXIT_PROTOCOL;
	}
	if (!rep.ok) {
		if (retry_code && strcmp(rep.code, retry_code) == 0) {
			cd_reply_clear(&rep);
			return CTL_EXIT_RETRY;
		}
		fprintf(stderr, "clusterctl: %s: %s\n", cmd,
			rep.message[0] ? rep.message : rep.code);
		/* A value clusterd's validation refused (lib/valid.h) is a usage
		 * error, as when clusterctl itself refuses it. */
		rc = strcmp(rep.code, cd_errname(-CD_E_BAD_VALUE)) == 0 ?
		     CTL_EXIT_USAGE : CTL_EXIT_FAILED;
		cd_reply_clear(&rep);
		return rc;
	}
	if (rep.data)
		*data = json_object_get(rep.data);
	cd_reply_clear(&rep);
	return CTL_EXIT_OK;
}

int
ctl_next_event(struct ctl_conn *c, int timeout_ms, const char **name,
	       json_object **data)
{
	static char evname[CD_PROTO_CMD_MAX];
	struct cd_event ev;
	ssize_t n;
	int rc;

	*data = NULL;
	n = qb_ipcc_event_recv(c->qb, c->buf, CD_IPC_MAX_MSG, timeout_ms);
	if (n == -ETIMEDOUT || n == -EAGAIN)
		return -ETIMEDOUT;
	if (n < 0)
		return -ENOTCONN;
	rc = cd_proto_event_decode(c->buf, (size_t)n, &ev);
	if (rc < 0)
		return -EPROTO;
	snprintf(evname, sizeof(evname), "%s", ev.name);
	*name = evname;
	if (ev.data)
		*data = json_object_get(ev.data);
	cd_event_clear(&ev);
	return 0;
}

int
ctl_subscribe(struct ctl_conn *c, json_object **snapshot)
{
	json_object *st = NULL;
	int rc = ctl_request(c, "subscribe", NULL, &st);

	if (snapshot)
		*snapshot = st;
	else
		json_object_put(st);
	return rc;
}

void
ctl_wait_change(struct ctl_conn *ev, int max_ms)
{
	const char *evname;
	json_object *evdata;

	if (max_ms < 0)
		max_ms = 0;
	if (!ev) {
		usleep((useconds_t)(max_ms < 20 ? max_ms : 20) * 1000);
		return;
	}
	if (ctl_next_event(ev, max_ms, &evname, &evdata) != 0)
		return;
	json_object_put(evdata);
	/* drain what else is queued, without waiting */
	while (ctl_next_event(ev, 0, &evname, &evdata) == 0)
		json_object_put(evdata);
}

int
ctl_request_sync(struct ctl_conn *c, const char *cmd, json_object *args,
		 json_object **data)
{
	int rc, i;

	/* Right after a membership change the state synchronises briefly. */
	for (i = 0;; i++) {
		rc = ctl_request_quiet(c, cmd, args, data,
				       i < CTL_SYNC_RETRIES ? "syncing" : NULL);
		if (rc != CTL_EXIT_RETRY)
			return rc;
		usleep(100 * 1000);
	}
}

int
ctl_call(const char *cmd, json_object *args, json_object **data)
{
	struct ctl_conn *c;
	int rc;

	*data = NULL;
	c = ctl_connect(&rc);
	if (!c)
		return rc;
	rc = ctl_request_sync(c, cmd, args, data);
	ctl_disconnect(c);
	return rc;
}

int
ctl_call_patient(const char *cmd, json_object *args, int timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + (uint64_t)timeout_ms;
	int rc = CTL_EXIT_FAILED;

	while (cd_now_mono_ms() < deadline) {
		struct ctl_conn *c = ctl_connect(&rc);
		json_object *data = NULL;

		if (c) {
			rc = ctl_request_quiet(c, cmd, args, &data, "syncing");
			ctl_disconnect(c);
		}
		json_object_put(data);
		if (c && rc != CTL_EXIT_RETRY)
			return rc;
		usleep(200 * 1000);
	}
	return rc == CTL_EXIT_RETRY ? CTL_EXIT_TIMEOUT : rc;
}
