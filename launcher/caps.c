/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capabilities: the default set container runtimes grant, --cap-add/--cap-drop, and the
 * reduction of every set before exec. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

#define BIT(c) (UINT64_C(1) << (c))

/* The OCI default profile (Docker, Podman, crun): what a root process in a container
 * usually needs, nothing that reaches outside it (no SYS_ADMIN, NET_ADMIN, SYS_MODULE...). */
uint64_t pl_caps_default(void)
{
	return BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) | BIT(CAP_FOWNER) | BIT(CAP_MKNOD) |
	       BIT(CAP_NET_RAW) | BIT(CAP_SETGID) | BIT(CAP_SETUID) | BIT(CAP_SETFCAP) | BIT(CAP_SETPCAP) |
	       BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);
}

static uint64_t caps_all(void)
{
	return CAP_LAST_CAP >= 63 ? ~UINT64_C(0) : BIT(CAP_LAST_CAP + 1) - 1;
}

/* Names as capabilities(7) spells them, without "CAP_". Raw system calls and this table
 * instead of libcap: one shared library less to load on every container start. */
static const char *const cap_names[] = {
    [CAP_CHOWN] = "chown",
    [CAP_DAC_OVERRIDE] = "dac_override",
    [CAP_DAC_READ_SEARCH] = "dac_read_search",
    [CAP_FOWNER] = "fowner",
    [CAP_FSETID] = "fsetid",
    [CAP_KILL] = "kill",
    [CAP_SETGID] = "setgid",
    [CAP_SETUID] = "setuid",
    [CAP_SETPCAP] = "setpcap",
    [CAP_LINUX_IMMUTABLE] = "linux_immutable",
    [CAP_NET_BIND_SERVICE] = "net_bind_service",
    [CAP_NET_BROADCAST] = "net_broadcast",
    [CAP_NET_ADMIN] = "net_admin",
    [CAP_NET_RAW] = "net_raw",
    [CAP_IPC_LOCK] = "ipc_lock",
    [CAP_IPC_OWNER] = "ipc_owner",
    [CAP_SYS_MODULE] = "sys_module",
    [CAP_SYS_RAWIO] = "sys_rawio",
    [CAP_SYS_CHROOT] = "sys_chroot",
    [CAP_SYS_PTRACE] = "sys_ptrace",
    [CAP_SYS_PACCT] = "sys_pacct",
    [CAP_SYS_ADMIN] = "sys_admin",
    [CAP_SYS_BOOT] = "sys_boot",
    [CAP_SYS_NICE] = "sys_nice",
    [CAP_SYS_RESOURCE] = "sys_resource",
    [CAP_SYS_TIME] = "sys_time",
    [CAP_SYS_TTY_CONFIG] = "sys_tty_config",
    [CAP_MKNOD] = "mknod",
    [CAP_LEASE] = "lease",
    [CAP_AUDIT_WRITE] = "audit_write",
    [CAP_AUDIT_CONTROL] = "audit_control",
    [CAP_SETFCAP] = "setfcap",
    [CAP_MAC_OVERRIDE] = "mac_override",
    [CAP_MAC_ADMIN] = "mac_admin",
    [CAP_SYSLOG] = "syslog",
    [CAP_WAKE_ALARM] = "wake_alarm",
    [CAP_BLOCK_SUSPEND] = "block_suspend",
    [CAP_AUDIT_READ] = "audit_read",
    [38] = "perfmon",
    [39] = "bpf",
    [40] = "checkpoint_restore",
};

static int cap_parse_one(const char *name, uint64_t *mask)
{
	uint64_t number;

	if (strcasecmp(name, "ALL") == 0) {
		*mask |= caps_all();
		return 0;
	}
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < PL_ARRAY_SIZE(cap_names); i++) {
		if (cap_names[i] && strcasecmp(name, cap_names[i]) == 0) {
			*mask |= BIT(i);
			return 0;
		}
	}
	/* A number, for a capability newer than this table (as libcap accepts). */
	if (pl_parse_u64(name, &number) == 0 && number < PL_CAP_SET_BITS) {
		*mask |= BIT(number);
		return 0;
	}
	return -EINVAL;
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

int pl_caps_apply(uint64_t mask, struct pl_err *e)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	/* The bounding set decides what a later exec (even of a setuid or file-capability
	 * binary) can gain, so it is reduced first, while we still hold CAP_SETPCAP. Past the
	 * kernel's last capability both prctls answer EINVAL: bits from there on are not
	 * capabilities of this kernel, and capset would refuse them. */
	for (int c = 0; c < PL_CAP_SET_BITS; c++) {
		int r = (mask & BIT(c)) ? prctl(PR_CAPBSET_READ, c, 0, 0, 0) : prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
		if (r < 0 && errno == EINVAL) {
			mask &= BIT(c) - 1;
			break;
		}
		if (r < 0)
			return pl_errf(e, -errno, "cannot drop capability %d from the bounding set", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return pl_errf(e, -errno, "cannot clear the ambient capabilities");
	memset(data, 0, sizeof(data));
	for (unsigned i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		uint32_t word = (uint32_t)(mask >> (32 * i));
		data[i].effective = data[i].permitted = data[i].inheritable = word;
	}
	if (syscall(SYS_capset, &header, data) < 0)
		return pl_errf(e, -errno, "cannot set capabilities");
	return 0;
}
