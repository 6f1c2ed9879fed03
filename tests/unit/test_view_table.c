/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/view.h"

#define SYNTH FIXTURES "/host/synth8"
#define NS UINT64_C(1000000000)

START_TEST(view_table)
{
	static const char *const paths[] = {"proc/meminfo", "proc/cpuinfo", "proc/stat", "proc/uptime"};

	ck_assert_uint_eq(pl_views_count, PL_ARRAY_SIZE(paths));
	for (size_t i = 0; i < PL_ARRAY_SIZE(paths); i++) {
		const struct pl_view *v = pl_view_find(paths[i]);

		ck_assert_ptr_nonnull(v);
		ck_assert_str_eq(v->path, paths[i]);
		ck_assert_int_eq(v->mode & 0777, 0444);
		ck_assert(S_ISREG(v->mode));
		ck_assert_uint_gt(v->state_size, 0);
		ck_assert_ptr_nonnull(v->collect);
		ck_assert_ptr_nonnull(v->render);
	}
	ck_assert_ptr_eq(pl_view_find("/proc/stat"), pl_view_find("proc/stat"));
	ck_assert_ptr_null(pl_view_find("proc/loadavg"));
	ck_assert_ptr_null(pl_view_find("proc"));
	ck_assert_ptr_null(pl_view_find(NULL));
}
END_TEST

/* Every view generates through the table on both trees, sharing one history. */
START_TEST(generate_every_view)
{
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

	for (size_t t = 0; t < PL_ARRAY_SIZE(trees); t++) {
		struct pl_host host;
		struct pl_cgroup_root root;
		struct pl_cgroup cg;
		struct pl_view_opts opts = {.cpu_count_from_quota = true};
		struct pl_cpu_history hist = {0};
		struct pl_source src = {.host = &host,
					.cg = &cg,
					.opts = &opts,
					.now_ns = 50 * NS,
					.init_start_ns = 10 * NS,
					.cpu_history = &hist};

		ck_assert_int_eq(pl_host_open(&host, SYNTH "/proc", SYNTH "/sys"), 0);
		ck_assert_int_eq(pl_cgroup_root_open_dir(&root, trees[t]), 0);
		ck_assert_int_eq(pl_cgroup_from_path(&root, "ct", &cg), 0);
		for (size_t i = 0; i < pl_views_count; i++) {
			struct pl_buf b;

			pl_buf_init(&b);
			ck_assert_msg(pl_view_generate(&pl_views[i], &src, &b) == 0, "%s on %s",
				      pl_views[i].path, trees[t]);
			ck_assert_uint_gt(b.len, 0);
			ck_assert_int_eq(b.data[b.len - 1], '\n');
			pl_buf_free(&b);
		}
		ck_assert_uint_eq(hist.ncpu, 2);
		pl_cpu_history_free(&hist);
		pl_cgroup_free(&cg);
		pl_cgroup_root_close(&root);
		pl_host_close(&host);
	}
}
END_TEST

START_TEST(history_free_is_idempotent)
{
	struct pl_cpu_history h = {0};

	pl_cpu_history_free(&h);
	pl_cpu_history_free(&h);
	pl_cpu_history_free(NULL);
	ck_assert_uint_eq(h.ncpu, 0);
}
END_TEST

static Suite *table_suite(void)
{
	Suite *s = suite_create("view_table");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, view_table);
	tcase_add_test(tc, generate_every_view);
	tcase_add_test(tc, history_free_is_idempotent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(table_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
