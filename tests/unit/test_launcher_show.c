/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `proclens show` and `explain` arguments, FILE names, JSON; `proclens stats` arguments and
 * its table and JSON. The rendering itself is the daemon's, tested with the views. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../launcher/inspect.h"
#include "proclens/util.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static int parse(char **argv, int argc, struct pl_inspect_opts *o, struct pl_err *e)
{
	memset(e, 0, sizeof(*e));
	return pl_inspect_parse(argc, argv, o, e);
}

START_TEST(pid_or_cgroup)
{
	char *a1[] = {"show", "meminfo", "--pid", "42", NULL};
	char *a2[] = {"explain", "--cgroup", "/proclens/web", "--json", "/proc/stat", NULL};
	char *a3[] = {"show", "-p", "7", "--cpu-count=cpuset", "sys/devices/system/cpu/online", NULL};
	struct pl_inspect_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(a1, ARGC(a1), &o, &e), 0);
	ck_assert_str_eq(o.file, "proc/meminfo");
	ck_assert_int_eq(o.pid, 42);
	ck_assert_ptr_null(o.cgroup);
	ck_assert(!o.json && o.cpu_count_from_quota);
	ck_assert_int_eq(parse(a2, ARGC(a2), &o, &e), 0);
	ck_assert_str_eq(o.file, "proc/stat");
	ck_assert_str_eq(o.cgroup, "/proclens/web");
	ck_assert_int_eq(o.pid, 0);
	ck_assert(o.json);
	ck_assert_int_eq(parse(a3, ARGC(a3), &o, &e), 0);
	ck_assert_str_eq(o.file, "sys/devices/system/cpu/online");
	ck_assert(!o.cpu_count_from_quota);
}
END_TEST

START_TEST(usage_errors)
{
	char *none[] = {"show", "meminfo", NULL};
	char *both[] = {"show", "meminfo", "--pid", "1", "--cgroup", "/", NULL};
	char *nofile[] = {"show", "--pid", "1", NULL};
	char *two[] = {"show", "meminfo", "stat", "--pid", "1", NULL};
	char *badpid[] = {"show", "meminfo", "--pid", "0", NULL};
	char *badmode[] = {"show", "meminfo", "--pid", "1", "--cpu-count=half", NULL};
	char *unknown[] = {"show", "meminfo", "--pid", "1", "--frobnicate", NULL};
	char *noarg[] = {"show", "meminfo", "--pid", NULL};
	char *empty_cg[] = {"show", "meminfo", "--cgroup", "", NULL};
	struct pl_inspect_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(none, ARGC(none), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "give one of --pid PID or --cgroup PATH");
	ck_assert_int_eq(parse(both, ARGC(both), &o, &e), -EINVAL);
	ck_assert_int_eq(parse(nofile, ARGC(nofile), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "which file? (see proclens show --help)");
	ck_assert_int_eq(parse(two, ARGC(two), &o, &e), -EINVAL);
	ck_assert_int_eq(parse(badpid, ARGC(badpid), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "--pid wants a process id (decimal digits only), not '0'");
	ck_assert_int_eq(parse(badmode, ARGC(badmode), &o, &e), -EINVAL);
	ck_assert_int_eq(parse(unknown, ARGC(unknown), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "unknown option '--frobnicate' (see proclens show --help)");
	ck_assert_int_eq(parse(noarg, ARGC(noarg), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "--pid needs an argument");
	/* An empty path named the root cgroup: the host's numbers, exit 0, for an unset "$CG". */
	ck_assert_int_eq(parse(empty_cg, ARGC(empty_cg), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "--cgroup wants a path (\"/\" for the root), not ''");
}
END_TEST

/* show, explain and stats check --cgroup alike (one check): '' is the root for an unset
 * "$CG", ".." leaves the hierarchy ("bad cgroup path ../..: Invalid argument" at run time
 * for show, "no such cgroup: ../.." for stats), "." names a cgroup twice. */
START_TEST(cgroup_paths)
{
	static const char *const bad[] = {"", "../..", "..", "/a/../b", "/a/./b", ".", "/proclens/web/."};
	static const char *const ok[] = {"/", "/proclens/web", "proclens/web/", "//a//b", "/a..b/.c"};
	struct pl_inspect_opts o;
	struct pl_stats_opts so;
	struct pl_err e, e2;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *show[] = {"show", "meminfo", "--cgroup", (char *)bad[i], NULL};
		char *stats[] = {"stats", "--cgroup", "/x", "-c", (char *)bad[i], NULL};

		ck_assert_msg(parse(show, ARGC(show), &o, &e) == -EINVAL, "show --cgroup '%s' taken", bad[i]);
		memset(&e2, 0, sizeof(e2));
		ck_assert_msg(pl_stats_parse(ARGC(stats), stats, &so, &e2) == -EINVAL, "stats --cgroup '%s' taken",
			      bad[i]);
		ck_assert_str_eq(e.msg, e2.msg);
		if (bad[i][0])
			ck_assert_ptr_nonnull(strstr(e.msg, "no \".\" or \"..\" in PATH"));
	}
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *show[] = {"explain", "meminfo", "-c", (char *)ok[i], NULL};
		char *stats[] = {"stats", "--cgroup", (char *)ok[i], NULL};

		ck_assert_int_eq(parse(show, ARGC(show), &o, &e), 0);
		ck_assert_str_eq(o.cgroup, ok[i]);
		ck_assert_int_eq(pl_stats_parse(ARGC(stats), stats, &so, &e), 0);
	}
}
END_TEST

/* A pid is decimal digits as the kernel writes it: " 5" (a script's field splitting),
 * "5 " and "05" were pid 5, and "+5" and "0x5" were refused only by luck of the parser. */
START_TEST(pid_digits_only)
{
	static const char *const bad[] = {" 5", "5 ", "+5", "-5", "0x5", "05", "5\n", "5.0", "",
					  "2147483648", "99999999999999999999"};
	char *twice[] = {"show", "meminfo", "--pid", "5", "--pid", "6", NULL};
	char *mode_twice[] = {"show", "meminfo", "--pid", "5", "--cpu-count=quota", "--cpu-count=cpuset", NULL};
	struct pl_inspect_opts o;
	struct pl_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {"show", "meminfo", "--pid", (char *)bad[i], NULL};
		char want[128];

		ck_assert_msg(parse(argv, ARGC(argv), &o, &e) == -EINVAL, "--pid '%s' taken", bad[i]);
		snprintf(want, sizeof(want), "--pid wants a process id (decimal digits only), not '%s'", bad[i]);
		ck_assert_str_eq(e.msg, want);
	}
	{
		char *argv[] = {"explain", "meminfo", "-p", "2147483647", NULL};

		ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), 0);
		ck_assert_int_eq(o.pid, 2147483647);
	}
	/* Given twice, one is a mistake: it said "wants one process id, not '6'". */
	ck_assert_int_eq(parse(twice, ARGC(twice), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "--pid given twice");
	/* The last one won: which of the two was meant cannot be told. */
	ck_assert_int_eq(parse(mode_twice, ARGC(mode_twice), &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "--cpu-count given twice");
}
END_TEST

/* --pid of a kernel thread showed the host's numbers with exit 0, as if it read them. */
START_TEST(kernel_threads)
{
	ck_assert_int_eq(pl_inspect_kernel_thread("Name:\tkthreadd\nUmask:\t0000\nState:\tS (sleeping)\n"
						  "Tgid:\t2\nKthread:\t1\n", NULL), 1);
	ck_assert_int_eq(pl_inspect_kernel_thread("Name:\tbash\nKthread:\t0\nPid:\t7\n", NULL), 0);
	/* Before Linux 6.0: PF_KTHREAD (0x00200000) among the flags of /proc/PID/stat, past a
	 * name that may hold blanks and parentheses. */
	ck_assert_int_eq(pl_inspect_kernel_thread("Name:\tkworker/0:1\n",
						  "42 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0\n"), 1);
	ck_assert_int_eq(pl_inspect_kernel_thread("Name:\ta) b\n", "42 (a) b (x)) S 1 42 42 0 -1 4194560 0\n"),
			 0);
	ck_assert_int_eq(pl_inspect_kernel_thread("Name:\tx\n", NULL), -EINVAL);
	ck_assert_int_eq(pl_inspect_kernel_thread("Name:\tx\n", "42 (x) S"), -EINVAL);
}
END_TEST

START_TEST(file_names)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"meminfo", "proc/meminfo"},
	    {"proc/meminfo", "proc/meminfo"},
	    {"/proc/meminfo", "proc/meminfo"},
	    {"//proc/cpuinfo", "proc/cpuinfo"},
	    /* Slashes repeated inside name the same file, as for the kernel ("$dir/$f"). */
	    {"//proc//meminfo", "proc/meminfo"},
	    {"proc/pressure//cpu", "proc/pressure/cpu"},
	    {"/sys//devices/system/cpu//cpu0/topology/core_id", "sys/devices/system/cpu/cpu0/topology/core_id"},
	    {"pressure/cpu", "proc/pressure/cpu"},
	    {"/sys/devices/system/cpu/online", "sys/devices/system/cpu/online"},
	    {"sys/devices/system/cpu/cpu0/topology/core_id", "sys/devices/system/cpu/cpu0/topology/core_id"},
	};
	char out[256];
	struct pl_err e = {0};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(pl_inspect_normalize(ok[i].in, out, sizeof(out), &e), 0);
		ck_assert_str_eq(out, ok[i].out);
	}
	ck_assert_int_eq(pl_inspect_normalize("proc/version", out, sizeof(out), &e), -ENOENT);
	ck_assert_ptr_nonnull(
	    strstr(e.msg, "proclensfs serves no 'proc/version' (it serves meminfo, cpuinfo"));
	ck_assert_int_eq(pl_inspect_normalize("online", out, sizeof(out), &e), -ENOENT);
	ck_assert_int_eq(
	    pl_inspect_normalize("sys/devices/system/cpu/../../../etc/passwd", out, sizeof(out), &e),
	    -EINVAL);
	ck_assert_int_eq(pl_inspect_normalize("./meminfo", out, sizeof(out), &e), -EINVAL);
	ck_assert_int_eq(pl_inspect_normalize("sys//devices/system/cpu/.//online", out, sizeof(out), &e), -EINVAL);
}
END_TEST

START_TEST(json_escaping)
{
	struct pl_buf b;

	pl_buf_init(&b);
	pl_json_string(&b, "a\"b\\c\nd\te\r\x01\x1f\x7f é");
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001f\\u007f é\"");
	/* A cgroup name is bytes: what is no UTF-8 (a lone byte, a sequence cut short, an
	 * overlong form, a surrogate) is U+FFFD, or the JSON is none (jq, Python reject it);
	 * UTF-8 up to 4 bytes passes. */
	pl_buf_reset(&b);
	pl_json_string(&b, "/x\xff\xc3|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xf4\x90\x80\x80|\xf0\x9f\x98\x80\xe2\x82\xac");
	ck_assert_str_eq(b.data, "\"/x\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd|"
				 "\\ufffd\\ufffd\\ufffd\\ufffd|\xf0\x9f\x98\x80\xe2\x82\xac\"");
	pl_buf_free(&b);
}
END_TEST

START_TEST(show_json)
{
	struct pl_inspect_opts o = {.pid = 42};
	struct pl_buf b;

	snprintf(o.file, sizeof(o.file), "proc/uptime");
	pl_buf_init(&b);
	ck_assert_int_eq(pl_show_format_json(&o, "12.34 5.67\n", &b), 0);
	ck_assert_str_eq(b.data,
			 "{\"file\": \"proc/uptime\", \"pid\": 42, \"content\": \"12.34 5.67\\n\"}\n");
	pl_buf_reset(&b);
	o.pid = 0;
	o.cgroup = "/a \"b\"";
	ck_assert_int_eq(pl_show_format_json(&o, "", &b), 0);
	ck_assert_str_eq(b.data,
			 "{\"file\": \"proc/uptime\", \"cgroup\": \"/a \\\"b\\\"\", \"content\": \"\"}\n");
	pl_buf_free(&b);
}
END_TEST

/* ---- stats ---- */

START_TEST(stats_options)
{
	char *a1[] = {"stats", NULL};
	char *a2[] = {"stats", "--no-stream", "--json", "-i", "0.5", "--cgroup", "/a", "-c", "/b", NULL};
	char *a3[] = {"stats", "-n", "-j", NULL};
	char *bad[] = {"stats", "--interval", "0", NULL};
	char *extra[] = {"stats", "web", NULL};
	char *empty_cg[] = {"stats", "--cgroup", "/a", "--cgroup", "", NULL};
	struct pl_stats_opts o;
	struct pl_err e = {0};

	ck_assert_int_eq(pl_stats_parse(ARGC(a1), a1, &o, &e), 0);
	ck_assert(!o.no_stream && !o.json);
	ck_assert_uint_eq(o.interval_ms, 2000);
	ck_assert_uint_eq(o.n_cgroups, 0);
	ck_assert_int_eq(pl_stats_parse(ARGC(a2), a2, &o, &e), 0);
	ck_assert(o.no_stream && o.json);
	ck_assert_uint_eq(o.interval_ms, 500);
	ck_assert_uint_eq(o.n_cgroups, 2);
	ck_assert_str_eq(o.cgroups[0], "/a");
	ck_assert_str_eq(o.cgroups[1], "/b");
	/* The short options --help lists (-n was taken and not listed). */
	ck_assert_int_eq(pl_stats_parse(ARGC(a3), a3, &o, &e), 0);
	ck_assert(o.no_stream && o.json);
	ck_assert_int_eq(pl_stats_parse(ARGC(bad), bad, &o, &e), -EINVAL);
	ck_assert_int_eq(pl_stats_parse(ARGC(extra), extra, &o, &e), -EINVAL);
	ck_assert_int_eq(pl_stats_parse(ARGC(empty_cg), empty_cg, &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "--cgroup wants a path (\"/\" for the root), not ''");
}
END_TEST

/* --interval is seconds as digits with an optional fraction: strtod took " 2", "+2", "2e0"
 * and "0x2", and the last of two --interval won. */
START_TEST(stats_interval_digits_only)
{
	static const char *const bad[] = {" 2", "2 ", "+2", "-2", "2e0", "0x2", "02", "inf", "nan", "2s",
					  "0.09", "3600.5", "1,5", ""};
	static const struct {
		const char *arg;
		unsigned ms;
	} ok[] = {{"2", 2000}, {"0.1", 100}, {".5", 500}, {"1.25", 1250}, {"3600", 3600000}, {"0.1005", 100}};
	char *twice[] = {"stats", "-i", "1", "--interval", "2", NULL};
	struct pl_stats_opts o;
	struct pl_err e = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = {"stats", "--interval", (char *)bad[i], NULL};
		char want[160];

		ck_assert_msg(pl_stats_parse(ARGC(argv), argv, &o, &e) == -EINVAL, "--interval '%s' taken", bad[i]);
		snprintf(want, sizeof(want),
			 "--interval wants seconds between 0.1 and 3600 (such as 2 or 0.5), not '%s'", bad[i]);
		ck_assert_str_eq(e.msg, want);
	}
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *argv[] = {"stats", "--interval", (char *)ok[i].arg, NULL};

		ck_assert_int_eq(pl_stats_parse(ARGC(argv), argv, &o, &e), 0);
		ck_assert_uint_eq(o.interval_ms, ok[i].ms);
	}
	ck_assert_int_eq(pl_stats_parse(ARGC(twice), twice, &o, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "--interval given twice");
}
END_TEST

START_TEST(stats_numbers)
{
	char buf[32];

	pl_stats_human_bytes(512, buf, sizeof(buf));
	ck_assert_str_eq(buf, "512B");
	pl_stats_human_bytes(268435456, buf, sizeof(buf));
	ck_assert_str_eq(buf, "256MiB");
	pl_stats_human_bytes(1536 * 1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1.50MiB");
	pl_stats_human_bytes(50 * 1024 * 1024 + 512 * 1024, buf, sizeof(buf));
	ck_assert_str_eq(buf, "50.5MiB");
	/* 0.5 s of CPU over 1 s: half a CPU. */
	ck_assert(pl_stats_cpu_percent(1000000000, 1500000000, 0, 1000000000) == 50.0);
	ck_assert(pl_stats_cpu_percent(0, 2000000000, 0, 1000000000) == 200.0);
	/* No time passed, or a counter that went back (a new cgroup of the same name): 0. */
	ck_assert(pl_stats_cpu_percent(5, 10, 7, 7) == 0);
	ck_assert(pl_stats_cpu_percent(10, 5, 0, 1000) == 0);
}
END_TEST

static void sample_rows(struct pl_stats_sample *rows)
{
	memset(rows, 0, 2 * sizeof(*rows));
	snprintf(rows[0].name, sizeof(rows[0].name), "web");
	snprintf(rows[0].cgroup, sizeof(rows[0].cgroup), "/proclens/web");
	rows[0].have_memory = rows[0].have_cpu_limits = rows[0].have_cpu_percent = true;
	rows[0].have_pids = rows[0].have_load = true;
	rows[0].memory_used_bytes = 64u << 20;
	rows[0].memory_limit_bytes = 256u << 20;
	rows[0].cpu_quota_usec = 50000;
	rows[0].cpu_period_usec = 100000;
	rows[0].cpu_percent = 49.5;
	rows[0].pids = 3;
	rows[0].load = 1;
	/* A cgroup with only a memory controller, and no limit: % of the host's memory. */
	snprintf(rows[1].name, sizeof(rows[1].name), "/system.slice/x");
	snprintf(rows[1].cgroup, sizeof(rows[1].cgroup), "/system.slice/x");
	rows[1].have_memory = true;
	rows[1].memory_used_bytes = 1u << 30;
	rows[1].memory_limit_bytes = PL_UNLIMITED;
	rows[1].host_memory_bytes = 4ull << 30;
}

START_TEST(stats_table)
{
	struct pl_stats_sample rows[2];
	struct pl_buf b;

	sample_rows(rows);
	pl_buf_init(&b);
	pl_stats_format_table(rows, 2, 0, 0, &b);
	ck_assert_str_eq(
	    b.data, "NAME                       MEM USED  MEM LIMIT  MEM %   CPU % CPU QUOTA   PIDS  LOAD\n"
		    "web                         64.0MiB     256MiB   25.0    49.5       0.5      3     1\n"
		    "/system.slice/x             1.00GiB       none   25.0       -         -      -     -\n");
	pl_buf_free(&b);
}
END_TEST

/* A name past 24 columns pushed its row's columns out of line with the header; a terminal
 * narrower than the table wrapped each line (the redraw from the top then scrolled); a
 * control byte in a name reached the terminal. */
START_TEST(stats_table_fits)
{
	struct pl_stats_sample rows[2];
	struct pl_buf b;
	const char *line2;

	sample_rows(rows);
	snprintf(rows[0].name, sizeof(rows[0].name), "a-container-name-of-forty-characters-xyz");
	snprintf(rows[1].name, sizeof(rows[1].name), "/x\033[2Jy\n");
	pl_buf_init(&b);
	pl_stats_format_table(rows, 2, 0, 0, &b);
	ck_assert_str_eq(
	    b.data,
	    "NAME                                       MEM USED  MEM LIMIT  MEM %   CPU % CPU QUOTA   PIDS  LOAD\n"
	    "a-container-name-of-forty-characters-xyz    64.0MiB     256MiB   25.0    49.5       0.5      3     1\n"
	    "/x?[2Jy?                                    1.00GiB       none   25.0       -         -      -     -\n");
	line2 = strchr(b.data, '\n') + 1;
	ck_assert_int_eq(strcspn(b.data, "\n"), strcspn(line2, "\n")); /* header as wide as a row */
	pl_buf_reset(&b);
	pl_stats_format_table(rows, 2, 30, 2, &b);
	ck_assert_str_eq(b.data, "NAME                          \n"
				 "a-container-name-of-forty-char\n");
	pl_buf_free(&b);
}
END_TEST

/* A long --cgroup path is its row's name whole, and its line keeps every column (the name
 * was cut to 127 bytes and the line to 511, losing the columns after it). */
START_TEST(stats_long_names)
{
	static struct pl_stats_sample rows[1];
	struct pl_buf b;
	size_t n = 0;

	memset(rows, 0, sizeof(rows));
	n += (size_t)snprintf(rows[0].name, sizeof(rows[0].name), "/proclens-test");
	while (n < 3000)
		n += (size_t)snprintf(rows[0].name + n, sizeof(rows[0].name) - n, "/%0100d", 0);
	snprintf(rows[0].cgroup, sizeof(rows[0].cgroup), "%s", rows[0].name);
	rows[0].have_pids = true;
	rows[0].pids = 7;
	rows[0].have_load = true;
	rows[0].load = 3;
	pl_buf_init(&b);
	pl_stats_format_table(rows, 1, 0, 0, &b);
	ck_assert_ptr_nonnull(strstr(b.data, rows[0].name));
	ck_assert_ptr_nonnull(strstr(b.data, "      7     3\n"));
	pl_buf_free(&b);
	{
		char *long_cg = malloc(PL_STATS_PATH_MAX + 1);
		char *argv[] = {"stats", "--cgroup", long_cg, NULL};
		struct pl_stats_opts o;
		struct pl_err e = {0};

		memset(long_cg, 'a', PL_STATS_PATH_MAX);
		long_cg[0] = '/';
		long_cg[PL_STATS_PATH_MAX] = '\0';
		ck_assert_int_eq(pl_stats_parse(ARGC(argv), argv, &o, &e), -EINVAL);
		ck_assert_ptr_nonnull(strstr(e.msg, "longer than a path can be"));
		long_cg[PL_STATS_PATH_MAX - 1] = '\0';
		ck_assert_int_eq(pl_stats_parse(ARGC(argv), argv, &o, &e), 0);
		free(long_cg);
	}
}
END_TEST

START_TEST(stats_json)
{
	struct pl_stats_sample rows[2];
	struct pl_buf b;

	sample_rows(rows);
	pl_buf_init(&b);
	pl_stats_format_json(rows, 2, false, &b);
	ck_assert_str_eq(
	    b.data,
	    "[{\"name\": \"web\", \"cgroup\": \"/proclens/web\", \"memory_used_bytes\": 67108864, "
	    "\"memory_limit_bytes\": 268435456, \"memory_percent\": 25.00, \"cpu_percent\": 49.50, "
	    "\"cpu_quota_cpus\": 0.5, \"pids\": 3, \"load\": 1},\n"
	    " {\"name\": \"/system.slice/x\", \"cgroup\": \"/system.slice/x\", "
	    "\"memory_used_bytes\": 1073741824, \"memory_limit_bytes\": null, \"memory_percent\": 25.00, "
	    "\"cpu_percent\": null, \"cpu_quota_cpus\": null, \"pids\": null, \"load\": null}]\n");
	/* Streaming: the same array on one line, one line per refresh (NDJSON); it was the
	 * multi-line array each time, which no JSON reader could split. */
	pl_buf_reset(&b);
	pl_stats_format_json(rows, 2, true, &b);
	ck_assert_str_eq(
	    b.data,
	    "[{\"name\": \"web\", \"cgroup\": \"/proclens/web\", \"memory_used_bytes\": 67108864, "
	    "\"memory_limit_bytes\": 268435456, \"memory_percent\": 25.00, \"cpu_percent\": 49.50, "
	    "\"cpu_quota_cpus\": 0.5, \"pids\": 3, \"load\": 1}, "
	    "{\"name\": \"/system.slice/x\", \"cgroup\": \"/system.slice/x\", "
	    "\"memory_used_bytes\": 1073741824, \"memory_limit_bytes\": null, \"memory_percent\": 25.00, "
	    "\"cpu_percent\": null, \"cpu_quota_cpus\": null, \"pids\": null, \"load\": null}]\n");
	pl_buf_reset(&b);
	pl_stats_format_json(rows, 0, true, &b);
	ck_assert_str_eq(b.data, "[]\n");
	pl_buf_reset(&b);
	pl_stats_format_json(rows, 0, false, &b);
	ck_assert_str_eq(b.data, "[]\n");
	/* Whole, fractional and large quotas: no exponent (%.4g wrote 12345 CPUs as
	 * 1.234e+04), no trailing zeros. */
	rows[0].cpu_quota_usec = 1234500000;
	pl_buf_reset(&b);
	pl_stats_format_json(rows, 1, false, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "\"cpu_quota_cpus\": 12345,"));
	rows[0].cpu_quota_usec = 1500;
	pl_buf_reset(&b);
	pl_stats_format_json(rows, 1, false, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "\"cpu_quota_cpus\": 0.015,"));
	rows[0].cpu_quota_usec = 200000;
	pl_buf_reset(&b);
	pl_stats_format_json(rows, 1, false, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "\"cpu_quota_cpus\": 2,"));
	pl_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("launcher_show");
	TCase *tc = tcase_create("show");

	tcase_add_test(tc, pid_or_cgroup);
	tcase_add_test(tc, usage_errors);
	tcase_add_test(tc, pid_digits_only);
	tcase_add_test(tc, cgroup_paths);
	tcase_add_test(tc, kernel_threads);
	tcase_add_test(tc, file_names);
	tcase_add_test(tc, json_escaping);
	tcase_add_test(tc, show_json);
	tcase_add_test(tc, stats_options);
	tcase_add_test(tc, stats_interval_digits_only);
	tcase_add_test(tc, stats_numbers);
	tcase_add_test(tc, stats_table);
	tcase_add_test(tc, stats_table_fits);
	tcase_add_test(tc, stats_json);
	tcase_add_test(tc, stats_long_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
