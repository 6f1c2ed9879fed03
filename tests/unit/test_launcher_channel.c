/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The socketpair between `run` and its child: records and the fds that travel with them. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../launcher/launcher.h"
#include "testlib.h"

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* The received fd names the same file as the sent one, and is close-on-exec. */
static void assert_same_file(int sent, int got)
{
	struct stat a, b;

	ck_assert_int_eq(fstat(sent, &a), 0);
	ck_assert_int_eq(fstat(got, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_uint_eq(a.st_dev, b.st_dev);
	ck_assert_int_eq(fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

START_TEST(a_byte_and_fds)
{
	int sv[2], fds[5], got[8];
	unsigned n_fds = 99;
	char what = PL_SYNC_JOIN, back = 0;

	pair(sv);
	for (int i = 0; i < 5; i++)
		ck_assert_int_ge(fds[i] = open(i % 2 ? "/dev/null" : "/", O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_eq(pl_chan_send(sv[0], &what, 1, fds, 5), 0);
	ck_assert_int_eq(pl_chan_recv(sv[1], &back, 1, got, 8, &n_fds), 1);
	ck_assert_int_eq(back, PL_SYNC_JOIN);
	ck_assert_uint_eq(n_fds, 5);
	for (int i = 0; i < 5; i++) {
		assert_same_file(fds[i], got[i]);
		close(fds[i]);
		close(got[i]);
	}
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(records_stay_apart)
{
	struct pl_err a = {.err = 0}, b = {.err = EPERM}, r;
	int sv[2], fd = open("/dev/null", O_RDONLY | O_CLOEXEC), got = -1;
	unsigned n_fds;

	pair(sv);
	snprintf(b.msg, sizeof(b.msg), "cannot mount proc on /proc");
	/* A record with an fd, then one without: each read returns one, whole. */
	ck_assert_int_eq(pl_chan_send(sv[0], &a, sizeof(a), &fd, 1), 0);
	ck_assert_int_eq(pl_chan_send(sv[0], &b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(pl_chan_recv(sv[1], &r, sizeof(r), &got, 1, &n_fds), sizeof(r));
	ck_assert_uint_eq(n_fds, 1);
	assert_same_file(fd, got);
	ck_assert_int_eq(pl_chan_recv(sv[1], &r, sizeof(r), &got, 1, &n_fds), sizeof(r));
	ck_assert_uint_eq(n_fds, 0);
	ck_assert_int_eq(r.err, EPERM);
	ck_assert_str_eq(r.msg, "cannot mount proc on /proc");
	/* The other end gone: EOF, not an error. */
	close(sv[0]);
	ck_assert_int_eq(pl_chan_recv(sv[1], &r, sizeof(r), &got, 1, &n_fds), 0);
	close(sv[1]);
	close(fd);
}
END_TEST

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

START_TEST(more_fds_than_wanted_are_closed)
{
	int sv[2], fds[3], got[1], before;
	unsigned n_fds;
	char what = 0;

	pair(sv);
	before = open_fds();
	for (int i = 0; i < 3; i++)
		ck_assert_int_ge(fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_eq(pl_chan_send(sv[0], &what, 1, fds, 3), 0);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	ck_assert_int_eq(pl_chan_recv(sv[1], &what, 1, got, 1, &n_fds), 1);
	ck_assert_uint_eq(n_fds, 1);
	close(got[0]);
	/* The two the record carried beyond what was asked for were closed, not leaked. */
	ck_assert_int_eq(open_fds(), before);
	ck_assert_int_eq(pl_chan_send(sv[0], &what, 1, fds, 9), -E2BIG);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(send_to_a_closed_peer)
{
	int sv[2];
	char what = PL_SYNC_GO;

	pair(sv);
	close(sv[1]);
	/* No SIGPIPE: the test would die of it. */
	ck_assert_int_eq(pl_chan_send(sv[0], &what, 1, NULL, 0), -EPIPE);
	close(sv[0]);
}
END_TEST

/* The child's last report, written as it exits with our latest message unread: the
 * kernel then holds ECONNRESET for us, reported before the records still queued. The
 * report must come through all the same (a failed setup said nothing: "ended without a
 * word", 1 run in 40). */
START_TEST(last_word_of_a_peer_that_left_unread)
{
	int sv[2], fd;
	char report[] = "why it failed", got[sizeof(report)] = "", what = PL_SYNC_JOIN;
	unsigned n_fds;

	pair(sv);
	ck_assert_int_eq(pl_chan_send(sv[1], report, sizeof(report), NULL, 0), 0);
	ck_assert_int_eq(pl_chan_send(sv[0], &what, 1, NULL, 0), 0);
	close(sv[1]);
	ck_assert_int_eq(pl_chan_recv(sv[0], got, sizeof(got), &fd, 1, &n_fds), (ssize_t)sizeof(report));
	ck_assert_str_eq(got, report);
	/* Then the end of the channel, as from any peer that left. */
	ck_assert_int_eq(pl_chan_recv(sv[0], got, sizeof(got), &fd, 1, &n_fds), 0);
	close(sv[0]);
}
END_TEST

static Suite *channel_suite(void)
{
	Suite *s = suite_create("launcher_channel");
	TCase *tc = tcase_create("channel");

	tcase_add_test(tc, a_byte_and_fds);
	tcase_add_test(tc, records_stay_apart);
	tcase_add_test(tc, more_fds_than_wanted_are_closed);
	tcase_add_test(tc, send_to_a_closed_peer);
	tcase_add_test(tc, last_word_of_a_peer_that_left_unread);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(channel_suite)
