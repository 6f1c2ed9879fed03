/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* readbench: a load generator for small synthesized files.
 *
 *   readbench [-t THREADS] [-d SECONDS] [-w WARMUP_S] PATH...
 *
 * Each thread loops over the paths doing what `cat`, `free` and top's readers do: open, read
 * until read() returns 0, close. One such sequence is one "op"; its wall time goes into a
 * per-thread log-linear histogram, so the hot path takes no lock and shares no cache line.
 * At the end one key=value line is printed for scripts (bench/run.sh parses it):
 *
 *   threads=4 seconds=3.000 ops=123456 ops_per_s=41152 p50_us=... p99_us=... p999_us=...
 *   max_us=... bytes_per_op=... errors=0 ops_all=...
 *
 * ops_all also counts the warm-up, so a caller that samples a daemon's CPU time around the
 * whole run can divide by it. An op whose open or read fails, or whose first read returns no
 * data, counts as an error and not as an op; the exit status is 1 if there was any. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proclens/util.h"

#define READ_BUF_BYTES (64 * 1024)
#define MAX_THREADS 1024

/* Log-linear histogram of nanoseconds: values below 2^SUB_BITS are exact, above that every
 * power of two is split into 2^SUB_BITS equal buckets, so a bucket is at most 1/32 (~3%) of
 * its value wide at any scale, from 30 ns to minutes, in 15 KiB per thread. */
#define SUB_BITS 5
#define SUB_COUNT (1u << SUB_BITS)
#define HIST_BUCKETS (SUB_COUNT + (64 - SUB_BITS) * SUB_COUNT)

enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };

struct worker {
	pthread_t thread;
	unsigned index;
	/* Written only by the owning thread, read by main after join. */
	uint64_t ops;
	uint64_t ops_all;
	uint64_t errors;
	uint64_t bytes;
	uint64_t max_ns;
	uint64_t hist[HIST_BUCKETS];
} __attribute__((aligned(64)));

static _Atomic int phase = PHASE_WARMUP;
static pthread_barrier_t start_barrier;
static char **paths;
static unsigned path_count;
/* One complaint per run is enough to say what is wrong; the count says how often. */
static atomic_flag error_reported = ATOMIC_FLAG_INIT;

static unsigned hist_index(uint64_t ns)
{
	unsigned msb, shift;

	if (ns < SUB_COUNT)
		return (unsigned)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	shift = msb - SUB_BITS;
	return SUB_COUNT + shift * SUB_COUNT + (unsigned)((ns >> shift) & (SUB_COUNT - 1));
}

/* Midpoint of a bucket, the least biased single value for it. */
static double hist_value_ns(unsigned index)
{
	unsigned shift, sub;
	double low, width;

	if (index < SUB_COUNT)
		return index;
	shift = (index - SUB_COUNT) / SUB_COUNT;
	sub = (index - SUB_COUNT) % SUB_COUNT;
	low = ldexp(SUB_COUNT + sub, (int)shift);
	width = ldexp(1, (int)shift);
	return low + width / 2;
}

static double hist_quantile_us(const uint64_t *hist, uint64_t total, double q)
{
	uint64_t rank, seen = 0;

	if (total == 0)
		return 0;
	/* The smallest value with at least q of the samples at or below it. */
	rank = (uint64_t)ceil(q * (double)total);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen >= rank)
			return hist_value_ns(i) / 1000.0;
	}
	return 0;
}

static void report_error_once(const char *path, const char *what, int err)
{
	if (atomic_flag_test_and_set(&error_reported))
		return;
	if (err)
		fprintf(stderr, "readbench: %s %s: %s\n", what, path, strerror(err));
	else
		fprintf(stderr, "readbench: %s %s\n", what, path);
}

/* One op: returns the bytes read (> 0) or -errno; -ENODATA for an empty file, which a
 * synthesized /proc file never is. */
static ssize_t read_whole_file(const char *path, char *buf)
{
	ssize_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;
		report_error_once(path, "cannot open", err);
		return -err;
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_BUF_BYTES);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			report_error_once(path, "cannot read", err);
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	if (total == 0) {
		report_error_once(path, "read no data from", 0);
		return -ENODATA;
	}
	return total;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char *buf = malloc(READ_BUF_BYTES);
	/* Threads start on different files so several paths are not read in lockstep. */
	unsigned next = w->index % path_count;

	if (!buf) {
		report_error_once("read buffer", "cannot allocate", ENOMEM);
		w->errors++;
		pthread_barrier_wait(&start_barrier);
		return NULL;
	}
	pthread_barrier_wait(&start_barrier);
	for (;;) {
		int ph = atomic_load_explicit(&phase, memory_order_relaxed);
		uint64_t t0, elapsed;
		ssize_t n;

		if (ph == PHASE_STOP)
			break;
		t0 = pl_now_monotonic_ns();
		n = read_whole_file(paths[next], buf);
		elapsed = pl_now_monotonic_ns() - t0;
		if (++next == path_count)
			next = 0;
		if (n < 0) {
			w->errors++;
			continue;
		}
		w->ops_all++;
		/* An op is attributed to the phase it started in, so the measured window holds
		 * whole ops and the count matches the wall time the main thread takes. */
		if (ph != PHASE_MEASURE)
			continue;
		w->ops++;
		w->bytes += (uint64_t)n;
		w->hist[hist_index(elapsed)]++;
		if (elapsed > w->max_ns)
			w->max_ns = elapsed;
	}
	free(buf);
	return NULL;
}

static void sleep_seconds(double seconds)
{
	struct timespec ts = {
	    .tv_sec = (time_t)seconds,
	    .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: readbench [-t THREADS] [-d SECONDS] [-w WARMUP_S] PATH...\n"
		   "  -t  reader threads (default 1)\n"
		   "  -d  measured seconds (default 5)\n"
		   "  -w  warm-up seconds, not measured (default 1)\n");
}

static void print_summary(struct worker *workers, unsigned thread_count, double seconds)
{
	static uint64_t hist[HIST_BUCKETS];
	uint64_t ops = 0, ops_all = 0, errors = 0, bytes = 0, max_ns = 0;

	for (unsigned t = 0; t < thread_count; t++) {
		struct worker *w = &workers[t];
		ops += w->ops;
		ops_all += w->ops_all;
		errors += w->errors;
		bytes += w->bytes;
		if (w->max_ns > max_ns)
			max_ns = w->max_ns;
		for (unsigned i = 0; i < HIST_BUCKETS; i++)
			hist[i] += w->hist[i];
	}
	printf("threads=%u seconds=%.3f ops=%llu ops_per_s=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
	       "max_us=%.1f bytes_per_op=%.0f errors=%llu ops_all=%llu\n",
	       thread_count, seconds, (unsigned long long)ops, seconds > 0 ? (double)ops / seconds : 0,
	       hist_quantile_us(hist, ops, 0.50), hist_quantile_us(hist, ops, 0.99),
	       hist_quantile_us(hist, ops, 0.999), (double)max_ns / 1000.0,
	       ops ? (double)bytes / (double)ops : 0, (unsigned long long)errors,
	       (unsigned long long)ops_all);
}

int main(int argc, char **argv)
{
	unsigned long thread_count = 1;
	double duration_s = 5, warmup_s = 1;
	struct worker *workers;
	uint64_t errors = 0, t_start, t_end;
	int opt, r;

	while ((opt = getopt(argc, argv, "t:d:w:h")) != -1) {
		char *end;
		switch (opt) {
		case 't':
			errno = 0;
			thread_count = strtoul(optarg, &end, 10);
			if (errno || *end || thread_count < 1 || thread_count > MAX_THREADS) {
				fprintf(stderr, "readbench: bad thread count: %s\n", optarg);
				return 2;
			}
			break;
		case 'd':
		case 'w':
			if (parse_seconds(optarg, opt == 'd' ? &duration_s : &warmup_s) < 0 ||
			    (opt == 'd' && duration_s <= 0)) {
				fprintf(stderr, "readbench: bad -%c seconds: %s\n", opt, optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	paths = argv + optind;
	path_count = (unsigned)(argc - optind);

	workers = aligned_alloc(64, sizeof(*workers) * thread_count);
	if (!workers) {
		fprintf(stderr, "readbench: cannot allocate %lu workers\n", thread_count);
		return 1;
	}
	memset(workers, 0, sizeof(*workers) * thread_count);
	pthread_barrier_init(&start_barrier, NULL, (unsigned)thread_count + 1);
	for (unsigned t = 0; t < thread_count; t++) {
		workers[t].index = t;
		r = pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]);
		if (r) {
			fprintf(stderr, "readbench: cannot create thread %u: %s\n", t, strerror(r));
			return 1;
		}
	}
	pthread_barrier_wait(&start_barrier);
	sleep_seconds(warmup_s);
	t_start = pl_now_monotonic_ns();
	atomic_store(&phase, PHASE_MEASURE);
	sleep_seconds(duration_s);
	atomic_store(&phase, PHASE_STOP);
	t_end = pl_now_monotonic_ns();
	for (unsigned t = 0; t < thread_count; t++) {
		pthread_join(workers[t].thread, NULL);
		errors += workers[t].errors;
	}
	print_summary(workers, (unsigned)thread_count, (double)(t_end - t_start) / 1e9);
	free(workers);
	return errors ? 1 : 0;
}
