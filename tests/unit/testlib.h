/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the unit tests share. Every tests/unit/test_*.c is its own binary, so everything here
 * is a macro or a static function: there is no test library to link. */

#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/util.h"
#include "proclens/view.h"

/* FIXTURES comes from the Makefile: the absolute path of tests/fixtures. */
#define REAL FIXTURES "/host/real"    /* a real machine's /proc and /sys, captured */
#define SYNTH FIXTURES "/host/synth8" /* an 8-CPU host whose numbers the tests know */
#define NS UINT64_C(1000000000)

/* main() for a test binary: run the suite, exit non-zero if any test failed. */
#define PL_TEST_MAIN(suite_fn)                                                                               \
	int main(void)                                                                                       \
	{                                                                                                    \
		return pl_test_run(suite_fn());                                                              \
	}

static inline int pl_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- files ---- */

/* A file of a fixture host directory (dir is both its proc and its sys), as the host reads it.
 * Not inline: inlined into a caller that does pointer arithmetic on the result, GCC 12's
 * -Wdangling-pointer takes the text for a pointer to the local `text` whose address
 * pl_host_read_proc was given. */
__attribute__((unused, noinline)) static char *read_fixture(const char *dir, const char *name)
{
	struct pl_host h;
	char *text = NULL;

	ck_assert_int_eq(pl_host_open(&h, dir, dir), 0);
	ck_assert_int_gt(pl_host_read_proc(&h, name, &text), 0);
	pl_host_close(&h);
	return text;
}

/* Write text to dir/rel (a temporary tree the test builds), replacing what was there. */
static inline void write_file(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	_cleanup_close_ int fd = -1;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, rel), (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_write_all(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* How many lines of text start with prefix. */
static inline unsigned count_lines_starting(const char *text, const char *prefix)
{
	unsigned n = 0;
	size_t len = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, len) == 0;
	return n;
}

/* ---- views on the fixture trees: host synth8, a cgroup tree such as tests/fixtures/view/v1 ---- */

/* When a view is generated: now and the container's init start (CLOCK_BOOTTIME), and whether
 * CPU counters carry over from one generate to the next, as in the daemon. A NULL
 * fixture_when is time zero and no history (a one-shot render). */
struct fixture_when {
	uint64_t now_ns;
	uint64_t init_start_ns;
	bool cpu_history;
};

struct fixture {
	struct pl_host host;
	struct pl_cgroup_root root;
	struct pl_cgroup cg;
	struct pl_view_opts opts;
	struct pl_cpu_history hist;
	struct pl_source src;
};

/* The cgroup at cg_path of tree, seen from host synth8. */
static inline void fixture_open(struct fixture *f, const char *tree, const char *cg_path, bool from_quota,
				const struct fixture_when *when)
{
	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(pl_host_open(&f->host, SYNTH "/proc", SYNTH "/sys"), 0);
	ck_assert_int_eq(pl_cgroup_root_open_dir(&f->root, tree), 0);
	ck_assert_int_eq(pl_cgroup_from_path(&f->root, cg_path, &f->cg), 0);
	f->opts.cpu_count_from_quota = from_quota;
	f->src = (struct pl_source){.host = &f->host, .cg = &f->cg, .opts = &f->opts};
	if (when) {
		f->src.now_ns = when->now_ns;
		f->src.init_start_ns = when->init_start_ns;
		f->src.cpu_history = when->cpu_history ? &f->hist : NULL;
	}
}

static inline void fixture_close(struct fixture *f)
{
	pl_cpu_history_free(&f->hist);
	pl_cgroup_free(&f->cg);
	pl_cgroup_root_close(&f->root);
	pl_host_close(&f->host);
}

/* Place the fixture's cgroup at `path` in the hierarchies listed in ctrls (1 << controller),
 * whether or not it exists there: a reader at a hierarchy's root ("") in some of them, or in
 * a cgroup removed since. PL_CTRL_COUNT's bit stands for the v2 cgroup of pressure. */
static inline void fixture_place(struct fixture *f, unsigned ctrls, const char *path)
{
	for (int c = 0; c <= PL_CTRL_COUNT; c++) {
		char **p = c == PL_CTRL_COUNT ? &f->cg.v2_path : &f->cg.path[c];

		if (!(ctrls & (1u << c)))
			continue;
		free(*p);
		*p = strdup(path);
		ck_assert_ptr_nonnull(*p);
	}
}

#define FIXTURE_ALL ((1u << (PL_CTRL_COUNT + 1)) - 1)

/* Generate the view at path through the view table, as the daemon does. Returns its result;
 * *text is what it wrote (free it), even on error. */
static inline int fixture_generate(struct fixture *f, const char *path, char **text)
{
	const struct pl_view *v = pl_view_find(path);
	struct pl_buf b;
	int r;

	ck_assert_ptr_nonnull(v);
	pl_buf_init(&b);
	r = pl_view_generate(v, &f->src, &b);
	*text = pl_buf_steal(&b, NULL);
	return r;
}

/* For a view whose numbers come from the cpuset, cpu and cpuacct hierarchies (stat,
 * uptime): at the root of only some of them (v1) the reader is not the whole machine, so
 * never host_text (the fixture's cpuacct root has no per-CPU or user/system files: -ENOENT
 * is the other outcome); and a reader whose cgroups were removed since gets -ESTALE, on
 * both versions. */
static inline void fixture_assert_cpu_roots_and_gone(const char *path, const char *host_text,
						     const struct fixture_when *when)
{
	static const enum pl_controller ctrls[] = {PL_CTRL_CPUSET, PL_CTRL_CPU, PL_CTRL_CPUACCT};
	struct fixture f;
	char *t;
	int r;

	for (unsigned at_root = 1; at_root < 7; at_root++) {
		fixture_open(&f, FIXTURES "/view/v1", "ct", true, when);
		for (unsigned b = 0; b < 3; b++)
			if (at_root & (1u << b))
				fixture_place(&f, 1u << ctrls[b], "");
		r = fixture_generate(&f, path, &t);
		ck_assert_msg(r == -ENOENT || (r == 0 && strcmp(t, host_text) != 0), "%s: the host's with roots %u",
			      path, at_root);
		free(t);
		fixture_close(&f);
	}
	for (int v2 = 0; v2 < 2; v2++) {
		fixture_open(&f, v2 ? FIXTURES "/view/v2" : FIXTURES "/view/v1", "ct", true, when);
		fixture_place(&f, FIXTURE_ALL, "ct/gone");
		ck_assert_int_eq(fixture_generate(&f, path, &t), -ESTALE);
		free(t);
		fixture_close(&f);
	}
}
