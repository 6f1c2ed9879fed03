#!/bin/bash
# Inside `proclens run --memory 256M --cpus 1`, every tool people use to size a machine
# agrees: one CPU, 256 MiB, an uptime in seconds, no swap, and a load average of its own.
# procps, coreutils and util-linux on the host's root; busybox in the busybox rootfs.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/launcher-testlib.sh"
lt_require_binaries
[ "$(nproc --all)" -ge 2 ] || t_skip_all "needs 2 CPUs or more (1 CPU must differ from the host's)"

LIMITS=(--memory 256M --cpus 1)

# --- the host's root: procps, coreutils, util-linux, glibc -----------------------------
lt_run proclens-test-tools "${LIMITS[@]}" -- sh -c '
	echo "nproc $(nproc)"
	echo "nproc-all $(nproc --all)"
	echo "getconf $(getconf _NPROCESSORS_ONLN)"
	echo "getconf-conf $(getconf _NPROCESSORS_CONF)"
	echo "lscpu $(lscpu | awk -F: "/^CPU\(s\):/ {gsub(/ /, \"\", \$2); print \$2}")"
	echo "lscpu-online $(lscpu | awk -F: "/^On-line CPU\(s\) list:/ {gsub(/ /, \"\", \$2); print \$2}")"
	echo "free $(free -m | awk "/^Mem:/ {print \$2}")"
	echo "free-swap $(free -m | awk "/^Swap:/ {print \$2}")"
	echo "vmstat $(vmstat -s -S K | awk "/total memory/ {print \$1}")"
	echo "vmstat-swap $(vmstat -s -S K | awk "/total swap/ {print \$1}")"
	echo "swapon [$(swapon --show)]"
	echo "uptime $(uptime)"
	echo "procuptime $(cut -d. -f1 /proc/uptime)"
	echo "ps-etimes $(ps -o etimes= -p 1)"
	echo "ps-start-age $(( $(date +%s) - $(date -d "$(ps -o lstart= -p 1)" +%s) ))"
	top=$(top -1bn1) # not in a file: this /tmp is the host'"'"'s
	echo "top-mem $(printf "%s\n" "$top" | awk "/MiB Mem/ {print \$4}")"
	echo "top-swap $(printf "%s\n" "$top" | awk "/MiB Swap/ {print \$3}")"
	echo "top-cpus $(printf "%s\n" "$top" | grep -c "^%Cpu[0-9]")"
	echo "top-up $(printf "%s\n" "$top" | head -1)"
'
t_eq "host root: exit status" "$LT_RC" 0
field() { printf '%s\n' "$LT_OUT" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
t_eq "nproc" "$(field nproc)" 1
t_eq "nproc --all" "$(field nproc-all)" 1
t_eq "getconf _NPROCESSORS_ONLN" "$(field getconf)" 1
t_eq "lscpu CPU(s)" "$(field lscpu)" 1
t_eq "lscpu on-line list" "$(field lscpu-online)" 0
t_eq "free -m total" "$(field free)" 256
t_eq "free -m swap" "$(field free-swap)" 0
t_eq "vmstat -s total memory (KiB)" "$(field vmstat)" 262144
t_eq "vmstat -s total swap" "$(field vmstat-swap)" 0
t_eq "swapon --show lists nothing" "$(field swapon)" "[]"
t_match "uptime counts from the container's start" "$(field uptime)" 'up 0 min'
t_match "uptime shows the container's idle load" "$(field uptime)" 'load average: 0\.0[0-9], 0\.0[0-9], 0\.0[0-9]$'
t_range "/proc/uptime is seconds old" "$(field procuptime)" 0 10
# ps: age = uptime - starttime, start = btime + starttime; the kernel counts starttime from
# the boot of the container's time namespace, and the views count uptime and btime so too.
t_range "ps: pid 1's ELAPSED is seconds" "$(field ps-etimes)" 0 10
t_range "ps: pid 1's START is seconds ago" "$(field ps-start-age)" 0 10
t_eq "top: MiB Mem total" "$(field top-mem)" 256.0
# procps 4 leaves the Swap line out when there is none.
t_match "top: no swap (MiB Swap 0.0, or no Swap line)" "$(field top-swap)" '^(0\.0)?$'
t_eq "top -1: one %Cpu line" "$(field top-cpus)" 1
t_match "top: up 0 min" "$(field top-up)" 'up 0 min'
lt_assert_clean proclens-test-tools

# --- busybox: free and uptime ask sysinfo(2), top and nproc read /proc and the affinity ---
ROOTFS=$(lt_busybox_rootfs) || t_skip_all "cannot build the busybox rootfs"
lt_run proclens-test-bbtools --rootfs "$ROOTFS" "${LIMITS[@]}" -- sh -c '
	echo "nproc $(nproc)"
	echo "free $(free | awk "/^Mem:/ {print \$2}")"
	echo "free-swap $(free | awk "/^Swap:/ {print \$2}")"
	echo "uptime $(uptime)"
	top -bn1 >/tmp/top.out
	echo "top-mem $(awk "/^Mem:/ {gsub(/K/, \"\"); print \$2 + \$4}" /tmp/top.out)"
	echo "top-load $(awk "/^Load average:/ {print \$3}" /tmp/top.out)"
	echo "cat-meminfo $(cat /proc/meminfo | awk "/^MemTotal:/ {print \$2}")"
	echo "cat-cpuinfo $(cat /proc/cpuinfo | grep -c ^processor)"
'
t_eq "busybox: exit status" "$LT_RC" 0
t_eq "busybox nproc" "$(field nproc)" 1
t_eq "busybox free total (KiB)" "$(field free)" 262144
t_eq "busybox free swap" "$(field free-swap)" 0
t_match "busybox uptime counts from the container's start" "$(field uptime)" 'up 0 min'
t_match "busybox uptime shows the container's idle load" "$(field uptime)" 'load average: 0\.0[0-9], 0\.0[0-9], 0\.0[0-9]$'
t_eq "busybox top: used + free is 256 MiB (KiB)" "$(field top-mem)" 262144
t_match "busybox top: the container's load" "$(field top-load)" '^0\.0[0-9]$'
t_eq "busybox cat /proc/meminfo (a sendfile, then read)" "$(field cat-meminfo)" 262144
t_eq "busybox cat /proc/cpuinfo" "$(field cat-cpuinfo)" 1
lt_assert_clean proclens-test-bbtools

# --- the load average: a CPU-bound loop raises its container's 1-minute figure toward 1,
# and a second, idle container's stays 0.00 (the daemon samples every 5 s). Both read
# /proc/loadavg every 5 s, as uptime in a loop would.
watch_load='grep Cpus_allowed_list /proc/self/status; for i in 1 2 3 4 5; do sleep 4.3; cut -d" " -f1 /proc/loadavg; done'
tmp=$(t_mktemp_dir)
"$PROCLENS" run --name proclens-test-busy "${LIMITS[@]}" -- \
	sh -c "(while :; do :; done) & $watch_load; kill \$!" >"$tmp/busy" 2>&1 &
busy=$!
"$PROCLENS" run --name proclens-test-idle "${LIMITS[@]}" -- sh -c "$watch_load" >"$tmp/idle" 2>&1 &
idle=$!
wait "$busy" "$idle"
busy_last=$(tail -1 "$tmp/busy")
t_check "a busy loop raises its container's load to 0.2 or more in ~21 s ($(echo $(cat "$tmp/busy")))" \
	awk -v l="$busy_last" 'BEGIN { exit !(l >= 0.2 && l <= 1.5) }'
t_eq "an idle container's load stays 0.00 beside it" "$(grep -v Cpus "$tmp/idle" | sort -u | tr '\n' ' ')" "0.00 "
t_check "--cpus 1 containers are spread over the CPUs ($(grep -h Cpus "$tmp/busy" "$tmp/idle" | tr '\t\n' '  '))" \
	test "$(grep Cpus "$tmp/busy")" != "$(grep Cpus "$tmp/idle")"
lt_assert_clean proclens-test-busy
lt_assert_clean proclens-test-idle

t_done
