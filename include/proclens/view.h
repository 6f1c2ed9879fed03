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
	unsigned ncpu;          /* visible CPUs when last rendered; a change resets history */
	uint64_t init_start_ns; /* the container start it belongs to; a change resets history */
	uint64_t *user_ns;      /* last values emitted, per visible cpu */
	uint64_t *system_ns;
	uint64_t *idle_ns;
};
void pl_cpu_history_free(struct pl_cpu_history *h);

struct pl_source {
	const struct pl_host *host;
	const struct pl_cgroup *cg;
	const struct pl_view_opts *opts;
	uint64_t now_ns;        /* CLOCK_BOOTTIME when collecting */
	uint64_t init_start_ns; /* CLOCK_BOOTTIME at which the container's init started */
	struct pl_cpu_history *cpu_history; /* may be NULL */
};

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
