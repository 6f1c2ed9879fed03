/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Provenance of the numbers a view renders, for `proclens explain`: while a trace is
 * current on a thread, the cgroup module records every control file it reads (which file,
 * at which level of the hierarchy, the raw text, whether that level's value is the one that
 * took effect) and the views record, per output field, the rule they applied and the host
 * values they held the cgroup's against.
 *
 * The daemon never sets a trace: every hook is one test of a thread-local pointer. Hooks
 * record from where the numbers are computed, so an explanation cannot drift from what the
 * daemon shows. Recording never fails the traced code: a trace that ran out of memory says
 * so (oom) and is incomplete. */

#include <stdbool.h>
#include <stddef.h>

#include "proclens/cgroup.h"

/* A control file read (or that could not be read) for a value. */
struct pl_trace_source {
	char quantity[48];   /* what it stands for: "memory limit", "cpu quota", "memory.stat file" */
	char controller[16]; /* "memory", "cpu", "cpuset", "cpuacct", "pids", "io" */
	char file[48];	     /* "memory.max", "memory.limit_in_bytes", "cpuset.cpus.effective" */
	char key[48];	     /* a key inside the file ("total_cache"), "" for a whole-file value */
	char cgroup[512];    /* the level, from the hierarchy's root: "/proclens/web", "/" */
	char path[640];	     /* the file as a person would cat it: "/sys/fs/cgroup/memory/..." */
	bool ancestor;	     /* the level is an ancestor of the reader's cgroup */
	bool effective;	     /* of the levels read for this quantity, this one's value applies */
	char raw[96];	     /* the text read, trimmed ("268435456", "max", "50000 100000") */
	int err;	     /* 0, or the -errno of a failed read (raw is then empty) */
};

/* One field of a rendered file: a meminfo line, the CPU count, a stat counter. */
struct pl_trace_field {
	char name[48];	/* "MemTotal", "CPUs", "cpu0" */
	char value[96]; /* as shown: "262144 kB", "0-1 (2 CPUs)" */
	char rule[512]; /* how: "min(the host's MemTotal 24684084 kB, memory limit 262144 kB)" */
	char uses[160]; /* quantities of the sources it was computed from, ';'-separated */
};

struct pl_trace {
	struct pl_trace_source *src;
	size_t n_src, cap_src;
	struct pl_trace_field *field;
	size_t n_field, cap_field;
	bool oom;
};

/* The calling thread's trace, NULL when not tracing (always in the daemon). */
extern __thread struct pl_trace *pl_trace_current;

static inline bool pl_tracing(void)
{
	return pl_trace_current != NULL;
}

/* Make t (zeroed or reset) current on this thread, or stop tracing with NULL. */
void pl_trace_begin(struct pl_trace *t);
void pl_trace_end(void);
void pl_trace_free(struct pl_trace *t);

/* Record a source; returns its index, or -1 when not tracing (or out of memory). */
long pl_trace_add_source(const struct pl_trace_source *s);
/* Number of sources recorded so far: a mark for pl_trace_effective. */
size_t pl_trace_mark(void);
/* The sources [from, to) hold the value that took effect for their quantities: they become
 * effective and any earlier source of the same quantity stops being. */
void pl_trace_effective(size_t from, size_t to);

/* Record a field. uses: ';'-separated quantities (may be NULL); rule is printf-style. A
 * field recorded twice under one name keeps its first record (a shared helper such as
 * the swap computation records the detail, the caller's generic line does not replace it). */
void pl_trace_field(const char *name, const char *value, const char *uses, const char *rule_fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool pl_trace_has_field(const char *name);
/* The reader is the whole machine for the hierarchies in ctrls (PL_CTRL_BIT()s, those the
 * view's content comes from): the view shows the host's file unchanged. */
void pl_trace_passthrough(const struct pl_cgroup *cg, unsigned ctrls, const char *host_file);

/* Record a read of `file` (key inside it, may be NULL) in directory rel_dir of controller
 * c's hierarchy ("" its root) for the cgroup module's hooks: fills the level, the path a
 * person would cat and the trimmed raw text. c == PL_CTRL_COUNT: the v2 hierarchy itself
 * (pressure files, which follow it whatever the controllers). Returns the index or -1. */
long pl_trace_cgroup_read(const struct pl_cgroup *cg, enum pl_controller c, const char *rel_dir,
			  size_t rel_len, bool ancestor, const char *file, const char *key,
			  const char *quantity, const char *raw, int err);

/* The most recent failed read at the reader's own cgroup (not an ancestor), or NULL. */
const struct pl_trace_source *pl_trace_last_error(const struct pl_trace *t);
