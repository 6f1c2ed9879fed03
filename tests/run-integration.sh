#!/bin/bash
# Run every tests/integration/test_*.sh (as root) and print one summary line.
set -u
cd "$(dirname "$0")/.." || exit 1
if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root; skipped"
	echo "integration: 0 passed, 0 failed"
	exit 0
fi
pass=0 fail=0
for t in tests/integration/test_*.sh; do
	[ -e "$t" ] || continue
	echo "== $t"
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
done
# Whatever a test made must be gone once it ends, even when it failed.
left=$( { find /sys/fs/cgroup -type d -name 'proclens-test*' 2>/dev/null
	awk '$3 ~ /^fuse\.proclens/ && $2 ~ /proclens-test/ {print $2}' /proc/self/mounts; } | head -n 5)
if [ -n "$left" ]; then
	echo "FAIL leftovers: tests left behind: $left"
	fail=$((fail + 1))
else
	echo "PASS leftovers: no test cgroup or mount remains"
	pass=$((pass + 1))
fi
echo "(cgroup $(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2; else echo v1; fi))"
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
