/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capabilities: the default set container runtimes grant, --cap-add/--cap-drop, and the
 * reduction of every set before exec. */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "launcher.h"
#include "proclens/cleanup.h"

#define BIT(c) (UINT64_C(1) << (c))

/* The OCI default profile (Docker, crun): what a root process in a container usually needs,
 * nothing that reaches outside it (no SYS_ADMIN, NET_ADMIN, SYS_MODULE...). Without MKNOD,
 * as Podman's: those runtimes also confine devices with a device cgroup, which we do not
 * make, so a node made in the container's /dev would open the device it names. */
uint64_t pl_caps_default(void)
{
	return BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) | BIT(CAP_FOWNER) |
	       BIT(CAP_NET_RAW) | BIT(CAP_SETGID) | BIT(CAP_SETUID) | BIT(CAP_SETFCAP) | BIT(CAP_SETPCAP) |
	       BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);
}

static uint64_t caps_all(void)
{
	return CAP_LAST_CAP >= 63 ? ~UINT64_C(0) : BIT(CAP_LAST_CAP + 1) - 1;
}

static int cap_parse_one(const char *name, uint64_t *mask)
{
	char full[64];
	cap_value_t v;

	if (strcasecmp(name, "ALL") == 0) {
		*mask |= caps_all();
		return 0;
	}
	/* A number ("12") is read as every number on our command line is: libcap's strtoul
	 * of base 0 would take "010" for 8 and "0x15" for 21. */
	if (name[0] >= '0' && name[0] <= '9') {
		uint64_t n;

		if (pl_parse_arg_u64(name, PL_CAP_SET_BITS - 1, &n) < 0 || n >= (uint64_t)cap_max_bits())
			return -EINVAL;
		*mask |= BIT(n);
		return 0;
	}
	/* A name with its prefix libcap reads as it is. */
	if (strncasecmp(name, "CAP_", 4) == 0)
		snprintf(full, sizeof(full), "%s", name);
	else
		snprintf(full, sizeof(full), "cap_%s", name);
	/* libcap knows every name of the kernel it was built for, in any case; a number must
	 * be a capability of the running kernel (cap_max_bits reads cap_last_cap). */
	if (cap_from_name(full, &v) < 0 || v < 0 || v >= PL_CAP_SET_BITS || v >= cap_max_bits())
		return -EINVAL;
	*mask |= BIT(v);
	return 0;
}

int pl_caps_parse(const char *list, uint64_t *mask)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL, *tok;
	uint64_t parsed = 0;
	int r, n = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		r = cap_parse_one(tok, &parsed);
		if (r < 0)
			return r;
		n++;
	}
	if (n == 0)
		return -EINVAL;
	*mask |= parsed;
	return 0;
}

/* Drops win over adds, except that an explicit add survives "--cap-drop ALL" as in other
 * runtimes ("--cap-drop ALL --cap-add NET_BIND_SERVICE"). */
uint64_t pl_caps_effective(uint64_t add, uint64_t drop)
{
	uint64_t all = caps_all();

	if ((drop & all) == all)
		return add & all;
	return ((pl_caps_default() | add) & ~drop) & all;
}

int pl_caps_apply(uint64_t mask, uint64_t added, struct pl_err *e)
{
	cap_value_t list[PL_CAP_SET_BITS];
	int n = 0, last = (int)cap_max_bits() - 1;
	cap_t caps;
	int r;

	/* Nobody can grant what is not in its own bounding set (proclens run inside another
	 * container, or under a service manager's CapabilityBoundingSet=): what the default
	 * set or ALL would have added goes, a capability asked for by name is an error. */
	for (int c = 0; c <= last && c < PL_CAP_SET_BITS; c++) {
		if (!(mask & BIT(c)) || prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			continue;
		mask &= ~BIT(c);
		if ((added & BIT(c)) && (added & caps_all()) != caps_all()) {
			char *name = cap_to_name(c);
			pl_errf(e, -EPERM, "--cap-add %s: proclens does not hold that capability itself (not in its bounding set)",
				name ? name : "?");
			cap_free(name);
			return -EPERM;
		}
	}

	/* The bounding set decides what a later exec (even of a setuid or file-capability
	 * binary) can gain, so it is reduced first, while we still hold CAP_SETPCAP. */
	for (int c = 0; c <= last; c++) {
		if (c < PL_CAP_SET_BITS && (mask & BIT(c)))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return pl_errf(e, -errno, "cannot drop capability %d from the bounding set", c);
	}
	/* One call, where libcap's cap_reset_ambient() asks about every capability first. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pl_errf(e, -errno, "cannot clear the ambient capabilities");

	for (int c = 0; c <= last && c < PL_CAP_SET_BITS; c++)
		if (mask & BIT(c))
			list[n++] = c;
	caps = cap_init();
	if (!caps)
		return pl_errf(e, -errno, "cap_init");
	if (n > 0 && (cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) < 0 ||
		      cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) < 0 ||
		      cap_set_flag(caps, CAP_INHERITABLE, n, list, CAP_SET) < 0)) {
		r = -errno;
		cap_free(caps);
		return pl_errf(e, r, "cannot build the capability set");
	}
	r = cap_set_proc(caps) < 0 ? -errno : 0;
	cap_free(caps);
	if (r < 0)
		return pl_errf(e, r, "cannot set capabilities");
	return 0;
}
