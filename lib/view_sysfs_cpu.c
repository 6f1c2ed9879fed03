/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /sys/devices/system/cpu/{online,possible,present} for a container: glibc's
 * get_nprocs/get_nprocs_conf (and so nproc, sysconf, the JVM, Go and Rust runtimes) count
 * CPUs from these lists. They show the visible CPUs, the same set as cpuinfo and stat,
 * renumbered from 0 as those files number them: "0-3" for four. possible and present say
 * the same as online: a container has no hotplug slots of its own. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "proclens/cpuview.h"
#include "proclens/trace.h"
#include "proclens/view.h"

static int sysfs_cpu_collect(const struct pl_source *src, const char *name, struct pl_sysfs_cpu_state *st)
{
	struct pl_cpuset visible;
	char rel[64];
	ssize_t n;
	int r;

	if (pl_cgroup_is_root_of(src->cg, PL_CPUVIEW_CPUS)) {
		snprintf(rel, sizeof(rel), "devices/system/cpu/%s", name);
		pl_trace_passthrough(src->cg, PL_CPUVIEW_CPUS, "/sys/devices/system/cpu file");
		n = pl_host_read_sys(src->host, rel, &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	r = pl_cpuview_collect_visible(src, &visible, NULL, NULL, NULL);
	if (r < 0)
		return r;
	st->ncpu = pl_cpuset_count(&visible);
	if (pl_tracing())
		pl_trace_field(
		    "list", NULL, NULL,
		    "the %u visible CPUs (see CPUs), renumbered from 0 as cpuinfo and stat number them",
		    st->ncpu);
	return 0;
}

int pl_sysfs_cpu_online_collect(const struct pl_source *src, void *state)
{
	return sysfs_cpu_collect(src, "online", state);
}

int pl_sysfs_cpu_possible_collect(const struct pl_source *src, void *state)
{
	return sysfs_cpu_collect(src, "possible", state);
}

int pl_sysfs_cpu_present_collect(const struct pl_source *src, void *state)
{
	return sysfs_cpu_collect(src, "present", state);
}

int pl_sysfs_cpu_render(const void *state, struct pl_buf *out)
{
	const struct pl_sysfs_cpu_state *st = state;

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	/* cpuview never yields an empty set, but a list of none would read as a parse error. */
	if (st->ncpu == 0)
		return -EINVAL;
	if (st->ncpu == 1)
		pl_buf_puts(out, "0\n");
	else
		pl_buf_printf(out, "0-%u\n", st->ncpu - 1);
	return pl_buf_error(out);
}

void pl_sysfs_cpu_destroy(void *state)
{
	struct pl_sysfs_cpu_state *st = state;

	free(st->passthrough);
	st->passthrough = NULL;
}
