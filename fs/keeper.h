/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The keeper: the process that mounted. It holds the /dev/fuse descriptor and the mount's
 * state (mountstate.h) for as long as the mount lives, and runs the server, a child
 * executing this same program, which serves the descriptor it inherits. When the server
 * dies (a crash, SIGKILL, the OOM killer) the keeper starts another, which takes over the
 * connection: readers wait a moment instead of failing with ENOTCONN, as they would if the
 * last holder of the descriptor went away. SIGHUP replaces the server by the program now
 * at the path it was started from: an upgrade without unmounting. SIGTERM or SIGINT stop
 * the server and end the mount. The keeper does nothing else, so there is little in it to
 * crash. */

#include <stdbool.h>

/* How a server's exit tells the keeper what happened. */
enum {
	PL_SERVER_EXIT_UNMOUNTED = 0, /* the mount went away: the keeper ends too */
	PL_SERVER_EXIT_FAILED = 1,    /* a failure a new server may not have: start one */
	PL_SERVER_EXIT_FATAL = 2,     /* the same would happen again (io_uring refused) */
	PL_SERVER_EXIT_STOPPED = 3,   /* a signal stopped it */
};

struct pl_keeper {
	char **argv;  /* the server is started with these arguments */
	int fuse_fd;  /* /dev/fuse, mounted */
	int state_fd; /* pl_mountstate_create */
};

/* Run servers until the mount ends. The signals it waits for (SIGTERM, SIGINT, SIGHUP,
 * SIGCHLD) must be blocked. The exit status for the program: 0 when stopped or unmounted,
 * 1 when a server failed in a way no restart helps. The caller unmounts. */
int pl_keeper_run(const struct pl_keeper *k);
