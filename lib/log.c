/*
 * log.c - qb_log set-up for clusterd's daemons.
 */
#include "log.h"

#include <stdio.h>
#include <unistd.h>

static const char *log_name = "clusterd";

void
cd_log_init(const char *name, bool to_stderr, bool debug)
{
	int live_level = debug ? LOG_DEBUG : LOG_INFO;

	log_name = name;
	qb_log_init(name, LOG_DAEMON, LOG_INFO);
	qb_log_format_set(QB_LOG_SYSLOG, "%b");
	qb_log_format_set(QB_LOG_STDERR, "%T %N[%P] %p: %b");

	if (to_stderr) {
		qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD,
				  QB_LOG_FILTER_FILE, "*", live_level);
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	} else {
		qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_REMOVE,
				  QB_LOG_FILTER_FILE, "*", LOG_TRACE);
		qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD,
				  QB_LOG_FILTER_FILE, "*", live_level);
	}

	/* The blackbox keeps everything down to debug for post-mortems. */
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_SIZE, 1024 * 1024);
	qb_log_filter_ctl(QB_LOG_BLACKBOX, QB_LOG_FILTER_ADD,
			  QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_TRUE);
}

void
cd_log_blackbox_dump(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s-%d.blackbox", dir, log_name,
		 (int)getpid());
	qb_log_blackbox_write_to_file(path);
}

void
cd_log_fini(void)
{
	qb_log_fini();
}
