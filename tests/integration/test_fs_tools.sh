#!/bin/bash
# proclensfs beyond meminfo/cpuinfo/stat/uptime: loadavg, swaps, the CPU files under /sys,
# read by the real tools (uptime, vmstat, nproc, getconf, lscpu, swapon) in a container.
. "$(dirname "$0")/lib.sh"

[ -x "$PROCLENSFS" ] || { t_fail "no $PROCLENSFS (run make)"; t_done; }
[ -c /dev/fuse ] || t_skip_all "no /dev/fuse"

tmp=$(t_mktemp_dir)
mnt=$tmp/mnt
MiB=$((1024 * 1024))
t_check "proclensfs mounts" t_start_fs "$mnt"

# One CPU's worth of quota on cpuset {0}.
t_cg_make proclens-test-tools-$$ $((256 * MiB)) 100000 100000 0 || { t_fail "cannot make test cgroup"; t_done; }
busy=$T_CG
# The same quota over every CPU of the machine: the views count ceil(quota/period) CPUs.
t_cg_make proclens-test-tools-quota-$$ $((256 * MiB)) 100000 100000 "" || { t_fail "cannot make test cgroup"; t_done; }
quota=$T_CG
t_cg_make proclens-test-tools-idle-$$ $((128 * MiB)) "" "" "" || { t_fail "cannot make test cgroup"; t_done; }
idle=$T_CG

out=$(t_in_container "$mnt" "$busy" 'nproc --all; getconf _NPROCESSORS_ONLN; getconf _NPROCESSORS_CONF
	lscpu | awk -F: "/^CPU\(s\):/ {gsub(/ /, \"\", \$2); print \$2}"
	grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat
	cat /sys/devices/system/cpu/online; ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l')
t_eq "nproc --all, getconf ONLN/CONF, lscpu, cpuinfo, stat, online and cpuN dirs agree on one CPU" \
	"$(echo $out)" "1 1 1 1 1 1 0 1"

# nproc --all is left out here: it takes the larger of sysfs's count and the scheduler
# affinity, which follows the cpuset (all CPUs), not the quota.
out=$(t_in_container "$mnt" "$quota" 'getconf _NPROCESSORS_ONLN; getconf _NPROCESSORS_CONF
	lscpu | awk -F: "/^CPU\(s\):/ {gsub(/ /, \"\", \$2); print \$2}"
	grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat
	cat /sys/devices/system/cpu/online; ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l')
t_eq "a 1-CPU quota over all CPUs: getconf, lscpu, cpuinfo, stat and sysfs show one CPU" \
	"$(echo $out)" "1 1 1 1 1 0 1"

out=$(t_in_container "$mnt" "$busy" 'cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list')
t_eq "cpu0's topology lists are renumbered to the container's CPUs" "$out" 0

out=$(t_in_container "$mnt" "$busy" 'cat /proc/swaps; swapon --show; echo end')
t_eq "swaps shows no swap where the container may not swap" "$(echo "$out" | head -n 1 | awk '{print $1}')" Filename
t_eq "swapon --show prints nothing" "$(echo "$out" | sed -n 2p)" end

out=$(t_in_container "$mnt" "$busy" 'vmstat 1 2 | tail -n 1')
free_kb=$(echo "$out" | awk '{print $4}')
t_range "vmstat's free memory is within the container's 256 MiB" "$free_kb" 1 $((256 * 1024))

# A busy loop raises the container's load toward 1; an idle container's stays at 0.
out=$(t_in_container "$mnt" "$busy" 'cat /proc/loadavg; sh -c "while :; do :; done" & sleep 21; cat /proc/loadavg; uptime; kill $!')
before=$(echo "$out" | sed -n 1p | cut -d' ' -f1)
after=$(echo "$out" | sed -n 2p | cut -d' ' -f1)
t_check "a busy container's 1-minute load rises toward 1 ($before -> $after)" \
	awk -v a="$after" 'BEGIN { exit !(a >= 0.2 && a <= 1.0) }'
t_match "uptime prints the container's load" "$(echo "$out" | sed -n 3p)" "load average: $after,"
t_match "loadavg shows running/total tasks and a last pid" "$(echo "$out" | sed -n 2p)" '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+/[0-9]+ [0-9]+$'
out=$(t_in_container "$mnt" "$idle" 'sleep 6; cat /proc/loadavg')
t_match "an idle container's load stays at 0" "$out" '^0\.00 0\.00 0\.00 '


# sendfile(2) and splice(2): the kernel serves them for a FUSE file from the inode's page
# cache, up to the file's size. busybox cat (Alpine's cat) sendfiles: with a size of 0 it
# printed nothing. The files say one page and refuse page-cache reads, so busybox cat, cp
# (copy_file_range) and the like fall back to read(2); wc still counts the real bytes.
out=$(t_in_container "$mnt" "$busy" 'busybox cat /proc/meminfo | awk "/^MemTotal:/ {print \$2}"
	busybox cat /proc/cpuinfo | grep -c ^processor; busybox cat /sys/devices/system/cpu/online
	f=$(mktemp /tmp/proclens-test-cp.XXXXXX); cp /proc/meminfo "$f" && awk "/^MemTotal:/ {print \$2}" "$f"; rm -f "$f"
	stat -c %s /proc/meminfo; [ "$(wc -c </proc/meminfo)" = "$(cat /proc/meminfo | wc -c)" ] && echo wc-counts-bytes')
t_eq "busybox cat (sendfile), cp (copy_file_range), stat and wc on the views" "$(echo $out)" \
	"262144 1 0 262144 4096 wc-counts-bytes"

# Two containers' readers interleaved (A opens, B opens, A splices, B splices): the page a
# splice fills belongs to the inode both read, so B must never get it. Either the splice is
# refused (6.5+ kernels, whose FUSE splice goes through the page cache) or it returns the
# reader's own numbers (older kernels read through read_iter); read(2) always does.
procs() { local d s=""; for d in $1; do s="$s $d/cgroup.procs"; done; echo $s; }
# shellcheck disable=SC2046
out=$("$BUILD/tests/helpers/splicerace" "$mnt/proc/meminfo" $(procs "$busy") -- $(procs "$idle"))
t_match "interleaved readers: A's splice is refused or A's own" "$out" \
	'^A splice: (error EINVAL|MemTotal: +262144 kB)$'
t_match "interleaved readers: B's splice is refused or B's own, never A's page" "$out" \
	'^B splice: (error EINVAL|MemTotal: +131072 kB)$'
t_match "interleaved readers: read(2) gives A its own" "$out" '^A read: MemTotal: +262144 kB$'
t_match "interleaved readers: read(2) gives B its own" "$out" '^B read: MemTotal: +131072 kB$'

t_done
