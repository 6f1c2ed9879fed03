#!/bin/bash
# proclensfs end to end: a real FUSE mount, real cgroups, real namespaces, and the real
# tools (procps free, top, uptime; cat) reading the files bound over /proc.
. "$(dirname "$0")/lib.sh"

[ -x "$PROCLENSFS" ] || { t_fail "no $PROCLENSFS (run make)"; t_done; }
[ -c /dev/fuse ] || t_skip_all "no /dev/fuse"

tmp=$(t_mktemp_dir)
mnt=$tmp/mnt
name=proclens-test-fs-$$
MiB=$((1024 * 1024))

t_check "proclensfs mounts and returns once mounted" t_start_fs "$mnt"
pid=$(cat "$mnt.pid")
t_check "pid file names a live daemon" kill -0 "$pid"
t_match "mount is read-only FUSE with allow_other" "$(grep " $mnt " /proc/self/mounts)" "fuse.proclensfs ro,.*allow_other"
# Which transport serves it: FUSE over io_uring keeps one ring per online CPU open.
rings_of() { find "/proc/$1/fd" -lname 'anon_inode:\[io_uring\]' 2>/dev/null | wc -l; }
server=$(t_fs_server_wait "$pid")
t_check "the daemon runs its server as a child" test -n "$server"
rings=$(rings_of "$server")
case $T_TRANSPORT in
uring) t_eq "served over io_uring: a ring per CPU" "$rings" "$(getconf _NPROCESSORS_ONLN)" ;;
*) [ -e /sys/module/fuse/parameters/enable_uring ] && [ "$(cat /sys/module/fuse/parameters/enable_uring)" = Y ] ||
	t_eq "served over /dev/fuse: no io_uring" "$rings" 0 ;;
esac

# ---- a container: 256 MiB, half a CPU, cpuset {0} ----
t_cg_make "$name" $((256 * MiB)) 50000 100000 0 || { t_fail "cannot make test cgroup"; t_done; }
cgs=$T_CG

out=$(t_in_container "$mnt" "$cgs" 'free -m')
t_eq "free -m shows a 256 MiB total" "$(echo "$out" | awk '/^Mem:/ {print $2}')" 256
used=$(echo "$out" | awk '/^Mem:/ {print $3}')
t_range "free -m shows the container's usage, not the host's" "$used" 0 255

out=$(t_in_container "$mnt" "$cgs" 'top -bn1 -1 | head -n 8')
t_match "top shows 256 MiB of memory" "$out" 'MiB Mem : +256\.0 total'
t_eq "top shows one CPU" "$(echo "$out" | grep -c '^%Cpu')" 1

out=$(t_in_container "$mnt" "$cgs" 'uptime; cat /proc/uptime')
t_match "uptime counts from the container's start" "$out" 'up +[0-9]+ min'
secs=$(echo "$out" | tail -n 1 | cut -d. -f1)
t_range "/proc/uptime is seconds since the container's init" "$secs" 0 30

out=$(t_in_container "$mnt" "$cgs" 'cat /proc/cpuinfo')
t_eq "cpuinfo has one processor" "$(echo "$out" | grep -c '^processor')" 1
t_match "cpuinfo renumbers from 0" "$out" '^processor[[:space:]]+: 0$'

out=$(t_in_container "$mnt" "$cgs" 'cat /proc/stat')
t_eq "stat has one cpuN line" "$(echo "$out" | grep -c '^cpu[0-9]')" 1
t_match "stat keeps btime" "$out" "^btime $(awk '/^btime/ {print $2}' /proc/stat)\$"

# A reader in our own pid namespace, placed in the cgroup, sees the cgroup's numbers.
out=$(sh -c "$(t_cg_enter_cmd $cgs) && cat '$mnt/proc/meminfo'")
t_match "a host-namespace reader in the cgroup sees its cgroup" "$out" "^MemTotal: +$((256 * 1024)) kB"

# A host shell in the root cgroup gets the host's view. This test runs in some cgroup of
# its own, so compare with a reader in the same cgroup instead: no container limit -> host MemTotal.
host_total=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
t_match "a reader with no memory limit sees the host's MemTotal" "$(cat "$mnt/proc/meminfo")" "^MemTotal: +$host_total kB"

# ---- a second container must never see the first one's numbers ----
t_cg_make "$name-b" $((512 * MiB)) "" "" "" || t_fail "cannot make second test cgroup"
cgs2=$T_CG
a=$(t_in_container "$mnt" "$cgs" 'awk "/^MemTotal/ {print \$2}" /proc/meminfo')
b=$(t_in_container "$mnt" "$cgs2" 'awk "/^MemTotal/ {print \$2}" /proc/meminfo')
t_eq "container A sees its own limit" "$a" $((256 * 1024))
t_eq "container B sees its own limit" "$b" $((512 * 1024))

# ---- a pod: a limit on the parent, shared by two containers ----
# The sidecar's 160 MiB (tmpfs pages, charged to it) leave the app, which has no limit of
# its own, 96 MiB of the pod's 256: what free must show, not 256 MiB less its own usage.
t_cg_make "$name-pod" $((256 * MiB)) "" "" "" || t_fail "cannot make the pod cgroup"
pod_mem=
if t_cgroup_v2; then pod_mem=$T_CG; echo +memory >"$pod_mem/cgroup.subtree_control"
else for d in $T_CG; do case $d in /sys/fs/cgroup/memory/*) pod_mem=$d ;; esac; done; fi
mkdir "$pod_mem/sidecar" "$pod_mem/app" && t_defer "t_cg_remove '$pod_mem/sidecar'; t_cg_remove '$pod_mem/app'"
mkdir "$tmp/podshm" && mount -t tmpfs -o size=200m proclens-test "$tmp/podshm" &&
	t_defer "umount '$tmp/podshm'"
sh -c "echo \$\$ >'$pod_mem/sidecar/cgroup.procs' && exec dd if=/dev/zero of='$tmp/podshm/hog' bs=1M count=160 status=none" ||
	t_fail "the sidecar could not fill its 160 MiB"
out=$(t_in_container "$mnt" "$pod_mem/app" 'awk "/^Mem(Total|Free|Available):/ {print \$2}" /proc/meminfo; free -m | awk "/^Mem:/ {print \$7}"')
read -r -d '' -a pod <<<"$out"
t_eq "a pod's app sees the pod's limit as MemTotal" "${pod[0]:-}" $((256 * 1024))
t_range "its MemFree is what the pod has left (256 - 160 MiB), not its own headroom" "${pod[1]:-}" 0 $((96 * 1024))
t_range "its MemAvailable too (plus the pod's page cache)" "${pod[2]:-}" "${pod[1]:-0}" $((104 * 1024))
t_range "free -m's available column says so" "${pod[3]:-}" 0 104
rm -f "$tmp/podshm/hog"

# ---- a reader's pid coming back in another container ----
# The daemon keeps a reader's pid namespace by pid, with a pidfd that tells whether the pid
# still names that task. Container A's pid 1 reads and exits; container B's pid 1 is given
# the same host pid (through ns_last_pid): it must see its own limit, never A's.
# ct_read CGS OUT [LAST_PID]: in the background, a container whose pid 1 reads MemTotal
# itself (redirections of the shell's read builtin: no child) into OUT, then waits for
# OUT.go; with LAST_PID, the pid before its pid 1's. Sets ct (the pid of its unshare).
ct_script=$tmp/ct-read.sh
{
	for f in "$mnt"/proc/*; do echo "mount --bind '$f' '/proc/${f##*/}'"; done
	# Twice: the daemon keeps a reader from its second open on.
	echo 'read -r _ total _ </proc/meminfo; read -r _ total _ </proc/meminfo'
	echo 'echo "$total" >"$1.tmp"; mv "$1.tmp" "$1"'
	echo 'while [ ! -e "$1.go" ]; do sleep 0.05; done'
} >"$ct_script"
ct_read() {
	local last=${3:+echo $3 >/proc/sys/kernel/ns_last_pid &&}
	rm -f "$2" "$2.go"
	# shellcheck disable=SC2086
	sh -c "$(t_cg_enter_cmd $1) && $last exec unshare --pid --fork --mount --propagation private --mount-proc sh '$ct_script' '$2'" &
	ct=$!
	for i in $(seq 200); do [ -e "$2" ] && break; sleep 0.05; done
}
ct_read "$cgs" "$tmp/a.out"
pid_a=$(pgrep -P "$ct")
t_eq "container A's pid 1 reads its own limit" "$(cat "$tmp/a.out")" $((256 * 1024))
touch "$tmp/a.out.go"
wait "$ct"
reused=
for try in $(seq 20); do
	ct_read "$cgs2" "$tmp/b.out" $((pid_a - 1))
	[ "$(pgrep -P "$ct")" = "$pid_a" ] && reused=1
	b=$(cat "$tmp/b.out")
	touch "$tmp/b.out.go"
	wait "$ct"
	[ -n "$reused" ] && break
done
if [ -n "$reused" ]; then
	t_eq "container B's pid 1 with container A's old pid sees B's limit" "$b" $((512 * 1024))
else
	t_log "could not give container B's pid 1 pid $pid_a in 20 tries: pid reuse not tested"
fi

# ---- a limit set on an ancestor applies to the child ----
if t_cgroup_v2; then
	parent=$(echo "$cgs" | awk '{print $1}')
	echo +memory >"$parent/cgroup.subtree_control" 2>/dev/null
	child=$parent/inner
else
	parent=$(echo "$cgs" | tr ' ' '\n' | grep '/memory/')
	child=$parent/inner
fi
if mkdir "$child" 2>/dev/null; then
	t_defer "rmdir '$child'"
	# On v2 a process can only sit in a leaf: enter the child in the memory hierarchy
	# and the same cgroups elsewhere.
	if t_cgroup_v2; then inner_cgs=$child; else inner_cgs=$(echo "$cgs" | sed "s#$parent#$child#"); fi
	out=$(t_in_container "$mnt" "$inner_cgs" 'free -m')
	t_eq "a child cgroup inherits its parent's tighter limit" "$(echo "$out" | awk '/^Mem:/ {print $2}')" 256
else
	t_fail "cannot make a child cgroup under $parent"
fi

# ---- the CPU files follow the cpuset and cpu hierarchies, whatever cpuacct says ----
# cpuinfo and the sysfs CPU lists come from the cpuset and the quota: a reader limited there
# but in the root cpuacct cgroup (v1, separate hierarchies) is no whole machine, and must not
# get the host's files.
ncpu=$(getconf _NPROCESSORS_ONLN)
t_cg_make "$name-cpus" "" 50000 100000 0 || t_fail "cannot make a cgroup for the CPU files"
cpu_cgs=$T_CG
if ! t_cgroup_v2; then
	cpu_cgs="$(echo "$T_CG" | tr ' ' '\n' | grep -E '/(cpuset|cpu)/' | tr '\n' ' ')"
	[ "$(readlink -f /sys/fs/cgroup/cpu)" = "$(readlink -f /sys/fs/cgroup/cpuacct)" ] ||
		cpu_cgs="$cpu_cgs /sys/fs/cgroup/cpuacct"
fi
# shellcheck disable=SC2086
out=$(sh -c "$(t_cg_enter_cmd $cpu_cgs) && grep -c ^processor '$mnt/proc/cpuinfo'; cat '$mnt/sys/devices/system/cpu/online'; ls '$mnt/sys/devices/system/cpu' | grep -c '^cpu[0-9]'; nproc")
[ "$ncpu" -gt 1 ] || t_log "one CPU online: the host's files and the cgroup's agree, not tested"
t_eq "in a cpuset of one CPU (cpuacct: ${cpu_cgs##* }): cpuinfo, online, cpuN, nproc" "$(echo $out)" "1 0 1 1"

# ---- a reader whose cgroups are removed gets EIO, not its parent's or the host's CPUs ----
# The reader opens and reads in the cgroup, moves itself (and the shell running the command)
# to the roots, the cgroup is removed, and its re-read from offset 0 renders afresh.
for f in proc/cpuinfo sys/devices/system/cpu/online proc/stat proc/meminfo; do
	t_cg_make "$name-gone" $((256 * MiB)) 50000 100000 0 || { t_fail "cannot make a cgroup to remove"; break; }
	gone=""
	for d in $T_CG; do
		if t_cgroup_v2; then r=/sys/fs/cgroup; else r=$(echo "$d" | cut -d/ -f1-5); fi
		gone="$gone echo \$PPID >$r/cgroup.procs; echo \$\$ >$r/cgroup.procs;"
	done
	# shellcheck disable=SC2086
	out=$(sh -c "$(t_cg_enter_cmd $T_CG) && exec '$BUILD/tests/helpers/readchunks' --reread '$mnt/$f' '$gone rmdir $T_CG'" 2>&1)
	t_match "$f: a re-read after its cgroup is removed fails with EIO" "$out" "second read: Input/output error"
	t_check "$f: the removed cgroup is gone" sh -c "! ls -d $T_CG 2>/dev/null"
done

# ---- read semantics ----
# A second daemon whose renders stay put for a minute, so reads of one open can be compared
# byte for byte whatever the counters do.
# Started with a low soft limit on descriptors, which the daemon raises to the hard one.
soft=$(ulimit -Sn)
ulimit -Sn 256
t_start_fs "$tmp/still" --cache-ms 60000 || t_fail "cannot start a second daemon"
ulimit -Sn "$soft"
still=$(t_fs_server_wait "$(cat "$tmp/still.pid")")
t_eq "the daemon takes the hard limit of open files as its soft one" \
	"$(awk '/^Max open files/ {print $4 == $5 ? "raised" : $4 " of " $5}' "/proc/$still/limits")" raised
for f in meminfo cpuinfo stat uptime; do
	n=$("$BUILD/tests/helpers/readchunks" "$tmp/still/proc/$f" 2>&1)
	t_match "proc/$f: 1-, 7- and 64K-byte reads and offsets agree within one open" "$n" '^[0-9]+$'
done
# top and free keep the file open and pread it from offset 0 on each refresh.
out=$("$BUILD/tests/helpers/readchunks" --reread "$mnt/proc/uptime")
first=$(echo "$out" | head -n 1 | cut -d' ' -f1)
second=$(echo "$out" | tail -n 1 | cut -d' ' -f1)
t_check "a re-read from offset 0 on the same descriptor is fresh ($first -> $second)" \
	awk -v a="$first" -v b="$second" 'BEGIN { exit !(b - a >= 1.0) }'

t_match "ls -la lists the four files" "$(ls -la "$mnt/proc")" 'meminfo'
t_eq "ls -la shows read-only files" "$(stat -c %A "$mnt/proc/meminfo")" "-r--r--r--"

# ---- writes always fail ----
t_check "writing a file fails" sh -c "! echo x 2>/dev/null >'$mnt/proc/meminfo'"
t_check "creating a file fails" sh -c "! touch '$mnt/proc/new' 2>/dev/null"
t_check "chmod fails" sh -c "! chmod 666 '$mnt/proc/meminfo' 2>/dev/null"
t_check "mkdir fails" sh -c "! mkdir '$mnt/proc/d' 2>/dev/null"
t_check "unlink fails" sh -c "! rm -f '$mnt/proc/meminfo' 2>/dev/null"
t_match "the file is still there after rm" "$(cat "$mnt/proc/meminfo")" '^MemTotal:'
t_check "no file appeared" test ! -e "$mnt/proc/new"

# ---- the daemon's command line ----
t_check "--help exits 0" sh -c "\"$PROCLENSFS\" --help >/dev/null"
t_match "--version prints the version" "$("$PROCLENSFS" --version)" '^proclensfs [0-9]+\.'
err=$("$PROCLENSFS" --bogus "$tmp/x" 2>&1); rc=$?
t_eq "an unknown option exits 2" "$rc" 2
t_match "an unknown option is named" "$err" 'bogus'
err=$("$PROCLENSFS" 2>&1); rc=$?
t_eq "a missing mount point exits 2" "$rc" 2
touch "$tmp/file"
err=$("$PROCLENSFS" -f "$tmp/file" 2>&1); rc=$?
t_check "a mount point that is a file is refused" test "$rc" -ne 0
t_match "and the reason is given" "$err" 'not a directory'
err=$("$PROCLENSFS" --cache-ms abc "$tmp/x" 2>&1); rc=$?
t_eq "a bad --cache-ms exits 2" "$rc" 2
for v in " 5" "5 " "+5" "05" "0x5" "5e0" "-1" "60001"; do
	err=$("$PROCLENSFS" --cache-ms "$v" "$tmp/x" 2>&1); rc=$?
	t_eq "--cache-ms '$v' is refused (exit 2), not read as a number" "$rc" 2
done
t_match "and the value is named" "$err" "--cache-ms: invalid value '60001'"
err=$("$PROCLENSFS" --transport=fast "$tmp/x" 2>&1); rc=$?
t_eq "a bad --transport exits 2" "$rc" 2
t_match "and names the choices" "$err" 'auto, dev, uring'
err=$("$PROCLENSFS" --threads 0 "$tmp/x" 2>&1); rc=$?
t_eq "--threads 0 exits 2" "$rc" 2
err=$("$PROCLENSFS" --uring-sched=fast "$tmp/x" 2>&1); rc=$?
t_eq "a bad --uring-sched exits 2" "$rc" 2
t_match "and names the choices" "$err" 'auto, idle, normal'

# ---- io_uring queue threads: SCHED_IDLE while the daemon's scheduling group is its own ----
# A daemon in a v1 cpu cgroup of its own, in the foreground (so no autogroup of its own):
# SCHED_IDLE (policy 5 in /proc/TID/stat) while nothing else is in that cgroup, the normal
# policy (0) within seconds of a busy process joining it, and reads served meanwhile.
queue_policy() { # PID: the policy of its first queue thread, once it has one
	local t
	for t in /proc/$1/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = uring-cpu0 ] && awk '{ print $41 }' "$t/stat" && return
	done
}
wait_policy() { # PID POLICY: within 10 s (the daemon checks every second; a shared session every 5 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(queue_policy "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
cpu_hier=/sys/fs/cgroup/cpu
if [ "$T_TRANSPORT" = uring ] && [ -f "$cpu_hier/tasks" ]; then
	scg=$cpu_hier/proclens-test-sched-$$
	mkdir "$scg"
	t_defer "for p in \$(cat '$scg/tasks' 2>/dev/null); do kill -9 \$p; done; sleep 0.2; rmdir '$scg'"
	mkdir -p "$tmp/sched"
	bash -c "echo \$\$ > '$scg/cgroup.procs'; exec '$PROCLENSFS' -f --transport=uring '$tmp/sched'" \
		2>"$tmp/sched.log" &
	spid=$!
	t_defer "kill $spid; sleep 0.2; umount -l '$tmp/sched'"
	t_wait_mount "$tmp/sched"
	ssrv=$(t_fs_server_wait "$spid")
	t_check "alone in its cpu cgroup (with its keeper): queue threads SCHED_IDLE" wait_policy "$ssrv" 5
	t_match "and it says why" "$(cat "$tmp/sched.log")" 'SCHED_IDLE \(the cpu cgroup /proclens-test-sched-[0-9]+, ours alone\)'
	taskset -c 0 sh -c 'while :; do :; done' &
	hog=$!
	echo "$hog" >"$scg/cgroup.procs"
	t_check "a busy process joins the cgroup: the normal policy within seconds" wait_policy "$ssrv" 0
	t_match "and it says why" "$(cat "$tmp/sched.log")" "normal policy \(/proclens-test-sched-[0-9]+ holds thread $hog of another process\)"
	t_check "reads on the busy CPU are served" timeout 10 taskset -c 0 sh -c \
		"for i in \$(seq 200); do cat '$tmp/sched/proc/meminfo' >/dev/null || exit 1; done"
	kill "$hog"
	wait "$hog" 2>/dev/null
	t_check "the busy process gone: SCHED_IDLE again" wait_policy "$ssrv" 5
	kill "$spid"
	wait "$spid"
	# In the root cpu cgroup, with autogroups on: the session is the scheduling group. The
	# server leads a session of its own, even when the keeper shares one with a running
	# process (a shell's job, left when the shell exec'd the daemon): SCHED_IDLE.
	if grep -qE '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:/$' /proc/self/cgroup &&
		[ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ]; then
		mkdir -p "$tmp/sess"
		setsid bash -c "sleep 1000 & echo \$! > '$tmp/sess.sleep'; exec '$PROCLENSFS' -f --transport=uring '$tmp/sess'" \
			2>"$tmp/sess.log" &
		sspid=$!
		t_defer "kill $sspid \$(cat '$tmp/sess.sleep'); sleep 0.2; umount -l '$tmp/sess'"
		t_wait_mount "$tmp/sess"
		t_check "the keeper's session shared with a running process: the server's own, SCHED_IDLE" \
			wait_policy "$(t_fs_server_wait "$sspid")" 5
		t_match "and it says why" "$(cat "$tmp/sess.log")" 'SCHED_IDLE \(an autogroup of its own: alone in its session'
		kill "$(cat "$tmp/sess.sleep")"
		kill "$sspid"
		wait "$sspid"
	fi
	mkdir -p "$tmp/normal"
	t_check "--uring-sched=normal starts" t_start_fs "$tmp/normal" --uring-sched=normal
	sleep 1.5
	t_eq "--uring-sched=normal: the normal policy" "$(queue_policy "$(t_fs_server "$(cat "$tmp/normal.pid")")")" 0
	t_stop_fs "$tmp/normal"
fi

# ---- --transport=uring: works where the kernel has it, fails clearly where not ----
param=/sys/module/fuse/parameters/enable_uring
if [ -z "$T_TRANSPORT" ] && [ -w "$param" ]; then
	saved=$(cat "$param")
	t_defer "echo '$saved' > '$param'"
	echo N >"$param"
	t_check "--transport=uring starts with the kernel parameter off" t_start_fs "$tmp/u" --transport=uring
	t_eq "and turned the parameter on" "$(cat "$param")" Y
	t_match "and serves" "$(cat "$tmp/u/proc/uptime")" '^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+$'
	upid=$(t_fs_server "$(cat "$tmp/u.pid")")
	t_eq "over io_uring" "$(rings_of "$upid")" "$(getconf _NPROCESSORS_ONLN)"
	t_stop_fs "$tmp/u"
	echo "$saved" >"$param"
elif [ ! -e "$param" ]; then
	mkdir -p "$tmp/u"
	err=$("$PROCLENSFS" -f --transport=uring "$tmp/u" 2>&1); rc=$?
	t_check "--transport=uring fails on a kernel without it" test "$rc" -ne 0
	t_match "and says why" "$err" 'no FUSE over io_uring'
	t_check "and mounts nothing" sh -c "! mountpoint -q '$tmp/u'"
fi

# ---- its own files bound over the daemon's /proc and /sys: an error, not a wait on itself ----
# In a private mount namespace, so only that daemon sees the binds. /dev/fuse transport: were
# the guard to fail, a thread waiting on itself there can still be killed (with io_uring it
# could not).
if [ -z "$T_TRANSPORT" ]; then
	self=$tmp/self
	mkdir -p "$self"
	out=$(unshare -m --propagation private bash -c "
		'$PROCLENSFS' -f --transport=dev '$self' 2>'$tmp/self.log' & p=\$!
		for i in \$(seq 100); do [ -e '$self/proc/meminfo' ] && break; sleep 0.05; done
		mount --bind '$self/proc/meminfo' /proc/meminfo
		mount --bind '$self/sys/devices/system/cpu' /sys/devices/system/cpu
		timeout 10 cat '$self/proc/meminfo' >/dev/null 2>&1; echo meminfo=\$?
		timeout 10 cat '$self/sys/devices/system/cpu/online' >/dev/null 2>&1; echo online=\$?
		timeout 10 cat '$self/proc/uptime' >/dev/null 2>&1; echo uptime=\$?
		kill \$p; wait \$p" 2>&1)
	t_match "a daemon reading its own meminfo fails the read instead of hanging" "$out" 'meminfo=1'
	t_match "and its own sys cpu directory too" "$out" 'online=1'
	t_match "its other files still work" "$out" 'uptime=0'
	t_match "and it says what is in the way" "$(cat "$tmp/self.log")" 'cross-device'
fi

# ---- unmounting from outside ends the daemon ----
t_check "a second daemon starts" t_start_fs "$tmp/ext"
epid=$(cat "$tmp/ext.pid")
cat "$tmp/ext/proc/meminfo" >/dev/null
umount "$tmp/ext"
for i in $(seq 100); do kill -0 "$epid" 2>/dev/null || break; sleep 0.05; done
t_check "unmounting it from outside ends it" sh -c "! kill -0 $epid 2>/dev/null"

# ---- SIGTERM unmounts cleanly ----
kill -TERM "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
t_check "SIGTERM stops the daemon" sh -c "! kill -0 $pid 2>/dev/null"
t_check "SIGTERM unmounts" sh -c "! mountpoint -q '$mnt'"
t_check "SIGTERM removes the pid file" test ! -e "$mnt.pid"

# ---- a pid file that cannot be written: an error, and no mount left behind ----
for mode in detached foreground; do
	args=()
	[ "$mode" = foreground ] && args=(-f)
	mkdir -p "$tmp/nopid"
	err=$(timeout 10 "$PROCLENSFS" "${args[@]}" --pidfile "$tmp/no/such/dir.pid" "$tmp/nopid" 2>&1)
	rc=$?
	t_eq "$mode: an unwritable pid file exits 1" "$rc" 1
	t_match "$mode: and says why" "$err" 'cannot write pid file .*/no/such/dir.pid: No such file or directory'
	t_check "$mode: and leaves no mount (no 'Transport endpoint is not connected')" \
		sh -c "! grep -q ' $tmp/nopid ' /proc/self/mounts && ls '$tmp/nopid' >/dev/null"
	! grep -q " $tmp/nopid " /proc/self/mounts || umount -l "$tmp/nopid"
done

t_done
