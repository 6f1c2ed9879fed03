/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container's filesystem, built in the child's private mount namespace: the root (the
 * host's, a --rootfs bound on itself, or an overlay on it), a fresh /proc, a read-only
 * /sys, a minimal /dev, the view's files over /proc and /sys, masked /proc paths, volumes,
 * and the switch of root.
 *
 * Mount targets inside a --rootfs are resolved with openat2(RESOLVE_IN_ROOT) from the held
 * root fd and mounted on through /proc/self/fd/N: a symlink in the image ("proc -> /etc")
 * cannot redirect a mount onto the host. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"

/* What other runtimes hide: kernel memory, keys, timers that leak host activity. */
static const char *const masked_paths[] = {
    "proc/asound",
    "proc/acpi",
    "proc/kcore",
    "proc/keys",
    "proc/latency_stats",
    "proc/timer_list",
    "proc/timer_stats",
    "proc/sched_debug",
    "proc/scsi",
    "sys/firmware",
    "sys/devices/virtual/powercap",
};

/* Readable but not writable: a container must not retune the host kernel. */
static const char *const readonly_paths[] = {
    "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

const char *pl_masked_paths(size_t i)
{
	return i < PL_ARRAY_SIZE(masked_paths) ? masked_paths[i] : NULL;
}

const char *pl_readonly_paths(size_t i)
{
	return i < PL_ARRAY_SIZE(readonly_paths) ? readonly_paths[i] : NULL;
}

struct dev_node {
	const char *name;
	mode_t mode;
	unsigned major, minor;
};

static const struct dev_node dev_nodes[] = {
    {"null", 0666, 1, 3},   {"zero", 0666, 1, 5},    {"full", 0666, 1, 7},
    {"random", 0666, 1, 8}, {"urandom", 0666, 1, 9}, {"tty", 0666, 5, 0},
};

struct root {
	int fd;		 /* the container's root, O_PATH */
	const char *dir; /* its path in our namespace ("/" for the host's root) */
	bool userns;
	bool pure_v2; /* the host's cgroups are v2 only, read before our /sys hides its */
};

/* O_PATH fd of rel (relative to the container root) without leaving it. */
static int resolve(const struct root *rt, const char *rel, int extra_flags)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC | (uint64_t)extra_flags,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, rt->fd, rel, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS) {
		/* Before 5.6: the host's root is trusted; an image's symlinks are not followed
		 * in the last component at least. */
		fd = openat(rt->fd, rel, O_PATH | O_CLOEXEC | O_NOFOLLOW | extra_flags);
	}
	return fd < 0 ? -errno : fd;
}

static void fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* Create one missing component: a directory, or with file an empty file (a bind mount of
 * a file needs a file to land on). */
static int make_component(const struct root *rt, const char *parent_rel, const char *name, bool file)
{
	_cleanup_close_ int parent = resolve(rt, parent_rel, O_DIRECTORY);
	_cleanup_close_ int dir = -1;
	char ppath[64];

	if (parent < 0)
		return parent;
	/* mkdirat and openat need a real directory fd, not O_PATH. */
	fd_path(parent, ppath, sizeof(ppath));
	dir = open(ppath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	if (file) {
		int f = openat(dir, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (f < 0 && errno != EEXIST)
			return -errno;
		if (f >= 0)
			close(f);
	} else if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST) {
		return -errno;
	}
	return 0;
}

/* mkdir -p rel inside the root (with file, the last component an empty file). */
static int ensure_path(const struct root *rt, const char *rel, bool file)
{
	char buf[PATH_MAX];
	_cleanup_close_ int fd = resolve(rt, rel, 0);
	size_t len = strlen(rel);
	char *p = buf;

	if (fd >= 0)
		return 0;
	if (fd != -ENOENT || len >= sizeof(buf))
		return fd;
	memcpy(buf, rel, len + 1);
	/* Each prefix in turn, shortest first: "a", "a/b", then "a/b/c". */
	for (;;) {
		char *slash = strchr(p, '/');
		char *name;
		int r;

		if (slash)
			*slash = '\0';
		{
			_cleanup_close_ int exists = resolve(rt, buf, 0);
			if (exists < 0) {
				name = strrchr(buf, '/');
				if (name) {
					*name = '\0';
					r = make_component(rt, buf, name + 1, !slash && file);
					*name = '/';
				} else {
					r = make_component(rt, ".", buf, !slash && file);
				}
				if (r < 0)
					return r;
			}
		}
		if (!slash)
			return 0;
		*slash = '/';
		p = slash + 1;
	}
}

/* mount(2) onto an O_PATH fd of the target. */
static int mount_on(int target_fd, const char *source, const char *type, unsigned long flags, const char *data)
{
	char target[64];

	fd_path(target_fd, target, sizeof(target));
	return mount(source, target, type, flags, data) < 0 ? -errno : 0;
}

/* mount(2) onto rel inside the root, creating the mount point when it is missing. One
 * resolve when it exists, which is the common case on every start. */
static int mount_in(const struct root *rt, const char *rel, const char *source, const char *type,
		    unsigned long flags, const char *data, bool create_file, struct pl_err *e)
{
	_cleanup_close_ int fd = resolve(rt, rel, 0);
	int r;

	if (fd == -ENOENT) {
		r = ensure_path(rt, rel, create_file);
		if (r < 0)
			return pl_errf(e, r, "cannot create the mount point /%s", rel);
		fd = resolve(rt, rel, 0);
	}
	if (fd < 0)
		return pl_errf(e, fd, "cannot open the mount point /%s", rel);
	r = mount_on(fd, source, type, flags, data);
	if (r < 0)
		return pl_errf(e, r, "cannot mount %s on /%s", type ? type : source, rel);
	return 0;
}

/* Set (MOUNT_ATTR_RDONLY, MOUNT_ATTR_NODEV) and clear attributes of the mount at path, and
 * of those below it if recursive, keeping its other flags: in a user namespace the kernel
 * refuses a remount that would clear a locked nosuid/nodev/noexec. */
static int mount_attrs(const char *path, bool recursive, uint64_t set, uint64_t clr)
{
	struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
	struct statvfs sv;
	unsigned long flags = MS_BIND | MS_REMOUNT;

	if (mount_setattr(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof(attr)) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* Before Linux 5.12: this mount only. Nothing is cleared then: without mount_setattr
	 * no nodev was set beyond the mount pl_rootfs_setup names. */
	if (!set)
		return 0;
	if (statvfs(path, &sv) < 0)
		return -errno;
	flags |= sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
	if (set & MOUNT_ATTR_RDONLY)
		flags |= MS_RDONLY;
	if (set & MOUNT_ATTR_NODEV)
		flags |= MS_NODEV;
	return mount(NULL, path, NULL, flags, NULL) < 0 ? -errno : 0;
}

static int mount_attrs_in(const struct root *rt, const char *rel, bool recursive, uint64_t set, uint64_t clr)
{
	_cleanup_close_ int fd = resolve(rt, rel, 0);
	char path[64];

	if (fd < 0)
		return fd;
	fd_path(fd, path, sizeof(path));
	return mount_attrs(path, recursive, set, clr);
}

/* --rootfs DIR becomes a mount of its own (pivot_root needs one), or the upper of an
 * overlay whose lower layer is DIR, read only. */
static int prepare_rootfs(const struct pl_run_opts *o, struct pl_err *e)
{
	_cleanup_close_ int lower = open(o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int scratch = -1;
	char upper[PATH_MAX], work[PATH_MAX], *data = NULL;
	int r;

	if (lower < 0)
		return pl_errf(e, -errno, "rootfs %s", o->rootfs);
	if (!o->overlay) {
		if (mount(o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
			return pl_errf(e, -errno, "cannot bind %s on itself", o->rootfs);
		return 0;
	}
	if (o->overlay_dir) {
		snprintf(upper, sizeof(upper), "%s/upper", o->overlay_dir);
		snprintf(work, sizeof(work), "%s/work", o->overlay_dir);
		if ((mkdir(o->overlay_dir, 0755) < 0 && errno != EEXIST) ||
		    (mkdir(upper, 0755) < 0 && errno != EEXIST) || (mkdir(work, 0700) < 0 && errno != EEXIST))
			return pl_errf(e, -errno, "cannot create the overlay directories in %s",
				       o->overlay_dir);
	} else {
		/* Thrown-away changes live in a tmpfs stacked on the rootfs path itself; the
		 * lower layer stays reachable through the fd taken before. */
		if (mount("tmpfs", o->rootfs, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			return pl_errf(e, -errno, "cannot mount the overlay's tmpfs on %s", o->rootfs);
		scratch = open(o->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (scratch < 0 || mkdirat(scratch, "upper", 0755) < 0 || mkdirat(scratch, "work", 0700) < 0)
			return pl_errf(e, -errno, "cannot prepare the overlay's tmpfs");
		snprintf(upper, sizeof(upper), "/proc/self/fd/%d/upper", scratch);
		snprintf(work, sizeof(work), "/proc/self/fd/%d/work", scratch);
	}
	if (asprintf(&data, "lowerdir=/proc/self/fd/%d,upperdir=%s,workdir=%s", lower, upper, work) < 0)
		return pl_errf(e, -ENOMEM, "overlay");
	r = mount("overlay", o->rootfs, "overlay", 0, data) < 0 ? -errno : 0;
	free(data);
	if (r < 0)
		return pl_errf(e, r, "cannot mount an overlay on %s (upper %s)", o->rootfs,
			       o->overlay_dir ? o->overlay_dir : "tmpfs");
	return 0;
}

/* Mount on a directory made in the fresh /dev tmpfs: nothing to resolve, nothing there. */
static int mount_in_dev(int dev, const char *name, const char *source, const char *type, unsigned long flags,
			const char *data, struct pl_err *e)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (mkdirat(dev, name, 0755) < 0)
		return pl_errf(e, -errno, "cannot create /dev/%s", name);
	fd = openat(dev, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return pl_errf(e, -errno, "cannot open /dev/%s", name);
	r = mount_on(fd, source, type, flags, data);
	if (r < 0)
		return pl_errf(e, r, "cannot mount %s on /dev/%s", type, name);
	return 0;
}

/* Bind a device node (source: a path, or /proc/self/fd/N) at rel, and let it open: a bind
 * copies the flags of the mount it comes from, and the host's /dev and devpts are nodev once
 * the host's root is the container's (see pl_rootfs_setup). */
static int bind_node(const struct root *rt, const char *rel, const char *src, struct pl_err *e)
{
	int r = mount_in(rt, rel, src, NULL, MS_BIND, NULL, true, e);

	if (r < 0)
		return r;
	r = mount_attrs_in(rt, rel, false, 0, MOUNT_ATTR_NODEV);
	return r < 0 ? pl_errf(e, r, "cannot let /%s open", rel) : 0;
}

/* host_node: for a user namespace, O_PATH fds of the host's nodes of dev_nodes, else -1. */
static int make_dev(const struct root *rt, const char *tty_slave, const int *host_node, struct pl_err *e)
{
	_cleanup_close_ int dev = -1;
	char rel[64];
	int r;

	r = mount_in(rt, "dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755,size=65536k", false,
		     e);
	if (r < 0)
		return r;
	{
		_cleanup_close_ int p = resolve(rt, "dev", O_DIRECTORY);
		char path[64];
		if (p < 0)
			return pl_errf(e, p, "cannot open /dev");
		fd_path(p, path, sizeof(path));
		dev = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dev < 0)
			return pl_errf(e, -errno, "cannot open /dev");
	}
	/* The modes as given, not as the umask would trim them. */
	mode_t saved_umask = umask(0);
	for (size_t i = 0; i < PL_ARRAY_SIZE(dev_nodes) && r >= 0; i++) {
		const struct dev_node *n = &dev_nodes[i];
		snprintf(rel, sizeof(rel), "dev/%s", n->name);
		if (!rt->userns) {
			if (mknodat(dev, n->name, S_IFCHR | n->mode, makedev(n->major, n->minor)) < 0)
				r = pl_errf(e, -errno, "cannot create /dev/%s", n->name);
		} else {
			char src[32];
			snprintf(src, sizeof(src), "/proc/self/fd/%d", host_node[i]);
			r = bind_node(rt, rel, src, e);
		}
	}
	umask(saved_umask);
	if (r < 0)
		return r;
	r = mount_in_dev(dev, "pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
			 e);
	if (r < 0)
		return r;
	if (symlinkat("pts/ptmx", dev, "ptmx") < 0 || symlinkat("/proc/self/fd", dev, "fd") < 0 ||
	    symlinkat("/proc/self/fd/0", dev, "stdin") < 0 ||
	    symlinkat("/proc/self/fd/1", dev, "stdout") < 0 ||
	    symlinkat("/proc/self/fd/2", dev, "stderr") < 0)
		return pl_errf(e, -errno, "cannot create the links in /dev");
	r = mount_in_dev(dev, "shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", e);
	if (r < 0)
		return r;
	r = mount_in_dev(dev, "mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, e);
	if (r < 0)
		return r;
	if (tty_slave)
		return bind_node(rt, "dev/console", tty_slave, e);
	return 0;
}

/* A user namespace may not mknod: the host's nodes are borrowed, opened before the new /dev
 * covers them (with the host's root as ours, /dev/null would name our own). */
static int setup_dev(const struct root *rt, const char *tty_slave, struct pl_err *e)
{
	int host_node[PL_ARRAY_SIZE(dev_nodes)];
	size_t n = 0;
	int r = 0;

	for (; rt->userns && n < PL_ARRAY_SIZE(dev_nodes); n++) {
		char src[32];

		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[n].name);
		host_node[n] = open(src, O_PATH | O_CLOEXEC);
		if (host_node[n] < 0) {
			r = pl_errf(e, -errno, "cannot open the host's %s", src);
			break;
		}
	}
	if (r >= 0)
		r = make_dev(rt, tty_slave, host_node, e);
	while (n-- > 0)
		close(host_node[n]);
	return r;
}

static int setup_proc_sys(const struct root *rt, const struct pl_run_opts *o, struct pl_err *e)
{
	struct pl_err ignored;
	int r;

	r = mount_in(rt, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false, e);
	if (r < 0)
		return r;
	r = mount_in(rt, "sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, false,
		     &ignored);
	if (r < 0) {
		/* sysfs needs a network namespace owned by our user namespace; with the host's
		 * network (--net=host --userns) the host's /sys, read-only, is the next best. */
		r = mount_in(rt, "sys", "/sys", NULL, MS_BIND | MS_REC, NULL, false, e);
		if (r < 0)
			return r;
		r = mount_attrs_in(rt, "sys", true, MOUNT_ATTR_RDONLY, 0);
		if (r < 0)
			return pl_errf(e, r, "cannot make /sys read-only");
		/* The host's cgroup tree shows every other container's limits and usage. */
		r = mount_in(rt, "sys/fs/cgroup", "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     "size=0,mode=0555", false, e);
		if (r < 0)
			return r;
	}
	/* On pure v2 the container's own cgroup (the root of its cgroup namespace) is useful
	 * and harmless, read-only. A v1 layout would need a mount per controller: left out. */
	if (rt->pure_v2)
		mount_in(rt, "sys/fs/cgroup", "cgroup2", "cgroup2",
			 MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, false, &ignored);
	(void)o;
	return 0;
}

static int bind_view(const struct root *rt, const struct pl_view_mount *v, struct pl_err *e)
{
	char src[PATH_MAX], rel[PATH_MAX];
	int r;

	if (!v || !v->dir)
		return 0;
	for (size_t i = 0; i < v->n_proc_files; i++) {
		_cleanup_close_ int target = -1;
		snprintf(rel, sizeof(rel), "proc/%s", v->proc_files[i]);
		/* Only over files the kernel has: procfs takes no new names. */
		target = resolve(rt, rel, 0);
		if (target < 0)
			continue;
		snprintf(src, sizeof(src), "%s/proc/%s", v->dir, v->proc_files[i]);
		r = mount_on(target, src, NULL, MS_BIND, NULL);
		/* The target exists (held open): ENOENT is the source, a file this daemon
		 * does not serve (an older proclensfs than this launcher). */
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return pl_errf(e, r, "cannot bind %s on /%s", src, rel);
	}
	/* The kernel's files there are all host-wide figures (irq too): the view's
	 * directory over them, one bind. The kernel keeps pressure per cgroup only on v2;
	 * elsewhere the container has none of its own, and an empty directory says so the
	 * way a kernel without pressure accounting would (the view would answer EIO). */
	if (v->has_pressure) {
		_cleanup_close_ int target = resolve(rt, "proc/pressure", 0);
		if (target >= 0 && rt->pure_v2) {
			snprintf(src, sizeof(src), "%s/proc/pressure", v->dir);
			r = mount_on(target, src, NULL, MS_BIND, NULL);
			if (r < 0 && r != -ENOENT)
				return pl_errf(e, r, "cannot bind %s on /proc/pressure", src);
		} else if (target >= 0) {
			r = mount_on(target, "tmpfs", "tmpfs", MS_RDONLY, "size=0,mode=0555");
			if (r < 0)
				return pl_errf(e, r, "cannot hide the host's /proc/pressure");
		}
	}
	if (v->has_sys_cpu) {
		snprintf(src, sizeof(src), "%s/sys/devices/system/cpu", v->dir);
		r = mount_in(rt, "sys/devices/system/cpu", src, NULL, MS_BIND, NULL, false, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* fd is on the kernel file system its path names (proc/... on procfs, sys/... on sysfs).
 * Someone who can write the rootfs while we start could move the /proc we mounted aside
 * and leave an empty directory in its place, where every mask would find nothing to hide
 * (or a file of theirs): then we stop. */
static int on_kernel_fs(int fd, const char *rel, struct pl_err *e)
{
	unsigned long want = strncmp(rel, "proc", 4) == 0 ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return pl_errf(e, -errno, "cannot statfs /%s", rel);
	if ((unsigned long)sf.f_type != want)
		return pl_errf(e, -EXDEV,
			       "/%s is not on the %s just mounted: was the root filesystem changed while the "
			       "container started?",
			       rel, want == PROC_SUPER_MAGIC ? "procfs" : "sysfs");
	return 0;
}

static int mask_paths(const struct root *rt, struct pl_err *e)
{
	int r;

	/* An absent mask target is one this kernel lacks, but only inside the real /proc
	 * and /sys. */
	for (int k = 0; k < 2; k++) {
		const char *top = k ? "sys" : "proc";
		_cleanup_close_ int fd = resolve(rt, top, 0);
		if (fd < 0)
			return pl_errf(e, fd, "cannot open the container's /%s", top);
		r = on_kernel_fs(fd, top, e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < PL_ARRAY_SIZE(masked_paths); i++) {
		_cleanup_close_ int fd = resolve(rt, masked_paths[i], 0);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			continue; /* absent on this kernel: nothing to hide */
		r = on_kernel_fs(fd, masked_paths[i], e);
		if (r < 0)
			return r;
		if (S_ISDIR(st.st_mode))
			r = mount_on(fd, "tmpfs", "tmpfs", MS_RDONLY, "size=0,mode=0555");
		else
			r = mount_on(fd, "/dev/null", NULL, MS_BIND, NULL);
		if (r < 0)
			return pl_errf(e, r, "cannot mask /%s", masked_paths[i]);
	}
	for (size_t i = 0; i < PL_ARRAY_SIZE(readonly_paths); i++) {
		_cleanup_close_ int fd = resolve(rt, readonly_paths[i], 0);
		_cleanup_close_ int bound = -1;
		char self[64];
		if (fd < 0)
			continue;
		r = on_kernel_fs(fd, readonly_paths[i], e);
		if (r < 0)
			return r;
		/* Bound on itself first: read-only must apply to this path, not all of /proc. */
		fd_path(fd, self, sizeof(self));
		if (mount(self, self, NULL, MS_BIND | MS_REC, NULL) < 0)
			return pl_errf(e, -errno, "cannot bind /%s on itself", readonly_paths[i]);
		bound = resolve(rt, readonly_paths[i], 0);
		if (bound < 0)
			return pl_errf(e, bound, "cannot open /%s", readonly_paths[i]);
		r = on_kernel_fs(bound, readonly_paths[i], e);
		if (r < 0)
			return r;
		fd_path(bound, self, sizeof(self));
		r = mount_attrs(self, true, MOUNT_ATTR_RDONLY, 0);
		if (r < 0)
			return pl_errf(e, r, "cannot make /%s read-only", readonly_paths[i]);
	}
	return 0;
}

/* Where DST lands: on /dev's tmpfs (made later), on /proc or /sys (kernel file systems,
 * which take no new names), or on the root filesystem. */
static bool under(const char *dst, const char *top)
{
	size_t n = strlen(top);
	return strncmp(dst, top, n) == 0 && (dst[n] == '/' || dst[n] == '\0');
}

/* What each volume's source is, looked at once before any mount of ours: a directory or
 * not (its mount point is made to match), and on a read-only mount or not. */
struct vol_src {
	bool dir;
	bool ro;
};

static int inspect_volume_sources(const struct pl_run_opts *o, struct vol_src *srcs, struct pl_err *e)
{
	for (size_t i = 0; i < o->n_volumes; i++) {
		const char *src = o->volumes[i].src;
		struct statvfs sv;
		struct stat st;

		if (stat(src, &st) < 0)
			return pl_errf(e, -errno, "--volume %s", src);
		srcs[i].dir = S_ISDIR(st.st_mode);
		srcs[i].ro = statvfs(src, &sv) == 0 && (sv.f_flag & ST_RDONLY);
	}
	return 0;
}

/* Before the root is made read-only and the kernel file systems land: the mount points
 * the volumes need in the root filesystem. Without --rootfs that is the host's own: none
 * is made there (it would stay behind on the host), so each must exist already. */
static int prepare_volume_targets(const struct root *rt, const struct pl_run_opts *o, const struct vol_src *srcs,
				  struct pl_err *e)
{
	for (size_t i = 0; i < o->n_volumes; i++) {
		const struct pl_volume *v = &o->volumes[i];
		int r;

		if (under(v->dst, "/dev") || under(v->dst, "/proc") || under(v->dst, "/sys"))
			continue; /* bind_volumes */
		if (!o->rootfs) {
			_cleanup_close_ int fd = resolve(rt, v->dst + 1, 0);

			if (fd == -ENOENT)
				return pl_usagef(e,
						 "--volume %s:%s: %s does not exist, and without --rootfs the "
						 "container's root is the host's: proclens makes no mount point "
						 "there",
						 v->src, v->dst, v->dst);
			continue;
		}
		r = ensure_path(rt, v->dst + 1, !srcs[i].dir);
		if (r < 0)
			return pl_errf(e, r, "--volume: cannot create %s in the container", v->dst);
	}
	return 0;
}

/* The volume may not hide the container's root or its /proc, not even through a symlink
 * in the image (a DST of /myproc -> /proc would hide procfs, the views and the masks). */
static int check_volume_target(const struct root *rt, const struct pl_volume *v, struct pl_err *e)
{
	_cleanup_close_ int target = resolve(rt, v->dst + 1, 0);
	_cleanup_close_ int proc = resolve(rt, "proc", 0);
	struct stat t, root_st, proc_st;

	if (target < 0)
		return 0; /* mount_in says why */
	if (fstat(target, &t) < 0 || fstat(rt->fd, &root_st) < 0)
		return pl_errf(e, -errno, "--volume: cannot stat %s", v->dst);
	if (t.st_dev == root_st.st_dev && t.st_ino == root_st.st_ino)
		return pl_usagef(e, "--volume %s:%s: %s is the container's / (through a symlink): refused", v->src,
				 v->dst, v->dst);
	if (proc >= 0 && fstat(proc, &proc_st) == 0 && t.st_dev == proc_st.st_dev && t.st_ino == proc_st.st_ino)
		return pl_usagef(e, "--volume %s:%s: %s is the container's /proc (through a symlink): refused",
				 v->src, v->dst, v->dst);
	return 0;
}

static int bind_volumes(const struct root *rt, const struct pl_run_opts *o, const struct vol_src *srcs,
			struct pl_err *e)
{
	for (size_t i = 0; i < o->n_volumes; i++) {
		const struct pl_volume *v = &o->volumes[i];
		bool ro = v->read_only || srcs[i].ro;
		int r;

		/* /dev is the container's own tmpfs by now: a mount point may be made there. */
		if (under(v->dst, "/dev")) {
			r = ensure_path(rt, v->dst + 1, !srcs[i].dir);
			if (r < 0)
				return pl_errf(e, r, "--volume: cannot create %s in the container", v->dst);
		}
		if (under(v->dst, "/proc") || under(v->dst, "/sys")) {
			_cleanup_close_ int fd = resolve(rt, v->dst + 1, 0);
			if (fd == -ENOENT)
				return pl_usagef(e,
						 "--volume %s:%s: no such file in the container's %s, which "
						 "takes no new names",
						 v->src, v->dst, under(v->dst, "/proc") ? "/proc" : "/sys");
		}
		r = check_volume_target(rt, v, e);
		if (r < 0)
			return r;
		r = mount_in(rt, v->dst + 1, v->src, NULL, MS_BIND | MS_REC, NULL, false, e);
		if (r < 0)
			return r;
		/* No device nodes through a volume either (see pl_rootfs_setup). Writable unless
		 * :ro or read-only at its source, even when taken from a root we made read-only
		 * (--read-only without --rootfs). */
		r = mount_attrs_in(rt, v->dst + 1, true, MOUNT_ATTR_NODEV | (ro ? MOUNT_ATTR_RDONLY : 0),
				   ro ? 0 : MOUNT_ATTR_RDONLY);
		if (r < 0)
			return pl_errf(e, r, "--volume: cannot make %s %s", v->dst,
				       ro ? "read-only and nodev" : "writable and nodev");
	}
	return 0;
}

/* pivot_root(".", ".") stacks the old root under the new one at "/"; detaching it leaves
 * only the new root, with no directory needed for the old one. */
static int switch_root(const char *dir, struct pl_err *e)
{
	if (chdir(dir) < 0)
		return pl_errf(e, -errno, "cannot enter %s", dir);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return pl_errf(e, -errno, "pivot_root into %s", dir);
	if (umount2(".", MNT_DETACH) < 0)
		return pl_errf(e, -errno, "cannot detach the old root");
	if (chdir("/") < 0)
		return pl_errf(e, -errno, "chdir /");
	return 0;
}

int pl_rootfs_setup(const struct pl_rootfs_plan *p, struct pl_err *e)
{
	const struct pl_run_opts *o = p->opts;
	_cleanup_close_ int root_fd = -1;
	/* Before any mount: with the host's root our fresh sysfs soon covers the host's /sys. */
	struct root rt = {.userns = o->userns,
			  .pure_v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0};
	_cleanup_free_ struct vol_src *srcs = NULL;
	int r;

	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pl_errf(e, -errno, "cannot make the mounts private");
	if (o->rootfs) {
		r = prepare_rootfs(o, e);
		if (r < 0)
			return r;
	}
	rt.dir = o->rootfs ? o->rootfs : "/";
	root_fd = open(rt.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return pl_errf(e, -errno, "cannot open %s", rt.dir);
	rt.fd = root_fd;

	srcs = calloc(o->n_volumes + 1, sizeof(*srcs));
	if (!srcs)
		return pl_errf(e, -ENOMEM, "--volume");
	r = inspect_volume_sources(o, srcs, e);
	if (r < 0)
		return r;
	r = prepare_volume_targets(&rt, o, srcs, e);
	if (r < 0)
		return r;
	/* Before /proc, /dev and the volumes land: those keep their own modes. No device node
	 * of the root filesystem opens (nodev): there is no device cgroup, so a node that an
	 * image or the host's root holds (a disk's, say) would reach the device itself. The
	 * container's /dev, mounted next, has only its own nodes, and it cannot make more
	 * (no CAP_MKNOD unless added). */
	r = mount_attrs(rt.dir, true, MOUNT_ATTR_NODEV | (o->read_only ? MOUNT_ATTR_RDONLY : 0), 0);
	if (r < 0)
		return pl_errf(e, r, "cannot make %s %s", rt.dir, o->read_only ? "read-only and nodev" : "nodev");
	r = setup_proc_sys(&rt, o, e);
	if (r >= 0)
		r = setup_dev(&rt, p->tty_slave, e);
	if (r >= 0)
		r = bind_view(&rt, p->view, e);
	if (r >= 0)
		r = mask_paths(&rt, e);
	if (r >= 0)
		r = bind_volumes(&rt, o, srcs, e);
	if (r < 0)
		return r;
	if (o->rootfs)
		return switch_root(rt.dir, e);
	return 0;
}
