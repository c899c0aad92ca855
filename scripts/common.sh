# shellcheck shell=bash
# Shared settings for the nedstream scripts. Sourced, not run.
#
# Everything downloaded or built outside the Go toolchain lives in one cache
# directory outside the checkout, so that a fresh clone (and CI on the same
# machine) reuses it: NEDSTREAM_CACHE, default ~/.cache/nedstream.

NEDSTREAM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NEDSTREAM_CACHE=${NEDSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nedstream}
ORT_VERSION=${ORT_VERSION:-1.30.0}
ORT_DIR="$NEDSTREAM_CACHE/onnxruntime-$ORT_VERSION"
GST_MIN_VERSION=1.26.0
# The Debian 13 root used when the host's GStreamer is older than 1.26.
TRIXIE_ROOT="$NEDSTREAM_CACHE/debian13-root"
# Packages the Debian 13 root holds: compiler, GStreamer 1.26 development files,
# tools and plugins, meson/ninja for the packaging path.
TRIXIE_PACKAGES="ca-certificates,gcc,libc6-dev,pkg-config,git,make,meson,ninja-build,\
libgstreamer1.0-dev,libgstreamer-plugins-base1.0-dev,libgstreamer-plugins-bad1.0-dev,\
gstreamer1.0-tools,gstreamer1.0-plugins-base,gstreamer1.0-plugins-good,gstreamer1.0-plugins-bad,\
gstreamer1.0-plugins-ugly,gstreamer1.0-libav,libre2-11"

log() { printf '[nedstream] %s\n' "$*" >&2; }
die() { printf '[nedstream] error: %s\n' "$*" >&2; exit 1; }

# version_ge A B: true when version A >= version B.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# host_gst_ok: true when the host itself has GStreamer >= 1.26 development files.
host_gst_ok() {
	local v
	v=$(pkg-config --modversion gstreamer-1.0 2>/dev/null) || return 1
	version_ge "$v" "$GST_MIN_VERSION"
}

# debian_mirror prints the Debian mirror the host's apt uses (deb822 sources
# first, then sources.list); never hard-coded in the repository.
debian_mirror() {
	local m=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
		m=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[ -n "$m" ] || die "cannot find a Debian mirror in /etc/apt (needed to build the Debian 13 root)"
	printf '%s\n' "$m"
}
