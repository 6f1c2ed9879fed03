/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The synthesized files. Each is three layers: collect (cgroup and host values into a
 * struct), render (struct -> text, pure), serve (the transport, elsewhere). One static table
 * lists them: lookup, getattr, readdir, open and read all consult it.
 * Adding a file = a table entry + a collect and a render function. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "proclens/cgroup.h"
#include "proclens/host.h"
#include "proclens/util.h"

struct pl_view_opts {
	/* Reduce the CPU count to ceil(quota/period), as container-aware runtimes do. */
	bool cpu_count_from_quota;
};

/* What a container's cpu view remembers between reads so /proc/stat counters never go
 * backwards (top takes differences). Owned by whoever owns the container (the daemon's
 * container cache); NULL means "no history" (a one-shot render). Callers serialize access. */
struct pl_cpu_history {
	unsigned ncpu;          /* visible CPUs when last rendered */
	uint64_t cpus_key;      /* which ones (cpuview.c); with ncpu, a change rebases (below) */
	uint64_t init_start_ns; /* the container start it belongs to; a change resets history */
	uint64_t *user_ns;      /* last values emitted, per visible cpu */
	uint64_t *system_ns;
	uint64_t *idle_ns;
	/* The CPUs' capacity (cpuview.h) given since the container's init started, added up
	 * render by render at the rate of each (a quota changed rates only the time after
	 * it), and when it was last added to (CLOCK_BOOTTIME; 0: never, counted from the
	 * container's start at the next render). */
	uint64_t capacity_ns;
	uint64_t capacity_at_ns;
	/* Added to the cgroup's user, system and the idle target (spread over the CPUs) so that
	 * the totals shown when the visible CPUs last changed carry on, never lower. */
	int64_t base_ns[3];
};
void pl_cpu_history_free(struct pl_cpu_history *h);

/* proc/loadavg's memory: the kernel's three exponentially damped averages of runnable plus
 * uninterruptible tasks, for one container, advanced every 5 s (lib/loadavg.c).
 *
 * The daemon keeps one per container next to its pl_cpu_history: embed it and zero it
 * (`= {0}` or calloc); it owns nothing, so there is nothing to free. A sampler thread calls
 * pl_loadavg_sample every PL_LOADAVG_INTERVAL_NS for the containers read recently; the
 * loadavg view also advances it when it renders, so missed samples are caught up, never
 * counted twice. Not thread-safe: the daemon serializes every access to one container's
 * struct (sampler and renders), as it does for pl_cpu_history. */
#define PL_LOADAVG_FSHIFT 11 /* fraction bits of the fixed-point averages */
#define PL_LOADAVG_FIXED_1 (UINT64_C(1) << PL_LOADAVG_FSHIFT)
#define PL_LOADAVG_INTERVAL_NS (UINT64_C(5) * 1000000000) /* the kernel's LOAD_FREQ */
struct pl_loadavg {
	uint64_t avg_fixed[3];   /* 1, 5 and 15 minutes; PL_LOADAVG_FIXED_1 is 1.00 */
	uint64_t last_sample_ns; /* CLOCK_BOOTTIME of the last 5 s boundary applied */
	bool sampled;            /* false: never sampled, the averages are the zero of boot */
};

struct pl_source {
	const struct pl_host *host;
	const struct pl_cgroup *cg;
	const struct pl_view_opts *opts;
	uint64_t now_ns;        /* CLOCK_BOOTTIME when collecting */
	uint64_t init_start_ns; /* CLOCK_BOOTTIME at which the container's init started */
	/* CLOCK_BOOTTIME in the container's time namespace minus ours, 0 without one: a
	 * launcher that starts the container's boot clock with it (proclens run does) makes
	 * the kernel count its processes' starttime from there, so uptime and btime must too. */
	int64_t boottime_offset_ns;
	struct pl_cpu_history *cpu_history; /* may be NULL */
	struct pl_loadavg *loadavg;         /* may be NULL: see the loadavg view */
	/* The container's init in our pid namespace, 0 when unknown: its pid namespace is the
	 * one proc/loadavg's last-pid field speaks of. Checked against init_start_ns (when
	 * set) so a recycled pid is not believed. */
	pid_t init_pid;
	/* The thread whose open or read this render answers, in our pid namespace; 0: none
	 * (the sampler, `proclens show`). It is busy asking, so it never counts towards the
	 * load averages (the kernel samples at its ticks, not when someone reads); in
	 * proc/loadavg's running/total it counts as running, as the reader of the kernel's
	 * own file always is. */
	pid_t reader_tid;
};

/* Apply every whole 5 s interval between the last sample and now_ns with `active` tasks
 * (runnable + uninterruptible), as the kernel does after missed ticks (calc_load_n: all
 * missed intervals as if active had been constant). The first call on a zeroed struct
 * applies one interval from zero, like the kernel's first update after boot, and anchors
 * the 5 s phase at now_ns. Less than 5 s later, or with a clock going back: no change. */
void pl_loadavg_update(struct pl_loadavg *la, unsigned active, uint64_t now_ns);
/* The sampler's step: count the container's R and D threads (its cgroup's tasks only,
 * cpuacct or else pids hierarchy) and update la at src->now_ns. Needs src->host, src->cg
 * and src->now_ns. Returns the active count, or -errno (la unchanged). A reader at the
 * cpuacct root (the machine, whose loadavg view is the host's file): 0, la unchanged. */
int pl_loadavg_sample(const struct pl_source *src, struct pl_loadavg *la);
/* "1.23" as the kernel prints an average: rounded to hundredths (LOAD_INT/LOAD_FRAC of
 * avg + FIXED_1/200). */
void pl_loadavg_split(uint64_t avg_fixed, unsigned long *int_part, unsigned long *hundredths);

struct pl_view {
	const char *path; /* relative to the mount point: "proc/meminfo" */
	mode_t mode;
	size_t state_size;
	int (*collect)(const struct pl_source *src, void *state);
	int (*render)(const void *state, struct pl_buf *out);
	void (*destroy)(void *state); /* optional: frees what collect allocated */
};

extern const struct pl_view pl_views[];
extern const size_t pl_views_count;

const struct pl_view *pl_view_find(const char *path);
/* collect + render into out (appended). */
int pl_view_generate(const struct pl_view *v, const struct pl_source *src, struct pl_buf *out);

/* ---- the views' states: render is a pure function of these, so tests build them by hand ---- */

/* Each collect either fills the state for a synthesized file or, when the controller that
 * matters is at the root of its hierarchy (the reader is the whole machine), sets
 * passthrough to the host's file, which render then emits verbatim. */

/* proc/meminfo: root = memory controller. */
struct pl_meminfo_state {
	char *passthrough;      /* malloc'ed host text, or NULL */
	struct pl_meminfo host; /* the host's lines: their order, keys and constants */
	struct pl_memory mem;   /* the cgroup's numbers */
};
/* The container's meminfo (pure; documented at the top of view_meminfo.c). -EINVAL when the
 * host has no MemTotal. */
int pl_meminfo_compute(const struct pl_meminfo *host, const struct pl_memory *mem,
		       struct pl_meminfo *out);
/* Print lines as the kernel does ("%-16s%8llu kB", key + ':'). */
void pl_meminfo_format(const struct pl_meminfo *mi, struct pl_buf *out);
/* The container's SwapTotal and SwapFree in kB, as meminfo shows them (and swaps): 0 and 0
 * without swap accounting or host swap; min(host SwapTotal, swap limit) and that minus
 * the swap usage (>= 0) otherwise. */
void pl_meminfo_swap_kb(const struct pl_meminfo *host, const struct pl_memory *mem, uint64_t *total_kb,
			uint64_t *free_kb);
int pl_meminfo_collect(const struct pl_source *src, void *state);
int pl_meminfo_render(const void *state, struct pl_buf *out);
void pl_meminfo_destroy(void *state);

/* proc/cpuinfo: root = cpuacct controller. */
struct pl_cpuinfo_state {
	char *passthrough;        /* malloc'ed host text, or NULL */
	char *host_cpuinfo;       /* malloc'ed host text to select from */
	struct pl_cpuset visible; /* host CPUs shown, renumbered from 0 in this order */
};
int pl_cpuinfo_collect(const struct pl_source *src, void *state);
int pl_cpuinfo_render(const void *state, struct pl_buf *out);
void pl_cpuinfo_destroy(void *state);

/* proc/stat: root = cpuacct controller. Per visible CPU, nanoseconds (cpuview.h). */
struct pl_stat_state {
	char *passthrough; /* malloc'ed host text, or NULL */
	unsigned ncpu;
	uint64_t *user_ns; /* malloc'ed arrays of ncpu */
	uint64_t *system_ns;
	uint64_t *idle_ns;
	uint64_t btime; /* host boot time, seconds since the epoch: ps needs it for start times */
	unsigned procs_running, procs_blocked;
};
int pl_stat_collect(const struct pl_source *src, void *state);
int pl_stat_render(const void *state, struct pl_buf *out);
void pl_stat_destroy(void *state);

/* proc/uptime: root = cpuacct controller. */
struct pl_uptime_state {
	char *passthrough; /* malloc'ed host text, or NULL */
	uint64_t uptime_ns; /* since the container's init started */
	uint64_t idle_ns;   /* sum of the cpuview's idle over the visible CPUs */
};
int pl_uptime_collect(const struct pl_source *src, void *state);
int pl_uptime_render(const void *state, struct pl_buf *out);
void pl_uptime_destroy(void *state);

/* proc/loadavg: root = cpuacct controller. */
struct pl_loadavg_state {
	char *passthrough;     /* malloc'ed host text, or NULL */
	uint64_t avg_fixed[3]; /* 1, 5, 15 minutes, fixed point (PL_LOADAVG_FSHIFT) */
	unsigned running;      /* threads in state R */
	unsigned threads;      /* all threads */
	int last_pid;          /* highest pid in the container's namespace, 0 if unknown */
};
int pl_loadavg_collect(const struct pl_source *src, void *state);
int pl_loadavg_render(const void *state, struct pl_buf *out);
void pl_loadavg_destroy(void *state);

/* proc/swaps: root = memory controller. */
struct pl_swaps_state {
	char *passthrough; /* malloc'ed host text, or NULL */
	uint64_t size_kb;  /* 0: the container may not swap, header only */
	uint64_t used_kb;
};
int pl_swaps_collect(const struct pl_source *src, void *state);
int pl_swaps_render(const void *state, struct pl_buf *out);
void pl_swaps_destroy(void *state);

/* proc/diskstats: root = io controller. */
struct pl_diskstats_dev {
	unsigned major, minor;
	char name[64];
	struct pl_io_stat io;
};
struct pl_diskstats_state {
	char *passthrough; /* malloc'ed host text, or NULL */
	struct pl_diskstats_dev *dev; /* malloc'ed, in the host file's order */
	size_t ndev;
};
/* The devices of a /proc/diskstats text, in order (name and numbers only); *out malloc'ed.
 * -EINVAL on lines that are not "major minor name counters...". */
int pl_diskstats_parse_devices(const char *text, struct pl_diskstats_dev **out, size_t *n);
int pl_diskstats_collect(const struct pl_source *src, void *state);
int pl_diskstats_render(const void *state, struct pl_buf *out);
void pl_diskstats_destroy(void *state);

/* proc/pressure/{cpu,memory,io}: root = cpuacct, memory, io controller respectively. */
struct pl_pressure_state {
	char *text; /* malloc'ed: the host's file (root) or the cgroup's own, shown verbatim */
};
int pl_pressure_cpu_collect(const struct pl_source *src, void *state);
int pl_pressure_memory_collect(const struct pl_source *src, void *state);
int pl_pressure_io_collect(const struct pl_source *src, void *state);
int pl_pressure_render(const void *state, struct pl_buf *out);
void pl_pressure_destroy(void *state);

/* sys/devices/system/cpu/{online,possible,present}: root = cpuacct controller. */
struct pl_sysfs_cpu_state {
	char *passthrough; /* malloc'ed host text, or NULL */
	unsigned ncpu;     /* visible CPUs, shown as 0..ncpu-1 */
};
int pl_sysfs_cpu_online_collect(const struct pl_source *src, void *state);
int pl_sysfs_cpu_possible_collect(const struct pl_source *src, void *state);
int pl_sysfs_cpu_present_collect(const struct pl_source *src, void *state);
int pl_sysfs_cpu_render(const void *state, struct pl_buf *out);
void pl_sysfs_cpu_destroy(void *state);
