/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A cgroup's pressure stall information (cpu.pressure, memory.pressure, io.pressure). The
 * kernel accounts PSI per cgroup of the v2 hierarchy, whichever controllers are enabled and
 * on a hybrid layout as well, so the files are looked up through the v2 path alone. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proclens/cgroup.h"
#include "proclens/cleanup.h"
#include "proclens/trace.h"
#include "proclens/util.h"

static const char *skip_prefix(const char *p, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(p, prefix, len) == 0 ? p + len : NULL;
}

/* "12.34": digits, a dot, digits. */
static const char *skip_decimal(const char *p)
{
	const char *start = p;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == start || *p != '.')
		return NULL;
	start = ++p;
	while (*p >= '0' && *p <= '9')
		p++;
	return p == start ? NULL : p;
}

static const char *skip_integer(const char *p)
{
	const char *start = p;

	while (*p >= '0' && *p <= '9')
		p++;
	return p == start ? NULL : p;
}

/* "<kind> avg10=.. avg60=.. avg300=.. total=..\n"; returns what follows, or NULL. */
static const char *skip_psi_line(const char *p, const char *kind)
{
	static const char *const avgs[] = {" avg10=", " avg60=", " avg300="};

	p = skip_prefix(p, kind);
	for (size_t i = 0; p && i < PL_ARRAY_SIZE(avgs); i++) {
		p = skip_prefix(p, avgs[i]);
		p = p ? skip_decimal(p) : NULL;
	}
	p = p ? skip_prefix(p, " total=") : NULL;
	p = p ? skip_integer(p) : NULL;
	return p && *p == '\n' ? p + 1 : NULL;
}

int pl_pressure_validate(const char *text)
{
	const char *p;

	if (!text)
		return -EINVAL;
	p = skip_psi_line(text, "some");
	/* "full" is absent from cpu.pressure before Linux 5.13. */
	if (p && *p)
		p = skip_psi_line(p, "full");
	return p && *p == '\0' ? 0 : -EINVAL;
}

ssize_t pl_cgroup_pressure(const struct pl_cgroup *cg, const char *resource, char **text)
{
	_cleanup_free_ char *buf = NULL;
	char rel[PATH_MAX], file[64];
	const char *path;
	ssize_t n;
	int len;

	*text = NULL;
	if (!cg || !cg->root || !resource || !*resource || strchr(resource, '/'))
		return -EINVAL;
	path = cg->v2_path;
	snprintf(file, sizeof(file), "%s.pressure", resource);
	if (cg->root->v2_fd < 0 || !path) {
		pl_trace_cgroup_read(cg, PL_CTRL_COUNT, "", 0, false, file, NULL, "pressure",
				     "no cgroup v2 hierarchy or no place in it: PSI is kept per v2 cgroup",
				     -ENOENT);
		return -ENOENT;
	}
	/* The v2 root's files describe the whole machine. On a hybrid layout a container that
	 * lives in v1 cgroups only is still at the v2 root: showing that would leak the host. */
	if (!*path && strcmp(cg->root->v2_mount_root ? cg->root->v2_mount_root : "/", "/") == 0) {
		pl_trace_cgroup_read(
		    cg, PL_CTRL_COUNT, "", 0, false, file, NULL, "pressure",
		    "the cgroup is the root of the v2 hierarchy, whose pressure is the machine's", -ENOENT);
		return -ENOENT;
	}
	len = snprintf(rel, sizeof(rel), "%s%s%s.pressure", path, *path ? "/" : "", resource);
	if (len < 0 || (size_t)len >= sizeof(rel))
		return -ENAMETOOLONG;
	n = pl_read_file_at(cg->root->v2_fd, rel, &buf);
	pl_trace_cgroup_read(cg, PL_CTRL_COUNT, path, strlen(path), false, file, NULL, "pressure",
			     n >= 0 ? buf : NULL, n < 0 ? (int)n : pl_pressure_validate(buf));
	if (n < 0)
		return n;
	if (pl_pressure_validate(buf) < 0)
		return -EINVAL;
	*text = TAKE_PTR(buf);
	return n;
}
