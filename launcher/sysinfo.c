/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysinfo(2) for the container. Some tools never read /proc: busybox free and uptime take
 * totalram, freeram and uptime from sysinfo(2), which no file view can change. The child
 * installs a seccomp filter that hands sysinfo calls to us (SECCOMP_RET_USER_NOTIF); we
 * answer with the host's values corrected by the container's cgroup and start time, the way
 * the views correct /proc/meminfo and /proc/uptime. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "launcher.h"
#include "proclens/cleanup.h"
#include "proclens/util.h"

#if defined(__x86_64__)
#define PL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif
#define PL_X32_SYSCALL_BIT 0x40000000u
/* i386 system call numbers, for 32-bit code on x86_64 (arch/x86/entry/syscalls). */
#define PL_I386_SYSINFO 116
#define PL_I386_CLONE 120
#define PL_I386_UNSHARE 310
#define PL_I386_CLONE3 435

/* Instruction indexes of the program below, for its jumps. */
enum {
	I_ARCH,
	I_IS_NATIVE,
	I_NR,
	I_X32,
	I_SYSINFO,
	I_UNSHARE,
	I_CLONE,
	I_CLONE3,
	I_ALLOW_NATIVE,
	I_IS_I386,
	I_NR32,
	I_SYSINFO32,
	I_UNSHARE32,
	I_CLONE32,
	I_CLONE3_32,
	I_ALLOW_32,
	I_FLAGS,
	I_NEWUSER,
	I_ALLOW,
	I_EPERM,
	I_CLONE3_RET,
	I_ENOSYS,
	I_SYSINFO_RET,
	I_COUNT,
};

#define JUMP(here, cond, k, to_true, to_false)                                                                 \
	BPF_JUMP(BPF_JMP | (cond) | BPF_K, (k), (unsigned char)((to_true) - (here)-1),                         \
		 (unsigned char)((to_false) - (here)-1))

int pl_seccomp_install(bool sysinfo_notify, bool allow_userns, int *listener_fd)
{
#ifdef PL_AUDIT_ARCH
	const unsigned userns_ret = allow_userns ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | EPERM;
	const unsigned clone3_ret = allow_userns ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | ENOSYS;
	struct sock_filter code[I_COUNT] = {
	    [I_ARCH] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    [I_IS_NATIVE] = JUMP(I_IS_NATIVE, BPF_JEQ, PL_AUDIT_ARCH, I_NR, I_IS_I386),
	    [I_NR] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
	    /* x32 numbers would slip past every check below: no x32 in here. */
	    [I_X32] = JUMP(I_X32, BPF_JGE, PL_X32_SYSCALL_BIT, I_ENOSYS, I_SYSINFO),
#else
	    [I_X32] = JUMP(I_X32, BPF_JA, 0, I_SYSINFO, I_SYSINFO),
#endif
	    [I_SYSINFO] = JUMP(I_SYSINFO, BPF_JEQ, SYS_sysinfo, I_SYSINFO_RET, I_UNSHARE),
	    [I_UNSHARE] = JUMP(I_UNSHARE, BPF_JEQ, SYS_unshare, I_FLAGS, I_CLONE),
	    [I_CLONE] = JUMP(I_CLONE, BPF_JEQ, SYS_clone, I_FLAGS, I_CLONE3),
	    /* clone3's flags are in memory, out of the filter's reach: ENOSYS, and glibc
	     * falls back to clone (as under Docker's default profile). */
	    [I_CLONE3] = JUMP(I_CLONE3, BPF_JEQ, SYS_clone3, I_CLONE3_RET, I_ALLOW_NATIVE),
	    [I_ALLOW_NATIVE] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#ifdef __x86_64__
	    [I_IS_I386] = JUMP(I_IS_I386, BPF_JEQ, AUDIT_ARCH_I386, I_NR32, I_ALLOW),
#else
	    [I_IS_I386] = JUMP(I_IS_I386, BPF_JA, 0, I_ALLOW, I_ALLOW),
#endif
	    [I_NR32] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    /* The answer is written in the 64-bit layout: a 32-bit caller gets none, rather
	     * than the host's figures. */
	    [I_SYSINFO32] = JUMP(I_SYSINFO32, BPF_JEQ, PL_I386_SYSINFO, sysinfo_notify ? I_ENOSYS : I_ALLOW,
				 I_UNSHARE32),
	    [I_UNSHARE32] = JUMP(I_UNSHARE32, BPF_JEQ, PL_I386_UNSHARE, I_FLAGS, I_CLONE32),
	    [I_CLONE32] = JUMP(I_CLONE32, BPF_JEQ, PL_I386_CLONE, I_FLAGS, I_CLONE3_32),
	    [I_CLONE3_32] = JUMP(I_CLONE3_32, BPF_JEQ, PL_I386_CLONE3, I_CLONE3_RET, I_ALLOW_32),
	    [I_ALLOW_32] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    /* unshare(flags) and clone(flags, ...): flags is the first argument, both ABIs. */
	    [I_FLAGS] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    [I_NEWUSER] = JUMP(I_NEWUSER, BPF_JSET, CLONE_NEWUSER, I_EPERM, I_ALLOW),
	    [I_ALLOW] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    [I_EPERM] = BPF_STMT(BPF_RET | BPF_K, userns_ret),
	    [I_CLONE3_RET] = BPF_STMT(BPF_RET | BPF_K, clone3_ret),
	    [I_ENOSYS] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    [I_SYSINFO_RET] = BPF_STMT(BPF_RET | BPF_K, sysinfo_notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = I_COUNT, .filter = code};
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sysinfo_notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0,
			  &prog);

	*listener_fd = -1;
	if (fd < 0)
		return -errno;
	if (sysinfo_notify)
		*listener_fd = (int)fd;
	return 0;
#else
	(void)sysinfo_notify;
	(void)allow_userns;
	*listener_fd = -1;
	return -EOPNOTSUPP;
#endif
}

/* Host values, then the container's: memory from its cgroup, uptime from its start. */
void pl_sysinfo_adjust(struct sysinfo *si, const struct pl_sysinfo_source *src)
{
	uint64_t unit = si->mem_unit ? si->mem_unit : 1;
	uint64_t uptime_s;

	if (src->memory_limit_bytes != PL_UNLIMITED &&
	    src->memory_limit_bytes / unit < (uint64_t)si->totalram) {
		uint64_t total = src->memory_limit_bytes / unit;
		uint64_t used = PL_MIN(src->memory_usage_bytes / unit, total);
		si->totalram = (unsigned long)total;
		si->freeram = (unsigned long)(total - used);
		si->sharedram = (unsigned long)PL_MIN(src->memory_shared_bytes / unit, total);
		si->bufferram = 0;
	}
	if (src->swap_limit_bytes != PL_UNLIMITED && src->swap_limit_bytes / unit < (uint64_t)si->totalswap) {
		uint64_t total = src->swap_limit_bytes / unit;
		uint64_t used = PL_MIN(src->swap_usage_bytes / unit, total);
		si->totalswap = (unsigned long)total;
		si->freeswap = (unsigned long)(total - used);
	}
	if (src->now_ns >= src->start_ns) {
		uptime_s = (src->now_ns - src->start_ns) / 1000000000ULL;
		si->uptime = (long)uptime_s;
	}
	if (src->procs > 0)
		si->procs = src->procs;
	/* sysinfo's loads are fixed point with 16 fraction bits (SI_LOAD_SHIFT). */
	if (src->has_loads)
		for (int i = 0; i < 3; i++)
			si->loads[i] = (unsigned long)(src->loads_fixed[i] << (16 - PL_LOADAVG_FSHIFT));
}

static void server_ready(struct pl_sysinfo_server *srv)
{
	if (srv->ready)
		return;
	srv->ready = true;
	srv->cg_ok = srv->root && pl_cgroup_from_path(srv->root, srv->cgroup_path, &srv->cg) >= 0;
	srv->host_ok = pl_host_open(&srv->host, "/proc", "/sys") >= 0;
}

void pl_sysinfo_sample(struct pl_sysinfo_server *srv)
{
	struct pl_source src;

	server_ready(srv);
	if (!srv->cg_ok || !srv->host_ok)
		return;
	memset(&src, 0, sizeof(src));
	src.host = &srv->host;
	src.cg = &srv->cg;
	src.now_ns = pl_now_boottime_ns();
	pl_loadavg_sample(&src, &srv->loadavg);
}

void pl_sysinfo_server_free(struct pl_sysinfo_server *srv)
{
	if (srv->cg_ok)
		pl_cgroup_free(&srv->cg);
	if (srv->host_ok)
		pl_host_close(&srv->host);
	srv->cg_ok = srv->host_ok = srv->ready = false;
}

uint64_t pl_sysinfo_used_bytes(const struct pl_memory *m)
{
	uint64_t used = m->usage_bytes;

	/* freeram is limit - used: an ancestor (a pod) that leaves less counts as used. */
	if (m->limit_bytes != PL_UNLIMITED && m->ancestor_free_bytes < m->limit_bytes &&
	    m->limit_bytes - m->ancestor_free_bytes > used)
		used = m->limit_bytes - m->ancestor_free_bytes;
	return used;
}

bool pl_maps_range_writable(const char *maps, uint64_t addr, uint64_t len)
{
	uint64_t need = addr, end = addr + len;

	if (len == 0 || end < addr)
		return false;
	/* Lines are "start-end perms offset dev inode path", in address order. */
	for (const char *line = maps; *line && need < end;) {
		unsigned long long lo, hi;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s", &lo, &hi, perms) == 3 && lo <= need && need < hi) {
			if (perms[1] != 'w')
				return false;
			need = hi;
		}
		line = strchr(line, '\n');
		if (!line)
			break;
		line++;
	}
	return need >= end;
}

/* Write the answer into the caller's memory. Its pid may have been recycled since the
 * request (the caller killed and reaped, the number given to a new process): /proc/PID/mem
 * and maps are opened first, then the request is checked still live, so both descriptors
 * are the caller's and a write can never land in another process. mem writes even through
 * read-only pages, which sysinfo(2) itself would refuse with EFAULT: the range must be
 * writable in maps. -ENOENT when the caller is gone, -EFAULT when the range is not
 * writable. */
static int write_caller(int notify_fd, const struct seccomp_notif *req, const void *buf, size_t len)
{
	_cleanup_close_ int mem_fd = -1, maps_fd = -1;
	_cleanup_free_ char *maps = NULL;
	char path[64];
	uint64_t addr = req->data.args[0];

	snprintf(path, sizeof(path), "/proc/%u/mem", req->pid);
	mem_fd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%u/maps", req->pid);
	maps_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
		return -ENOENT;
	if (mem_fd < 0 || maps_fd < 0 || pl_read_fd_all(maps_fd, &maps) < 0)
		return -EFAULT;
	if (!pl_maps_range_writable(maps, addr, len))
		return -EFAULT;
	if (pwrite(mem_fd, buf, len, (off_t)addr) != (ssize_t)len)
		return -EFAULT;
	return 0;
}

int pl_sysinfo_serve_one(struct pl_sysinfo_server *srv)
{
	int notify_fd = srv->notify_fd;
	const struct pl_cgroup *cg;
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct pl_sysinfo_source src = {
	    .memory_limit_bytes = PL_UNLIMITED, .swap_limit_bytes = PL_UNLIMITED, .start_ns = srv->start_ns};
	struct pl_memory mem;
	struct sysinfo si;
	uint64_t pids_current, pids_limit;
	int r;

	memset(&req, 0, sizeof(req));
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return -errno; /* ENOENT: the caller died meanwhile */
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	/* Catch the averages up to now (whole 5 s intervals only, as the daemon does). */
	pl_sysinfo_sample(srv);
	cg = srv->cg_ok ? &srv->cg : NULL;
	if (cg && srv->loadavg.sampled) {
		src.has_loads = true;
		memcpy(src.loads_fixed, srv->loadavg.avg_fixed, sizeof(src.loads_fixed));
	}
	if (sysinfo(&si) < 0) {
		resp.error = -errno;
	} else {
		if (cg && pl_cgroup_memory(cg, &mem) >= 0) {
			src.memory_limit_bytes = mem.limit_bytes;
			src.memory_usage_bytes = pl_sysinfo_used_bytes(&mem);
			src.memory_shared_bytes = mem.stat.shmem == PL_ABSENT ? 0 : mem.stat.shmem;
			if (mem.swap_accounting) {
				src.swap_limit_bytes = mem.swap_limit_bytes;
				src.swap_usage_bytes = mem.swap_usage_bytes;
			}
		}
		if (cg && pl_cgroup_pids(cg, &pids_current, &pids_limit) >= 0)
			src.procs = pids_current > 0xffff ? 0xffff : (unsigned)pids_current;
		src.now_ns = pl_now_boottime_ns();
		pl_sysinfo_adjust(&si, &src);
		r = write_caller(notify_fd, &req, &si, sizeof(si));
		if (r == -ENOENT)
			return r; /* the caller is gone: no answer to send */
		if (r < 0)
			resp.error = -EFAULT;
	}
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
		return -errno;
	return 0;
}

int pl_sysinfo_timeout_ms(const struct pl_sysinfo_server *srv)
{
	uint64_t now, elapsed, left;

	if (srv->notify_fd < 0)
		return -1;
	now = pl_now_boottime_ns();
	elapsed = now > srv->start_ns ? now - srv->start_ns : 0;
	left = PL_LOADAVG_INTERVAL_NS - elapsed % PL_LOADAVG_INTERVAL_NS;
	return (int)(left / 1000000) + 1;
}

void pl_sysinfo_on_poll(struct pl_sysinfo_server *srv, short revents)
{
	if (revents & POLLIN)
		pl_sysinfo_serve_one(srv);
	else if (revents & (POLLHUP | POLLERR))
		srv->notify_fd = -1; /* no process left under the filter: stop polling */
}
