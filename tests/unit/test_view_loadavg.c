/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define STEP_NS PL_LOADAVG_INTERVAL_NS
#define T0 (1000 * NS)

static void assert_avgs(const struct pl_loadavg *la, uint64_t a1, uint64_t a5, uint64_t a15)
{
	ck_assert_uint_eq(la->avg_fixed[0], a1);
	ck_assert_uint_eq(la->avg_fixed[1], a5);
	ck_assert_uint_eq(la->avg_fixed[2], a15);
}

static char *render_state(const struct pl_loadavg_state *st)
{
	struct pl_buf b;

	pl_buf_init(&b);
	ck_assert_int_eq(pl_loadavg_render(st, &b), 0);
	return pl_buf_steal(&b, NULL);
}

/* Expected values computed by hand from the kernel's formula:
 * (load * e + active * (2048 - e) [+ 2047 when rising]) / 2048, e = 1884, 2014, 2037. */
START_TEST(ema_matches_kernel_steps)
{
	struct pl_loadavg la = {0};

	pl_loadavg_update(&la, 1, T0);
	ck_assert(la.sampled);
	ck_assert_uint_eq(la.last_sample_ns, T0);
	assert_avgs(&la, 164, 34, 11); /* 2048 * 164 / 2048 (+2047 rounds nothing up here) */
	pl_loadavg_update(&la, 1, T0 + STEP_NS);
	assert_avgs(&la, 315, 68, 22); /* (164 * 1884 + 2048 * 164 + 2047) / 2048 = 315 */
	/* Less than 5 s since the last boundary: nothing happens, whatever the count. */
	pl_loadavg_update(&la, 100, T0 + 2 * STEP_NS - 1);
	assert_avgs(&la, 315, 68, 22);
	/* A clock that goes back changes nothing either. */
	pl_loadavg_update(&la, 100, T0);
	assert_avgs(&la, 315, 68, 22);
	ck_assert_uint_eq(la.last_sample_ns, T0 + STEP_NS);
}
END_TEST

START_TEST(catch_up_after_missed_intervals)
{
	struct pl_loadavg la = {0}, stepwise;

	pl_loadavg_update(&la, 1, T0);
	stepwise = la;
	/* 12 intervals missed (and a bit): one update applies them all with e^12 in fixed point
	 * (751, 1677, 1919), as the kernel's calc_load_n does. */
	pl_loadavg_update(&la, 2, T0 + 12 * STEP_NS + 3 * NS);
	assert_avgs(&la, 2655, 770, 269);
	/* The phase stays on the 5 s grid of the first sample. */
	ck_assert_uint_eq(la.last_sample_ns, T0 + 12 * STEP_NS);
	/* Within a few thousandths of 12 single steps with the same count. */
	for (int i = 1; i <= 12; i++)
		pl_loadavg_update(&stepwise, 2, T0 + (uint64_t)i * STEP_NS);
	assert_avgs(&stepwise, 2657, 778, 271);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_le(stepwise.avg_fixed[i] - la.avg_fixed[i], 10);
	/* A day missed: the averages are the current count, nothing is left of the past. */
	pl_loadavg_update(&la, 5, la.last_sample_ns + 86400 * NS);
	assert_avgs(&la, 5 * PL_LOADAVG_FIXED_1, 5 * PL_LOADAVG_FIXED_1, 5 * PL_LOADAVG_FIXED_1);
}
END_TEST

START_TEST(idle_decays_monotonically_to_zero)
{
	struct pl_loadavg la = {0};
	uint64_t t = T0, prev[3];

	for (int i = 0; i < 2000; i++, t += STEP_NS)
		pl_loadavg_update(&la, 4, t);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_ge(la.avg_fixed[i], 4 * PL_LOADAVG_FIXED_1 * 95 / 100);
	memcpy(prev, la.avg_fixed, sizeof(prev));
	/* 24 h of idle, one sample every 5 s. */
	for (int i = 0; i < 17280; i++, t += STEP_NS) {
		pl_loadavg_update(&la, 0, t);
		for (int k = 0; k < 3; k++) {
			/* Strictly down until 0: the kernel's rounding never gets stuck above. */
			ck_assert(la.avg_fixed[k] < prev[k] || la.avg_fixed[k] == 0);
			prev[k] = la.avg_fixed[k];
		}
	}
	assert_avgs(&la, 0, 0, 0);
}
END_TEST

START_TEST(one_task_rises_toward_one_in_a_minute)
{
	struct pl_loadavg la = {0};
	struct pl_loadavg_state st = {.running = 1, .threads = 1, .last_pid = 1};
	_cleanup_free_ char *text = NULL, *later = NULL;
	uint64_t prev = 0;

	/* A sample at 0 s and every 5 s up to 60 s. */
	for (int i = 0; i <= 12; i++) {
		pl_loadavg_update(&la, 1, T0 + (uint64_t)i * STEP_NS);
		ck_assert_uint_gt(la.avg_fixed[0], prev);
		prev = la.avg_fixed[0];
	}
	/* 1 - e^-1 = 0.63 after a minute, plus the kernel's upward rounding. */
	assert_avgs(&la, 1359, 406, 143);
	ck_assert(la.avg_fixed[0] > la.avg_fixed[1] && la.avg_fixed[1] > la.avg_fixed[2]);
	memcpy(st.avg_fixed, la.avg_fixed, sizeof(st.avg_fixed));
	text = render_state(&st);
	ck_assert_str_eq(text, "0.66 0.20 0.07 1/1 1\n");
	/* An hour on, the 1-minute average is exactly 1. */
	for (int i = 13; i <= 720; i++)
		pl_loadavg_update(&la, 1, T0 + (uint64_t)i * STEP_NS);
	ck_assert_uint_eq(la.avg_fixed[0], PL_LOADAVG_FIXED_1);
	memcpy(st.avg_fixed, la.avg_fixed, sizeof(st.avg_fixed));
	later = render_state(&st);
	ck_assert_int_eq(strncmp(later, "1.00 ", 5), 0);
}
END_TEST

START_TEST(render_formats_like_the_kernel)
{
	struct pl_loadavg_state st = {
	    .avg_fixed = {3072, 1434, 0}, .running = 2, .threads = 10, .last_pid = 57};
	struct pl_loadavg_state st2 = {.avg_fixed = {2047, 2037, 40 * PL_LOADAVG_FIXED_1 + 20}};
	struct pl_loadavg_state pass = {.passthrough = (char *)"0.01 0.02 0.03 1/2 3\n"};
	_cleanup_free_ char *a = render_state(&st), *b = render_state(&st2), *c = render_state(&pass);
	unsigned long ip, frac;

	ck_assert_str_eq(a, "1.50 0.70 0.00 2/10 57\n");
	/* Rounded to hundredths, not truncated: 2047/2048 is 1.00, 2037/2048 is 0.99. */
	ck_assert_str_eq(b, "1.00 0.99 40.01 0/0 0\n");
	ck_assert_str_eq(c, "0.01 0.02 0.03 1/2 3\n");
	pl_loadavg_split(PL_LOADAVG_FIXED_1 / 2, &ip, &frac);
	ck_assert_uint_eq(ip, 0);
	ck_assert_uint_eq(frac, 50);
}
END_TEST

/* ---- collect on the fixture trees: threads 101 S, 102 R, 103 R, 104 D, 105 gone; their pids
 * in the container's namespace (NSpid) 1, 40, 57 (3 in a nested namespace), 12. ---- */

static const char *const trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

static char *generate(struct fixture *f)
{
	char *t = NULL;

	ck_assert_int_eq(fixture_generate(f, "proc/loadavg", &t), 0);
	return t;
}

START_TEST(collect_one_shot_shows_the_instant_count)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		_cleanup_free_ char *t = NULL;

		fixture_open(&f, trees[i], "ct", false, NULL);
		t = generate(&f);
		/* 2 R + 1 D; init unknown: each thread's innermost pid, so 103 counts as 3. */
		ck_assert_str_eq(t, "3.00 3.00 3.00 2/4 40\n");
		fixture_close(&f);
	}
}
END_TEST

/* The thread whose read is being answered is busy asking: it is running in running/total,
 * as a reader of the kernel's file is, and never part of the averages, whatever state it
 * was caught in (R while the server runs on its CPU, S or D waiting for the reply). */
START_TEST(collect_the_reader_is_not_load)
{
	static const struct {
		pid_t reader;
		const char *want;
	} cases[] = {
	    {102, "2.00 2.00 2.00 2/4 40\n"}, /* caught R: still 2 running */
	    {104, "2.00 2.00 2.00 3/4 40\n"}, /* caught D: now counted running */
	    {101, "3.00 3.00 3.00 3/4 40\n"}, /* caught S */
	    {4242, "3.00 3.00 3.00 2/4 40\n"}, /* not one of the container's threads */
	};
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		for (size_t k = 0; k < PL_ARRAY_SIZE(cases); k++) {
			struct fixture f;
			_cleanup_free_ char *t = NULL;

			fixture_open(&f, trees[i], "ct", false, NULL);
			f.src.reader_tid = cases[k].reader;
			t = generate(&f);
			ck_assert_str_eq(t, cases[k].want);
			fixture_close(&f);
		}
	}
}
END_TEST

START_TEST(collect_reader_stays_out_of_the_history)
{
	struct pl_loadavg la = {0};
	struct fixture f;
	_cleanup_free_ char *t = NULL;

	fixture_open(&f, FIXTURES "/view/v2", "ct", false, NULL);
	f.src.loadavg = &la;
	f.src.now_ns = T0;
	f.src.reader_tid = 103;
	/* The first read starts the history with 2 active (102 R, 104 D), not 3. */
	t = generate(&f);
	ck_assert_str_eq(t, "0.16 0.03 0.01 2/4 40\n");
	assert_avgs(&la, 328, 68, 22);
	fixture_close(&f);
}
END_TEST

START_TEST(collect_last_pid_in_the_inits_namespace)
{
	struct fixture f;
	_cleanup_free_ char *known = NULL, *recycled = NULL, *absent = NULL;

	fixture_open(&f, FIXTURES "/view/v2", "ct", false, NULL);
	/* Init 101 started at tick 5000 (50 s) and sits one level down: 103 is 57 there. */
	f.src.init_pid = 101;
	f.src.init_start_ns = 50 * NS;
	known = generate(&f);
	ck_assert_str_eq(known, "3.00 3.00 3.00 2/4 57\n");
	/* Pid 101 now belongs to a process started at another time: not believed. */
	f.src.init_start_ns = 60 * NS;
	recycled = generate(&f);
	ck_assert_str_eq(recycled, "3.00 3.00 3.00 2/4 40\n");
	f.src.init_pid = 4242;
	f.src.init_start_ns = 0;
	absent = generate(&f);
	ck_assert_str_eq(absent, "3.00 3.00 3.00 2/4 40\n");
	fixture_close(&f);
}
END_TEST

START_TEST(collect_with_history_and_sampler)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct pl_loadavg la = {0};
		struct fixture f;
		char *t;

		fixture_open(&f, trees[i], "ct", false, NULL);
		f.src.loadavg = &la;
		f.src.now_ns = T0;
		/* The sampler's step: 3 active, first interval from zero. */
		ck_assert_int_eq(pl_loadavg_sample(&f.src, &la), 3);
		assert_avgs(&la, 492, 102, 33);
		/* A read 2 s later renders the history without advancing it. */
		f.src.now_ns = T0 + 2 * NS;
		t = generate(&f);
		ck_assert_str_eq(t, "0.24 0.05 0.02 2/4 40\n");
		free(t);
		/* A read after the next boundary applies it (the sampler has not run). */
		f.src.now_ns = T0 + STEP_NS + NS;
		t = generate(&f);
		ck_assert_str_eq(t, "0.46 0.10 0.03 2/4 40\n");
		free(t);
		/* The sampler then finds nothing to do: no interval is counted twice. */
		ck_assert_int_eq(pl_loadavg_sample(&f.src, &la), 3);
		assert_avgs(&la, 945, 203, 66);
		fixture_close(&f);
	}
}
END_TEST

START_TEST(collect_root_and_errors)
{
	_cleanup_free_ char *host_text = read_fixture(SYNTH "/proc", "loadavg");
	struct pl_loadavg la = {0};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		char *t;

		fixture_open(&f, trees[i], "", false, NULL);
		t = generate(&f);
		ck_assert_str_eq(t, host_text);
		free(t);
		/* The sampler does not walk the whole host for it. */
		ck_assert_int_eq(pl_loadavg_sample(&f.src, &la), 0);
		ck_assert(!la.sampled);
		fixture_close(&f);
		/* Neither cpuacct nor pids for this cgroup: an error, never the host's. */
		fixture_open(&f, trees[i], "ct", false, NULL);
		free(f.cg.path[PL_CTRL_CPUACCT]);
		free(f.cg.path[PL_CTRL_PIDS]);
		f.cg.path[PL_CTRL_CPUACCT] = f.cg.path[PL_CTRL_PIDS] = NULL;
		ck_assert_int_eq(fixture_generate(&f, "proc/loadavg", &t), -ENOENT);
		free(t);
		ck_assert_int_eq(pl_loadavg_sample(&f.src, &la), -ENOENT);
		ck_assert(!la.sampled);
		fixture_close(&f);
	}
}
END_TEST

/* ---- the real kernel: pid translation into a child pid namespace (root, Linux 6.10+) ---- */

START_TEST(translate_pid_into_a_child_namespace)
{
	struct pl_host h;
	int pipefd[2], fd, status;
	pid_t outer, inner = 0, ns_pid = 0;

	ck_assert_int_eq(pl_host_open(&h, "/proc", "/sys"), 0);
	/* Our own namespace: every pid is itself. */
	fd = pl_host_open_pidns(&h, getpid());
	ck_assert_int_ge(fd, 0);
	if (pl_pidns_translate(fd, getpid(), &ns_pid) == -ENOTTY) {
		close(fd);
		pl_host_close(&h);
		return; /* a kernel before 6.10: the status fallback is tested on fixtures */
	}
	ck_assert_int_eq(ns_pid, getpid());
	close(fd);
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	outer = fork();
	ck_assert_int_ge(outer, 0);
	if (outer == 0) {
		pid_t child;

		if (unshare(CLONE_NEWPID) < 0)
			_exit(77);
		child = fork();
		if (child == 0) {
			pause();
			_exit(0);
		}
		if (write(pipefd[1], &child, sizeof(child)) != sizeof(child))
			_exit(1);
		waitpid(child, NULL, 0);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &inner, sizeof(inner)) == sizeof(inner)) {
		fd = pl_host_open_pidns(&h, inner);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pl_pidns_translate(fd, inner, &ns_pid), 0);
		ck_assert_int_eq(ns_pid, 1);
		/* We are outside that namespace: no pid there. */
		ck_assert_int_eq(pl_pidns_translate(fd, getpid(), &ns_pid), -ESRCH);
		close(fd);
		kill(inner, SIGKILL);
	}
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(outer, &status, 0), outer);
	/* 77: not allowed to create a pid namespace (not root): nothing more to check. */
	ck_assert(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77));
	pl_host_close(&h);
}
END_TEST

START_TEST(status_nspids)
{
	pid_t p[4];

	ck_assert_int_eq(pl_status_nspids("Name:\tx\nNSpid:\t103\t57\t3\nNSsid:\t1\n", p, 4), 3);
	ck_assert_int_eq(p[0], 103);
	ck_assert_int_eq(p[2], 3);
	ck_assert_int_eq(pl_status_nspids("NSpid:\t7\n", p, 4), 1);
	ck_assert_int_eq(p[0], 7);
	/* More levels than room: counted, not written past the end. */
	ck_assert_int_eq(pl_status_nspids("Pid:\t1\nNSpid:\t9\t8\t7\t6\t5\n", p, 2), 5);
	ck_assert_int_eq(p[1], 8);
	ck_assert_int_eq(pl_status_nspids("Pid:\t1\n", p, 4), -EINVAL);
	ck_assert_int_eq(pl_status_nspids("NSpid:\t1\tx\n", p, 4), -EINVAL);
	ck_assert_int_eq(pl_status_nspids("NSpid:\n", p, 4), -EINVAL);
}
END_TEST

static Suite *loadavg_suite(void)
{
	Suite *s = suite_create("view_loadavg");
	TCase *tm = tcase_create("math");
	TCase *tc = tcase_create("collect");

	tcase_add_test(tc, collect_the_reader_is_not_load);
	tcase_add_test(tc, collect_reader_stays_out_of_the_history);
	tcase_add_test(tm, ema_matches_kernel_steps);
	tcase_add_test(tm, catch_up_after_missed_intervals);
	tcase_add_test(tm, idle_decays_monotonically_to_zero);
	tcase_add_test(tm, one_task_rises_toward_one_in_a_minute);
	tcase_add_test(tm, render_formats_like_the_kernel);
	suite_add_tcase(s, tm);
	tcase_add_test(tc, collect_one_shot_shows_the_instant_count);
	tcase_add_test(tc, collect_last_pid_in_the_inits_namespace);
	tcase_add_test(tc, collect_with_history_and_sampler);
	tcase_add_test(tc, collect_root_and_errors);
	tcase_add_test(tc, translate_pid_into_a_child_namespace);
	tcase_add_test(tc, status_nspids);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(loadavg_suite)
