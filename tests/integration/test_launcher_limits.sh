#!/bin/bash
# Limits are enforced, not just shown: memory (OOM kill, and the exit status says so),
# pids (a fork bomb stops), cpuset.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/launcher-testlib.sh"
lt_require_binaries
rootfs=$(lt_busybox_rootfs) || t_fail "busybox rootfs"

# A process allocating past the limit is OOM-killed (dd's buffer is 128 MiB of touched
# memory; swap is capped at the limit too, so it cannot escape to swap).
for where in host busybox; do
	args=()
	[ "$where" = busybox ] && args=(--rootfs "$rootfs")
	lt_run proclens-test-oom-$where "${args[@]}" --memory 32M --memory-swap 32M -- \
		dd if=/dev/zero of=/dev/null bs=128M count=1
	t_eq "$where: OOM-killed command exits 137 (SIGKILL)" "$LT_RC" 137
	t_match "$where: proclens says it ran out of memory" "$LT_ERR" \
		'^proclens: out of memory: the kernel killed a process of the container at its limit of 32 MiB$'
	lt_assert_clean proclens-test-oom-$where
done

# A command that fails after a process of its was OOM-killed hears why; one that succeeds
# all the same is not told.
lt_run proclens-test-oom-child --memory 32M --memory-swap 32M -- \
	sh -c 'dd if=/dev/zero of=/dev/null bs=128M count=1 2>/dev/null; exit "$0"' 3
t_eq "a child OOM-killed: the command's status comes back" "$LT_RC" 3
t_match "... and proclens says a process ran out of memory" "$LT_ERR" \
	'^proclens: out of memory: the kernel killed a process of the container at its limit of 32 MiB$'
lt_run proclens-test-oom-child --memory 32M --memory-swap 32M -- \
	sh -c 'dd if=/dev/zero of=/dev/null bs=128M count=1 2>/dev/null; exit "$0"' 0
t_eq "a child OOM-killed, the command succeeds: no word of it" "$LT_RC:$LT_ERR" "0:"
lt_assert_clean proclens-test-oom-child

# A limit too small for the container's own setup: the OOM killer strikes before the
# command runs, and proclens says that, not a bare "ended without a word".
lt_run proclens-test-oom-setup --memory 4K -- true
t_eq "--memory 4K: the killed setup exits 137 (SIGKILL)" "$LT_RC" 137
t_match "--memory 4K: proclens says the setup ran out of memory" "$LT_ERR" \
	'^proclens: out of memory before the command started: the kernel killed the container.s setup at its limit of 4 KiB'
lt_assert_clean proclens-test-oom-setup

# Within the limit the same command succeeds.
lt_run proclens-test-nooom --memory 256M -- dd if=/dev/zero of=/dev/null bs=64M count=1
t_eq "under the memory limit dd succeeds" "$LT_RC" 0
t_eq "no OOM message under the limit" "$LT_ERR" "$(printf '%s\n' "$LT_ERR" | grep -v 'out of memory')"

# A fork bomb meets pids.max: forks fail, the host is fine, the container ends cleanly.
name=proclens-test-forkbomb
pids_dir=$(lt_cgroup_dir $name pids)
"$PROCLENS" run --name $name --rootfs "$rootfs" --pids-limit 32 -- \
	sh -c 'bomb() { bomb | bomb & }; bomb; sleep 3; exit 0' >/dev/null 2>&1 &
pid=$!
lt_wait_path "$pids_dir/pids.current"
# Until the kernel has refused a fork (a loaded machine may take a while to start the
# command), the count sampled all along; at most ~5 s, well inside the bomb's 3 s sleep
# after its start.
most=0
for ((i = 0; i < 100; i++)); do
	current=$(cat "$pids_dir/pids.current" 2>/dev/null)
	[ -n "$current" ] && [ "$current" -gt "$most" ] && most=$current
	events=$(awk '/^max/ {print $2}' "$pids_dir/pids.events" 2>/dev/null)
	[ "${events:-0}" -ge 1 ] 2>/dev/null && break
	sleep 0.05
done
t_range "fork bomb: tasks stay at the limit" "$most" 1 32
t_range "fork bomb: the kernel refused forks (pids.events max)" "$events" 1 1000000000
wait "$pid"
t_eq "fork bomb: the container's command still exits 0" "$?" 0
lt_assert_clean $name

# cpuset: one CPU, and every tool sees one.
if [ "$(nproc --all)" -ge 2 ]; then
	lt_run proclens-test-cpuset --cpuset-cpus 1 -- sh -c 'nproc; grep -c ^processor /proc/cpuinfo; grep Cpus_allowed_list /proc/self/status'
	t_eq "--cpuset-cpus 1: nproc, cpuinfo, affinity" "$(echo $LT_OUT)" "1 1 Cpus_allowed_list: 1"
	lt_assert_clean proclens-test-cpuset
fi

# --cpus: the quota is really applied (a busy loop gets ~half a CPU at --cpus 0.5).
name=proclens-test-quota
"$PROCLENS" run --name $name --cpus 0.5 -- sh -c 'while :; do :; done' &
pid=$!
cg=$(lt_cgroup_dir $name cpuacct)
lt_wait_path "$cg"
# The directory comes before the container joins it: wait for a member (a loaded machine
# can take seconds), then for the loop to be past its start.
for ((i = 0; i < 200; i++)); do
	[ -s "$cg/cgroup.procs" ] && break
	sleep 0.05
done
sleep 0.5
cpu_usage_us() {
	if t_cgroup_v2; then awk '/^usage_usec/ {print $2}' "$cg/cpu.stat"; else
		echo $(($(cat "$cg/cpuacct.usage") / 1000)); fi
}
# CPU time over wall time, both measured here: a slow machine (an emulated VM) stretches the
# window, not the ratio.
w0=${EPOCHREALTIME/./}; u0=$(cpu_usage_us)
sleep 2
u1=$(cpu_usage_us); w1=${EPOCHREALTIME/./}
t_range "--cpus 0.5: a busy loop gets half a CPU (per mille)" $(((u1 - u0) * 1000 / (w1 - w0))) 350 600
{ kill -KILL "$pid"; wait "$pid"; } 2>/dev/null
sleep 0.3
lt_sweep_after_sigkill $name

t_done
