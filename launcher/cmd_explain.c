/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proclens explain FILE (--pid PID | --cgroup PATH): each field of FILE with where it came
 * from. The file is rendered by the daemon's code under a trace (proclens/trace.h); this
 * file only arranges what the cgroup module and the views recorded: it computes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect.h"
#include "proclens/cleanup.h"
#include "proclens/view.h"

/* Files whose views record no per-field rules: what the whole file is made of. */
static const struct {
	const char *prefix;
	const char *what;
} file_notes[] = {
    {"proc/diskstats",
     "one line per block device the cgroup did I/O on, in the host file's order with its names: reads, "
     "writes, discards and their sectors from the cgroup's io.stat (cgroup v2) or "
     "blkio.throttle.io_service_bytes_recursive and blkio.throttle.io_serviced_recursive (v1); merges, "
     "times and in-flight counts 0 (no per-cgroup counterpart)"},
    {"proc/pressure/",
     "the cgroup's own cpu.pressure, memory.pressure or io.pressure, verbatim (read from its cgroup v2 "
     "directory, also on a hybrid layout: PSI follows the v2 hierarchy)"},
    {"sys/devices/system/cpu/",
     "the host's file, with CPU numbers and lists renumbered to the visible CPUs (see CPUs)"},
};

/* The key a field would be named by on this line: up to ':' or the first blank. */
static size_t line_key(const char *line, size_t len, char *key, size_t size)
{
	size_t k = 0;

	while (k < len && line[k] != ':' && line[k] != ' ' && line[k] != '\t')
		k++;
	if (k >= size)
		k = size - 1;
	memcpy(key, line, k);
	key[k] = '\0';
	return k;
}

/* Does this content line belong to field name? "cpu3" belongs to "cpuN". */
static bool line_is_field(const char *line, size_t len, const char *name)
{
	char key[64];
	size_t k = line_key(line, len, key, sizeof(key));

	if (strcmp(key, name) == 0)
		return true;
	return strcmp(name, "cpuN") == 0 && k > 3 && strncmp(key, "cpu", 3) == 0 &&
	       strspn(key + 3, "0123456789") == k - 3;
}

static bool uses_quantity(const struct pl_trace_field *f, const char *quantity)
{
	size_t qlen = strlen(quantity);

	for (const char *p = f->uses; *p;) {
		size_t len = strcspn(p, ";");

		if (len == qlen && memcmp(p, quantity, len) == 0)
			return true;
		p += len;
		p += *p == ';';
	}
	return false;
}

static void source_ref(struct pl_buf *b, const struct pl_trace_source *s, bool with_file)
{
	uint64_t limit;

	if (!s->file[0]) {
		pl_buf_printf(b, "the cgroup is in no %s hierarchy", s->controller);
		return;
	}
	if (with_file && s->err != -ENOENT) {
		pl_buf_puts(b, s->file);
		if (s->key[0])
			pl_buf_printf(b, " %s", s->key);
		pl_buf_puts(b, " of ");
	}
	pl_buf_puts(b, s->cgroup);
	if (s->err == -ENOENT)
		pl_buf_printf(b, " (no %s)", s->file);
	else if (s->err)
		pl_buf_printf(b, " (%s: %s)", s->raw[0] ? s->raw : "unreadable", strerror(-s->err));
	else if (strstr(s->quantity, "limit") && strcmp(s->raw, "max") != 0 && strcmp(s->raw, "-1") != 0 &&
		 pl_parse_limit(s->raw, &limit) >= 0 && limit == PL_UNLIMITED)
		pl_buf_printf(b, " (%s: no limit)", s->raw);
	else
		pl_buf_printf(b, " (%s)", s->raw);
}

/* More than one file stands for this quantity (v1's cfs_quota_us and cfs_period_us)? */
static bool several_files(const struct pl_trace *t, const char *quantity)
{
	const char *first = NULL;

	for (size_t i = 0; i < t->n_src; i++)
		if (strcmp(t->src[i].quantity, quantity) == 0) {
			if (first && strcmp(first, t->src[i].file) != 0)
				return true;
			first = t->src[i].file;
		}
	return false;
}

/* One quantity's sources in a line: the levels in effect, then the others. */
static void format_quantity(struct pl_buf *b, const struct pl_trace *t, const char *quantity)
{
	bool any_effective = false, limit = strstr(quantity, "limit") || strcmp(quantity, "cpu quota") == 0;
	unsigned n = 0, others = 0;

	for (size_t i = 0; i < t->n_src; i++)
		if (strcmp(t->src[i].quantity, quantity) == 0) {
			n++;
			any_effective |= t->src[i].effective;
		}
	pl_buf_printf(b, "    %s: ", quantity);
	if (n == 0) {
		if (strncmp(quantity, "memory.stat ", 12) == 0)
			pl_buf_printf(
			    b,
			    "no %s key in this cgroup's memory.stat (this cgroup version has no such "
			    "counter): counted as 0\n",
			    quantity + 12);
		else
			pl_buf_puts(b, "not read (does not apply here)\n");
		return;
	}
	/* Sources of one quantity at one level (v1 quota and period) read as one. */
	for (size_t i = 0, k = 0; i < t->n_src; i++) {
		const struct pl_trace_source *s = &t->src[i];

		if (strcmp(s->quantity, quantity) != 0 || (any_effective && !s->effective))
			continue;
		pl_buf_puts(b, k++ ? ", " : "");
		source_ref(b, s, true);
	}
	if (any_effective)
		pl_buf_puts(b, n > 1 ? " in effect" : "");
	for (size_t i = 0; any_effective && i < t->n_src; i++) {
		const struct pl_trace_source *s = &t->src[i];

		if (strcmp(s->quantity, quantity) != 0 || s->effective)
			continue;
		pl_buf_puts(b, others++ ? ", " : limit ? ", tighter than " : "; also read: ");
		source_ref(b, s, several_files(t, quantity));
	}
	if (!any_effective && limit)
		pl_buf_puts(b, ": no level sets one");
	pl_buf_puts(b, "\n");
}

static void format_field(struct pl_buf *b, const struct pl_trace *t, const struct pl_trace_field *f)
{
	pl_buf_printf(b, "    = %s\n", f->rule);
	for (const char *p = f->uses; *p;) {
		size_t len = strcspn(p, ";");
		char quantity[sizeof(f->uses)];

		memcpy(quantity, p, len);
		quantity[len] = '\0';
		format_quantity(b, t, quantity);
		p += len;
		p += *p == ';';
	}
}

/* Lines of content belonging to field f, up to 3 of them and a count of the rest. */
static bool format_lines(struct pl_buf *b, const char *content, const struct pl_trace_field *f)
{
	unsigned n = 0;

	for (const char *line = content; *line;) {
		size_t len = strcspn(line, "\n");

		if (line_is_field(line, len, f->name)) {
			if (n < 3)
				pl_buf_printf(b, "%.*s\n", (int)len, line);
			n++;
		}
		line += len;
		line += *line == '\n';
	}
	if (n > 3)
		pl_buf_printf(b, "(and %u more %s lines)\n", n - 3, f->name);
	return n > 0;
}

static bool field_has_line(const char *content, const struct pl_trace_field *f)
{
	for (const char *line = content; *line;) {
		size_t len = strcspn(line, "\n");

		if (line_is_field(line, len, f->name))
			return true;
		line += len;
		line += *line == '\n';
	}
	return false;
}

int pl_explain_format_text(const struct pl_inspect_opts *o, const char *content, const struct pl_trace *t,
			   struct pl_buf *b)
{
	bool *printed = calloc(t->n_field + 1, sizeof(*printed));

	if (!printed)
		return -ENOMEM;
	if (o->cgroup)
		pl_buf_printf(b, "%s as a process in cgroup %s reads it\n\n", o->file, o->cgroup);
	else
		pl_buf_printf(b, "%s as pid %d reads it\n\n", o->file, (int)o->pid);
	for (size_t i = 0; i < PL_ARRAY_SIZE(file_notes); i++)
		if (strncmp(o->file, file_notes[i].prefix, strlen(file_notes[i].prefix)) == 0 &&
		    (!pl_view_find(o->file) || strncmp(o->file, "proc/", 5) == 0))
			pl_buf_printf(b, "%s\n\n", file_notes[i].what);
	/* Fields that are no line of their own (the CPU count, the idle model) first... */
	for (size_t i = 0; i < t->n_field; i++) {
		const struct pl_trace_field *f = &t->field[i];

		if (field_has_line(content, f))
			continue;
		pl_buf_printf(b, "%s%s%s\n", f->name, f->value[0] ? ": " : "", f->value);
		format_field(b, t, f);
		printed[i] = true;
	}
	/* ...then every line that has a rule, in the file's order. */
	for (const char *line = content; *line;) {
		size_t len = strcspn(line, "\n");

		for (size_t i = 0; i < t->n_field; i++)
			if (!printed[i] && line_is_field(line, len, t->field[i].name)) {
				format_lines(b, content, &t->field[i]);
				format_field(b, t, &t->field[i]);
				printed[i] = true;
			}
		line += len;
		line += *line == '\n';
	}
	free(printed);
	if (t->oom)
		pl_buf_puts(b, "\n(out of memory while tracing: this explanation is incomplete)\n");
	return pl_buf_error(b);
}

static void json_source(struct pl_buf *b, const struct pl_trace_source *s)
{
	pl_buf_puts(b, "{\"quantity\": ");
	pl_json_string(b, s->quantity);
	pl_buf_puts(b, ", \"controller\": ");
	pl_json_string(b, s->controller);
	pl_buf_puts(b, ", \"file\": ");
	pl_json_string(b, s->file);
	if (s->key[0]) {
		pl_buf_puts(b, ", \"key\": ");
		pl_json_string(b, s->key);
	}
	pl_buf_puts(b, ", \"cgroup\": ");
	pl_json_string(b, s->cgroup);
	pl_buf_puts(b, ", \"path\": ");
	pl_json_string(b, s->path);
	pl_buf_printf(b, ", \"level\": \"%s\", \"effective\": %s", s->ancestor ? "ancestor" : "self",
		      s->effective ? "true" : "false");
	if (s->err) {
		pl_buf_puts(b, ", \"error\": ");
		pl_json_string(b, strerror(-s->err));
	} else {
		pl_buf_puts(b, ", \"raw\": ");
		pl_json_string(b, s->raw);
	}
	pl_buf_puts(b, "}");
}

int pl_explain_format_json(const struct pl_inspect_opts *o, const char *content, const struct pl_trace *t,
			   struct pl_buf *b)
{
	pl_inspect_json_head(b, o);
	pl_buf_puts(b, ", \"content\": ");
	pl_json_string(b, content);
	pl_buf_puts(b, ", \"fields\": [");
	for (size_t i = 0; i < t->n_field; i++) {
		const struct pl_trace_field *f = &t->field[i];
		unsigned k = 0;

		pl_buf_puts(b, i ? ", {\"name\": " : "{\"name\": ");
		pl_json_string(b, f->name);
		pl_buf_puts(b, ", \"value\": ");
		pl_json_string(b, f->value);
		pl_buf_puts(b, ", \"rule\": ");
		pl_json_string(b, f->rule);
		pl_buf_puts(b, ", \"sources\": [");
		for (size_t j = 0; j < t->n_src; j++)
			if (uses_quantity(f, t->src[j].quantity)) {
				pl_buf_puts(b, k++ ? ", " : "");
				json_source(b, &t->src[j]);
			}
		pl_buf_puts(b, "]}");
	}
	pl_buf_puts(b, "], \"files_read\": [");
	for (size_t j = 0; j < t->n_src; j++) {
		pl_buf_puts(b, j ? ", " : "");
		json_source(b, &t->src[j]);
	}
	pl_buf_printf(b, "], \"complete\": %s}\n", t->oom ? "false" : "true");
	return pl_buf_error(b);
}

int pl_cmd_explain(int argc, char **argv)
{
	struct pl_inspect_opts o;
	struct pl_err e = {0};
	struct pl_trace t = {0};
	_cleanup_free_ char *content = NULL;
	struct pl_buf out;
	size_t len = 0;
	int r;

	r = pl_inspect_parse(argc, argv, &o, &e);
	if (r != 0)
		return r > 0 ? pl_inspect_help_done("explain") : pl_inspect_fail("explain", &e, true);
	r = pl_inspect_render(&o, &t, &content, &len, &e);
	if (r < 0) {
		pl_trace_free(&t);
		return pl_inspect_fail("explain", &e, false);
	}
	pl_buf_init(&out);
	r = o.json ? pl_explain_format_json(&o, content, &t, &out)
		   : pl_explain_format_text(&o, content, &t, &out);
	if (r < 0)
		pl_errf(&e, r, "cannot format the explanation");
	else
		r = pl_inspect_output(out.data, out.len, &e);
	pl_buf_free(&out);
	pl_trace_free(&t);
	return r < 0 ? pl_inspect_fail("explain", &e, false) : 0;
}
