/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What `proclens show`, `explain` and `stats` share: their arguments, rendering a served
 * file with the daemon's own code (fs/fs.h pl_fs_render_for) under a provenance trace,
 * the errors a person reads, and JSON output. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "launcher.h"
#include "proclens/trace.h"
#include "proclens/util.h"

struct pl_inspect_opts {
	char file[256];	    /* the served path, normalised: "proc/meminfo" */
	pid_t pid;	    /* --pid, 0 with --cgroup */
	const char *cgroup; /* --cgroup, NULL with --pid */
	bool json;
	bool cpu_count_from_quota; /* --cpu-count=quota (default) or cpuset */
};

/* Parse `show`/`explain` arguments (argv[0] is the command name). Returns 1 when --help
 * was asked (usage printed to stdout), 0 when o is ready, -EINVAL with e filled. */
int pl_inspect_parse(int argc, char **argv, struct pl_inspect_opts *o, struct pl_err *e);
void pl_inspect_usage(const char *cmd, FILE *f);

/* --cgroup PATH, of show, explain and stats alike: a usage error (e filled, -EINVAL) for
 * '' (the root, for an unset "$CG"; "/" is the root), for "." or ".." in it, and for one
 * of PL_STATS_PATH_MAX bytes or more (no path is that long). */
int pl_inspect_cgroup_arg(const char *path, struct pl_err *e);
/* 0 when PATH names a cgroup in some hierarchy, else -errno with e saying so in one line
 * ("no such cgroup: PATH", and why when it is a file or a /sys/fs/cgroup path). */
int pl_inspect_cgroup_exists(const struct pl_cgroup_root *root, const char *path, struct pl_err *e);

/* "meminfo", "proc/meminfo", "/proc/meminfo", "pressure/cpu", "/sys/devices/system/cpu/online"
 * and paths below the mirrored sys/devices/system/cpu -> the path below the mount.
 * -ENOENT (with e) for a name proclensfs does not serve, -EINVAL for "." or "..". */
int pl_inspect_normalize(const char *in, char *out, size_t size, struct pl_err *e);

/* Is this /proc/PID/status (and, for kernels before 6.0 without its Kthread line,
 * /proc/PID/stat; NULL: unread) a kernel thread's? 1, 0, or -EINVAL when neither says. */
int pl_inspect_kernel_thread(const char *status_text, const char *stat_text);

/* The message for a failed render (r < 0), from what the trace saw: a missing controller
 * names the controller and the file. pid_exited: the process was seen to exit. */
void pl_inspect_explain_error(const struct pl_inspect_opts *o, int r, const struct pl_trace *t,
			      bool pid_exited, struct pl_err *e);

/* Render o->file for o->pid or o->cgroup as proclensfs would serve it, recording the
 * provenance in t (zeroed by the caller; free with pl_trace_free). Returns 0 with *out
 * malloc'ed, or -errno with e filled (one line: no such pid, no such cgroup, a pid that
 * exited during the call, a missing controller and its file). */
int pl_inspect_render(const struct pl_inspect_opts *o, struct pl_trace *t, char **out, size_t *len,
		      struct pl_err *e);

/* JSON: s as a quoted, escaped string (UTF-8 passes through, control bytes \u00XX, a
 * byte that is not UTF-8 \ufffd). */
void pl_json_string(struct pl_buf *b, const char *s);
/* The "file" and "pid"/"cgroup" members that open show's and explain's objects. */
void pl_inspect_json_head(struct pl_buf *b, const struct pl_inspect_opts *o);

/* ---- the commands (cmd_show.c, cmd_explain.c, cmd_stats.c) ---- */

/* show --json: {"file": ..., "pid"|"cgroup": ..., "content": ...} and a newline. */
int pl_show_format_json(const struct pl_inspect_opts *o, const char *content, struct pl_buf *out);

/* explain's two renderings of a traced file (pure). */
int pl_explain_format_text(const struct pl_inspect_opts *o, const char *content, const struct pl_trace *t,
			   struct pl_buf *b);
int pl_explain_format_json(const struct pl_inspect_opts *o, const char *content, const struct pl_trace *t,
			   struct pl_buf *b);

/* ---- stats ---- */

struct pl_stats_opts {
	bool no_stream;
	bool json;
	unsigned interval_ms;
	const char *cgroups[64]; /* --cgroup, in order */
	size_t n_cgroups;
};
/* Returns 1 for --help (usage printed), 0 when o is ready, -EINVAL with e filled. */
int pl_stats_parse(int argc, char **argv, struct pl_stats_opts *o, struct pl_err *e);

/* A --cgroup path and a row's name fit whole (pl_inspect_cgroup_arg refuses longer): they
 * were cut to 299 and 127 bytes, and a long cgroup path was shown and put in the JSON as
 * another, shorter one. */
#define PL_STATS_PATH_MAX 4096 /* PATH_MAX */

/* One container's reading; a have_ flag is false where its cgroup lacks the controller. */
struct pl_stats_sample {
	char name[PL_STATS_PATH_MAX];
	char cgroup[PL_STATS_PATH_MAX];
	bool have_memory, have_cpu_limits, have_cpu_percent, have_pids, have_load;
	uint64_t memory_used_bytes, memory_limit_bytes; /* limit PL_UNLIMITED: none */
	uint64_t host_memory_bytes;			/* MEM % of this without a limit */
	uint64_t cpu_quota_usec, cpu_period_usec;	/* quota PL_UNLIMITED: none */
	double cpu_percent;				/* 100 = one CPU busy */
	uint64_t pids;
	unsigned load; /* threads running or in uninterruptible sleep */
};

void pl_stats_human_bytes(uint64_t bytes, char *buf, size_t size);
double pl_stats_cpu_percent(uint64_t prev_ns, uint64_t now_ns, uint64_t prev_at_ns, uint64_t now_at_ns);
/* The table: a NAME column as wide as the longest name, lines cut to cols columns and to
 * `lines` lines with the header (0: no limit; a terminal's size). */
void pl_stats_format_table(const struct pl_stats_sample *rows, size_t n, unsigned cols, unsigned lines,
			   struct pl_buf *out);
/* A JSON array of one object per row and a newline. one_line: no newline inside, the
 * array one line of an NDJSON stream (--json while streaming: one line per refresh, which
 * `jq`, Python's json per line or any NDJSON reader can take as it comes). */
void pl_stats_format_json(const struct pl_stats_sample *rows, size_t n, bool one_line, struct pl_buf *out);

/* Print "proclens: CMD: message" for e, returning the exit status (2 usage, 1 runtime). */
int pl_inspect_fail(const char *cmd, const struct pl_err *e, bool usage);
/* Write the answer to standard output: 0, or -errno with e saying it could not. */
int pl_inspect_output(const char *data, size_t len, struct pl_err *e);
/* After --help was printed to stdout: the exit status, 1 (with a line) if it did not get out. */
int pl_inspect_help_done(const char *cmd);
