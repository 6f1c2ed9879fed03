/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The view: which proclensfs mount serves this container (--view DIR, the daemon at the
 * default mount point, or a private one started for the container's lifetime), and which
 * of its files get bound over /proc and /sys inside. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"
#include "proclens/view.h"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

#define PL_VIEW_STOP_TIMEOUT_MS 3000

void pl_view_mount_init(struct pl_view_mount *v)
{
	memset(v, 0, sizeof(*v));
	v->daemon_pid = -1;
	v->daemon_pidfd = -1;
}

char *pl_find_program(const char *name)
{
	char self[PATH_MAX], *slash, *path, *save = NULL, *copy;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *found = NULL;

	/* Next to our own binary first: a build tree or a package keeps the two together, and
	 * a different proclensfs earlier in PATH would be the wrong version. */
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&found, "%s/%s", self, name) >= 0 && access(found, X_OK) == 0)
				return found;
			free(found);
			found = NULL;
		}
	}
	path = getenv("PATH");
	copy = strdup(path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin");
	if (!copy)
		return NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (asprintf(&found, "%s/%s", dir, name) < 0) {
			found = NULL;
			break;
		}
		if (access(found, X_OK) == 0)
			break;
		free(found);
		found = NULL;
	}
	free(copy);
	return found;
}

/* A live proclensfs: a FUSE mount that answers for proc/meminfo. A dead daemon's mount
 * answers ENOTCONN and is not live. */
static int view_live(const char *dir)
{
	struct statfs sfs;
	char path[PATH_MAX];
	struct stat st;

	if (statfs(dir, &sfs) < 0)
		return -errno;
	if (sfs.f_type != FUSE_SUPER_MAGIC)
		return -ENOTCONN;
	snprintf(path, sizeof(path), "%s/proc/meminfo", dir);
	if (stat(path, &st) < 0)
		return -errno;
	return 0;
}

/* The files to bind over /proc come from the daemon's own table (lib/view.c), not from a
 * readdir of the mount: a readdir is four FUSE round trips on every container start, each
 * waiting for a daemon thread to be scheduled. A file this table names that an older
 * daemon does not serve is skipped at bind time (the bind's source is missing). */
static int scan(struct pl_view_mount *v, struct pl_err *e)
{
	char path[PATH_MAX];
	struct stat st;

	v->proc_files = calloc(pl_views_count, sizeof(char *));
	if (!v->proc_files)
		return pl_errf(e, -ENOMEM, "view");
	for (size_t i = 0; i < pl_views_count; i++) {
		const char *name = pl_views[i].path + strlen("proc/");
		/* Regular files directly under proc/ are bound one by one (procfs takes no new
		 * names); proc/pressure/ as one directory over the kernel's. */
		if (strncmp(pl_views[i].path, "proc/pressure/", 14) == 0)
			v->has_pressure = true;
		if (strncmp(pl_views[i].path, "proc/", 5) != 0 || strchr(name, '/') ||
		    !S_ISREG(pl_views[i].mode))
			continue;
		v->proc_files[v->n_proc_files] = strdup(name);
		if (!v->proc_files[v->n_proc_files])
			return pl_errf(e, -ENOMEM, "view");
		v->n_proc_files++;
	}
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu", v->dir);
	v->has_sys_cpu = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	return 0;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

/* Our own proclensfs, in the foreground as our child: it gets SIGTERM (and unmounts) when we
 * die, even by SIGKILL, and its own session so a Ctrl-C meant for the container does not
 * take the view away. */
static int start_private(struct pl_view_mount *v, const char *name, struct pl_err *e)
{
	_cleanup_free_ char *prog = pl_find_program("proclensfs");
	char dir[PATH_MAX];
	uint64_t deadline;
	unsigned pause_us = 200;
	int status;
	pid_t pid;

	if (!prog)
		return pl_usagef(
		    e, "no proclensfs next to proclens or in PATH, and none mounted at " PL_VIEW_DEFAULT_DIR
		       " (use --view DIR or --no-view)");
	/* Named after the container, whose lock we hold: a run that finds the lock free can
	 * tell this directory was left by a dead owner and remove it (owner.c). */
	pl_view_dir_of(name, dir, sizeof(dir));
	if (mkdir(dir, 0755) < 0)
		return pl_errf(e, -errno, "cannot create the mount point %s", dir);
	v->dir = strdup(dir);
	v->private_daemon = true;
	if (!v->dir)
		return pl_errf(e, -ENOMEM, "view");

	pid = fork();
	if (pid < 0)
		return pl_errf(e, -errno, "cannot start %s", prog);
	if (pid == 0) {
		sigset_t none;
		int null_fd;
		/* `run` blocks the signals it forwards; the daemon must not inherit that. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		setsid();
		null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		/* Quiet: its log would mix with the container's output. A failure to mount is
		 * reported by us; `proclensfs -f DIR` shows the daemon's own reason. */
		if (null_fd >= 0) {
			dup2(null_fd, STDIN_FILENO);
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		execl(prog, "proclensfs", "-f", dir, (char *)NULL);
		fprintf(stderr, "proclens: cannot execute %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	v->daemon_pid = pid;
	/* Without one (before Linux 5.3) the daemon is stopped by its pid, our child's. */
	v->daemon_pidfd = pl_pidfd_open(pid, 0);
	if (v->daemon_pidfd < 0)
		v->daemon_pidfd = -1;
	/* Mounted when the directory answers as a proclensfs; gone if the daemon exits. */
	deadline = pl_now_monotonic_ns() + 10ULL * 1000000000ULL;
	while (view_live(dir) < 0) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			v->daemon_pid = -1;
			return pl_usagef(e,
					 "%s could not mount a private view on %s (exit status %d; "
					 "`%s -f DIR` tells why)",
					 prog, dir, pl_exit_status(status), prog);
		}
		if (pl_now_monotonic_ns() > deadline)
			return pl_errf(e, -ETIMEDOUT, "%s did not mount %s", prog, dir);
		sleep_us(pause_us);
		if (pause_us < 20000)
			pause_us *= 2;
	}
	return 0;
}

int pl_view_locate(struct pl_view_mount *v, const char *view_dir, struct pl_err *e)
{
	int r;

	if (view_dir) {
		r = view_live(view_dir);
		if (r < 0)
			return pl_errf(e, r, "--view %s: no proclensfs answers there", view_dir);
		v->dir = strdup(view_dir);
	} else if (view_live(PL_VIEW_DEFAULT_DIR) == 0) {
		v->dir = strdup(PL_VIEW_DEFAULT_DIR);
	} else {
		return 0;
	}
	if (!v->dir)
		return pl_errf(e, -ENOMEM, "view");
	r = scan(v, e);
	return r < 0 ? r : 1;
}

int pl_view_start_private(struct pl_view_mount *v, const char *name, struct pl_err *e)
{
	int r = start_private(v, name, e);

	return r < 0 ? r : scan(v, e);
}

static bool wait_pidfd(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, timeout_ms) == 1;
}

void pl_view_release(struct pl_view_mount *v)
{
	for (size_t i = 0; i < v->n_proc_files; i++)
		free(v->proc_files[i]);
	free(v->proc_files);
	v->proc_files = NULL;
	v->n_proc_files = 0;
	if (v->private_daemon && v->dir) {
		bool gone = false;

		/* SIGTERM makes proclensfs unmount and exit; if it does not, we unmount. */
		if (v->daemon_pid > 0) {
			int status;
			if (v->daemon_pidfd >= 0) {
				syscall(SYS_pidfd_send_signal, v->daemon_pidfd, SIGTERM, NULL, 0);
				gone = wait_pidfd(v->daemon_pidfd, PL_VIEW_STOP_TIMEOUT_MS);
			} else {
				kill(v->daemon_pid, SIGTERM);
			}
			if (!gone)
				kill(v->daemon_pid, SIGKILL);
			while (waitpid(v->daemon_pid, &status, 0) < 0 && errno == EINTR)
				;
		}
		if (umount2(v->dir, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
			fprintf(stderr, "proclens: cannot unmount the private view %s: %s\n", v->dir,
				strerror(errno));
		rmdir(v->dir);
	}
	if (v->daemon_pidfd >= 0)
		close(v->daemon_pidfd);
	free(v->dir);
	pl_view_mount_init(v);
}
