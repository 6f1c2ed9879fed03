/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who owns a container name. `proclens run` holds an flock on /run/proclens/NAME.lock from
 * before it creates proclens/NAME until its cgroups are gone (the reaper that removes them
 * inherits the lock), and unlinks the file last. So a lock file nobody holds is proof that
 * its owner died without cleaning up (SIGKILL, a crash, a reboot of /run aside): the next
 * `run` removes what such an owner left, the empty proclens/NAME cgroups and its private
 * view's mount point /run/proclens/view.NAME, and nothing else. A cgroup with no lock file
 * (made by hand, by an older proclens or another tool) is never touched.
 *
 * flock and not a recorded pid: the kernel drops the lock with the last fd, however the
 * holder died, and there is no pid to be recycled. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

/* A reaper still removing a finished container's cgroups holds its lock for a few
 * milliseconds (at most PL_CG_EMPTY_TIMEOUT_NS with stuck processes): wait this long for it
 * before calling the name taken. */
#define PL_OWNER_WAIT_NS (2ULL * 1000000000ULL)

void pl_owner_init(struct pl_owner *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

static void lock_path(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s", PL_RUN_DIR, name, PL_LOCK_SUFFIX);
}

void pl_view_dir_of(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/view.%s", PL_RUN_DIR, name);
}

/* The fd still names the file at path: a sweeper may have unlinked it between our open and
 * our flock, and a lock on an unlinked file guards nothing. */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Remove what a gone owner of name left. 0 when nothing is left (the lock file may go),
 * -EBUSY when a cgroup still has processes or the view cannot be unmounted. */
static int remove_leftovers(const struct pl_cgroup_root *root, const char *name)
{
	int ret = 0;

	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		int fd = pl_cgroup_root_fd(root, c);
		_cleanup_close_ int parent = -1;

		if (fd < 0)
			continue;
		parent = openat(fd, "proclens", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (parent < 0)
			continue;
		/* Only an empty cgroup can be removed: rmdir refuses one with processes. */
		if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			ret = -EBUSY;
	}
	if (pl_view_dir_remove(name) < 0)
		ret = -EBUSY;
	return ret;
}

int pl_view_dir_remove(const char *name)
{
	char view[PATH_MAX];
	int ret = 0;

	pl_view_dir_of(name, view, sizeof(view));
	/* The private daemon got SIGTERM with its parent and unmounted; if it died too, a
	 * dead FUSE mount (ENOTCONN) may remain. Ours, under the lock: detach it. */
	if (umount2(view, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		ret = -EBUSY;
	if (rmdir(view) < 0 && errno != ENOENT)
		ret = -EBUSY;
	return ret;
}

void pl_owner_sweep(const struct pl_cgroup_root *root, const char *skip_name)
{
	_cleanup_closedir_ DIR *d = opendir(PL_RUN_DIR);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), slen = strlen(PL_LOCK_SUFFIX);
		char name[128], path[PATH_MAX];
		_cleanup_close_ int fd = -1;

		if (len <= slen || len - slen >= sizeof(name) ||
		    strcmp(de->d_name + len - slen, PL_LOCK_SUFFIX) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - slen), de->d_name);
		if (!pl_valid_name(name) || (skip_name && strcmp(name, skip_name) == 0))
			continue;
		lock_path(name, path, sizeof(path));
		fd = openat(dirfd(d), de->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		/* Held: a live owner (or its reaper). */
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || !still_linked(fd, path))
			continue;
		if (remove_leftovers(root, name) == 0)
			unlink(path);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int pl_owner_acquire(const struct pl_cgroup_root *root, const char *name, struct pl_owner *o,
		     struct pl_err *e)
{
	uint64_t deadline = 0;
	char path[sizeof(o->path)];

	if (mkdir(PL_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return pl_errf(e, -errno, "cannot create %s", PL_RUN_DIR);
	lock_path(name, path, sizeof(path));
	for (;;) {
		bool created = true;
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0 && errno == EEXIST) {
			created = false;
			fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT)
				continue; /* unlinked meanwhile: create it */
		}
		if (fd < 0)
			return pl_errf(e, -errno, "cannot open %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (!still_linked(fd, path)) {
				close(fd);
				continue;
			}
			o->fd = fd;
			snprintf(o->path, sizeof(o->path), "%s", path);
			/* An unheld file we did not create: a dead owner of this very name
			 * (a named container, or a recycled pid for run-PID). */
			if (!created)
				remove_leftovers(root, name);
			return 0;
		}
		close(fd);
		if (errno != EWOULDBLOCK)
			return pl_errf(e, -errno, "cannot lock %s", path);
		if (!deadline)
			deadline = pl_now_monotonic_ns() + PL_OWNER_WAIT_NS;
		else if (pl_now_monotonic_ns() > deadline)
			return pl_usagef(e,
					 "a container named '%s' already exists (%s is held by its "
					 "proclens run)",
					 name, path);
		sleep_ms(10);
	}
}

void pl_owner_release(struct pl_owner *o, bool unlink_file)
{
	if (o->fd < 0)
		return;
	if (unlink_file)
		unlink(o->path);
	close(o->fd);
	o->fd = -1;
}
