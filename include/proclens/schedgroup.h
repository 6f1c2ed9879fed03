/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether a process has its CPU scheduling group to itself.
 *
 * The scheduler shares a CPU between scheduling groups first (cgroups of the cpu controller;
 * in the root group, autogroups, one per session) and between the tasks of a group second.
 * A SCHED_IDLE thread is idle only among the tasks of its own group: in a group of its own
 * process it yields to nobody else, while in a group shared with a busy process it gets
 * almost nothing (proclensfs's io_uring queue threads use this, fs/fuse_uring.c). */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "proclens/cgroup.h"

struct pl_sched_probe {
	const struct pl_cgroup_root *root;
	const char *proc_cgroup; /* text of /proc/PID/cgroup of the process */
	pid_t tgid;		 /* the process: a thread is its own if /proc/TGID/task/TID exists */
	pid_t keeper;		 /* a single-threaded process that does not count (proclensfs's
				  * keeper, asleep but to restart us), 0: none */
	int proc_fd;		 /* dirfd of /proc */
	bool autogroup;		 /* kernel.sched_autogroup_enabled is 1 */
	bool session_alone;	 /* the process leads its session and no other process is in it */
};

/* 1: the group is the process's own: a cgroup (v1 cpu hierarchy, or v2 with cpu enabled)
 * holding only its threads and no child cgroups, or, in the root group, an autogroup of
 * its own (alone in its session, with autogroups on). 0: shared, or cannot tell; *why (if given)
 * says what makes it so. Never negative. */
int pl_sched_group_own(const struct pl_sched_probe *p, char *why, size_t why_size);

/* True when pid leads its session and no other process is in it (a scan of /proc). A process
 * that does not fork stays alone then: only members' children join a session. */
bool pl_session_alone(int proc_fd, pid_t pid);

/* The same for the calling process, from the live system. The session is scanned (at most
 * every 5 s) until we are found alone, which then holds for good: the caller must not fork. */
int pl_sched_group_own_self(const struct pl_cgroup_root *root, pid_t keeper, char *why, size_t why_size);

/* Thread tid's policy: SCHED_IDLE (idle) or the normal one. -errno (-ESRCH: it is gone). */
int pl_sched_set_idle(pid_t tid, bool idle);
