#!/bin/sh
# Install the Debian packages Almanac needs to build, test, benchmark or run
# its demo, skipping what is already there. Runs apt-get as root or via sudo.
#   mk/deps.sh build|test|bench|demo
set -eu

build="build-essential pkg-config libpcap-dev libnng-dev libmsgpack-dev \
libleveldb-dev libmbedtls-dev libcmocka-dev openssl"
test_extra="clang libclang-rt-14-dev python3 python3-pytest tshark tcpdump \
iproute2 valgrind gdb chromium fonts-dejavu-core prometheus \
ansible ansible-lint systemd"
bench_extra="time"

case "${1:-build}" in
build) want="$build" ;;
test) want="$build $test_extra" ;;
bench) want="$build $bench_extra python3" ;;
demo) want="$build python3" ;;
*) echo "usage: $0 build|test|bench|demo" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps: missing packages:$missing (run as root or install sudo)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	$sudo debconf-set-selections 2>/dev/null || true
$sudo apt-get update -qq >&2 || echo "deps: apt-get update failed, trying the cached index" >&2
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
