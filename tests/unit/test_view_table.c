/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

START_TEST(view_table)
{
	static const char *const paths[] = {"proc/meminfo",
					    "proc/cpuinfo",
					    "proc/stat",
					    "proc/uptime",
					    "proc/loadavg",
					    "proc/swaps",
					    "proc/diskstats",
					    "proc/pressure/cpu",
					    "proc/pressure/memory",
					    "proc/pressure/io",
					    "sys/devices/system/cpu/online",
					    "sys/devices/system/cpu/possible",
					    "sys/devices/system/cpu/present"};

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
	ck_assert_ptr_null(pl_view_find("proc/vmstat"));
	ck_assert_ptr_null(pl_view_find("proc/pressure"));
	ck_assert_ptr_null(pl_view_find("proc"));
	ck_assert_ptr_null(pl_view_find(NULL));
}
END_TEST

/* Every view generates through the table on both trees, sharing one history. */
START_TEST(generate_every_view)
{
	static const struct fixture_when at_40s = {
	    .now_ns = 50 * NS, .init_start_ns = 10 * NS, .cpu_history = true};
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

	for (size_t t = 0; t < PL_ARRAY_SIZE(trees); t++) {
		struct fixture f;

		fixture_open(&f, trees[t], "ct", true, &at_40s);
		for (size_t i = 0; i < pl_views_count; i++) {
			struct pl_buf b;

			pl_buf_init(&b);
			ck_assert_msg(pl_view_generate(&pl_views[i], &f.src, &b) == 0, "%s on %s",
				      pl_views[i].path, trees[t]);
			ck_assert_uint_gt(b.len, 0);
			ck_assert_int_eq(b.data[b.len - 1], '\n');
			pl_buf_free(&b);
		}
		ck_assert_uint_eq(f.hist.ncpu, 2);
		fixture_close(&f);
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

PL_TEST_MAIN(table_suite)
