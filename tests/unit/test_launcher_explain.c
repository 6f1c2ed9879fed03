/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `proclens explain`: the provenance trace (lib/trace.c and its hooks) on fixture trees,
 * v1 and v2, naming the level whose limit is in effect, and explain's renderings of it. */
#include "../../launcher/inspect.h"
#include "testlib.h"

#define CGFIX FIXTURES "/cgroup"
#define VIEWFIX FIXTURES "/view"

struct traced {
	struct fixture f;
	struct pl_trace t;
	char *content;
	int r;
};

/* Generate `path` for cgroup cg of tree under a trace, as explain does through the daemon. */
static void traced_run(struct traced *x, const char *tree, const char *cg, const char *path, bool from_quota)
{
	memset(x, 0, sizeof(*x));
	fixture_open(&x->f, tree, cg, from_quota, NULL);
	pl_trace_begin(&x->t);
	x->r = fixture_generate(&x->f, path, &x->content);
	pl_trace_end();
}

static void traced_close(struct traced *x)
{
	free(x->content);
	pl_trace_free(&x->t);
	fixture_close(&x->f);
}

/* The sources of quantity q in effect, as "cgroup file raw" lines. */
static void effective(const struct pl_trace *t, const char *q, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n_src; i++)
		if (strcmp(t->src[i].quantity, q) == 0 && t->src[i].effective)
			o += (size_t)snprintf(buf + o, size - o, "%s%s %s %s", o ? "; " : "",
					      t->src[i].cgroup, t->src[i].file, t->src[i].raw);
}

static const struct pl_trace_field *field(const struct pl_trace *t, const char *name)
{
	for (size_t i = 0; i < t->n_field; i++)
		if (strcmp(t->field[i].name, name) == 0)
			return &t->field[i];
	return NULL;
}

/* ck_assert_msg cannot carry a whole explanation: print it, then fail. */
static bool has(const char *text, const char *needle)
{
	if (strstr(text, needle))
		return true;
	fprintf(stderr, "--- wanted: %s\n--- in:\n%s\n", needle, text);
	return false;
}

static char *explain_text(const struct traced *x, const char *file, const char *cgroup)
{
	struct pl_inspect_opts o = {.cgroup = cgroup, .cpu_count_from_quota = true};
	struct pl_buf b;

	snprintf(o.file, sizeof(o.file), "%s", file);
	pl_buf_init(&b);
	ck_assert_int_eq(pl_explain_format_text(&o, x->content, &x->t, &b), 0);
	return pl_buf_steal(&b, NULL);
}

START_TEST(no_trace_records_nothing)
{
	struct fixture f;
	char *text;

	fixture_open(&f, VIEWFIX "/v1", "ct", true, NULL);
	ck_assert(!pl_tracing());
	ck_assert_int_eq(fixture_generate(&f, "proc/meminfo", &text), 0);
	ck_assert_uint_eq(pl_trace_mark(), 0);
	ck_assert(!pl_trace_has_field("MemTotal"));
	free(text);
	fixture_close(&f);
}
END_TEST

START_TEST(trace_does_not_change_the_render)
{
	struct traced x;
	struct fixture f;
	char *plain;

	for (int v = 0; v < 2; v++) {
		const char *tree = v ? VIEWFIX "/v2" : VIEWFIX "/v1";
		const char *files[] = {"proc/meminfo", "proc/cpuinfo", "proc/swaps",
				       "sys/devices/system/cpu/online"};

		for (size_t i = 0; i < PL_ARRAY_SIZE(files); i++) {
			fixture_open(&f, tree, "ct", true, NULL);
			ck_assert_int_eq(fixture_generate(&f, files[i], &plain), 0);
			traced_run(&x, tree, "ct", files[i], true);
			ck_assert_int_eq(x.r, 0);
			ck_assert_str_eq(x.content, plain);
			ck_assert_uint_gt(x.t.n_field, 0);
			free(plain);
			fixture_close(&f);
			traced_close(&x);
		}
	}
}
END_TEST

START_TEST(v1_memory_limit_of_the_cgroup_itself)
{
	struct traced x;
	char eff[512];
	char *text;

	traced_run(&x, VIEWFIX "/v1", "ct", "proc/meminfo", true);
	ck_assert_int_eq(x.r, 0);
	effective(&x.t, "memory limit", eff, sizeof(eff));
	ck_assert_str_eq(eff, "/ct memory.limit_in_bytes 268435456");
	ck_assert_ptr_nonnull(strstr(field(&x.t, "MemTotal")->rule, "tighter than the host's MemTotal"));
	text = explain_text(&x, "proc/meminfo", "/ct");
	ck_assert(has(text, "MemTotal:         262144 kB\n"
			    "    = the memory limit 262144 kB (268435456 bytes), tighter than the host's"));
	ck_assert(has(text, "memory limit: memory.limit_in_bytes of /ct (268435456) in effect, tighter "
			    "than / (9223372036854771712: no limit)"));
	/* v1 names: the key is total_cache, the quantity v2's "file". */
	ck_assert(has(text, "memory.stat file: memory.stat total_cache of /ct (52428800)"));
	/* A counter v1 does not have is said to be absent, not silently 0. */
	ck_assert(has(text, "no slab_reclaimable key in this cgroup's memory.stat"));
	/* v1 swap: memsw minus the memory limit. */
	ck_assert(has(text, "swap limit: memory+swap limit - memory limit of /ct (268435456)"));
	free(text);
	traced_close(&x);
}
END_TEST

START_TEST(v1_memory_limit_of_an_ancestor)
{
	struct traced x;
	char eff[512];
	char *text;

	traced_run(&x, VIEWFIX "/v1", "parent/child", "proc/meminfo", true);
	ck_assert_int_eq(x.r, 0);
	effective(&x.t, "memory limit", eff, sizeof(eff));
	ck_assert_str_eq(eff, "/parent memory.limit_in_bytes 134217728");
	for (size_t i = 0; i < x.t.n_src; i++)
		if (strcmp(x.t.src[i].cgroup, "/parent") == 0)
			ck_assert(x.t.src[i].ancestor);
	text = explain_text(&x, "proc/meminfo", "/parent/child");
	ck_assert(has(text, "memory limit: memory.limit_in_bytes of /parent (134217728) in effect, tighter "
			    "than /parent/child (9223372036854771712: no limit), / ("));
	free(text);
	traced_close(&x);
}
END_TEST

START_TEST(v2_memory_limit_of_an_ancestor)
{
	struct traced x;
	char eff[512];
	char *text;

	traced_run(&x, VIEWFIX "/v2", "parent/child", "proc/meminfo", true);
	ck_assert_int_eq(x.r, 0);
	effective(&x.t, "memory limit", eff, sizeof(eff));
	ck_assert_str_eq(eff, "/parent memory.max 134217728");
	text = explain_text(&x, "proc/meminfo", "/parent/child");
	/* The v2 root has no memory.max: said so, not taken for a limit. */
	ck_assert(has(text, "memory limit: memory.max of /parent (134217728) in effect, tighter than "
			    "/parent/child (max), / (no memory.max)"));
	ck_assert(has(text, "memory.stat file: memory.stat file of /parent/child (52428800)"));
	ck_assert(has(text, "swap limit: memory.swap.max of /parent/child (max)"));
	free(text);
	traced_close(&x);
}
END_TEST

/* A pod's limit nearly used by its other containers: MemFree and MemAvailable say they are
 * what the pod leaves, with the pod's usage among their sources (both versions). */
START_TEST(memory_left_by_a_pod)
{
	const char *trees[] = {CGFIX "/v1", CGFIX "/v2"};
	const char *usage[] = {"memory.usage_in_bytes of /pod (503316480)", "memory.current of /pod (503316480)"};

	for (size_t i = 0; i < PL_ARRAY_SIZE(trees); i++) {
		struct traced x;
		char *text;

		traced_run(&x, trees[i], "pod/app", "proc/meminfo", true);
		ck_assert_int_eq(x.r, 0);
		ck_assert_str_eq(field(&x.t, "MemFree")->value, "32768 kB");
		text = explain_text(&x, "proc/meminfo", "/pod/app");
		ck_assert(has(text, "MemFree:           32768 kB\n    = what an ancestor's memory limit leaves"));
		ck_assert(has(text, usage[i]));
		ck_assert(has(text, "MemAvailable:"));
		ck_assert(has(text, "= what an ancestor's memory limit leaves, with the page cache"));
		free(text);
		traced_close(&x);
	}
}
END_TEST

START_TEST(v2_unlimited_says_no_level_sets_one)
{
	struct traced x;
	char *text;

	traced_run(&x, VIEWFIX "/v2", "unlimited", "proc/meminfo", true);
	ck_assert_int_eq(x.r, 0);
	text = explain_text(&x, "proc/meminfo", "/unlimited");
	ck_assert(has(text, "= the host's MemTotal 32768000 kB: no level of the cgroup sets a memory limit"));
	ck_assert(has(text, ": no level sets one\n"));
	free(text);
	traced_close(&x);
}
END_TEST

/* v1: the ancestor /docker (2 CPUs) is tighter than /docker/web/worker (50000/20000 = 2.5)
 * although its quota number is larger: the ratio decides. */
START_TEST(v1_cpu_quota_of_an_ancestor)
{
	struct traced x;
	char eff[512];
	char *text;

	traced_run(&x, CGFIX "/v1", "docker/web/worker/deep", "proc/cpuinfo", true);
	ck_assert_int_eq(x.r, 0);
	effective(&x.t, "cpu quota", eff, sizeof(eff));
	ck_assert_str_eq(eff, "/docker cpu.cfs_quota_us 200000; /docker cpu.cfs_period_us 100000");
	effective(&x.t, "cpuset", eff, sizeof(eff));
	ck_assert_str_eq(eff, "/docker/web/worker cpuset.effective_cpus 2-3");
	ck_assert_str_eq(field(&x.t, "CPUs")->value, "2 (host CPUs 2-3)");
	text = explain_text(&x, "proc/cpuinfo", "/docker/web/worker/deep");
	ck_assert(has(text, "cpu quota: cpu.cfs_quota_us of /docker (200000), cpu.cfs_period_us of /docker "
			    "(100000) in effect, tighter than "));
	ck_assert(has(text, "cpu.cfs_quota_us of /docker/web/worker (50000)"));
	ck_assert(has(text, "cpu quota 200000/100000 us = 2.00 CPUs, ceil 2"));
	ck_assert(has(text, "cpuset: cpuset.effective_cpus of /docker/web/worker (2-3) in effect"));
	free(text);
	traced_close(&x);
}
END_TEST

START_TEST(v2_cpu_quota_of_an_ancestor)
{
	struct traced x;
	char eff[512];
	char *text;

	traced_run(&x, CGFIX "/v2", "machine/web/worker/deep", "sys/devices/system/cpu/online", true);
	ck_assert_int_eq(x.r, 0);
	ck_assert_str_eq(x.content, "0\n");
	effective(&x.t, "cpu quota", eff, sizeof(eff));
	ck_assert_str_eq(eff, "/machine/web/worker cpu.max 50000 100000");
	effective(&x.t, "cpuset", eff, sizeof(eff));
	ck_assert_str_eq(eff, "/machine cpuset.cpus.effective 0-3");
	text = explain_text(&x, "sys/devices/system/cpu/online", "/machine/web/worker/deep");
	ck_assert(has(text,
		      "cpu quota: cpu.max of /machine/web/worker (50000 100000) in effect, tighter than "
		      "/machine/web/worker/deep (max 100000), /machine/web (200000 100000)"));
	ck_assert(has(text, "cpu quota 50000/100000 us = 0.50 CPUs, ceil 1: the first ones kept"));
	free(text);
	traced_close(&x);
}
END_TEST

START_TEST(cpu_count_from_cpuset_says_so)
{
	struct traced x;

	traced_run(&x, CGFIX "/v2", "machine/web/worker/deep", "proc/cpuinfo", false);
	ck_assert_int_eq(x.r, 0);
	ck_assert_ptr_nonnull(strstr(field(&x.t, "CPUs")->rule, "not applied (--cpu-count=cpuset)"));
	ck_assert_str_eq(field(&x.t, "CPUs")->value, "4 (host CPUs 0-3)");
	traced_close(&x);
}
END_TEST

START_TEST(stat_lines_have_rules)
{
	struct traced x;
	char *text;

	traced_run(&x, VIEWFIX "/v2", "ct", "proc/stat", true);
	ck_assert_int_eq(x.r, 0);
	text = explain_text(&x, "proc/stat", "/ct");
	ck_assert(has(text, "spread evenly over the 2 visible CPUs"));
	ck_assert(has(text, "cpu usage: cpu.stat of /ct (usage_usec 11000000; user_usec 10000000"));
	ck_assert(has(text, "\ncpu0 "));
	ck_assert(has(text, "procs_running 2\n    = the cgroup's threads in state R\n"
			    "    tasks: cgroup.threads of /ct"));
	free(text);
	traced_close(&x);
}
END_TEST

START_TEST(errors_name_the_file)
{
	struct pl_inspect_opts o = {.cgroup = "/bad"};
	struct pl_err e = {0};
	struct traced x;

	snprintf(o.file, sizeof(o.file), "proc/meminfo");
	traced_run(&x, VIEWFIX "/v1", "bad", "proc/meminfo", true);
	ck_assert_int_eq(x.r, -EINVAL);
	pl_inspect_explain_error(&o, -EIO, &x.t, false, &e);
	ck_assert_msg(strstr(e.msg, "malformed ") && strstr(e.msg, "/bad/memory.limit_in_bytes ('lots')"),
		      "%s", e.msg);
	traced_close(&x);

	o.cgroup = "/limited/nomem";
	traced_run(&x, VIEWFIX "/v2", "limited/nomem", "proc/meminfo", true);
	ck_assert_int_lt(x.r, 0);
	pl_inspect_explain_error(&o, -EIO, &x.t, false, &e);
	ck_assert_msg(strstr(e.msg, "cgroup /limited/nomem has no memory controller: no ") &&
			  strstr(e.msg, "/limited/nomem/memory.current"),
		      "%s", e.msg);
	traced_close(&x);

	pl_inspect_explain_error(&o, -EIO, NULL, true, &e);
	o.cgroup = NULL;
	o.pid = 42;
	pl_inspect_explain_error(&o, -EIO, NULL, true, &e);
	ck_assert_str_eq(e.msg, "process 42 exited during the call");
	pl_inspect_explain_error(&o, -ENOENT, NULL, false, &e);
	ck_assert_str_eq(e.msg, "proclensfs serves no proc/meminfo here");
}
END_TEST

START_TEST(json_lists_fields_and_sources)
{
	struct pl_inspect_opts o = {.cgroup = "/parent/child"};
	struct traced x;
	struct pl_buf b;

	snprintf(o.file, sizeof(o.file), "proc/meminfo");
	traced_run(&x, VIEWFIX "/v2", "parent/child", "proc/meminfo", true);
	pl_buf_init(&b);
	ck_assert_int_eq(pl_explain_format_json(&o, x.content, &x.t, &b), 0);
	ck_assert_msg(strncmp(b.data,
			      "{\"file\": \"proc/meminfo\", \"cgroup\": \"/parent/child\", \"content\": "
			      "\"MemTotal:",
			      60) == 0,
		      "%s", b.data);
	ck_assert_ptr_nonnull(strstr(b.data, "{\"name\": \"MemTotal\", \"value\": \"131072 kB\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"quantity\": \"memory limit\", \"controller\": \"memory\", "
					     "\"file\": \"memory.max\", \"cgroup\": \"/parent\""));
	ck_assert_ptr_nonnull(
	    strstr(b.data, "\"level\": \"ancestor\", \"effective\": true, \"raw\": \"134217728\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"complete\": true}\n"));
	pl_buf_free(&b);
	traced_close(&x);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("launcher_explain");
	TCase *tc = tcase_create("explain");

	tcase_add_test(tc, no_trace_records_nothing);
	tcase_add_test(tc, trace_does_not_change_the_render);
	tcase_add_test(tc, v1_memory_limit_of_the_cgroup_itself);
	tcase_add_test(tc, v1_memory_limit_of_an_ancestor);
	tcase_add_test(tc, v2_memory_limit_of_an_ancestor);
	tcase_add_test(tc, memory_left_by_a_pod);
	tcase_add_test(tc, v2_unlimited_says_no_level_sets_one);
	tcase_add_test(tc, v1_cpu_quota_of_an_ancestor);
	tcase_add_test(tc, v2_cpu_quota_of_an_ancestor);
	tcase_add_test(tc, cpu_count_from_cpuset_says_so);
	tcase_add_test(tc, stat_lines_have_rules);
	tcase_add_test(tc, errors_name_the_file);
	tcase_add_test(tc, json_lists_fields_and_sources);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(suite)
