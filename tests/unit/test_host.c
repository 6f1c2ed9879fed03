/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclens/cleanup.h"
#include "proclens/host.h"
#include "proclens/util.h"
#include "testlib.h"

static struct pl_host host;

static void open_synth(void)
{
	ck_assert_int_eq(pl_host_open(&host, SYNTH "/proc", SYNTH "/sys"), 0);
}

static void close_host(void)
{
	pl_host_close(&host);
}

START_TEST(meminfo_real_fixture_keeps_every_line)
{
	struct pl_host real;
	struct pl_meminfo *mi = malloc(sizeof(*mi));
	_cleanup_free_ char *text = NULL;
	unsigned lines = 0;
	uint64_t v;

	ck_assert_ptr_nonnull(mi);
	ck_assert_int_eq(pl_host_open(&real, REAL "/proc", REAL "/sys"), 0);
	ck_assert_int_gt(pl_host_read_proc(&real, "meminfo", &text), 0);
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(pl_host_meminfo(&real, mi), 0);
	ck_assert_uint_eq(mi->n, lines);
	ck_assert_str_eq(mi->line[0].key, "MemTotal");
	ck_assert(mi->line[0].has_kb);
	ck_assert_int_eq(pl_meminfo_get(mi, "MemTotal", &v), 0);
	ck_assert_uint_gt(v, 0);
	ck_assert_int_eq(pl_meminfo_get(mi, "Active(anon)", &v), 0);
	ck_assert_int_eq(pl_meminfo_get(mi, "Active", &v), 0);
	ck_assert_int_eq(pl_meminfo_get(mi, "NoSuchKey", &v), -ENOENT);
	pl_host_close(&real);
	free(mi);
}
END_TEST

START_TEST(meminfo_parse_units_and_errors)
{
	struct pl_meminfo *mi = malloc(sizeof(*mi));
	uint64_t v;

	ck_assert_ptr_nonnull(mi);
	ck_assert_int_eq(pl_meminfo_parse("MemTotal:       1024 kB\nHugePages_Total:      16\n"
					  "HardwareCorrupted:     0 kB",
					  mi),
			 0);
	ck_assert_uint_eq(mi->n, 3);
	ck_assert(mi->line[0].has_kb);
	ck_assert(!mi->line[1].has_kb);
	ck_assert_str_eq(mi->line[1].key, "HugePages_Total");
	ck_assert_uint_eq(mi->line[1].value, 16);
	ck_assert_str_eq(mi->line[2].key, "HardwareCorrupted");
	ck_assert_int_eq(pl_meminfo_get(mi, "MemTotal", &v), 0);
	ck_assert_uint_eq(v, 1024);
	ck_assert_int_eq(pl_meminfo_parse("MemTotal 1024 kB\n", mi), -EINVAL);
	ck_assert_int_eq(pl_meminfo_parse("MemTotal: x kB\n", mi), -EINVAL);
	ck_assert_int_eq(pl_meminfo_parse("MemTotal: 12 MB\n", mi), -EINVAL);
	ck_assert_int_eq(pl_meminfo_parse("MemTotal: 99999999999999999999 kB\n", mi), -ERANGE);
	ck_assert_int_eq(pl_meminfo_parse("", mi), -EINVAL);
	free(mi);
}
END_TEST

START_TEST(meminfo_too_many_lines)
{
	struct pl_buf b;
	struct pl_meminfo *mi = malloc(sizeof(*mi));

	ck_assert_ptr_nonnull(mi);
	pl_buf_init(&b);
	for (int i = 0; i <= PL_MEMINFO_MAX_LINES; i++)
		pl_buf_printf(&b, "Key%d: %d kB\n", i, i);
	ck_assert_int_eq(pl_meminfo_parse(b.data, mi), -E2BIG);
	pl_buf_free(&b);
	free(mi);
}
END_TEST

START_TEST(online_cpus_and_btime)
{
	struct pl_cpuset cpus;
	uint64_t btime;

	ck_assert_int_eq(pl_host_online_cpus(&host, &cpus), 0);
	ck_assert_uint_eq(pl_cpuset_count(&cpus), 8);
	ck_assert_int_eq(pl_host_btime(&host, &btime), 0);
	ck_assert_uint_eq(btime, 1700000000);
}
END_TEST

START_TEST(proc_stat_parse_comm_with_parens)
{
	char state = 0;
	uint64_t start = 0;

	ck_assert_int_eq(pl_proc_stat_parse("7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 "
					    "4242 100 10\n",
					    &state, &start),
			 0);
	ck_assert_int_eq(state, 'R');
	ck_assert_uint_eq(start, 4242);
	ck_assert_int_eq(pl_proc_stat_parse("7 (x) S 1 2 3\n", &state, &start), -EINVAL);
	ck_assert_int_eq(pl_proc_stat_parse("garbage", &state, &start), -EINVAL);
	/* NULL outputs are allowed. */
	ck_assert_int_eq(
	    pl_proc_stat_parse("7 (a) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 1\n", NULL, NULL), 0);
}
END_TEST

START_TEST(timens_offsets_boottime)
{
	int64_t off = 1;

	/* As the kernel prints it: a negative offset is whole seconds and a positive fraction. */
	ck_assert_int_eq(pl_timens_offsets_parse("monotonic           0         0\n"
						 "boottime       -86843 729176125\n",
						 &off),
			 0);
	ck_assert_int_eq(off, -86842270823875LL);
	ck_assert_int_eq(pl_timens_offsets_parse("boottime 0 0\nmonotonic 5 0\n", &off), 0);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(pl_timens_offsets_parse("1 0 0\n7 12 5", &off), 0);
	ck_assert_int_eq(off, 12000000005LL);
	ck_assert_int_eq(pl_timens_offsets_parse("monotonic 0 0\n", &off), -EINVAL);
	ck_assert_int_eq(pl_timens_offsets_parse("boottime 1 1000000000\n", &off), -EINVAL);
	ck_assert_int_eq(pl_timens_offsets_parse("boottime 1\n", &off), -EINVAL);
	ck_assert_int_eq(pl_timens_offsets_parse("boottime 1 2 3\n", &off), -EINVAL);
	ck_assert_int_eq(pl_timens_offsets_parse("boottime 99999999999999999999 0\n", &off), -EINVAL);
	ck_assert_int_eq(pl_timens_offsets_parse("", &off), -EINVAL);
}
END_TEST

START_TEST(task_state_and_start_from_fixture)
{
	char state;
	uint64_t start;

	ck_assert_int_eq(pl_host_task_state(&host, 101, &state), 0);
	ck_assert_int_eq(state, 'S');
	ck_assert_int_eq(pl_host_task_state(&host, 103, &state), 0);
	ck_assert_int_eq(state, 'R');
	ck_assert_int_eq(pl_host_task_state(&host, 104, &state), 0);
	ck_assert_int_eq(state, 'D');
	ck_assert_int_eq(pl_host_proc_start(&host, 102, &start), 0);
	ck_assert_uint_eq(start, 5100);
	ck_assert_int_eq(pl_host_task_state(&host, 105, &state), -ENOENT);
	ck_assert_int_eq(pl_host_task_state(&host, 0, &state), -EINVAL);
}
END_TEST

START_TEST(open_missing_dir_fails)
{
	struct pl_host h;

	ck_assert_int_eq(pl_host_open(&h, FIXTURES "/no/such/dir", SYNTH "/sys"), -ENOENT);
	ck_assert_int_eq(h.proc_fd, -1);
	ck_assert_int_eq(h.sys_fd, -1);
}
END_TEST

START_TEST(live_host_readable)
{
	struct pl_host live;
	struct pl_meminfo *mi = malloc(sizeof(*mi));
	struct pl_cpuset cpus;
	uint64_t start;

	ck_assert_ptr_nonnull(mi);
	ck_assert_int_eq(pl_host_open(&live, NULL, NULL), 0);
	ck_assert_int_eq(pl_host_meminfo(&live, mi), 0);
	ck_assert_int_eq(pl_host_online_cpus(&live, &cpus), 0);
	ck_assert_uint_gt(pl_cpuset_count(&cpus), 0);
	ck_assert_int_eq(pl_host_proc_start(&live, getpid(), &start), 0);
	pl_host_close(&live);
	free(mi);
}
END_TEST

static Suite *host_suite(void)
{
	Suite *s = suite_create("host");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, open_synth, close_host);
	tcase_add_test(tc, meminfo_real_fixture_keeps_every_line);
	tcase_add_test(tc, meminfo_parse_units_and_errors);
	tcase_add_test(tc, meminfo_too_many_lines);
	tcase_add_test(tc, online_cpus_and_btime);
	tcase_add_test(tc, proc_stat_parse_comm_with_parens);
	tcase_add_test(tc, timens_offsets_boottime);
	tcase_add_test(tc, task_state_and_start_from_fixture);
	tcase_add_test(tc, open_missing_dir_fails);
	tcase_add_test(tc, live_host_readable);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(host_suite)
