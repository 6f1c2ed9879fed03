/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a cgroup's limits and usage: the v1/v2 file names and semantics live here so the
 * views never see them. Locating hierarchies and cgroups is lib/cgroup_root.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proclens/cgroup.h"
#include "proclens/cleanup.h"
#include "proclens/trace.h"
#include "proclens/util.h"

/* One cgroup of one hierarchy, and while walking towards the root, the current level. */
struct level {
	const struct pl_cgroup *cg; /* for explain's trace */
	enum pl_controller ctrl;
	int fd; /* hierarchy dirfd */
	bool v2;
	bool self;  /* still at the cgroup itself, not an ancestor */
	size_t len; /* path[0..len) is the current level; 0 is the hierarchy root */
	char path[PATH_MAX];
};

static int level_open(const struct pl_cgroup *cg, enum pl_controller c, struct level *lv)
{
	const char *p;
	size_t len;

	if (!cg || !cg->root || (unsigned)c >= PL_CTRL_COUNT)
		return -EINVAL;
	lv->cg = cg;
	lv->ctrl = c;
	lv->fd = pl_cgroup_root_fd(cg->root, c);
	p = cg->path[c];
	if (lv->fd < 0 || !p) {
		/* explain names the controller the cgroup lacks. */
		pl_trace_cgroup_read(cg, c, "", 0, false, "", NULL, pl_controller_name(c), NULL, -ENOENT);
		return -ENOENT;
	}
	len = strlen(p);
	if (len >= sizeof(lv->path))
		return -ENAMETOOLONG;
	memcpy(lv->path, p, len + 1);
	lv->len = len;
	lv->v2 = cg->root->on_v2[c];
	lv->self = true;
	return 0;
}

/* Move to the parent level; false once past the hierarchy (mount) root. */
static bool level_up(struct level *lv)
{
	const char *slash;

	if (lv->len == 0)
		return false;
	slash = memrchr(lv->path, '/', lv->len);
	lv->len = slash ? (size_t)(slash - lv->path) : 0;
	lv->self = false;
	return true;
}

static int level_rel(const struct level *lv, const char *file, char *rel, size_t size)
{
	int n;

	if (lv->len == 0)
		n = snprintf(rel, size, "%s", file);
	else
		n = snprintf(rel, size, "%.*s/%s", (int)lv->len, lv->path, file);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* explain: what each control file stands for; v1 and v2 names of one quantity share it. */
static const struct {
	const char *file, *quantity;
} file_quantities[] = {
    {"memory.max", "memory limit"},
    {"memory.limit_in_bytes", "memory limit"},
    {"memory.current", "memory usage"},
    {"memory.usage_in_bytes", "memory usage"},
    {"memory.swap.max", "swap limit"},
    {"memory.memsw.limit_in_bytes", "memory+swap limit"},
    {"memory.swap.current", "swap usage"},
    {"memory.memsw.usage_in_bytes", "memory+swap usage"},
    {"cpu.max", "cpu quota"},
    {"cpu.cfs_quota_us", "cpu quota"},
    {"cpu.cfs_period_us", "cpu quota"},
    {"cpuset.cpus.effective", "cpuset"},
    {"cpuset.effective_cpus", "cpuset"},
    {"cpuset.cpus", "cpuset"},
    {"cpu.stat", "cpu usage"},
    {"cpuacct.stat", "cpu usage"},
    {"cpuacct.usage_user", "cpu usage"},
    {"cpuacct.usage_sys", "cpu usage"},
    {"cpuacct.usage_all", "cpu usage"},
    {"cpuacct.usage_percpu_user", "cpu usage"},
    {"cpuacct.usage_percpu_sys", "cpu usage"},
    {"pids.current", "pids"},
    {"pids.max", "pids limit"},
};

/* Record a read for explain (nothing when not tracing); returns the trace mark after it. */
static size_t trace_read(const struct level *lv, const char *file, const char *key, const char *quantity,
			 const char *raw, int err)
{
	if (!pl_tracing())
		return 0;
	for (size_t i = 0; !quantity && i < PL_ARRAY_SIZE(file_quantities); i++)
		if (strcmp(file_quantities[i].file, file) == 0)
			quantity = file_quantities[i].quantity;
	pl_trace_cgroup_read(lv->cg, lv->ctrl, lv->path, lv->len, !lv->self, file, key,
			     quantity ? quantity : file, raw, err);
	return pl_trace_mark();
}

/* A control file missing at the cgroup itself means one of two things: a file this kernel
 * or this cgroup does not have (v1 cpuset.effective_cpus before 4.17, v2 cpu.max where the
 * controller is not enabled), which callers answer from an ancestor or as "no limit"; or
 * a cgroup removed since the reader was placed in it, where either answer would be the
 * parent's or the host's numbers shown as the reader's. The second is -ESTALE, told by the
 * cgroup's directory being gone, and only asked on this rare path. */
static ssize_t level_missing(const struct level *lv, ssize_t n)
{
	struct stat st;

	/* At the cgroup itself path[len] is its terminating NUL; the root cannot go. */
	if (n != -ENOENT || !lv->self || lv->len == 0)
		return n;
	if (fstatat(lv->fd, lv->path, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return -ESTALE;
	return n;
}

static ssize_t level_read(const struct level *lv, const char *file, char *buf, size_t size)
{
	char rel[PATH_MAX];
	int k = level_rel(lv, file, rel, sizeof(rel));

	return k < 0 ? k : level_missing(lv, pl_read_file_at_buf(lv->fd, rel, buf, size));
}

static ssize_t level_read_alloc(const struct level *lv, const char *file, char **text)
{
	char rel[PATH_MAX];
	int k = level_rel(lv, file, rel, sizeof(rel));

	return k < 0 ? k : level_missing(lv, pl_read_file_at(lv->fd, rel, text));
}

static bool level_has(const struct level *lv, const char *file)
{
	char rel[PATH_MAX];
	struct stat st;

	if (level_rel(lv, file, rel, sizeof(rel)) < 0)
		return false;
	return fstatat(lv->fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A control file that is empty, junk or too long for a number is malformed: -EINVAL. */
static int level_read_value(const struct level *lv, const char *file, bool as_limit, uint64_t *out)
{
	char buf[64];
	ssize_t n = level_read(lv, file, buf, sizeof(buf));
	int k;

	if (n == -EFBIG)
		n = -EINVAL;
	if (n < 0) {
		trace_read(lv, file, NULL, NULL, NULL, (int)n);
		return (int)n;
	}
	k = as_limit ? pl_parse_limit(buf, out) : pl_parse_u64(buf, out);
	k = k == -ERANGE ? -EINVAL : k;
	trace_read(lv, file, NULL, NULL, buf, k < 0 ? k : 0);
	return k;
}

typedef int (*limit_hook)(const struct level *lv, uint64_t limit, void *arg);

/* Tightest limit in `file` from the cgroup up to the hierarchy root. A level without the
 * file sets no limit there (the v2 root has no memory.max or pids.max); at the cgroup
 * itself the file is required when `required`, since its absence means the controller is
 * not enabled for this cgroup. at_ancestor, when given, is called for each ancestor that
 * sets a limit, with that limit; its error ends the walk. */
static int walk_limits(const struct pl_cgroup *cg, enum pl_controller c, const char *file, bool required,
		       uint64_t *out, limit_hook at_ancestor, void *arg)
{
	struct level lv;
	uint64_t tightest = PL_UNLIMITED;
	int k = level_open(cg, c, &lv);

	if (k < 0)
		return k;
	do {
		size_t mark = pl_trace_mark();
		uint64_t v;

		k = level_read_value(&lv, file, true, &v);
		if (k == -ENOENT && !(lv.self && required))
			continue;
		if (k < 0)
			return k;
		if (v < tightest)
			pl_trace_effective(mark, pl_trace_mark());
		tightest = PL_MIN(tightest, v);
		if (at_ancestor && !lv.self && v != PL_UNLIMITED && (k = at_ancestor(&lv, v, arg)) < 0)
			return k;
	} while (level_up(&lv));
	*out = tightest;
	return 0;
}

static int walk_min_limit(const struct pl_cgroup *cg, enum pl_controller c, const char *file, bool required,
			  uint64_t *out)
{
	return walk_limits(cg, c, file, required, out, NULL, NULL);
}

static int self_value(const struct pl_cgroup *cg, enum pl_controller c, const char *file, uint64_t *out)
{
	struct level lv;
	int k = level_open(cg, c, &lv);

	return k < 0 ? k : level_read_value(&lv, file, false, out);
}

/* ---- memory ---- */

struct stat_key {
	const char *key;
	size_t offset; /* into struct pl_memory */
};

#define STAT_KEY(k, field)                                                                                   \
	{                                                                                                    \
		k, offsetof(struct pl_memory, stat.field)                                                    \
	}

/* v2 memory.stat names are our names. */
static const struct stat_key v2_stat_keys[] = {
    STAT_KEY("anon", anon),
    STAT_KEY("file", file),
    STAT_KEY("kernel_stack", kernel_stack),
    STAT_KEY("pagetables", pagetables),
    STAT_KEY("sec_pagetables", sec_pagetables),
    STAT_KEY("percpu", percpu),
    STAT_KEY("sock", sock),
    STAT_KEY("shmem", shmem),
    STAT_KEY("file_mapped", file_mapped),
    STAT_KEY("file_dirty", file_dirty),
    STAT_KEY("file_writeback", file_writeback),
    STAT_KEY("swapcached", swapcached),
    STAT_KEY("anon_thp", anon_thp),
    STAT_KEY("file_thp", file_thp),
    STAT_KEY("shmem_thp", shmem_thp),
    STAT_KEY("inactive_anon", inactive_anon),
    STAT_KEY("active_anon", active_anon),
    STAT_KEY("inactive_file", inactive_file),
    STAT_KEY("active_file", active_file),
    STAT_KEY("unevictable", unevictable),
    STAT_KEY("slab_reclaimable", slab_reclaimable),
    STAT_KEY("slab_unreclaimable", slab_unreclaimable),
    STAT_KEY("zswap", zswap),
    STAT_KEY("zswapped", zswapped),
};

/* v1: only the total_* keys cover the subtree; the plain keys are this cgroup alone. v1
 * has no kernel_stack, pagetables, slab, percpu, sock, file_thp, shmem_thp or zswap
 * counters: those stay PL_ABSENT rather than being estimated. */
static const struct stat_key v1_stat_keys[] = {
    STAT_KEY("total_cache", file),
    STAT_KEY("total_rss", anon),
    STAT_KEY("total_rss_huge", anon_thp),
    STAT_KEY("total_shmem", shmem),
    STAT_KEY("total_mapped_file", file_mapped),
    STAT_KEY("total_dirty", file_dirty),
    STAT_KEY("total_writeback", file_writeback),
    STAT_KEY("total_swapcached", swapcached),
    STAT_KEY("total_inactive_anon", inactive_anon),
    STAT_KEY("total_active_anon", active_anon),
    STAT_KEY("total_inactive_file", inactive_file),
    STAT_KEY("total_active_file", active_file),
    STAT_KEY("total_unevictable", unevictable),
    /* Swapped-out pages of the subtree; only present with swap accounting. */
    {"total_swap", offsetof(struct pl_memory, swap_usage_bytes)},
};

static const struct stat_key *stat_key_find(const struct stat_key *keys, size_t n, const char *key,
					    size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(keys[i].key) == klen && memcmp(keys[i].key, key, klen) == 0)
			return &keys[i];
	return NULL;
}

/* One pass over memory.stat, exact key match ("file" never takes "file_mapped"). Every
 * line must be "key value"; values are parsed only for keys we use. */
static int parse_memstat(const char *text, const struct stat_key *keys, size_t nkeys, struct pl_memory *m)
{
	bool any = false;

	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *sp = memchr(line, ' ', len);
		const struct stat_key *sk;

		if (len > 0) {
			char num[32];
			size_t vlen;

			if (!sp || sp == line)
				return -EINVAL;
			any = true;
			sk = stat_key_find(keys, nkeys, line, (size_t)(sp - line));
			vlen = (size_t)(line + len - sp - 1);
			if (sk) {
				if (vlen == 0 || vlen >= sizeof(num))
					return -EINVAL;
				memcpy(num, sp + 1, vlen);
				num[vlen] = '\0';
				if (pl_parse_u64(num, (uint64_t *)((char *)m + sk->offset)) < 0)
					return -EINVAL;
			}
		}
		line += len + (eol ? 1 : 0);
	}
	return any ? 0 : -EINVAL;
}

/* explain: every key used, under the v2 name of what it counts ("memory.stat file" for v1's
 * total_cache), so a view's rule names one quantity on both versions. */
static void trace_memstat(const struct level *lv, const char *text, const struct stat_key *keys, size_t nkeys,
			  int parse_err)
{
	if (parse_err < 0) {
		trace_read(lv, "memory.stat", NULL, "memory.stat", NULL, parse_err);
		return;
	}
	for (size_t i = 0; i < nkeys; i++) {
		char quantity[64], raw[32];
		uint64_t v;

		if (pl_kv_get_u64(text, keys[i].key, &v) < 0)
			continue;
		snprintf(quantity, sizeof(quantity), "swap usage");
		for (size_t j = 0; j < PL_ARRAY_SIZE(v2_stat_keys); j++)
			if (v2_stat_keys[j].offset == keys[i].offset)
				snprintf(quantity, sizeof(quantity), "memory.stat %s", v2_stat_keys[j].key);
		snprintf(raw, sizeof(raw), "%llu", (unsigned long long)v);
		trace_read(lv, "memory.stat", keys[i].key, quantity, raw, 0);
	}
}

static void memory_init_stat(struct pl_memory *m)
{
	uint64_t *f = (uint64_t *)&m->stat;

	/* struct pl_memstat is only uint64_t fields. */
	for (size_t i = 0; i < sizeof(m->stat) / sizeof(uint64_t); i++)
		f[i] = PL_ABSENT;
}

static int read_memstat_at(const struct level *lv, const struct stat_key *keys, size_t nkeys,
			   struct pl_memory *m)
{
	_cleanup_free_ char *text = NULL;
	ssize_t n;
	int k;

	n = level_read_alloc(lv, "memory.stat", &text);
	if (n < 0) {
		trace_read(lv, "memory.stat", NULL, NULL, NULL, (int)n);
		return (int)n;
	}
	k = parse_memstat(text, keys, nkeys, m);
	if (pl_tracing())
		trace_memstat(lv, text, keys, nkeys, k);
	return k;
}

static int read_memstat(const struct pl_cgroup *cg, const struct stat_key *keys, size_t nkeys,
			struct pl_memory *m)
{
	struct level lv;
	int k = level_open(cg, PL_CTRL_MEMORY, &lv);

	return k < 0 ? k : read_memstat_at(&lv, keys, nkeys, m);
}

/* What an ancestor with a limit can still reclaim for its subtree: the page cache (both
 * LRU lists) and reclaimable slab, as MemAvailable counts them for the cgroup itself. */
static const struct stat_key v2_reclaim_keys[] = {
    STAT_KEY("inactive_file", inactive_file),
    STAT_KEY("active_file", active_file),
    STAT_KEY("slab_reclaimable", slab_reclaimable),
};
static const struct stat_key v1_reclaim_keys[] = {
    STAT_KEY("total_inactive_file", inactive_file),
    STAT_KEY("total_active_file", active_file),
};

static uint64_t present(uint64_t v)
{
	return v == PL_ABSENT ? 0 : v;
}

struct headroom {
	const char *usage_file;
	const struct stat_key *reclaim_keys;
	size_t nreclaim;
	struct pl_memory *m;
};

/* An ancestor with a memory limit: what it leaves its subtree, with and without what it can
 * reclaim. Its usage and memory.stat are read only here, so the usual tree (limits on the
 * container alone) costs nothing more. */
static int ancestor_headroom(const struct level *lv, uint64_t limit, void *arg)
{
	struct headroom *h = arg;
	struct pl_memory at;
	uint64_t usage, free_bytes, avail_bytes;
	int k = level_read_value(lv, h->usage_file, false, &usage);

	if (k < 0)
		return k;
	memory_init_stat(&at);
	k = read_memstat_at(lv, h->reclaim_keys, h->nreclaim, &at);
	if (k < 0)
		return k;
	free_bytes = limit > usage ? limit - usage : 0;
	avail_bytes = free_bytes + present(at.stat.inactive_file) + present(at.stat.active_file) +
		      present(at.stat.slab_reclaimable);
	h->m->ancestor_free_bytes = PL_MIN(h->m->ancestor_free_bytes, free_bytes);
	h->m->ancestor_avail_bytes = PL_MIN(h->m->ancestor_avail_bytes, avail_bytes);
	return 0;
}

/* The tightest memory limit from the cgroup up, and the headroom under each ancestor that
 * sets one. v1 requires the limit file at the cgroup itself; v2's root has none. */
static int memory_walk(const struct pl_cgroup *cg, bool v2, const char *limit_file, const char *usage_file,
		       const struct stat_key *reclaim_keys, size_t nreclaim, struct pl_memory *m)
{
	struct headroom h = {usage_file, reclaim_keys, nreclaim, m};

	m->ancestor_free_bytes = m->ancestor_avail_bytes = PL_UNLIMITED;
	return walk_limits(cg, PL_CTRL_MEMORY, limit_file, !v2, &m->limit_bytes, ancestor_headroom, &h);
}

static int memory_v2(const struct pl_cgroup *cg, struct level *self, struct pl_memory *m)
{
	int k;

	/* memory.current is the file that tells us the controller is enabled here. */
	k = self_value(cg, PL_CTRL_MEMORY, "memory.current", &m->usage_bytes);
	if (k >= 0)
		k = memory_walk(cg, true, "memory.max", "memory.current", v2_reclaim_keys,
				PL_ARRAY_SIZE(v2_reclaim_keys), m);
	if (k >= 0)
		k = read_memstat(cg, v2_stat_keys, PL_ARRAY_SIZE(v2_stat_keys), m);
	if (k < 0 || !level_has(self, "memory.swap.max"))
		return k;
	/* v2 swap.max limits swap alone, unlike v1 memsw (memory + swap). */
	m->swap_accounting = true;
	k = walk_min_limit(cg, PL_CTRL_MEMORY, "memory.swap.max", true, &m->swap_limit_bytes);
	if (k >= 0)
		k = self_value(cg, PL_CTRL_MEMORY, "memory.swap.current", &m->swap_usage_bytes);
	return k;
}

/* explain: a v1 value computed from two files, recorded as what took effect. */
static void trace_derived(const struct pl_cgroup *cg, const char *quantity, const char *how, uint64_t value)
{
	struct level lv;
	char raw[32];

	if (level_open(cg, PL_CTRL_MEMORY, &lv) < 0)
		return;
	if (value == PL_UNLIMITED)
		snprintf(raw, sizeof(raw), "max");
	else
		snprintf(raw, sizeof(raw), "%llu", (unsigned long long)value);
	size_t mark = pl_trace_mark();
	size_t end = trace_read(&lv, how, NULL, quantity, raw, 0);
	pl_trace_effective(mark, end);
}

static int memory_v1_swap(const struct pl_cgroup *cg, struct pl_memory *m)
{
	uint64_t memsw_limit, memsw_usage;
	int k;

	k = walk_min_limit(cg, PL_CTRL_MEMORY, "memory.memsw.limit_in_bytes", true, &memsw_limit);
	if (k < 0)
		return k;
	/* memsw limits memory + swap together, so the swap a container may use is what memsw
	 * allows beyond the memory limit. */
	if (memsw_limit == PL_UNLIMITED)
		m->swap_limit_bytes = PL_UNLIMITED;
	else if (m->limit_bytes == PL_UNLIMITED || memsw_limit <= m->limit_bytes)
		m->swap_limit_bytes = 0;
	else
		m->swap_limit_bytes = memsw_limit - m->limit_bytes;
	if (pl_tracing())
		trace_derived(cg, "swap limit", "memory+swap limit - memory limit", m->swap_limit_bytes);
	/* total_swap (from memory.stat) is one consistent snapshot; subtracting two files read
	 * at different moments is the fallback for kernels without it. */
	if (m->swap_usage_bytes != PL_ABSENT)
		return 0;
	k = self_value(cg, PL_CTRL_MEMORY, "memory.memsw.usage_in_bytes", &memsw_usage);
	if (k < 0)
		return k;
	m->swap_usage_bytes = memsw_usage > m->usage_bytes ? memsw_usage - m->usage_bytes : 0;
	if (pl_tracing())
		trace_derived(cg, "swap usage", "memory+swap usage - memory usage", m->swap_usage_bytes);
	return 0;
}

static int memory_v1(const struct pl_cgroup *cg, struct level *self, struct pl_memory *m)
{
	bool has_swap = level_has(self, "memory.memsw.limit_in_bytes");
	int k;

	k = self_value(cg, PL_CTRL_MEMORY, "memory.usage_in_bytes", &m->usage_bytes);
	if (k >= 0)
		k = memory_walk(cg, false, "memory.limit_in_bytes", "memory.usage_in_bytes", v1_reclaim_keys,
				PL_ARRAY_SIZE(v1_reclaim_keys), m);
	if (k >= 0)
		k = read_memstat(cg, v1_stat_keys, PL_ARRAY_SIZE(v1_stat_keys), m);
	if (k < 0)
		return k;
	if (!has_swap) {
		/* total_swap without memsw files would be a stale leftover: ignore it. */
		m->swap_usage_bytes = PL_ABSENT;
		return 0;
	}
	m->swap_accounting = true;
	return memory_v1_swap(cg, m);
}

static void memory_init(struct pl_memory *m)
{
	memory_init_stat(m);
	m->ancestor_free_bytes = m->ancestor_avail_bytes = PL_UNLIMITED;
	m->limit_bytes = PL_UNLIMITED;
	m->usage_bytes = 0;
	m->swap_accounting = false;
	m->swap_limit_bytes = PL_ABSENT;
	m->swap_usage_bytes = PL_ABSENT;
}

int pl_cgroup_memory(const struct pl_cgroup *cg, struct pl_memory *m)
{
	struct level self;
	int k;

	memory_init(m);
	k = level_open(cg, PL_CTRL_MEMORY, &self);
	if (k < 0)
		return k;
	k = self.v2 ? memory_v2(cg, &self, m) : memory_v1(cg, &self, m);
	if (k < 0)
		memory_init(m);
	return k;
}

/* ---- cpu bandwidth and cpuset ---- */

/* v2 cpu.max: "max 100000" or "50000 100000". */
static int parse_cpu_max(const char *text, uint64_t *quota, uint64_t *period)
{
	char q[32];
	const char *sp = strchr(text, ' ');
	size_t qlen;

	if (!sp || sp == text)
		return -EINVAL;
	qlen = (size_t)(sp - text);
	if (qlen >= sizeof(q))
		return -EINVAL;
	memcpy(q, text, qlen);
	q[qlen] = '\0';
	if (pl_parse_limit(q, quota) < 0 || pl_parse_u64(sp + 1, period) < 0)
		return -EINVAL;
	return 0;
}

/* One level's bandwidth; -ENOENT when the level has none of the files. */
static int level_cpu_bandwidth(const struct level *lv, uint64_t *quota, uint64_t *period)
{
	char buf[64];
	ssize_t n;
	int k;

	if (!lv->v2) {
		k = level_read_value(lv, "cpu.cfs_quota_us", true, quota);
		if (k >= 0)
			k = level_read_value(lv, "cpu.cfs_period_us", false, period);
	} else {
		n = level_read(lv, "cpu.max", buf, sizeof(buf));
		k = n == -EFBIG ? -EINVAL : n < 0 ? (int)n : parse_cpu_max(buf, quota, period);
		trace_read(lv, "cpu.max", NULL, NULL, n >= 0 ? buf : NULL, k < 0 ? k : 0);
	}
	if (k >= 0 && *period == 0)
		k = -EINVAL;
	return k;
}

/* quota_a/period_a < quota_b/period_b without dividing; 128 bits so it cannot overflow. */
static bool ratio_less(uint64_t qa, uint64_t pa, uint64_t qb, uint64_t pb)
{
	return (unsigned __int128)qa * pb < (unsigned __int128)qb * pa;
}

static int cpu_bandwidth(const struct pl_cgroup *cg, struct pl_cpu_limits *l)
{
	struct level lv;
	int k = level_open(cg, PL_CTRL_CPU, &lv);

	if (k < 0)
		return k;
	do {
		size_t mark = pl_trace_mark();
		uint64_t quota, period;

		k = level_cpu_bandwidth(&lv, &quota, &period);
		/* v2: no cpu.max where the cpu controller is not enabled (and at the root).
		 * v1: every cgroup has cfs files but on a kernel without CFS bandwidth control,
		 * where missing ones at the cgroup itself mean no bandwidth limit at all (a
		 * cgroup that is gone is -ESTALE, level_missing). */
		if (k == -ENOENT && (lv.v2 || !lv.self))
			continue;
		if (k < 0)
			return k;
		if (quota == PL_UNLIMITED)
			continue;
		if (l->quota_usec == PL_UNLIMITED ||
		    ratio_less(quota, period, l->quota_usec, l->period_usec)) {
			l->quota_usec = quota;
			l->period_usec = period;
			pl_trace_effective(mark, pl_trace_mark());
		}
	} while (level_up(&lv));
	return 0;
}

/* Nearest level with a non-empty effective cpuset. v1 shows an empty set in a cgroup whose
 * cpuset.cpus was never written (no task can be attached there until it is), so such a
 * level defers to its parent like v2 does by itself. */
static int cpu_cpuset(const struct pl_cgroup *cg, struct pl_cpu_limits *l)
{
	static const char *const v1_files[] = {"cpuset.effective_cpus", "cpuset.cpus"};
	static const char *const v2_files[] = {"cpuset.cpus.effective"};
	struct level lv;
	bool saw_empty = false;
	int k = level_open(cg, PL_CTRL_CPUSET, &lv);

	if (k < 0)
		return k;
	do {
		const char *const *files = lv.v2 ? v2_files : v1_files;
		size_t nfiles = lv.v2 ? PL_ARRAY_SIZE(v2_files) : PL_ARRAY_SIZE(v1_files);

		for (size_t i = 0; i < nfiles; i++) {
			_cleanup_free_ char *text = NULL;
			size_t mark = pl_trace_mark();
			ssize_t n = level_read_alloc(&lv, files[i], &text);

			k = n < 0 ? (int)n : pl_cpuset_parse(text, &l->cpus);
			trace_read(&lv, files[i], NULL, NULL, n >= 0 ? text : NULL, k < 0 ? k : 0);
			/* Old v1 kernels have no effective_cpus; v2 has no cpuset.cpus.effective
			 * where cpuset is not enabled. A cgroup gone is -ESTALE, not this. */
			if (n == -ENOENT)
				continue;
			if (n < 0)
				return (int)n;
			if (k < 0)
				return -EINVAL;
			if (pl_cpuset_count(&l->cpus) > 0) {
				l->has_cpuset = true;
				pl_trace_effective(mark, pl_trace_mark());
				return 0;
			}
			saw_empty = true;
			break;
		}
	} while (level_up(&lv));
	pl_cpuset_zero(&l->cpus);
	/* Even the hierarchy root had an empty set: that is not a state the kernel shows. */
	return saw_empty ? -EINVAL : 0;
}

int pl_cgroup_cpu_limits(const struct pl_cgroup *cg, struct pl_cpu_limits *l)
{
	int k_bw, k_set;

	l->quota_usec = PL_UNLIMITED;
	l->period_usec = 0;
	l->has_cpuset = false;
	pl_cpuset_zero(&l->cpus);
	k_bw = cpu_bandwidth(cg, l);
	if (k_bw < 0 && k_bw != -ENOENT)
		return k_bw;
	k_set = cpu_cpuset(cg, l);
	if (k_set < 0 && k_set != -ENOENT)
		return k_set;
	/* Without a cpu controller there is no bandwidth limit, which is an answer; without
	 * either controller we know nothing about this cgroup's CPUs. A cgroup of either
	 * that is gone returned -ESTALE above: its limits are not "none". */
	if (k_bw == -ENOENT && k_set == -ENOENT)
		return -ENOENT;
	if (k_bw == -ENOENT) {
		l->quota_usec = PL_UNLIMITED;
		l->period_usec = 0;
	}
	return 0;
}

/* ---- cpu usage ---- */

static uint64_t ticks_to_ns(uint64_t ticks)
{
	unsigned __int128 ns = (unsigned __int128)ticks * 1000000000u / (uint64_t)pl_clk_tck();

	return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

/* Missing keys in a file the kernel wrote are a malformed file, not a missing controller. */
static int kv_required(const char *text, const char *key, uint64_t *out)
{
	int k = pl_kv_get_u64(text, key, out);

	return k == -ENOENT || k == -ERANGE ? -EINVAL : k;
}

static int cpu_usage_v1(const struct level *lv, uint64_t *user_ns, uint64_t *system_ns)
{
	_cleanup_free_ char *text = NULL;
	uint64_t user_ticks, system_ticks;
	ssize_t n;
	int k;

	k = level_read_value(lv, "cpuacct.usage_user", false, user_ns);
	if (k >= 0)
		k = level_read_value(lv, "cpuacct.usage_sys", false, system_ns);
	if (k != -ENOENT)
		return k;
	/* Kernels before 4.7 have only cpuacct.stat, in USER_HZ ticks. */
	n = level_read_alloc(lv, "cpuacct.stat", &text);
	trace_read(lv, "cpuacct.stat", NULL, NULL, text, n < 0 ? (int)n : 0);
	if (n < 0)
		return (int)n;
	k = kv_required(text, "user", &user_ticks);
	if (k >= 0)
		k = kv_required(text, "system", &system_ticks);
	if (k < 0)
		return k;
	*user_ns = ticks_to_ns(user_ticks);
	*system_ns = ticks_to_ns(system_ticks);
	return 0;
}

static int cpu_usage_v2(const struct level *lv, uint64_t *user_ns, uint64_t *system_ns)
{
	_cleanup_free_ char *text = NULL;
	uint64_t user_usec, system_usec;
	ssize_t n = level_read_alloc(lv, "cpu.stat", &text);
	int k;

	trace_read(lv, "cpu.stat", NULL, NULL, text, n < 0 ? (int)n : 0);
	if (n < 0)
		return (int)n;
	k = kv_required(text, "user_usec", &user_usec);
	if (k >= 0)
		k = kv_required(text, "system_usec", &system_usec);
	if (k < 0)
		return k;
	*user_ns = user_usec * 1000;
	*system_ns = system_usec * 1000;
	return 0;
}

int pl_cgroup_cpu_usage(const struct pl_cgroup *cg, uint64_t *user_ns, uint64_t *system_ns)
{
	struct level lv;
	uint64_t user = 0, system = 0;
	int k = level_open(cg, PL_CTRL_CPUACCT, &lv);

	if (k < 0)
		return k;
	k = lv.v2 ? cpu_usage_v2(&lv, &user, &system) : cpu_usage_v1(&lv, &user, &system);
	if (k < 0)
		return k;
	*user_ns = user;
	*system_ns = system;
	return 0;
}

/* Next unsigned number on the line; -EINVAL when there is none. */
static int next_u64(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

static bool only_blanks(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return false;
	return true;
}

/* cpuacct.usage_all: "cpu user system" then "N user_ns system_ns" per possible CPU. */
static int parse_usage_all(const char *text, uint64_t *user_ns, uint64_t *system_ns, unsigned ncpu)
{
	const char *line = text;
	bool header = true;

	while (*line) {
		const char *eol = strchr(line, '\n');
		const char *end = eol ? eol : line + strlen(line);
		const char *p = line;
		uint64_t cpu, user, system;

		if (header) {
			if (strncmp(line, "cpu user system", 15) != 0 || !only_blanks(line + 15, end))
				return -EINVAL;
			header = false;
		} else if (end > line) {
			if (next_u64(&p, end, &cpu) < 0 || next_u64(&p, end, &user) < 0 ||
			    next_u64(&p, end, &system) < 0 || !only_blanks(p, end))
				return -EINVAL;
			if (cpu < ncpu) {
				user_ns[cpu] = user;
				system_ns[cpu] = system;
			}
		}
		line = eol ? eol + 1 : end;
	}
	return header ? -EINVAL : 0;
}

/* cpuacct.usage_percpu_{user,sys}: one line of values, index = cpu number. */
static int parse_percpu_list(const char *text, uint64_t *ns, unsigned ncpu)
{
	const char *p = text, *end = text + strlen(text);
	unsigned cpu = 0;

	for (;;) {
		uint64_t v;

		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p == end)
			break;
		if (next_u64(&p, end, &v) < 0)
			return -EINVAL;
		if (cpu < ncpu)
			ns[cpu] = v;
		cpu++;
	}
	return cpu > 0 ? 0 : -EINVAL;
}

static int percpu_v1_split(const struct level *lv, uint64_t *user_ns, uint64_t *system_ns, unsigned ncpu)
{
	_cleanup_free_ char *user_text = NULL, *sys_text = NULL;
	ssize_t n;
	int k;

	n = level_read_alloc(lv, "cpuacct.usage_percpu_user", &user_text);
	trace_read(lv, "cpuacct.usage_percpu_user", NULL, NULL, user_text, n < 0 ? (int)n : 0);
	if (n >= 0) {
		n = level_read_alloc(lv, "cpuacct.usage_percpu_sys", &sys_text);
		trace_read(lv, "cpuacct.usage_percpu_sys", NULL, NULL, sys_text, n < 0 ? (int)n : 0);
	}
	if (n < 0)
		return (int)n;
	k = parse_percpu_list(user_text, user_ns, ncpu);
	return k < 0 ? k : parse_percpu_list(sys_text, system_ns, ncpu);
}

int pl_cgroup_cpu_usage_percpu(const struct pl_cgroup *cg, uint64_t *user_ns, uint64_t *system_ns,
			       unsigned ncpu)
{
	_cleanup_free_ char *text = NULL;
	struct level lv;
	ssize_t n;
	int k;

	/* Zeroed first so no error path leaves a caller's stale numbers looking valid. */
	memset(user_ns, 0, ncpu * sizeof(*user_ns));
	memset(system_ns, 0, ncpu * sizeof(*system_ns));
	k = level_open(cg, PL_CTRL_CPUACCT, &lv);
	if (k < 0)
		return k;
	/* v2's cpu.stat is per cgroup only; per-CPU time exists nowhere in cgroupfs. */
	if (lv.v2)
		return -EOPNOTSUPP;
	n = level_read_alloc(&lv, "cpuacct.usage_all", &text);
	if (n != -ENOENT) /* its absence is not a failure: the split files follow */
		trace_read(&lv, "cpuacct.usage_all", NULL, NULL, text, n < 0 ? (int)n : 0);
	if (n == -ENOENT)
		k = percpu_v1_split(&lv, user_ns, system_ns, ncpu);
	else
		k = n < 0 ? (int)n : parse_usage_all(text, user_ns, system_ns, ncpu);
	if (k < 0) {
		memset(user_ns, 0, ncpu * sizeof(*user_ns));
		memset(system_ns, 0, ncpu * sizeof(*system_ns));
	}
	return k;
}

/* ---- tasks and pids ---- */

int pl_cgroup_pids(const struct pl_cgroup *cg, uint64_t *current, uint64_t *limit)
{
	uint64_t cur, max;
	/* The hierarchy root has neither file: it cannot be limited. */
	int k = self_value(cg, PL_CTRL_PIDS, "pids.current", &cur);

	if (k >= 0)
		k = walk_min_limit(cg, PL_CTRL_PIDS, "pids.max", false, &max);
	if (k < 0)
		return k;
	*current = cur;
	*limit = max;
	return 0;
}
