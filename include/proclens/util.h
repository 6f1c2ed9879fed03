/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small I/O, parsing and buffer helpers shared by the daemon, the launcher and the tests.
 * Fallible functions return >= 0 on success or -errno. */

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "No limit": what "max", -1 and the kernel's huge sentinels normalise to. */
#define PL_UNLIMITED UINT64_MAX

/* read()/write() until done, retrying EINTR and short transfers.
 * pl_read_all returns the byte count (short only at EOF). */
ssize_t pl_read_all(int fd, void *buf, size_t size);
ssize_t pl_write_all(int fd, const void *buf, size_t size);

/* Read a whole (small, kernel-generated) file below dirfd into a malloc'ed, NUL-terminated
 * string. `rel` is opened with O_RDONLY|O_CLOEXEC|O_NOFOLLOW and, relative to a directory
 * fd, without crossing into another mount (-EXDEV: something is mounted over it). Returns
 * the length. */
ssize_t pl_read_file_at(int dirfd, const char *rel, char **out);

/* Same into a caller buffer; NUL-terminates; -EFBIG if it does not fit. */
ssize_t pl_read_file_at_buf(int dirfd, const char *rel, char *buf, size_t size);

/* Write a whole string to a file below dirfd (cgroup control files). */
int pl_write_file_at(int dirfd, const char *rel, const char *text);

/* Parse an unsigned decimal that must fill the whole string apart from trailing
 * whitespace. -EINVAL on junk, -ERANGE on overflow. */
int pl_parse_u64(const char *s, uint64_t *out);

/* A cgroup limit value: "max" (v2), "-1" (v1 cpu quota) and values at or above the kernel's
 * page-aligned LONG_MAX sentinel (v1 memory) all become PL_UNLIMITED. */
int pl_parse_limit(const char *s, uint64_t *out);

/* Numbers a person gives on a command line (pl_parse_u64 is for the kernel's files, whose
 * blanks and newline it skips). Decimal digits only: no blank before or after, no sign,
 * no "0x", no exponent, no leading zero ("010" is 8 to strtol's base 0 and to libcap; "0"
 * itself is fine). -EINVAL when s is no such number, -ERANGE when it is one above max. */
int pl_parse_arg_u64(const char *s, uint64_t max, uint64_t *out);
/* The same with an optional fraction ("1.5", "0.25", ".5"), times unit (at most 10^9; up
 * to nine decimals count, the rest are cut): "1.5" with unit 1000 is 1500. *out <= max. */
int pl_parse_arg_decimal(const char *s, uint64_t unit, uint64_t max, uint64_t *out);
/* A size as pl_parse_arg_u64 reads numbers, with an optional K/M/G/T suffix (binary units),
 * e.g. "256M". */
int pl_parse_size(const char *s, uint64_t *out_bytes);

/* Find `key` in "key value\n" lines (memory.stat, cpu.stat, io.stat fields...), matching
 * the key exactly: "file" never matches "file_mapped". */
int pl_kv_get_u64(const char *text, const char *key, uint64_t *out);

/* Growable text buffer. All appends keep it NUL-terminated; an allocation failure is
 * sticky (buf->oom) and reported once by pl_buf_error(). */
struct pl_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void pl_buf_init(struct pl_buf *b);
void pl_buf_free(struct pl_buf *b);
void pl_buf_reset(struct pl_buf *b);
void pl_buf_append(struct pl_buf *b, const char *s, size_t n);
void pl_buf_puts(struct pl_buf *b, const char *s);
void pl_buf_printf(struct pl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pl_buf_error(const struct pl_buf *b); /* 0 or -ENOMEM */
/* Hand the data to the caller (who frees it); the buffer is left empty. */
char *pl_buf_steal(struct pl_buf *b, size_t *len);

#define PL_NSEC_PER_SEC UINT64_C(1000000000)

/* CLOCK_BOOTTIME / CLOCK_MONOTONIC in nanoseconds. */
uint64_t pl_now_boottime_ns(void);
uint64_t pl_now_monotonic_ns(void);
/* t moved by off (a time namespace's offset, say), held within 0..UINT64_MAX. */
static inline uint64_t pl_ns_shift(uint64_t t, int64_t off)
{
	uint64_t mag = off < 0 ? -(uint64_t)off : (uint64_t)off;

	if (off < 0)
		return t > mag ? t - mag : 0;
	return t > UINT64_MAX - mag ? UINT64_MAX : t + mag;
}

/* pidfd_open(2): a descriptor or -errno. PIDFD_THREAD (Linux 6.9) names any thread, not
 * only a thread group leader; older kernels refuse it with EINVAL. */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
int pl_pidfd_open(pid_t pid, unsigned flags);

/* Clock ticks per second (sysconf(_SC_CLK_TCK), cached): the unit of /proc/stat. */
long pl_clk_tck(void);

/* Open `rel` below dirfd without following any symlink, without leaving dirfd and without
 * crossing into another mount (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV;
 * on kernels without openat2, openat with O_NOFOLLOW). With O_PATH|O_NOFOLLOW a trailing
 * symlink itself is returned. */
int pl_open_beneath(int dirfd, const char *rel, int flags);
/* Read an open fd to EOF into a malloc'ed NUL-terminated string; returns the length. */
ssize_t pl_read_fd_all(int fd, char **out);

struct dirent;
/* A directory entry of dirfd that is a directory itself, "." and ".." excluded; a file
 * system that leaves d_type unknown is asked with fstatat. */
bool pl_dirent_is_dir(int dirfd, const struct dirent *de);
