/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "proclens/cleanup.h"
#include "proclens/host.h"
#include "proclens/util.h"

#ifndef NS_GET_PID_IN_PIDNS
#define NS_GET_PID_IN_PIDNS _IOR(NSIO, 0x8, int)
#endif

static int open_dir(const char *path)
{
	/* O_PATH: we only ever openat() below these, never read the directory itself. */
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pl_host_open(struct pl_host *h, const char *proc_dir, const char *sys_dir)
{
	_cleanup_close_ int proc_fd = -1, sys_fd = -1;

	h->proc_fd = h->sys_fd = -1;
	proc_fd = open_dir(proc_dir ? proc_dir : "/proc");
	if (proc_fd < 0)
		return proc_fd;
	sys_fd = open_dir(sys_dir ? sys_dir : "/sys");
	if (sys_fd < 0)
		return sys_fd;
	h->proc_fd = TAKE_FD(proc_fd);
	h->sys_fd = TAKE_FD(sys_fd);
	return 0;
}

void pl_host_close(struct pl_host *h)
{
	pl_closep(&h->proc_fd);
	pl_closep(&h->sys_fd);
	h->proc_fd = h->sys_fd = -1;
}

ssize_t pl_host_read_proc(const struct pl_host *h, const char *rel, char **out)
{
	return pl_read_file_at(h->proc_fd, rel, out);
}

ssize_t pl_host_read_sys(const struct pl_host *h, const char *rel, char **out)
{
	return pl_read_file_at(h->sys_fd, rel, out);
}

/* One "Key:   value [kB]" line. The key ends at the first ':'; keys contain '(' ')' '_'. */
static int meminfo_parse_line(const char *line, size_t len, struct pl_meminfo_line *out)
{
	const char *colon = memchr(line, ':', len);
	const char *p, *end = line + len;
	size_t klen;
	uint64_t v = 0;

	if (!colon)
		return -EINVAL;
	klen = (size_t)(colon - line);
	if (klen == 0 || klen >= sizeof(out->key))
		return -EINVAL;
	for (p = colon + 1; p < end && *p == ' '; p++)
		;
	if (p == end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	memcpy(out->key, line, klen);
	out->key[klen] = '\0';
	out->value = v;
	if (p == end) {
		out->has_kb = false;
		return 0;
	}
	if ((size_t)(end - p) == 3 && memcmp(p, " kB", 3) == 0) {
		out->has_kb = true;
		return 0;
	}
	return -EINVAL;
}

int pl_meminfo_parse(const char *text, struct pl_meminfo *mi)
{
	const char *line = text;

	mi->n = 0;
	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > 0) {
			int r;

			if (mi->n >= PL_MEMINFO_MAX_LINES)
				return -E2BIG;
			r = meminfo_parse_line(line, len, &mi->line[mi->n]);
			if (r < 0)
				return r;
			mi->n++;
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	return mi->n > 0 ? 0 : -EINVAL;
}

int pl_host_meminfo(const struct pl_host *h, struct pl_meminfo *mi)
{
	_cleanup_free_ char *text = NULL;
	ssize_t n = pl_read_file_at(h->proc_fd, "meminfo", &text);

	if (n < 0)
		return (int)n;
	return pl_meminfo_parse(text, mi);
}

int pl_meminfo_get(const struct pl_meminfo *mi, const char *key, uint64_t *value)
{
	for (unsigned i = 0; i < mi->n; i++) {
		if (strcmp(mi->line[i].key, key) == 0) {
			*value = mi->line[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

int pl_host_online_cpus(const struct pl_host *h, struct pl_cpuset *cpus)
{
	char buf[4096];
	ssize_t n = pl_read_file_at_buf(h->sys_fd, "devices/system/cpu/online", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return pl_cpuset_parse(buf, cpus);
}

int pl_host_btime(const struct pl_host *h, uint64_t *btime)
{
	_cleanup_free_ char *text = NULL;
	ssize_t n = pl_read_file_at(h->proc_fd, "stat", &text);

	if (n < 0)
		return (int)n;
	return pl_kv_get_u64(text, "btime", btime);
}

int pl_proc_stat_parse(const char *text, char *state, uint64_t *start_ticks)
{
	/* comm (field 2) may hold spaces and ')' itself: the fields resume after the last ')'. */
	const char *p = strrchr(text, ')');
	uint64_t v = 0;
	char st;

	if (!p || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		return -EINVAL;
	st = p[2];
	p += 3;
	/* Now before field 4; starttime is field 22, 18 more separators on. */
	for (int field = 4; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return -EINVAL;
	if (state)
		*state = st;
	if (start_ticks)
		*start_ticks = v;
	return 0;
}

/* /proc/PID/NAME into buf, NUL-terminated: its length, or -errno. */
static ssize_t read_pid_file(const struct pl_host *h, pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%d/%s", (int)pid, name);
	return pl_read_file_at_buf(h->proc_fd, path, buf, size);
}

static int read_proc_stat(const struct pl_host *h, pid_t pid, char *state, uint64_t *start_ticks)
{
	/* Kernel stat lines are well under 1 KiB, but comm plus 52 fields of 20 digits fit 2. */
	char buf[2048];
	ssize_t n = read_pid_file(h, pid, "stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return pl_proc_stat_parse(buf, state, start_ticks);
}

int pl_host_proc_start(const struct pl_host *h, pid_t pid, uint64_t *start_ticks)
{
	return read_proc_stat(h, pid, NULL, start_ticks);
}

int pl_timens_offsets_parse(const char *text, int64_t *boottime_ns)
{
	/* "<clock> <seconds> <nanoseconds>" per line, the clock by name (5.6+) or number;
	 * seconds may be negative, nanoseconds are 0..999999999 and add to them. */
	const char *p = text;
	bool found = false;

	while (*p) {
		char name[16];
		long long sec;
		unsigned long nsec;
		int used = 0;

		if (sscanf(p, "%15s %lld %lu%n", name, &sec, &nsec, &used) != 3 || nsec >= 1000000000UL ||
		    sec > INT64_MAX / 1000000000 - 1 || sec < INT64_MIN / 1000000000 + 1)
			return -EINVAL;
		p += used;
		if (*p != '\n' && *p != '\0')
			return -EINVAL;
		if (*p == '\n')
			p++;
		if (strcmp(name, "boottime") == 0 || strcmp(name, "7") == 0) {
			*boottime_ns = (int64_t)sec * 1000000000 + (int64_t)nsec;
			found = true;
		}
	}
	return found ? 0 : -EINVAL;
}

int pl_host_timens_boottime(const struct pl_host *h, pid_t pid, int64_t *boottime_ns)
{
	char buf[256];
	ssize_t n = read_pid_file(h, pid, "timens_offsets", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return pl_timens_offsets_parse(buf, boottime_ns);
}

int pl_host_task_state(const struct pl_host *h, pid_t tid, char *state)
{
	/* /proc/TID/stat answers for any thread id, not only thread-group leaders, and its
	 * state field is that thread's own. */
	return read_proc_stat(h, tid, state, NULL);
}

int pl_status_nspids(const char *text, pid_t *pids, unsigned max)
{
	const char *p = strncmp(text, "NSpid:", 6) == 0 ? text : strstr(text, "\nNSpid:");
	unsigned n = 0;

	if (!p)
		return -EINVAL;
	p += *p == '\n' ? 7 : 6;
	for (;;) {
		uint64_t v = 0;

		while (*p == '\t' || *p == ' ')
			p++;
		if (*p == '\n' || *p == '\0')
			break;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (unsigned)(*p - '0');
			if (v > INT32_MAX)
				return -EINVAL;
		}
		if (v == 0)
			return -EINVAL;
		if (n < max)
			pids[n] = (pid_t)v;
		n++;
	}
	return n > 0 ? (int)n : -EINVAL;
}

int pl_host_task_nspids(const struct pl_host *h, pid_t tid, pid_t *pids, unsigned max)
{
	/* status is ~1.5 KiB today; the groups and signal masks grow it, not the lines we read. */
	_cleanup_free_ char *text = NULL;
	char path[32];
	ssize_t n;

	if (tid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%d/status", (int)tid);
	n = pl_read_file_at(h->proc_fd, path, &text);
	if (n < 0)
		return (int)n;
	return pl_status_nspids(text, pids, max);
}

int pl_host_open_pidns(const struct pl_host *h, pid_t pid)
{
	char path[32];
	int fd;

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
	/* Not O_NOFOLLOW: ns/pid is a magic link to the namespace. */
	fd = openat(h->proc_fd, path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pl_pidns_translate(int pidns_fd, pid_t tid, pid_t *ns_pid)
{
	/* The argument is the pid itself, not a pointer to it. */
	int r = ioctl(pidns_fd, NS_GET_PID_IN_PIDNS, (unsigned long)tid);

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ESRCH;
	*ns_pid = (pid_t)r;
	return 0;
}
