/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Does a process have its CPU scheduling group to itself (schedgroup.h)? */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proclens/cleanup.h"
#include "proclens/schedgroup.h"
#include "proclens/util.h"

static int shared(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int shared(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (why && size) {
		va_start(ap, fmt);
		vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* The root group: autogroups split it by session. */
static int root_group(const struct pl_sched_probe *p, char *why, size_t size)
{
	if (!p->autogroup)
		return shared(why, size,
			      "in the root cpu cgroup with autogroups off: shared with every task there");
	if (!p->session_alone)
		return shared(why, size,
			      "in the root cpu cgroup, sharing a session (autogroup) with other processes");
	if (why && size)
		snprintf(why, size, "an autogroup of its own: alone in its session, in the root cpu cgroup");
	return 1;
}

/* A whitespace-separated word of text, exactly ("cpu" is not "cpuset"). */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = text; (s = strstr(s, word)) != NULL; s += n)
		if ((s == text || s[-1] == ' ' || s[-1] == '\n') &&
		    (s[n] == '\0' || s[n] == ' ' || s[n] == '\n'))
			return true;
	return false;
}

static bool has_child_dirs(int dir_fd)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	bool found = false;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return true; /* cannot tell: assume the worst */
	}
	while (!found && (de = readdir(d)) != NULL)
		found = pl_dirent_is_dir(dirfd(d), de);
	closedir(d);
	return found;
}

struct ours {
	const struct pl_sched_probe *p;
	unsigned n;
	pid_t foreign; /* the first thread of another process, 0: none */
};

static int count_ours(pid_t tid, void *arg)
{
	struct ours *o = arg;
	char rel[64];

	if (tid == o->p->keeper && tid > 0)
		return 0;
	snprintf(rel, sizeof(rel), "%d/task/%d", (int)o->p->tgid, (int)tid);
	if (faccessat(o->p->proc_fd, rel, F_OK, 0) < 0) {
		o->foreign = tid;
		return -EEXIST; /* stop */
	}
	o->n++;
	return 0;
}

/* Every thread in the cgroup cg names for the cpu controller, and in the cgroups below it
 * (their threads, or their groups, compete inside ours), is one of ours. */
static int only_ours(const struct pl_sched_probe *p, const struct pl_cgroup *cg, const char *where, char *why,
		     size_t size)
{
	const char *file = p->root->on_v2[PL_CTRL_CPU] ? "cgroup.threads" : "tasks";
	struct ours o = {.p = p};
	int r = pl_cgroup_for_each_task(cg, PL_CTRL_CPU, count_ours, &o);

	if (o.foreign)
		return shared(why, size, "%s holds thread %d of another process", where, (int)o.foreign);
	if (r == -EINVAL)
		return shared(why, size, "unexpected line in %s/%s", where, file);
	if (r < 0)
		return shared(why, size, "cannot read %s/%s: %s", where, file, strerror(-r));
	if (o.n == 0)
		return shared(why, size, "%s lists none of our threads", where);
	if (why && size)
		snprintf(why, size, "the cpu cgroup %s, ours alone", where);
	return 1;
}

static int v1_group(const struct pl_sched_probe *p, const struct pl_cgroup *cg, int hier_fd, const char *path,
		    char *why, size_t size)
{
	_cleanup_close_ int fd = openat(hier_fd, path[0] ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char where[PATH_MAX];

	snprintf(where, sizeof(where), "/%s", path);
	if (fd < 0)
		return shared(why, size, "cannot open the cpu cgroup %s", where);
	if (has_child_dirs(fd))
		return shared(why, size, "the cpu cgroup %s has child cgroups, which compete inside it",
			      where);
	return only_ours(p, cg, where, why, size);
}

/* v2: our threads are scheduled in the nearest cgroup, ours or an ancestor, that the cpu
 * controller is enabled for ("cpu" in its cgroup.controllers). */
static int v2_group(const struct pl_sched_probe *p, const struct pl_cgroup *cg, int hier_fd, const char *path,
		    char *why, size_t size)
{
	bool machine_root = !p->root->v2_mount_root || strcmp(p->root->v2_mount_root, "/") == 0;
	char cur[PATH_MAX], where[PATH_MAX];
	_cleanup_close_ int fd = -1;

	snprintf(cur, sizeof(cur), "%s", path);
	for (;;) {
		_cleanup_free_ char *controllers = NULL;
		char rel[PATH_MAX + 32];
		char *slash;

		/* The machine's root cgroup (not a container's, a mount rooted deeper) is the
		 * root group, whatever its cgroup.controllers offers to its children. */
		if (cur[0] == '\0' && machine_root)
			return root_group(p, why, size);
		snprintf(rel, sizeof(rel), "%s%scgroup.controllers", cur, cur[0] ? "/" : "");
		if (pl_read_file_at(hier_fd, rel, &controllers) < 0)
			return shared(why, size, "cannot read /%s", rel);
		if (has_word(controllers, "cpu"))
			break;
		if (cur[0] == '\0')
			return shared(why, size, "the cpu controller is not enabled down to our cgroup");
		slash = strrchr(cur, '/');
		if (slash)
			*slash = '\0';
		else
			cur[0] = '\0';
	}
	snprintf(where, sizeof(where), "/%s", cur);
	if (strcmp(cur, path) != 0)
		return shared(why, size,
			      "the cpu controller is enabled only down to %s, shared with its other cgroups",
			      where);
	fd = openat(hier_fd, cur[0] ? cur : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return shared(why, size, "cannot open the cpu cgroup %s", where);
	{
		_cleanup_free_ char *subtree = NULL;
		if (pl_read_file_at(fd, "cgroup.subtree_control", &subtree) < 0)
			return shared(why, size, "cannot read %s/cgroup.subtree_control", where);
		if (has_word(subtree, "cpu") && has_child_dirs(fd))
			return shared(why, size,
				      "the cpu cgroup %s has child cgroups, which compete inside it", where);
	}
	return only_ours(p, cg, where, why, size);
}

int pl_sched_group_own(const struct pl_sched_probe *p, char *why, size_t size)
{
	struct pl_cgroup cg = {0};
	int hier_fd, r;

	if (pl_cgroup_parse_proc(p->root, p->proc_cgroup, &cg) < 0) {
		pl_cgroup_free(&cg);
		return shared(why, size, "cannot tell our cgroups");
	}
	hier_fd = pl_cgroup_root_fd(p->root, PL_CTRL_CPU);
	if (hier_fd < 0 || !cg.path[PL_CTRL_CPU])
		r = root_group(p, why, size); /* no cpu controller in use: one group for all */
	else if (!p->root->on_v2[PL_CTRL_CPU])
		r = pl_cgroup_is_root(&cg, PL_CTRL_CPU)
			? root_group(p, why, size)
			: v1_group(p, &cg, hier_fd, cg.path[PL_CTRL_CPU], why, size);
	else
		r = v2_group(p, &cg, hier_fd, cg.path[PL_CTRL_CPU], why, size);
	pl_cgroup_free(&cg);
	return r;
}

/* The session (field 6 of /proc/PID/stat, after the command's closing parenthesis) of a
 * process that can still run: a zombie (say a child of a shell that exec'd us, never
 * reaped) competes for nothing. */
static bool session_of(int proc_fd, const char *pid, pid_t *sid)
{
	char rel[64], text[1024], state;
	const char *p;
	int s;

	snprintf(rel, sizeof(rel), "%s/stat", pid);
	if (pl_read_file_at_buf(proc_fd, rel, text, sizeof(text)) < 0 || !(p = strrchr(text, ')')))
		return false;
	/* ") S ppid pgrp session" */
	if (sscanf(p + 1, " %c %*d %*d %d", &state, &s) != 2 || state == 'Z' || state == 'X')
		return false;
	*sid = s;
	return true;
}

bool pl_session_alone(int proc_fd, pid_t pid)
{
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	bool alone = getsid(pid) == pid;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (alone && (de = readdir(d)) != NULL) {
		pid_t sid;
		char *end;
		long other = strtol(de->d_name, &end, 10);

		if (*end != '\0' || other <= 0 || other == pid)
			continue;
		if (session_of(proc_fd, de->d_name, &sid) && sid == pid)
			alone = false;
	}
	closedir(d);
	return alone;
}

int pl_sched_group_own_self(const struct pl_cgroup_root *root, pid_t keeper, char *why, size_t size)
{
	static bool alone;	   /* once alone, for good (we do not fork) */
	static uint64_t next_scan; /* not alone: scan again from then (a scan reads every /proc/N) */
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char flag[8] = "";
	struct pl_sched_probe p = {
	    .root = root,
	    .tgid = getpid(),
	    .keeper = keeper,
	    .proc_fd = proc_fd,
	};

	if (proc_fd < 0 || pl_read_file_at(proc_fd, "self/cgroup", &text) < 0)
		return shared(why, size, "cannot read /proc/self/cgroup");
	p.proc_cgroup = text;
	if (!alone && getsid(0) == getpid() && pl_now_monotonic_ns() >= next_scan) {
		alone = pl_session_alone(proc_fd, getpid());
		next_scan = pl_now_monotonic_ns() + 5ULL * 1000000000ULL;
	}
	p.session_alone = alone;
	p.autogroup =
	    pl_read_file_at_buf(proc_fd, "sys/kernel/sched_autogroup_enabled", flag, sizeof(flag)) > 0 &&
	    flag[0] == '1';
	return pl_sched_group_own(&p, why, size);
}

int pl_sched_set_idle(pid_t tid, bool idle)
{
	struct sched_param none = {0};

	return sched_setscheduler(tid, idle ? SCHED_IDLE : SCHED_OTHER, &none) < 0 ? -errno : 0;
}
