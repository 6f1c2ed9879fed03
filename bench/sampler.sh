#!/bin/bash
# What proclensfs's load average sampler costs with 1, 100 and 500 idle containers, next to
# LXCFS's loadavg thread (lxcfs -l) watching the same containers.
#
#   sudo bench/sampler.sh          (root; BUILD=build-dir, default build)
#
# Environment:
#   BENCH_SECONDS=50      measured seconds per container count (10 sampler rounds)
#   BENCH_COUNTS="1 100 500"  container counts, idle
#   BENCH_BUSY=100        then this many containers with one busy task each ("" for none)
#   BENCH_LXCFS=1         also measure LXCFS (Debian's lxcfs, if installed; 0 to skip)
#   BENCH_OUT=FILE        also write the table there (default bench/results/sampler-DATE.txt;
#                         - for none)
#   PROCLENSFS=PATH       the daemon (default $BUILD/proclensfs)
#
# A container here is what a runtime makes, minus the rootfs: a new pid namespace
# (`unshare --pid --fork --kill-child`) in its own cgroup proclens-bench-sampler-PID-I below
# ours in every v1 hierarchy (memory, cpu, cpuacct, cpuset, pids; on pure v2 one top-level
# cgroup). Its init reads MOUNT/proc/loadavg from each daemon once, which is what makes a
# daemon sample it every 5 s from then on, and then sleeps: two tasks per cgroup (unshare and
# the init), both asleep. A busy container's init spins instead, under a CPU quota of 1 ms per
# second so that 100 of them take a tenth of a CPU from whoever else uses the machine: a
# throttled task still shows as R, so the load it adds is the same.
#
# The sampler is the daemon's one thread that is neither the main thread nor a FUSE worker
# (blocked in /dev/fuse): found by that when the daemon is idle, and its CPU time is read from
# /proc/PID/task/TID/schedstat (ns, exact). Each daemon's whole CPU time is the sum over the
# threads alive at both ends of the window (FUSE workers come and go; an idle one that exits
# took nothing during the window). Windows are cut in 5 s slices, one sampler round each;
# the table shows the mean over the window and the median slice.
# Figures only: nothing here asserts a time.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
WINDOW_SECONDS=${BENCH_SECONDS:-50}
COUNTS=${BENCH_COUNTS:-1 100 500}
BUSY=${BENCH_BUSY-100}
WANT_LXCFS=${BENCH_LXCFS:-1}
PROCLENSFS=${PROCLENSFS:-$BUILD/proclensfs}
SLICE_SECONDS=5 # the sampler's interval, PL_LOADAVG_INTERVAL_NS
CG_PREFIX=proclens-bench-sampler-$$

. "$TOP/bench/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root (cgroups, pid namespaces, FUSE mounts)"
[ -x "$PROCLENSFS" ] || die "$PROCLENSFS not built: make BUILD=${BUILD#"$TOP"/}"
command -v unshare >/dev/null || die "unshare (util-linux) not found"

# ---------------------------------------------------------------- clean-up, on every exit path
WORK=""
DAEMON_PIDS=()
MOUNTS=()
CT_PIDS=()    # the containers' unshare processes; --kill-child takes their inits along
CT_CGROUPS=() # every cgroup directory we made, parents before children
LXCFS_RUNDIR_MADE=0

# stop_containers: kill every container we started and remove its cgroups, waiting for the
# tasks to be gone (a v1 cgroup with tasks cannot be removed: EBUSY).
stop_containers() {
	local pid d i _
	for pid in "${CT_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${CT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	CT_PIDS=()
	for ((i = ${#CT_CGROUPS[@]} - 1; i >= 0; i--)); do
		d=${CT_CGROUPS[$i]}
		[ -d "$d" ] || continue
		# An init whose unshare died before it could be told: ours by construction, as only
		# we put tasks in these cgroups.
		for _ in $(seq 50); do
			[ -s "$d/cgroup.procs" ] || break
			xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
			sleep 0.1
		done
		for _ in $(seq 20); do
			rmdir "$d" 2>/dev/null && break
			sleep 0.1
		done
		[ -d "$d" ] && log "cannot remove cgroup $d"
	done
	CT_CGROUPS=()
}

cleanup() {
	local pid m _
	trap - EXIT INT TERM
	stop_containers
	bench_stop_daemons
	if [ -n "$WORK" ]; then
		for m in "${MOUNTS[@]}"; do rmdir "$m" 2>/dev/null; done
		rm -rf "$WORK/ready"
		rm -f "$WORK"/*.log "$WORK"/*.pid
		rmdir "$WORK" 2>/dev/null || log "left $WORK behind (not empty)"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WORK=$(mktemp -d /tmp/proclens-bench.XXXXXX) || die "cannot make a temporary directory"
mkdir "$WORK/ready"

# ---------------------------------------------------------------- daemons
# start_daemon NAME CMD...: CMD stays in the foreground and serves $WORK/NAME; sets DAEMON_PID.
start_daemon() {
	local name=$1 mnt=$WORK/$1 _
	shift
	mkdir "$mnt"
	MOUNTS+=("$mnt")
	"$@" "$mnt" >"$WORK/$name.log" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS+=("$DAEMON_PID")
	for _ in $(seq 100); do
		grep -qs " $mnt fuse" /proc/self/mounts && [ -e "$mnt/proc/loadavg" ] && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	log "$name did not mount on $mnt. Its output:"
	sed 's/^/    /' "$WORK/$name.log" >&2
	return 1
}

start_daemon proclensfs "$PROCLENSFS" -f || die "cannot measure without proclensfs"
PL_PID=$DAEMON_PID
READ_PATHS=("$WORK/proclensfs/proc/loadavg")

# The sampler: the thread that is neither the main thread nor blocked reading /dev/fuse.
sleep 0.3
SAMPLER_TID=""
for t in /proc/"$PL_PID"/task/*; do
	t=${t##*/}
	[ "$t" = "$PL_PID" ] && continue
	case $(cat "/proc/$PL_PID/task/$t/wchan" 2>/dev/null) in
	*fuse*) ;;
	*) SAMPLER_TID="$SAMPLER_TID $t" ;;
	esac
done
SAMPLER_TID=${SAMPLER_TID# }
case $SAMPLER_TID in
"" | *" "*)
	# Not told apart by wchan: it is created before the FUSE workers, so the lowest tid
	# after the main thread's.
	SAMPLER_TID=$(find "/proc/$PL_PID/task" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | sed -n 2p)
	log "sampler thread guessed by its tid: $SAMPLER_TID" ;;
esac

LX_PID=""
if [ "$WANT_LXCFS" = 1 ]; then
	if command -v lxcfs >/dev/null; then
		[ -e /run/lxcfs ] || LXCFS_RUNDIR_MADE=1
		# -l: the loadavg thread; -f: foreground, so the pid is ours; -p: not the system's
		# /run/lxcfs.pid.
		if start_daemon lxcfs lxcfs -f -l -p "$WORK/lxcfs.pid"; then
			LX_PID=$DAEMON_PID
			READ_PATHS+=("$WORK/lxcfs/proc/loadavg")
		fi
	else
		log "lxcfs not installed (apt-get install lxcfs): its columns say n/a"
	fi
fi

# ---------------------------------------------------------------- cgroups and containers
own_cgroup() {
	awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup
}

# The parent directory in each hierarchy we use, decided once.
CG_PARENTS=()
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	CG_LAYOUT=v2
	CG_PARENTS=(/sys/fs/cgroup) # a v2 cgroup with tasks cannot hand controllers to a child
else
	CG_LAYOUT=v1
	seen=""
	for c in memory cpu cpuacct cpuset pids; do
		root=/sys/fs/cgroup/$c
		[ -d "$root" ] || continue
		root=$(realpath "$root")
		# cpu and cpuacct are often one hierarchy reached by two names.
		case " $seen " in *" $root "*) continue ;; esac
		seen="$seen $root"
		parent=$(own_cgroup "$c")
		CG_PARENTS+=("$root${parent%/}")
	done
fi

# container_cgroups I: make container I's cgroups; sets CT_DIRS.
container_cgroups() {
	local i=$1 p d
	CT_DIRS=()
	for p in "${CG_PARENTS[@]}"; do
		d=$p/$CG_PREFIX-$i
		mkdir "$d" || return 1
		CT_CGROUPS+=("$d")
		CT_DIRS+=("$d")
		# A new v1 cpuset is empty and takes no tasks until given CPUs and nodes.
		if [ -e "$d/cpuset.cpus" ] && [ "$CG_LAYOUT" = v1 ]; then
			cat "$p/cpuset.cpus" >"$d/cpuset.cpus" && cat "$p/cpuset.mems" >"$d/cpuset.mems" || return 1
		fi
	done
}

# throttle_containers: 1 ms of CPU per second for every container cgroup, before they spin.
throttle_containers() {
	local d
	for d in "${CT_CGROUPS[@]}"; do
		if [ -e "$d/cpu.cfs_quota_us" ]; then
			echo 1000000 >"$d/cpu.cfs_period_us" && echo 1000 >"$d/cpu.cfs_quota_us" || return 1
		elif [ -e "$d/cpu.max" ]; then
			echo "1000 1000000" >"$d/cpu.max" || return 1
		fi
	done
}

# start_containers N BUSY: N containers, each of which reads proc/loadavg from every daemon
# once, then sleeps (or spins); returns when every one has read.
start_containers() {
	local n=$1 busy=$2 i d ready=0 _ after
	# A busy init spins only once the quota is in place (the go file), so that its read is
	# not throttled and the machine is not flooded meanwhile.
	if [ "$busy" = 1 ]; then
		# shellcheck disable=SC2016 # expanded by the container's shell
		after='while [ ! -e "$out.go" ]; do sleep 0.2; done; while :; do :; done'
	else
		after='exec sleep infinity'
	fi
	rm -f "$WORK/ready"/*
	for ((i = 1; i <= n; i++)); do
		container_cgroups "$i" || die "cannot make the cgroups of container $i"
		(
			for d in "${CT_DIRS[@]}"; do
				echo "$BASHPID" >"$d/cgroup.procs" || exit 125
			done
			# shellcheck disable=SC2016 # expanded by the container's shell
			exec unshare --pid --fork --kill-child sh -c \
				'out=$1; shift; cat "$@" >"$out.tmp" 2>&1; mv "$out.tmp" "$out"; '"$after" \
				sh "$WORK/ready/$i" "${READ_PATHS[@]}"
		) &
		CT_PIDS+=("$!")
	done
	for _ in $(seq 600); do
		ready=$(find "$WORK/ready" -type f ! -name '*.tmp' ! -name '*.go' | wc -l)
		[ "$ready" -ge "$n" ] && break
		sleep 0.1
	done
	[ "$ready" -ge "$n" ] || die "only $ready of $n containers read their loadavg"
	# Every daemon answered every container with a loadavg line.
	bad=$(cat "$WORK/ready"/[0-9]* | grep -cvE '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+/[0-9]+ [0-9]+$')
	[ "$bad" = 0 ] || log "$bad loadavg reads were not loadavg lines: $(cat "$WORK/ready"/[0-9]* | grep -vE '^[0-9.]+ ' | sort | uniq -c | head -3)"
	if [ "$busy" = 1 ]; then
		throttle_containers || die "cannot set the CPU quota of the busy containers"
		for ((i = 1; i <= n; i++)); do : >"$WORK/ready/$i.go"; done
	fi
}

# ---------------------------------------------------------------- measuring
# thread_ns PID TID: that thread's CPU time in ns (schedstat's first field).
thread_ns() {
	local v
	{ read -r v _ <"/proc/$1/task/$2/schedstat"; } 2>/dev/null && echo "$v"
}

# snap PID: "TID NS" for every thread of PID.
snap() {
	local f v tid
	for f in /proc/"$1"/task/*/schedstat; do
		{ read -r v _ <"$f"; } 2>/dev/null || continue
		tid=${f%/schedstat}
		echo "${tid##*/} $v"
	done
}

# delta_ns BEFORE AFTER: CPU ns between two snaps, over the threads present in both.
delta_ns() {
	awk 'NR == FNR { a[$1] = $2; next } ($1 in a) { d += $2 - a[$1] } END { printf "%.0f\n", d }' \
		<(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

median() {
	printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}

RESULT_LINES=()

# measure LABEL N: one window; appends a result line.
measure() {
	local label=$1 n=$2 slices s t0 t1 end
	local s_prev s_now pl_first pl_now lx_first="" lx_now="" lx_prev=""
	local sampler_total pl_total lx_total="" wall_ns
	local slice_sampler=() slice_lx=()
	slices=$((WINDOW_SECONDS / SLICE_SECONDS))
	[ "$slices" -ge 1 ] || slices=1
	t0=$EPOCHREALTIME
	s_prev=$(thread_ns "$PL_PID" "$SAMPLER_TID")
	pl_first=$(snap "$PL_PID")
	[ -n "$LX_PID" ] && lx_first=$(snap "$LX_PID") && lx_prev=$lx_first
	local s_first=$s_prev
	for ((s = 1; s <= slices; s++)); do
		# Sleep to the slice's end on the wall clock, so drift does not add up.
		end=$(awk -v t0="$t0" -v s="$s" -v w="$SLICE_SECONDS" -v now="$EPOCHREALTIME" \
			'BEGIN { d = t0 + s * w - now; printf "%.3f", (d > 0 ? d : 0) }')
		sleep "$end"
		s_now=$(thread_ns "$PL_PID" "$SAMPLER_TID")
		slice_sampler+=($((s_now - s_prev)))
		s_prev=$s_now
		if [ -n "$LX_PID" ]; then
			lx_now=$(snap "$LX_PID")
			slice_lx+=("$(delta_ns "$lx_prev" "$lx_now")")
			lx_prev=$lx_now
		fi
	done
	t1=$EPOCHREALTIME
	pl_now=$(snap "$PL_PID")
	wall_ns=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1e9 }')
	sampler_total=$((s_prev - s_first))
	pl_total=$(delta_ns "$pl_first" "$pl_now")
	[ -n "$LX_PID" ] && lx_total=$(delta_ns "$lx_first" "$lx_now")
	RESULT_LINES+=("$label $n $wall_ns $slices $sampler_total $(median "${slice_sampler[@]}") $pl_total ${lx_total:--} $(median "${slice_lx[@]}")")
	log "  $label N=$n: sampler ${sampler_total} ns, proclensfs ${pl_total} ns, lxcfs ${lx_total:--} ns over $((wall_ns / 1000000)) ms"
}

run_case() { # LABEL N BUSY
	local t_start=$EPOCHREALTIME
	log "$1: starting $2 containers"
	start_containers "$2" "$3"
	log "$1: $2 containers up in $(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s; measuring ${WINDOW_SECONDS} s"
	measure "$1" "$2"
	# What the daemons say now of the first container's load, read from inside its pid
	# namespace: the busy ones climb towards 1 (0.63 after a minute), the idle ones stay 0.
	local init
	init=$(pgrep -P "${CT_PIDS[0]}" | head -1)
	[ -n "$init" ] && LOADAVG_SEEN[$1 N=$2]=$(nsenter -t "$init" -p -- cat "${READ_PATHS[@]}" 2>&1 | tr '\n' '|')
	stop_containers
}

declare -A LOADAVG_SEEN
HEADER="proclens load sampler benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, cgroup $CG_LAYOUT
window: ${WINDOW_SECONDS} s per row in ${SLICE_SECONDS} s slices; lxcfs: $(if [ -n "$LX_PID" ]; then lxcfs --version 2>&1 | tr -d '"'; else echo n/a; fi)"
log "$HEADER"
log "proclensfs pid $PL_PID, sampler thread $SAMPLER_TID${LX_PID:+, lxcfs pid $LX_PID}"

for n in $COUNTS; do
	run_case idle "$n" 0
done
[ -n "$BUSY" ] && run_case busy "$BUSY" 1

# ---------------------------------------------------------------- the table
print_table() {
	local label n wall slices st smed pt lt lmed
	printf '%s\n\n' "$HEADER"
	printf '%-5s %4s | %10s %10s %10s %8s %9s | %10s %10s %10s %8s\n' \
		"" "" "sampler" "per slice" "per cont." "% CPU" "daemon" "lxcfs" "per slice" "per cont." "% CPU"
	printf '%-5s %4s | %10s %10s %10s %8s %9s | %10s %10s %10s %8s\n' \
		tasks N "µs/round" "median µs" "µs/sample" "sampler" "% CPU" "µs/round" "median µs" "µs/sample" "daemon"
	for r in "${RESULT_LINES[@]}"; do
		read -r label n wall slices st smed pt lt lmed <<<"$r"
		awk -v label="$label" -v n="$n" -v wall="$wall" -v slices="$slices" -v st="$st" -v smed="$smed" \
			-v pt="$pt" -v lt="$lt" -v lmed="$lmed" -v sl="$SLICE_SECONDS" 'BEGIN {
			rounds = wall / 1e9 / sl
			printf "%-5s %4d | %10.1f %10.1f %10.2f %7.3f%% %8.3f%% | ", label, n,
				st / 1e3 / rounds, smed / 1e3, st / 1e3 / rounds / n, st * 100 / wall, pt * 100 / wall
			if (lt == "-")
				printf "%10s %10s %10s %8s\n", "n/a", "n/a", "n/a", "n/a"
			else
				printf "%10.1f %10.1f %10.2f %7.3f%%\n", lt / 1e3 / rounds, lmed / 1e3,
					lt / 1e3 / rounds / n, lt * 100 / wall
		}'
	done
	printf '\nsampler: the proclensfs thread that samples (schedstat, exact); daemon: all of proclensfs.\n'
	printf 'round: one 5 s sampling pass over every container (window / 5 s of them); per cont.: a round / N;\n'
	printf '%% CPU: of one CPU over the window. lxcfs: the whole process (its loadavg thread does the work).\n'
	for label in "${!LOADAVG_SEEN[@]}"; do
		printf 'loadavg of a %s container at the end (proclensfs|lxcfs): %s\n' "$label" "${LOADAVG_SEEN[$label]}"
	done
	printf 'Each container: 2 tasks (unshare, and its init asleep, or spinning under a 1 ms/s quota when busy).\n'
}

table=$(print_table)
printf '%s\n' "$table"

OUT=${BENCH_OUT:-$TOP/bench/results/sampler-$(date -u +%Y%m%d-%H%M%S).txt}
if [ "$OUT" != - ]; then
	mkdir -p "$(dirname "$OUT")" && printf '%s\n' "$table" >"$OUT" && log "written to $OUT"
fi
