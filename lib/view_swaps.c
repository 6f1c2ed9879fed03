/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/swaps for a container. swapon --show, free's fallbacks and monitoring agents read
 * it; the host's devices (names, sizes, what other containers swapped) are not the
 * container's business. When the container may swap, one line stands for what it may use:
 *   Filename "none", Type "virtual"      no device of its own: a share of the host's swap
 *   Size = meminfo's SwapTotal           min(host swap, swap limit), in kB
 *   Used = SwapTotal - SwapFree          its swap usage, capped at Size as meminfo does,
 *                                        so free(1) and swapon agree
 *   Priority 0
 * It may swap when there is swap accounting, host swap and a swap limit above 0 kB, the
 * same computation as meminfo's (pl_meminfo_swap_kb); otherwise only the header line. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/trace.h"
#include "proclens/view.h"

int pl_swaps_render(const void *state, struct pl_buf *out)
{
	const struct pl_swaps_state *st = state;
	/* The kernel pads the name to 40 columns ("%*s" after the path); short types get an
	 * extra tab ("file\t") so that Size lands under the header's column, as here. */
	static const char name[] = "none", type[] = "virtual\t";

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	pl_buf_puts(out, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	if (st->size_kb == 0)
		return pl_buf_error(out);
	/* Numbers of 8 digits and more lose their second tab, as in the kernel's swap_show. */
	pl_buf_printf(out, "%s%*s%s\t%llu\t%s%llu\t%s%d\n", name, 40 - (int)strlen(name), " ", type,
		      (unsigned long long)st->size_kb, st->size_kb < 10000000 ? "\t" : "",
		      (unsigned long long)st->used_kb, st->used_kb < 10000000 ? "\t" : "", 0);
	return pl_buf_error(out);
}

int pl_swaps_collect(const struct pl_source *src, void *state)
{
	struct pl_swaps_state *st = state;
	_cleanup_free_ struct pl_meminfo *host = NULL;
	struct pl_memory mem;
	uint64_t total_kb, free_kb;
	ssize_t n;
	int r;

	if (pl_cgroup_is_root_of(src->cg, PL_CTRL_BIT(PL_CTRL_MEMORY))) {
		pl_trace_passthrough(src->cg, PL_CTRL_BIT(PL_CTRL_MEMORY), "/proc/swaps");
		n = pl_host_read_proc(src->host, "swaps", &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	host = malloc(sizeof(*host));
	if (!host)
		return -ENOMEM;
	r = pl_host_meminfo(src->host, host);
	if (r >= 0)
		r = pl_cgroup_memory(src->cg, &mem);
	if (r < 0)
		return r;
	pl_meminfo_swap_kb(host, &mem, &total_kb, &free_kb);
	st->size_kb = total_kb;
	st->used_kb = total_kb - free_kb;
	if (pl_tracing())
		pl_trace_field(
		    "Filename", NULL, NULL,
		    total_kb
			? "the header, then one \"none virtual\" line for the swap the container may use "
			  "(see SwapTotal, SwapFree)"
			: "the header only: the container may not swap (see SwapTotal)");
	return 0;
}

void pl_swaps_destroy(void *state)
{
	struct pl_swaps_state *st = state;

	free(st->passthrough);
	st->passthrough = NULL;
}
