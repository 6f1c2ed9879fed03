/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whose numbers: the process whose cgroups stand for a reader. For a reader inside a
 * container that is the init of its pid namespace (the container's pid 1); for a reader in
 * our own pid namespace it is the reader itself. */

#include <stdint.h>
#include <sys/types.h>

/* Inode number of PID's pid namespace (/proc/PID/ns/pid). -EIO: a link text we cannot read. */
int pl_pidns_ino(int proc_fd, pid_t pid, uint64_t *ino);
/* The inode number in a namespace link's text ("pid:[4026531836]") of that TYPE ("pid").
 * -EINVAL: another type or not of that form; -ERANGE: too large. */
int pl_ns_link_ino(const char *link, const char *type, uint64_t *ino);

/* The pid, in our pid namespace, of pid 1 of PID's pid namespace.
 * Uses the NS_GET_TGID_FROM_PIDNS ioctl (Linux 6.10+); on older kernels walks PID's
 * ancestors inside its namespace, then (for processes that entered with setns, whose
 * parent is outside) scans /proc once. -ESRCH when the namespace has no init any more. */
int pl_pidns_init_pid(int proc_fd, pid_t pid, pid_t *init_pid);

/* The last NSpid entry of /proc/PID/status (PID's pid in its own namespace) and PPid. */
int pl_proc_status_nspid(const char *status_text, pid_t *ns_pid, pid_t *ppid);
