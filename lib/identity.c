/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>

#include "proclens/cleanup.h"
#include "proclens/identity.h"
#include "proclens/util.h"

#ifndef NS_GET_TGID_FROM_PIDNS
#define NS_GET_TGID_FROM_PIDNS _IOR(NSIO, 0x7, int)
#endif

int pl_ns_link_ino(const char *link, const char *type, uint64_t *ino)
{
	size_t tlen = strlen(type), len = strlen(link);
	char digits[24];

	/* "TYPE:[INODE]", what proc_ns_readlink writes */
	if (len < tlen + 4 || strncmp(link, type, tlen) != 0 || link[tlen] != ':' ||
	    link[tlen + 1] != '[' || link[len - 1] != ']' || len - tlen - 3 >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, link + tlen + 2, len - tlen - 3);
	digits[len - tlen - 3] = '\0';
	for (const char *d = digits; *d; d++)
		if (*d < '0' || *d > '9')
			return -EINVAL;
	return pl_parse_u64(digits, ino);
}

int pl_pidns_ino(int proc_fd, pid_t pid, uint64_t *ino)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
	/* The link's text names the namespace's nsfs inode. Every open is asked this: reading
	 * the text costs half of following the link to stat that inode (3 against 6 us). */
	n = readlinkat(proc_fd, path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	return pl_ns_link_ino(link, "pid", ino) < 0 ? -EIO : 0;
}

int pl_proc_status_nspid(const char *text, pid_t *ns_pid, pid_t *ppid)
{
	const char *p;
	bool have_nspid = false, have_ppid = false;

	p = strstr(text, "\nPPid:");
	if (p) {
		*ppid = (pid_t)strtol(p + 6, NULL, 10);
		have_ppid = true;
	}
	p = strstr(text, "\nNSpid:");
	if (p) {
		const char *eol = strchr(p + 1, '\n');
		const char *last = NULL;

		p += 7;
		if (!eol)
			eol = p + strlen(p);
		while (p < eol) {
			while (p < eol && !isdigit((unsigned char)*p))
				p++;
			if (p < eol)
				last = p;
			while (p < eol && isdigit((unsigned char)*p))
				p++;
		}
		if (last) {
			*ns_pid = (pid_t)strtol(last, NULL, 10);
			have_nspid = true;
		}
	}
	return have_nspid && have_ppid ? 0 : -EINVAL;
}

static int read_nspid(int proc_fd, pid_t pid, pid_t *ns_pid, pid_t *ppid)
{
	char path[64], text[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%d/status", (int)pid);
	n = pl_read_file_at_buf(proc_fd, path, text, sizeof(text));
	if (n == -EFBIG)
		return -EINVAL;
	if (n < 0)
		return (int)n;
	return pl_proc_status_nspid(text, ns_pid, ppid);
}

/* Follow the parent chain while it stays in the namespace: a container's processes descend
 * from its init, and orphans are re-parented to it. */
static int init_by_ancestors(int proc_fd, pid_t pid, uint64_t ns, pid_t *init_pid)
{
	for (int depth = 0; depth < 4096 && pid > 0; depth++) {
		pid_t ns_pid, ppid;
		uint64_t ino = 0;
		int r = pl_pidns_ino(proc_fd, pid, &ino);

		if (r < 0)
			return r;
		if (ino != ns)
			return -ENOENT; /* left the namespace: entered with setns */
		r = read_nspid(proc_fd, pid, &ns_pid, &ppid);
		if (r < 0)
			return r;
		if (ns_pid == 1) {
			*init_pid = pid;
			return 0;
		}
		pid = ppid;
	}
	return -ENOENT;
}

static int init_by_scan(int proc_fd, uint64_t ns, pid_t *init_pid)
{
	_cleanup_closedir_ DIR *d = NULL;
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		pid_t pid, ns_pid, ppid;
		uint64_t ino = 0;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pl_pidns_ino(proc_fd, pid, &ino) < 0 || ino != ns)
			continue;
		if (read_nspid(proc_fd, pid, &ns_pid, &ppid) == 0 && ns_pid == 1) {
			*init_pid = pid;
			return 0;
		}
	}
	return -ESRCH;
}

int pl_pidns_init_pid(int proc_fd, pid_t pid, pid_t *init_pid)
{
	char path[64];
	_cleanup_close_ int ns_fd = -1;
	uint64_t ns;
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
	ns_fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0)
		return -errno;
	r = ioctl(ns_fd, NS_GET_TGID_FROM_PIDNS, 1);
	if (r > 0) {
		*init_pid = (pid_t)r;
		return 0;
	}
	if (errno == ESRCH)
		return -ESRCH;
	/* ENOTTY/EINVAL: a kernel before 6.10. */
	if (fstat(ns_fd, &st) < 0)
		return -errno;
	ns = (uint64_t)st.st_ino;
	r = init_by_ancestors(proc_fd, pid, ns, init_pid);
	if (r == -ENOENT)
		r = init_by_scan(proc_fd, ns, init_pid);
	return r;
}
