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
# T_TRANSPORT=uring|dev: the proclensfs transport t_start_fs asks for (default: the daemon's).
T_TRANSPORT=${T_TRANSPORT:-}
T_NAME=$(basename "$0" .sh)${T_TRANSPORT:+[$T_TRANSPORT]}
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

# Temporary directories are listed in a file, not deferred one by one: t_mktemp_dir runs
# in a command substitution ($(t_mktemp_dir)), a subshell whose t_defer the test never saw
# (every test left its directories in /tmp). Registered first, so removed last, after the
# mounts and daemons inside them are gone; never across a file system left mounted.
T_TMP_LIST=$(mktemp /tmp/proclens-test-tmpdirs.XXXXXX)
t_rm_tmpdirs() {
	local d
	while IFS= read -r d; do
		[ -n "$d" ] && rm -rf --one-file-system "$d"
	done <"$T_TMP_LIST"
	rm -f "$T_TMP_LIST"
}
t_defer t_rm_tmpdirs

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
	echo "$T_NAME - 0 passed, 0 failed"
	exit 0
}

t_done() {
	echo "$T_NAME - $T_PASS passed, $T_FAIL failed"
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
	echo "$d" >>"$T_TMP_LIST"
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

# Test cgroups --------------------------------------------------------------------------------
# t_cg_make NAME [MEM_BYTES] [QUOTA_US PERIOD_US] [CPUS]: make a cgroup called NAME (prefix it
# with proclens-test) below this shell's own cgroup in every hierarchy we use, with the limits
# given ("" skips one), removed at exit. Sets T_CG to its directories (space-separated); use
# t_cg_enter_cmd $T_CG for a shell snippet that moves a process into them. Call it directly,
# not in $(...): the removal is registered in the calling shell. With T_CG_AT_ROOT=1 the
# cgroup is made at the root of every hierarchy instead, so that one path (/NAME) names it
# in all of them.
T_CG_V1="memory cpu cpuacct cpuset pids"

t_cg_parent_v1() { # controller -> this shell's cgroup dir in that v1 hierarchy
	local rel
	rel=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup)
	echo "/sys/fs/cgroup/$1${rel%/}"
}

t_cg_make() {
	local name=$1 mem=${2:-} quota=${3:-} period=${4:-} cpus=${5:-} d c parent
	T_CG=""
	if t_cgroup_v2; then
		parent=/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
		[ "${T_CG_AT_ROOT:-0}" = 1 ] && parent=/sys/fs/cgroup
		parent=${parent%/}
		# v2's "no internal processes" rule: controllers can only be handed down from a
		# cgroup without member processes; the root is exempt.
		for c in cpuset cpu memory pids; do
			grep -qw "$c" "$parent/cgroup.subtree_control" 2>/dev/null ||
				echo "+$c" >"$parent/cgroup.subtree_control" 2>/dev/null || true
		done
		d=$parent/$name
		mkdir "$d" || return 1
		t_defer "t_cg_remove '$d'"
		[ -z "$mem" ] || echo "$mem" >"$d/memory.max" || return 1
		[ -z "$quota" ] || echo "$quota $period" >"$d/cpu.max" || return 1
		[ -z "$cpus" ] || echo "$cpus" >"$d/cpuset.cpus" || return 1
		T_CG=$d
		return 0
	fi
	for c in $T_CG_V1; do
		[ -d "/sys/fs/cgroup/$c" ] || continue
		parent=$(t_cg_parent_v1 "$c")
		[ "${T_CG_AT_ROOT:-0}" = 1 ] && parent=/sys/fs/cgroup/$c
		d=$parent/$name
		[ -d "$d" ] && [ -L "/sys/fs/cgroup/$c" ] && continue # co-mounted cpu,cpuacct: one directory
		mkdir "$d" || return 1
		t_defer "t_cg_remove '$d'"
		case $c in
		memory) [ -z "$mem" ] || echo "$mem" >"$d/memory.limit_in_bytes" || return 1 ;;
		cpu) if [ -n "$quota" ]; then
			echo "$period" >"$d/cpu.cfs_period_us" && echo "$quota" >"$d/cpu.cfs_quota_us" || return 1
		fi ;;
		cpuset) cat "$parent/cpuset.mems" >"$d/cpuset.mems" || return 1
			if [ -n "$cpus" ]; then echo "$cpus" >"$d/cpuset.cpus"; else cat "$parent/cpuset.cpus" >"$d/cpuset.cpus"; fi || return 1 ;;
		esac
		T_CG="${T_CG:+$T_CG }$d"
	done
}

# Remove a cgroup made by t_cg_make, killing what is left in it (only our test processes
# can be there).
t_cg_remove() {
	local d=$1 i sub
	[ -d "$d" ] || return 0
	for sub in $(find "$d" -mindepth 1 -depth -type d 2>/dev/null); do t_cg_remove "$sub"; done
	# v2 kills the whole cgroup in one write; hundreds of exiting tasks (a pid namespace's
	# teardown, in the slow v2 VM) can take seconds to leave, and v2's cgroup.procs hides
	# tasks still exiting, which keep rmdir failing (EBUSY): retried, up to 30 s.
	[ -e "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		rmdir "$d" 2>/dev/null && return 0
		xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
		sleep 0.1
	done
	return 1
}

# t_cg_enter_cmd DIR...: a shell snippet that moves the shell running it into DIRs.
t_cg_enter_cmd() {
	local d s=""
	for d in "$@"; do s="$s echo \$\$ > '$d/cgroup.procs' &&"; done
	echo "${s% &&}"
}

# t_start_fs MOUNTPOINT [OPTIONS...]: start proclensfs (stopped and unmounted at exit).
t_start_fs() {
	local mnt=$1
	shift
	mkdir -p "$mnt"
	"$PROCLENSFS" --pidfile "$mnt.pid" ${T_TRANSPORT:+--transport="$T_TRANSPORT"} "$@" "$mnt" || return 1
	t_defer "t_stop_fs '$mnt'"
	t_wait_mount "$mnt"
}

# t_fs_server PID: the server of the proclensfs keeper PID (the pid file's), the child that
# serves the mount; empty (and status 1) while it is being replaced.
t_fs_server() {
	local c
	# The child that leads a session of its own (a shell that exec'd the daemon may have
	# left other children).
	c=$(ps -o pid=,sid= --ppid "$1" 2>/dev/null | awk '$1 == $2 {print $1; exit}')
	[ -n "$c" ] && echo "$c"
}

# t_fs_server_wait PID [OLD]: wait (up to ~5 s) for a server of keeper PID other than OLD.
t_fs_server_wait() {
	local i s
	for ((i = 0; i < 100; i++)); do
		s=$(t_fs_server "$1") && [ "$s" != "${2:-}" ] && { echo "$s"; return 0; }
		sleep 0.05
	done
	return 1
}

t_stop_fs() {
	local mnt=$1 pid i
	pid=$(cat "$mnt.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		mountpoint -q "$mnt" || break
		sleep 0.05
	done
	mountpoint -q "$mnt" && umount -l "$mnt"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill -KILL $(t_fs_server "$pid") "$pid"
	rm -f "$mnt.pid"
	rmdir "$mnt" 2>/dev/null
	return 0
}

# t_in_container MNT CGDIRS CMD: run CMD (a shell string) in new pid and mount namespaces,
# inside the cgroups CGDIRS (space-separated), with MNT's proc files bound over /proc and
# its sys/devices/system/cpu over /sys/devices/system/cpu.
t_in_container() {
	local mnt=$1 cgs=$2 cmd=$3 script f rc
	script=$(mktemp /tmp/proclens-test-ct.XXXXXX)
	{
		echo 'set -e'
		for f in "$mnt"/proc/*; do echo "mount --bind '$f' '/proc/${f##*/}'"; done
		[ ! -d "$mnt/sys/devices/system/cpu" ] ||
			echo "mount --bind '$mnt/sys/devices/system/cpu' /sys/devices/system/cpu"
		echo 'set +e'
		printf '%s\n' "$cmd"
	} >"$script"
	# shellcheck disable=SC2086
	sh -c "$(t_cg_enter_cmd $cgs) && exec unshare --pid --fork --mount --propagation private --mount-proc sh '$script'"
	rc=$?
	rm -f "$script"
	return $rc
}
