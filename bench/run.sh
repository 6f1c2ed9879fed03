#!/bin/bash
# bench/run.sh: the read benchmark (root). See bench/README.md.
#
# Reads each file (open, read to EOF, close) from 1, 4 and 16 threads inside a limited cgroup and
# a new pid namespace, from native /proc, the FUSE floor (bench/floorfs), proclensfs and LXCFS,
# and prints one table: ops/s, p50/p99 latency, the daemon's CPU time per read, its RSS.
#
#   BENCH_SECONDS=2        measured seconds per run (plus BENCH_WARMUP=0.5 not measured)
#   BENCH_FILES="meminfo cpuinfo stat uptime"
#   BENCH_THREADS="1 4 16"
#   BENCH_TARGETS="native floor proclensfs-dev proclensfs-uring lxcfs"; also proclensfs
#                  (its default transport), floor-single, floor-clonefd, floor-idleN
#                  (--max-idle N), floor-mtN (--max-threads N) to compare loop modes
#   BENCH_REPEAT=1         runs of each cell, interleaved; the table shows the medians
#   BENCH_PIN_CPU=LIST     run the readers on these CPUs only (taskset), e.g. 0
#   BENCH_OUT=FILE         also write the table and the raw lines there (default
#                          bench/results/DATE.txt; BENCH_OUT=- for none)
#   BUILD=build            where readbench, floorfs, wakeup and proclensfs are
#   PROCLENSFS=PATH        the daemon to measure (default $BUILD/proclensfs)
#
# Runs are interleaved (for each file and thread count, every target in turn) so that drift in
# the host's load, which in a VM moves the FUSE figures by tens of percent, hits all targets
# alike. Everything made here is named proclens-bench* and removed on every exit path.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
RUN_SECONDS=${BENCH_SECONDS:-2}
WARMUP_SECONDS=${BENCH_WARMUP:-0.5}
REPEAT=${BENCH_REPEAT:-1}
FILES=${BENCH_FILES:-meminfo cpuinfo stat uptime}
THREADS=${BENCH_THREADS:-1 4 16}
TARGETS=${BENCH_TARGETS:-native floor proclensfs-dev proclensfs-uring lxcfs}
PIN_CPU=${BENCH_PIN_CPU:-}
MEMORY_LIMIT=$((256 * 1024 * 1024))
CG_NAME=proclens-bench-$$

READBENCH=$BUILD/bench/readbench
FLOORFS=$BUILD/bench/floorfs
WAKEUP=$BUILD/bench/wakeup
PROCLENSFS=${PROCLENSFS:-$BUILD/proclensfs}
CLK_TCK=$(getconf CLK_TCK)

. "$TOP/bench/lib.sh"
. "$TOP/scripts/uring-param.sh"

[ "$(id -u)" = 0 ] || die "must run as root (cgroups, pid namespaces, FUSE mounts)"
for tool in "$READBENCH" "$FLOORFS" "$WAKEUP"; do
	[ -x "$tool" ] || die "$tool not built: make BUILD=${BUILD#"$TOP"/} $tool"
done
command -v unshare >/dev/null || die "unshare (util-linux) not found"

# ---------------------------------------------------------------- clean-up, on every exit path
WORK=""
CG_DIRS=()       # reader cgroups we made, one per v1 hierarchy (or one v2 dir)
DAEMON_PIDS=()   # daemons we started
MOUNTS=()        # mountpoints we gave to those daemons
LXCFS_RUNDIR_MADE=0

cleanup() {
	local pid m d _
	trap - EXIT INT TERM
	bench_stop_daemons
	uring_param_restore
	# Readers are gone by now (readbench runs in the foreground); a straggler left by an
	# interrupted run is ours by construction, as only we put tasks in these cgroups.
	for d in "${CG_DIRS[@]}"; do
		for _ in $(seq 20); do
			[ -s "$d/cgroup.procs" ] || break
			xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
			sleep 0.1
		done
		rmdir "$d" 2>/dev/null || log "cannot remove cgroup $d"
	done
	if [ -n "$WORK" ]; then
		for m in "${MOUNTS[@]}"; do rmdir "$m" 2>/dev/null; done
		rm -f "$WORK"/*.log "$WORK"/*.pid "$WORK"/*.out
		rmdir "$WORK" 2>/dev/null || log "left $WORK behind (not empty)"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WORK=$(mktemp -d /tmp/proclens-bench.XXXXXX) || die "cannot make a temporary directory"

# ---------------------------------------------------------------- the readers' cgroup
# The readers go in a child of our own cgroup in each hierarchy, like a container nested under
# whatever runs us: memory limited to 256 MiB, cpuset of every CPU we may use, no CPU quota
# (a quota would measure the throttle, not the daemon).

# own_cgroup CONTROLLER: our path in that v1 hierarchy, from /proc/self/cgroup.
own_cgroup() {
	awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup
}

setup_cgroup_v1() {
	local c root parent dir seen=""
	for c in memory cpuset cpu cpuacct pids; do
		root=/sys/fs/cgroup/$c
		[ -d "$root" ] || continue
		root=$(realpath "$root")
		# cpu and cpuacct are often one hierarchy reached by two names.
		case " $seen " in *" $root "*) continue ;; esac
		seen="$seen $root"
		parent=$(own_cgroup "$c")
		dir=$root${parent%/}/$CG_NAME
		mkdir "$dir" || die "cannot create cgroup $dir"
		CG_DIRS+=("$dir")
		case $c in
		memory)
			echo "$MEMORY_LIMIT" >"$dir/memory.limit_in_bytes" ||
				die "cannot write $dir/memory.limit_in_bytes" ;;
		cpuset)
			# A new v1 cpuset is empty and takes no tasks until given CPUs and nodes.
			if ! cat "$dir/../cpuset.cpus" >"$dir/cpuset.cpus" ||
				! cat "$dir/../cpuset.mems" >"$dir/cpuset.mems"; then
				die "cannot set up $dir/cpuset.{cpus,mems}"
			fi
			CG_CPUS=$(cat "$dir/cpuset.cpus") ;;
		esac
	done
}

setup_cgroup_v2() {
	local dir=/sys/fs/cgroup/$CG_NAME
	# Only at the top: a v2 cgroup with tasks of its own cannot hand controllers to a child.
	mkdir "$dir" || die "cannot create cgroup $dir"
	CG_DIRS+=("$dir")
	if [ -e "$dir/memory.max" ]; then
		echo "$MEMORY_LIMIT" >"$dir/memory.max" || die "cannot write $dir/memory.max"
	else
		log "memory controller not enabled at the top of cgroup v2: readers run without a memory limit"
	fi
}

CG_CPUS=all
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	CG_LAYOUT=v2
	setup_cgroup_v2
else
	CG_LAYOUT=v1
	setup_cgroup_v1
fi

# run_readers ARGS...: readbench in the readers' cgroup, in a new pid namespace with its own /proc,
# as a container's processes would be.
run_readers() {
	(
		for d in "${CG_DIRS[@]}"; do
			echo "$BASHPID" >"$d/cgroup.procs" || exit 125
		done
		if [ -n "$PIN_CPU" ]; then
			exec taskset -c "$PIN_CPU" unshare --pid --fork --mount-proc "$READBENCH" "$@"
		fi
		exec unshare --pid --fork --mount-proc "$READBENCH" "$@"
	)
}

# ---------------------------------------------------------------- daemons
declare -A TARGET_PID TARGET_ROOT TARGET_STATE

# wait_mounted MOUNTPOINT PID: until MOUNTPOINT/proc/meminfo is served, or the daemon died.
wait_mounted() {
	local _
	for _ in $(seq 100); do
		if grep -qs " $1 fuse" /proc/self/mounts && [ -e "$1/proc/meminfo" ]; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_daemon TARGET CMD...: CMD must stay in the foreground and serve $WORK/TARGET.
start_daemon() {
	local target=$1 mnt=$WORK/$1 pid
	shift
	mkdir "$mnt"
	MOUNTS+=("$mnt")
	# In a session of its own, as a service or a detached daemon runs: its own autogroup
	# (scheduling group) when autogroups are on. (A background job of a script is no
	# process group leader, so setsid(1) execs in place and $! is the daemon.)
	setsid "$@" "$mnt" >"$WORK/$target.log" 2>&1 &
	pid=$!
	DAEMON_PIDS+=("$pid")
	if ! wait_mounted "$mnt" "$pid"; then
		log "$target did not mount on $mnt; its rows say n/a. Its output:"
		sed 's/^/    /' "$WORK/$target.log" >&2
		TARGET_STATE[$target]=n/a
		return 1
	fi
	TARGET_PID[$target]=$pid
	TARGET_ROOT[$target]=$mnt/proc
	TARGET_STATE[$target]=up
}

start_target() {
	local t=$1
	case $t in
	native)
		TARGET_ROOT[$t]=/proc
		TARGET_STATE[$t]=up ;;
	floor) start_daemon "$t" "$FLOORFS" ;;
	floor-single) start_daemon "$t" "$FLOORFS" --single ;;
	floor-clonefd) start_daemon "$t" "$FLOORFS" --clone-fd ;;
	floor-idle*) start_daemon "$t" "$FLOORFS" --max-idle "${t#floor-idle}" ;;
	floor-mt*) start_daemon "$t" "$FLOORFS" --max-threads "${t#floor-mt}" ;;
	proclensfs | proclensfs-dev | proclensfs-uring)
		if [ ! -x "$PROCLENSFS" ]; then
			log "$PROCLENSFS not built yet: its rows say n/a"
			TARGET_STATE[$t]=n/a
			return
		fi
		case $t in
		*-dev) start_daemon "$t" "$PROCLENSFS" -f --transport=dev ;;
		*-uring)
			# The kernel offers io_uring only with the module parameter on (restored
			# on exit); without it the daemon refuses to start and the rows say n/a.
			uring_param_enable || log "this kernel has no FUSE over io_uring (Linux 6.14+)"
			start_daemon "$t" "$PROCLENSFS" -f --transport=uring ;;
		*) start_daemon "$t" "$PROCLENSFS" -f ;;
		esac ;;
	lxcfs)
		if ! command -v lxcfs >/dev/null; then
			log "installing Debian's lxcfs package (the service is not started: no systemd or policy-rc.d)"
			# policy-rc.d 101 keeps the package's postinst from starting a system lxcfs.
			local policy_made=0
			if [ ! -e /usr/sbin/policy-rc.d ]; then
				printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_made=1
			fi
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends lxcfs >&2
			[ "$policy_made" = 1 ] && rm -f /usr/sbin/policy-rc.d
		fi
		if ! command -v lxcfs >/dev/null; then
			TARGET_STATE[$t]=n/a
			return
		fi
		[ -e /run/lxcfs ] || LXCFS_RUNDIR_MADE=1
		# -f: foreground, so the pid is ours; -p: not the system's /run/lxcfs.pid.
		start_daemon "$t" lxcfs -f -p "$WORK/lxcfs.pid" ;;
	*) die "unknown target $t" ;;
	esac
}

for t in $TARGETS; do
	start_target "$t"
done

# ---------------------------------------------------------------- measurement helpers
# daemon_procs PID: PID and its children (proclensfs's keeper runs the server as its child).
daemon_procs() {
	echo "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null)
}

# daemon_ticks PID: utime+stime of every thread, living and exited, in clock ticks, of PID and
# its children. The kernel scales the sampled pair so that their sum is the precise runtime,
# so this is exact to a tick.
daemon_ticks() {
	local stat p sum=0
	for p in $(daemon_procs "$1"); do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || return 1
		# Fields after "(comm)": state is 3, utime 14 and stime 15 counted from pid = 1.
		# shellcheck disable=SC2086 # splitting the fields is the point
		set -- ${stat##*) }
		sum=$((sum + ${12} + ${13}))
	done
	echo "$sum"
}

# daemon_mem PID: "VmRSS VmHWM" in KiB. With children (proclensfs's keeper and its server):
# the children's, plus what PID alone holds (RssAnon): its file pages are the same program and
# libraries as its server's, counted there.
daemon_mem() {
	local p kids
	kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
	if [ -z "$kids" ]; then
		awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r + 0, h + 0 }' "/proc/$1/status" 2>/dev/null
		return
	fi
	{
		awk '/^RssAnon:/ { print "own", $2 }' "/proc/$1/status" 2>/dev/null
		for p in $kids; do awk '/^VmRSS:/ { print "rss", $2 } /^VmHWM:/ { print "hwm", $2 }' "/proc/$p/status" 2>/dev/null; done
	} | awk '$1 == "own" { o = $2 } $1 == "rss" { r += $2 } $1 == "hwm" { h += $2 } END { print r + o, h + o }'
}

field() { # field KEY LINE
	local kv
	for kv in $2; do
		case $kv in "$1="*) echo "${kv#*=}" && return ;; esac
	done
	echo "?"
}

# ---------------------------------------------------------------- the runs
declare -A OPS CPU
RESULT_LINES=()
RAW_LINES=()

kernel=$(uname -r)
calib=$("$WAKEUP" 2>/dev/null || echo "wakeup failed")
HEADER="proclens read benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $kernel, $(nproc) CPUs, cgroup $CG_LAYOUT
readers: cgroup $CG_NAME (memory limit 256 MiB, cpuset $CG_CPUS, no CPU quota), new pid namespace${PIN_CPU:+, pinned to CPU $PIN_CPU}
runs: ${RUN_SECONDS}s measured after ${WARMUP_SECONDS}s warm-up, median of $REPEAT; wake-up round trip: $calib"
log "$HEADER"

# median VALUES...: the middle value (the lower middle of an even count); "-" if none are numbers.
median() {
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}

# measure TARGET FILE THREADS: one readbench run; sets M_LINE, M_CPU (µs per read or "-"),
# M_RSS and M_HWM (KiB or "-"). Returns non-zero if readbench printed nothing.
measure() {
	local t=$1 f=$2 n=$3 pid=${TARGET_PID[$1]:-} before="" after ops_all
	[ -n "$pid" ] && before=$(daemon_ticks "$pid")
	M_LINE=$(run_readers -t "$n" -d "$RUN_SECONDS" -w "$WARMUP_SECONDS" "${TARGET_ROOT[$t]}/$f" 2>"$WORK/readbench.out")
	[ -s "$WORK/readbench.out" ] && sed 's/^/    /' "$WORK/readbench.out" >&2
	M_CPU="-" M_RSS="-" M_HWM="-"
	if [ -n "$pid" ]; then
		after=$(daemon_ticks "$pid")
		ops_all=$(field ops_all "$M_LINE")
		# Divided by every op of the run, warm-up included, as the CPU sample spans it all.
		if [ -n "$before" ] && [ -n "$after" ] && [ "$ops_all" != "?" ] && [ "$ops_all" -gt 0 ]; then
			M_CPU=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v ops="$ops_all" \
				'BEGIN { printf "%.1f", d * 1e6 / hz / ops }')
		fi
		read -r M_RSS M_HWM <<<"$(daemon_mem "$pid")"
	fi
	[ -n "$M_LINE" ]
}

runs_total=0
for f in $FILES; do for n in $THREADS; do for t in $TARGETS; do
	runs_total=$((runs_total + REPEAT))
done; done; done
run_no=0

for f in $FILES; do
	for n in $THREADS; do
		declare -A S_OPS=() S_P50=() S_P99=() S_CPU=() S_ERR=() S_RSS=() S_HWM=()
		for ((rep = 1; rep <= REPEAT; rep++)); do
			for t in $TARGETS; do
				run_no=$((run_no + 1))
				[ "${TARGET_STATE[$t]}" = up ] || continue
				pid=${TARGET_PID[$t]:-}
				if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
					log "$t died; the rest of its rows say n/a. Its output:"
					sed 's/^/    /' "$WORK/$t.log" >&2
					TARGET_STATE[$t]=n/a
					continue
				fi
				log "[$run_no/$runs_total] $t $f, $n threads"
				if ! measure "$t" "$f" "$n"; then
					log "readbench printed nothing for $t $f"
					continue
				fi
				RAW_LINES+=("target=$t file=$f $M_LINE daemon_cpu_us_per_read=$M_CPU rss_kib=$M_RSS hwm_kib=$M_HWM")
				S_OPS[$t]+=" $(field ops_per_s "$M_LINE")"
				S_P50[$t]+=" $(field p50_us "$M_LINE")"
				S_P99[$t]+=" $(field p99_us "$M_LINE")"
				S_CPU[$t]+=" $M_CPU"
				S_ERR[$t]=$((${S_ERR[$t]:-0} + $(field errors "$M_LINE")))
				S_RSS[$t]=$M_RSS S_HWM[$t]=$M_HWM
			done
		done
		for t in $TARGETS; do
			if [ -z "${S_OPS[$t]:-}" ]; then
				RESULT_LINES+=("$t $f $n ${TARGET_STATE[$t]/up/failed}")
				continue
			fi
			# Word splitting of the accumulated values is wanted here.
			# shellcheck disable=SC2086
			OPS[$t|$f|$n]=$(median ${S_OPS[$t]})
			# shellcheck disable=SC2086
			CPU[$t|$f|$n]=$(median ${S_CPU[$t]})
			# shellcheck disable=SC2086
			RESULT_LINES+=("$t $f $n ok ${OPS[$t|$f|$n]} $(median ${S_P50[$t]}) $(median ${S_P99[$t]}) ${CPU[$t|$f|$n]} ${S_RSS[$t]} ${S_HWM[$t]} ${S_ERR[$t]}")
		done
		unset S_OPS S_P50 S_P99 S_CPU S_ERR S_RSS S_HWM
	done
done

# ---------------------------------------------------------------- the table
print_table() {
	local r t f n state ops p50 p99 cpu rss hwm errs floor vs floor_cpu render
	printf '%s\n\n' "$HEADER"
	printf '%-16s %-8s %7s %9s %8s %8s %10s %9s %7s %7s %7s %6s\n' \
		target file threads ops/s "p50 µs" "p99 µs" "CPU µs/rd" "-flr CPU" "RSS MB" "HWM MB" "vs flr" errors
	for r in "${RESULT_LINES[@]}"; do
		read -r t f n state ops p50 p99 cpu rss hwm errs <<<"$r"
		if [ "$state" != ok ]; then
			printf '%-16s %-8s %7s %9s\n' "$t" "$f" "$n" "$state"
			continue
		fi
		[ "$rss" != - ] && rss=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
		[ "$hwm" != - ] && hwm=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
		floor=${OPS[floor|$f|$n]:-}
		vs="-"
		if [ -n "$floor" ] && [ "$floor" != "?" ] && [ "$floor" -gt 0 ] 2>/dev/null; then
			vs=$(awk -v a="$ops" -v b="$floor" 'BEGIN { printf "%+.0f%%", (a / b - 1) * 100 }')
		fi
		# The daemon CPU beyond the floor's in the same file and thread count: the cost of
		# rendering, with what every FUSE request costs in the kernel taken out.
		floor_cpu=${CPU[floor|$f|$n]:-}
		render="-"
		if [ "$cpu" != - ] && [ -n "$floor_cpu" ] && [ "$floor_cpu" != - ]; then
			render=$(awk -v a="$cpu" -v b="$floor_cpu" 'BEGIN { printf "%+.1f", a - b }')
		fi
		printf '%-16s %-8s %7s %9s %8s %8s %10s %9s %7s %7s %7s %6s\n' \
			"$t" "$f" "$n" "$ops" "$p50" "$p99" "$cpu" "$render" "$rss" "$hwm" "$vs" "$errs"
	done
}

table=$(print_table)
printf '%s\n' "$table"

OUT=${BENCH_OUT:-$TOP/bench/results/$(date -u +%Y%m%d-%H%M%S).txt}
if [ "$OUT" != - ]; then
	mkdir -p "$(dirname "$OUT")" &&
		{ printf '%s\n\nraw:\n' "$table"; printf '%s\n' "${RAW_LINES[@]}"; } >"$OUT" &&
		log "written to $OUT"
fi
