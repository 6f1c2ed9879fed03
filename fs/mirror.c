/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mirror.h"
#include "mountstate.h"

const struct pl_mirror_spec pl_mirror_specs[] = {
	{ "sys/devices/system/cpu", "devices/system/cpu", true },
};
const size_t pl_mirror_specs_count = sizeof(pl_mirror_specs) / sizeof(pl_mirror_specs[0]);

/* A limit on what a reader can make us allocate by walking sysfs. */
#define MAX_NODES 65536

int pl_mirrors_init(struct pl_mirrors *m)
{
	memset(m, 0, sizeof(*m));
	m->nslots = 1024;
	m->slot = calloc(m->nslots, sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
	return -pthread_mutex_init(&m->lock, NULL);
}

void pl_mirrors_destroy(struct pl_mirrors *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->node[i]->host_rel);
		free(m->node[i]);
	}
	free(m->node);
	free(m->slot);
	pthread_mutex_destroy(&m->lock);
	memset(m, 0, sizeof(*m));
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int grow_slots(struct pl_mirrors *m)
{
	size_t nslots = m->nslots * 2;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		size_t s = hash_str(m->node[i]->host_rel) & (nslots - 1);
		while (slot[s])
			s = (s + 1) & (nslots - 1);
		slot[s] = (uint32_t)i + 1;
	}
	free(m->slot);
	m->slot = slot;
	m->nslots = nslots;
	return 0;
}

static int add_node_locked(struct pl_mirrors *m, const char *host_rel, mode_t type, uint32_t spec, size_t s,
			   uint32_t *idx)
{
	struct pl_mirror_node *nd;
	const char *base = strrchr(host_rel, '/');

	if (m->n >= MAX_NODES)
		return -ENOSPC;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct pl_mirror_node **grown = realloc(m->node, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		m->node = grown;
		m->cap = cap;
	}
	nd = calloc(1, sizeof(*nd));
	if (!nd || !(nd->host_rel = strdup(host_rel))) {
		free(nd);
		return -ENOMEM;
	}
	if (m->state) {
		/* Before the number is given out: a server taking over must know it. */
		int r = pl_mountstate_append(m->state, PL_MS_MIRROR, type, spec, host_rel);
		if (r < 0) {
			free(nd->host_rel);
			free(nd);
			return r;
		}
	}
	nd->type = type;
	nd->spec = spec;
	if (S_ISREG(type) && pl_mirror_specs[spec].renumber_cpus) {
		const char *root = pl_mirror_specs[spec].host_rel;
		bool at_root = base && (size_t)(base - host_rel) == strlen(root) &&
			       strncmp(host_rel, root, strlen(root)) == 0;

		nd->content = pl_mirror_content_of(base ? base + 1 : host_rel, at_root);
	} else {
		nd->content = PL_MIRROR_VERBATIM;
	}
	m->node[m->n] = nd;
	m->slot[s] = (uint32_t)m->n + 1;
	*idx = (uint32_t)m->n++;
	return 0;
}

int pl_mirrors_intern(struct pl_mirrors *m, const char *host_rel, mode_t type, uint32_t spec, uint32_t *idx)
{
	size_t s;
	int r = 0;

	pthread_mutex_lock(&m->lock);
	if (m->n * 2 >= m->nslots && (r = grow_slots(m)) < 0)
		goto out;
	for (s = hash_str(host_rel) & (m->nslots - 1); m->slot[s]; s = (s + 1) & (m->nslots - 1)) {
		struct pl_mirror_node *nd = m->node[m->slot[s] - 1];
		if (strcmp(nd->host_rel, host_rel) == 0) {
			/* sysfs can change a name's type (a hotplugged cpu): follow it. */
			nd->type = type;
			*idx = m->slot[s] - 1;
			goto out;
		}
	}
	r = add_node_locked(m, host_rel, type, spec, s, idx);
out:
	pthread_mutex_unlock(&m->lock);
	return r;
}

const struct pl_mirror_node *pl_mirrors_get(struct pl_mirrors *m, uint32_t idx)
{
	const struct pl_mirror_node *nd = NULL;

	pthread_mutex_lock(&m->lock);
	if (idx < m->n)
		nd = m->node[idx];
	pthread_mutex_unlock(&m->lock);
	return nd;
}

enum pl_mirror_content pl_mirror_content_of(const char *name, bool at_root)
{
	/* Files whose content names CPUs by host number: topology, caches, cpufreq's, and the
	 * lists at the top. `enabled` (Linux 6.10) was shown as it is, so a container with one
	 * CPU read the host's "0-1" there beside "0" in online, possible and present. */
	static const char *const root_lists[] = { "offline", "isolated", "nohz_full", "enabled" };
	static const char *const lists[] = { "related_cpus", "affected_cpus", "freqdomain_cpus" };
	static const char *const masks[] = { "thread_siblings", "core_siblings", "core_cpus", "die_cpus",
					     "package_cpus", "cluster_cpus", "shared_cpu_map", "book_siblings",
					     "drawer_siblings" };
	size_t len = strlen(name);

	if (len > 5 && strcmp(name + len - 5, "_list") == 0)
		return PL_MIRROR_CPULIST;
	for (size_t i = 0; at_root && i < sizeof(root_lists) / sizeof(root_lists[0]); i++)
		if (strcmp(name, root_lists[i]) == 0)
			return PL_MIRROR_CPULIST;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (strcmp(name, lists[i]) == 0)
			return PL_MIRROR_CPULIST;
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++)
		if (strcmp(name, masks[i]) == 0)
			return PL_MIRROR_CPUMASK;
	return PL_MIRROR_VERBATIM;
}

int pl_mirror_cpu_number(const char *name)
{
	long v = 0;

	if (strncmp(name, "cpu", 3) != 0 || name[3] < '0' || name[3] > '9')
		return -1;
	if (name[3] == '0' && name[4] != '\0')
		return -1;
	for (const char *p = name + 3; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return (int)v;
}
