/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/stat for a container: "cpu" and "cpuN" lines for the visible CPUs from the cgroup's
 * CPU accounting (cpuview.h explains the busy/idle model), and the container's own task
 * counts. Every host-wide counter (intr, ctxt, processes, softirq) is 0: a container must
 * not learn the host's activity through us. btime is the host's, moved by the container's
 * time namespace offset if it has one: ps computes process start times as btime +
 * starttime, and the kernel counts starttime from the boot of the reader's time namespace
 * (the host's without one). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/cpuview.h"
#include "proclens/trace.h"
#include "proclens/view.h"

static void emit_cpu_line(struct pl_buf *out, const char *label, uint64_t user_ticks, uint64_t system_ticks,
			  uint64_t idle_ticks)
{
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	pl_buf_printf(out, "%s %llu 0 %llu %llu 0 0 0 0 0 0\n", label, (unsigned long long)user_ticks,
		      (unsigned long long)system_ticks, (unsigned long long)idle_ticks);
}

int pl_stat_render(const void *state, struct pl_buf *out)
{
	const struct pl_stat_state *st = state;
	uint64_t user_ticks = 0, system_ticks = 0, idle_ticks = 0;

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	if (st->ncpu == 0 || !st->user_ns || !st->system_ns || !st->idle_ns)
		return -EINVAL;
	/* The total is the sum of the rounded per-CPU values, so top's "cpu" percentages
	 * agree with its per-CPU ones to the tick. */
	for (unsigned i = 0; i < st->ncpu; i++) {
		user_ticks += pl_ns_to_ticks(st->user_ns[i]);
		system_ticks += pl_ns_to_ticks(st->system_ns[i]);
		idle_ticks += pl_ns_to_ticks(st->idle_ns[i]);
	}
	/* "cpu" + one space + the label's own separator: the kernel prints "cpu  ". */
	emit_cpu_line(out, "cpu ", user_ticks, system_ticks, idle_ticks);
	for (unsigned i = 0; i < st->ncpu; i++) {
		char label[16];

		snprintf(label, sizeof(label), "cpu%u", i);
		emit_cpu_line(out, label, pl_ns_to_ticks(st->user_ns[i]), pl_ns_to_ticks(st->system_ns[i]),
			      pl_ns_to_ticks(st->idle_ns[i]));
	}
	pl_buf_printf(out,
		      "intr 0\n"
		      "ctxt 0\n"
		      "btime %llu\n"
		      "processes 0\n"
		      "procs_running %u\n"
		      "procs_blocked %u\n"
		      "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
		      (unsigned long long)st->btime, st->procs_running, st->procs_blocked);
	return pl_buf_error(out);
}

struct task_count {
	const struct pl_host *host;
	unsigned running, blocked;
	pid_t reader_tid; /* counted as running whatever its state: see pl_source */
	bool reader_seen;
};

static int count_task(pid_t tid, void *userdata)
{
	struct task_count *tc = userdata;
	char state;
	int r = pl_host_task_state(tc->host, tid, &state);

	/* A thread that exits between the listing and the read is simply not counted. */
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	/* The reader sleeps in our FUSE request, but the kernel's reader of its own file is
	 * running when procs_running is counted (it is never 0), as in loadavg's 4th field. */
	if (tid == tc->reader_tid)
		tc->reader_seen = true;
	else if (state == 'R')
		tc->running++;
	else if (state == 'D')
		tc->blocked++;
	return 0;
}

/* explain: the rules of each line; the CPU numbers' own come from cpuview. */
static void trace_stat(const struct pl_stat_state *st, bool reader)
{
	char v[32];

	pl_trace_field("cpu", NULL, NULL, "the sum of the cpuN lines, in ticks of 1/%ld s", pl_clk_tck());
	pl_trace_field("cpuN", NULL, "cpu usage;cpu quota",
		       "user and system: the visible CPU's busy time; idle: its capacity minus its busy time "
		       "(see busy time, idle); nice, iowait, irq, softirq, steal, guest: 0");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)st->btime);
	pl_trace_field("btime", v, NULL,
		       "the host's boot time, later by the container's time namespace's boottime offset "
		       "if it has one: ps adds process start times to it");
	snprintf(v, sizeof(v), "%u", st->procs_running);
	pl_trace_field("procs_running", v, "tasks",
		       reader ? "the cgroup's threads in state R, the reader among them whatever its state"
			      : "the cgroup's threads in state R");
	snprintf(v, sizeof(v), "%u", st->procs_blocked);
	pl_trace_field("procs_blocked", v, "tasks", "the cgroup's threads in state D");
	pl_trace_field("intr", "0", NULL, "0: host-wide counter with no per-cgroup counterpart");
	pl_trace_field("ctxt", "0", NULL, "0: host-wide counter with no per-cgroup counterpart");
	pl_trace_field("processes", "0", NULL, "0: host-wide counter with no per-cgroup counterpart");
	pl_trace_field("softirq", "0", NULL, "0: host-wide counters with no per-cgroup counterpart");
}

int pl_stat_collect(const struct pl_source *src, void *state)
{
	struct pl_stat_state *st = state;
	struct task_count tc = {.host = src->host, .reader_tid = src->reader_tid};
	struct pl_cpuview view;
	ssize_t n;
	int r;

	if (pl_cgroup_is_root_of(src->cg, PL_CPUVIEW_TIMES)) {
		pl_trace_passthrough(src->cg, PL_CPUVIEW_TIMES, "/proc/stat");
		n = pl_host_read_proc(src->host, "stat", &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	r = pl_host_btime(src->host, &st->btime);
	if (r < 0)
		return r;
	/* An offset of -T (a boot clock started T after ours) makes the boot T later; to the
	 * nearest second, as the kernel's own btime is only whole seconds too. */
	if (src->boottime_offset_ns != 0)
		st->btime = pl_ns_shift(st->btime * PL_NSEC_PER_SEC + PL_NSEC_PER_SEC / 2, -src->boottime_offset_ns) /
			    PL_NSEC_PER_SEC;
	r = pl_cgroup_for_each_task(src->cg, PL_CTRL_CPUACCT, count_task, &tc);
	if (r < 0)
		return r;
	st->procs_running = tc.running + tc.reader_seen;
	st->procs_blocked = tc.blocked;
	if (pl_tracing())
		trace_stat(st, src->reader_tid > 0);
	r = pl_cpuview_collect(src, &view, NULL);
	if (r < 0)
		return r;
	st->ncpu = view.ncpu;
	st->user_ns = view.user_ns;
	st->system_ns = view.system_ns;
	st->idle_ns = view.idle_ns;
	return 0;
}

void pl_stat_destroy(void *state)
{
	struct pl_stat_state *st = state;

	free(st->passthrough);
	free(st->user_ns);
	free(st->system_ns);
	free(st->idle_ns);
	memset(st, 0, sizeof(*st));
}
