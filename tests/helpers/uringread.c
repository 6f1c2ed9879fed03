/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uringread FILE [CHUNK]: read FILE whole in several ways from this one process and print
 * each content after a line "== WAY":
 *
 *   pread    pread(2), the reference
 *   read     io_uring IORING_OP_READ
 *   readv    io_uring IORING_OP_READV
 *   async    IORING_OP_READ with IOSQE_ASYNC: done by an io-wq worker (iou-wrk-N), a
 *            thread the kernel makes in this process, which is the reader FUSE names
 *   pos      IOSQE_ASYNC reads at the file position (offset -1), one after another
 *   sqpoll   a ring with IORING_SETUP_SQPOLL: submitted by its kernel thread (iou-sqp-N)
 *
 * Each way opens FILE afresh and reads it in CHUNK-byte pieces (default 512) at increasing
 * offsets. Then "== workers N": the io-wq workers alive after the async reads (0 would mean
 * the async way was not taken). Raw system calls: no liburing. Exits 1 on any failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* Enough for any of our files; a kernel that keeps rereading one offset stops here. */
#define CAP (1 << 16)

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	bool sqpoll;
};

static int ring_setup(struct ring *r, unsigned flags)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.sq_thread_idle = 1000;
	r->fd = (int)syscall(__NR_io_uring_setup, 8, &p);
	if (r->fd < 0)
		return -errno;
	r->sqpoll = flags & IORING_SETUP_SQPOLL;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			  IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->sq_flags = (unsigned *)(sq + p.sq_off.flags);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submit one read (op READ or READV) and wait for its completion: its result. */
static int ring_read(struct ring *r, int op, unsigned sqe_flags, int fd, char *buf, unsigned len, int64_t off)
{
	struct iovec iov = { buf, len };
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = (uint8_t)op;
	sqe->flags = (uint8_t)sqe_flags;
	sqe->fd = fd;
	sqe->off = (uint64_t)off;
	if (op == IORING_OP_READV) {
		sqe->addr = (uint64_t)(uintptr_t)&iov;
		sqe->len = 1;
	} else {
		sqe->addr = (uint64_t)(uintptr_t)buf;
		sqe->len = len;
	}
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (r->sqpoll) {
		if (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP)
			syscall(__NR_io_uring_enter, r->fd, 0, 0, IORING_ENTER_SQ_WAKEUP, NULL, 0);
	} else if (syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0) < 0) {
		return -errno;
	}
	head = *r->cq_head;
	while (__atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) == head)
		if (syscall(__NR_io_uring_enter, r->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
		    errno != EINTR)
			return -errno;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* FILE read whole one way into buf: its length, or -errno. */
static ssize_t read_whole(const char *way, const char *file, size_t chunk, char *buf)
{
	struct ring r = { .fd = -1 };
	size_t len = 0;
	int fd, err = 0;

	if (strcmp(way, "pread") != 0 && (err = ring_setup(&r, strcmp(way, "sqpoll") == 0 ? IORING_SETUP_SQPOLL : 0)) < 0)
		return err;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		unsigned want = (unsigned)(chunk < CAP - len ? chunk : CAP - len);
		int n;

		if (strcmp(way, "pread") == 0)
			n = (n = (int)pread(fd, buf + len, want, (off_t)len)) < 0 ? -errno : n;
		else if (strcmp(way, "readv") == 0)
			n = ring_read(&r, IORING_OP_READV, 0, fd, buf + len, want, (int64_t)len);
		else if (strcmp(way, "async") == 0)
			n = ring_read(&r, IORING_OP_READ, IOSQE_ASYNC, fd, buf + len, want, (int64_t)len);
		else if (strcmp(way, "pos") == 0)
			n = ring_read(&r, IORING_OP_READ, IOSQE_ASYNC, fd, buf + len, want, -1);
		else
			n = ring_read(&r, IORING_OP_READ, 0, fd, buf + len, want, (int64_t)len);
		if (n < 0) {
			err = n;
			break;
		}
		if (n == 0 || len + (size_t)n >= CAP)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r.fd >= 0)
		close(r.fd);
	return err < 0 ? err : (ssize_t)len;
}

/* This process's io-wq workers, by their names. */
static int count_workers(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[300], comm[64] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && strncmp(comm, "iou-wrk-", 8) == 0)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	static const char *const ways[] = { "pread", "read", "readv", "async", "pos", "sqpoll" };
	static char buf[CAP];
	size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 10) : 512;
	int rc = 0;

	if (argc < 2 || argc > 3 || chunk == 0) {
		fprintf(stderr, "usage: uringread FILE [CHUNK]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		ssize_t n = read_whole(ways[i], argv[1], chunk, buf);

		printf("== %s\n", ways[i]);
		if (n < 0) {
			printf("error %s\n", strerror((int)-n));
			fprintf(stderr, "uringread: %s: %s read: %s\n", argv[1], ways[i], strerror((int)-n));
			rc = 1;
			continue;
		}
		fwrite(buf, 1, (size_t)n, stdout);
		if (n > 0 && buf[n - 1] != '\n')
			putchar('\n');
		if (strcmp(ways[i], "pos") == 0)
			printf("== workers %d\n", count_workers());
	}
	return rc;
}
