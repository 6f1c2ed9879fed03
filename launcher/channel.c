/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The socketpair between `run` and the container's setup. SOCK_SEQPACKET: each send is one
 * record, read whole, so a go-ahead byte, a failure report and the fds that travel with
 * them (the v1 cgroup "tasks" files one way, the seccomp listener the other) never run
 * into each other. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher.h"

#define PL_CHAN_MAX_FDS 8

union fd_control {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * PL_CHAN_MAX_FDS)];
};

int pl_chan_send(int sock, const void *buf, size_t len, const int *fds, unsigned n_fds)
{
	union fd_control control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (n_fds > PL_CHAN_MAX_FDS)
		return -E2BIG;
	if (n_fds > 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n_fds);
	}
	/* MSG_NOSIGNAL: a peer that already failed must not kill us with SIGPIPE. */
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EPROTO;
}

ssize_t pl_chan_recv(int sock, void *buf, size_t len, int *fds, unsigned max_fds, unsigned *n_fds)
{
	union fd_control control;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	int resets = 0;
	ssize_t n;

	*n_fds = 0;
	/* A peer that closed with a record of ours unread leaves ECONNRESET pending, which
	 * the kernel reports (and so clears) ahead of the records it had sent: the child's
	 * last word, its report, is read next. */
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET && resets++ == 0)));
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t count;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (*n_fds < max_fds)
				fds[(*n_fds)++] = fd;
			else
				close(fd); /* more than the record may carry: not ours to keep */
		}
	}
	return n;
}
