/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proclens stats [--no-stream] [--json] [--interval S] [--cgroup PATH]...: a live table of
 * the containers on the machine, those `proclens run` started (cgroups below "proclens" in
 * each hierarchy, cgroup_setup.c) and any cgroup given by path, read through the same
 * cgroup module as the views. Refreshes like top; q or Ctrl-C ends it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "proclens/cleanup.h"
#include "proclens/view.h"

#define STATS_PARENT "proclens" /* launcher/cgroup_setup.c's PL_CG_PARENT */
#define NO_STREAM_SAMPLE_NS (UINT64_C(500) * 1000000)

struct stats_row {
	char name[PL_STATS_PATH_MAX];	/* container name, or the cgroup path for --cgroup rows */
	char cgroup[PL_STATS_PATH_MAX]; /* "/proclens/web" */
	struct pl_cgroup cg;
	struct pl_loadavg loadavg;
	bool have_prev;
	bool given; /* by --cgroup */
	bool gone;  /* removed since it was listed: a read said -ESTALE */
	uint64_t prev_cpu_ns, prev_at_ns;
	struct pl_stats_sample s;
};

static void usage(FILE *f)
{
	fputs("Usage: proclens stats [--no-stream] [--json] [--interval S] [--cgroup PATH]...\n\n"
	      "A live table of the containers on this machine (those proclens run started, and every\n"
	      "cgroup given with --cgroup): memory used and limit, CPU use against the quota, pids, load.\n"
	      "Refreshes every S seconds (default 2) like top; q or Ctrl-C ends it.\n\n"
	      "  -n, --no-stream    print once (CPU use measured over 0.5 s) and exit\n"
	      "  -j, --json         a JSON array of objects, one per container; streaming, one\n"
	      "                     array per line and refresh (NDJSON)\n"
	      "  -i, --interval S   seconds between refreshes (default 2)\n"
	      "  -c, --cgroup PATH  also show this cgroup (\"/system.slice/x\"); repeatable\n"
	      "  -h, --help\n",
	      f);
}

int pl_stats_parse(int argc, char **argv, struct pl_stats_opts *o, struct pl_err *e)
{
	static const struct option options[] = {
	    {"no-stream", no_argument, NULL, 'n'},	{"json", no_argument, NULL, 'j'},
	    {"interval", required_argument, NULL, 'i'}, {"cgroup", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},		{NULL, 0, NULL, 0},
	};
	bool interval_given = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->interval_ms = 2000;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jni:c:h", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->no_stream = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'i': {
			uint64_t ms;

			/* Given twice, one of the two is a mistake: which, we cannot tell. */
			if (interval_given)
				return pl_usagef(e, "--interval given twice");
			interval_given = true;
			/* strtod took " 2", "+2", "2e0" and "0x2". */
			if (pl_parse_arg_decimal(optarg, 1000, 3600 * 1000, &ms) < 0 || ms < 100)
				return pl_usagef(e, "--interval wants seconds between 0.1 and 3600 (such as 2 or "
						 "0.5), not '%s'",
						 optarg);
			o->interval_ms = (unsigned)ms;
			break;
		}
		case 'c':
			if (pl_inspect_cgroup_arg(optarg, e) < 0)
				return -EINVAL;
			if (o->n_cgroups >= PL_ARRAY_SIZE(o->cgroups))
				return pl_usagef(e, "at most %zu --cgroup", PL_ARRAY_SIZE(o->cgroups));
			o->cgroups[o->n_cgroups++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			return pl_usagef(e, "%s needs an argument", argv[optind - 1]);
		default:
			return pl_usagef(e, "unknown option '%s' (see proclens stats --help)",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pl_usagef(e, "unexpected argument '%s' (see proclens stats --help)", argv[optind]);
	return 0;
}

/* ---- formatting (pure) ---- */

void pl_stats_human_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < PL_ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lluB", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%.*f%s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
}

/* Percent of one CPU used between two readings of the cgroup's CPU time, as docker stats. */
double pl_stats_cpu_percent(uint64_t prev_ns, uint64_t now_ns, uint64_t prev_at_ns, uint64_t now_at_ns)
{
	if (now_at_ns <= prev_at_ns || now_ns < prev_ns)
		return 0;
	return (double)(now_ns - prev_ns) * 100.0 / (double)(now_at_ns - prev_at_ns);
}

/* "0.5", "1.5", "2", "12345", "0.015": quota/period as a number of CPUs to four decimals,
 * without trailing zeros (nor an exponent, which %g would write past four digits). */
static void cpus_text(const struct pl_stats_sample *s, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%.4f", (double)s->cpu_quota_usec / (double)s->cpu_period_usec);

	if (n <= 0 || (size_t)n >= size)
		return;
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

static bool has_quota(const struct pl_stats_sample *s)
{
	return s->cpu_quota_usec != PL_UNLIMITED && s->cpu_period_usec > 0;
}

static double mem_percent(const struct pl_stats_sample *s)
{
	uint64_t of = s->memory_limit_bytes != PL_UNLIMITED ? s->memory_limit_bytes : s->host_memory_bytes;

	return of ? (double)s->memory_used_bytes * 100.0 / (double)of : 0;
}

/* One line of the table into out, cut to cols columns (0: whole) as top cuts its lines: a
 * line wider than the terminal wraps, and the redraw from the top left then scrolls. */
static void table_line(struct pl_buf *out, unsigned cols, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void table_line(struct pl_buf *out, unsigned cols, const char *fmt, ...)
{
	char line[PL_STATS_PATH_MAX + 128]; /* the longest name and the columns: cut at 512 before */
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (cols && (unsigned)n > cols)
		n = (int)cols;
	pl_buf_printf(out, "%.*s\n", n, line);
}

/* A name as the table shows it: a control byte (a cgroup name may hold any) is '?', so that
 * it neither moves the cursor nor breaks the columns. */
static void table_name(const char *name, char *buf, size_t size)
{
	size_t i = 0;

	for (; name[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	buf[i] = '\0';
}

void pl_stats_format_table(const struct pl_stats_sample *rows, size_t n, unsigned cols, unsigned lines,
			   struct pl_buf *out)
{
	int name_width = 24; /* the NAME column fits the longest name: container names go to 64 */

	for (size_t i = 0; i < n; i++)
		if (strlen(rows[i].name) > (size_t)name_width)
			name_width = (int)strlen(rows[i].name);
	table_line(out, cols, "%-*s %10s %10s %6s %7s %9s %6s %5s", name_width, "NAME", "MEM USED",
		   "MEM LIMIT", "MEM %", "CPU %", "CPU QUOTA", "PIDS", "LOAD");
	for (size_t i = 0; i < n && (!lines || i + 1 < lines); i++) {
		const struct pl_stats_sample *s = &rows[i];
		char name[sizeof(s->name)], used[32] = "-", limit[32] = "-", mem_pct[16] = "-",
						cpu_pct[16] = "-", quota[32] = "-", pids[24] = "-", load[16] = "-";

		table_name(s->name, name, sizeof(name));
		if (s->have_memory) {
			pl_stats_human_bytes(s->memory_used_bytes, used, sizeof(used));
			if (s->memory_limit_bytes != PL_UNLIMITED)
				pl_stats_human_bytes(s->memory_limit_bytes, limit, sizeof(limit));
			else
				snprintf(limit, sizeof(limit), "none");
			snprintf(mem_pct, sizeof(mem_pct), "%.1f", mem_percent(s));
		}
		if (s->have_cpu_percent)
			snprintf(cpu_pct, sizeof(cpu_pct), "%.1f", s->cpu_percent);
		if (s->have_cpu_limits) {
			if (has_quota(s))
				cpus_text(s, quota, sizeof(quota));
			else
				snprintf(quota, sizeof(quota), "none");
		}
		if (s->have_pids)
			snprintf(pids, sizeof(pids), "%llu", (unsigned long long)s->pids);
		if (s->have_load)
			snprintf(load, sizeof(load), "%u", s->load);
		table_line(out, cols, "%-*s %10s %10s %6s %7s %9s %6s %5s", name_width, name, used, limit,
			   mem_pct, cpu_pct, quota, pids, load);
	}
}

void pl_stats_format_json(const struct pl_stats_sample *rows, size_t n, bool one_line, struct pl_buf *out)
{
	pl_buf_puts(out, "[");
	for (size_t i = 0; i < n; i++) {
		const struct pl_stats_sample *s = &rows[i];
		char quota[32];

		pl_buf_puts(out, !i ? "{\"name\": " : one_line ? ", {\"name\": " : ",\n {\"name\": ");
		pl_json_string(out, s->name);
		pl_buf_puts(out, ", \"cgroup\": ");
		pl_json_string(out, s->cgroup);
		if (s->have_memory) {
			pl_buf_printf(out, ", \"memory_used_bytes\": %llu",
				      (unsigned long long)s->memory_used_bytes);
			if (s->memory_limit_bytes != PL_UNLIMITED)
				pl_buf_printf(out, ", \"memory_limit_bytes\": %llu",
					      (unsigned long long)s->memory_limit_bytes);
			else
				pl_buf_puts(out, ", \"memory_limit_bytes\": null");
			pl_buf_printf(out, ", \"memory_percent\": %.2f", mem_percent(s));
		} else {
			pl_buf_puts(out, ", \"memory_used_bytes\": null, \"memory_limit_bytes\": null, "
					 "\"memory_percent\": null");
		}
		if (s->have_cpu_percent)
			pl_buf_printf(out, ", \"cpu_percent\": %.2f", s->cpu_percent);
		else
			pl_buf_puts(out, ", \"cpu_percent\": null");
		if (s->have_cpu_limits && has_quota(s)) {
			cpus_text(s, quota, sizeof(quota));
			pl_buf_printf(out, ", \"cpu_quota_cpus\": %s", quota);
		} else {
			pl_buf_puts(out, ", \"cpu_quota_cpus\": null");
		}
		if (s->have_pids)
			pl_buf_printf(out, ", \"pids\": %llu", (unsigned long long)s->pids);
		else
			pl_buf_puts(out, ", \"pids\": null");
		if (s->have_load)
			pl_buf_printf(out, ", \"load\": %u", s->load);
		else
			pl_buf_puts(out, ", \"load\": null");
		pl_buf_puts(out, "}");
	}
	pl_buf_puts(out, "]\n");
}

/* ---- collecting ---- */

struct stats {
	const struct pl_stats_opts *opts;
	struct pl_cgroup_root root;
	struct pl_host host;
	uint64_t host_memory_bytes;
	struct stats_row *row;
	size_t n;
};

static struct stats_row *row_find(struct stats *st, const char *cgroup)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->row[i].cgroup, cgroup) == 0)
			return &st->row[i];
	return NULL;
}

/* A row for cgroup, unless one names it already: "/a", "a/" and "//a" are one cgroup,
 * listed once (they were three rows, as if three containers), and a --cgroup naming a
 * container stats found is that container's row, which then must not go away. */
static int row_add(struct stats *st, const char *name, const char *cgroup, bool given)
{
	struct stats_row *bigger, *r, *same = row_find(st, cgroup);
	struct pl_cgroup cg = {0};
	int k;

	if (!same) {
		k = pl_cgroup_from_path(&st->root, cgroup, &cg);
		if (k < 0) {
			pl_cgroup_free(&cg);
			return k;
		}
		for (size_t i = 0; !same && i < st->n; i++)
			if (pl_cgroup_equal(&st->row[i].cg, &cg))
				same = &st->row[i];
	}
	if (same) {
		pl_cgroup_free(&cg);
		same->given |= given;
		return 0;
	}
	bigger = realloc(st->row, (st->n + 1) * sizeof(*st->row));
	if (!bigger) {
		pl_cgroup_free(&cg);
		return -ENOMEM;
	}
	st->row = bigger;
	r = &st->row[st->n];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->cgroup, sizeof(r->cgroup), "%s", cgroup);
	r->given = given;
	r->cg = cg;
	st->n++;
	return 0;
}

static void rows_free(struct stats *st)
{
	for (size_t i = 0; i < st->n; i++)
		pl_cgroup_free(&st->row[i].cg);
	free(st->row);
	st->row = NULL;
	st->n = 0;
}

/* The containers `proclens run` made: directories below "proclens" in any hierarchy. */
static int discover(struct stats *st)
{
	int fds[PL_CTRL_COUNT + 1];
	size_t nfds = 0;

	fds[nfds++] = st->root.v2_fd;
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		fds[nfds++] = st->root.v1_fd[c];
	for (size_t i = 0; i < nfds; i++) {
		_cleanup_closedir_ DIR *d = NULL;
		struct dirent *de;
		int fd;

		if (fds[i] < 0)
			continue;
		fd = openat(fds[i], STATS_PARENT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue; /* no container was ever started in this hierarchy */
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			continue;
		}
		while ((de = readdir(d))) {
			char path[300];
			int k;

			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/" STATS_PARENT "/%s", de->d_name);
			k = row_add(st, de->d_name, path, false);
			if (k < 0 && k != -ENOENT)
				return k;
		}
	}
	return 0;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct stats_row *x = a, *y = b;
	bool xp = strncmp(x->cgroup, "/" STATS_PARENT "/", sizeof(STATS_PARENT) + 1) == 0;
	bool yp = strncmp(y->cgroup, "/" STATS_PARENT "/", sizeof(STATS_PARENT) + 1) == 0;

	if (xp != yp)
		return xp ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* A --cgroup removed while we watch it: said as such, no errno text to add. */
static int cgroup_gone(struct pl_err *e, const char *path)
{
	e->err = ESTALE;
	/* A path longer than the message is cut, and says so. */
	snprintf(e->msg, sizeof(e->msg), "cgroup %.400s%s is gone", path, strlen(path) > 400 ? "..." : "");
	return -ESTALE;
}

/* Every row afresh: containers come and go between refreshes. Rows kept keep their
 * previous CPU reading and load average. A --cgroup that is no more ends stats: it was
 * asked for by name. */
static int rows_refresh(struct stats *st, struct pl_err *e)
{
	struct stats_row *old = st->row;
	size_t n_old = st->n;
	int k;

	st->row = NULL;
	st->n = 0;
	k = discover(st);
	if (k < 0)
		pl_errf(e, k, "cannot list the containers in the cgroup hierarchies");
	for (size_t i = 0; k >= 0 && i < st->opts->n_cgroups; i++) {
		k = row_add(st, st->opts->cgroups[i], st->opts->cgroups[i], true);
		if (k == -ENOENT)
			cgroup_gone(e, st->opts->cgroups[i]);
		else if (k < 0)
			pl_errf(e, k, "cannot open cgroup %s", st->opts->cgroups[i]);
	}
	for (size_t i = 0; i < st->n; i++)
		for (size_t j = 0; j < n_old; j++)
			if (strcmp(st->row[i].cgroup, old[j].cgroup) == 0) {
				st->row[i].loadavg = old[j].loadavg;
				st->row[i].have_prev = old[j].have_prev;
				st->row[i].prev_cpu_ns = old[j].prev_cpu_ns;
				st->row[i].prev_at_ns = old[j].prev_at_ns;
			}
	for (size_t j = 0; j < n_old; j++)
		pl_cgroup_free(&old[j].cg);
	free(old);
	if (st->n > 1)
		qsort(st->row, st->n, sizeof(*st->row), cmp_rows);
	return k;
}

/* One reading of a row. Values the cgroup lacks a controller for stay unset ("-"). */
static void row_sample(struct stats *st, struct stats_row *r)
{
	struct pl_stats_sample *s = &r->s;
	struct pl_memory mem;
	struct pl_cpu_limits lim;
	uint64_t user_ns, system_ns, limit, now = pl_now_monotonic_ns();
	struct pl_source src = {.host = &st->host, .cg = &r->cg, .now_ns = pl_now_boottime_ns()};
	int k;

	memset(s, 0, sizeof(*s));
	r->gone = false;
	snprintf(s->name, sizeof(s->name), "%s", r->name);
	snprintf(s->cgroup, sizeof(s->cgroup), "%s", r->cgroup);
	s->host_memory_bytes = st->host_memory_bytes;
	k = pl_cgroup_memory(&r->cg, &mem);
	r->gone |= k == -ESTALE;
	if (k >= 0) {
		s->have_memory = true;
		s->memory_used_bytes = mem.usage_bytes;
		s->memory_limit_bytes = mem.limit_bytes;
	}
	k = pl_cgroup_cpu_limits(&r->cg, &lim);
	r->gone |= k == -ESTALE;
	if (k >= 0) {
		s->have_cpu_limits = true;
		s->cpu_quota_usec = lim.quota_usec;
		s->cpu_period_usec = lim.period_usec;
	}
	k = pl_cgroup_cpu_usage(&r->cg, &user_ns, &system_ns);
	r->gone |= k == -ESTALE;
	if (k >= 0) {
		uint64_t cpu_ns = user_ns + system_ns;

		if (r->have_prev) {
			s->have_cpu_percent = true;
			s->cpu_percent = pl_stats_cpu_percent(r->prev_cpu_ns, cpu_ns, r->prev_at_ns, now);
		}
		r->have_prev = true;
		r->prev_cpu_ns = cpu_ns;
		r->prev_at_ns = now;
	}
	k = pl_cgroup_pids(&r->cg, &s->pids, &limit);
	r->gone |= k == -ESTALE;
	if (k >= 0)
		s->have_pids = true;
	k = pl_loadavg_sample(&src, &r->loadavg);
	r->gone |= k == -ESTALE;
	if (k >= 0) {
		s->have_load = true;
		s->load = (unsigned)k;
	}
}

static int stats_print(struct stats *st, bool clear, struct pl_err *e)
{
	_cleanup_free_ struct pl_stats_sample *samples = calloc(st->n + 1, sizeof(*samples));
	struct pl_buf out;
	int r;

	if (!samples)
		return pl_errf(e, -ENOMEM, "cannot format the table");
	for (size_t i = 0; i < st->n; i++)
		samples[i] = st->row[i].s;
	pl_buf_init(&out);
	if (clear)
		pl_buf_puts(&out, "\033[H\033[2J"); /* home, clear: redraw in place as top does */
	if (st->opts->json) {
		/* Streaming, a refresh is one line (NDJSON): arrays one after another, over
		 * several lines each, are no JSON text a reader can split. */
		pl_stats_format_json(samples, st->n, !st->opts->no_stream, &out);
	} else {
		struct winsize ws = {0};

		/* Redrawn in place on a terminal: what fits it, read each time (it may have
		 * been resized). The last line stays free for the cursor. */
		if (clear && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
			ws.ws_col = ws.ws_row = 0;
		pl_stats_format_table(samples, st->n, ws.ws_col, ws.ws_row ? ws.ws_row - 1u : 0, &out);
	}
	if (!clear && !st->opts->no_stream && !st->opts->json)
		pl_buf_puts(&out, "\n");
	r = pl_buf_error(&out);
	if (r < 0)
		pl_errf(e, r, "cannot format the table");
	else
		r = pl_inspect_output(out.data, out.len, e);
	pl_buf_free(&out);
	return r;
}

/* Read every row. A container that ended since it was listed is left out, not shown with
 * "-" everywhere (which says its cgroup lacks the controllers); a --cgroup that went away
 * ends stats. */
static int sample_all(struct stats *st, struct pl_err *e)
{
	size_t kept = 0;

	for (size_t i = 0; i < st->n; i++) {
		struct stats_row *r = &st->row[i];

		row_sample(st, r);
		if (r->gone && r->given)
			return cgroup_gone(e, r->cgroup);
		if (r->gone) {
			pl_cgroup_free(&r->cg);
			continue;
		}
		if (kept != i)
			st->row[kept] = *r;
		kept++;
	}
	st->n = kept;
	return 0;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Refresh until q (on a terminal), SIGINT/SIGTERM/SIGHUP, or the reader of our output
 * leaving (`proclens stats | head -1`). The terminal is in non-canonical, no-echo mode only
 * while we run, and restored on every way out: so SIGPIPE is ignored while it runs (its
 * default action would end us with the terminal still raw), and a closed pipe is seen by
 * poll as soon as it closes, not at the next refresh an --interval later. The signal that
 * ends us is read off the signalfd: left pending, it would act when unblocked below (Ctrl-C,
 * a way to quit like q, would end us by SIGINT). Returns 0 for q and Ctrl-C, or the signal
 * to end by once all is restored: SIGTERM, SIGHUP, SIGPIPE when the output went away. */
static int stream(struct stats *st, struct pl_err *e)
{
	/* JSON is never redrawn: an escape sequence before each line would make it no JSON
	 * (`proclens stats --json | tee log` on a terminal, `script`). */
	bool tty = isatty(STDIN_FILENO), clear = isatty(STDOUT_FILENO) && !st->opts->json;
	int end_signal = 0;
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_pipe;
	struct termios saved, raw;
	sigset_t mask, old_mask;
	_cleanup_close_ int sfd = -1;
	int r = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &old_mask) < 0)
		return pl_errf(e, -errno, "cannot block SIGINT, SIGTERM and SIGHUP");
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		r = pl_errf(e, -errno, "cannot open a signalfd");
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		return r;
	}
	sigaction(SIGPIPE, &ignore, &old_pipe);
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		/* Keys arrive one by one without echo; ISIG stays, so Ctrl-C is a SIGINT. */
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty = false;
	}
	for (bool done = false; !done && r >= 0;) {
		/* stdout asks for no event: poll still reports POLLERR on a pipe whose reader
		 * closed it, and POLLHUP on a terminal hung up. */
		struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
				      {.fd = STDOUT_FILENO, .events = 0},
				      {.fd = STDIN_FILENO, .events = POLLIN}};
		int n;

		r = rows_refresh(st, e);
		if (r >= 0)
			r = sample_all(st, e);
		if (r < 0)
			break;
		r = stats_print(st, clear, e);
		if (r == -EPIPE) {
			end_signal = SIGPIPE;
			r = 0;
			break;
		}
		if (r < 0)
			break;
		n = poll(p, tty ? 3 : 2, (int)st->opts->interval_ms);
		if (n < 0 && errno != EINTR)
			r = pl_errf(e, -errno, "cannot wait for the next refresh");
		if (n <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) && si.ssi_signo != SIGINT)
				end_signal = (int)si.ssi_signo;
			done = true;
		}
		if (p[1].revents & (POLLERR | POLLHUP)) {
			end_signal = end_signal ? end_signal : SIGPIPE;
			done = true;
		}
		if (tty && (p[2].revents & POLLIN)) {
			char key[16];
			ssize_t got = read(STDIN_FILENO, key, sizeof(key));

			for (ssize_t i = 0; i < got; i++)
				if (key[i] == 'q' || key[i] == 'Q')
					done = true;
		}
		/* A terminal hung up reads end-of-file for ever: nobody is left to press q. */
		if (tty && (p[2].revents & (POLLHUP | POLLERR)))
			done = true;
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return r < 0 ? r : end_signal;
}

static int host_memory(const struct pl_host *h, uint64_t *bytes)
{
	_cleanup_free_ struct pl_meminfo *mi = malloc(sizeof(*mi));
	uint64_t kb;
	int r;

	if (!mi)
		return -ENOMEM;
	r = pl_host_meminfo(h, mi);
	if (r >= 0)
		r = pl_meminfo_get(mi, "MemTotal", &kb);
	if (r >= 0)
		*bytes = kb * 1024;
	return r;
}

int pl_cmd_stats(int argc, char **argv)
{
	struct pl_stats_opts o;
	struct pl_err e = {0};
	struct stats st = {.opts = &o};
	int r;

	r = pl_stats_parse(argc, argv, &o, &e);
	if (r != 0)
		return r > 0 ? pl_inspect_help_done("stats") : pl_inspect_fail("stats", &e, true);
	pl_cgroup_root_init(&st.root);
	st.host.proc_fd = st.host.sys_fd = -1;
	r = pl_cgroup_root_detect(&st.root);
	if (r < 0) {
		pl_errf(&e, r, "cannot find the cgroup hierarchies in /proc/self/mountinfo");
		goto out;
	}
	r = pl_host_open(&st.host, "/proc", "/sys");
	if (r >= 0)
		r = host_memory(&st.host, &st.host_memory_bytes);
	if (r < 0) {
		pl_errf(&e, r, "cannot read /proc/meminfo");
		goto out;
	}
	for (size_t i = 0; i < o.n_cgroups; i++) {
		r = pl_inspect_cgroup_exists(&st.root, o.cgroups[i], &e);
		if (r < 0)
			goto out;
	}
	if (!o.no_stream) {
		r = stream(&st, &e);
		goto out;
	}
	/* Once: CPU use needs two readings. */
	r = rows_refresh(&st, &e);
	if (r >= 0)
		r = sample_all(&st, &e);
	if (r < 0)
		goto out;
	sleep_ns(NO_STREAM_SAMPLE_NS);
	r = sample_all(&st, &e);
	if (r >= 0)
		r = stats_print(&st, false, &e);
out:
	rows_free(&st);
	pl_host_close(&st.host);
	pl_cgroup_root_close(&st.root);
	if (r > 0) {
		/* Ended by a signal, the terminal as it was: end by it (128+N to the shell), as
		 * a filter whose reader left does, quietly. */
		signal(r, SIG_DFL);
		raise(r);
		return 128 + r;
	}
	return r < 0 ? pl_inspect_fail("stats", &e, false) : 0;
}
