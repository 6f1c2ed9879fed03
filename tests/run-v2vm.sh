#!/bin/bash
# Run the integration tests on a real, pure cgroup v2 kernel: ../shared/v2vm boots a
# throw-away VM whose root is this machine's (so the binaries built here run unchanged) with
# cgroup_no_v1=all. Set V2VM=path to use another copy of run-in-v2vm.sh; V2VM_REQUIRED=1
# (CI) makes a missing VM script an error instead of a skip.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
V2VM=${V2VM:-$TOP/../shared/v2vm/run-in-v2vm.sh}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
export BUILD

if [ ! -x "$V2VM" ]; then
	if [ "${V2VM_REQUIRED:-0}" = 1 ]; then
		echo "FAIL v2vm: $V2VM not found"
		echo "integration: 0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP v2vm: $V2VM not found; cgroup v2 integration tests not run"
	exit 0
fi
V2VM_ENV="BUILD ${V2VM_ENV:-}" "$V2VM" -t "${V2VM_TIMEOUT:-1500}" "$TOP" -- "$TOP/tests/run-integration.sh"
