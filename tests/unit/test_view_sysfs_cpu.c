/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static const char *const trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};
static const char *const files[] = {"online", "possible", "present"};

static char *view_path(const char *file)
{
	static char path[64];

	snprintf(path, sizeof(path), "sys/devices/system/cpu/%s", file);
	return path;
}

static char *render_ncpu(unsigned ncpu, int expect)
{
	struct pl_sysfs_cpu_state st = {.ncpu = ncpu};
	struct pl_buf b;

	pl_buf_init(&b);
	ck_assert_int_eq(pl_sysfs_cpu_render(&st, &b), expect);
	return pl_buf_steal(&b, NULL);
}

START_TEST(render_cpu_lists)
{
	_cleanup_free_ char *one = render_ncpu(1, 0), *four = render_ncpu(4, 0),
			    *none = render_ncpu(0, -EINVAL);
	struct pl_cpuset parsed;

	ck_assert_str_eq(one, "0\n");
	ck_assert_str_eq(four, "0-3\n");
	/* What the kernel's list parser (and ours) reads back. */
	ck_assert_int_eq(pl_cpuset_parse(four, &parsed), 0);
	ck_assert_uint_eq(pl_cpuset_count(&parsed), 4);
}
END_TEST

/* Same count as cpuinfo's processors, so nproc and /proc/cpuinfo agree. */
static void assert_all_files(struct fixture *f, const char *expect)
{
	_cleanup_free_ char *cpuinfo = NULL;
	struct pl_cpuset set;

	for (size_t k = 0; k < PL_ARRAY_SIZE(files); k++) {
		_cleanup_free_ char *t = NULL;

		ck_assert_int_eq(fixture_generate(f, view_path(files[k]), &t), 0);
		ck_assert_str_eq(t, expect);
	}
	ck_assert_int_eq(fixture_generate(f, "proc/cpuinfo", &cpuinfo), 0);
	ck_assert_int_eq(pl_cpuset_parse(expect, &set), 0);
	ck_assert_uint_eq(count_lines_starting(cpuinfo, "processor"), pl_cpuset_count(&set));
}

START_TEST(collect_v1_and_v2)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;

		/* cpuset 2-5, renumbered from 0. */
		fixture_open(&f, trees[i], "ct", false, NULL);
		assert_all_files(&f, "0-3\n");
		fixture_close(&f);
		/* quota 1.5 CPUs counted as 2 when asked to. */
		fixture_open(&f, trees[i], "ct", true, NULL);
		assert_all_files(&f, "0-1\n");
		fixture_close(&f);
	}
	{
		struct fixture f;

		/* No cpuset or quota below the root: every online CPU. */
		fixture_open(&f, FIXTURES "/view/v2", "unlimited", true, NULL);
		assert_all_files(&f, "0-7\n");
		fixture_close(&f);
	}
}
END_TEST

START_TEST(collect_single_cpu)
{
	char dir[] = "/tmp/proclens-test-sysfs.XXXXXX", path[128];
	struct fixture f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ct", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	write_file(dir, "cgroup.controllers", "cpuset cpu\n");
	write_file(dir, "ct/cgroup.controllers", "cpuset cpu\n");
	write_file(dir, "ct/cpu.max", "max 100000\n");
	write_file(dir, "ct/cpuset.cpus.effective", "6\n");
	fixture_open(&f, dir, "ct", true, NULL);
	assert_all_files(&f, "0\n");
	fixture_close(&f);
	for (const char *const *p =
		 (const char *const[]){"ct/cgroup.controllers", "ct/cpu.max", "ct/cpuset.cpus.effective",
				       "cgroup.controllers", NULL};
	     *p; p++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *p);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/ct", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

START_TEST(collect_root_and_errors)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++)
		for (size_t k = 0; k < PL_ARRAY_SIZE(files); k++) {
			struct fixture f;
			char rel[64];
			_cleanup_free_ char *host_text = NULL;
			char *t;

			snprintf(rel, sizeof(rel), "devices/system/cpu/%s", files[k]);
			host_text = read_fixture(SYNTH "/sys", rel);
			fixture_open(&f, trees[i], "", true, NULL);
			ck_assert_int_eq(fixture_generate(&f, view_path(files[k]), &t), 0);
			ck_assert_str_eq(t, host_text);
			free(t);
			fixture_close(&f);
			/* Neither cpu nor cpuset for this cgroup: an error, not the host's list. */
			fixture_open(&f, trees[i], "ct", true, NULL);
			free(f.cg.path[PL_CTRL_CPU]);
			free(f.cg.path[PL_CTRL_CPUSET]);
			f.cg.path[PL_CTRL_CPU] = f.cg.path[PL_CTRL_CPUSET] = NULL;
			ck_assert_int_eq(fixture_generate(&f, view_path(files[k]), &t), -ENOENT);
			free(t);
			fixture_close(&f);
		}
}
END_TEST

/* The lists come from the cpuset and cpu hierarchies: the cpuacct root alone (v1) is not
 * the whole machine. */
START_TEST(collect_root_of_each_hierarchy)
{
	for (size_t k = 0; k < PL_ARRAY_SIZE(files); k++) {
		char rel[64];
		_cleanup_free_ char *host_text = NULL;
		struct fixture f;
		char *t;

		snprintf(rel, sizeof(rel), "devices/system/cpu/%s", files[k]);
		host_text = read_fixture(SYNTH "/sys", rel);
		fixture_open(&f, FIXTURES "/view/v1", "ct", true, NULL);
		fixture_place(&f, 1u << PL_CTRL_CPUACCT, "");
		ck_assert_int_eq(fixture_generate(&f, view_path(files[k]), &t), 0);
		ck_assert_str_eq(t, "0-1\n");
		free(t);
		fixture_place(&f, 1u << PL_CTRL_CPUSET | 1u << PL_CTRL_CPU, "");
		ck_assert_int_eq(fixture_generate(&f, view_path(files[k]), &t), 0);
		ck_assert_str_eq(t, host_text);
		free(t);
		fixture_close(&f);
	}
}
END_TEST

/* A cgroup removed since the reader opened the file: an error, not the parent's or the
 * host's list. */
START_TEST(collect_cgroup_gone)
{
	for (size_t k = 0; k < PL_ARRAY_SIZE(files); k++)
		for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
			struct fixture f;
			char *t;

			fixture_open(&f, trees[i], "ct", true, NULL);
			fixture_place(&f, FIXTURE_ALL, "ct/gone");
			ck_assert_int_eq(fixture_generate(&f, view_path(files[k]), &t), -ESTALE);
			free(t);
			fixture_close(&f);
		}
}
END_TEST

static Suite *sysfs_cpu_suite(void)
{
	Suite *s = suite_create("view_sysfs_cpu");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, render_cpu_lists);
	tcase_add_test(tc, collect_v1_and_v2);
	tcase_add_test(tc, collect_single_cpu);
	tcase_add_test(tc, collect_root_and_errors);
	tcase_add_test(tc, collect_root_of_each_hierarchy);
	tcase_add_test(tc, collect_cgroup_gone);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(sysfs_cpu_suite)
