/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's cgroup: create proclens/NAME, write its limits, place the container in it,
 * remove it once empty. Reading cgroups is lib/cgroup*.c; this file only creates and writes.
 *
 * v1: one directory per hierarchy (memory, cpu, cpuacct, pids, and cpuset when asked; a
 * co-mounted "cpu,cpuacct" is one hierarchy and gets one directory).
 * v2: one directory, with the controllers enabled in the subtree_control of the root and of
 * proclens/ first. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

#define PL_CG_PARENT "proclens"
#define PL_CG_EMPTY_TIMEOUT_NS (10ULL * 1000000000ULL)

static void path_of_fd(int fd, const char *rel, char *buf, size_t size)
{
	char link[64], target[200];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		n = 0;
	target[n] = '\0';
	snprintf(buf, size, "%s/%s", n ? target : "<cgroup>", rel);
}

/* Write one control file, naming the full path when the kernel says no. */
static int cg_write(const struct pl_cg_container *c, unsigned i, const char *file, const char *text,
		    struct pl_err *e)
{
	int r = pl_write_file_at(c->dir_fd[i], file, text);

	if (r < 0) {
		char p[300];
		snprintf(p, sizeof(p), "%s/%s", c->path[i], file);
		return pl_errf(e, r, "cannot write %s (%.*s)", p, (int)strcspn(text, "\n"), text);
	}
	return 0;
}

static bool wanted_v1(enum pl_controller ctrl, const struct pl_limits *l)
{
	switch (ctrl) {
	case PL_CTRL_MEMORY:
	case PL_CTRL_CPU:
	case PL_CTRL_CPUACCT:
	case PL_CTRL_PIDS:
	case PL_CTRL_IO: /* in blkio's root the container would read the host's diskstats */
		return true; /* usage for the views even without a limit */
	case PL_CTRL_CPUSET:
		/* A v1 cpuset directory costs a cpus/mems copy and the scheduler's attention;
		 * without --cpuset-cpus the parent's set is the answer anyway. */
		return l->cpuset_cpus != NULL;
	default:
		return false;
	}
}

static bool limit_needs(enum pl_controller ctrl, const struct pl_limits *l)
{
	switch (ctrl) {
	case PL_CTRL_MEMORY:
		return l->memory_bytes != PL_UNLIMITED;
	case PL_CTRL_CPU:
		return l->cpu_quota_usec != PL_UNLIMITED;
	case PL_CTRL_CPUSET:
		return l->cpuset_cpus != NULL;
	case PL_CTRL_PIDS:
		return l->pids_limit != PL_UNLIMITED;
	default:
		return false;
	}
}

/* v1 cpuset directories start with empty cpus and mems, and a task cannot join an empty
 * cpuset (ENOSPC): copy both from the parent, or only mems where the CPUs are written
 * next (a container's own cpuset is made only for a CPU list: wanted_v1). */
static int cpuset_inherit(int parent_fd, int dir_fd, const char *path, bool cpus, struct pl_err *e)
{
	static const char *const files[] = {"cpuset.mems", "cpuset.cpus"};
	char buf[1024];

	for (size_t i = 0; i < (cpus ? 2 : 1); i++) {
		ssize_t n = pl_read_file_at_buf(dir_fd, files[i], buf, sizeof(buf));
		if (n > 0 && buf[0] != '\n')
			continue;
		n = pl_read_file_at_buf(parent_fd, files[i], buf, sizeof(buf));
		if (n < 0)
			return pl_errf(e, (int)n, "cannot read the parent of %s/%s", path, files[i]);
		n = pl_write_file_at(dir_fd, files[i], buf);
		if (n < 0)
			return pl_errf(e, (int)n, "cannot write %s/%s", path, files[i]);
	}
	return 0;
}

static int mkdir_open(int at_fd, const char *name, bool must_be_new)
{
	int fd;

	if (mkdirat(at_fd, name, 0755) < 0 && (errno != EEXIST || must_be_new))
		return -errno;
	fd = openat(at_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* v2: make the controllers in `want` available to the children of dir_fd. */
static int v2_enable(int dir_fd, const char *path, const char *const *want, size_t n_want, struct pl_err *e)
{
	char have[512], add[256] = "";
	ssize_t n = pl_read_file_at_buf(dir_fd, "cgroup.subtree_control", have, sizeof(have));
	int r;

	if (n < 0)
		return pl_errf(e, (int)n, "cannot read %s/cgroup.subtree_control", path);
	for (size_t i = 0; i < n_want; i++) {
		char word[32];
		snprintf(word, sizeof(word), " %s ", want[i]);
		char padded[520];
		snprintf(padded, sizeof(padded), " %.*s ", (int)strcspn(have, "\n"), have);
		if (strstr(padded, word))
			continue;
		strncat(add, "+", sizeof(add) - strlen(add) - 1);
		strncat(add, want[i], sizeof(add) - strlen(add) - 1);
		strncat(add, " ", sizeof(add) - strlen(add) - 1);
	}
	if (!add[0])
		return 0;
	r = pl_write_file_at(dir_fd, "cgroup.subtree_control", add);
	if (r < 0)
		return pl_errf(e, r, "cannot enable controllers (%s) in %s/cgroup.subtree_control", add,
			       path);
	return 0;
}

static bool v2_available(int root_fd, const char *name)
{
	char list[512], word[32], padded[520];

	if (pl_read_file_at_buf(root_fd, "cgroup.controllers", list, sizeof(list)) < 0)
		return false;
	snprintf(word, sizeof(word), " %s ", name);
	snprintf(padded, sizeof(padded), " %.*s ", (int)strcspn(list, "\n"), list);
	return strstr(padded, word) != NULL;
}

static void cg_init(struct pl_cg_container *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < PL_CTRL_COUNT; i++)
		c->dir_fd[i] = c->parent_fd[i] = c->tasks_fd[i] = -1;
}

/* One directory: proclens/NAME below hierarchy root_fd. */
static int cg_add_dir(struct pl_cg_container *c, int root_fd, enum pl_controller ctrl, struct pl_err *e)
{
	unsigned i = c->n;
	char parent_path[256];
	int r;

	path_of_fd(root_fd, PL_CG_PARENT, parent_path, sizeof(parent_path));
	r = mkdir_open(root_fd, PL_CG_PARENT, false);
	if (r < 0)
		return pl_errf(e, r, "cannot create %s", parent_path);
	c->parent_fd[i] = r;
	snprintf(c->path[i], sizeof(c->path[i]), "%s/%s", parent_path, c->name);
	c->ctrl[i] = ctrl;
	if (!c->v2 && ctrl == PL_CTRL_CPUSET) {
		r = cpuset_inherit(root_fd, c->parent_fd[i], parent_path, true, e);
		if (r < 0) {
			close(c->parent_fd[i]);
			c->parent_fd[i] = -1;
			return r;
		}
	}
	c->n++;
	return 0;
}

static int cg_mkdirs(struct pl_cg_container *c, struct pl_err *e)
{
	for (unsigned i = 0; i < c->n; i++) {
		int r = mkdir_open(c->parent_fd[i], c->name, true);
		struct stat st;

		/* v1 keeps files without a dot in a cgroup (tasks, notify_on_release). */
		if (r == -EEXIST && fstatat(c->parent_fd[i], c->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISDIR(st.st_mode))
			return pl_usagef(e, "--name %s: %s is a file of the cgroup %.*s: choose another name",
					 c->name, c->path[i], (int)(strlen(c->path[i]) - strlen(c->name) - 1),
					 c->path[i]);
		if (r == -EEXIST)
			return pl_usagef(e, "%s already exists: is a container named '%s' running?",
					 c->path[i], c->name);
		if (r < 0)
			return pl_errf(e, r, "cannot create %s", c->path[i]);
		c->dir_fd[i] = r;
		if (!c->v2 && c->ctrl[i] == PL_CTRL_CPUSET) {
			r = cpuset_inherit(c->parent_fd[i], c->dir_fd[i], c->path[i], false, e);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* "(available: 0-1)": the kernel's ERANGE/EINVAL alone does not say what would work. */
static void cpuset_hint(const struct pl_cg_container *c, unsigned i, struct pl_err *e)
{
	char cpus[256];
	size_t len = strlen(e->msg);
	ssize_t n = pl_read_file_at_buf(
	    c->parent_fd[i], c->v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus", cpus, sizeof(cpus));

	if (n <= 0)
		return;
	cpus[strcspn(cpus, "\n")] = '\0';
	snprintf(e->msg + len, sizeof(e->msg) - len, " (CPUs available: %s)", cpus);
}

static int cg_write_limits(struct pl_cg_container *c, const struct pl_limits *l, struct pl_err *e)
{
	char buf[64];
	int r = 0;

	for (unsigned i = 0; i < c->n && r >= 0; i++) {
		bool v2 = c->v2;
		bool mem = v2 || c->ctrl[i] == PL_CTRL_MEMORY;
		bool cpu = v2 || c->ctrl[i] == PL_CTRL_CPU;
		bool cpuset = v2 || c->ctrl[i] == PL_CTRL_CPUSET;
		bool pids = v2 || c->ctrl[i] == PL_CTRL_PIDS;

		if (mem && l->memory_bytes != PL_UNLIMITED) {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->memory_bytes);
			r = cg_write(c, i, v2 ? "memory.max" : "memory.limit_in_bytes", buf, e);
			if (r >= 0 && l->memory_swap_bytes != PL_UNLIMITED) {
				/* v1 memsw counts memory + swap; v2 swap.max counts swap alone. */
				uint64_t v =
				    v2 ? l->memory_swap_bytes - l->memory_bytes : l->memory_swap_bytes;
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
				r = cg_write(c, i, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
					     buf, e);
				if (r == -ENOENT)
					r = pl_usagef(e,
						      "--memory-swap: the kernel has no swap "
						      "accounting (%s/%s missing)",
						      c->path[i],
						      v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
			}
		}
		if (r >= 0 && cpu && l->cpu_quota_usec != PL_UNLIMITED) {
			if (v2) {
				snprintf(buf, sizeof(buf), "%llu %llu", (unsigned long long)l->cpu_quota_usec,
					 (unsigned long long)l->cpu_period_usec);
				r = cg_write(c, i, "cpu.max", buf, e);
			} else {
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->cpu_period_usec);
				r = cg_write(c, i, "cpu.cfs_period_us", buf, e);
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->cpu_quota_usec);
				if (r >= 0)
					r = cg_write(c, i, "cpu.cfs_quota_us", buf, e);
			}
		}
		if (r >= 0 && cpuset && l->cpuset_cpus) {
			r = cg_write(c, i, "cpuset.cpus", l->cpuset_cpus, e);
			if (r < 0)
				cpuset_hint(c, i, e);
		}
		if (r >= 0 && pids && l->pids_limit != PL_UNLIMITED) {
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->pids_limit);
			r = cg_write(c, i, "pids.max", buf, e);
		}
	}
	return r;
}

static int cg_setup_v2(const struct pl_cgroup_root *root, const struct pl_limits *l,
		       struct pl_cg_container *c, struct pl_err *e)
{
	static const enum pl_controller ctrls[] = {PL_CTRL_MEMORY, PL_CTRL_CPU, PL_CTRL_PIDS, PL_CTRL_IO,
						   PL_CTRL_CPUSET};
	const char *want[PL_ARRAY_SIZE(ctrls)];
	size_t n_want = 0;
	char root_path[256];
	int r;

	for (size_t i = 0; i < PL_ARRAY_SIZE(ctrls); i++) {
		const char *name = pl_controller_name(ctrls[i]);
		if (ctrls[i] == PL_CTRL_CPUSET && !l->cpuset_cpus)
			continue;
		if (v2_available(root->v2_fd, name)) {
			want[n_want++] = name;
			continue;
		}
		if (limit_needs(ctrls[i], l))
			return pl_usagef(e,
					 "cannot set a %s limit: the %s controller is not available "
					 "in the cgroup v2 root",
					 name, name);
	}
	path_of_fd(root->v2_fd, "", root_path, sizeof(root_path));
	r = v2_enable(root->v2_fd, root_path, want, n_want, e);
	if (r < 0)
		return r;
	r = cg_add_dir(c, root->v2_fd, PL_CTRL_MEMORY, e);
	if (r < 0)
		return r;
	return v2_enable(c->parent_fd[0], c->path[0], want, n_want, e);
}

static int cg_setup_v1(const struct pl_cgroup_root *root, const struct pl_limits *l,
		       struct pl_cg_container *c, struct pl_err *e)
{
	dev_t seen[PL_CTRL_COUNT];
	unsigned n_seen = 0;

	for (int ctrl = 0; ctrl < PL_CTRL_COUNT; ctrl++) {
		int fd = pl_cgroup_root_fd(root, ctrl);
		struct stat st;
		bool dup = false;
		int r;

		if (!wanted_v1(ctrl, l))
			continue;
		if (fd < 0) {
			if (limit_needs(ctrl, l))
				return pl_usagef(e,
						 "cannot set a %s limit: no %s cgroup hierarchy is "
						 "mounted",
						 pl_controller_name(ctrl), pl_controller_name(ctrl));
			continue;
		}
		/* "cpu,cpuacct" mounted together: one directory serves both. */
		if (fstat(fd, &st) < 0)
			return pl_errf(e, -errno, "cannot stat the %s hierarchy", pl_controller_name(ctrl));
		for (unsigned k = 0; k < n_seen; k++)
			dup = dup || seen[k] == st.st_dev;
		if (dup)
			continue;
		seen[n_seen++] = st.st_dev;
		r = cg_add_dir(c, fd, ctrl, e);
		if (r < 0)
			return r;
	}
	return 0;
}

void pl_cpus_pick(const struct pl_cpuset *allowed, const struct pl_cpuset *siblings, size_t n_siblings,
		  unsigned want, int prefer, struct pl_cpuset *out)
{
	unsigned n_allowed = pl_cpuset_count(allowed);

	pl_cpuset_zero(out);
	for (unsigned k = 0; k < want && k < n_allowed; k++) {
		int best = -1;
		size_t best_load = 0;

		for (unsigned i = 0; i < n_allowed; i++) {
			int cpu = pl_cpuset_nth(allowed, i);
			size_t load = 0;

			if (cpu < 0 || pl_cpuset_has(out, (unsigned)cpu))
				continue;
			for (size_t j = 0; j < n_siblings; j++)
				load += pl_cpuset_has(&siblings[j], (unsigned)cpu);
			/* Strictly less: among equals the preferred one, else the lowest number. */
			if (best < 0 || load < best_load || (load == best_load && cpu == prefer)) {
				best = cpu;
				best_load = load;
			}
		}
		pl_cpuset_set(out, (unsigned)best);
	}
}

/* The CPUs this container may use at all: those of proclens/ if it exists (an
 * administrator may have narrowed it), else those of the hierarchy's root. */
static int allowed_cpus(int root_fd, bool v2, struct pl_cpuset *allowed)
{
	const char *file = v2 ? "proclens/cpuset.cpus.effective" : "proclens/cpuset.effective_cpus";
	char buf[1024];
	ssize_t n = pl_read_file_at_buf(root_fd, file, buf, sizeof(buf));

	if (n <= 0 || buf[0] == '\n')
		n = pl_read_file_at_buf(root_fd, file + strlen("proclens/"), buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return pl_cpuset_parse(buf, allowed);
}

/* The cpusets of the other containers, proclens/NAME/cpuset.cpus; those without one (an
 * empty list) run everywhere and weigh on every CPU alike, so they are left out. */
static size_t sibling_cpusets(int root_fd, struct pl_cpuset **out)
{
	_cleanup_close_ int fd = openat(root_fd, PL_CG_PARENT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (fd < 0 || !(d = fdopendir(fd)))
		return 0;
	fd = -1; /* the DIR owns it */
	while ((de = readdir(d))) {
		char rel[300], buf[1024];
		struct pl_cpuset set;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/cpuset.cpus", de->d_name);
		if (pl_read_file_at_buf(dirfd(d), rel, buf, sizeof(buf)) <= 0 || pl_cpuset_parse(buf, &set) < 0 ||
		    pl_cpuset_count(&set) == 0)
			continue;
		if (n == cap) {
			struct pl_cpuset *grown = realloc(*out, (cap ? cap * 2 : 8) * sizeof(**out));
			if (!grown)
				break;
			*out = grown;
			cap = cap ? cap * 2 : 8;
		}
		(*out)[n++] = set;
	}
	return n;
}

/* --cpus N without --cpuset-cpus: ceil(N) CPUs, the least used by the other containers'
 * cpusets, so that nproc, sched_getaffinity and every tool that sizes itself by them see
 * the CPUs the quota pays for, and containers spread over the machine. Best effort: no
 * cpuset hierarchy, or all CPUs wanted, leaves the cpuset alone (buf empty). */
static void pick_cpuset(const struct pl_cgroup_root *root, unsigned want, int prefer, char *buf, size_t size)
{
	bool v2 = pl_cgroup_root_is_v2(root);
	int fd = v2 ? root->v2_fd : pl_cgroup_root_fd(root, PL_CTRL_CPUSET);
	_cleanup_free_ struct pl_cpuset *siblings = NULL;
	struct pl_cpuset allowed, chosen;
	size_t n;

	buf[0] = '\0';
	if (fd < 0 || (v2 && !v2_available(fd, "cpuset")) || allowed_cpus(fd, v2, &allowed) < 0 ||
	    want >= pl_cpuset_count(&allowed))
		return;
	n = sibling_cpusets(fd, &siblings);
	pl_cpus_pick(&allowed, siblings, n, want, prefer, &chosen);
	if (pl_cpuset_format(&chosen, buf, size) < 0)
		buf[0] = '\0';
}

/* Containers starting at the same moment must not all pick the same least-used CPUs: the
 * choice and the cpuset write it leads to happen under one lock. Best effort: -1 if the
 * lock cannot be had, and the pick is then only racy, never wrong. Its name starts with a
 * dot, which no container name may (pl_valid_name): a container named "cpus" has its own
 * lock file, cpus.lock, which it holds while this one is taken, and which the sweep of
 * dead owners' leftovers (owner.c) is free to remove. */
static int cpus_pick_lock(void)
{
	int fd;

	if (mkdir(PL_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -1;
	fd = open(PL_RUN_DIR "/.cpus.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int pl_cg_create(const struct pl_cgroup_root *root, const char *name, const struct pl_limits *limits,
		 struct pl_cg_container *c, struct pl_err *e)
{
	struct pl_limits picked = *limits;
	const struct pl_limits *l = &picked;
	_cleanup_close_ int pick_lock = -1;
	struct pl_err ignored;
	char cpus[1024];
	int r;

	if (!limits->cpuset_cpus && limits->pick_cpus > 0) {
		pick_lock = cpus_pick_lock();
		pick_cpuset(root, limits->pick_cpus, limits->prefer_cpu, cpus, sizeof(cpus));
		if (cpus[0])
			picked.cpuset_cpus = cpus;
	}
	cg_init(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	/* Pure v2, or a controller we need living on the v2 side of a hybrid layout. */
	c->v2 = pl_cgroup_root_is_v2(root);
	r = c->v2 ? cg_setup_v2(root, l, c, e) : cg_setup_v1(root, l, c, e);
	if (r >= 0)
		r = cg_mkdirs(c, e);
	if (r >= 0)
		r = cg_write_limits(c, l, e);
	if (r < 0)
		pl_cg_remove(c, &ignored);
	return r;
}

int pl_cg_clone_fd(const struct pl_cg_container *c)
{
	return c->v2 && c->n == 1 ? c->dir_fd[0] : -1;
}

int pl_cg_place(const struct pl_cg_container *c, pid_t pid, struct pl_err *e)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (unsigned i = 0; i < c->n; i++) {
		int r = cg_write(c, i, "cgroup.procs", buf, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Moving another process writes cgroup.procs, which takes the global threadgroup rwsem for
 * writing: an RCU grace period, ~10 ms on a quiet v1 machine, most of a container's start.
 * A single-threaded process moving itself through v1 "tasks" with "0" needs no such lock
 * (the kernel only stabilises the thread group when the pid is not the writer's own). The
 * fds are opened here, as root, so the permission check (on the opener's credentials, or
 * the child's, still root at that point) passes even once the child is in a user
 * namespace. */
int pl_cg_prepare_self_move(struct pl_cg_container *c, struct pl_err *e)
{
	if (c->v2)
		return 0;
	for (unsigned i = 0; i < c->n; i++) {
		c->tasks_fd[i] = openat(c->dir_fd[i], "tasks", O_WRONLY | O_CLOEXEC);
		if (c->tasks_fd[i] < 0)
			return pl_errf(e, -errno, "cannot open %s/tasks", c->path[i]);
	}
	return 1;
}

int pl_cg_self_move(const int *tasks_fds, unsigned n, struct pl_err *e)
{
	for (unsigned i = 0; i < n; i++) {
		if (pl_write_all(tasks_fds[i], "0", 1) < 0) {
			int r = -errno;
			char where[300];
			/* The path only for the message: the fd came over the socketpair. */
			path_of_fd(tasks_fds[i], "", where, sizeof(where));
			where[strlen(where) - 1] = '\0';
			return pl_errf(e, r, "cannot join %s", where);
		}
	}
	return 0;
}

bool pl_cg_oom_killed(const struct pl_cg_container *c)
{
	char buf[1024];
	uint64_t kills = 0;

	for (unsigned i = 0; i < c->n; i++) {
		if (!c->v2 && c->ctrl[i] != PL_CTRL_MEMORY)
			continue;
		if (c->dir_fd[i] < 0)
			continue;
		/* v1 memory.oom_control and v2 memory.events both carry "oom_kill N". */
		if (pl_read_file_at_buf(c->dir_fd[i], c->v2 ? "memory.events" : "memory.oom_control", buf,
					sizeof(buf)) < 0)
			continue;
		if (pl_kv_get_u64(buf, "oom_kill", &kills) == 0 && kills > 0)
			return true;
	}
	return false;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL)};
	nanosleep(&ts, NULL);
}

/* Anything still inside (a process that escaped the pid namespace's teardown, say one that
 * joined with --pid=host) is killed: the container's lifetime is the command's. */
static void kill_remaining(int dir_fd, bool v2)
{
	_cleanup_free_ char *procs = NULL;
	char *save = NULL;

	if (v2 && pl_write_file_at(dir_fd, "cgroup.kill", "1") == 0)
		return;
	if (pl_read_file_at(dir_fd, "cgroup.procs", &procs) < 0)
		return;
	for (char *tok = strtok_r(procs, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		uint64_t pid;
		if (pl_parse_u64(tok, &pid) == 0 && pid > 0)
			kill((pid_t)pid, SIGKILL);
	}
}

/* rmdir succeeds once the last task has left; exiting tasks leave within microseconds to
 * milliseconds of their parent reaping the namespace's init. */
static int remove_dir(struct pl_cg_container *c, unsigned i)
{
	uint64_t deadline = pl_now_monotonic_ns() + PL_CG_EMPTY_TIMEOUT_NS;
	uint64_t pause_ns = 50000;
	bool killed = false;

	for (;;) {
		if (unlinkat(c->parent_fd[i], c->name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		if (pl_now_monotonic_ns() > deadline)
			return -EBUSY;
		if (!killed && pause_ns >= 1000000) {
			kill_remaining(c->dir_fd[i], c->v2);
			killed = true;
		}
		sleep_ns(pause_ns);
		if (pause_ns < 20000000)
			pause_ns *= 2;
	}
}

int pl_cg_remove(struct pl_cg_container *c, struct pl_err *e)
{
	int ret = 0;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->dir_fd[i] >= 0) {
			int r = remove_dir(c, i);
			close(c->dir_fd[i]);
			c->dir_fd[i] = -1;
			if (r < 0 && ret == 0)
				ret = pl_errf(e, r, "cannot remove %s", c->path[i]);
		}
		if (c->parent_fd[i] >= 0)
			close(c->parent_fd[i]);
		c->parent_fd[i] = -1;
		if (c->tasks_fd[i] >= 0)
			close(c->tasks_fd[i]);
		c->tasks_fd[i] = -1;
	}
	c->n = 0;
	return ret;
}
