#!/bin/sh
# Run every Check unit test binary given; print one summary line.
# CK_FORK=yes keeps a crashing test from taking the others down.
set -u
total_fail=0
total_pass=0
for t in "$@"; do
	out=$(CK_FORK=yes "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	# Check prints "NN%: Checks: N, Failures: N, Errors: N"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: $t printed no Check summary (rc=$rc)"
		total_fail=$((total_fail + 1))
		continue
	fi
	checks=$(printf '%s' "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	fails=$(printf '%s' "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	errs=$(printf '%s' "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	total_fail=$((total_fail + fails + errs))
	total_pass=$((total_pass + checks - fails - errs))
	[ "$rc" -eq 0 ] || [ $((fails + errs)) -gt 0 ] || total_fail=$((total_fail + 1))
done
echo "unit: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
