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
echo "integration ($(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo cgroup v2; else echo cgroup v1; fi)): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
