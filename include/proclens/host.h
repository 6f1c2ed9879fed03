/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's own files, read through held dirfds so tests can point them at fixtures. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proclens/cpuset.h"

struct pl_host {
	int proc_fd; /* /proc (or a fixture dir with meminfo, cpuinfo, stat, uptime...) */
	int sys_fd;  /* /sys  (or a fixture dir with devices/system/cpu/online...) */
};

int pl_host_open(struct pl_host *h, const char *proc_dir, const char *sys_dir);
void pl_host_close(struct pl_host *h);
/* A whole file below proc_fd ("meminfo", "cpuinfo"...), malloc'ed; returns the length. */
ssize_t pl_host_read_proc(const struct pl_host *h, const char *rel, char **out);
/* The same below sys_fd ("devices/system/cpu/online"). */
ssize_t pl_host_read_sys(const struct pl_host *h, const char *rel, char **out);

/* /proc/meminfo as ordered lines, so a render can keep every line, order and format. */
#define PL_MEMINFO_MAX_LINES 128
struct pl_meminfo_line {
	char key[40];   /* "MemTotal", "Active(anon)", "HugePages_Total" */
	uint64_t value; /* in kB when has_kb, else a plain count */
	bool has_kb;
};
struct pl_meminfo {
	unsigned n;
	struct pl_meminfo_line line[PL_MEMINFO_MAX_LINES];
};

/* Lines are "Key: value" or "Key: value kB"; -EINVAL on anything else, -E2BIG past
 * PL_MEMINFO_MAX_LINES. */
int pl_meminfo_parse(const char *text, struct pl_meminfo *mi);
int pl_host_meminfo(const struct pl_host *h, struct pl_meminfo *mi);
/* The line's value, or -ENOENT. */
int pl_meminfo_get(const struct pl_meminfo *mi, const char *key, uint64_t *value);

/* The host's online CPUs (/sys/devices/system/cpu/online). */
int pl_host_online_cpus(const struct pl_host *h, struct pl_cpuset *cpus);

/* btime from /proc/stat (seconds since the epoch). */
int pl_host_btime(const struct pl_host *h, uint64_t *btime);

/* starttime (field 22 of /proc/PID/stat, clock ticks after boot) and state (field 3).
 * Either output pointer may be NULL. */
int pl_proc_stat_parse(const char *text, char *state, uint64_t *start_ticks);
int pl_host_proc_start(const struct pl_host *h, pid_t pid, uint64_t *start_ticks);
/* State letter of a thread ('R', 'S', 'D'...), from /proc/TID/stat. -ENOENT once it exited. */
int pl_host_task_state(const struct pl_host *h, pid_t tid, char *state);

/* The boottime offset of the time namespace PID's children get (/proc/PID/timens_offsets,
 * Linux 5.6+; after an exec, PID's own): CLOCK_BOOTTIME there minus ours, in ns. -EINVAL
 * on junk or without a boottime line; -ENOENT from a kernel without time namespaces. */
int pl_timens_offsets_parse(const char *text, int64_t *boottime_ns);
int pl_host_timens_boottime(const struct pl_host *h, pid_t pid, int64_t *boottime_ns);

/* ---- pids as a pid namespace sees them ---- */

/* Nesting limit of pid namespaces (the kernel's MAX_PID_NS_LEVEL). */
#define PL_PIDNS_MAX_LEVELS 32

/* The NSpid line of /proc/TID/status: TID's pid in each pid namespace it is in, ours (the
 * /proc mount's) first, its own last. Fills up to max entries of pids and returns how many
 * levels there are; -EINVAL without an NSpid line (Linux before 4.1) or on junk. */
int pl_status_nspids(const char *status_text, pid_t *pids, unsigned max);
int pl_host_task_nspids(const struct pl_host *h, pid_t tid, pid_t *pids, unsigned max);

/* /proc/PID/ns/pid opened O_RDONLY|O_CLOEXEC: returns the fd or -errno. */
int pl_host_open_pidns(const struct pl_host *h, pid_t pid);
/* TID (a pid in the namespace of our /proc) as the pid namespace pidns_fd sees it, with
 * the NS_GET_PID_IN_PIDNS ioctl: Linux 6.10+, -ENOTTY or -EINVAL before. -ESRCH when TID
 * is gone or not visible in that namespace. */
int pl_pidns_translate(int pidns_fd, pid_t tid, pid_t *ns_pid);
