/*
 * qwatch.c - baseline for bench/membership: a bare votequorum client that
 * prints, one JSON line each, every quorum and ring callback corosync
 * delivers, stamped with CLOCK_MONOTONIC at arrival. No clusterd code is
 * involved, so (clusterd's report time - qwatch's time) is clusterd's own
 * added delay.
 *
 *   qwatch          watch until killed; first line {"ready":true,...}
 *   qwatch now      print the monotonic clock in ns and exit
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <corosync/votequorum.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
on_quorum(votequorum_handle_t h, uint64_t ctx, uint32_t quorate,
	  uint32_t n, votequorum_node_t nodes[])
{
	uint64_t t = now_ns();
	uint32_t i, members = 0;

	for (i = 0; i < n; i++) {
		if (nodes[i].nodeid != 0 && nodes[i].state == VOTEQUORUM_NODESTATE_MEMBER)
			members++;
	}
	printf("{\"cb\":\"quorum\",\"t\":%" PRIu64 ",\"quorate\":%s,\"members\":%" PRIu32 "}\n",
	       t, quorate ? "true" : "false", members);
	fflush(stdout);
}

static void
on_nodelist(votequorum_handle_t h, uint64_t ctx, votequorum_ring_id_t ring,
	    uint32_t n, uint32_t ids[])
{
	uint64_t t = now_ns();

	printf("{\"cb\":\"ring\",\"t\":%" PRIu64 ",\"ring\":\"%" PRIu32 ".%" PRIx64
	       "\",\"members\":%" PRIu32 "}\n", t, ring.nodeid, ring.seq, n);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	votequorum_callbacks_t cbs = {
		.votequorum_quorum_notify_fn = on_quorum,
		.votequorum_nodelist_notify_fn = on_nodelist,
	};
	votequorum_handle_t h;
	struct pollfd pfd;
	cs_error_t err;
	int fd;

	if (argc == 2 && strcmp(argv[1], "now") == 0) {
		printf("%" PRIu64 "\n", now_ns());
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: qwatch [now]\n");
		return 2;
	}
	err = votequorum_initialize(&h, &cbs);
	if (err != CS_OK) {
		fprintf(stderr, "qwatch: votequorum_initialize: %d\n", err);
		return 1;
	}
	votequorum_trackstart(h, 0, CS_TRACK_CURRENT | CS_TRACK_CHANGES);
	votequorum_fd_get(h, &fd);
	printf("{\"ready\":true,\"t\":%" PRIu64 "}\n", now_ns());
	fflush(stdout);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd.revents & (POLLHUP | POLLERR))
			break;
		err = votequorum_dispatch(h, CS_DISPATCH_ALL);
		if (err != CS_OK && err != CS_ERR_TRY_AGAIN)
			break;
	}
	votequorum_finalize(h);
	return 0;
}
