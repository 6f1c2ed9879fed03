/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static const char *const trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};
static const char *const resources[] = {"cpu", "memory", "io"};
/* What regen.sh writes into ct's cpu/memory/io.pressure. */
static const char *const ct_text[] = {
    "some avg10=1.50 avg60=0.75 avg300=0.20 total=123456\nfull avg10=0.50 avg60=0.25 avg300=0.10 "
    "total=65432\n",
    "some avg10=0.00 avg60=0.00 avg300=0.00 total=42\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=21\n",
    "some avg10=3.00 avg60=2.00 avg300=1.00 total=999\nfull avg10=2.00 avg60=1.00 avg300=0.50 total=555\n",
};

static char *view_path(const char *resource)
{
	static char path[64];

	snprintf(path, sizeof(path), "proc/pressure/%s", resource);
	return path;
}

START_TEST(validate)
{
	static const char *const good[] = {
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	    "some avg10=12.34 avg60=100.00 avg300=0.01 total=18446744073709551615\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	};
	static const char *const bad[] = {
	    "",
	    "\n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0",
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00\n",
	    "some avg10=0 avg60=0.00 avg300=0.00 total=0\n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0 \n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nsome avg10=0.00 avg60=0.00 avg300=0.00 "
	    "total=0\n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n\n",
	};

	for (size_t i = 0; i < PL_ARRAY_SIZE(good); i++)
		ck_assert_msg(pl_pressure_validate(good[i]) == 0, "%s", good[i]);
	for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++)
		ck_assert_msg(pl_pressure_validate(bad[i]) == -EINVAL, "%s", bad[i]);
	ck_assert_int_eq(pl_pressure_validate(NULL), -EINVAL);
}
END_TEST

/* v2, and v1 through the unified hierarchy of a hybrid layout: ct's own files verbatim. */
START_TEST(collect_v1_hybrid_and_v2)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++)
		for (size_t k = 0; k < PL_ARRAY_SIZE(resources); k++) {
			struct fixture f;
			_cleanup_free_ char *t = NULL, *direct = NULL;

			fixture_open(&f, trees[i], "ct", false, NULL);
			ck_assert_ptr_nonnull(f.cg.v2_path);
			ck_assert_int_eq(fixture_generate(&f, view_path(resources[k]), &t), 0);
			ck_assert_str_eq(t, ct_text[k]);
			ck_assert_int_eq(pl_cgroup_pressure(&f.cg, resources[k], &direct),
					 (ssize_t)strlen(ct_text[k]));
			ck_assert_str_eq(direct, ct_text[k]);
			fixture_close(&f);
		}
}
END_TEST

START_TEST(collect_root_passthrough)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++)
		for (size_t k = 0; k < PL_ARRAY_SIZE(resources); k++) {
			struct fixture f;
			char rel[32];
			_cleanup_free_ char *t = NULL, *host_text = NULL;

			snprintf(rel, sizeof(rel), "pressure/%s", resources[k]);
			host_text = read_fixture(SYNTH "/proc", rel);
			fixture_open(&f, trees[i], "", false, NULL);
			ck_assert_int_eq(fixture_generate(&f, view_path(resources[k]), &t), 0);
			ck_assert_str_eq(t, host_text);
			fixture_close(&f);
		}
}
END_TEST

/* Hybrid: the host's file only for a reader at the root of the hierarchies that limit the
 * resource and of the v2 one the kernel accounts pressure by. */
START_TEST(collect_root_of_each_hierarchy)
{
	static const unsigned limits[] = {1u << PL_CTRL_CPUSET | 1u << PL_CTRL_CPU, 1u << PL_CTRL_MEMORY,
					  1u << PL_CTRL_IO};

	for (size_t k = 0; k < PL_ARRAY_SIZE(resources); k++) {
		struct fixture f;
		char *t;

		/* At the v1 roots, in a v2 cgroup of its own: that cgroup's pressure. */
		fixture_open(&f, FIXTURES "/view/v1", "ct", false, NULL);
		fixture_place(&f, FIXTURE_ALL & ~(1u << PL_CTRL_COUNT), "");
		ck_assert_int_eq(fixture_generate(&f, view_path(resources[k]), &t), 0);
		ck_assert_str_eq(t, ct_text[k]);
		free(t);
		fixture_close(&f);
		/* At the v2 root and the cpuacct root, limited in v1: no pressure of its own. */
		fixture_open(&f, FIXTURES "/view/v1", "ct", false, NULL);
		fixture_place(&f, 1u << PL_CTRL_COUNT | 1u << PL_CTRL_CPUACCT, "");
		ck_assert_int_eq(fixture_generate(&f, view_path(resources[k]), &t), -ENOENT);
		free(t);
		/* ... and at the roots of the resource's limits too: the host's. */
		fixture_place(&f, limits[k], "");
		ck_assert_int_eq(fixture_generate(&f, view_path(resources[k]), &t), 0);
		ck_assert_str_ne(t, ct_text[k]);
		free(t);
		fixture_close(&f);
	}
}
END_TEST

START_TEST(collect_errors)
{
	struct fixture f;
	char *t;

	/* Malformed cpu.pressure: -EINVAL; the cgroup's other files are fine. */
	fixture_open(&f, FIXTURES "/view/v2", "bad", false, NULL);
	ck_assert_int_eq(fixture_generate(&f, "proc/pressure/cpu", &t), -EINVAL);
	free(t);
	ck_assert_int_eq(fixture_generate(&f, "proc/pressure/memory", &t), 0);
	free(t);
	fixture_close(&f);
	/* No pressure files (a kernel without PSI): an error, never the host's. */
	fixture_open(&f, FIXTURES "/view/v2", "unlimited", false, NULL);
	for (size_t k = 0; k < PL_ARRAY_SIZE(resources); k++) {
		ck_assert_int_eq(fixture_generate(&f, view_path(resources[k]), &t), -ENOENT);
		free(t);
	}
	fixture_close(&f);
	/* A v1 cgroup with no v2 cgroup at all. */
	fixture_open(&f, FIXTURES "/view/v1", "noswap", false, NULL);
	ck_assert_ptr_null(f.cg.v2_path);
	for (size_t k = 0; k < PL_ARRAY_SIZE(resources); k++) {
		ck_assert_int_eq(fixture_generate(&f, view_path(resources[k]), &t), -ENOENT);
		free(t);
	}
	fixture_close(&f);
	/* The v2 root's files are the machine's: the API never hands them out as a cgroup's
	 * (the view shows them only to a reader that is the root, as the host's file). */
	fixture_open(&f, FIXTURES "/view/v2", "", false, NULL);
	ck_assert_int_eq(pl_cgroup_pressure(&f.cg, "cpu", &t), -ENOENT);
	fixture_close(&f);
	/* Nonsense resources never reach the file system. */
	fixture_open(&f, FIXTURES "/view/v2", "ct", false, NULL);
	ck_assert_int_eq(pl_cgroup_pressure(&f.cg, "../cpu", &t), -EINVAL);
	ck_assert_int_eq(pl_cgroup_pressure(&f.cg, "", &t), -EINVAL);
	ck_assert_ptr_null(t);
	fixture_close(&f);
}
END_TEST

/* /proc/PID/cgroup on a hybrid layout: the "0::" line gives the v2 cgroup. A container in v1
 * cgroups whose v2 cgroup is the root has no pressure of its own: the root's is the host's. */
START_TEST(hybrid_proc_cgroup_v2_path)
{
	static const char at_root[] = "4:memory:/ct\n3:cpuset:/ct\n2:cpuacct:/ct\n1:cpu:/ct\n0::/\n";
	static const char in_ct[] = "4:memory:/ct\n3:cpuset:/ct\n2:cpuacct:/ct\n1:cpu:/ct\n0::/ct\n";
	struct pl_cgroup_root root;
	struct pl_cgroup cg, copy;
	struct pl_host host;
	struct pl_source src = {.host = &host, .cg = &cg};
	struct pl_buf b;
	char *t;

	ck_assert_int_eq(pl_host_open(&host, SYNTH "/proc", SYNTH "/sys"), 0);
	ck_assert_int_eq(pl_cgroup_root_open_dir(&root, FIXTURES "/view/v1"), 0);
	ck_assert_int_eq(pl_cgroup_parse_proc(&root, at_root, &cg), 0);
	ck_assert_str_eq(cg.v2_path, "");
	ck_assert_int_eq(pl_cgroup_pressure(&cg, "cpu", &t), -ENOENT);
	pl_buf_init(&b);
	ck_assert_int_eq(pl_view_generate(pl_view_find("proc/pressure/cpu"), &src, &b), -ENOENT);
	pl_buf_free(&b);
	ck_assert_int_eq(pl_cgroup_copy(&cg, &copy), 0);
	ck_assert(pl_cgroup_equal(&cg, &copy));
	pl_cgroup_free(&copy);
	pl_cgroup_free(&cg);

	ck_assert_int_eq(pl_cgroup_parse_proc(&root, in_ct, &cg), 0);
	ck_assert_str_eq(cg.v2_path, "ct");
	ck_assert_int_eq(pl_cgroup_copy(&cg, &copy), 0);
	ck_assert_str_eq(copy.v2_path, "ct");
	ck_assert(pl_cgroup_equal(&cg, &copy));
	free(copy.v2_path);
	copy.v2_path = NULL;
	ck_assert(!pl_cgroup_equal(&cg, &copy));
	pl_cgroup_free(&copy);
	pl_buf_init(&b);
	ck_assert_int_eq(pl_view_generate(pl_view_find("proc/pressure/io"), &src, &b), 0);
	ck_assert_str_eq(b.data, ct_text[2]);
	pl_buf_free(&b);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&root);
	pl_host_close(&host);
}
END_TEST

static Suite *pressure_suite(void)
{
	Suite *s = suite_create("view_pressure");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, validate);
	tcase_add_test(tc, collect_v1_hybrid_and_v2);
	tcase_add_test(tc, collect_root_passthrough);
	tcase_add_test(tc, collect_root_of_each_hierarchy);
	tcase_add_test(tc, collect_errors);
	tcase_add_test(tc, hybrid_proc_cgroup_v2_path);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(pressure_suite)
