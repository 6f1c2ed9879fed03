/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The proclensfs filesystem, independent of any transport. The libfuse adapter
 * (fuse_ll.c) maps requests onto these calls; a FUSE-over-io_uring transport can call the
 * same ones. Inodes are static (one per table entry and per directory on its path), so
 * nothing here depends on lookup counts or request types. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "proclens/view.h"

struct pl_cgroup_root;
struct pl_mountstate;

#define PL_FS_ROOT_INO 1
/* Mirrored host nodes have inodes from here on, the static tree's are below. */
#define PL_FS_MIRROR_INO_BASE (1ULL << 32)

struct pl_fs_config {
	unsigned cache_ms;           /* reuse a container's render for this long; 0: never */
	struct pl_view_opts view;    /* options passed to every view */
	const char *proc_dir;        /* "/proc" (tests may point elsewhere) */
	const char *sys_dir;         /* "/sys" */
	const char *cgroup_dir;      /* NULL: find the hierarchies in /proc/self/mountinfo */
	/* The mount's state (mountstate.h): inode numbers earlier servers gave out are kept,
	 * and the ones given out here recorded. NULL: a fresh numbering of our own. */
	struct pl_mountstate *state;
};

struct pl_fs;
struct pl_fs_file;

int pl_fs_new(const struct pl_fs_config *cfg, struct pl_fs **out);
/* Start the background work of a serving daemon (the load average sampler). Call it after
 * any fork: threads do not survive one. pl_fs_free stops it. */
int pl_fs_start(struct pl_fs *fs);
void pl_fs_free(struct pl_fs *fs);

/* *per_reader: the name resolves differently for different readers (a renumbered cpuN):
 * the transport must not cache the entry. */
int pl_fs_lookup(struct pl_fs *fs, uint64_t parent, const char *name, pid_t caller, struct stat *st,
		 bool *per_reader);
int pl_fs_getattr(struct pl_fs *fs, uint64_t ino, struct stat *st);
/* The target of a mirrored host symlink, NUL-terminated. */
int pl_fs_readlink(struct pl_fs *fs, uint64_t ino, char *buf, size_t size);

/* Directory entries from index `offset` on. emit returns non-zero when its buffer is full
 * (that entry is then not consumed). "." and ".." are included. */
typedef int (*pl_fs_emit_fn)(void *ctx, const char *name, const struct stat *st, uint64_t next);
int pl_fs_readdir(struct pl_fs *fs, uint64_t ino, pid_t caller, uint64_t offset, pl_fs_emit_fn emit, void *ctx);

/* Open for reading on behalf of `caller` (a pid or tid in our pid namespace). The content
 * is rendered (or taken from the container's cache) here; reads serve slices of it, so every
 * chunking of the reads returns the same bytes. A read at offset 0 after earlier reads
 * renders afresh (the kernel's seq_file does the same; top re-reads /proc/stat that way).
 * Write access: -EACCES. */
int pl_fs_open(struct pl_fs *fs, uint64_t ino, int flags, pid_t caller, struct pl_fs_file **out);

/* Bytes [off, off+size) of the content, clipped (len 0 past the end). The slice stays valid
 * until pl_fs_slice_done, even if another thread re-reads the file meanwhile. */
struct pl_fs_slice {
	const char *data;
	size_t len;
	void *hold;
};
int pl_fs_read(struct pl_fs *fs, struct pl_fs_file *f, uint64_t off, size_t size, pid_t caller,
	       struct pl_fs_slice *out);
void pl_fs_slice_done(struct pl_fs_slice *s);
void pl_fs_release(struct pl_fs *fs, struct pl_fs_file *f);

/* What a reader would read from `path` ("proc/meminfo", "/sys/devices/system/cpu/online",
 * or a path below a mirrored directory), rendered by the same code as a FUSE read: for the
 * process `pid` identified as the daemon identifies its readers or, when cgroup_path is not
 * NULL, for a process of our pid namespace placed in that cgroup (a path relative to the
 * hierarchies' roots, "/proclens/web"). Errors as a read would give them (-EIO for a value
 * that cannot be read), -ESRCH for a pid that does not exist, -ENOENT for a path or cgroup
 * that does not. *out is malloc'ed and NUL-terminated. */
int pl_fs_render_for(struct pl_fs *fs, const char *path, pid_t pid, const char *cgroup_path, char **out,
		     size_t *len);

/* An inode of the static tree (its name and attributes never change), not a mirrored one. */
bool pl_fs_ino_is_static(const struct pl_fs *fs, uint64_t ino);
/* The cgroup hierarchies as the daemon sees them. */
const struct pl_cgroup_root *pl_fs_cgroup_root(const struct pl_fs *fs);
/* The load average sampler's policy, SCHED_IDLE or normal: with the io_uring queue threads
 * SCHED_IDLE, a normal sampler would hold off every read on its CPU while it runs. */
int pl_fs_sampler_set_idle(struct pl_fs *fs, bool idle);

/* How many containers are cached (for tests and debugging). */
size_t pl_fs_container_count(struct pl_fs *fs);
