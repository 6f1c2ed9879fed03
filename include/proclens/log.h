/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging for the daemon and the launcher: stderr (foreground, tools) or syslog (daemon). */

#include <stdbool.h>

enum pl_log_target { PL_LOG_STDERR, PL_LOG_SYSLOG };

void pl_log_setup(const char *ident, enum pl_log_target target, bool debug);
bool pl_log_debug_enabled(void);

void pl_log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pl_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pl_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pl_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
