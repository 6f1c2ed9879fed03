/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One API over cgroup v1, v2 and the hybrid layout. Views ask "what is the memory limit",
 * "what is the cpu quota" and never say v1 or v2; this module knows the file names and
 * semantics of each version.
 *
 * Conventions: every function returns >= 0 or -errno. Limits are hierarchical: the value
 * reported is the tightest over the cgroup and all its ancestors, PL_UNLIMITED when no level
 * sets one. -ENOENT means the controller is not available for this cgroup (not mounted,
 * not enabled in the parent's subtree_control); -ESTALE means the cgroup itself is gone
 * (removed since the reader was placed in it: never answered from its parent or as "no
 * limit"); -EINVAL means a control file was empty or malformed; all are errors, never a
 * reason to report a host value. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proclens/cpuset.h"

enum pl_controller {
	PL_CTRL_MEMORY,
	PL_CTRL_CPU,     /* bandwidth: v1 cpu.cfs_*, v2 cpu.max */
	PL_CTRL_CPUACCT, /* usage: v1 cpuacct.*, v2 cpu.stat (always present on v2) */
	PL_CTRL_CPUSET,
	PL_CTRL_PIDS,
	PL_CTRL_IO, /* v1 blkio, v2 io */
	PL_CTRL_COUNT,
};

const char *pl_controller_name(enum pl_controller c); /* "memory", "cpu", ... */

/* Where the hierarchies are mounted, opened once (O_PATH|O_DIRECTORY dirfds). */
struct pl_cgroup_root {
	int v2_fd;                          /* cgroup2 mount, or -1 */
	char *v2_mount_root;                /* mountinfo "root" of that mount, usually "/" */
	int v1_fd[PL_CTRL_COUNT];           /* v1 mount carrying the controller, or -1 */
	char *v1_mount_root[PL_CTRL_COUNT]; /* mountinfo "root" of that mount */
	bool on_v2[PL_CTRL_COUNT];          /* controller lives on the v2 hierarchy */
};

/* Find the hierarchies from /proc/self/mountinfo. -ENOENT when no hierarchy serving any of
 * our controllers is mounted. A hierarchy mounted twice: the first mount listed wins. */
int pl_cgroup_root_detect(struct pl_cgroup_root *r);
/* The usual layouts only (systemd's: v1 controllers at /sys/fs/cgroup/<controllers>,
 * cgroup2 at /sys/fs/cgroup or /sys/fs/cgroup/unified), found without reading mountinfo;
 * pl_cgroup_root_detect tries it first. -EAGAIN for any other layout. */
int pl_cgroup_root_detect_usual(struct pl_cgroup_root *r);
/* Same from another mountinfo file; mount targets are opened below sysroot (NULL = "/").
 * For tests and for looking at another mount namespace through /proc/PID/root. */
int pl_cgroup_root_detect_from(struct pl_cgroup_root *r, const char *mountinfo, const char *sysroot);
/* One line of /proc/PID/mountinfo, split in place (pointers into the line, \ooo escapes
 * undone). Only the fields the detection uses. */
struct pl_mountinfo_entry {
	const char *root;	   /* the mount's root inside its filesystem: "/", "/docker" */
	const char *target;	   /* mount point */
	const char *fstype;	   /* "cgroup", "cgroup2" */
	const char *source;
	const char *super_options; /* "rw,memory", "rw,nsdelegate" */
};
/* -EINVAL for a line that is not mountinfo. */
int pl_mountinfo_parse_line(char *line, struct pl_mountinfo_entry *m);
/* Use a directory laid out like /sys/fs/cgroup (fixtures, or an unusual mount point):
 * DIR/cgroup.controllers present -> pure v2 at DIR; otherwise DIR/<name> for each v1
 * controller (memory, cpu, cpuacct, "cpu,cpuacct", cpuset, pids, blkio) and DIR/unified
 * as the v2 hierarchy of a hybrid layout. */
int pl_cgroup_root_open_dir(struct pl_cgroup_root *r, const char *dir);
/* Every fd -1, nothing allocated: what detect/open_dir leave on failure and close leaves
 * behind. A memset-zeroed root is NOT empty (fd 0): init it before a close can reach it. */
void pl_cgroup_root_init(struct pl_cgroup_root *r);
void pl_cgroup_root_close(struct pl_cgroup_root *r);
/* True when no controller is on v1 (pure cgroup v2). */
bool pl_cgroup_root_is_v2(const struct pl_cgroup_root *r);
/* A cgroup2 filesystem is mounted at path ("/sys/fs/cgroup" on a pure v2 machine): one
 * statfs, for a decision that cannot wait for pl_cgroup_root_detect. */
bool pl_cgroup2_mounted_at(const char *path);
/* dirfd of the hierarchy serving controller c, or -1. */
int pl_cgroup_root_fd(const struct pl_cgroup_root *r, enum pl_controller c);

/* A process's (or container's) place in every hierarchy. Paths are relative to the
 * hierarchy's mount, without a leading slash: "" is the root cgroup. */
struct pl_cgroup {
	const struct pl_cgroup_root *root;
	char *path[PL_CTRL_COUNT];
	/* The cgroup in the v2 hierarchy, kept even on a hybrid layout where no controller
	 * lives there: the kernel's pressure (PSI) accounting follows the v2 cgroup whatever
	 * the controllers. NULL without a v2 hierarchy or a "0::" line for it. */
	char *v2_path;
};

/* From the text of /proc/PID/cgroup ("ID:controllers:/path" lines). The mount root of each
 * hierarchy is stripped; a path outside it -> -ENOENT, as is text naming none of the
 * hierarchies in r. -EINVAL for text that is not /proc/PID/cgroup. All out-functions below
 * leave *out safe to pl_cgroup_free() even on failure. */
int pl_cgroup_parse_proc(const struct pl_cgroup_root *r, const char *text, struct pl_cgroup *out);
/* Read /proc/PID/cgroup below proc_fd (a dirfd of /proc) and parse it; -ESRCH when the
 * process is gone. */
int pl_cgroup_of_pid(const struct pl_cgroup_root *r, int proc_fd, pid_t pid, struct pl_cgroup *out);
/* The same path in every hierarchy ("/proclens/web" or "proclens/web"); -ENOENT if it
 * exists in none of them (controllers where it does not exist get no path); -EINVAL for
 * "." or ".." components. */
int pl_cgroup_from_path(const struct pl_cgroup_root *r, const char *path, struct pl_cgroup *out);
void pl_cgroup_free(struct pl_cgroup *cg);
int pl_cgroup_copy(const struct pl_cgroup *src, struct pl_cgroup *dst);
bool pl_cgroup_equal(const struct pl_cgroup *a, const struct pl_cgroup *b);
/* The cgroup is the root of controller c's hierarchy (the whole machine): path "" on a
 * mount rooted at "/". The root of a container's own cgroup mount is not. */
bool pl_cgroup_is_root(const struct pl_cgroup *cg, enum pl_controller c);
#define PL_CTRL_BIT(c) (1u << (c))
/* The cgroup is the root of every mounted hierarchy among ctrls (PL_CTRL_BIT()s): the test
 * for a view whose content comes from several hierarchies, which is the whole machine's only
 * where the reader is at the root of each (on v1 a reader can be at the cpuacct root and in
 * a cpuset and a quota of its own). A hierarchy not mounted adds no content and no
 * condition; none of them mounted is false. */
bool pl_cgroup_is_root_of(const struct pl_cgroup *cg, unsigned ctrls);
/* The cgroup's v2 cgroup (v2_path, on a hybrid layout too) is the root of the v2 hierarchy,
 * mounted at its "/". False without a v2 hierarchy or a v2 path. */
bool pl_cgroup_v2_is_root(const struct pl_cgroup *cg);

/* ---- memory ---- */

#define PL_ABSENT UINT64_MAX /* a counter this cgroup version does not have */

/* memory.stat, normalised to cgroup v2 names, in bytes, for the whole subtree
 * (v1: the total_* keys). PL_ABSENT where the version has no counterpart. */
struct pl_memstat {
	uint64_t anon, file, kernel_stack, pagetables, sec_pagetables, percpu, sock, shmem;
	uint64_t file_mapped, file_dirty, file_writeback, swapcached;
	uint64_t anon_thp, file_thp, shmem_thp;
	uint64_t inactive_anon, active_anon, inactive_file, active_file, unevictable;
	uint64_t slab_reclaimable, slab_unreclaimable, zswap, zswapped;
};

struct pl_memory {
	uint64_t limit_bytes;      /* effective memory limit, PL_UNLIMITED */
	uint64_t usage_bytes;      /* v1 memory.usage_in_bytes, v2 memory.current */
	bool swap_accounting;      /* false: no memsw / memory.swap.* files (both below PL_ABSENT) */
	uint64_t swap_limit_bytes; /* effective swap-only limit (v1: memsw - mem), PL_UNLIMITED */
	uint64_t swap_usage_bytes; /* swap in use by the subtree */
	/* Headroom under the ancestors that set a memory limit (not the cgroup's own): the
	 * smallest limit - usage over them (>= 0), and the smallest limit - usage + their page
	 * cache and reclaimable slab. Their usage counts the siblings' too (a pod's other
	 * containers): the cgroup is reclaimed and OOM-killed when any of them is full.
	 * PL_UNLIMITED when no ancestor sets a limit. */
	uint64_t ancestor_free_bytes;
	uint64_t ancestor_avail_bytes;
	struct pl_memstat stat;
};

int pl_cgroup_memory(const struct pl_cgroup *cg, struct pl_memory *m);

/* ---- cpu ---- */

struct pl_cpu_limits {
	/* Effective bandwidth as quota/period: the level with the smallest quota/period ratio
	 * wins. quota_usec == PL_UNLIMITED (and period_usec 0) when no level sets a quota or
	 * no cpu controller applies. */
	uint64_t quota_usec;
	uint64_t period_usec;
	/* Effective cpuset (v1 cpuset.effective_cpus, v2 cpuset.cpus.effective of the nearest
	 * level that has one). has_cpuset false when no cpuset controller applies. */
	bool has_cpuset;
	struct pl_cpuset cpus;
};

/* -ENOENT only when neither the cpu nor the cpuset controller serves this cgroup. */
int pl_cgroup_cpu_limits(const struct pl_cgroup *cg, struct pl_cpu_limits *l);

/* Cumulative CPU time of the subtree, nanoseconds. */
int pl_cgroup_cpu_usage(const struct pl_cgroup *cg, uint64_t *user_ns, uint64_t *system_ns);

/* Per host CPU (index = host cpu number, arrays of ncpu entries, zero-filled past what the
 * kernel reports). -EOPNOTSUPP where the version has no per-CPU accounting (v2). */
int pl_cgroup_cpu_usage_percpu(const struct pl_cgroup *cg, uint64_t *user_ns, uint64_t *system_ns,
			       unsigned ncpu);

/* ---- tasks and pids ---- */

/* Call cb for every thread id in the subtree of controller c's cgroup (v1 "tasks",
 * v2 "cgroup.threads", recursing into child cgroups). Stops at the first cb < 0 and returns
 * it. Child cgroups removed while walking are skipped. */
int pl_cgroup_for_each_task(const struct pl_cgroup *cg, enum pl_controller c,
			    int (*cb)(pid_t tid, void *userdata), void *userdata);

/* pids.current and the effective pids.max (PL_UNLIMITED). */
int pl_cgroup_pids(const struct pl_cgroup *cg, uint64_t *current, uint64_t *limit);

/* ---- io (lib/cgroup_io.c) ---- */

/* One block device's I/O by a cgroup subtree since the cgroup was created. */
struct pl_io_stat {
	unsigned major, minor;
	uint64_t read_bytes, write_bytes, discard_bytes;
	uint64_t read_ios, write_ios, discard_ios;
};

/* Per-device I/O of the subtree. v1: blkio.throttle.io_service_bytes_recursive and
 * blkio.throttle.io_serviced_recursive ("MAJ:MIN Read N" lines), or on kernels without
 * the _recursive files the plain ones, which count this cgroup alone. v2: io.stat
 * ("MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=.."), recursive by itself.
 * Counters a kernel does not report (discards before they existed) are 0.
 * *out: malloc'ed array of *n devices in the kernel's order, devices listed with no I/O
 * included (free() it; NULL when *n is 0). -ENOENT without an io controller here. */
int pl_cgroup_io_stats(const struct pl_cgroup *cg, struct pl_io_stat **out, size_t *n);

/* ---- pressure (lib/cgroup_pressure.c) ---- */

/* The text of the cgroup's own "<resource>.pressure" (resource "cpu", "memory" or "io"),
 * read from its v2 cgroup (v2_path: on a hybrid layout too, since PSI follows the v2
 * hierarchy whatever the controllers), malloc'ed in *text; returns the length.
 * -ENOENT when there is no v2 cgroup for it, when that is the root of the whole v2
 * hierarchy (whose pressure is the machine's: not this module's call to show it), or when
 * the file is missing (a kernel without PSI, psi=0, cgroup.pressure 0); -EINVAL when the
 * file is not PSI lines (pl_pressure_validate). */
ssize_t pl_cgroup_pressure(const struct pl_cgroup *cg, const char *resource, char **text);

/* 0 when text is "some avg10=A avg60=B avg300=C total=N" optionally followed by the same
 * "full ..." line (each newline terminated, avgs decimal fractions, total an integer);
 * -EINVAL otherwise. */
int pl_pressure_validate(const char *text);
