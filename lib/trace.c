/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The provenance recorder behind `proclens explain` (include/proclens/trace.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclens/trace.h"

__thread struct pl_trace *pl_trace_current;

void pl_trace_begin(struct pl_trace *t)
{
	pl_trace_current = t;
}

void pl_trace_end(void)
{
	pl_trace_current = NULL;
}

void pl_trace_free(struct pl_trace *t)
{
	if (pl_trace_current == t)
		pl_trace_current = NULL;
	free(t->src);
	free(t->field);
	memset(t, 0, sizeof(*t));
}

/* Room for one more element of size `size` in *arr; false (and oom set) when there is none. */
static bool grow(struct pl_trace *t, void **arr, size_t n, size_t *cap, size_t size)
{
	void *bigger;
	size_t want;

	if (n < *cap)
		return true;
	want = *cap ? *cap * 2 : 16;
	bigger = realloc(*arr, want * size);
	if (!bigger) {
		t->oom = true;
		return false;
	}
	*arr = bigger;
	*cap = want;
	return true;
}

long pl_trace_add_source(const struct pl_trace_source *s)
{
	struct pl_trace *t = pl_trace_current;

	if (!t || !grow(t, (void **)&t->src, t->n_src, &t->cap_src, sizeof(*t->src)))
		return -1;
	t->src[t->n_src] = *s;
	return (long)t->n_src++;
}

size_t pl_trace_mark(void)
{
	return pl_trace_current ? pl_trace_current->n_src : 0;
}

void pl_trace_effective(size_t from, size_t to)
{
	struct pl_trace *t = pl_trace_current;

	if (!t || to > t->n_src)
		return;
	for (size_t i = from; i < to; i++)
		for (size_t j = 0; j < from; j++)
			if (strcmp(t->src[j].quantity, t->src[i].quantity) == 0)
				t->src[j].effective = false;
	for (size_t i = from; i < to; i++)
		t->src[i].effective = true;
}

bool pl_trace_has_field(const char *name)
{
	struct pl_trace *t = pl_trace_current;

	for (size_t i = 0; t && i < t->n_field; i++)
		if (strcmp(t->field[i].name, name) == 0)
			return true;
	return false;
}

void pl_trace_field(const char *name, const char *value, const char *uses, const char *rule_fmt, ...)
{
	struct pl_trace *t = pl_trace_current;
	struct pl_trace_field *f;
	va_list ap;

	if (!t || pl_trace_has_field(name) ||
	    !grow(t, (void **)&t->field, t->n_field, &t->cap_field, sizeof(*t->field)))
		return;
	f = &t->field[t->n_field++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->value, sizeof(f->value), "%s", value ? value : "");
	snprintf(f->uses, sizeof(f->uses), "%s", uses ? uses : "");
	va_start(ap, rule_fmt);
	vsnprintf(f->rule, sizeof(f->rule), rule_fmt, ap);
	va_end(ap);
}

void pl_trace_passthrough(const struct pl_cgroup *cg, unsigned ctrls, const char *host_file)
{
	char names[128] = "";
	size_t len = 0;
	unsigned n = 0, total = 0;

	if (!pl_tracing())
		return;
	/* Only the mounted ones: those pl_cgroup_is_root_of asked. */
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		total += (ctrls & PL_CTRL_BIT(c)) && pl_cgroup_root_fd(cg->root, c) >= 0;
	for (int c = 0; c < PL_CTRL_COUNT && len < sizeof(names); c++) {
		if (!(ctrls & PL_CTRL_BIT(c)) || pl_cgroup_root_fd(cg->root, c) < 0)
			continue;
		const char *sep = ++n == 1 ? "" : n == total ? " and " : ", ";

		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", sep, pl_controller_name(c));
	}
	pl_trace_field("(whole file)", NULL, NULL,
		       "the host's %s, unchanged: the reader is in the root %s cgroup%s, which %s the whole "
		       "machine",
		       host_file, names, total > 1 ? "s" : "", total > 1 ? "are" : "is");
}

const struct pl_trace_source *pl_trace_last_error(const struct pl_trace *t)
{
	for (size_t i = t->n_src; i > 0; i--)
		if (t->src[i - 1].err && !t->src[i - 1].ancestor)
			return &t->src[i - 1];
	return NULL;
}

/* Kernel text on one line: newlines become "; ", and what does not fit ends in "...". */
static void trim_raw(const char *raw, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = raw; *p && o + 4 < size; p++) {
		if (*p == '\n') {
			if (p[1] == '\0')
				break;
			out[o++] = ';';
			out[o++] = ' ';
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	if (raw[0] && strlen(raw) > o + 1 && o + 4 >= size)
		strcpy(out + o, "...");
}

long pl_trace_cgroup_read(const struct pl_cgroup *cg, enum pl_controller c, const char *rel_dir,
			  size_t rel_len, bool ancestor, const char *file, const char *key,
			  const char *quantity, const char *raw, int err)
{
	struct pl_trace_source s;
	char link[64], mount[400];
	ssize_t n = -1;
	int fd;

	if (!pl_tracing())
		return -1;
	memset(&s, 0, sizeof(s));
	snprintf(s.quantity, sizeof(s.quantity), "%s", quantity);
	snprintf(s.controller, sizeof(s.controller), "%s",
		 c == PL_CTRL_COUNT ? "cgroup2" : pl_controller_name(c));
	snprintf(s.file, sizeof(s.file), "%s", file);
	snprintf(s.key, sizeof(s.key), "%s", key ? key : "");
	snprintf(s.cgroup, sizeof(s.cgroup), "/%.*s", (int)rel_len, rel_dir);
	/* The hierarchy is held as a dirfd; its mount point is what a person can cat. */
	fd = !cg || !cg->root ? -1 : c == PL_CTRL_COUNT ? cg->root->v2_fd : pl_cgroup_root_fd(cg->root, c);
	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, mount, sizeof(mount) - 1);
	}
	if (n < 0)
		n = 0;
	mount[n] = '\0';
	snprintf(s.path, sizeof(s.path), "%s%s%.*s/%s", mount, rel_len ? "/" : "", (int)rel_len, rel_dir,
		 file);
	s.ancestor = ancestor;
	trim_raw(raw ? raw : "", s.raw, sizeof(s.raw));
	s.err = err;
	return pl_trace_add_source(&s);
}
