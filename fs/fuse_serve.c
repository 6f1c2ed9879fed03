/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The serving loop: /dev/fuse reader threads, FUSE over io_uring when the kernel agrees,
 * and a clean stop on a signal or an unmount. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fuse_serve.h"
#include "proclens/log.h"

/* Large enough for any request the kernel may send us: a WRITE of max_write (refused, but
 * it must fit) and the kernel's minimum of 8 KiB. */
#define DEV_BUFSIZE (FUSE_MIN_READ_BUFFER + PL_FUSE_MAX_WRITE)
#define WAKE_SIGNAL SIGUSR1
#define NOTIFY_SIGNAL SIGUSR2

static pthread_t serving_thread;

struct serve {
	struct pl_fuse_conn *c;
	const struct pl_serve_opts *opts;
	struct pl_threads threads;
	struct pl_fuse_uring *uring;
	atomic_bool uring_live; /* uring is set and serving: the main loop may use it */
	int uring_idle;		/* policy last set on its threads, -1: none yet */
	int result;
	bool signalled; /* stopped by a signal, not by the mount going away */
};

int pl_threads_add(struct pl_threads *t, void *(*fn)(void *), void *arg)
{
	int r;

	pthread_mutex_lock(&t->lock);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		pthread_t *grown = realloc(t->tid, cap * sizeof(*grown));

		if (!grown) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
		t->tid = grown;
		t->cap = cap;
	}
	r = pthread_create(&t->tid[t->n], NULL, fn, arg);
	if (r == 0)
		t->n++;
	pthread_mutex_unlock(&t->lock);
	return -r;
}

/* Every thread blocks in a system call (read on /dev/fuse, io_uring_enter); the wake
 * signal interrupts it and the thread sees `stop`. A signal sent just before the thread
 * blocks is lost, so keep sending until it has exited. */
static void threads_stop(struct pl_threads *t)
{
	for (size_t i = 0;; i++) {
		pthread_t tid;
		struct timespec until;

		pthread_mutex_lock(&t->lock);
		if (i == t->n) {
			pthread_mutex_unlock(&t->lock);
			break;
		}
		tid = t->tid[i];
		pthread_mutex_unlock(&t->lock);
		do {
			pthread_kill(tid, WAKE_SIGNAL);
			pl_fuse_realtime_after_ms(&until, 20);
		} while (pthread_timedjoin_np(tid, NULL, &until) == ETIMEDOUT);
	}
	free(t->tid);
	t->tid = NULL;
	t->n = t->cap = 0;
}

void pl_fuse_realtime_after_ms(struct timespec *until, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, until);
	until->tv_nsec += (long)ms * 1000 * 1000;
	while (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
}

static void on_wake(int sig)
{
	(void)sig;
}

int pl_fuse_serve_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, WAKE_SIGNAL);
	sigaddset(&set, NOTIFY_SIGNAL);
	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void pl_fuse_serve_thread_init(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, WAKE_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void pl_fuse_serve_end(struct pl_fuse_conn *c)
{
	atomic_store(&c->stop, true);
	pthread_kill(serving_thread, NOTIFY_SIGNAL);
}

static bool send_dev(struct pl_fuse_conn *c, const struct fuse_in_header *in, const struct pl_fuse_reply *rep)
{
	struct fuse_out_header out = {
		.len = (uint32_t)(sizeof(out) + rep->len),
		.error = -rep->error,
		.unique = in->unique,
	};
	struct iovec iov[2] = { { &out, sizeof(out) }, { (void *)rep->data, rep->len } };
	ssize_t n = writev(c->fd, iov, rep->len ? 2 : 1);

	if (n == (ssize_t)out.len)
		return true;
	/* ENOENT: the request was interrupted and is gone. */
	if (n < 0 && errno != ENOENT)
		pl_log_warn("cannot reply to %s: %s", pl_fuse_opname(in->opcode), strerror(errno));
	return false;
}

/* INIT, before its reply: io_uring needs its threads and buffers ready before the reply
 * takes it (the kernel then holds every request until each CPU's queue has an entry), so
 * a failure here means answering without it. */
static void before_init_reply(struct serve *s, struct pl_fuse_reply *rep)
{
	struct pl_fuse_conn *c = s->c;
	int r;

	if (rep->error)
		return;
	if (!atomic_load(&c->uring)) {
		if (s->opts->transport == PL_TRANSPORT_URING) {
			pl_log_err("the kernel does not offer FUSE over io_uring (Linux 6.14+, with "
				   "/sys/module/fuse/parameters/enable_uring set to Y)");
			s->result = -EPROTONOSUPPORT;
			pl_fuse_serve_end(c);
		}
		return;
	}
	/* Already prepared: we took over from a server that died between recording this INIT
	 * and answering it, and the kernel sent it again. */
	if (s->uring)
		return;
	r = pl_fuse_uring_prepare(c, s->opts->uring_depth, &s->threads, &s->uring);
	if (r == 0)
		return;
	pl_log_err("cannot set up FUSE over io_uring: %s%s", strerror(-r),
		   s->opts->transport == PL_TRANSPORT_URING ? "" : "; serving through /dev/fuse");
	rep->fixed.init.flags2 &= ~(uint32_t)(FUSE_OVER_IO_URING >> 32);
	atomic_store(&c->uring, false);
	if (s->opts->transport == PL_TRANSPORT_URING) {
		s->result = r;
		pl_fuse_serve_end(c);
	}
}

/* The io_uring queue threads' scheduling policy (pl_fuse_uring_set_idle), checked every
 * second: the daemon's scheduling group may gain a busy task at any time. */
static void uring_policy(struct serve *s)
{
	char why[256] = "";
	bool idle;
	int r;

	switch (s->opts->uring_sched) {
	case PL_URING_SCHED_IDLE:
		idle = true;
		snprintf(why, sizeof(why), "--uring-sched=idle");
		break;
	case PL_URING_SCHED_NORMAL:
		idle = false;
		snprintf(why, sizeof(why), "--uring-sched=normal");
		break;
	default:
		idle =
		    s->opts->sched_own && s->opts->sched_own(s->opts->sched_own_arg, why, sizeof(why)) == 1;
		break;
	}
	if (s->uring_idle == (int)idle)
		return;
	r = pl_fuse_uring_set_idle(s->uring, idle);
	if (r == -EAGAIN)
		return;
	if (r < 0)
		pl_log_warn("cannot set the io_uring threads' policy: %s", strerror(-r));
	else
		pl_log_info("io_uring queue threads: %s (%s)", idle ? "SCHED_IDLE" : "normal policy", why);
	if (r == 0 && s->opts->sched_follow)
		s->opts->sched_follow(s->opts->sched_own_arg, idle);
	s->uring_idle = idle;
}

static void *dev_worker(void *arg)
{
	struct serve *s = arg;
	struct pl_fuse_conn *c = s->c;
	char *buf = malloc(DEV_BUFSIZE);
	const struct fuse_in_header *in = (const void *)buf;

	pl_fuse_serve_thread_init();
	if (!buf) {
		pl_log_err("out of memory");
		pl_fuse_serve_end(c);
		return NULL;
	}
	while (!atomic_load(&c->stop)) {
		struct pl_fuse_reply rep;
		ssize_t n = read(c->fd, buf, DEV_BUFSIZE);
		bool delivered;

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;
			if (errno != ENODEV) /* ENODEV: unmounted */
				pl_log_err("reading /dev/fuse: %s", strerror(errno));
			pl_fuse_serve_end(c);
			break;
		}
		if ((size_t)n < sizeof(*in) || in->len != (uint32_t)n) {
			pl_log_warn("malformed request of %zd bytes ignored", n);
			continue;
		}
		pl_fuse_handle(c, in, in + 1, (size_t)n - sizeof(*in), &rep);
		if (in->opcode == FUSE_INIT)
			before_init_reply(s, &rep);
		delivered = rep.none || send_dev(c, in, &rep);
		pl_fuse_reply_done(c, in, &rep, delivered);
		if (in->opcode == FUSE_INIT && s->uring && atomic_load(&c->uring)) {
			pl_fuse_uring_go(s->uring);
			atomic_store(&s->uring_live, true);
			pthread_kill(serving_thread, NOTIFY_SIGNAL); /* its policy, now */
			pl_log_info("serving through FUSE over io_uring");
		}
	}
	free(buf);
	return NULL;
}

int pl_fuse_serve(struct pl_fuse_conn *c, const struct pl_serve_opts *opts)
{
	struct serve s = {
	    .c = c, .opts = opts, .threads = {.lock = PTHREAD_MUTEX_INITIALIZER}, .uring_idle = -1};
	struct sigaction sa = { .sa_handler = on_wake }; /* no SA_RESTART: blocked calls return EINTR */
	unsigned threads = opts->threads ? opts->threads : 1;
	sigset_t wait_for;
	bool adopted;
	int r = 0;

	serving_thread = pthread_self();
	sigemptyset(&sa.sa_mask);
	if (sigaction(WAKE_SIGNAL, &sa, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	c->offer_uring = opts->transport != PL_TRANSPORT_DEV;
	adopted = pl_fuse_conn_adopt(c);
	if (adopted && atomic_load(&c->uring)) {
		/* An earlier server agreed to io_uring: the kernel sends requests only there. */
		r = pl_fuse_uring_prepare(c, opts->uring_depth, &s.threads, &s.uring);
		if (r < 0)
			pl_log_err("cannot set up FUSE over io_uring: %s", strerror(-r));
	}
	for (unsigned i = 0; i < threads && r == 0; i++)
		if ((r = pl_threads_add(&s.threads, dev_worker, &s)) < 0)
			pl_log_err("cannot start serving threads: %s", strerror(-r));
	if (r < 0) {
		atomic_store(&c->stop, true);
	} else if (adopted) {
		if (s.uring) {
			pl_fuse_uring_go(s.uring);
			atomic_store(&s.uring_live, true);
		}
		/* What the server before us read and never answered: again, to us. */
		r = pl_fuse_notify_resend(c);
		if (r < 0)
			pl_log_warn("the kernel cannot resend the requests left unanswered by the "
				    "server before (Linux 6.9+): %s; their readers wait until killed",
				    strerror(-r));
		r = 0;
		pl_log_info("took over the mount (server %u%s)", c->generation,
			    s.uring ? ", FUSE over io_uring" : "");
	}
	sigemptyset(&wait_for);
	sigaddset(&wait_for, SIGTERM);
	sigaddset(&wait_for, SIGINT);
	sigaddset(&wait_for, SIGHUP);
	sigaddset(&wait_for, NOTIFY_SIGNAL);
	while (!atomic_load(&c->stop)) {
		/* Every second while io_uring serves (its threads' policy); over /dev/fuse only
		 * a signal wakes us. */
		struct timespec second = {.tv_sec = 1};
		int sig = atomic_load(&s.uring_live) ? sigtimedwait(&wait_for, NULL, &second)
						     : sigwaitinfo(&wait_for, NULL);

		if (sig > 0 && sig != NOTIFY_SIGNAL) {
			pl_log_info("%s: stopping", strsignal(sig));
			s.signalled = true;
			atomic_store(&c->stop, true);
		} else if (atomic_load(&s.uring_live) && atomic_load(&c->uring)) {
			uring_policy(&s);
		}
	}
	threads_stop(&s.threads);
	pl_fuse_uring_free(s.uring);
	pl_fuse_conn_free_foreign(c);
	if (r < 0 || s.result < 0)
		return r < 0 ? r : s.result;
	return s.signalled ? 1 : 0;
}
