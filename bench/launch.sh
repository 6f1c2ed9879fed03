#!/bin/bash
# Start-to-exit time of /bin/true in the busybox rootfs: proclens run beside unshare,
# bubblewrap and crun, interleaved in one run so they share the machine's state.
#
#   bench/launch.sh [-n ITERATIONS] [-o RESULTS.md]      (root; BUILD=build-dir)
#
# proclens runs with --memory 256M --cpus 1 and the views mounted (a proclensfs at the
# default mount point, started here if none is). Figures only: nothing here gates CI.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PROCLENS=$BUILD/proclens
PROCLENSFS=$BUILD/proclensfs
N=200
GAP=${BENCH_GAP:-0} # seconds of quiet before each timed start (0.03: each one cold)
OUT=
while getopts n:o: opt; do
	case $opt in
	n) N=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-o FILE]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
[ -x "$PROCLENS" ] && [ -x "$PROCLENSFS" ] || { echo "$0: build first (make BUILD=...)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/proclens-bench.XXXXXX)
VIEW=/var/lib/proclensfs
STARTED_VIEW=
cleanup() {
	[ -n "$STARTED_VIEW" ] && kill "$STARTED_VIEW" 2>/dev/null && sleep 0.3
	rm -rf "$WORK"
}
trap cleanup EXIT
"$TOP/scripts/mkrootfs-busybox.sh" "$WORK/rootfs" >/dev/null || exit 1
ROOTFS=$WORK/rootfs

if ! mountpoint -q "$VIEW"; then
	mkdir -p "$VIEW"
	"$PROCLENSFS" --pidfile "$WORK/view.pid" "$VIEW" || exit 1
	STARTED_VIEW=$(cat "$WORK/view.pid")
fi

# The references, Debian's packages, installed if missing (BENCH_NO_INSTALL=1: without).
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v crun >/dev/null || missing+=(crun)
if [ ${#missing[@]} -gt 0 ] && [ "${BENCH_NO_INSTALL:-0}" != 1 ]; then
	echo "$0: installing ${missing[*]} (the references)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
		echo "$0: could not install ${missing[*]}: their lines are left out" >&2
fi

# An OCI bundle for crun with the same limits as proclens.
HAVE_CRUN=
if command -v crun >/dev/null && command -v python3 >/dev/null; then
	mkdir -p "$WORK/bundle"
	(cd "$WORK/bundle" && crun spec >/dev/null 2>&1)
	python3 - "$WORK/bundle/config.json" "$ROOTFS" <<'PY' && HAVE_CRUN=1
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": False}
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["linux"].setdefault("resources", {})
c["linux"]["resources"]["memory"] = {"limit": 256 * 1024 * 1024}
c["linux"]["resources"]["cpu"] = {"quota": 100000, "period": 100000}
json.dump(c, open(path, "w"))
PY
fi
HAVE_BWRAP=
command -v bwrap >/dev/null && HAVE_BWRAP=1

# One timed run of each tool; microseconds from bash's clock.
run_one() {
	local t0 t1
	t0=$EPOCHREALTIME
	case $1 in
	unshare) unshare --fork --pid --mount --uts --ipc --net --cgroup --mount-proc --root "$ROOTFS" /bin/true ;;
	bwrap) bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts --unshare-cgroup \
		--die-with-parent --bind "$ROOTFS" / --proc /proc --dev /dev /bin/true ;;
	crun) crun run -b "$WORK/bundle" "proclens-bench-$$" ;;
	proclens) "$PROCLENS" run --rootfs "$ROOTFS" --memory 256M --cpus 1 -- /bin/true ;;
	proclens-nolimits) "$PROCLENS" run --rootfs "$ROOTFS" --no-view -- /bin/true ;;
	esac >/dev/null 2>"$WORK/err" || { echo "$1 failed: $(cat "$WORK/err")" >&2; return 1; }
	t1=$EPOCHREALTIME
	echo $(( (${t1/./} - ${t0/./}) ))
}

TOOLS="unshare proclens proclens-nolimits"
[ -n "$HAVE_BWRAP" ] && TOOLS="$TOOLS bwrap"
[ -n "$HAVE_CRUN" ] && TOOLS="$TOOLS crun"
export -f run_one
export ROOTFS WORK PROCLENS

# crun refuses the hybrid layout's empty cgroup2 at /sys/fs/cgroup/unified: every tool runs
# in one private mount namespace where it is unmounted (the host keeps it).
unshare --mount --propagation private bash -c '
	mountpoint -q /sys/fs/cgroup/unified && ! [ -f /sys/fs/cgroup/cgroup.controllers ] &&
		umount /sys/fs/cgroup/unified
	for tool in '"$TOOLS"'; do run_one $tool >/dev/null || exit 1; done   # warm up
	for ((i = 0; i < '"$N"'; i++)); do
		for tool in '"$TOOLS"'; do
			# What the previous start left to finish in the background (a network
			# namespace freed by the kernel'"'"'s workers, proclens'"'"'s helper unmounting
			# and removing cgroups, crun'"'"'s cleanup) must not land on this one.
			sleep '"$GAP"'
			us=$(run_one $tool) || exit 1
			echo "$tool $us"
		done
	done' >"$WORK/samples" || exit 1

# What a start costs the whole machine, not only the wait: each tool alone, N runs back to
# back, the time the CPUs were not idle (wall time x CPUs minus the idle time of
# /proc/stat, whose 10 ms ticks make it good to ~0.1 ms per start at N=100), divided by N.
# It counts the work a tool leaves to others once it has returned (proclens's helper
# unmounting the container and removing its cgroups, the kernel's workers freeing the
# network namespace), which the wall-clock figures above do not. The idle machine's own
# background is in it too (a few µs per start here).
unshare --mount --propagation private bash -c '
	mountpoint -q /sys/fs/cgroup/unified && ! [ -f /sys/fs/cgroup/cgroup.controllers ] &&
		umount /sys/fs/cgroup/unified
	ncpu=$(nproc --all)
	hz=$(getconf CLK_TCK)
	idle_us() { awk -v hz="$hz" "/^cpu / { printf \"%.0f\", (\$5 + \$6) * 1000000 / hz }" /proc/stat; }
	for tool in '"$TOOLS"'; do
		t0=${EPOCHREALTIME/./}; i0=$(idle_us)
		for ((i = 0; i < '"$N"'; i++)); do run_one $tool >/dev/null || exit 1; done
		sleep 0.2 # what was left to others finishes
		t1=${EPOCHREALTIME/./}; i1=$(idle_us)
		echo "$tool $(( ((t1 - t0) * ncpu - (i1 - i0)) / '"$N"' ))"
	done' >"$WORK/cpu" || exit 1

stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		printf "%.2f %.2f %.2f %.2f", v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.1) + 1] / 1000,
			v[int(NR * 0.9)] / 1000, v[NR] / 1000 }'
}
unshare_median=$(awk '$1 == "unshare" {print $2}' "$WORK/samples" | stats | cut -d' ' -f1)
{
	echo "| tool | median ms | p10 ms | p90 ms | max ms | median / unshare | machine CPU ms/start |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for tool in $TOOLS; do
		read -r med p10 p90 max < <(awk -v t="$tool" '$1 == t {print $2}' "$WORK/samples" | stats)
		ratio=$(awk -v a="$med" -v b="$unshare_median" 'BEGIN { printf "%.2f", a / b }')
		cpu=$(awk -v t="$tool" '$1 == t { printf "%.2f", $2 / 1000 }' "$WORK/cpu")
		echo "| $tool | $med | $p10 | $p90 | $max | ${ratio}x | $cpu |"
	done
} >"$WORK/table"
cat "$WORK/table"
if [ -n "$OUT" ]; then
	{
		echo "<!-- bench/launch.sh -n $N, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs,"
		echo "     cgroup $(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2; else echo v1; fi) -->"
		cat "$WORK/table"
	} >"$OUT"
fi
