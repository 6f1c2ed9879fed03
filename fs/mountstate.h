/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a mount must remember across servers. The keeper (keeper.c) holds /dev/fuse for the
 * life of the mount and runs the server as its child; when a server crashes, is killed or is
 * replaced by a newer binary, the next one takes the same descriptor and carries on, and
 * the kernel must not notice. It knows the connection by what earlier servers told it: the
 * INIT answer, and the inode number of every name it has looked up (containers bind single
 * files, so an inode number lives as long as the bind). Both are kept here, in a memfd the
 * keeper creates and every server maps:
 *
 * - a header: the INIT outcome and a counter of servers (the generation, which tags file
 *   handles so that a server knows the ones it did not make);
 * - a log of records, appended before the reply that makes a number known goes out, and
 *   replayed by the next server: "static node at path P has inode I", "mirror node number N
 *   is host path H". A newer binary with other files keeps the old numbers of the paths it
 *   still has and appends the new ones.
 *
 * The log is written by one thread at a time (the caller holds a lock) and published by
 * storing its length last, so a server killed mid-append leaves the previous state. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_MOUNTSTATE_ENV "PROCLENSFS_SERVE" /* "FUSE_FD,STATE_FD": a server of a keeper */

enum pl_ms_kind {
	PL_MS_STATIC = 1, /* a: inode, text: the node's path ("proc/meminfo", "" for the root) */
	PL_MS_MIRROR = 2, /* a: mode type bits, b: spec index, text: host_rel */
};

struct pl_ms_record {
	uint32_t len; /* of the whole record, a multiple of 8 */
	uint32_t kind;
	uint64_t a, b;
	char text[]; /* NUL-terminated */
};

struct pl_ms_init {
	uint32_t done;	/* INIT answered: the kernel will not send another */
	uint32_t minor; /* the protocol minor agreed */
	uint32_t uring; /* FUSE over io_uring agreed */
};

struct pl_mountstate;

/* The keeper: a new, empty state file (a memfd, close-on-exec). */
int pl_mountstate_create(void);
/* A server: map the state file fd. */
int pl_mountstate_open(int fd, struct pl_mountstate **out);
void pl_mountstate_close(struct pl_mountstate *ms);

/* This server's generation: 1, 2, ... (wrapping within 15 bits, never 0). */
unsigned pl_mountstate_next_generation(struct pl_mountstate *ms);

void pl_mountstate_get_init(const struct pl_mountstate *ms, struct pl_ms_init *out);
void pl_mountstate_set_init(struct pl_mountstate *ms, const struct pl_ms_init *in);

/* Append a record (copied); -ENOSPC when the file is full. */
int pl_mountstate_append(struct pl_mountstate *ms, enum pl_ms_kind kind, uint64_t a, uint64_t b,
			 const char *text);
/* The records in order: fn's non-zero return stops the walk and is returned. */
int pl_mountstate_each(const struct pl_mountstate *ms, int (*fn)(void *ctx, const struct pl_ms_record *rec),
		       void *ctx);
