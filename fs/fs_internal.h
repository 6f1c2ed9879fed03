/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "fs.h"
#include "mirror.h"
#include "tree.h"
#include "proclens/cgroup.h"
#include "proclens/host.h"

/* A rendered file, shared by every open that took it from the cache. */
struct pl_rendered {
	atomic_uint refs;
	size_t len;
	char data[];
};

void pl_rendered_put(struct pl_rendered *r);
struct pl_rendered *pl_rendered_new(const char *data, size_t len);

struct pl_container;

#define PL_CONTAINER_BUCKETS 256
#define PL_READER_SLOTS 128

/* A reader in another pid namespace, remembered: the namespace of a task never changes, and
 * a pidfd tells whether the pid still names the task it was read for. */
struct pl_reader_ns {
	pid_t pid;
	int pidfd; /* -1: empty */
	uint64_t ns;
};

struct pl_containers {
	pthread_mutex_t lock;
	struct pl_container *bucket[PL_CONTAINER_BUCKETS];
	size_t count;
	size_t max; /* entries kept at most (pl_containers_max) */
	uint64_t last_sweep_ns;
	pthread_mutex_t readers_lock;
	struct pl_reader_ns readers[PL_READER_SLOTS]; /* by pid, one per slot */
};

struct pl_fs {
	struct pl_fs_config cfg;
	struct pl_host host;
	struct pl_cgroup_root cgroot;
	struct pl_tree tree;
	uint64_t *node_ino;  /* the inode of each tree node */
	uint32_t *ino_node;  /* [0..ino_max]: the node of each static inode, UINT32_MAX: none */
	uint64_t ino_max;
	uint64_t self_pidns;        /* our pid namespace: its readers are seen by their own cgroup */
	uint64_t self_init_start_ns; /* when pid 1 of our namespace started */
	struct timespec mount_time;
	struct pl_containers containers;
	struct pl_mirrors mirrors;
	const struct pl_view *loadavg_view; /* readers of it keep their container sampled */
	const struct pl_view *memo_views[2]; /* renders that change a container's memo */

	/* the load average sampler thread */
	pthread_t sampler;
	_Atomic pid_t sampler_tid; /* once it runs */
	bool sampler_running;
	bool sampler_stop; /* under sampler_lock */
	pthread_mutex_t sampler_lock;
	pthread_cond_t sampler_wake;
	/* Open files released since the sampler last gave free heap pages back. */
	atomic_uint released_since_trim;
};

int pl_containers_init(struct pl_containers *cs);
/* How many containers fit in a limit of nofile descriptors: two each (pidfd, pid namespace),
 * beside a reserve for the remembered readers, the renders' own opens and the transport. */
size_t pl_containers_max(unsigned long long nofile);
void pl_containers_destroy(struct pl_containers *cs);
/* The container `caller` belongs to, with a reference (drop with pl_container_put). */
int pl_container_get(struct pl_fs *fs, pid_t caller, struct pl_container **out);
void pl_container_put(struct pl_fs *fs, struct pl_container *c);
/* Another reference to a container the caller holds one on. */
void pl_container_ref(struct pl_fs *fs, struct pl_container *c);
/* A container standing for "a process of our pid namespace in cgroup `path`" (same path in
 * every hierarchy), referenced. -ENOENT when no hierarchy has that cgroup. */
int pl_container_for_cgroup(struct pl_fs *fs, const char *path, struct pl_container **out);
/* The host CPUs container c may use, in the order it numbers them; *host_view when the
 * reader is the whole machine for them (the root cpuset and cpu cgroups, as cpuinfo and
 * the sysfs lists decide): names and lists then pass through. */
int pl_container_cpus(struct pl_fs *fs, struct pl_container *c, struct pl_cpuset *visible, bool *host_view);
/* One round of the load average sampler (the sampler thread calls it every 5 s). */
void pl_containers_sample_loadavg(struct pl_fs *fs);
/* View v's content for container c, with a reference (drop with pl_rendered_put), for the
 * thread reader_tid (0: none; see pl_source). */
int pl_container_render(struct pl_fs *fs, struct pl_container *c, const struct pl_view *v, pid_t reader_tid,
			struct pl_rendered **out);
