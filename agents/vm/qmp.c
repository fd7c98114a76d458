/*
 * qmp.c - QMP client (see qmp.h).
 */
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "timeutil.h"

struct cd_qmp {
	int fd;
	int64_t next_id;
	struct cd_qmp_buf in;
	json_object *events;	/* array of pending {"event","data"} roots */
	char error[256];
};

/* ---- framing ---- */

int
cd_qmp_buf_append(struct cd_qmp_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *nd;

		while (cap < b->len + n + 1)
			cap *= 2;
		nd = realloc(b->data, cap);
		if (!nd)
			return -ENOMEM;
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
cd_qmp_buf_take_line(struct cd_qmp_buf *b, char **line)
{
	char *nl;
	size_t n, rest;

	*line = NULL;
	if (!b->len)
		return 0;
	nl = memchr(b->data, '\n', b->len);
	if (!nl)
		return b->len > CD_QMP_LINE_MAX ? -E2BIG : 0;
	n = (size_t)(nl - b->data);
	if (n > CD_QMP_LINE_MAX)
		return -E2BIG;
	*line = malloc(n + 1);
	if (!*line)
		return -ENOMEM;
	memcpy(*line, b->data, n);
	(*line)[n] = '\0';
	if (n && (*line)[n - 1] == '\r')
		(*line)[n - 1] = '\0';
	rest = b->len - n - 1;
	memmove(b->data, nl + 1, rest);
	b->len = rest;
	b->data[b->len] = '\0';
	return 0;
}

void
cd_qmp_buf_clear(struct cd_qmp_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- messages ---- */

int
cd_qmp_msg_parse(const char *line, struct cd_qmp_msg *m)
{
	json_object *root, *v;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	root = json_tokener_parse(line);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -EPROTO;
	}
	m->root = root;
	if (json_object_object_get_ex(root, "id", &v) &&
	    json_object_is_type(v, json_type_int))
		m->id = json_object_get_int64(v);
	if (json_object_object_get_ex(root, "return", &m->value)) {
		m->kind = CD_QMP_RETURN;
	} else if (json_object_object_get_ex(root, "error", &m->value)) {
		m->kind = CD_QMP_ERROR;
		if (!json_object_is_type(m->value, json_type_object))
			goto bad;
		if (json_object_object_get_ex(m->value, "class", &v))
			m->err_class = json_object_get_string(v);
		if (json_object_object_get_ex(m->value, "desc", &v))
			m->err_desc = json_object_get_string(v);
		if (!m->err_class)
			m->err_class = "GenericError";
		if (!m->err_desc)
			m->err_desc = "(no description)";
	} else if (json_object_object_get_ex(root, "event", &v)) {
		if (!json_object_is_type(v, json_type_string))
			goto bad;
		m->kind = CD_QMP_EVENT;
		m->event = json_object_get_string(v);
		json_object_object_get_ex(root, "data", &m->value);
	} else if (json_object_object_get_ex(root, "QMP", &m->value)) {
		m->kind = CD_QMP_GREETING;
	} else {
		goto bad;
	}
	return 0;
bad:
	cd_qmp_msg_clear(m);
	m->id = -1;
	return -EPROTO;
}

void
cd_qmp_msg_clear(struct cd_qmp_msg *m)
{
	json_object_put(m->root);
	memset(m, 0, sizeof(*m));
}

char *
cd_qmp_encode(const char *cmd, json_object *args, int64_t id, size_t *len)
{
	json_object *o;
	const char *s;
	char *out = NULL;
	size_t n;

	o = json_object_new_object();
	if (!o) {
		errno = ENOMEM;
		return NULL;
	}
	if (json_object_object_add(o, "execute", json_object_new_string(cmd)) ||
	    (args && json_object_object_add(o, "arguments", json_object_get(args))) ||
	    json_object_object_add(o, "id", json_object_new_int64(id)))
		goto out;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = strlen(s);
	out = malloc(n + 2);
	if (!out)
		goto out;
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	if (len)
		*len = n + 1;
out:
	json_object_put(o);
	if (!out)
		errno = ENOMEM;
	return out;
}

/* ---- client I/O ---- */

static void __attribute__((format(printf, 2, 3)))
set_error(struct cd_qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->error, sizeof(q->error), fmt, ap);
	va_end(ap);
}

static int
remaining_ms(uint64_t deadline)
{
	uint64_t now = cd_now_mono_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Wait for fd to be ready for events until deadline. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int rc;

	for (;;) {
		rc = poll(&p, 1, remaining_ms(deadline));
		if (rc > 0)
			return 0;
		if (rc == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int
send_all(struct cd_qmp *q, const char *buf, size_t len, int send_fd,
	 uint64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	bool fd_sent = send_fd < 0;
	ssize_t n;
	int rc;

	while (len) {
		struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

		if (!fd_sent) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &send_fd, sizeof(int));
		}
		n = sendmsg(q->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if ((rc = wait_fd(q->fd, POLLOUT, deadline)))
					return rc;
				continue;
			}
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		fd_sent = true;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until one complete message is parsed into *m. */
static int
read_msg(struct cd_qmp *q, uint64_t deadline, struct cd_qmp_msg *m)
{
	char chunk[8192];
	char *line;
	ssize_t n;
	int rc;

	for (;;) {
		rc = cd_qmp_buf_take_line(&q->in, &line);
		if (rc) {
			set_error(q, "%s", "QMP message too long");
			return rc == -E2BIG ? -EPROTO : rc;
		}
		if (line) {
			if (!line[0] || strspn(line, " \t") == strlen(line)) {
				free(line);
				continue;
			}
			rc = cd_qmp_msg_parse(line, m);
			if (rc)
				set_error(q, "malformed QMP message: %.120s", line);
			free(line);
			return rc;
		}
		if ((rc = wait_fd(q->fd, POLLIN, deadline))) {
			if (rc == -ETIMEDOUT)
				set_error(q, "%s", "no answer from QEMU before the deadline");
			return rc;
		}
		n = read(q->fd, chunk, sizeof(chunk));
		if (n == 0) {
			set_error(q, "%s", "QEMU closed the QMP connection");
			return -ECONNRESET;
		}
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			rc = -errno;
			set_error(q, "QMP read: %s", strerror(-rc));
			return rc == -EPIPE ? -ECONNRESET : rc;
		}
		if ((rc = cd_qmp_buf_append(&q->in, chunk, (size_t)n)))
			return rc;
	}
}

static void
record_event(struct cd_qmp *q, struct cd_qmp_msg *m)
{
	if (json_object_array_length(q->events) >= CD_QMP_EVENTS_MAX)
		json_object_array_del_idx(q->events, 0, 1);
	json_object_array_add(q->events, json_object_get(m->root));
}

int
cd_qmp_cmd(struct cd_qmp *q, const char *cmd, json_object *args, int send_fd,
	   uint32_t timeout_ms, json_object **ret)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	struct cd_qmp_msg m;
	int64_t id = q->next_id++;
	size_t len;
	char *line;
	int rc;

	if (ret)
		*ret = NULL;
	line = cd_qmp_encode(cmd, args, id, &len);
	if (!line)
		return -errno;
	rc = send_all(q, line, len, send_fd, deadline);
	free(line);
	if (rc) {
		set_error(q, "QMP send: %s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if ((rc = read_msg(q, deadline, &m)))
			return rc;
		if (m.kind == CD_QMP_EVENT) {
			record_event(q, &m);
		} else if (m.kind == CD_QMP_GREETING || (m.id != -1 && m.id != id)) {
			/* a stale reply of an earlier, timed-out command */
		} else if (m.kind == CD_QMP_ERROR) {
			snprintf(q->error, sizeof(q->error), "%s: %s", cmd, m.err_desc);
			cd_qmp_msg_clear(&m);
			return -EREMOTEIO;
		} else {
			if (ret)
				*ret = json_object_get(m.value);
			cd_qmp_msg_clear(&m);
			return 0;
		}
		cd_qmp_msg_clear(&m);
	}
}

int
cd_qmp_cmdf(struct cd_qmp *q, const char *cmd, const char *args_json,
	    uint32_t timeout_ms, json_object **ret)
{
	json_object *args = NULL;
	int rc;

	if (args_json) {
		args = json_tokener_parse(args_json);
		if (!args) {
			set_error(q, "bad arguments for %s", cmd);
			return -EINVAL;
		}
	}
	rc = cd_qmp_cmd(q, cmd, args, -1, timeout_ms, ret);
	json_object_put(args);
	return rc;
}

int
cd_qmp_getfd(struct cd_qmp *q, int fd, const char *fdname, uint32_t timeout_ms)
{
	json_object *args = json_object_new_object();
	int rc;

	json_object_object_add(args, "fdname", json_object_new_string(fdname));
	rc = cd_qmp_cmd(q, "getfd", args, fd, timeout_ms, NULL);
	json_object_put(args);
	return rc;
}

/* Take the first pending event named name; 1 if found. */
static int
take_event(struct cd_qmp *q, const char *name, json_object **data)
{
	size_t i, n = json_object_array_length(q->events);
	json_object *e, *v;

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(q->events, i);
		if (!json_object_object_get_ex(e, "event", &v) ||
		    strcmp(json_object_get_string(v), name) != 0)
			continue;
		if (data) {
			*data = json_object_object_get_ex(e, "data", &v) ?
				json_object_get(v) : NULL;
		}
		json_object_array_del_idx(q->events, i, 1);
		return 1;
	}
	return 0;
}

int
cd_qmp_wait_event(struct cd_qmp *q, const char *name, uint32_t timeout_ms,
		  json_object **data)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	struct cd_qmp_msg m;
	int rc;

	if (data)
		*data = NULL;
	for (;;) {
		if (take_event(q, name, data))
			return 0;
		if ((rc = read_msg(q, deadline, &m)))
			return rc;
		if (m.kind == CD_QMP_EVENT)
			record_event(q, &m);
		cd_qmp_msg_clear(&m);
	}
}

const char *
cd_qmp_last_error(const struct cd_qmp *q)
{
	return q->error[0] ? q->error : "no error";
}

size_t
cd_qmp_pending_events(const struct cd_qmp *q)
{
	return json_object_array_length(q->events);
}

struct cd_qmp *
cd_qmp_open_fd(int fd, uint32_t timeout_ms, char *err, size_t err_size)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	struct cd_qmp *q;
	struct cd_qmp_msg m;
	int rc, flags;

	q = calloc(1, sizeof(*q));
	if (!q || !(q->events = json_object_new_array())) {
		free(q);
		close(fd);
		snprintf(err, err_size, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	q->fd = fd;
	q->next_id = 1;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		rc = -errno;
		set_error(q, "fcntl: %s", strerror(-rc));
		goto fail;
	}
	rc = read_msg(q, deadline, &m);
	if (rc)
		goto fail;
	if (m.kind != CD_QMP_GREETING) {
		cd_qmp_msg_clear(&m);
		set_error(q, "%s", "QMP server did not greet");
		rc = -EPROTO;
		goto fail;
	}
	cd_qmp_msg_clear(&m);
	rc = cd_qmp_cmd(q, "qmp_capabilities", NULL, -1,
			(uint32_t)remaining_ms(deadline), NULL);
	if (rc)
		goto fail;
	return q;
fail:
	snprintf(err, err_size, "%s", q->error[0] ? q->error : strerror(-rc));
	cd_qmp_close(q);
	errno = -rc;
	return NULL;
}

struct cd_qmp *
cd_qmp_connect(const char *path, uint32_t timeout_ms, char *err,
	       size_t err_size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, saved;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, err_size, "%s: path too long for a socket", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		saved = errno;
		snprintf(err, err_size, "socket: %s", strerror(saved));
		errno = saved;
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		saved = errno;
		snprintf(err, err_size, "connect %s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return NULL;
	}
	return cd_qmp_open_fd(fd, timeout_ms, err, err_size);
}

void
cd_qmp_close(struct cd_qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	cd_qmp_buf_clear(&q->in);
	json_object_put(q->events);
	free(q);
}
