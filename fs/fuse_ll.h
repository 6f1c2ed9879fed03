/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The libfuse low-level transport: maps FUSE requests onto fs.h. */

#include <stdbool.h>

struct fuse_session;
struct fuse_args;
struct pl_fs;

struct pl_serve_opts {
	bool single_thread;
	bool clone_fd;
	unsigned max_idle_threads;
};

struct fuse_session *pl_fuse_session_new(struct fuse_args *args, struct pl_fs *fs);
/* Serve until unmounted or signalled. Kept apart from mounting so that a supervisor can
 * one day hand an already-open /dev/fuse session to a fresh server. */
int pl_fuse_serve(struct fuse_session *se, const struct pl_serve_opts *opts);
