/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One line per failure: what failed, on what, and the kernel's reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "launcher.h"

int pl_errf(struct pl_err *e, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r >= 0)
		r = -EINVAL;
	e->err = -r;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(-r));
	return r;
}

int pl_usagef(struct pl_err *e, const char *fmt, ...)
{
	va_list ap;

	e->err = EINVAL;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}
