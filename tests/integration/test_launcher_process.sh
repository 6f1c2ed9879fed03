#!/bin/bash
# Signals reach the command and its status comes back; --init reaps and forwards; -t gives
# a terminal; the security setup (capabilities, no_new_privs, closed fds, masked /proc);
# --userns.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/launcher-testlib.sh"
lt_require_binaries

# start_bg NAME ARGS...: proclens run in the background; waits until its cgroup exists.
start_bg() {
	local name=$1
	shift
	"$PROCLENS" run --name "$name" "$@" >"$tmp/out" 2>"$tmp/err" &
	bg_pid=$!
	lt_wait_path "$(lt_cgroup_dir "$name" pids)"
	sleep 0.3
}
tmp=$(t_mktemp_dir)

# Each forwarded signal reaches a command that handles it (as pid 1, as other runtimes).
for sig in TERM INT HUP QUIT USR1 USR2; do
	start_bg proclens-test-sig-$sig -- sh -c "trap 'echo got-$sig; exit 42' $sig; sleep 4444 & wait"
	kill -s $sig "$bg_pid"
	wait "$bg_pid"
	rc=$?
	t_eq "SIG$sig is forwarded and the exit status comes back" "$rc/$(cat "$tmp/out")" "42/got-$sig"
	lt_assert_clean proclens-test-sig-$sig '^sleep 4444$'
done

# Signals the caller ignores (nohup, a shell's background job, a daemon ignoring SIGPIPE) are
# not ignored inside: exec would keep SIG_IGN, and a shell cannot trap what it was started
# with ignored. 32 and 33 too, which glibc keeps to itself.
out=$("$BUILD/tests/helpers/ignoring" 1,2,13,15,17,28,31,32,33,34,64 "$PROCLENS" run \
	--name proclens-test-sigign --no-view -- sh -c 'grep SigIgn /proc/self/status')
t_eq "signals the caller ignores are not ignored inside" "$out" "$(printf 'SigIgn:\t0000000000000000')"
lt_assert_clean proclens-test-sigign

# --init: a plain command (no handler) dies of the signal; 128+N comes back.
start_bg proclens-test-init --init -- sleep 4445
kill -TERM "$bg_pid"
wait "$bg_pid"
t_eq "--init: SIGTERM kills the command, exit 143" "$?" 143
lt_assert_clean proclens-test-init '^sleep 4445$'

# --init reaps orphans: a grandchild whose parent exits is reparented to pid 1.
lt_run proclens-test-reap --init -- sh -c 'sh -c "sleep 0.2 & exit 0"; sleep 0.6; ps -o pid,stat,comm | grep -c " Z" ; ps -o comm= -p 1'
t_eq "--init: no zombies, pid 1 is proclens's init" "$(echo $LT_OUT)" "0 proclens"

# --init keeps nothing of proclens's open (the host's cgroup hierarchies, our lock file, the
# caller's descriptors: each a way out of the rootfs) and is closed to the container's
# processes (/proc/1/root, /proc/1/fd), though they run as its uid.
exec 9</
lt_run proclens-test-initfds --init -- sh -c 'ls /proc/1/fd | wc -l; ls /proc/1/root >/dev/null 2>&1 && echo root-open || echo root-closed'
exec 9<&-
t_eq "--init: pid 1 holds stdio and its signalfd only, and /proc/1/root is closed" "$(echo $LT_OUT)" "4 root-closed"

# The container has a session of its own: the caller's terminal is not its controlling one,
# so it cannot push input into it (TIOCSTI) for the caller's shell to run afterwards.
if command -v script >/dev/null; then
	out=$(script -qec "$PROCLENS run --name proclens-test-sti --no-view -- $BUILD/tests/helpers/tiocsti" /dev/null </dev/null | tr -d '\r')
	t_match "no TIOCSTI into the caller's terminal" "$out" '^refused'
	lt_assert_clean proclens-test-sti
fi

# No user namespace inside (its root would hold every capability over the container's own
# files: on v1 it could mount its cgroups and raise its limits); 32-bit and clone3 paths too.
lt_run proclens-test-nouserns --memory 64M --rootfs "$(lt_busybox_rootfs)" -- sh -c '
	unshare -U true 2>/dev/null && echo userns-made || echo userns-refused
	unshare -Urm sh -c "mkdir -p /tmp/cg && mount -t cgroup -o memory none /tmp/cg && echo 2147483648 >/tmp/cg/memory.limit_in_bytes" 2>/dev/null && echo raised || echo kept'
t_eq "no user namespace in the container, its limits kept" "$(echo $LT_OUT)" "userns-refused kept"
lt_run proclens-test-userns-admin --cap-add SYS_ADMIN -- unshare -U true
t_eq "--cap-add SYS_ADMIN allows user namespaces" "$LT_RC" 0

# Without --init the command is pid 1.
lt_run proclens-test-pid1 -- sh -c 'echo $$'
t_eq "the command is pid 1 in its own pid namespace" "$LT_OUT" 1
lt_run proclens-test-sharepid --pid=host -- sh -c 'echo $$'
t_check "--pid=host keeps the host's pid namespace" test "$LT_OUT" -gt 1

# -t: a terminal inside, even when ours is not one.
lt_run proclens-test-tty -t -- sh -c 'test -t 0 && test -t 1 && echo tty-yes; tty; stty size' </dev/null
t_match "-t: stdin and stdout are a terminal" "$LT_OUT" 'tty-yes'
t_match "-t: the terminal is a pts" "$LT_OUT" '/dev/(pts/[0-9]+|console)'
lt_run proclens-test-top-t -t --memory 128M -- top -bn1 </dev/null
t_match "-t: top runs and sees the view" "$LT_OUT" 'MiB Mem : +128\.0 total'
lt_assert_clean proclens-test-top-t

# Capabilities: the default set (0xa00425fb: the OCI one without MKNOD), adds, drops; no_new_privs.
lt_run proclens-test-caps -- sh -c 'grep -E "^(CapEff|CapBnd|CapInh|CapAmb|NoNewPrivs)" /proc/self/status'
t_match "default capabilities (effective)" "$LT_OUT" 'CapEff:	00000000a00425fb'
t_match "default capabilities (bounding)" "$LT_OUT" 'CapBnd:	00000000a00425fb'
t_match "no ambient capabilities" "$LT_OUT" 'CapAmb:	0000000000000000'
t_match "no_new_privs" "$LT_OUT" 'NoNewPrivs:	1'
lt_run proclens-test-capadd --cap-add NET_ADMIN --cap-drop chown,kill -- grep CapEff /proc/self/status
t_match "--cap-add NET_ADMIN --cap-drop chown,kill" "$LT_OUT" 'CapEff:	00000000a00435da'
lt_run proclens-test-capall --cap-drop ALL -- grep CapEff /proc/self/status
t_match "--cap-drop ALL" "$LT_OUT" 'CapEff:	0000000000000000'
lt_run proclens-test-capbad --cap-add CAP_FLY -- true
t_eq "unknown capability refused" "$LT_RC/$LT_ERR" "125/proclens run: --cap-add 'CAP_FLY': unknown capability"
lt_run proclens-test-mount -- mount -t tmpfs none /mnt
t_check "without CAP_SYS_ADMIN mount fails" test "$LT_RC" -ne 0

# Every inherited fd is closed.
exec 7</dev/null 8>/dev/null
lt_run proclens-test-fds -- ls /proc/self/fd
exec 7<&- 8>&-
t_eq "only stdio (and ls's own dir fd) inside" "$(echo $LT_OUT)" "0 1 2 3"

# Masked and read-only /proc paths; read-only /sys; loopback up.
lt_run proclens-test-mask -- sh -c 'wc -c </proc/keys; wc -c < /proc/timer_list; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || echo sys-ro; echo x > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro; touch /sys/x 2>/dev/null || echo sysfs-ro; ip -o link show lo | grep -c "UP"'
t_eq "masked /proc paths, read-only /proc/sys and /sys, lo up" "$(echo $LT_OUT)" "0 0 sys-ro sysrq-ro sysfs-ro 1"
lt_run proclens-test-net -- sh -c 'ip -o link | wc -l'
t_eq "a new network namespace has only lo" "$LT_OUT" 1
lt_run proclens-test-hostnet --net=host -- sh -c 'ip -o link | wc -l'
t_check "--net=host sees the host's links" test "$LT_OUT" -eq "$(ip -o link | wc -l)"
# --userns --net=host cannot mount a sysfs of its own and gets the host's /sys read-only,
# but not the host's cgroup tree (every other container's limits and usage).
lt_run proclens-test-usernet --userns --net=host -- sh -c 'ls -A /sys/fs/cgroup | wc -l; test -d /sys/class/net && echo sys-ok'
t_eq "--userns --net=host: the host's /sys without its cgroups" "$(echo $LT_OUT)" "0 sys-ok"
lt_assert_clean proclens-test-usernet

# --userns: root inside is an unprivileged id outside.
lt_run proclens-test-userns --userns -- sh -c 'id -u; cat /proc/self/uid_map; free -m | awk "/^Mem:/ {print \$2}"; sleep 0.1' --memory 64M
t_match "--userns: root inside" "$LT_OUT" '^0$'
t_match "--userns: mapped to 100000 outside" "$LT_OUT" '0 +100000 +65536'
lt_run proclens-test-userns2 --userns=200000 --memory 64M -- sh -c 'free -m | awk "/^Mem:/ {print \$2}"; sleep 30 & ps -o user= -p $! ; cat /proc/self/uid_map'
t_match "--userns=ID: the views work" "$LT_OUT" '^64$'
t_match "--userns=ID: the map" "$LT_OUT" '0 +200000 +65536'
# --userns /dev: the host's nodes, borrowed (a user namespace may not mknod), really are
# those devices, with the host's root as the container's too; and with -t, /dev/console
# opens by name (the terminal belongs to the namespace's root).
devcheck='printf "%s " $(head -c 4 /dev/zero | wc -c); echo x >/dev/null && printf "%s " $(wc -c </dev/null)
	test -c /dev/null && test -c /dev/urandom && echo char-devices'
userns_rootfs=$(lt_busybox_rootfs) && chmod 755 "${userns_rootfs%/rootfs}" # reachable by host uid 100000
for rootfs_args in "" "--rootfs $userns_rootfs"; do
	where=${rootfs_args:+busybox rootfs}
	# shellcheck disable=SC2086
	lt_run proclens-test-userns-dev --userns $rootfs_args -- sh -c "$devcheck"
	t_eq "--userns ${where:-host root}: /dev/zero gives bytes, /dev/null swallows them" "$(echo $LT_OUT)" "4 0 char-devices"
	lt_assert_clean proclens-test-userns-dev
	# shellcheck disable=SC2086
	lt_run proclens-test-userns-tty --userns -t $rootfs_args -- sh -c 'echo console-opens >/dev/console' </dev/null
	t_match "--userns -t ${where:-host root}: /dev/console opens by name" "$LT_OUT" 'console-opens'
	lt_assert_clean proclens-test-userns-tty
done
lt_run proclens-test-tty-console -t -- sh -c 'echo console-opens >/dev/console' </dev/null
t_match "-t, host root: /dev/console opens by name (its bind is not nodev)" "$LT_OUT" 'console-opens'
lt_assert_clean proclens-test-tty-console

"$PROCLENS" run --name proclens-test-userns3 --userns -- sleep 4446 &
bg_pid=$!
sleep 0.5
t_eq "--userns: the command runs as host uid 100000" "$(ps -o uid= -C sleep | tr -d ' ' | sort -u | grep -x 100000)" 100000
{ kill -KILL "$bg_pid"; wait "$bg_pid"; } 2>/dev/null
sleep 0.3
t_check "--userns: SIGKILL of proclens kills the container" sh -c "! pgrep -x -f \"sleep 4446\""
lt_sweep_after_sigkill proclens-test-userns3

# Ctrl-C always ends a container. The command as pid 1 with no handler: the kernel drops
# SIGINT/SIGTERM for a namespace's init, so run kills it and reports the signal (130/143).
start_bg proclens-test-int1 -- sleep 4447
t0=${EPOCHREALTIME/./}
kill -INT "$bg_pid"
wait "$bg_pid"
rc=$?
t_eq "SIGINT to a pid 1 without a handler ends it, exit 130" "$rc" 130
t_range "... at once (ms)" $(((${EPOCHREALTIME/./} - t0) / 1000)) 0 1500
lt_assert_clean proclens-test-int1 '^sleep 4447$'
start_bg proclens-test-term1 -- sleep 4448
kill -TERM "$bg_pid"
wait "$bg_pid"
t_eq "SIGTERM to a pid 1 without a handler ends it, exit 143" "$?" 143
lt_assert_clean proclens-test-term1 '^sleep 4448$'
# A command that handles SIGINT and goes on: the first is delivered, the second kills.
start_bg proclens-test-int2 -- sh -c 'trap "echo got-int" INT; while :; do sleep 0.1; done'
kill -INT "$bg_pid"
sleep 0.5
t_check "the first SIGINT reaches a handler and the container goes on" kill -0 "$bg_pid"
kill -INT "$bg_pid"
wait "$bg_pid"
t_eq "a second SIGINT kills the container: exit 137" "$?/$(cat "$tmp/out")" "137/got-int"
t_match "... and says so" "$(cat "$tmp/err")" '^proclens: interrupted again: killing the container$'
lt_assert_clean proclens-test-int2
# SIGTERM then SIGINT count together; with --init (which blocks and forwards) too.
start_bg proclens-test-int3 --init -- sh -c 'trap "" INT TERM; while :; do sleep 0.1; done'
kill -TERM "$bg_pid"
sleep 0.3
t_check "--init: the first SIGTERM, ignored by the command, leaves it running" kill -0 "$bg_pid"
kill -INT "$bg_pid"
wait "$bg_pid"
t_eq "--init: a SIGINT after a SIGTERM kills the container: exit 137" "$?" 137
lt_assert_clean proclens-test-int3

t_done
