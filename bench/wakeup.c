/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wakeup: what one sleep/wake-up round trip costs on this machine, on one CPU and across two.
 *
 *   wakeup [-n ROUNDS]
 *
 * Every FUSE request is such a round trip (the reader sleeps until a daemon thread, woken by
 * the request, writes the reply and wakes it), so the FUSE floor moves with this figure. In a
 * VM whose idle vCPUs halt, waking a thread on another CPU takes an IPI through the host and
 * can cost ten times a same-CPU switch, and it varies with the host's load. bench/run.sh
 * prints it next to its table so that figures from different days can be compared.
 * Prints: same_cpu_rtt_us=... cross_cpu_rtt_us=... (cross is "-" with one CPU). */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclens/util.h"

struct ping {
	int to_echo[2];
	int to_main[2];
	int echo_cpu;
};

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

static void *echo_main(void *arg)
{
	struct ping *p = arg;
	char byte;

	(void)pin_to_cpu(p->echo_cpu);
	while (read(p->to_echo[0], &byte, 1) == 1)
		if (write(p->to_main[1], &byte, 1) != 1)
			break;
	return NULL;
}

/* Mean round trip in µs between this thread on CPU a and an echo thread on CPU b, or -errno. */
static double round_trip_us(int cpu_a, int cpu_b, unsigned rounds)
{
	struct ping p = {.echo_cpu = cpu_b};
	pthread_t echo;
	uint64_t t0, t1;
	char byte = 'x';
	double result;

	if (pipe2(p.to_echo, O_CLOEXEC) < 0 || pipe2(p.to_main, O_CLOEXEC) < 0)
		return -errno;
	if (pin_to_cpu(cpu_a) < 0 || pthread_create(&echo, NULL, echo_main, &p) != 0)
		return -EAGAIN;
	/* The first rounds let both threads settle on their CPUs. */
	for (unsigned i = 0; i < rounds / 10 + 1; i++)
		if (write(p.to_echo[1], &byte, 1) != 1 || read(p.to_main[0], &byte, 1) != 1)
			return -EIO;
	t0 = pl_now_monotonic_ns();
	for (unsigned i = 0; i < rounds; i++)
		if (write(p.to_echo[1], &byte, 1) != 1 || read(p.to_main[0], &byte, 1) != 1)
			return -EIO;
	t1 = pl_now_monotonic_ns();
	result = (double)(t1 - t0) / rounds / 1000.0;
	close(p.to_echo[1]); /* the echo thread sees EOF and returns */
	pthread_join(echo, NULL);
	close(p.to_echo[0]);
	close(p.to_main[0]);
	close(p.to_main[1]);
	return result;
}

int main(int argc, char **argv)
{
	cpu_set_t allowed;
	int cpus[2], found = 0;
	unsigned rounds = 2000;
	double same, cross = -1;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		uint64_t v;
		if (opt != 'n' || pl_parse_u64(optarg, &v) < 0 || v == 0 || v > 10000000) {
			fprintf(stderr, "usage: wakeup [-n ROUNDS]\n");
			return 2;
		}
		rounds = (unsigned)v;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
		fprintf(stderr, "wakeup: cannot get CPU affinity: %s\n", strerror(errno));
		return 1;
	}
	for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
		if (CPU_ISSET(c, &allowed))
			cpus[found++] = c;
	if (found == 0)
		return 1;
	same = round_trip_us(cpus[0], cpus[0], rounds);
	if (found == 2)
		cross = round_trip_us(cpus[0], cpus[1], rounds);
	if (same < 0 || (found == 2 && cross < 0)) {
		fprintf(stderr, "wakeup: ping-pong failed\n");
		return 1;
	}
	if (found == 2)
		printf("same_cpu_rtt_us=%.1f cross_cpu_rtt_us=%.1f\n", same, cross);
	else
		printf("same_cpu_rtt_us=%.1f cross_cpu_rtt_us=-\n", same);
	return 0;
}
