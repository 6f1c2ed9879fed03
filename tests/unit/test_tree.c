/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static Suite *tree_suite(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, tree_from_paths);
	tcase_add_test(tc, tree_rejects_duplicates_and_clashes);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(tree_suite)
