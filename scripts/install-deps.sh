#!/bin/sh
# Install what proclens needs to build and to run its tests, from Debian's packages.
# Run as root on Debian 12 (bookworm) or newer.
set -eu
if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential pkg-config \
	libfuse3-dev fuse3 libcap-dev check \
	procps util-linux bsdutils iproute2 busybox-static kmod jq python3
