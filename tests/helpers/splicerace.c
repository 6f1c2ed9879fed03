/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* splicerace FILE PROCS_A... -- PROCS_B...: two readers of FILE, A in the cgroups whose
 * cgroup.procs files are PROCS_A, B in those of PROCS_B, interleaved as two containers'
 * readers can be: A opens, B opens, A splices FILE into a pipe, then B does. Each then
 * reads FILE with read(2) on the same descriptor from offset 0. Prints, for each reader,
 *
 *   A splice: FIRST LINE        (or "A splice: error EINVAL", "A splice: empty")
 *   A read: FIRST LINE
 *
 * A page cache shared by both would hand B the page A's splice filled: B's splice line
 * would then show A's numbers. Exits 0 unless the set-up itself failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void first_line(const char *who, const char *how, const char *buf, ssize_t n)
{
	if (n < 0)
		printf("%s %s: error %s\n", who, how, strerrorname_np((int)-n));
	else if (n == 0)
		printf("%s %s: empty\n", who, how);
	else
		printf("%s %s: %.*s\n", who, how, (int)strcspn(buf, "\n"), buf);
	fflush(stdout);
}

static void join(char **procs, int n)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (int i = 0; i < n; i++) {
		int fd = open(procs[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0) {
			fprintf(stderr, "splicerace: cannot join %s: %s\n", procs[i], strerror(errno));
			_exit(2);
		}
		close(fd);
	}
}

/* One reader: join, then on each byte from `go` do the next step and answer on `done`. */
static void reader(const char *who, const char *file, char **procs, int n, int go, int done)
{
	char buf[65536], c;
	int fd = -1, pipe_fd[2];
	ssize_t got;

	join(procs, n);
	if (read(go, &c, 1) != 1)
		_exit(2);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pipe2(pipe_fd, O_CLOEXEC) < 0) {
		fprintf(stderr, "splicerace: cannot open %s: %s\n", file, strerror(errno));
		_exit(2);
	}
	if (write(done, "o", 1) != 1 || read(go, &c, 1) != 1)
		_exit(2);
	got = splice(fd, NULL, pipe_fd[1], NULL, sizeof(buf), 0);
	if (got > 0)
		got = read(pipe_fd[0], buf, sizeof(buf) - 1);
	first_line(who, "splice", buf, got < 0 ? -errno : got);
	got = pread(fd, buf, sizeof(buf) - 1, 0);
	first_line(who, "read", buf, got < 0 ? -errno : got);
	if (write(done, "s", 1) != 1)
		_exit(2);
	_exit(0);
}

int main(int argc, char **argv)
{
	int sep = 0, go[2][2], done[2][2], status, rc = 0;
	char c;

	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			sep = i;
	if (argc < 5 || sep < 3 || sep == argc - 1) {
		fprintf(stderr, "usage: splicerace FILE PROCS_A... -- PROCS_B...\n");
		return 2;
	}
	for (int r = 0; r < 2; r++) {
		if (pipe2(go[r], O_CLOEXEC) < 0 || pipe2(done[r], O_CLOEXEC) < 0)
			return 2;
		if (fork() == 0) {
			if (r == 0)
				reader("A", argv[1], argv + 2, sep - 2, go[0][0], done[0][1]);
			reader("B", argv[1], argv + sep + 1, argc - sep - 1, go[1][0], done[1][1]);
		}
	}
	/* A opens, B opens, A splices, B splices. */
	for (int step = 0; step < 4; step++) {
		int r = step % 2;
		if (write(go[r][1], "x", 1) != 1 || read(done[r][0], &c, 1) != 1) {
			rc = 2;
			break;
		}
	}
	for (int r = 0; r < 2; r++) {
		close(go[r][1]);
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = 2;
	}
	return rc;
}
