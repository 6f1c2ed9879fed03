/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `proclens run` option parsing and the launcher's pure helpers. */
#include <check.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#include "../../launcher/launcher.h"
#include "proclens/util.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static int parse(char **argv, int argc, struct pl_run_opts *o, struct pl_err *e)
{
	pl_run_opts_init(o);
	memset(e, 0, sizeof(*e));
	return pl_run_opts_parse(argc, argv, o, e);
}

START_TEST(limits_and_command)
{
	char *argv[] = {"run",	 "--memory",	 "256M", "--cpus",	  "1.5", "--cpuset-cpus",
			"3,0-1", "--pids-limit", "100",	 "--memory-swap", "1G",	 "--",
			"free",	 "-m",		 NULL};
	struct pl_run_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), 0);
	ck_assert_uint_eq(o.memory_bytes, 256u << 20);
	ck_assert_uint_eq(o.memory_swap_bytes, 1u << 30);
	ck_assert_uint_eq(o.cpu_quota_usec, 150000);
	ck_assert_uint_eq(o.cpu_period_usec, 100000);
	ck_assert_str_eq(o.cpuset_cpus, "0-1,3");
	ck_assert_uint_eq(o.pids_limit, 100);
	ck_assert_str_eq(o.argv[0], "free");
	ck_assert_str_eq(o.argv[1], "-m");
	ck_assert_ptr_null(o.argv[2]);
	pl_run_opts_free(&o);
}
END_TEST

START_TEST(defaults_are_unlimited)
{
	char *argv[] = {"run", "true", NULL};
	struct pl_run_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), 0);
	ck_assert_uint_eq(o.memory_bytes, PL_UNLIMITED);
	ck_assert_uint_eq(o.cpu_quota_usec, PL_UNLIMITED);
	ck_assert_uint_eq(o.pids_limit, PL_UNLIMITED);
	ck_assert_ptr_null(o.cpuset_cpus);
	ck_assert_ptr_null(o.rootfs);
	ck_assert(!o.userns && !o.share_net && !o.share_pid && !o.init && !o.tty);
	pl_run_opts_free(&o);
}
END_TEST

START_TEST(command_options_are_not_ours)
{
	/* No "--": parsing stops at the command, whose -m belongs to it. */
	char *argv[] = {"run", "-m", "64M", "free", "-m", "--memory", "x", NULL};
	struct pl_run_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), 0);
	ck_assert_uint_eq(o.memory_bytes, 64u << 20);
	ck_assert_str_eq(o.argv[0], "free");
	ck_assert_str_eq(o.argv[2], "--memory");
	pl_run_opts_free(&o);
}
END_TEST

START_TEST(filesystem_and_identity)
{
	char *argv[] = {"run",	       "--rootfs",    "/r",	  "--overlay=/changes",
			"--read-only", "-v",	      "/a:/b:ro", "--volume",
			"/c:/d",       "-w",	      "/work",	  "-e",
			"A=1",	       "--env",	      "A=2",	  "--hostname",
			"box",	       "--name",      "web-1",	  "--userns=300000",
			"--net=host",  "--share-pid", "--init",	  "-t",
			"sh",	       NULL};
	struct pl_run_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), 0);
	ck_assert_str_eq(o.rootfs, "/r");
	ck_assert(o.overlay);
	ck_assert_str_eq(o.overlay_dir, "/changes");
	ck_assert(o.read_only);
	ck_assert_uint_eq(o.n_volumes, 2);
	ck_assert_str_eq(o.volumes[0].src, "/a");
	ck_assert_str_eq(o.volumes[0].dst, "/b");
	ck_assert(o.volumes[0].read_only);
	ck_assert(!o.volumes[1].read_only);
	ck_assert_str_eq(o.workdir, "/work");
	ck_assert_uint_eq(o.n_env, 2);
	ck_assert_str_eq(o.env[1], "A=2");
	ck_assert_str_eq(o.hostname, "box");
	ck_assert_str_eq(o.name, "web-1");
	ck_assert(o.userns);
	ck_assert_uint_eq(o.userns_host_id, 300000);
	ck_assert(o.share_net && o.share_pid && o.init && o.tty);
	pl_run_opts_free(&o);
}
END_TEST

/* Each bad input is refused with a message naming the option and the value. */
START_TEST(bad_values_are_refused)
{
	static const struct {
		const char *opt, *val, *msg;
	} cases[] = {
	    {"--memory", "12Q", "--memory '12Q': expected a size"},
	    {"--memory", "0", "--memory '0': expected a size"},
	    {"--cpus", "one", "--cpus 'one': expected a number"},
	    {"--cpus", "0.001", "the smallest quota is 0.01 CPU"},
	    {"--cpus", "100000000", "--cpus '100000000': at most 1000000 CPUs"},
	    {"--cpuset-cpus", "0-x", "--cpuset-cpus '0-x': expected a CPU list"},
	    {"--pids-limit", "-5", "--pids-limit '-5': expected a positive"},
	    {"--name", "../etc", "--name '../etc'"},
	    {"--name", "web.lock", "not ending in .lock"},
	    {"--volume", "relative:/x", "--volume 'relative:/x': expected"},
	    {"--volume", "/a:/b:rx", "--volume '/a:/b:rx'"},
	    {"--volume", "/a:/", "the container's / and /proc are its own"},
	    {"--volume", "/a:/x/..", "the container's / and /proc are its own"},
	    {"--volume", "/a://proc/./", "the container's / and /proc are its own"},
	    {"--workdir", "rel", "--workdir 'rel': must be an absolute path"},
	    {"--net", "bridge", "--net 'bridge': expected host or private"},
	    {"--cap-add", "CAP_FLY", "--cap-add 'CAP_FLY': unknown capability"},
	    {"--view", "rel", "--view 'rel'"},
	    /* Numbers are decimal digits only, as for every numeric option: a blank from a
	     * script's quoting, a sign, hex, an exponent or an octal-looking leading zero was
	     * taken (pl_parse_u64 skips blanks; libcap reads "0x15" and "010"). */
	    {"--pids-limit", " 5", "--pids-limit ' 5': expected a positive"},
	    {"--pids-limit", "5 ", "--pids-limit '5 ': expected a positive"},
	    {"--pids-limit", "+5", "--pids-limit '+5': expected a positive"},
	    {"--pids-limit", "05", "--pids-limit '05': expected a positive"},
	    {"--pids-limit", "0x5", "--pids-limit '0x5': expected a positive"},
	    {"--pids-limit", "2147483648", "--pids-limit '2147483648': at most 2147483647 tasks"},
	    {"--cpus", " 1", "--cpus ' 1': expected a number"},
	    {"--cpus", "1 ", "--cpus '1 ': expected a number"},
	    {"--cpus", "+1", "--cpus '+1': expected a number"},
	    {"--cpus", "1e0", "--cpus '1e0': expected a number"},
	    {"--cpus", "01.5", "--cpus '01.5': expected a number"},
	    {"--memory", " 256M", "--memory ' 256M': expected a size"},
	    {"--memory", "256M ", "--memory '256M ': expected a size"},
	    {"--memory", "+256M", "--memory '+256M': expected a size"},
	    {"--memory", "0256M", "--memory '0256M': expected a size"},
	    {"--memory-swap", " 1G", "--memory-swap ' 1G': expected a size"},
	    {"--cpuset-cpus", " 0-1", "--cpuset-cpus ' 0-1': expected a CPU list"},
	    {"--cpuset-cpus", "0-1\n", "expected a CPU list"},
	    {"--cap-add", "0x15", "--cap-add '0x15': unknown capability"},
	    {"--cap-add", "010", "--cap-add '010': unknown capability"},
	    {"--cap-add", "12 ", "--cap-add '12 ': unknown capability"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = {"run", (char *)cases[i].opt, (char *)cases[i].val, "true", NULL};
		struct pl_run_opts o;
		struct pl_err e;

		ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), -EINVAL);
		ck_assert_msg(strstr(e.msg, cases[i].msg), "%s %s: '%s'", cases[i].opt, cases[i].val, e.msg);
		pl_run_opts_free(&o);
	}
}
END_TEST

/* DST is kept normalized: what the container sees, and what the checks compare. */
START_TEST(volume_destination_normalized)
{
	static const char *const cases[][2] = {
	    {"/a:/b", "/b"},       {"/a://b//c/", "/b/c"}, {"/a:/b/./c", "/b/c"},
	    {"/a:/b/../c", "/c"}, {"/a:/../etc", "/etc"}, {"/a:/proc/meminfo", "/proc/meminfo"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pl_volume v;

		ck_assert_int_eq(pl_parse_volume(cases[i][0], &v), 0);
		ck_assert_str_eq(v.dst, cases[i][1]);
		free(v.src);
		free(v.dst);
	}
}
END_TEST

START_TEST(bad_combinations_are_refused)
{
	char *no_cmd[] = {"run", "--memory", "1G", NULL};
	char *swap_lt[] = {"run", "--memory", "1G", "--memory-swap", "512M", "x", NULL};
	char *swap_alone[] = {"run", "--memory-swap", "1G", "x", NULL};
	char *overlay[] = {"run", "--overlay", "x", NULL};
	char *unknown[] = {"run", "--frobnicate", "x", NULL};
	char *unknown_short[] = {"run", "-q", "x", NULL};
	char *missing[] = {"run", "--memory", NULL};
	char *all_cpus_alone[] = {"run", "--all-cpus", "x", NULL};
	char *all_cpus_after[] = {"run", "--all-cpus", "--cpus", "1", "x", NULL};
	struct pl_run_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(no_cmd, ARGC(no_cmd), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "no command given"));
	ck_assert_int_eq(parse(swap_lt, ARGC(swap_lt), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "at least --memory"));
	ck_assert_int_eq(parse(swap_alone, ARGC(swap_alone), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "needs --memory"));
	ck_assert_int_eq(parse(overlay, ARGC(overlay), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "--overlay needs --rootfs"));
	ck_assert_int_eq(parse(unknown, ARGC(unknown), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown option '--frobnicate'"));
	ck_assert_int_eq(parse(unknown_short, ARGC(unknown_short), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown option '-q'"));
	ck_assert_int_eq(parse(missing, ARGC(missing), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "missing argument for '--memory'"));
	ck_assert_int_eq(parse(all_cpus_alone, ARGC(all_cpus_alone), &o, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "--all-cpus goes with --cpus"));
	/* The order does not matter. */
	ck_assert_int_eq(parse(all_cpus_after, ARGC(all_cpus_after), &o, &e), 0);
	pl_run_opts_free(&o);
}
END_TEST

START_TEST(env_key_alone_copies)
{
	char *argv[] = {"run", "-e", "PL_TEST_VAR", "-e", "PL_TEST_UNSET", "true", NULL};
	struct pl_run_opts o;
	struct pl_err e;

	setenv("PL_TEST_VAR", "v1", 1);
	unsetenv("PL_TEST_UNSET");
	ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), 0);
	ck_assert_uint_eq(o.n_env, 1);
	ck_assert_str_eq(o.env[0], "PL_TEST_VAR=v1");
	pl_run_opts_free(&o);
}
END_TEST

START_TEST(cpus_in_integers)
{
	uint64_t q;

	ck_assert_int_eq(pl_parse_cpus("0.3", 100000, &q), 0);
	ck_assert_uint_eq(q, 30000); /* a double would give 29999 */
	ck_assert_int_eq(pl_parse_cpus("2", 100000, &q), 0);
	ck_assert_uint_eq(q, 200000);
	ck_assert_int_eq(pl_parse_cpus(".5", 100000, &q), 0);
	ck_assert_uint_eq(q, 50000);
	ck_assert_int_eq(pl_parse_cpus("1.25", 100000, &q), 0);
	ck_assert_uint_eq(q, 125000);
	ck_assert_int_eq(pl_parse_cpus("", 100000, &q), -EINVAL);
	ck_assert_int_eq(pl_parse_cpus(".", 100000, &q), -EINVAL);
	ck_assert_int_eq(pl_parse_cpus("1.5x", 100000, &q), -EINVAL);
	ck_assert_int_eq(pl_parse_cpus("-1", 100000, &q), -EINVAL);
	ck_assert_int_eq(pl_parse_cpus(" 1", 100000, &q), -EINVAL);
	ck_assert_int_eq(pl_parse_cpus("1\n", 100000, &q), -EINVAL);
	ck_assert_int_eq(pl_parse_cpus("0x1", 100000, &q), -EINVAL);
	ck_assert_int_eq(pl_parse_cpus("1000000", 100000, &q), 0);
	ck_assert_int_eq(pl_parse_cpus("1000000.5", 100000, &q), -ERANGE);
}
END_TEST

START_TEST(names)
{
	ck_assert(pl_valid_name("web-1.prod_2"));
	ck_assert(!pl_valid_name(""));
	ck_assert(!pl_valid_name(".hidden"));
	ck_assert(!pl_valid_name("a/b"));
	ck_assert(!pl_valid_name("-x"));
	ck_assert(!pl_valid_name("x.lock"));
	ck_assert(pl_valid_name("x.locks"));
	ck_assert(pl_valid_name("lock"));
	ck_assert(!pl_valid_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
END_TEST

START_TEST(capabilities)
{
	uint64_t m = 0;

	/* The OCI default set without MKNOD (Podman's), as /proc/PID/status shows it. */
	ck_assert_uint_eq(pl_caps_default(), 0xa00425fbULL);
	ck_assert_int_eq(pl_caps_parse("NET_ADMIN", &m), 0);
	ck_assert_uint_eq(m, 1ULL << CAP_NET_ADMIN);
	m = 0;
	ck_assert_int_eq(pl_caps_parse("cap_sys_ptrace,net_raw", &m), 0);
	ck_assert_uint_eq(m, (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_NET_RAW));
	ck_assert_int_eq(pl_caps_parse("CAP_FLY", &m), -EINVAL);
	ck_assert_int_eq(pl_caps_parse(",", &m), -EINVAL);
	/* A number is the capability of that decimal number ("0x0c" and "014" were 12). */
	m = 0;
	ck_assert_int_eq(pl_caps_parse("12,0", &m), 0);
	ck_assert_uint_eq(m, (1ULL << CAP_NET_ADMIN) | (1ULL << CAP_CHOWN));
	ck_assert_int_eq(pl_caps_parse("0x0c", &m), -EINVAL);
	ck_assert_int_eq(pl_caps_parse("014", &m), -EINVAL);
	ck_assert_int_eq(pl_caps_parse("99", &m), -EINVAL);
	ck_assert_uint_eq(pl_caps_effective(1ULL << CAP_NET_ADMIN, 1ULL << CAP_CHOWN),
			  (0xa00425fbULL | (1ULL << CAP_NET_ADMIN)) & ~(1ULL << CAP_CHOWN));
	m = 0;
	ck_assert_int_eq(pl_caps_parse("ALL", &m), 0);
	ck_assert_uint_eq(pl_caps_effective(0, m), 0);
	/* "--cap-drop ALL --cap-add X" keeps X, as in other runtimes. */
	ck_assert_uint_eq(pl_caps_effective(1ULL << CAP_NET_BIND_SERVICE, m), 1ULL << CAP_NET_BIND_SERVICE);
}
END_TEST

START_TEST(exit_statuses)
{
	ck_assert_int_eq(pl_exit_status(42 << 8), 42);
	ck_assert_int_eq(pl_exit_status(SIGKILL), 137);
	ck_assert_int_eq(pl_exit_status(SIGTERM), 143);
	ck_assert_int_eq(pl_exec_failure_status(ENOENT), 127);
	ck_assert_int_eq(pl_exec_failure_status(EACCES), 126);
}
END_TEST

START_TEST(container_environment)
{
	char *argv[] = {"run", "-e", "HOME=/home/x", "-e", "EXTRA=1", "true", NULL};
	struct pl_run_opts o;
	struct pl_err e;
	char **env;
	size_t n = 0;

	ck_assert_int_eq(parse(argv, ARGC(argv), &o, &e), 0);
	env = pl_container_env(&o, "box", "xterm");
	ck_assert_ptr_nonnull(env);
	for (; env[n]; n++)
		;
	ck_assert_str_eq(env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	ck_assert_str_eq(env[1], "HOME=/home/x"); /* --env replaces the default in place */
	ck_assert_str_eq(env[3], "HOSTNAME=box");
	ck_assert_str_eq(env[4], "TERM=xterm");
	ck_assert_str_eq(env[n - 1], "EXTRA=1");
	ck_assert_uint_eq(n, 6);
	free(env[3]);
	free(env[4]);
	free(env);
	pl_run_opts_free(&o);
}
END_TEST

START_TEST(errors_name_the_reason)
{
	struct pl_err e;

	ck_assert_int_eq(pl_errf(&e, -EBUSY, "cannot write %s", "/x/memory.max"), -EBUSY);
	ck_assert_str_eq(e.msg, "cannot write /x/memory.max: Device or resource busy");
	ck_assert_int_eq(e.err, EBUSY);
	ck_assert_int_eq(pl_usagef(&e, "bad %d", 7), -EINVAL);
	ck_assert_str_eq(e.msg, "bad 7");
}
END_TEST

START_TEST(masked_paths_cover_the_usual)
{
	bool kcore = false, keys = false, sysrq = false;

	for (size_t i = 0; pl_masked_paths(i); i++) {
		kcore = kcore || strcmp(pl_masked_paths(i), "proc/kcore") == 0;
		keys = keys || strcmp(pl_masked_paths(i), "proc/keys") == 0;
	}
	for (size_t i = 0; pl_readonly_paths(i); i++)
		sysrq = sysrq || strcmp(pl_readonly_paths(i), "proc/sysrq-trigger") == 0;
	ck_assert(kcore && keys && sysrq);
}
END_TEST

START_TEST(sysinfo_is_the_containers)
{
	struct sysinfo si = {.uptime = 5000,
			     .totalram = 24ULL << 30 >> 12,
			     .freeram = 20ULL << 30 >> 12,
			     .sharedram = 100,
			     .bufferram = 7,
			     .totalswap = 0,
			     .procs = 400,
			     .mem_unit = 4096};
	struct pl_sysinfo_source src = {
	    .memory_limit_bytes = 256ULL << 20,
	    .memory_usage_bytes = 16ULL << 20,
	    .memory_shared_bytes = 4096,
	    .swap_limit_bytes = PL_UNLIMITED,
	    .start_ns = 1000000000000ULL,
	    .now_ns = 1042500000000ULL,
	    .procs = 3,
	};

	pl_sysinfo_adjust(&si, &src);
	ck_assert_uint_eq(si.totalram, (256ULL << 20) / 4096);
	ck_assert_uint_eq(si.freeram, (240ULL << 20) / 4096);
	ck_assert_uint_eq(si.sharedram, 1);
	ck_assert_uint_eq(si.bufferram, 0);
	ck_assert_int_eq(si.uptime, 42);
	ck_assert_uint_eq(si.procs, 3);
	ck_assert_uint_eq(si.totalswap, 0); /* no swap on the host stays no swap */

	/* No limit (or one above the host's RAM): the host's memory. */
	si.totalram = 1000;
	src.memory_limit_bytes = PL_UNLIMITED;
	pl_sysinfo_adjust(&si, &src);
	ck_assert_uint_eq(si.totalram, 1000);
}
END_TEST

START_TEST(sysinfo_loads_are_the_containers)
{
	struct sysinfo si = {.loads = {111, 222, 333}, .mem_unit = 1};
	struct pl_sysinfo_source src = {
	    .memory_limit_bytes = PL_UNLIMITED, .swap_limit_bytes = PL_UNLIMITED, .has_loads = true};

	/* 0.50 in 11-bit fixed point is 1024; sysinfo's 16-bit fixed point: 32768. */
	src.loads_fixed[0] = PL_LOADAVG_FIXED_1 / 2;
	src.loads_fixed[1] = PL_LOADAVG_FIXED_1;
	src.loads_fixed[2] = 0;
	pl_sysinfo_adjust(&si, &src);
	ck_assert_uint_eq(si.loads[0], 32768);
	ck_assert_uint_eq(si.loads[1], 65536);
	ck_assert_uint_eq(si.loads[2], 0);
	/* Without a sample: the host's. */
	si.loads[0] = 7;
	src.has_loads = false;
	pl_sysinfo_adjust(&si, &src);
	ck_assert_uint_eq(si.loads[0], 7);
}
END_TEST

static void cpuset_of(const char *list, struct pl_cpuset *s)
{
	ck_assert_int_eq(pl_cpuset_parse(list, s), 0);
}

static const char *picked_pref(const char *allowed_list, const char *const *sibling_lists, size_t n,
			       unsigned want, int prefer)
{
	static char buf[256];
	struct pl_cpuset allowed, siblings[8], out;

	cpuset_of(allowed_list, &allowed);
	for (size_t i = 0; i < n; i++)
		cpuset_of(sibling_lists[i], &siblings[i]);
	pl_cpus_pick(&allowed, siblings, n, want, prefer, &out);
	ck_assert_int_ge(pl_cpuset_format(&out, buf, sizeof(buf)), 0);
	return buf;
}

static const char *picked(const char *allowed_list, const char *const *sibling_lists, size_t n, unsigned want)
{
	return picked_pref(allowed_list, sibling_lists, n, want, -1);
}

START_TEST(cpus_are_spread)
{
	static const char *const one_on_0[] = {"0"};
	static const char *const busy[] = {"0-1", "0", "2", "1-2", "5"};

	/* Nobody else: the lowest CPUs. */
	ck_assert_str_eq(picked("0-3", NULL, 0, 1), "0");
	ck_assert_str_eq(picked("0-3", NULL, 0, 2), "0-1");
	/* One container on CPU 0: the next one goes to CPU 1. */
	ck_assert_str_eq(picked("0-3", one_on_0, 1, 1), "1");
	/* Loads 0:2 1:2 2:2 3:0, CPU 5 outside the allowed set: 3 first, then the lowest. */
	ck_assert_str_eq(picked("0-3", busy, 5, 1), "3");
	ck_assert_str_eq(picked("0-3", busy, 5, 2), "0,3");
	/* Only allowed CPUs, never more than there are. */
	ck_assert_str_eq(picked("4,6", busy, 5, 1), "4");
	ck_assert_str_eq(picked("4,6", busy, 5, 8), "4,6");
	/* The CPU the child runs on wins a tie, never against a less used one. */
	ck_assert_str_eq(picked_pref("0-3", NULL, 0, 1, 2), "2");
	ck_assert_str_eq(picked_pref("0-3", NULL, 0, 2, 2), "0,2");
	ck_assert_str_eq(picked_pref("0-3", one_on_0, 1, 1, 0), "1");
	ck_assert_str_eq(picked_pref("0-3", busy, 5, 2, 1), "1,3");
	ck_assert_str_eq(picked_pref("0-3", busy, 5, 1, 5), "3");
}
END_TEST

START_TEST(init_signal_dispositions)
{
	/* SIGINT is bit 1 (0x2), SIGTERM bit 14 (0x4000). */
	const char *plain = "Name:\tsleep\nSigQ:\t0/1\nSigPnd:\t0000000000000000\n"
			    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
			    "SigCgt:\t0000000000000000\n";
	const char *sh = "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000004\n"
			 "SigCgt:\t0000000000004002\n";
	const char *init = "SigBlk:\t0000000000014002\nSigIgn:\t0000000000000000\n"
			   "SigCgt:\t0000000000000000\n";
	const char *ignoring = "SigBlk:\t0\nSigIgn:\t0000000000000002\nSigCgt:\t0\n";

	ck_assert(pl_init_drops_signal(plain, SIGINT));
	ck_assert(pl_init_drops_signal(plain, SIGTERM));
	ck_assert(!pl_init_drops_signal(sh, SIGINT));
	ck_assert(!pl_init_drops_signal(sh, SIGTERM));
	ck_assert(pl_init_drops_signal(sh, SIGHUP));
	ck_assert(!pl_init_drops_signal(init, SIGINT)); /* blocked: a signalfd reads it */
	ck_assert(!pl_init_drops_signal(ignoring, SIGINT));
	ck_assert(!pl_init_drops_signal("garbage", SIGINT)); /* cannot tell: leave it */
	{
		/* 32 and 33 (which glibc keeps to itself) and SIGPIPE, as run reads its own. */
		uint64_t mask = 0;
		ck_assert_int_eq(pl_status_sigmask("Name:\tx\nSigIgn:\t0000000180001000\n", "SigIgn:", &mask), 0);
		ck_assert_uint_eq(mask, UINT64_C(0x180001000));
		ck_assert_int_eq(pl_status_sigmask("Name:\tx\n", "SigIgn:", &mask), -EINVAL);
	}
}
END_TEST

START_TEST(capability_names_and_numbers)
{
	uint64_t m = 0;

	ck_assert_int_eq(pl_caps_parse("cap_checkpoint_restore,BPF,perfmon", &m), 0);
	ck_assert_uint_eq(m, (1ULL << 40) | (1ULL << 39) | (1ULL << 38));
	m = 0;
	ck_assert_int_eq(pl_caps_parse("CAP_AUDIT_READ,12", &m), 0);
	ck_assert_uint_eq(m, (1ULL << 37) | (1ULL << 12));
	ck_assert_int_eq(pl_caps_parse("64", &m), -EINVAL);
	ck_assert_int_eq(pl_caps_parse("cap_", &m), -EINVAL);
	/* A number past the running kernel's last capability names nothing. */
	{
		char past[16];
		snprintf(past, sizeof(past), "%d", (int)cap_max_bits());
		ck_assert_int_eq(pl_caps_parse(past, &m), -EINVAL);
		snprintf(past, sizeof(past), "%d", (int)cap_max_bits() - 1);
		ck_assert_int_eq(pl_caps_parse(past, &m), 0);
	}
}
END_TEST

/* The last --memory-swap counts: -1 undoes a size before it, and a size undoes -1. */
START_TEST(memory_swap_last_wins)
{
	char *a1[] = {"run", "-m", "256M", "--memory-swap", "512M", "--memory-swap", "-1", "--", "true", NULL};
	char *a2[] = {"run", "-m", "256M", "--memory-swap", "-1", "--memory-swap", "512M", "--", "true", NULL};
	struct pl_run_opts o;
	struct pl_err e;

	ck_assert_int_eq(parse(a1, ARGC(a1), &o, &e), 0);
	ck_assert_uint_eq(o.memory_swap_bytes, PL_UNLIMITED);
	ck_assert(o.memory_swap_unlimited);
	ck_assert_int_eq(parse(a2, ARGC(a2), &o, &e), 0);
	ck_assert_uint_eq(o.memory_swap_bytes, 512u << 20);
	ck_assert(!o.memory_swap_unlimited);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("launcher");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, limits_and_command);
	tcase_add_test(tc, defaults_are_unlimited);
	tcase_add_test(tc, command_options_are_not_ours);
	tcase_add_test(tc, filesystem_and_identity);
	tcase_add_test(tc, bad_values_are_refused);
	tcase_add_test(tc, volume_destination_normalized);
	tcase_add_test(tc, bad_combinations_are_refused);
	tcase_add_test(tc, env_key_alone_copies);
	tcase_add_test(tc, cpus_in_integers);
	tcase_add_test(tc, names);
	tcase_add_test(tc, capabilities);
	tcase_add_test(tc, exit_statuses);
	tcase_add_test(tc, container_environment);
	tcase_add_test(tc, errors_name_the_reason);
	tcase_add_test(tc, masked_paths_cover_the_usual);
	tcase_add_test(tc, sysinfo_is_the_containers);
	tcase_add_test(tc, sysinfo_loads_are_the_containers);
	tcase_add_test(tc, cpus_are_spread);
	tcase_add_test(tc, init_signal_dispositions);
	tcase_add_test(tc, capability_names_and_numbers);
	tcase_add_test(tc, memory_swap_last_wins);
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
