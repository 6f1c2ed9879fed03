/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proclens/cgroup.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"
#include "testlib.h"

#define CG_FIXTURES FIXTURES "/cgroup"
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static void open_root(struct pl_cgroup_root *r, const char *name)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/%s", CG_FIXTURES, name);
	ck_assert_int_eq(pl_cgroup_root_open_dir(r, dir), 0);
}

static void detect_root(struct pl_cgroup_root *r, const char *mountinfo)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/mountinfo/%s", CG_FIXTURES, mountinfo);
	ck_assert_int_eq(pl_cgroup_root_detect_from(r, path, CG_FIXTURES), 0);
}

static void at(const struct pl_cgroup_root *r, const char *path, struct pl_cgroup *cg)
{
	ck_assert_int_eq(pl_cgroup_from_path(r, path, cg), 0);
}

/* The same fixture directory, reached through the root's dirfd for c. */
static bool same_dir(int fd, const char *fixture_rel)
{
	char path[4096];
	struct stat a, b;

	snprintf(path, sizeof(path), "%s/%s", CG_FIXTURES, fixture_rel);
	return fd >= 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

struct tids {
	pid_t tid[32];
	unsigned n;
	unsigned stop_after; /* 0: never */
};

static int collect_tid(pid_t tid, void *userdata)
{
	struct tids *t = userdata;

	if (t->n < PL_ARRAY_SIZE(t->tid))
		t->tid[t->n] = tid;
	t->n++;
	return t->stop_after && t->n >= t->stop_after ? -ECANCELED : 0;
}

static int cmp_pid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

static void assert_tids(struct tids *t, const pid_t *want, unsigned n)
{
	ck_assert_uint_eq(t->n, n);
	qsort(t->tid, t->n, sizeof(pid_t), cmp_pid);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(t->tid[i], want[i]);
}

/* ---- locating hierarchies ---- */

START_TEST(open_dir_hybrid)
{
	struct pl_cgroup_root r;

	open_root(&r, "v1");
	ck_assert(!pl_cgroup_root_is_v2(&r));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_MEMORY), "v1/memory"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_CPU), "v1/cpu"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_CPUACCT), "v1/cpuacct"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_CPUSET), "v1/cpuset"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_PIDS), "v1/pids"));
	ck_assert_int_eq(pl_cgroup_root_fd(&r, PL_CTRL_IO), -1);
	ck_assert(same_dir(r.v2_fd, "v1/unified"));
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		ck_assert(!r.on_v2[c]);
	pl_cgroup_root_close(&r);
	ck_assert_int_eq(r.v2_fd, -1);
	ck_assert_int_eq(r.v1_fd[PL_CTRL_MEMORY], -1);
}
END_TEST

START_TEST(open_dir_v2)
{
	struct pl_cgroup_root r;

	open_root(&r, "v2");
	ck_assert(pl_cgroup_root_is_v2(&r));
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		ck_assert(r.on_v2[c]);
		ck_assert_int_eq(pl_cgroup_root_fd(&r, c), r.v2_fd);
	}
	ck_assert_str_eq(r.v2_mount_root, "/");
	ck_assert_str_eq(pl_controller_name(PL_CTRL_IO), "io");
	ck_assert_str_eq(pl_controller_name(PL_CTRL_CPUACCT), "cpuacct");
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(open_dir_combined_cpu_cpuacct)
{
	struct pl_cgroup_root r;
	int cpu_fd, acct_fd;

	open_root(&r, "v1cc");
	cpu_fd = pl_cgroup_root_fd(&r, PL_CTRL_CPU);
	acct_fd = pl_cgroup_root_fd(&r, PL_CTRL_CPUACCT);
	ck_assert(same_dir(cpu_fd, "v1cc/cpu,cpuacct"));
	ck_assert(same_dir(acct_fd, "v1cc/cpu,cpuacct"));
	ck_assert_int_ne(cpu_fd, acct_fd); /* each slot owns its fd */
	ck_assert_int_eq(pl_cgroup_root_fd(&r, PL_CTRL_CPUSET), -1);
	ck_assert_int_eq(pl_cgroup_root_fd(&r, PL_CTRL_PIDS), -1);
	ck_assert_int_eq(r.v2_fd, -1);
	ck_assert(!r.on_v2[PL_CTRL_CPUACCT]); /* no cgroup2 mount at all */
	pl_cgroup_root_close(&r);
	pl_cgroup_root_init(&r);
	pl_cgroup_root_close(&r); /* closing an empty root is a no-op */
	ck_assert_int_eq(r.v2_fd, -1);
	ck_assert_int_eq(pl_cgroup_root_open_dir(&r, CG_FIXTURES "/mountinfo"), -ENOENT);
	ck_assert_int_eq(pl_cgroup_root_open_dir(&r, CG_FIXTURES "/nonexistent"), -ENOENT);
}
END_TEST

START_TEST(mountinfo_lines)
{
	char line1[] = "36 25 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - "
		       "cgroup cgroup rw,memory";
	char line2[] = "612 611 0:29 /docker\\040x /v1/with\\040space\\134dir ro master:13 propagate_from:2 - "
		       "cgroup2 none rw,nsdelegate";
	char line3[] = "22 1 252:1 / / rw - ext4 /dev/vda1";
	char bad1[] = "22 1 252:1 / / rw shared:1 ext4 /dev/vda1 rw";
	char bad2[] = "22 1 252:1 /";
	struct pl_mountinfo_entry m;

	ck_assert_int_eq(pl_mountinfo_parse_line(line1, &m), 0);
	ck_assert_str_eq(m.root, "/");
	ck_assert_str_eq(m.target, "/sys/fs/cgroup/memory");
	ck_assert_str_eq(m.fstype, "cgroup");
	ck_assert_str_eq(m.super_options, "rw,memory");
	/* Optional fields of any number, and the kernel's \ooo escapes undone. */
	ck_assert_int_eq(pl_mountinfo_parse_line(line2, &m), 0);
	ck_assert_str_eq(m.root, "/docker x");
	ck_assert_str_eq(m.target, "/v1/with space\\dir");
	ck_assert_str_eq(m.fstype, "cgroup2");
	ck_assert_str_eq(m.source, "none");
	/* No super options at all (an old kernel's format): an empty list. */
	ck_assert_int_eq(pl_mountinfo_parse_line(line3, &m), 0);
	ck_assert_str_eq(m.super_options, "");
	ck_assert_int_eq(pl_mountinfo_parse_line(bad1, &m), -EINVAL);
	ck_assert_int_eq(pl_mountinfo_parse_line(bad2, &m), -EINVAL);
}
END_TEST

START_TEST(detect_hybrid_mountinfo)
{
	struct pl_cgroup_root r;

	detect_root(&r, "hybrid");
	ck_assert(!pl_cgroup_root_is_v2(&r));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_MEMORY), "v1/memory"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_CPU), "v1/cpu"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_CPUACCT), "v1/cpuacct"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_CPUSET), "v1/cpuset"));
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_PIDS), "v1/pids"));
	/* blkio's mount point does not exist: skipped, not fatal */
	ck_assert_int_eq(pl_cgroup_root_fd(&r, PL_CTRL_IO), -1);
	ck_assert(same_dir(r.v2_fd, "v1/unified"));
	ck_assert_str_eq(r.v1_mount_root[PL_CTRL_MEMORY], "/");
	ck_assert_str_eq(r.v2_mount_root, "/");
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		ck_assert(!r.on_v2[c]);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(detect_v2_mountinfo)
{
	struct pl_cgroup_root r;

	detect_root(&r, "v2");
	ck_assert(pl_cgroup_root_is_v2(&r));
	/* the first cgroup2 mount wins over a later bind of a subtree */
	ck_assert(same_dir(r.v2_fd, "v2"));
	ck_assert_str_eq(r.v2_mount_root, "/");
	ck_assert(r.on_v2[PL_CTRL_MEMORY] && r.on_v2[PL_CTRL_CPUACCT] && r.on_v2[PL_CTRL_IO]);
	pl_cgroup_root_close(&r);

	ck_assert_int_eq(pl_cgroup_root_detect_from(&r, CG_FIXTURES "/mountinfo/none", CG_FIXTURES), -ENOENT);
	ck_assert_int_eq(r.v2_fd, -1);
	ck_assert_int_lt(pl_cgroup_root_detect_from(&r, CG_FIXTURES "/mountinfo/missing", CG_FIXTURES), 0);
}
END_TEST

/* A container sees each hierarchy rooted at its own cgroup (/docker): /proc/PID/cgroup
 * still shows host-absolute paths, which must be made relative to that root. */
START_TEST(detect_container_mount_root)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_memory m;
	struct pl_cpu_limits l;

	detect_root(&r, "container");
	ck_assert_str_eq(r.v1_mount_root[PL_CTRL_MEMORY], "/docker");
	ck_assert(same_dir(pl_cgroup_root_fd(&r, PL_CTRL_CPUACCT), "v1/cpu/docker"));
	ck_assert(r.v2_fd < 0 && !r.on_v2[PL_CTRL_CPUACCT]);

	ck_assert_int_eq(pl_cgroup_parse_proc(&r,
					      "7:pids:/docker/web\n"
					      "5:name=systemd:/docker/web\n"
					      "4:memory:/docker/web\n"
					      "3:cpuset:/docker\n"
					      "2:cpu,cpuacct:/docker/web/\n",
					      &cg),
			 0);
	ck_assert_str_eq(cg.path[PL_CTRL_MEMORY], "web");
	ck_assert_str_eq(cg.path[PL_CTRL_CPU], "web");
	ck_assert_str_eq(cg.path[PL_CTRL_CPUACCT], "web");
	ck_assert_str_eq(cg.path[PL_CTRL_CPUSET], "");
	ck_assert_str_eq(cg.path[PL_CTRL_PIDS], "web");
	/* the container's own root is not the machine */
	ck_assert(!pl_cgroup_is_root(&cg, PL_CTRL_CPUSET));
	/* the walk stops at the container's root, which holds the 1 GiB limit */
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, GIB);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), 0);
	ck_assert_uint_eq(l.quota_usec, 200000);
	ck_assert_uint_eq(l.period_usec, 100000);
	ck_assert(l.has_cpuset);
	ck_assert_uint_eq(pl_cpuset_count(&l.cpus), 4);
	pl_cgroup_free(&cg);

	/* another container's cgroup is outside this mount */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "4:memory:/other/web\n", &cg), -ENOENT);
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "4:memory:/dockerx\n", &cg), -ENOENT);
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "4:memory:/docker/../x\n", &cg), -ENOENT);
	ck_assert_ptr_null(cg.path[PL_CTRL_MEMORY]);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(detect_v2_container_mount_root)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_memory m;
	struct pl_cpu_limits l;

	detect_root(&r, "v2-container");
	ck_assert_str_eq(r.v2_mount_root, "/machine");
	/* what the container may use is its mount root's cgroup.controllers */
	ck_assert(r.on_v2[PL_CTRL_MEMORY] && r.on_v2[PL_CTRL_CPUSET] && r.on_v2[PL_CTRL_CPUACCT]);
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "0::/machine/web/worker\n", &cg), 0);
	ck_assert_str_eq(cg.path[PL_CTRL_MEMORY], "web/worker");
	ck_assert_str_eq(cg.path[PL_CTRL_CPUSET], "web/worker");
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), 0);
	ck_assert_uint_eq(l.quota_usec, 50000);
	ck_assert(l.has_cpuset);
	ck_assert_uint_eq(pl_cpuset_count(&l.cpus), 4); /* the mount root's 0-3 */
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, 256 * MIB);
	ck_assert_uint_eq(m.swap_limit_bytes, 0);
	pl_cgroup_free(&cg);
	/* cgroupns shows cgroups outside the namespace as "/../..." */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "0::/../system.slice\n", &cg), -ENOENT);
	pl_cgroup_root_close(&r);
}
END_TEST

/* Hybrid with no v1 cpuacct: CPU time comes from the unified hierarchy's cpu.stat, which
 * exists whether or not the cpu controller is enabled there. */
START_TEST(detect_hybrid_cpuacct_on_v2)
{
	static const pid_t unified_web[] = {100, 101};
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct tids t = {0};
	uint64_t user, sys, pu[2], ps[2];

	detect_root(&r, "hybrid-noacct");
	ck_assert(!pl_cgroup_root_is_v2(&r));
	ck_assert(r.on_v2[PL_CTRL_CPUACCT]);
	ck_assert(!r.on_v2[PL_CTRL_CPU]); /* unified/cgroup.controllers is empty */
	ck_assert_int_eq(pl_cgroup_root_fd(&r, PL_CTRL_CPU), -1);
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "4:memory:/docker/web\n1:cpu:/x\n0::/docker/web\n", &cg),
			 0);
	ck_assert_ptr_null(cg.path[PL_CTRL_CPU]);
	ck_assert_str_eq(cg.path[PL_CTRL_CPUACCT], "docker/web");
	ck_assert_int_eq(pl_cgroup_cpu_usage(&cg, &user, &sys), 0);
	ck_assert_uint_eq(user, 5000000000u);
	ck_assert_uint_eq(sys, 2000000000u);
	ck_assert_int_eq(pl_cgroup_cpu_usage_percpu(&cg, pu, ps, 2), -EOPNOTSUPP);
	ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_CPUACCT, collect_tid, &t), 0);
	assert_tids(&t, unified_web, PL_ARRAY_SIZE(unified_web));
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

/* ---- /proc/PID/cgroup and paths ---- */

/* This project's VM: hybrid with separate cpu and cpuacct hierarchies. */
static const char hybrid_proc_cgroup[] = "9:name=systemd:/\n"
					 "8:pids:/docker/web/worker\n"
					 "7:blkio:/\n"
					 "6:freezer:/\n"
					 "5:devices:/\n"
					 "4:memory:/docker/web\n"
					 "3:cpuset:/docker/web\n"
					 "2:cpuacct:/\n"
					 "1:cpu:/docker/web/fast\n"
					 "0::/docker/web\n";

START_TEST(parse_proc_hybrid)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg, copy;

	open_root(&r, "v1");
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, hybrid_proc_cgroup, &cg), 0);
	ck_assert_ptr_eq(cg.root, &r);
	ck_assert_str_eq(cg.path[PL_CTRL_MEMORY], "docker/web");
	ck_assert_str_eq(cg.path[PL_CTRL_CPU], "docker/web/fast");
	ck_assert_str_eq(cg.path[PL_CTRL_CPUACCT], "");
	ck_assert_str_eq(cg.path[PL_CTRL_CPUSET], "docker/web");
	ck_assert_str_eq(cg.path[PL_CTRL_PIDS], "docker/web/worker");
	ck_assert_ptr_null(cg.path[PL_CTRL_IO]); /* no blkio hierarchy in this root */
	ck_assert(pl_cgroup_is_root(&cg, PL_CTRL_CPUACCT));
	ck_assert(!pl_cgroup_is_root(&cg, PL_CTRL_MEMORY));
	ck_assert(!pl_cgroup_is_root(&cg, PL_CTRL_IO));

	ck_assert_int_eq(pl_cgroup_copy(&cg, &copy), 0);
	ck_assert(pl_cgroup_equal(&cg, &copy));
	ck_assert_ptr_ne(copy.path[PL_CTRL_MEMORY], cg.path[PL_CTRL_MEMORY]);
	free(copy.path[PL_CTRL_CPU]);
	copy.path[PL_CTRL_CPU] = strdup("docker/web");
	ck_assert(!pl_cgroup_equal(&cg, &copy));
	pl_cgroup_free(&copy);
	ck_assert_ptr_null(copy.path[PL_CTRL_MEMORY]);
	pl_cgroup_free(&cg);
	pl_cgroup_free(&cg); /* idempotent */
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(parse_proc_v2_and_combined)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;

	open_root(&r, "v2");
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "0::/machine/web\n", &cg), 0);
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		ck_assert_str_eq(cg.path[c], "machine/web");
	pl_cgroup_free(&cg);
	/* no trailing newline; a root path */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "0::/", &cg), 0);
	ck_assert_str_eq(cg.path[PL_CTRL_MEMORY], "");
	ck_assert(pl_cgroup_is_root(&cg, PL_CTRL_MEMORY));
	pl_cgroup_free(&cg);
	/* a path may contain ':' */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "0::/a:b\n", &cg), 0);
	ck_assert_str_eq(cg.path[PL_CTRL_PIDS], "a:b");
	pl_cgroup_free(&cg);
	/* v1 lines mean nothing to a pure v2 root */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "4:memory:/x\n", &cg), -ENOENT);
	pl_cgroup_root_close(&r);

	open_root(&r, "v1cc");
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "3:cpu,cpuacct:/app\n2:memory:/app\n", &cg), 0);
	ck_assert_str_eq(cg.path[PL_CTRL_CPU], "app");
	ck_assert_str_eq(cg.path[PL_CTRL_CPUACCT], "app");
	ck_assert_str_eq(cg.path[PL_CTRL_MEMORY], "app");
	ck_assert_ptr_null(cg.path[PL_CTRL_PIDS]);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(parse_proc_malformed)
{
	static const char *const bad[] = {
	    "",
	    "\n\n",
	    "garbage\n",
	    "4:memory\n",
	    "x:memory:/a\n",
	    ":memory:/a\n",
	    "4:memory:relative\n",
	    "4:memory:\n",
	    "1::/a\n",
	    "00::/a\n",
	    "4:memory:/a\nnot a line\n",
	};
	struct pl_cgroup_root r;
	struct pl_cgroup cg;

	open_root(&r, "v1");
	for (size_t i = 0; i < PL_ARRAY_SIZE(bad); i++) {
		ck_assert_msg(pl_cgroup_parse_proc(&r, bad[i], &cg) == -EINVAL, "accepted \"%s\"", bad[i]);
		for (int c = 0; c < PL_CTRL_COUNT; c++)
			ck_assert_ptr_null(cg.path[c]);
	}
	/* only hierarchies we do not use */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "9:name=systemd:/x\n6:freezer:/x\n", &cg), -ENOENT);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(of_pid_reads_proc)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	char dir[] = "/tmp/pl-cgtest-XXXXXX";
	_cleanup_close_ int proc_fd = -1;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	proc_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(proc_fd, 0);
	ck_assert_int_eq(mkdirat(proc_fd, "4242", 0755), 0);
	write_file(dir, "4242/cgroup", hybrid_proc_cgroup);
	open_root(&r, "v1");
	ck_assert_int_eq(pl_cgroup_of_pid(&r, proc_fd, 4242, &cg), 0);
	ck_assert_str_eq(cg.path[PL_CTRL_CPU], "docker/web/fast");
	pl_cgroup_free(&cg);
	ck_assert_int_eq(pl_cgroup_of_pid(&r, proc_fd, 4243, &cg), -ESRCH);
	ck_assert_int_eq(pl_cgroup_of_pid(&r, proc_fd, 0, &cg), -EINVAL);
	pl_cgroup_root_close(&r);
	unlinkat(proc_fd, "4242/cgroup", 0);
	unlinkat(proc_fd, "4242", AT_REMOVEDIR);
	rmdir(dir);
}
END_TEST

START_TEST(from_path_normalises_and_rejects)
{
	static const char *const same[] = {"/docker/web", "docker/web", "docker/web/", "//docker//web"};
	static const char *const escaping[] = {"..",	   "/..",	  "docker/../..", "docker/web/..",
					       "./docker", "docker/./web"};
	struct pl_cgroup_root r;
	struct pl_cgroup cg;

	open_root(&r, "v1");
	for (size_t i = 0; i < PL_ARRAY_SIZE(same); i++) {
		ck_assert_int_eq(pl_cgroup_from_path(&r, same[i], &cg), 0);
		ck_assert_str_eq(cg.path[PL_CTRL_MEMORY], "docker/web");
		ck_assert_str_eq(cg.path[PL_CTRL_PIDS], "docker/web");
		ck_assert_ptr_null(cg.path[PL_CTRL_IO]);
		pl_cgroup_free(&cg);
	}
	for (size_t i = 0; i < PL_ARRAY_SIZE(escaping); i++)
		ck_assert_msg(pl_cgroup_from_path(&r, escaping[i], &cg) == -EINVAL, "accepted %s",
			      escaping[i]);
	ck_assert_int_eq(pl_cgroup_from_path(&r, "/nonexistent", &cg), -ENOENT);
	/* only where it exists: docker/old is in cpuacct alone */
	ck_assert_int_eq(pl_cgroup_from_path(&r, "docker/old", &cg), 0);
	ck_assert_str_eq(cg.path[PL_CTRL_CPUACCT], "docker/old");
	ck_assert_ptr_null(cg.path[PL_CTRL_MEMORY]);
	pl_cgroup_free(&cg);
	/* a file is not a cgroup */
	ck_assert_int_eq(pl_cgroup_from_path(&r, "memory.stat", &cg), -ENOENT);
	ck_assert_int_eq(pl_cgroup_from_path(&r, "/", &cg), 0);
	ck_assert(pl_cgroup_is_root(&cg, PL_CTRL_MEMORY));
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

/* ---- memory ---- */

START_TEST(memory_v1_ancestor_limit_and_swap)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_memory m;

	open_root(&r, "v1");
	at(&r, "docker/web", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, GIB); /* own limit is the sentinel; docker's wins */
	ck_assert_uint_eq(m.usage_bytes, 100 * MIB);
	/* docker's 1G limit less docker's usage (200M, the siblings' too); + its file LRUs */
	ck_assert_uint_eq(m.ancestor_free_bytes, GIB - 200 * MIB);
	ck_assert_uint_eq(m.ancestor_avail_bytes, GIB - 200 * MIB + 3 + 4);
	ck_assert(m.swap_accounting);
	ck_assert_uint_eq(m.swap_limit_bytes, GIB);	/* memsw 2G - mem 1G */
	ck_assert_uint_eq(m.swap_usage_bytes, 5 * MIB); /* total_swap */
	/* the total_* keys, not the cgroup-local ones; rss_huge before rss in the file */
	ck_assert_uint_eq(m.stat.file, 50 * MIB);
	ck_assert_uint_eq(m.stat.anon, 40 * MIB);
	ck_assert_uint_eq(m.stat.anon_thp, 2 * MIB);
	ck_assert_uint_eq(m.stat.shmem, MIB);
	ck_assert_uint_eq(m.stat.file_mapped, 8 * MIB);
	ck_assert_uint_eq(m.stat.file_dirty, 4096);
	ck_assert_uint_eq(m.stat.file_writeback, 12288);
	ck_assert_uint_eq(m.stat.swapcached, 8192);
	ck_assert_uint_eq(m.stat.inactive_anon, 30000000);
	ck_assert_uint_eq(m.stat.active_anon, 11943040);
	ck_assert_uint_eq(m.stat.inactive_file, 20000000);
	ck_assert_uint_eq(m.stat.active_file, 32428800);
	ck_assert_uint_eq(m.stat.unevictable, 65536);
	/* v1 has no counterpart: absent, never zero or guessed */
	ck_assert_uint_eq(m.stat.kernel_stack, PL_ABSENT);
	ck_assert_uint_eq(m.stat.pagetables, PL_ABSENT);
	ck_assert_uint_eq(m.stat.slab_reclaimable, PL_ABSENT);
	ck_assert_uint_eq(m.stat.slab_unreclaimable, PL_ABSENT);
	ck_assert_uint_eq(m.stat.percpu, PL_ABSENT);
	ck_assert_uint_eq(m.stat.sock, PL_ABSENT);
	ck_assert_uint_eq(m.stat.file_thp, PL_ABSENT);
	ck_assert_uint_eq(m.stat.zswap, PL_ABSENT);
	pl_cgroup_free(&cg);

	at(&r, "docker/web/worker", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, 256 * MIB);
	ck_assert_uint_eq(m.swap_limit_bytes, 128 * MIB); /* memsw 384M - mem 256M */
	ck_assert_uint_eq(m.swap_usage_bytes, 0);
	pl_cgroup_free(&cg);

	at(&r, "docker/oldswap", &cg); /* no total_swap: memsw usage - usage */
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, 512 * MIB);
	ck_assert_uint_eq(m.swap_limit_bytes, 256 * MIB);
	ck_assert_uint_eq(m.swap_usage_bytes, 2 * MIB);
	pl_cgroup_free(&cg);

	at(&r, "/", &cg); /* the sentinel everywhere */
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, PL_UNLIMITED);
	ck_assert_uint_eq(m.swap_limit_bytes, PL_UNLIMITED);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

/* A pod: its limit (512M) is nearly used (480M) by the containers together; the app under
 * it has no limit of its own, "tight" a small one. Both versions, same figures. */
START_TEST(memory_ancestor_headroom)
{
	const char *trees[] = {"v1", "v2"};
	/* The pod's page cache, and v2's reclaimable slab (v1 has no slab counter). */
	const uint64_t reclaim[] = {12 * MIB, 13 * MIB};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct pl_cgroup_root r;
		struct pl_cgroup cg;
		struct pl_memory m;

		open_root(&r, trees[i]);
		at(&r, "pod/app", &cg);
		ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
		ck_assert_uint_eq(m.limit_bytes, 512 * MIB);
		ck_assert_uint_eq(m.usage_bytes, 100 * MIB);
		ck_assert_uint_eq(m.ancestor_free_bytes, 32 * MIB);
		ck_assert_uint_eq(m.ancestor_avail_bytes, 32 * MIB + reclaim[i]);
		pl_cgroup_free(&cg);

		at(&r, "pod/tight", &cg); /* its own limit is tighter; the pod's headroom still counts */
		ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
		ck_assert_uint_eq(m.limit_bytes, 16 * MIB);
		ck_assert_uint_eq(m.ancestor_free_bytes, 32 * MIB);
		pl_cgroup_free(&cg);

		at(&r, "pod", &cg); /* at the limited cgroup itself: no ancestor with a limit */
		ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
		ck_assert_uint_eq(m.limit_bytes, 512 * MIB);
		ck_assert_uint_eq(m.ancestor_free_bytes, PL_UNLIMITED);
		ck_assert_uint_eq(m.ancestor_avail_bytes, PL_UNLIMITED);
		pl_cgroup_free(&cg);

		/* an ancestor's broken file is an error, not a host value or no headroom */
		at(&r, "podjunk/app", &cg);
		ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -EINVAL);
		pl_cgroup_free(&cg);
		pl_cgroup_root_close(&r);
	}
}
END_TEST

START_TEST(memory_v1_without_swap_accounting)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_memory m;

	open_root(&r, "v1cc");
	at(&r, "app", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, 512 * MIB);
	ck_assert_uint_eq(m.usage_bytes, MIB);
	ck_assert(!m.swap_accounting);
	ck_assert_uint_eq(m.swap_usage_bytes, PL_ABSENT);
	ck_assert_uint_eq(m.stat.file, 1);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(memory_v1_broken_files)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_memory m;

	open_root(&r, "v1");
	at(&r, "docker/empty", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -EINVAL);
	pl_cgroup_free(&cg);
	at(&r, "docker/junk", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -EINVAL);
	pl_cgroup_free(&cg);
	at(&r, "docker/badstat", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -EINVAL);
	pl_cgroup_free(&cg);
	/* memory.limit_in_bytes missing in the cgroup itself */
	at(&r, "docker/badtasks", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -ENOENT);
	pl_cgroup_free(&cg);
	/* the process is not in the memory hierarchy at all */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "3:cpuset:/docker\n", &cg), 0);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -ENOENT);
	ck_assert_uint_eq(m.stat.file, PL_ABSENT);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(memory_v2_limits_and_stat)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_memory m;

	open_root(&r, "v2");
	at(&r, "machine/web", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, 2 * GIB); /* "max" here, 2G in machine */
	ck_assert_uint_eq(m.usage_bytes, 100 * MIB);
	ck_assert(m.swap_accounting);
	ck_assert_uint_eq(m.swap_limit_bytes, GIB);
	ck_assert_uint_eq(m.swap_usage_bytes, 4096);
	/* file_mapped precedes file in this fixture: exact keys */
	ck_assert_uint_eq(m.stat.file, 50 * MIB);
	ck_assert_uint_eq(m.stat.file_mapped, 8 * MIB);
	ck_assert_uint_eq(m.stat.file_dirty, 8192);
	ck_assert_uint_eq(m.stat.anon, 40 * MIB);
	ck_assert_uint_eq(m.stat.kernel_stack, 16384);
	ck_assert_uint_eq(m.stat.pagetables, 40960);
	ck_assert_uint_eq(m.stat.sec_pagetables, 0);
	ck_assert_uint_eq(m.stat.percpu, 7136);
	ck_assert_uint_eq(m.stat.sock, 4096);
	ck_assert_uint_eq(m.stat.shmem, 65536);
	ck_assert_uint_eq(m.stat.swapcached, 12288);
	ck_assert_uint_eq(m.stat.anon_thp, 2 * MIB);
	ck_assert_uint_eq(m.stat.inactive_file, 1000);
	ck_assert_uint_eq(m.stat.active_file, 2000);
	ck_assert_uint_eq(m.stat.slab_reclaimable, 4240);
	ck_assert_uint_eq(m.stat.slab_unreclaimable, 30632);
	ck_assert_uint_eq(m.stat.zswap, 0);
	ck_assert_uint_eq(m.stat.zswapped, PL_ABSENT); /* an older kernel's file */
	pl_cgroup_free(&cg);

	at(&r, "machine/web/worker", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), 0);
	ck_assert_uint_eq(m.limit_bytes, 256 * MIB);
	ck_assert_uint_eq(m.swap_limit_bytes, 0);
	ck_assert_uint_eq(m.stat.file, 2);
	ck_assert_uint_eq(m.stat.zswapped, 0);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(memory_v2_missing_and_broken)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_memory m;

	open_root(&r, "v2");
	/* memory not in the parent's subtree_control: no memory.* files here */
	at(&r, "system/nomem", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -ENOENT);
	ck_assert_uint_eq(m.limit_bytes, PL_UNLIMITED);
	pl_cgroup_free(&cg);
	/* the root cgroup of older kernels has no memory.current: never the host's numbers */
	at(&r, "", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -ENOENT);
	pl_cgroup_free(&cg);
	at(&r, "machine/empty", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -EINVAL);
	pl_cgroup_free(&cg);
	at(&r, "machine/junk", &cg);
	ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -EINVAL);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

/* ---- cpu ---- */

static void cpu_limits_at(const struct pl_cgroup_root *r, const char *path, uint64_t quota, uint64_t period,
			  const char *cpus)
{
	struct pl_cgroup cg;
	struct pl_cpu_limits l;
	char list[64] = "";

	at(r, path, &cg);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), 0);
	ck_assert_msg(l.quota_usec == quota && l.period_usec == period, "%s: %llu/%llu", path,
		      (unsigned long long)l.quota_usec, (unsigned long long)l.period_usec);
	ck_assert(l.has_cpuset == (cpus != NULL));
	if (cpus) {
		pl_cpuset_format(&l.cpus, list, sizeof(list));
		ck_assert_str_eq(list, cpus);
	}
	pl_cgroup_free(&cg);
}

START_TEST(cpu_limits_v1)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_cpu_limits l;

	open_root(&r, "v1");
	cpu_limits_at(&r, "/", PL_UNLIMITED, 0, "0-7");
	/* own quota -1, docker's 2 CPUs apply; own cpuset never written -> docker's */
	cpu_limits_at(&r, "docker/web", 200000, 100000, "0-3");
	/* 2.5 CPUs here (50000/20000) is looser than docker's 2: docker's quota and period */
	cpu_limits_at(&r, "docker/web/worker", 200000, 100000, "2-3");
	cpu_limits_at(&r, "docker/web/worker/deep", 200000, 100000, "2-3");
	/* fast exists only in the cpu hierarchy: from_path leaves cpuset unset */
	cpu_limits_at(&r, "docker/web/fast", 150000, 100000, NULL);

	at(&r, "docker/bad", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), -EINVAL);
	pl_cgroup_free(&cg);
	at(&r, "docker/zeroperiod", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), -EINVAL);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(cpu_cpuset_v1_cases)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_cpu_limits l;
	char list[32];

	open_root(&r, "v1");
	/* pre-effective_cpus kernels: cpuset.cpus */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "3:cpuset:/docker/oldkernel\n", &cg), 0);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), 0);
	ck_assert(l.has_cpuset);
	pl_cpuset_format(&l.cpus, list, sizeof(list));
	ck_assert_str_eq(list, "1");
	ck_assert_uint_eq(l.quota_usec, PL_UNLIMITED); /* no cpu hierarchy path: no bandwidth limit */
	pl_cgroup_free(&cg);
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "3:cpuset:/docker/bad\n", &cg), 0);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), -EINVAL);
	pl_cgroup_free(&cg);
	/* neither cpu nor cpuset: nothing known */
	ck_assert_int_eq(pl_cgroup_parse_proc(&r, "4:memory:/docker\n", &cg), 0);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), -ENOENT);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);

	open_root(&r, "v1cc"); /* no cpuset hierarchy */
	cpu_limits_at(&r, "app", 50000, 100000, NULL);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(cpu_limits_v2)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct pl_cpu_limits l;

	open_root(&r, "v2");
	cpu_limits_at(&r, "", PL_UNLIMITED, 0, "0-7");	      /* root: no cpu.max */
	cpu_limits_at(&r, "machine", PL_UNLIMITED, 0, "0-3"); /* "max 100000" */
	/* no cpuset enabled in web: nearest level with cpuset.cpus.effective is machine */
	cpu_limits_at(&r, "machine/web", 200000, 100000, "0-3");
	cpu_limits_at(&r, "machine/web/worker", 50000, 100000, "0-3");
	cpu_limits_at(&r, "machine/web/worker/deep", 50000, 100000, "0-3");
	cpu_limits_at(&r, "machine/web/loose", 200000, 100000, "0-3"); /* 4 CPUs < web's 2 */
	/* cpu controller not enabled: no cpu.max, no limit at that level */
	cpu_limits_at(&r, "system/nomem", PL_UNLIMITED, 0, "0-7");
	at(&r, "machine/junk", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_limits(&cg, &l), -EINVAL);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

/* A cgroup removed since the reader was placed in it: every read is -ESTALE, never its
 * parent's cpuset or quota, never "no cpu controller, no limit" (which showed the host's
 * CPUs), and unlike a file the kernel does not have (oldkernel, nomem above). */
static void assert_gone(const struct pl_cgroup_root *r, const char *proc_text, bool cpu_only)
{
	struct pl_cgroup cg;
	struct pl_cpu_limits l;
	struct pl_memory m;
	struct tids t = {0};
	uint64_t a, b;

	ck_assert_int_eq(pl_cgroup_parse_proc(r, proc_text, &cg), 0);
	ck_assert_msg(pl_cgroup_cpu_limits(&cg, &l) == -ESTALE, "cpu limits of %s", proc_text);
	if (!cpu_only) {
		ck_assert_int_eq(pl_cgroup_memory(&cg, &m), -ESTALE);
		ck_assert_uint_eq(m.limit_bytes, PL_UNLIMITED);
		ck_assert_int_eq(pl_cgroup_cpu_usage(&cg, &a, &b), -ESTALE);
		ck_assert_int_eq(pl_cgroup_pids(&cg, &a, &b), -ESTALE);
		ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_CPUACCT, collect_tid, &t), -ESTALE);
		ck_assert_uint_eq(t.n, 0);
	}
	pl_cgroup_free(&cg);
}

START_TEST(cgroup_gone)
{
	struct pl_cgroup_root r;

	open_root(&r, "v1");
	assert_gone(&r,
		    "5:pids:/docker/web/gone\n4:memory:/docker/web/gone\n3:cpuset:/docker/web/gone\n"
		    "2:cpuacct:/docker/web/gone\n1:cpu:/docker/web/gone\n",
		    false);
	/* One of the two hierarchies gone is enough to know nothing. */
	assert_gone(&r, "3:cpuset:/docker/web/gone\n1:cpu:/docker/web\n", true);
	assert_gone(&r, "3:cpuset:/docker/web\n1:cpu:/docker/web/gone\n", true);
	/* The cpuset alone, as on a machine whose cpu hierarchy the reader is not in. */
	assert_gone(&r, "3:cpuset:/docker/gone\n", true);
	pl_cgroup_root_close(&r);

	open_root(&r, "v2");
	assert_gone(&r, "0::/machine/web/gone\n", false);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(cpu_usage_all_versions)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	uint64_t user, sys;

	open_root(&r, "v1");
	at(&r, "docker/web", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_usage(&cg, &user, &sys), 0);
	ck_assert_uint_eq(user, 5000000000u);
	ck_assert_uint_eq(sys, 2000000000u);
	pl_cgroup_free(&cg);
	at(&r, "docker/old", &cg); /* cpuacct.stat ticks */
	ck_assert_int_eq(pl_cgroup_cpu_usage(&cg, &user, &sys), 0);
	ck_assert_uint_eq(user, 150 * (1000000000u / (uint64_t)pl_clk_tck()));
	ck_assert_uint_eq(sys, 50 * (1000000000u / (uint64_t)pl_clk_tck()));
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);

	open_root(&r, "v2");
	at(&r, "machine/web", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_usage(&cg, &user, &sys), 0);
	ck_assert_uint_eq(user, 622486000u);
	ck_assert_uint_eq(sys, 509752000u);
	pl_cgroup_free(&cg);
	at(&r, "", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_usage(&cg, &user, &sys), 0);
	ck_assert_uint_eq(user, 3328000000u);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);

	/* systemd's combined cpu,cpuacct hierarchy */
	open_root(&r, "v1cc");
	ck_assert(!r.on_v2[PL_CTRL_CPUACCT]);
	at(&r, "app", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_usage(&cg, &user, &sys), 0);
	ck_assert_uint_eq(user, 250 * (1000000000u / (uint64_t)pl_clk_tck()));
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(cpu_usage_percpu)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	uint64_t user[8], sys[8];

	open_root(&r, "v1");
	at(&r, "docker/web", &cg);
	memset(user, 0xff, sizeof(user));
	ck_assert_int_eq(pl_cgroup_cpu_usage_percpu(&cg, user, sys, 8), 0);
	ck_assert_uint_eq(user[0], 1000000000u);
	ck_assert_uint_eq(user[1], 2000000000u);
	ck_assert_uint_eq(sys[1], 700000000u);
	ck_assert_uint_eq(user[3], 500000000u);
	ck_assert_uint_eq(sys[3], 500000000u);
	ck_assert_uint_eq(user[4], 0); /* zero-filled past what the kernel reports */
	ck_assert_uint_eq(sys[7], 0);
	/* fewer slots than the file has */
	ck_assert_int_eq(pl_cgroup_cpu_usage_percpu(&cg, user, sys, 2), 0);
	ck_assert_uint_eq(user[1], 2000000000u);
	pl_cgroup_free(&cg);

	at(&r, "docker/old", &cg); /* no usage_all: the split files */
	ck_assert_int_eq(pl_cgroup_cpu_usage_percpu(&cg, user, sys, 8), 0);
	ck_assert_uint_eq(user[0], 600000000u);
	ck_assert_uint_eq(user[1], 900000000u);
	ck_assert_uint_eq(sys[0], 100000000u);
	ck_assert_uint_eq(sys[1], 400000000u);
	ck_assert_uint_eq(user[2], 0);
	pl_cgroup_free(&cg);

	at(&r, "docker/badall", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_usage_percpu(&cg, user, sys, 8), -EINVAL);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);

	open_root(&r, "v2");
	at(&r, "machine/web", &cg);
	ck_assert_int_eq(pl_cgroup_cpu_usage_percpu(&cg, user, sys, 8), -EOPNOTSUPP);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

/* ---- tasks and pids ---- */

START_TEST(tasks_recursive)
{
	static const pid_t v1_web[] = {100, 101, 200, 300, 301};
	static const pid_t v2_web[] = {10, 11, 20, 30, 31};
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	struct tids t = {0};

	open_root(&r, "v1");
	at(&r, "docker/web", &cg);
	ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_MEMORY, collect_tid, &t), 0);
	assert_tids(&t, v1_web, PL_ARRAY_SIZE(v1_web));
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_CPUACCT, collect_tid, &t), 0);
	assert_tids(&t, v1_web, PL_ARRAY_SIZE(v1_web));
	/* the callback's error stops the walk and is returned */
	memset(&t, 0, sizeof(t));
	t.stop_after = 2;
	ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_MEMORY, collect_tid, &t), -ECANCELED);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_IO, collect_tid, &t), -ENOENT);
	pl_cgroup_free(&cg);
	at(&r, "docker/badtasks", &cg);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_MEMORY, collect_tid, &t), -EINVAL);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);

	open_root(&r, "v2");
	at(&r, "machine/web", &cg);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(pl_cgroup_for_each_task(&cg, PL_CTRL_CPUACCT, collect_tid, &t), 0);
	assert_tids(&t, v2_web, PL_ARRAY_SIZE(v2_web));
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

START_TEST(pids_limits)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	uint64_t cur, max;

	open_root(&r, "v1");
	at(&r, "docker/web", &cg);
	ck_assert_int_eq(pl_cgroup_pids(&cg, &cur, &max), 0);
	ck_assert_uint_eq(cur, 7);
	ck_assert_uint_eq(max, 100); /* "max" here, 100 in docker */
	pl_cgroup_free(&cg);
	at(&r, "docker/web/worker/deep", &cg);
	ck_assert_int_eq(pl_cgroup_pids(&cg, &cur, &max), 0);
	ck_assert_uint_eq(cur, 2);
	ck_assert_uint_eq(max, 50);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);

	open_root(&r, "v1cc"); /* no pids hierarchy */
	at(&r, "app", &cg);
	ck_assert_int_eq(pl_cgroup_pids(&cg, &cur, &max), -ENOENT);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);

	open_root(&r, "v2");
	at(&r, "machine/web/worker", &cg);
	ck_assert_int_eq(pl_cgroup_pids(&cg, &cur, &max), 0);
	ck_assert_uint_eq(cur, 3);
	ck_assert_uint_eq(max, 200);
	pl_cgroup_free(&cg);
	at(&r, "system/nomem", &cg);
	ck_assert_int_eq(pl_cgroup_pids(&cg, &cur, &max), -ENOENT);
	pl_cgroup_free(&cg);
	at(&r, "machine/empty", &cg); /* zero-byte pids.current */
	ck_assert_int_eq(pl_cgroup_pids(&cg, &cur, &max), -EINVAL);
	pl_cgroup_free(&cg);
	pl_cgroup_root_close(&r);
}
END_TEST

/* ---- this machine ---- */

START_TEST(live_detect_self)
{
	struct pl_cgroup_root r;
	struct pl_cgroup cg;
	_cleanup_close_ int proc_fd = -1;
	struct stat st;
	bool any = false;
	int k;

	if (stat("/sys/fs/cgroup", &st) < 0 || access("/proc/self/mountinfo", R_OK) < 0)
		return; /* no cgroupfs here (chroot, minimal sandbox): nothing to check */
	k = pl_cgroup_root_detect(&r);
	if (k == -ENOENT)
		return; /* /sys/fs/cgroup exists but nothing is mounted on it */
	ck_assert_int_eq(k, 0);
	proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(proc_fd, 0);
	ck_assert_int_eq(pl_cgroup_of_pid(&r, proc_fd, getpid(), &cg), 0);
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		if (cg.path[c]) {
			char rel[4096];
			snprintf(rel, sizeof(rel), "%s", cg.path[c][0] ? cg.path[c] : ".");
			/* the path we computed names a real directory of that hierarchy */
			ck_assert_int_eq(fstatat(pl_cgroup_root_fd(&r, c), rel, &st, 0), 0);
			ck_assert(S_ISDIR(st.st_mode));
			any = true;
		}
	ck_assert(any);
	pl_cgroup_free(&cg);
	/* The usual layouts are found without mountinfo: the same hierarchies as mountinfo's. */
	pl_cgroup_root_close(&r);
	if (stat("/sys/fs/cgroup/memory/cgroup.procs", &st) == 0 || stat("/sys/fs/cgroup/cgroup.procs", &st) == 0)
		ck_assert_int_eq(pl_cgroup_root_detect_usual(&r), 0); /* systemd's layouts */
	else if (pl_cgroup_root_detect(&r) < 0)
		ck_abort();
	{
		struct pl_cgroup_root m;

		ck_assert_int_eq(pl_cgroup_root_detect_from(&m, "/proc/self/mountinfo", NULL), 0);
		for (int c = 0; c < PL_CTRL_COUNT; c++) {
			int a = pl_cgroup_root_fd(&r, c), b = pl_cgroup_root_fd(&m, c);
			struct stat sa, sb;

			ck_assert_msg((a >= 0) == (b >= 0), "%s: %d against mountinfo's %d", pl_controller_name(c), a, b);
			ck_assert(r.on_v2[c] == m.on_v2[c]);
			if (a < 0)
				continue;
			ck_assert_int_eq(fstat(a, &sa), 0);
			ck_assert_int_eq(fstat(b, &sb), 0);
			ck_assert_msg(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino, "%s: another directory",
				      pl_controller_name(c));
			ck_assert_str_eq(r.on_v2[c] ? r.v2_mount_root : r.v1_mount_root[c],
					 m.on_v2[c] ? m.v2_mount_root : m.v1_mount_root[c]);
		}
		pl_cgroup_root_close(&m);
	}
	pl_cgroup_root_close(&r);
}
END_TEST

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *root = tcase_create("root");
	TCase *where = tcase_create("where");
	TCase *read = tcase_create("read");
	TCase *live = tcase_create("live");

	tcase_add_test(root, open_dir_hybrid);
	tcase_add_test(root, open_dir_v2);
	tcase_add_test(root, open_dir_combined_cpu_cpuacct);
	tcase_add_test(root, mountinfo_lines);
	tcase_add_test(root, detect_hybrid_mountinfo);
	tcase_add_test(root, detect_v2_mountinfo);
	tcase_add_test(root, detect_container_mount_root);
	tcase_add_test(root, detect_v2_container_mount_root);
	tcase_add_test(root, detect_hybrid_cpuacct_on_v2);
	tcase_add_test(where, parse_proc_hybrid);
	tcase_add_test(where, parse_proc_v2_and_combined);
	tcase_add_test(where, parse_proc_malformed);
	tcase_add_test(where, of_pid_reads_proc);
	tcase_add_test(where, from_path_normalises_and_rejects);
	tcase_add_test(read, memory_v1_ancestor_limit_and_swap);
	tcase_add_test(read, memory_ancestor_headroom);
	tcase_add_test(read, memory_v1_without_swap_accounting);
	tcase_add_test(read, memory_v1_broken_files);
	tcase_add_test(read, memory_v2_limits_and_stat);
	tcase_add_test(read, memory_v2_missing_and_broken);
	tcase_add_test(read, cpu_limits_v1);
	tcase_add_test(read, cpu_cpuset_v1_cases);
	tcase_add_test(read, cpu_limits_v2);
	tcase_add_test(read, cgroup_gone);
	tcase_add_test(read, cpu_usage_all_versions);
	tcase_add_test(read, cpu_usage_percpu);
	tcase_add_test(read, tasks_recursive);
	tcase_add_test(read, pids_limits);
	tcase_add_test(live, live_detect_self);
	suite_add_tcase(s, root);
	suite_add_tcase(s, where);
	suite_add_tcase(s, read);
	suite_add_tcase(s, live);
	return s;
}

PL_TEST_MAIN(cgroup_suite)
