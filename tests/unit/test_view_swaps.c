/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
#define NONE_40 "none                                    " /* padded to 40 columns */

static const char *const trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

static char *render_state(const struct pl_swaps_state *st)
{
	struct pl_buf b;

	pl_buf_init(&b);
	ck_assert_int_eq(pl_swaps_render(st, &b), 0);
	return pl_buf_steal(&b, NULL);
}

START_TEST(render_exact)
{
	struct pl_swaps_state none = {0}, some = {.size_kb = 262144, .used_kb = 10240},
			      big = {.size_kb = 10000000, .used_kb = 9999999};
	_cleanup_free_ char *a = render_state(&none), *b = render_state(&some), *c = render_state(&big);

	ck_assert_uint_eq(strlen(NONE_40), 40);
	ck_assert_str_eq(a, HEADER);
	/* Columns as the kernel's swap_show: Size under "Size" (column 56) for a short type. */
	ck_assert_str_eq(b, HEADER NONE_40 "virtual\t\t262144\t\t10240\t\t0\n");
	/* 8-digit numbers lose their second tab, as in the kernel. */
	ck_assert_str_eq(c, HEADER NONE_40 "virtual\t\t10000000\t9999999\t\t0\n");
}
END_TEST

static char *generate(struct fixture *f, const char *path, int expect)
{
	char *t = NULL;

	ck_assert_int_eq(fixture_generate(f, path, &t), expect);
	return t;
}

static uint64_t meminfo_value(const char *text, const char *key)
{
	struct pl_meminfo *mi = malloc(sizeof(*mi));
	uint64_t v = 0;

	ck_assert_ptr_nonnull(mi);
	ck_assert_int_eq(pl_meminfo_parse(text, mi), 0);
	ck_assert_int_eq(pl_meminfo_get(mi, key, &v), 0);
	free(mi);
	return v;
}

/* The swaps line and meminfo's SwapTotal/SwapFree tell the same story. */
static void assert_agrees_with_meminfo(struct fixture *f, const char *swaps)
{
	_cleanup_free_ char *mi = generate(f, "proc/meminfo", 0);
	uint64_t total = meminfo_value(mi, "SwapTotal"), free_kb = meminfo_value(mi, "SwapFree");
	unsigned long long size, used;

	if (total == 0) {
		ck_assert_str_eq(swaps, HEADER);
		return;
	}
	ck_assert_int_eq(sscanf(swaps, HEADER "none virtual %llu %llu 0\n", &size, &used), 2);
	ck_assert_uint_eq(size, total);
	ck_assert_uint_eq(used, total - free_kb);
}

START_TEST(collect_limits_set_and_unset)
{
	static const struct {
		const char *cg, *expect;
	} cases[] = {
	    /* 256 MiB of swap allowed (v1: memsw 512 MiB - memory 256 MiB), 10 MiB swapped */
	    {"ct", HEADER NONE_40 "virtual\t\t262144\t\t10240\t\t0\n"},
	    /* no swap limit at any level: the host's 2 GiB of swap */
	    {"unlimited", HEADER NONE_40 "virtual\t\t2097152\t\t0\t\t0\n"},
	    /* no swap accounting: we cannot tell, so no swap */
	    {"noswap", HEADER},
	};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++)
		for (size_t k = 0; k < PL_ARRAY_SIZE(cases); k++) {
			struct fixture f;
			_cleanup_free_ char *t = NULL;

			fixture_open(&f, trees[i], cases[k].cg, false, NULL);
			t = generate(&f, "proc/swaps", 0);
			ck_assert_msg(strcmp(t, cases[k].expect) == 0, "%s %s:\n%s", trees[i], cases[k].cg,
				      t);
			assert_agrees_with_meminfo(&f, t);
			fixture_close(&f);
		}
}
END_TEST

START_TEST(collect_zero_swap_limit_or_no_host_swap)
{
	struct fixture f;
	char *t;

	/* v2 "over": memory.swap.max 0, the container may not swap. */
	fixture_open(&f, FIXTURES "/view/v2", "over", false, NULL);
	t = generate(&f, "proc/swaps", 0);
	ck_assert_str_eq(t, HEADER);
	free(t);
	fixture_close(&f);
	/* A host without swap (the real fixture: SwapTotal 0). */
	fixture_open(&f, FIXTURES "/view/v2", "ct", false, NULL);
	pl_host_close(&f.host);
	ck_assert_int_eq(pl_host_open(&f.host, REAL "/proc", REAL "/sys"), 0);
	t = generate(&f, "proc/swaps", 0);
	ck_assert_str_eq(t, HEADER);
	free(t);
	fixture_close(&f);
}
END_TEST

START_TEST(collect_root_and_errors)
{
	_cleanup_free_ char *host_text = read_fixture(SYNTH "/proc", "swaps");

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct fixture f;
		char *t;

		fixture_open(&f, trees[i], "", false, NULL);
		t = generate(&f, "proc/swaps", 0);
		ck_assert_str_eq(t, host_text);
		free(t);
		fixture_close(&f);
		fixture_open(&f, trees[i], "bad", false, NULL);
		t = generate(&f, "proc/swaps", -EINVAL);
		free(t);
		fixture_close(&f);
	}
	{
		struct fixture f;
		char *t;

		/* Memory not delegated to this v2 cgroup: an error, not the host's swap. */
		fixture_open(&f, FIXTURES "/view/v2", "limited/nomem", false, NULL);
		t = generate(&f, "proc/swaps", -ENOENT);
		free(t);
		fixture_close(&f);
	}
}
END_TEST

static Suite *swaps_suite(void)
{
	Suite *s = suite_create("view_swaps");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, render_exact);
	tcase_add_test(tc, collect_limits_set_and_unset);
	tcase_add_test(tc, collect_zero_swap_limit_or_no_host_swap);
	tcase_add_test(tc, collect_root_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(swaps_suite)
