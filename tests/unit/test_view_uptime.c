/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char *render(uint64_t uptime_ns, uint64_t idle_ns)
{
	struct pl_uptime_state st = {.uptime_ns = uptime_ns, .idle_ns = idle_ns};
	struct pl_buf b;

	pl_buf_init(&b);
	ck_assert_int_eq(pl_uptime_render(&st, &b), 0);
	return pl_buf_steal(&b, NULL);
}

START_TEST(render_exact_truncates)
{
	char *t = render(12345 * NS + 678901234, 1 * NS + 999999999);

	/* The kernel truncates to hundredths; so do we. */
	ck_assert_str_eq(t, "12345.67 1.99\n");
	free(t);
	t = render(0, 0);
	ck_assert_str_eq(t, "0.00 0.00\n");
	free(t);
	t = render(5 * NS + 50000000, 123 * NS + 4000000);
	ck_assert_str_eq(t, "5.05 123.00\n");
	free(t);
}
END_TEST

/* 100.12 s after the container's init started, keeping CPU history as the daemon does. */
static const struct fixture_when at_100s = {
    .now_ns = 1000 * NS + 123456789, .init_start_ns = 900 * NS, .cpu_history = true};

START_TEST(collect_uptime_is_since_init)
{
	struct fixture f;
	_cleanup_free_ char *t = NULL;
	double up, idle;

	fixture_open(&f, FIXTURES "/view/v2", "ct", true, &at_100s);
	ck_assert_int_eq(fixture_generate(&f, "proc/uptime", &t), 0);
	ck_assert_int_eq(sscanf(t, "%lf %lf", &up, &idle), 2);
	ck_assert(strncmp(t, "100.12 ", 7) == 0);
	/* 2 CPUs at 0.75 each for 100.12 s minus 11 s busy */
	ck_assert_double_eq_tol(idle, 100.123456789 * 1.5 - 11, 0.011);
	fixture_close(&f);
}
END_TEST

/* In a time namespace whose boot clock started 899.9 s after ours (proclens run makes one
 * at the container's start), uptime is that clock, as the kernel shows it there. */
START_TEST(collect_uptime_in_time_namespace)
{
	struct fixture f;
	_cleanup_free_ char *t = NULL;

	fixture_open(&f, FIXTURES "/view/v2", "ct", true, &at_100s);
	f.src.boottime_offset_ns = -(int64_t)(899 * NS + 900000000);
	ck_assert_int_eq(fixture_generate(&f, "proc/uptime", &t), 0);
	ck_assert(strncmp(t, "100.22 ", 7) == 0);
	fixture_close(&f);
}
END_TEST

START_TEST(idle_consistent_with_stat)
{
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		for (int from_quota = 0; from_quota <= 1; from_quota++) {
			struct fixture f;
			_cleanup_free_ char *up_text = NULL, *stat_text = NULL;
			unsigned long long user, nice, sys, idle_ticks;
			double up, idle_s, tck = (double)pl_clk_tck();
			unsigned ncpu;

			fixture_open(&f, trees[i], "ct", from_quota, &at_100s);
			ck_assert_int_eq(fixture_generate(&f, "proc/stat", &stat_text), 0);
			ck_assert_int_eq(fixture_generate(&f, "proc/uptime", &up_text), 0);
			ck_assert_int_eq(
			    sscanf(stat_text, "cpu  %llu %llu %llu %llu", &user, &nice, &sys, &idle_ticks),
			    4);
			ck_assert_int_eq(sscanf(up_text, "%lf %lf", &up, &idle_s), 2);
			/* the "cpu" total line, then one per CPU */
			ncpu = count_lines_starting(stat_text, "cpu") - 1;
			/* Each per-CPU value is rounded down to a tick, uptime to 1/100 s. */
			ck_assert_double_le((double)idle_ticks / tck, idle_s + 0.01);
			ck_assert_double_ge((double)idle_ticks / tck, idle_s - (ncpu + 1) / tck);
			fixture_close(&f);
		}
	}
}
END_TEST

START_TEST(collect_root_and_errors)
{
	struct fixture f;
	char *t;

	fixture_open(&f, FIXTURES "/view/v2", "", true, &at_100s);
	ck_assert_int_eq(fixture_generate(&f, "proc/uptime", &t), 0);
	ck_assert_str_eq(t, "86400.50 600000.25\n");
	free(t);
	fixture_close(&f);
	/* No cpuacct hierarchy for this cgroup: error, never the host's uptime. */
	fixture_open(&f, FIXTURES "/view/v1", "ct", true, &at_100s);
	free(f.cg.path[PL_CTRL_CPUACCT]);
	f.cg.path[PL_CTRL_CPUACCT] = NULL;
	ck_assert_int_eq(fixture_generate(&f, "proc/uptime", &t), -ENOENT);
	free(t);
	fixture_close(&f);
	fixture_assert_cpu_roots_and_gone("proc/uptime", "86400.50 600000.25\n", &at_100s);
}
END_TEST

static Suite *uptime_suite(void)
{
	Suite *s = suite_create("view_uptime");
	TCase *tr = tcase_create("render");
	TCase *tc = tcase_create("collect");

	tcase_add_test(tr, render_exact_truncates);
	suite_add_tcase(s, tr);
	tcase_add_test(tc, collect_uptime_is_since_init);
	tcase_add_test(tc, collect_uptime_in_time_namespace);
	tcase_add_test(tc, idle_consistent_with_stat);
	tcase_add_test(tc, collect_root_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(uptime_suite)
