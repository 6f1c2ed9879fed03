/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "proclens/cleanup.h"
#include "proclens/util.h"

ssize_t pl_read_all(int fd, void *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, (char *)buf + done, size - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t pl_write_all(int fd, const void *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = write(fd, (const char *)buf + done, size - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Below a directory fd, never into another mount: a daemon whose own /proc or /sys file
 * has a proclensfs file bound over it would otherwise read itself, and wait on itself for
 * ever (unkillably so, with FUSE over io_uring). Absolute paths resolve as given. */
static int open_at(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_NO_XDEV,
	};
	int fd;

	if (dirfd != AT_FDCWD && rel[0] != '/') {
		fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd < 0 ? -errno : fd;
	}
	fd = openat(dirfd, rel, flags | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

ssize_t pl_read_file_at_buf(int dirfd, const char *rel, char *buf, size_t size)
{
	_cleanup_close_ int fd = open_at(dirfd, rel, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	if (size == 0)
		return -EFBIG;
	/* Kernel-generated files must be read in one go to be consistent, so read until
	 * EOF and insist that it fits: a truncated cgroup file would be a silent lie. */
	n = pl_read_all(fd, buf, size - 1);
	if (n < 0)
		return n;
	if ((size_t)n == size - 1) {
		char extra;
		ssize_t more = pl_read_all(fd, &extra, 1);
		if (more != 0)
			return more < 0 ? more : -EFBIG;
	}
	buf[n] = '\0';
	return n;
}

ssize_t pl_read_file_at(int dirfd, const char *rel, char **out)
{
	_cleanup_close_ int fd = open_at(dirfd, rel, O_RDONLY);

	if (fd < 0)
		return fd;
	return pl_read_fd_all(fd, out);
}

ssize_t pl_read_fd_all(int fd, char **out)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 4096, len = 0;

	for (;;) {
		char *grown = realloc(buf, cap);
		ssize_t n;

		if (!grown)
			return -ENOMEM;
		buf = grown;
		n = pl_read_all(fd, buf + len, cap - len - 1);
		if (n < 0)
			return n;
		len += (size_t)n;
		if (len < cap - 1)
			break;
		if (cap >= (64u << 20))
			return -EFBIG;
		cap *= 2;
	}
	buf[len] = '\0';
	*out = TAKE_PTR(buf);
	return (ssize_t)len;
}

bool pl_dirent_is_dir(int dirfd, const struct dirent *de)
{
	struct stat st;

	if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int pl_open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	if (fd >= 0)
		return fd;
	if (errno != ENOSYS)
		return -errno;
	if (rel[0] == '/' || strstr(rel, ".."))
		return -EXDEV;
	fd = openat(dirfd, rel, flags | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int pl_write_file_at(int dirfd, const char *rel, const char *text)
{
	_cleanup_close_ int fd = open_at(dirfd, rel, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pl_write_all(fd, text, strlen(text));
	return n < 0 ? (int)n : 0;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

int pl_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (!s)
		return -EINVAL;
	p = skip_space(p);
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*skip_space(p) != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int pl_parse_limit(const char *s, uint64_t *out)
{
	const char *p;
	uint64_t v;
	int r;

	if (!s)
		return -EINVAL;
	p = skip_space(s);
	if (strncmp(p, "max", 3) == 0 && *skip_space(p + 3) == '\0') {
		*out = PL_UNLIMITED;
		return 0;
	}
	if (strncmp(p, "-1", 2) == 0 && *skip_space(p + 2) == '\0') {
		*out = PL_UNLIMITED;
		return 0;
	}
	r = pl_parse_u64(p, &v);
	if (r < 0)
		return r;
	/* v1 reports "no limit" as LONG_MAX rounded down to a page (9223372036854771712). */
	if (v >= (UINT64_C(1) << 62))
		v = PL_UNLIMITED;
	*out = v;
	return 0;
}

/* The digits of a number a person typed, at *p: decimal only, no leading zero ("010" reads
 * as 8 to strtol's base 0, as libcap reads a capability number; "0" itself is one), up to
 * max. Advances *p past them. No blanks or signs are skipped: they are the caller's junk. */
static int scan_arg_digits(const char **p, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > max / 10 || max - v * 10 < d) {
			/* The rest of the digits still count as the number, not as junk. */
			while (*s >= '0' && *s <= '9')
				s++;
			*p = s;
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

int pl_parse_arg_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int r;

	if (!s)
		return -EINVAL;
	r = scan_arg_digits(&s, max, &v);
	if (r == -ERANGE)
		return *s ? -EINVAL : -ERANGE;
	if (r < 0 || *s)
		return -EINVAL;
	*out = v;
	return 0;
}

int pl_parse_arg_decimal(const char *s, uint64_t unit, uint64_t max, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	bool digits = false;
	int r = 0;

	if (!s || unit == 0 || unit > UINT64_C(1000000000))
		return -EINVAL;
	if (*s != '.') {
		r = scan_arg_digits(&s, max / unit, &whole);
		if (r == -EINVAL)
			return r;
		digits = true;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			/* Nine decimals at most count (a nanosecond of a second); the rest are cut. */
			if (scale < UINT64_C(1000000000)) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
			digits = true;
		}
	}
	if (!digits || *s)
		return -EINVAL;
	frac = frac * unit / scale;
	if (r < 0 || frac > max || whole * unit > max - frac)
		return -ERANGE;
	*out = whole * unit + frac;
	return 0;
}

int pl_parse_size(const char *s, uint64_t *out_bytes)
{
	const char *end = s;
	uint64_t v;
	unsigned shift = 0;
	int r;

	if (!s)
		return -EINVAL;
	r = scan_arg_digits(&end, UINT64_MAX, &v);
	if (r == -EINVAL)
		return r;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	/* Accept "256M", "256MB", "256MiB" */
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (r < 0 || (shift && v > (UINT64_MAX >> shift)))
		return -ERANGE;
	*out_bytes = v << shift;
	return 0;
}

int pl_kv_get_u64(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *line = text;

	if (!text)
		return -EINVAL;
	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		/* Exact key: the next character must be the separator. A prefix match would make
		 * "file" read "file_mapped" (an LXCFS bug). */
		if (len > klen && memcmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '\t')) {
			char num[32];
			const char *v = line + klen;
			size_t vlen;

			while (*v == ' ' || *v == '\t')
				v++;
			vlen = (size_t)(line + len - v);
			if (vlen == 0 || vlen >= sizeof(num))
				return -EINVAL;
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			return pl_parse_u64(num, out);
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	return -ENOENT;
}

void pl_buf_init(struct pl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

void pl_buf_free(struct pl_buf *b)
{
	free(b->data);
	pl_buf_init(b);
}

void pl_buf_reset(struct pl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
	b->oom = false;
}

static bool buf_reserve(struct pl_buf *b, size_t extra)
{
	size_t need, cap;
	char *grown;

	if (b->oom)
		return false;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	grown = realloc(b->data, cap);
	if (!grown) {
		b->oom = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void pl_buf_append(struct pl_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void pl_buf_puts(struct pl_buf *b, const char *s)
{
	pl_buf_append(b, s, strlen(s));
}

void pl_buf_printf(struct pl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf_reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

int pl_buf_error(const struct pl_buf *b)
{
	return b->oom ? -ENOMEM : 0;
}

char *pl_buf_steal(struct pl_buf *b, size_t *len)
{
	char *d = b->data;

	if (len)
		*len = b->len;
	if (!d)
		d = calloc(1, 1);
	pl_buf_init(b);
	return d;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t pl_now_boottime_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

uint64_t pl_now_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

long pl_clk_tck(void)
{
	static long tck;

	if (!tck) {
		long v = sysconf(_SC_CLK_TCK);
		tck = v > 0 ? v : 100;
	}
	return tck;
}

int pl_pidfd_open(pid_t pid, unsigned flags)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, flags);

	return fd < 0 ? -errno : fd;
}
