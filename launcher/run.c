/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `proclens run`: the parent side. View, cgroup, clone, placement, supervision, and the
 * cleanup that leaves nothing behind whatever happened in between. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
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
#include "proclens/cleanup.h"
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
	struct pl_limits limits;
	struct pl_cg_container cg;
	bool cg_made;
	/* The container's mount namespace, held so that its teardown (every mount of the
	 * container, and the copies of the host's) happens in the helper after `run` has
	 * returned, not in the exit of the container's last process, which we wait for. */
	int mntns_fd;
	/* The CPUs we may run on, which the child gets back before it execs (spread). */
	cpu_set_t affinity;
	bool affinity_known;
	struct pl_tty tty;
	bool tty_open;
	int sync_fd[2];
	int sigfd;
	int sysinfo_fd; /* the child's seccomp listener for sysinfo(2), or -1 */
	uint64_t start_ns;
	sigset_t blocked, saved_mask;
	pid_t child;
	int helper_fd; /* write end of the helper's pipe, -1: no helper (start_helper) */
};

static void run_state_init(struct run_state *st, struct pl_run_opts *o)
{
	memset(st, 0, sizeof(*st));
	st->opts = o;
	pl_view_mount_init(&st->view);
	st->sync_fd[0] = st->sync_fd[1] = -1;
	st->sigfd = -1;
	st->sysinfo_fd = -1;
	st->mntns_fd = -1;
	st->helper_fd = -1;
	st->child = -1;
	st->tty.master_fd = st->tty.slave_fd = -1;
	pl_owner_init(&st->owner);
}

static void print_err(const struct pl_err *e)
{
	fprintf(stderr, "proclens: %s\n", e->msg);
}

/* The helper, forked once the command runs. While the container lives it answers the
 * container's sysinfo(2) calls (and samples its load for them); once `run` has ended (the
 * helper's pipe reads EOF when run exits, however it exits) it lets go of the container's
 * mount namespace (the kernel unmounts all of it there), removes the cgroups, and unlinks
 * the lock file last. So `run` itself only relays signals and the terminal and waits, and
 * returns as soon as the command's status is known: no fork, rmdir or unmounting, and no
 * wake-up for the sysinfo listener's hang-up, between the command's exit and its own. It
 * inherits the owner lock; if it dies half way, the next `run` finds the lock free and
 * finishes (owner.c). Its own session: a Ctrl-C meant for the container or for the next
 * command must not stop it. */
static void helper_main(struct run_state *st, struct pl_sysinfo_server *srv, int wait_fd)
    __attribute__((noreturn));
static void helper_main(struct run_state *st, struct pl_sysinfo_server *srv, int wait_fd)
{
	struct pl_err e = {0};
	int null_fd, r;

	setsid();
	/* What belongs to run, not to us: the container's terminal, the channel to its setup,
	 * the signals run forwards, the private view's daemon. */
	if (st->tty_open)
		pl_tty_close(&st->tty);
	if (st->sync_fd[0] >= 0)
		close(st->sync_fd[0]);
	if (st->sigfd >= 0)
		close(st->sigfd);
	if (st->view.daemon_pidfd >= 0)
		close(st->view.daemon_pidfd);
	/* stdout may be a pipe someone reads to its end ($(proclens run ...)): let go of
	 * it. stderr stays for the one line a failure deserves. */
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = wait_fd, .events = POLLIN},
				      {.fd = srv->notify_fd, .events = POLLIN}};
		int n = poll(p, 2, pl_sysinfo_timeout_ms(srv));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents)
			break; /* run is gone (nothing is ever written to the pipe) */
		if (n == 0)
			pl_sysinfo_sample(srv);
		else
			pl_sysinfo_on_poll(srv, p[1].revents);
	}
	pl_sysinfo_server_free(srv);
	/* The last reference: the kernel unmounts the container's filesystem here. */
	if (st->mntns_fd >= 0)
		close(st->mntns_fd);
	r = pl_cg_remove(&st->cg, &e);
	if (r < 0)
		print_err(&e);
	/* run stops a private view and removes its mount point before it exits; if it was
	 * killed, the daemon got SIGTERM and unmounted, and the mount point is left to us. */
	if (st->view.private_daemon && pl_view_dir_remove(st->name) < 0)
		r = -EBUSY;
	/* What owners that died before us left (owner.c), while nothing waits for it: after
	 * the command, not beside it, where it would take CPU time from its start and exit. */
	pl_owner_sweep(&st->root, st->name);
	pl_owner_release(&st->owner, r >= 0);
	_exit(r < 0 ? 1 : 0);
}

/* Forked while the command runs, off the path from its exit to ours. On success the
 * helper serves srv and run stops doing so; -errno when it could not be started, and run
 * serves sysinfo and removes the cgroups itself. */
static int start_helper(struct run_state *st, struct pl_sysinfo_server *srv)
{
	int pipe_fd[2];
	pid_t pid;

	if (!st->cg_made)
		return -EAGAIN;
	if (pipe2(pipe_fd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(pipe_fd[0]);
		close(pipe_fd[1]);
		return r;
	}
	if (pid == 0) {
		close(pipe_fd[1]);
		helper_main(st, srv, pipe_fd[0]);
	}
	close(pipe_fd[0]);
	st->helper_fd = pipe_fd[1];
	if (st->sysinfo_fd >= 0)
		close(st->sysinfo_fd);
	st->sysinfo_fd = srv->notify_fd = -1;
	return 0;
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
	if (st->cg_made && st->helper_fd >= 0) {
		/* The helper removes the cgroups and then the lock file. */
		st->cg_made = false;
		pl_owner_release(&st->owner, false);
	}
	/* The helper has its own reference; without one, the teardown happens here. */
	if (st->mntns_fd >= 0)
		close(st->mntns_fd);
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
	/* Last: the helper cleans up on this EOF. */
	if (st->helper_fd >= 0)
		close(st->helper_fd);
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

static int make_cgroups(struct run_state *st, struct pl_err *e)
{
	int r = pl_cg_create(&st->root, st->name, &st->limits, &st->cg, e);

	if (r < 0)
		return r;
	st->cg_made = true;
	return 0;
}

/* The cgroup hierarchies, and the lock on the container's name. */
static int own_name(struct run_state *st, struct pl_err *e)
{
	int r = pl_cgroup_root_detect(&st->root);

	if (r < 0)
		return pl_errf(e, r, "cannot find the cgroup hierarchies in /proc/self/mountinfo");
	st->root_open = true;
	return pl_owner_acquire(&st->root, st->name, &st->owner, e);
}

static int prepare(struct run_state *st, struct pl_err *e)
{
	struct pl_run_opts *o = st->opts;
	struct pl_limits *limits = &st->limits;
	bool private_view = false;
	int r;

	*limits = (struct pl_limits){
	    .memory_bytes = o->memory_bytes,
	    .memory_swap_bytes = o->memory_swap_bytes,
	    .memory_swap_unlimited = o->memory_swap_unlimited,
	    .cpu_quota_usec = o->cpu_quota_usec,
	    .cpu_period_usec = o->cpu_period_usec,
	    .cpuset_cpus = o->cpuset_cpus,
	    .pids_limit = o->pids_limit,
	    .prefer_cpu = -1,
	};
	/* --cpus 1.5: two CPUs, so nproc agrees with the views' ceil(quota/period). */
	if (o->cpu_quota_usec != PL_UNLIMITED && !o->cpuset_cpus && !o->all_cpus)
		limits->pick_cpus =
		    (unsigned)((o->cpu_quota_usec + o->cpu_period_usec - 1) / o->cpu_period_usec);

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
	if (!o->no_view) {
		r = pl_view_locate(&st->view, o->view_dir, e);
		if (r < 0)
			return r;
		private_view = r == 0;
	}
	/* Pure v2: one directory, made now so that clone3 starts the child in it. A private
	 * view is named after the container: its name is locked first. Otherwise (v1, five
	 * directories) all of that is done while the child builds its filesystem (place). */
	if (private_view || pl_cgroup2_mounted_at("/sys/fs/cgroup")) {
		r = own_name(st, e);
		if (r < 0)
			return r;
	}
	if (private_view) {
		r = pl_view_start_private(&st->view, st->name, e);
		if (r < 0)
			return r;
	}
	if (st->root_open && pl_cgroup_root_is_v2(&st->root)) {
		r = make_cgroups(st, e);
		if (r < 0)
			return r;
	}
	if (o->tty) {
		r = pl_tty_open(&st->tty, e);
		if (r < 0)
			return r;
		st->tty_open = true;
		/* The container's root is userns_host_id on the host: the terminal is its own,
		 * so that opening /dev/console (or the pts) by name works in there too. */
		if (o->userns && fchown(st->tty.slave_fd, o->userns_host_id, o->userns_host_id) < 0)
			return pl_errf(e, -errno, "cannot give %s to the user namespace's root", st->tty.slave_path);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, st->sync_fd) < 0)
		return pl_errf(e, -errno, "socketpair");
	return 0;
}

/* One record from the child, and the fd it may carry (kept in *fd_out). */
static ssize_t receive(int sync_fd, struct pl_err *report, int *fd_out)
{
	int fd;
	unsigned n_fds;
	ssize_t n = pl_chan_recv(sync_fd, report, sizeof(*report), &fd, 1, &n_fds);

	if (n_fds == 1) {
		if (*fd_out >= 0)
			close(*fd_out);
		*fd_out = fd;
	}
	if (n > 0 && n != sizeof(*report)) {
		memset(report, 0, sizeof(*report));
		report->err = EPROTO;
		snprintf(report->msg, sizeof(report->msg), "the container's setup reported garbage");
	}
	return n;
}

/* The signals we, and so the child, inherited as ignored (block_signals reset the ones
 * we forward). */
static uint64_t ignored_signals(void)
{
	char text[4096];
	uint64_t mask;

	/* The kernel's own list, with the two real-time signals glibc keeps to itself
	 * (sigaction refuses to tell about 32 and 33) and one read instead of 64 calls. */
	if (pl_read_status(0, text, sizeof(text)) <= 0 || pl_status_sigmask(text, "SigIgn:", &mask) < 0)
		return ~UINT64_C(0); /* cannot tell: the child resets them all */
	return mask;
}

static int send_sync(struct run_state *st, uint8_t what, const int *fds, unsigned n_fds, struct pl_err *e)
{
	struct pl_sync_msg m = {.what = what};
	int r;

	if (what != PL_SYNC_GO)
		m.ignored_signals = ignored_signals();
	r = pl_chan_send(st->sync_fd[0], &m, sizeof(m), fds, n_fds);

	/* EPIPE: the child failed already; its report, read next, says why. */
	if (r < 0 && r != -EPIPE)
		return pl_errf(e, r, "cannot start the container");
	return 0;
}

/* The child is building its filesystem: make its v1 cgroups and write the limits meanwhile
 * (on two CPUs the two take about the same time), then let it in. v2 with clone3: it was
 * born in its cgroup. v1: it moves itself, through "tasks" files we open (cheap, see
 * pl_cg_prepare_self_move). Otherwise we move it. */
static int place(struct run_state *st, bool placed, struct pl_err *e)
{
	int r, self_move;

	if (!st->root_open) {
		r = own_name(st, e);
		if (r < 0)
			return r;
	}
	if (!st->opts->share_net) {
		r = pl_loopback_up(st->child, e);
		if (r < 0)
			return r;
	}
	if (!st->cg_made) {
		r = make_cgroups(st, e);
		if (r < 0)
			return r;
	}
	if (placed)
		return send_sync(st, PL_SYNC_PLACED, NULL, 0, e);
	self_move = pl_cg_prepare_self_move(&st->cg, e);
	if (self_move < 0)
		return self_move;
	if (self_move)
		return send_sync(st, PL_SYNC_JOIN, st->cg.tasks_fd, st->cg.n, e);
	r = pl_cg_place(&st->cg, st->child, e);
	if (r < 0)
		return r;
	return send_sync(st, PL_SYNC_PLACED, NULL, 0, e);
}

/* The child builds its filesystem while we make its cgroups: on two CPUs the two take about
 * as long each, so side by side they cost one of them. The scheduler often starts a forked
 * child on its parent's CPU, where it waits until the parent blocks: move it to another of
 * our CPUs. It takes the whole set back before it joins its cgroups (join_cgroup, child.c),
 * so what the command runs on is the cpuset's choice, or the caller's, as without this.
 * Best effort: a failure costs time only. */
static void spread(struct run_state *st, pid_t child)
{
	int here = sched_getcpu(), n = CPU_COUNT(&st->affinity);
	cpu_set_t other;

	if (!st->affinity_known || n < 2 || here < 0)
		return;
	CPU_ZERO(&other);
	for (int i = 1; i < CPU_SETSIZE; i++) {
		int cpu = (here + i) % CPU_SETSIZE;
		if (CPU_ISSET(cpu, &st->affinity)) {
			CPU_SET(cpu, &other);
			/* A --cpus pick among equally used CPUs takes this one: the child then
			 * joins its cpuset where it runs, and is not migrated. */
			if (sched_setaffinity(child, sizeof(other), &other) == 0)
				st->limits.prefer_cpu = cpu;
			break;
		}
	}
}

/* A size as the user wrote it: whole GiB, MiB or KiB when it is one, else bytes. */
static void exact_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"GiB", "MiB", "KiB"};

	for (unsigned i = 0; i < PL_ARRAY_SIZE(units); i++) {
		unsigned shift = 30 - 10 * i;
		if (bytes >= (UINT64_C(1) << shift) && bytes % (UINT64_C(1) << shift) == 0) {
			snprintf(buf, size, "%llu %s", (unsigned long long)(bytes >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, size, "%llu byte%s", (unsigned long long)bytes, bytes == 1 ? "" : "s");
}

/* The OOM killer struck in the container: say so (a bare SIGKILL says nothing). Before the
 * exec it killed our own setup, and the limit leaves no room for any command. */
static bool report_oom(const struct run_state *st, bool in_setup)
{
	char limit[48];

	if (!st->cg_made || !pl_cg_oom_killed(&st->cg))
		return false;
	if (st->opts->memory_bytes == PL_UNLIMITED) {
		fprintf(stderr, "proclens: out of memory: the kernel killed a process of the container\n");
		return true;
	}
	exact_size(st->opts->memory_bytes, limit, sizeof(limit));
	if (in_setup)
		fprintf(stderr,
			"proclens: out of memory before the command started: the kernel killed the "
			"container's setup at its limit of %s (--memory too small to start anything)\n",
			limit);
	else
		fprintf(stderr,
			"proclens: out of memory: the kernel killed a process of the container at its "
			"limit of %s\n",
			limit);
	return true;
}

/* The child's setup ended before its exec: say what it reported (report, may be NULL),
 * or that the OOM killer took it; the exit status to use. */
static int setup_ended(struct run_state *st, pid_t pid, struct pl_err *report)
{
	int r, status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (report) {
		report->msg[sizeof(report->msg) - 1] = '\0';
		print_err(report);
	} else if (!report_oom(st, true)) {
		fprintf(stderr, "proclens: the container's setup ended without a word\n");
	}
	st->child = -1;
	r = pl_exit_status(status);
	return r == 0 ? PL_EXIT_SETUP : r;
}

/* A step of ours on the child failed (r): because the child is already dead (the OOM
 * killer in its setup takes it, and with it its /proc files and its end of the channel),
 * its end is what to tell. A dying task drops its files and namespaces before it can be
 * waited for, so errors that say "gone" wait a little for it. */
static int setup_gone(struct run_state *st, pid_t pid, int r)
{
	bool gone_like = r == -ENOENT || r == -ESRCH || r == -ECONNRESET || r == -EPIPE;
	struct pl_err report;
	siginfo_t si = {0};
	ssize_t n;

	for (int i = 0;; i++) {
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
			return r;
		if (si.si_pid == pid)
			break;
		if (!gone_like || i == 100)
			return r;
		usleep(1000);
	}
	n = receive(st->sync_fd[0], &report, &st->sysinfo_fd);
	return setup_ended(st, pid, n > 0 && report.err != 0 ? &report : NULL);
}

/* Clone, map, place, release the child; returns 0 once it has exec'd, or the exit status
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
	    .listener_fd = -1,
	};
	struct pl_err report;
	char ns_path[64];
	bool placed;
	ssize_t n;
	int r;
	pid_t pid;

	st->affinity_known = sched_getaffinity(0, sizeof(st->affinity), &st->affinity) == 0;
	ctx.affinity = st->affinity_known ? &st->affinity : NULL;
	st->start_ns = pl_now_boottime_ns();
	ctx.start_ns = st->start_ns;
	pid = pl_clone(pl_ns_flags(o), st->cg_made ? pl_cg_clone_fd(&st->cg) : -1, &placed);
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
			return setup_gone(st, pid, r);
	}
	r = send_sync(st, PL_SYNC_GO, NULL, 0, e);
	if (r < 0)
		return setup_gone(st, pid, r);
	spread(st, pid);
	/* Best effort: without it the teardown is only slower. */
	snprintf(ns_path, sizeof(ns_path), "/proc/%d/ns/mnt", (int)pid);
	st->mntns_fd = open(ns_path, O_RDONLY | O_CLOEXEC);
	r = place(st, placed, e);
	if (r < 0)
		return setup_gone(st, pid, r);
	if (st->tty_open) {
		close(st->tty.slave_fd);
		st->tty.slave_fd = -1;
	}
	/* One record: what failed in there, or (err 0) ready to exec, with the sysinfo
	 * listener if there is one. A failing exec reports later (late_report). EOF: the
	 * child died before it could say. */
	n = receive(st->sync_fd[0], &report, &st->sysinfo_fd);
	if (n > 0 && report.err == 0)
		return 0;
	return setup_ended(st, pid, n > 0 ? &report : NULL);
}

/* The command has exited: if its exec (or --init's fork) failed, the reason is waiting on
 * the channel. */
static void late_report(const struct run_state *st)
{
	struct pollfd p = {.fd = st->sync_fd[0], .events = POLLIN};
	struct pl_err report;
	int fd = -1;

	if (st->sync_fd[0] < 0 || poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
		return;
	if (receive(st->sync_fd[0], &report, &fd) > 0 && report.err != 0) {
		report.msg[sizeof(report.msg) - 1] = '\0';
		print_err(&report);
	}
	if (fd >= 0)
		close(fd);
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
		start_helper(&st, &srv);
		status = pl_supervise(st.child, st.sigfd, st.tty_open ? &st.tty : NULL, &srv, !o->share_pid,
				      o->init);
		pl_sysinfo_server_free(&srv);
		st.child = -1;
		exit_code = pl_exit_status(status);
		late_report(&st);
		/* Only a failure may be the OOM killer's doing; a command that succeeded is not
		 * kept waiting for the file that would say (its exit is on the clock). */
		if (exit_code != 0)
			report_oom(&st, false);
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
