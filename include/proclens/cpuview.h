/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's view of the CPUs: which host CPUs it sees, and per visible CPU the user,
 * system and idle time that /proc/stat and /proc/uptime report. Shared by every view that
 * speaks of CPUs, so they all agree.
 *
 * The model: the N visible CPUs have a capacity of min(N, quota/period) CPU-seconds per
 * second since the container's init started. A CPU's busy time is its share of the cgroup's
 * usage; the idle time of them all is what is left of the capacity, shared out over the
 * CPUs by the room each left in its 1/N of it. A container using its full quota therefore
 * looks 100% busy to top, an idle one 0%. Emitted values never go backwards (history),
 * because tools take differences between two reads. */

#include <stdbool.h>
#include <stdint.h>

#include "proclens/cgroup.h"
#include "proclens/cpuset.h"
#include "proclens/view.h"

/* The hierarchies each CPU file's content comes from, for the test of a reader that is the
 * whole machine (pl_cgroup_is_root_of): which CPUs and how many (cpuinfo, the sysfs lists
 * and cpuN directories) come from the cpuset and the cpu quota; stat's and uptime's times
 * from those and the usage (cpuacct). */
#define PL_CPUVIEW_CPUS (PL_CTRL_BIT(PL_CTRL_CPUSET) | PL_CTRL_BIT(PL_CTRL_CPU))
#define PL_CPUVIEW_TIMES (PL_CPUVIEW_CPUS | PL_CTRL_BIT(PL_CTRL_CPUACCT))

/* The visible CPUs: the effective cpuset ∩ online (all online CPUs without a cpuset),
 * then the first ceil(quota/period) of those when count_from_quota and a quota is set.
 * *reduced tells whether the quota cut the set (may be NULL). -EINVAL when nothing is
 * left (a cpuset with no online CPU): there is no honest answer to give. */
int pl_cpuview_visible(const struct pl_cpuset *online, const struct pl_cpu_limits *limits,
		       bool count_from_quota, struct pl_cpuset *visible, bool *reduced);

/* Spread total_ns over n CPUs: cpu i gets floor((total + n-1-i) / n). The parts sum to
 * total exactly, differ by at most 1 ns, and each grows monotonically with total. */
void pl_cpuview_spread(uint64_t total_ns, unsigned n, uint64_t *out_ns);

/* CPU time the n visible CPUs can give over elapsed_ns, all together: min(n, quota/period)
 * * elapsed. */
uint64_t pl_cpuview_capacity_ns(uint64_t elapsed_ns, uint64_t quota_usec, uint64_t period_usec, unsigned n);

/* One sample's inputs, per visible CPU (arrays of ncpu). */
struct pl_cpuview_sample {
	unsigned ncpu;
	uint64_t quota_usec; /* PL_UNLIMITED when no quota */
	uint64_t period_usec;
	uint64_t elapsed_ns;	/* now - init start */
	uint64_t init_start_ns; /* identifies the container's life, for the history */
	uint64_t cpus_key;	/* identifies the visible host CPUs, for the history */
	const uint64_t *busy_user_ns;
	const uint64_t *busy_system_ns;
};

/* What to emit, per visible CPU, in nanoseconds (malloc'ed arrays of ncpu). */
struct pl_cpuview {
	unsigned ncpu;
	uint64_t *user_ns;
	uint64_t *system_ns;
	uint64_t *idle_ns;
};

/* target = the model above; emitted: user and system max(history, target) per CPU, idle
 * max(history, target) in total, its growth since the history shared out over the CPUs
 * that had room for it; the history (may be NULL) is updated to what is emitted. A history
 * for another init start is reset; one for other CPUs (count or cpus_key) is carried over:
 * the totals of every field go on from what it had shown, never lower, through a base per
 * field spread over the new CPUs. */
int pl_cpuview_compute(const struct pl_cpuview_sample *s, struct pl_cpu_history *history,
		       struct pl_cpuview *out);
void pl_cpuview_free(struct pl_cpuview *v);

/* Nanoseconds to USER_HZ ticks, rounded down (what /proc/stat counts in). */
uint64_t pl_ns_to_ticks(uint64_t ns);

/* collect: the visible CPUs of a source (limits and online CPUs as read, may be NULL). */
int pl_cpuview_collect_visible(const struct pl_source *src, struct pl_cpuset *visible, bool *reduced,
			       struct pl_cpu_limits *limits, struct pl_cpuset *online);

/* collect: limits, online CPUs, usage and history from a source into a view.
 * visible (may be NULL) receives the visible host CPUs, in order of visible index. */
int pl_cpuview_collect(const struct pl_source *src, struct pl_cpuview *out, struct pl_cpuset *visible);
