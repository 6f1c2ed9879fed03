/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sysinfo(2) answer: what counts as used, and where it may be written. */
#include <check.h>
#include <string.h>

#include "../../launcher/launcher.h"
#include "proclens/cgroup.h"
#include "testlib.h"

#define MiB (UINT64_C(1) << 20)

static const char maps[] = "00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon\n"
			   "00651000-00652000 r--p 00051000 08:02 173521 /usr/bin/dbus-daemon\n"
			   "00652000-00655000 rw-p 00052000 08:02 173521 /usr/bin/dbus-daemon\n"
			   "00655000-00657000 rw-p 00000000 00:00 0\n"
			   "00e03000-00e24000 rw-p 00000000 00:00 0 [heap]\n"
			   "7ffc3a2d0000-7ffc3a2f1000 rw-p 00000000 00:00 0 [stack]\n"
			   "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n";

START_TEST(writable_ranges)
{
	/* inside one writable mapping, and across two adjacent ones */
	ck_assert(pl_maps_range_writable(maps, 0x652000, 112));
	ck_assert(pl_maps_range_writable(maps, 0x654ff0, 112));
	ck_assert(pl_maps_range_writable(maps, 0x7ffc3a2f1000 - 112, 112));
	/* read-only or executable text: sysinfo(2) would fault, so do we */
	ck_assert(!pl_maps_range_writable(maps, 0x400000, 112));
	ck_assert(!pl_maps_range_writable(maps, 0x651f90, 112)); /* ends in rw, starts in r-- */
	/* past the end of a mapping into a hole, in a hole, at 0, wrapping around */
	ck_assert(!pl_maps_range_writable(maps, 0x656ff0, 112));
	ck_assert(!pl_maps_range_writable(maps, 0x700000, 112));
	ck_assert(!pl_maps_range_writable(maps, 0, 112));
	ck_assert(!pl_maps_range_writable(maps, UINT64_MAX - 10, 112));
	ck_assert(!pl_maps_range_writable(maps, 0xffffffffff600000, 112));
	ck_assert(!pl_maps_range_writable("", 0x652000, 112));
	ck_assert(!pl_maps_range_writable("junk\n\n", 0x652000, 112));
	ck_assert(!pl_maps_range_writable(maps, 0x652000, 0));
}
END_TEST

START_TEST(used_counts_what_a_pod_leaves)
{
	struct pl_memory m;

	memset(&m, 0, sizeof(m));
	m.limit_bytes = 512 * MiB;
	m.usage_bytes = 100 * MiB;
	m.ancestor_free_bytes = PL_UNLIMITED;
	ck_assert_uint_eq(pl_sysinfo_used_bytes(&m), 100 * MiB);
	/* the pod has 32 MiB left: freeram = limit - used must be 32 MiB */
	m.ancestor_free_bytes = 32 * MiB;
	ck_assert_uint_eq(pl_sysinfo_used_bytes(&m), 480 * MiB);
	/* the container's own headroom is smaller: its usage stands */
	m.ancestor_free_bytes = 450 * MiB;
	ck_assert_uint_eq(pl_sysinfo_used_bytes(&m), 100 * MiB);
	/* no limit anywhere */
	m.limit_bytes = PL_UNLIMITED;
	m.ancestor_free_bytes = PL_UNLIMITED;
	ck_assert_uint_eq(pl_sysinfo_used_bytes(&m), 100 * MiB);
}
END_TEST

static Suite *sysinfo_suite(void)
{
	Suite *s = suite_create("launcher_sysinfo");
	TCase *tc = tcase_create("answer");

	tcase_add_test(tc, writable_ranges);
	tcase_add_test(tc, used_counts_what_a_pod_leaves);
	suite_add_tcase(s, tc);
	return s;
}

PL_TEST_MAIN(sysinfo_suite)
