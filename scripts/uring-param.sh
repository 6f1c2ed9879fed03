#!/bin/bash
# Sourced by the tests and the benchmarks: turn on FUSE over io_uring for the kernel
# (/sys/module/fuse/parameters/enable_uring, Linux 6.14+, off by default) while they run,
# and put back what was there. The parameter only lets FUSE servers ask for io_uring;
# servers that do not ask are unaffected.
URING_PARAM=/sys/module/fuse/parameters/enable_uring
URING_PARAM_SAVED=""

# 0 when the kernel can serve FUSE over io_uring now (turning the parameter on if needed).
uring_param_enable() {
	[ -w "$URING_PARAM" ] || return 1
	if [ -z "$URING_PARAM_SAVED" ]; then
		URING_PARAM_SAVED=$(cat "$URING_PARAM") || return 1
	fi
	[ "$URING_PARAM_SAVED" = Y ] && return 0
	echo Y >"$URING_PARAM" 2>/dev/null
}

uring_param_restore() {
	if [ -n "$URING_PARAM_SAVED" ] && [ "$URING_PARAM_SAVED" != Y ]; then
		echo "$URING_PARAM_SAVED" >"$URING_PARAM" 2>/dev/null
	fi
	URING_PARAM_SAVED=""
}
