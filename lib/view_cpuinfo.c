/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/cpuinfo for a container: the host's block of each visible CPU, renumbered from 0,
 * because nproc-less tools (and many build scripts) count "processor" lines, and numbering
 * must be dense for the ones that index by it. "siblings" and "cpu cores" say the visible
 * count, or lscpu and the JVM would compute threads-per-core from the host's topology.
 * Blocks without a "processor" line (a trailing summary on some architectures) are kept. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/cpuview.h"
#include "proclens/trace.h"
#include "proclens/view.h"

/* Position of cpu among the members of s. */
static unsigned cpuset_rank(const struct pl_cpuset *s, unsigned cpu)
{
	unsigned rank = 0;

	for (unsigned w = 0; w < cpu / 64; w++)
		rank += (unsigned)__builtin_popcountll(s->bits[w]);
	if (cpu % 64)
		rank += (unsigned)__builtin_popcountll(s->bits[cpu / 64] & ((UINT64_C(1) << (cpu % 64)) - 1));
	return rank;
}

/* The key of a "key\t\t: value" line, without its padding, compared to want. */
static bool line_key_is(const char *line, size_t len, const char *want, const char **value)
{
	const char *colon = memchr(line, ':', len);
	size_t klen, wlen = strlen(want);

	if (!colon)
		return false;
	klen = (size_t)(colon - line);
	while (klen > 0 && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
		klen--;
	if (klen != wlen || memcmp(line, want, wlen) != 0)
		return false;
	*value = colon + 1;
	while (*value < line + len && **value == ' ')
		(*value)++;
	return true;
}

/* Host CPU number of a block, -1 when it has no "processor" line. */
static long block_cpu(const char *block, size_t len)
{
	const char *line = block, *end = block + len;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t llen = eol ? (size_t)(eol - line) : (size_t)(end - line);
		const char *value;

		if (line_key_is(line, llen, "processor", &value)) {
			char *num_end;
			long cpu = strtol(value, &num_end, 10);
			return num_end == value || cpu < 0 ? -1 : cpu;
		}
		line = eol ? eol + 1 : end;
	}
	return -1;
}

static void emit_block(const char *block, size_t len, unsigned index, unsigned count, struct pl_buf *out)
{
	const char *line = block, *end = block + len;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t llen = eol ? (size_t)(eol - line) : (size_t)(end - line);
		const char *value;
		long replace = -1;

		if (line_key_is(line, llen, "processor", &value))
			replace = index;
		else if (line_key_is(line, llen, "siblings", &value) ||
			 line_key_is(line, llen, "cpu cores", &value))
			replace = count;
		if (replace >= 0) {
			pl_buf_append(out, line, (size_t)(value - line));
			pl_buf_printf(out, "%ld", replace);
			if (eol)
				pl_buf_puts(out, "\n");
		} else {
			pl_buf_append(out, line, eol ? llen + 1 : llen);
		}
		line = eol ? eol + 1 : end;
	}
}

int pl_cpuinfo_render(const void *state, struct pl_buf *out)
{
	const struct pl_cpuinfo_state *st = state;
	const char *p;
	unsigned count = pl_cpuset_count(&st->visible);

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	if (!st->host_cpuinfo)
		return -EINVAL;
	/* Blocks end with a blank line; each is kept or dropped with its separator. */
	for (p = st->host_cpuinfo; *p;) {
		const char *sep = strstr(p, "\n\n");
		size_t len = sep ? (size_t)(sep + 2 - p) : strlen(p);
		long cpu = block_cpu(p, len);

		if (cpu < 0)
			pl_buf_append(out, p, len);
		else if (pl_cpuset_has(&st->visible, (unsigned)cpu))
			emit_block(p, len, cpuset_rank(&st->visible, (unsigned)cpu), count, out);
		p += len;
	}
	return pl_buf_error(out);
}

int pl_cpuinfo_collect(const struct pl_source *src, void *state)
{
	struct pl_cpuinfo_state *st = state;
	ssize_t n;

	if (pl_cgroup_is_root_of(src->cg, PL_CPUVIEW_CPUS)) {
		pl_trace_passthrough(src->cg, PL_CPUVIEW_CPUS, "/proc/cpuinfo");
		n = pl_host_read_proc(src->host, "cpuinfo", &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	n = pl_host_read_proc(src->host, "cpuinfo", &st->host_cpuinfo);
	if (n < 0)
		return (int)n;
	n = pl_cpuview_collect_visible(src, &st->visible, NULL, NULL, NULL);
	if (n >= 0)
		if (pl_tracing())
			pl_trace_field("processor", NULL, NULL,
				       "the host's block of each visible CPU, renumbered from 0 (see CPUs); "
				       "\"siblings\" "
				       "and \"cpu cores\" say the visible count, %u",
				       pl_cpuset_count(&st->visible));
	return (int)n;
}

void pl_cpuinfo_destroy(void *state)
{
	struct pl_cpuinfo_state *st = state;

	free(st->passthrough);
	free(st->host_cpuinfo);
	st->passthrough = st->host_cpuinfo = NULL;
}
