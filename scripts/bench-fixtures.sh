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
LOG_TAG=bench-fixtures
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES_ENV=$REPO_ROOT/test/engine/fixtures.env
CACHE=$FIXTURE_CACHE

BENCH_VERSION=1
ARM64_PKGS="golang-go rustc cargo gcc libc6-dev ca-certificates"
CHANGES=(
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/go/bin'
  'ENV LANG=C.UTF-8'
  'CMD ["/bin/bash"]'
)

require_root
exec </dev/null
mkdir -p "$CACHE/logs"

[ -f "$FIXTURES_ENV" ] || die "$FIXTURES_ENV is missing: run scripts/fixtures.sh first"
AMD64_TOOLCHAIN=$(sed -n 's/^MATRIX_TOOLCHAIN_IMAGE=//p' "$FIXTURES_ENV")
[ -n "$AMD64_TOOLCHAIN" ] || die "no MATRIX_TOOLCHAIN_IMAGE in $FIXTURES_ENV"

ARM64_HASH=$(short_hash "$BENCH_VERSION" "$SUITE" arm64 "$ARM64_PKGS" "${CHANGES[@]}")
HASH=$(short_hash "$ARM64_HASH" "$AMD64_TOOLCHAIN")
ARM64_IMAGE=$REGISTRY/matrix-bench/toolchain-arm64:$ARM64_HASH
IMAGE=$REGISTRY/matrix-bench/toolchain:$HASH

require_engine

exec 9>"$CACHE/.bench.lock"
flock -w 3600 9 || die "another bench-fixtures.sh run holds $CACHE/.bench.lock"

if image_exists "$IMAGE"; then
  log "cached: $IMAGE"
  drop_stale_local "$IMAGE"
  echo "$IMAGE"
  exit 0
fi
image_exists "$AMD64_TOOLCHAIN" || die "$AMD64_TOOLCHAIN is not in the registry: run scripts/fixtures.sh"

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
    MIRROR=$(debian_mirror)
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
    pack_rootfs "$dir" "$tarball" 'bench-toolchain-*-arm64.tar' "$logf" "$start"
  fi
  import_push "$tarball" linux/arm64 "$ARM64_IMAGE" "${CHANGES[@]}"
fi

log "creating multi-arch $IMAGE from $AMD64_TOOLCHAIN and $ARM64_IMAGE"
docker buildx imagetools create -t "$IMAGE" "$AMD64_TOOLCHAIN" "$ARM64_IMAGE" >&2
image_exists "$IMAGE" || die "$IMAGE not in the registry after build"
drop_stale_local "$IMAGE"
echo "$IMAGE"
