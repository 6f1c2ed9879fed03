/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "fuse_ll.h"
#include "proclens/log.h"

/* The tree never changes while mounted: let the kernel cache names and attributes for a
 * day so an open costs one OPEN request, not LOOKUP + GETATTR + OPEN. */
#define ATTR_TIMEOUT_S 86400.0
#define MIRROR_TIMEOUT_S 1.0
#define STATIC_INO_MAX(req) pl_fs_static_inodes(fs_of(req))

static struct pl_fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* Nothing here is written, locked or cached in the page cache. */
	conn->want &= ~(unsigned)(FUSE_CAP_ATOMIC_O_TRUNC | FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS |
				  FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_AUTO_INVAL_DATA);
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	bool per_reader;
	int r;

	memset(&e, 0, sizeof(e));
	r = pl_fs_lookup(fs_of(req), parent, name, fuse_req_ctx(req)->pid, &e.attr, &per_reader);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	e.ino = e.attr.st_ino;
	if (e.ino <= STATIC_INO_MAX(req)) {
		e.attr_timeout = ATTR_TIMEOUT_S;
		e.entry_timeout = ATTR_TIMEOUT_S;
	} else {
		/* Mirrored host nodes: sysfs changes with hotplug; a renumbered name means
		 * another CPU for the next reader, so it must be looked up every time. */
		e.attr_timeout = MIRROR_TIMEOUT_S;
		e.entry_timeout = per_reader ? 0 : MIRROR_TIMEOUT_S;
	}
	fuse_reply_entry(req, &e);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	int r = pl_fs_getattr(fs_of(req), ino, &st);

	(void)fi;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, ino <= STATIC_INO_MAX(req) ? ATTR_TIMEOUT_S : MIRROR_TIMEOUT_S);
}

static void ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char target[PATH_MAX];
	int r = pl_fs_readlink(fs_of(req), ino, target, sizeof(target));

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, target);
}

struct dir_fill {
	fuse_req_t req;
	char *buf;
	size_t size, used;
};

static int dir_emit(void *ctx, const char *name, const struct stat *st, uint64_t next)
{
	struct dir_fill *d = ctx;
	size_t need = fuse_add_direntry(d->req, NULL, 0, name, NULL, 0);

	if (d->used + need > d->size)
		return 1;
	fuse_add_direntry(d->req, d->buf + d->used, d->size - d->used, name, st, (off_t)next);
	d->used += need;
	return 0;
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct dir_fill d = { .req = req, .size = size };
	int r;

	(void)fi;
	d.buf = malloc(size ? size : 1);
	if (!d.buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = pl_fs_readdir(fs_of(req), ino, fuse_req_ctx(req)->pid, (uint64_t)off, dir_emit, &d);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, d.buf, d.used);
	free(d.buf);
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct pl_fs_file *f;
	int r = pl_fs_open(fs_of(req), ino, fi->flags, ctx->pid, &f);

	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	/* Each reader sees its own container's content: the page cache must never serve it. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	/* Nothing to flush: spare the kernel a FLUSH request on every close. */
	fi->noflush = 1;
	if (fuse_reply_open(req, fi) != 0)
		pl_fs_release(fs_of(req), f); /* the opener was interrupted: no RELEASE will come */
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct pl_fs_slice slice;
	int r;

	(void)ino;
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	r = pl_fs_read(fs_of(req), (struct pl_fs_file *)(uintptr_t)fi->fh, (uint64_t)off, size, &slice);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fuse_reply_buf(req, slice.data, slice.len);
	pl_fs_slice_done(&slice);
}

static void ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	pl_fs_release(fs_of(req), (struct pl_fs_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* Read-only filesystem: every modifying request fails, whatever the caller's privileges. */
static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	(void)ino, (void)attr, (void)to_set, (void)fi;
	fuse_reply_err(req, EROFS);
}

static void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EROFS);
}

static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent, (void)name, (void)mode;
	fuse_reply_err(req, EROFS);
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	fuse_reply_err(req, EROFS);
}

static void ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link, (void)parent, (void)name;
	fuse_reply_err(req, EROFS);
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	(void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
	fuse_reply_err(req, EROFS);
}

static void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	fuse_reply_err(req, EROFS);
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi)
{
	(void)parent, (void)name, (void)mode, (void)fi;
	fuse_reply_err(req, EROFS);
}

static void ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino, (void)buf, (void)size, (void)off, (void)fi;
	fuse_reply_err(req, EROFS);
}

static void ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value, size_t size,
			int flags)
{
	(void)ino, (void)name, (void)value, (void)size, (void)flags;
	fuse_reply_err(req, EROFS);
}

static void ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino, (void)name;
	fuse_reply_err(req, EROFS);
}

static const struct fuse_lowlevel_ops ll_ops = {
	.init = ll_init,
	.lookup = ll_lookup,
	.getattr = ll_getattr,
	.readlink = ll_readlink,
	.setattr = ll_setattr,
	.mknod = ll_mknod,
	.mkdir = ll_mkdir,
	.unlink = ll_unlink,
	.rmdir = ll_unlink,
	.symlink = ll_symlink,
	.rename = ll_rename,
	.link = ll_link,
	.open = ll_open,
	.read = ll_read,
	.write = ll_write,
	.release = ll_release,
	.readdir = ll_readdir,
	.setxattr = ll_setxattr,
	.removexattr = ll_removexattr,
	.create = ll_create,
};

struct fuse_session *pl_fuse_session_new(struct fuse_args *args, struct pl_fs *fs)
{
	return fuse_session_new(args, &ll_ops, sizeof(ll_ops), fs);
}

int pl_fuse_serve(struct fuse_session *se, const struct pl_serve_opts *opts)
{
	struct fuse_loop_config *cfg;
	int r;

	if (opts->single_thread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, opts->clone_fd);
	fuse_loop_cfg_set_idle_threads(cfg, opts->max_idle_threads);
	r = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}
