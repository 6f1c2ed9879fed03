/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A set of CPU numbers, as in cpuset.cpus ("0-3,8,10-11"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_CPUSET_MAX 4096

struct pl_cpuset {
	uint64_t bits[PL_CPUSET_MAX / 64];
};

void pl_cpuset_zero(struct pl_cpuset *s);
void pl_cpuset_set(struct pl_cpuset *s, unsigned cpu);
bool pl_cpuset_has(const struct pl_cpuset *s, unsigned cpu);
unsigned pl_cpuset_count(const struct pl_cpuset *s);
void pl_cpuset_and(struct pl_cpuset *dst, const struct pl_cpuset *other);
/* The n-th (0-based) member, or -1. */
int pl_cpuset_nth(const struct pl_cpuset *s, unsigned n);
/* Keep only the first `n` members (lowest numbers). */
void pl_cpuset_truncate(struct pl_cpuset *s, unsigned n);
/* Parse a kernel cpu list; an empty or all-blank string is the empty set.
 * -EINVAL on malformed input, -ERANGE for a cpu >= PL_CPUSET_MAX. */
int pl_cpuset_parse(const char *text, struct pl_cpuset *out);
/* Format as a kernel cpu list ("0-3,8"); returns the length or -ENOSPC. */
int pl_cpuset_format(const struct pl_cpuset *s, char *buf, size_t size);

/* sysfs cpu masks: comma-separated 32-bit hex words, most significant first
 * ("00000000,0000000f"). */
int pl_cpuset_parse_mask(const char *text, struct pl_cpuset *out);
/* Format as a mask of at least `min_cpus` bits (the kernel pads to nr_cpu_ids). */
int pl_cpuset_format_mask(const struct pl_cpuset *s, unsigned min_cpus, char *buf, size_t size);

/* The members of `host` that are visible, renumbered to their index in `visible`
 * (visible's n-th member becomes n): how a container sees a host cpu list. */
void pl_cpuset_renumber(const struct pl_cpuset *host, const struct pl_cpuset *visible, struct pl_cpuset *out);
