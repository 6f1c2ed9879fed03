/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysinfo: what one sysinfo(2) call costs, next to a call nobody intercepts.
 *
 *   sysinfo [-d SECONDS] [-w WARMUP_S] [-c CPU] [-m] [CALL...]     CALL: sysinfo (default), getpid
 *
 * Inside `proclens run` with a view, sysinfo(2) stops at a seccomp filter that hands it to the
 * launcher (SECCOMP_RET_USER_NOTIF, launcher/sysinfo.c): the caller sleeps until the launcher
 * has read the container's cgroup and written the answer into its memory. Every other call
 * passes the same filter, which allows it. Run this natively, under the filter and under
 * `proclens run --no-view` (no filter) to tell the filter's cost from the namespaces'.
 *
 * For each CALL, after WARMUP_S not measured, calls it in a loop for SECONDS and prints:
 *
 *   call=sysinfo seconds=2.000 calls=N calls_per_s=N ns_per_call=N cpu_ns_per_call=N
 *   errors=N totalram_mib=N freeram_mib=N procs=N uptime_s=N
 *
 * cpu_ns_per_call is this thread's own CPU time (user + kernel) per call: what a call costs
 * beyond it is time spent asleep, waiting for someone else (the launcher) to answer. The
 * sysinfo fields are from the last call, to check whose numbers came back. A first line
 * tells what /proc/self/status says of seccomp and of the speculative store bypass
 * mitigation (a seccomp filter turns it on where the kernel's default is "seccomp").
 * -m prints mark=start / mark=end lines around each measured loop, flushed, so a script
 * reading them can sample another process's CPU time over just that loop. -c pins us to one
 * CPU (after any cgroup move, which resets the affinity). */

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "proclens/cleanup.h"
#include "proclens/util.h"

/* A batch of calls runs between two clock reads; batches grow until one takes this long,
 * so reading the clock costs nothing next to a native call of ~100 ns. */
#define BATCH_TARGET_NS 1000000ull
#define BATCH_MAX 65536u

enum call { CALL_SYSINFO, CALL_GETPID };

struct loop_result {
	uint64_t calls;
	uint64_t errors;
	uint64_t wall_ns;
	uint64_t cpu_ns;
	struct sysinfo last;
};

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One call, through syscall(2) so that no libc caching or vDSO stands in for the kernel. */
static int one_call(enum call call, struct sysinfo *si)
{
	long r;

	if (call == CALL_SYSINFO)
		r = syscall(SYS_sysinfo, si);
	else
		r = syscall(SYS_getpid);
	return r < 0 ? -errno : 0;
}

static void call_loop(enum call call, uint64_t duration_ns, struct loop_result *res)
{
	uint64_t start, now, cpu_start, batch = 1;

	memset(res, 0, sizeof(*res));
	cpu_start = thread_cpu_ns();
	start = now = pl_now_monotonic_ns();
	while (now - start < duration_ns) {
		uint64_t batch_start = now;

		for (uint64_t i = 0; i < batch; i++)
			if (one_call(call, &res->last) < 0)
				res->errors++;
		res->calls += batch;
		now = pl_now_monotonic_ns();
		if (now - batch_start < BATCH_TARGET_NS && batch < BATCH_MAX)
			batch *= 2;
	}
	res->wall_ns = now - start;
	res->cpu_ns = thread_cpu_ns() - cpu_start;
}

static void print_status(void)
{
	static const char *const keys[] = {"Seccomp:", "Seccomp_filters:", "Speculation_Store_Bypass:"};
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	bool first = true;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (size_t k = 0; k < PL_ARRAY_SIZE(keys); k++) {
			size_t len = strlen(keys[k]);
			char *v = line + len;

			if (strncmp(line, keys[k], len) != 0)
				continue;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			/* key=value with the value's spaces kept readable for a person. */
			printf("%s%.*s=\"%s\"", first ? "status " : " ", (int)(len - 1), keys[k], v);
			first = false;
		}
	}
	if (!first)
		putchar('\n');
	fclose(f);
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 3600)
		return -EINVAL;
	*out = v;
	return 0;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sysinfo [-d SECONDS] [-w WARMUP_S] [-c CPU] [-m] [sysinfo|getpid]...\n"
		   "  -d  measured seconds per call (default 2)\n"
		   "  -w  warm-up seconds per call, not measured (default 0.2)\n"
		   "  -c  pin to this CPU\n"
		   "  -m  print mark=start and mark=end around each measured loop\n");
}

int main(int argc, char **argv)
{
	double duration_s = 2, warmup_s = 0.2;
	bool marks = false;
	int opt, r, cpu = -1;

	while ((opt = getopt(argc, argv, "d:w:c:mh")) != -1) {
		switch (opt) {
		case 'd':
		case 'w':
			if (parse_seconds(optarg, opt == 'd' ? &duration_s : &warmup_s) < 0 ||
			    (opt == 'd' && duration_s <= 0)) {
				fprintf(stderr, "sysinfo: bad -%c seconds: %s\n", opt, optarg);
				return 2;
			}
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'm':
			marks = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (cpu >= 0 && (r = pin_to_cpu(cpu)) < 0) {
		fprintf(stderr, "sysinfo: cannot pin to CPU %d: %s\n", cpu, strerror(-r));
		return 1;
	}
	print_status();
	for (int i = optind; i < argc || i == optind; i++) {
		const char *name = i < argc ? argv[i] : "sysinfo";
		enum call call;
		struct loop_result res;
		uint64_t unit;

		if (strcmp(name, "sysinfo") == 0) {
			call = CALL_SYSINFO;
		} else if (strcmp(name, "getpid") == 0) {
			call = CALL_GETPID;
		} else {
			usage(stderr);
			return 2;
		}
		if (warmup_s > 0)
			call_loop(call, (uint64_t)(warmup_s * 1e9), &res);
		if (marks) {
			printf("mark=start call=%s\n", name);
			fflush(stdout);
		}
		call_loop(call, (uint64_t)(duration_s * 1e9), &res);
		if (marks) {
			printf("mark=end call=%s\n", name);
			fflush(stdout);
		}
		printf("call=%s seconds=%.3f calls=%llu calls_per_s=%.0f ns_per_call=%.0f cpu_ns_per_call=%.0f "
		       "errors=%llu",
		       name, (double)res.wall_ns / 1e9, (unsigned long long)res.calls,
		       (double)res.calls * 1e9 / (double)res.wall_ns, (double)res.wall_ns / (double)res.calls,
		       (double)res.cpu_ns / (double)res.calls, (unsigned long long)res.errors);
		if (call == CALL_SYSINFO) {
			unit = res.last.mem_unit ? res.last.mem_unit : 1;
			printf(" totalram_mib=%llu freeram_mib=%llu procs=%u uptime_s=%ld",
			       (unsigned long long)(res.last.totalram * unit >> 20),
			       (unsigned long long)(res.last.freeram * unit >> 20), (unsigned)res.last.procs,
			       res.last.uptime);
		}
		putchar('\n');
		fflush(stdout);
		if (res.errors)
			return 1;
	}
	return 0;
}
