/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static char *render(const char *host_text, const char *visible)
{
	struct pl_cpuinfo_state st = {0};
	struct pl_buf b;

	st.host_cpuinfo = (char *)host_text;
	ck_assert_int_eq(pl_cpuset_parse(visible, &st.visible), 0);
	pl_buf_init(&b);
	ck_assert_int_eq(pl_cpuinfo_render(&st, &b), 0);
	return pl_buf_steal(&b, NULL);
}

START_TEST(render_small_exact_with_trailer)
{
	static const char host[] = "processor\t: 0\nsiblings\t: 4\ncpu cores\t: 4\nid\t: a\n\n"
				   "processor\t: 1\nsiblings\t: 4\ncpu cores\t: 4\nid\t: b\n\n"
				   "processor\t: 2\nsiblings\t: 4\ncpu cores\t: 4\nid\t: c\n\n"
				   "processor\t: 3\nsiblings\t: 4\ncpu cores\t: 4\nid\t: d\n\n"
				   "timebase\t: 512000000\nplatform\t: pSeries\n";
	_cleanup_free_ char *got = render(host, "1,3");

	ck_assert_str_eq(got, "processor\t: 0\nsiblings\t: 2\ncpu cores\t: 2\nid\t: b\n\n"
			      "processor\t: 1\nsiblings\t: 2\ncpu cores\t: 2\nid\t: d\n\n"
			      "timebase\t: 512000000\nplatform\t: pSeries\n");
}
END_TEST

START_TEST(render_synth8_cpuset_2_3)
{
	_cleanup_free_ char *host = read_fixture(SYNTH "/proc", "cpuinfo");
	_cleanup_free_ char *got = render(host, "2-3");

	ck_assert_uint_eq(count_lines_starting(got, "processor\t: "), 2);
	ck_assert_ptr_nonnull(strstr(got, "processor\t: 0\n"));
	ck_assert_ptr_nonnull(strstr(got, "processor\t: 1\n"));
	ck_assert_ptr_null(strstr(got, "processor\t: 2\n"));
	/* The blocks are the host's CPUs 2 and 3, in order. */
	ck_assert_ptr_nonnull(strstr(got, "cpu MHz\t\t: 2402.002\n"));
	ck_assert_ptr_nonnull(strstr(got, "cpu MHz\t\t: 2403.003\n"));
	ck_assert(strstr(got, "2402.002") < strstr(got, "2403.003"));
	ck_assert_ptr_null(strstr(got, "2401.001"));
	ck_assert_uint_eq(count_lines_starting(got, "siblings\t: 2\n"), 2);
	ck_assert_uint_eq(count_lines_starting(got, "cpu cores\t: 2\n"), 2);
	ck_assert_uint_eq(count_lines_starting(got, "siblings\t: 8"), 0);
}
END_TEST

/* Replace every `from` by `to` of the same length, in place. */
static void replace_same_len(char *s, const char *from, const char *to)
{
	size_t len = strlen(from);

	ck_assert_uint_eq(len, strlen(to));
	for (char *p = strstr(s, from); p; p = strstr(p + len, from))
		memcpy(p, to, len);
}

START_TEST(render_synth8_is_host_blocks_byte_for_byte)
{
	_cleanup_free_ char *host = read_fixture(SYNTH "/proc", "cpuinfo");
	_cleanup_free_ char *got = render(host, "2-3");
	const char *from = strstr(host, "processor\t: 2\n"), *to = strstr(host, "processor\t: 4\n");
	_cleanup_free_ char *want = NULL;

	ck_assert(from && to && from < to);
	want = strndup(from, (size_t)(to - from));
	replace_same_len(want, "processor\t: 2\n", "processor\t: 0\n");
	replace_same_len(want, "processor\t: 3\n", "processor\t: 1\n");
	replace_same_len(want, "siblings\t: 8\n", "siblings\t: 2\n");
	replace_same_len(want, "cpu cores\t: 8\n", "cpu cores\t: 2\n");
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(render_real_host_one_cpu)
{
	_cleanup_free_ char *host = read_fixture(REAL "/proc", "cpuinfo");
	_cleanup_free_ char *got = render(host, "1");

	ck_assert_uint_eq(count_lines_starting(got, "processor\t: "), 1);
	ck_assert_ptr_nonnull(strstr(got, "processor\t: 0\n"));
	ck_assert_uint_eq(count_lines_starting(got, "siblings\t: 1\n"), 1);
	ck_assert_uint_eq(count_lines_starting(got, "cpu cores\t: 1\n"), 1);
	ck_assert_uint_eq(count_lines_starting(got, "apicid\t\t: 1\n"), 1);
}
END_TEST

START_TEST(collect_quota_and_cpuset)
{
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		char *t;

		/* cpuset 2-5, quota 150000/100000: 2 CPUs, host 2 and 3. */
		fixture_open(&f, trees[i], "ct", true, NULL);
		ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), 0);
		ck_assert_uint_eq(count_lines_starting(t, "processor\t: "), 2);
		ck_assert_ptr_nonnull(strstr(t, "2402.002"));
		ck_assert_ptr_nonnull(strstr(t, "2403.003"));
		ck_assert_uint_eq(count_lines_starting(t, "siblings\t: 2\n"), 2);
		free(t);
		fixture_close(&f);
		/* Option off: the cpuset's 4. */
		fixture_open(&f, trees[i], "ct", false, NULL);
		ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), 0);
		ck_assert_uint_eq(count_lines_starting(t, "processor\t: "), 4);
		ck_assert_ptr_nonnull(strstr(t, "processor\t: 3\n"));
		ck_assert_ptr_nonnull(strstr(t, "2405.005"));
		ck_assert_uint_eq(count_lines_starting(t, "cpu cores\t: 4\n"), 4);
		free(t);
		fixture_close(&f);
	}
}
END_TEST

START_TEST(collect_root_and_errors)
{
	_cleanup_free_ char *host = read_fixture(SYNTH "/proc", "cpuinfo");
	struct fixture f;
	char *t;

	fixture_open(&f, FIXTURES "/view/v2", "", true, NULL);
	ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), 0);
	ck_assert_str_eq(t, host);
	free(t);
	fixture_close(&f);
	fixture_open(&f, FIXTURES "/view/v1", "", true, NULL);
	ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), 0);
	ck_assert_str_eq(t, host);
	free(t);
	fixture_close(&f);
	/* Neither cpu nor cpuset controller: an error, not the host's CPUs. */
	fixture_open(&f, FIXTURES "/view/v1", "ct", true, NULL);
	free(f.cg.path[PL_CTRL_CPU]);
	free(f.cg.path[PL_CTRL_CPUSET]);
	f.cg.path[PL_CTRL_CPU] = f.cg.path[PL_CTRL_CPUSET] = NULL;
	ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), -ENOENT);
	free(t);
	fixture_close(&f);
}
END_TEST

#define CPU_BIT(c) (1u << (c))

/* cpuinfo's CPUs come from the cpuset and cpu hierarchies: only a reader at both roots gets
 * the host's file. On v1 the cpuacct root (a shell moved into a cpuset and a quota only) is
 * no such reader; v2 is one hierarchy, at its root or not. */
START_TEST(collect_root_of_each_hierarchy)
{
	_cleanup_free_ char *host = read_fixture(SYNTH "/proc", "cpuinfo");
	static const struct {
		unsigned at_root;
		bool host;
	} cases[] = {
	    {CPU_BIT(PL_CTRL_CPUACCT), false},
	    {CPU_BIT(PL_CTRL_CPUACCT) | CPU_BIT(PL_CTRL_CPU), false},
	    {CPU_BIT(PL_CTRL_CPUACCT) | CPU_BIT(PL_CTRL_CPUSET), false},
	    {CPU_BIT(PL_CTRL_CPU) | CPU_BIT(PL_CTRL_CPUSET), true},
	};
	struct fixture f;
	char *t;

	for (size_t i = 0; i < PL_ARRAY_SIZE(cases); i++) {
		fixture_open(&f, FIXTURES "/view/v1", "ct", true, NULL);
		fixture_place(&f, cases[i].at_root, "");
		ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), 0);
		if (cases[i].host)
			ck_assert_str_eq(t, host);
		else /* cpuset 2-5 or all 8, quota 1.5 or none */
			ck_assert_msg(count_lines_starting(t, "processor\t: ") < 8, "case %zu: the host's",
				      i);
		free(t);
		fixture_close(&f);
	}
	fixture_open(&f, FIXTURES "/view/v1", "ct", true, NULL);
	fixture_place(&f, CPU_BIT(PL_CTRL_CPUACCT), "");
	ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), 0);
	ck_assert_uint_eq(count_lines_starting(t, "processor\t: "), 2);
	free(t);
	fixture_close(&f);
	fixture_open(&f, FIXTURES "/view/v2", "ct", true, NULL);
	ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), 0);
	ck_assert_uint_eq(count_lines_starting(t, "processor\t: "), 2);
	free(t);
	fixture_close(&f);
}
END_TEST

/* The reader's cgroups removed since it opened the file: an error, not its parent's
 * cpuset or the host's CPUs. */
START_TEST(collect_cgroup_gone)
{
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		char *t;

		fixture_open(&f, trees[i], "ct", true, NULL);
		fixture_place(&f, FIXTURE_ALL, "ct/gone");
		ck_assert_int_eq(fixture_generate(&f, "/proc/cpuinfo", &t), -ESTALE);
		free(t);
		fixture_close(&f);
	}
}
END_TEST

static Suite *cpuinfo_suite(void)
{
	Suite *s = suite_create("view_cpuinfo");
	TCase *tr = tcase_create("render");
	TCase *tc = tcase_create("collect");

	tcase_add_test(tr, render_small_exact_with_trailer);
	tcase_add_test(tr, render_synth8_cpuset_2_3);
	tcase_add_test(tr, render_synth8_is_host_blocks_byte_for_byte);
	tcase_add_test(tr, render_real_host_one_cpu);
	suite_add_tcase(s, tr);
	tcase_add_test(tc, collect_quota_and_cpuset);
	tcase_add_test(tc, collect_root_and_errors);
	tcase_add_test(tc, collect_root_of_each_hierarchy);
	tcase_add_test(tc, collect_cgroup_gone);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(cpuinfo_suite)
