#!/bin/bash
# proclensfs against hostile readers: a container that makes pid namespaces by the hundred
# (any root in a container can, and anyone with user namespaces: unshare -Urp) must not take
# the daemon's descriptors from every other container; nothing is written through the mount;
# directory offsets, names and paths of every kind, storms of opens, readers killed while
# reading, io_uring (its io-wq workers are the readers FUSE names), O_DIRECT, O_NONBLOCK and
# mmap neither crash the daemon, nor grow it for good, nor show one container another's
# numbers or the host's.
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
# Up to 3 minutes: a loaded machine (CI beside other jobs) took more than one for 400.
for ((i = 0; i < 1800; i++)); do
	[ "$(wc -l <"$marks")" -ge $NAMESPACES ] && break
	sleep 0.1
done
t_eq "all $NAMESPACES namespaces read (read, failed, not yet)" \
	"$(grep -c ok "$marks") $(grep -c err "$marks") $((NAMESPACES - $(wc -l <"$marks")))" "$NAMESPACES 0 0"
fds=$(ls "/proc/$server/fd" | wc -l)
t_range "the server's descriptors stay below its limit" "$fds" 1 $((NOFILE - 10))
out=$(t_in_container "$mnt" "$victim" 'grep MemTotal /proc/meminfo; cat /sys/devices/system/cpu/online')
t_match "another container is still served its own numbers" "$out" '^MemTotal: +131072 kB$'
t_check "the daemon's server still runs" kill -0 "$server"
{ kill -KILL $(ps -o pid= --ppid $attack) $attack; wait $attack; } 2>/dev/null

# A daemon of its own for what follows: the measurements of its memory and descriptors
# start from a clean slate (the first one's hold the attacker's 400 namespaces a while).
mnt=$tmp/mnt2
t_start_fs "$mnt" || { t_fail "the second proclensfs does not start"; t_done; }
server=$(t_fs_server_wait "$(cat "$mnt.pid")")

py=$tmp/py
mkdir -p "$py"
# A container on one CPU, the last: host cpuN is its cpu0, and the host's others must not be
# served (with one CPU on the machine, nothing is hidden).
last_cpu=$(sed 's/.*[,-]//' /sys/devices/system/cpu/online)
t_cg_make proclens-test-hostile-c-$$ $((256 * MiB)) "" "" "$last_cpu" || { t_fail "cannot make test cgroup"; t_done; }
onecpu=$T_CG
cpudir=$mnt/sys/devices/system/cpu

# server_mem: "RSS_KB FDS" of the daemon's server.
server_mem() {
	echo "$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status") $(ls "/proc/$server/fd" | wc -l)"
}

# ---- readdir, seekdir, telldir: getdents64 by hand ----
cat >"$py/dirgames.py" <<'PY'
import ctypes, errno, os, struct, sys, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def getdents(fd, size):
    buf = ctypes.create_string_buffer(size)
    n = libc.syscall(217, fd, buf, size)  # SYS_getdents64
    if n < 0:
        return -ctypes.get_errno(), []
    out, i, raw = [], 0, buf.raw[:n]
    while i < n:
        ino, off, reclen, typ = struct.unpack_from('<QqHB', raw, i)
        out.append((raw[i + 19:i + reclen].split(b'\0', 1)[0].decode('utf-8', 'replace'), off, reclen))
        i += reclen
    return n, out
def listall(fd, size=32768):
    res = []
    while True:
        n, ents = getdents(fd, size)
        if n <= 0:
            return n, res
        res += ents
bad = []
for d in sys.argv[1:]:
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    n, ref = listall(fd)
    names = [e[0] for e in ref]
    if n < 0 or len(set(names)) != len(names) or names[:2] != ['.', '..']:
        bad.append('%s: listing %d %s' % (d, n, names))
    # buffers too small for the first entry: EINVAL, as everywhere
    for size in (1, 10, 19):
        os.lseek(fd, 0, os.SEEK_SET)
        n, _ = getdents(fd, size)
        if n != -errno.EINVAL:
            bad.append('%s: %d-byte buffer gave %d' % (d, size, n))
    # buffers of one or a few entries: the same listing
    for size in (max(e[2] for e in ref), 100, 280):
        os.lseek(fd, 0, os.SEEK_SET)
        n, ents = listall(fd, size)
        if n != 0 or [e[0] for e in ents] != names:
            bad.append('%s: %d-byte buffers gave %d %s' % (d, size, n, [e[0] for e in ents]))
    # every offset handed out resumes after its entry (telldir, seekdir)
    for i, (name, off, _) in enumerate(ref):
        os.lseek(fd, off, os.SEEK_SET)
        n, ents = listall(fd)
        if [e[0] for e in ents] != names[i + 1:]:
            bad.append('%s: resumed after %s at %d: %s' % (d, name, off, [e[0] for e in ents]))
    # offsets never handed out: past the end nothing, negative refused
    for off in (len(ref) + 5, 1000, 2**31, 2**32 + 1, 2**62, 2**63 - 1):
        os.lseek(fd, off, os.SEEK_SET)
        n, ents = listall(fd)
        if n != 0 or ents:
            bad.append('%s: offset %d gave %d %s' % (d, off, n, ents))
    for off in (-1, -2**63):
        try:
            os.lseek(fd, off, os.SEEK_SET)
            bad.append('%s: lseek to %d accepted' % (d, off))
        except OSError as e:
            if e.errno != errno.EINVAL:
                bad.append('%s: lseek to %d: %s' % (d, off, e))
    # at the end, again at the end, then rewound: the same listing
    os.lseek(fd, 0, os.SEEK_SET)
    listall(fd)
    if getdents(fd, 32768)[0] != 0 or getdents(fd, 32768)[0] != 0:
        bad.append('%s: reads after the end' % d)
    os.lseek(fd, 0, os.SEEK_SET)
    if [e[0] for e in listall(fd)[1]] != names:
        bad.append('%s: rewound listing differs' % d)
    # eight threads on one descriptor, rewinding at the end
    seen, errs = [], []
    def worker():
        for _ in range(300):
            n, ents = getdents(fd, 128)
            if n < 0:
                errs.append(n)
                return
            seen.extend(e[0] for e in ents)
            if n == 0:
                os.lseek(fd, 0, os.SEEK_SET)
    os.lseek(fd, 0, os.SEEK_SET)
    ts = [threading.Thread(target=worker) for _ in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    if errs or set(seen) - set(names):
        bad.append('%s: concurrent readers: errors %s, names %s' % (d, errs, set(seen) - set(names)))
    os.close(fd)
    print('listed %s: %s' % (os.path.relpath(d, sys.argv[1]), ' '.join(names)))
for b in bad:
    print('BAD ' + b)
PY
out=$(t_in_container "$mnt" "$onecpu" "python3 '$py/dirgames.py' '$mnt' '$mnt/proc' '$cpudir' '$cpudir/cpu0' '$cpudir/cpu0/cache' 2>&1")
t_eq "readdir: tiny buffers, resumed, garbage, huge and negative offsets, rewinds, 8 threads on one fd" \
	"$(printf '%s\n' "$out" | grep -c '^listed ')/$(printf '%s\n' "$out" | grep '^BAD\|Error' | head -5)" "5/"
t_match "readdir: the container on one CPU lists one cpuN, cpu0" \
	"$(printf '%s\n' "$out" | awk '$2 == "sys/devices/system/cpu:" {for (i = 3; i <= NF; i++) if ($i ~ /^cpu[0-9]+$/) printf "%s ", $i}')" '^cpu0 $'

# ---- names and paths in the sys mirror ----
cat >"$py/names.py" <<'PY'
import errno, os, sys
cpudir, hidden = sys.argv[1], sys.argv[2:]
served = []
names = ['...', '.hidden', 'cpu99999', 'cpu999999', 'cpu4294967296', 'cpu00', 'cpu01', 'cpu-1', 'cpu 0',
         'cpu0x', 'cpu0\n', 'cpu\x01', 'a' * 255, 'a' * 256, 'a' * 1024, 'a' * 1025, 'a' * 4000,
         'cpu' + '0' * 250 + '1', 'cpu0/' + 'b' * 4000, 'cpu0/../' + 'cpu99999', 'cpu0/topology/../../cpu99999']
names += hidden + ['cpu0/../' + h for h in hidden] + ['cpu0/topology/../../' + h for h in hidden]
for n in names:
    p = os.path.join(cpudir, n)
    for how, fn in (('stat', os.stat), ('lstat', os.lstat), ('readlink', os.readlink),
                    ('open', lambda q: os.close(os.open(q, os.O_RDONLY))),
                    ('opendir', lambda q: os.close(os.open(q, os.O_RDONLY | os.O_DIRECTORY)))):
        try:
            fn(p)
            served.append('%s %r' % (how, n[:40]))
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ENAMETOOLONG, errno.ENOTDIR, errno.EINVAL):
                served.append('%s %r: %s' % (how, n[:40], e.strerror))
# what is there: a symlink reads as the host's, anything else is no symlink
for n, want in (('cpu0', None), ('online', None), ('cpu0/topology/core_cpus_list', None)):
    try:
        os.readlink(os.path.join(cpudir, n))
        served.append('readlink of %s worked' % n)
    except OSError as e:
        if e.errno != errno.EINVAL:
            served.append('readlink %s: %s' % (n, e.strerror))
print('\n'.join(served) if served else 'nothing served')
PY
hidden=$(for c in $(seq 0 $((last_cpu - 1))); do printf 'cpu%s ' $((c + 1)); done)
out=$(t_in_container "$mnt" "$onecpu" "python3 '$py/names.py' '$cpudir' $hidden 2>&1")
t_eq "sys mirror: no stat, lstat, readlink, open of .., odd, long, out-of-range names or hidden CPUs${hidden:+ ($hidden)}" "$out" "nothing served"
out=$(t_in_container "$mnt" "$onecpu" "cd '$cpudir' && for f in online possible present enabled offline; do [ -e \$f ] && printf '%s=%s ' \$f \"\$(cat \$f 2>&1)\"; done; echo; cat cpu0/topology/thread_siblings_list; readlink cpu0/subsystem; cd cpu0/.. && ls -d cpu*[0-9]")
t_match "sys mirror: enabled (Linux 6.10) is renumbered like online, possible and present" "$out" \
	'^online=0 possible=0 present=0 (enabled=0 )?offline= $'
t_match "sys mirror: topology lists renumbered, symlinks read as the host's, .. of cpu0 is the mirror" \
	"$(printf '%s\n' "$out" | sed 1d | tr '\n' ' ')" '^0 (\.\./)+bus/cpu cpu0 $'

# ---- open and close storms ----
cat >"$py/storm.py" <<'PY'
import os, resource, sys, threading, time
mnt, mark, hold_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
files = [mnt + '/proc/' + f for f in ('meminfo', 'stat', 'cpuinfo', 'uptime', 'loadavg', 'swaps', 'diskstats')]
files += [mnt + '/sys/devices/system/cpu/online', mnt + '/sys/devices/system/cpu/cpu0/topology/core_cpus_list']
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
errs = []
def opener(n):
    for i in range(n):
        try:
            os.close(os.open(files[i % len(files)], os.O_RDONLY))
        except OSError as e:
            errs.append(e.errno)
            if len(errs) == 1:
                print('open failed:', e, flush=True)
ts = [threading.Thread(target=opener, args=(500,)) for _ in range(16)]
[t.start() for t in ts]
[t.join() for t in ts]
held = []
for i in range(6000):
    try:
        held.append(os.open(files[i % len(files)], os.O_RDONLY))
    except OSError as e:
        errs.append(e.errno)
        print('open failed:', e, flush=True)
        break
    if i % 100 == 0:
        time.sleep(0.011)  # renders older than --cache-ms: new ones, held by the files opened after
open(mark, 'w').close()
time.sleep(hold_s)
pids = []
for k in range(20):  # children share the descriptors; half close them all
    p = os.fork()
    if p == 0:
        os.pread(held[k], 100, 0)
        if k % 2:
            [os.close(f) for f in held]
        os._exit(0)
    pids.append(p)
for p in pids:
    os.waitpid(p, 0)
[os.close(f) for f in held]
print('held %d, errors %d' % (len(held), len(errs)))
PY
cat "$mnt/proc/meminfo" "$cpudir/online" >/dev/null
read -r rss0 fds0 < <(server_mem)
storm() {
	rm -f "$tmp/held"
	t_in_container "$mnt" "$onecpu" "python3 '$py/storm.py' '$mnt' '$tmp/held' 2 2>&1" >"$tmp/storm.out" &
	local job=$! i
	for ((i = 0; i < 300; i++)); do
		[ -e "$tmp/held" ] && break
		sleep 0.1
	done
	read -r rss_held fds_held < <(server_mem)
	wait $job
}
# settle BOUND: wait (up to 40 s: the kernel sends the RELEASE of 6000 files in the
# background, slowly in the v2 VM) for the server's RSS to come down to BOUND kB; the
# sampler gives free pages back every 5 s once enough files were released.
settle() {
	local i
	for ((i = 0; i < 80; i++)); do
		sleep 0.5
		read -r rss_after fds_after < <(server_mem)
		[ "$rss_after" -le "$1" ] && [ "$i" -ge 2 ] && break
	done
}
storm
t_eq "storm: 16 threads open and close 8000 files, 6000 held, 20 forks close them" "$(cat "$tmp/storm.out")" "held 6000, errors 0"
t_range "storm: the server's descriptors do not follow the open files (held: $fds_held)" "$fds_held" 1 $((fds0 + 140))
# Most of what the storm took comes back (it stayed for good before: 2.2 MB, 3.7 held, 3.7
# after).
back=$((rss0 + (rss_held - rss0) / 2))
settle $back
t_range "storm: the server's RSS returns from $rss_held kB held to at most half way to $rss0 kB" "$rss_after" 1 $back
rss1=$rss_after
# Each storm is a new container (pid namespace), remembered a while with its memo and its
# readers' pidfds (at most 128 of those): a little more each time, never the files' worth.
storm
settle $((rss1 + 512))
t_range "storm again: no more than its container's worth kept (RSS $rss_after kB after, $rss1 before)" "$rss_after" 1 $((rss1 + 512))
t_range "storm again: descriptors back to at most the readers' slots above $fds0" "$fds_after" 1 $((fds0 + 140))
t_eq "storm: the server never restarted" "$(t_fs_server "$(cat "$mnt.pid")")" "$server"


# ---- readers killed while reading ----
cat >"$py/killstorm.py" <<'PY'
import os, random, signal, sys, threading, time
mnt, rounds = sys.argv[1], int(sys.argv[2])
files = [mnt + '/proc/' + f for f in ('meminfo', 'stat', 'cpuinfo', 'uptime', 'loadavg', 'diskstats')]
files += [mnt + '/sys/devices/system/cpu/online', mnt + '/sys/devices/system/cpu/cpu0/topology/core_cpus_list']
def reader():
    signal.signal(signal.SIGUSR1, lambda *a: None)  # a signal mid-read: FUSE_INTERRUPT
    def loop(k):
        fds = [os.open(f, os.O_RDONLY) for f in files]
        for i in range(100000):
            for fd in fds:
                os.pread(fd, 65536, 0)
                os.pread(fd, 100, 50)
            if k % 2 and i == 20:
                return  # the thread ends, its files stay open
    ts = [threading.Thread(target=loop, args=(k,)) for k in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    os._exit(0)
for r in range(rounds):
    pid = os.fork()
    if pid == 0:
        reader()
    time.sleep(random.uniform(0.002, 0.03))
    for _ in range(r % 3):
        os.kill(pid, signal.SIGUSR1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print('killed %d' % rounds)
PY
read -r rss0 fds0 < <(server_mem)
out=$(t_in_container "$mnt" "$onecpu" "timeout 120 python3 '$py/killstorm.py' '$mnt' 100 2>&1")
t_eq "100 readers of 4 threads SIGKILLed mid-read (some signalled first, some threads gone with files open)" "$out" "killed 100"
settle $((rss0 + 768))
t_eq "killed readers: the server never restarted" "$(t_fs_server "$(cat "$mnt.pid")")" "$server"
t_range "killed readers: the server's RSS within 768 kB of $rss0 kB" "$rss_after" 1 $((rss0 + 768))
t_range "killed readers: descriptors at most the readers' slots above $fds0" "$fds_after" 1 $((fds0 + 140))

# ---- io_uring: reads done by the kernel's io-wq workers, inside the container ----
uring=$BUILD/tests/helpers/uringread
if [ ! -x "$uring" ]; then
	t_fail "no $uring (run make)"
elif ! "$uring" /proc/self/stat >/dev/null 2>&1; then
	t_log "io_uring unavailable here ($(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null)): its attacks skipped"
else
	out=$(t_in_container "$mnt" "$onecpu" "'$uring' '$mnt/proc/meminfo'; '$uring' '$mnt/proc/cpuinfo' 4096; '$uring' '$cpudir/online' 2; '$uring' '$cpudir/cpu0/topology/core_cpus_list' 512" 2>&1)
	ways=$(printf '%s\n' "$out" | grep -c '^== \(pread\|read\|readv\|async\|pos\|sqpoll\)$')
	t_eq "io_uring: read, readv, IOSQE_ASYNC, at the file position, SQPOLL: no error" \
		"$ways/$(printf '%s\n' "$out" | grep -c '^error')" "24/0"
	t_match "io_uring: the async reads went through io-wq workers" "$(printf '%s\n' "$out" | grep '^== workers' | head -1)" \
		'^== workers [1-9]'
	t_eq "io_uring: every MemTotal read is the container's" \
		"$(printf '%s\n' "$out" | grep -o 'MemTotal: *[0-9]* kB' | tr -s ' ' | sort -u)" "MemTotal: 262144 kB"
	t_eq "io_uring: every cpuinfo block is the container's one CPU" \
		"$(printf '%s\n' "$out" | grep '^processor' | sort -u | tr -d '\t ')" "processor:0"
	t_eq "io_uring: the mirror's online and topology, renumbered" \
		"$(printf '%s\n' "$out" | awk '/^== / {first = 1; next} first && !/:/ {print} {first = 0}' | sort -u | tr '\n' ' ')" "0 "
	# Linux 6.18 (not 6.1) leaves the position of an async read of a FUSE direct-I/O file
	# where it was: io_uring's retry of a short read asks the same offset again and fills
	# the buffer with copies, and reads at the file position never move. The kernel asks
	# for those offsets (the daemon answers what it is asked), so it is only said here.
	copies=$(printf '%s\n' "$out" | grep -o 'MemTotal:' | wc -l)
	[ "$copies" -gt 6 ] && t_log "this kernel ($(uname -r)) rereads one offset of FUSE direct-I/O files under io_uring: $copies copies of meminfo's MemTotal in 6 reads"
fi

# ---- O_DIRECT, O_NONBLOCK, mmap ----
cat >"$py/flags.py" <<'PY'
import mmap, os, signal, sys
f = sys.argv[1]
for name, fl in (('O_DIRECT', os.O_DIRECT), ('O_NONBLOCK', os.O_NONBLOCK), ('O_NOATIME', os.O_NOATIME),
                 ('O_SYNC', os.O_SYNC)):
    try:
        fd = os.open(f, os.O_RDONLY | fl)
        a, b = os.read(fd, 65536), os.pread(fd, 65536, 0)
        os.close(fd)
        print(name, a.split(b'\n')[0].decode(), '|', b.split(b'\n')[0].decode())
    except OSError as e:
        print(name, 'error', e.strerror)
for kind, flags in (('shared', mmap.MAP_SHARED), ('private', mmap.MAP_PRIVATE)):
    fd = os.open(f, os.O_RDONLY)
    try:
        m = mmap.mmap(fd, 4096, flags=flags, prot=mmap.PROT_READ)
    except OSError as e:
        print('mmap', kind, 'refused:', e.strerror)
        continue
    pid = os.fork()
    if pid == 0:
        print('mmap', kind, 'shows', m[:40].split(b'\n')[0].decode('utf-8', 'replace'), flush=True)
        os._exit(0)
    _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        print('mmap', kind, 'faults:', signal.Signals(os.WTERMSIG(st)).name)
PY
out=$(t_in_container "$mnt" "$onecpu" "python3 '$py/flags.py' '$mnt/proc/meminfo' 2>&1")
t_eq "O_DIRECT, O_NONBLOCK, O_NOATIME, O_SYNC: read and pread give the container's MemTotal" \
	"$(printf '%s\n' "$out" | grep '^O_' | sed 's/ \{2,\}/ /g' | sort -u | awk '{print $2, $3, $6, $7}' | sort -u)" "MemTotal: 262144 MemTotal: 262144"
t_match "mmap: shared refused, private either faults or shows the container's numbers, never another's" \
	"$(printf '%s\n' "$out" | grep '^mmap' | tr '\n' ' ')" \
	'^mmap shared refused: [^ ]+( [^ ]+)* mmap private (faults: SIGBUS|shows MemTotal: +262144 kB) $'
out=$(t_in_container "$mnt" "$victim" "python3 '$py/flags.py' '$mnt/proc/meminfo' 2>&1; grep MemTotal /proc/meminfo")
t_match "mmap: the next container's mapping is no page cache of the first" \
	"$(printf '%s\n' "$out" | grep -e '^mmap private' -e '^MemTotal' | tr '\n' ' ')" \
	'^mmap private (faults: SIGBUS|shows MemTotal: +131072 kB) MemTotal: +131072 kB $'
t_eq "after all of it, the server never restarted" "$(t_fs_server "$(cat "$mnt.pid")")" "$server"
t_done
