/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `proclens run`: the parent side. View, cgroup, clone, placement, supervision, and the
 * cleanup that leaves nothing behind whatever happened in between. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cgroup.h"
#include "proclens/util.h"

/* Exit status for a failure of proclens itself (as other runtimes: 125). */
#define PL_EXIT_SETUP 125

struct run_state {
	struct pl_run_opts *opts;
	char name[80];
	struct pl_view_mount view;
	struct pl_cgroup_root root;
	bool root_open;
	struct pl_owner owner;
	struct pl_cg_container cg;
	bool cg_made;
	struct pl_tty tty;
	bool tty_open;
	int sync_fd[2];
	int sigfd;
	int sysinfo_fd;		  /* the child's seccomp listener for sysinfo(2), or -1 */
	uint64_t start_ns;
	sigset_t blocked, saved_mask;
	pid_t child;
	bool reap_async; /* the command ran: the cgroups go in a reaper (reap) */
};

static void run_state_init(struct run_state *st, struct pl_run_opts *o)
{
	memset(st, 0, sizeof(*st));
	st->opts = o;
	pl_view_mount_init(&st->view);
	st->sync_fd[0] = st->sync_fd[1] = -1;
	st->sigfd = -1;
	st->sysinfo_fd = -1;
	st->child = -1;
	st->tty.master_fd = st->tty.slave_fd = -1;
	pl_owner_init(&st->owner);
}

static void print_err(const struct pl_err *e)
{
	fprintf(stderr, "proclens: %s\n", e->msg);
}

/* The command has exited and its status is known: remove the cgroups in a short-lived
 * child, so `run` returns without waiting for four rmdirs (and, if a process escaped the
 * pid namespace, for it to be killed). The reaper inherits the owner lock and unlinks the
 * lock file last; if it dies half way, the next `run` finds the lock free and finishes
 * (owner.c). Its own session: a Ctrl-C meant for the next command must not stop it. 0 in
 * the parent once the reaper runs, -errno when it could not be started (the caller then
 * removes the cgroups itself). */
static int reap(struct run_state *st)
{
	struct pl_err e = {0};
	pid_t pid;
	int null_fd, r;

	if (st->child > 0 || !st->reap_async)
		return -EAGAIN;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	setsid();
	/* stdout may be a pipe someone reads to its end ($(proclens run ...)): let go of
	 * it. stderr stays for the one line a failure deserves. */
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
	}
	r = pl_cg_remove(&st->cg, &e);
	if (r < 0)
		print_err(&e);
	pl_owner_release(&st->owner, r >= 0);
	_exit(r < 0 ? 1 : 0);
}

static void run_state_cleanup(struct run_state *st)
{
	struct pl_err e = {0};
	int status;

	/* A child that never reached exec (a setup failure after the clone) must not
	 * outlive us; the kernel reaps the rest of its pid namespace with it. */
	if (st->child > 0) {
		kill(st->child, SIGKILL);
		while (waitpid(st->child, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (st->sysinfo_fd >= 0)
		close(st->sysinfo_fd);
	/* The view first: its private mount point is named after the container, and must be
	 * gone before the lock that guards the name is. */
	pl_view_release(&st->view);
	if (st->cg_made && reap(st) == 0) {
		/* The reaper removes the cgroups and then the lock file. */
		st->cg_made = false;
		pl_owner_release(&st->owner, false);
	}
	if (st->cg_made && pl_cg_remove(&st->cg, &e) < 0)
		print_err(&e);
	/* Keep the lock file while a cgroup is left: the next run removes it then. */
	pl_owner_release(&st->owner, !st->cg_made || st->cg.n == 0);
	if (st->root_open)
		pl_cgroup_root_close(&st->root);
	if (st->tty_open)
		pl_tty_close(&st->tty);
	for (int i = 0; i < 2; i++)
		if (st->sync_fd[i] >= 0)
			close(st->sync_fd[i]);
	if (st->sigfd >= 0) {
		close(st->sigfd);
		sigprocmask(SIG_SETMASK, &st->saved_mask, NULL);
	}
}

static int check_inputs(const struct pl_run_opts *o, struct pl_err *e)
{
	struct stat st;

	if (geteuid() != 0)
		return pl_usagef(e, "run needs root (cgroups, namespaces and mounts)");
	if (o->rootfs) {
		if (stat(o->rootfs, &st) < 0)
			return pl_errf(e, -errno, "rootfs %s", o->rootfs);
		if (!S_ISDIR(st.st_mode))
			return pl_errf(e, -ENOTDIR, "rootfs %s", o->rootfs);
	}
	for (size_t i = 0; i < o->n_volumes; i++)
		if (stat(o->volumes[i].src, &st) < 0)
			return pl_errf(e, -errno, "--volume %s", o->volumes[i].src);
	return 0;
}

static int block_signals(struct run_state *st, struct pl_err *e)
{
	sigemptyset(&st->blocked);
	sigaddset(&st->blocked, SIGCHLD);
	sigaddset(&st->blocked, SIGWINCH);
	for (size_t i = 0; i < pl_n_forwarded_signals; i++)
		sigaddset(&st->blocked, pl_forwarded_signals[i]);
	/* A shell starts background jobs with SIGINT and SIGQUIT ignored, and an ignored
	 * signal never reaches a signalfd: back to the default, which blocking then holds. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&st->blocked, sig))
			signal(sig, SIG_DFL);
	/* Blocked from the start: a Ctrl-C during setup is held and then forwarded, instead of
	 * killing us between mkdir and rmdir. */
	if (sigprocmask(SIG_BLOCK, &st->blocked, &st->saved_mask) < 0)
		return pl_errf(e, -errno, "sigprocmask");
	st->sigfd = signalfd(-1, &st->blocked, SFD_CLOEXEC);
	if (st->sigfd < 0) {
		sigprocmask(SIG_SETMASK, &st->saved_mask, NULL);
		return pl_errf(e, -errno, "signalfd");
	}
	return 0;
}

static int prepare(struct run_state *st, struct pl_err *e)
{
	struct pl_run_opts *o = st->opts;
	struct pl_limits limits = {
	    .memory_bytes = o->memory_bytes,
	    .memory_swap_bytes = o->memory_swap_bytes,
	    .memory_swap_unlimited = o->memory_swap_unlimited,
	    .cpu_quota_usec = o->cpu_quota_usec,
	    .cpu_period_usec = o->cpu_period_usec,
	    .cpuset_cpus = o->cpuset_cpus,
	    .pids_limit = o->pids_limit,
	};

	/* --cpus 1.5: two CPUs, so nproc agrees with the views' ceil(quota/period). */
	if (o->cpu_quota_usec != PL_UNLIMITED && !o->cpuset_cpus && !o->all_cpus)
		limits.pick_cpus = (unsigned)((o->cpu_quota_usec + o->cpu_period_usec - 1) / o->cpu_period_usec);
	int r;

	if (o->name)
		snprintf(st->name, sizeof(st->name), "%s", o->name);
	else
		snprintf(st->name, sizeof(st->name), "run-%d", (int)getpid());
	r = check_inputs(o, e);
	if (r < 0)
		return r;
	r = block_signals(st, e);
	if (r < 0)
		return r;
	r = pl_cgroup_root_detect(&st->root);
	if (r < 0)
		return pl_errf(e, r, "cannot find the cgroup hierarchies in /proc/self/mountinfo");
	st->root_open = true;
	r = pl_owner_acquire(&st->root, st->name, &st->owner, e);
	if (r < 0)
		return r;
	pl_owner_sweep(&st->root, st->name);
	if (!o->no_view) {
		r = pl_view_acquire(&st->view, o->view_dir, st->name, e);
		if (r < 0)
			return r;
	}
	r = pl_cg_create(&st->root, st->name, &limits, &st->cg, e);
	if (r < 0)
		return r;
	st->cg_made = true;
	if (o->tty) {
		r = pl_tty_open(&st->tty, e);
		if (r < 0)
			return r;
		st->tty_open = true;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, st->sync_fd) < 0)
		return pl_errf(e, -errno, "socketpair");
	return 0;
}

/* One record from the child, and the fd it may carry (kept in *fd_out). */
static ssize_t receive(int sync_fd, struct pl_err *report, int *fd_out)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = {.iov_base = report, .iov_len = sizeof(*report)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	ssize_t n;

	do
		n = recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	if (n != sizeof(*report)) {
		memset(report, 0, sizeof(*report));
		report->err = EPROTO;
		snprintf(report->msg, sizeof(report->msg), "the container's setup reported garbage");
		return n;
	}
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
			if (*fd_out >= 0)
				close(*fd_out);
			*fd_out = fd;
		}
	}
	return n;
}

/* Clone, place, map, release the child; returns 0 once it has exec'd, or the exit status
 * to use when it reported a failure. */
static int start(struct run_state *st, struct pl_err *e)
{
	struct pl_run_opts *o = st->opts;
	struct pl_child_ctx ctx = {
	    .opts = o,
	    .view = &st->view,
	    .tty = st->tty_open ? &st->tty : NULL,
	    .hostname = o->hostname ? o->hostname : st->name,
	    .caps = pl_caps_effective(o->cap_add, o->cap_drop),
	    .sync_fd = st->sync_fd[1],
	    .cg = &st->cg,
	};
	struct pl_err report;
	bool placed;
	ssize_t n;
	int r, status, self_move;
	char go;
	pid_t pid;

	self_move = pl_cg_prepare_self_move(&st->cg, e);
	if (self_move < 0)
		return self_move;
	st->start_ns = pl_now_boottime_ns();
	pid = pl_clone(pl_ns_flags(o), pl_cg_clone_fd(&st->cg), &placed);
	if (pid < 0)
		return pl_errf(e, pid, "cannot create the container's namespaces");
	if (pid == 0) {
		close(st->sync_fd[0]);
		pl_child_main(&ctx);
	}
	st->child = pid;
	close(st->sync_fd[1]);
	st->sync_fd[1] = -1;
	if (o->userns) {
		r = pl_userns_write_maps(pid, o->userns_host_id, e);
		if (r < 0)
			return r;
	}
	/* v2 with clone3: the child was born in its cgroup. v1: it moves itself (cheap, see
	 * pl_cg_prepare_self_move). Otherwise we move it while it builds its mounts, and it
	 * waits for PL_SYNC_PLACED before joining a cgroup namespace, forking or exec'ing.
	 * MSG_NOSIGNAL: a child that already failed must not kill us with SIGPIPE. */
	go = placed ? PL_SYNC_GO_PLACED : self_move ? PL_SYNC_GO_JOIN : PL_SYNC_GO;
	if (send(st->sync_fd[0], &go, 1, MSG_NOSIGNAL) != 1)
		return pl_errf(e, -errno, "cannot start the container");
	if (go == PL_SYNC_GO) {
		r = pl_cg_place(&st->cg, pid, e);
		if (r < 0)
			return r;
		go = PL_SYNC_PLACED;
		if (send(st->sync_fd[0], &go, 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
			return pl_errf(e, -errno, "cannot start the container");
	}
	if (st->tty_open) {
		close(st->tty.slave_fd);
		st->tty.slave_fd = -1;
	}
	/* EOF: the exec closed the child's end. A record: what failed in there, or (err 0)
	 * the sysinfo listener. */
	for (;;) {
		n = receive(st->sync_fd[0], &report, &st->sysinfo_fd);
		if (n <= 0)
			return 0;
		if (report.err != 0)
			break;
	}
	report.msg[sizeof(report.msg) - 1] = '\0';
	print_err(&report);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	st->child = -1;
	r = pl_exit_status(status);
	return r == 0 ? PL_EXIT_SETUP : r;
}

static void report_oom(const struct run_state *st)
{
	if (!pl_cg_oom_killed(&st->cg))
		return;
	if (st->opts->memory_bytes != PL_UNLIMITED)
		fprintf(stderr,
			"proclens: out of memory: the kernel killed a process of the "
			"container at its limit of %llu MiB\n",
			(unsigned long long)(st->opts->memory_bytes >> 20));
	else
		fprintf(stderr, "proclens: out of memory: the kernel killed a process of the "
				"container\n");
}

int pl_run(struct pl_run_opts *o)
{
	struct run_state st;
	struct pl_err e = {0};
	int r, status, exit_code;

	run_state_init(&st, o);
	r = prepare(&st, &e);
	if (r >= 0)
		r = start(&st, &e);
	if (r < 0) {
		print_err(&e);
		exit_code = PL_EXIT_SETUP;
	} else if (r > 0) {
		exit_code = r;
	} else {
		struct pl_sysinfo_server srv = {
		    .notify_fd = st.sysinfo_fd, .start_ns = st.start_ns, .root = &st.root};
		snprintf(srv.cgroup_path, sizeof(srv.cgroup_path), "proclens/%s", st.name);
		status = pl_supervise(st.child, st.sigfd, st.tty_open ? &st.tty : NULL, &srv, !o->share_pid);
		pl_sysinfo_server_free(&srv);
		st.child = -1;
		exit_code = pl_exit_status(status);
		report_oom(&st);
		st.reap_async = true;
	}
	run_state_cleanup(&st);
	return exit_code;
}

int pl_cmd_run(int argc, char **argv)
{
	struct pl_run_opts o;
	struct pl_err e = {0};
	int r;

	pl_run_opts_init(&o);
	r = pl_run_opts_parse(argc, argv, &o, &e);
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "proclens run: %s\n", e.msg);
		pl_run_opts_free(&o);
		return r > 0 ? 0 : PL_EXIT_SETUP;
	}
	r = pl_run(&o);
	pl_run_opts_free(&o);
	return r;
}
