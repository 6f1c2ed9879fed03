/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the cgroup hierarchies are (mount detection) and where a process sits in them
 * (/proc/PID/cgroup, explicit paths). Reading control files is lib/cgroup.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "proclens/cgroup.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

static const char *const controller_names[PL_CTRL_COUNT] = {
    [PL_CTRL_MEMORY] = "memory", [PL_CTRL_CPU] = "cpu",	  [PL_CTRL_CPUACCT] = "cpuacct",
    [PL_CTRL_CPUSET] = "cpuset", [PL_CTRL_PIDS] = "pids", [PL_CTRL_IO] = "io",
};

/* Names in v1 super options and /proc/PID/cgroup: v1 calls the io controller "blkio". */
static const char *const v1_names[PL_CTRL_COUNT] = {
    [PL_CTRL_MEMORY] = "memory", [PL_CTRL_CPU] = "cpu",	  [PL_CTRL_CPUACCT] = "cpuacct",
    [PL_CTRL_CPUSET] = "cpuset", [PL_CTRL_PIDS] = "pids", [PL_CTRL_IO] = "blkio",
};

/* Names in v2 cgroup.controllers. cpuacct has none: v2 keeps cpu.stat usage in every
 * cgroup whether or not the cpu controller is enabled. */
static const char *const v2_names[PL_CTRL_COUNT] = {
    [PL_CTRL_MEMORY] = "memory", [PL_CTRL_CPU] = "cpu",	  [PL_CTRL_CPUACCT] = NULL,
    [PL_CTRL_CPUSET] = "cpuset", [PL_CTRL_PIDS] = "pids", [PL_CTRL_IO] = "io",
};

const char *pl_controller_name(enum pl_controller c)
{
	if ((unsigned)c >= PL_CTRL_COUNT)
		return "unknown";
	return controller_names[c];
}

void pl_cgroup_root_init(struct pl_cgroup_root *r)
{
	r->v2_fd = -1;
	r->v2_mount_root = NULL;
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		r->v1_fd[c] = -1;
		r->v1_mount_root[c] = NULL;
		r->on_v2[c] = false;
	}
}

void pl_cgroup_root_close(struct pl_cgroup_root *r)
{
	if (!r)
		return;
	if (r->v2_fd >= 0)
		close(r->v2_fd);
	free(r->v2_mount_root);
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		if (r->v1_fd[c] >= 0)
			close(r->v1_fd[c]);
		free(r->v1_mount_root[c]);
	}
	pl_cgroup_root_init(r);
}

bool pl_cgroup2_mounted_at(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

bool pl_cgroup_root_is_v2(const struct pl_cgroup_root *r)
{
	if (r->v2_fd < 0)
		return false;
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		if (r->v1_fd[c] >= 0)
			return false;
	return true;
}

int pl_cgroup_root_fd(const struct pl_cgroup_root *r, enum pl_controller c)
{
	if (!r || (unsigned)c >= PL_CTRL_COUNT)
		return -1;
	return r->on_v2[c] ? r->v2_fd : r->v1_fd[c];
}

static const char *mount_root_of(const struct pl_cgroup_root *r, enum pl_controller c)
{
	const char *m = r->on_v2[c] ? r->v2_mount_root : r->v1_mount_root[c];
	return m ? m : "/";
}

/* Exact token in a comma-separated list: "cpu" must not match "cpuacct" or "cpuset". */
static bool list_has(const char *list, const char *word, char sep)
{
	size_t wlen = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == wlen && memcmp(p, word, wlen) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Give controller c its own dup of a hierarchy's dirfd, so close() needs no refcounts when
 * one v1 mount ("cpu,cpuacct") serves several controllers. */
static int set_v1(struct pl_cgroup_root *r, enum pl_controller c, int fd, const char *mount_root)
{
	_cleanup_close_ int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	char *root_copy;

	if (dup_fd < 0)
		return -errno;
	root_copy = strdup(mount_root && *mount_root ? mount_root : "/");
	if (!root_copy)
		return -ENOMEM;
	r->v1_fd[c] = TAKE_FD(dup_fd);
	r->v1_mount_root[c] = root_copy;
	return 0;
}

/* A controller lives on v2 when no v1 mount carries it and the v2 root lists it. */
static int compute_on_v2(struct pl_cgroup_root *r)
{
	char list[1024];
	ssize_t n;

	if (r->v2_fd < 0)
		return 0;
	n = pl_read_file_at_buf(r->v2_fd, "cgroup.controllers", list, sizeof(list));
	if (n == -ENOENT)
		list[0] = '\0';
	else if (n < 0)
		return (int)n;
	/* The file is space separated with a trailing newline. */
	for (char *p = list; *p; p++)
		if (*p == '\n')
			*p = ' ';
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		if (r->v1_fd[c] >= 0)
			continue;
		r->on_v2[c] = v2_names[c] ? list_has(list, v2_names[c], ' ') : true;
	}
	return 0;
}

static int open_mount_dir(int base_fd, const char *target)
{
	int fd;

	/* With a sysroot, mountinfo's absolute targets are looked up below it. */
	if (base_fd != AT_FDCWD)
		while (*target == '/')
			target++;
	fd = openat(base_fd, *target ? target : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A mount we cannot open (hidden by an overmount, no permission) is skipped: another
 * mount of the same hierarchy, or none at all, is a better answer than failing. */
static bool skippable_open_error(int r)
{
	return r == -ENOENT || r == -EACCES || r == -EPERM || r == -ENOTDIR;
}

static int take_v1_mount(struct pl_cgroup_root *r, const struct pl_mountinfo_entry *m, int base_fd)
{
	_cleanup_close_ int fd = -1;

	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		int k;

		/* First mount wins: a hierarchy can be bind-mounted again elsewhere. */
		if (r->v1_fd[c] >= 0 || !list_has(m->super_options, v1_names[c], ','))
			continue;
		if (fd < 0) {
			fd = open_mount_dir(base_fd, m->target);
			if (fd < 0)
				return skippable_open_error(fd) ? 0 : fd;
		}
		k = set_v1(r, c, fd, m->root);
		if (k < 0)
			return k;
	}
	return 0;
}

static int take_v2_mount(struct pl_cgroup_root *r, const struct pl_mountinfo_entry *m, int base_fd)
{
	int fd;

	if (r->v2_fd >= 0)
		return 0;
	fd = open_mount_dir(base_fd, m->target);
	if (fd < 0)
		return skippable_open_error(fd) ? 0 : fd;
	r->v2_fd = fd;
	r->v2_mount_root = strdup(*m->root ? m->root : "/");
	return r->v2_mount_root ? 0 : -ENOMEM;
}

/* The kernel escapes space, tab, newline and backslash in paths as \ooo (show_mountinfo's
 * mangle()): undo it in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The next space-separated field of *p, NUL-terminated in place; NULL at the end. */
static char *next_field(char **p)
{
	char *start = *p, *end;

	while (*start == ' ')
		start++;
	if (!*start)
		return NULL;
	end = strchr(start, ' ');
	if (end) {
		*end = '\0';
		*p = end + 1;
	} else {
		*p = start + strlen(start);
	}
	return start;
}

/* "36 25 0:32 /root /target opts shared:1 master:2 - fstype source superopts": the fields
 * before the "-" are positional, then any number of optional fields, then three more. */
int pl_mountinfo_parse_line(char *line, struct pl_mountinfo_entry *m)
{
	char *p = line, *f[5], *sep, *fstype, *source, *super_options;

	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 5; i++) {
		f[i] = next_field(&p);
		if (!f[i])
			return -EINVAL;
	}
	/* f[5] (mount options) is not needed; skip it and the optional fields. */
	if (!next_field(&p))
		return -EINVAL;
	while ((sep = next_field(&p)) && strcmp(sep, "-") != 0)
		;
	if (!sep)
		return -EINVAL;
	fstype = next_field(&p);
	source = next_field(&p);
	super_options = next_field(&p);
	if (!fstype || !source)
		return -EINVAL;
	unescape_octal(f[3]);
	unescape_octal(f[4]);
	unescape_octal(source);
	m->root = f[3];
	m->target = f[4];
	m->fstype = fstype;
	m->source = source;
	m->super_options = super_options ? super_options : "";
	return 0;
}

/* A hand-written scan, not libmount: the launcher detects the hierarchies on every
 * container start, and linking libmount costs each start libblkid, libselinux and pcre2
 * (their loading and constructors) for a handful of fields. */
static int scan_mountinfo(struct pl_cgroup_root *r, const char *mountinfo, int base_fd)
{
	_cleanup_free_ char *text = NULL;
	ssize_t n = pl_read_file_at(AT_FDCWD, mountinfo, &text);

	if (n < 0)
		return (int)n;
	for (char *line = text, *eol; line && *line; line = eol) {
		struct pl_mountinfo_entry m;
		int k = 0;

		eol = strchr(line, '\n');
		if (eol)
			*eol++ = '\0';
		if (pl_mountinfo_parse_line(line, &m) < 0)
			continue; /* as libmount: a line we cannot read is skipped */
		if (strcmp(m.fstype, "cgroup2") == 0)
			k = take_v2_mount(r, &m, base_fd);
		else if (strcmp(m.fstype, "cgroup") == 0)
			k = take_v1_mount(r, &m, base_fd);
		if (k < 0)
			return k;
	}
	return 0;
}

static bool root_has_any(const struct pl_cgroup_root *r)
{
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		if (pl_cgroup_root_fd(r, c) >= 0)
			return true;
	return false;
}

/* Common end of both ways of finding the hierarchies: decide which controllers live on v2,
 * insist on at least one hierarchy, and leave nothing open on failure. */
static int root_finish(struct pl_cgroup_root *r, int k)
{
	if (k >= 0)
		k = compute_on_v2(r);
	if (k >= 0 && !root_has_any(r))
		k = -ENOENT;
	if (k < 0)
		pl_cgroup_root_close(r);
	return k < 0 ? k : 0;
}

int pl_cgroup_root_detect_from(struct pl_cgroup_root *r, const char *mountinfo, const char *sysroot)
{
	_cleanup_close_ int base_fd = -1;
	int k;

	pl_cgroup_root_init(r);
	if (sysroot) {
		base_fd = open(sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (base_fd < 0)
			return -errno;
	}
	k = scan_mountinfo(r, mountinfo, sysroot ? base_fd : AT_FDCWD);
	return root_finish(r, k);
}

/* Whether fd is the root of a hierarchy mounted there whole: a cgroup file system of that
 * magic, a mount's root, and the hierarchy's own root (kernfs numbers it 1 in the low 32
 * bits of the inode, a generation above them on some kernels; a bind mount of a cgroup
 * below, as a container without a cgroup namespace has, is not). */
static bool is_whole_hierarchy(int fd, long magic)
{
	struct statfs sfs;
	struct statx stx;

	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != magic)
		return false;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0)
		return false;
	return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) && (uint32_t)stx.stx_ino == 1;
}

static int open_whole_hierarchy(const char *path, long magic)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && !is_whole_hierarchy(fd, magic)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One /proc/self/cgroup line of a v1 hierarchy carrying some of our controllers
 * ("4:cpu,cpuacct:/path"), taken from /sys/fs/cgroup/<its controllers>. -EAGAIN when it
 * is not there whole. */
static int take_usual_v1(struct pl_cgroup_root *r, const char *ctrls, size_t len)
{
	_cleanup_close_ int fd = -1;
	char list[256], path[300];
	bool ours = false;

	if (len == 0)
		return 0;
	if (len >= sizeof(list))
		return -EAGAIN;
	memcpy(list, ctrls, len);
	list[len] = '\0';
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		ours = ours || list_has(list, v1_names[c], ',');
	if (!ours)
		return 0; /* name=systemd, devices, freezer... */
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", list);
	fd = open_whole_hierarchy(path, CGROUP_SUPER_MAGIC);
	if (fd < 0)
		return -EAGAIN;
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		int k;

		if (!list_has(list, v1_names[c], ',') || r->v1_fd[c] >= 0)
			continue;
		k = set_v1(r, c, fd, "/");
		if (k < 0)
			return k;
	}
	return 0;
}

/* The usual layouts, without /proc/self/mountinfo: reading it costs a container start
 * 100-250 us on this VM, and holds the mount namespace's lock against the new container's
 * own mounts meanwhile. Every hierarchy /proc/self/cgroup lists with one of our controllers
 * must be at /sys/fs/cgroup/<its controllers>, and cgroup2, when listed, at /sys/fs/cgroup
 * (pure v2) or /sys/fs/cgroup/unified (hybrid), each mounted there whole
 * (is_whole_hierarchy). That is the result mountinfo gives for these layouts; anything
 * else (another place, a sub-cgroup bound, a cgroup namespace's mount) is -EAGAIN, and
 * mountinfo decides. */
static int detect_usual(struct pl_cgroup_root *r)
{
	_cleanup_free_ char *text = NULL;
	bool v2_listed = false;

	if (pl_read_file_at(AT_FDCWD, "/proc/self/cgroup", &text) < 0)
		return -EAGAIN;
	for (char *line = text, *eol; line && *line; line = eol) {
		char *c1, *c2;
		int k;

		eol = strchr(line, '\n');
		if (eol)
			*eol++ = '\0';
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			return -EAGAIN;
		if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
			v2_listed = true;
			continue;
		}
		k = take_usual_v1(r, c1 + 1, (size_t)(c2 - c1 - 1));
		if (k < 0)
			return k;
	}
	if (v2_listed) {
		r->v2_fd = open_whole_hierarchy("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC);
		if (r->v2_fd < 0)
			r->v2_fd = open_whole_hierarchy("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC);
		if (r->v2_fd < 0)
			return -EAGAIN;
		r->v2_mount_root = strdup("/");
		if (!r->v2_mount_root)
			return -ENOMEM;
	}
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		if (r->v1_fd[c] >= 0)
			return 0;
	return r->v2_fd >= 0 ? 0 : -EAGAIN;
}

int pl_cgroup_root_detect_usual(struct pl_cgroup_root *r)
{
	int k;

	pl_cgroup_root_init(r);
	k = detect_usual(r);
	if (k != -EAGAIN)
		return root_finish(r, k);
	pl_cgroup_root_close(r);
	return k;
}

int pl_cgroup_root_detect(struct pl_cgroup_root *r)
{
	int k = pl_cgroup_root_detect_usual(r);

	return k != -EAGAIN ? k : pl_cgroup_root_detect_from(r, "/proc/self/mountinfo", NULL);
}

static int open_dir_v1(struct pl_cgroup_root *r, int dir_fd)
{
	static const struct {
		const char *name;
		enum pl_controller ctrl[2];
		unsigned n;
	} dirs[] = {
	    {"memory", {PL_CTRL_MEMORY}, 1},   {"cpu", {PL_CTRL_CPU}, 1},
	    {"cpuacct", {PL_CTRL_CPUACCT}, 1}, {"cpu,cpuacct", {PL_CTRL_CPU, PL_CTRL_CPUACCT}, 2},
	    {"cpuset", {PL_CTRL_CPUSET}, 1},   {"pids", {PL_CTRL_PIDS}, 1},
	    {"blkio", {PL_CTRL_IO}, 1},
	};

	for (size_t i = 0; i < PL_ARRAY_SIZE(dirs); i++) {
		/* No O_NOFOLLOW: systemd makes "cpu" and "cpuacct" symlinks to "cpu,cpuacct". */
		_cleanup_close_ int fd = openat(dir_fd, dirs[i].name, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return -errno;
		}
		for (unsigned j = 0; j < dirs[i].n; j++) {
			enum pl_controller c = dirs[i].ctrl[j];
			int k;

			if (r->v1_fd[c] >= 0)
				continue;
			k = set_v1(r, c, fd, "/");
			if (k < 0)
				return k;
		}
	}
	return 0;
}

int pl_cgroup_root_open_dir(struct pl_cgroup_root *r, const char *dir)
{
	_cleanup_close_ int dir_fd = -1;
	struct stat st;
	int k = 0;

	pl_cgroup_root_init(r);
	dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	if (fstatat(dir_fd, "cgroup.controllers", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r->v2_fd = TAKE_FD(dir_fd);
	} else {
		k = open_dir_v1(r, dir_fd);
		if (k >= 0) {
			r->v2_fd = openat(dir_fd, "unified", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (r->v2_fd < 0 && errno != ENOENT && errno != ENOTDIR)
				k = -errno;
		}
	}
	if (k >= 0 && r->v2_fd >= 0 && !(r->v2_mount_root = strdup("/")))
		k = -ENOMEM;
	return root_finish(r, k);
}

/* ---- a process's place in the hierarchies ---- */

void pl_cgroup_free(struct pl_cgroup *cg)
{
	if (!cg)
		return;
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		free(cg->path[c]);
		cg->path[c] = NULL;
	}
	free(cg->v2_path);
	cg->v2_path = NULL;
}

static void cgroup_init(struct pl_cgroup *cg, const struct pl_cgroup_root *r)
{
	cg->root = r;
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		cg->path[c] = NULL;
	cg->v2_path = NULL;
}

int pl_cgroup_copy(const struct pl_cgroup *src, struct pl_cgroup *dst)
{
	cgroup_init(dst, src->root);
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		if (!src->path[c])
			continue;
		dst->path[c] = strdup(src->path[c]);
		if (!dst->path[c]) {
			pl_cgroup_free(dst);
			return -ENOMEM;
		}
	}
	if (src->v2_path && !(dst->v2_path = strdup(src->v2_path))) {
		pl_cgroup_free(dst);
		return -ENOMEM;
	}
	return 0;
}

bool pl_cgroup_equal(const struct pl_cgroup *a, const struct pl_cgroup *b)
{
	if (a->root != b->root)
		return false;
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		if (!a->path[c] != !b->path[c])
			return false;
		if (a->path[c] && strcmp(a->path[c], b->path[c]) != 0)
			return false;
	}
	if (!a->v2_path != !b->v2_path)
		return false;
	return !a->v2_path || strcmp(a->v2_path, b->v2_path) == 0;
}

bool pl_cgroup_is_root(const struct pl_cgroup *cg, enum pl_controller c)
{
	if (!cg->root || (unsigned)c >= PL_CTRL_COUNT || !cg->path[c] || cg->path[c][0] != '\0')
		return false;
	/* The root of a mount rooted at "/docker/abc" is the container, not the machine. */
	return strcmp(mount_root_of(cg->root, c), "/") == 0;
}

bool pl_cgroup_is_root_of(const struct pl_cgroup *cg, unsigned ctrls)
{
	bool any = false;

	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		if (!(ctrls & PL_CTRL_BIT(c)) || pl_cgroup_root_fd(cg->root, c) < 0)
			continue;
		if (!pl_cgroup_is_root(cg, c))
			return false;
		any = true;
	}
	return any;
}

bool pl_cgroup_v2_is_root(const struct pl_cgroup *cg)
{
	const char *m;

	if (!cg->root || cg->root->v2_fd < 0 || !cg->v2_path || cg->v2_path[0] != '\0')
		return false;
	m = cg->root->v2_mount_root;
	return !m || strcmp(m, "/") == 0;
}

static bool has_dot_component(const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t clen = slash ? (size_t)(slash - p) : (size_t)(end - p);

		if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		p += clen + 1;
	}
	return false;
}

/* "/docker/abc/web" under mount root "/docker/abc" -> "web". A path outside the mount
 * root (another container's cgroup, or cgroupns' "/../x") is not reachable through it. */
static int strip_mount_root(const char *path, size_t len, const char *mount_root, char **out)
{
	size_t mlen = strlen(mount_root);

	while (mlen > 0 && mount_root[mlen - 1] == '/')
		mlen--;
	if (len < mlen || memcmp(path, mount_root, mlen) != 0 || (len > mlen && path[mlen] != '/'))
		return -ENOENT;
	path += mlen;
	len -= mlen;
	while (len > 0 && *path == '/')
		path++, len--;
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (has_dot_component(path, len))
		return -ENOENT;
	*out = strndup(path, len);
	return *out ? 0 : -ENOMEM;
}

static int assign_path(struct pl_cgroup *cg, enum pl_controller c, const char *path, size_t len)
{
	char *rel = NULL;
	int k = strip_mount_root(path, len, mount_root_of(cg->root, c), &rel);

	if (k < 0)
		return k;
	free(cg->path[c]);
	cg->path[c] = rel;
	return 0;
}

/* The v2 cgroup of a hybrid layout serves no controller we use: a path outside our mount
 * of it is no reason to refuse the whole /proc/PID/cgroup, only to not know it. */
static int assign_v2_path(struct pl_cgroup *cg, const char *path, size_t len)
{
	char *rel = NULL;
	int k;

	if (cg->root->v2_fd < 0)
		return 0;
	k = strip_mount_root(path, len, cg->root->v2_mount_root ? cg->root->v2_mount_root : "/", &rel);
	if (k == -ENOENT)
		return 0;
	if (k < 0)
		return k;
	free(cg->v2_path);
	cg->v2_path = rel;
	return 0;
}

/* One "ID:controllers:/path" line. Only the first two colons separate: a path may hold
 * colons. */
static int parse_proc_line(struct pl_cgroup *cg, const char *line, size_t len)
{
	const struct pl_cgroup_root *r = cg->root;
	const char *end = line + len, *c1, *c2, *path;
	size_t path_len;
	_cleanup_free_ char *ctrls = NULL;

	c1 = memchr(line, ':', len);
	if (!c1 || c1 == line)
		return -EINVAL;
	for (const char *p = line; p < c1; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (!c2)
		return -EINVAL;
	path = c2 + 1;
	path_len = (size_t)(end - path);
	if (path_len == 0 || path[0] != '/')
		return -EINVAL;
	if (c2 == c1 + 1) {
		/* "0::/path" is the v2 hierarchy; no v1 hierarchy is without a controller or a
		 * name=, so an empty list with another ID is not kernel output. */
		if (c1 - line != 1 || line[0] != '0')
			return -EINVAL;
		for (int c = 0; c < PL_CTRL_COUNT; c++) {
			int k = r->on_v2[c] ? assign_path(cg, c, path, path_len) : 0;
			if (k < 0)
				return k;
		}
		return assign_v2_path(cg, path, path_len);
	}
	ctrls = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	if (!ctrls)
		return -ENOMEM;
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		/* "name=systemd" and controllers we do not use (devices, freezer) never match. */
		if (r->v1_fd[c] < 0 || r->on_v2[c] || !list_has(ctrls, v1_names[c], ','))
			continue;
		int k = assign_path(cg, c, path, path_len);
		if (k < 0)
			return k;
	}
	return 0;
}

int pl_cgroup_parse_proc(const struct pl_cgroup_root *r, const char *text, struct pl_cgroup *out)
{
	struct pl_cgroup cg;
	bool any_line = false, any_path = false;

	cgroup_init(out, r);
	if (!r || !text)
		return -EINVAL;
	cgroup_init(&cg, r);
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > 0) {
			int k = parse_proc_line(&cg, line, len);
			if (k < 0) {
				pl_cgroup_free(&cg);
				return k;
			}
			any_line = true;
		}
		line += len + (eol ? 1 : 0);
	}
	for (int c = 0; c < PL_CTRL_COUNT; c++)
		any_path = any_path || cg.path[c];
	if (!any_line || !any_path) {
		pl_cgroup_free(&cg);
		return !any_line ? -EINVAL : -ENOENT;
	}
	*out = cg;
	return 0;
}

int pl_cgroup_of_pid(const struct pl_cgroup_root *r, int proc_fd, pid_t pid, struct pl_cgroup *out)
{
	_cleanup_free_ char *text = NULL;
	char rel[32];
	ssize_t n;

	cgroup_init(out, r);
	if (pid <= 0)
		return -EINVAL;
	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	n = pl_read_file_at(proc_fd, rel, &text);
	/* Keep -ENOENT for "no such controller": a vanished process is -ESRCH. */
	if (n == -ENOENT)
		return -ESRCH;
	if (n < 0)
		return (int)n;
	return pl_cgroup_parse_proc(r, text, out);
}

/* "/a//b/" -> "a/b"; "." and ".." components are refused so a path cannot leave the
 * hierarchy through the held dirfd. */
static int normalize_path(const char *path, char **out)
{
	size_t len = strlen(path), n = 0;
	_cleanup_free_ char *rel = NULL;

	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	rel = malloc(len + 1);
	if (!rel)
		return -ENOMEM;
	for (const char *p = path; *p;) {
		size_t clen = strcspn(p, "/");

		if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		if (clen > 0) {
			if (n > 0)
				rel[n++] = '/';
			memcpy(rel + n, p, clen);
			n += clen;
		}
		p += clen;
		while (*p == '/')
			p++;
	}
	rel[n] = '\0';
	*out = TAKE_PTR(rel);
	return 0;
}

int pl_cgroup_from_path(const struct pl_cgroup_root *r, const char *path, struct pl_cgroup *out)
{
	_cleanup_free_ char *rel = NULL;
	bool found = false;
	int k;

	cgroup_init(out, r);
	if (!r || !path)
		return -EINVAL;
	k = normalize_path(path, &rel);
	if (k < 0)
		return k;
	for (int c = 0; c < PL_CTRL_COUNT; c++) {
		int fd = pl_cgroup_root_fd(r, c);
		struct stat st;

		if (fd < 0 || fstatat(fd, *rel ? rel : ".", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		out->path[c] = strdup(rel);
		if (!out->path[c]) {
			pl_cgroup_free(out);
			return -ENOMEM;
		}
		found = true;
	}
	if (found && r->v2_fd >= 0) {
		struct stat st;

		if (fstatat(r->v2_fd, *rel ? rel : ".", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) && !(out->v2_path = strdup(rel))) {
			pl_cgroup_free(out);
			return -ENOMEM;
		}
	}
	if (!found)
		pl_cgroup_free(out);
	return found ? 0 : -ENOENT;
}
