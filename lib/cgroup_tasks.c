/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The threads of a cgroup subtree: what /proc/stat's process counts and the daemon's
 * container lookups are built from. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proclens/cgroup.h"
#include "proclens/cleanup.h"
#include "proclens/trace.h"
#include "proclens/util.h"

struct task_walk {
	const char *file; /* "tasks" (v1) or "cgroup.threads" (v2) */
	int (*cb)(pid_t tid, void *userdata);
	void *userdata;
	int stopped; /* the callback's negative return, so it is not taken for a vanished cgroup */
};

/* One thread id per line, as the kernel writes "tasks" and "cgroup.threads". */
static int emit_tids(struct task_walk *w, const char *text)
{
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char num[24];
		uint64_t tid;

		if (len > 0) {
			if (len >= sizeof(num))
				return -EINVAL;
			memcpy(num, line, len);
			num[len] = '\0';
			if (pl_parse_u64(num, &tid) < 0 || tid == 0 || tid > INT32_MAX)
				return -EINVAL;
			int k = w->cb((pid_t)tid, w->userdata);
			if (k < 0) {
				w->stopped = k;
				return k;
			}
		}
		line += len + (eol ? 1 : 0);
	}
	return 0;
}

/* Takes ownership of dfd (an O_RDONLY directory fd). */
static int walk_tasks(struct task_walk *w, int dfd_owned, unsigned depth)
{
	_cleanup_close_ int dfd = dfd_owned;
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ char *text = NULL;
	struct dirent *de;
	ssize_t n;
	int k;

	/* Each level holds a DIR; cgroup.max.depth is unlimited by default, so bound it. */
	if (depth > 256)
		return -ELOOP;
	n = pl_read_file_at(dfd, w->file, &text);
	if (n < 0)
		return (int)n;
	k = emit_tids(w, text);
	if (k < 0)
		return k;
	d = fdopendir(dfd);
	if (!d)
		return -errno;
	dfd = -1; /* owned by d now */
	while ((errno = 0, de = readdir(d))) {
		int child;

		if (!pl_dirent_is_dir(dirfd(d), de))
			continue;
		child = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0) {
			if (errno == ENOENT)
				continue; /* removed since readdir */
			return -errno;
		}
		k = walk_tasks(w, child, depth + 1);
		if (w->stopped)
			return w->stopped;
		if (k == -ENOENT || k == -ENODEV)
			continue; /* removed while we read it */
		if (k < 0)
			return k;
	}
	return errno ? -errno : 0;
}

int pl_cgroup_for_each_task(const struct pl_cgroup *cg, enum pl_controller c,
			    int (*cb)(pid_t tid, void *userdata), void *userdata)
{
	struct task_walk w = {.cb = cb, .userdata = userdata};
	const char *path;
	int root_fd, dfd, k;

	if (!cg || !cg->root || (unsigned)c >= PL_CTRL_COUNT || !cb)
		return -EINVAL;
	root_fd = pl_cgroup_root_fd(cg->root, c);
	path = cg->path[c];
	if (root_fd < 0 || !path) {
		pl_trace_cgroup_read(cg, c, "", 0, false, "", NULL, "tasks", NULL, -ENOENT);
		return -ENOENT;
	}
	/* v2's cgroup.threads of a domain cgroup lists every thread of its processes; the
	 * v1 "tasks" file is threads too. Each thread is in exactly one cgroup, so the
	 * recursion sees it once. */
	w.file = cg->root->on_v2[c] ? "cgroup.threads" : "tasks";
	pl_trace_cgroup_read(cg, c, path, strlen(path), false, w.file, NULL, "tasks",
			     "the threads listed here and in every descendant cgroup", 0);
	dfd = openat(root_fd, *path ? path : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* The cgroup removed since the reader was placed in it: not "no such controller",
	 * which a caller may answer from another hierarchy. */
	if (dfd < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	k = walk_tasks(&w, dfd, 0);
	return w.stopped ? w.stopped : k;
}
