/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountstate.h"

#define MS_MAGIC 0x31534d53464c50ull /* "PLFSMS1" */
/* Sparse: pages exist once written. 64k mirror nodes of ~100 bytes fit. */
#define MS_SIZE (16u << 20)
#define MS_LOG_START 4096u

struct ms_header {
	uint64_t magic;
	_Atomic uint32_t generation;
	uint32_t pad;
	struct pl_ms_init init;
	_Atomic uint64_t log_len; /* bytes of records after MS_LOG_START */
};

struct pl_mountstate {
	struct ms_header *h;
	char *log;
	pthread_mutex_t lock;
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
	pthread_mutex_init(&ms->lock, NULL);
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
	if (off + len > MS_SIZE - MS_LOG_START) {
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
