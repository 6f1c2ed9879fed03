/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proclensfs: serve container-correct /proc files over FUSE. */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "fuse_ll.h"
#include "proclens/cleanup.h"
#include "proclens/log.h"
#include "proclens/util.h"

#define DEFAULT_CACHE_MS 10

struct options {
	const char *mountpoint;
	const char *pidfile;
	char *fuse_opts; /* extra -o options, comma-joined */
	bool foreground;
	bool debug;
	struct pl_fs_config fs;
	struct pl_serve_opts serve;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: proclensfs [OPTIONS] MOUNTPOINT\n"
		"Serve container-correct /proc files (LXCFS layout: MOUNTPOINT/proc/meminfo, ...),\n"
		"each rendered from the cgroups of the reading process's container.\n"
		"\n"
		"  -f, --foreground          stay in the foreground (default: detach once mounted)\n"
		"  -d, --debug               log every request to stderr (implies --foreground)\n"
		"  -o OPT[,OPT...]           extra FUSE mount options (always: ro, allow_other,\n"
		"                            default_permissions)\n"
		"  -p, --pidfile FILE        write the daemon's pid to FILE\n"
		"      --cache-ms N          reuse a container's rendered file for N ms (default %d;\n"
		"                            0 renders on every open)\n"
		"      --cpu-count=MODE      quota: CPUs = cpuset reduced to ceil(quota/period) (default)\n"
		"                            cpuset: CPUs = the cpuset only\n"
		"      --single-thread       serve requests on one thread\n"
		"      --max-idle-threads N  idle worker threads kept (default 10)\n"
		"      --clone-fd            one /dev/fuse descriptor per worker thread\n"
		"  -h, --help                this help\n"
		"  -V, --version             print the version\n",
		DEFAULT_CACHE_MS);
}

static int parse_uint(const char *opt, const char *s, unsigned max, unsigned *out)
{
	uint64_t v;

	if (pl_parse_u64(s, &v) < 0 || v > max) {
		fprintf(stderr, "proclensfs: %s: invalid value '%s' (a whole number up to %u)\n", opt, s, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int append_fuse_opt(struct options *o, const char *opt)
{
	size_t old = o->fuse_opts ? strlen(o->fuse_opts) : 0;
	char *grown = realloc(o->fuse_opts, old + strlen(opt) + 2);

	if (!grown)
		return -ENOMEM;
	if (old)
		grown[old++] = ',';
	strcpy(grown + old, opt);
	o->fuse_opts = grown;
	return 0;
}

/* 1: exit 0 (help/version), 0: run, < 0: usage error (already reported). */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_CACHE_MS = 256, OPT_CPU_COUNT, OPT_SINGLE, OPT_IDLE, OPT_CLONE_FD };
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "cache-ms", required_argument, NULL, OPT_CACHE_MS },
		{ "cpu-count", required_argument, NULL, OPT_CPU_COUNT },
		{ "single-thread", no_argument, NULL, OPT_SINGLE },
		{ "max-idle-threads", required_argument, NULL, OPT_IDLE },
		{ "clone-fd", no_argument, NULL, OPT_CLONE_FD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "fdo:p:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->debug = o->foreground = true;
			break;
		case 'o':
			if (append_fuse_opt(o, optarg) < 0)
				return -ENOMEM;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case OPT_CACHE_MS:
			if (parse_uint("--cache-ms", optarg, 60000, &o->fs.cache_ms) < 0)
				return -EINVAL;
			break;
		case OPT_CPU_COUNT:
			if (strcmp(optarg, "quota") == 0)
				o->fs.view.cpu_count_from_quota = true;
			else if (strcmp(optarg, "cpuset") == 0)
				o->fs.view.cpu_count_from_quota = false;
			else {
				fprintf(stderr, "proclensfs: --cpu-count: '%s' is neither 'quota' nor 'cpuset'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case OPT_SINGLE:
			o->serve.single_thread = true;
			break;
		case OPT_IDLE:
			if (parse_uint("--max-idle-threads", optarg, 1024, &o->serve.max_idle_threads) < 0)
				return -EINVAL;
			break;
		case OPT_CLONE_FD:
			o->serve.clone_fd = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("proclensfs %s\n", PROCLENS_VERSION);
			return 1;
		default:
			fprintf(stderr, "Try 'proclensfs --help' for more information.\n");
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "proclensfs: %s\nTry 'proclensfs --help' for more information.\n",
			optind >= argc ? "missing MOUNTPOINT" : "too many arguments");
		return -EINVAL;
	}
	o->mountpoint = argv[optind];
	return 0;
}

static int prepare_mountpoint(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, "proclensfs: mount point %s is not a directory\n", path);
			return -ENOTDIR;
		}
		return 0;
	}
	if (errno != ENOENT || mkdir(path, 0755) < 0) {
		int r = -errno;
		fprintf(stderr, "proclensfs: cannot use mount point %s: %s\n", path, strerror(errno));
		return r;
	}
	return 0;
}

static int write_pidfile(const char *path)
{
	char text[32];
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return -errno;
	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	return pl_write_all(fd, text, strlen(text)) < 0 ? -EIO : 0;
}

/* Detach after the mount is in place, so "proclensfs DIR && use DIR" works. The parent
 * exits only once the child has written its pid file. */
static int daemonize(const char *pidfile)
{
	int pipefd[2], devnull;
	char status = 1;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &status, 1) != 1)
			status = 1;
		_exit(status == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(pipefd[0]);
	setsid();
	if (chdir("/") < 0) {
		/* / always exists; nothing sensible to do */
	}
	if (pidfile && write_pidfile(pidfile) < 0) {
		fprintf(stderr, "proclensfs: cannot write pid file %s: %s\n", pidfile, strerror(errno));
		_exit(EXIT_FAILURE);
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	status = 0;
	if (write(pipefd[1], &status, 1) != 1) {
		/* the parent is gone; keep serving */
	}
	close(pipefd[1]);
	return 0;
}

static struct fuse_session *make_session(struct options *o, struct pl_fs *fs)
{
	_cleanup_free_ char *mount_opts = NULL;
	char *argv[4];
	int argc = 0;
	struct fuse_args args;
	struct fuse_session *se;

	/* ro: the kernel itself refuses writes. allow_other: every container user reads.
	 * default_permissions: the kernel checks our 0444/0555 modes. */
	if (asprintf(&mount_opts, "ro,allow_other,default_permissions,fsname=proclensfs,subtype=proclensfs%s%s",
		     o->fuse_opts ? "," : "", o->fuse_opts ? o->fuse_opts : "") < 0)
		return NULL;
	argv[argc++] = "proclensfs";
	argv[argc++] = "-o";
	argv[argc++] = mount_opts;
	if (o->debug)
		argv[argc++] = "-d";
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	se = pl_fuse_session_new(&args, fs);
	fuse_opt_free_args(&args);
	return se;
}

int main(int argc, char **argv)
{
	struct options o = {
		.fs = { .cache_ms = DEFAULT_CACHE_MS, .view = { .cpu_count_from_quota = true } },
		.serve = { .max_idle_threads = 10 },
	};
	struct pl_fs *fs = NULL;
	struct fuse_session *se = NULL;
	int r, exit_code = EXIT_FAILURE;
	bool mounted = false, handlers = false;

	r = parse_args(argc, argv, &o);
	if (r != 0) {
		free(o.fuse_opts);
		return r > 0 ? EXIT_SUCCESS : 2;
	}
	pl_log_setup("proclensfs", PL_LOG_STDERR, o.debug);
	if (prepare_mountpoint(o.mountpoint) < 0)
		goto out;
	r = pl_fs_new(&o.fs, &fs);
	if (r < 0)
		goto out;
	se = make_session(&o, fs);
	if (!se) {
		pl_log_err("cannot create the FUSE session (bad -o option?)");
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		pl_log_err("cannot install signal handlers");
		goto out;
	}
	handlers = true;
	if (fuse_session_mount(se, o.mountpoint) != 0) {
		pl_log_err("cannot mount on %s (is /dev/fuse available, and are we root?)", o.mountpoint);
		goto out;
	}
	mounted = true;
	if (!o.foreground) {
		r = daemonize(o.pidfile);
		if (r < 0) {
			pl_log_err("cannot detach: %s", strerror(-r));
			goto out;
		}
		pl_log_setup("proclensfs", PL_LOG_SYSLOG, o.debug);
	} else if (o.pidfile && write_pidfile(o.pidfile) < 0) {
		pl_log_err("cannot write pid file %s: %s", o.pidfile, strerror(errno));
		goto out;
	}
	r = pl_fs_start(fs);
	if (r < 0) {
		pl_log_err("cannot start the load average sampler: %s", strerror(-r));
		goto out;
	}
	pl_log_info("serving %s", o.mountpoint);
	r = pl_fuse_serve(se, &o.serve);
	exit_code = r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	if (o.pidfile)
		unlink(o.pidfile);
out:
	if (mounted)
		fuse_session_unmount(se);
	if (handlers)
		fuse_remove_signal_handlers(se);
	if (se)
		fuse_session_destroy(se);
	pl_fs_free(fs);
	free(o.fuse_opts);
	return exit_code;
}
