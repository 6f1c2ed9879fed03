/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proclens/identity.h"
#include "testlib.h"

START_TEST(nspid_parse)
{
	pid_t ns_pid = 0, ppid = 0;
	const char *nested = "Name:\tsh\nTgid:\t4242\nPid:\t4242\nPPid:\t4100\nNSpid:\t4242\t17\t1\nNSsid:\t1\n";
	const char *flat = "Name:\tbash\nPPid:\t1\nNSpid:\t99\n";

	ck_assert_int_eq(pl_proc_status_nspid(nested, &ns_pid, &ppid), 0);
	ck_assert_int_eq(ns_pid, 1);
	ck_assert_int_eq(ppid, 4100);
	ck_assert_int_eq(pl_proc_status_nspid(flat, &ns_pid, &ppid), 0);
	ck_assert_int_eq(ns_pid, 99);
	ck_assert_int_eq(ppid, 1);
	ck_assert_int_eq(pl_proc_status_nspid("Name:\tx\n", &ns_pid, &ppid), -EINVAL);
}
END_TEST

/* On a live system, the init of our own pid namespace is what we see as pid 1. */
START_TEST(own_namespace_init_is_pid1)
{
	int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t mine = 0, parents = 0;
	pid_t init = 0;

	ck_assert_int_ge(proc_fd, 0);
	ck_assert_int_eq(pl_pidns_ino(proc_fd, getpid(), &mine), 0);
	ck_assert_uint_ne(mine, 0);
	/* Our parent shares our namespace (pid 1's ns link may be off limits to us: it needs
	 * ptrace access, which a sandbox's init does not grant). */
	ck_assert_int_eq(pl_pidns_ino(proc_fd, getppid(), &parents), 0);
	ck_assert_uint_eq(mine, parents);
	ck_assert_int_eq(pl_pidns_init_pid(proc_fd, getpid(), &init), 0);
	ck_assert_int_eq(init, 1);
	ck_assert_int_eq(pl_pidns_ino(proc_fd, 0x3fffffff, &mine), -ENOENT);
	close(proc_fd);
}
END_TEST

/* The link's text names the inode that following the link reaches. */
START_TEST(pidns_ino_is_the_links_inode)
{
	int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t ino = 0;
	struct stat st;

	ck_assert_int_ge(proc_fd, 0);
	ck_assert_int_eq(stat("/proc/self/ns/pid", &st), 0);
	ck_assert_int_eq(pl_pidns_ino(proc_fd, getpid(), &ino), 0);
	ck_assert_uint_eq(ino, (uint64_t)st.st_ino);
	close(proc_fd);
}
END_TEST

START_TEST(ns_link_parse)
{
	uint64_t ino = 7;

	ck_assert_int_eq(pl_ns_link_ino("pid:[4026531836]", "pid", &ino), 0);
	ck_assert_uint_eq(ino, 4026531836u);
	ck_assert_int_eq(pl_ns_link_ino("pid:[0]", "pid", &ino), 0);
	ck_assert_uint_eq(ino, 0);
	ino = 7;
	ck_assert_int_eq(pl_ns_link_ino("net:[4026531840]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid_for_children:[1]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid:[]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid:[12", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid:12]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid:[1 2]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid:[-1]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid:[ 1]", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("", "pid", &ino), -EINVAL);
	ck_assert_int_eq(pl_ns_link_ino("pid:[99999999999999999999]", "pid", &ino), -ERANGE);
	ck_assert_int_eq(pl_ns_link_ino("pid:[123456789012345678901234]", "pid", &ino), -EINVAL);
	ck_assert_uint_eq(ino, 7); /* untouched on error */
}
END_TEST

static Suite *identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, nspid_parse);
	tcase_add_test(tc, own_namespace_init_is_pid1);
	tcase_add_test(tc, pidns_ino_is_the_links_inode);
	tcase_add_test(tc, ns_link_parse);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(identity_suite)
