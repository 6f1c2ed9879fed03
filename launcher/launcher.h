/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The launcher's internal API: `proclens run` and the pieces it is made of. Every fallible
 * function returns >= 0 or -errno; those that can fail for a reason a person must read also
 * fill a struct pl_err with one line naming what failed, on what, and why. */

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "proclens/cgroup.h"
#include "proclens/cpuset.h"
#include "proclens/host.h"
#include "proclens/view.h"

/* ---- errors (error.c) ---- */

struct pl_err {
	int err;       /* positive errno, 0 when nothing failed */
	char msg[480]; /* "cannot mount proc on /proc: Operation not permitted" */
};

/* Record "<fmt>: strerror(-r)" and return r (negative). r == 0 is treated as -EINVAL. */
int pl_errf(struct pl_err *e, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record "<fmt>" with no errno text appended (usage errors). Returns -EINVAL. */
int pl_usagef(struct pl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- options (options.c) ---- */

#define PL_CAP_SET_BITS 64 /* capability numbers below this fit in the masks */

struct pl_volume {
	char *src;
	char *dst;
	bool read_only;
};

struct pl_run_opts {
	char **argv; /* the command and its arguments, inside the caller's argv */

	char *name;	/* container (and cgroup) name; NULL: "run-<pid>" */
	char *hostname; /* NULL: the name */

	bool userns;
	uid_t userns_host_id; /* first host uid/gid the container's ids map to */
	bool share_net;
	bool share_pid;

	/* Limits; PL_UNLIMITED when not given. */
	uint64_t memory_bytes;
	uint64_t memory_swap_bytes; /* memory + swap, as --memory-swap in other runtimes */
	bool memory_swap_unlimited; /* --memory-swap -1 */
	uint64_t cpu_quota_usec;    /* over cpu_period_usec */
	uint64_t cpu_period_usec;
	char *cpuset_cpus; /* normalised list, NULL when not given */
	bool all_cpus;	   /* --all-cpus: --cpus limits the quota only, no cpuset is picked */
	uint64_t pids_limit;

	char *rootfs; /* NULL: the host's root */
	bool overlay;
	char *overlay_dir; /* NULL: changes are thrown away */
	bool read_only;
	struct pl_volume *volumes;
	size_t n_volumes;
	char *workdir;
	char **env; /* "KEY=VALUE" entries from --env, in order */
	size_t n_env;

	char *view_dir; /* --view */
	bool no_view;

	uint64_t cap_add; /* bit n: capability n */
	uint64_t cap_drop;

	bool init;
	bool tty;
};

void pl_run_opts_init(struct pl_run_opts *o);
void pl_run_opts_free(struct pl_run_opts *o);
/* Parse `run`'s arguments (argv[0] is "run"). Returns 1 when --help was asked (usage
 * printed to stdout), 0 when o is ready, -errno with e filled on a bad option. */
int pl_run_opts_parse(int argc, char **argv, struct pl_run_opts *o, struct pl_err *e);
void pl_run_usage(FILE *f);

/* Pure helpers, exposed for the unit tests. */
int pl_parse_cpus(const char *s, uint64_t period_usec, uint64_t *quota_usec);
int pl_parse_volume(const char *s, struct pl_volume *v);
/* A container's lock file is /run/proclens/NAME.lock (owner.c). */
#define PL_LOCK_SUFFIX ".lock"
bool pl_valid_name(const char *name);

/* ---- capabilities (caps.c) ---- */

/* The set container runtimes grant by default. */
uint64_t pl_caps_default(void);
/* "CAP_NET_ADMIN", "net_admin", "ALL" and comma lists of them, OR-ed into *mask. */
int pl_caps_parse(const char *list, uint64_t *mask);
uint64_t pl_caps_effective(uint64_t add, uint64_t drop);
/* Reduce bounding, permitted, effective, inheritable and ambient sets to mask, less what
 * is not in our own bounding set; -EPERM if that includes a capability of added (the
 * --cap-add mask) other than through ALL. */
int pl_caps_apply(uint64_t mask, uint64_t added, struct pl_err *e);

/* ---- cgroups (cgroup_setup.c) ---- */

struct pl_limits {
	uint64_t memory_bytes;	    /* PL_UNLIMITED: none */
	uint64_t memory_swap_bytes; /* memory + swap, PL_UNLIMITED: none */
	bool memory_swap_unlimited;
	uint64_t cpu_quota_usec; /* PL_UNLIMITED: none */
	uint64_t cpu_period_usec;
	const char *cpuset_cpus; /* NULL: none */
	unsigned pick_cpus;	 /* without cpuset_cpus: pin to this many CPUs, 0: all */
	int prefer_cpu;		 /* pick_cpus: first among equally used CPUs, -1: none */
	uint64_t pids_limit;	 /* PL_UNLIMITED: none */
};

struct pl_cg_container {
	bool v2;
	/* One created directory per hierarchy (v2: one), as dirfds below the mount. */
	int dir_fd[PL_CTRL_COUNT];
	int parent_fd[PL_CTRL_COUNT];  /* the "proclens" parent in that hierarchy */
	char path[PL_CTRL_COUNT][512]; /* for messages: "/sys/fs/cgroup/memory/proclens/web" */
	enum pl_controller ctrl[PL_CTRL_COUNT];
	int tasks_fd[PL_CTRL_COUNT]; /* v1 "tasks", opened by us for the child's self-move */
	unsigned n;
	char name[128];
};

/* Create proclens/NAME in every hierarchy the limits need (and memory, cpu accounting and
 * pids always, for the views), write the limits. On failure nothing is left. */
int pl_cg_create(const struct pl_cgroup_root *root, const char *name, const struct pl_limits *l,
		 struct pl_cg_container *c, struct pl_err *e);
/* Pure: choose `want` CPUs of `allowed`, those in the fewest of the siblings' sets, ties
 * to `prefer` (-1: none), then to the lowest number (for --cpus without --cpuset-cpus). */
void pl_cpus_pick(const struct pl_cpuset *allowed, const struct pl_cpuset *siblings, size_t n_siblings,
		  unsigned want, int prefer, struct pl_cpuset *out);
/* v2: an O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP), or -1. */
int pl_cg_clone_fd(const struct pl_cg_container *c);
/* Move pid into every created cgroup (when clone3 could not place it). */
int pl_cg_place(const struct pl_cg_container *c, pid_t pid, struct pl_err *e);
/* v1: open the "tasks" files (c->tasks_fd) the child writes "0" to, moving itself (see
 * cgroup_setup.c). Returns 1 when the child can move itself, 0 when the parent must place
 * it. */
int pl_cg_prepare_self_move(struct pl_cg_container *c, struct pl_err *e);
/* In the child: move the calling (single-threaded) process into the cgroups whose "tasks"
 * files the parent opened (pl_cg_prepare_self_move) and handed over. */
int pl_cg_self_move(const int *tasks_fds, unsigned n, struct pl_err *e);
/* Did the kernel OOM-kill something in the container? */
bool pl_cg_oom_killed(const struct pl_cg_container *c);
/* Kill what is left, wait for the cgroups to empty, remove them. */
int pl_cg_remove(struct pl_cg_container *c, struct pl_err *e);

/* ---- namespaces (namespaces.c) ---- */

/* clone3() (with CLONE_INTO_CGROUP when cgroup_fd >= 0) falling back to clone().
 * Returns the pid in the parent, 0 in the child; *placed tells whether the kernel put the
 * child into cgroup_fd. */
pid_t pl_clone(uint64_t flags, int cgroup_fd, bool *placed);
uint64_t pl_ns_flags(const struct pl_run_opts *o);
int pl_userns_write_maps(pid_t pid, uid_t host_id, struct pl_err *e);
/* Bring up lo in pid's (new) network namespace. */
int pl_loopback_up(pid_t pid, struct pl_err *e);

/* ---- the view (view.c) ---- */

struct pl_view_mount {
	char *dir;	     /* the proclensfs mount point in use, NULL: none */
	bool private_daemon; /* we started it, we stop it */
	pid_t daemon_pid;
	int daemon_pidfd;
	char **proc_files; /* names of regular files under DIR/proc */
	size_t n_proc_files;
	bool has_sys_cpu; /* DIR/sys/devices/system/cpu is a directory */
	bool has_pressure; /* the daemon's table has proc/pressure/ files */
};

#define PL_VIEW_DEFAULT_DIR "/var/lib/proclensfs"

void pl_view_mount_init(struct pl_view_mount *v);
/* Use --view DIR (an error if no proclensfs answers there), or the daemon at the default
 * mount point: 1. 0 when neither (pl_view_start_private then), -errno with e filled. */
int pl_view_locate(struct pl_view_mount *v, const char *view_dir, struct pl_err *e);
/* Start a private proclensfs mounted on /run/proclens/view.NAME (name: the container's,
 * whose owner lock we hold), for the container's lifetime. */
int pl_view_start_private(struct pl_view_mount *v, const char *name, struct pl_err *e);
void pl_view_release(struct pl_view_mount *v);
/* Find a program next to /proc/self/exe, then in PATH. Returns a malloc'ed path. */
char *pl_find_program(const char *name);

/* ---- who owns a container name (owner.c) ---- */

#define PL_RUN_DIR "/run/proclens"

struct pl_owner {
	int fd; /* the flock'ed /run/proclens/NAME.lock, or -1 */
	char path[256];
};

void pl_owner_init(struct pl_owner *o);
/* Lock NAME (waiting up to 2 s for the reaper of a finished container of that name), after
 * removing what a dead owner of NAME left. */
int pl_owner_acquire(const struct pl_cgroup_root *root, const char *name, struct pl_owner *o,
		     struct pl_err *e);
/* Remove the leftovers of every other name whose lock nobody holds. */
void pl_owner_sweep(const struct pl_cgroup_root *root, const char *skip_name);
/* Drop the lock; unlink_file once nothing of the container is left. */
void pl_owner_release(struct pl_owner *o, bool unlink_file);
/* /run/proclens/view.NAME, the private view's mount point. */
void pl_view_dir_of(const char *name, char *buf, size_t size);
/* Detach whatever is mounted on NAME's private view mount point and remove it (the caller
 * holds NAME's lock). 0 when it is gone, -EBUSY when it could not be removed. */
int pl_view_dir_remove(const char *name);

/* ---- root filesystem (rootfs.c) ---- */

struct pl_rootfs_plan {
	const struct pl_run_opts *opts;
	const struct pl_view_mount *view;
	const char *tty_slave; /* bound over /dev/console when -t, else NULL */
};

/* In the child, in its new mount namespace: everything up to and including the switch of
 * root. Afterwards "/" is the container's root. */
int pl_rootfs_setup(const struct pl_rootfs_plan *p, struct pl_err *e);
/* Parse "ro"/"rw" independent helpers for tests. */
const char *pl_masked_paths(size_t i);
const char *pl_readonly_paths(size_t i);

/* ---- sysinfo(2) for the container (sysinfo.c) ---- */

struct sysinfo;

struct pl_sysinfo_source {
	uint64_t memory_limit_bytes; /* PL_UNLIMITED: keep the host's */
	uint64_t memory_usage_bytes; /* counted against the limit: pl_sysinfo_used_bytes */
	uint64_t memory_shared_bytes; /* shmem and tmpfs of the container */
	uint64_t swap_limit_bytes;    /* PL_UNLIMITED: keep the host's */
	uint64_t swap_usage_bytes;
	uint64_t start_ns, now_ns; /* CLOCK_BOOTTIME */
	unsigned procs;		   /* 0: keep the host's */
	bool has_loads;		   /* false: keep the host's */
	uint64_t loads_fixed[3];   /* 1, 5, 15 min, PL_LOADAVG_FIXED_1 = 1.00 */
};

/* What sysinfo's freeram counts as used under the memory limit: the cgroup's usage, or more
 * where a limited ancestor (a pod shared with other containers) has less left. */
struct pl_memory;
uint64_t pl_sysinfo_used_bytes(const struct pl_memory *m);
/* Whether [addr, addr + len) lies in writable mappings of a /proc/PID/maps text. */
bool pl_maps_range_writable(const char *maps, uint64_t addr, uint64_t len);

/* In the child, after no_new_privs, the container's seccomp filter: no new user namespace
 * (unless allow_userns: CAP_SYS_ADMIN was added), whose root would hold every capability
 * over the files it owns, the container's own cgroups among them (on v1 it could mount them
 * and raise its limits); clone3 ENOSYS (its flags are out of reach), no x32 system calls;
 * with sysinfo_notify, sysinfo(2) routed to *listener_fd (else -1). 0 or -errno. */
int pl_seccomp_install(bool sysinfo_notify, bool allow_userns, int *listener_fd);
/* Pure: correct the host's sysinfo with the container's values. */
void pl_sysinfo_adjust(struct sysinfo *si, const struct pl_sysinfo_source *src);
struct pl_sysinfo_server {
	int notify_fd; /* -1: none */
	uint64_t start_ns;
	const struct pl_cgroup_root *root;
	char cgroup_path[160]; /* "proclens/NAME" */
	/* Opened on first use, not on the container's start path. */
	bool ready;
	bool cg_ok;
	struct pl_cgroup cg;
	bool host_ok;
	struct pl_host host;
	/* The container's load averages, sampled every 5 s like the daemon's, for the
	 * loads[] of sysinfo (busybox uptime, top). */
	struct pl_loadavg loadavg;
};

/* In the parent: answer one pending sysinfo call. */
int pl_sysinfo_serve_one(struct pl_sysinfo_server *srv);
/* Advance the load averages (every PL_LOADAVG_INTERVAL_NS). */
void pl_sysinfo_sample(struct pl_sysinfo_server *srv);
/* Milliseconds until the next 5 s sample (a poll timeout), -1 once nothing is served. */
int pl_sysinfo_timeout_ms(const struct pl_sysinfo_server *srv);
/* What poll said of srv->notify_fd: answer a call (POLLIN), or stop serving once no
 * process is left under the filter (POLLHUP: notify_fd becomes -1, the owner closes it). */
void pl_sysinfo_on_poll(struct pl_sysinfo_server *srv, short revents);
void pl_sysinfo_server_free(struct pl_sysinfo_server *srv);

/* ---- processes (process.c) ---- */

/* The signals `proclens run` forwards to the container. */
extern const int pl_forwarded_signals[];
extern const size_t pl_n_forwarded_signals;

/* The exit status a shell would report for a wait() status: code, or 128+signal. */
int pl_exit_status(int wait_status);
/* The status `run` exits with when exec failed with errno err (127 not found, 126 other). */
int pl_exec_failure_status(int err);

struct pl_tty {
	int master_fd;
	int slave_fd;
	char slave_path[64];
};
int pl_tty_open(struct pl_tty *t, struct pl_err *e);
void pl_tty_close(struct pl_tty *t);
/* In the child: make the slave the controlling terminal and stdio. */
int pl_tty_attach(struct pl_tty *t, struct pl_err *e);

/* In the parent: relay signals (and the terminal when tty != NULL) until `pid` exits;
 * returns its wait status. sigfd is a signalfd for the forwarded signals and SIGCHLD.
 * ns_init: pid is the init of a pid namespace of its own, which the kernel shields from
 * signals it has no handler for. A second SIGINT/SIGTERM, or a first one the init cannot
 * act on, kills the container (see process.c). */
/* own_init: pid is our --init, which passes signals on to the command itself. */
int pl_supervise(pid_t pid, int sigfd, struct pl_tty *tty, struct pl_sysinfo_server *srv, bool ns_init,
		 bool own_init);
/* Pure: would a signal sent to a namespace's init with this /proc/PID/status text be
 * dropped (no handler, not blocked, not ignored)? */
bool pl_init_drops_signal(const char *status_text, int sig);
/* The hex mask after key ("SigIgn:") in a /proc/PID/status text: 0, or -EINVAL. */
int pl_status_sigmask(const char *status_text, const char *key, uint64_t *mask);
/* /proc/PID/status (pid 0: our own) into buf, NUL-terminated: its length or -errno. */
ssize_t pl_read_status(pid_t pid, char *buf, size_t size);
/* --init: fork the command, forward signals to it, reap everything, return its status. */
int pl_init_run(char **argv, char **envp, int report_fd);
/* exec the command; on failure report over report_fd and _exit. */
void pl_exec_command(char **argv, char **envp, int report_fd) __attribute__((noreturn));

/* ---- the child side (child.c) and the whole run (run.c) ---- */

/* ---- the socketpair between run and the child (channel.c) ---- */

/* One record, with n_fds fds passed along (SCM_RIGHTS). 0 or -errno. */
int pl_chan_send(int sock, const void *buf, size_t len, const int *fds, unsigned n_fds);
/* One record into buf: its length (0 at EOF) or -errno; up to max_fds fds that came with
 * it in fds (close-on-exec), their number in *n_fds. */
ssize_t pl_chan_recv(int sock, void *buf, size_t len, int *fds, unsigned max_fds, unsigned *n_fds);

/* The records the parent sends the child, in this order. The parent makes the v1 cgroups
 * and writes the limits while the child builds its filesystem: the child waits for the
 * second record only before it joins a cgroup namespace, forks or execs. */
enum {
	PL_SYNC_GO = 1,	    /* ids mapped: build the container */
	PL_SYNC_JOIN = 2,   /* the cgroups are ready: move yourself in through these fds */
	PL_SYNC_PLACED = 3, /* the cgroups are ready and you are in them */
};

struct pl_sync_msg {
	uint8_t what; /* PL_SYNC_* */
	/* JOIN, PLACED: bit n-1 for each signal n the child inherited as ignored, which it
	 * resets (exec keeps SIG_IGN, and a shell cannot trap what it was started with
	 * ignored). Worked out by the parent while the child mounts. */
	uint64_t ignored_signals;
};

struct pl_child_ctx {
	const struct pl_run_opts *opts;
	const struct pl_view_mount *view;
	struct pl_tty *tty;
	const char *hostname;
	uint64_t caps;
	int sync_fd; /* our end of the socketpair */
	/* The CPUs the parent may use, restored before the cgroups are joined (the parent
	 * may have moved us to one of them to work side by side); NULL: leave as is. */
	const cpu_set_t *affinity;
	int listener_fd; /* the sysinfo filter's, once installed; -1: none */
	uint64_t start_ns; /* CLOCK_BOOTTIME just before the clone: the container's boot */
};

void pl_child_main(struct pl_child_ctx *ctx) __attribute__((noreturn));
/* Report e to the parent over fd (best effort). */
void pl_report(int fd, const struct pl_err *e);

/* Build the container's environment: defaults, then --env. Returns a NULL-terminated,
 * malloc'ed vector. */
char **pl_container_env(const struct pl_run_opts *o, const char *hostname, const char *term);

int pl_run(struct pl_run_opts *o);
int pl_cmd_run(int argc, char **argv);

/* ---- show, explain, stats (cmd_*.c, inspect.c; their internals in inspect.h) ---- */

int pl_cmd_show(int argc, char **argv);
int pl_cmd_explain(int argc, char **argv);
int pl_cmd_stats(int argc, char **argv);
