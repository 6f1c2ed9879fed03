/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Scope-bound cleanup, so error paths cannot leak fds or memory. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void pl_freep(void *p)
{
	free(*(void **)p);
}

/* close() keeps errno: a cleanup must not clobber the error being returned. */
static inline void pl_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void pl_fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

static inline void pl_closedirp(DIR **d)
{
	if (*d) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(pl_freep)
#define _cleanup_close_ _cleanup_(pl_closep)
#define _cleanup_fclose_ _cleanup_(pl_fclosep)
#define _cleanup_closedir_ _cleanup_(pl_closedirp)

/* Hand ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		__typeof__(p) _taken = (p);                                    \
		(p) = NULL;                                                    \
		_taken;                                                        \
	})

#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int _taken = (fd);                                             \
		(fd) = -1;                                                     \
		_taken;                                                        \
	})

#define PL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PL_MAX(a, b) ((a) > (b) ? (a) : (b))
