/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/meminfo for a container: every line the host's file has, in its order and format,
 * each value the container's own. free(1), top and the JVM read MemTotal/MemAvailable;
 * anything with a host-wide value must not leak it.
 *
 *   line                      value                                   why
 *   MemTotal                  min(host, memory limit)
 *   MemFree                   MemTotal - usage, >= 0                  usage may pass the limit
 *                             and <= every limited ancestor's         a pod's limit is shared
 *                             limit - usage                           with its other containers
 *   MemAvailable              MemFree + active_file + inactive_file   the reclaimable part,
 *                             + slab_reclaimable, <= MemTotal         as the kernel estimates
 *                             and <= every limited ancestor's
 *                             limit - usage + its reclaimable part
 *   Buffers                   0                                       no cgroup counterpart
 *   Cached                    file - swapcached                       kernel: file pages minus
 *                                                                     swap cache (incl. Shmem)
 *   SwapCached, Active*, Inactive*, Unevictable, Dirty (file_dirty), Writeback, AnonPages (anon),
 *   Mapped (file_mapped), Shmem, KReclaimable = SReclaimable, SUnreclaim, Slab (sum),
 *   KernelStack, PageTables, SecPageTables, Percpu, AnonHugePages (anon_thp),
 *   ShmemHugePages (shmem_thp), FileHugePages (file_thp), Zswap, Zswapped
 *                             memory.stat, 0 where the version lacks the counter
 *   Mlocked                   0                                       no cgroup counter; the
 *                                                                     unevictable one is wider
 *   SwapTotal                 min(host, swap limit); 0 without swap accounting
 *   SwapFree                  SwapTotal - swap usage, >= 0
 *   CommitLimit               MemTotal * 50% + SwapTotal              the kernel's formula with
 *                                                                     the default overcommit_ratio
 *   Committed_AS              anon + shmem + swap usage               what the container has
 *                                                                     committed and touched; a
 *                                                                     lower bound of the truth,
 *                                                                     never the host's figure
 *   VmallocTotal, Hugepagesize  the host's                            kernel constants
 *   everything else           0                                       host-wide counters
 *     (VmallocUsed, VmallocChunk, HugePages_*, Hugetlb, DirectMap*, HardwareCorrupted, Bounce,
 *      NFS_Unstable, WritebackTmp, ShmemPmdMapped, FilePmdMapped, Cma*, Balloon, Unaccepted,
 *      and lines of future kernels we do not know)
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/trace.h"
#include "proclens/view.h"

static uint64_t kb(uint64_t bytes)
{
	return bytes == PL_ABSENT ? 0 : bytes / 1024;
}

/* A byte count where PL_UNLIMITED means none (PL_UNLIMITED is PL_ABSENT). */
static uint64_t kb_limit(uint64_t bytes)
{
	return bytes == PL_UNLIMITED ? UINT64_MAX : bytes / 1024;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

struct kv {
	const char *key;
	uint64_t value_kb;
	const char *rule; /* for explain: how, and from which quantities (trace.h) */
	const char *uses;
};

/* Host lines kept as they are: constants of the running kernel, not usage. */
static const char *const host_constants[] = {"VmallocTotal", "Hugepagesize"};

static void trace_value_kb(char *buf, size_t size, uint64_t bytes)
{
	if (bytes == PL_UNLIMITED)
		snprintf(buf, size, "max");
	else
		snprintf(buf, size, "%llu kB", (unsigned long long)kb(bytes));
}

static void trace_swap(uint64_t host_swap_kb, const struct pl_memory *mem, uint64_t total_kb,
		       uint64_t free_kb)
{
	char total[32], free_[32], limit[32];

	snprintf(total, sizeof(total), "%llu kB", (unsigned long long)total_kb);
	snprintf(free_, sizeof(free_), "%llu kB", (unsigned long long)free_kb);
	trace_value_kb(limit, sizeof(limit), mem->swap_limit_bytes);
	pl_trace_field("SwapTotal", total, "swap limit;memory+swap limit;memory limit",
		       "min(the host's SwapTotal %llu kB, swap limit %s)", (unsigned long long)host_swap_kb,
		       limit);
	pl_trace_field("SwapFree", free_, "swap usage;memory+swap usage;memory usage",
		       "SwapTotal %llu kB - swap usage %llu kB, >= 0", (unsigned long long)total_kb,
		       (unsigned long long)kb(mem->swap_usage_bytes));
}

void pl_meminfo_swap_kb(const struct pl_meminfo *host, const struct pl_memory *mem, uint64_t *total_kb,
			uint64_t *free_kb)
{
	uint64_t host_swap_kb = 0;

	*total_kb = *free_kb = 0;
	/* Without swap accounting we cannot tell what the container may swap or has
	 * swapped: report no swap rather than the host's. */
	if (!mem->swap_accounting) {
		if (pl_tracing()) {
			pl_trace_field(
			    "SwapTotal", "0 kB", NULL,
			    "0: no swap accounting for this cgroup (no swap limit or usage files), so "
			    "no swap is shown rather than the host's");
			pl_trace_field("SwapFree", "0 kB", NULL, "0: no swap accounting (see SwapTotal)");
		}
		return;
	}
	if (pl_meminfo_get(host, "SwapTotal", &host_swap_kb) < 0)
		return;
	*total_kb = mem->swap_limit_bytes == PL_UNLIMITED ? host_swap_kb
							  : PL_MIN(host_swap_kb, kb(mem->swap_limit_bytes));
	*free_kb = sub0(*total_kb, kb(mem->swap_usage_bytes));
	if (pl_tracing())
		trace_swap(host_swap_kb, mem, *total_kb, *free_kb);
}

static void trace_line(const struct pl_meminfo_line *l, const struct kv *values, size_t n_values)
{
	char value[48];

	snprintf(value, sizeof(value), "%llu%s", (unsigned long long)l->value, l->has_kb ? " kB" : "");
	for (size_t k = 0; k < n_values; k++)
		if (strcmp(l->key, values[k].key) == 0) {
			pl_trace_field(l->key, value, values[k].uses, "%s", values[k].rule);
			return;
		}
	for (size_t k = 0; k < PL_ARRAY_SIZE(host_constants); k++)
		if (strcmp(l->key, host_constants[k]) == 0) {
			pl_trace_field(l->key, value, NULL,
				       "the host's value: a constant of the running kernel");
			return;
		}
	pl_trace_field(l->key, value, NULL, "0: a host-wide counter with no per-cgroup counterpart");
}

/* Each host line gets the container's value, the host's own for kernel constants, else 0. */
static void map_lines(const struct pl_meminfo *host, const struct kv *values, size_t n_values,
		      struct pl_meminfo *out)
{
	out->n = host->n;
	for (unsigned i = 0; i < host->n; i++) {
		const struct pl_meminfo_line *hl = &host->line[i];
		struct pl_meminfo_line *ol = &out->line[i];

		*ol = *hl;
		ol->value = 0;
		for (size_t k = 0; k < n_values; k++)
			if (strcmp(hl->key, values[k].key) == 0) {
				ol->value = values[k].value_kb;
				break;
			}
		for (size_t k = 0; k < PL_ARRAY_SIZE(host_constants); k++)
			if (strcmp(hl->key, host_constants[k]) == 0)
				ol->value = hl->value;
		if (pl_tracing())
			trace_line(ol, values, n_values);
	}
}

/* explain: the three lines people ask about, with the numbers they were computed from. */
static void trace_main_lines(uint64_t host_total_kb, const struct pl_memory *mem, uint64_t total_kb,
			     uint64_t free_kb, uint64_t avail_kb)
{
	char value[32], limit[32];

	snprintf(value, sizeof(value), "%llu kB", (unsigned long long)total_kb);
	trace_value_kb(limit, sizeof(limit), mem->limit_bytes);
	if (mem->limit_bytes == PL_UNLIMITED)
		pl_trace_field("MemTotal", value, "memory limit",
			       "the host's MemTotal %llu kB: no level of the cgroup sets a memory limit",
			       (unsigned long long)host_total_kb);
	else if (kb(mem->limit_bytes) < host_total_kb)
		pl_trace_field("MemTotal", value, "memory limit",
			       "the memory limit %s (%llu bytes), tighter than the host's MemTotal %llu kB",
			       limit, (unsigned long long)mem->limit_bytes,
			       (unsigned long long)host_total_kb);
	else
		pl_trace_field("MemTotal", value, "memory limit",
			       "the host's MemTotal %llu kB, tighter than the memory limit %s",
			       (unsigned long long)host_total_kb, limit);
	snprintf(value, sizeof(value), "%llu kB", (unsigned long long)free_kb);
	if (free_kb < sub0(total_kb, kb(mem->usage_bytes)))
		pl_trace_field("MemFree", value, "memory limit;memory usage",
			       "what an ancestor's memory limit leaves (its limit - its usage, which counts "
			       "the siblings' too), less than MemTotal %llu kB - memory usage %llu kB",
			       (unsigned long long)total_kb, (unsigned long long)kb(mem->usage_bytes));
	else
		pl_trace_field("MemFree", value, "memory usage", "MemTotal %llu kB - memory usage %llu kB, >= 0",
			       (unsigned long long)total_kb, (unsigned long long)kb(mem->usage_bytes));
	snprintf(value, sizeof(value), "%llu kB", (unsigned long long)avail_kb);
	if (avail_kb == kb_limit(mem->ancestor_avail_bytes))
		pl_trace_field("MemAvailable", value,
			       "memory limit;memory usage;memory.stat active_file;memory.stat "
			       "inactive_file;memory.stat slab_reclaimable",
			       "what an ancestor's memory limit leaves, with the page cache and reclaimable "
			       "slab under it (its limit - its usage + its active_file, inactive_file and "
			       "slab_reclaimable): less than the container's own MemFree + reclaimable");
	pl_trace_field(
	    "MemAvailable", value,
	    "memory.stat active_file;memory.stat inactive_file;memory.stat slab_reclaimable",
	    "MemFree %llu kB + active_file %llu kB + inactive_file %llu kB + slab_reclaimable %llu kB, "
	    "at most MemTotal",
	    (unsigned long long)free_kb, (unsigned long long)kb(mem->stat.active_file),
	    (unsigned long long)kb(mem->stat.inactive_file),
	    (unsigned long long)kb(mem->stat.slab_reclaimable));
}

int pl_meminfo_compute(const struct pl_meminfo *host, const struct pl_memory *mem, struct pl_meminfo *out)
{
	const struct pl_memstat *st = &mem->stat;
	uint64_t host_total_kb, total_kb, free_kb, avail_kb, swap_total_kb, swap_free_kb;
	int r = pl_meminfo_get(host, "MemTotal", &host_total_kb);

	if (r < 0)
		return -EINVAL;
	total_kb =
	    mem->limit_bytes == PL_UNLIMITED ? host_total_kb : PL_MIN(host_total_kb, kb(mem->limit_bytes));
	free_kb = sub0(total_kb, kb(mem->usage_bytes));
	avail_kb = free_kb + kb(st->active_file) + kb(st->inactive_file) + kb(st->slab_reclaimable);
	/* An ancestor's limit, shared with the container's siblings, may leave less. */
	free_kb = PL_MIN(free_kb, kb_limit(mem->ancestor_free_bytes));
	avail_kb = PL_MIN(avail_kb, kb_limit(mem->ancestor_avail_bytes));
	avail_kb = PL_MIN(avail_kb, total_kb);
	pl_meminfo_swap_kb(host, mem, &swap_total_kb, &swap_free_kb);
	if (pl_tracing())
		trace_main_lines(host_total_kb, mem, total_kb, free_kb, avail_kb);

	const struct kv values[] = {
	    {"MemTotal", total_kb, "min(the host's MemTotal, memory limit)", "memory limit"},
	    {"MemFree", free_kb, "MemTotal - memory usage, >= 0", "memory usage"},
	    {"MemAvailable", avail_kb,
	     "MemFree + active_file + inactive_file + slab_reclaimable, <= MemTotal",
	     "memory.stat active_file;memory.stat inactive_file;memory.stat slab_reclaimable"},
	    {"Buffers", 0, "0: no cgroup counterpart", NULL},
	    {"Cached", sub0(kb(st->file), kb(st->swapcached)), "file - swapcached, >= 0",
	     "memory.stat file;memory.stat swapcached"},
	    {"SwapCached", kb(st->swapcached), "swapcached", "memory.stat swapcached"},
	    {"Active", kb(st->active_anon) + kb(st->active_file), "active_anon + active_file",
	     "memory.stat active_anon;memory.stat active_file"},
	    {"Inactive", kb(st->inactive_anon) + kb(st->inactive_file), "inactive_anon + inactive_file",
	     "memory.stat inactive_anon;memory.stat inactive_file"},
	    {"Active(anon)", kb(st->active_anon), "active_anon", "memory.stat active_anon"},
	    {"Inactive(anon)", kb(st->inactive_anon), "inactive_anon", "memory.stat inactive_anon"},
	    {"Active(file)", kb(st->active_file), "active_file", "memory.stat active_file"},
	    {"Inactive(file)", kb(st->inactive_file), "inactive_file", "memory.stat inactive_file"},
	    {"Unevictable", kb(st->unevictable), "unevictable", "memory.stat unevictable"},
	    {"Mlocked", 0, "0: no cgroup counter (unevictable is wider)", NULL},
	    {"SwapTotal", swap_total_kb, "", NULL},
	    {"SwapFree", swap_free_kb, "", NULL},
	    {"Zswap", kb(st->zswap), "zswap", "memory.stat zswap"},
	    {"Zswapped", kb(st->zswapped), "zswapped", "memory.stat zswapped"},
	    {"Dirty", kb(st->file_dirty), "file_dirty", "memory.stat file_dirty"},
	    {"Writeback", kb(st->file_writeback), "file_writeback", "memory.stat file_writeback"},
	    {"AnonPages", kb(st->anon), "anon", "memory.stat anon"},
	    {"Mapped", kb(st->file_mapped), "file_mapped", "memory.stat file_mapped"},
	    {"Shmem", kb(st->shmem), "shmem", "memory.stat shmem"},
	    {"KReclaimable", kb(st->slab_reclaimable), "slab_reclaimable", "memory.stat slab_reclaimable"},
	    {"Slab", kb(st->slab_reclaimable) + kb(st->slab_unreclaimable),
	     "slab_reclaimable + slab_unreclaimable",
	     "memory.stat slab_reclaimable;memory.stat slab_unreclaimable"},
	    {"SReclaimable", kb(st->slab_reclaimable), "slab_reclaimable", "memory.stat slab_reclaimable"},
	    {"SUnreclaim", kb(st->slab_unreclaimable), "slab_unreclaimable",
	     "memory.stat slab_unreclaimable"},
	    {"KernelStack", kb(st->kernel_stack), "kernel_stack", "memory.stat kernel_stack"},
	    {"PageTables", kb(st->pagetables), "pagetables", "memory.stat pagetables"},
	    {"SecPageTables", kb(st->sec_pagetables), "sec_pagetables", "memory.stat sec_pagetables"},
	    {"CommitLimit", total_kb / 2 + swap_total_kb,
	     "MemTotal / 2 + SwapTotal (the kernel's formula with overcommit_ratio 50)", NULL},
	    {"Committed_AS",
	     kb(st->anon) + kb(st->shmem) + (mem->swap_accounting ? kb(mem->swap_usage_bytes) : 0),
	     "anon + shmem + swap usage (a lower bound of what is committed)",
	     "memory.stat anon;memory.stat shmem;swap usage"},
	    {"Percpu", kb(st->percpu), "percpu", "memory.stat percpu"},
	    {"AnonHugePages", kb(st->anon_thp), "anon_thp", "memory.stat anon_thp"},
	    {"ShmemHugePages", kb(st->shmem_thp), "shmem_thp", "memory.stat shmem_thp"},
	    {"FileHugePages", kb(st->file_thp), "file_thp", "memory.stat file_thp"},
	};

	map_lines(host, values, PL_ARRAY_SIZE(values), out);
	return 0;
}

void pl_meminfo_format(const struct pl_meminfo *mi, struct pl_buf *out)
{
	for (unsigned i = 0; i < mi->n; i++) {
		const struct pl_meminfo_line *l = &mi->line[i];
		char key[sizeof(l->key) + 1];
		int key_len = snprintf(key, sizeof(key), "%s:", l->key);
		/* The kernel pads "Key:" to 16 columns and the value to 8 (show_val_kb, and
		 * the HugePages_ lines by hand); the one longer key, HardwareCorrupted, is
		 * printed "Key: %5lu". Either way the value ends at column 24. */
		int prefix = key_len <= 16 ? 16 : key_len + 1;
		int width = prefix < 24 ? 24 - prefix : 1;

		pl_buf_printf(out, "%-*s%*llu%s\n", prefix, key, width, (unsigned long long)l->value,
			      l->has_kb ? " kB" : "");
	}
}

int pl_meminfo_render(const void *state, struct pl_buf *out)
{
	const struct pl_meminfo_state *st = state;
	_cleanup_free_ struct pl_meminfo *mi = NULL;
	int r;

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	mi = malloc(sizeof(*mi));
	if (!mi)
		return -ENOMEM;
	r = pl_meminfo_compute(&st->host, &st->mem, mi);
	if (r < 0)
		return r;
	pl_meminfo_format(mi, out);
	return pl_buf_error(out);
}

int pl_meminfo_collect(const struct pl_source *src, void *state)
{
	struct pl_meminfo_state *st = state;
	ssize_t n;
	int r;

	if (pl_cgroup_is_root_of(src->cg, PL_CTRL_BIT(PL_CTRL_MEMORY))) {
		pl_trace_passthrough(src->cg, PL_CTRL_BIT(PL_CTRL_MEMORY), "/proc/meminfo");
		n = pl_host_read_proc(src->host, "meminfo", &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	r = pl_host_meminfo(src->host, &st->host);
	if (r < 0)
		return r;
	return pl_cgroup_memory(src->cg, &st->mem);
}

void pl_meminfo_destroy(void *state)
{
	struct pl_meminfo_state *st = state;

	free(st->passthrough);
	st->passthrough = NULL;
}
