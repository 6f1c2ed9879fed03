#!/bin/bash
# What an intercepted sysinfo(2) costs: bench/sysinfo natively, inside `proclens run` with a
# view (sysinfo answered by the launcher through seccomp user notification) and inside
# `proclens run --no-view` (no filter: the launcher installs it only with a view), with
# getpid(2) beside it to show that calls the filter lets through keep their native cost.
#
#   sudo bench/sysinfo.sh          (root; BUILD=build-dir, default build)
#
# Environment:
#   BENCH_SECONDS=2     measured seconds per call and run (after 0.2 s not measured)
#   BENCH_REPEAT=3      rounds; every variant runs once per round, interleaved, and the
#                       table shows medians
#   BENCH_VARIANTS="native no-view view view-same-cpu view-cross-cpu"
#   BENCH_OUT=FILE      also write the table and raw lines there (default
#                       bench/results/sysinfo-DATE.txt; - for none)
#   PROCLENSFS, PROCLENS  the binaries (default $BUILD/proclensfs, $BUILD/proclens)
#
# The view variants run `proclens run --view MNT --memory 256M --cpus 1` against a proclensfs
# this script starts on a temporary mount (never the one at /var/lib/proclensfs). The
# view-same-cpu / view-cross-cpu variants pin the launcher (taskset) to CPU 0 and the caller
# (bench/sysinfo -c) to CPU 0 or 1: each intercepted call is a wake-up of the launcher and a
# wake-up back, and in a VM a wake-up across CPUs costs an IPI through the host.
# The launcher's CPU time per call comes from /proc/PID/schedstat (ns), sampled when the
# caller prints mark=start / mark=end around its measured loop.
# Figures only: nothing here asserts a time.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
RUN_SECONDS=${BENCH_SECONDS:-2}
REPEAT=${BENCH_REPEAT:-3}
VARIANTS=${BENCH_VARIANTS:-native no-view view view-same-cpu view-cross-cpu}
SYSINFO=$BUILD/bench/sysinfo
PROCLENSFS=${PROCLENSFS:-$BUILD/proclensfs}
PROCLENS=${PROCLENS:-$BUILD/proclens}
LIMITS=(--memory 256M --cpus 1)

. "$TOP/bench/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root (proclens run, FUSE mounts)"
for tool in "$SYSINFO" "$PROCLENSFS" "$PROCLENS"; do
	[ -x "$tool" ] || die "$tool not built: make BUILD=${BUILD#"$TOP"/} ${tool#"$TOP"/}"
done

# ---------------------------------------------------------------- clean-up, on every exit path
WORK=""
FS_PID=""
RUN_PID="" # the variant running now, if any

cleanup() {
	local _
	trap - EXIT INT TERM
	exec 3<&- 2>/dev/null
	# proclens run forwards SIGTERM to its container, then removes its cgroup and exits.
	if [ -n "$RUN_PID" ]; then
		kill -TERM "$RUN_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$RUN_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$RUN_PID" 2>/dev/null
		wait "$RUN_PID" 2>/dev/null
	fi
	if [ -n "$FS_PID" ]; then
		kill -TERM "$FS_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$FS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$FS_PID" 2>/dev/null
		wait "$FS_PID" 2>/dev/null
	fi
	if [ -n "$WORK" ]; then
		if grep -qs " $WORK/view fuse" /proc/self/mounts; then
			fusermount3 -u -z "$WORK/view" 2>/dev/null || umount -l "$WORK/view" 2>/dev/null
		fi
		rmdir "$WORK/view" 2>/dev/null
		rm -f "$WORK/fifo" "$WORK"/*.log "$WORK"/*.out
		rmdir "$WORK" 2>/dev/null || log "left $WORK behind (not empty)"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WORK=$(mktemp -d /tmp/proclens-bench.XXXXXX) || die "cannot make a temporary directory"

# ---------------------------------------------------------------- the view
case " $VARIANTS " in
*" view"*)
	mkdir "$WORK/view"
	"$PROCLENSFS" -f "$WORK/view" >"$WORK/proclensfs.log" 2>&1 &
	FS_PID=$!
	for _ in $(seq 100); do
		grep -qs " $WORK/view fuse" /proc/self/mounts && [ -e "$WORK/view/proc/meminfo" ] && break
		kill -0 "$FS_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -e "$WORK/view/proc/meminfo" ] || die "proclensfs did not mount on $WORK/view: $(cat "$WORK/proclensfs.log")"
	;;
esac

# ---------------------------------------------------------------- one run
# cpu_ns PID: CPU time of all of PID's threads so far, in ns (schedstat's first field).
# Empty if PID is gone (a run's last loop can end after the process has).
cpu_ns() {
	local f sum=0 v seen=""
	for f in /proc/"$1"/task/*/schedstat; do
		{ read -r v _ <"$f"; } 2>/dev/null || continue
		sum=$((sum + v)) seen=1
	done
	[ -n "$seen" ] && echo "$sum"
}

field() { # field KEY LINE
	local kv
	for kv in $2; do
		case $kv in "$1="*) echo "${kv#*=}" && return ;; esac
	done
	echo "?"
}

declare -A S_NS S_CPU S_SUP S_RAM S_STATUS
RAW_LINES=()
CALLS="sysinfo getpid"

# run_variant VARIANT: one run of bench/sysinfo for both calls; appends to the S_* samples.
run_variant() {
	local v=$1 cmd=() line call sup_start="" sup_end sup
	local prog=("$SYSINFO" -m -d "$RUN_SECONDS" -w 0.2)
	case $v in
	native) cmd=("${prog[@]}") ;;
	no-view) cmd=("$PROCLENS" run --no-view "${LIMITS[@]}" -- "${prog[@]}") ;;
	view) cmd=("$PROCLENS" run --view "$WORK/view" "${LIMITS[@]}" -- "${prog[@]}") ;;
	view-same-cpu) cmd=(taskset -c 0 "$PROCLENS" run --view "$WORK/view" "${LIMITS[@]}" -- "${prog[@]}" -c 0) ;;
	view-cross-cpu) cmd=(taskset -c 0 "$PROCLENS" run --view "$WORK/view" "${LIMITS[@]}" -- "${prog[@]}" -c 1) ;;
	*) die "unknown variant $v" ;;
	esac
	mkfifo "$WORK/fifo" || die "cannot make $WORK/fifo"
	# sysinfo first: when its loop ends the caller goes on to getpid, so the launcher is
	# still there to be sampled.
	# shellcheck disable=SC2086 # one word per call
	"${cmd[@]}" $CALLS >"$WORK/fifo" 2>"$WORK/run.log" &
	RUN_PID=$!
	exec 3<"$WORK/fifo"
	while IFS= read -r line <&3; do
		case $line in
		status*) S_STATUS[$v]=${line#status } ;;
		mark=start*) sup_start=$(cpu_ns "$RUN_PID") ;;
		mark=end*)
			sup_end=$(cpu_ns "$RUN_PID")
			call=$(field call "$line") ;;
		call=*)
			call=$(field call "$line")
			RAW_LINES+=("variant=$v $line")
			S_NS[$v|$call]+=" $(field ns_per_call "$line")"
			S_CPU[$v|$call]+=" $(field cpu_ns_per_call "$line")"
			[ "$call" = sysinfo ] && S_RAM[$v]=$(field totalram_mib "$line")
			# The launcher's CPU over the loop, per call. Natively there is no launcher:
			# the pid is the caller itself.
			if [ "$v" != native ] && [ -n "$sup_start" ] && [ -n "$sup_end" ]; then
				sup=$(awk -v d=$((sup_end - sup_start)) -v n="$(field calls "$line")" \
					'BEGIN { printf "%.0f", (n > 0 ? d / n : 0) }')
				S_SUP[$v|$call]+=" $sup"
			fi
			sup_start="" sup_end="" ;;
		esac
	done
	exec 3<&-
	wait "$RUN_PID" || { log "$v failed:"; sed 's/^/    /' "$WORK/run.log" >&2; }
	RUN_PID=""
	rm -f "$WORK/fifo"
}

median() {
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}

HEADER="proclens sysinfo() benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs
runs: ${RUN_SECONDS}s per call after 0.2s warm-up, median of $REPEAT interleaved rounds; proclens run ${LIMITS[*]}"
log "$HEADER"
for ((rep = 1; rep <= REPEAT; rep++)); do
	for v in $VARIANTS; do
		log "[round $rep/$REPEAT] $v"
		run_variant "$v"
	done
done

# ---------------------------------------------------------------- the table
print_table() {
	local v call ns cpu sup native ratio
	printf '%s\n\n' "$HEADER"
	printf '%-15s %-8s %10s %10s %12s %12s %9s %9s\n' variant call calls/s ns/call "caller CPU" "launcher CPU" "x native" totalram
	for call in $CALLS; do
		# Word splitting of the accumulated samples is wanted.
		# shellcheck disable=SC2086
		native=$(median ${S_NS[native|$call]:-})
		for v in $VARIANTS; do
			# shellcheck disable=SC2086
			ns=$(median ${S_NS[$v|$call]:-})
			# shellcheck disable=SC2086
			cpu=$(median ${S_CPU[$v|$call]:-})
			# shellcheck disable=SC2086
			sup=$(median ${S_SUP[$v|$call]:-})
			ratio="-"
			if [ "$ns" != - ] && [ "$native" != - ]; then
				ratio=$(awk -v a="$ns" -v b="$native" 'BEGIN { printf "%.1f", a / b }')
			fi
			printf '%-15s %-8s %10s %10s %12s %12s %9s %9s\n' "$v" "$call" \
				"$(awk -v n="$ns" 'BEGIN { if (n + 0 > 0) printf "%.0f", 1e9 / n; else print "-" }')" \
				"$ns" "$cpu" "$sup" "$ratio" \
				"$([ "$call" = sysinfo ] && echo "${S_RAM[$v]:-?} MiB" || echo -)"
		done
	done
	printf '\n(ns per call; caller CPU: the calling thread'"'"'s own CPU time per call; launcher CPU:\n'
	printf 'the proclens run process'"'"'s CPU time per call over the same loop)\n'
	for v in $VARIANTS; do
		printf '%-15s %s\n' "$v" "${S_STATUS[$v]:-?}"
	done
}

table=$(print_table)
printf '%s\n' "$table"

OUT=${BENCH_OUT:-$TOP/bench/results/sysinfo-$(date -u +%Y%m%d-%H%M%S).txt}
if [ "$OUT" != - ]; then
	mkdir -p "$(dirname "$OUT")" &&
		{ printf '%s\n\nraw:\n' "$table"; printf '%s\n' "${RAW_LINES[@]}"; } >"$OUT" &&
		log "written to $OUT"
fi
