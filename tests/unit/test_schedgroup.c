/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whose scheduling group a process is in (lib/schedgroup.c), on cgroup v1 and v2 trees made
 * per test: our own pid stands for "our thread", pid 1 for another process's. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclens/cgroup.h"
#include "proclens/schedgroup.h"
#include "testlib.h"

static char top[64];
static struct pl_cgroup_root root;
static int proc_fd = -1;
static char why[256];

static void setup(void)
{
	snprintf(top, sizeof(top), "/tmp/proclens-test-sched-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	pl_cgroup_root_init(&root);
	proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(proc_fd, 0);
}

static void teardown(void)
{
	char cmd[128];

	pl_cgroup_root_close(&root);
	close(proc_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void open_root(void)
{
	ck_assert_int_eq(pl_cgroup_root_open_dir(&root, top), 0);
}

static char mine[32]; /* our pid, as a tasks line */

static pid_t keeper; /* probe's pl_sched_probe.keeper */

static int probe(const char *proc_cgroup, bool autogroup, bool alone)
{
	struct pl_sched_probe p = {
	    .root = &root,
	    .proc_cgroup = proc_cgroup,
	    .tgid = getpid(),
	    .keeper = keeper,
	    .proc_fd = proc_fd,
	    .autogroup = autogroup,
	    .session_alone = alone,
	};

	why[0] = '\0';
	return pl_sched_group_own(&p, why, sizeof(why));
}

static void v1_tree(void)
{
	snprintf(mine, sizeof(mine), "%d\n", (int)getpid());
	dir("cpu");
	dir("cpu/svc");
	put("cpu/tasks", "1\n");
}

START_TEST(v1_own_cgroup)
{
	v1_tree();
	put("cpu/svc/tasks", mine);
	open_root();
	ck_assert_int_eq(probe("1:cpu:/svc\n", false, false), 1);
	ck_assert_str_eq(why, "the cpu cgroup /svc, ours alone");
}
END_TEST

START_TEST(v1_another_process_in_it)
{
	char text[64];

	v1_tree();
	snprintf(text, sizeof(text), "%s1\n", mine);
	put("cpu/svc/tasks", text);
	open_root();
	ck_assert_int_eq(probe("1:cpu:/svc\n", true, true), 0);
	ck_assert_str_eq(why, "/svc holds thread 1 of another process");
}
END_TEST

START_TEST(v1_the_keeper_does_not_count)
{
	char text[64];

	v1_tree();
	snprintf(text, sizeof(text), "%s1\n", mine);
	put("cpu/svc/tasks", text);
	open_root();
	keeper = 1;
	ck_assert_int_eq(probe("1:cpu:/svc\n", true, true), 1);
	ck_assert_str_eq(why, "the cpu cgroup /svc, ours alone");
	keeper = 0;
}
END_TEST

START_TEST(v1_child_cgroup)
{
	v1_tree();
	put("cpu/svc/tasks", mine);
	dir("cpu/svc/sub");
	open_root();
	ck_assert_int_eq(probe("1:cpu:/svc\n", true, true), 0);
	ck_assert_ptr_nonnull(strstr(why, "child cgroups"));
}
END_TEST

START_TEST(v1_empty_or_garbled_tasks)
{
	v1_tree();
	put("cpu/svc/tasks", "");
	open_root();
	ck_assert_int_eq(probe("1:cpu:/svc\n", true, true), 0);
	ck_assert_ptr_nonnull(strstr(why, "none of our threads"));
	put("cpu/svc/tasks", "12x\n");
	ck_assert_int_eq(probe("1:cpu:/svc\n", true, true), 0);
	ck_assert_ptr_nonnull(strstr(why, "unexpected line"));
	ck_assert_int_eq(probe("1:cpu:/gone\n", true, true), 0);
	ck_assert_ptr_nonnull(strstr(why, "cannot open"));
}
END_TEST

/* In the root cpu cgroup only an autogroup of our own (alone in our session, autogroups on)
 * keeps the others out. */
START_TEST(v1_root_cgroup_autogroup)
{
	v1_tree();
	open_root();
	ck_assert_int_eq(probe("1:cpu:/\n", true, true), 1);
	ck_assert_ptr_nonnull(strstr(why, "autogroup of its own"));
	ck_assert_int_eq(probe("1:cpu:/\n", true, false), 0);
	ck_assert_ptr_nonnull(strstr(why, "sharing a session"));
	ck_assert_int_eq(probe("1:cpu:/\n", false, true), 0);
	ck_assert_ptr_nonnull(strstr(why, "autogroups off"));
}
END_TEST

START_TEST(not_a_cgroup_file)
{
	v1_tree();
	open_root();
	ck_assert_int_eq(probe("garbage", true, true), 0);
	ck_assert_str_eq(why, "cannot tell our cgroups");
}
END_TEST

static void v2_tree(const char *svc_controllers)
{
	snprintf(mine, sizeof(mine), "%d\n", (int)getpid());
	put("cgroup.controllers", "cpuset cpu io memory pids\n");
	put("cgroup.subtree_control", "cpu memory\n");
	dir("svc");
	put("svc/cgroup.controllers", svc_controllers);
	put("svc/cgroup.subtree_control", "\n");
	put("svc/cgroup.threads", mine);
}

START_TEST(v2_own_cgroup)
{
	v2_tree("cpu memory\n");
	open_root();
	ck_assert_int_eq(probe("0::/svc\n", false, false), 1);
	ck_assert_str_eq(why, "the cpu cgroup /svc, ours alone");
	put("svc/cgroup.threads", "1\n");
	ck_assert_int_eq(probe("0::/svc\n", true, true), 0);
	ck_assert_str_eq(why, "/svc holds thread 1 of another process");
}
END_TEST

/* Children with cpu enabled compete inside our group; without children, or without cpu
 * for them, nothing does. */
START_TEST(v2_child_cgroups)
{
	v2_tree("cpu\n");
	dir("svc/sub");
	put("svc/cgroup.subtree_control", "memory\n");
	open_root();
	ck_assert_int_eq(probe("0::/svc\n", false, false), 1);
	put("svc/cgroup.subtree_control", "cpu memory\n");
	ck_assert_int_eq(probe("0::/svc\n", false, false), 0);
	ck_assert_ptr_nonnull(strstr(why, "child cgroups"));
}
END_TEST

/* A child without cpu enabled is part of our group: its threads run beside ours. */
START_TEST(v2_thread_in_a_child_without_cpu)
{
	v2_tree("cpu\n");
	dir("svc/sub");
	put("svc/cgroup.subtree_control", "memory\n");
	put("svc/sub/cgroup.controllers", "memory\n");
	put("svc/sub/cgroup.threads", "");
	open_root();
	ck_assert_int_eq(probe("0::/svc\n", false, false), 1);
	put("svc/sub/cgroup.threads", "1\n");
	ck_assert_int_eq(probe("0::/svc\n", false, false), 0);
	ck_assert_str_eq(why, "/svc holds thread 1 of another process");
}
END_TEST

/* "cpuset" is not "cpu": without cpu in our cgroup.controllers our threads run in the
 * root's group, where the autogroup rule decides. */
START_TEST(v2_cpu_not_enabled_here)
{
	v2_tree("cpuset memory\n");
	open_root();
	ck_assert_int_eq(probe("0::/svc\n", true, true), 1);
	ck_assert_ptr_nonnull(strstr(why, "autogroup of its own"));
	ck_assert_int_eq(probe("0::/svc\n", false, true), 0);
	ck_assert_ptr_nonnull(strstr(why, "autogroups off"));
}
END_TEST

/* Enabled at an ancestor only: our threads share that ancestor's group with its other
 * cgroups. */
START_TEST(v2_cpu_at_an_ancestor)
{
	v2_tree("cpu\n");
	put("svc/cgroup.subtree_control", "memory\n");
	dir("svc/leaf");
	put("svc/leaf/cgroup.controllers", "memory\n");
	put("svc/leaf/cgroup.threads", mine);
	open_root();
	ck_assert_int_eq(probe("0::/svc/leaf\n", true, true), 0);
	ck_assert_str_eq(why,
			 "the cpu controller is enabled only down to /svc, shared with its other cgroups");
}
END_TEST

/* A new session has only its leader until it forks; the child, also in it, makes it shared;
 * the child gone, alone again. Exit status: one bit per check that failed. */
START_TEST(session_alone)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fails = 0, fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		pid_t kid;

		if (pl_session_alone(fd, getpid()))
			fails |= 1; /* not a session leader yet */
		if (setsid() < 0 || !pl_session_alone(fd, getpid()))
			fails |= 2;
		kid = fork();
		if (kid == 0) {
			pause();
			_exit(0);
		}
		if (kid < 0 || pl_session_alone(fd, getpid()))
			fails |= 4;
		if (kid > 0) {
			kill(kid, SIGKILL);
			waitpid(kid, NULL, 0);
		}
		if (!pl_session_alone(fd, getpid()))
			fails |= 8;
		_exit(fails);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("schedgroup");
	TCase *tc = tcase_create("group");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, v1_own_cgroup);
	tcase_add_test(tc, v1_another_process_in_it);
	tcase_add_test(tc, v1_the_keeper_does_not_count);
	tcase_add_test(tc, v1_child_cgroup);
	tcase_add_test(tc, v1_empty_or_garbled_tasks);
	tcase_add_test(tc, v1_root_cgroup_autogroup);
	tcase_add_test(tc, not_a_cgroup_file);
	tcase_add_test(tc, v2_own_cgroup);
	tcase_add_test(tc, v2_child_cgroups);
	tcase_add_test(tc, v2_thread_in_a_child_without_cpu);
	tcase_add_test(tc, v2_cpu_not_enabled_here);
	tcase_add_test(tc, v2_cpu_at_an_ancestor);
	tcase_add_test(tc, session_alone);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(suite)
