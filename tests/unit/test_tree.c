/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <sys/stat.h>

#include "../../fs/mirror.h"
#include "../../fs/tree.h"
#include "testlib.h"

static int render_nothing(const void *state, struct pl_buf *out)
{
	(void)state, (void)out;
	return 0;
}

static const struct pl_view views[] = {
	{ .path = "proc/meminfo", .mode = 0444, .render = render_nothing },
	{ .path = "proc/cpuinfo", .mode = 0444, .render = render_nothing },
	{ .path = "sys/devices/system/cpu/online", .mode = 0444, .render = render_nothing },
	{ .path = "proc/stat", .mode = 0444, .render = render_nothing },
};

START_TEST(tree_from_paths)
{
	struct pl_tree t;
	int proc, sys, dev, sysdir, cpu, online, meminfo, stat;

	ck_assert_int_eq(pl_tree_build(&t, views, 4), 0);
	/* root, proc, meminfo, cpuinfo, sys, devices, system, cpu, online, stat */
	ck_assert_uint_eq(t.n, 10);
	proc = pl_tree_child(&t, 0, "proc");
	ck_assert_int_ge(proc, 0);
	ck_assert_ptr_null(t.node[proc].view);
	meminfo = pl_tree_child(&t, (uint32_t)proc, "meminfo");
	ck_assert_int_ge(meminfo, 0);
	ck_assert_ptr_eq(t.node[meminfo].view, &views[0]);
	stat = pl_tree_child(&t, (uint32_t)proc, "stat");
	ck_assert_ptr_eq(t.node[stat].view, &views[3]);
	sys = pl_tree_child(&t, 0, "sys");
	dev = pl_tree_child(&t, (uint32_t)sys, "devices");
	sysdir = pl_tree_child(&t, (uint32_t)dev, "system");
	cpu = pl_tree_child(&t, (uint32_t)sysdir, "cpu");
	online = pl_tree_child(&t, (uint32_t)cpu, "online");
	ck_assert_int_ge(online, 0);
	ck_assert_ptr_eq(t.node[online].view, &views[2]);
	ck_assert_uint_eq(t.node[online].parent, (unsigned)cpu);
	/* readdir order is table order */
	ck_assert_int_eq((int)t.node[proc].first_child, meminfo);
	ck_assert_int_eq(pl_tree_child(&t, (uint32_t)proc, "nope"), -ENOENT);
	ck_assert_int_eq(pl_tree_child(&t, (uint32_t)meminfo, "x"), -ENOTDIR);
	ck_assert_int_eq(pl_tree_child(&t, 999, "x"), -ENOENT);
	pl_tree_free(&t);
}
END_TEST

START_TEST(tree_rejects_duplicates_and_clashes)
{
	struct pl_tree t;
	const struct pl_view dup[] = {
		{ .path = "proc/meminfo", .render = render_nothing },
		{ .path = "proc/meminfo", .render = render_nothing },
	};
	const struct pl_view clash[] = {
		{ .path = "proc", .render = render_nothing },
		{ .path = "proc/meminfo", .render = render_nothing },
	};

	ck_assert_int_eq(pl_tree_build(&t, dup, 2), -EEXIST);
	pl_tree_free(&t);
	ck_assert_int_eq(pl_tree_build(&t, clash, 2), -ENOTDIR);
	pl_tree_free(&t);
}
END_TEST

START_TEST(tree_add_dir_reuses_and_extends)
{
	struct pl_tree t;
	int cpu, again, proc;

	ck_assert_int_eq(pl_tree_build(&t, views, 4), 0);
	cpu = pl_tree_add_dir(&t, "sys/devices/system/cpu");
	ck_assert_int_ge(cpu, 0);
	ck_assert_int_eq(pl_tree_child(&t, (uint32_t)cpu, "online"), 8);
	again = pl_tree_add_dir(&t, "sys/devices/system/cpu");
	ck_assert_int_eq(again, cpu);
	ck_assert_uint_eq(t.n, 10);
	proc = pl_tree_add_dir(&t, "proc/pressure");
	ck_assert_int_eq(proc, 10);
	ck_assert_int_eq(t.node[proc].mirror, -1);
	ck_assert_int_eq(pl_tree_add_dir(&t, "proc/meminfo/x"), -ENOTDIR);
	pl_tree_free(&t);
}
END_TEST

START_TEST(mirror_names_and_contents)
{
	ck_assert_int_eq(pl_mirror_cpu_number("cpu0"), 0);
	ck_assert_int_eq(pl_mirror_cpu_number("cpu17"), 17);
	ck_assert_int_eq(pl_mirror_cpu_number("cpu"), -1);
	ck_assert_int_eq(pl_mirror_cpu_number("cpufreq"), -1);
	ck_assert_int_eq(pl_mirror_cpu_number("cpu01"), -1);
	ck_assert_int_eq(pl_mirror_cpu_number("cpu1a"), -1);
	ck_assert_int_eq(pl_mirror_content_of("thread_siblings_list", false), PL_MIRROR_CPULIST);
	ck_assert_int_eq(pl_mirror_content_of("shared_cpu_list", false), PL_MIRROR_CPULIST);
	ck_assert_int_eq(pl_mirror_content_of("isolated", true), PL_MIRROR_CPULIST);
	ck_assert_int_eq(pl_mirror_content_of("enabled", true), PL_MIRROR_CPULIST);
	ck_assert_int_eq(pl_mirror_content_of("offline", true), PL_MIRROR_CPULIST);
	ck_assert_int_eq(pl_mirror_content_of("nohz_full", true), PL_MIRROR_CPULIST);
	/* below the top, a file called so is no list of ours */
	ck_assert_int_eq(pl_mirror_content_of("enabled", false), PL_MIRROR_VERBATIM);
	ck_assert_int_eq(pl_mirror_content_of("core_cpus", false), PL_MIRROR_CPUMASK);
	ck_assert_int_eq(pl_mirror_content_of("shared_cpu_map", false), PL_MIRROR_CPUMASK);
	ck_assert_int_eq(pl_mirror_content_of("core_id", false), PL_MIRROR_VERBATIM);
	ck_assert_int_eq(pl_mirror_content_of("kernel_max", true), PL_MIRROR_VERBATIM);
}
END_TEST

START_TEST(mirror_nodes_are_interned_once)
{
	struct pl_mirrors m;
	uint32_t a, b, c;

	ck_assert_int_eq(pl_mirrors_init(&m), 0);
	ck_assert_int_eq(pl_mirrors_intern(&m, "devices/system/cpu/cpu2", S_IFDIR, 0, &a), 0);
	ck_assert_int_eq(pl_mirrors_intern(&m, "devices/system/cpu/cpu2/topology/core_cpus_list", S_IFREG, 0, &b), 0);
	ck_assert_int_eq(pl_mirrors_intern(&m, "devices/system/cpu/cpu2", S_IFDIR, 0, &c), 0);
	ck_assert_uint_eq(a, c);
	ck_assert_uint_ne(a, b);
	ck_assert_int_eq(pl_mirrors_get(&m, b)->content, PL_MIRROR_CPULIST);
	ck_assert_int_eq(pl_mirrors_get(&m, a)->content, PL_MIRROR_VERBATIM);
	ck_assert_ptr_null(pl_mirrors_get(&m, 99));
	/* The top's CPU lists are renumbered (enabled was not); a file of that name below is
	 * not taken for one. The loop below counts from index 2: these take 99 and up. */
	ck_assert_int_eq(pl_mirrors_intern(&m, "devices/system/cpu/enabled", S_IFREG, 0, &c), 0);
	ck_assert_int_eq(pl_mirrors_get(&m, c)->content, PL_MIRROR_CPULIST);
	ck_assert_int_eq(pl_mirrors_intern(&m, "devices/system/cpu/cpu2/enabled", S_IFREG, 0, &c), 0);
	ck_assert_int_eq(pl_mirrors_get(&m, c)->content, PL_MIRROR_VERBATIM);
	ck_assert_int_eq(pl_mirrors_intern(&m, "devices/system/cpufoo/enabled", S_IFREG, 0, &c), 0);
	ck_assert_int_eq(pl_mirrors_get(&m, c)->content, PL_MIRROR_VERBATIM);
	/* Enough nodes to grow the hash table several times. */
	for (int i = 0; i < 5000; i++) {
		char path[64];
		snprintf(path, sizeof(path), "devices/x/%d", i);
		ck_assert_int_eq(pl_mirrors_intern(&m, path, S_IFREG, 0, &c), 0);
		ck_assert_uint_eq(c, (unsigned)i + 5);
	}
	ck_assert_int_eq(pl_mirrors_intern(&m, "devices/system/cpu/cpu2", S_IFDIR, 0, &c), 0);
	ck_assert_uint_eq(c, a);
	pl_mirrors_destroy(&m);
}
END_TEST

static Suite *tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, tree_from_paths);
	tcase_add_test(tc, tree_rejects_duplicates_and_clashes);
	tcase_add_test(tc, tree_add_dir_reuses_and_extends);
	tcase_add_test(tc, mirror_names_and_contents);
	tcase_add_test(tc, mirror_nodes_are_interned_once);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(tree_suite)
