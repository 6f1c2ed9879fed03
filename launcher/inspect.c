/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by `proclens show`, `explain` and `stats`: arguments, rendering a served file with
 * the daemon's code, errors, JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../fs/fs.h"
#include "inspect.h"
#include "proclens/cleanup.h"

void pl_inspect_usage(const char *cmd, FILE *f)
{
	fprintf(
	    f,
	    "Usage: proclens %s FILE (--pid PID | --cgroup PATH) [--json] [--cpu-count=quota|cpuset]\n\n"
	    "%s\n\n"
	    "  FILE               a file proclensfs serves: meminfo, cpuinfo, stat, uptime, loadavg,\n"
	    "                     swaps, diskstats, pressure/cpu, ... (or proc/meminfo, /proc/meminfo,\n"
	    "                     /sys/devices/system/cpu/online, sys/devices/system/cpu/cpu0/...)\n"
	    "  -p, --pid PID      as that process (or thread) reads it (a container's processes: its\n"
	    "                     init's cgroups)\n"
	    "  -c, --cgroup PATH  as a process in that cgroup reads it (\"/proclens/web\", from the\n"
	    "                     hierarchies' roots)\n"
	    "  -j, --json         one JSON object\n"
	    "  --cpu-count=MODE   quota (default): CPUs cut to ceil(quota/period), as proclensfs;\n"
	    "                     cpuset: the cpuset only, as proclensfs --cpu-count=cpuset\n"
	    "  -h, --help\n",
	    cmd,
	    strcmp(cmd, "explain") == 0
		? "Each field of FILE with where it came from: the cgroup file, the level of the hierarchy,\n"
		  "its raw value, the host value it was held against, and the rule applied."
		: "Print exactly what a reader of proclensfs's FILE gets, computed by the daemon's own\n"
		  "code; no mount needed.");
}

/* A pid as the kernel writes one: decimal digits, no blank, sign or leading zero (a " 5"
 * from a script's field splitting is a bug to report, not a pid to guess). */
static int parse_pid(const char *s, pid_t *pid)
{
	uint64_t v;

	if (pl_parse_arg_u64(s, INT_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

int pl_inspect_parse(int argc, char **argv, struct pl_inspect_opts *o, struct pl_err *e)
{
	static const struct option options[] = {
	    {"pid", required_argument, NULL, 'p'}, {"cgroup", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},	   {"cpu-count", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	const char *file = NULL;
	bool cpu_count_given = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->cpu_count_from_quota = true;
	/* optind = 0 re-initialises getopt, so a second parse (the unit tests) starts clean. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:c:jh", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o->pid)
				return pl_usagef(e, "--pid given twice");
			if (parse_pid(optarg, &o->pid) < 0)
				return pl_usagef(e, "--pid wants a process id (decimal digits only), not '%s'",
						 optarg);
			break;
		case 'c':
			if (o->cgroup)
				return pl_usagef(e, "--cgroup given twice");
			if (pl_inspect_cgroup_arg(optarg, e) < 0)
				return -EINVAL;
			o->cgroup = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'C':
			/* Twice, one of them is a mistake; the last winning would hide it. */
			if (cpu_count_given)
				return pl_usagef(e, "--cpu-count given twice");
			cpu_count_given = true;
			if (strcmp(optarg, "quota") == 0)
				o->cpu_count_from_quota = true;
			else if (strcmp(optarg, "cpuset") == 0)
				o->cpu_count_from_quota = false;
			else
				return pl_usagef(e, "--cpu-count wants quota or cpuset, not '%s'", optarg);
			break;
		case 'h':
			pl_inspect_usage(argv[0], stdout);
			return 1;
		case ':':
			return pl_usagef(e, "%s needs an argument", argv[optind - 1]);
		default:
			return pl_usagef(e, "unknown option '%s' (see proclens %s --help)", argv[optind - 1],
					 argv[0]);
		}
	}
	for (; optind < argc; optind++) {
		if (file)
			return pl_usagef(e, "one FILE only ('%s' and '%s')", file, argv[optind]);
		file = argv[optind];
	}
	if (!file)
		return pl_usagef(e, "which file? (see proclens %s --help)", argv[0]);
	if (!o->pid == !o->cgroup)
		return pl_usagef(e, "give one of --pid PID or --cgroup PATH");
	return pl_inspect_normalize(file, o->file, sizeof(o->file), e) < 0 ? -EINVAL : 0;
}

int pl_inspect_cgroup_arg(const char *path, struct pl_err *e)
{
	/* "" would name the root: the host's numbers for an unset "$CG". */
	if (!path[0])
		return pl_usagef(e, "--cgroup wants a path (\"/\" for the root), not ''");
	if (strlen(path) >= PL_STATS_PATH_MAX)
		return pl_usagef(e, "--cgroup '%.32s...': longer than a path can be (%d bytes)", path,
				 PL_STATS_PATH_MAX - 1);
	/* ".." would leave the hierarchy (the cgroup module refuses it as EINVAL, which read
	 * "bad cgroup path ../..: Invalid argument", or "no such cgroup"); "." names a
	 * cgroup under a second name. */
	for (const char *c = path; *c;) {
		size_t len = strcspn(c, "/");

		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return pl_usagef(e,
					 "--cgroup '%s': no \".\" or \"..\" in PATH (it is from the hierarchies' "
					 "roots: /proclens/web)",
					 path);
		c += len;
		c += *c == '/';
	}
	return 0;
}

int pl_inspect_normalize(const char *in, char *out, size_t size, struct pl_err *e)
{
	static const char mirrored[] = "sys/devices/system/cpu/";
	char path[256], proc_path[sizeof("proc/") + sizeof(path)];
	const char *p = path;
	size_t n = 0;

	/* Slashes repeated anywhere name the same file, as the kernel resolves a path. */
	for (const char *c = in; *c; c++) {
		if (*c == '/' && (n == 0 || path[n - 1] == '/'))
			continue;
		if (n + 1 >= sizeof(path))
			return pl_usagef(e, "'%.64s...': too long for a file proclensfs serves", in);
		path[n++] = *c;
	}
	path[n] = '\0';
	for (const char *c = p; *c;) {
		size_t len = strcspn(c, "/");

		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return pl_usagef(e, "'%s': no \".\" or \"..\" in FILE", in);
		c += len;
		c += *c == '/';
	}
	snprintf(proc_path, sizeof(proc_path), "proc/%s", p);
	if (pl_view_find(p))
		snprintf(out, size, "%s", p);
	else if (pl_view_find(proc_path))
		snprintf(out, size, "%s", proc_path);
	else if (strncmp(p, mirrored, sizeof(mirrored) - 1) == 0 &&
		 (size_t)snprintf(out, size, "%s", p) < size)
		; /* below the mirrored directory: the render says whether it exists */
	else {
		struct pl_buf names;
		int r;

		pl_buf_init(&names);
		for (size_t i = 0; i < pl_views_count; i++)
			pl_buf_printf(&names, "%s%s", i ? ", " : "",
				      strncmp(pl_views[i].path, "proc/", 5) == 0 ? pl_views[i].path + 5
										 : pl_views[i].path);
		r = pl_usagef(e, "proclensfs serves no '%s' (it serves %s and sys/devices/system/cpu/...)",
			      in, names.data ? names.data : "");
		pl_buf_free(&names);
		(void)r;
		return -ENOENT;
	}
	return 0;
}

/* The thread group of thread tid, from /proc/TID/status (-ESRCH when it is gone). */
static int thread_group_of(pid_t tid, pid_t *tgid)
{
	char text[4096];
	uint64_t v;
	int r = (int)pl_read_status(tid, text, sizeof(text));

	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	r = pl_kv_get_u64(text, "Tgid:", &v);
	if (r < 0 || v == 0 || v > INT_MAX)
		return -EINVAL;
	*tgid = (pid_t)v;
	return 0;
}

/* A pidfd for --pid, which may name any thread: the daemon knows a reader by the thread
 * that reads (FUSE gives its tid), and `top -H` or /proc/PID/task list threads. Before
 * Linux 6.9 a pidfd names a thread group leader only; there a thread's process stands in,
 * whose exit the render still notices (the thread's own exit alone it does not). */
static int reader_pidfd(pid_t pid)
{
	pid_t tgid;
	int fd = pl_pidfd_open(pid, PIDFD_THREAD), r;

	if (fd != -EINVAL)
		return fd;
	fd = pl_pidfd_open(pid, 0);
	if (fd != -EINVAL)
		return fd;
	r = thread_group_of(pid, &tgid);
	if (r < 0)
		return r;
	return tgid == pid ? -EINVAL : pl_pidfd_open(tgid, 0);
}

#define PF_KTHREAD_FLAG 0x00200000u /* linux/sched.h PF_KTHREAD, field 9 of /proc/PID/stat */

int pl_inspect_kernel_thread(const char *status_text, const char *stat_text)
{
	const char *p = stat_text ? strrchr(stat_text, ')') : NULL;
	unsigned long flags;
	uint64_t v;

	/* "Kthread:" since Linux 6.0; before, the flags of /proc/PID/stat, past the name in
	 * parentheses (which may hold blanks and ')') and six fields. */
	if (status_text && pl_kv_get_u64(status_text, "Kthread:", &v) == 0)
		return v != 0;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -EINVAL;
	return (flags & PF_KTHREAD_FLAG) != 0;
}

/* A kernel thread reads no files: what --pid of one would show is no reader's, the host's
 * numbers printed as if some process read them. 1 (its name in name), 0, or -errno. */
static int kernel_thread(pid_t pid, char *name, size_t size)
{
	char status[8192], stat[1024], path[64];
	const char *n;
	int r = (int)pl_read_status(pid, status, sizeof(status));

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pl_read_file_at_buf(AT_FDCWD, path, stat, sizeof(stat)) < 0)
		stat[0] = '\0';
	n = strncmp(status, "Name:\t", 6) == 0 ? status + 6 : "?";
	snprintf(name, size, "%.*s", (int)strcspn(n, "\n"), n);
	return pl_inspect_kernel_thread(status, stat[0] ? stat : NULL);
}

/* A pidfd polls readable once its process has exited (reaped or not). */
static bool pidfd_exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/* An error whose message already says it all (no strerror appended). */
static int plain_err(struct pl_err *e, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int plain_err(struct pl_err *e, int r, const char *fmt, ...)
{
	va_list ap;

	e->err = -r;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return r;
}

static const char *who(const struct pl_inspect_opts *o, char *buf, size_t size)
{
	if (o->cgroup)
		snprintf(buf, size, "cgroup %s", o->cgroup);
	else
		snprintf(buf, size, "pid %d", (int)o->pid);
	return buf;
}

void pl_inspect_explain_error(const struct pl_inspect_opts *o, int r, const struct pl_trace *t,
			      bool pid_exited, struct pl_err *e)
{
	const struct pl_trace_source *s = t ? pl_trace_last_error(t) : NULL;
	char whom[300];

	who(o, whom, sizeof(whom));
	if (pid_exited) {
		plain_err(e, -ESRCH, "process %d exited during the call", (int)o->pid);
		return;
	}
	/* A value that cannot be read reaches us as EIO, as a reader of the mount gets it;
	 * the trace says which. ENOENT is the path itself. */
	if (r == -ENOENT) {
		plain_err(e, r, "proclensfs serves no %s here", o->file);
		return;
	}
	if (s && strcmp(s->quantity, "pressure") == 0) {
		plain_err(e, s->err, "cannot render %s for %s: no %s for it: %s", o->file, whom, s->file,
			  s->raw[0] ? s->raw : strerror(-s->err));
		return;
	}
	if (s && s->err == -ENOENT && !s->file[0]) {
		plain_err(e, -ENOENT,
			  "cannot render %s for %s: the cgroup is in no %s hierarchy (no %s controller)",
			  o->file, whom, s->controller, s->controller);
		return;
	}
	if (s && s->err == -ENOENT) {
		plain_err(e, -ENOENT, "cannot render %s for %s: cgroup %s has no %s controller: no %s",
			  o->file, whom, s->cgroup, s->controller, s->path);
		return;
	}
	if (s && s->err == -ESTALE) {
		plain_err(e, -ESTALE, "cannot render %s for %s: cgroup %s is gone (no %s)", o->file, whom,
			  s->cgroup, s->path);
		return;
	}
	if (s && s->err == -EINVAL) {
		plain_err(e, -EINVAL, "cannot render %s for %s: malformed %s ('%s')", o->file, whom, s->path,
			  s->raw);
		return;
	}
	if (s) {
		pl_errf(e, s->err, "cannot render %s for %s: cannot read %s", o->file, whom, s->path);
		return;
	}
	pl_errf(e, r, "cannot render %s for %s", o->file, whom);
}

/* The daemon's code logs its failures for a syslog reader; here the person gets one line of
 * ours instead, so its stderr is parked on /dev/null while it runs. */
static int quiet_stderr(void)
{
	int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	_cleanup_close_ int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (saved < 0 || null_fd < 0) {
		pl_closep(&saved);
		return -1;
	}
	fflush(stderr);
	dup2(null_fd, STDERR_FILENO);
	return saved;
}

static void restore_stderr(int saved)
{
	if (saved < 0)
		return;
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* Is PATH a file, not a directory, in some hierarchy ("/x/cgroup.procs")? */
static bool names_a_file(const struct pl_cgroup_root *root, const char *path)
{
	struct stat st;

	while (*path == '/')
		path++;
	for (int c = 0; *path && c < PL_CTRL_COUNT; c++) {
		int fd = pl_cgroup_root_fd(root, c);

		if (fd >= 0 && fstatat(fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
			return true;
	}
	return false;
}

int pl_inspect_cgroup_exists(const struct pl_cgroup_root *root, const char *path, struct pl_err *e)
{
	struct pl_cgroup cg = {0};
	int r = pl_cgroup_from_path(root, path, &cg);

	pl_cgroup_free(&cg);
	if (r == -ENOENT && names_a_file(root, path))
		return plain_err(e, r, "no such cgroup: %s (a file of a hierarchy, not a cgroup directory)", path);
	if (r == -ENOENT && strncmp(path, "/sys/fs/cgroup", 14) == 0 && (!path[14] || path[14] == '/'))
		return plain_err(e, r,
				 "no such cgroup: %s (PATH is from the hierarchies' roots: /proclens/web, "
				 "not /sys/fs/cgroup/...)",
				 path);
	if (r == -ENOENT)
		return plain_err(e, r, "no such cgroup: %s", path);
	if (r < 0)
		return pl_errf(e, r, "cannot open cgroup %s", path);
	return 0;
}

static int check_cgroup(const char *path, struct pl_err *e)
{
	struct pl_cgroup_root root;
	int r;

	pl_cgroup_root_init(&root);
	r = pl_cgroup_root_detect(&root);
	if (r < 0)
		r = pl_errf(e, r, "cannot find the cgroup hierarchies in /proc/self/mountinfo");
	else
		r = pl_inspect_cgroup_exists(&root, path, e);
	pl_cgroup_root_close(&root);
	return r;
}

int pl_inspect_render(const struct pl_inspect_opts *o, struct pl_trace *t, char **out, size_t *len,
		      struct pl_err *e)
{
	struct pl_fs_config cfg = {.cache_ms = 0, .view = {.cpu_count_from_quota = o->cpu_count_from_quota}};
	_cleanup_close_ int pidfd = -1;
	struct pl_fs *fs = NULL;
	char kname[64];
	bool exited;
	int r, saved;

	if (o->pid) {
		pidfd = reader_pidfd(o->pid);
		if (pidfd == -ESRCH)
			return plain_err(e, -ESRCH, "no such process: %d", (int)o->pid);
		if (pidfd < 0)
			return pl_errf(e, pidfd, "cannot open process %d", (int)o->pid);
		if (pidfd_exited(pidfd))
			return plain_err(e, -ESRCH,
					 "process %d has exited (a zombie not yet reaped by its parent)",
					 (int)o->pid);
		r = kernel_thread(o->pid, kname, sizeof(kname));
		if (r > 0)
			return plain_err(e, -EINVAL, "process %d is a kernel thread (%s): it reads no files",
					 (int)o->pid, kname);
	} else {
		r = check_cgroup(o->cgroup, e);
		if (r < 0)
			return r;
	}
	saved = quiet_stderr();
	r = pl_fs_new(&cfg, &fs);
	if (r >= 0) {
		pl_trace_begin(t);
		r = pl_fs_render_for(fs, o->file, o->pid, o->cgroup, out, len);
		pl_trace_end();
		pl_fs_free(fs);
	} else {
		restore_stderr(saved);
		return pl_errf(e, r, "cannot open /proc, /sys or the cgroup hierarchies");
	}
	restore_stderr(saved);
	/* A pid that exited during the call may have been reused meanwhile: whatever was
	 * rendered cannot be vouched for. */
	exited = o->pid && pidfd_exited(pidfd);
	if (r >= 0 && exited) {
		free(*out);
		*out = NULL;
		r = -ESRCH;
	}
	if (r < 0) {
		pl_inspect_explain_error(o, r, t, exited, e);
		return -e->err;
	}
	return 0;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), 0 if it is not one. */
static size_t utf8_sequence(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void pl_json_string(struct pl_buf *b, const char *s)
{
	pl_buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t len;

		switch (*p) {
		case '"':
			pl_buf_puts(b, "\\\"");
			break;
		case '\\':
			pl_buf_puts(b, "\\\\");
			break;
		case '\n':
			pl_buf_puts(b, "\\n");
			break;
		case '\t':
			pl_buf_puts(b, "\\t");
			break;
		case '\r':
			pl_buf_puts(b, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				pl_buf_printf(b, "\\u%04x", *p);
			} else if (*p < 0x80) {
				pl_buf_append(b, (const char *)p, 1);
			} else if ((len = utf8_sequence(p)) > 0) {
				pl_buf_append(b, (const char *)p, len);
				p += len - 1;
			} else {
				/* JSON text is UTF-8 (RFC 8259); a cgroup name is any bytes. A byte
				 * that is no character is U+FFFD, as a decoder would replace it. */
				pl_buf_puts(b, "\\ufffd");
			}
		}
	}
	pl_buf_puts(b, "\"");
}

void pl_inspect_json_head(struct pl_buf *b, const struct pl_inspect_opts *o)
{
	pl_buf_puts(b, "{\"file\": ");
	pl_json_string(b, o->file);
	if (o->cgroup) {
		pl_buf_puts(b, ", \"cgroup\": ");
		pl_json_string(b, o->cgroup);
	} else {
		pl_buf_printf(b, ", \"pid\": %d", (int)o->pid);
	}
}

int pl_inspect_fail(const char *cmd, const struct pl_err *e, bool usage)
{
	fprintf(stderr, "proclens %s: %s\n", cmd, e->msg);
	return usage ? 2 : 1;
}

/* The answer not reaching its reader (a full disk, a closed pipe with SIGPIPE ignored) is
 * the command failing: a script must not take a truncated file for the whole one. */
int pl_inspect_output(const char *data, size_t len, struct pl_err *e)
{
	ssize_t n = pl_write_all(STDOUT_FILENO, data, len);

	return n < 0 ? pl_errf(e, (int)n, "cannot write to standard output") : 0;
}

int pl_inspect_help_done(const char *cmd)
{
	struct pl_err e = {0};

	/* stdio keeps the error of its buffered writes: fflush reports them, with errno set
	 * by the write that failed. */
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	pl_errf(&e, errno ? -errno : -EIO, "cannot write to standard output");
	return pl_inspect_fail(cmd, &e, false);
}
