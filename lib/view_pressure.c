/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/pressure/{cpu,memory,io} for a container: its cgroup's own cpu.pressure,
 * memory.pressure and io.pressure, which have exactly the host files' format (systemd-oomd,
 * below, atop and autoscalers read them). Nothing to compute: the kernel keeps PSI per v2
 * cgroup. A reader whose cgroup has no such file (a v1-only container, a kernel without
 * PSI) gets an error: the host's pressure is not a stand-in for the container's. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "proclens/trace.h"
#include "proclens/view.h"

/* The reader is the whole machine for this resource: at the root of the hierarchies that
 * limit it (ctrls) and of the v2 one, whose cgroups the kernel accounts pressure by. On a
 * hybrid layout a reader at the v1 roots has pressure of its own in a v2 cgroup below the
 * root, and one in a v1 cgroup of its own at the v2 root has none (the root's is the
 * host's). Without a v2 hierarchy there is no pressure but the machine's. */
static bool machine_pressure(const struct pl_cgroup *cg, unsigned ctrls)
{
	return pl_cgroup_is_root_of(cg, ctrls) && (cg->root->v2_fd < 0 || pl_cgroup_v2_is_root(cg));
}

static int pressure_collect(const struct pl_source *src, unsigned ctrls, const char *resource,
			    struct pl_pressure_state *st)
{
	char host_rel[32];
	ssize_t n;

	if (machine_pressure(src->cg, ctrls)) {
		snprintf(host_rel, sizeof(host_rel), "pressure/%s", resource);
		pl_trace_passthrough(src->cg, ctrls, "/proc/pressure file");
		n = pl_host_read_proc(src->host, host_rel, &st->text);
	} else {
		n = pl_cgroup_pressure(src->cg, resource, &st->text);
	}
	return n < 0 ? (int)n : 0;
}

int pl_pressure_cpu_collect(const struct pl_source *src, void *state)
{
	return pressure_collect(src, PL_CTRL_BIT(PL_CTRL_CPUSET) | PL_CTRL_BIT(PL_CTRL_CPU), "cpu", state);
}

int pl_pressure_memory_collect(const struct pl_source *src, void *state)
{
	return pressure_collect(src, PL_CTRL_BIT(PL_CTRL_MEMORY), "memory", state);
}

int pl_pressure_io_collect(const struct pl_source *src, void *state)
{
	return pressure_collect(src, PL_CTRL_BIT(PL_CTRL_IO), "io", state);
}

int pl_pressure_render(const void *state, struct pl_buf *out)
{
	const struct pl_pressure_state *st = state;

	if (!st->text)
		return -EINVAL;
	pl_buf_puts(out, st->text);
	return pl_buf_error(out);
}

void pl_pressure_destroy(void *state)
{
	struct pl_pressure_state *st = state;

	free(st->text);
	st->text = NULL;
}
