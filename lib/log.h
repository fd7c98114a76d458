/*
 * log.h - clusterd's logging macros over libqb's qb_log.
 *
 * Levels mean:
 *   cd_err    something failed and the daemon could not do what it should;
 *   cd_warn   something unexpected that the daemon handled (peer garbage,
 *             a retried connection);
 *   cd_notice a state change an administrator wants in the log (membership,
 *             quorum, leader);
 *   cd_info   routine operations;
 *   cd_debug  detail for developers (always kept in the blackbox).
 * Every line names its object: "node n2: ...", "ipc client 1234: ...".
 */
#ifndef CLUSTERD_LOG_H
#define CLUSTERD_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <qb/qblog.h>

#define cd_err(fmt, ...)    qb_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define cd_warn(fmt, ...)   qb_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define cd_notice(fmt, ...) qb_log(LOG_NOTICE, fmt, ##__VA_ARGS__)
#define cd_info(fmt, ...)   qb_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define cd_debug(fmt, ...)  qb_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

/**
 * Set up logging for a daemon.
 * @param name     program name used in syslog and the blackbox file name
 * @param to_stderr true: log to stderr (foreground); false: log to syslog
 * @param debug    true: debug level on the live target too
 * The blackbox (in-memory flight recorder, all levels) is always on;
 * cd_log_blackbox_dump() writes it out.
 */
void cd_log_init(const char *name, bool to_stderr, bool debug);

/** Write the blackbox to DIR/NAME-PID.blackbox (crash handler safe enough). */
void cd_log_blackbox_dump(const char *dir);

/** Flush and release logging; call last. */
void cd_log_fini(void);

#endif
