/*
 * qemu-link.c - the qemu plugin's TCP connections to the target
 * (qemu-ops.h "Links"): the source connects the migration stream and the
 * disk copies' NBD connections itself and hands them to QEMU with getfd,
 * so each has a bound on silence that QEMU 7.2 does not give its own
 * sockets (TCP_USER_TIMEOUT and keep-alive).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "hypervisor.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "qmp.h"
#include "timeutil.h"

#define LINK_CONNECT_MS	10000	/* one connect() */
#define LINK_IDLE_S	5	/* keep-alive: first probe after 5 s idle, */
#define LINK_INTVL_S	2	/* then every 2 s (TCP_USER_TIMEOUT ends it) */
#define LINK_CNT	5

int
cd_qemu_link_endpoint(struct cd_hv_vm *vm, const char *ep, char *host, size_t hsize,
		      char *port, size_t psize)
{
	const char *colon = strrchr(ep, ':');
	size_t n;

	if (!colon || !colon[1] || colon == ep)
		return cd_qemu_fail(vm, -EINVAL, "bad endpoint '%s' (HOST:PORT)", ep);
	n = (size_t)(colon - ep);
	if (ep[0] == '[' && n >= 2 && ep[n - 1] == ']')
		snprintf(host, hsize, "%.*s", (int)(n - 2), ep + 1);
	else
		snprintf(host, hsize, "%.*s", (int)n, ep);
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

/* One connect attempt to ai within ms: the connected, blocking fd, else
 * -errno. */
static int
connect_one(const struct addrinfo *ai, uint32_t ms)
{
	struct pollfd p = { .events = POLLOUT };
	socklen_t len = sizeof(int);
	int fd, err = 0, fl;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
		} else {
			p.fd = fd;
			if (poll(&p, 1, (int)ms) <= 0)
				err = -ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = -errno;
			else
				err = -err;
		}
	}
	if (!err && ((fl = fcntl(fd, F_GETFL)) < 0 ||
		     fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int
cd_qemu_link_connect(struct cd_hv_vm *vm, const char *host, const char *port,
		     uint64_t deadline)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	unsigned int silence = CD_QEMU_LINK_SILENCE_MS;
	int fd = -EHOSTUNREACH, one = 1, idle = LINK_IDLE_S, intvl = LINK_INTVL_S;
	int cnt = LINK_CNT, g;
	struct addrinfo *res, *ai;

	if ((g = getaddrinfo(host, port, &hints, &res)))
		return cd_qemu_fail(vm, -EHOSTUNREACH, "%s port %s: %s", host, port,
				    gai_strerror(g));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_one(ai, cd_qemu_min_ms(cd_qemu_left_ms(deadline), LINK_CONNECT_MS));
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return cd_qemu_fail(vm, fd, "cannot connect to %s port %s: %s", host, port,
				    strerror(-fd));
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &silence, sizeof(silence)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		g = cd_qemu_fail(vm, -errno, "%s port %s: socket options: %s", host, port,
				 strerror(errno));
		close(fd);
		return g;
	}
	return fd;
}

/* A connection to host:port handed to QEMU under fdname; this process's
 * copy stays open in *keep (keep non-NULL) or is closed. */
static int
connect_give(struct cd_hv_vm *vm, struct cd_qmp *q, const char *host, const char *port,
	     const char *fdname, uint64_t deadline, int *keep)
{
	int fd, rc;

	if ((fd = cd_qemu_link_connect(vm, host, port, deadline)) < 0)
		return fd;
	rc = cd_qmp_getfd(q, fd, fdname, QMP_TIMEOUT_MS);
	if (keep && !rc)
		*keep = fd;
	else
		close(fd);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}

int
cd_qemu_link_getfd(struct cd_hv_vm *vm, struct cd_qmp *q, const char *host,
		   const char *port, const char *fdname, uint64_t deadline)
{
	return connect_give(vm, q, host, port, fdname, deadline, NULL);
}

int
cd_qemu_link_uri(struct cd_hv_vm *vm, struct cd_qmp *q, const char *uri, char *out,
		 size_t out_size, uint64_t deadline, int *keep)
{
	char host[256], port[16];
	int rc;

	if (keep)
		*keep = -1;
	if (strncmp(uri, "tcp:", 4) != 0) {	/* exec:, unix:, fd: as they are */
		snprintf(out, out_size, "%s", uri);
		return 0;
	}
	if ((rc = cd_qemu_link_endpoint(vm, uri + 4, host, sizeof(host), port, sizeof(port))) ||
	    (rc = connect_give(vm, q, host, port, CD_QEMU_LINK_MIG_FD, deadline, keep)))
		return rc;
	snprintf(out, out_size, "fd:%s", CD_QEMU_LINK_MIG_FD);
	return 0;
}

void
cd_qemu_link_relax(struct cd_hv_vm *vm, int fd)
{
	unsigned int off = 0;
	int no = 0;

	if (fd < 0)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &off, sizeof(off)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &no, sizeof(no)) < 0)
		cd_qemu_log(vm, "post-copy: cannot lift the link's silence bound: %s",
			    strerror(errno));
	else
		cd_qemu_log(vm, "post-copy: the migration link waits for TCP now, not "
			    "%u s of silence (the guest runs on the target)",
			    CD_QEMU_LINK_SILENCE_MS / 1000);
}
