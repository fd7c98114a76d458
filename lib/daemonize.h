/*
 * daemonize.h - detach a daemon from its terminal (clusterd, clusterd-guard).
 */
#ifndef CLUSTERD_DAEMONIZE_H
#define CLUSTERD_DAEMONIZE_H

/**
 * Fork twice (the parent and the intermediate child _exit(0)), start a new
 * session, chdir("/"), and put /dev/null on stdin, stdout and stderr.
 * Call before any thread or loop exists.
 * @return 0 in the daemon, or -errno (then still in the caller's process)
 */
int cd_daemonize(void);

#endif
