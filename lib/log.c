/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "proclens/log.h"

static const char *log_ident = "proclens";
static enum pl_log_target log_target = PL_LOG_STDERR;
static bool log_debug;

void pl_log_setup(const char *ident, enum pl_log_target target, bool debug)
{
	log_ident = ident;
	log_target = target;
	log_debug = debug;
	if (target == PL_LOG_SYSLOG)
		openlog(ident, LOG_PID | LOG_CONS, LOG_DAEMON);
}

bool pl_log_debug_enabled(void)
{
	return log_debug;
}

static void vlog(int prio, const char *fmt, va_list ap)
{
	if (log_target == PL_LOG_SYSLOG) {
		vsyslog(prio, fmt, ap);
		return;
	}
	/* One fprintf per line keeps lines from concurrent threads whole. */
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s\n", log_ident, line);
}

#define DEFINE_LOG(name, prio, guard)                                                      \
	void name(const char *fmt, ...)                                                    \
	{                                                                                  \
		va_list ap;                                                                \
		if (!(guard))                                                              \
			return;                                                            \
		va_start(ap, fmt);                                                         \
		vlog(prio, fmt, ap);                                                       \
		va_end(ap);                                                                \
	}

DEFINE_LOG(pl_log_err, LOG_ERR, true)
DEFINE_LOG(pl_log_warn, LOG_WARNING, true)
DEFINE_LOG(pl_log_info, LOG_INFO, true)
DEFINE_LOG(pl_log_debug, LOG_DEBUG, log_debug)
