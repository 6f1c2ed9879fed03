/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/view.h"

/* The one list of synthesized files. Read-only for everyone: a container must not be able
 * to change what another sees. */
const struct pl_view pl_views[] = {
    {"proc/meminfo", S_IFREG | 0444, sizeof(struct pl_meminfo_state), pl_meminfo_collect, pl_meminfo_render,
     pl_meminfo_destroy},
    {"proc/cpuinfo", S_IFREG | 0444, sizeof(struct pl_cpuinfo_state), pl_cpuinfo_collect, pl_cpuinfo_render,
     pl_cpuinfo_destroy},
    {"proc/stat", S_IFREG | 0444, sizeof(struct pl_stat_state), pl_stat_collect, pl_stat_render,
     pl_stat_destroy},
    {"proc/uptime", S_IFREG | 0444, sizeof(struct pl_uptime_state), pl_uptime_collect, pl_uptime_render,
     pl_uptime_destroy},
    {"proc/loadavg", S_IFREG | 0444, sizeof(struct pl_loadavg_state), pl_loadavg_collect, pl_loadavg_render,
     pl_loadavg_destroy},
    {"proc/swaps", S_IFREG | 0444, sizeof(struct pl_swaps_state), pl_swaps_collect, pl_swaps_render,
     pl_swaps_destroy},
    {"proc/diskstats", S_IFREG | 0444, sizeof(struct pl_diskstats_state), pl_diskstats_collect,
     pl_diskstats_render, pl_diskstats_destroy},
    {"proc/pressure/cpu", S_IFREG | 0444, sizeof(struct pl_pressure_state), pl_pressure_cpu_collect,
     pl_pressure_render, pl_pressure_destroy},
    {"proc/pressure/memory", S_IFREG | 0444, sizeof(struct pl_pressure_state), pl_pressure_memory_collect,
     pl_pressure_render, pl_pressure_destroy},
    {"proc/pressure/io", S_IFREG | 0444, sizeof(struct pl_pressure_state), pl_pressure_io_collect,
     pl_pressure_render, pl_pressure_destroy},
    {"sys/devices/system/cpu/online", S_IFREG | 0444, sizeof(struct pl_sysfs_cpu_state),
     pl_sysfs_cpu_online_collect, pl_sysfs_cpu_render, pl_sysfs_cpu_destroy},
    {"sys/devices/system/cpu/possible", S_IFREG | 0444, sizeof(struct pl_sysfs_cpu_state),
     pl_sysfs_cpu_possible_collect, pl_sysfs_cpu_render, pl_sysfs_cpu_destroy},
    {"sys/devices/system/cpu/present", S_IFREG | 0444, sizeof(struct pl_sysfs_cpu_state),
     pl_sysfs_cpu_present_collect, pl_sysfs_cpu_render, pl_sysfs_cpu_destroy},
};
const size_t pl_views_count = PL_ARRAY_SIZE(pl_views);

const struct pl_view *pl_view_find(const char *path)
{
	if (!path)
		return NULL;
	/* FUSE and the launcher spell paths with or without the leading slash. */
	while (*path == '/')
		path++;
	for (size_t i = 0; i < pl_views_count; i++)
		if (strcmp(pl_views[i].path, path) == 0)
			return &pl_views[i];
	return NULL;
}

int pl_view_generate(const struct pl_view *v, const struct pl_source *src, struct pl_buf *out)
{
	_cleanup_free_ void *state = calloc(1, v->state_size);
	int r;

	if (!state)
		return -ENOMEM;
	r = v->collect(src, state);
	if (r >= 0) {
		r = v->render(state, out);
		if (r >= 0)
			r = pl_buf_error(out);
	}
	/* collect may fail half way: destroy copes with a partially filled state. */
	if (v->destroy)
		v->destroy(state);
	return r < 0 ? r : 0;
}

void pl_cpu_history_free(struct pl_cpu_history *h)
{
	if (!h)
		return;
	free(h->user_ns);
	free(h->system_ns);
	free(h->idle_ns);
	memset(h, 0, sizeof(*h));
}
