/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host sysfs subtrees shown read-only below a directory of our tree, so tools that walk
 * /sys/devices/system/cpu (lscpu, glibc's get_nprocs_conf) find what they expect. Below a
 * mirror whose spec says so, the host's cpuN directories are shown only for the reader's
 * visible CPUs, renumbered from 0 like cpuinfo and stat, and files holding cpu lists or masks
 * are renumbered the same way. Nodes are made on first sight and never freed (sysfs
 * subtrees are small and fixed), so their inode numbers stay stable. */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct pl_mountstate;

struct pl_mirror_spec {
	const char *path;       /* in our tree: "sys/devices/system/cpu" */
	const char *host_rel;   /* below the host's /sys: "devices/system/cpu" */
	bool renumber_cpus;     /* cpuN children and cpu lists follow the reader's cpus */
};

extern const struct pl_mirror_spec pl_mirror_specs[];
extern const size_t pl_mirror_specs_count;

enum pl_mirror_content {
	PL_MIRROR_VERBATIM,
	PL_MIRROR_CPULIST, /* "0-3,8" */
	PL_MIRROR_CPUMASK, /* "0000000f" */
};

struct pl_mirror_node {
	char *host_rel;
	mode_t type; /* S_IFDIR, S_IFREG or S_IFLNK */
	uint32_t spec;
	enum pl_mirror_content content;
};

struct pl_mirrors {
	pthread_mutex_t lock;
	struct pl_mirror_node **node;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	struct pl_mountstate *state; /* new nodes are recorded here (NULL: nowhere) */
};

int pl_mirrors_init(struct pl_mirrors *m);
void pl_mirrors_destroy(struct pl_mirrors *m);
/* The node for host_rel (made if new); its index in *idx. */
int pl_mirrors_intern(struct pl_mirrors *m, const char *host_rel, mode_t type, uint32_t spec, uint32_t *idx);
const struct pl_mirror_node *pl_mirrors_get(struct pl_mirrors *m, uint32_t idx);

/* How a file's content must be treated, from its name ("thread_siblings_list"...) and
 * whether it is at the mirror's top (where "offline", "enabled"... are CPU lists). */
enum pl_mirror_content pl_mirror_content_of(const char *name, bool at_root);
/* "cpu12" -> 12; -1 for anything else ("cpufreq", "cpu", "cpu1a"). */
int pl_mirror_cpu_number(const char *name);
