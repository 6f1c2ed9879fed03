#!/bin/bash
# Shared harness for the integration tests (bash, run as root).
#
#   . "$(dirname "$0")/lib.sh"
#   t_defer 'umount -l /tmp/x'        # runs at exit, last registered first, even on failure
#   t_check "free shows 256 MiB" test "$total" = 256
#   t_eq "MemTotal" "$got" "$want"
#   t_done                            # prints "N passed, N failed", exits non-zero on failure
#
# Every result line is "PASS name" or "FAIL name: why". Names of resources made here start
# with "proclens-test" so a leftover is recognisable.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PROCLENSFS=$BUILD/proclensfs
PROCLENS=$BUILD/proclens
T_NAME=$(basename "$0" .sh)
T_PASS=0
T_FAIL=0
T_DEFERRED=()

t_log() { printf '%s: %s\n' "$T_NAME" "$*" >&2; }

t_defer() { T_DEFERRED+=("$1"); }

t_run_deferred() {
	local i
	for ((i = ${#T_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${T_DEFERRED[$i]}" >/dev/null 2>&1 || true
	done
	T_DEFERRED=()
}
trap t_run_deferred EXIT
trap 'exit 130' INT TERM

t_pass() { T_PASS=$((T_PASS + 1)); printf 'PASS %s: %s\n' "$T_NAME" "$1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); printf 'FAIL %s: %s\n' "$T_NAME" "$1"; }

# t_check NAME CMD...: passes when CMD succeeds.
t_check() {
	local name=$1
	shift
	if "$@"; then t_pass "$name"; else t_fail "$name (command failed: $*)"; fi
}

# t_eq NAME GOT WANT
t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1: got '$2', want '$3'"; fi
}

# t_match NAME TEXT ERE: passes when TEXT matches the extended regex.
t_match() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then t_pass "$1"; else
		t_fail "$1: /$3/ not in: $(printf '%s' "$2" | head -c 600)"
	fi
}

# t_range NAME VALUE LO HI (integers, inclusive)
t_range() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null && [ "$2" -le "$4" ]; then t_pass "$1"; else
		t_fail "$1: '$2' not in [$3, $4]"
	fi
}

t_skip_all() {
	printf 'SKIP %s: %s\n' "$T_NAME" "$1"
	echo "$T_NAME: 0 passed, 0 failed"
	exit 0
}

t_done() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
	exit $?
}

# cgroup helpers --------------------------------------------------------------------------

# Is this a pure cgroup v2 machine?
t_cgroup_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# t_mktemp_dir: a directory removed at exit.
t_mktemp_dir() {
	local d
	d=$(mktemp -d /tmp/proclens-test.XXXXXX)
	t_defer "rm -rf '$d'"
	echo "$d"
}

# Wait until PATH is a mount point (a FUSE daemon finished mounting), up to ~5 s.
t_wait_mount() {
	local i
	for ((i = 0; i < 100; i++)); do
		mountpoint -q "$1" && return 0
		sleep 0.05
	done
	return 1
}
