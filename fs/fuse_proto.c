/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FUSE requests onto the filesystem core (fs.h), replies for any transport. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse_proto.h"
#include "mountstate.h"
#include "proclens/log.h"

/* The tree never changes while mounted: the kernel may cache names and attributes for a
 * day, so an open costs one OPEN request, not LOOKUP + GETATTR + OPEN. Mirrored host nodes
 * (sysfs changes with hotplug) for a second; a renumbered cpuN means another host CPU for
 * the next reader, so such a name is looked up every time. */
#define STATIC_TIMEOUT_S 86400
#define MIRROR_TIMEOUT_S 1

/* The minor we speak: Linux 6.1's headers (38); io_uring needs the kernel's 6.14 minor. */
#define OUR_MINOR 38
#define URING_MINOR 42

/* Kept within the kernel's defaults' order of magnitude; RELEASE is a background request,
 * and 16 readers closing at once should not queue behind a limit of 12. */
#define MAX_BACKGROUND 64
#define CONGESTION_THRESHOLD 48

/* Linux 6.9's (protocol 7.40), absent from Debian 12's headers. */
#define NOTIFY_RESEND 7

/* A file handle is the address of our pl_fs_file, with the server's generation in the bits
 * above any user-space address. */
#define FH_GEN_SHIFT 48

/* An open file of an earlier server, met in a READ: opened again for the reader, and
 * served from that render until its RELEASE. */
struct pl_foreign_file {
	uint64_t fh;
	struct pl_fs_file *f;
	struct pl_foreign_file *next;
};

static const char *const opnames[] = {
	[FUSE_LOOKUP] = "LOOKUP",	    [FUSE_FORGET] = "FORGET",	    [FUSE_GETATTR] = "GETATTR",
	[FUSE_SETATTR] = "SETATTR",	    [FUSE_READLINK] = "READLINK",   [FUSE_SYMLINK] = "SYMLINK",
	[FUSE_MKNOD] = "MKNOD",		    [FUSE_MKDIR] = "MKDIR",	    [FUSE_UNLINK] = "UNLINK",
	[FUSE_RMDIR] = "RMDIR",		    [FUSE_RENAME] = "RENAME",	    [FUSE_LINK] = "LINK",
	[FUSE_OPEN] = "OPEN",		    [FUSE_READ] = "READ",	    [FUSE_WRITE] = "WRITE",
	[FUSE_STATFS] = "STATFS",	    [FUSE_RELEASE] = "RELEASE",	    [FUSE_FSYNC] = "FSYNC",
	[FUSE_SETXATTR] = "SETXATTR",	    [FUSE_GETXATTR] = "GETXATTR",   [FUSE_LISTXATTR] = "LISTXATTR",
	[FUSE_REMOVEXATTR] = "REMOVEXATTR", [FUSE_FLUSH] = "FLUSH",	    [FUSE_INIT] = "INIT",
	[FUSE_OPENDIR] = "OPENDIR",	    [FUSE_READDIR] = "READDIR",	    [FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_FSYNCDIR] = "FSYNCDIR",	    [FUSE_GETLK] = "GETLK",	    [FUSE_SETLK] = "SETLK",
	[FUSE_SETLKW] = "SETLKW",	    [FUSE_ACCESS] = "ACCESS",	    [FUSE_CREATE] = "CREATE",
	[FUSE_INTERRUPT] = "INTERRUPT",	    [FUSE_BMAP] = "BMAP",	    [FUSE_DESTROY] = "DESTROY",
	[FUSE_IOCTL] = "IOCTL",		    [FUSE_POLL] = "POLL",	    [FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET", [FUSE_FALLOCATE] = "FALLOCATE", [FUSE_READDIRPLUS] = "READDIRPLUS",
	[FUSE_RENAME2] = "RENAME2",	    [FUSE_LSEEK] = "LSEEK",	    [FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
	[FUSE_SETUPMAPPING] = "SETUPMAPPING", [FUSE_REMOVEMAPPING] = "REMOVEMAPPING", [FUSE_SYNCFS] = "SYNCFS",
	[FUSE_TMPFILE] = "TMPFILE",
};

const char *pl_fuse_opname(uint32_t opcode)
{
	if (opcode < sizeof(opnames) / sizeof(opnames[0]) && opnames[opcode])
		return opnames[opcode];
	return "UNKNOWN";
}

static void fill_attr(struct fuse_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->ino = (uint64_t)st->st_ino;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = (uint64_t)st->st_atim.tv_sec;
	a->mtime = (uint64_t)st->st_mtim.tv_sec;
	a->ctime = (uint64_t)st->st_ctim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->rdev = (uint32_t)st->st_rdev;
	a->blksize = (uint32_t)st->st_blksize;
}

static void reply_fixed(struct pl_fuse_reply *rep, size_t len)
{
	rep->data = &rep->fixed;
	rep->len = len;
}

static void do_init(struct pl_fuse_conn *c, const void *arg, size_t arglen, struct pl_fuse_reply *rep)
{
	const struct fuse_init_in *in = arg;
	struct fuse_init_out *out = &rep->fixed.init;
	uint64_t offered, wanted = 0;

	/* fuse_init_in grew over time; the first four fields have always been there. */
	if (arglen < offsetof(struct fuse_init_in, flags2)) {
		rep->error = EINVAL;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->major = FUSE_KERNEL_VERSION;
	if (in->major < 7) {
		pl_log_err("the kernel speaks FUSE %u.%u, we need 7.x", in->major, in->minor);
		rep->error = EPROTO;
		return;
	}
	if (in->major > 7) {
		/* The kernel then retries with ours. */
		reply_fixed(rep, sizeof(*out));
		return;
	}
	offered = in->flags;
	if ((in->flags & FUSE_INIT_EXT) && arglen >= offsetof(struct fuse_init_in, unused))
		offered |= (uint64_t)in->flags2 << 32;
	/* Concurrent reads and lookups, our page count; nothing written, locked or cached. */
	wanted = FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES;
	if (c->offer_uring && (offered & FUSE_OVER_IO_URING))
		wanted |= FUSE_INIT_EXT | FUSE_OVER_IO_URING;
	wanted &= offered;
	c->minor = in->minor < OUR_MINOR ? in->minor : OUR_MINOR;
	if (wanted & FUSE_OVER_IO_URING)
		c->minor = in->minor < URING_MINOR ? in->minor : URING_MINOR;
	out->minor = c->minor;
	out->max_readahead = in->max_readahead;
	out->flags = (uint32_t)wanted;
	out->flags2 = (uint32_t)(wanted >> 32);
	out->max_background = MAX_BACKGROUND;
	out->congestion_threshold = CONGESTION_THRESHOLD;
	out->max_write = PL_FUSE_MAX_WRITE;
	out->time_gran = 1;
	out->max_pages = PL_FUSE_MAX_PAGES;
	atomic_store(&c->uring, (wanted & FUSE_OVER_IO_URING) != 0);
	/* Before the reply goes out: the kernel may send the next request to another thread
	 * as soon as it has it, and a server taking over after us must know. */
	if (c->state)
		pl_mountstate_set_init(c->state, &(struct pl_ms_init){
			.done = 1, .minor = c->minor, .uring = (wanted & FUSE_OVER_IO_URING) != 0 });
	atomic_store(&c->inited, true);
	reply_fixed(rep, sizeof(*out));
	pl_log_debug("INIT: kernel %u.%u, flags offered %#llx, taken %#llx", in->major, in->minor,
		     (unsigned long long)offered, (unsigned long long)wanted);
}

/* A NUL-terminated name at the start of arg. */
static const char *arg_name(const void *arg, size_t arglen)
{
	if (arglen == 0 || !memchr(arg, '\0', arglen))
		return NULL;
	return arg;
}

static void do_lookup(struct pl_fuse_conn *c, const struct fuse_in_header *in, const void *arg, size_t arglen,
		      struct pl_fuse_reply *rep)
{
	struct fuse_entry_out *e = &rep->fixed.entry;
	const char *name = arg_name(arg, arglen);
	struct stat st;
	bool per_reader = false;
	int r;

	if (!name) {
		rep->error = EINVAL;
		return;
	}
	memset(&st, 0, sizeof(st));
	r = pl_fs_lookup(c->fs, in->nodeid, name, (pid_t)in->pid, &st, &per_reader);
	if (r < 0) {
		rep->error = -r;
		return;
	}
	memset(e, 0, sizeof(*e));
	e->nodeid = (uint64_t)st.st_ino;
	fill_attr(&e->attr, &st);
	if (pl_fs_ino_is_static(c->fs, e->nodeid)) {
		e->entry_valid = e->attr_valid = STATIC_TIMEOUT_S;
	} else {
		e->attr_valid = MIRROR_TIMEOUT_S;
		e->entry_valid = per_reader ? 0 : MIRROR_TIMEOUT_S;
	}
	reply_fixed(rep, sizeof(*e));
}

static void do_getattr(struct pl_fuse_conn *c, const struct fuse_in_header *in, struct pl_fuse_reply *rep)
{
	struct fuse_attr_out *a = &rep->fixed.attr;
	struct stat st;
	int r;

	memset(&st, 0, sizeof(st));
	r = pl_fs_getattr(c->fs, in->nodeid, &st);
	if (r < 0) {
		rep->error = -r;
		return;
	}
	memset(a, 0, sizeof(*a));
	fill_attr(&a->attr, &st);
	a->attr_valid = pl_fs_ino_is_static(c->fs, in->nodeid) ? STATIC_TIMEOUT_S : MIRROR_TIMEOUT_S;
	reply_fixed(rep, sizeof(*a));
}

static void do_readlink(struct pl_fuse_conn *c, const struct fuse_in_header *in, struct pl_fuse_reply *rep)
{
	int r;

	rep->owned = malloc(PATH_MAX);
	if (!rep->owned) {
		rep->error = ENOMEM;
		return;
	}
	r = pl_fs_readlink(c->fs, in->nodeid, rep->owned, PATH_MAX);
	if (r < 0) {
		rep->error = -r;
		return;
	}
	rep->data = rep->owned;
	rep->len = strlen(rep->owned);
}

static void do_open(struct pl_fuse_conn *c, const struct fuse_in_header *in, const void *arg, size_t arglen,
		    struct pl_fuse_reply *rep)
{
	const struct fuse_open_in *oi = arg;
	struct fuse_open_out *o = &rep->fixed.open;
	struct pl_fs_file *f;
	int r;

	if (arglen < sizeof(*oi)) {
		rep->error = EINVAL;
		return;
	}
	r = pl_fs_open(c->fs, in->nodeid, (int)oi->flags, (pid_t)in->pid, &f);
	if (r < 0) {
		rep->error = -r;
		return;
	}
	if ((uint64_t)(uintptr_t)f >> FH_GEN_SHIFT) {
		pl_fs_release(c->fs, f); /* no room for the tag: not on Linux */
		rep->error = EIO;
		return;
	}
	memset(o, 0, sizeof(*o));
	o->fh = (uint64_t)(uintptr_t)f | (uint64_t)c->generation << FH_GEN_SHIFT;
	/* Each reader sees its own container's content: the page cache must never serve it.
	 * Nothing to flush: spare the kernel a FLUSH request on every close. */
	o->open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH;
	reply_fixed(rep, sizeof(*o));
}

static bool fh_is_ours(const struct pl_fuse_conn *c, uint64_t fh)
{
	return fh >> FH_GEN_SHIFT == c->generation;
}

static struct pl_fs_file *file_of(uint64_t fh)
{
	return (struct pl_fs_file *)(uintptr_t)(fh & ((1ULL << FH_GEN_SHIFT) - 1));
}

/* An earlier server's open file: ours from its first READ here on. Its first render is
 * made for this reader, at whatever offset: the earlier render died with its server. */
static int foreign_file(struct pl_fuse_conn *c, const struct fuse_in_header *in, uint64_t fh,
			struct pl_fs_file **out)
{
	struct pl_foreign_file *ff;
	int r = 0;

	pthread_mutex_lock(&c->foreign_lock);
	for (ff = c->foreign; ff && ff->fh != fh; ff = ff->next)
		;
	if (!ff) {
		ff = calloc(1, sizeof(*ff));
		r = ff ? pl_fs_open(c->fs, in->nodeid, O_RDONLY, (pid_t)in->pid, &ff->f) : -ENOMEM;
		if (r < 0) {
			free(ff);
			goto out;
		}
		ff->fh = fh;
		ff->next = c->foreign;
		c->foreign = ff;
	}
	*out = ff->f;
out:
	pthread_mutex_unlock(&c->foreign_lock);
	return r;
}

static void foreign_release(struct pl_fuse_conn *c, uint64_t fh)
{
	struct pl_foreign_file **pp, *ff = NULL;

	pthread_mutex_lock(&c->foreign_lock);
	for (pp = &c->foreign; *pp; pp = &(*pp)->next)
		if ((*pp)->fh == fh) {
			ff = *pp;
			*pp = ff->next;
			break;
		}
	pthread_mutex_unlock(&c->foreign_lock);
	if (ff) {
		pl_fs_release(c->fs, ff->f);
		free(ff);
	}
}

void pl_fuse_conn_free_foreign(struct pl_fuse_conn *c)
{
	while (c->foreign) {
		struct pl_foreign_file *ff = c->foreign;
		c->foreign = ff->next;
		pl_fs_release(c->fs, ff->f);
		free(ff);
	}
}

bool pl_fuse_conn_adopt(struct pl_fuse_conn *c)
{
	struct pl_ms_init init;

	pthread_mutex_init(&c->foreign_lock, NULL);
	if (!c->state)
		return false;
	c->generation = pl_mountstate_next_generation(c->state);
	pl_mountstate_get_init(c->state, &init);
	if (!init.done)
		return false;
	c->minor = init.minor;
	atomic_store(&c->uring, init.uring != 0);
	atomic_store(&c->inited, true);
	return true;
}

int pl_fuse_notify_resend(struct pl_fuse_conn *c)
{
	struct fuse_out_header out = { .len = sizeof(out), .error = NOTIFY_RESEND, .unique = 0 };

	if (write(c->fd, &out, sizeof(out)) != (ssize_t)sizeof(out))
		return -errno;
	return 0;
}

static void do_read(struct pl_fuse_conn *c, const struct fuse_in_header *in, const void *arg, size_t arglen,
		    struct pl_fuse_reply *rep)
{
	const struct fuse_read_in *ri = arg;
	struct pl_fs_file *f;
	size_t size;
	int r;

	if (arglen < sizeof(*ri) || ri->fh == 0 || ri->offset > (uint64_t)INT64_MAX) {
		rep->error = EINVAL;
		return;
	}
	/* Only a read(2) of the open file is served. The kernel sends the reads of its direct
	 * I/O path with the reader's lock owner; a READ without one fills the page cache (for
	 * splice(2), sendfile(2), copy_file_range(2), mmap(2)), which belongs to the inode,
	 * not to this open: shared by every container's readers, another container's splice
	 * could get the page we filled for this one. EINVAL makes sendfile and splice fail,
	 * and their users (busybox cat, cp, Python's shutil) fall back to read(2). */
	if (!(ri->read_flags & FUSE_READ_LOCKOWNER)) {
		rep->error = EINVAL;
		return;
	}
	if (c->test_abort_first_read && c->generation == 1)
		abort();
	size = ri->size < PL_FUSE_MAX_PAYLOAD ? ri->size : PL_FUSE_MAX_PAYLOAD;
	if (fh_is_ours(c, ri->fh)) {
		f = file_of(ri->fh);
	} else if ((r = foreign_file(c, in, ri->fh, &f)) < 0) {
		rep->error = -r;
		return;
	}
	r = pl_fs_read(c->fs, f, ri->offset, size, (pid_t)in->pid, &rep->slice);
	if (r < 0) {
		rep->error = -r;
		return;
	}
	rep->has_slice = true;
	rep->data = rep->slice.data;
	rep->len = rep->slice.len;
}

static void do_release(struct pl_fuse_conn *c, const void *arg, size_t arglen, struct pl_fuse_reply *rep)
{
	const struct fuse_release_in *ri = arg;

	if (arglen < sizeof(*ri) || ri->fh == 0) {
		rep->error = EINVAL;
		return;
	}
	if (fh_is_ours(c, ri->fh))
		pl_fs_release(c->fs, file_of(ri->fh));
	else
		foreign_release(c, ri->fh);
}

struct dir_fill {
	char *buf;
	size_t size, used;
};

static int dir_emit(void *ctx, const char *name, const struct stat *st, uint64_t next)
{
	struct dir_fill *d = ctx;
	size_t namelen = strlen(name);
	size_t need = FUSE_DIRENT_SIZE(&(struct fuse_dirent){ .namelen = (uint32_t)namelen });
	struct fuse_dirent *de;

	if (d->used + need > d->size)
		return 1;
	de = (struct fuse_dirent *)(d->buf + d->used);
	memset(de, 0, need);
	de->ino = (uint64_t)st->st_ino;
	de->off = next;
	de->namelen = (uint32_t)namelen;
	de->type = (st->st_mode & S_IFMT) >> 12;
	memcpy(de->name, name, namelen);
	d->used += need;
	return 0;
}

static void do_readdir(struct pl_fuse_conn *c, const struct fuse_in_header *in, const void *arg, size_t arglen,
		       struct pl_fuse_reply *rep)
{
	const struct fuse_read_in *ri = arg;
	struct dir_fill d;
	int r;

	if (arglen < sizeof(*ri)) {
		rep->error = EINVAL;
		return;
	}
	d.size = ri->size < PL_FUSE_MAX_PAYLOAD ? ri->size : PL_FUSE_MAX_PAYLOAD;
	d.used = 0;
	d.buf = rep->owned = malloc(d.size ? d.size : 1);
	if (!d.buf) {
		rep->error = ENOMEM;
		return;
	}
	r = pl_fs_readdir(c->fs, in->nodeid, (pid_t)in->pid, ri->offset, dir_emit, &d);
	if (r < 0) {
		rep->error = -r;
		return;
	}
	rep->data = d.buf;
	rep->len = d.used;
}

static void do_statfs(struct pl_fuse_reply *rep)
{
	struct fuse_kstatfs *st = &rep->fixed.statfs.st;

	memset(st, 0, sizeof(*st));
	st->bsize = st->frsize = 512;
	st->namelen = 255;
	reply_fixed(rep, sizeof(rep->fixed.statfs));
}

void pl_fuse_handle(struct pl_fuse_conn *c, const struct fuse_in_header *in, const void *arg, size_t arglen,
		    struct pl_fuse_reply *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (c->debug)
		pl_log_debug("unique=%llu %s nodeid=%llu pid=%u uid=%u", (unsigned long long)in->unique,
			     pl_fuse_opname(in->opcode), (unsigned long long)in->nodeid, in->pid, in->uid);
	if (!atomic_load(&c->inited) && in->opcode != FUSE_INIT) {
		rep->error = EIO;
		return;
	}
	switch (in->opcode) {
	case FUSE_INIT:
		do_init(c, arg, arglen, rep);
		break;
	case FUSE_LOOKUP:
		do_lookup(c, in, arg, arglen, rep);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
	case FUSE_NOTIFY_REPLY:
		/* Static inodes: nothing counts lookups. Requests finish quickly: nothing to
		 * interrupt. None of these gets a reply. */
		rep->none = true;
		break;
	case FUSE_GETATTR:
		do_getattr(c, in, rep);
		break;
	case FUSE_READLINK:
		do_readlink(c, in, rep);
		break;
	case FUSE_OPEN:
		do_open(c, in, arg, arglen, rep);
		break;
	case FUSE_READ:
		do_read(c, in, arg, arglen, rep);
		break;
	case FUSE_RELEASE:
		do_release(c, arg, arglen, rep);
		break;
	case FUSE_OPENDIR:
		memset(&rep->fixed.open, 0, sizeof(rep->fixed.open));
		reply_fixed(rep, sizeof(rep->fixed.open));
		break;
	case FUSE_READDIR:
		do_readdir(c, in, arg, arglen, rep);
		break;
	case FUSE_RELEASEDIR:
	case FUSE_DESTROY:
		break;
	case FUSE_STATFS:
		do_statfs(rep);
		break;
	/* Read-only: every modifying request fails, whatever the caller's privileges. */
	case FUSE_SETATTR:
	case FUSE_SYMLINK:
	case FUSE_MKNOD:
	case FUSE_MKDIR:
	case FUSE_UNLINK:
	case FUSE_RMDIR:
	case FUSE_RENAME:
	case FUSE_RENAME2:
	case FUSE_LINK:
	case FUSE_WRITE:
	case FUSE_SETXATTR:
	case FUSE_REMOVEXATTR:
	case FUSE_CREATE:
	case FUSE_TMPFILE:
	case FUSE_FALLOCATE:
	case FUSE_COPY_FILE_RANGE:
		rep->error = EROFS;
		break;
	default:
		/* FLUSH, ACCESS, GETXATTR, LISTXATTR, FSYNC, locks, ioctls, LSEEK...: the kernel
		 * remembers ENOSYS for most and stops asking. */
		rep->error = ENOSYS;
		break;
	}
	if (rep->error && !rep->none)
		rep->len = 0;
}

void pl_fuse_reply_done(struct pl_fuse_conn *c, const struct fuse_in_header *in, struct pl_fuse_reply *rep,
			bool delivered)
{
	/* The opener was interrupted before it saw the file: no RELEASE will come for it. */
	if (in->opcode == FUSE_OPEN && !rep->error && !delivered)
		pl_fs_release(c->fs, file_of(rep->fixed.open.fh));
	if (rep->has_slice)
		pl_fs_slice_done(&rep->slice);
	free(rep->owned);
	rep->owned = NULL;
	rep->has_slice = false;
}
