/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Processes: exec and its failures, exit statuses, signal forwarding, the --init pid 1 and
 * the pseudo-terminal relay. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

const int pl_forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
const size_t pl_n_forwarded_signals = PL_ARRAY_SIZE(pl_forwarded_signals);

int pl_exit_status(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return 255;
}

/* The shell's convention, which other runtimes follow: 127 "not found", 126 "found but
 * cannot be run". */
int pl_exec_failure_status(int err)
{
	return err == ENOENT || err == ENOTDIR ? 127 : 126;
}

void pl_exec_command(char **argv, char **envp, int report_fd)
{
	extern char **environ;
	struct pl_err e = {0};
	int err;

	/* execvp looks PATH up in environ, so the container's environment goes there. */
	environ = envp;
	execvp(argv[0], argv);
	err = errno;
	pl_errf(&e, -err, "cannot execute '%s'", argv[0]);
	pl_report(report_fd, &e);
	_exit(pl_exec_failure_status(err));
}

/* A SIGINT or SIGQUIT our terminal generated: it reached our foreground process group, but
 * not the container, which has a session of its own (child.c). */
static bool from_terminal(const struct signalfd_siginfo *si)
{
	return si->ssi_code == SI_KERNEL && (si->ssi_signo == SIGINT || si->ssi_signo == SIGQUIT);
}

int pl_init_run(char **argv, char **envp, int report_fd)
{
	sigset_t set;
	pid_t cmd;
	int sigfd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < pl_n_forwarded_signals; i++)
		sigaddset(&set, pl_forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0) {
		struct pl_err e;
		pl_errf(&e, -errno, "init: signalfd");
		pl_report(report_fd, &e);
		return 125;
	}
	cmd = fork();
	if (cmd < 0) {
		struct pl_err e;
		pl_errf(&e, -errno, "init: cannot fork the command");
		pl_report(report_fd, &e);
		return 125;
	}
	if (cmd == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		pl_exec_command(argv, envp, report_fd);
	}
	/* The command's exec closes its copy; ours must go too, or the parent never sees
	 * the end of the report channel. We never exec, so nothing of proclens's (the host's
	 * cgroup hierarchies, the lock file, the caller's descriptors: each a way out of
	 * the rootfs) may stay open here but stdio and the signalfd; and the container's
	 * processes, which run as our uid with our capabilities, must not reach the rest of
	 * us through /proc/1 (fd, root, exe, mem) or ptrace. */
	close(report_fd);
	if (sigfd > 3)
		syscall(SYS_close_range, 3U, (unsigned)sigfd - 1, 0U);
	syscall(SYS_close_range, (unsigned)sigfd + 1, ~0U, 0U);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (;;) {
		struct signalfd_siginfo si;
		int status;
		pid_t pid;

		if (pl_read_all(sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			kill(cmd, (int)si.ssi_signo);
			continue;
		}
		/* Reap everything: orphans of the namespace are reparented to us. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				return pl_exit_status(status);
	}
}

void pl_tty_close(struct pl_tty *t)
{
	if (t->master_fd >= 0)
		close(t->master_fd);
	if (t->slave_fd >= 0)
		close(t->slave_fd);
	t->master_fd = t->slave_fd = -1;
}

int pl_tty_open(struct pl_tty *t, struct pl_err *e)
{
	struct winsize ws;

	t->slave_fd = -1;
	t->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master_fd < 0)
		return pl_errf(e, -errno, "cannot open a pseudo-terminal");
	if (grantpt(t->master_fd) < 0 || unlockpt(t->master_fd) < 0 ||
	    ptsname_r(t->master_fd, t->slave_path, sizeof(t->slave_path)) != 0) {
		int r = -errno;
		pl_tty_close(t);
		return pl_errf(e, r, "cannot unlock the pseudo-terminal");
	}
	t->slave_fd = open(t->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave_fd < 0) {
		int r = -errno;
		pl_tty_close(t);
		return pl_errf(e, r, "cannot open %s", t->slave_path);
	}
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master_fd, TIOCSWINSZ, &ws);
	return 0;
}

int pl_tty_attach(struct pl_tty *t, struct pl_err *e)
{
	if (setsid() < 0)
		return pl_errf(e, -errno, "setsid");
	if (ioctl(t->slave_fd, TIOCSCTTY, 0) < 0)
		return pl_errf(e, -errno, "cannot make %s the controlling terminal", t->slave_path);
	if (dup2(t->slave_fd, STDIN_FILENO) < 0 || dup2(t->slave_fd, STDOUT_FILENO) < 0 ||
	    dup2(t->slave_fd, STDERR_FILENO) < 0)
		return pl_errf(e, -errno, "cannot attach %s", t->slave_path);
	return 0;
}

/* Copy what is readable from one fd to another; false at EOF or error (EIO: the last
 * holder of the slave side is gone). */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	return pl_write_all(to, buf, (size_t)n) >= 0;
}

static void drain(int master_fd)
{
	struct pollfd p = {.fd = master_fd, .events = POLLIN};

	while (poll(&p, 1, 50) == 1 && (p.revents & POLLIN) && pump(master_fd, STDOUT_FILENO))
		;
}

int pl_status_sigmask(const char *status_text, const char *key, uint64_t *mask)
{
	const char *line = strstr(status_text, key);
	unsigned long long m;

	if (!line || sscanf(line + strlen(key), "%llx", &m) != 1)
		return -EINVAL;
	*mask = m;
	return 0;
}

ssize_t pl_read_status(pid_t pid, char *buf, size_t size)
{
	char path[64];

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/status");
	else
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return pl_read_file_at_buf(AT_FDCWD, path, buf, size);
}

bool pl_init_drops_signal(const char *status_text, int sig)
{
	static const char *const keys[] = {"SigBlk:", "SigIgn:", "SigCgt:"};
	uint64_t bit = UINT64_C(1) << (sig - 1);

	/* Blocked: queued for a signalfd or sigwait (our --init). Ignored: the command's own
	 * choice, which it would make outside a container too. Caught: a handler runs. */
	for (size_t i = 0; i < PL_ARRAY_SIZE(keys); i++) {
		uint64_t mask;
		if (pl_status_sigmask(status_text, keys[i], &mask) < 0)
			return false; /* cannot tell: leave it to a second signal */
		if (mask & bit)
			return false;
	}
	return true;
}

static bool init_drops(pid_t pid, int sig)
{
	char text[4096];

	return pl_read_status(pid, text, sizeof(text)) > 0 && pl_init_drops_signal(text, sig);
}

/* Ctrl-C must always end a container. The init of a pid namespace gets only the signals it
 * has a handler for (or blocks): `proclens run -- sleep 1000`, with sleep as pid 1, would
 * shrug off every SIGINT and SIGTERM. So:
 *  - a SIGINT or SIGTERM the init has no handler for (and does not block or ignore) kills the
 *    container at once, as that signal would kill the command outside a container; run
 *    exits 128+signal, like a shell would report it;
 *  - a second SIGINT or SIGTERM, whatever the init does with signals, kills the container
 *    with SIGKILL (exit 137): a command that handles the first one slowly or not at all
 *    is ended by pressing Ctrl-C again. */
struct interrupts {
	unsigned count;
	int forced_sig; /* the signal a shielded init would have died of, 0: none */
};

static void on_interrupt(pid_t pid, bool ns_init, int sig, struct interrupts *in)
{
	if (sig != SIGINT && sig != SIGTERM)
		return;
	if (++in->count >= 2) {
		if (in->count == 2)
			fprintf(stderr, "proclens: %s again: killing the container\n",
				sig == SIGINT ? "interrupted" : "terminated");
		kill(pid, SIGKILL);
		in->forced_sig = 0;
		return;
	}
	if (ns_init && init_drops(pid, sig)) {
		kill(pid, SIGKILL);
		in->forced_sig = sig;
	}
}

int pl_supervise(pid_t pid, int sigfd, struct pl_tty *tty, struct pl_sysinfo_server *srv, bool ns_init,
		 bool own_init)
{
	struct termios saved;
	struct interrupts in = {0};
	bool raw = false, stdin_open = tty != NULL, reaped = false;
	int status = 0;

	if (tty && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	for (;;) {
		struct pollfd p[4] = {
		    {.fd = sigfd, .events = POLLIN},
		    {.fd = tty ? tty->master_fd : -1, .events = POLLIN},
		    {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
		    {.fd = srv ? srv->notify_fd : -1, .events = POLLIN},
		};
		struct signalfd_siginfo si;
		bool exited = false;
		int n = poll(p, 4, srv ? pl_sysinfo_timeout_ms(srv) : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0) {
			pl_sysinfo_sample(srv);
			continue;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!pump(tty->master_fd, STDOUT_FILENO))
				p[1].fd = -1;
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!pump(STDIN_FILENO, tty->master_fd))
				stdin_open = false;
		}
		if (p[3].revents)
			pl_sysinfo_on_poll(srv, p[3].revents);
		if (!(p[0].revents & POLLIN))
			continue;
		if (pl_read_all(sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			exited = reaped = w == pid;
		} else if (si.ssi_signo == SIGWINCH) {
			struct winsize ws;
			if (tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(tty->master_fd, TIOCSWINSZ, &ws);
		} else {
			/* The container has a session of its own: what our terminal sent our
			 * foreground group, we send the command's group (our --init passes
			 * it on to the command itself). */
			if (!tty && !own_init && from_terminal(&si))
				kill(-pid, (int)si.ssi_signo);
			else
				kill(pid, (int)si.ssi_signo);
			on_interrupt(pid, ns_init, (int)si.ssi_signo, &in);
		}
		if (exited)
			break;
	}
	/* Only a failing poll gets here unreaped: wait the plain way. */
	while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (tty)
		drain(tty->master_fd);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	/* Killed for a signal it could not receive: report that signal, as a shell would
	 * have seen the command die of it. */
	if (in.forced_sig && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		status = in.forced_sig;
	return status;
}
