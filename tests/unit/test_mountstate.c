/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A mount's state across servers (fs/mountstate.c), and a server taking over from one
 * before it through the protocol codec: the INIT outcome, the inode numbers, the file
 * handles of the other server. The filesystem reads this machine's /proc and /sys as this
 * process (no mount, no root). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../fs/fuse_proto.h"
#include "../../fs/mountstate.h"
#include "testlib.h"

static int count_records(void *ctx, const struct pl_ms_record *rec)
{
	(*(unsigned *)ctx)++;
	(void)rec;
	return 0;
}

START_TEST(records_are_kept_in_order)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *a, *b;
	struct pl_ms_init init;
	unsigned n = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_mountstate_open(fd, &a), 0);
	pl_mountstate_get_init(a, &init);
	ck_assert_uint_eq(init.done, 0);
	ck_assert_uint_eq(pl_mountstate_next_generation(a), 1);
	ck_assert_int_eq(pl_mountstate_append(a, PL_MS_STATIC, 1, 0, ""), 0);
	ck_assert_int_eq(pl_mountstate_append(a, PL_MS_MIRROR, S_IFDIR, 0, "devices/system/cpu/cpu0"), 0);
	pl_mountstate_set_init(a, &(struct pl_ms_init){.done = 1, .minor = 38, .uring = 1});
	/* A second mapping, as the next server has it. */
	ck_assert_int_eq(pl_mountstate_open(fd, &b), 0);
	ck_assert_uint_eq(pl_mountstate_next_generation(b), 2);
	pl_mountstate_get_init(b, &init);
	ck_assert_uint_eq(init.done, 1);
	ck_assert_uint_eq(init.minor, 38);
	ck_assert_uint_eq(init.uring, 1);
	ck_assert_int_eq(pl_mountstate_each(b, count_records, &n), 0);
	ck_assert_uint_eq(n, 2);
	pl_mountstate_close(a);
	pl_mountstate_close(b);
	close(fd);
}
END_TEST

START_TEST(full_and_damaged_files_are_errors)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *ms;
	char big[4000];
	unsigned n = 0;
	int r = 0;

	ck_assert_int_eq(pl_mountstate_open(fd, &ms), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 10000 && r == 0; i++)
		r = pl_mountstate_append(ms, PL_MS_MIRROR, S_IFREG, 0, big);
	ck_assert_int_eq(r, -ENOSPC);
	/* What was appended before is intact. */
	ck_assert_int_eq(pl_mountstate_each(ms, count_records, &n), 0);
	ck_assert_uint_gt(n, 2000);
	/* The log stops short of the memos, which still work. */
	ck_assert_int_eq(pl_mountstate_memo_save(ms, &(struct pl_ms_memo){.key = 1}, NULL, NULL, NULL, NULL), 0);
	pl_mountstate_close(ms);
	/* A record whose length runs past the end: the rest is not to be trusted. */
	{
		uint32_t bad = 12;
		ck_assert_int_eq(pwrite(fd, &bad, sizeof(bad), 4096), (ssize_t)sizeof(bad));
	}
	ck_assert_int_eq(pl_mountstate_open(fd, &ms), 0);
	ck_assert_int_eq(pl_mountstate_each(ms, count_records, &n), -EINVAL);
	pl_mountstate_close(ms);
	/* Not a state file at all. */
	ck_assert_int_eq(pwrite(fd, "garbage!", 8, 0), 8);
	ck_assert_int_eq(pl_mountstate_open(fd, &ms), -EINVAL);
	close(fd);
	fd = open("/dev/null", O_RDWR);
	ck_assert_int_eq(pl_mountstate_open(fd, &ms), -EINVAL);
	close(fd);
}
END_TEST

/* ---- servers in turn over one state ---- */

struct server {
	struct pl_mountstate *ms;
	struct pl_fs *fs;
	struct pl_fuse_conn conn;
	bool adopted;
};

static uint64_t next_unique = 1;

static void server_start(struct server *s, int fd)
{
	struct pl_fs_config cfg = {.cache_ms = 0, .view = {.cpu_count_from_quota = true}};

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(pl_mountstate_open(fd, &s->ms), 0);
	cfg.state = s->ms;
	ck_assert_int_eq(pl_fs_new(&cfg, &s->fs), 0);
	s->conn = (struct pl_fuse_conn){.fs = s->fs, .fd = -1, .state = s->ms};
	s->adopted = pl_fuse_conn_adopt(&s->conn);
}

static void server_end(struct server *s)
{
	pl_fuse_conn_free_foreign(&s->conn);
	pl_fs_free(s->fs);
	pl_mountstate_close(s->ms);
}

static void request(struct server *s, uint32_t opcode, uint64_t nodeid, const void *arg, size_t arglen,
		    struct pl_fuse_reply *rep)
{
	struct fuse_in_header in = {
	    .len = (uint32_t)(sizeof(in) + arglen),
	    .opcode = opcode,
	    .unique = next_unique++,
	    .nodeid = nodeid,
	    .pid = (uint32_t)getpid(),
	};

	pl_fuse_handle(&s->conn, &in, arg, arglen, rep);
}

static void done(struct server *s, uint32_t opcode, struct pl_fuse_reply *rep)
{
	struct fuse_in_header in = {.opcode = opcode};

	pl_fuse_reply_done(&s->conn, &in, rep, true);
}

static uint64_t lookup(struct server *s, uint64_t parent, const char *name)
{
	struct pl_fuse_reply rep;
	uint64_t ino;

	request(s, FUSE_LOOKUP, parent, name, strlen(name) + 1, &rep);
	ck_assert_msg(rep.error == 0, "lookup %s: %s", name, strerror(rep.error));
	ino = ((const struct fuse_entry_out *)rep.data)->nodeid;
	done(s, FUSE_LOOKUP, &rep);
	return ino;
}

static uint64_t open_file(struct server *s, uint64_t ino)
{
	struct pl_fuse_reply rep;
	uint64_t fh;

	request(s, FUSE_OPEN, ino, &(struct fuse_open_in){0}, sizeof(struct fuse_open_in), &rep);
	ck_assert_int_eq(rep.error, 0);
	fh = rep.fixed.open.fh;
	done(s, FUSE_OPEN, &rep);
	return fh;
}

/* READ of fh at off: the bytes, NUL-terminated (static buffer). */
static const char *read_at(struct server *s, uint64_t ino, uint64_t fh, uint64_t off)
{
	static char buf[65536];
	struct fuse_read_in ri = {
	    .fh = fh, .offset = off, .size = sizeof(buf) - 1, .read_flags = FUSE_READ_LOCKOWNER};
	struct pl_fuse_reply rep;

	request(s, FUSE_READ, ino, &ri, sizeof(ri), &rep);
	ck_assert_msg(rep.error == 0, "read: %s", strerror(rep.error));
	memcpy(buf, rep.data, rep.len);
	buf[rep.len] = '\0';
	done(s, FUSE_READ, &rep);
	return buf;
}

static void release(struct server *s, uint64_t ino, uint64_t fh)
{
	struct pl_fuse_reply rep;

	request(s, FUSE_RELEASE, ino, &(struct fuse_release_in){.fh = fh}, sizeof(struct fuse_release_in),
		&rep);
	ck_assert_int_eq(rep.error, 0);
	done(s, FUSE_RELEASE, &rep);
}

START_TEST(a_server_takes_over)
{
	int fd = pl_mountstate_create();
	struct fuse_init_in in = {.major = 7, .minor = 38, .max_readahead = 65536, .flags = FUSE_ASYNC_READ};
	struct server one, two;
	uint64_t proc, meminfo, uptime, cpu, cpu0, topo, fh_mem, fh_up;
	struct pl_fuse_reply rep;

	ck_assert_int_ge(fd, 0);
	server_start(&one, fd);
	ck_assert(!one.adopted); /* a new mount: the kernel's INIT is still to come */
	request(&one, FUSE_LOOKUP, FUSE_ROOT_ID, "proc", 5, &rep);
	ck_assert_int_eq(rep.error, EIO);
	done(&one, FUSE_LOOKUP, &rep);
	request(&one, FUSE_INIT, 0, &in, sizeof(in), &rep);
	ck_assert_int_eq(rep.error, 0);
	done(&one, FUSE_INIT, &rep);
	proc = lookup(&one, FUSE_ROOT_ID, "proc");
	meminfo = lookup(&one, proc, "meminfo");
	uptime = lookup(&one, proc, "uptime");
	cpu = lookup(&one, lookup(&one, lookup(&one, FUSE_ROOT_ID, "sys"), "devices"), "system");
	cpu = lookup(&one, cpu, "cpu");
	cpu0 = lookup(&one, cpu, "cpu0");
	topo = lookup(&one, cpu0, "topology");
	ck_assert_uint_ge(cpu0, PL_FS_MIRROR_INO_BASE);
	fh_mem = open_file(&one, meminfo);
	fh_up = open_file(&one, uptime);
	ck_assert_uint_gt(strlen(read_at(&one, uptime, fh_up, 0)), 3);
	/* The server dies: its open files with it (released here for the leak checker). */
	release(&one, meminfo, fh_mem);
	release(&one, uptime, fh_up);
	server_end(&one);

	server_start(&two, fd);
	ck_assert(two.adopted); /* INIT was answered: the kernel sends no other */
	ck_assert_uint_eq(two.conn.generation, 2);
	ck_assert(atomic_load(&two.conn.inited));
	/* The kernel's numbers still mean what they meant, mirrored nodes too. */
	ck_assert_uint_eq(lookup(&two, FUSE_ROOT_ID, "proc"), proc);
	ck_assert_uint_eq(lookup(&two, proc, "meminfo"), meminfo);
	request(&two, FUSE_GETATTR, topo, &(struct fuse_getattr_in){0}, sizeof(struct fuse_getattr_in), &rep);
	ck_assert_int_eq(rep.error, 0);
	ck_assert(S_ISDIR(((const struct fuse_attr_out *)rep.data)->attr.mode));
	done(&two, FUSE_GETATTR, &rep);
	ck_assert_uint_eq(lookup(&two, cpu0, "topology"), topo);
	/* The other server's handles: served from a render made for the reader. */
	ck_assert_int_eq(strncmp(read_at(&two, meminfo, fh_mem, 0), "MemTotal:", 9), 0);
	ck_assert_int_eq(strncmp(read_at(&two, meminfo, fh_mem, 3), "Total:", 6), 0);
	ck_assert_uint_gt(strlen(read_at(&two, uptime, fh_up, 0)), 3);
	release(&two, meminfo, fh_mem);
	/* Its own handles carry its generation. */
	{
		uint64_t fh = open_file(&two, meminfo);
		ck_assert_uint_eq(fh >> 48, 2);
		release(&two, meminfo, fh);
	}
	server_end(&two); /* fh_up still held: freed with the server */
	close(fd);
}
END_TEST

START_TEST(a_newer_server_keeps_old_numbers)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *ms;
	struct server s;
	uint64_t proc, cpuinfo;

	/* As an older version left it: other numbers, and a file this one does not have. */
	ck_assert_int_eq(pl_mountstate_open(fd, &ms), 0);
	ck_assert_int_eq(pl_mountstate_append(ms, PL_MS_STATIC, 1, 0, ""), 0);
	ck_assert_int_eq(pl_mountstate_append(ms, PL_MS_STATIC, 7, 0, "proc"), 0);
	ck_assert_int_eq(pl_mountstate_append(ms, PL_MS_STATIC, 500, 0, "proc/cpuinfo"), 0);
	ck_assert_int_eq(pl_mountstate_append(ms, PL_MS_STATIC, 900, 0, "proc/slabinfo"), 0);
	pl_mountstate_set_init(ms, &(struct pl_ms_init){.done = 1, .minor = 38});
	pl_mountstate_close(ms);

	server_start(&s, fd);
	ck_assert(s.adopted);
	proc = lookup(&s, FUSE_ROOT_ID, "proc");
	ck_assert_uint_eq(proc, 7);
	cpuinfo = lookup(&s, proc, "cpuinfo");
	ck_assert_uint_eq(cpuinfo, 500);
	/* New paths are numbered after every number given out, the gone ones included. */
	ck_assert_uint_gt(lookup(&s, proc, "meminfo"), 900);
	/* A number of a file this version lacks is no file. */
	{
		struct pl_fuse_reply rep;
		request(&s, FUSE_GETATTR, 900, &(struct fuse_getattr_in){0}, sizeof(struct fuse_getattr_in),
			&rep);
		ck_assert_int_eq(rep.error, ENOENT);
		done(&s, FUSE_GETATTR, &rep);
	}
	server_end(&s);
	close(fd);
}
END_TEST

START_TEST(a_state_without_the_root_is_refused)
{
	int fd = pl_mountstate_create();
	struct pl_fs_config cfg = {.cache_ms = 0};
	struct pl_mountstate *ms;
	struct pl_fs *fs = NULL;

	ck_assert_int_eq(pl_mountstate_open(fd, &ms), 0);
	ck_assert_int_eq(pl_mountstate_append(ms, PL_MS_STATIC, 3, 0, ""), 0);
	cfg.state = ms;
	ck_assert_int_eq(pl_fs_new(&cfg, &fs), -EINVAL);
	pl_mountstate_close(ms);
	close(fd);
}
END_TEST

/* The memo of one container, counters from base on. */
static void memo_save(struct pl_mountstate *ms, uint64_t key, uint64_t start, unsigned ncpu, uint64_t base)
{
	uint64_t u[PL_MS_MEMO_CPUS + 1], s[PL_MS_MEMO_CPUS + 1], i[PL_MS_MEMO_CPUS + 1];
	struct pl_ms_memo m = {
		.key = key,
		.init_start_ns = start,
		.ncpu = ncpu,
		.loadavg = {base, base + 1, base + 2},
		.loadavg_last_ns = base * 5,
		.loadavg_sampled = 1,
	};

	for (unsigned k = 0; k < ncpu && k <= PL_MS_MEMO_CPUS; k++) {
		u[k] = base + k;
		s[k] = base + 1000 + k;
		i[k] = base + 2000 + k;
	}
	ck_assert_int_eq(pl_mountstate_memo_save(ms, &m, u, s, i, NULL), ncpu > PL_MS_MEMO_CPUS ? -E2BIG : 0);
}

/* 1: found with the counters memo_save(base) stored. */
static int memo_check(const struct pl_mountstate *ms, uint64_t key, uint64_t start, uint32_t own,
		      unsigned ncpu, uint64_t base)
{
	uint64_t u[PL_MS_MEMO_CPUS], s[PL_MS_MEMO_CPUS], i[PL_MS_MEMO_CPUS];
	struct pl_ms_memo m = {.key = key, .init_start_ns = start, .own_ns = own};
	struct pl_ms_memo_cpu cpu;

	if (!pl_mountstate_memo_load(ms, &m, u, s, i, &cpu))
		return 0;
	ck_assert_uint_eq(m.ncpu, ncpu);
	ck_assert_uint_eq(m.loadavg[0], base);
	ck_assert_uint_eq(m.loadavg[2], base + 2);
	ck_assert_uint_eq(m.loadavg_last_ns, base * 5);
	ck_assert_uint_eq(m.loadavg_sampled, 1);
	for (unsigned k = 0; k < ncpu; k++) {
		ck_assert_uint_eq(u[k], base + k);
		ck_assert_uint_eq(s[k], base + 1000 + k);
		ck_assert_uint_eq(i[k], base + 2000 + k);
	}
	return 1;
}

/* A reader in a new container looks for its memo: one slot read, not every slot of its
 * probe, so that the memfd's pages stay unallocated (they are the daemon's RSS: 32 KiB per
 * container seen, before). */
START_TEST(a_missing_memo_reads_one_slot)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *ms;
	struct stat before, after;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_mountstate_open(fd, &ms), 0);
	ck_assert_int_eq(fstat(fd, &before), 0);
	for (uint64_t k = 0; k < 32; k++)
		ck_assert_int_eq(memo_check(ms, 1000 + k, 7, 0, 0, 0), 0);
	ck_assert_int_eq(fstat(fd, &after), 0);
	/* st_blocks: 512-byte units of the pages given to the memfd. */
	ck_assert_int_le((after.st_blocks - before.st_blocks) * 512, 32 * 4096);
	/* Saved, each is found again. */
	for (uint64_t k = 0; k < 32; k++)
		memo_save(ms, 1000 + k, 7, 2, 10 * k);
	for (uint64_t k = 0; k < 32; k++)
		ck_assert_int_eq(memo_check(ms, 1000 + k, 7, 0, 2, 10 * k), 1);
	pl_mountstate_close(ms);
	close(fd);
}
END_TEST

START_TEST(memos_pass_to_the_next_server)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *a, *b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pl_mountstate_open(fd, &a), 0);
	memo_save(a, 42, 7, 2, 100);
	memo_save(a, 43, 7, PL_MS_MEMO_CPUS, 200);
	memo_save(a, 42, 7, 2, 300); /* rewritten in place */
	memo_save(a, 44, 7, PL_MS_MEMO_CPUS + 1, 400);
	pl_mountstate_close(a);
	ck_assert_int_eq(pl_mountstate_open(fd, &b), 0);
	ck_assert_int_eq(memo_check(b, 42, 7, 0, 2, 300), 1);
	ck_assert_int_eq(memo_check(b, 43, 7, 0, PL_MS_MEMO_CPUS, 200), 1);
	/* Too many CPUs to keep: nothing. Another start of the same namespace (a recycled
	 * inode), or the other kind of key: not this container's. */
	ck_assert_int_eq(memo_check(b, 44, 7, 0, 0, 400), 0);
	ck_assert_int_eq(memo_check(b, 42, 8, 0, 2, 300), 0);
	ck_assert_int_eq(memo_check(b, 42, 7, 1, 2, 300), 0);
	pl_mountstate_close(b);
	close(fd);
}
END_TEST

START_TEST(a_memo_torn_by_a_crash_is_ignored)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *a;
	uint32_t seq;
	off_t at = -1;

	ck_assert_int_eq(pl_mountstate_open(fd, &a), 0);
	memo_save(a, 42, 7, 2, 100);
	/* Find its slot by its sequence count (2 after one save) and leave it odd, as a
	 * server killed while saving does. */
	for (off_t off = 8 << 20; off < 16 << 20; off += 8192) {
		ck_assert_int_eq(pread(fd, &seq, sizeof(seq), off), (ssize_t)sizeof(seq));
		if (seq) {
			at = off;
			break;
		}
	}
	ck_assert_int_eq(seq, 2);
	seq = 3;
	ck_assert_int_eq(pwrite(fd, &seq, sizeof(seq), at), (ssize_t)sizeof(seq));
	ck_assert_int_eq(memo_check(a, 42, 7, 0, 2, 100), 0);
	/* Saving it again repairs it. */
	memo_save(a, 42, 7, 2, 500);
	ck_assert_int_eq(memo_check(a, 42, 7, 0, 2, 500), 1);
	pl_mountstate_close(a);
	close(fd);
}
END_TEST

/* The stat history's later parts (the capacity added up, the bases) pass to the next server; a memo an
 * older server wrote (flags 0, as its pad was, over bytes a newer one left) has none. */
START_TEST(memo_parts_of_newer_servers)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *a;
	uint64_t u[2] = {1, 2}, s[2] = {3, 4}, i[2] = {5, 6};
	uint64_t lu[PL_MS_MEMO_CPUS], ls[PL_MS_MEMO_CPUS], li[PL_MS_MEMO_CPUS];
	struct pl_ms_memo m = {
	    .key = 42, .init_start_ns = 7, .ncpu = 2, .flags = PL_MS_MEMO_CAPACITY | PL_MS_MEMO_BASE | 0x80};
	struct pl_ms_memo_cpu cpu = {
	    .capacity_ns = 1234, .capacity_at_ns = 5678, .cpus_key = 99, .base_ns = {-1, 2, INT64_MIN}};
	struct pl_ms_memo_cpu got;
	uint32_t flags = 0;
	off_t at = -1;

	ck_assert_int_eq(pl_mountstate_open(fd, &a), 0);
	ck_assert_int_eq(pl_mountstate_memo_save(a, &m, u, s, i, &cpu), 0);
	m = (struct pl_ms_memo){.key = 42, .init_start_ns = 7};
	ck_assert(pl_mountstate_memo_load(a, &m, lu, ls, li, &got));
	ck_assert_uint_eq(m.flags, PL_MS_MEMO_CAPACITY | PL_MS_MEMO_BASE); /* what this server knows */
	ck_assert_uint_eq(got.capacity_ns, 1234);
	ck_assert_uint_eq(got.capacity_at_ns, 5678);
	ck_assert_uint_eq(got.cpus_key, 99);
	ck_assert_int_eq(got.base_ns[0], -1);
	ck_assert_int_eq(got.base_ns[2], INT64_MIN);
	ck_assert_uint_eq(li[1], 6);
	/* An older server rewrites the memo: its flags (pad) are 0, the bytes after stay. */
	for (off_t off = 8 << 20; off < 16 << 20 && at < 0; off += 8192) {
		uint32_t seq;

		ck_assert_int_eq(pread(fd, &seq, sizeof(seq), off), (ssize_t)sizeof(seq));
		if (seq)
			at = off;
	}
	ck_assert_int_ge(at, 0);
	ck_assert_int_eq(pwrite(fd, &flags, sizeof(flags), at + 76), (ssize_t)sizeof(flags));
	m = (struct pl_ms_memo){.key = 42, .init_start_ns = 7};
	ck_assert(pl_mountstate_memo_load(a, &m, lu, ls, li, &got));
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_uint_eq(m.ncpu, 2);
	ck_assert_uint_eq(lu[0], 1);
	pl_mountstate_close(a);
	close(fd);
}
END_TEST

START_TEST(a_full_memo_table_forgets_the_least_recent)
{
	int fd = pl_mountstate_create();
	struct pl_mountstate *a;
	unsigned kept = 0;

	ck_assert_int_eq(pl_mountstate_open(fd, &a), 0);
	/* Twice as many containers as slots: every save lands, the latest always. */
	for (uint64_t key = 1; key <= 2048; key++) {
		memo_save(a, key, 9, 1, key);
		ck_assert_int_eq(memo_check(a, key, 9, 0, 1, key), 1);
	}
	for (uint64_t key = 1; key <= 2048; key++)
		kept += (unsigned)memo_check(a, key, 9, 0, 1, key);
	ck_assert_uint_le(kept, 1024);
	ck_assert_uint_gt(kept, 900);
	/* The recent ones stay, the oldest went. */
	ck_assert_int_eq(memo_check(a, 2047, 9, 0, 1, 2047), 1);
	pl_mountstate_close(a);
	close(fd);
}
END_TEST

static Suite *mountstate_suite(void)
{
	Suite *s = suite_create("mountstate");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, records_are_kept_in_order);
	tcase_add_test(tc, full_and_damaged_files_are_errors);
	tcase_add_test(tc, a_server_takes_over);
	tcase_add_test(tc, a_newer_server_keeps_old_numbers);
	tcase_add_test(tc, a_state_without_the_root_is_refused);
	tcase_add_test(tc, memos_pass_to_the_next_server);
	tcase_add_test(tc, a_missing_memo_reads_one_slot);
	tcase_add_test(tc, a_memo_torn_by_a_crash_is_ignored);
	tcase_add_test(tc, memo_parts_of_newer_servers);
	tcase_add_test(tc, a_full_memo_table_forgets_the_least_recent);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(mountstate_suite)
