/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/loadavg for a container: uptime, top, w and load-aware schedulers (make -l,
 * GNU parallel --load) read it. Like the kernel's file, with every number the container's:
 *   1/5/15-minute averages   its runnable + uninterruptible threads, averaged as the kernel
 *                            does (lib/loadavg.c) in the daemon's per-container
 *                            struct pl_loadavg; without one (a one-shot render, no history)
 *                            all three are the count at this instant
 *   running/total            its threads in state R / all its threads
 *   last pid                 the highest pid, as the container's pid namespace numbers them,
 *                            among its live threads. The kernel shows the last pid handed
 *                            out, which may have exited since: ours is a lower bound that
 *                            still grows as the container forks, which is what people watch
 *                            it for. 0 when no thread's pid in that namespace is known.
 * The threads are those of its cgroup (cpuacct, else pids hierarchy): the cost is one
 * /proc/TID/stat read per thread of the container, and one ioctl (or status read) more for
 * the pid, whatever the size of the host. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/trace.h"
#include "proclens/view.h"

struct task_walk {
	const struct pl_host *host;
	unsigned running, blocked, threads;
	pid_t reader_tid; /* counted apart: see pl_source */
	bool reader_seen;
	bool want_pids;
	int pidns_fd;	   /* the container's pid namespace, or -1: use NSpid from status */
	unsigned ns_level; /* index of the container's namespace in NSpid; UINT_MAX = last */
	int last_pid;
};

static bool task_gone(int r)
{
	return r == -ENOENT || r == -ESRCH;
}

/* tid's pid in the container's namespace; -ESRCH when it has none there. */
static int ns_pid_of(struct task_walk *w, pid_t tid, pid_t *ns_pid)
{
	pid_t levels[PL_PIDNS_MAX_LEVELS + 1];
	int n;

	if (w->pidns_fd >= 0) {
		int r = pl_pidns_translate(w->pidns_fd, tid, ns_pid);

		if (r != -ENOTTY && r != -EINVAL)
			return r;
		/* A kernel before 6.10: status for this and every later thread. */
		pl_closep(&w->pidns_fd);
		w->pidns_fd = -1;
	}
	n = pl_host_task_nspids(w->host, tid, levels, PL_ARRAY_SIZE(levels));
	if (n < 0)
		return n;
	if (w->ns_level == UINT_MAX) {
		*ns_pid = levels[PL_MIN((unsigned)n, PL_ARRAY_SIZE(levels)) - 1];
		return 0;
	}
	/* Fewer levels than the init: a thread that lives outside the container's namespace
	 * (moved into the cgroup from the host). It has no pid the container could see. */
	if ((unsigned)n <= w->ns_level || w->ns_level >= PL_ARRAY_SIZE(levels))
		return -ESRCH;
	*ns_pid = levels[w->ns_level];
	return 0;
}

static int walk_task(pid_t tid, void *userdata)
{
	struct task_walk *w = userdata;
	pid_t ns_pid;
	char state;
	int r = pl_host_task_state(w->host, tid, &state);

	/* A thread that exits between the listing and the read is simply not counted. */
	if (task_gone(r))
		return 0;
	if (r < 0)
		return r;
	w->threads++;
	if (tid == w->reader_tid)
		w->reader_seen = true;
	else if (state == 'R')
		w->running++;
	else if (state == 'D')
		w->blocked++;
	if (!w->want_pids)
		return 0;
	r = ns_pid_of(w, tid, &ns_pid);
	if (task_gone(r))
		return 0;
	if (r < 0)
		return r;
	w->last_pid = PL_MAX(w->last_pid, (int)ns_pid);
	return 0;
}

/* The hierarchy whose tasks make the load (walk_container): cpuacct, or pids where no
 * cpuacct hierarchy serves the cgroup. A reader at its root is the whole machine here. */
static unsigned load_ctrls(const struct pl_cgroup *cg)
{
	if (cg->path[PL_CTRL_CPUACCT] && pl_cgroup_root_fd(cg->root, PL_CTRL_CPUACCT) >= 0)
		return PL_CTRL_BIT(PL_CTRL_CPUACCT);
	return PL_CTRL_BIT(PL_CTRL_PIDS);
}

static int walk_container(const struct pl_source *src, struct task_walk *w)
{
	int r = pl_cgroup_for_each_task(src->cg, PL_CTRL_CPUACCT, walk_task, w);

	if (r != -ENOENT)
		return r;
	return pl_cgroup_for_each_task(src->cg, PL_CTRL_PIDS, walk_task, w);
}

/* The init we were given is still the one that started at init_start_ns: checked after
 * opening its namespace, so a pid recycled before the open is caught. */
static bool init_is_ours(const struct pl_source *src)
{
	uint64_t start_ticks, tick_ns = UINT64_C(1000000000) / (uint64_t)pl_clk_tck(), start_ns;

	if (src->init_start_ns == 0)
		return true;
	if (pl_host_proc_start(src->host, src->init_pid, &start_ticks) < 0)
		return false;
	start_ns = start_ticks * tick_ns;
	return start_ns + tick_ns > src->init_start_ns && start_ns < src->init_start_ns + tick_ns;
}

/* Which namespace "last pid" speaks of: the init's. Unknown init: each thread's own
 * innermost namespace, right for every thread not in a nested namespace. */
static void pidns_setup(const struct pl_source *src, struct task_walk *w)
{
	pid_t levels[PL_PIDNS_MAX_LEVELS + 1];
	int fd, n;

	w->pidns_fd = -1;
	w->ns_level = UINT_MAX;
	if (src->init_pid <= 0)
		return;
	fd = pl_host_open_pidns(src->host, src->init_pid);
	if (!init_is_ours(src)) {
		pl_closep(&fd);
		return;
	}
	w->pidns_fd = fd >= 0 ? fd : -1;
	n = pl_host_task_nspids(src->host, src->init_pid, levels, PL_ARRAY_SIZE(levels));
	if (n > 0)
		w->ns_level = (unsigned)n - 1;
}

int pl_loadavg_sample(const struct pl_source *src, struct pl_loadavg *la)
{
	struct task_walk w = {.host = src->host, .pidns_fd = -1, .ns_level = UINT_MAX};
	int r;

	/* The machine itself: the view shows the host's file, and walking every task of the
	 * host every 5 s would cost what the kernel already computes. */
	if (pl_cgroup_is_root_of(src->cg, load_ctrls(src->cg)))
		return 0;
	r = walk_container(src, &w);
	if (r < 0)
		return r;
	pl_loadavg_update(la, w.running + w.blocked, src->now_ns);
	return (int)PL_MIN(w.running + w.blocked, (unsigned)INT_MAX);
}

int pl_loadavg_collect(const struct pl_source *src, void *state)
{
	struct pl_loadavg_state *st = state;
	struct task_walk w = {.host = src->host, .want_pids = true, .reader_tid = src->reader_tid};
	unsigned active;
	ssize_t n;
	int r;

	if (pl_cgroup_is_root_of(src->cg, load_ctrls(src->cg))) {
		pl_trace_passthrough(src->cg, load_ctrls(src->cg), "/proc/loadavg");
		n = pl_host_read_proc(src->host, "loadavg", &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	pidns_setup(src, &w);
	r = walk_container(src, &w);
	pl_closep(&w.pidns_fd);
	if (r < 0)
		return r;
	active = w.running + w.blocked;
	if (src->loadavg) {
		pl_loadavg_update(src->loadavg, active, src->now_ns);
		memcpy(st->avg_fixed, src->loadavg->avg_fixed, sizeof(st->avg_fixed));
	} else {
		for (int i = 0; i < 3; i++)
			st->avg_fixed[i] = (uint64_t)active * PL_LOADAVG_FIXED_1;
	}
	st->running = w.running + w.reader_seen;
	st->threads = w.threads;
	st->last_pid = w.last_pid;
	if (pl_tracing())
		pl_trace_field(
		    "loadavg", NULL, "tasks",
		    "1, 5, 15 min: the cgroup's runnable + uninterruptible threads (%u now), %s; "
		    "%u/%u: its threads in state R / all its threads; %d: the highest pid of its threads in "
		    "the container's pid namespace",
		    active,
		    src->loadavg ? "averaged as the kernel does, sampled every 5 s since its container was "
				   "first read"
				 : "no history (a one-shot render): the count itself",
		    st->running, w.threads, w.last_pid);
	return 0;
}

int pl_loadavg_render(const void *state, struct pl_buf *out)
{
	const struct pl_loadavg_state *st = state;
	unsigned long ip[3], frac[3];

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	for (int i = 0; i < 3; i++)
		pl_loadavg_split(st->avg_fixed[i], &ip[i], &frac[i]);
	pl_buf_printf(out, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%u %d\n", ip[0], frac[0], ip[1], frac[1], ip[2],
		      frac[2], st->running, st->threads, st->last_pid);
	return pl_buf_error(out);
}

void pl_loadavg_destroy(void *state)
{
	struct pl_loadavg_state *st = state;

	free(st->passthrough);
	st->passthrough = NULL;
}
