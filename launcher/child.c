/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container side of `run`, from the clone to the exec. Each failure is reported to the
 * parent over the socketpair (errno + message) so the person reads the real reason. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/util.h"

#define PL_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void pl_report(int fd, const struct pl_err *e)
{
	/* SOCK_SEQPACKET: one record, read whole by the parent. */
	ssize_t n = write(fd, e, sizeof(*e));
	(void)n;
}

static int env_set(char ***env, size_t *n, char *entry)
{
	size_t klen = strcspn(entry, "=");
	char **grown;

	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*env)[i], entry, klen) == 0 && (*env)[i][klen] == '=') {
			(*env)[i] = entry;
			return 0;
		}
	}
	grown = realloc(*env, (*n + 2) * sizeof(char *));
	if (!grown)
		return -ENOMEM;
	*env = grown;
	(*env)[(*n)++] = entry;
	(*env)[*n] = NULL;
	return 0;
}

char **pl_container_env(const struct pl_run_opts *o, const char *hostname, const char *term)
{
	char **env = NULL, *entry;
	size_t n = 0;
	int r = 0;

	/* A clean environment, as in other runtimes: the host's variables (SSH_AUTH_SOCK,
	 * DISPLAY...) mean nothing inside and would leak. */
	r |= env_set(&env, &n, "PATH=" PL_DEFAULT_PATH);
	r |= env_set(&env, &n, "HOME=/root");
	r |= env_set(&env, &n, "container=proclens");
	if (asprintf(&entry, "HOSTNAME=%s", hostname) >= 0)
		r |= env_set(&env, &n, entry);
	if (term && asprintf(&entry, "TERM=%s", term) >= 0)
		r |= env_set(&env, &n, entry);
	for (size_t i = 0; i < o->n_env; i++)
		r |= env_set(&env, &n, o->env[i]);
	if (r) {
		free(env);
		return NULL;
	}
	return env;
}

/* Back to the default for each signal in mask (bit n-1: signal n). The system call itself:
 * glibc's sigaction refuses 32 and 33, which it uses inside threaded programs, and a
 * program exec'd with them ignored would keep that. */
static void reset_ignored(uint64_t mask)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl = {.handler = SIG_DFL};

	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && (mask & (UINT64_C(1) << (sig - 1))))
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

/* The parent makes proclens/NAME and writes its limits while we build the filesystem; once
 * we are in it, that cgroup becomes "/" in a cgroup namespace of our own. Nothing forks or
 * execs before: the limits hold from the command's first instruction. */
static int join_cgroup(struct pl_child_ctx *ctx, struct pl_err *e)
{
	int fds[PL_CTRL_COUNT];
	unsigned n_fds = 0;
	struct pl_sync_msg m = {0};
	ssize_t n = pl_chan_recv(ctx->sync_fd, &m, sizeof(m), fds, PL_CTRL_COUNT, &n_fds);
	int r = 0;

	if (n != sizeof(m) || (m.what != PL_SYNC_JOIN && m.what != PL_SYNC_PLACED))
		_exit(125); /* the parent failed and reports why */
	reset_ignored(m.ignored_signals);
	/* Before the move: a v1 cpuset's CPUs then replace the set, as they would have. */
	if (ctx->affinity)
		sched_setaffinity(0, sizeof(*ctx->affinity), ctx->affinity);
	if (m.what == PL_SYNC_JOIN)
		r = pl_cg_self_move(fds, n_fds, e);
	for (unsigned i = 0; i < n_fds; i++)
		close(fds[i]);
	if (r < 0)
		return r;
	if (unshare(CLONE_NEWCGROUP) < 0)
		return pl_errf(e, -errno, "cannot create a cgroup namespace");
	return 0;
}

/* The last word before the exec: the container is set up, here is its sysinfo listener if
 * it has one. The parent waits no further (it would be woken by the exec, which would pay
 * for the wake-up); a failing exec reports after this, and the parent reads that report
 * once we have exited (pl_run). */
static void send_ready(int sync_fd, int listener_fd)
{
	struct pl_err marker = {0}; /* err 0: not a failure */

	if (pl_chan_send(sync_fd, &marker, sizeof(marker), &listener_fd, listener_fd >= 0 ? 1 : 0) < 0) {
		/* Nobody would answer the listener: sysinfo would block forever. */
		_exit(125);
	}
	if (listener_fd >= 0)
		close(listener_fd);
}

/* A time namespace whose boot clock starts at the container's start: the kernel then counts
 * its processes' starttime (/proc/PID/stat) from there, as the views count uptime, so ps
 * shows true ages and start times (with the host's boot clock it would subtract host-boot
 * start times from a container's uptime). start_ns is from before the clone, so no
 * process starts before that boot. */
static int new_boot_clock(uint64_t start_ns, struct pl_err *e)
{
	char offsets[64];
	uint64_t s = start_ns / 1000000000, ns = start_ns % 1000000000;
	int fd, r;

	if (unshare(CLONE_NEWTIME) < 0) {
		/* A kernel without time namespaces (before 5.6, or built without): ps then
		 * shows ages from the host's boot, as under other runtimes. */
		if (errno == EINVAL)
			return 0;
		return pl_errf(e, -errno, "cannot create a time namespace");
	}
	/* -start_ns as whole seconds and a non-negative fraction, as the kernel takes it. */
	snprintf(offsets, sizeof(offsets), "%d %lld %llu\n", CLOCK_BOOTTIME, -(long long)s - (ns ? 1 : 0),
		 (unsigned long long)(ns ? 1000000000 - ns : 0));
	r = pl_write_file_at(AT_FDCWD, "/proc/self/timens_offsets", offsets);
	if (r < 0)
		return pl_errf(e, r, "cannot set the time namespace's boot clock (%s)", offsets);
	/* And into it now, not at the exec: before Linux 6.0 an exec does not switch time
	 * namespaces, and a process whose children's differs from its own cannot fork twice
	 * (6.1: "Cannot fork" from the second). */
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pl_errf(e, -errno, "cannot open the new time namespace");
	r = setns(fd, CLONE_NEWTIME) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return pl_errf(e, r, "cannot enter the new time namespace");
	return 0;
}

static int setup(struct pl_child_ctx *ctx, struct pl_err *e)
{
	const struct pl_run_opts *o = ctx->opts;
	char tty_src[64];
	struct pl_rootfs_plan plan = {.opts = o, .view = ctx->view};
	struct pl_sync_msg go = {0};
	/* CAP_SYS_ADMIN kept: the filter lets the command make user namespaces. */
	bool notify, admin = ctx->caps & (UINT64_C(1) << CAP_SYS_ADMIN);
	ssize_t n;
	int r;

	/* Wait until the parent has written the id maps. */
	n = read(ctx->sync_fd, &go, sizeof(go));
	if (n != sizeof(go) || go.what != PL_SYNC_GO)
		_exit(125);
	/* A session of its own, as with -t (pl_tty_attach): sharing ours, and so our
	 * terminal as its controlling one, the container could push input into it with
	 * TIOCSTI for our shell to run once we exit. pl_supervise sends it what our terminal
	 * sends us (Ctrl-C). */
	if (!ctx->tty && setsid() < 0)
		return pl_errf(e, -errno, "cannot start a session");
	/* With the host's pid namespace the views count from the host's boot too. Before
	 * the change of ids below: it makes us non-dumpable, and /proc/self then belongs to
	 * the host's root, whose file we could not write. */
	if (!o->share_pid) {
		r = new_boot_clock(ctx->start_ns, e);
		if (r < 0)
			return r;
	}
	/* In a new user namespace we still carry the host's ids (kuid 0), which the map does
	 * not cover: become the namespace's root, host id userns_host_id, and drop the host's
	 * supplementary groups. */
	if (o->userns && (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return pl_errf(e, -errno, "cannot become root in the user namespace");
	/* A change of ids clears the parent-death signal: set it again. */
	if (o->userns)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sethostname(ctx->hostname, strlen(ctx->hostname)) < 0)
		return pl_errf(e, -errno, "cannot set the hostname to '%s'", ctx->hostname);
	if (ctx->tty) {
		r = pl_tty_attach(ctx->tty, e);
		if (r < 0)
			return r;
		/* Through an fd opened here, in our mount namespace (a bind from the parent's fd
		 * would cross namespaces: EINVAL), since /dev is about to be replaced. */
		int console_fd = open(ctx->tty->slave_path, O_PATH | O_CLOEXEC);
		if (console_fd < 0)
			return pl_errf(e, -errno, "cannot open %s", ctx->tty->slave_path);
		snprintf(tty_src, sizeof(tty_src), "/proc/self/fd/%d", console_fd);
		plan.tty_slave = tty_src;
	}
	r = pl_rootfs_setup(&plan, e);
	if (r < 0)
		return r;
	r = join_cgroup(ctx, e);
	if (r < 0)
		return r;
	if (o->workdir && chdir(o->workdir) < 0)
		return pl_errf(e, -errno, "--workdir %s", o->workdir);
	/* Every inherited fd beyond stdio ends at exec; ours (the report channel) too. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return pl_errf(e, -errno, "cannot mark inherited fds close-on-exec");
	r = pl_caps_apply(ctx->caps, o->cap_add, e);
	if (r < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return pl_errf(e, -errno, "cannot set no_new_privs");
	/* sysinfo(2) answered by the parent, like the views answer /proc reads: a kernel
	 * without seccomp user notification (< 5.0) keeps the host's sysinfo. */
	notify = ctx->view && ctx->view->dir;
	r = pl_seccomp_install(notify, admin, &ctx->listener_fd);
	if (r < 0 && notify)
		r = pl_seccomp_install(false, admin, &ctx->listener_fd);
	if (r < 0 && r != -EOPNOTSUPP)
		return pl_errf(e, r, "cannot install the seccomp filter");
	return 0;
}

void pl_child_main(struct pl_child_ctx *ctx)
{
	struct pl_err e = {0};
	const char *term = NULL;
	sigset_t none;
	char **envp;

	/* The parent blocked the signals it forwards (to read them from a signalfd); the
	 * container starts with none blocked (nor any ignored: join_cgroup). Die with the
	 * parent, never outlive it. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	if (setup(ctx, &e) < 0) {
		pl_report(ctx->sync_fd, &e);
		_exit(125);
	}
	if (ctx->tty)
		term = getenv("TERM") ? getenv("TERM") : "xterm";
	envp = pl_container_env(ctx->opts, ctx->hostname, term);
	if (!envp) {
		pl_errf(&e, -ENOMEM, "environment");
		pl_report(ctx->sync_fd, &e);
		_exit(125);
	}
	send_ready(ctx->sync_fd, ctx->listener_fd);
	if (ctx->opts->init)
		_exit(pl_init_run(ctx->opts->argv, envp, ctx->sync_fd));
	pl_exec_command(ctx->opts->argv, envp, ctx->sync_fd);
}
