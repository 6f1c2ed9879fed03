#!/bin/bash
# Helpers for tests/integration/test_launcher_*.sh, sourced after tests/integration/lib.sh.
# Every container a test starts is named proclens-test-*, so its cgroups are recognisable.

# A fresh busybox rootfs, removed at exit.
lt_busybox_rootfs() {
	local d
	d=$(t_mktemp_dir)
	"$TOP/scripts/mkrootfs-busybox.sh" "$d/rootfs" >/dev/null || return 1
	echo "$d/rootfs"
}

# lt_run NAME [OPTIONS...] -- CMD...: run a container named NAME; sets LT_OUT, LT_ERR, LT_RC.
lt_run() {
	local name=$1 errf
	shift
	errf=$(mktemp /tmp/proclens-test.err.XXXXXX)
	LT_OUT=$(timeout -k 5 60 "$PROCLENS" run --name "$name" "$@" 2>"$errf")
	LT_RC=$?
	LT_ERR=$(cat "$errf")
	rm -f "$errf"
}

# Wait (up to ~3 s) for the reaper `run` leaves behind to remove container NAME's cgroups
# and lock file: `run` returns as soon as the command's status is known.
lt_wait_reaped() {
	local i d busy
	for ((i = 0; i < 150; i++)); do
		busy=
		for d in /sys/fs/cgroup/*/proclens/"$1" /sys/fs/cgroup/proclens/"$1" /run/proclens/"$1".lock; do
			[ -e "$d" ] && busy=1
		done
		[ -z "$busy" ] && return 0
		sleep 0.02
	done
	return 1
}

# Nothing of container NAME may remain (once its reaper is done): no cgroup in any
# hierarchy, no lock file, no private view mount or mount point, no process whose command
# line carries MARKER (when given).
lt_assert_clean() {
	local name=$1 marker=${2:-} left="" d
	lt_wait_reaped "$name"
	for d in /sys/fs/cgroup/*/proclens/"$name" /sys/fs/cgroup/proclens/"$name" /run/proclens/"$name".lock; do
		[ -e "$d" ] && left="$left cgroup:$d"
	done
	# The private view's mount point is named after the container.
	if grep -q " /run/proclens/view\.$name " /proc/self/mountinfo; then
		left="$left mount:/run/proclens/view.$name"
	fi
	[ -e "/run/proclens/view.$name" ] && left="$left dir:/run/proclens/view.$name"
	if [ -n "$marker" ] && pgrep -f -- "$marker" >/dev/null; then
		left="$left process:$(pgrep -f -- "$marker" | head -3 | tr '\n' ' ')"
	fi
	if [ -z "$left" ]; then t_pass "$name leaves nothing behind"; else
		t_fail "$name leaves nothing behind:$left"
	fi
}

# After a `proclens run` of container NAME was SIGKILLed: the next run removes what it
# left (its cgroups once empty, its lock file, its private view's mount point). Waits for the
# kernel to kill the container (PDEATHSIG) first, then checks nothing of NAME is left.
lt_sweep_after_sigkill() {
	local name=$1 i
	for ((i = 0; i < 100; i++)); do
		[ -s "$(lt_cgroup_dir "$name" pids)/cgroup.procs" ] || break
		sleep 0.05
	done
	"$PROCLENS" run --no-view --name proclens-test-sweeper -- true
	lt_assert_clean "$name"
}

# The cgroup directory of container NAME for controller CTRL (v1) or the v2 one.
lt_cgroup_dir() {
	if t_cgroup_v2; then echo "/sys/fs/cgroup/proclens/$1"; else echo "/sys/fs/cgroup/$2/proclens/$1"; fi
}

# Wait (up to ~5 s) for a path to appear.
lt_wait_path() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

lt_require_binaries() {
	[ -x "$PROCLENS" ] || t_skip_all "$PROCLENS not built"
	[ -x "$PROCLENSFS" ] || t_skip_all "$PROCLENSFS not built: the views need the daemon"
	[ "$(id -u)" = 0 ] || t_skip_all "needs root"
}
