#!/bin/bash
# The mount outlives its server: the keeper (the process that mounted, the pid file's) holds
# /dev/fuse and starts a new server when one dies or when SIGHUP asks for the program now
# on disk. Readers, open files, files bound into containers and cached inode numbers carry
# on: nobody sees "Transport endpoint is not connected".
. "$(dirname "$0")/lib.sh"

[ -x "$PROCLENSFS" ] || { t_fail "no $PROCLENSFS (run make)"; t_done; }
[ -c /dev/fuse ] || t_skip_all "no /dev/fuse"

tmp=$(t_mktemp_dir)
mnt=$tmp/mnt
name=proclens-test-restart-$$
MiB=$((1024 * 1024))
t_cg_make "$name" $((256 * MiB)) || { t_fail "cannot make test cgroup"; t_done; }
cgs=$T_CG
enter=$(t_cg_enter_cmd $cgs)
want_total="^MemTotal: +$((256 * 1024)) kB"

# The program runs from a copy, so that an upgrade can replace it.
mkdir -p "$tmp/bin"
cp "$PROCLENSFS" "$tmp/bin/proclensfs"
PROCLENSFS=$tmp/bin/proclensfs
t_check "proclensfs mounts" t_start_fs "$mnt"
keeper=$(cat "$mnt.pid")
server=$(t_fs_server_wait "$keeper")
t_check "the pid file names the keeper, which runs the server" test -n "$server"

# A reader in the cgroup, in our pid namespace, sees the cgroup's numbers.
read_in_cg() { sh -c "$enter && cat '$mnt/proc/meminfo'"; }
# readers N: N reads in the cgroup, one after another; says "bad I" and fails at a read
# without the cgroup's total. Output in $tmp/loop.out.
readers() {
	sh -c "$enter && i=0; while [ \$i -lt $1 ]; do
		grep -q '^MemTotal: *262144 kB' '$mnt/proc/meminfo' || { echo bad \$i; exit 1; }
		i=\$((i + 1)); done" >"$tmp/loop.out" 2>&1
}
t_match "the server serves" "$(read_in_cg)" "$want_total"
ino_meminfo=$(stat -c %i "$mnt/proc/meminfo")
ino_online=$(stat -c %i "$mnt/sys/devices/system/cpu/online")
ino_cpu0=$(stat -c %i "$mnt/sys/devices/system/cpu/cpu0")

# ---- FUSE over io_uring: the next server registers its rings and serves ----
# A request a dead server had taken from its ring is lost: the kernel (6.18) sends again only
# the ones read from /dev/fuse. So this pass kills an idle server only.
if [ "$T_TRANSPORT" = uring ]; then
	rings_of() { find "/proc/$1/fd" -lname 'anon_inode:\[io_uring\]' 2>/dev/null | wc -l; }
	t_eq "served over io_uring" "$(rings_of "$server")" "$(getconf _NPROCESSORS_ONLN)"
	kill -KILL "$server"
	new=$(t_fs_server_wait "$keeper" "$server")
	t_check "the keeper started another server" test -n "$new"
	out=$(sh -c "$enter && timeout 10 cat '$mnt/proc/meminfo'")
	t_match "which serves the cgroup's numbers" "$out" "$want_total"
	t_eq "over io_uring too" "$(rings_of "$new")" "$(getconf _NPROCESSORS_ONLN)"
	t_eq "a file keeps its inode number" "$(stat -c %i "$mnt/proc/meminfo")" "$ino_meminfo"
	kill -TERM "$keeper"
	for i in $(seq 100); do kill -0 "$keeper" 2>/dev/null || break; sleep 0.05; done
	t_check "SIGTERM to the keeper unmounts" sh -c "! mountpoint -q '$mnt'"
	t_done
fi

# ---- SIGKILL of the server, under load ----
# Readers loop while the server dies; every read must succeed and say the cgroup's total.
readers 400 &
loop=$!
# Open files of the old server: one opened only, one half read. The new server renders the
# half-read file again: only a file whose text cannot change meanwhile (the CPUs online; the
# uptime's can grow a digit) continues byte for byte.
exec 7<"$mnt/proc/meminfo"
exec 8<"$mnt/sys/devices/system/cpu/online"
online=$(cat "$mnt/sys/devices/system/cpu/online")
head -c 1 <&8 >"$tmp/half"
core_id=$(cat "$mnt/sys/devices/system/cpu/cpu0/topology/core_id")
(cd "$mnt/sys/devices/system/cpu/cpu0" && sleep 2 && cat topology/core_id >"$tmp/cwd.out" 2>&1) &
cwd=$!
sleep 0.2
kill -KILL "$server"
wait "$loop"
t_eq "readers running while the server is killed all read the cgroup's numbers" "$?:$(cat "$tmp/loop.out")" "0:"
new=$(t_fs_server_wait "$keeper" "$server")
t_check "the keeper started another server" test -n "$new"
t_check "and the keeper lives" kill -0 "$keeper"
t_match "a file opened before the crash reads after it" "$(cat <&7)" '^MemTotal:'
t_eq "a file half read before the crash reads on" "$(cat "$tmp/half")$(cat <&8)" "$online"
exec 7<&- 8<&-
wait "$cwd"
t_eq "a shell inside a mirrored directory reads on" "$(cat "$tmp/cwd.out")" "$core_id"
t_eq "a file keeps its inode number" "$(stat -c %i "$mnt/proc/meminfo")" "$ino_meminfo"
t_eq "a mirrored file keeps its inode number" "$(stat -c %i "$mnt/sys/devices/system/cpu/online")" "$ino_online"
t_eq "a mirrored directory keeps its inode number" "$(stat -c %i "$mnt/sys/devices/system/cpu/cpu0")" "$ino_cpu0"
t_match "ls of the tree works" "$(ls "$mnt/proc")" 'meminfo'
server=$new

# ---- a container with the files bound over /proc, across a crash ----
# It cannot see our pids: it says when it has read, and waits until the server is dead.
t_in_container "$mnt" "$cgs" "
	free -m | awk '/^Mem:/ {print \"before\", \$2}'
	touch '$tmp/ct.ready'
	while [ ! -e '$tmp/ct.go' ]; do sleep 0.05; done
	free -m | awk '/^Mem:/ {print \"after\", \$2}'
	cat /proc/cpuinfo >/dev/null && echo cpuinfo ok" >"$tmp/ct.out" 2>&1 &
ct=$!
for i in $(seq 100); do [ -e "$tmp/ct.ready" ] && break; sleep 0.05; done
kill -KILL "$server"
touch "$tmp/ct.go"
wait "$ct"
out=$(cat "$tmp/ct.out")
t_match "free in a container before the crash" "$out" '^before 256$'
t_match "free in a container right after the crash" "$out" '^after 256$'
t_match "and its other files" "$out" '^cpuinfo ok$'
server=$(t_fs_server_wait "$keeper" "$server")

# ---- what a container's views remember, across a crash ----
# A load built up over 11 s and the stat counters last shown: a new server carries on from
# them (a server starting afresh would say 0.00 and could count backwards).
t_in_container "$mnt" "$cgs" "
	cat /proc/loadavg >/dev/null
	sh -c 'while :; do :; done' &
	busy=\$!
	sleep 11
	kill \$busy
	echo before \$(cut -d' ' -f1 /proc/loadavg) \$(grep '^cpu ' /proc/stat)
	touch '$tmp/memo.ready'
	while [ ! -e '$tmp/memo.go' ]; do sleep 0.05; done
	echo after \$(cut -d' ' -f1 /proc/loadavg) \$(grep '^cpu ' /proc/stat)" >"$tmp/memo.out" 2>&1 &
ct=$!
for i in $(seq 400); do [ -e "$tmp/memo.ready" ] && break; sleep 0.05; done
kill -KILL "$server"
server=$(t_fs_server_wait "$keeper" "$server")
touch "$tmp/memo.go"
wait "$ct"
out=$(cat "$tmp/memo.out")
t_match "a busy container has a load before the crash" "$out" '^before (0\.0[1-9]|0\.[1-9]|[1-9])'
t_check "which the next server still shows, decaying as it would ($out)" awk '
	$1 == "before" { b = $2 } $1 == "after" { a = $2 } END { exit !(a > 0 && a >= b * 0.8 && a <= b + 0.05) }' "$tmp/memo.out"
t_check "and no stat counter goes backwards" awk '
	$1 == "before" { for (i = 4; i <= NF; i++) b[i] = $i; nb = NF }
	$1 == "after" { if (NF != nb) exit 1; for (i = 4; i <= NF; i++) if ($i < b[i]) exit 1; ok = 1 }
	END { exit !ok }' "$tmp/memo.out"

# ---- a request under way when the server dies: the kernel sends it again (6.9+) ----
# PROCLENSFS_TEST_ABORT=first-read: the mount's first server dies on its first READ,
# before answering it.
if [ "$(printf '%s\n' "$(uname -r | cut -d. -f1-2)" 6.9 | sort -V | head -n 1)" = 6.9 ]; then
	amnt=$tmp/abort
	mkdir -p "$amnt"
	PROCLENSFS_TEST_ABORT=first-read "$PROCLENSFS" --pidfile "$amnt.pid" "$amnt"
	t_defer "t_stop_fs '$amnt'"
	t_wait_mount "$amnt"
	akeeper=$(cat "$amnt.pid")
	first=$(t_fs_server_wait "$akeeper")
	out=$(sh -c "$enter && timeout 10 cat '$amnt/proc/meminfo'"); rc=$?
	t_eq "a read whose server died answering it completes" "$rc" 0
	t_match "with the cgroup's numbers" "$out" "$want_total"
	t_check "from another server" test "$(t_fs_server_wait "$akeeper" "$first")" != ""
	t_stop_fs "$amnt"
else
	t_log "kernel $(uname -r) cannot resend requests (6.9+): the test of one under way skipped"
fi

# ---- SIGTERM to the server alone: replaced, the mount stays ----
kill -TERM "$server"
new=$(t_fs_server_wait "$keeper" "$server")
t_check "a server stopped by SIGTERM is replaced" test -n "$new"
t_match "and the mount serves" "$(read_in_cg)" "$want_total"
server=$new

# ---- SIGHUP: an upgrade, the program now at the path replacing the server ----
cp "$PROCLENSFS" "$tmp/bin/proclensfs.new"
mv "$tmp/bin/proclensfs.new" "$PROCLENSFS"
t_match "after the file is replaced, the server runs a deleted program" "$(readlink "/proc/$server/exe")" '\(deleted\)$'
readers 300 &
loop=$!
sleep 0.1
kill -HUP "$keeper"
wait "$loop"
t_eq "readers during the replacement all read the cgroup's numbers" "$?:$(cat "$tmp/loop.out")" "0:"
new=$(t_fs_server_wait "$keeper" "$server")
t_check "SIGHUP starts a new server" test -n "$new"
t_eq "running the program now on disk" "$(readlink "/proc/$new/exe")" "$PROCLENSFS"
t_eq "with the same inode numbers" "$(stat -c %i "$mnt/proc/meminfo")" "$ino_meminfo"

# ---- a server that cannot start: the keeper retries, slower and slower, and still stops ----
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/broken"
chmod +x "$tmp/bin/broken"
cp "$tmp/bin/broken" "$tmp/bin/proclensfs.new"
mv "$tmp/bin/proclensfs.new" "$PROCLENSFS"
kill -KILL "$new"
sleep 1
t_check "a keeper whose program is broken stays" kill -0 "$keeper"
t_check "and its mount stays" mountpoint -q "$mnt"
cp "$(readlink -f "$BUILD/proclensfs")" "$tmp/bin/proclensfs.new"
mv "$tmp/bin/proclensfs.new" "$PROCLENSFS"
out=$(sh -c "$enter && timeout 30 cat '$mnt/proc/meminfo'" 2>&1)
t_match "the program fixed, a new server answers the readers that waited" "$out" "$want_total"

# ---- SIGTERM to the keeper ends the mount, and every process of it ----
server=$(t_fs_server "$keeper")
kill -TERM "$keeper"
for i in $(seq 100); do kill -0 "$keeper" 2>/dev/null || break; sleep 0.05; done
t_check "SIGTERM to the keeper ends it" sh -c "! kill -0 $keeper 2>/dev/null"
t_check "and its server" sh -c "! kill -0 $server 2>/dev/null"
t_check "and unmounts" sh -c "! mountpoint -q '$mnt'"

t_done
