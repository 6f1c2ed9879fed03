/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* /proc/diskstats for a container: iostat, sar, node_exporter and vmstat -d read it. One
 * line per block device the container did I/O on, in the host file's order and with the
 * host's device names (a device the host file does not list is skipped: it has no name),
 * and the kernel's 17 counters (Linux 5.5+ layout) from what the cgroup accounts:
 *   reads completed, sectors read            rios, rbytes / 512
 *   writes completed, sectors written        wios, wbytes / 512
 *   discards completed, sectors discarded    dios, dbytes / 512
 *   merges, times (ms reading, writing,      0: the cgroup counts none of them per device,
 *   discarding, flushing, doing I/O,            and the host's would describe every
 *   weighted), in progress, flushes             container at once
 * Sectors are 512 bytes whatever the device, as the kernel counts them. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cleanup.h"
#include "proclens/trace.h"
#include "proclens/view.h"

static bool has_io(const struct pl_io_stat *s)
{
	return s->read_bytes || s->write_bytes || s->discard_bytes || s->read_ios || s->write_ios ||
	       s->discard_ios;
}

/* "   8       0 sda 1 2 3 ...": major, minor, name, then at least one counter. */
static int parse_device_line(const char *line, size_t len, struct pl_diskstats_dev *d)
{
	char buf[256];
	unsigned major, minor;
	int name_start, name_end, counters;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	counters = 0;
	if (sscanf(buf, "%u %u %n%*s%n %n", &major, &minor, &name_start, &name_end, &counters) < 2 ||
	    counters == 0 || name_end - name_start >= (int)sizeof(d->name) || buf[counters] < '0' ||
	    buf[counters] > '9')
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->major = major;
	d->minor = minor;
	memcpy(d->name, buf + name_start, (size_t)(name_end - name_start));
	return 0;
}

int pl_diskstats_parse_devices(const char *text, struct pl_diskstats_dev **out, size_t *n)
{
	_cleanup_free_ struct pl_diskstats_dev *devs = NULL;
	size_t count = 0, cap = 0;

	*out = NULL;
	*n = 0;
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > 0) {
			if (count == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct pl_diskstats_dev *v = reallocarray(devs, ncap, sizeof(*v));

				if (!v)
					return -ENOMEM;
				devs = v;
				cap = ncap;
			}
			if (parse_device_line(line, len, &devs[count]) < 0)
				return -EINVAL;
			count++;
		}
		line += len + (eol ? 1 : 0);
	}
	*out = TAKE_PTR(devs);
	*n = count;
	return 0;
}

/* Keep the host's devices the container did I/O on, each with the container's numbers. */
static void select_devices(struct pl_diskstats_dev *host, size_t *nhost, const struct pl_io_stat *io,
			   size_t nio)
{
	size_t kept = 0;

	for (size_t i = 0; i < *nhost; i++) {
		for (size_t k = 0; k < nio; k++) {
			if (io[k].major != host[i].major || io[k].minor != host[i].minor || !has_io(&io[k]))
				continue;
			host[kept] = host[i];
			host[kept].io = io[k];
			kept++;
			break;
		}
	}
	*nhost = kept;
}

int pl_diskstats_collect(const struct pl_source *src, void *state)
{
	struct pl_diskstats_state *st = state;
	_cleanup_free_ char *host_text = NULL;
	_cleanup_free_ struct pl_io_stat *io = NULL;
	size_t nio;
	ssize_t n;
	int r;

	if (pl_cgroup_is_root_of(src->cg, PL_CTRL_BIT(PL_CTRL_IO))) {
		pl_trace_passthrough(src->cg, PL_CTRL_BIT(PL_CTRL_IO), "/proc/diskstats");
		n = pl_host_read_proc(src->host, "diskstats", &st->passthrough);
		return n < 0 ? (int)n : 0;
	}
	r = pl_cgroup_io_stats(src->cg, &io, &nio);
	if (r < 0)
		return r;
	n = pl_host_read_proc(src->host, "diskstats", &host_text);
	if (n < 0)
		return (int)n;
	r = pl_diskstats_parse_devices(host_text, &st->dev, &st->ndev);
	if (r < 0)
		return r;
	select_devices(st->dev, &st->ndev, io, nio);
	return 0;
}

int pl_diskstats_render(const void *state, struct pl_buf *out)
{
	const struct pl_diskstats_state *st = state;

	if (st->passthrough) {
		pl_buf_puts(out, st->passthrough);
		return pl_buf_error(out);
	}
	for (size_t i = 0; i < st->ndev; i++) {
		const struct pl_diskstats_dev *d = &st->dev[i];

		/* The kernel's diskstats_show layout: "%4d %7d %s" then the counters. */
		pl_buf_printf(
		    out, "%4u %7u %s %llu 0 %llu 0 %llu 0 %llu 0 0 0 0 %llu 0 %llu 0 0 0\n", d->major,
		    d->minor, d->name, (unsigned long long)d->io.read_ios,
		    (unsigned long long)(d->io.read_bytes / 512), (unsigned long long)d->io.write_ios,
		    (unsigned long long)(d->io.write_bytes / 512), (unsigned long long)d->io.discard_ios,
		    (unsigned long long)(d->io.discard_bytes / 512));
	}
	return pl_buf_error(out);
}

void pl_diskstats_destroy(void *state)
{
	struct pl_diskstats_state *st = state;

	free(st->passthrough);
	free(st->dev);
	memset(st, 0, sizeof(*st));
}
