/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Containers seen by the daemon: who a reader is, which cgroups stand for it, and the
 * renders and CPU history that readers of one container share.
 *
 * A reader in another pid namespace is keyed by that namespace's inode number. We keep an
 * fd on the namespace, so the number cannot be recycled for a new namespace while the entry
 * lives, and a pidfd on its init, so a recycled pid is never mistaken for it. A reader in
 * our own pid namespace is keyed by the text of its /proc/PID/cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_internal.h"
#include "mountstate.h"
#include "proclens/cleanup.h"
#include "proclens/cpuview.h"
#include "proclens/identity.h"
#include "proclens/log.h"

#define SWEEP_INTERVAL_NS (10ull * 1000000000ull)
#define IDLE_EVICT_NS (120ull * 1000000000ull)
/* The sampler keeps a container's load average for this long after its loadavg was last
 * read (the 15-minute average needs that long to mean something). */
#define LOADAVG_KEEP_NS (15ull * 60 * 1000000000ull)

struct render_slot {
	struct pl_rendered *r;
	uint64_t at_ns;
	int logged_err; /* the last error logged for this view, so each is logged once */
};

struct pl_container {
	struct pl_container *next;
	unsigned refs; /* under the table lock */
	bool own_ns;
	uint64_t key;     /* pid namespace inode, or a hash of cg_text */
	char *cg_text;    /* own-namespace readers: their /proc/PID/cgroup */
	int ns_fd;
	int pidfd;
	pid_t init_pid;
	uint64_t init_start_ns;
	int64_t boottime_offset_ns; /* of the init's time namespace (pl_source) */
	uint64_t last_used_ns;

	pthread_mutex_t lock; /* guards what follows */
	bool cg_valid;
	struct pl_cgroup cg;
	uint64_t cg_at_ns;
	struct pl_cpu_history hist;
	struct pl_loadavg loadavg;
	struct render_slot *slot; /* one per view */
	_Atomic uint64_t loadavg_read_ns; /* monotonic: proc/loadavg last rendered, 0: never */
};

void pl_rendered_put(struct pl_rendered *r)
{
	if (r && atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		free(r);
}

struct pl_rendered *pl_rendered_new(const char *data, size_t len)
{
	struct pl_rendered *rd = malloc(sizeof(*rd) + len + 1);

	if (!rd)
		return NULL;
	atomic_init(&rd->refs, 1);
	rd->len = len;
	if (len)
		memcpy(rd->data, data, len);
	rd->data[len] = '\0';
	return rd;
}

static bool pidfd_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 || errno == EPERM;
}

/* Slot e now says pid (pidfd -1: seen once, ns unknown), its old pidfd closed. */
static void reader_set_locked(struct pl_reader_ns *e, pid_t pid, int pidfd, uint64_t ns)
{
	if (e->pidfd >= 0)
		close(e->pidfd);
	e->pid = pid;
	e->pidfd = pidfd;
	e->ns = ns;
}

/* The pid namespace of the reader with pid `caller` (a thread id, as FUSE names readers).
 * Every open asks. A reader in another namespace that opens a second time is kept with a
 * pidfd, whose liveness check (0.5 us) then stands in for reading /proc/PID/ns/pid (3 us):
 * top, a process reading several files, a server's threads. A first open only marks its
 * slot, since a pidfd costs more to make (6 us) than the read it saves, and most readers
 * (free, cat) open once. */
static int reader_pidns(struct pl_fs *fs, pid_t caller, uint64_t *ns)
{
	struct pl_containers *cs = &fs->containers;
	struct pl_reader_ns *e = &cs->readers[(uint32_t)caller % PL_READER_SLOTS];
	bool again;
	int fd, r;

	pthread_mutex_lock(&cs->readers_lock);
	/* Alive: the pid still names the task the namespace was read for. */
	if (e->pidfd >= 0 && e->pid == caller && pidfd_alive(e->pidfd)) {
		*ns = e->ns;
		pthread_mutex_unlock(&cs->readers_lock);
		return 0;
	}
	again = e->pidfd < 0 && e->pid == caller;
	pthread_mutex_unlock(&cs->readers_lock);

	if (!again) {
		r = pl_pidns_ino(fs->host.proc_fd, caller, ns);
		if (r < 0 || *ns == fs->self_pidns) /* ours: seen by its cgroup, read each open */
			return r;
		pthread_mutex_lock(&cs->readers_lock);
		/* A kept reader that is alive keeps its slot. */
		if (e->pidfd < 0 || !pidfd_alive(e->pidfd))
			reader_set_locked(e, caller, -1, 0);
		pthread_mutex_unlock(&cs->readers_lock);
		return 0;
	}
	/* The pidfd first: a task alive after the read below was the pid's during it. */
	fd = pl_pidfd_open(caller, PIDFD_THREAD);
	if (fd == -EINVAL)
		fd = pl_pidfd_open(caller, 0); /* before 6.9: group leaders only */
	r = pl_pidns_ino(fs->host.proc_fd, caller, ns);
	if (fd < 0 || r < 0 || *ns == fs->self_pidns || !pidfd_alive(fd)) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	pthread_mutex_lock(&cs->readers_lock);
	reader_set_locked(e, caller, fd, *ns);
	pthread_mutex_unlock(&cs->readers_lock);
	return 0;
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Descriptors kept for what is not a container: the readers' pidfds, the cgroup roots,
 * /proc and /sys, the transport, and the files each serving thread opens to render. */
#define NOFILE_RESERVE (PL_READER_SLOTS + 128)
#define CONTAINERS_MIN 16

size_t pl_containers_max(unsigned long long nofile)
{
	if (nofile == RLIM_INFINITY || nofile > (1ull << 30))
		nofile = 1ull << 30;
	if (nofile < NOFILE_RESERVE + 2 * CONTAINERS_MIN)
		return CONTAINERS_MIN;
	return (size_t)((nofile - NOFILE_RESERVE) / 2);
}

int pl_containers_init(struct pl_containers *cs)
{
	struct rlimit rl;

	memset(cs, 0, sizeof(*cs));
	/* A reader can make a new container cheaply (unshare -Urp): without a bound, a few
	 * thousand pid namespaces took every descriptor, and every other container's open
	 * failed with EIO. */
	cs->max = pl_containers_max(getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024);
	for (size_t i = 0; i < PL_READER_SLOTS; i++)
		cs->readers[i].pidfd = -1;
	pthread_mutex_init(&cs->readers_lock, NULL);
	return -pthread_mutex_init(&cs->lock, NULL);
}

static void container_free(struct pl_container *c)
{
	if (!c)
		return;
	if (c->slot)
		for (size_t i = 0; i < pl_views_count; i++)
			pl_rendered_put(c->slot[i].r);
	free(c->slot);
	pl_cgroup_free(&c->cg);
	pl_cpu_history_free(&c->hist);
	free(c->cg_text);
	if (c->ns_fd >= 0)
		close(c->ns_fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void pl_containers_destroy(struct pl_containers *cs)
{
	for (size_t b = 0; b < PL_CONTAINER_BUCKETS; b++) {
		struct pl_container *c = cs->bucket[b], *next;
		for (; c; c = next) {
			next = c->next;
			container_free(c);
		}
		cs->bucket[b] = NULL;
	}
	for (size_t i = 0; i < PL_READER_SLOTS; i++)
		if (cs->readers[i].pidfd >= 0)
			close(cs->readers[i].pidfd);
	pthread_mutex_destroy(&cs->readers_lock);
	pthread_mutex_destroy(&cs->lock);
}

/* ---- memos: what a container's views remember, kept for the next server ---- */

static void memo_restore(struct pl_fs *fs, struct pl_container *c)
{
	struct pl_ms_memo m = { .key = c->key, .init_start_ns = c->init_start_ns, .own_ns = c->own_ns };
	struct pl_ms_memo_cpu cpu;
	uint64_t *u, *s, *i;

	if (!fs->cfg.state)
		return;
	u = calloc(PL_MS_MEMO_CPUS, sizeof(*u));
	s = calloc(PL_MS_MEMO_CPUS, sizeof(*s));
	i = calloc(PL_MS_MEMO_CPUS, sizeof(*i));
	if (u && s && i && pl_mountstate_memo_load(fs->cfg.state, &m, u, s, i, &cpu)) {
		for (int k = 0; k < 3; k++)
			c->loadavg.avg_fixed[k] = m.loadavg[k];
		c->loadavg.last_sample_ns = m.loadavg_last_ns;
		c->loadavg.sampled = m.loadavg_sampled;
		if (m.ncpu) {
			c->hist.ncpu = m.ncpu;
			c->hist.init_start_ns = c->init_start_ns;
			c->hist.user_ns = u;
			c->hist.system_ns = s;
			c->hist.idle_ns = i;
			/* Without it (an older server's memo) the capacity is counted afresh
			 * from the container's start, as that server did. */
			if (m.flags & PL_MS_MEMO_CAPACITY) {
				c->hist.capacity_ns = cpu.capacity_ns;
				c->hist.capacity_at_ns = cpu.capacity_at_ns;
			}
			/* Without it, the CPUs are unknown (cpus_key 0) and the next render
			 * carries the counters over to its own, as after a cpuset change. */
			if (m.flags & PL_MS_MEMO_BASE) {
				c->hist.cpus_key = cpu.cpus_key;
				memcpy(c->hist.base_ns, cpu.base_ns, sizeof(c->hist.base_ns));
			}
			return;
		}
	}
	free(u);
	free(s);
	free(i);
}

static void memo_save_locked(struct pl_fs *fs, struct pl_container *c)
{
	struct pl_ms_memo m = {
		.key = c->key,
		.init_start_ns = c->init_start_ns,
		.own_ns = c->own_ns,
		.loadavg_last_ns = c->loadavg.last_sample_ns,
		.loadavg_sampled = c->loadavg.sampled,
	};
	struct pl_ms_memo_cpu cpu;
	bool hist = c->hist.user_ns && c->hist.system_ns && c->hist.idle_ns &&
		    c->hist.init_start_ns == c->init_start_ns && c->hist.ncpu <= PL_MS_MEMO_CPUS;

	if (!fs->cfg.state)
		return;
	for (int k = 0; k < 3; k++)
		m.loadavg[k] = c->loadavg.avg_fixed[k];
	m.ncpu = hist ? c->hist.ncpu : 0;
	m.flags = hist ? (c->hist.capacity_at_ns ? PL_MS_MEMO_CAPACITY : 0) | PL_MS_MEMO_BASE : 0;
	cpu = (struct pl_ms_memo_cpu){
		.capacity_ns = c->hist.capacity_ns,
		.capacity_at_ns = c->hist.capacity_at_ns,
		.cpus_key = c->hist.cpus_key,
	};
	memcpy(cpu.base_ns, c->hist.base_ns, sizeof(cpu.base_ns));
	/* Best effort: without a memo a new server starts this container's afresh. */
	(void)pl_mountstate_memo_save(fs->cfg.state, &m, c->hist.user_ns, c->hist.system_ns, c->hist.idle_ns,
				      &cpu);
}

static bool changes_memo(const struct pl_fs *fs, const struct pl_view *v)
{
	for (size_t k = 0; k < sizeof(fs->memo_views) / sizeof(fs->memo_views[0]); k++)
		if (v == fs->memo_views[k])
			return true;
	return false;
}

static struct pl_container *container_alloc(void)
{
	struct pl_container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ns_fd = -1;
	c->pidfd = -1;
	c->slot = calloc(pl_views_count, sizeof(*c->slot));
	if (!c->slot || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->slot);
		free(c);
		return NULL;
	}
	return c;
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks * (1000000000ull / (uint64_t)pl_clk_tck());
}

/* A reader in another pid namespace: pin the namespace and its init. */
static int container_new_foreign(struct pl_fs *fs, pid_t caller, uint64_t ns, struct pl_container **out)
{
	struct pl_container *c = container_alloc();
	char path[64];
	uint64_t start_ticks, ino;
	int r;

	if (!c)
		return -ENOMEM;
	c->key = ns;
	r = pl_pidns_init_pid(fs->host.proc_fd, caller, &c->init_pid);
	if (r < 0)
		goto fail;
	r = pl_pidfd_open(c->init_pid, 0);
	if (r < 0)
		goto fail;
	c->pidfd = r;
	snprintf(path, sizeof(path), "%d/ns/pid", (int)c->init_pid);
	c->ns_fd = openat(fs->host.proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (c->ns_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = pl_host_proc_start(&fs->host, c->init_pid, &start_ticks);
	if (r < 0)
		goto fail;
	c->init_start_ns = ticks_to_ns(start_ticks);
	/* A kernel without time namespaces has no such file: no offset. */
	r = pl_host_timens_boottime(&fs->host, c->init_pid, &c->boottime_offset_ns);
	if (r == -ENOENT)
		c->boottime_offset_ns = 0;
	else if (r < 0)
		goto fail;
	/* The pid we resolved might have been recycled between the lookup and pidfd_open:
	 * the init is ours only if it still lives in the reader's namespace. */
	r = pl_pidns_ino(fs->host.proc_fd, c->init_pid, &ino);
	if (r < 0)
		goto fail;
	if (ino != ns || !pidfd_alive(c->pidfd)) {
		r = -ESRCH;
		goto fail;
	}
	memo_restore(fs, c);
	*out = c;
	return 0;
fail:
	container_free(c);
	return r;
}

/* A container for readers of our own pid namespace: keyed by key_text, which is the
 * text of a reader's /proc/PID/cgroup (parsed for the cgroups) or, with cgroup_path, a
 * made-up key for "a process in that cgroup". Takes key_text on success. */
static int container_new_own(struct pl_fs *fs, char *key_text, uint64_t hash, const char *cgroup_path,
			     struct pl_container **out)
{
	struct pl_container *c = container_alloc();
	int r;

	if (!c)
		return -ENOMEM;
	c->own_ns = true;
	c->key = hash;
	c->init_pid = 1;
	c->init_start_ns = fs->self_init_start_ns;
	r = cgroup_path ? pl_cgroup_from_path(&fs->cgroot, cgroup_path, &c->cg)
			: pl_cgroup_parse_proc(&fs->cgroot, key_text, &c->cg);
	if (r < 0) {
		container_free(c);
		return r;
	}
	c->cg_valid = true;
	c->cg_at_ns = UINT64_MAX; /* the key is the cgroup: never re-read */
	c->cg_text = key_text;
	memo_restore(fs, c);
	*out = c;
	return 0;
}

/* Drop entries nobody uses whose init is gone or which were idle for long. */
static void sweep_locked(struct pl_containers *cs, uint64_t now)
{
	if (now - cs->last_sweep_ns < SWEEP_INTERVAL_NS)
		return;
	cs->last_sweep_ns = now;
	for (size_t b = 0; b < PL_CONTAINER_BUCKETS; b++) {
		struct pl_container **link = &cs->bucket[b];
		while (*link) {
			struct pl_container *c = *link;
			bool dead = c->pidfd >= 0 && !pidfd_alive(c->pidfd);
			uint64_t la_read = atomic_load_explicit(&c->loadavg_read_ns, memory_order_relaxed);
			/* A container still being sampled keeps its load history. */
			bool sampled = la_read && now - la_read < LOADAVG_KEEP_NS;

			if (c->refs == 0 && (dead || (now - c->last_used_ns > IDLE_EVICT_NS && !sampled))) {
				*link = c->next;
				cs->count--;
				container_free(c);
				continue;
			}
			link = &c->next;
		}
	}
}

/* Make room for one more entry: drop the one unused for longest among those nobody holds.
 * Its memo is saved as it goes; a reader coming back restores it. */
static bool evict_lru_locked(struct pl_fs *fs, struct pl_containers *cs)
{
	struct pl_container **victim = NULL, *c;

	for (size_t b = 0; b < PL_CONTAINER_BUCKETS; b++)
		for (struct pl_container **link = &cs->bucket[b]; *link; link = &(*link)->next)
			if ((*link)->refs == 0 && (!victim || (*link)->last_used_ns < (*victim)->last_used_ns))
				victim = link;
	if (!victim)
		return false;
	c = *victim;
	*victim = c->next;
	cs->count--;
	pthread_mutex_lock(&c->lock);
	memo_save_locked(fs, c);
	pthread_mutex_unlock(&c->lock);
	container_free(c);
	return true;
}

static struct pl_container *find_locked(struct pl_containers *cs, bool own, uint64_t key, const char *cg_text)
{
	for (struct pl_container *c = cs->bucket[key % PL_CONTAINER_BUCKETS]; c; c = c->next)
		if (c->own_ns == own && c->key == key && (!own || strcmp(c->cg_text, cg_text) == 0))
			return c;
	return NULL;
}

static struct pl_container *take_or_insert(struct pl_fs *fs, bool own, uint64_t key, const char *cg_text,
					   struct pl_container *fresh)
{
	struct pl_containers *cs = &fs->containers;
	uint64_t now = pl_now_monotonic_ns();
	struct pl_container *c;

	pthread_mutex_lock(&cs->lock);
	c = find_locked(cs, own, key, cg_text);
	if (!c && fresh && cs->count >= cs->max && !evict_lru_locked(fs, cs)) {
		/* Every entry is held by an open file: the reader waits for one to close. */
		pthread_mutex_unlock(&cs->lock);
		container_free(fresh);
		return NULL;
	}
	if (!c && fresh) {
		c = fresh;
		fresh = NULL;
		c->next = cs->bucket[key % PL_CONTAINER_BUCKETS];
		cs->bucket[key % PL_CONTAINER_BUCKETS] = c;
		cs->count++;
	}
	if (c) {
		c->refs++;
		c->last_used_ns = now;
	}
	sweep_locked(cs, now);
	pthread_mutex_unlock(&cs->lock);
	container_free(fresh); /* lost a race with another thread creating it */
	return c;
}

int pl_container_get(struct pl_fs *fs, pid_t caller, struct pl_container **out)
{
	struct pl_container *c, *fresh = NULL;
	uint64_t ns;
	int r;

	if (caller <= 0)
		return -ESRCH; /* the kernel could not name the reader in our pid namespace */
	r = reader_pidns(fs, caller, &ns);
	if (r < 0)
		return r;
	if (ns != fs->self_pidns) {
		c = take_or_insert(fs, false, ns, NULL, NULL);
		if (!c) {
			r = container_new_foreign(fs, caller, ns, &fresh);
			if (r < 0)
				return r;
			c = take_or_insert(fs, false, ns, NULL, fresh);
			if (!c)
				return -EMFILE;
		}
	} else {
		_cleanup_free_ char *text = NULL;
		char path[64];
		uint64_t h;

		snprintf(path, sizeof(path), "%d/cgroup", (int)caller);
		r = (int)pl_read_file_at(fs->host.proc_fd, path, &text);
		if (r < 0)
			return r;
		h = hash_text(text);
		c = take_or_insert(fs, true, h, text, NULL);
		if (!c) {
			r = container_new_own(fs, text, h, NULL, &fresh);
			if (r < 0)
				return r;
			text = NULL; /* owned by fresh */
			c = take_or_insert(fs, true, h, fresh->cg_text, fresh);
			if (!c)
				return -EMFILE;
		}
	}
	*out = c;
	return 0;
}

void pl_container_ref(struct pl_fs *fs, struct pl_container *c)
{
	pthread_mutex_lock(&fs->containers.lock);
	c->refs++;
	pthread_mutex_unlock(&fs->containers.lock);
}

int pl_container_for_cgroup(struct pl_fs *fs, const char *path, struct pl_container **out)
{
	struct pl_container *c, *fresh = NULL;
	_cleanup_free_ char *key = NULL;
	uint64_t h;
	int r;

	/* Keyed like a reader of our namespace, by a text no /proc/PID/cgroup can have. */
	if (asprintf(&key, "cgroup-path:%s", path) < 0)
		return -ENOMEM;
	h = hash_text(key);
	c = take_or_insert(fs, true, h, key, NULL);
	if (!c) {
		r = container_new_own(fs, key, h, path, &fresh);
		if (r < 0)
			return r;
		key = NULL; /* owned by fresh */
		c = take_or_insert(fs, true, h, fresh->cg_text, fresh);
		if (!c)
			return -EMFILE;
	}
	*out = c;
	return 0;
}

void pl_container_put(struct pl_fs *fs, struct pl_container *c)
{
	pthread_mutex_lock(&fs->containers.lock);
	c->refs--;
	pthread_mutex_unlock(&fs->containers.lock);
}

static uint64_t cache_ns(const struct pl_fs *fs)
{
	return (uint64_t)fs->cfg.cache_ms * 1000000ull;
}

/* A container's init can be moved to another cgroup; look again once the cache expires. */
static int refresh_cgroup_locked(struct pl_fs *fs, struct pl_container *c, uint64_t now)
{
	struct pl_cgroup cg;
	int r;

	if (c->own_ns || (c->cg_valid && now - c->cg_at_ns < cache_ns(fs) && now >= c->cg_at_ns))
		return 0;
	r = pl_cgroup_of_pid(&fs->cgroot, fs->host.proc_fd, c->init_pid, &cg);
	if (r < 0)
		return r;
	if (!pidfd_alive(c->pidfd)) { /* what we read may belong to a recycled pid */
		pl_cgroup_free(&cg);
		return -ESRCH;
	}
	pl_cgroup_free(&c->cg);
	c->cg = cg;
	c->cg_valid = true;
	c->cg_at_ns = now;
	return 0;
}

int pl_container_cpus(struct pl_fs *fs, struct pl_container *c, struct pl_cpuset *visible, bool *host_view)
{
	struct pl_source src = { .host = &fs->host, .cg = &c->cg, .opts = &fs->cfg.view };
	int r;

	pthread_mutex_lock(&c->lock);
	r = refresh_cgroup_locked(fs, c, pl_now_monotonic_ns());
	if (r >= 0) {
		*host_view = pl_cgroup_is_root_of(&c->cg, PL_CPUVIEW_CPUS);
		if (!*host_view)
			r = pl_cpuview_collect_visible(&src, visible, NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

static int render_locked(struct pl_fs *fs, struct pl_container *c, const struct pl_view *v, pid_t reader_tid,
			 struct pl_rendered **out)
{
	struct pl_source src = {
		.host = &fs->host,
		.cg = &c->cg,
		.opts = &fs->cfg.view,
		.now_ns = pl_now_boottime_ns(),
		.init_start_ns = c->init_start_ns,
		.boottime_offset_ns = c->boottime_offset_ns,
		.cpu_history = &c->hist,
		.loadavg = &c->loadavg,
		.init_pid = c->init_pid,
		.reader_tid = reader_tid,
	};
	struct pl_buf buf;
	struct pl_rendered *rd;
	int r;

	pl_buf_init(&buf);
	r = pl_view_generate(v, &src, &buf);
	if (r < 0) {
		pl_buf_free(&buf);
		return r;
	}
	rd = pl_rendered_new(buf.data, buf.len);
	pl_buf_free(&buf);
	if (!rd)
		return -ENOMEM;
	*out = rd;
	return 0;
}

static void log_failure_once(struct pl_container *c, struct render_slot *slot, const struct pl_view *v, int err)
{
	/* "Stale file handle" would puzzle whoever reads the log. */
	const char *why = err == -ESTALE ? "its cgroup is gone" : strerror(-err);

	if (slot->logged_err == err)
		return;
	slot->logged_err = err;
	if (c->own_ns)
		pl_log_err("cannot render %s for a reader in cgroup %s: %s", v->path,
			   c->cg.path[PL_CTRL_MEMORY] ? c->cg.path[PL_CTRL_MEMORY] : "?", why);
	else
		pl_log_err("cannot render %s for the container whose init is pid %d: %s", v->path,
			   (int)c->init_pid, why);
}

int pl_container_render(struct pl_fs *fs, struct pl_container *c, const struct pl_view *v, pid_t reader_tid,
			struct pl_rendered **out)
{
	struct render_slot *slot = &c->slot[v - pl_views];
	uint64_t now = pl_now_monotonic_ns();
	struct pl_rendered *rd;
	int r;

	pthread_mutex_lock(&c->lock);
	/* Marked under the lock, which the sampler takes to sample: the first sample of a
	 * container comes after its first render, never between this mark and the render (a
	 * serving thread preempted there, as a SCHED_IDLE one can be for milliseconds, let the
	 * sampler count the reader itself, and an idle container's first read said 0.08). */
	if (v == fs->loadavg_view)
		atomic_store_explicit(&c->loadavg_read_ns, now, memory_order_relaxed);
	if (slot->r && now - slot->at_ns < cache_ns(fs)) {
		atomic_fetch_add_explicit(&slot->r->refs, 1, memory_order_relaxed);
		*out = slot->r;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	r = refresh_cgroup_locked(fs, c, now);
	if (r >= 0)
		r = render_locked(fs, c, v, reader_tid, &rd);
	if (r < 0) {
		log_failure_once(c, slot, v, r);
		pthread_mutex_unlock(&c->lock);
		return r;
	}
	slot->logged_err = 0;
	if (changes_memo(fs, v))
		memo_save_locked(fs, c);
	pl_rendered_put(slot->r);
	if (fs->cfg.cache_ms) {
		atomic_fetch_add_explicit(&rd->refs, 1, memory_order_relaxed);
		slot->r = rd;
		slot->at_ns = now;
	} else {
		slot->r = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	*out = rd;
	return 0;
}

/* ---- the load average sampler ----
 * Like the kernel, every 5 s, but only for containers whose proc/loadavg was read in the last
 * 15 minutes (LOADAVG_KEEP_NS): hundreds of idle containers nobody asks about cost nothing.
 * A sample walks one container's tasks, so its cost follows the container's size, not the
 * host's. */

static size_t take_loadavg_readers(struct pl_fs *fs, struct pl_container ***out)
{
	struct pl_containers *cs = &fs->containers;
	uint64_t now = pl_now_monotonic_ns();
	struct pl_container **list;
	size_t n = 0;

	pthread_mutex_lock(&cs->lock);
	list = calloc(cs->count ? cs->count : 1, sizeof(*list));
	for (size_t b = 0; list && b < PL_CONTAINER_BUCKETS; b++)
		for (struct pl_container *c = cs->bucket[b]; c; c = c->next) {
			uint64_t read = atomic_load_explicit(&c->loadavg_read_ns, memory_order_relaxed);
			if (read && now - read < LOADAVG_KEEP_NS) {
				c->refs++;
				list[n++] = c;
			}
		}
	pthread_mutex_unlock(&cs->lock);
	*out = list;
	return n;
}

void pl_containers_sample_loadavg(struct pl_fs *fs)
{
	struct pl_container **list;
	size_t n = take_loadavg_readers(fs, &list);

	for (size_t i = 0; i < n; i++) {
		struct pl_container *c = list[i];
		struct pl_source src = {
			.host = &fs->host,
			.cg = &c->cg,
			.opts = &fs->cfg.view,
			.init_start_ns = c->init_start_ns,
			.init_pid = c->init_pid,
		};

		pthread_mutex_lock(&c->lock);
		src.now_ns = pl_now_boottime_ns();
		if (refresh_cgroup_locked(fs, c, pl_now_monotonic_ns()) >= 0) {
			pl_loadavg_sample(&src, &c->loadavg);
			memo_save_locked(fs, c);
		}
		pthread_mutex_unlock(&c->lock);
		pl_container_put(fs, c);
	}
	free(list);
}
