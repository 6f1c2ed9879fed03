/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cpuview.h"
#include "testlib.h"

static struct pl_cpu_limits limits_of(const char *cpuset, uint64_t quota_usec, uint64_t period_usec)
{
	struct pl_cpu_limits l = {.quota_usec = quota_usec, .period_usec = period_usec};

	l.has_cpuset = cpuset != NULL;
	pl_cpuset_zero(&l.cpus);
	if (cpuset)
		ck_assert_int_eq(pl_cpuset_parse(cpuset, &l.cpus), 0);
	return l;
}

static void assert_set(const struct pl_cpuset *s, const char *want)
{
	char got[256];

	ck_assert_int_ge(pl_cpuset_format(s, got, sizeof(got)), 0);
	ck_assert_str_eq(got, want);
}

START_TEST(visible_is_cpuset_and_online)
{
	struct pl_cpuset online, vis;
	struct pl_cpu_limits l = limits_of("2-3,9", PL_UNLIMITED, 0);
	bool reduced = true;

	pl_cpuset_parse("0-7", &online);
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, true, &vis, &reduced), 0);
	assert_set(&vis, "2-3");
	ck_assert(!reduced);
	/* No cpuset controller: all online CPUs. */
	l = limits_of(NULL, PL_UNLIMITED, 0);
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, true, &vis, NULL), 0);
	assert_set(&vis, "0-7");
	/* A cpuset with no online CPU has no honest answer. */
	l = limits_of("9-10", PL_UNLIMITED, 0);
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, true, &vis, NULL), -EINVAL);
}
END_TEST

START_TEST(visible_reduced_by_quota)
{
	struct pl_cpuset online, vis;
	struct pl_cpu_limits l = limits_of("0-7", 150000, 100000);
	bool reduced;

	pl_cpuset_parse("0-7", &online);
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, true, &vis, &reduced), 0);
	assert_set(&vis, "0-1");
	ck_assert(reduced);
	/* Option off: the cpuset count. */
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, false, &vis, &reduced), 0);
	assert_set(&vis, "0-7");
	ck_assert(!reduced);
	/* Half a CPU still runs on one. */
	l = limits_of("4-7", 50000, 100000);
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, true, &vis, &reduced), 0);
	assert_set(&vis, "4");
	/* A quota above the cpuset does not add CPUs. */
	l = limits_of("4-5", 800000, 100000);
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, true, &vis, &reduced), 0);
	assert_set(&vis, "4-5");
	ck_assert(!reduced);
	/* Exactly 2.0 CPUs: 2. */
	l = limits_of(NULL, 200000, 100000);
	ck_assert_int_eq(pl_cpuview_visible(&online, &l, true, &vis, &reduced), 0);
	assert_set(&vis, "0-1");
}
END_TEST

START_TEST(spread_is_exact_and_monotonic)
{
	uint64_t prev[5] = {0}, cur[5];

	for (uint64_t total = 0; total < 2000; total++) {
		for (unsigned n = 1; n <= 5; n++) {
			uint64_t sum = 0, lo = UINT64_MAX, hi = 0;

			pl_cpuview_spread(total, n, cur);
			for (unsigned i = 0; i < n; i++) {
				sum += cur[i];
				lo = PL_MIN(lo, cur[i]);
				hi = PL_MAX(hi, cur[i]);
				/* floor((B + n-1-i)/n), as specified */
				ck_assert_uint_eq(cur[i], (total + n - 1 - i) / n);
			}
			ck_assert_uint_eq(sum, total);
			ck_assert_uint_le(hi - lo, 1);
		}
		pl_cpuview_spread(total, 5, cur);
		for (unsigned i = 0; i < 5; i++)
			ck_assert_uint_ge(cur[i], prev[i]);
		memcpy(prev, cur, sizeof(prev));
	}
	/* No overflow near the top of the range. */
	pl_cpuview_spread(UINT64_MAX, 3, cur);
	ck_assert_uint_eq(cur[0] + cur[1] + cur[2], UINT64_MAX);
}
END_TEST

START_TEST(capacity_of_the_cpus)
{
	ck_assert_uint_eq(pl_cpuview_capacity_ns(NS, 150000, 100000, 2), NS * 3 / 2);
	ck_assert_uint_eq(pl_cpuview_capacity_ns(NS, 150000, 100000, 8), NS * 3 / 2);
	ck_assert_uint_eq(pl_cpuview_capacity_ns(NS, 150000, 100000, 1), NS);
	ck_assert_uint_eq(pl_cpuview_capacity_ns(NS, PL_UNLIMITED, 0, 4), 4 * NS);
	/* A year at 1/3 CPU does not overflow. */
	ck_assert_uint_eq(pl_cpuview_capacity_ns(365 * 86400 * NS, 100000, 300000, 1), 365 * 86400 * NS / 3);
	ck_assert_uint_eq(pl_cpuview_capacity_ns(UINT64_MAX, PL_UNLIMITED, 0, 4), UINT64_MAX);
}
END_TEST

static int compute(unsigned n, uint64_t quota, uint64_t period, uint64_t elapsed_ns, const uint64_t *user_ns,
		   const uint64_t *system_ns, struct pl_cpu_history *h, struct pl_cpuview *out)
{
	struct pl_cpuview_sample s = {
	    .ncpu = n,
	    .quota_usec = quota,
	    .period_usec = period,
	    .elapsed_ns = elapsed_ns,
	    .init_start_ns = 7,
	    .busy_user_ns = user_ns,
	    .busy_system_ns = system_ns,
	};
	return pl_cpuview_compute(&s, h, out);
}

START_TEST(idle_is_capacity_minus_busy)
{
	uint64_t user[2] = {1 * NS, 3 * NS}, sys[2] = {NS / 2, NS};
	struct pl_cpuview v;

	/* 1.5 CPUs on 2: 0.75 s per second each; 10 s elapsed = 7.5 s capacity. */
	ck_assert_int_eq(compute(2, 150000, 100000, 10 * NS, user, sys, NULL, &v), 0);
	ck_assert_uint_eq(v.ncpu, 2);
	ck_assert_uint_eq(v.user_ns[0], NS);
	ck_assert_uint_eq(v.system_ns[1], NS);
	ck_assert_uint_eq(v.idle_ns[0], 7500000000u - 1500000000u);
	ck_assert_uint_eq(v.idle_ns[1], 7500000000u - 4000000000u);
	pl_cpuview_free(&v);
	/* Busy past capacity: idle 0, never negative. */
	user[0] = 9 * NS;
	ck_assert_int_eq(compute(2, 150000, 100000, 10 * NS, user, sys, NULL, &v), 0);
	ck_assert_uint_eq(v.idle_ns[0], 0);
	pl_cpuview_free(&v);
	ck_assert_int_eq(compute(0, 150000, 100000, 10 * NS, user, sys, NULL, &v), -EINVAL);
}
END_TEST

START_TEST(history_keeps_counters_monotonic)
{
	struct pl_cpu_history h = {0};
	uint64_t last_user = 0, last_sys = 0, last_idle = 0;
	/* Usage of a 1-CPU quota, in bursts: 3 s of work done in the first second, then
	 * nothing, then steady. elapsed and usage in seconds. */
	static const struct {
		uint64_t elapsed, user;
	} seq[] = {{1, 0}, {2, 3}, {3, 3}, {4, 3}, {5, 3}, {6, 4}, {7, 5}, {8, 8}, {9, 8}, {20, 8}};

	for (size_t k = 0; k < PL_ARRAY_SIZE(seq); k++) {
		uint64_t user = seq[k].user * NS, sys = seq[k].user * NS / 10;
		struct pl_cpuview v;

		ck_assert_int_eq(compute(1, 100000, 100000, seq[k].elapsed * NS, &user, &sys, &h, &v), 0);
		ck_assert_uint_ge(v.user_ns[0], last_user);
		ck_assert_uint_ge(v.system_ns[0], last_sys);
		ck_assert_uint_ge(v.idle_ns[0], last_idle);
		/* The history holds exactly what was emitted. */
		ck_assert_uint_eq(h.idle_ns[0], v.idle_ns[0]);
		last_user = v.user_ns[0];
		last_sys = v.system_ns[0];
		last_idle = v.idle_ns[0];
		pl_cpuview_free(&v);
	}
	/* The idle target caught up by the end: 20 s capacity - 8.8 s busy. */
	ck_assert_uint_eq(last_idle, 20 * NS - 8 * NS - 8 * NS / 10);
	pl_cpu_history_free(&h);
	ck_assert_ptr_null(h.idle_ns);
}
END_TEST

static uint64_t total_of(const uint64_t *v, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += v[i];
	return sum;
}

/* One thread of a 1.5 CPU quota on 2 visible CPUs runs past its CPU's share (0.75): the
 * excess comes out of the other CPU's idle, so the container is 1/1.5 = 67% busy, not 57%
 * (cpu0 idle clipped at 0 while cpu1 kept its whole 0.75). */
START_TEST(idle_is_one_budget_for_all_cpus)
{
	uint64_t user[2] = {10 * NS, 0}, sys[2] = {0, 0};
	struct pl_cpu_history h = {0};
	struct pl_cpuview v;

	ck_assert_int_eq(compute(2, 150000, 100000, 10 * NS, user, sys, NULL, &v), 0);
	ck_assert_uint_eq(v.idle_ns[0], 0);
	ck_assert_uint_eq(v.idle_ns[1], 5 * NS);
	pl_cpuview_free(&v);

	/* The same with history, in top's terms: idle for 100 s, then the thread for 5 s. */
	user[0] = 0;
	ck_assert_int_eq(compute(2, 150000, 100000, 100 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(total_of(v.idle_ns, 2), 150 * NS);
	pl_cpuview_free(&v);
	user[0] = 5 * NS;
	ck_assert_int_eq(compute(2, 150000, 100000, 105 * NS, user, sys, &h, &v), 0);
	/* 7.5 s of capacity, 5 s busy: 2.5 s more idle, all on cpu1. */
	ck_assert_uint_eq(total_of(v.idle_ns, 2), 150 * NS + 5 * NS / 2);
	ck_assert_uint_eq(v.idle_ns[0], 75 * NS);
	ck_assert_uint_eq(v.idle_ns[1], 75 * NS + 5 * NS / 2);
	pl_cpuview_free(&v);

	pl_cpu_history_free(&h);

	/* --cpu-count=cpuset: a 0.5 quota on 2 CPUs, idle for 100 s, then one thread using all
	 * of it on cpu0 for 10 s is 100% busy: no idle gained (before: 2.5 s on cpu1, 67%). */
	user[0] = 0;
	ck_assert_int_eq(compute(2, 50000, 100000, 100 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(total_of(v.idle_ns, 2), 50 * NS);
	pl_cpuview_free(&v);
	user[0] = 5 * NS;
	ck_assert_int_eq(compute(2, 50000, 100000, 110 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(total_of(v.idle_ns, 2), 50 * NS);
	pl_cpuview_free(&v);
	pl_cpu_history_free(&h);
}
END_TEST

/* A quota is a rate: changed, it counts for the time after the change. Before, the
 * capacity was the new rate over the container's whole life: halved, idle stood still for
 * as long as the container had lived (top: 100% busy); raised, idle jumped. */
START_TEST(quota_change_rates_only_the_time_after)
{
	uint64_t user = 0, sys = 0;
	struct pl_cpu_history h = {0};
	struct pl_cpuview v;

	ck_assert_int_eq(compute(1, 100000, 100000, 100 * NS, &user, &sys, &h, &v), 0);
	ck_assert_uint_eq(v.idle_ns[0], 100 * NS);
	pl_cpuview_free(&v);
	/* Halved, 10 s idle: 5 s more idle. */
	ck_assert_int_eq(compute(1, 50000, 100000, 110 * NS, &user, &sys, &h, &v), 0);
	ck_assert_uint_eq(v.idle_ns[0], 105 * NS);
	pl_cpuview_free(&v);
	/* Whole again, 10 s: 10 s more, no jump to the 120 s of a whole CPU since the start. */
	ck_assert_int_eq(compute(1, 100000, 100000, 120 * NS, &user, &sys, &h, &v), 0);
	ck_assert_uint_eq(v.idle_ns[0], 115 * NS);
	pl_cpuview_free(&v);
	/* Half a CPU used for 10 s at half a CPU: all busy, idle stays. */
	user = 5 * NS;
	ck_assert_int_eq(compute(1, 50000, 100000, 130 * NS, &user, &sys, &h, &v), 0);
	ck_assert_uint_eq(v.idle_ns[0], 115 * NS);
	ck_assert_uint_eq(h.capacity_ns, (100 + 5 + 10 + 5) * NS);
	pl_cpuview_free(&v);
	/* A one-shot render has no past to add up: the rate over the whole life. */
	ck_assert_int_eq(compute(1, 50000, 100000, 130 * NS, &user, &sys, NULL, &v), 0);
	ck_assert_uint_eq(v.idle_ns[0], 65 * NS - 5 * NS);
	pl_cpuview_free(&v);
	pl_cpu_history_free(&h);
}
END_TEST

/* The visible CPUs change (a cpuset, a quota): the totals go on from what was shown, never
 * lower, and their differences are the container's use again from the next render on.
 * Before, the history was dropped and every total fell (user 10 s -> 5 s, idle 95 -> 5). */
START_TEST(history_carries_over_a_cpu_count_change)
{
	struct pl_cpu_history h = {0};
	uint64_t user[2] = {5 * NS, 5 * NS}, sys[2] = {0, 0};
	uint64_t tick_ns = NS / (uint64_t)pl_clk_tck();
	struct pl_cpuview v;

	ck_assert_int_eq(compute(1, PL_UNLIMITED, 0, 100 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(h.ncpu, 1);
	ck_assert_uint_eq(v.idle_ns[0], 95 * NS);
	pl_cpuview_free(&v);
	/* Two CPUs now, the second with 5 s of the cgroup's use of its own: the totals go on
	 * (one tick more for the second line's rounding), they do not take its past. */
	ck_assert_int_eq(compute(2, PL_UNLIMITED, 0, 110 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(h.ncpu, 2);
	ck_assert_uint_eq(total_of(v.user_ns, 2), 5 * NS + tick_ns);
	ck_assert_uint_eq(total_of(v.idle_ns, 2), 95 * NS + tick_ns);
	/* The new lines have no past to share it by: evenly. */
	ck_assert_uint_le(v.idle_ns[1] - v.idle_ns[0] + 1, 2);
	pl_cpuview_free(&v);
	/* 10 s on 2 CPUs, 1 s of it busy: the differences are the use. */
	user[0] = 6 * NS;
	ck_assert_int_eq(compute(2, PL_UNLIMITED, 0, 120 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(total_of(v.user_ns, 2), 6 * NS + tick_ns);
	ck_assert_uint_eq(total_of(v.idle_ns, 2), 114 * NS + tick_ns);
	pl_cpuview_free(&v);
	/* Back to one CPU, whose own use (7 s) is less than the total shown: nothing falls. */
	user[0] = 7 * NS;
	ck_assert_int_eq(compute(1, PL_UNLIMITED, 0, 130 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_ge(v.user_ns[0], 6 * NS + tick_ns);
	ck_assert_uint_ge(v.idle_ns[0], 114 * NS + tick_ns);
	pl_cpuview_free(&v);
	user[0] = 8 * NS;
	ck_assert_int_eq(compute(1, PL_UNLIMITED, 0, 140 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(v.user_ns[0], 7 * NS + tick_ns);
	ck_assert_uint_eq(v.idle_ns[0], 123 * NS + tick_ns);
	pl_cpuview_free(&v);
	/* A restarted container (new init start) starts afresh. */
	h.init_start_ns = 1;
	user[0] = 5 * NS;
	ck_assert_int_eq(compute(2, PL_UNLIMITED, 0, 6 * NS, user, sys, &h, &v), 0);
	ck_assert_uint_eq(v.idle_ns[1], 1 * NS);
	ck_assert_uint_eq(h.init_start_ns, 7);
	pl_cpuview_free(&v);
	pl_cpu_history_free(&h);
}
END_TEST

START_TEST(ticks_round_down)
{
	uint64_t tick_ns = NS / (uint64_t)pl_clk_tck();

	ck_assert_uint_eq(pl_ns_to_ticks(0), 0);
	ck_assert_uint_eq(pl_ns_to_ticks(tick_ns - 1), 0);
	ck_assert_uint_eq(pl_ns_to_ticks(tick_ns), 1);
	ck_assert_uint_eq(pl_ns_to_ticks(NS), (uint64_t)pl_clk_tck());
	ck_assert_uint_eq(pl_ns_to_ticks(UINT64_MAX),
			  (uint64_t)((unsigned __int128)UINT64_MAX * (uint64_t)pl_clk_tck() / NS));
}
END_TEST

/* ---- collect on the fixture trees (tests/fixtures/view/{v1,v2}, host synth8) ---- */

/* 100 s after the container's init started; one-shot, no CPU history. */
static const struct fixture_when at_100s = {.now_ns = 1000 * NS, .init_start_ns = 900 * NS};

START_TEST(collect_v1_percpu_or_spread)
{
	struct fixture f;
	struct pl_cpuview v;
	struct pl_cpuset vis;

	/* Quota 1.5 of cpuset 2-5: CPUs 2,3, the total (10 s user, 1 s system) spread. */
	fixture_open(&f, FIXTURES "/view/v1", "ct", true, &at_100s);
	ck_assert_int_eq(pl_cpuview_collect(&f.src, &v, &vis), 0);
	assert_set(&vis, "2-3");
	ck_assert_uint_eq(v.ncpu, 2);
	ck_assert_uint_eq(v.user_ns[0], 5 * NS);
	ck_assert_uint_eq(v.system_ns[1], NS / 2);
	/* 100 s at 0.75 CPU each, minus 5.5 s busy */
	ck_assert_uint_eq(v.idle_ns[0], 75 * NS - 5 * NS - NS / 2);
	pl_cpuview_free(&v);
	fixture_close(&f);

	/* Option off: all of cpuset 2-5, each with its own per-CPU counters. */
	fixture_open(&f, FIXTURES "/view/v1", "ct", false, &at_100s);
	ck_assert_int_eq(pl_cpuview_collect(&f.src, &v, &vis), 0);
	assert_set(&vis, "2-5");
	ck_assert_uint_eq(v.ncpu, 4);
	ck_assert_uint_eq(v.user_ns[0], 4 * NS);
	ck_assert_uint_eq(v.user_ns[3], 1 * NS);
	ck_assert_uint_eq(v.system_ns[1], 3 * NS / 10);
	pl_cpuview_free(&v);
	fixture_close(&f);
}
END_TEST

START_TEST(collect_v2_spreads_total)
{
	struct fixture f;
	struct pl_cpuview v;
	struct pl_cpuset vis;

	fixture_open(&f, FIXTURES "/view/v2", "ct", false, &at_100s);
	ck_assert_int_eq(pl_cpuview_collect(&f.src, &v, &vis), 0);
	assert_set(&vis, "2-5");
	ck_assert_uint_eq(v.ncpu, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(v.user_ns[i], 10 * NS / 4);
		ck_assert_uint_eq(v.system_ns[i], NS / 4);
	}
	pl_cpuview_free(&v);
	fixture_close(&f);
}
END_TEST

static Suite *cpuview_suite(void)
{
	Suite *s = suite_create("cpuview");
	TCase *tc = tcase_create("math");
	TCase *tcc = tcase_create("collect");

	tcase_add_test(tc, visible_is_cpuset_and_online);
	tcase_add_test(tc, visible_reduced_by_quota);
	tcase_add_test(tc, spread_is_exact_and_monotonic);
	tcase_add_test(tc, capacity_of_the_cpus);
	tcase_add_test(tc, idle_is_capacity_minus_busy);
	tcase_add_test(tc, history_keeps_counters_monotonic);
	tcase_add_test(tc, idle_is_one_budget_for_all_cpus);
	tcase_add_test(tc, quota_change_rates_only_the_time_after);
	tcase_add_test(tc, history_carries_over_a_cpu_count_change);
	tcase_add_test(tc, ticks_round_down);
	suite_add_tcase(s, tc);
	tcase_add_test(tcc, collect_v1_percpu_or_spread);
	tcase_add_test(tcc, collect_v2_spreads_total);
	suite_add_tcase(s, tcc);
	return s;
}

PL_TEST_MAIN(cpuview_suite)
