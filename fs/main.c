/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proclensfs: serve container-correct /proc files over FUSE. */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "fuse_serve.h"
#include "keeper.h"
#include "mountstate.h"
#include "proclens/cleanup.h"
#include "proclens/log.h"
#include "proclens/schedgroup.h"
#include "proclens/util.h"

#define DEFAULT_CACHE_MS 10
/* /dev/fuse readers: one per CPU we may run on, at least 2 (bench/README.md, "How many
 * threads read /dev/fuse"): a request is brief CPU work that never blocks, so more threads
 * only add idle waiters, woken in turn (cold) and contending for the queue's lock. */
#define MIN_THREADS 2
#define MAX_THREADS 256
#define DEFAULT_URING_DEPTH 8

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
		"      --transport=MODE      auto: FUSE over io_uring when the kernel offers it,\n"
		"                            else /dev/fuse (default); uring: io_uring or fail;\n"
		"                            dev: /dev/fuse only\n"
		"      --threads N           threads reading /dev/fuse (default: one per CPU, at\n"
		"                            least %d)\n"
		"      --uring-depth N       requests in flight per CPU with io_uring (default %d)\n"
		"      --uring-sched=MODE    io_uring queue threads: auto: SCHED_IDLE while the daemon\n"
		"                            has its CPU scheduling group alone (default); idle; normal\n"
		"  -h, --help                this help\n"
		"  -V, --version             print the version\n",
		DEFAULT_CACHE_MS, MIN_THREADS, DEFAULT_URING_DEPTH);
}

static int parse_uint(const char *opt, const char *s, unsigned max, unsigned *out)
{
	uint64_t v;

	if (pl_parse_arg_u64(s, max, &v) < 0) {
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

/* Each container the daemon serves holds two descriptors (its init's pidfd and pid
 * namespace), each remembered reader one: the usual soft limit of 1024 would cap a host at a
 * few hundred containers. Nothing here uses select(), so take the hard limit. */
static void raise_nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* best effort: the old limit still works */
	}
}

static unsigned default_threads(void)
{
	cpu_set_t set;
	int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;

	return n < MIN_THREADS ? MIN_THREADS : n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/* The index of arg in names (the option's choices, in the order the message lists them),
 * or -EINVAL after saying what the choices are. */
static int parse_choice(const char *opt, const char *arg, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arg, names[i]) == 0)
			return (int)i;
	fprintf(stderr, "proclensfs: %s: '%s' is not one of", opt, arg);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", names[i]);
	fputc('\n', stderr);
	return -EINVAL;
}

/* 1: exit 0 (help/version), 0: run, < 0: usage error (already reported). */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum {
		OPT_CACHE_MS = 256,
		OPT_CPU_COUNT,
		OPT_TRANSPORT,
		OPT_THREADS,
		OPT_URING_DEPTH,
		OPT_URING_SCHED
	};
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "cache-ms", required_argument, NULL, OPT_CACHE_MS },
		{ "cpu-count", required_argument, NULL, OPT_CPU_COUNT },
		{ "transport", required_argument, NULL, OPT_TRANSPORT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "uring-depth", required_argument, NULL, OPT_URING_DEPTH },
		{ "uring-sched", required_argument, NULL, OPT_URING_SCHED },
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
		case OPT_TRANSPORT: {
			static const char *const names[] = { [PL_TRANSPORT_AUTO] = "auto",
							     [PL_TRANSPORT_URING] = "uring",
							     [PL_TRANSPORT_DEV] = "dev" };
			int v = parse_choice("--transport", optarg, names, PL_ARRAY_SIZE(names));
			if (v < 0)
				return -EINVAL;
			o->serve.transport = (enum pl_transport)v;
			break;
		}
		case OPT_THREADS:
			if (parse_uint("--threads", optarg, MAX_THREADS, &o->serve.threads) < 0)
				return -EINVAL;
			if (o->serve.threads == 0) {
				fprintf(stderr, "proclensfs: --threads: at least 1\n");
				return -EINVAL;
			}
			break;
		case OPT_URING_DEPTH:
			if (parse_uint("--uring-depth", optarg, 64, &o->serve.uring_depth) < 0)
				return -EINVAL;
			if (o->serve.uring_depth == 0) {
				fprintf(stderr, "proclensfs: --uring-depth: at least 1\n");
				return -EINVAL;
			}
			break;
		case OPT_URING_SCHED: {
			static const char *const names[] = { [PL_URING_SCHED_AUTO] = "auto",
							     [PL_URING_SCHED_IDLE] = "idle",
							     [PL_URING_SCHED_NORMAL] = "normal" };
			int v = parse_choice("--uring-sched", optarg, names, PL_ARRAY_SIZE(names));
			if (v < 0)
				return -EINVAL;
			o->serve.uring_sched = (enum pl_uring_sched)v;
			break;
		}
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

	if (pipe2(pipefd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		int r = -errno;
		pl_log_err("cannot detach: %s", strerror(-r));
		return r;
	}
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
	if (pidfile) {
		int r = write_pidfile(pidfile);
		if (r < 0) {
			/* Back to main, which unmounts: exiting here would leave the mount with
			 * nobody serving it (ENOTCONN). The parent exits with failure on EOF. */
			fprintf(stderr, "proclensfs: cannot write pid file %s: %s\n", pidfile, strerror(-r));
			close(pipefd[1]);
			return r;
		}
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

#define URING_PARAM "/sys/module/fuse/parameters/enable_uring"

/* --transport=uring: the kernel offers io_uring in INIT only while this parameter is on
 * (Linux 6.14+, off by default); asking for it explicitly turns it on. It only lets FUSE
 * servers ask for io_uring: servers that do not are unaffected. */
static int enable_uring_param(void)
{
	char v[4];
	int r = (int)pl_read_file_at_buf(AT_FDCWD, URING_PARAM, v, sizeof(v));

	if (r < 0) {
		pl_log_err("this kernel has no FUSE over io_uring (Linux 6.14+): %s: %s", URING_PARAM,
			   strerror(-r));
		return -EPROTONOSUPPORT;
	}
	if (v[0] == 'Y')
		return 0;
	r = pl_write_file_at(AT_FDCWD, URING_PARAM, "Y");
	if (r < 0) {
		pl_log_err("cannot turn on FUSE over io_uring (%s): %s", URING_PARAM, strerror(-r));
		return r;
	}
	pl_log_info("turned on FUSE over io_uring in the kernel (%s)", URING_PARAM);
	return 0;
}

/* The keeper that started us: it sleeps, but for starting a server, so it does not count
 * as a process sharing our scheduling group. */
static pid_t keeper_pid;

/* For --uring-sched=auto: our scheduling group, from the daemon's view of the cgroups. */
static int sched_own(void *arg, char *why, size_t why_size)
{
	return pl_sched_group_own_self(pl_fs_cgroup_root(arg), keeper_pid, why, why_size);
}

static void sched_follow(void *arg, bool idle)
{
	int r = pl_fs_sampler_set_idle(arg, idle);

	if (r < 0)
		pl_log_warn("cannot set the load average sampler's policy: %s", strerror(-r));
}

static const struct fuse_lowlevel_ops no_ops;

static struct fuse_session *make_session(struct options *o)
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
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	/* libfuse only mounts (options, fusermount3 when not root); we speak the protocol. */
	se = fuse_session_new(&args, &no_ops, sizeof(no_ops), NULL);
	fuse_opt_free_args(&args);
	return se;
}

/* A server started by the keeper: serve the descriptor it holds, from where the servers
 * before left (mountstate.h). The exit status tells the keeper what happened (keeper.h). */
static int serve_main(struct options *o, const char *env)
{
	struct pl_fuse_conn conn = { 0 };
	struct pl_mountstate *state = NULL;
	struct pl_fs *fs = NULL;
	int fuse_fd, state_fd, r, code = PL_SERVER_EXIT_FAILED;
	const char *test;
	char end;

	pl_log_setup("proclensfs", o->foreground ? PL_LOG_STDERR : PL_LOG_SYSLOG, o->debug);
	unsetenv(PL_MOUNTSTATE_ENV);
	keeper_pid = getppid();
	if (sscanf(env, "%d,%d%c", &fuse_fd, &state_fd, &end) != 2 || fcntl(fuse_fd, F_GETFD) < 0 ||
	    fcntl(state_fd, F_GETFD) < 0) {
		pl_log_err("%s=%s: not the descriptors of a keeper", PL_MOUNTSTATE_ENV, env);
		return PL_SERVER_EXIT_FATAL;
	}
	fcntl(fuse_fd, F_SETFD, FD_CLOEXEC);
	fcntl(state_fd, F_SETFD, FD_CLOEXEC);
	r = pl_fuse_serve_block_signals();
	if (r < 0) {
		pl_log_err("cannot block signals: %s", strerror(-r));
		return PL_SERVER_EXIT_FAILED;
	}
	r = pl_mountstate_open(state_fd, &state);
	if (r < 0) {
		pl_log_err("cannot map the mount's state: %s", strerror(-r));
		return PL_SERVER_EXIT_FATAL;
	}
	o->fs.state = state;
	r = pl_fs_new(&o->fs, &fs);
	if (r < 0)
		goto out;
	r = pl_fs_start(fs);
	if (r < 0) {
		pl_log_err("cannot start the load average sampler: %s", strerror(-r));
		goto out;
	}
	o->serve.sched_own = sched_own;
	o->serve.sched_follow = sched_follow;
	o->serve.sched_own_arg = fs;
	conn.fs = fs;
	conn.fd = fuse_fd;
	conn.state = state;
	conn.debug = o->debug;
	test = getenv("PROCLENSFS_TEST_ABORT");
	conn.test_abort_first_read = test && strcmp(test, "first-read") == 0;
	r = pl_fuse_serve(&conn, &o->serve);
	if (r == 0)
		code = PL_SERVER_EXIT_UNMOUNTED;
	else if (r == 1)
		code = PL_SERVER_EXIT_STOPPED;
	else if (r == -EPROTONOSUPPORT) /* --transport=uring and the kernel said no */
		code = PL_SERVER_EXIT_FATAL;
out:
	pl_fs_free(fs);
	pl_mountstate_close(state);
	free(o->fuse_opts);
	return code;
}

int main(int argc, char **argv)
{
	struct options o = {
		.fs = { .cache_ms = DEFAULT_CACHE_MS, .view = { .cpu_count_from_quota = true } },
		.serve = { .threads = 0, .uring_depth = DEFAULT_URING_DEPTH },
	};
	struct pl_fs *fs = NULL;
	struct fuse_session *se = NULL;
	const char *serve_env = getenv(PL_MOUNTSTATE_ENV);
	int r, exit_code = EXIT_FAILURE, state_fd = -1;
	bool mounted = false;
	sigset_t chld;

	r = parse_args(argc, argv, &o);
	if (r != 0) {
		free(o.fuse_opts);
		return r > 0 ? EXIT_SUCCESS : 2;
	}
	if (o.serve.threads == 0)
		o.serve.threads = default_threads();
	raise_nofile_limit();
	if (serve_env)
		return serve_main(&o, serve_env);
	pl_log_setup("proclensfs", PL_LOG_STDERR, o.debug);
	if (prepare_mountpoint(o.mountpoint) < 0)
		goto out;
	if (o.serve.transport == PL_TRANSPORT_URING && enable_uring_param() < 0)
		goto out;
	/* The server makes its own; this one only says now, before mounting, what would stop
	 * it (no /proc, no cgroup hierarchies). */
	r = pl_fs_new(&o.fs, &fs);
	if (r < 0)
		goto out;
	pl_fs_free(fs);
	state_fd = pl_mountstate_create();
	if (state_fd < 0) {
		pl_log_err("cannot create the mount's state: %s", strerror(-state_fd));
		goto out;
	}
	se = make_session(&o);
	if (!se) {
		pl_log_err("cannot create the FUSE session (bad -o option?)");
		goto out;
	}
	r = pl_fuse_serve_block_signals();
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (r < 0 || sigprocmask(SIG_BLOCK, &chld, NULL) < 0) {
		pl_log_err("cannot block signals: %s", strerror(r < 0 ? -r : errno));
		goto out;
	}
	if (fuse_session_mount(se, o.mountpoint) != 0) {
		pl_log_err("cannot mount on %s (is /dev/fuse available, and are we root?)", o.mountpoint);
		goto out;
	}
	mounted = true;
	if (!o.foreground) {
		r = daemonize(o.pidfile);
		if (r < 0)
			goto out; /* said why */
		pl_log_setup("proclensfs", PL_LOG_SYSLOG, o.debug);
	} else if (o.pidfile && (r = write_pidfile(o.pidfile)) < 0) {
		pl_log_err("cannot write pid file %s: %s", o.pidfile, strerror(-r));
		goto out;
	}
	pl_log_info("serving %s", o.mountpoint);
	exit_code = pl_keeper_run(&(struct pl_keeper){
	    .argv = argv, .fuse_fd = fuse_session_fd(se), .state_fd = state_fd });
	if (o.pidfile)
		unlink(o.pidfile);
out:
	if (mounted)
		fuse_session_unmount(se);
	if (se)
		fuse_session_destroy(se);
	if (state_fd >= 0)
		close(state_fd);
	free(o.fuse_opts);
	return exit_code;
}
