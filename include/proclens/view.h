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
