/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A daemon's liveness lock (lib/live.c): held, released, left by a dead holder, replaced. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proclens/live.h"
#include "testlib.h"

static char dir[64]; /* per test; the devices are made-up numbers */

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/proclens-test-live-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void read_text(const char *path, char *buf, size_t size)
{
	ssize_t n = pl_read_file_at_buf(AT_FDCWD, path, buf, size);

	ck_assert_int_ge(n, 0);
}

START_TEST(path_names_the_device)
{
	char path[128];

	pl_live_path("/run/proclensfs", makedev(0, 53), path, sizeof(path));
	ck_assert_str_eq(path, "/run/proclensfs/mount-0-53.lock");
	pl_live_path("/x", makedev(259, 1048577), path, sizeof(path));
	ck_assert_str_eq(path, "/x/mount-259-1048577.lock");
}
END_TEST

START_TEST(dev_is_the_mounts)
{
	struct stat st;
	dev_t d = 0;

	ck_assert_int_eq(pl_live_dev("/tmp", &d), 0);
	ck_assert_int_eq(stat("/tmp", &st), 0);
	ck_assert_uint_eq(d, st.st_dev);
	ck_assert_int_eq(pl_live_dev("/nonexistent/proclens", &d), -ENOENT);
}
END_TEST

START_TEST(absent_is_not_live)
{
	ck_assert_int_eq(pl_live_check(dir, makedev(0, 41)), 0);
	ck_assert_int_eq(pl_live_check("/nonexistent/proclens", makedev(0, 41)), 0);
}
END_TEST

START_TEST(held_is_live_until_released)
{
	dev_t d = makedev(0, 42);
	char path[128], text[256];
	int fd = pl_live_hold(dir, d, "/var/lib/proclensfs");

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(pl_live_check(dir, d), 1);
	ck_assert_int_eq(pl_live_check(dir, makedev(0, 43)), 0); /* another mount's */
	pl_live_path(dir, d, path, sizeof(path));
	read_text(path, text, sizeof(text));
	ck_assert_str_eq(text, "/var/lib/proclensfs\n");
	pl_live_release(dir, d, fd);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(pl_live_check(dir, d), 0);
}
END_TEST

/* The directory is made when missing, and nothing but the lock is left in it. */
START_TEST(hold_makes_the_directory)
{
	char sub[128], cmd[256];
	dev_t d = makedev(0, 44);
	int fd;

	snprintf(sub, sizeof(sub), "%s/run", dir);
	fd = pl_live_hold(sub, d, "/m");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_live_check(sub, d), 1);
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = mount-0-44.lock", sub);
	ck_assert_int_eq(system(cmd), 0);
	pl_live_release(sub, d, fd);
}
END_TEST

/* A holder that dies (SIGKILL: no release) leaves its file unlocked: not live. */
START_TEST(a_dead_holder_is_not_live)
{
	dev_t d = makedev(0, 45);
	char path[128], c;
	int p[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = pl_live_hold(dir, d, "/m");
		c = fd >= 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	ck_assert_int_eq(pl_live_check(dir, d), 1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	pl_live_path(dir, d, path, sizeof(path));
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(pl_live_check(dir, d), 0);
	/* Checking does not take the lock away from a later holder. */
	int fd = pl_live_hold(dir, d, "/m2");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_live_check(dir, d), 1);
	pl_live_release(dir, d, fd);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A new daemon with a dead one's number replaces its file; releasing an old fd whose file was
 * replaced leaves the new one alone. */
START_TEST(replaced_file_is_not_removed)
{
	dev_t d = makedev(0, 46);
	char path[128], text[256];
	int old_fd, new_fd;

	old_fd = pl_live_hold(dir, d, "/old");
	ck_assert_int_ge(old_fd, 0);
	new_fd = pl_live_hold(dir, d, "/new");
	ck_assert_int_ge(new_fd, 0);
	pl_live_release(dir, d, old_fd);
	pl_live_path(dir, d, path, sizeof(path));
	read_text(path, text, sizeof(text));
	ck_assert_str_eq(text, "/new\n");
	ck_assert_int_eq(pl_live_check(dir, d), 1);
	pl_live_release(dir, d, new_fd);
	ck_assert_int_eq(pl_live_check(dir, d), 0);
}
END_TEST

/* A file put there by hand, or a directory, vouches for nothing. */
START_TEST(unlocked_or_odd_files_are_not_live)
{
	dev_t d = makedev(0, 47);
	char path[128];
	int fd;

	pl_live_path(dir, d, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(pl_live_check(dir, d), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(pl_live_check(dir, d), 0);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(pl_live_check(dir, d), 0);
	/* And a hold over a symlink does not follow it. */
	fd = pl_live_hold(dir, d, "/m");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_live_check(dir, d), 1);
	pl_live_release(dir, d, fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("lock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, path_names_the_device);
	tcase_add_test(tc, dev_is_the_mounts);
	tcase_add_test(tc, absent_is_not_live);
	tcase_add_test(tc, held_is_live_until_released);
	tcase_add_test(tc, hold_makes_the_directory);
	tcase_add_test(tc, a_dead_holder_is_not_live);
	tcase_add_test(tc, replaced_file_is_not_removed);
	tcase_add_test(tc, unlocked_or_odd_files_are_not_live);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(suite)
