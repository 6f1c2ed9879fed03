/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Namespaces: the clone into them, user namespace id maps, the loopback of a new network
 * namespace. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#define PL_USERNS_RANGE 65536

/* The cgroup namespace is not among them: the child unshares it once it sits in its own
 * cgroup, so that cgroup becomes the root it sees (on v1 the parent moves it there after
 * the clone). */
uint64_t pl_ns_flags(const struct pl_run_opts *o)
{
	uint64_t f = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;

	if (!o->share_pid)
		f |= CLONE_NEWPID;
	if (!o->share_net)
		f |= CLONE_NEWNET;
	if (o->userns)
		f |= CLONE_NEWUSER;
	return f;
}

/* fork()-like: no new stack, the child continues here with a copy of the address space.
 * Raw system calls because glibc has no clone3 wrapper that returns in the child. */
pid_t pl_clone(uint64_t flags, int cgroup_fd, bool *placed)
{
	struct clone_args args;
	long pid;

	*placed = false;
	if (cgroup_fd >= 0) {
		memset(&args, 0, sizeof(args));
		args.flags = flags | CLONE_INTO_CGROUP;
		args.exit_signal = SIGCHLD;
		args.cgroup = (uint64_t)cgroup_fd;
		pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0) {
			*placed = pid > 0;
			return (pid_t)pid;
		}
		/* Before 5.7: no clone3 (ENOSYS) or no CLONE_INTO_CGROUP (E2BIG, EINVAL); the
		 * parent then writes cgroup.procs. Anything else is a real failure. */
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
			return -errno;
	}
	pid = syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, 0);
	return pid < 0 ? -errno : (pid_t)pid;
}

static int write_proc_file(pid_t pid, const char *file, const char *text, struct pl_err *e)
{
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	r = pl_write_file_at(AT_FDCWD, path, text);
	if (r < 0)
		return pl_errf(e, r, "cannot write %s (%s)", path, text);
	return 0;
}

/* Container ids 0..65535 map to host ids host_id..host_id+65535. We are root outside, so
 * the kernel accepts a whole range and setgroups stays allowed inside. */
int pl_userns_write_maps(pid_t pid, uid_t host_id, struct pl_err *e)
{
	char map[64];
	int r;

	snprintf(map, sizeof(map), "0 %u %u\n", (unsigned)host_id, PL_USERNS_RANGE);
	r = write_proc_file(pid, "uid_map", map, e);
	if (r >= 0)
		r = write_proc_file(pid, "gid_map", map, e);
	return r;
}

/* A socket in pid's network namespace: sockets belong to the namespace they were made in,
 * so we step in for the socket(2) and straight back out. */
static int socket_in_netns(pid_t pid, struct pl_err *e)
{
	_cleanup_close_ int ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int theirs = -1;
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	theirs = open(path, O_RDONLY | O_CLOEXEC);
	if (ours < 0 || theirs < 0)
		return pl_errf(e, -errno, "cannot open the network namespaces (%s)", path);
	if (setns(theirs, CLONE_NEWNET) < 0)
		return pl_errf(e, -errno, "cannot enter the container's network namespace");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = pl_errf(e, -errno, "cannot open a socket to bring up lo");
	if (setns(ours, CLONE_NEWNET) < 0) {
		/* Never carry on in the container's network: whatever we do next (the helper,
		 * a private view) would live there. */
		if (fd >= 0)
			close(fd);
		return pl_errf(e, -errno, "cannot return to our network namespace");
	}
	return r < 0 ? r : fd;
}

/* A new network namespace has only "lo", and down: 127.0.0.1 would not answer. The
 * parent does it while the child mounts (the ioctl is the expensive part: the device's
 * queues are set up). */
int pl_loopback_up(pid_t pid, struct pl_err *e)
{
	_cleanup_close_ int fd = socket_in_netns(pid, e);
	struct ifreq ifr;

	if (fd < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return pl_errf(e, -errno, "cannot read the flags of lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return pl_errf(e, -errno, "cannot bring up lo");
	return 0;
}
