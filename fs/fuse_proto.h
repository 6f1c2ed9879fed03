/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The FUSE protocol, spoken by proclensfs itself: requests decoded onto fs.h, replies
 * encoded for whichever transport carries them (/dev/fuse reads and writes, or FUSE over
 * io_uring). libfuse only mounts; it could not negotiate io_uring (3.14 predates it). */

#include <linux/fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs.h"

/* Linux 6.14's additions, absent from Debian 12's 6.1 headers. */
#ifndef FUSE_OVER_IO_URING
#define FUSE_OVER_IO_URING (1ULL << 41)
#endif
#ifndef FUSE_INIT_EXT
#define FUSE_INIT_EXT (1 << 30)
#endif

/* Our largest READ or READDIR reply: the kernel asks for at most max_pages pages. */
#define PL_FUSE_MAX_PAGES 32
#define PL_FUSE_MAX_PAYLOAD (PL_FUSE_MAX_PAGES * 4096)
/* We never accept writes, but the kernel sizes WRITE requests by max_write. */
#define PL_FUSE_MAX_WRITE 4096

struct pl_mountstate;
struct pl_foreign_file;

struct pl_fuse_conn {
	struct pl_fs *fs;
	int fd;               /* /dev/fuse */
	/* Kept across servers (mountstate.h): the INIT outcome goes there before its reply.
	 * NULL: this server is the mount's only one. */
	struct pl_mountstate *state;
	/* Tags our file handles (their top bits), so that a handle an earlier server gave
	 * out is known for what it is: 0 without a state. */
	unsigned generation;
	pthread_mutex_t foreign_lock;
	struct pl_foreign_file *foreign; /* earlier servers' open files, as we serve them */
	/* For the tests of taking over: the mount's first server dies on its first READ,
	 * before answering it (PROCLENSFS_TEST_ABORT=first-read). */
	bool test_abort_first_read;
	bool debug;           /* log every request */
	bool offer_uring;     /* ask the kernel for FUSE over io_uring in INIT */
	atomic_bool uring;    /* the kernel agreed */
	atomic_bool inited;   /* INIT answered */
	uint32_t minor;       /* the protocol minor both sides speak */
	atomic_bool stop;     /* set by the owner to end every serving thread */
};

/* One request's reply. Small fixed replies live in `fixed`; data replies point into a
 * slice of a rendered file (no copy) or an owned buffer. */
struct pl_fuse_reply {
	bool none;            /* this request has no reply (FORGET, INTERRUPT) */
	int error;            /* positive errno, or 0 */
	const void *data;
	size_t len;
	union {
		struct fuse_entry_out entry;
		struct fuse_attr_out attr;
		struct fuse_open_out open;
		struct fuse_init_out init;
		struct fuse_statfs_out statfs;
	} fixed;
	struct pl_fs_slice slice;
	bool has_slice;
	char *owned;
};

/* Handle one request. `arg` holds the request's arguments after the header, contiguous,
 * `arglen` bytes of them. The reply must be sent (or not, if rep->none) and then released
 * with pl_fuse_reply_done, saying whether the kernel took it (an interrupted request's
 * reply is refused). */
void pl_fuse_handle(struct pl_fuse_conn *c, const struct fuse_in_header *in, const void *arg, size_t arglen,
		    struct pl_fuse_reply *rep);
void pl_fuse_reply_done(struct pl_fuse_conn *c, const struct fuse_in_header *in, struct pl_fuse_reply *rep,
			bool delivered);

/* A server taking over a mount: take the INIT outcome from c->state (true when there was
 * one: the kernel will not send INIT again) and this server's generation. */
bool pl_fuse_conn_adopt(struct pl_fuse_conn *c);
/* Ask the kernel to send again the requests an earlier server read and never answered
 * (Linux 6.9+). -errno when it cannot. */
int pl_fuse_notify_resend(struct pl_fuse_conn *c);
/* Release the earlier servers' open files still held (at the end of serving). */
void pl_fuse_conn_free_foreign(struct pl_fuse_conn *c);

/* The opcode's name, for logs. */
const char *pl_fuse_opname(uint32_t opcode);
