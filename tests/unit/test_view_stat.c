/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proclens/cpuview.h"
#include "testlib.h"

#define MAX_CPUS 16

/* One rendered /proc/stat: the cpu lines' 10 fields ("cpu" = index 0, cpuN = N + 1). */
struct parsed_stat {
	unsigned ncpu;
	uint64_t f[MAX_CPUS + 1][10];
};

static void parse_stat(const char *text, struct parsed_stat *ps)
{
	const char *p = text;

	memset(ps, 0, sizeof(*ps));
	ck_assert_msg(strncmp(p, "cpu  ", 5) == 0, "bad first line: %s", text);
	for (unsigned line = 0; strncmp(p, "cpu", 3) == 0; line++) {
		unsigned long long v[10];
		int n;

		ck_assert_uint_le(line, MAX_CPUS);
		if (line == 0) {
			ck_assert_int_eq(sscanf(p, "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu%n",
						&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
						&v[9], &n),
					 10);
		} else {
			unsigned idx;
			ck_assert_int_eq(
			    sscanf(p, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu%n", &idx,
				   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &n),
			    11);
			ck_assert_uint_eq(idx, line - 1); /* renumbered densely from 0 */
			ps->ncpu = line;
		}
		ck_assert_int_eq(p[n], '\n');
		for (int k = 0; k < 10; k++)
			ps->f[line][k] = v[k];
		p += n + 1;
	}
}

static void assert_total_is_sum(const struct parsed_stat *ps)
{
	for (int k = 0; k < 10; k++) {
		uint64_t sum = 0;
		for (unsigned i = 1; i <= ps->ncpu; i++)
			sum += ps->f[i][k];
		ck_assert_uint_eq(ps->f[0][k], sum);
	}
}

START_TEST(render_small_exact)
{
	uint64_t user[2] = {3 * NS + NS / 2, NS}, sys[2] = {NS / 4, 0}, idle[2] = {10 * NS, 12 * NS};
	struct pl_stat_state st = {.ncpu = 2,
				   .user_ns = user,
				   .system_ns = sys,
				   .idle_ns = idle,
				   .btime = 1700000000,
				   .procs_running = 2,
				   .procs_blocked = 1};
	struct pl_buf b;

	/* USER_HZ is 100 on every Linux architecture we run on. */
	ck_assert_int_eq(pl_clk_tck(), 100);
	pl_buf_init(&b);
	ck_assert_int_eq(pl_stat_render(&st, &b), 0);
	ck_assert_str_eq(b.data, "cpu  450 0 25 2200 0 0 0 0 0 0\n"
				 "cpu0 350 0 25 1000 0 0 0 0 0 0\n"
				 "cpu1 100 0 0 1200 0 0 0 0 0 0\n"
				 "intr 0\n"
				 "ctxt 0\n"
				 "btime 1700000000\n"
				 "processes 0\n"
				 "procs_running 2\n"
				 "procs_blocked 1\n"
				 "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
	pl_buf_free(&b);
}
END_TEST

START_TEST(render_total_is_sum_of_rounded_cpus)
{
	/* 19 ms each: 1 tick per CPU, 3 in total, though 57 ms would round to 5. */
	uint64_t tick_ns = NS / (uint64_t)pl_clk_tck();
	uint64_t user[3] = {2 * tick_ns - 1, 2 * tick_ns - 1, 2 * tick_ns - 1};
	uint64_t sys[3] = {0, tick_ns, 0}, idle[3] = {5, 7, 11};
	struct pl_stat_state st = {.ncpu = 3, .user_ns = user, .system_ns = sys, .idle_ns = idle};
	struct parsed_stat ps;
	struct pl_buf b;

	pl_buf_init(&b);
	ck_assert_int_eq(pl_stat_render(&st, &b), 0);
	parse_stat(b.data, &ps);
	ck_assert_uint_eq(ps.ncpu, 3);
	ck_assert_uint_eq(ps.f[0][0], 3);
	assert_total_is_sum(&ps);
	pl_buf_free(&b);
}
END_TEST

/* ---- collect: a mutable v2 tree in a temporary directory ---- */

static char tmp_tree[64];

static void set_usage(uint64_t user_usec, uint64_t system_usec)
{
	char text[128];

	snprintf(text, sizeof(text), "usage_usec %llu\nuser_usec %llu\nsystem_usec %llu\n",
		 (unsigned long long)(user_usec + system_usec), (unsigned long long)user_usec,
		 (unsigned long long)system_usec);
	write_file(tmp_tree, "ct/cpu.stat", text);
}

static void tmp_tree_make(void)
{
	char path[128];

	strcpy(tmp_tree, "/tmp/proclens-test-stat.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_tree));
	snprintf(path, sizeof(path), "%s/ct", tmp_tree);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	write_file(tmp_tree, "cgroup.controllers", "cpuset cpu memory pids\n");
	write_file(tmp_tree, "cgroup.subtree_control", "cpuset cpu memory pids\n");
	write_file(tmp_tree, "ct/cgroup.controllers", "cpuset cpu memory pids\n");
	write_file(tmp_tree, "ct/cgroup.threads", "102\n");
	write_file(tmp_tree, "ct/cpu.max", "150000 100000\n");
	write_file(tmp_tree, "ct/cpuset.cpus.effective", "0-7\n");
	set_usage(0, 0);
}

static void tmp_tree_remove(void)
{
	static const char *const files[] = {
	    "ct/cgroup.controllers",	"ct/cgroup.threads", "ct/cpu.max",
	    "ct/cpuset.cpus.effective", "ct/cpu.stat",	     "cgroup.controllers",
	    "cgroup.subtree_control"};
	char path[256];

	for (size_t i = 0; i < PL_ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp_tree, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/ct", tmp_tree);
	rmdir(path);
	rmdir(tmp_tree);
}

/* 100 s after the container's init started, keeping CPU history as the daemon does;
 * render_at moves the clock on. */
static const struct fixture_when at_100s = {
    .now_ns = 1000 * NS, .init_start_ns = 900 * NS, .cpu_history = true};

static void render_at(struct fixture *f, uint64_t elapsed_s, struct parsed_stat *ps)
{
	_cleanup_free_ char *t = NULL;

	f->src.now_ns = f->src.init_start_ns + elapsed_s * NS;
	ck_assert_int_eq(fixture_generate(f, "proc/stat", &t), 0);
	parse_stat(t, ps);
	assert_total_is_sum(ps);
}

/* top's busy share between two reads of the "cpu" line, in percent. */
static double busy_percent(const struct parsed_stat *a, const struct parsed_stat *b)
{
	double busy = 0, total = 0;

	for (int k = 0; k < 10; k++) {
		double d = (double)(b->f[0][k] - a->f[0][k]);
		total += d;
		if (k != 3 && k != 4)
			busy += d;
	}
	return total > 0 ? 100.0 * busy / total : 0;
}

START_TEST(busy_share_full_quota_half_and_idle)
{
	struct fixture f;
	struct parsed_stat a, b;

	tmp_tree_make();
	fixture_open(&f, tmp_tree, "ct", true, &at_100s);
	/* 1.5 CPUs shown as 2; 10 s at full quota = 15 CPU-seconds. */
	set_usage(20 * 1000000, 1000000);
	render_at(&f, 20, &a);
	ck_assert_uint_eq(a.ncpu, 2);
	set_usage(33 * 1000000, 3 * 1000000);
	render_at(&f, 30, &b);
	ck_assert_double_ge(busy_percent(&a, &b), 99.0);
	/* Half the quota for 10 s. */
	set_usage(40 * 1000000, 35 * 100000);
	render_at(&f, 40, &a);
	ck_assert_double_ge(busy_percent(&b, &a), 49.0);
	ck_assert_double_le(busy_percent(&b, &a), 51.0);
	/* Idle for 10 s. */
	render_at(&f, 50, &b);
	ck_assert_double_le(busy_percent(&a, &b), 0.0);
	ck_assert_uint_gt(b.f[0][3], a.f[0][3]);
	fixture_close(&f);
	tmp_tree_remove();
}
END_TEST

START_TEST(counters_never_go_backwards_through_bursts)
{
	/* elapsed seconds and cumulative user seconds: bursts above the 1.5 CPU capacity
	 * (the quota is enforced per period, usage arrives unevenly), then idle. */
	static const uint64_t seq[][2] = {{1, 0}, {2, 3}, {3, 6},  {4, 6},  {5, 6},
					  {6, 7}, {7, 9}, {8, 13}, {9, 13}, {30, 13}};
	struct fixture f;
	struct parsed_stat prev, cur;

	tmp_tree_make();
	fixture_open(&f, tmp_tree, "ct", true, &at_100s);
	memset(&prev, 0, sizeof(prev));
	for (size_t s = 0; s < PL_ARRAY_SIZE(seq); s++) {
		set_usage(seq[s][1] * 1000000, seq[s][1] * 100000);
		render_at(&f, seq[s][0], &cur);
		for (unsigned line = 0; line <= cur.ncpu; line++)
			for (int k = 0; k < 10; k++)
				ck_assert_msg(cur.f[line][k] >= prev.f[line][k],
					      "step %zu line %u field %d went back: %llu < %llu", s, line, k,
					      (unsigned long long)cur.f[line][k],
					      (unsigned long long)prev.f[line][k]);
		prev = cur;
	}
	/* The history lets idle catch up once the burst is over: 30 s * 1.5 - 14.3 s busy. */
	ck_assert_uint_eq(cur.f[0][3], (uint64_t)pl_clk_tck() * 307 / 10);
	fixture_close(&f);
	tmp_tree_remove();
}
END_TEST

/* docker update --cpus 1 -> 0.5 on an idle container: top must go on seeing it idle, not
 * 100% busy for as long as it had lived (idle held until half the rate over its whole life
 * passed what was shown); uptime's idle agrees. */
START_TEST(quota_change_counts_from_the_change)
{
	struct fixture f;
	struct parsed_stat a, b;
	_cleanup_free_ char *up = NULL;
	uint64_t tck = (uint64_t)pl_clk_tck();

	tmp_tree_make();
	write_file(tmp_tree, "ct/cpu.max", "100000 100000\n");
	fixture_open(&f, tmp_tree, "ct", true, &at_100s);
	render_at(&f, 100, &a);
	ck_assert_uint_eq(a.ncpu, 1);
	ck_assert_uint_eq(a.f[0][3], 100 * tck);
	write_file(tmp_tree, "ct/cpu.max", "50000 100000\n");
	render_at(&f, 110, &b);
	ck_assert_uint_eq(b.f[0][3], 105 * tck);
	ck_assert_double_eq(busy_percent(&a, &b), 0.0);
	f.src.now_ns = f.src.init_start_ns + 120 * NS;
	ck_assert_int_eq(fixture_generate(&f, "proc/uptime", &up), 0);
	ck_assert_str_eq(up, "120.00 110.00\n");
	fixture_close(&f);
	tmp_tree_remove();
}
END_TEST

/* A v1 tree beside the v2 one: cpu, cpuacct (per-CPU usage) and cpuset hierarchies. */
static char tmp_v1[64];
static const char *const v1_dirs[] = {"cpu", "cpu/ct", "cpuacct", "cpuacct/ct", "cpuset", "cpuset/ct"};
static const char *const v1_files[] = {"cpu/ct/cpu.cfs_quota_us", "cpu/ct/cpu.cfs_period_us",
				       "cpuacct/ct/tasks", "cpuacct/ct/cpuacct.usage_all",
				       "cpuset/ct/cpuset.effective_cpus"};

static void tmp_v1_make(void)
{
	char path[128];

	strcpy(tmp_v1, "/tmp/proclens-test-stat1.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_v1));
	for (size_t i = 0; i < PL_ARRAY_SIZE(v1_dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp_v1, v1_dirs[i]);
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	write_file(tmp_v1, "cpu/ct/cpu.cfs_quota_us", "-1\n");
	write_file(tmp_v1, "cpu/ct/cpu.cfs_period_us", "100000\n");
	write_file(tmp_v1, "cpuacct/ct/tasks", "102\n");
}

static void tmp_v1_remove(void)
{
	char path[128];

	for (size_t i = 0; i < PL_ARRAY_SIZE(v1_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp_v1, v1_files[i]);
		unlink(path);
	}
	for (size_t i = PL_ARRAY_SIZE(v1_dirs); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", tmp_v1, v1_dirs[i]);
		rmdir(path);
	}
	rmdir(tmp_v1);
}

/* The cgroup's use of host CPUs 0 and 1 (seconds), and which it may run on. */
static void set_cpus(bool v1, const char *cpus, uint64_t cpu0_s, uint64_t cpu1_s)
{
	char text[512];

	if (v1) {
		snprintf(text, sizeof(text),
			 "cpu user system\n0 %llu 0\n1 %llu 0\n2 0 0\n3 0 0\n4 0 0\n5 0 0\n6 0 0\n7 0 0\n",
			 (unsigned long long)(cpu0_s * NS), (unsigned long long)(cpu1_s * NS));
		write_file(tmp_v1, "cpuacct/ct/cpuacct.usage_all", text);
		snprintf(text, sizeof(text), "%s\n", cpus);
		write_file(tmp_v1, "cpuset/ct/cpuset.effective_cpus", text);
	} else {
		set_usage((cpu0_s + cpu1_s) * 1000000, 0);
		snprintf(text, sizeof(text), "%s\n", cpus);
		write_file(tmp_tree, "ct/cpuset.cpus.effective", text);
	}
}

static uint64_t uptime_idle_cs(struct fixture *f)
{
	_cleanup_free_ char *t = NULL;
	unsigned long long up_s, up_cs, idle_s, idle_cs;

	ck_assert_int_eq(fixture_generate(f, "proc/uptime", &t), 0);
	ck_assert_int_eq(sscanf(t, "%llu.%llu %llu.%llu", &up_s, &up_cs, &idle_s, &idle_cs), 4);
	return idle_s * 100 + idle_cs;
}

/* cpuset 0-1 -> 0 -> 0-1 with no quota, as `echo 0 > cpuset.cpus` does: every field of the
 * "cpu" line and uptime's idle never fall (before, the history was dropped and both halved:
 * cpu 2454 0 26 17272952 -> 980 0 6 8636732 on this machine), the sum stays exact, and after
 * each change the differences are the container's use again. v1 maps visible CPUs to the
 * cgroup's own per-CPU use, v2 spreads its total. */
START_TEST(counters_carry_over_a_cpuset_change)
{
	static const struct {
		const char *cpus;
		uint64_t elapsed_s, cpu0_s, cpu1_s;
		unsigned ncpu;
	} seq[] = {{"0-1", 100, 20, 30, 2}, {"0", 110, 25, 30, 1}, {"0", 120, 30, 30, 1},
		   {"0-1", 130, 30, 35, 2},  {"0-1", 140, 35, 35, 2}};
	uint64_t tck = (uint64_t)pl_clk_tck();

	for (int v1 = 0; v1 <= 1; v1++) {
		struct parsed_stat prev, cur;
		uint64_t prev_idle_cs = 0;
		struct fixture f;

		if (v1) {
			tmp_v1_make();
			set_cpus(true, "0-1", 0, 0);
			fixture_open(&f, tmp_v1, "ct", true, &at_100s);
		} else {
			tmp_tree_make();
			write_file(tmp_tree, "ct/cpu.max", "max 100000\n");
			fixture_open(&f, tmp_tree, "ct", true, &at_100s);
		}
		memset(&prev, 0, sizeof(prev));
		for (size_t k = 0; k < PL_ARRAY_SIZE(seq); k++) {
			uint64_t idle_cs;

			set_cpus(v1, seq[k].cpus, seq[k].cpu0_s, seq[k].cpu1_s);
			render_at(&f, seq[k].elapsed_s, &cur);
			ck_assert_uint_eq(cur.ncpu, seq[k].ncpu);
			for (int fld = 0; fld < 10; fld++)
				ck_assert_msg(cur.f[0][fld] >= prev.f[0][fld],
					      "v%d step %zu field %d went back: %llu < %llu", v1 ? 1 : 2, k, fld,
					      (unsigned long long)cur.f[0][fld],
					      (unsigned long long)prev.f[0][fld]);
			idle_cs = uptime_idle_cs(&f);
			ck_assert_msg(idle_cs >= prev_idle_cs, "v%d step %zu: uptime idle %llu < %llu", v1 ? 1 : 2,
				      k, (unsigned long long)idle_cs, (unsigned long long)prev_idle_cs);
			/* A step without a change: user and idle grow by the use and the rest. */
			if (k == 2 || k == 4) {
				uint64_t used_s = seq[k].cpu0_s + seq[k].cpu1_s - seq[k - 1].cpu0_s -
						  seq[k - 1].cpu1_s;

				ck_assert_uint_eq(cur.f[0][0] - prev.f[0][0], used_s * tck);
				ck_assert_uint_eq(cur.f[0][3] - prev.f[0][3], (10 * seq[k].ncpu - used_s) * tck);
			}
			prev = cur;
			prev_idle_cs = idle_cs;
		}
		fixture_close(&f);
		if (v1)
			tmp_v1_remove();
		else
			tmp_tree_remove();
	}
}
END_TEST

START_TEST(collect_v2_spread_exact)
{
	struct fixture f;
	struct parsed_stat ps;
	uint64_t tck = (uint64_t)pl_clk_tck();

	/* cpuset 2-5, option off: 4 CPUs share user 10 s and system 1 s evenly. */
	fixture_open(&f, FIXTURES "/view/v2", "ct", false, &at_100s);
	render_at(&f, 100, &ps);
	ck_assert_uint_eq(ps.ncpu, 4);
	for (unsigned i = 1; i <= 4; i++) {
		ck_assert_uint_eq(ps.f[i][0], tck * 10 / 4);
		ck_assert_uint_eq(ps.f[i][2], tck / 4);
		/* capacity 1.5/4 of 100 s, minus 2.75 s busy */
		ck_assert_uint_eq(ps.f[i][3], tck * 3750 / 100 - tck * 275 / 100);
	}
	ck_assert_uint_eq(ps.f[0][0], tck * 10);
	fixture_close(&f);
}
END_TEST

/* btime follows the container's time namespace: the kernel counts starttime from its boot,
 * and ps adds the two. To the nearest second, either way. */
START_TEST(btime_in_time_namespace)
{
	const int64_t offsets[] = {-(int64_t)(899 * NS + 600000000), -(int64_t)(899 * NS + 400000000),
				   5 * (int64_t)NS, -1};
	const char *want[] = {"\nbtime 1700000900\n", "\nbtime 1700000899\n", "\nbtime 1699999995\n",
			      "\nbtime 1700000000\n"};

	for (size_t i = 0; i < PL_ARRAY_SIZE(offsets); i++) {
		struct fixture f;
		_cleanup_free_ char *t = NULL;

		fixture_open(&f, FIXTURES "/view/v1", "ct", false, &at_100s);
		f.src.boottime_offset_ns = offsets[i];
		ck_assert_int_eq(fixture_generate(&f, "proc/stat", &t), 0);
		ck_assert_msg(strstr(t, want[i]), "offset %lld: %s", (long long)offsets[i], t);
		fixture_close(&f);
	}
}
END_TEST

START_TEST(collect_v1_percpu_and_tasks)
{
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};
	uint64_t tck = (uint64_t)pl_clk_tck();

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		_cleanup_free_ char *t = NULL;

		fixture_open(&f, trees[i], "ct", false, &at_100s);
		ck_assert_int_eq(fixture_generate(&f, "proc/stat", &t), 0);
		/* tasks 101 S, 102 R, 103 R, 104 D; 105 has exited */
		ck_assert_ptr_nonnull(strstr(t, "\nprocs_running 2\nprocs_blocked 1\n"));
		ck_assert_ptr_nonnull(strstr(t, "\nbtime 1700000000\n"));
		/* Nothing host-wide. */
		ck_assert_ptr_nonnull(strstr(t, "\nintr 0\nctxt 0\n"));
		ck_assert_ptr_nonnull(strstr(t, "\nprocesses 0\n"));
		ck_assert_ptr_null(strstr(t, "123456789"));
		if (i == 0) {
			struct parsed_stat ps;
			/* v1 per-CPU: visible cpu0 is host CPU 2 with 4 s user, 0.4 s system. */
			parse_stat(t, &ps);
			ck_assert_uint_eq(ps.f[1][0], 4 * tck);
			ck_assert_uint_eq(ps.f[1][2], 4 * tck / 10);
			ck_assert_uint_eq(ps.f[4][0], 1 * tck);
			assert_total_is_sum(&ps);
		}
		fixture_close(&f);
	}
}
END_TEST

/* The reading thread is running (it is in read(2)), as the kernel's own reader always is:
 * counted in procs_running whatever state /proc says it sleeps in, never in procs_blocked,
 * as loadavg's running/total does. */
START_TEST(collect_counts_the_reader_as_running)
{
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};
	static const struct {
		pid_t reader;
		const char *want;
	} cases[] = {
	    {101, "\nprocs_running 3\nprocs_blocked 1\n"},  /* caught S */
	    {102, "\nprocs_running 2\nprocs_blocked 1\n"},  /* caught R: counted once */
	    {104, "\nprocs_running 3\nprocs_blocked 0\n"},  /* caught D */
	    {4242, "\nprocs_running 2\nprocs_blocked 1\n"}, /* not one of the container's threads */
	};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		for (size_t k = 0; k < PL_ARRAY_SIZE(cases); k++) {
			struct fixture f;
			_cleanup_free_ char *t = NULL;

			fixture_open(&f, trees[i], "ct", false, &at_100s);
			f.src.reader_tid = cases[k].reader;
			ck_assert_int_eq(fixture_generate(&f, "proc/stat", &t), 0);
			ck_assert_msg(strstr(t, cases[k].want), "tree %zu reader %d: %s", i, (int)cases[k].reader,
				      t);
			fixture_close(&f);
		}
	}
}
END_TEST

START_TEST(collect_root_and_errors)
{
	_cleanup_free_ char *host_text = read_fixture(SYNTH "/proc", "stat");
	struct fixture f;
	char *t;

	fixture_open(&f, FIXTURES "/view/v1", "", true, &at_100s);
	ck_assert_int_eq(fixture_generate(&f, "proc/stat", &t), 0);
	ck_assert_str_eq(t, host_text);
	free(t);
	fixture_close(&f);
	/* No cpuacct hierarchy for this cgroup: error, never the host's counters. */
	fixture_open(&f, FIXTURES "/view/v1", "ct", true, &at_100s);
	free(f.cg.path[PL_CTRL_CPUACCT]);
	f.cg.path[PL_CTRL_CPUACCT] = NULL;
	ck_assert_int_eq(fixture_generate(&f, "proc/stat", &t), -ENOENT);
	free(t);
	fixture_close(&f);
	fixture_assert_cpu_roots_and_gone("proc/stat", host_text, &at_100s);
}
END_TEST

static Suite *stat_suite(void)
{
	Suite *s = suite_create("view_stat");
	TCase *tr = tcase_create("render");
	TCase *tc = tcase_create("collect");

	tcase_add_test(tr, render_small_exact);
	tcase_add_test(tr, render_total_is_sum_of_rounded_cpus);
	suite_add_tcase(s, tr);
	tcase_add_test(tc, busy_share_full_quota_half_and_idle);
	tcase_add_test(tc, counters_never_go_backwards_through_bursts);
	tcase_add_test(tc, quota_change_counts_from_the_change);
	tcase_add_test(tc, counters_carry_over_a_cpuset_change);
	tcase_add_test(tc, collect_v2_spread_exact);
	tcase_add_test(tc, collect_v1_percpu_and_tasks);
	tcase_add_test(tc, btime_in_time_namespace);
	tcase_add_test(tc, collect_counts_the_reader_as_running);
	tcase_add_test(tc, collect_root_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(stat_suite)
