/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_internal.h"
#include "proclens/identity.h"
#include "proclens/log.h"
#include "proclens/cleanup.h"

/* An open file. Its content is rendered at open; a later read at offset 0 renders it afresh,
 * as the kernel's seq_file does, because tools such as top and free keep /proc/stat and
 * /proc/meminfo open and pread them from 0 on every refresh. Reads at other offsets are
 * slices of the latest render, so any chunking returns the bytes of one consistent render. */
struct pl_fs_file {
	pthread_mutex_t lock; /* guards r and read_since_render */
	struct pl_rendered *r;
	bool read_since_render;
	const struct pl_view *view;
	struct pl_container *container; /* referenced */
};

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
	if (r < 0) {
		pl_log_err("bad view table: %s", strerror(-r));
		goto fail;
	}
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

void pl_fs_free(struct pl_fs *fs)
{
	if (!fs)
		return;
	pl_containers_destroy(&fs->containers);
	pl_tree_free(&fs->tree);
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

static int node_of(const struct pl_fs *fs, uint64_t ino, uint32_t *idx)
{
	if (ino < 1 || ino > fs->tree.n)
		return -ENOENT;
	*idx = (uint32_t)(ino - 1);
	return 0;
}

static void fill_stat(const struct pl_fs *fs, uint32_t idx, struct stat *st)
{
	const struct pl_tree_node *nd = &fs->tree.node[idx];

	memset(st, 0, sizeof(*st));
	st->st_ino = idx + 1;
	if (nd->view) {
		/* Size 0, like /proc: the content differs per reader and per read. */
		st->st_mode = S_IFREG | (nd->view->mode & 0444);
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

int pl_fs_lookup(struct pl_fs *fs, uint64_t parent, const char *name, struct stat *st)
{
	uint32_t dir;
	int r = node_of(fs, parent, &dir);

	if (r < 0)
		return r;
	r = pl_tree_child(&fs->tree, dir, name);
	if (r < 0)
		return r;
	fill_stat(fs, (uint32_t)r, st);
	return 0;
}

int pl_fs_getattr(struct pl_fs *fs, uint64_t ino, struct stat *st)
{
	uint32_t idx;
	int r = node_of(fs, ino, &idx);

	if (r < 0)
		return r;
	fill_stat(fs, idx, st);
	return 0;
}

int pl_fs_readdir(struct pl_fs *fs, uint64_t ino, uint64_t offset, pl_fs_emit_fn emit, void *ctx)
{
	const struct pl_tree_node *nd;
	struct stat st;
	uint64_t pos = 0;
	uint32_t idx;
	int r = node_of(fs, ino, &idx);

	if (r < 0)
		return r;
	nd = &fs->tree.node[idx];
	if (nd->view)
		return -ENOTDIR;
	if (offset <= pos) {
		fill_stat(fs, idx, &st);
		if (emit(ctx, ".", &st, pos + 1))
			return 0;
	}
	pos++;
	if (offset <= pos) {
		fill_stat(fs, nd->parent, &st);
		if (emit(ctx, "..", &st, pos + 1))
			return 0;
	}
	pos++;
	for (uint32_t c = nd->first_child; c != UINT32_MAX; c = fs->tree.node[c].next_sibling, pos++) {
		if (offset > pos)
			continue;
		fill_stat(fs, c, &st);
		if (emit(ctx, fs->tree.node[c].name, &st, pos + 1))
			return 0;
	}
	return 0;
}

int pl_fs_open(struct pl_fs *fs, uint64_t ino, int flags, pid_t caller, struct pl_fs_file **out)
{
	struct pl_fs_file *f;
	uint32_t idx;
	int r = node_of(fs, ino, &idx);

	if (r < 0)
		return r;
	if (!fs->tree.node[idx].view)
		return -EISDIR;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return -EACCES;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->view = fs->tree.node[idx].view;
	r = pl_container_get(fs, caller, &f->container);
	if (r < 0) {
		pl_log_debug("open %s by pid %d: cannot identify the reader: %s", f->view->path, (int)caller,
			     strerror(-r));
		free(f);
		return -EIO;
	}
	r = pl_container_render(fs, f->container, f->view, &f->r);
	if (r < 0) {
		pl_container_put(fs, f->container);
		free(f);
		/* Never a host value in place of a container value: the reader gets an error. */
		return r == -ENOMEM ? r : -EIO;
	}
	pthread_mutex_init(&f->lock, NULL);
	*out = f;
	return 0;
}

int pl_fs_read(struct pl_fs *fs, struct pl_fs_file *f, uint64_t off, size_t size, struct pl_fs_slice *out)
{
	struct pl_rendered *fresh = NULL, *r;
	int err;

	pthread_mutex_lock(&f->lock);
	if (off == 0 && f->read_since_render) {
		pthread_mutex_unlock(&f->lock);
		err = pl_container_render(fs, f->container, f->view, &fresh);
		if (err < 0)
			return err == -ENOMEM ? err : -EIO;
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
}
