/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define MiB (UINT64_C(1) << 20)

static const char small_host[] = "MemTotal:        1000000 kB\n"
				 "MemFree:          500000 kB\n"
				 "MemAvailable:     800000 kB\n"
				 "Buffers:            1000 kB\n"
				 "Cached:           200000 kB\n"
				 "SwapTotal:        100000 kB\n"
				 "SwapFree:          90000 kB\n"
				 "Committed_AS:     700000 kB\n"
				 "VmallocTotal:   34359738367 kB\n"
				 "HardwareCorrupted:     4 kB\n"
				 "HugePages_Total:      16\n"
				 "Hugepagesize:       2048 kB\n"
				 "DirectMap2M:     3000000 kB\n";

/* A memory struct with every counter absent and the given limit/usage. */
static struct pl_memory mem_of(uint64_t limit_bytes, uint64_t usage_bytes)
{
	struct pl_memory m;

	memset(&m.stat, 0xff, sizeof(m.stat)); /* PL_ABSENT everywhere */
	m.limit_bytes = limit_bytes;
	m.usage_bytes = usage_bytes;
	m.swap_accounting = false;
	m.swap_limit_bytes = PL_UNLIMITED;
	m.swap_usage_bytes = 0;
	m.ancestor_free_bytes = m.ancestor_avail_bytes = PL_UNLIMITED;
	return m;
}

static struct pl_meminfo_state *state_new(const char *host_text, struct pl_memory m)
{
	struct pl_meminfo_state *st = calloc(1, sizeof(*st));

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(pl_meminfo_parse(host_text, &st->host), 0);
	st->mem = m;
	return st;
}

static char *render(struct pl_meminfo_state *st)
{
	struct pl_buf b;

	pl_buf_init(&b);
	ck_assert_int_eq(pl_meminfo_render(st, &b), 0);
	return pl_buf_steal(&b, NULL);
}

/* Value of key in rendered text (parsed back), or fail. */
static uint64_t value_of(const char *text, const char *key)
{
	struct pl_meminfo *mi = malloc(sizeof(*mi));
	uint64_t v = 0;

	ck_assert_ptr_nonnull(mi);
	ck_assert_int_eq(pl_meminfo_parse(text, mi), 0);
	ck_assert_msg(pl_meminfo_get(mi, key, &v) == 0, "no %s in:\n%s", key, text);
	free(mi);
	return v;
}

START_TEST(format_reproduces_host_files)
{
	const char *dirs[] = {REAL "/proc", SYNTH "/proc"};

	for (size_t i = 0; i < PL_ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *text = read_fixture(dirs[i], "meminfo");
		struct pl_meminfo *mi = malloc(sizeof(*mi));
		struct pl_buf b;

		ck_assert_ptr_nonnull(mi);
		ck_assert_int_eq(pl_meminfo_parse(text, mi), 0);
		pl_buf_init(&b);
		pl_meminfo_format(mi, &b);
		ck_assert_str_eq(b.data, text);
		pl_buf_free(&b);
		free(mi);
	}
}
END_TEST

START_TEST(render_small_exact)
{
	struct pl_memory m = mem_of(256 * MiB, 100 * MiB);
	struct pl_meminfo_state *st;
	_cleanup_free_ char *text = NULL;

	m.stat.active_file = 10 * MiB;
	m.stat.inactive_file = 20 * MiB;
	m.stat.slab_reclaimable = 1 * MiB;
	m.stat.file = 40 * MiB;
	m.stat.anon = 50 * MiB;
	m.stat.shmem = 2 * MiB;
	m.swap_accounting = true;
	m.swap_limit_bytes = 64 * MiB;
	m.swap_usage_bytes = 4 * MiB;
	st = state_new(small_host, m);
	text = render(st);
	ck_assert_str_eq(text, "MemTotal:         262144 kB\n"
			       "MemFree:          159744 kB\n"
			       "MemAvailable:     191488 kB\n"
			       "Buffers:               0 kB\n"
			       "Cached:            40960 kB\n"
			       "SwapTotal:         65536 kB\n"
			       "SwapFree:          61440 kB\n"
			       "Committed_AS:      57344 kB\n"
			       "VmallocTotal:   34359738367 kB\n"
			       "HardwareCorrupted:     0 kB\n"
			       "HugePages_Total:       0\n"
			       "Hugepagesize:       2048 kB\n"
			       "DirectMap2M:           0 kB\n");
	free(st);
}
END_TEST

START_TEST(render_real_host_keeps_lines_and_order)
{
	_cleanup_free_ char *host_text = read_fixture(REAL "/proc", "meminfo");
	struct pl_memory m = mem_of(256 * MiB, 10 * MiB);
	struct pl_meminfo_state *st = state_new(host_text, m);
	_cleanup_free_ char *text = render(st);
	struct pl_meminfo *got = malloc(sizeof(*got));
	uint64_t host_total;

	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(pl_meminfo_parse(text, got), 0);
	ck_assert_uint_eq(got->n, st->host.n);
	for (unsigned i = 0; i < got->n; i++) {
		ck_assert_str_eq(got->line[i].key, st->host.line[i].key);
		ck_assert_int_eq(got->line[i].has_kb, st->host.line[i].has_kb);
	}
	ck_assert_uint_eq(value_of(text, "MemTotal"), 262144);
	ck_assert_uint_eq(value_of(text, "MemFree"), 262144 - 10240);
	/* Host-wide counters must not leak. */
	ck_assert_uint_eq(value_of(text, "VmallocUsed"), 0);
	ck_assert_uint_eq(value_of(text, "DirectMap1G"), 0);
	ck_assert_uint_eq(value_of(text, "Buffers"), 0);
	ck_assert_int_eq(pl_meminfo_get(&st->host, "MemTotal", &host_total), 0);
	ck_assert_uint_ne(value_of(text, "MemTotal"), host_total);
	free(got);
	free(st);
}
END_TEST

START_TEST(limit_unset_is_host_total)
{
	struct pl_meminfo_state *st = state_new(small_host, mem_of(PL_UNLIMITED, 100 * MiB));
	_cleanup_free_ char *text = render(st);

	ck_assert_uint_eq(value_of(text, "MemTotal"), 1000000);
	ck_assert_uint_eq(value_of(text, "MemFree"), 1000000 - 102400);
	free(st);
	/* A limit above the host's RAM is no limit either. */
	st = state_new(small_host, mem_of(64ull << 30, 100 * MiB));
	free(text);
	text = render(st);
	ck_assert_uint_eq(value_of(text, "MemTotal"), 1000000);
	free(st);
}
END_TEST

START_TEST(usage_over_limit_and_available_cap)
{
	struct pl_memory m = mem_of(64 * MiB, 80 * MiB);
	struct pl_meminfo_state *st;
	_cleanup_free_ char *text = NULL;

	m.stat.active_file = 30 * MiB;
	m.stat.inactive_file = 20 * MiB;
	st = state_new(small_host, m);
	text = render(st);
	ck_assert_uint_eq(value_of(text, "MemFree"), 0);
	ck_assert_uint_eq(value_of(text, "MemAvailable"), 50 * 1024);
	free(st);
	free(text);
	/* Reclaimable beyond the total is capped at MemTotal. */
	m = mem_of(64 * MiB, 32 * MiB);
	m.stat.active_file = 30 * MiB;
	m.stat.inactive_file = 20 * MiB;
	m.stat.slab_reclaimable = 5 * MiB;
	st = state_new(small_host, m);
	text = render(st);
	ck_assert_uint_eq(value_of(text, "MemFree"), 32 * 1024);
	ck_assert_uint_eq(value_of(text, "MemAvailable"), 64 * 1024);
	free(st);
}
END_TEST

/* A pod's limit shared with a sidecar: what the container may still take is the pod's
 * headroom when that is smaller than its own, and MemAvailable never falls below MemFree. */
START_TEST(ancestor_headroom_bounds_free_and_available)
{
	struct pl_memory m = mem_of(PL_UNLIMITED, 100 * MiB);
	struct pl_meminfo_state *st;
	_cleanup_free_ char *text = NULL;

	m.limit_bytes = 512 * MiB; /* the pod's, the tightest */
	m.stat.active_file = 30 * MiB;
	m.stat.inactive_file = 20 * MiB;
	m.ancestor_free_bytes = 32 * MiB;
	m.ancestor_avail_bytes = 44 * MiB;
	st = state_new(small_host, m);
	text = render(st);
	ck_assert_uint_eq(value_of(text, "MemTotal"), 512 * 1024);
	ck_assert_uint_eq(value_of(text, "MemFree"), 32 * 1024);
	ck_assert_uint_eq(value_of(text, "MemAvailable"), 44 * 1024);
	free(st);
	free(text);
	/* The container's own figures are tighter: the pod's do not show. */
	m.ancestor_free_bytes = 500 * MiB;
	m.ancestor_avail_bytes = 600 * MiB;
	st = state_new(small_host, m);
	text = render(st);
	ck_assert_uint_eq(value_of(text, "MemFree"), 412 * 1024);
	ck_assert_uint_eq(value_of(text, "MemAvailable"), 462 * 1024);
	free(st);
	free(text);
	/* A pod over its limit: nothing free, and available only what it can reclaim. */
	m.ancestor_free_bytes = 0;
	m.ancestor_avail_bytes = 3 * MiB;
	st = state_new(small_host, m);
	text = render(st);
	ck_assert_uint_eq(value_of(text, "MemFree"), 0);
	ck_assert_uint_eq(value_of(text, "MemAvailable"), 3 * 1024);
	free(st);
}
END_TEST

START_TEST(swap_cases)
{
	struct pl_memory m = mem_of(64 * MiB, 32 * MiB);
	struct pl_meminfo_state *st;
	char *text;

	/* No swap accounting: no swap, not the host's. */
	st = state_new(small_host, m);
	text = render(st);
	ck_assert_uint_eq(value_of(text, "SwapTotal"), 0);
	ck_assert_uint_eq(value_of(text, "SwapFree"), 0);
	free(text);
	/* Accounting, no swap limit: the host's swap size, the container's use. */
	st->mem.swap_accounting = true;
	st->mem.swap_usage_bytes = 10 * MiB;
	text = render(st);
	ck_assert_uint_eq(value_of(text, "SwapTotal"), 100000);
	ck_assert_uint_eq(value_of(text, "SwapFree"), 100000 - 10240);
	free(text);
	/* May not swap at all. */
	st->mem.swap_limit_bytes = 0;
	text = render(st);
	ck_assert_uint_eq(value_of(text, "SwapTotal"), 0);
	ck_assert_uint_eq(value_of(text, "SwapFree"), 0);
	free(text);
	/* Usage above the limit (limit lowered after swapping): SwapFree 0. */
	st->mem.swap_limit_bytes = 5 * MiB;
	text = render(st);
	ck_assert_uint_eq(value_of(text, "SwapTotal"), 5120);
	ck_assert_uint_eq(value_of(text, "SwapFree"), 0);
	free(text);
	free(st);
}
END_TEST

START_TEST(missing_memtotal_is_error)
{
	struct pl_meminfo_state *st = state_new("MemFree: 1 kB\n", mem_of(MiB, 0));
	struct pl_buf b;

	pl_buf_init(&b);
	ck_assert_int_eq(pl_meminfo_render(st, &b), -EINVAL);
	pl_buf_free(&b);
	free(st);
}
END_TEST

/* ---- collect on the fixture trees ---- */

static char *collect_text(const char *tree, const char *path)
{
	struct fixture f;
	char *text;

	fixture_open(&f, tree, path, false, NULL);
	ck_assert_int_eq(fixture_generate(&f, "proc/meminfo", &text), 0);
	fixture_close(&f);
	return text;
}

START_TEST(collect_v1_limit_and_swap)
{
	_cleanup_free_ char *t = collect_text(FIXTURES "/view/v1", "ct");

	ck_assert_uint_eq(value_of(t, "MemTotal"), 262144);
	ck_assert_uint_eq(value_of(t, "MemFree"), 262144 - 102400);
	/* v1 has no slab counter: free + file LRUs */
	ck_assert_uint_eq(value_of(t, "MemAvailable"), 159744 + 12288 + 30720);
	ck_assert_uint_eq(value_of(t, "Cached"), 51200 - 2048);
	ck_assert_uint_eq(value_of(t, "SwapCached"), 2048);
	ck_assert_uint_eq(value_of(t, "Active"), 28672 + 12288);
	ck_assert_uint_eq(value_of(t, "Inactive"), 20480 + 30720);
	ck_assert_uint_eq(value_of(t, "AnonPages"), 40960);
	ck_assert_uint_eq(value_of(t, "Shmem"), 8192);
	ck_assert_uint_eq(value_of(t, "Mapped"), 10240);
	ck_assert_uint_eq(value_of(t, "Dirty"), 1024);
	ck_assert_uint_eq(value_of(t, "AnonHugePages"), 4096);
	ck_assert_uint_eq(value_of(t, "SwapTotal"), 262144);
	ck_assert_uint_eq(value_of(t, "SwapFree"), 262144 - 10240);
	ck_assert_uint_eq(value_of(t, "CommitLimit"), 131072 + 262144);
	ck_assert_uint_eq(value_of(t, "Committed_AS"), 40960 + 8192 + 10240);
	ck_assert_uint_eq(value_of(t, "Slab"), 0);
	ck_assert_uint_eq(value_of(t, "Percpu"), 0);
	ck_assert_uint_eq(value_of(t, "HugePages_Total"), 0);
	ck_assert_uint_eq(value_of(t, "VmallocTotal"), 34359738367ull);
	ck_assert_uint_eq(value_of(t, "Hugepagesize"), 2048);
}
END_TEST

START_TEST(collect_v2_limit_and_swap)
{
	_cleanup_free_ char *t = collect_text(FIXTURES "/view/v2", "ct");

	ck_assert_uint_eq(value_of(t, "MemTotal"), 262144);
	ck_assert_uint_eq(value_of(t, "MemFree"), 159744);
	ck_assert_uint_eq(value_of(t, "MemAvailable"), 159744 + 12288 + 30720 + 3072);
	ck_assert_uint_eq(value_of(t, "Slab"), 4096);
	ck_assert_uint_eq(value_of(t, "SReclaimable"), 3072);
	ck_assert_uint_eq(value_of(t, "KReclaimable"), 3072);
	ck_assert_uint_eq(value_of(t, "SUnreclaim"), 1024);
	ck_assert_uint_eq(value_of(t, "KernelStack"), 1024);
	ck_assert_uint_eq(value_of(t, "PageTables"), 2048);
	ck_assert_uint_eq(value_of(t, "Percpu"), 512);
	ck_assert_uint_eq(value_of(t, "SwapTotal"), 262144);
	ck_assert_uint_eq(value_of(t, "SwapFree"), 262144 - 10240);
	ck_assert_uint_eq(value_of(t, "Mlocked"), 0);
}
END_TEST

START_TEST(collect_ancestor_unlimited_over_noswap)
{
	const char *trees[] = {FIXTURES "/view/v1", FIXTURES "/view/v2"};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		char *t = collect_text(trees[i], "parent/child");
		ck_assert_uint_eq(value_of(t, "MemTotal"), 131072);
		free(t);

		t = collect_text(trees[i], "unlimited");
		ck_assert_uint_eq(value_of(t, "MemTotal"), 32768000);
		ck_assert_uint_eq(value_of(t, "MemFree"), 32768000 - 102400);
		free(t);

		t = collect_text(trees[i], "over");
		ck_assert_uint_eq(value_of(t, "MemTotal"), 65536);
		ck_assert_uint_eq(value_of(t, "MemFree"), 0);
		ck_assert_uint_le(value_of(t, "MemAvailable"), 65536);
		ck_assert_uint_ge(value_of(t, "MemAvailable"), 12288 + 30720);
		free(t);

		t = collect_text(trees[i], "noswap");
		ck_assert_uint_eq(value_of(t, "SwapTotal"), 0);
		ck_assert_uint_eq(value_of(t, "SwapFree"), 0);
		free(t);
	}
}
END_TEST

START_TEST(collect_root_is_host_verbatim)
{
	_cleanup_free_ char *host_text = read_fixture(SYNTH "/proc", "meminfo");
	_cleanup_free_ char *t = collect_text(FIXTURES "/view/v2", "");

	ck_assert_str_eq(t, host_text);
}
END_TEST

START_TEST(collect_errors_never_fall_back)
{
	struct fixture f;
	char *t;

	/* v2: the parent does not delegate memory. */
	fixture_open(&f, FIXTURES "/view/v2", "limited/nomem", false, NULL);
	ck_assert_int_eq(fixture_generate(&f, "proc/meminfo", &t), -ENOENT);
	free(t);
	fixture_close(&f);
	/* v1: no memory hierarchy for this cgroup. */
	fixture_open(&f, FIXTURES "/view/v1", "ct", false, NULL);
	free(f.cg.path[PL_CTRL_MEMORY]);
	f.cg.path[PL_CTRL_MEMORY] = NULL;
	ck_assert_int_eq(fixture_generate(&f, "proc/meminfo", &t), -ENOENT);
	free(t);
	fixture_close(&f);
	/* Malformed limit. */
	fixture_open(&f, FIXTURES "/view/v1", "bad", false, NULL);
	ck_assert_int_eq(fixture_generate(&f, "proc/meminfo", &t), -EINVAL);
	free(t);
	fixture_close(&f);
	fixture_open(&f, FIXTURES "/view/v2", "bad", false, NULL);
	ck_assert_int_eq(fixture_generate(&f, "proc/meminfo", &t), -EINVAL);
	free(t);
	fixture_close(&f);
}
END_TEST

static Suite *meminfo_suite(void)
{
	Suite *s = suite_create("view_meminfo");
	TCase *tr = tcase_create("render");
	TCase *tc = tcase_create("collect");

	tcase_add_test(tr, format_reproduces_host_files);
	tcase_add_test(tr, render_small_exact);
	tcase_add_test(tr, render_real_host_keeps_lines_and_order);
	tcase_add_test(tr, limit_unset_is_host_total);
	tcase_add_test(tr, usage_over_limit_and_available_cap);
	tcase_add_test(tr, ancestor_headroom_bounds_free_and_available);
	tcase_add_test(tr, swap_cases);
	tcase_add_test(tr, missing_memtotal_is_error);
	suite_add_tcase(s, tr);
	tcase_add_test(tc, collect_v1_limit_and_swap);
	tcase_add_test(tc, collect_v2_limit_and_swap);
	tcase_add_test(tc, collect_ancestor_unlimited_over_noswap);
	tcase_add_test(tc, collect_root_is_host_verbatim);
	tcase_add_test(tc, collect_errors_never_fall_back);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(meminfo_suite)
