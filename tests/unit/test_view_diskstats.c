/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static const char *const trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

/* ct: sda 1 MiB read in 256, 4 MiB written in 64; vda 4 KiB read in 1, 64 KiB discarded in 2.
 * loop0 (no I/O), sda1 and dm-0 (none listed) and 9:9 (not a host device) are left out. */
static const char ct_expect[] = "   8       0 sda 256 0 2048 0 64 0 8192 0 0 0 0 0 0 0 0 0 0\n"
				" 254       0 vda 1 0 8 0 0 0 0 0 0 0 0 2 0 128 0 0 0\n";

static struct pl_io_stat *find_dev(struct pl_io_stat *v, size_t n, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].major == major && v[i].minor == minor)
			return &v[i];
	return NULL;
}

START_TEST(io_stats_v1_and_v2)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		_cleanup_free_ struct pl_io_stat *io = NULL;
		struct pl_io_stat *d;
		size_t n;

		fixture_open(&f, trees[i], "ct", false, NULL);
		ck_assert_int_eq(pl_cgroup_io_stats(&f.cg, &io, &n), 0);
		ck_assert_uint_eq(n, 4);
		/* In the kernel's order. */
		ck_assert_uint_eq(io[0].major, 8);
		ck_assert_uint_eq(io[3].minor, 9);
		d = find_dev(io, n, 8, 0);
		ck_assert_ptr_nonnull(d);
		/* v1: the _recursive files, not ct's own smaller plain ones. */
		ck_assert_uint_eq(d->read_bytes, 1048576);
		ck_assert_uint_eq(d->write_bytes, 4194304);
		ck_assert_uint_eq(d->read_ios, 256);
		ck_assert_uint_eq(d->write_ios, 64);
		d = find_dev(io, n, 254, 0);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(d->discard_bytes, 65536);
		ck_assert_uint_eq(d->discard_ios, 2);
		d = find_dev(io, n, 7, 0);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(d->read_bytes + d->write_bytes + d->read_ios + d->write_ios, 0);
		fixture_close(&f);
	}
}
END_TEST

START_TEST(io_stats_v1_old_kernel_and_v2_empty)
{
	struct fixture f;
	_cleanup_free_ struct pl_io_stat *io = NULL;
	struct pl_io_stat *none = (struct pl_io_stat *)1;
	size_t n;

	/* No _recursive files: the plain ones, no Discard lines. */
	fixture_open(&f, FIXTURES "/view/v1", "old", false, NULL);
	ck_assert_int_eq(pl_cgroup_io_stats(&f.cg, &io, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(io[0].read_bytes, 1024);
	ck_assert_uint_eq(io[0].write_bytes, 512);
	ck_assert_uint_eq(io[0].read_ios, 2);
	ck_assert_uint_eq(io[0].write_ios, 1);
	ck_assert_uint_eq(io[0].discard_bytes, 0);
	fixture_close(&f);
	/* v2 io.stat of a cgroup that did no I/O is empty. */
	fixture_open(&f, FIXTURES "/view/v2", "unlimited", false, NULL);
	ck_assert_int_eq(pl_cgroup_io_stats(&f.cg, &none, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(none);
	fixture_close(&f);
}
END_TEST

START_TEST(io_stats_errors)
{
	struct fixture f;
	struct pl_io_stat *io;
	size_t n;

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		fixture_open(&f, trees[i], "bad", false, NULL);
		ck_assert_int_eq(pl_cgroup_io_stats(&f.cg, &io, &n), -EINVAL);
		ck_assert_ptr_null(io);
		fixture_close(&f);
	}
	/* io not delegated to this v2 cgroup; no blkio cgroup for this v1 one. */
	fixture_open(&f, FIXTURES "/view/v2", "limited/nomem", false, NULL);
	ck_assert_int_eq(pl_cgroup_io_stats(&f.cg, &io, &n), -ENOENT);
	fixture_close(&f);
	fixture_open(&f, FIXTURES "/view/v1", "noswap", false, NULL);
	ck_assert_int_eq(pl_cgroup_io_stats(&f.cg, &io, &n), -ENOENT);
	fixture_close(&f);
}
END_TEST

START_TEST(parse_host_devices)
{
	_cleanup_free_ char *text = read_fixture(SYNTH "/proc", "diskstats");
	_cleanup_free_ struct pl_diskstats_dev *d = NULL;
	struct pl_diskstats_dev *bad = NULL;
	size_t n;

	ck_assert_int_eq(pl_diskstats_parse_devices(text, &d, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(d[0].name, "loop0");
	ck_assert_str_eq(d[2].name, "sda1");
	ck_assert_uint_eq(d[2].minor, 1);
	ck_assert_str_eq(d[3].name, "vda");
	ck_assert_uint_eq(d[3].major, 254);
	ck_assert_int_eq(pl_diskstats_parse_devices("   8       0\n", &bad, &n), -EINVAL);
	ck_assert_int_eq(pl_diskstats_parse_devices("   8       0 sda\n", &bad, &n), -EINVAL);
	ck_assert_int_eq(pl_diskstats_parse_devices("sda 8 0 1 2 3\n", &bad, &n), -EINVAL);
	ck_assert_ptr_null(bad);
	ck_assert_int_eq(pl_diskstats_parse_devices("", &bad, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(render_state_exact)
{
	struct pl_diskstats_dev dev = {.major = 259, .minor = 0, .name = "nvme0n1"};
	struct pl_diskstats_state st = {.dev = &dev, .ndev = 1};
	struct pl_buf b;

	dev.io = (struct pl_io_stat){.read_ios = 3,
				     .read_bytes = 1536,
				     .write_ios = 5,
				     .write_bytes = 1000,
				     .discard_ios = 7,
				     .discard_bytes = 1024};
	pl_buf_init(&b);
	ck_assert_int_eq(pl_diskstats_render(&st, &b), 0);
	/* 20 fields: major, minor, name and the kernel's 17 counters (sectors round down). */
	ck_assert_str_eq(b.data, " 259       0 nvme0n1 3 0 3 0 5 0 1 0 0 0 0 7 0 2 0 0 0\n");
	pl_buf_free(&b);
}
END_TEST

START_TEST(collect_v1_and_v2)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		_cleanup_free_ char *t = NULL;

		fixture_open(&f, trees[i], "ct", false, NULL);
		ck_assert_int_eq(fixture_generate(&f, "proc/diskstats", &t), 0);
		ck_assert_str_eq(t, ct_expect);
		/* Nothing of the host's counters. */
		ck_assert_ptr_null(strstr(t, "123456789"));
		fixture_close(&f);
	}
}
END_TEST

START_TEST(collect_no_io_is_empty)
{
	struct fixture f;
	_cleanup_free_ char *t = NULL;

	fixture_open(&f, FIXTURES "/view/v2", "unlimited", false, NULL);
	ck_assert_int_eq(fixture_generate(&f, "proc/diskstats", &t), 0);
	ck_assert_str_eq(t, "");
	fixture_close(&f);
}
END_TEST

START_TEST(collect_root_and_errors)
{
	_cleanup_free_ char *host_text = read_fixture(SYNTH "/proc", "diskstats");

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		char *t;

		fixture_open(&f, trees[i], "", false, NULL);
		ck_assert_int_eq(fixture_generate(&f, "proc/diskstats", &t), 0);
		ck_assert_str_eq(t, host_text);
		free(t);
		fixture_close(&f);
		fixture_open(&f, trees[i], "bad", false, NULL);
		ck_assert_int_eq(fixture_generate(&f, "proc/diskstats", &t), -EINVAL);
		free(t);
		fixture_close(&f);
		/* No io controller for this cgroup: an error, never the host's disks. */
		fixture_open(&f, trees[i], "ct", false, NULL);
		free(f.cg.path[PL_CTRL_IO]);
		f.cg.path[PL_CTRL_IO] = NULL;
		ck_assert_int_eq(fixture_generate(&f, "proc/diskstats", &t), -ENOENT);
		free(t);
		fixture_close(&f);
	}
}
END_TEST

START_TEST(collect_malformed_host_file)
{
	char dir[] = "/tmp/proclens-test-diskstats.XXXXXX";
	char path[128];
	struct fixture f;
	char *t;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "diskstats", "   8       0 sda 1 2 3\nnot a line\n");
	fixture_open(&f, FIXTURES "/view/v2", "ct", false, NULL);
	pl_host_close(&f.host);
	ck_assert_int_eq(pl_host_open(&f.host, dir, SYNTH "/sys"), 0);
	ck_assert_int_eq(fixture_generate(&f, "proc/diskstats", &t), -EINVAL);
	free(t);
	fixture_close(&f);
	snprintf(path, sizeof(path), "%s/diskstats", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *diskstats_suite(void)
{
	Suite *s = suite_create("view_diskstats");
	TCase *tg = tcase_create("cgroup");
	TCase *tc = tcase_create("view");

	tcase_add_test(tg, io_stats_v1_and_v2);
	tcase_add_test(tg, io_stats_v1_old_kernel_and_v2_empty);
	tcase_add_test(tg, io_stats_errors);
	suite_add_tcase(s, tg);
	tcase_add_test(tc, parse_host_devices);
	tcase_add_test(tc, render_state_exact);
	tcase_add_test(tc, collect_v1_and_v2);
	tcase_add_test(tc, collect_no_io_is_empty);
	tcase_add_test(tc, collect_root_and_errors);
	tcase_add_test(tc, collect_malformed_host_file);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(diskstats_suite)
