/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fs_internal.h"
#include "mountstate.h"
#include "proclens/identity.h"
#include "proclens/log.h"
#include "proclens/schedgroup.h"
#include "proclens/cleanup.h"

/* An open file. Its content is rendered at open; a later read at offset 0 renders it afresh,
 * as the kernel's seq_file does, because tools such as top and free keep /proc/stat and
 * /proc/meminfo open and pread them from 0 on every refresh. Reads at other offsets are
 * slices of the latest render, so any chunking returns the bytes of one consistent render. */
struct pl_fs_file {
	pthread_mutex_t lock; /* guards r and read_since_render */
	struct pl_rendered *r;
	bool read_since_render;
	const struct pl_view *view;             /* a view, or NULL for a mirrored file */
	const struct pl_mirror_node *mirror;    /* the mirrored file */
	struct pl_container *container;         /* the reader's, referenced */
};

/* "proc/meminfo" for a node, "" for the root. */
static int node_path(const struct pl_tree *t, uint32_t idx, char *buf, size_t size)
{
	char tmp[PATH_MAX];

	buf[0] = '\0';
	for (uint32_t i = idx; i != 0; i = t->node[i].parent) {
		int n = snprintf(tmp, sizeof(tmp), "%s%s%s", t->node[i].name, buf[0] ? "/" : "", buf);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		memcpy(buf, tmp, (size_t)n + 1);
	}
	return 0;
}

struct replay {
	struct pl_fs *fs;
	bool any_static;
};

static int replay_record(void *ctx, const struct pl_ms_record *rec)
{
	struct replay *rp = ctx;
	struct pl_fs *fs = rp->fs;
	char path[PATH_MAX];
	uint32_t idx;

	if (rec->kind == PL_MS_STATIC) {
		rp->any_static = true;
		if (rec->a == 0 || rec->a >= PL_FS_MIRROR_INO_BASE)
			return -EINVAL;
		if (rec->a > fs->ino_max)
			fs->ino_max = rec->a;
		/* A path this version no longer has keeps its number from being reused. */
		for (uint32_t i = 0; i < fs->tree.n; i++)
			if (node_path(&fs->tree, i, path, sizeof(path)) == 0 && strcmp(path, rec->text) == 0)
				fs->node_ino[i] = rec->a;
		return 0;
	}
	if (rec->kind == PL_MS_MIRROR) {
		/* Interned in the order the earlier servers did: the same numbers. A spec this
		 * version lacks is read under the first one's rules (its path is still the
		 * host's). */
		uint32_t spec = rec->b < pl_mirror_specs_count ? (uint32_t)rec->b : 0;
		return pl_mirrors_intern(&fs->mirrors, rec->text, (mode_t)rec->a, spec, &idx);
	}
	return 0; /* a kind from a newer version: nothing of ours */
}

/* Static inodes: node i is i + 1 on a new mount; a server taking over keeps the numbers
 * the kernel already knows (mountstate.h) and numbers its new paths after them. */
static int assign_inodes(struct pl_fs *fs)
{
	struct replay rp = { .fs = fs };
	char path[PATH_MAX];
	int r;

	fs->node_ino = calloc(fs->tree.n, sizeof(*fs->node_ino));
	if (!fs->node_ino)
		return -ENOMEM;
	if (fs->cfg.state) {
		r = pl_mountstate_each(fs->cfg.state, replay_record, &rp);
		if (r < 0) {
			pl_log_err("the mount's state is unreadable: %s", strerror(-r));
			return r;
		}
	}
	for (uint32_t i = 0; i < fs->tree.n; i++) {
		if (fs->node_ino[i])
			continue;
		fs->node_ino[i] = rp.any_static ? fs->ino_max + 1 : i + 1;
		if (fs->node_ino[i] > fs->ino_max)
			fs->ino_max = fs->node_ino[i];
		if (fs->cfg.state) {
			r = node_path(&fs->tree, i, path, sizeof(path));
			if (r == 0)
				r = pl_mountstate_append(fs->cfg.state, PL_MS_STATIC, fs->node_ino[i], 0,
							 path);
			if (r < 0)
				return r;
		}
	}
	if (fs->node_ino[0] != PL_FS_ROOT_INO || fs->ino_max >= PL_FS_MIRROR_INO_BASE) {
		pl_log_err("the mount's state numbers the root %llu: not a state of ours",
			   (unsigned long long)fs->node_ino[0]);
		return -EINVAL;
	}
	fs->ino_node = malloc((fs->ino_max + 1) * sizeof(*fs->ino_node));
	if (!fs->ino_node)
		return -ENOMEM;
	memset(fs->ino_node, 0xff, (fs->ino_max + 1) * sizeof(*fs->ino_node));
	for (uint32_t i = 0; i < fs->tree.n; i++)
		fs->ino_node[fs->node_ino[i]] = i;
	/* From now on every new mirror node is recorded before anyone learns its number. */
	fs->mirrors.state = fs->cfg.state;
	return 0;
}

int pl_fs_new(const struct pl_fs_config *cfg, struct pl_fs **out)
{
	struct pl_fs *fs = calloc(1, sizeof(*fs));
	uint64_t start_ticks;
	int r;

	if (!fs)
		return -ENOMEM;
	fs->cfg = *cfg;
	fs->host.proc_fd = fs->host.sys_fd = -1;
	for (int i = 0; i < PL_CTRL_COUNT; i++)
		fs->cgroot.v1_fd[i] = -1;
	fs->cgroot.v2_fd = -1;
	clock_gettime(CLOCK_REALTIME, &fs->mount_time);

	r = pl_containers_init(&fs->containers);
	if (r < 0)
		goto fail;
	r = pl_mirrors_init(&fs->mirrors);
	if (r < 0)
		goto fail;
	pthread_mutex_init(&fs->sampler_lock, NULL);
	pthread_cond_init(&fs->sampler_wake, NULL);
	fs->loadavg_view = pl_view_find("proc/loadavg");
	/* Their renders move the stat counters' history; the load average moves in the
	 * sampler, which saves the memo itself. */
	fs->memo_views[0] = pl_view_find("proc/stat");
	fs->memo_views[1] = pl_view_find("proc/uptime");
	r = pl_host_open(&fs->host, cfg->proc_dir ? cfg->proc_dir : "/proc", cfg->sys_dir ? cfg->sys_dir : "/sys");
	if (r < 0) {
		pl_log_err("cannot open %s or %s: %s", cfg->proc_dir ? cfg->proc_dir : "/proc",
			   cfg->sys_dir ? cfg->sys_dir : "/sys", strerror(-r));
		goto fail;
	}
	r = cfg->cgroup_dir ? pl_cgroup_root_open_dir(&fs->cgroot, cfg->cgroup_dir) : pl_cgroup_root_detect(&fs->cgroot);
	if (r < 0) {
		pl_log_err("cannot find the cgroup hierarchies%s%s: %s", cfg->cgroup_dir ? " in " : "",
			   cfg->cgroup_dir ? cfg->cgroup_dir : "", strerror(-r));
		goto fail;
	}
	r = pl_tree_build(&fs->tree, pl_views, pl_views_count);
	for (size_t i = 0; r >= 0 && i < pl_mirror_specs_count; i++) {
		r = pl_tree_add_dir(&fs->tree, pl_mirror_specs[i].path);
		if (r >= 0)
			fs->tree.node[r].mirror = (int)i;
	}
	if (r < 0) {
		pl_log_err("bad view table: %s", strerror(-r));
		goto fail;
	}
	r = assign_inodes(fs);
	if (r < 0)
		goto fail;
	r = pl_pidns_ino(fs->host.proc_fd, getpid(), &fs->self_pidns);
	if (r < 0) {
		pl_log_err("cannot read our pid namespace: %s", strerror(-r));
		goto fail;
	}
	/* Readers in our own namespace: uptime counts from our pid 1 (the host's boot on a
	 * host, the container's start when the daemon itself runs in a container). */
	r = pl_host_proc_start(&fs->host, 1, &start_ticks);
	if (r < 0) {
		pl_log_err("cannot read the start time of pid 1: %s", strerror(-r));
		goto fail;
	}
	fs->self_init_start_ns = start_ticks * (1000000000ull / (uint64_t)pl_clk_tck());
	*out = fs;
	return 0;
fail:
	pl_fs_free(fs);
	return r;
}

/* Thousands of files opened and closed (a reader's storm) left their memory free but
 * resident for good: glibc gives back only the top of each serving thread's arena, and a
 * render cached later (or a file still open) pins what lies below it. 10000 files held
 * and closed took the server from 2.2 to 3.7 MB. Once many were released, the free pages
 * go back (malloc_trim walks every arena). */
#define TRIM_AFTER_RELEASES 512

static void trim_heap(struct pl_fs *fs)
{
	if (atomic_load_explicit(&fs->released_since_trim, memory_order_relaxed) < TRIM_AFTER_RELEASES)
		return;
	atomic_store_explicit(&fs->released_since_trim, 0, memory_order_relaxed);
	malloc_trim(0);
}

static void *sampler_main(void *arg)
{
	struct pl_fs *fs = arg;
	struct timespec next;

	atomic_store(&fs->sampler_tid, (pid_t)syscall(SYS_gettid));
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&fs->sampler_lock);
	while (!fs->sampler_stop) {
		next.tv_sec += PL_LOADAVG_INTERVAL_NS / 1000000000ull;
		while (!fs->sampler_stop &&
		       pthread_cond_timedwait(&fs->sampler_wake, &fs->sampler_lock, &next) != ETIMEDOUT)
			;
		if (fs->sampler_stop)
			break;
		pthread_mutex_unlock(&fs->sampler_lock);
		pl_containers_sample_loadavg(fs);
		trim_heap(fs);
		pthread_mutex_lock(&fs->sampler_lock);
	}
	pthread_mutex_unlock(&fs->sampler_lock);
	return NULL;
}

int pl_fs_start(struct pl_fs *fs)
{
	pthread_condattr_t attr;
	int r;

	/* The wake-up deadline is on CLOCK_MONOTONIC: a clock change must not stall sampling. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_destroy(&fs->sampler_wake);
	pthread_cond_init(&fs->sampler_wake, &attr);
	pthread_condattr_destroy(&attr);
	r = -pthread_create(&fs->sampler, NULL, sampler_main, fs);
	if (r == 0)
		fs->sampler_running = true;
	return r;
}

void pl_fs_free(struct pl_fs *fs)
{
	if (!fs)
		return;
	if (fs->sampler_running) {
		pthread_mutex_lock(&fs->sampler_lock);
		fs->sampler_stop = true;
		pthread_cond_signal(&fs->sampler_wake);
		pthread_mutex_unlock(&fs->sampler_lock);
		pthread_join(fs->sampler, NULL);
	}
	pl_containers_destroy(&fs->containers);
	if (fs->mirrors.slot)
		pl_mirrors_destroy(&fs->mirrors);
	pl_tree_free(&fs->tree);
	free(fs->node_ino);
	free(fs->ino_node);
	pl_cgroup_root_close(&fs->cgroot);
	pl_host_close(&fs->host);
	free(fs);
}

size_t pl_fs_container_count(struct pl_fs *fs)
{
	size_t n;

	pthread_mutex_lock(&fs->containers.lock);
	n = fs->containers.count;
	pthread_mutex_unlock(&fs->containers.lock);
	return n;
}

bool pl_fs_ino_is_static(const struct pl_fs *fs, uint64_t ino)
{
	(void)fs;
	return ino < PL_FS_MIRROR_INO_BASE;
}

const struct pl_cgroup_root *pl_fs_cgroup_root(const struct pl_fs *fs)
{
	return &fs->cgroot;
}

int pl_fs_sampler_set_idle(struct pl_fs *fs, bool idle)
{
	pid_t tid = atomic_load(&fs->sampler_tid);

	return tid > 0 ? pl_sched_set_idle(tid, idle) : 0;
}

/* The static node with inode ino, in *idx. */
static bool static_node(const struct pl_fs *fs, uint64_t ino, uint32_t *idx)
{
	if (ino == 0 || ino > fs->ino_max || fs->ino_node[ino] == UINT32_MAX)
		return false;
	*idx = fs->ino_node[ino];
	return true;
}

static uint64_t mirror_ino(uint32_t idx)
{
	return PL_FS_MIRROR_INO_BASE + idx;
}

static const struct pl_mirror_node *mirror_of(struct pl_fs *fs, uint64_t ino)
{
	if (ino < PL_FS_MIRROR_INO_BASE || ino - PL_FS_MIRROR_INO_BASE > UINT32_MAX)
		return NULL;
	return pl_mirrors_get(&fs->mirrors, (uint32_t)(ino - PL_FS_MIRROR_INO_BASE));
}

static void fill_static_stat(const struct pl_fs *fs, uint32_t idx, struct stat *st)
{
	const struct pl_tree_node *nd = &fs->tree.node[idx];

	memset(st, 0, sizeof(*st));
	st->st_ino = fs->node_ino[idx];
	if (nd->view) {
		/* The content differs per reader and per read, so no size is true. /proc says 0;
		 * we say one page, as sysfs does: the kernel ends a splice(2) or sendfile(2) of
		 * a FUSE file at its size before asking us, so at 0 busybox cat would print
		 * nothing, where a page makes it ask, be refused (do_read) and fall back to
		 * read(2). wc reads files of a page-multiple size to their end. */
		st->st_mode = S_IFREG | (nd->view->mode & 0444);
		st->st_size = 4096;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		for (uint32_t c = nd->first_child; c != UINT32_MAX; c = fs->tree.node[c].next_sibling)
			if (!fs->tree.node[c].view)
				st->st_nlink++;
	}
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = fs->mount_time;
}

/* A host node's attributes, made read-only: nothing is written through us. */
static int host_stat(struct pl_fs *fs, const char *host_rel, uint64_t ino, struct stat *st)
{
	_cleanup_close_ int fd = pl_open_beneath(fs->host.sys_fd, host_rel, O_PATH | O_NOFOLLOW);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
		return -ENOENT;
	st->st_ino = ino;
	st->st_mode &= S_IFMT | 0555;
	return 0;
}

/* Intern host_rel and stat it. */
static int mirror_entry(struct pl_fs *fs, const char *host_rel, uint32_t spec, struct stat *st)
{
	uint32_t idx;
	int r = host_stat(fs, host_rel, 0, st);

	if (r < 0)
		return r;
	r = pl_mirrors_intern(&fs->mirrors, host_rel, st->st_mode & S_IFMT, spec, &idx);
	if (r < 0)
		return r;
	st->st_ino = mirror_ino(idx);
	return 0;
}

/* Who reads: a pid the kernel named (FUSE), or a container already resolved (show). */
struct reader {
	pid_t pid;
	struct pl_container *c; /* borrowed; NULL: resolve pid */
};

/* The thread waiting for this answer (pl_source.reader_tid): a FUSE caller. A render for
 * `proclens show` (c given) answers nobody inside the container. */
static pid_t asking_tid(const struct reader *rd)
{
	return rd->c ? 0 : rd->pid;
}

/* The reader's container, referenced. */
static int reader_container(struct pl_fs *fs, const struct reader *rd, struct pl_container **out)
{
	if (rd->c) {
		pl_container_ref(fs, rd->c);
		*out = rd->c;
		return 0;
	}
	return pl_container_get(fs, rd->pid, out);
}

/* The reader's CPUs, for the renumbered parts of a mirror. */
struct reader_cpus {
	bool host_view;
	struct pl_cpuset visible;
};

static int get_reader_cpus(struct pl_fs *fs, const struct reader *rd, struct reader_cpus *rc)
{
	struct pl_container *c;
	int r = reader_container(fs, rd, &c);

	if (r < 0)
		return -EIO;
	r = pl_container_cpus(fs, c, &rc->visible, &rc->host_view);
	pl_container_put(fs, c);
	return r < 0 ? -EIO : 0;
}

static int join_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Lookup of `name` in a mirrored static directory: static children were tried first. */
static int mirror_root_lookup(struct pl_fs *fs, uint32_t dir, const char *name, const struct reader *rd,
			      struct stat *st, bool *per_reader)
{
	const struct pl_mirror_spec *spec = &pl_mirror_specs[fs->tree.node[dir].mirror];
	char host_rel[PATH_MAX], host_name[32];
	int cpu = spec->renumber_cpus ? pl_mirror_cpu_number(name) : -1;
	int r;

	if (cpu >= 0) {
		struct reader_cpus rc;

		r = get_reader_cpus(fs, rd, &rc);
		if (r < 0)
			return r;
		*per_reader = true;
		if (!rc.host_view) {
			int host_cpu = pl_cpuset_nth(&rc.visible, (unsigned)cpu);
			if (host_cpu < 0)
				return -ENOENT;
			snprintf(host_name, sizeof(host_name), "cpu%d", host_cpu);
			name = host_name;
		}
	}
	r = join_path(host_rel, sizeof(host_rel), spec->host_rel, name);
	if (r < 0)
		return r;
	return mirror_entry(fs, host_rel, (uint32_t)fs->tree.node[dir].mirror, st);
}

static int lookup_as(struct pl_fs *fs, uint64_t parent, const char *name, const struct reader *rd, struct stat *st,
		     bool *per_reader)
{
	const struct pl_mirror_node *nd;
	char host_rel[PATH_MAX];
	uint32_t dir;
	int r;

	*per_reader = false;
	if (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -ENOENT;
	if (static_node(fs, parent, &dir)) {
		r = pl_tree_child(&fs->tree, dir, name);
		if (r >= 0) {
			fill_static_stat(fs, (uint32_t)r, st);
			return 0;
		}
		if (r != -ENOENT || fs->tree.node[dir].mirror < 0)
			return r;
		return mirror_root_lookup(fs, dir, name, rd, st, per_reader);
	}
	nd = mirror_of(fs, parent);
	if (!nd)
		return -ENOENT;
	if (!S_ISDIR(nd->type))
		return -ENOTDIR;
	r = join_path(host_rel, sizeof(host_rel), nd->host_rel, name);
	if (r < 0)
		return r;
	return mirror_entry(fs, host_rel, nd->spec, st);
}

int pl_fs_lookup(struct pl_fs *fs, uint64_t parent, const char *name, pid_t caller, struct stat *st,
		 bool *per_reader)
{
	struct reader rd = { .pid = caller };

	return lookup_as(fs, parent, name, &rd, st, per_reader);
}

int pl_fs_getattr(struct pl_fs *fs, uint64_t ino, struct stat *st)
{
	const struct pl_mirror_node *nd;
	uint32_t idx;

	if (static_node(fs, ino, &idx)) {
		fill_static_stat(fs, idx, st);
		return 0;
	}
	nd = mirror_of(fs, ino);
	if (!nd)
		return -ENOENT;
	return host_stat(fs, nd->host_rel, ino, st);
}

int pl_fs_readlink(struct pl_fs *fs, uint64_t ino, char *buf, size_t size)
{
	const struct pl_mirror_node *nd = mirror_of(fs, ino);
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (!nd || !S_ISLNK(nd->type))
		return -EINVAL;
	fd = pl_open_beneath(fs->host.sys_fd, nd->host_rel, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	n = readlinkat(fd, "", buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* A directory listing is made whole, then emitted from `offset` on: the entries of a
 * mirrored directory depend on the host and the reader, so offsets index this list. */
struct dirlist {
	struct pl_buf names; /* NUL-separated */
	struct stat *st;
	size_t n, cap;
};

static int dirlist_add(struct dirlist *l, const char *name, const struct stat *st)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct stat *grown = realloc(l->st, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		l->st = grown;
		l->cap = cap;
	}
	l->st[l->n++] = *st;
	pl_buf_append(&l->names, name, strlen(name) + 1);
	return pl_buf_error(&l->names);
}

static void dirlist_free(struct dirlist *l)
{
	pl_buf_free(&l->names);
	free(l->st);
}

/* The host directory's entries (not cpuN ones under a renumbering mirror root, and not
 * names a static child already has), then the reader's cpuN entries. */
static int list_host_dir(struct pl_fs *fs, const char *host_rel, uint32_t spec, int static_dir,
			 const struct reader *rd, struct dirlist *l)
{
	bool renumber = static_dir >= 0 && pl_mirror_specs[spec].renumber_cpus;
	_cleanup_closedir_ DIR *d = NULL;
	struct reader_cpus rc = { .host_view = true };
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int fd, r;

	if (renumber && (r = get_reader_cpus(fs, rd, &rc)) < 0)
		return r;
	fd = pl_open_beneath(fs->host.sys_fd, host_rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (static_dir >= 0 && pl_tree_child(&fs->tree, (uint32_t)static_dir, de->d_name) >= 0)
			continue;
		if (renumber && !rc.host_view && pl_mirror_cpu_number(de->d_name) >= 0)
			continue;
		if (join_path(path, sizeof(path), host_rel, de->d_name) < 0 || mirror_entry(fs, path, spec, &st) < 0)
			continue; /* vanished, or a kind we do not show */
		r = dirlist_add(l, de->d_name, &st);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; renumber && !rc.host_view && i < pl_cpuset_count(&rc.visible); i++) {
		char name[32];

		snprintf(name, sizeof(name), "cpu%d", pl_cpuset_nth(&rc.visible, i));
		if (join_path(path, sizeof(path), host_rel, name) < 0 || mirror_entry(fs, path, spec, &st) < 0)
			continue;
		snprintf(name, sizeof(name), "cpu%u", i);
		r = dirlist_add(l, name, &st);
		if (r < 0)
			return r;
	}
	return 0;
}

static int list_dir(struct pl_fs *fs, uint64_t ino, const struct reader *rd, struct dirlist *l)
{
	const struct pl_mirror_node *nd;
	struct stat st;
	uint32_t idx;
	int r;

	if (static_node(fs, ino, &idx)) {
		const struct pl_tree_node *dir = &fs->tree.node[idx];

		if (dir->view)
			return -ENOTDIR;
		fill_static_stat(fs, idx, &st);
		if ((r = dirlist_add(l, ".", &st)) < 0)
			return r;
		fill_static_stat(fs, dir->parent, &st);
		if ((r = dirlist_add(l, "..", &st)) < 0)
			return r;
		for (uint32_t c = dir->first_child; c != UINT32_MAX; c = fs->tree.node[c].next_sibling) {
			fill_static_stat(fs, c, &st);
			if ((r = dirlist_add(l, fs->tree.node[c].name, &st)) < 0)
				return r;
		}
		if (dir->mirror < 0)
			return 0;
		return list_host_dir(fs, pl_mirror_specs[dir->mirror].host_rel, (uint32_t)dir->mirror,
				     (int)idx, rd, l);
	}
	nd = mirror_of(fs, ino);
	if (!nd)
		return -ENOENT;
	if (!S_ISDIR(nd->type))
		return -ENOTDIR;
	if ((r = host_stat(fs, nd->host_rel, ino, &st)) < 0 || (r = dirlist_add(l, ".", &st)) < 0 ||
	    (r = dirlist_add(l, "..", &st)) < 0)
		return r;
	return list_host_dir(fs, nd->host_rel, nd->spec, -1, rd, l);
}

int pl_fs_readdir(struct pl_fs *fs, uint64_t ino, pid_t caller, uint64_t offset, pl_fs_emit_fn emit, void *ctx)
{
	struct dirlist l = { 0 };
	struct reader rd = { .pid = caller };
	const char *name;
	int r;

	pl_buf_init(&l.names);
	r = list_dir(fs, ino, &rd, &l);
	name = l.names.data;
	for (size_t i = 0; r >= 0 && i < l.n; i++, name += strlen(name) + 1)
		if (i >= offset && emit(ctx, name, &l.st[i], i + 1))
			break;
	dirlist_free(&l);
	return r < 0 ? r : 0;
}

/* A mirrored file's content for its reader: the host's bytes, with cpu lists and masks
 * renumbered to the reader's CPUs. */
static int mirror_render(struct pl_fs *fs, struct pl_fs_file *f, struct pl_rendered **out)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = pl_open_beneath(fs->host.sys_fd, f->mirror->host_rel, O_RDONLY | O_NOFOLLOW);
	struct pl_cpuset host_set, mine;
	struct reader_cpus rc = { .host_view = true };
	char text_out[8192];
	ssize_t len;
	int r;

	if (fd < 0)
		return fd;
	len = pl_read_fd_all(fd, &text);
	if (len < 0)
		return (int)len;
	if (f->mirror->content != PL_MIRROR_VERBATIM) {
		r = pl_container_cpus(fs, f->container, &rc.visible, &rc.host_view);
		if (r < 0)
			return r;
	}
	if (rc.host_view) {
		*out = pl_rendered_new(text, (size_t)len);
		return *out ? 0 : -ENOMEM;
	}
	if (f->mirror->content == PL_MIRROR_CPULIST)
		r = pl_cpuset_parse(text, &host_set);
	else
		r = pl_cpuset_parse_mask(text, &host_set);
	if (r < 0)
		return -EIO; /* not what we know how to renumber: never show host numbers */
	pl_cpuset_renumber(&host_set, &rc.visible, &mine);
	if (f->mirror->content == PL_MIRROR_CPULIST)
		r = pl_cpuset_format(&mine, text_out, sizeof(text_out) - 1);
	else
		r = pl_cpuset_format_mask(&mine, pl_cpuset_count(&rc.visible), text_out, sizeof(text_out) - 1);
	if (r < 0)
		return -EIO;
	text_out[r++] = '\n';
	*out = pl_rendered_new(text_out, (size_t)r);
	return *out ? 0 : -ENOMEM;
}

static int file_render(struct pl_fs *fs, struct pl_fs_file *f, pid_t caller, struct pl_rendered **out)
{
	int r = f->view ? pl_container_render(fs, f->container, f->view, caller, out) : mirror_render(fs, f, out);

	/* Never a host value in place of a container value: the reader gets an error. */
	return r < 0 && r != -ENOMEM ? -EIO : r;
}

static int open_as(struct pl_fs *fs, uint64_t ino, int flags, const struct reader *rd, struct pl_fs_file **out)
{
	const struct pl_mirror_node *nd = NULL;
	const struct pl_view *view = NULL;
	struct pl_fs_file *f;
	uint32_t idx;
	int r;

	if (static_node(fs, ino, &idx)) {
		view = fs->tree.node[idx].view;
		if (!view)
			return -EISDIR;
	} else {
		nd = mirror_of(fs, ino);
		if (!nd)
			return -ENOENT;
		if (S_ISDIR(nd->type))
			return -EISDIR;
	}
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return -EACCES;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->view = view;
	f->mirror = nd;
	r = reader_container(fs, rd, &f->container);
	if (r < 0) {
		pl_log_debug("open inode %llu by pid %d: cannot identify the reader: %s", (unsigned long long)ino,
			     (int)rd->pid, strerror(-r));
		free(f);
		return -EIO;
	}
	r = file_render(fs, f, asking_tid(rd), &f->r);
	if (r < 0) {
		pl_container_put(fs, f->container);
		free(f);
		return r;
	}
	pthread_mutex_init(&f->lock, NULL);
	*out = f;
	return 0;
}

int pl_fs_open(struct pl_fs *fs, uint64_t ino, int flags, pid_t caller, struct pl_fs_file **out)
{
	struct reader rd = { .pid = caller };

	return open_as(fs, ino, flags, &rd, out);
}

int pl_fs_read(struct pl_fs *fs, struct pl_fs_file *f, uint64_t off, size_t size, pid_t caller,
	       struct pl_fs_slice *out)
{
	struct pl_rendered *fresh = NULL, *r;
	int err;

	pthread_mutex_lock(&f->lock);
	if (off == 0 && f->read_since_render) {
		pthread_mutex_unlock(&f->lock);
		err = file_render(fs, f, caller, &fresh);
		if (err < 0)
			return err;
		pthread_mutex_lock(&f->lock);
		pl_rendered_put(f->r);
		f->r = fresh;
	}
	f->read_since_render = true;
	r = f->r;
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&f->lock);

	out->hold = r;
	if (off >= r->len) {
		out->data = r->data + r->len;
		out->len = 0;
	} else {
		out->data = r->data + off;
		out->len = PL_MIN(size, r->len - (size_t)off);
	}
	return 0;
}

void pl_fs_slice_done(struct pl_fs_slice *s)
{
	pl_rendered_put(s->hold);
	s->hold = NULL;
}

void pl_fs_release(struct pl_fs *fs, struct pl_fs_file *f)
{
	if (!f)
		return;
	pl_rendered_put(f->r);
	pl_container_put(fs, f->container);
	pthread_mutex_destroy(&f->lock);
	free(f);
	atomic_fetch_add_explicit(&fs->released_since_trim, 1, memory_order_relaxed);
}

/* Walk `path` from the root as the reader would, then open and read it whole. */
static int render_path(struct pl_fs *fs, const char *path, const struct reader *rd, char **out, size_t *len)
{
	_cleanup_free_ char *copy = strdup(path);
	struct pl_fs_file *f = NULL;
	struct pl_fs_slice slice;
	uint64_t ino = PL_FS_ROOT_INO;
	char *save = NULL;
	struct stat st;
	bool per_reader;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *name = strtok_r(copy, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		r = lookup_as(fs, ino, name, rd, &st, &per_reader);
		if (r < 0)
			return r;
		ino = st.st_ino;
	}
	r = open_as(fs, ino, O_RDONLY, rd, &f);
	if (r < 0)
		return r;
	r = pl_fs_read(fs, f, 0, SIZE_MAX, 0, &slice);
	if (r >= 0) {
		*out = malloc(slice.len + 1);
		if (*out) {
			memcpy(*out, slice.data, slice.len);
			(*out)[slice.len] = '\0';
			*len = slice.len;
		} else {
			r = -ENOMEM;
		}
		pl_fs_slice_done(&slice);
	}
	pl_fs_release(fs, f);
	return r;
}

int pl_fs_render_for(struct pl_fs *fs, const char *path, pid_t pid, const char *cgroup_path, char **out,
		     size_t *len)
{
	struct reader rd = { .pid = pid };
	int r;

	if (cgroup_path) {
		r = pl_container_for_cgroup(fs, cgroup_path, &rd.c);
		if (r < 0)
			return r;
	} else {
		r = pl_container_get(fs, pid, &rd.c);
		if (r < 0)
			return r;
	}
	r = render_path(fs, path, &rd, out, len);
	pl_container_put(fs, rd.c);
	return r;
}
