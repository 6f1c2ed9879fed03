#!/bin/bash
# --rootfs with the busybox image: pivot_root, the views as busybox tools read them, the
# filesystem options (--read-only, --overlay, --volume, --workdir, --env).
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/launcher-testlib.sh"
lt_require_binaries
rootfs=$(lt_busybox_rootfs) || { t_fail "busybox rootfs"; t_done; }

lt_run proclens-test-bb --rootfs "$rootfs" --memory 256M --cpus 1 -- \
	sh -c 'top -bn1 | head -1; grep MemTotal /proc/meminfo; grep -c ^processor /proc/cpuinfo; cut -d. -f1 /proc/uptime; hostname'
t_eq "busybox: exit status" "$LT_RC" 0
# busybox top: "Mem: <used>K used, <free>K free, ..." adds up to the limit.
memk=$(printf '%s\n' "$LT_OUT" | sed -nE 's/^Mem: ([0-9]+)K used, ([0-9]+)K free.*/\1 \2/p' | awk '{print $1 + $2}')
t_eq "busybox top shows 256 MiB" "$memk" 262144
t_match "busybox: MemTotal 256 MiB" "$LT_OUT" 'MemTotal: +262144 kB'
t_eq "busybox: one CPU" "$(printf '%s\n' "$LT_OUT" | sed -n 3p)" 1
t_range "busybox: uptime in seconds since the container started" "$(printf '%s\n' "$LT_OUT" | sed -n 4p)" 0 5
t_eq "busybox: hostname" "$(printf '%s\n' "$LT_OUT" | sed -n 5p)" proclens-test-bb
lt_assert_clean proclens-test-bb

# busybox free and uptime ask sysinfo(2), answered for the container too.
lt_run proclens-test-bbfree --rootfs "$rootfs" --memory 256M -- sh -c 'free -m; uptime'
t_eq "busybox free -m shows 256 MiB" "$(printf '%s\n' "$LT_OUT" | awk '/^Mem:/ {print $2}')" 256
t_match "busybox uptime counts from the container's start" "$LT_OUT" 'up 0 min'
lt_assert_clean proclens-test-bbfree

# The root really switched: the host's files are gone, the old root is not reachable.
lt_run proclens-test-pivot --rootfs "$rootfs" -- sh -c 'test -e /etc/debian_version && echo host; ls /bin/busybox; cut -d" " -f5 /proc/self/mountinfo | grep -cx /; cat /proc/self/mountinfo'
t_eq "pivot_root: the host's /etc is not visible" "$(printf '%s\n' "$LT_OUT" | grep -c '^host$')" 0
t_eq "pivot_root: one root mount, the old one detached" "$(printf '%s\n' "$LT_OUT" | sed -n 2p)" 1
t_match "pivot_root: /proc, /sys read-only and /dev mounted" "$LT_OUT" ' /sys ro,'
t_check "pivot_root: the host's rootfs dir is still there, unmounted" sh -c "! grep -q ' $rootfs ' /proc/self/mountinfo"

# A minimal /dev.
lt_run proclens-test-dev --rootfs "$rootfs" -- sh -c 'ls /dev | tr "\n" " "; echo; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo nullok; echo x > /dev/full || echo fullerr'
t_match "/dev has the nodes other runtimes provide" "$LT_OUT" '^fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero $'
t_match "/dev/zero, /dev/null, /dev/full work" "$(echo $LT_OUT)" '4 nullok fullerr$'

# An unknown command inside the image.
lt_run proclens-test-bb127 --rootfs "$rootfs" -- free-please
t_eq "busybox: unknown command exits 127" "$LT_RC" 127
t_match "busybox: unknown command message" "$LT_ERR" "^proclens: cannot execute 'free-please': No such file or directory$"
lt_assert_clean proclens-test-bb127

# --read-only
lt_run proclens-test-ro --rootfs "$rootfs" --read-only -- sh -c 'touch /newfile 2>&1; echo rc=$?; touch /dev/shm/x && echo shm-writable'
t_match "--read-only: the root refuses writes" "$LT_OUT" 'Read-only file system'
t_match "--read-only: /dev/shm stays writable" "$LT_OUT" 'shm-writable'
t_check "--read-only: nothing written to the image" test ! -e "$rootfs/newfile"

# Without --read-only and without --overlay, writes go to the rootfs directory.
lt_run proclens-test-rw --rootfs "$rootfs" -- touch /written-by-container
t_check "rootfs is writable by default" test -e "$rootfs/written-by-container"
rm -f "$rootfs/written-by-container"

# --overlay: changes thrown away...
lt_run proclens-test-ovl1 --rootfs "$rootfs" --overlay -- sh -c 'echo hi > /etc/ovl; rm /bin/ls; cat /etc/ovl'
t_eq "--overlay: the container sees its writes" "$LT_OUT" hi
t_check "--overlay: the image is untouched (new file)" test ! -e "$rootfs/etc/ovl"
t_check "--overlay: the image is untouched (deleted file)" test -L "$rootfs/bin/ls"
# ... or kept in a directory of the user's choice.
odir=$(t_mktemp_dir)/changes
lt_run proclens-test-ovl2 --rootfs "$rootfs" --overlay="$odir" -- sh -c 'echo kept > /root/note'
t_eq "--overlay=DIR: changes land in DIR/upper" "$(cat "$odir/upper/root/note" 2>/dev/null)" kept
t_check "--overlay=DIR: the image is untouched" test ! -e "$rootfs/root/note"
lt_run proclens-test-ovl3 --rootfs "$rootfs" --overlay="$odir" -- cat /root/note
t_eq "--overlay=DIR: a second run sees the first one's changes" "$LT_OUT" kept
lt_assert_clean proclens-test-ovl3

# --volume, --workdir, --env
vol=$(t_mktemp_dir)
echo from-host >"$vol/in"
lt_run proclens-test-vol --rootfs "$rootfs" -v "$vol:/data" -v "$vol:/ro:ro" --workdir /data \
	-e GREETING=hello -- sh -c 'pwd; cat in; echo out > /data/out; echo x > /ro/x 2>/dev/null || echo ro-refused; echo $GREETING; echo $HOME'
t_eq "--volume, --workdir, --env" "$(echo $LT_OUT)" "/data from-host ro-refused hello /root"
t_eq "--volume: writes reach the host" "$(cat "$vol/out" 2>/dev/null)" out
t_check "--volume: the mount point was created in the image" test -d "$rootfs/data"
lt_run proclens-test-vol2 --rootfs "$rootfs" -v /nonexistent:/x -- true
t_eq "--volume with a missing source fails" "$LT_RC" 125
t_match "--volume error message" "$LT_ERR" '^proclens: --volume /nonexistent: No such file or directory$'
lt_assert_clean proclens-test-vol2
# Mount points: made however deep in an image, in the container's own /dev, never on the
# host's root (they would stay behind there), never new names in /proc or /sys.
lt_run proclens-test-vol3 --rootfs "$rootfs" -v "$vol:/deep/er/still" -v "$vol:/dev/vol" -- \
	sh -c 'cat /deep/er/still/in /dev/vol/in'
t_eq "--volume: a deep mount point in the image, one in /dev" "$(echo $LT_OUT)" "from-host from-host"
t_check "--volume: nothing made in the host's /dev" test ! -e /dev/vol
lt_run proclens-test-vol4 -v "$vol:$vol/new/sub" -- true
t_eq "--volume: a missing mount point on the host's root is refused" "$LT_RC" 125
t_match "--volume: ... with a message" "$LT_ERR" "^proclens: --volume $vol:$vol/new/sub: $vol/new/sub does not exist, and without --rootfs"
t_check "--volume: ... and nothing made on the host" test ! -e "$vol/new"
lt_run proclens-test-vol5 --rootfs "$rootfs" -v "$vol:/proc/proclens-new" -- true
t_eq "--volume: a new name in /proc is refused" "$LT_RC" 125
t_check "--volume: ... and nothing made in the image" test ! -e "$rootfs/proc/proclens-new"
# The ban on / and /proc as DST holds through a symlink in the image.
ln -s /proc "$rootfs/proclens-myproc" && ln -s / "$rootfs/proclens-myroot"
t_defer "rm -f '$rootfs/proclens-myproc' '$rootfs/proclens-myroot'"
lt_run proclens-test-vol6 --rootfs "$rootfs" -v "$vol:/proclens-myproc" -- true
t_match "--volume: DST a symlink to /proc is refused" "$LT_RC $LT_ERR" "^125 proclens: .*is the container's /proc"
lt_run proclens-test-vol7 --rootfs "$rootfs" -v "$vol:/proclens-myroot" -- true
t_match "--volume: DST a symlink to / is refused" "$LT_RC $LT_ERR" "^125 proclens: .*is the container's /"
# --read-only keeps a volume without :ro writable, also on the host's root.
rodir=$(t_mktemp_dir)
lt_run proclens-test-vol8 --read-only -v "$vol:$vol" -v "$vol:$rodir:ro" -- \
	sh -c "echo w > '$vol/rw' && echo rw-ok; echo x > '$rodir/x' 2>/dev/null || echo ro-refused; echo y > /etc/proclens-test 2>/dev/null || echo root-ro"
t_eq "--read-only: volumes keep their own modes" "$(echo $LT_OUT)" "rw-ok ro-refused root-ro"
for n in vol3 vol4 vol5 vol6 vol7 vol8; do lt_assert_clean proclens-test-$n; done


# Device nodes: no device cgroup confines the container, so no node reaches a device unless
# it is one of the container's own /dev: the root filesystem (an image's, or the host's root)
# and volumes are nodev, and making a node needs CAP_MKNOD, which is not in the default set.
devtmp=$(t_mktemp_dir)
mkdir "$devtmp/vol"
mknod "$rootfs/proclens-test-zero" c 1 5 && mknod "$devtmp/zero" c 1 5 && mknod "$devtmp/vol/zero" c 1 5 ||
	t_fail "cannot make test device nodes"
t_defer "rm -f '$rootfs/proclens-test-zero'"
probe='for f in "$@"; do if head -c 4 "$f" >/dev/null 2>&1; then echo "$f opens"; else echo "$f refused"; fi; done
	mknod /dev/made c 1 5 2>/dev/null && head -c 4 /dev/made >/dev/null 2>&1 && echo "mknod works" || echo "mknod refused"'
lt_run proclens-test-nodev --rootfs "$rootfs" --volume "$devtmp/vol:/vol" --volume "$devtmp/vol:/rovol:ro" -- \
	sh -c "$probe" sh /dev/zero /proclens-test-zero /vol/zero /rovol/zero
t_eq "busybox rootfs: /dev/zero opens; nodes of the rootfs and of volumes do not; no mknod" "$(echo $LT_OUT)" \
	"/dev/zero opens /proclens-test-zero refused /vol/zero refused /rovol/zero refused mknod refused"
lt_assert_clean proclens-test-nodev
lt_run proclens-test-nodev-host -- sh -c "$probe" sh /dev/null "$devtmp/zero"
t_eq "host root: a node on the host's filesystems does not open" "$(echo $LT_OUT)" \
	"/dev/null opens $devtmp/zero refused mknod refused"
lt_assert_clean proclens-test-nodev-host
lt_run proclens-test-mknod --rootfs "$rootfs" --cap-add MKNOD -- sh -c "$probe" sh /proclens-test-zero
t_eq "--cap-add MKNOD: nodes made in the container's /dev open (the rootfs stays nodev)" "$(echo $LT_OUT)" \
	"/proclens-test-zero refused mknod works"
lt_assert_clean proclens-test-mknod

t_done
