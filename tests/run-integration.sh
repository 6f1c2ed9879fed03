#!/bin/bash
# Run every tests/integration/test_*.sh (as root) and print one summary line.
set -u
cd "$(dirname "$0")/.." || exit 1
if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root; skipped"
	echo "integration: 0 passed, 0 failed"
	exit 0
fi
. scripts/uring-param.sh
trap uring_param_restore EXIT
pass=0 fail=0
# Temporary directories of tests that were there before this run are not ours to count.
tmp_before=$(ls -d /tmp/proclens-test* 2>/dev/null)
run_test() {
	local t=$1 out rc p f
	echo "== $t${T_TRANSPORT:+ (transport $T_TRANSPORT)}"
	out=$(timeout 600 bash "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^PASS ')
	f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $t: exited $rc"
		fail=$((fail + 1))
	fi
}
for t in tests/integration/test_*.sh; do
	[ -e "$t" ] && run_test "$t"
done
# The daemon's tests again over FUSE over io_uring where the kernel has it (Linux 6.14+;
# the parameter that lets servers ask for it is put back afterwards). The run above used
# what this kernel offers by default: /dev/fuse unless the parameter was already on.
if uring_param_enable; then
	export T_TRANSPORT=uring
	for t in tests/integration/test_fs.sh tests/integration/test_fs_restart.sh tests/integration/test_fs_tools.sh tests/integration/test_launcher_tools.sh; do
		run_test "$t"
	done
	unset T_TRANSPORT
	uring_param_restore
else
	echo "(no FUSE over io_uring on this kernel: its runs skipped)"
fi
# Whatever a test made must be gone once it ends, even when it failed.
left=$( { find /sys/fs/cgroup -type d -name 'proclens-test*' 2>/dev/null
	awk '$3 ~ /^fuse\.proclens/ && $2 ~ /proclens-test/ {print $2}' /proc/self/mounts
	ls -d /tmp/proclens-test* 2>/dev/null | grep -vxF -e "${tmp_before:-/nonexistent-none}"; } | head -n 5)
if [ -n "$left" ]; then
	echo "FAIL leftovers: tests left behind: $left"
	fail=$((fail + 1))
else
	echo "PASS leftovers: no test cgroup, mount or temporary directory remains"
	pass=$((pass + 1))
fi
echo "(cgroup $(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2; else echo v1; fi))"
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
