#!/usr/bin/env bash
# Checks the runtime stage of docker/Dockerfile without a Docker engine:
#   1. builds the release binary as the build stage does (static Swift stdlib),
#   2. makes a minimal Debian bookworm rootfs with debootstrap (cached in .build-rootfs/),
#   3. installs only the runtime packages the Dockerfile names, creates the same non-root user,
#      copies the binary to /usr/local/bin and Seeds/ to /seeds,
#   4. runs `session-mock serve` inside with chroot --userspec on a loopback port and checks
#      /__admin/health, one WalletKit and one ZITADEL request, `session-mock health` and
#      `session-mock validate` inside the chroot, and that ldd finds every shared library,
#   5. prints the rootfs size, the binary size and the shared libraries the binary still needs.
# Needs root (debootstrap, chroot, mounts). Exits non-zero on any failure.
#
# Env: DEBIAN_MIRROR (default http://deb.debian.org/debian), REFRESH_ROOTFS=1 to rebuild the cache,
#      SKIP_BUILD=1 to reuse an existing .build-release binary.
set -euo pipefail
cd -P "$(dirname "$0")/.."
ROOT="$PWD"   # physical path: compared with /proc/mounts

# Keep in step with docker/Dockerfile.
RUNTIME_PACKAGES=(libmicrohttpd12 ca-certificates)
APP_UID=10001
APP_GID=10001
APP_USER=sessionmock
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
SCRATCH=.build-release
CACHE_DIR="$ROOT/.build-rootfs"
BASE="$CACHE_DIR/$SUITE-minbase"        # cached debootstrap output, never modified
RUNFS="$CACHE_DIR/runtime"              # rebuilt from BASE on every run

START=$SECONDS
step() { printf '\n== %s (t=%ss)\n' "$*" "$((SECONDS - START))"; }
fail() { echo "verify-runtime: FAIL: $*" >&2; exit 1; }
pass() { echo "verify-runtime: ok: $*"; }

SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "needs root (debootstrap, chroot, mount) and there is no sudo"
    SUDO=sudo
fi

SERVER_PID=""
MOUNTS=()
cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        $SUDO kill "$SERVER_PID" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        $SUDO kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        $SUDO umount "${MOUNTS[$i]}" 2>/dev/null || $SUDO umount -l "${MOUNTS[$i]}" 2>/dev/null || true
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_into() { # mount_into ROOTFS: /proc and /dev for apt/ldd inside the chroot
    local fs=$1
    $SUDO mount -t proc proc "$fs/proc" || fail "cannot mount /proc in $fs"
    MOUNTS+=("$fs/proc")
    $SUDO mount --bind /dev "$fs/dev" || fail "cannot bind-mount /dev in $fs"
    MOUNTS+=("$fs/dev")
    if [ -d /dev/pts ] && [ -d "$fs/dev/pts" ] && mountpoint -q /dev/pts; then # apt's terminal log
        $SUDO mount --bind /dev/pts "$fs/dev/pts" || fail "cannot bind-mount /dev/pts in $fs"
        MOUNTS+=("$fs/dev/pts")
    fi
}
unmount_all() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do $SUDO umount "${MOUNTS[$i]}"; done
    MOUNTS=()
}
# rm -rf of a rootfs must never follow a still-mounted /dev or /proc.
remove_rootfs() {
    local fs=$1
    if grep -q " $fs/" /proc/mounts; then fail "refusing to delete $fs: something is still mounted inside"; fi
    $SUDO rm -rf --one-file-system "$fs"
}

# ------------------------------------------------------------------------------------------------
step "host tools and apt mirror"
missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v curl >/dev/null 2>&1 || missing+=(curl)
pkg-config --exists libmicrohttpd 2>/dev/null || missing+=(libmicrohttpd-dev pkg-config)
if [ ${#missing[@]} -gt 0 ] || [ ! -e "$BASE/.complete" ] || [ "${REFRESH_ROOTFS:-}" = 1 ]; then
    # The mirror is checked before anything slow depends on it.
    $SUDO apt-get update -qq || fail "apt-get update failed: is the Debian mirror reachable?"
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
curl -fsSI --max-time 20 "$MIRROR/dists/$SUITE/Release" >/dev/null || fail "cannot reach $MIRROR/dists/$SUITE/Release"
pass "mirror $MIRROR reachable"

# ------------------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-}" = 1 ]; then
    step "release build skipped (SKIP_BUILD=1)"
else
    step "swift build -c release --static-swift-stdlib --scratch-path $SCRATCH"
    build_start=$SECONDS
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product session-mock
    echo "build took $((SECONDS - build_start))s"
fi
BIN="$(swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)/session-mock"
[ -x "$BIN" ] || fail "no binary at $BIN"

# ------------------------------------------------------------------------------------------------
step "Debian $SUITE minbase rootfs (cache: ${BASE#"$ROOT"/})"
mkdir -p "$CACHE_DIR"
if [ "${REFRESH_ROOTFS:-}" = 1 ] && [ -d "$BASE" ]; then remove_rootfs "$BASE"; fi
if [ -e "$BASE/.complete" ]; then
    echo "reusing cached rootfs"
else
    [ -d "$BASE.partial" ] && remove_rootfs "$BASE.partial"
    boot_start=$SECONDS
    $SUDO debootstrap --variant=minbase "$SUITE" "$BASE.partial" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE_DIR/debootstrap.log" >&2; fail "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; }
    # The same suites debian:bookworm-slim uses.
    $SUDO tee "$BASE.partial/etc/apt/sources.list" >/dev/null <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
    $SUDO rm -rf "$BASE.partial/var/cache/apt/archives/"*.deb
    $SUDO touch "$BASE.partial/.complete"
    $SUDO mv "$BASE.partial" "$BASE"
    echo "debootstrap took $((SECONDS - boot_start))s"
fi

# ------------------------------------------------------------------------------------------------
step "runtime rootfs: ${RUNTIME_PACKAGES[*]}, user $APP_USER ($APP_UID:$APP_GID), /usr/local/bin/session-mock, /seeds"
[ -d "$RUNFS" ] && remove_rootfs "$RUNFS"
$SUDO cp -a "$BASE" "$RUNFS"
$SUDO rm -f "$RUNFS/.complete"
$SUDO cp /etc/resolv.conf "$RUNFS/etc/resolv.conf"
mount_into "$RUNFS"
# The Dockerfile's runtime RUN, step for step.
$SUDO chroot "$RUNFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    /bin/sh -ec "
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends ${RUNTIME_PACKAGES[*]} >/dev/null
        rm -rf /var/lib/apt/lists/*
        apt-get clean
        groupadd --gid $APP_GID $APP_USER
        useradd --uid $APP_UID --gid $APP_USER --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin $APP_USER
    " || fail "installing the runtime packages in the chroot failed"
$SUDO install -D -m 0755 "$BIN" "$RUNFS/usr/local/bin/session-mock"
$SUDO mkdir -p "$RUNFS/seeds"
$SUDO cp -a Seeds/. "$RUNFS/seeds/"
pass "runtime rootfs ready"

# ------------------------------------------------------------------------------------------------
step "shared libraries (ldd inside the chroot)"
LDD_OUT="$($SUDO chroot "$RUNFS" ldd /usr/local/bin/session-mock)" || fail "ldd failed in the chroot"
echo "$LDD_OUT"
if grep -q "not found" <<<"$LDD_OUT"; then fail "missing shared libraries: $(grep 'not found' <<<"$LDD_OUT" | tr -s ' \t' ' ')"; fi
pass "every shared library resolves"
# Direct needs (DT_NEEDED) versus everything loaded transitively.
DIRECT_LIBS="$(LC_ALL=C readelf -d "$BIN" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')" || true
ALL_LIBS="$(awk '/=>/ {print $1} /^[[:space:]]*\/.*ld-linux/ {print $1}' <<<"$LDD_OUT" | sed 's|.*/||' | tr '\n' ' ')"
OWNERS="$($SUDO chroot "$RUNFS" sh -c "for f in $(awk '/=>/ {print $3}' <<<"$LDD_OUT" | tr '\n' ' '); do dpkg -S \"\$(readlink -f \$f)\" 2>/dev/null || dpkg -S \"\$f\" 2>/dev/null; done" | cut -d: -f1 | sort -u | tr '\n' ' ')" || true

# ------------------------------------------------------------------------------------------------
step "session-mock inside the chroot as $APP_UID:$APP_GID"
# The image's environment (Dockerfile ENV), nothing from the host. An array, not a function, so that
# `"${CHROOT_RUN[@]}" ... &` makes $! the server's own pid (a backgrounded function is a subshell).
CHROOT_RUN=(chroot --userspec="$APP_UID:$APP_GID" "$RUNFS" /usr/bin/env -i
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent
    SESSION_MOCK_HOST=0.0.0.0 SESSION_MOCK_PORT=8080 SESSION_MOCK_SEEDS=/seeds
    SESSION_MOCK_SCENARIO= SESSION_MOCK_LOG_LEVEL=info)
[ -n "$SUDO" ] && CHROOT_RUN=("$SUDO" "${CHROOT_RUN[@]}")
chroot_run() { "${CHROOT_RUN[@]}" "$@"; }
chroot_run session-mock --version || fail "session-mock --version failed in the chroot"
chroot_run session-mock validate /seeds || fail "session-mock validate /seeds failed in the chroot"
chroot_run id | grep -q "uid=$APP_UID($APP_USER)" || fail "not running as $APP_USER"

SERVER_LOG="$CACHE_DIR/server.log"
: >"$SERVER_LOG"
# The Dockerfile's CMD, but on loopback and port 0 (the server picks a free port and prints it).
"${CHROOT_RUN[@]}" session-mock serve --host 127.0.0.1 --port 0 --seeds /seeds >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
BASE_URL=""
for _ in $(seq 1 100); do
    BASE_URL="$(sed -n 's/^session-mock listening on \(http:[^ ]*\).*/\1/p' "$SERVER_LOG" | head -1)"
    [ -n "$BASE_URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; fail "server exited before it was ready"; }
    sleep 0.1
done
[ -n "$BASE_URL" ] || { cat "$SERVER_LOG" >&2; fail "no 'session-mock listening on' line within 10s"; }
pass "server ready: $(grep -m1 'session-mock listening on' "$SERVER_LOG")"

check() { # check NAME EXPECTED_STATUS NEEDLE curl-args...
    local name=$1 want=$2 needle=$3 body status
    shift 3
    body="$(mktemp)"
    status="$(curl -sS -o "$body" -w '%{http_code}' --max-time 10 "$@")" || { rm -f "$body"; fail "$name: curl failed"; }
    if [ "$status" != "$want" ] || ! grep -qF -- "$needle" "$body"; then
        echo "status $status, body:" >&2; head -c 2000 "$body" >&2; echo >&2; rm -f "$body"
        fail "$name: wanted $want with $needle"
    fi
    rm -f "$body"
    pass "$name -> $status, body has $needle"
}
check "GET /__admin/health" 200 '"status":"ok"' "$BASE_URL/__admin/health"
check "WalletKit GET /users/session-challenge?code=K7PX-22QA" 200 '"id":"sc_01HZX3"' \
    -H 'X-WalletKit-Project-ID: proj_demo' "$BASE_URL/users/session-challenge?code=K7PX-22QA"
check "ZITADEL GET /v2/sessions/312909075212468632" 200 '"session"' \
    -H 'Authorization: Bearer admin-pat' "$BASE_URL/v2/sessions/312909075212468632"
chroot_run session-mock health --url "$BASE_URL" || fail "session-mock health (inside the chroot) said unhealthy"
pass "session-mock health --url $BASE_URL (inside the chroot) -> exit 0"

$SUDO kill "$SERVER_PID"
for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVER_PID" 2>/dev/null; then fail "server did not stop on SIGTERM within 5s"; fi
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
pass "server stopped on SIGTERM"
chroot_run session-mock health --url "$BASE_URL" --timeout 1 2>/dev/null && fail "health still succeeds after stop"
pass "session-mock health -> exit 1 once stopped"

# ------------------------------------------------------------------------------------------------
unmount_all
step "sizes"
BIN_BYTES=$(stat -c %s "$BIN")
ROOTFS_HUMAN=$($SUDO du -sh --one-file-system "$RUNFS" | cut -f1)
ROOTFS_NOBIN_KB=$(( $($SUDO du -sk --one-file-system "$RUNFS" | cut -f1) - BIN_BYTES / 1024 ))
echo "runtime rootfs (minbase + runtime packages + binary + seeds): $ROOTFS_HUMAN"
echo "  of which the OS part:                                     $((ROOTFS_NOBIN_KB / 1024))M"
echo "session-mock binary (static Swift stdlib, not stripped):     $((BIN_BYTES / 1024 / 1024))M ($BIN_BYTES bytes)"
# shellcheck disable=SC2016  # dpkg-query's own ${...} format, not shell expansion
pkgs() { $SUDO chroot "$1" dpkg-query -W -f '${Package} ${Installed-Size}\n' | sort; }
ADDED="$(comm -13 <(pkgs "$BASE") <(pkgs "$RUNFS"))"
ADDED_KB=$(awk '{s += $2} END {print s + 0}' <<<"$ADDED")
echo "packages added to minbase:                                   $(awk '{print $1}' <<<"$ADDED" | tr '\n' ' ')($((ADDED_KB / 1024))M installed)"
echo "image estimate (debian:bookworm-slim ~75M + packages + binary): ~$(( 75 + ADDED_KB / 1024 + BIN_BYTES / 1024 / 1024 ))M uncompressed"
echo "shared libraries needed directly (DT_NEEDED):                ${DIRECT_LIBS:-?}"
echo "shared libraries loaded in all (ldd):                        $ALL_LIBS"
echo "provided by Debian packages:                                 ${OWNERS:-?}"
echo
echo "verify-runtime: all checks passed in $((SECONDS - START))s"
