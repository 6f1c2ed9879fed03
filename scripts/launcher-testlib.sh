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
	LT_OUT=$(timeout 60 "$PROCLENS" run --name "$name" "$@" 2>"$errf")
	LT_RC=$?
	LT_ERR=$(cat "$errf")
	rm -f "$errf"
}

# Nothing of container NAME may remain: no cgroup in any hierarchy, no private view mount,
# no process whose command line carries MARKER (when given).
lt_assert_clean() {
	local name=$1 marker=${2:-} left="" d
	for d in /sys/fs/cgroup/*/proclens/"$name" /sys/fs/cgroup/proclens/"$name"; do
		[ -e "$d" ] && left="$left cgroup:$d"
	done
	if grep -q ' /run/proclens/view\.' /proc/self/mountinfo; then
		left="$left mount:$(grep -o ' /run/proclens/view\.[^ ]*' /proc/self/mountinfo | head -1)"
	fi
	for d in /run/proclens/view.*; do
		[ -e "$d" ] && left="$left dir:$d"
	done
	if [ -n "$marker" ] && pgrep -f -- "$marker" >/dev/null; then
		left="$left process:$(pgrep -f -- "$marker" | head -3 | tr '\n' ' ')"
	fi
	if [ -z "$left" ]; then t_pass "$name leaves nothing behind"; else
		t_fail "$name leaves nothing behind:$left"
	fi
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
