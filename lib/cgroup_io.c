/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-device I/O counters of a cgroup (what /proc/diskstats is built from): v1 blkio and v2
 * io.stat speak different formats about the same numbers. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cgroup.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

struct devtab {
	struct pl_io_stat *v;
	size_t n, cap;
};

/* A few devices per cgroup: a linear search beats any index. */
static struct pl_io_stat *devtab_get(struct devtab *t, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].major == major && t->v[i].minor == minor)
			return &t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct pl_io_stat *v = reallocarray(t->v, cap, sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = (struct pl_io_stat){.major = major, .minor = minor};
	return &t->v[t->n++];
}

static int parse_u64_n(const char *s, size_t len, uint64_t *out)
{
	char num[32];

	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	return pl_parse_u64(num, out) < 0 ? -EINVAL : 0;
}

/* "8:16" */
static int parse_dev(const char *s, size_t len, unsigned *major, unsigned *minor)
{
	const char *colon = memchr(s, ':', len);
	uint64_t ma, mi;

	if (!colon || parse_u64_n(s, (size_t)(colon - s), &ma) < 0 ||
	    parse_u64_n(colon + 1, (size_t)(s + len - colon - 1), &mi) < 0 || ma > UINT_MAX || mi > UINT_MAX)
		return -EINVAL;
	*major = (unsigned)ma;
	*minor = (unsigned)mi;
	return 0;
}

/* Split a line at spaces: up to max tokens, -EINVAL past that. */
static int tokenize(const char *line, size_t len, const char **tok, size_t *tok_len, int max)
{
	const char *p = line, *end = line + len;
	int n = 0;

	while (p < end) {
		const char *sp;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		if (n == max)
			return -EINVAL;
		sp = memchr(p, ' ', (size_t)(end - p));
		tok[n] = p;
		tok_len[n] = sp ? (size_t)(sp - p) : (size_t)(end - p);
		p += tok_len[n];
		n++;
	}
	return n;
}

static bool tok_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

/* v1 blkio: "MAJ:MIN Op N" per device and operation, then "Total N" for all devices. Sync,
 * Async and Total per device are sums of the others; unknown operations of future
 * kernels are ignored. */
static int parse_v1_line(const char *line, size_t len, bool bytes, struct devtab *t)
{
	const char *tok[3];
	size_t tl[3];
	unsigned major, minor;
	uint64_t v, *field;
	struct pl_io_stat *s;
	int n = tokenize(line, len, tok, tl, 3);

	if (n == 0)
		return 0;
	if (n == 2 && tok_is(tok[0], tl[0], "Total"))
		return parse_u64_n(tok[1], tl[1], &v);
	if (n != 3 || parse_dev(tok[0], tl[0], &major, &minor) < 0 || parse_u64_n(tok[2], tl[2], &v) < 0)
		return -EINVAL;
	s = devtab_get(t, major, minor);
	if (!s)
		return -ENOMEM;
	if (tok_is(tok[1], tl[1], "Read"))
		field = bytes ? &s->read_bytes : &s->read_ios;
	else if (tok_is(tok[1], tl[1], "Write"))
		field = bytes ? &s->write_bytes : &s->write_ios;
	else if (tok_is(tok[1], tl[1], "Discard"))
		field = bytes ? &s->discard_bytes : &s->discard_ios;
	else
		return 0;
	*field = v;
	return 0;
}

/* v2 io.stat: "MAJ:MIN key=value ...". Controllers and kernel options add keys (cost.*,
 * use_delay, avg_lat...) that are not ours to interpret; the six byte and io counters are
 * required to be numbers when present. */
static int parse_v2_line(const char *line, size_t len, struct devtab *t)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
	    {"rbytes", offsetof(struct pl_io_stat, read_bytes)},
	    {"wbytes", offsetof(struct pl_io_stat, write_bytes)},
	    {"dbytes", offsetof(struct pl_io_stat, discard_bytes)},
	    {"rios", offsetof(struct pl_io_stat, read_ios)},
	    {"wios", offsetof(struct pl_io_stat, write_ios)},
	    {"dios", offsetof(struct pl_io_stat, discard_ios)},
	};
	const char *tok[64];
	size_t tl[64];
	unsigned major, minor;
	struct pl_io_stat *s;
	int n = tokenize(line, len, tok, tl, (int)PL_ARRAY_SIZE(tok));

	if (n <= 0)
		return n;
	if (parse_dev(tok[0], tl[0], &major, &minor) < 0)
		return -EINVAL;
	s = devtab_get(t, major, minor);
	if (!s)
		return -ENOMEM;
	for (int i = 1; i < n; i++) {
		const char *eq = memchr(tok[i], '=', tl[i]);

		if (!eq || eq == tok[i])
			return -EINVAL;
		for (size_t k = 0; k < PL_ARRAY_SIZE(keys); k++) {
			if (!tok_is(tok[i], (size_t)(eq - tok[i]), keys[k].key))
				continue;
			if (parse_u64_n(eq + 1, (size_t)(tok[i] + tl[i] - eq - 1),
					(uint64_t *)((char *)s + keys[k].offset)) < 0)
				return -EINVAL;
		}
	}
	return 0;
}

static int parse_lines(const char *text, int (*line_fn)(const char *, size_t, bool, struct devtab *),
		       bool bytes, struct devtab *t)
{
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		int k = line_fn(line, len, bytes, t);

		if (k < 0)
			return k;
		line += len + (eol ? 1 : 0);
	}
	return 0;
}

static int v2_line(const char *line, size_t len, bool unused, struct devtab *t)
{
	return parse_v2_line(line, len, t);
}

static ssize_t read_io_file(const struct pl_cgroup *cg, const char *file, char **text)
{
	const char *path = cg->path[PL_CTRL_IO];
	int fd = pl_cgroup_root_fd(cg->root, PL_CTRL_IO);
	char rel[PATH_MAX];
	int n;

	if (fd < 0 || !path)
		return -ENOENT;
	n = snprintf(rel, sizeof(rel), "%s%s%s", path, *path ? "/" : "", file);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	return pl_read_file_at(fd, rel, text);
}

static int io_v1(const struct pl_cgroup *cg, struct devtab *t)
{
	static const char *const files[][2] = {
	    {"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive"},
	    {"blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced"},
	};
	ssize_t n = -ENOENT;

	for (size_t i = 0; i < PL_ARRAY_SIZE(files) && n == -ENOENT; i++) {
		_cleanup_free_ char *bytes = NULL, *ios = NULL;
		int k;

		n = read_io_file(cg, files[i][0], &bytes);
		if (n >= 0)
			n = read_io_file(cg, files[i][1], &ios);
		if (n == -ENOENT && i == 0)
			continue; /* a kernel without the _recursive files */
		if (n < 0)
			return (int)n;
		k = parse_lines(bytes, parse_v1_line, true, t);
		if (k >= 0)
			k = parse_lines(ios, parse_v1_line, false, t);
		return k;
	}
	return (int)n;
}

int pl_cgroup_io_stats(const struct pl_cgroup *cg, struct pl_io_stat **out, size_t *n)
{
	struct devtab t = {0};
	int k;

	*out = NULL;
	*n = 0;
	if (!cg || !cg->root)
		return -EINVAL;
	if (cg->root->on_v2[PL_CTRL_IO]) {
		_cleanup_free_ char *text = NULL;
		ssize_t len = read_io_file(cg, "io.stat", &text);

		k = len < 0 ? (int)len : parse_lines(text, v2_line, false, &t);
	} else {
		k = io_v1(cg, &t);
	}
	if (k < 0) {
		free(t.v);
		return k;
	}
	*out = t.v;
	*n = t.n;
	return 0;
}
