/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Serving a mounted /dev/fuse descriptor: reader threads on /dev/fuse (the classic
 * transport) and, when the kernel agrees to it in INIT, FUSE over io_uring: one queue per
 * CPU, served by a thread on that CPU, so a request never waits for a wake-up across CPUs.
 * Kept apart from mounting so that a supervisor can one day hand an open, initialised
 * descriptor to a fresh server. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "fuse_proto.h"

enum pl_transport {
	PL_TRANSPORT_AUTO,  /* io_uring if the kernel offers it, else /dev/fuse */
	PL_TRANSPORT_DEV,   /* /dev/fuse reads and writes only */
	PL_TRANSPORT_URING, /* io_uring, or fail */
};

enum pl_uring_sched {
	PL_URING_SCHED_AUTO,   /* SCHED_IDLE while the daemon has its scheduling group alone */
	PL_URING_SCHED_IDLE,   /* always SCHED_IDLE */
	PL_URING_SCHED_NORMAL, /* never */
};

struct pl_serve_opts {
	enum pl_transport transport;
	unsigned threads;     /* /dev/fuse reader threads */
	unsigned uring_depth; /* requests in flight per CPU queue */
	enum pl_uring_sched uring_sched;
	/* For PL_URING_SCHED_AUTO: 1 when the daemon's scheduling group is its own (why says
	 * what it found), checked every second while io_uring serves. NULL: never. */
	int (*sched_own)(void *arg, char *why, size_t why_size);
	/* Called after the queue threads' policy changed, for the daemon's other threads
	 * that must follow it. NULL: none. */
	void (*sched_follow)(void *arg, bool idle);
	void *sched_own_arg;
};

/* Block the signals pl_fuse_serve waits for (SIGTERM, SIGINT, SIGHUP) and the ones it uses
 * (SIGUSR1, SIGUSR2) in the calling thread; call it before creating any thread, so that
 * every thread inherits the mask. */
int pl_fuse_serve_block_signals(void);

/* Serve until the filesystem is unmounted (0) or SIGTERM, SIGINT or SIGHUP arrives (1);
 * -errno on a failure (-EPROTONOSUPPORT: io_uring asked for but refused). With c->state
 * from a server before, take over where it left (pl_fuse_conn_adopt). */
int pl_fuse_serve(struct pl_fuse_conn *c, const struct pl_serve_opts *opts);

/* A set of serving threads that pl_fuse_serve can wake and join. */
struct pl_threads {
	pthread_mutex_t lock;
	pthread_t *tid;
	size_t n, cap;
};

int pl_threads_add(struct pl_threads *t, void *(*fn)(void *), void *arg);
/* Every serving thread calls this first: it can then be woken to see `stop`. */
void pl_fuse_serve_thread_init(void);
/* End serving (a thread saw the mount go away, or a fatal error): sets c->stop and wakes
 * the serving loop. */
void pl_fuse_serve_end(struct pl_fuse_conn *c);
/* CLOCK_REALTIME `ms` from now, for timed waits. */
void pl_fuse_realtime_after_ms(struct timespec *until, unsigned ms);

/* FUSE over io_uring (fuse_uring.c). */
struct pl_fuse_uring;
/* Before the INIT reply: rings, buffers and one thread per online CPU (added to `threads`),
 * waiting. Only if this succeeds may the reply take io_uring: from then on the kernel holds
 * every request until each CPU's queue has an entry. On failure *out may still hold threads
 * to stop and free. */
int pl_fuse_uring_prepare(struct pl_fuse_conn *c, unsigned depth, struct pl_threads *threads,
			  struct pl_fuse_uring **out);
/* After the INIT reply: the threads register `depth` entries on their queues and serve. */
void pl_fuse_uring_go(struct pl_fuse_uring *u);
/* The queue threads' policy: SCHED_IDLE (idle true) or normal. A reader woken by a reply
 * then stays on its CPU, where the serving thread still runs, instead of moving to another
 * (idle) CPU and waking that one for its next request; but SCHED_IDLE threads get almost
 * no CPU beside a busy task of their own scheduling group, so only while the daemon has
 * that group to itself (schedgroup.h). -EAGAIN until every thread runs (and then none is
 * changed). The caller keeps what it last set. */
int pl_fuse_uring_set_idle(struct pl_fuse_uring *u, bool idle);
/* After every thread is joined. */
void pl_fuse_uring_free(struct pl_fuse_uring *u);
