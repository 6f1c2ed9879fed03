/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeper.h"
#include "mountstate.h"
#include "proclens/log.h"
#include "proclens/util.h"

/* A server that dies within this of its start waits longer before the next one starts,
 * doubling up to the maximum: a server that cannot start must not spin. */
#define QUICK_DEATH_MS 2000
#define FIRST_DELAY_MS 100
#define MAX_DELAY_MS 5000
/* A server asked to stop that has not after this is killed. */
#define STOP_GRACE_MS 10000

extern char **environ;

struct keeper {
	const struct pl_keeper *k;
	char exe_path[PATH_MAX]; /* where we were started from: an upgrade replaces it */
	int exe_fd;		 /* what we were started from, should the path go away */
	pid_t server;
	uint64_t started_ns;
	bool stopping, replacing;
	unsigned quick_deaths; /* in a row */
	unsigned delay_ms;
};

static uint64_t ms_since(uint64_t ns)
{
	return (pl_now_monotonic_ns() - ns) / 1000000;
}

static int keep_open(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

static void start_server(struct keeper *kp)
{
	char env[64];
	sigset_t none;
	pid_t pid = fork();

	if (pid < 0) {
		pl_log_err("cannot start a server: %s", strerror(errno));
		if (kp->delay_ms < FIRST_DELAY_MS) /* try again, but not in a tight loop */
			kp->delay_ms = FIRST_DELAY_MS;
		return;
	}
	if (pid > 0) {
		kp->server = pid;
		kp->started_ns = pl_now_monotonic_ns();
		return;
	}
	/* Its own session: a terminal's ^C goes to the keeper, which stops it, and the server
	 * has an autogroup of its own (its io_uring threads may then run SCHED_IDLE). */
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	snprintf(env, sizeof(env), "%d,%d", kp->k->fuse_fd, kp->k->state_fd);
	if (keep_open(kp->k->fuse_fd) < 0 || keep_open(kp->k->state_fd) < 0 ||
	    setenv(PL_MOUNTSTATE_ENV, env, 1) < 0)
		_exit(PL_SERVER_EXIT_FAILED);
	execve(kp->exe_path, kp->k->argv, environ);
	fexecve(kp->exe_fd, kp->k->argv, environ);
	pl_log_err("cannot run the server %s: %s", kp->exe_path, strerror(errno));
	_exit(PL_SERVER_EXIT_FAILED);
}

static void describe(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/* The server ended: -1 to carry on (another starts, now or after kp->delay_ms), or the
 * program's exit status. */
static int server_ended(struct keeper *kp, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	uint64_t lived = ms_since(kp->started_ns);
	char how[128];

	kp->server = 0;
	describe(status, how, sizeof(how));
	if (kp->stopping)
		return 0;
	if (code == PL_SERVER_EXIT_UNMOUNTED) {
		pl_log_info("unmounted");
		return 0;
	}
	if (code == PL_SERVER_EXIT_FATAL) {
		pl_log_err("the server %s: ending the mount", how);
		return 1;
	}
	if (kp->replacing && code == PL_SERVER_EXIT_STOPPED) {
		kp->replacing = false;
		kp->delay_ms = kp->quick_deaths = 0;
		pl_log_info("replacing the server with %s", kp->exe_path);
		return -1;
	}
	kp->replacing = false;
	/* Readers wait: the first replacement starts at once, later ones of a server that
	 * keeps dying early after a growing pause. */
	kp->quick_deaths = lived < QUICK_DEATH_MS ? kp->quick_deaths + 1 : 0;
	kp->delay_ms = 0;
	if (kp->quick_deaths > 1) {
		unsigned doublings = kp->quick_deaths - 2 < 8 ? kp->quick_deaths - 2 : 8;
		kp->delay_ms = FIRST_DELAY_MS << doublings;
		if (kp->delay_ms > MAX_DELAY_MS)
			kp->delay_ms = MAX_DELAY_MS;
	}
	pl_log_warn("the server %s after %llu ms: starting another%s", how, (unsigned long long)lived,
		    kp->delay_ms ? " shortly" : "");
	return -1;
}

int pl_keeper_run(const struct pl_keeper *k)
{
	struct keeper kp = {.k = k, .exe_fd = -1};
	uint64_t stop_asked_ns = 0;
	sigset_t set;
	ssize_t n;
	int result = -1;

	n = readlink("/proc/self/exe", kp.exe_path, sizeof(kp.exe_path) - 1);
	kp.exe_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (n <= 0 || kp.exe_fd < 0) {
		pl_log_err("cannot find our own program: %s", strerror(errno));
		if (kp.exe_fd >= 0)
			close(kp.exe_fd);
		return 1;
	}
	kp.exe_path[n] = '\0';
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	start_server(&kp);
	while (result < 0) {
		struct timespec wait = {0};
		const struct timespec *timeout = NULL;
		int sig;

		if (!kp.server && kp.stopping)
			break;
		if (!kp.server) {
			wait.tv_sec = kp.delay_ms / 1000;
			wait.tv_nsec = (long)(kp.delay_ms % 1000) * 1000000;
			timeout = &wait;
		} else if (kp.stopping) {
			wait.tv_nsec = 100 * 1000000;
			timeout = &wait;
			if (ms_since(stop_asked_ns) > STOP_GRACE_MS) {
				pl_log_warn("the server %d has not stopped: killing it", (int)kp.server);
				kill(kp.server, SIGKILL);
			}
		}
		sig = sigtimedwait(&set, NULL, timeout);
		if (sig < 0) {
			if (errno == EAGAIN && !kp.server && !kp.stopping)
				start_server(&kp);
			continue;
		}
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			if (!kp.stopping) {
				pl_log_info("%s: stopping", strsignal(sig));
				kp.stopping = true;
				stop_asked_ns = pl_now_monotonic_ns();
				if (kp.server)
					kill(kp.server, SIGTERM);
			}
			break;
		case SIGHUP:
			if (kp.server && !kp.stopping) {
				kp.replacing = true;
				kill(kp.server, SIGTERM);
			}
			break;
		case SIGCHLD:
			for (;;) {
				int status;
				pid_t pid = waitpid(-1, &status, WNOHANG);

				if (pid <= 0)
					break;
				if (pid == kp.server)
					result = server_ended(&kp, status);
				if (result < 0 && !kp.server && !kp.stopping && kp.delay_ms == 0)
					start_server(&kp);
			}
			break;
		}
	}
	close(kp.exe_fd);
	return result < 0 ? 0 : result;
}
