/*
 * qmp.h - a small QEMU Machine Protocol client (json-c).
 *
 * QMP is newline-delimited JSON over a unix socket. The server greets
 * ({"QMP":...}), the client must send qmp_capabilities first, then every
 * command carries an "id" that its reply ({"return":...} or {"error":...})
 * echoes. Events ({"event":...}) may arrive at any time, also between a
 * command and its reply: they are recorded, never mistaken for a reply.
 * Every read has a deadline.
 *
 * The framing and message parsing below the client are pure functions,
 * exported for the unit tests.
 */
#ifndef CLUSTERD_QMP_H
#define CLUSTERD_QMP_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CD_QMP_LINE_MAX		(1024 * 1024)	/* longest message accepted */
#define CD_QMP_EVENTS_MAX	256		/* events kept (oldest dropped) */

/* ---- framing (pure) ---- */

struct cd_qmp_buf {
	char *data;
	size_t len;
	size_t cap;
};

/** Append n bytes. @return 0 or -ENOMEM */
int cd_qmp_buf_append(struct cd_qmp_buf *b, const void *p, size_t n);

/**
 * Take the next complete line out of the buffer (without its "\n"; a
 * trailing "\r" is dropped too).
 * @param line out: a malloc'd string the caller frees, or NULL when no
 *        complete line is buffered yet
 * @return 0 (line or not), -E2BIG when a line exceeds CD_QMP_LINE_MAX,
 *         -ENOMEM
 */
int cd_qmp_buf_take_line(struct cd_qmp_buf *b, char **line);

void cd_qmp_buf_clear(struct cd_qmp_buf *b);

enum cd_qmp_kind {
	CD_QMP_GREETING,
	CD_QMP_RETURN,
	CD_QMP_ERROR,
	CD_QMP_EVENT,
};

struct cd_qmp_msg {
	enum cd_qmp_kind kind;
	int64_t id;		/* the reply's id, -1 when absent or not ours */
	json_object *value;	/* return value, error object or event data;
				 * borrowed from root, may be NULL for events */
	const char *event;	/* event name (CD_QMP_EVENT) */
	const char *err_class;	/* CD_QMP_ERROR: "GenericError"... */
	const char *err_desc;	/* CD_QMP_ERROR: human text */
	json_object *root;	/* owned; released by cd_qmp_msg_clear */
};

/**
 * Parse one line into a message.
 * @return 0 with *m filled (caller calls cd_qmp_msg_clear), or -EPROTO when
 *         the line is not a JSON object of one of the four kinds
 */
int cd_qmp_msg_parse(const char *line, struct cd_qmp_msg *m);
void cd_qmp_msg_clear(struct cd_qmp_msg *m);

/**
 * Encode a command line {"execute":cmd,"arguments":args,"id":id}\n.
 * @param args borrowed, NULL for none
 * @return malloc'd text (caller frees), or NULL with errno set
 */
char *cd_qmp_encode(const char *cmd, json_object *args, int64_t id,
		    size_t *len);

/* ---- client ---- */

struct cd_qmp;

/**
 * Take over a connected socket: read the greeting, negotiate capabilities.
 * @param fd  owned by the client from now on (closed on failure too)
 * @param err out: the reason on failure
 * @return a client, or NULL with errno (ETIMEDOUT, ECONNRESET, EPROTO...)
 */
struct cd_qmp *cd_qmp_open_fd(int fd, uint32_t timeout_ms, char *err,
			      size_t err_size);

/** Connect to the unix socket at path, then as cd_qmp_open_fd. */
struct cd_qmp *cd_qmp_connect(const char *path, uint32_t timeout_ms,
			      char *err, size_t err_size);

/**
 * Run one command and wait for its reply.
 * @param args    arguments object or NULL; borrowed
 * @param send_fd -1, or an fd passed along with the command (SCM_RIGHTS),
 *                as "getfd" and "add-fd" expect
 * @param ret     NULL, or out: a new reference to the return value
 * @return 0; -EREMOTEIO for an error reply (cd_qmp_last_error says what);
 *         -ETIMEDOUT; -ECONNRESET when QEMU closed the socket; -EPROTO
 */
int cd_qmp_cmd(struct cd_qmp *q, const char *cmd, json_object *args,
	       int send_fd, uint32_t timeout_ms, json_object **ret);

/**
 * "getfd": pass fd to QEMU under fdname (QEMU keeps its own copy; the
 * caller still owns fd). @return as cd_qmp_cmd
 */
int cd_qmp_getfd(struct cd_qmp *q, int fd, const char *fdname, uint32_t timeout_ms);

/** As cd_qmp_cmd with arguments given as a JSON text (NULL for none). */
int cd_qmp_cmdf(struct cd_qmp *q, const char *cmd, const char *args_json,
		uint32_t timeout_ms, json_object **ret);

/**
 * Wait until an event named name has been received (also one received
 * earlier and not yet consumed); consumes it.
 * @param data NULL, or out: a new reference to the event's data (may be NULL)
 * @return 0, -ETIMEDOUT, -ECONNRESET, -EPROTO
 */
int cd_qmp_wait_event(struct cd_qmp *q, const char *name, uint32_t timeout_ms,
		      json_object **data);

/** Last error text: the QMP error description, or what went wrong. */
const char *cd_qmp_last_error(const struct cd_qmp *q);

/** Number of events received and not consumed. */
size_t cd_qmp_pending_events(const struct cd_qmp *q);

/** Close the connection and free the client; NULL is fine. */
void cd_qmp_close(struct cd_qmp *q);

#endif
