/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* floorfs: the FUSE floor. A minimal libfuse3 low-level server with the same tree as
 * proclensfs (MOUNT/proc/{meminfo,cpuinfo,stat,uptime}) that answers every read from a
 * constant buffer the size of the real file. Whatever proclensfs costs beyond this is the
 * cost of rendering; what this costs is what any FUSE daemon costs on this kernel.
 *
 *   floorfs [--single] [--clone-fd] [--max-idle N] [--max-threads N]
 *           [-s [NAME=]BYTES]... [-o OPT] [-d] MOUNTPOINT
 *
 * The FUSE settings are the ones proclensfs uses, so the comparison is fair: direct_io on
 * open (every read reaches the daemon, as a synthesized file must), entry and attr timeouts
 * of a day (lookups are answered once and cached by the kernel), no flush handler (the first
 * FLUSH gets ENOSYS and the kernel never sends another), allow_other and default_permissions,
 * and fuse_session_loop_mt with clone_fd off and 10 idle threads unless told otherwise.
 * Runs in the foreground; SIGTERM/SIGINT unmount and exit. */

#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proclens/cleanup.h"
#include "proclens/util.h"

/* A day: the tree never changes while we run, so the kernel may cache it for as long as it likes. */
#define CACHE_TIMEOUT_S 86400.0

enum { INO_ROOT = FUSE_ROOT_ID, INO_PROC, INO_FIRST_FILE };

struct floor_file {
	const char *name;
	char *data;
	size_t size;
};

/* The served files, in inode order from INO_FIRST_FILE. */
static struct floor_file floor_files[] = {
    {.name = "meminfo"},
    {.name = "cpuinfo"},
    {.name = "stat"},
    {.name = "uptime"},
};
#define FILE_COUNT PL_ARRAY_SIZE(floor_files)

struct floor_options {
	const char *mountpoint;
	const char *extra_mount_opts;
	int single_thread;
	int clone_fd;
	unsigned max_idle_threads;
	unsigned max_threads;
	int debug;
};

static struct floor_file *file_of_ino(fuse_ino_t ino)
{
	if (ino < INO_FIRST_FILE || ino >= INO_FIRST_FILE + FILE_COUNT)
		return NULL;
	return &floor_files[ino - INO_FIRST_FILE];
}

static void fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == INO_ROOT || ino == INO_PROC) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		/* Size 0 like the kernel's /proc files: readers must read to EOF, and with direct_io
		 * the kernel never clamps a read to i_size. */
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
	}
}

static void reply_entry(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_entry_param e = {
	    .ino = ino,
	    .attr_timeout = CACHE_TIMEOUT_S,
	    .entry_timeout = CACHE_TIMEOUT_S,
	};

	fill_stat(ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void floor_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent == INO_ROOT && strcmp(name, "proc") == 0) {
		reply_entry(req, INO_PROC);
		return;
	}
	if (parent == INO_PROC) {
		for (size_t i = 0; i < FILE_COUNT; i++) {
			if (strcmp(name, floor_files[i].name) == 0) {
				reply_entry(req, INO_FIRST_FILE + i);
				return;
			}
		}
	}
	fuse_reply_err(req, ENOENT);
}

static void floor_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != INO_ROOT && ino != INO_PROC && !file_of_ino(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, CACHE_TIMEOUT_S);
}

static void add_dirent(fuse_req_t req, char *buf, size_t size, size_t *used, const char *name, fuse_ino_t ino,
		       mode_t mode)
{
	struct stat st = {.st_ino = ino, .st_mode = mode};
	size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);

	if (*used + need > size)
		return;
	fuse_add_direntry(req, buf + *used, size - *used, name, &st, (off_t)(*used + need));
	*used += need;
}

static void floor_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	char buf[1024];
	size_t used = 0;

	if (ino != INO_ROOT && ino != INO_PROC) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	/* Build the whole (tiny) listing and hand out the slice asked for: entry offsets are
	 * byte offsets into this buffer, stable because the listing never changes. */
	add_dirent(req, buf, sizeof(buf), &used, ".", ino, S_IFDIR);
	add_dirent(req, buf, sizeof(buf), &used, "..", INO_ROOT, S_IFDIR);
	if (ino == INO_ROOT) {
		add_dirent(req, buf, sizeof(buf), &used, "proc", INO_PROC, S_IFDIR);
	} else {
		for (size_t i = 0; i < FILE_COUNT; i++)
			add_dirent(req, buf, sizeof(buf), &used, floor_files[i].name, INO_FIRST_FILE + i,
				   S_IFREG);
	}
	if (off < 0 || (size_t)off >= used) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	fuse_reply_buf(req, buf + off, PL_MIN(used - (size_t)off, size));
}

static void floor_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino == INO_ROOT || ino == INO_PROC) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (!file_of_ino(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	/* Every read must reach the daemon: a synthesized file changes between reads, and
	 * the page cache would serve a stale (and, with st_size 0, empty) copy. */
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void floor_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	const struct floor_file *f = file_of_ino(ino);

	if (!f) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (off < 0 || (size_t)off >= f->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	fuse_reply_buf(req, f->data + off, PL_MIN(f->size - (size_t)off, size));
}

/* No flush, release, opendir or releasedir: libfuse answers release and the dir calls with
 * success, and flush with ENOSYS, which makes the kernel stop sending FLUSH on close. */
static const struct fuse_lowlevel_ops floor_ops = {
    .lookup = floor_lookup,
    .getattr = floor_getattr,
    .readdir = floor_readdir,
    .open = floor_open,
    .read = floor_read,
};

/* Printable filler, in lines like the real files, so a person who cats it sees text. */
static char *make_filler(size_t size)
{
	char *data = malloc(size ? size : 1);

	if (!data)
		return NULL;
	for (size_t i = 0; i < size; i++)
		data[i] = (i % 64 == 63 || i + 1 == size) ? '\n' : 'x';
	return data;
}

/* Content is the host's file as it is now: the same size and bytes as a real read. */
static int load_host_sizes(void)
{
	_cleanup_close_ int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (proc_fd < 0)
		return -errno;
	for (size_t i = 0; i < FILE_COUNT; i++) {
		struct floor_file *f = &floor_files[i];
		ssize_t n;

		if (f->data)
			continue;
		n = pl_read_file_at(proc_fd, f->name, &f->data);
		if (n < 0) {
			fprintf(stderr, "floorfs: cannot read /proc/%s: %s\n", f->name, strerror((int)-n));
			return (int)n;
		}
		f->size = (size_t)n;
	}
	return 0;
}

/* -s BYTES sets every file; -s NAME=BYTES one of them. */
static int parse_size_option(const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *num = eq ? eq + 1 : arg;
	uint64_t bytes;
	int r, matched = 0;

	r = pl_parse_size(num, &bytes);
	if (r < 0 || bytes == 0 || bytes > 1024 * 1024)
		return -EINVAL;
	for (size_t i = 0; i < FILE_COUNT; i++) {
		struct floor_file *f = &floor_files[i];
		if (eq &&
		    (strlen(f->name) != (size_t)(eq - arg) || strncmp(f->name, arg, (size_t)(eq - arg))))
			continue;
		free(f->data);
		f->data = make_filler((size_t)bytes);
		if (!f->data)
			return -ENOMEM;
		f->size = (size_t)bytes;
		matched = 1;
	}
	return matched ? 0 : -ENOENT;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: floorfs [--single] [--clone-fd] [--max-idle N] [--max-threads N]\n"
		   "               [-s [NAME=]BYTES]... [-o OPT] [-d] MOUNTPOINT\n");
}

static int parse_unsigned(const char *s, unsigned *out)
{
	uint64_t v;
	int r = pl_parse_u64(s, &v);

	if (r < 0 || v > 100000)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Returns 0 to run, 1 to exit successfully (help), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, struct floor_options *o)
{
	enum { OPT_SINGLE = 256, OPT_CLONE_FD, OPT_MAX_IDLE, OPT_MAX_THREADS };
	static const struct option longopts[] = {
	    {"single", no_argument, NULL, OPT_SINGLE},
	    {"clone-fd", no_argument, NULL, OPT_CLONE_FD},
	    {"max-idle", required_argument, NULL, OPT_MAX_IDLE},
	    {"max-threads", required_argument, NULL, OPT_MAX_THREADS},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "s:o:dh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SINGLE:
			o->single_thread = 1;
			break;
		case OPT_CLONE_FD:
			o->clone_fd = 1;
			break;
		case OPT_MAX_IDLE:
		case OPT_MAX_THREADS:
			if (parse_unsigned(optarg, opt == OPT_MAX_IDLE ? &o->max_idle_threads
								       : &o->max_threads) < 0) {
				fprintf(stderr, "floorfs: bad thread count: %s\n", optarg);
				return -EINVAL;
			}
			break;
		case 's':
			if (parse_size_option(optarg) < 0) {
				fprintf(stderr,
					"floorfs: bad size (want BYTES or NAME=BYTES, NAME one of "
					"meminfo cpuinfo stat uptime): %s\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			o->extra_mount_opts = optarg;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -EINVAL;
	}
	o->mountpoint = argv[optind];
	return 0;
}

static int run_loop(struct fuse_session *se, const struct floor_options *o)
{
	struct fuse_loop_config *cfg;
	int r;

	if (o->single_thread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, (unsigned)o->clone_fd);
	fuse_loop_cfg_set_idle_threads(cfg, o->max_idle_threads);
	if (o->max_threads)
		fuse_loop_cfg_set_max_threads(cfg, o->max_threads);
	r = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return r;
}

int main(int argc, char **argv)
{
	struct floor_options o = {.max_idle_threads = 10};
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;
	int r, status = 1;

	r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (load_host_sizes() < 0)
		return 1;

	if (fuse_opt_add_arg(&args, argv[0]) || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, "allow_other,default_permissions,fsname=floorfs,subtype=floorfs") ||
	    (o.extra_mount_opts &&
	     (fuse_opt_add_arg(&args, "-o") || fuse_opt_add_arg(&args, o.extra_mount_opts))) ||
	    (o.debug && fuse_opt_add_arg(&args, "-d"))) {
		fprintf(stderr, "floorfs: out of memory\n");
		goto out_args;
	}
	se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), NULL);
	if (!se)
		goto out_args;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, o.mountpoint) != 0)
		goto out_signals;
	r = run_loop(se, &o);
	if (r < 0)
		fprintf(stderr, "floorfs: session loop failed: %s\n", strerror(-r));
	status = r < 0 ? 1 : 0;
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	fuse_opt_free_args(&args);
	return status;
}
