#!/usr/bin/env bash
# make image: builds session-mock:local from docker/Dockerfile, unchanged.
#   - with `docker build` when a Docker engine answers;
#   - otherwise with buildah (Debian's, as root), after making local stand-ins for the Dockerfile's base
#     images under their real names (no registry is reachable here). docker/README.md says exactly how
#     the stand-ins differ from the real images.
# Caches: the debootstrap tree in .build-image/ and the stand-in images in buildah's own storage; both are
# rebuilt when missing. IMAGE_REFRESH=1 rebuilds the stand-ins.
# Env: IMAGE (default session-mock:local), DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, VERSION, COMMIT.
set -euo pipefail
cd -P "$(dirname "$0")/.."
source scripts/image-common.sh

IMAGE="${IMAGE:-session-mock:local}"
DOCKERFILE=docker/Dockerfile
VERSION="${VERSION:-dev}"
COMMIT="${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}"
START=$SECONDS

if docker info >/dev/null 2>&1; then
    say "docker engine found: docker build"
    docker build -f "$DOCKERFILE" -t "$IMAGE" --build-arg VERSION="$VERSION" --build-arg COMMIT="$COMMIT" .
    say "built $IMAGE in $((SECONDS - START))s"
    exit 0
fi

need_buildah
# The base images, read off the Dockerfile's FROM lines (stage aliases are not images).
mapfile -t BASES < <(awk 'toupper($1) == "FROM" { print $2 }' "$DOCKERFILE")
SLIM=docker.io/library/debian:bookworm-slim
SWIFT_TAG=""
for base in "${BASES[@]}"; do
    case "$base" in
        debian:bookworm-slim) ;;
        swift:*-bookworm) SWIFT_TAG="${base#swift:}" ;;
        *) fail "no stand-in known for base image $base (only debian:bookworm-slim and swift:*-bookworm)" ;;
    esac
done
[ -n "$SWIFT_TAG" ] || fail "$DOCKERFILE has no swift:*-bookworm build stage"
SWIFT_IMAGE="docker.io/library/swift:$SWIFT_TAG"

SWIFT_BIN="$(command -v swift)" || fail "no swift on PATH: the swift stand-in copies this machine's toolchain"
TOOLCHAIN="$(dirname "$(dirname "$(dirname "$(readlink -f "$SWIFT_BIN")")")")"   # …/usr/bin/swift -> …
HOST_SWIFT_VERSION="$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)"
[ "${SWIFT_TAG%-bookworm}" = "$HOST_SWIFT_VERSION" ] \
    || fail "the Dockerfile builds with swift:$SWIFT_TAG but this machine has Swift $HOST_SWIFT_VERSION: no honest stand-in"
# SwiftPM resolves https://github.com/… through git's url.<mirror>.insteadOf; the build mounts the mirror.
MIRROR_DIR="$(git config --get-regexp '^url\..*\.insteadof$' 'https://github.com/' | head -1 | sed 's/^url\.\(.*\)\.insteadof .*/\1/')"
MIRROR_DIR="${MIRROR_DIR%/}"

CACHE=.build-image
mkdir -p "$CACHE"
[ "${IMAGE_REFRESH:-}" = 1 ] && { buildah rmi -f "$SWIFT_IMAGE" "$SLIM" >/dev/null 2>&1 || true; rm -rf "$CACHE/rootfs"; }

# debian:bookworm-slim: debootstrap minbase with the slim image's dpkg excludes (no docs, man pages,
# locales) and its apt sources (bookworm, -updates, -security).
if ! image_exists "$SLIM"; then
    step "stand-in $SLIM (debootstrap --variant=minbase bookworm)"
    t=$SECONDS
    if [ ! -e "$CACHE/rootfs/.complete" ]; then
        command -v debootstrap >/dev/null || apt_install debootstrap
        rm -rf --one-file-system "$CACHE/rootfs"
        debootstrap --variant=minbase bookworm "$CACHE/rootfs" "$DEBIAN_MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
            || { tail -20 "$CACHE/debootstrap.log" >&2; fail "debootstrap failed (log: $CACHE/debootstrap.log)"; }
        cat >"$CACHE/rootfs/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bookworm-updates main
deb $DEBIAN_SECURITY_MIRROR bookworm-security main
EOF
        cat >"$CACHE/rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
        find "$CACHE/rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
        rm -rf "$CACHE/rootfs/usr/share/man/"* "$CACHE/rootfs/usr/share/info/"* "$CACHE/rootfs/usr/share/locale/"* \
            "$CACHE/rootfs/usr/share/groff/"* "$CACHE/rootfs/usr/share/lintian/"* \
            "$CACHE/rootfs/var/cache/apt/"*.bin "$CACHE/rootfs/var/cache/apt/archives/"*.deb "$CACHE/rootfs/var/lib/apt/lists/"*
        touch "$CACHE/rootfs/.complete"
    fi
    ctr=$(buildah from scratch)
    mnt=$(buildah mount "$ctr")
    tar -C "$CACHE/rootfs" --exclude=./.complete -cf - . | tar -C "$mnt" -xf -
    buildah umount "$ctr" >/dev/null
    buildah config --cmd '["bash"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    buildah commit --quiet --rm --format docker "$ctr" "$SLIM" >/dev/null
    say "stand-in $SLIM made in $((SECONDS - t))s"
fi

# swift:X-bookworm: that base, the packages the official Swift image installs, this machine's
# toolchain at the same path, PATH, and git's mirror redirect.
if ! image_exists "$SWIFT_IMAGE"; then
    step "stand-in $SWIFT_IMAGE (toolchain from $TOOLCHAIN)"
    t=$SECONDS
    ctr=$(buildah from --pull-never "$SLIM")
    buildah run "$ctr" -- sh -ec '
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends binutils git gnupg2 libc6-dev libcurl4-openssl-dev \
            libedit2 libgcc-12-dev libpython3-dev libsqlite3-0 libstdc++-12-dev libxml2-dev libz3-dev \
            pkg-config tzdata zlib1g-dev libncurses6 >/dev/null
        rm -rf /var/lib/apt/lists/*'
    mnt=$(buildah mount "$ctr")
    mkdir -p "$mnt$TOOLCHAIN"
    cp -a "$TOOLCHAIN/." "$mnt$TOOLCHAIN/"
    if [ -n "$MIRROR_DIR" ]; then
        printf '[url "%s/"]\n\tinsteadOf = https://github.com/\n' "$MIRROR_DIR" >"$mnt/etc/gitconfig"
    fi
    buildah umount "$ctr" >/dev/null
    buildah config --env "PATH=$TOOLCHAIN/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --cmd '["bash"]' "$ctr"
    buildah commit --quiet --rm --format docker "$ctr" "$SWIFT_IMAGE" >/dev/null
    say "stand-in $SWIFT_IMAGE made in $((SECONDS - t))s"
fi

step "buildah bud -f $DOCKERFILE -t $IMAGE"
t=$SECONDS
mount_args=()
[ -n "$MIRROR_DIR" ] && mount_args=(-v "$MIRROR_DIR:$MIRROR_DIR:ro")
# --format docker: an OCI image would silently drop HEALTHCHECK. --layers: unchanged steps are reused.
buildah bud --format docker --pull-never --layers "${mount_args[@]}" \
    --build-arg VERSION="$VERSION" --build-arg COMMIT="$COMMIT" \
    -f "$DOCKERFILE" -t "$IMAGE" . >"$CACHE/build.log" 2>&1 \
    || { tail -40 "$CACHE/build.log" >&2; fail "buildah bud failed (log: $CACHE/build.log)"; }
say "built $IMAGE in $((SECONDS - t))s (buildah bud), $((SECONDS - START))s in all"
