#!/bin/bash
# proclens run on the host's root: limits, the views as real tools read them, errors, and
# nothing left behind.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/launcher-testlib.sh"
lt_require_binaries

# free -m: the README's first command, with no --view and nothing prepared.
lt_run proclens-test-free --memory 256M --cpus 1 -- free -m
t_eq "free -m exit status" "$LT_RC" 0
t_eq "free -m total is 256 MiB" "$(printf '%s\n' "$LT_OUT" | awk '/^Mem:/ {print $2}')" 256
lt_assert_clean proclens-test-free

# sysinfo(2) answered for the container (busybox free asks it) is written only where the
# kernel itself would write: a read-only or unmapped buffer gets EFAULT, untouched.
for userns in "" --userns; do
	lt_run proclens-test-sysinfo $userns --memory 256M -- "$BUILD/tests/helpers/sysinfo_fault"
	t_eq "sysinfo(2) gives the container's 256 MiB ${userns:-(no user namespace)}" \
		"$(printf '%s\n' "$LT_OUT" | awk '/^totalram/ {print $2}')" 256
	for b in readonly straddling null text; do
		t_match "sysinfo(2) into a $b buffer: EFAULT, nothing written${userns:+ $userns}" "$LT_OUT" \
			"^$b errno=EFAULT unchanged\$"
	done
	lt_assert_clean proclens-test-sysinfo
done

# top -bn1 -1: memory total and one %Cpu line per visible CPU.
lt_run proclens-test-top --memory 256M --cpus 1 -- top -1bn1
t_match "top shows 256 MiB" "$LT_OUT" 'MiB Mem : +256\.0 total'
t_eq "top shows one CPU" "$(printf '%s\n' "$LT_OUT" | grep -c '^%Cpu[0-9]')" 1
lt_assert_clean proclens-test-top

lt_run proclens-test-cpus --cpus 1 -- sh -c 'grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat'
t_eq "cpuinfo and stat show one CPU" "$(echo $LT_OUT)" "1 1"

# uptime: the container's, in seconds, not the host's.
lt_run proclens-test-uptime -- sh -c 'cat /proc/uptime; uptime'
up=$(printf '%s\n' "$LT_OUT" | head -1 | cut -d. -f1)
t_range "/proc/uptime counts from the container's start" "$up" 0 5
t_match "uptime shows 0 min" "$LT_OUT" 'up 0 min'

lt_run proclens-test-host --hostname box1 -- hostname
t_eq "--hostname" "$LT_OUT" box1
lt_run proclens-test-host2 -- hostname
t_eq "default hostname is the container name" "$LT_OUT" proclens-test-host2
t_check "the host's hostname is untouched" test "$(hostname)" != box1

# Limits land in the container's own cgroup (read from outside while it runs).
"$PROCLENS" run --name proclens-test-limits --memory 64M --memory-swap 64M --cpus 0.5 \
	--pids-limit 50 -- sleep 4242 &
pid=$!
mem=$(lt_cgroup_dir proclens-test-limits memory)
cpu=$(lt_cgroup_dir proclens-test-limits cpu)
pids=$(lt_cgroup_dir proclens-test-limits pids)
lt_wait_path "$pids/pids.max"
sleep 0.3
if t_cgroup_v2; then
	t_eq "memory.max" "$(cat "$mem/memory.max")" 67108864
	t_eq "memory.swap.max" "$(cat "$mem/memory.swap.max" 2>/dev/null || echo 0)" 0
	t_eq "cpu.max" "$(cat "$cpu/cpu.max")" "50000 100000"
else
	t_eq "memory.limit_in_bytes" "$(cat "$mem/memory.limit_in_bytes")" 67108864
	t_eq "memory.memsw.limit_in_bytes" "$(cat "$mem/memory.memsw.limit_in_bytes")" 67108864
	t_eq "cpu.cfs_quota_us" "$(cat "$cpu/cpu.cfs_quota_us")/$(cat "$cpu/cpu.cfs_period_us")" \
		"50000/100000"
fi
t_eq "pids.max" "$(cat "$pids/pids.max")" 50
t_match "the container's init is in the cgroup" "$(cat "$pids/cgroup.procs")" '^[0-9]+$'
# run's helper (its child in its own session, see run.c) cleans up after a run however it
# ends; killed with it, nothing does until the next run.
helper=$(ps -o pid= -o comm= --ppid "$pid" | awk '$2 == "proclens" {print $1}')
t_check "run has a helper process in its own session" \
	test -n "$helper" -a "$(ps -o sid= -p "${helper:-0}" | tr -d ' ')" = "${helper:-x}"
{ kill -KILL $helper "$pid"; wait "$pid"; } 2>/dev/null
# Both SIGKILLed: the kernel kills the container (PDEATHSIG) and stops the private view
# (its daemon gets SIGTERM and unmounts). The cgroups, the lock file and the empty mount
# point are what a SIGKILL cannot clean: the next run removes them.
sleep 0.5
t_check "SIGKILL of proclens kills the container" sh -c '! pgrep -f "^sleep 4242\$"'
t_check "SIGKILL of proclens stops the private view" sh -c '! grep -q " /run/proclens/view\.proclens-test-limits " /proc/self/mountinfo'
t_check "SIGKILL of proclens leaves its cgroup" test -d "$pids"
t_check "SIGKILL of proclens leaves its lock file" test -e /run/proclens/proclens-test-limits.lock
# Leftovers of an owner that is alive are never touched: a running container, and a
# cgroup under proclens/ that no proclens run made (no lock file).
"$PROCLENS" run --name proclens-test-alive -- sleep 4243 &
alive=$!
lt_wait_path "$(lt_cgroup_dir proclens-test-alive pids)"
foreign=$(lt_cgroup_dir proclens-test-foreign pids)
mkdir "$foreign"
t_defer "rmdir '$foreign'"
lt_run proclens-test-next -- true
t_eq "the next run succeeds" "$LT_RC" 0
lt_assert_clean proclens-test-limits
t_check "a running container's cgroup is kept" test -d "$(lt_cgroup_dir proclens-test-alive pids)"
t_check "a cgroup without a lock file is kept" test -d "$foreign"
kill -TERM "$alive"; wait "$alive"
lt_assert_clean proclens-test-alive '^sleep 4243$'
# The same name again right after a SIGKILL: its own leftovers go first.
"$PROCLENS" run --name proclens-test-again --memory 64M -- sleep 4244 &
pid=$!
lt_wait_path "$(lt_cgroup_dir proclens-test-again pids)"
sleep 0.3
{ kill -KILL "$pid"; wait "$pid"; } 2>/dev/null
# run alone was SIGKILLed: its helper removes the cgroups, the private view's mount point
# and the lock file, with no other run needed.
t_check "after a SIGKILL of run its helper cleans up" lt_wait_reaped proclens-test-again
t_check "after a SIGKILL of run no mount point is left" test ! -e /run/proclens/view.proclens-test-again
lt_run proclens-test-again --memory 64M -- echo reborn
t_eq "a SIGKILLed container's name can be used again" "$LT_RC/$LT_OUT" "0/reborn"
lt_assert_clean proclens-test-again '^sleep 4244$'

# Exit statuses.
lt_run proclens-test-exit -- sh -c 'exit 42'
t_eq "exit status passes through" "$LT_RC" 42
lt_run proclens-test-sig --init -- sh -c 'kill -TERM $$'
t_eq "death by signal is 128+N" "$LT_RC" 143

# Errors: one clear line, a non-zero exit, nothing left behind.
lt_run proclens-test-err1 --rootfs /nonexistent/rootfs -- true
t_eq "missing rootfs exit status" "$LT_RC" 125
t_match "missing rootfs message" "$LT_ERR" '^proclens: rootfs /nonexistent/rootfs: No such file or directory$'
lt_assert_clean proclens-test-err1

lt_run proclens-test-err2 -- /no/such/command
t_eq "unknown command exits 127" "$LT_RC" 127
t_match "unknown command message" "$LT_ERR" "^proclens: cannot execute '/no/such/command': No such file or directory$"
lt_assert_clean proclens-test-err2

lt_run proclens-test-err3 --memory 12Q -- true
t_eq "bad size exit status" "$LT_RC" 125
t_match "bad size message" "$LT_ERR" "--memory '12Q': expected a size"

lt_run proclens-test-err4 --cpuset-cpus 0-x -- true
t_eq "bad cpu list exit status" "$LT_RC" 125
t_match "bad cpu list message" "$LT_ERR" "--cpuset-cpus '0-x': expected a CPU list"

lt_run proclens-test-err5 --cpuset-cpus 4000 -- true
t_eq "a limit the kernel refuses: exit status" "$LT_RC" 125
t_match "a limit the kernel refuses: message names the file" "$LT_ERR" \
	'^proclens: cannot write /sys/fs/cgroup/.*proclens/proclens-test-err5/cpuset.cpus \(4000\): '
t_eq "a limit the kernel refuses: one line" "$(printf '%s\n' "$LT_ERR" | wc -l)" 1
lt_assert_clean proclens-test-err5

lt_run proclens-test-err6 --workdir /no/such/dir -- true
t_eq "child-side failure exit status" "$LT_RC" 125
t_match "child-side failure is reported by the parent" "$LT_ERR" \
	'^proclens: --workdir /no/such/dir: No such file or directory$'
lt_assert_clean proclens-test-err6

# Two containers with one name: the second is refused, the first keeps its cgroup.
"$PROCLENS" run --name proclens-test-dup --init -- sleep 4343 &
pid=$!
lt_wait_path "$(lt_cgroup_dir proclens-test-dup pids)"
lt_run proclens-test-dup -- true
t_eq "duplicate name refused" "$LT_RC" 125
t_match "duplicate name message" "$LT_ERR" 'already exists'
t_check "the first container's cgroup survives" test -d "$(lt_cgroup_dir proclens-test-dup pids)"
kill -TERM "$pid"
wait "$pid"
t_eq "SIGTERM through --init ends the container" "$?" 143
lt_assert_clean proclens-test-dup "^sleep 4343$"

# A name that is a file of the proclens cgroup (v1 keeps "tasks" in every cgroup, v2
# "cgroup.procs") is refused as such, not as a container already running.
if t_cgroup_v2; then cgfile=cgroup.procs; else cgfile=tasks; fi
lt_run "$cgfile" -- true
t_eq "a cgroup file's name refused" "$LT_RC" 125
t_match "... with a message naming the file" "$LT_ERR" "^proclens: --name $cgfile: .*/proclens/$cgfile is a file of the cgroup .*: choose another name$"
t_check "... and no lock file of that name left" test ! -e "/run/proclens/$cgfile.lock"

# A container may be named like a file of proclens's own in /run/proclens: the CPU pick's
# lock was once cpus.lock, the lock file of a container named "cpus", which then waited for
# itself forever (and the sweep of dead owners' leftovers removed it after every run). The
# name is not proclens-test-*, so only where no such container exists.
if [ ! -e /run/proclens/cpus.lock ] || flock -n /run/proclens/cpus.lock true; then
	lt_run cpus --cpus 1 --no-view -- nproc
	t_eq "a container named cpus with --cpus 1 starts (no lock taken twice)" "$LT_RC/$LT_OUT" "0/1"
	lt_assert_clean cpus
fi

# Something at the default mount point that is not a live proclensfs (here a tmpfs with
# the file names; a daemon that died answers ENOTCONN) is as good as nothing: the container
# gets a private view. Only where nothing is mounted there already.
if ! mountpoint -q /var/lib/proclensfs; then
	made=
	[ -d /var/lib/proclensfs ] || { mkdir -p /var/lib/proclensfs && made=1; }
	mount -t tmpfs proclens-test-fakeview /var/lib/proclensfs
	t_defer "umount /var/lib/proclensfs; ${made:+rmdir /var/lib/proclensfs}"
	mkdir -p /var/lib/proclensfs/proc /var/lib/proclensfs/sys/devices/system/cpu
	echo 'MemTotal: 1 kB' >/var/lib/proclensfs/proc/meminfo
	lt_run proclens-test-fakeview --memory 96M -- sh -c 'free -m; grep " /proc/meminfo " /proc/self/mountinfo'
	t_eq "not a live proclensfs at the default mount point: exit status" "$LT_RC" 0
	t_eq "not a live proclensfs at the default mount point: a private view serves" \
		"$(printf '%s\n' "$LT_OUT" | awk '/^Mem:/ {print $2}')" 96
	t_match "not a live proclensfs at the default mount point: bound from the private view" \
		"$LT_OUT" 'fuse\.proclensfs'
	lt_assert_clean proclens-test-fakeview
	umount /var/lib/proclensfs && [ -n "$made" ] && rmdir /var/lib/proclensfs
fi

# --view: a daemon we started ourselves.
vdir=$(t_mktemp_dir)
"$PROCLENSFS" --pidfile "$vdir.pid" "$vdir"
t_defer "kill \$(cat '$vdir.pid'); sleep 0.2; umount -l '$vdir'; rm -f '$vdir.pid'"
lt_run proclens-test-view --view "$vdir" --memory 128M -- free -m
t_eq "--view DIR serves the container" "$(printf '%s\n' "$LT_OUT" | awk '/^Mem:/ {print $2}')" 128
t_check "--view DIR is left mounted" mountpoint -q "$vdir"
# diskstats and pressure are the container's own, never the host's: its I/O in its own
# blkio (v1) or io (v2) cgroup; pressure is per cgroup only on v2, and hidden elsewhere.
vol=$(t_mktemp_dir)
src=$(findmnt -no SOURCE -T "$vol")
# Direct I/O needs a block device under the volume (the v2 VM's /tmp is tmpfs).
lt_run proclens-test-io --view "$vdir" --volume "$vol:$vol" -- sh -c '
	if [ "$1" = yes ]; then dd if=/dev/zero of="$0/f" bs=1M count=4 oflag=direct status=none || exit 9; fi
	cat /proc/diskstats; echo "pressure-fs $(findmnt -no FSTYPE /proc/pressure)"
	echo "pressure-memory $(head -c 10 /proc/pressure/memory 2>&1)"' "$vol" "$([ -b "$src" ] && echo yes)"
t_eq "diskstats, pressure: exit status" "$LT_RC" 0
# v1 counts a cgroup's I/O only on a device with a blkio throttle rule on recent kernels (6.18)
# (none: the kernel skips its throttling, and the counting with it): seen in a cgroup of our
# own first, so a kernel that counts nothing is told apart from a view that shows nothing.
v1_blkio_counts() {
	local d=/sys/fs/cgroup/blkio/proclens-test-blkprobe total
	[ -d /sys/fs/cgroup/blkio ] || return 0
	mkdir "$d" || return 0
	sh -c "echo \$\$ > '$d/cgroup.procs' && dd if=/dev/zero of='$vol/probe' bs=64k count=4 oflag=direct status=none"
	total=$(awk '$1 == "Total" || $2 == "Total" {print $NF}' "$d/blkio.throttle.io_service_bytes" | sort -n | tail -1)
	rmdir "$d"
	rm -f "$vol/probe"
	[ "${total:-0}" -gt 0 ]
}
if [ -b "$src" ] && ! t_cgroup_v2 && ! v1_blkio_counts; then
	t_log "this kernel counts no cgroup v1 blkio I/O on devices without a throttle rule: diskstats not checked"
elif [ -b "$src" ]; then
	disk=$(lsblk -no PKNAME "$src" | head -1)
	[ -n "$disk" ] || disk=$(basename "$(readlink -f "$src")")
	written=$(printf '%s\n' "$LT_OUT" | awk -v d="$disk" '$3 == d {print $10}')
	# 4 MiB written directly: 8192 sectors, and a little of the file system's own.
	t_range "diskstats: the container's 4 MiB written to $disk, not the host's figure" "$written" 8192 12288
else
	t_log "$vol is not on a block device ($src): diskstats not checked"
fi
pfield() { printf '%s\n' "$LT_OUT" | sed -n "s/^$1 //p"; }
if [ -d /proc/pressure ] && t_cgroup_v2; then
	t_eq "pressure: the view's directory over /proc/pressure" "$(pfield pressure-fs)" fuse.proclensfs
	t_eq "pressure: the container's memory pressure" "$(pfield pressure-memory)" "some avg10"
elif [ -d /proc/pressure ]; then
	t_eq "pressure: an empty directory over the host's (no v2 cgroup)" "$(pfield pressure-fs)" tmpfs
	t_match "pressure: no host figures" "$(pfield pressure-memory)" 'No such file'
fi
lt_assert_clean proclens-test-io
# A daemon that died, keeper and server: its mount is still there but answers ENOTCONN
# (the kernel's cached attributes would still pass a stat).
ddir=$(t_mktemp_dir)
"$PROCLENSFS" --pidfile "$ddir.pid" "$ddir"
dpid=$(cat "$ddir.pid")
t_defer "umount -l '$ddir'; rm -f '$ddir.pid'"
stat "$ddir/proc/meminfo" >/dev/null
dsrv=$(t_fs_server_wait "$dpid")
kill -KILL "$dpid" $dsrv
for i in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
lt_run proclens-test-deadview --view "$ddir" -- true
t_eq "--view on a dead daemon's mount fails" "$LT_RC" 125
t_match "--view on a dead daemon's mount: message" "$LT_ERR" "^proclens: --view $ddir: no proclensfs answers there"
lt_assert_clean proclens-test-deadview
lt_run proclens-test-view2 --view /tmp -- true
t_eq "--view on a non-proclensfs directory fails" "$LT_RC" 125
t_match "--view error message" "$LT_ERR" '^proclens: --view /tmp: no proclensfs answers there'

lt_run proclens-test-noview --no-view --memory 128M -- free -m
t_check "--no-view leaves /proc/meminfo alone" test "$(printf '%s\n' "$LT_OUT" | awk '/^Mem:/ {print $2}')" -gt 128

t_done
