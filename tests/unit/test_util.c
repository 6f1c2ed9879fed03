/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proclens/cpuset.h"
#include "proclens/util.h"
#include "testlib.h"

START_TEST(parse_u64_accepts_and_rejects)
{
	uint64_t v;

	ck_assert_int_eq(pl_parse_u64("123\n", &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(pl_parse_u64("18446744073709551615", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(pl_parse_u64("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(pl_parse_u64("", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_u64("12x", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_u64("-1", &v), -EINVAL);
}
END_TEST

/* A number on a command line: decimal digits and nothing else (pl_parse_u64, for the
 * kernel's files, skips blanks and a newline). */
START_TEST(parse_arg_numbers_strictly)
{
	static const char *const junk[] = {" 5", "5 ", "\t5", "5\n", "+5", "-5", "0x5", "05", "00", "5e0",
					   "5.", "", " ", "1 2", "\xd9\xa5"};
	uint64_t v;

	ck_assert_int_eq(pl_parse_arg_u64("5", 100, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(pl_parse_arg_u64("0", 100, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(pl_parse_arg_u64("100", 100, &v), 0);
	ck_assert_int_eq(pl_parse_arg_u64("101", 100, &v), -ERANGE);
	ck_assert_int_eq(pl_parse_arg_u64("18446744073709551615", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(pl_parse_arg_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(pl_parse_arg_u64("99999999999999999999x", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(pl_parse_arg_u64(NULL, 100, &v), -EINVAL);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		ck_assert_msg(pl_parse_arg_u64(junk[i], 100, &v) == -EINVAL, "'%s' taken", junk[i]);

	/* With a fraction, times a unit, in integers. */
	ck_assert_int_eq(pl_parse_arg_decimal("1.5", 1000, 3600000, &v), 0);
	ck_assert_uint_eq(v, 1500);
	ck_assert_int_eq(pl_parse_arg_decimal("0.1", 1000, 3600000, &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(pl_parse_arg_decimal(".25", 1000, 3600000, &v), 0);
	ck_assert_uint_eq(v, 250);
	ck_assert_int_eq(pl_parse_arg_decimal("2", 1000, 3600000, &v), 0);
	ck_assert_uint_eq(v, 2000);
	ck_assert_int_eq(pl_parse_arg_decimal("0.0001", 1000, 3600000, &v), 0);
	ck_assert_uint_eq(v, 0); /* cut, not rounded: the caller's minimum says no */
	ck_assert_int_eq(pl_parse_arg_decimal("3600", 1000, 3600000, &v), 0);
	ck_assert_int_eq(pl_parse_arg_decimal("3600.001", 1000, 3600000, &v), -ERANGE);
	ck_assert_int_eq(pl_parse_arg_decimal("99999999999999999999", 1000, 3600000, &v), -ERANGE);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		if (strcmp(junk[i], "5.") != 0)
			ck_assert_msg(pl_parse_arg_decimal(junk[i], 1000, 3600000, &v) == -EINVAL, "'%s' taken",
				      junk[i]);
	ck_assert_int_eq(pl_parse_arg_decimal(".", 1000, 3600000, &v), -EINVAL);
	ck_assert_int_eq(pl_parse_arg_decimal("1,5", 1000, 3600000, &v), -EINVAL);
	ck_assert_int_eq(pl_parse_arg_decimal("inf", 1000, 3600000, &v), -EINVAL);
	ck_assert_int_eq(pl_parse_arg_decimal("nan", 1000, 3600000, &v), -EINVAL);
}
END_TEST

/* pidfd_open is called in one place, pl_pidfd_open (its flags, PIDFD_THREAD's fallback
 * and -errno): launcher/view.c made the system call itself. */
START_TEST(pidfd_open_is_shared)
{
	static const char *const dirs[] = {"lib", "fs", "launcher"};
	char path[4096];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/../../%s", FIXTURES, dirs[i]);
		d = opendir(path);
		ck_assert_msg(d != NULL, "cannot open %s", path);
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name);
			char *text = NULL;
			int fd;

			if (n < 3 || strcmp(de->d_name + n - 2, ".c") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/../../%s/%s", FIXTURES, dirs[i], de->d_name);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			ck_assert_int_ge(fd, 0);
			ck_assert_int_ge(pl_read_fd_all(fd, &text), 0);
			close(fd);
			if (strcmp(dirs[i], "lib") != 0 || strcmp(de->d_name, "util.c") != 0)
				ck_assert_msg(!strstr(text, "SYS_pidfd_open") && !strstr(text, "__NR_pidfd_open"),
					      "%s/%s calls pidfd_open itself (use pl_pidfd_open)", dirs[i],
					      de->d_name);
			free(text);
		}
		closedir(d);
	}
}
END_TEST

START_TEST(parse_limit_sentinels)
{
	uint64_t v;

	ck_assert_int_eq(pl_parse_limit("max\n", &v), 0);
	ck_assert_uint_eq(v, PL_UNLIMITED);
	ck_assert_int_eq(pl_parse_limit("-1\n", &v), 0);
	ck_assert_uint_eq(v, PL_UNLIMITED);
	ck_assert_int_eq(pl_parse_limit("9223372036854771712\n", &v), 0);
	ck_assert_uint_eq(v, PL_UNLIMITED);
	ck_assert_int_eq(pl_parse_limit("268435456\n", &v), 0);
	ck_assert_uint_eq(v, 268435456);
	ck_assert_int_eq(pl_parse_limit("\n", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_limit("maximum", &v), -EINVAL);
}
END_TEST

START_TEST(parse_size_suffixes)
{
	uint64_t v;

	ck_assert_int_eq(pl_parse_size("256M", &v), 0);
	ck_assert_uint_eq(v, 256u << 20);
	ck_assert_int_eq(pl_parse_size("1g", &v), 0);
	ck_assert_uint_eq(v, 1u << 30);
	ck_assert_int_eq(pl_parse_size("512KiB", &v), 0);
	ck_assert_uint_eq(v, 512u << 10);
	ck_assert_int_eq(pl_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(pl_parse_size("12Q", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_size("M", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_size("99999999999999T", &v), -ERANGE);
	ck_assert_int_eq(pl_parse_size("99999999999999999999", &v), -ERANGE);
	ck_assert_int_eq(pl_parse_size(" 256M", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_size("256M ", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_size("+256M", &v), -EINVAL);
	ck_assert_int_eq(pl_parse_size("0256M", &v), -EINVAL);
}
END_TEST

START_TEST(kv_exact_key)
{
	const char *stat = "file 100\nfile_mapped 7\nanon 5\n";
	uint64_t v;

	ck_assert_int_eq(pl_kv_get_u64(stat, "file_mapped", &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(pl_kv_get_u64(stat, "file", &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(pl_kv_get_u64("file_mapped 7\n", "file", &v), -ENOENT);
	ck_assert_int_eq(pl_kv_get_u64("anon\n", "anon", &v), -ENOENT);
	ck_assert_int_eq(pl_kv_get_u64("anon x\n", "anon", &v), -EINVAL);
}
END_TEST

START_TEST(buf_grows)
{
	struct pl_buf b;

	pl_buf_init(&b);
	for (int i = 0; i < 1000; i++)
		pl_buf_printf(&b, "line %d\n", i);
	ck_assert_int_eq(pl_buf_error(&b), 0);
	ck_assert(strncmp(b.data, "line 0\nline 1\n", 14) == 0);
	ck_assert_uint_eq(b.len, strlen(b.data));
	pl_buf_free(&b);
}
END_TEST

START_TEST(cpuset_roundtrip)
{
	struct pl_cpuset s;
	char out[64];

	ck_assert_int_eq(pl_cpuset_parse("0-3,8,10-11\n", &s), 0);
	ck_assert_uint_eq(pl_cpuset_count(&s), 7);
	ck_assert_int_eq(pl_cpuset_nth(&s, 4), 8);
	ck_assert_int_eq(pl_cpuset_nth(&s, 7), -1);
	ck_assert_int_gt(pl_cpuset_format(&s, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0-3,8,10-11");
	pl_cpuset_truncate(&s, 5);
	pl_cpuset_format(&s, out, sizeof(out));
	ck_assert_str_eq(out, "0-3,8");
	ck_assert_int_eq(pl_cpuset_parse("\n", &s), 0);
	ck_assert_uint_eq(pl_cpuset_count(&s), 0);
	ck_assert_int_eq(pl_cpuset_parse("3-1", &s), -EINVAL);
	ck_assert_int_eq(pl_cpuset_parse("1,,2", &s), -EINVAL);
	ck_assert_int_eq(pl_cpuset_parse("99999", &s), -ERANGE);
}
END_TEST

START_TEST(cpuset_masks_and_renumbering)
{
	struct pl_cpuset host, visible, out;
	char buf[128];

	ck_assert_int_eq(pl_cpuset_parse_mask("0000000c\n", &host), 0);
	pl_cpuset_format(&host, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2-3");
	ck_assert_int_eq(pl_cpuset_parse_mask("00000001,80000000", &host), 0);
	pl_cpuset_format(&host, buf, sizeof(buf));
	ck_assert_str_eq(buf, "31-32");
	ck_assert_int_gt(pl_cpuset_format_mask(&host, 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "00000001,80000000");
	pl_cpuset_parse("0", &host);
	ck_assert_int_gt(pl_cpuset_format_mask(&host, 64, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "00000000,00000001");
	ck_assert_int_eq(pl_cpuset_parse_mask("xyz", &host), -EINVAL);
	ck_assert_int_eq(pl_cpuset_parse_mask("\n", &host), -EINVAL);

	/* A container on host CPUs 2,3,6: host siblings {2,3} are its 0,1; {6,7} is its 2. */
	pl_cpuset_parse("2-3,6", &visible);
	pl_cpuset_parse("2-3", &host);
	pl_cpuset_renumber(&host, &visible, &out);
	pl_cpuset_format(&out, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0-1");
	pl_cpuset_parse("6-7", &host);
	pl_cpuset_renumber(&host, &visible, &out);
	pl_cpuset_format(&out, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2");
	pl_cpuset_parse("0-1", &host);
	pl_cpuset_renumber(&host, &visible, &out);
	ck_assert_uint_eq(pl_cpuset_count(&out), 0);
}
END_TEST

/* Directories are found by d_type, "." and ".." are not children, and an entry whose type
 * the file system left unknown is settled by stat (symlinks to directories are not
 * directories). */
START_TEST(dirent_is_dir)
{
	char dir[] = "/tmp/proclens-test-dirent-XXXXXX", path[128];
	struct dirent unknown = {.d_type = DT_UNKNOWN};
	unsigned dirs = 0, others = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/link", dir);
	ck_assert_int_eq(symlink("sub", path), 0);

	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (pl_dirent_is_dir(dirfd(d), de)) {
			ck_assert_str_eq(de->d_name, "sub");
			dirs++;
		} else {
			others++;
		}
	}
	ck_assert_uint_eq(dirs, 1);
	ck_assert_uint_eq(others, 4); /* ".", "..", file, link */
	snprintf(unknown.d_name, sizeof(unknown.d_name), "sub");
	ck_assert(pl_dirent_is_dir(dirfd(d), &unknown));
	snprintf(unknown.d_name, sizeof(unknown.d_name), "link");
	ck_assert(!pl_dirent_is_dir(dirfd(d), &unknown));
	snprintf(unknown.d_name, sizeof(unknown.d_name), "gone");
	ck_assert(!pl_dirent_is_dir(dirfd(d), &unknown));
	snprintf(unknown.d_name, sizeof(unknown.d_name), "..");
	ck_assert(!pl_dirent_is_dir(dirfd(d), &unknown));
	closedir(d);

	unlinkat(AT_FDCWD, path, 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_u64_accepts_and_rejects);
	tcase_add_test(tc, parse_arg_numbers_strictly);
	tcase_add_test(tc, pidfd_open_is_shared);
	tcase_add_test(tc, parse_limit_sentinels);
	tcase_add_test(tc, parse_size_suffixes);
	tcase_add_test(tc, kv_exact_key);
	tcase_add_test(tc, buf_grows);
	tcase_add_test(tc, cpuset_roundtrip);
	tcase_add_test(tc, cpuset_masks_and_renumbering);
	tcase_add_test(tc, dirent_is_dir);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(util_suite)
