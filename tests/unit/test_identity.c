/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

static Suite *identity_suite(void)
{
	Suite *s = suite_create("identity");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, nspid_parse);
	tcase_add_test(tc, own_namespace_init_is_pid1);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(identity_suite)
