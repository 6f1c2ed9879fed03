/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* readchunks FILE: open FILE once and check that reading it whole, in 1-, 7- and 65536-byte
 * chunks (pread, from offset 0) and at an offset past the end all agree with one another
 * (the content must not change between reads: run the daemon with a long --cache-ms).
 * Prints the content's size; exits 1 with a message on any disagreement.
 * readchunks --reread FILE [CMD]: read FILE, run the shell command CMD if given (its $PPID
 * is this process: to move it to another cgroup), wait 1.1 s, pread it again from offset 0
 * on the same descriptor (as top does with /proc/stat) and print both contents, separated
 * by "--"; a read that fails is reported on stderr (exit 1). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t read_in_chunks(int fd, char *out, size_t cap, size_t chunk)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = pread(fd, out + len, chunk < cap - len ? chunk : cap - len, (off_t)len);
		if (n < 0)
			return -errno;
		if (n == 0 || len + (size_t)n >= cap)
			return (ssize_t)(len + (size_t)n);
		len += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static char whole[1 << 20], part[1 << 20];
	static const size_t chunks[] = { 1, 7, 4096, 65536 };
	ssize_t len, n;
	char c;
	int fd;

	if ((argc == 3 || argc == 4) && strcmp(argv[1], "--reread") == 0) {
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		len = read_in_chunks(fd, whole, sizeof(whole), 4096);
		if (argc == 4 && system(argv[3]) != 0)
			fprintf(stderr, "readchunks: the command failed: %s\n", argv[3]);
		usleep(1100000);
		n = read_in_chunks(fd, part, sizeof(part), 4096);
		if (len < 0 || n < 0) {
			fprintf(stderr, "readchunks: %s: %s read: %s\n", argv[2],
				len < 0 ? "first" : "second", strerror((int)-(len < 0 ? len : n)));
			return 1;
		}
		printf("%.*s--\n%.*s", (int)len, whole, (int)n, part);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: readchunks FILE | readchunks --reread FILE [CMD]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "readchunks: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	len = read_in_chunks(fd, whole, sizeof(whole), sizeof(whole));
	if (len <= 0) {
		fprintf(stderr, "readchunks: %s: empty or unreadable (%zd)\n", argv[1], len);
		return 1;
	}
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		n = read_in_chunks(fd, part, sizeof(part), chunks[i]);
		if (n != len || memcmp(whole, part, (size_t)len) != 0) {
			fprintf(stderr, "readchunks: %s: %zu-byte reads gave %zd bytes that differ from one read of %zd\n",
				argv[1], chunks[i], n, len);
			return 1;
		}
	}
	/* A read starting mid-file returns the tail of the same content. */
	n = pread(fd, part, sizeof(part), len / 2);
	if (n != len - len / 2 || memcmp(part, whole + len / 2, (size_t)n) != 0) {
		fprintf(stderr, "readchunks: %s: a read at offset %zd disagrees\n", argv[1], len / 2);
		return 1;
	}
	n = pread(fd, &c, 1, len + 100);
	if (n != 0) {
		fprintf(stderr, "readchunks: %s: a read past the end returned %zd, not 0\n", argv[1], n);
		return 1;
	}
	close(fd);
	printf("%zd\n", len);
	return 0;
}
