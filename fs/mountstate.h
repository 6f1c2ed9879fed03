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
 * - memos: per container, what the views remember between reads (the `stat` counters last
 *   shown, which never go backwards, and the load average's history), rewritten in place
 *   when they change, so that a new server carries on where the old one stopped.
 *
 * The log is written by one thread at a time (the caller holds a lock) and published by
 * storing its length last, so a server killed mid-append leaves the previous state. A memo
 * slot has a sequence count, odd while it is written: one a server was killed writing is
 * ignored (its container starts afresh, as it would without a memo). */

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

/* ---- memos ---- */
#define PL_MS_MEMO_CPUS 336 /* per-CPU counters kept; a container seeing more keeps its load only */

struct pl_ms_memo {
	/* which container: the key and start of containers.c */
	uint64_t key;
	uint64_t init_start_ns;
	uint32_t own_ns;
	/* the stat history: ncpu entries of user, system and idle, 0: none */
	uint32_t ncpu;
	/* the load average (struct pl_loadavg) */
	uint64_t loadavg[3];
	uint64_t loadavg_last_ns;
	uint32_t loadavg_sampled;
	/* which parts of struct pl_ms_memo_cpu hold (PL_MS_MEMO_*): a memo of an older server,
	 * which wrote 0 here and knew nothing of them, has none */
	uint32_t flags;
};

/* What later servers keep of the stat history, in the room older ones left at the end of a
 * slot; a part holds only with its flag, since an older server rewriting the memo leaves
 * the bytes there but clears flags. */
#define PL_MS_MEMO_CAPACITY 1u /* capacity_ns, capacity_at_ns */
#define PL_MS_MEMO_BASE 2u     /* cpus_key, base_ns */
struct pl_ms_memo_cpu {
	uint64_t capacity_ns;    /* struct pl_cpu_history's */
	uint64_t capacity_at_ns; /* ditto */
	uint64_t cpus_key;       /* ditto */
	int64_t base_ns[3];      /* ditto */
};

/* Store the memo of container m (its key, start and own_ns) with the ncpu counters of
 * user, system and idle and the parts of cpu that m->flags names (all ignored when m->ncpu
 * is 0; cpu may be NULL when m->flags is 0). A full table gives up the slot used
 * least recently. -E2BIG: m->ncpu above PL_MS_MEMO_CPUS; -ENOSPC: no memo table (a state
 * file whose log filled it). Safe to call from any thread. */
int pl_mountstate_memo_save(struct pl_mountstate *ms, const struct pl_ms_memo *m, const uint64_t *user,
			    const uint64_t *system, const uint64_t *idle, const struct pl_ms_memo_cpu *cpu);
/* Find the memo of container m (key, init_start_ns, own_ns set by the caller): fills the
 * rest of m and, for m->ncpu entries, user, system and idle (PL_MS_MEMO_CPUS each), and
 * cpu, of which only the parts m->flags names (those this server knows) hold. false: none,
 * or one being written. */
bool pl_mountstate_memo_load(const struct pl_mountstate *ms, struct pl_ms_memo *m, uint64_t *user,
			     uint64_t *system, uint64_t *idle, struct pl_ms_memo_cpu *cpu);
