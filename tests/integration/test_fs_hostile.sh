#!/bin/bash
# proclensfs against hostile readers: a container that makes pid namespaces by the hundred
# (any root in a container can, and anyone with user namespaces: unshare -Urp) must not take
# the daemon's descriptors from every other container; nothing is written through the mount.
. "$(dirname "$0")/lib.sh"

[ -x "$PROCLENSFS" ] || { t_fail "no $PROCLENSFS (run make)"; t_done; }
[ -c /dev/fuse ] || t_skip_all "no /dev/fuse"
command -v prlimit >/dev/null || t_skip_all "no prlimit"

tmp=$(t_mktemp_dir)
mnt=$tmp/mnt
MiB=$((1024 * 1024))
# A small descriptor limit, so that a few hundred namespaces would exhaust it (each
# container the daemon knows holds two descriptors): room for about 170 containers.
NOFILE=600
NAMESPACES=400

mkdir -p "$mnt"
prlimit --nofile=$NOFILE:$NOFILE "$PROCLENSFS" --pidfile "$mnt.pid" ${T_TRANSPORT:+--transport="$T_TRANSPORT"} "$mnt" &&
	t_defer "t_stop_fs '$mnt'" && t_wait_mount "$mnt" || { t_fail "proclensfs does not start"; t_done; }
server=$(t_fs_server_wait "$(cat "$mnt.pid")")
t_match "the server runs with $NOFILE descriptors" "$(grep 'open files' "/proc/$server/limits" 2>/dev/null)" " $NOFILE +$NOFILE "

t_cg_make proclens-test-hostile-a-$$ $((512 * MiB)) || { t_fail "cannot make test cgroup"; t_done; }
attacker=$T_CG
t_cg_make proclens-test-hostile-b-$$ $((128 * MiB)) || { t_fail "cannot make test cgroup"; t_done; }
victim=$T_CG

# ---- nothing written ----
out=$(t_in_container "$mnt" "$victim" '
	for f in /proc/meminfo /proc/stat /sys/devices/system/cpu/online; do
		(echo x >"$f") 2>/dev/null && echo "wrote $f"
		(echo x >>"$f") 2>/dev/null && echo "appended $f"
		chmod 666 "$f" 2>/dev/null && echo "chmod $f"
		touch "$f" 2>/dev/null && echo "touched $f"
	done
	touch /sys/devices/system/cpu/new 2>/dev/null && echo "created a file"
	mkdir /sys/devices/system/cpu/new 2>/dev/null && echo "made a directory"
	# far past the end: nothing, and no error
	n=$(dd if=/proc/meminfo bs=4096 skip=1125899906842623 count=1 2>/dev/null | wc -c)
	[ "$n" = 0 ] || echo "read $n bytes at 2^62"
	grep MemTotal /proc/meminfo')
t_match "no write, append, chmod, touch, create or mkdir gets through" "$out" '^MemTotal: +131072 kB$'
t_eq "and none said it did" "$(printf '%s\n' "$out" | grep -vc MemTotal)" 0

# ---- hundreds of pid namespaces, each reading once and staying alive ----
marks=$tmp/marks
: >"$marks"
# shellcheck disable=SC2016
sh -c "$(t_cg_enter_cmd $attacker) && exec unshare --pid --fork --mount-proc sh -c '
	for i in \$(seq $NAMESPACES); do
		unshare --pid --fork sh -c \"head -c 1 $mnt/proc/meminfo >/dev/null && echo ok >>$marks || echo err >>$marks; exec sleep 60\" &
	done
	wait'" >/dev/null 2>&1 &
# The init of the attacker's namespace (unshare's child): killing it kills every namespace
# inside, which t_cg_remove's few seconds could not do one process at a time.
attack=$!
t_defer "kill -KILL \$(ps -o pid= --ppid $attack) $attack"
for ((i = 0; i < 600; i++)); do
	[ "$(wc -l <"$marks")" -ge $NAMESPACES ] && break
	sleep 0.1
done
t_eq "all $NAMESPACES namespaces read" "$(grep -c ok "$marks")" $NAMESPACES
fds=$(ls "/proc/$server/fd" | wc -l)
t_range "the server's descriptors stay below its limit" "$fds" 1 $((NOFILE - 10))
out=$(t_in_container "$mnt" "$victim" 'grep MemTotal /proc/meminfo; cat /sys/devices/system/cpu/online')
t_match "another container is still served its own numbers" "$out" '^MemTotal: +131072 kB$'
t_check "the daemon's server still runs" kill -0 "$server"
t_done
