/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A proclensfs daemon's liveness, as a flock the kernel drops when it dies (live.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proclens/cleanup.h"
#include "proclens/live.h"
#include "proclens/util.h"

int pl_live_dev(const char *path, dev_t *dev)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0)
		return -errno;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return 0;
}

void pl_live_path(const char *dir, dev_t dev, char *buf, size_t size)
{
	snprintf(buf, size, "%s/mount-%u-%u.lock", dir, major(dev), minor(dev));
}

int pl_live_hold(const char *dir, dev_t dev, const char *mountpoint)
{
	char path[4096], tmp[4096 + 16], text[4096 + 16];
	int fd, r;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	pl_live_path(dir, dev, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	snprintf(text, sizeof(text), "%s\n", mountpoint);
	/* Locked before it gets its name: a checker never finds it unlocked while we live. A
	 * dead daemon's file for the same number (its mount is gone, the number reused) is
	 * replaced in one step. The text (the mount point) is for people. */
	if (flock(fd, LOCK_SH) < 0 || rename(tmp, path) < 0)
		r = -errno;
	else
		r = (int)pl_write_all(fd, text, strlen(text));
	if (r < 0) {
		unlink(tmp);
		close(fd);
		return r;
	}
	return fd;
}

void pl_live_release(const char *dir, dev_t dev, int fd)
{
	char path[4096];
	struct stat held, named;

	if (fd < 0)
		return;
	pl_live_path(dir, dev, path, sizeof(path));
	if (fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_ino == named.st_ino &&
	    held.st_dev == named.st_dev)
		unlink(path);
	close(fd);
}

int pl_live_check(const char *dir, dev_t dev)
{
	char path[4096];
	_cleanup_close_ int fd = -1;
	struct stat st;

	pl_live_path(dir, dev, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	/* Root's (or our own, for tests): nobody else may vouch for a mount. */
	if (fd < 0 || fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0; /* nobody holds it; closing the fd lets go */
	return errno == EWOULDBLOCK ? 1 : 0;
}
