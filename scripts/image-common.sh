# Shared by scripts/image.sh and scripts/image-test.sh (sourced, not run).
# buildah here runs as root with the overlay driver and chroot isolation: no daemon, no cgroups, host network.
export STORAGE_DRIVER="${STORAGE_DRIVER:-overlay}"
export BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

say() { echo "${0##*/}: $*"; }
step() { printf '\n== %s (t=%ss)\n' "$*" "$((SECONDS - ${START:-0}))"; }
fail() { echo "${0##*/}: FAIL: $*" >&2; exit 1; }

apt_install() {
    [ "$(id -u)" = 0 ] || fail "needs root to install $*"
    apt-get update -qq || fail "apt-get update failed: is the Debian mirror reachable?"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || fail "apt-get install $* failed"
}

# buildah must really run: a machine where it cannot fails here in one line, never passes silently.
need_buildah() {
    [ "$(id -u)" = 0 ] || fail "no Docker engine answers and buildah is set up here for root only: run as root"
    command -v buildah >/dev/null || apt_install buildah
    buildah info >/dev/null 2>&1 || fail "no Docker engine answers and buildah cannot run here: $(buildah info 2>&1 | tail -1)"
}

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }
