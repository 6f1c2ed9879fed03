/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FUSE over io_uring (Linux 6.14+), spoken with the raw io_uring system calls.
 *
 * The kernel keeps one request queue per possible CPU and hands a request to the queue of
 * the CPU its reader runs on. Each online CPU gets a thread pinned to it with its own ring
 * holding `depth` entries of that queue (an entry: a header buffer and a payload buffer the
 * kernel copies the request into); queues of possible but offline CPUs get one entry each on
 * the first thread's ring. A request is delivered as a completion of the entry's command;
 * the reply goes back in the same buffers with COMMIT_AND_FETCH, which also re-arms the
 * entry, so a request costs one io_uring_enter on the reader's own CPU.
 *
 * The kernel copies each request in the context of the thread that armed the entry: a
 * serving thread must never touch the mount itself, or it waits on itself for ever. */
#include <errno.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "fuse_serve.h"
#include "proclens/log.h"
#include "proclens/schedgroup.h"

/* include/uapi/linux/fuse.h of Linux 6.14 (protocol 7.42), unchanged up to 6.18's 7.45. */
#define URING_IN_OUT_HEADER_SZ 128
#define URING_OP_IN_OUT_SZ 128
enum { URING_CMD_REGISTER = 1, URING_CMD_COMMIT_AND_FETCH = 2 };

struct uring_ent_in_out {
	uint64_t flags;
	uint64_t commit_id;  /* the request's unique */
	uint32_t payload_sz; /* bytes of payload, both ways */
	uint32_t padding;
	uint64_t reserved;
};

struct uring_req_header {
	char in_out[URING_IN_OUT_HEADER_SZ]; /* fuse_in_header in, fuse_out_header back */
	char op_in[URING_OP_IN_OUT_SZ];      /* the request's first argument, when it has a size */
	struct uring_ent_in_out ent;
};

struct uring_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t padding[6];
};

_Static_assert(sizeof(struct uring_req_header) == 288, "fuse_uring_req_header");
_Static_assert(sizeof(struct uring_cmd_req) == 24, "fuse_uring_cmd_req");

/* The kernel wants payload buffers of max(8 KiB, max_write, max_pages pages). */
#define PAYLOAD_SIZE PL_FUSE_MAX_PAYLOAD
_Static_assert(PAYLOAD_SIZE >= FUSE_MIN_READ_BUFFER && PAYLOAD_SIZE >= PL_FUSE_MAX_WRITE, "payload size");

struct entry {
	struct uring_req_header header;
	struct iovec iov[2];
	uint16_t qid;
	char *payload;
};

/* A minimal io_uring: one submitter (its thread), SQE128. */
struct ring {
	int fd;
	int dev_fd; /* /dev/fuse: every command's target */
	void *sq_map, *cq_map, *sqes_map;
	size_t sq_map_len, cq_map_len, sqes_map_len;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	unsigned sq_local_tail; /* SQEs filled, not yet published */
	unsigned to_submit;
};

struct queue_thread {
	struct pl_fuse_conn *c;
	struct pl_fuse_uring *u;
	int cpu;                 /* pinned here; -1: no CPU of its own */
	struct entry *ents;      /* its queue's entries, then one per offline CPU's queue */
	unsigned nents;
	char *scratch;           /* a request's arguments made contiguous */
	struct ring ring;
	_Atomic pid_t tid; /* once it runs: for its scheduling policy */
};

struct pl_fuse_uring {
	struct queue_thread *threads;
	unsigned nthreads;
	/* Threads wait for this before arming entries: after the INIT reply is out. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go;
};

static int sys_io_uring_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_io_uring_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
}

static void ring_unmap(struct ring *r)
{
	if (r->sqes_map && r->sqes_map != MAP_FAILED)
		munmap(r->sqes_map, r->sqes_map_len);
	if (r->cq_map && r->cq_map != MAP_FAILED && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_map_len);
	if (r->sq_map && r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static int ring_setup(struct ring *r, unsigned entries)
{
	struct io_uring_params p;
	int err;

	memset(&p, 0, sizeof(p));
	memset(r, 0, sizeof(*r));
	p.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQSIZE;
#ifdef PL_URING_DEFER
	/* Completions run only when the serving thread waits, and only it submits; made
	 * disabled here, enabled by the thread that owns it. */
	p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED;
#endif
	p.cq_entries = entries * 2;
	r->fd = sys_io_uring_setup(entries, &p);
	if (r->fd < 0)
		return -errno;
	r->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	r->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_map_len > r->sq_map_len)
			r->sq_map_len = r->cq_map_len;
		r->cq_map_len = r->sq_map_len;
	}
	r->sq_map = mmap(NULL, r->sq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			 IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED)
		goto fail;
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		r->cq_map = r->sq_map;
	else {
		r->cq_map = mmap(NULL, r->cq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
				 IORING_OFF_CQ_RING);
		if (r->cq_map == MAP_FAILED)
			goto fail;
	}
	r->sqes_map_len = p.sq_entries * 2 * sizeof(struct io_uring_sqe); /* SQE128 */
	r->sqes_map = mmap(NULL, r->sqes_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			   IORING_OFF_SQES);
	if (r->sqes_map == MAP_FAILED)
		goto fail;
	r->sq_tail = (unsigned *)((char *)r->sq_map + p.sq_off.tail);
	r->sq_mask = (unsigned *)((char *)r->sq_map + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)((char *)r->sq_map + p.sq_off.array);
	r->cq_head = (unsigned *)((char *)r->cq_map + p.cq_off.head);
	r->cq_tail = (unsigned *)((char *)r->cq_map + p.cq_off.tail);
	r->cq_mask = (unsigned *)((char *)r->cq_map + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_map + p.cq_off.cqes);
	r->sq_local_tail = *r->sq_tail;
	return 0;
fail:
	err = -errno;
	ring_unmap(r);
	return err;
}

/* Queue a FUSE command for entry e; published to the kernel by the next ring_enter. */
static void queue_cmd(struct ring *r, struct entry *e, uint32_t cmd, uint64_t commit_id)
{
	unsigned idx = r->sq_local_tail & *r->sq_mask;
	struct io_uring_sqe *sqe = (struct io_uring_sqe *)((char *)r->sqes_map + idx * 2 * sizeof(*sqe));
	struct uring_cmd_req *req = (struct uring_cmd_req *)sqe->cmd;

	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = r->dev_fd;
	sqe->cmd_op = cmd;
	sqe->user_data = (uint64_t)(uintptr_t)e;
	if (cmd == URING_CMD_REGISTER) {
		sqe->addr = (uint64_t)(uintptr_t)e->iov;
		sqe->len = 2;
	}
	req->qid = e->qid;
	req->commit_id = commit_id;
	r->sq_array[idx] = idx;
	r->sq_local_tail++;
	r->to_submit++;
}

/* Publish queued SQEs, then wait for at least `wait` completions. */
static int ring_enter(struct ring *r, unsigned wait)
{
	int n;

	__atomic_store_n(r->sq_tail, r->sq_local_tail, __ATOMIC_RELEASE);
	n = sys_io_uring_enter(r->fd, r->to_submit, wait, wait ? IORING_ENTER_GETEVENTS : 0);
	if (n < 0)
		return -errno;
	r->to_submit -= (unsigned)n < r->to_submit ? (unsigned)n : r->to_submit;
	return 0;
}

static int entry_alloc(struct entry *e, uint16_t qid)
{
	memset(e, 0, sizeof(*e));
	e->qid = qid;
	/* Untouched pages cost nothing: only what replies fill becomes resident. */
	e->payload = mmap(NULL, PAYLOAD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->payload == MAP_FAILED) {
		e->payload = NULL;
		return -ENOMEM;
	}
	e->iov[0] = (struct iovec){ &e->header, sizeof(e->header) };
	e->iov[1] = (struct iovec){ e->payload, PAYLOAD_SIZE };
	return 0;
}

/* One delivered request: handle it and queue its reply, which re-arms the entry. */
static void serve_entry(struct queue_thread *t, struct entry *e)
{
	struct fuse_in_header in;
	struct fuse_out_header *out = (struct fuse_out_header *)e->header.in_out;
	struct pl_fuse_reply rep;
	uint32_t payload_sz = e->header.ent.payload_sz;
	uint64_t commit_id = e->header.ent.commit_id;
	size_t argslen, oplen;
	const void *args;

	memcpy(&in, e->header.in_out, sizeof(in));
	argslen = in.len >= sizeof(in) ? in.len - sizeof(in) : 0;
	oplen = argslen >= payload_sz ? argslen - payload_sz : 0;
	if (oplen > URING_OP_IN_OUT_SZ || payload_sz > PAYLOAD_SIZE) {
		memset(&rep, 0, sizeof(rep));
		rep.error = EINVAL;
	} else {
		/* The first argument arrives in op_in, the rest in the payload: give the
		 * codec one contiguous run, copying only when a request has both. */
		if (payload_sz == 0)
			args = e->header.op_in;
		else if (oplen == 0)
			args = e->payload;
		else {
			memcpy(t->scratch, e->header.op_in, oplen);
			memcpy(t->scratch + oplen, e->payload, payload_sz);
			args = t->scratch;
		}
		pl_fuse_handle(t->c, &in, args, oplen + payload_sz, &rep);
	}
	if (rep.none) /* FORGET and INTERRUPT come through /dev/fuse; anything else needs a reply */
		rep.error = ENOSYS;
	if (rep.error)
		rep.len = 0;
	memset(out, 0, sizeof(*out));
	out->unique = in.unique;
	out->error = -rep.error;
	out->len = (uint32_t)(sizeof(*out) + rep.len);
	if (rep.len)
		memcpy(e->payload, rep.data, rep.len);
	e->header.ent.payload_sz = (uint32_t)rep.len;
	/* A request under way is answered whatever happened to its reader. */
	pl_fuse_reply_done(t->c, &in, &rep, true);
	queue_cmd(&t->ring, e, URING_CMD_COMMIT_AND_FETCH, commit_id);
}

/* Until pl_fuse_uring_go or a stop. */
static bool wait_for_go(struct pl_fuse_uring *u, struct pl_fuse_conn *c)
{
	bool go;

	pthread_mutex_lock(&u->lock);
	while (!u->go && !atomic_load(&c->stop)) {
		struct timespec until;

		pl_fuse_realtime_after_ms(&until, 50);
		pthread_cond_timedwait(&u->cond, &u->lock, &until);
	}
	go = u->go && !atomic_load(&c->stop);
	pthread_mutex_unlock(&u->lock);
	return go;
}

static void *queue_main(void *arg)
{
	struct queue_thread *t = arg;
	struct pl_fuse_conn *c = t->c;
	struct ring *r = &t->ring;
	unsigned live = 0;

	pl_fuse_serve_thread_init();
	{
		char name[16];
		snprintf(name, sizeof(name), "uring-cpu%d", t->cpu);
		pthread_setname_np(pthread_self(), name);
	}
	atomic_store(&t->tid, (pid_t)syscall(SYS_gettid));
	if (t->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		/* Outside our cpuset the thread still serves, from wherever it runs. */
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (!wait_for_go(t->u, c)) {
		ring_unmap(r);
		return NULL;
	}
#ifdef PL_URING_DEFER
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
		pl_log_err("io_uring_register: %s", strerror(errno));
#endif
	/* This thread arms its entries itself: the kernel delivers requests in the context
	 * of the thread that armed the entry. */
	for (unsigned i = 0; i < t->nents; i++)
		queue_cmd(r, &t->ents[i], URING_CMD_REGISTER, 0);
	live = t->nents;
	while (!atomic_load(&c->stop) && live > 0) {
		unsigned head, tail;
		int err;

		err = ring_enter(r, 1);
		if (err < 0 && err != -EINTR && err != -EAGAIN && err != -EBUSY) {
			pl_log_err("io_uring_enter: %s", strerror(-err));
			break;
		}
		head = *r->cq_head;
		tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
		for (; head != tail; head++) {
			struct io_uring_cqe *cqe = &r->cqes[head & *r->cq_mask];
			struct entry *e = (struct entry *)(uintptr_t)cqe->user_data;

			if (cqe->res == 0) {
				serve_entry(t, e);
			} else if (cqe->res == -EAGAIN || cqe->res == -EINTR) {
				/* Registered before the kernel had finished INIT: again. */
				queue_cmd(r, e, URING_CMD_REGISTER, 0);
			} else {
				/* -ENOTCONN: unmounted or aborted; the entry is gone. */
				if (cqe->res != -ENOTCONN && cqe->res != -ECANCELED)
					pl_log_err("FUSE io_uring queue %u: %s", e->qid, strerror(-cqe->res));
				live--;
			}
		}
		__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	}
	if (!atomic_load(&c->stop)) /* the mount went away (or the ring broke): the daemon ends */
		pl_fuse_serve_end(c);
	/* Closing the ring cancels our entries; the /dev/fuse descriptor is closed after. */
	ring_unmap(r);
	return NULL;
}

static void thread_free(struct queue_thread *t)
{
	for (unsigned i = 0; i < t->nents; i++)
		if (t->ents[i].payload)
			munmap(t->ents[i].payload, PAYLOAD_SIZE);
	free(t->ents);
	free(t->scratch);
	if (t->ring.fd >= 0)
		ring_unmap(&t->ring);
}

/* A thread for `cpu` (-1: none) serving queue qid with `depth` entries, plus one entry on
 * each of the `nextra` queues in `extra`. */
static int thread_init(struct queue_thread *t, struct pl_fuse_uring *u, struct pl_fuse_conn *c, int cpu,
		       uint16_t qid, unsigned depth, const uint16_t *extra, unsigned nextra)
{
	unsigned total = depth + nextra;
	int r;

	memset(t, 0, sizeof(*t));
	t->ring.fd = -1;
	t->c = c;
	t->u = u;
	t->cpu = cpu;
	t->ents = calloc(total, sizeof(*t->ents));
	t->scratch = malloc(URING_OP_IN_OUT_SZ + PAYLOAD_SIZE);
	if (!t->ents || !t->scratch)
		return -ENOMEM;
	for (unsigned i = 0; i < total; i++) {
		r = entry_alloc(&t->ents[i], i < depth ? qid : extra[i - depth]);
		if (r < 0)
			return r;
		t->nents++;
	}
	/* Room for every entry's command at once (their registration), then their replies. */
	r = ring_setup(&t->ring, total < 2 ? 2 : total);
	t->ring.dev_fd = c->fd;
	return r;
}

void pl_fuse_uring_free(struct pl_fuse_uring *u)
{
	if (!u)
		return;
	for (unsigned i = 0; i < u->nthreads; i++)
		thread_free(&u->threads[i]);
	free(u->threads);
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->cond);
	free(u);
}

int pl_fuse_uring_prepare(struct pl_fuse_conn *c, unsigned depth, struct pl_threads *threads,
			  struct pl_fuse_uring **out)
{
	/* The kernel's queues: one per possible CPU; requests wait until each has an entry. */
	int possible = get_nprocs_conf(), online = get_nprocs();
	struct pl_fuse_uring *u;
	uint16_t *offline = NULL;
	int r = 0;

	*out = NULL;
	if (possible <= 0 || possible > 65535)
		return -EINVAL;
	if (online <= 0 || online > possible)
		online = possible;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	u->threads = calloc((size_t)online, sizeof(*u->threads));
	offline = calloc((size_t)(possible - online) + 1, sizeof(*offline));
	if (!u->threads || !offline) {
		r = -ENOMEM;
		goto fail;
	}
	/* Offline CPUs run no readers: their queues get one entry on the first thread. */
	for (int q = online; q < possible; q++)
		offline[q - online] = (uint16_t)q;
	for (int cpu = 0; cpu < online && r == 0; cpu++) {
		r = thread_init(&u->threads[cpu], u, c, cpu, (uint16_t)cpu, depth, offline,
				cpu == 0 ? (unsigned)(possible - online) : 0);
		u->nthreads++;
	}
	if (r < 0)
		goto fail;
	for (unsigned i = 0; i < u->nthreads; i++) {
		r = pl_threads_add(threads, queue_main, &u->threads[i]);
		if (r < 0) {
			/* Started ones wait for a go that never comes; stopping joins them. */
			*out = u;
			free(offline);
			return r;
		}
	}
	free(offline);
	*out = u;
	return 0;
fail:
	pl_fuse_uring_free(u);
	free(offline);
	return r;
}

void pl_fuse_uring_go(struct pl_fuse_uring *u)
{
	pthread_mutex_lock(&u->lock);
	u->go = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

int pl_fuse_uring_set_idle(struct pl_fuse_uring *u, bool idle)
{
	int r = 0;

	for (unsigned i = 0; i < u->nthreads; i++)
		if (atomic_load(&u->threads[i].tid) <= 0)
			return -EAGAIN; /* not running yet: the next call sets it */
	for (unsigned i = 0; i < u->nthreads; i++) {
		int k = pl_sched_set_idle(atomic_load(&u->threads[i].tid), idle);

		if (k < 0 && k != -ESRCH)
			r = k;
	}
	return r;
}
