#!/usr/bin/env bash
# A multi-arch toolchain image for the multi-arch benchmark (scripts/bench.mjs):
# the builder stage emulated under QEMU needs a toolchain for each target platform,
# while the test fixture toolchain (scripts/fixtures.sh) is linux/amd64 only.
#
#   localhost:5000/matrix-bench/toolchain-arm64:<hash>  debootstrap --arch=arm64 trixie with
#                                                       golang-go, rustc, cargo, gcc
#   localhost:5000/matrix-bench/toolchain:<hash>        linux/amd64 (the fixture toolchain) +
#                                                       linux/arm64 (the image above)
#
# <hash> covers this script's package list and the amd64 toolchain tag, so changing
# either builds a new tag; an existing tag in the registry is reused (seconds). The arm64
# root file system is built with debootstrap, second stage under QEMU (~10 minutes once),
# and kept in /var/cache/matrix-fixtures as a tarball.
# Needs scripts/engine-up.sh and scripts/fixtures.sh first. Prints the multi-arch tag last.
# Usage: bash scripts/bench-fixtures.sh   (as root)
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES_ENV=$REPO_ROOT/test/engine/fixtures.env
CACHE=/var/cache/matrix-fixtures
REGISTRY=localhost:5000
SUITE=trixie

BENCH_VERSION=1
ARM64_PKGS="golang-go rustc cargo gcc libc6-dev ca-certificates"
CHANGES=(
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/go/bin'
  'ENV LANG=C.UTF-8'
  'CMD ["/bin/bash"]'
)

log() { printf '[bench-fixtures] %s\n' "$*" >&2; }
die() { printf '[bench-fixtures] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
exec </dev/null
mkdir -p "$CACHE/logs"

[ -f "$FIXTURES_ENV" ] || die "$FIXTURES_ENV is missing: run scripts/fixtures.sh first"
AMD64_TOOLCHAIN=$(sed -n 's/^MATRIX_TOOLCHAIN_IMAGE=//p' "$FIXTURES_ENV")
[ -n "$AMD64_TOOLCHAIN" ] || die "no MATRIX_TOOLCHAIN_IMAGE in $FIXTURES_ENV"

short_hash() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }
ARM64_HASH=$(short_hash "$BENCH_VERSION" "$SUITE" arm64 "$ARM64_PKGS" "${CHANGES[@]}")
HASH=$(short_hash "$ARM64_HASH" "$AMD64_TOOLCHAIN")
ARM64_IMAGE=$REGISTRY/matrix-bench/toolchain-arm64:$ARM64_HASH
IMAGE=$REGISTRY/matrix-bench/toolchain:$HASH

image_exists() { docker buildx imagetools inspect "$1" >/dev/null 2>&1; }

command -v docker >/dev/null || die "docker not found: run scripts/engine-up.sh first"
timeout 20 docker info >/dev/null 2>&1 || die "docker engine not answering: run scripts/engine-up.sh first"

exec 9>"$CACHE/.bench.lock"
flock -w 3600 9 || die "another bench-fixtures.sh run holds $CACHE/.bench.lock"

if image_exists "$IMAGE"; then
  log "cached: $IMAGE"
  echo "$IMAGE"
  exit 0
fi
image_exists "$AMD64_TOOLCHAIN" || die "$AMD64_TOOLCHAIN is not in the registry: run scripts/fixtures.sh"

# The URI of apt's configured Debian source (deb822 first, then one-line lists).
apt_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      /^[ \t]*#/ { next }
      tolower($1) == "types:" && $0 ~ /[ \t]deb([ \t]|$)/ { deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      /^[ \t]*$/ { if (deb && uri != "") { print uri; exit } deb = 0; uri = "" }
      END { if (deb && uri != "") print uri }' "$f" | head -n1 | grep . && return 0
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } print $i; exit }' "$f" |
      head -n1 | grep . && return 0
  done
  return 1
}

if image_exists "$ARM64_IMAGE"; then
  log "cached: $ARM64_IMAGE"
else
  command -v debootstrap >/dev/null || die "debootstrap not found: run scripts/engine-up.sh first"
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "no QEMU binfmt handler for aarch64: run scripts/engine-up.sh first"
  tarball=$CACHE/bench-toolchain-$ARM64_HASH-arm64.tar
  dir=$CACHE/bench-toolchain-$ARM64_HASH-arm64.d
  logf=$CACHE/logs/bench-toolchain-$ARM64_HASH-arm64.log
  if [ -s "$tarball" ]; then
    log "reusing rootfs $tarball"
  else
    MIRROR=$(apt_uri) || die "cannot find apt's configured Debian source"
    log "debootstrap $SUITE/arm64 with $ARM64_PKGS (second stage under QEMU, ~10 minutes; log: $logf)"
    start=$SECONDS
    rm -rf "$dir"
    mkdir -p "$dir"
    cleanup() { mountpoint -q "$dir/proc" 2>/dev/null && umount -l "$dir/proc" || true; }
    trap cleanup EXIT
    include=$(echo "$ARM64_PKGS" | tr ' ' ',')
    if ! debootstrap --variant=minbase --arch=arm64 --include="$include" "$SUITE" "$dir" "$MIRROR" >"$logf" 2>&1; then
      tail -n 30 "$logf" >&2
      die "debootstrap failed (log: $logf)"
    fi
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/tmp/*
    : >"$dir/etc/resolv.conf"
    cleanup
    tar -C "$dir" --numeric-owner -cf "$tarball.partial" . >>"$logf" 2>&1 || die "tar of $dir failed"
    mv "$tarball.partial" "$tarball"
    rm -rf "$dir"
    find "$CACHE" -maxdepth 1 -name 'bench-toolchain-*-arm64.tar' ! -name "bench-toolchain-$ARM64_HASH-arm64.tar" -delete
    log "rootfs ready in $((SECONDS - start)) s: $tarball ($(du -h "$tarball" | cut -f1))"
  fi
  args=()
  for c in "${CHANGES[@]}"; do args+=(--change "$c"); done
  log "importing and pushing $ARM64_IMAGE"
  docker import --platform linux/arm64 "${args[@]}" - "$ARM64_IMAGE" <"$tarball" >/dev/null
  docker push -q "$ARM64_IMAGE" >/dev/null
fi

log "creating multi-arch $IMAGE from $AMD64_TOOLCHAIN and $ARM64_IMAGE"
docker buildx imagetools create -t "$IMAGE" "$AMD64_TOOLCHAIN" "$ARM64_IMAGE" >&2
image_exists "$IMAGE" || die "$IMAGE not in the registry after build"
echo "$IMAGE"
