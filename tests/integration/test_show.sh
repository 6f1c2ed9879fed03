#!/bin/bash
# proclens show, explain and stats against the real thing: what `show` prints must be what a
# process in that cgroup reads through a mounted proclensfs (byte for byte where nothing moves,
# field by field with a tolerance where counters move), `explain` must name the cgroup file
# and the level whose limit is in effect, `stats` must list a running container, and every
# error must be one clear line.
. "$(dirname "$0")/lib.sh"

[ -x "$PROCLENS" ] || { t_fail "no $PROCLENS (run make)"; t_done; }
[ -x "$PROCLENSFS" ] || { t_fail "no $PROCLENSFS (run make)"; t_done; }
[ -c /dev/fuse ] || t_skip_all "no /dev/fuse"
command -v jq >/dev/null || { t_fail "jq is needed (scripts/install-deps.sh installs it)"; t_done; }

tmp=$(t_mktemp_dir)
mnt=$tmp/mnt
name=proclens-test-show-$$
MiB=$((1024 * 1024))

# The cgroup at the same path, /NAME, in every hierarchy, so that --cgroup /NAME names it
# (by default t_cg_make nests below this shell's cgroups, which differ per v1 hierarchy).
# show_cg NAME [MEM] [QUOTA PERIOD] [CPUS]: sets CG_DIRS; removed at exit.
show_cg() {
	T_CG_AT_ROOT=1 t_cg_make "$@" || return 1
	CG_DIRS=$T_CG
}

# near NAME GOT WANT TOLERANCE: every line has the same words, numbers within TOLERANCE.
near() {
	local r
	r=$(paste -d '\n' <(printf '%s\n' "$2") <(printf '%s\n' "$3") | awk -v tol="$4" '
		NR % 2 == 1 { got = $0; next }
		{
			n = split(got, g, /[ \t]+/); m = split($0, w, /[ \t]+/)
			if (n != m) { print "line " NR/2 ": \"" got "\" vs \"" $0 "\""; exit }
			for (i = 1; i <= n; i++) {
				if (g[i] ~ /^[0-9.]+$/ && w[i] ~ /^[0-9.]+$/) {
					d = g[i] - w[i]; if (d < 0) d = -d
					if (d > tol) { print "line " NR/2 " field " i ": " g[i] " vs " w[i]; exit }
				} else if (g[i] != w[i]) { print "line " NR/2 ": \"" got "\" vs \"" $0 "\""; exit }
			}
		}')
	if [ "$(printf '%s\n' "$2" | wc -l)" != "$(printf '%s\n' "$3" | wc -l)" ]; then
		r="$(printf '%s\n' "$2" | wc -l) lines vs $(printf '%s\n' "$3" | wc -l)"
	fi
	if [ -z "$r" ]; then t_pass "$1"; else t_fail "$1: $r"; fi
}

t_check "proclensfs mounts" t_start_fs "$mnt" --cache-ms 0
show_cg "$name" $((256 * MiB)) 50000 100000 || { t_fail "cannot make test cgroup"; t_done; }
cgs=$CG_DIRS
in_cg() { sh -c "$(t_cg_enter_cmd $cgs) && $1"; }

if t_cgroup_v2; then memfile=memory.max; cpufile=cpu.max; cpuraw="50000 100000"; else
	memfile=memory.limit_in_bytes; cpufile=cpu.cfs_quota_us; cpuraw=50000; fi

# ---- show --cgroup: a process of our pid namespace in that cgroup ----
for f in proc/cpuinfo sys/devices/system/cpu/online proc/swaps; do
	t_eq "show $f --cgroup is byte for byte what the mount serves" \
		"$("$PROCLENS" show "$f" --cgroup "/$name")" "$(in_cg "cat '$mnt/$f'")"
done
t_eq "show cpuinfo (short name) is proc/cpuinfo" "$("$PROCLENS" show cpuinfo --cgroup "/$name")" \
	"$(in_cg "cat '$mnt/proc/cpuinfo'")"
t_eq "show /proc/meminfo and proc/meminfo and meminfo are one file" \
	"$("$PROCLENS" show /proc/meminfo --cgroup "/$name" | head -n 1)" \
	"$("$PROCLENS" show proc/meminfo --cgroup "/$name" | head -n 1)"
got=$("$PROCLENS" show meminfo --cgroup "/$name")
want=$(in_cg "cat '$mnt/proc/meminfo'")
t_match "show meminfo --cgroup has the 256 MiB limit" "$got" "^MemTotal: +$((256 * 1024)) kB"
near "show meminfo --cgroup matches the mount line by line (4 MiB)" "$got" "$want" 4096
got=$("$PROCLENS" show stat --cgroup "/$name")
want=$(in_cg "cat '$mnt/proc/stat'")
near "show stat --cgroup matches the mount line by line (200 ticks)" "$got" "$want" 200
got=$("$PROCLENS" show uptime --cgroup "/$name")
want=$(in_cg "cat '$mnt/proc/uptime'")
near "show uptime --cgroup matches the mount (2 s)" "$got" "$want" 2

# ---- show --pid: a container's process (another pid namespace: its init's cgroup) ----
t_in_container "$mnt" "$cgs" "exec sleep 3141" 2>/dev/null &
ct_job=$!
ctpid=""
for ((i = 0; i < 50; i++)); do
	# The container's init: a "sleep 3141" in our test cgroup.
	for p in $(cat "${cgs%% *}/cgroup.procs"); do
		[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" = "sleep 3141 " ] && ctpid=$p
	done
	[ -n "$ctpid" ] && break
	sleep 0.1
done
# The container's pid 1 ignores signals it has no handler for, except SIGKILL.
[ -z "$ctpid" ] || t_defer "kill -KILL $ctpid 2>/dev/null; wait $ct_job 2>/dev/null"
if [ -z "$ctpid" ]; then
	t_fail "container did not start"
else
	# A reader in the container's pid namespace reads the mount as the container does.
	in_ct() { nsenter --target "$ctpid" --pid -- sh -c "$1"; }
	for f in proc/cpuinfo sys/devices/system/cpu/online proc/swaps; do
		t_eq "show $f --pid is byte for byte what the container reads" \
			"$("$PROCLENS" show "$f" --pid "$ctpid")" "$(in_ct "cat '$mnt/$f'")"
	done
	near "show meminfo --pid matches the container's (4 MiB)" \
		"$("$PROCLENS" show meminfo --pid "$ctpid")" "$(in_ct "cat '$mnt/proc/meminfo'")" 4096
	near "show stat --pid matches the container's (200 ticks)" \
		"$("$PROCLENS" show stat --pid "$ctpid")" "$(in_ct "cat '$mnt/proc/stat'")" 200
	got=$("$PROCLENS" show uptime --pid "$ctpid")
	near "show uptime --pid matches the container's (2 s)" "$got" "$(in_ct "cat '$mnt/proc/uptime'")" 2
	t_range "show uptime --pid counts from the container's start" "${got%%.*}" 0 60
	t_match "explain --pid follows the container's init to its cgroup" \
		"$("$PROCLENS" explain meminfo --pid "$ctpid")" "memory limit: $memfile of /$name \($((256 * MiB))\)"
	json=$("$PROCLENS" show meminfo --pid "$ctpid" --json)
	t_eq "show --json carries the pid" "$(echo "$json" | jq -r .pid)" "$ctpid"
	t_eq "show --json content is the file" "$(echo "$json" | jq -r .content | head -n 1)" \
		"$("$PROCLENS" show meminfo --pid "$ctpid" | head -n 1)"
fi

# --pid may name a thread, as the daemon knows readers (FUSE gives the reading thread's id;
# top -H lists them): it was "cannot open process TID: No such file or directory". The
# daemon's server is a process with threads of our namespace.
srv=$(t_fs_server "$(cat "$mnt.pid")")
tid=$(ls "/proc/$srv/task" 2>/dev/null | grep -vx "$srv" | head -n 1)
if [ -n "$tid" ]; then
	out=$("$PROCLENS" show meminfo --pid "$tid" 2>&1)
	t_eq "show --pid of a thread reads as its process" "$? $(head -n 1 <<<"$out")" \
		"0 $("$PROCLENS" show meminfo --pid "$srv" | head -n 1)"
else
	t_fail "no thread of proclensfs's server $srv"
fi

# ---- explain: the file, the level, the raw value, the rule ----
out=$("$PROCLENS" explain meminfo --cgroup "/$name")
t_match "explain MemTotal names $memfile of the cgroup and its raw value" "$out" \
	"memory limit: $memfile of /$name \($((256 * MiB))\)"
t_match "explain MemTotal holds the limit against the host's" "$out" \
	"the memory limit $((256 * 1024)) kB .*tighter than the host's MemTotal [0-9]+ kB"
t_match "explain names the memory.stat key behind Cached" "$out" \
	"memory.stat file: memory.stat $(t_cgroup_v2 && echo file || echo total_cache) of /$name"
out=$("$PROCLENS" explain cpuinfo --cgroup "/$name")
t_match "explain cpuinfo names $cpufile and the ceil rule" "$out" \
	"cpu quota: $cpufile of /$name \($cpuraw\)"
t_match "explain cpuinfo gives the CPU count's rule" "$out" "quota 50000/100000 us = 0.50 CPUs, ceil 1"
out=$("$PROCLENS" explain cpuinfo --cgroup "/$name" --cpu-count=cpuset)
t_match "explain says when --cpu-count=cpuset ignores the quota" "$out" "not applied \(--cpu-count=cpuset\)"

# A child without limits of its own: the ancestor's limit is the one in effect. (A tree of
# its own: on v2 a cgroup with processes, as $name now has, cannot hand controllers down.)
show_cg "$name-tree" $((256 * MiB)) 50000 100000 || t_fail "cannot make test cgroup $name-tree"
if t_cgroup_v2; then
	echo "+memory +cpu" >"/sys/fs/cgroup/$name-tree/cgroup.subtree_control"
	mkdir "/sys/fs/cgroup/$name-tree/inner" && t_defer "rmdir /sys/fs/cgroup/$name-tree/inner"
else
	for c in memory cpu cpuacct; do
		[ -d "/sys/fs/cgroup/$c/$name-tree/inner" ] && continue
		mkdir "/sys/fs/cgroup/$c/$name-tree/inner" && t_defer "rmdir /sys/fs/cgroup/$c/$name-tree/inner"
	done
fi
out=$("$PROCLENS" explain meminfo --cgroup "/$name-tree/inner")
t_match "explain on a child names the limiting ancestor" "$out" \
	"memory limit: $memfile of /$name-tree \($((256 * MiB))\) in effect, tighter than /$name-tree/inner \("
json=$("$PROCLENS" explain meminfo --cgroup "/$name-tree/inner" --json)
t_eq "explain --json: the effective MemTotal source is the ancestor" \
	"$(echo "$json" | jq -r '.fields[] | select(.name == "MemTotal") | .sources[] | select(.effective) | "\(.cgroup) \(.level) \(.file)"')" \
	"/$name-tree ancestor $memfile"
json=$("$PROCLENS" explain stat --cgroup "/$name-tree/inner" --json)
t_eq "explain --json: the effective cpu quota is the ancestor's" \
	"$(echo "$json" | jq -r '[.files_read[] | select(.quantity == "cpu quota" and .effective) | .cgroup] | unique | join(",")')" \
	"/$name-tree"

# ---- errors: one line, exit 1 (runtime) or 2 (usage) ----
err_case() { # NAME WANT_RC ERE ARGS...
	local n=$1 rc_want=$2 ere=$3 out rc
	shift 3
	out=$("$PROCLENS" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = "$rc_want" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
		printf '%s\n' "$out" | grep -Eq -- "$ere"; then t_pass "$n"; else
		t_fail "$n: rc $rc (want $rc_want), stderr: $out"
	fi
}
err_case "no such pid" 1 "^proclens show: no such process: 999999999?\$" show meminfo --pid 99999999
err_case "no such cgroup" 1 "^proclens show: no such cgroup: /$name-nope\$" show meminfo --cgroup "/$name-nope"
err_case "explain: no such cgroup" 1 "no such cgroup" explain meminfo --cgroup "/$name-nope"
err_case "not a served file" 2 "serves no 'nosuchfile'" show nosuchfile --cgroup "/$name"
err_case "no pid and no cgroup" 2 "give one of --pid PID or --cgroup PATH" show meminfo
err_case "both pid and cgroup" 2 "give one of" show meminfo --pid 1 --cgroup /
err_case "a bad pid" 2 "--pid wants a process id" show meminfo --pid x
# A pid, an interval, a limit is decimal digits: " 5" (a script's field splitting), "5 ",
# "05" were pid 5 and showed its numbers with exit 0; "+5" and "0x5" are refused alike.
for bad in " 5" "5 " "+5" "0x5" "05"; do
	err_case "show --pid '$bad' is refused" 2 "^proclens show: --pid wants a process id \(decimal digits only\), not '.*'\$" \
		show meminfo --pid "$bad"
	err_case "explain --pid '$bad' is refused" 2 "^proclens explain: --pid wants a process id" \
		explain meminfo --pid "$bad"
done
for bad in " 1" "1 " "+1" "1e0" "0x1"; do
	err_case "stats --interval '$bad' is refused" 2 "^proclens stats: --interval wants seconds between 0.1 and 3600" \
		stats --no-stream --interval "$bad"
done
# --cgroup: one check for show, explain and stats. ".." was "bad cgroup path ../..: Invalid
# argument" (show, exit 1) and "no such cgroup: ../.." (stats); a file or a /sys/fs/cgroup
# path said only "no such cgroup".
for cmd in "show meminfo" "explain meminfo" "stats --no-stream"; do
	# shellcheck disable=SC2086 # $cmd is the words of the command
	err_case "${cmd%% *} --cgroup ../.. is a usage error" 2 \
		"^proclens ${cmd%% *}: --cgroup '../..': no \".\" or \"..\" in PATH" $cmd --cgroup ../..
	# shellcheck disable=SC2086
	err_case "${cmd%% *} --cgroup '' is a usage error" 2 "^proclens ${cmd%% *}: --cgroup wants a path" $cmd --cgroup ""
	# shellcheck disable=SC2086
	err_case "${cmd%% *} --cgroup of a file says so" 1 \
		"^proclens ${cmd%% *}: no such cgroup: /$name/cgroup.procs \(a file of a hierarchy, not a cgroup directory\)\$" \
		$cmd --cgroup "/$name/cgroup.procs"
	# shellcheck disable=SC2086
	err_case "${cmd%% *} --cgroup /sys/fs/cgroup/... says PATH is from the roots" 1 \
		"^proclens ${cmd%% *}: no such cgroup: ${cgs%% *} \(PATH is from the hierarchies' roots" $cmd --cgroup "${cgs%% *}"
done
err_case "show --pid given twice" 2 "^proclens show: --pid given twice\$" show meminfo --pid 1 --pid 2
err_case "stats --interval given twice" 2 "^proclens stats: --interval given twice\$" stats -n -i 1 -i 2
for args in "--pids-limit| 5" "--pids-limit|5 " "--pids-limit|+5" "--memory| 64M" "--cpus| 0.5" \
	"--cpus|0x1" "--cpuset-cpus| 0" "--cap-add|0x15"; do
	err_case "run ${args%%|*} '${args#*|}' is refused" 125 "^proclens run: ${args%%|*} '.*': " \
		run "${args%%|*}" "${args#*|}" -- true
done
# The answer not written (a full disk) is a failure that says so: show and explain exited 1
# without a word, stats blamed "the containers' cgroups", --help exited 0.
for args in "show meminfo --cgroup /$name" "show meminfo --cgroup /$name --json" \
	"explain meminfo --cgroup /$name" "explain stat --cgroup /$name --json" "stats --no-stream" \
	"show --help" "explain --help" "stats --help"; do
	# shellcheck disable=SC2086 # $args is the words of the command line
	out=$("$PROCLENS" $args 2>&1 >/dev/full)
	t_eq "$args >/dev/full: exit 1 and the reason" "$? $out" \
		"1 proclens ${args%% *}: cannot write to standard output: No space left on device"
done
# A zombie: exited, not reaped. Its numbers are no longer anyone's.
sh -c 'sleep 0.1 & exec sleep 3' &
zparent=$!
sleep 0.5
zpid=$(pgrep -P "$zparent" | head -n 1)
err_case "a pid that has exited" 1 "process $zpid has exited" show meminfo --pid "$zpid"
wait "$zparent"
# A kernel thread reads no files: kthreadd's "numbers" were the host's, with exit 0.
kt=$(ps -o pid= --ppid 2 | head -n 1 | tr -d ' ')
err_case "show --pid of kthreadd" 1 "^proclens show: process 2 is a kernel thread \(kthreadd\): it reads no files\$" \
	show meminfo --pid 2
err_case "explain --pid of a kernel thread" 1 "^proclens explain: process $kt is a kernel thread \(.*\): it reads no files\$" \
	explain stat --pid "$kt"
# A pid exiting while we render: either the render completes first or the call says so.
bad=""
for ((i = 0; i < 20; i++)); do
	sleep 0.0$((i % 5)) &
	p=$!
	out=$("$PROCLENS" show meminfo --pid "$p" 2>&1)
	case $out in
	MemTotal:*) ;;
	"proclens show: process $p exited during the call" | "proclens show: no such process: $p" | \
		"proclens show: process $p has exited"*) ;;
	*) bad="$out" ;;
	esac
	wait "$p" 2>/dev/null
done
t_eq "pids exiting around the call give output or one clear line" "$bad" ""
# A cgroup without the controller the file needs.
if t_cgroup_v2; then
	# A parent that hands only cpu down: its child has no memory controller.
	mkdir "/sys/fs/cgroup/$name-nm" && t_defer "t_cg_remove /sys/fs/cgroup/$name-nm"
	echo "+cpu" >"/sys/fs/cgroup/$name-nm/cgroup.subtree_control"
	mkdir "/sys/fs/cgroup/$name-nm/sub"
	err_case "a cgroup without the memory controller" 1 \
		"cgroup /$name-nm/sub has no memory controller: no /sys/fs/cgroup/$name-nm/sub/memory.current\$" \
		show meminfo --cgroup "/$name-nm/sub"
else
	mkdir "/sys/fs/cgroup/memory/$name-memonly" && t_defer "rmdir /sys/fs/cgroup/memory/$name-memonly"
	err_case "a cgroup without the cpuacct controller" 1 \
		"the cgroup is in no cpuacct hierarchy \(no cpuacct controller\)\$" \
		show stat --cgroup "/$name-memonly"
	mkdir "/sys/fs/cgroup/cpu/$name-cpuonly" && t_defer "rmdir /sys/fs/cgroup/cpu/$name-cpuonly"
	err_case "a cgroup without the memory controller" 1 \
		"the cgroup is in no memory hierarchy \(no memory controller\)\$" \
		show meminfo --cgroup "/$name-cpuonly"
fi

# ---- stats while a container runs ----
ctname=proclens-test-stats-$$
# --init: SIGTERM to run reaches sleep through an init that forwards it.
"$PROCLENS" run --init --name "$ctname" --memory 128M --cpus 0.5 -- sleep 60 >"$tmp/run.log" 2>&1 &
run_job=$!
t_defer "kill $run_job 2>/dev/null; wait $run_job 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	procs=$(cat "/sys/fs/cgroup/proclens/$ctname/cgroup.procs" "/sys/fs/cgroup/memory/proclens/$ctname/cgroup.procs" 2>/dev/null)
	[ -n "$procs" ] && break
	sleep 0.1
done
[ -n "$procs" ] || t_fail "proclens run did not start a container: $(cat "$tmp/run.log")"
json=$("$PROCLENS" stats --no-stream --json --cgroup "/$name")
t_eq "stats --no-stream --json is a JSON array" "$(jq -r type <<<"$json")" array
row=$(jq -c ".[] | select(.name == \"$ctname\")" <<<"$json")
t_eq "stats lists the running container by name" "$(jq -r .cgroup <<<"$row")" "/proclens/$ctname"
t_eq "stats shows its memory limit" "$(jq -r .memory_limit_bytes <<<"$row")" $((128 * MiB))
t_eq "stats shows its CPU quota" "$(jq -r .cpu_quota_cpus <<<"$row")" 0.5
t_range "stats counts its pids" "$(jq -r .pids <<<"$row")" 1 10
row=$(jq -c ".[] | select(.cgroup == \"/$name\")" <<<"$json")
t_eq "stats shows a cgroup given by path" "$(jq -r .memory_limit_bytes <<<"$row")" $((256 * MiB))
# A --cgroup path longer than 300 bytes: its row had the path cut to 299 bytes (the JSON's
# "cgroup" named another cgroup) and its name to 127.
long=$name-$(printf 'l%.0s' $(seq 150))
sub=$(printf 's%.0s' $(seq 200))
if T_CG_AT_ROOT=1 t_cg_make "$long"; then
	for d in $T_CG; do mkdir "$d/$sub" && t_defer "rmdir '$d/$sub'"; done
	json=$("$PROCLENS" stats --no-stream --json --cgroup "/$long/$sub")
	t_eq "stats keeps a long --cgroup path whole" \
		"$(jq -r "[.[] | select(.cgroup | test(\"$sub\")) | .cgroup, .name] | join(\" \")" <<<"$json")" \
		"/$long/$sub /$long/$sub"
else
	t_fail "cannot make test cgroup $long"
fi
# One cgroup under several spellings is one row (it was one row each, as if several
# containers), and a --cgroup naming a container stats finds is that container's row.
json=$("$PROCLENS" stats --no-stream --json --cgroup "/$name" --cgroup "$name/" --cgroup "//$name" \
	--cgroup "/proclens//$ctname/")
t_eq "stats lists a cgroup given three ways once" \
	"$(jq "[.[] | select(.cgroup | test(\"^/*$name/*\$\"))] | length" <<<"$json")" 1
t_eq "stats lists a container also given by --cgroup once" \
	"$(jq -c "[.[] | select(.cgroup | test(\"$ctname\")) | .name]" <<<"$json")" "[\"$ctname\"]"
# A container that ends while stats samples it (its cgroup removed during --no-stream's
# half second): left out, not listed with null (or "-", no controller) for every value.
gone=proclens-test-gone-$$
# A loaded machine can delay the removal past stats's end: such a try says nothing, and is
# made again (up to 5 times).
for try in 1 2 3 4 5; do
	T_CG_AT_ROOT=1 t_cg_make "proclens/$gone" || break
	gone_dirs=$T_CG
	"$PROCLENS" stats --no-stream --json >"$tmp/gone.json" 2>&1 &
	stats_job=$!
	sleep 0.2
	for d in $gone_dirs; do rmdir "$d"; done
	kill -0 "$stats_job" 2>/dev/null && looked=1 || looked=
	wait "$stats_job"
	[ -n "$looked" ] && break
done
if [ -n "${looked:-}" ]; then
	t_eq "stats leaves out a container that ended while it looked" \
		"$(jq -r "[.[] | select(.name == \"$gone\")] | length" "$tmp/gone.json")" 0
	t_match "stats still lists the others" "$(jq -r '.[].name' "$tmp/gone.json")" "^$ctname\$"
else
	t_fail "cannot make test cgroup proclens/$gone, or stats always ended before it went"
fi
# A --cgroup removed while stats watches it: one line naming it (was "cannot refresh: No
# such file or directory").
if T_CG_AT_ROOT=1 t_cg_make "$gone"; then
	gone_dirs=$T_CG
	"$PROCLENS" stats --interval 0.2 --cgroup "/$gone" </dev/null >/dev/null 2>"$tmp/gone.err" &
	stats_job=$!
	sleep 0.5
	for d in $gone_dirs; do rmdir "$d"; done
	wait "$stats_job"
	t_eq "stats says which --cgroup went away" "$? $(cat "$tmp/gone.err")" \
		"1 proclens stats: cgroup /$gone is gone"
else
	t_fail "cannot make test cgroup $gone"
fi
out=$("$PROCLENS" stats --no-stream)
t_match "stats --no-stream prints a table with the container" "$out" "^$ctname +"
t_match "stats has a header" "$out" "^NAME +MEM USED +MEM LIMIT +MEM % +CPU % +CPU QUOTA +PIDS +LOAD"
# Every short option stats takes is in its --help (-n was not).
help=$("$PROCLENS" stats --help)
for opt in -n -j -i -c -h; do
	t_match "stats --help lists $opt" "$help" "^  $opt, --"
done
out=$(timeout 5 "$PROCLENS" stats --interval 0.2 </dev/null | head -c 100000)
t_match "stats streams until stopped (not a tty: no raw mode)" "$out" "$ctname"
# Streaming --json: one JSON document per line and refresh (NDJSON); it printed an array
# over one line per row each refresh, which no JSON reader takes as a stream. Two rows at
# least: the container and the --cgroup.
out=$(timeout 10 "$PROCLENS" stats --json --interval 0.2 --cgroup "/$name" </dev/null | head -n 4)
t_eq "stats --json streams one JSON array per line" "$(printf '%s\n' "$out" | python3 -c '
import json, sys
docs = [json.loads(l) for l in sys.stdin]
print(len(docs), all(isinstance(d, list) and len(d) >= 2 for d in docs))' 2>&1 | tail -n 1)" "4 True"
t_eq "stats --json: each refresh lists the container" \
	"$(printf '%s\n' "$out" | jq -c "[.[] | select(.name == \"$ctname\") | .cgroup]" | sort -u)" "[\"/proclens/$ctname\"]"
# Its reader gone, stats ends at once and quietly, not at the next refresh a minute later.
start=$(date +%s%N)
err=$( { timeout 30 "$PROCLENS" stats --interval 60 | head -n 1 >/dev/null; } 2>&1)
t_range "stats --interval 60 | head -1 ends at once (ms)" $((($(date +%s%N) - start) / 1000000)) 0 5000
t_eq "stats | head -1 says nothing" "$err" ""
if command -v script >/dev/null; then
	# On a terminal: q ends it with status 0 and the terminal as it was (canonical, echo).
	out=$( (sleep 1; printf q) | timeout 10 script -qfec \
		"'$PROCLENS' stats --interval 0.2; echo RC=\$?; stty -a" /dev/null 2>&1)
	t_match "stats on a terminal exits 0 on q" "$out" "RC=0"
	t_match "stats restores the terminal" "$out" "[^-]icanon .*[^-]echo "
	# --json on a terminal is not redrawn: an escape sequence before each line made it no JSON.
	out=$(timeout 10 script -qfec "timeout --foreground 1 '$PROCLENS' stats --json --interval 0.2" \
		/dev/null </dev/null 2>&1 | tr -d '\r')
	t_eq "stats --json on a terminal: every line is JSON" "$(printf '%s\n' "$out" | python3 -c '
import json, sys
docs = [json.loads(l) for l in sys.stdin]
print(len(docs) >= 3)' 2>&1 | tail -n 1)" "True"
	# A narrow terminal: lines cut to its width as top cuts them (they wrapped, and the
	# redraw from the top left scrolled). timeout --foreground: in a process group of its
	# own stats would be a background job of the terminal, stopped by SIGTTOU.
	out=$(timeout 10 script -qfec "stty cols 40 rows 10; timeout --foreground 1 '$PROCLENS' stats --interval 0.2" \
		/dev/null </dev/null 2>&1)
	t_range "stats on a 40-column terminal cuts its lines to 40" "$(printf '%s\n' "$out" | tr -d '\r' |
		sed 's/\x1b\[[0-9;]*[HJ]//g' | awk '{ if (length > m) m = length } END { print m + 0 }')" 4 40
	# A pipe closed early on a terminal: SIGPIPE ended stats with the terminal raw.
	out=$(timeout 20 script -qfec "'$PROCLENS' stats --interval 0.2 | head -n 1; stty -a" /dev/null \
		</dev/null 2>&1)
	t_match "stats | head -1 on a terminal restores it" "$out" "[^-]icanon .*[^-]echo "
	# Ctrl-C typed on the terminal: SIGINT from the line discipline to the foreground group.
	# (bash's trap has a handler, which exec resets: stats gets SIGINT's default action as
	# under a login shell. A background job of sh has SIGINT ignored, where this cannot fail.)
	out=$( (sleep 1; printf '\003'; sleep 1) | timeout 10 script -qfec \
		"bash -c 'trap : INT; \"$PROCLENS\" stats --interval 0.2 >/dev/null; echo RC=\$?; stty -a'" \
		/dev/null 2>&1)
	t_match "stats exits 0 on Ctrl-C" "$out" "RC=0"
	t_match "stats restores the terminal on Ctrl-C" "$out" "[^-]icanon .*[^-]echo "
	for sig in TERM HUP; do
		out=$(timeout 10 script -qfec "bash -c '\"$PROCLENS\" stats --interval 0.2 </dev/tty >/dev/null &
			p=\$!; sleep 1; kill -$sig \$p; wait \$p; echo RC=\$?; stty -a'" /dev/null </dev/null 2>&1)
		t_match "stats ends by SIG$sig" "$out" "RC=$((128 + $(kill -l $sig)))"
		t_match "stats restores the terminal on SIG$sig" "$out" "[^-]icanon .*[^-]echo "
	done
fi
err_case "stats: no such cgroup" 1 "no such cgroup: /$name-nope" stats --no-stream --cgroup "/$name-nope"
kill "$run_job" 2>/dev/null
wait "$run_job" 2>/dev/null

t_done
