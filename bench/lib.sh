#!/bin/bash
# Shared by the benchmark scripts: messages, and stopping the FUSE daemons a script started.
# A script sets DAEMON_PIDS (pids it started), MOUNTS (their mountpoints) and
# LXCFS_RUNDIR_MADE (1 when /run/lxcfs was made by our LXCFS) before calling
# bench_stop_daemons from its clean-up.

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

bench_stop_daemons() {
	local pid m _
	for pid in "${DAEMON_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${DAEMON_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# A daemon that died without unmounting leaves a dead FUSE mount ("transport endpoint
	# is not connected"): unmount lazily, only our own mountpoints.
	for m in "${MOUNTS[@]}"; do
		if grep -qs " $m fuse" /proc/self/mounts; then
			fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		fi
	done
	# LXCFS makes /run/lxcfs/{controllers,root} and leaves them; remove them if it was us.
	if [ "${LXCFS_RUNDIR_MADE:-0}" = 1 ]; then
		rmdir /run/lxcfs/controllers /run/lxcfs/root /run/lxcfs 2>/dev/null
	fi
	return 0
}
