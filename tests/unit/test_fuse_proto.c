/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FUSE protocol codec (fs/fuse_proto.c) on requests built by hand, against a
 * filesystem on this machine's /proc and /sys read as this process (no mount, no root). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "../../fs/fuse_proto.h"
#include "testlib.h"

static struct pl_fs *fs;
static struct pl_fuse_conn conn;
static uint64_t next_unique = 1;

static void setup(void)
{
	struct pl_fs_config cfg = { .cache_ms = 0, .view = { .cpu_count_from_quota = true } };

	ck_assert_int_eq(pl_fs_new(&cfg, &fs), 0);
	conn = (struct pl_fuse_conn){ .fs = fs, .fd = -1, .offer_uring = true };
}

static void teardown(void)
{
	pl_fs_free(fs);
	fs = NULL;
}

/* Send one request; the reply stays in *rep until reply_done. */
static void request(uint32_t opcode, uint64_t nodeid, const void *arg, size_t arglen, struct pl_fuse_reply *rep)
{
	struct fuse_in_header in = {
		.len = (uint32_t)(sizeof(in) + arglen),
		.opcode = opcode,
		.unique = next_unique++,
		.nodeid = nodeid,
		.pid = (uint32_t)getpid(),
	};

	pl_fuse_handle(&conn, &in, arg, arglen, rep);
}

static void done(uint32_t opcode, struct pl_fuse_reply *rep, bool delivered)
{
	struct fuse_in_header in = { .opcode = opcode };

	pl_fuse_reply_done(&conn, &in, rep, delivered);
}

static void init_with(uint32_t minor, uint64_t flags, struct fuse_init_out *out)
{
	struct fuse_init_in in = {
		.major = 7,
		.minor = minor,
		.max_readahead = 65536,
		.flags = (uint32_t)flags | FUSE_INIT_EXT,
		.flags2 = (uint32_t)(flags >> 32),
	};
	struct pl_fuse_reply rep;

	request(FUSE_INIT, 0, &in, sizeof(in), &rep);
	ck_assert_int_eq(rep.error, 0);
	ck_assert_uint_eq(rep.len, sizeof(*out));
	memcpy(out, rep.data, sizeof(*out));
	done(FUSE_INIT, &rep, true);
}

static void init(void)
{
	struct fuse_init_out out;

	init_with(38, FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_POSIX_LOCKS | FUSE_WRITEBACK_CACHE, &out);
}

static uint64_t lookup(uint64_t parent, const char *name)
{
	struct pl_fuse_reply rep;
	struct fuse_entry_out e;

	request(FUSE_LOOKUP, parent, name, strlen(name) + 1, &rep);
	ck_assert_msg(rep.error == 0, "lookup %s: %s", name, strerror(rep.error));
	ck_assert_uint_eq(rep.len, sizeof(e));
	memcpy(&e, rep.data, sizeof(e));
	done(FUSE_LOOKUP, &rep, true);
	ck_assert_uint_eq(e.nodeid, e.attr.ino);
	return e.nodeid;
}

START_TEST(requests_before_init_fail)
{
	struct pl_fuse_reply rep;

	request(FUSE_LOOKUP, FUSE_ROOT_ID, "proc", 5, &rep);
	ck_assert_int_eq(rep.error, EIO);
	done(FUSE_LOOKUP, &rep, true);
}
END_TEST

START_TEST(init_takes_only_what_we_use)
{
	struct fuse_init_out out;

	init_with(44, FUSE_ASYNC_READ | FUSE_MAX_PAGES | FUSE_POSIX_LOCKS | FUSE_WRITEBACK_CACHE | FUSE_OVER_IO_URING,
		  &out);
	ck_assert_uint_eq(out.major, 7);
	ck_assert_uint_eq(out.minor, 42);
	ck_assert_uint_eq(out.flags & (FUSE_POSIX_LOCKS | FUSE_WRITEBACK_CACHE), 0);
	ck_assert(out.flags & FUSE_ASYNC_READ);
	ck_assert(out.flags & FUSE_MAX_PAGES);
	ck_assert_uint_eq(out.max_pages, PL_FUSE_MAX_PAGES);
	ck_assert_uint_eq(out.flags2, (uint32_t)(FUSE_OVER_IO_URING >> 32));
	ck_assert(atomic_load(&conn.uring));
}
END_TEST

START_TEST(init_without_uring)
{
	struct fuse_init_out out;

	/* The kernel does not offer it (Linux < 6.14, or enable_uring off). */
	init_with(38, FUSE_ASYNC_READ, &out);
	ck_assert_uint_eq(out.minor, 38);
	ck_assert_uint_eq(out.flags2, 0);
	ck_assert(!atomic_load(&conn.uring));
	/* Offered, but we were told not to take it. */
	conn.offer_uring = false;
	init_with(44, FUSE_OVER_IO_URING, &out);
	ck_assert_uint_eq(out.flags2, 0);
	ck_assert(!atomic_load(&conn.uring));
}
END_TEST

START_TEST(init_refuses_old_major_and_short_args)
{
	struct fuse_init_in in = { .major = 6, .minor = 1 };
	struct pl_fuse_reply rep;

	request(FUSE_INIT, 0, &in, sizeof(in), &rep);
	ck_assert_int_eq(rep.error, EPROTO);
	done(FUSE_INIT, &rep, true);
	request(FUSE_INIT, 0, &in, 8, &rep);
	ck_assert_int_eq(rep.error, EINVAL);
	done(FUSE_INIT, &rep, true);
	ck_assert(!atomic_load(&conn.inited));
}
END_TEST

START_TEST(lookup_getattr_and_bad_names)
{
	struct pl_fuse_reply rep;
	struct fuse_attr_out a;
	uint64_t proc, meminfo;

	init();
	proc = lookup(FUSE_ROOT_ID, "proc");
	meminfo = lookup(proc, "meminfo");
	request(FUSE_GETATTR, meminfo, &(struct fuse_getattr_in){ 0 }, sizeof(struct fuse_getattr_in), &rep);
	ck_assert_int_eq(rep.error, 0);
	memcpy(&a, rep.data, sizeof(a));
	done(FUSE_GETATTR, &rep, true);
	ck_assert_uint_eq(a.attr.mode, S_IFREG | 0444);
	ck_assert_uint_eq(a.attr.ino, meminfo);
	/* One page, as sysfs: a size of 0 would end a splice before it asks us. */
	ck_assert_uint_eq(a.attr.size, 4096);
	ck_assert_uint_gt(a.attr_valid, 0);
	request(FUSE_LOOKUP, proc, "nosuch", 7, &rep);
	ck_assert_int_eq(rep.error, ENOENT);
	ck_assert_uint_eq(rep.len, 0);
	done(FUSE_LOOKUP, &rep, true);
	/* A name without its NUL: rejected, not read past. */
	request(FUSE_LOOKUP, proc, "meminfo", 7, &rep);
	ck_assert_int_eq(rep.error, EINVAL);
	done(FUSE_LOOKUP, &rep, true);
	request(FUSE_LOOKUP, proc, "", 0, &rep);
	ck_assert_int_eq(rep.error, EINVAL);
	done(FUSE_LOOKUP, &rep, true);
}
END_TEST

/* Read the whole file through OPEN, READ in `chunk`-byte pieces until an empty one, RELEASE. */
static char *read_all(uint64_t ino, uint32_t chunk, size_t *len)
{
	struct fuse_open_in oi = { .flags = O_RDONLY };
	struct fuse_open_out oo;
	struct pl_fuse_reply rep;
	struct pl_buf text;
	uint64_t off = 0;

	pl_buf_init(&text);
	request(FUSE_OPEN, ino, &oi, sizeof(oi), &rep);
	ck_assert_int_eq(rep.error, 0);
	memcpy(&oo, rep.data, sizeof(oo));
	done(FUSE_OPEN, &rep, true);
	ck_assert(oo.open_flags & FOPEN_DIRECT_IO);
	ck_assert(oo.open_flags & FOPEN_NOFLUSH);
	/* A READ for the page cache (no lock owner: splice, sendfile, mmap) is refused. */
	request(FUSE_READ, ino, &(struct fuse_read_in){ .fh = oo.fh, .size = chunk }, sizeof(struct fuse_read_in),
		&rep);
	ck_assert_int_eq(rep.error, EINVAL);
	done(FUSE_READ, &rep, true);
	for (;;) {
		/* read(2) on a direct-I/O file: the kernel names the reader's lock owner. */
		struct fuse_read_in ri = {
			.fh = oo.fh, .offset = off, .size = chunk, .read_flags = FUSE_READ_LOCKOWNER
		};
		size_t n;

		request(FUSE_READ, ino, &ri, sizeof(ri), &rep);
		ck_assert_int_eq(rep.error, 0);
		n = rep.len;
		ck_assert_uint_le(n, chunk);
		pl_buf_append(&text, rep.data, n);
		done(FUSE_READ, &rep, true);
		if (n == 0)
			break;
		off += n;
	}
	request(FUSE_RELEASE, ino, &(struct fuse_release_in){ .fh = oo.fh }, sizeof(struct fuse_release_in), &rep);
	ck_assert_int_eq(rep.error, 0);
	ck_assert(!rep.none);
	done(FUSE_RELEASE, &rep, true);
	ck_assert_int_eq(pl_buf_error(&text), 0);
	return pl_buf_steal(&text, len);
}

START_TEST(open_read_release)
{
	uint64_t cpuinfo;
	size_t len1, len7;
	char *whole, *sevens;

	init();
	cpuinfo = lookup(lookup(FUSE_ROOT_ID, "proc"), "cpuinfo");
	whole = read_all(cpuinfo, 65536, &len1);
	ck_assert_uint_gt(len1, 0);
	ck_assert_int_eq(strncmp(whole, "processor", 9), 0);
	/* cpuinfo does not change between renders: 7-byte reads give the same bytes. */
	sevens = read_all(cpuinfo, 7, &len7);
	ck_assert_uint_eq(len7, len1);
	ck_assert_int_eq(memcmp(whole, sevens, len1), 0);
	free(whole);
	free(sevens);
}
END_TEST

START_TEST(open_for_writing_is_refused)
{
	uint64_t meminfo;
	struct pl_fuse_reply rep;

	init();
	meminfo = lookup(lookup(FUSE_ROOT_ID, "proc"), "meminfo");
	request(FUSE_OPEN, meminfo, &(struct fuse_open_in){ .flags = O_WRONLY }, sizeof(struct fuse_open_in), &rep);
	ck_assert_int_eq(rep.error, EACCES);
	done(FUSE_OPEN, &rep, true);
	request(FUSE_OPEN, meminfo, &(struct fuse_open_in){ 0 }, 4, &rep);
	ck_assert_int_eq(rep.error, EINVAL);
	done(FUSE_OPEN, &rep, true);
}
END_TEST

START_TEST(undelivered_open_releases_the_file)
{
	uint64_t meminfo;
	struct pl_fuse_reply rep;

	init();
	meminfo = lookup(lookup(FUSE_ROOT_ID, "proc"), "meminfo");
	request(FUSE_OPEN, meminfo, &(struct fuse_open_in){ .flags = O_RDONLY }, sizeof(struct fuse_open_in), &rep);
	ck_assert_int_eq(rep.error, 0);
	/* The opener was interrupted: the codec frees the file (ASan sees a leak otherwise). */
	done(FUSE_OPEN, &rep, false);
}
END_TEST

START_TEST(writes_are_refused)
{
	static const uint32_t ops[] = { FUSE_SETATTR, FUSE_MKNOD,    FUSE_MKDIR,   FUSE_UNLINK,	   FUSE_RMDIR,
					FUSE_RENAME,  FUSE_RENAME2,  FUSE_LINK,    FUSE_SYMLINK,   FUSE_WRITE,
					FUSE_CREATE,  FUSE_SETXATTR, FUSE_REMOVEXATTR, FUSE_FALLOCATE, FUSE_TMPFILE };
	char arg[256] = "x";
	struct pl_fuse_reply rep;

	init();
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		request(ops[i], FUSE_ROOT_ID, arg, sizeof(arg), &rep);
		ck_assert_msg(rep.error == EROFS, "%s: %d", pl_fuse_opname(ops[i]), rep.error);
		done(ops[i], &rep, true);
	}
}
END_TEST

START_TEST(no_reply_and_unknown_requests)
{
	struct pl_fuse_reply rep;

	init();
	request(FUSE_FORGET, 5, &(struct fuse_forget_in){ .nlookup = 1 }, sizeof(struct fuse_forget_in), &rep);
	ck_assert(rep.none);
	done(FUSE_FORGET, &rep, true);
	request(FUSE_INTERRUPT, 0, &(struct fuse_interrupt_in){ .unique = 1 }, sizeof(struct fuse_interrupt_in),
		&rep);
	ck_assert(rep.none);
	done(FUSE_INTERRUPT, &rep, true);
	request(FUSE_FLUSH, FUSE_ROOT_ID, NULL, 0, &rep);
	ck_assert_int_eq(rep.error, ENOSYS);
	done(FUSE_FLUSH, &rep, true);
	request(9999, FUSE_ROOT_ID, NULL, 0, &rep);
	ck_assert_int_eq(rep.error, ENOSYS);
	ck_assert_str_eq(pl_fuse_opname(9999), "UNKNOWN");
	done(9999, &rep, true);
	request(FUSE_READ, FUSE_ROOT_ID, &(struct fuse_read_in){ .fh = 0 }, sizeof(struct fuse_read_in), &rep);
	ck_assert_int_eq(rep.error, EINVAL);
	done(FUSE_READ, &rep, true);
}
END_TEST

START_TEST(readdir_encodes_entries)
{
	struct fuse_read_in ri = { .size = 4096 };
	struct pl_fuse_reply rep;
	unsigned seen = 0;
	bool meminfo = false;
	uint64_t proc;

	init();
	proc = lookup(FUSE_ROOT_ID, "proc");
	request(FUSE_OPENDIR, proc, &(struct fuse_open_in){ 0 }, sizeof(struct fuse_open_in), &rep);
	ck_assert_int_eq(rep.error, 0);
	done(FUSE_OPENDIR, &rep, true);
	request(FUSE_READDIR, proc, &ri, sizeof(ri), &rep);
	ck_assert_int_eq(rep.error, 0);
	for (size_t off = 0; off < rep.len;) {
		const struct fuse_dirent *de = (const void *)((const char *)rep.data + off);

		ck_assert_uint_le(off + FUSE_DIRENT_SIZE(de), rep.len);
		if (de->namelen == 7 && memcmp(de->name, "meminfo", 7) == 0) {
			meminfo = true;
			ck_assert_uint_eq(de->type, DT_REG);
		}
		ck_assert_uint_eq(de->off, ++seen);
		off += FUSE_DIRENT_SIZE(de);
	}
	done(FUSE_READDIR, &rep, true);
	ck_assert(meminfo);
	ck_assert_uint_ge(seen, 6); /* ., .., and the files */
	/* A buffer too small for one entry: an empty reply, not an overflow. */
	ri.size = 8;
	request(FUSE_READDIR, proc, &ri, sizeof(ri), &rep);
	ck_assert_int_eq(rep.error, 0);
	ck_assert_uint_eq(rep.len, 0);
	done(FUSE_READDIR, &rep, true);
}
END_TEST

static Suite *fuse_proto_suite(void)
{
	Suite *s = suite_create("fuse_proto");
	TCase *tc = tcase_create("codec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, requests_before_init_fail);
	tcase_add_test(tc, init_takes_only_what_we_use);
	tcase_add_test(tc, init_without_uring);
	tcase_add_test(tc, init_refuses_old_major_and_short_args);
	tcase_add_test(tc, lookup_getattr_and_bad_names);
	tcase_add_test(tc, open_read_release);
	tcase_add_test(tc, open_for_writing_is_refused);
	tcase_add_test(tc, undelivered_open_releases_the_file);
	tcase_add_test(tc, writes_are_refused);
	tcase_add_test(tc, no_reply_and_unknown_requests);
	tcase_add_test(tc, readdir_encodes_entries);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(fuse_proto_suite)
