/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountstate.h"

#define MS_MAGIC 0x31534d53464c50ull /* "PLFSMS1" */
/* Sparse: pages exist once written. The log takes up to 8 MiB (64k mirror nodes of ~100
 * bytes fit), the memo table the other 8. */
#define MS_SIZE (16u << 20)
#define MS_LOG_START 4096u
#define MS_MEMO_START (8u << 20)
#define MS_LOG_MAX (MS_MEMO_START - MS_LOG_START)
#define MS_MEMO_SLOT_SIZE 8192u
#define MS_MEMO_SLOTS ((MS_SIZE - MS_MEMO_START) / MS_MEMO_SLOT_SIZE)
#define MS_MEMO_PROBE 8u /* slots a memo may take, from its hash on */
#define PL_MS_MEMO_KNOWN (PL_MS_MEMO_CAPACITY | PL_MS_MEMO_BASE) /* the parts of pl_ms_memo_cpu this server has */

struct ms_memo_slot {
	_Atomic uint32_t seq; /* odd while written */
	uint32_t used;
	uint64_t stamp; /* of the last save: the least recent gives way */
	struct pl_ms_memo m;
	uint64_t user[PL_MS_MEMO_CPUS], system[PL_MS_MEMO_CPUS], idle[PL_MS_MEMO_CPUS];
	/* Added after the first memos: everything above keeps its place, so that servers old
	 * and new read each other's (m.flags says what of this an old one did not write). */
	struct pl_ms_memo_cpu cpu;
};
_Static_assert(sizeof(struct ms_memo_slot) <= MS_MEMO_SLOT_SIZE, "a memo fits its slot");
/* Where the first memos had them: a server reads the memos of the one it replaces. */
_Static_assert(offsetof(struct ms_memo_slot, m.flags) == 76 && offsetof(struct ms_memo_slot, user) == 80 &&
		   offsetof(struct ms_memo_slot, cpu) == 80 + 3 * 8 * PL_MS_MEMO_CPUS,
	       "the memo layout of older servers");

struct ms_header {
	uint64_t magic;
	_Atomic uint32_t generation;
	uint32_t pad;
	struct pl_ms_init init;
	_Atomic uint64_t log_len; /* bytes of records after MS_LOG_START */
	uint64_t memo_clock;      /* stamps saves, under the memo lock */
};

struct pl_mountstate {
	struct ms_header *h;
	char *log;
	char *memo; /* NULL: the log has taken its place */
	pthread_mutex_t lock;
	pthread_mutex_t memo_lock;
};

int pl_mountstate_create(void)
{
	int fd = memfd_create("proclensfs-state", MFD_CLOEXEC);
	struct ms_header h = {.magic = MS_MAGIC};

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, MS_SIZE) < 0 || pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		int r = -errno;
		close(fd);
		return r ? r : -EIO;
	}
	return fd;
}

int pl_mountstate_open(int fd, struct pl_mountstate **out)
{
	struct pl_mountstate *ms;
	struct stat st;
	void *map;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size != MS_SIZE)
		return -EINVAL;
	map = mmap(NULL, MS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	ms = calloc(1, sizeof(*ms));
	if (!ms) {
		munmap(map, MS_SIZE);
		return -ENOMEM;
	}
	ms->h = map;
	ms->log = (char *)map + MS_LOG_START;
	if (ms->h->magic != MS_MAGIC || atomic_load(&ms->h->log_len) > MS_SIZE - MS_LOG_START) {
		pl_mountstate_close(ms);
		return -EINVAL;
	}
	/* An older keeper's file could have a log past MS_LOG_MAX: no memos then. */
	if (atomic_load(&ms->h->log_len) <= MS_LOG_MAX)
		ms->memo = (char *)map + MS_MEMO_START;
	pthread_mutex_init(&ms->lock, NULL);
	pthread_mutex_init(&ms->memo_lock, NULL);
	*out = ms;
	return 0;
}

void pl_mountstate_close(struct pl_mountstate *ms)
{
	if (!ms)
		return;
	munmap(ms->h, MS_SIZE);
	free(ms);
}

unsigned pl_mountstate_next_generation(struct pl_mountstate *ms)
{
	return atomic_fetch_add(&ms->h->generation, 1) % 32767 + 1;
}

void pl_mountstate_get_init(const struct pl_mountstate *ms, struct pl_ms_init *out)
{
	*out = ms->h->init;
}

void pl_mountstate_set_init(struct pl_mountstate *ms, const struct pl_ms_init *in)
{
	/* done last: a server killed half-way leaves "not answered", and the kernel then
	 * resends the INIT it never got an answer to. */
	ms->h->init.minor = in->minor;
	ms->h->init.uring = in->uring;
	atomic_thread_fence(memory_order_release);
	ms->h->init.done = in->done;
}

int pl_mountstate_append(struct pl_mountstate *ms, enum pl_ms_kind kind, uint64_t a, uint64_t b,
			 const char *text)
{
	size_t tlen = strlen(text) + 1;
	size_t len = (sizeof(struct pl_ms_record) + tlen + 7) & ~(size_t)7;
	struct pl_ms_record *rec;
	uint64_t off;
	int r = 0;

	pthread_mutex_lock(&ms->lock);
	off = atomic_load(&ms->h->log_len);
	if (off + len > (ms->memo ? MS_LOG_MAX : MS_SIZE - MS_LOG_START)) {
		r = -ENOSPC;
		goto out;
	}
	rec = (struct pl_ms_record *)(ms->log + off);
	rec->len = (uint32_t)len;
	rec->kind = kind;
	rec->a = a;
	rec->b = b;
	memcpy(rec->text, text, tlen);
	atomic_store_explicit(&ms->h->log_len, off + len, memory_order_release);
out:
	pthread_mutex_unlock(&ms->lock);
	return r;
}

int pl_mountstate_each(const struct pl_mountstate *ms, int (*fn)(void *ctx, const struct pl_ms_record *rec),
		       void *ctx)
{
	uint64_t end = atomic_load_explicit(&ms->h->log_len, memory_order_acquire);

	for (uint64_t off = 0; off + sizeof(struct pl_ms_record) <= end;) {
		const struct pl_ms_record *rec = (const void *)(ms->log + off);
		int r;

		/* A record the next one could not follow, or text without its NUL: the file
		 * is not ours to trust any further. */
		if (rec->len < sizeof(*rec) + 1 || rec->len % 8 || off + rec->len > end ||
		    !memchr(rec->text, '\0', rec->len - sizeof(*rec)))
			return -EINVAL;
		r = fn(ctx, rec);
		if (r)
			return r;
		off += rec->len;
	}
	return 0;
}

/* ---- memos ---- */

static struct ms_memo_slot *memo_slot(const struct pl_mountstate *ms, const struct pl_ms_memo *m, unsigned i)
{
	uint64_t h = (m->key ^ (m->init_start_ns * 0x9e3779b97f4a7c15ull) ^ m->own_ns) * 0xff51afd7ed558ccdull;

	return (struct ms_memo_slot *)(ms->memo + ((h >> 32) + i) % MS_MEMO_SLOTS * MS_MEMO_SLOT_SIZE);
}

static bool memo_is(const struct ms_memo_slot *s, const struct pl_ms_memo *m)
{
	return s->used && s->m.key == m->key && s->m.init_start_ns == m->init_start_ns &&
	       s->m.own_ns == m->own_ns;
}

int pl_mountstate_memo_save(struct pl_mountstate *ms, const struct pl_ms_memo *m, const uint64_t *user,
			    const uint64_t *system, const uint64_t *idle, const struct pl_ms_memo_cpu *cpu)
{
	struct ms_memo_slot *s = NULL;
	size_t n = m->ncpu * sizeof(uint64_t);
	uint32_t seq;

	if (m->ncpu > PL_MS_MEMO_CPUS)
		return -E2BIG;
	if (!ms->memo)
		return -ENOSPC;
	pthread_mutex_lock(&ms->memo_lock);
	/* Its own slot, else the first free one, else the least recently saved. No slot is
	 * ever freed, so a memo is always before the first free slot of its probe (and
	 * pl_mountstate_memo_load stops there): untouched slots stay unread, and their pages,
	 * of a memfd, unallocated (a new container would fault in one per probe). */
	for (unsigned i = 0; i < MS_MEMO_PROBE; i++) {
		struct ms_memo_slot *c = memo_slot(ms, m, i);
		if (memo_is(c, m) || !c->used) {
			s = c;
			break;
		}
		if (!s || c->stamp < s->stamp)
			s = c;
	}
	seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, seq | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	s->m = *m;
	s->m.flags = n ? m->flags & PL_MS_MEMO_KNOWN : 0;
	if (n) {
		memcpy(s->user, user, n);
		memcpy(s->system, system, n);
		memcpy(s->idle, idle, n);
	}
	if (s->m.flags)
		s->cpu = *cpu;
	s->used = 1;
	s->stamp = ++ms->h->memo_clock;
	atomic_store_explicit(&s->seq, (seq | 1) + 1, memory_order_release);
	pthread_mutex_unlock(&ms->memo_lock);
	return 0;
}

bool pl_mountstate_memo_load(const struct pl_mountstate *ms, struct pl_ms_memo *m, uint64_t *user,
			     uint64_t *system, uint64_t *idle, struct pl_ms_memo_cpu *cpu)
{
	if (!ms->memo)
		return false;
	for (unsigned i = 0; i < MS_MEMO_PROBE; i++) {
		struct ms_memo_slot *s = memo_slot(ms, m, i);
		uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		struct pl_ms_memo got;

		if (!s->used)
			return false; /* it would be here or before (pl_mountstate_memo_save) */
		if (seq & 1 || !memo_is(s, m))
			continue;
		got = s->m;
		if (got.ncpu > PL_MS_MEMO_CPUS)
			return false;
		memcpy(user, s->user, got.ncpu * sizeof(uint64_t));
		memcpy(system, s->system, got.ncpu * sizeof(uint64_t));
		memcpy(idle, s->idle, got.ncpu * sizeof(uint64_t));
		*cpu = s->cpu;
		atomic_thread_fence(memory_order_acquire);
		/* Rewritten while copied (another thread of ours saving it): none is kept. */
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq)
			return false;
		got.flags &= PL_MS_MEMO_KNOWN; /* a newer server's parts mean nothing here */
		*m = got;
		return true;
	}
	return false;
}
