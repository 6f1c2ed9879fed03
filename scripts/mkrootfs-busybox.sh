#!/bin/sh
# Build a small busybox root filesystem for tests and demos:
#   scripts/mkrootfs-busybox.sh DIR
# From Debian's busybox-static (installed with apt-get when missing; no other network).
# Idempotent: running it again refreshes the binary and the links, keeps what else is there.
set -eu

dir=${1:?usage: $0 DIR}
bb=/bin/busybox

# Debian's /bin/busybox is dynamic unless busybox-static is installed (it replaces it).
if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
	if [ "$(id -u)" != 0 ]; then
		echo "$0: busybox-static is not installed (apt-get install busybox-static)" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2; }
fi
if ldd "$bb" >/dev/null 2>&1; then
	echo "$0: $bb is not statically linked" >&2
	exit 1
fi

mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc root tmp var/tmp proc sys dev run home
chmod 1777 tmp var/tmp
chmod 0700 root
cp -f "$bb" bin/busybox.new
mv -f bin/busybox.new bin/busybox
# One link per applet, at busybox's own idea of its path (/bin/sh, /usr/bin/free...).
bin/busybox --list-full | while read -r applet; do
	case $applet in */busybox) continue ;; esac
	mkdir -p "$(dirname "$applet")"
	ln -sfn /bin/busybox "$applet"
done

[ -e etc/passwd ] || printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >etc/passwd
[ -e etc/group ] || printf '%s\n' 'root:x:0:' 'tty:x:5:' 'nogroup:x:65534:' >etc/group
[ -e etc/hostname ] || echo busybox >etc/hostname
[ -e etc/hosts ] || printf '127.0.0.1\tlocalhost\n' >etc/hosts
echo "$dir: busybox $("$bb" 2>&1 | head -n 1 | awk '{print $2}'), $(bin/busybox --list | wc -l) applets"
