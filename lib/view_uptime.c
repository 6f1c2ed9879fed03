/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/uptime for a container: seconds since its init started, or in a time namespace of
 * its own the boot clock there (uptime(1), and anything that turns /proc/PID/stat
 * starttime into an age: the kernel counts starttime on that clock), and the idle seconds summed over the
 * visible CPUs, the same cpuview numbers /proc/stat shows, so the two files agree. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/cpuview.h"
#include "proclens/trace.h"
#include "proclens/view.h"

#define NSEC_PER_CSEC UINT64_C(10000000)

int pl_uptime_render(const void *state, struct pl_buf *out)
{
	const struct pl_uptime_state *st = state;
	uint64_t up_cs = st->uptime_ns / NSEC_PER_CSEC, idle_cs = st->idle_ns / NSEC_PER_CSEC;

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	/* Truncated to hundredths, as the kernel does: rounding could show a time that has
	 * not been reached yet. */
	pl_buf_printf(out, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up_cs / 100),
		      (unsigned long long)(up_cs % 100), (unsigned long long)(idle_cs / 100),
		      (unsigned long long)(idle_cs % 100));
	return pl_buf_error(out);
}

int pl_uptime_collect(const struct pl_source *src, void *state)
{
	struct pl_uptime_state *st = state;
	struct pl_cpuview view;
	ssize_t n;
	int r;

	if (pl_cgroup_is_root_of(src->cg, PL_CPUVIEW_TIMES)) {
		pl_trace_passthrough(src->cg, PL_CPUVIEW_TIMES, "/proc/uptime");
		n = pl_host_read_proc(src->host, "uptime", &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	r = pl_cpuview_collect(src, &view, NULL);
	if (r < 0)
		return r;
	/* In a time namespace of its own, the container's boot clock: the kernel counts its
	 * processes' starttime from there (ps: age = uptime - starttime). */
	if (src->boottime_offset_ns != 0)
		st->uptime_ns = pl_ns_shift(src->now_ns, src->boottime_offset_ns);
	else
		st->uptime_ns = src->now_ns > src->init_start_ns ? src->now_ns - src->init_start_ns : 0;
	st->idle_ns = 0;
	for (unsigned i = 0; i < view.ncpu; i++)
		st->idle_ns += view.idle_ns[i];
	pl_cpuview_free(&view);
	if (pl_tracing() && src->boottime_offset_ns != 0)
		pl_trace_field("uptime", NULL, NULL,
			       "first number: the boot clock of the container's time namespace (ours %+.3f s); "
			       "second: the idle time of every visible CPU summed (see idle), as /proc/stat "
			       "counts it",
			       (double)src->boottime_offset_ns / 1e9);
	else if (pl_tracing())
		pl_trace_field(
		    "uptime", NULL, NULL,
		    "first number: seconds since the container's init (pid %d in our namespace) started, "
		    "%llu s after boot; second: the idle time of every visible CPU summed (see idle), as "
		    "/proc/stat counts it",
		    (int)src->init_pid, (unsigned long long)(src->init_start_ns / 1000000000));
	return 0;
}

void pl_uptime_destroy(void *state)
{
	struct pl_uptime_state *st = state;

	free(st->passthrough);
	st->passthrough = NULL;
}
