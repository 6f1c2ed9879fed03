/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysinfo_fault: sysinfo(2) into good and bad memory, as a container's process may ask it.
 * Prints "totalram MIB", then one line per bad buffer: "NAME errno=E unchanged|CHANGED".
 * The kernel refuses a buffer it cannot write with EFAULT; an answer written for it by a
 * seccomp supervisor must do the same, and never write through a read-only page. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static void bad(const char *name, void *buf, const unsigned char *watch, size_t watch_len)
{
	unsigned char before[4096];
	long r;
	int e;

	if (watch)
		memcpy(before, watch, watch_len);
	r = syscall(SYS_sysinfo, buf);
	e = r < 0 ? errno : 0;
	printf("%s errno=%s %s\n", name, e == EFAULT ? "EFAULT" : e ? strerror(e) : "0",
	       !watch || memcmp(before, watch, watch_len) == 0 ? "unchanged" : "CHANGED");
}

int main(void)
{
	struct sysinfo si;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *two;

	if (sysinfo(&si) < 0) {
		perror("sysinfo");
		return 1;
	}
	printf("totalram %llu\n", (unsigned long long)si.totalram * si.mem_unit >> 20);
	/* A writable page followed by a read-only one: a buffer straddling them. */
	two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(two, 0x5a, (size_t)page * 2);
	if (mprotect(two + page, (size_t)page, PROT_READ) < 0) {
		perror("mprotect");
		return 1;
	}
	bad("readonly", two + page, two + page, (size_t)page);
	bad("straddling", two + page - 16, two + page, (size_t)page);
	bad("null", NULL, NULL, 0);
	bad("text", (void *)main, (const unsigned char *)main, 64);
	return 0;
}
