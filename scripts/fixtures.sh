#!/usr/bin/env bash
# Build fixture base images from Debian packages and cache them in the local registry
# (no public image registry is reachable on these machines). Needs scripts/engine-up.sh first.
#
#   localhost:5000/matrix-fixture/toolchain:<hash>  linux/amd64 builder image (Go, Node, Python,
#                                                   Rust + aarch64 cross toolchain)
#   localhost:5000/matrix-fixture/runtime:<hash>    linux/amd64 + linux/arm64 (node, python3, busybox)
#   localhost:5000/matrix-fixture/platform:<hash>   linux/amd64 + linux/arm64, for work that must run
#                                                   as the target platform (npm, pip and a C compiler
#                                                   for native packages) and for the JVM and PHP
#                                                   runtimes
#   localhost:5000/matrix-fixture/jdk:<hash>        linux/amd64 JDK and Maven with Debian's local
#                                                   Maven repository (/usr/share/maven-repo)
#
# <hash> is a short hash of this script's package lists and version string, so changing a
# list builds a new tag; an existing tag in the registry is reused. Root file systems are
# made with debootstrap under /var/cache/matrix-fixtures and kept there as tarballs.
# Each architecture's images are built by their own job, side by side: the foreign
# architecture's (dpkg under QEMU, most of the time) beside the host's. Their log lines are
# prefixed with the architecture.
# Writes test/engine/fixtures.env (generated, not committed) and prints it.
# Usage: bash scripts/fixtures.sh   (as root, from any directory)
#   MATRIX_FIXTURE_NAMESPACE=NAME (default matrix-fixture) and MATRIX_FIXTURE_CACHE=DIR (default
#   /var/cache/matrix-fixtures) build under other names and another cache, e.g. to time a build
#   from nothing without losing the cached images.
set -euo pipefail
LOG_TAG=fixtures
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENV_FILE=$REPO_ROOT/test/engine/fixtures.env
CACHE=${MATRIX_FIXTURE_CACHE:-$FIXTURE_CACHE}
FIXTURE_CACHE=$CACHE
NAMESPACE=${MATRIX_FIXTURE_NAMESPACE:-matrix-fixture}
[[ $NAMESPACE =~ ^[a-z0-9]+([._-][a-z0-9]+)*$ ]] || die "MATRIX_FIXTURE_NAMESPACE must be a lower-case image path component, not '$NAMESPACE'"

# ---- what the images contain: changing anything here changes the tags
FIXTURE_VERSION=1
TOOLCHAIN_PKGS="golang-go nodejs npm python3 python3-pip rustc cargo gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross ca-certificates"
TOOLCHAIN_FOREIGN_ARCH=arm64
TOOLCHAIN_FOREIGN_PKGS="libstd-rust-dev:arm64"
TOOLCHAIN_CHANGES=(
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/go/bin'
  'ENV LANG=C.UTF-8'
  'CMD ["/bin/bash"]'
)
RUNTIME_PKGS="nodejs python3 busybox ca-certificates"
RUNTIME_ARCHES="amd64 arm64"
RUNTIME_CHANGES=(
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  'ENV LANG=C.UTF-8'
  'CMD ["/bin/sh"]'
)
PLATFORM_PKGS="nodejs npm python3 python3-pip python3-setuptools python3-wheel python3-venv gcc libc6-dev make default-jre-headless php-cli busybox ca-certificates"
PLATFORM_ARCHES="amd64 arm64"
PLATFORM_CHANGES=("${RUNTIME_CHANGES[@]}")
JDK_PKGS="default-jdk-headless maven libmaven-compiler-plugin-java libmaven-jar-plugin-java libmaven-resources-plugin-java libmaven-install-plugin-java libsurefire-java ca-certificates"
JDK_CHANGES=("${RUNTIME_CHANGES[@]}")

# The platform image starts from the runtime's root file systems (build_rootfs SEED).
for pkg in $RUNTIME_PKGS; do
  [[ " $PLATFORM_PKGS " == *" $pkg "* ]] || die "PLATFORM_PKGS must contain every RUNTIME_PKGS package (missing: $pkg)"
done

require_root
exec </dev/null
mkdir -p "$CACHE/logs"

TOOLCHAIN_HASH=$(short_hash "$FIXTURE_VERSION" "$SUITE" toolchain "$TOOLCHAIN_PKGS" \
  "$TOOLCHAIN_FOREIGN_ARCH" "$TOOLCHAIN_FOREIGN_PKGS" "${TOOLCHAIN_CHANGES[@]}")
RUNTIME_HASH=$(short_hash "$FIXTURE_VERSION" "$SUITE" runtime "$RUNTIME_PKGS" \
  "$RUNTIME_ARCHES" "${RUNTIME_CHANGES[@]}")
PLATFORM_HASH=$(short_hash "$FIXTURE_VERSION" "$SUITE" platform "$PLATFORM_PKGS" \
  "$PLATFORM_ARCHES" "${PLATFORM_CHANGES[@]}")
JDK_HASH=$(short_hash "$FIXTURE_VERSION" "$SUITE" jdk "$JDK_PKGS" "${JDK_CHANGES[@]}")
TOOLCHAIN_IMAGE=$REGISTRY/$NAMESPACE/toolchain:$TOOLCHAIN_HASH
RUNTIME_IMAGE=$REGISTRY/$NAMESPACE/runtime:$RUNTIME_HASH
PLATFORM_IMAGE=$REGISTRY/$NAMESPACE/platform:$PLATFORM_HASH
JDK_IMAGE=$REGISTRY/$NAMESPACE/jdk:$JDK_HASH
ALL_IMAGES=("$TOOLCHAIN_IMAGE" "$RUNTIME_IMAGE" "$PLATFORM_IMAGE" "$JDK_IMAGE")

write_env() {
  mkdir -p "$(dirname "$ENV_FILE")"
  printf 'MATRIX_TOOLCHAIN_IMAGE=%s\nMATRIX_RUNTIME_IMAGE=%s\nMATRIX_PLATFORM_IMAGE=%s\nMATRIX_JDK_IMAGE=%s\n' \
    "$TOOLCHAIN_IMAGE" "$RUNTIME_IMAGE" "$PLATFORM_IMAGE" "$JDK_IMAGE" >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  log "wrote $ENV_FILE"
  cat "$ENV_FILE"
}

# ---- preflight
require_engine
curl -fsS --max-time 3 "http://$REGISTRY/v2/" >/dev/null 2>&1 ||
  die "registry not answering on http://$REGISTRY/v2/: run scripts/engine-up.sh first"

# One run at a time.
exec 9>"$CACHE/.lock"
flock -w 3600 9 || die "another fixtures.sh run holds $CACHE/.lock"

# Fast path: everything is already in the registry.
all_cached() {
  local image
  for image in "${ALL_IMAGES[@]}"; do image_exists "$image" || return 1; done
}
# Every fixture name in the engine's image store, index and per-architecture part alike.
drop_stale_locals() {
  local image arch
  for image in "${ALL_IMAGES[@]}"; do drop_stale_local "$image"; done
  for arch in $RUNTIME_ARCHES; do
    for image in "$RUNTIME_IMAGE" "$PLATFORM_IMAGE"; do
      drop_stale_local "$image-$arch"
    done
  done
}
if all_cached; then
  for image in "${ALL_IMAGES[@]}"; do log "cached: $image"; done
  drop_stale_locals
  write_env
  exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap not found: run scripts/engine-up.sh first"
MIRROR=$(debian_mirror)
log "Debian mirror: $MIRROR"

# ---- root file systems
# dpkg without its per-file fsync while it installs (the tarball is written once, at the end): the
# files are the same, and most of the time of a foreign architecture's install is dpkg under QEMU.
UNSAFE_IO="-o Dpkg::Options::=--force-unsafe-io"
ACTIVE_ROOT=""
ROOTFS_TARBALL=""
cleanup_mounts() {
  if [ -n "$ACTIVE_ROOT" ]; then
    local m
    for m in "$ACTIVE_ROOT/proc" "$ACTIVE_ROOT/sys" "$ACTIVE_ROOT/dev/pts"; do
      if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
    done
  fi
}
trap cleanup_mounts EXIT

# fetch_on_host DIR ARCH PKGS...: the root file system DIR's package lists, and the files of PKGS
# and everything they need, fetched by this machine's own apt into DIR's list and archive
# directories, as DIR's apt would fetch them (its sources, keys, preferences and installed
# packages; ARCH as the native architecture). DIR's apt then finds them and only installs. For a
# foreign architecture this takes seconds: the same update and download run by DIR's apt under
# QEMU took minutes (apt, gpgv and http emulated). What gets installed is still DIR's apt's
# choice: a file it wants that is not there, it fetches itself.
fetch_on_host() {
  local dir=$1 arch=$2
  shift 2
  local opts=(-q -o "Dir=$dir" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch")
  apt-get "${opts[@]}" update && apt-get "${opts[@]}" -y install --download-only --no-install-recommends "$@"
}

# build_rootfs NAME HASH ARCH "PKGS" FOREIGN_ARCH "FOREIGN_PKGS" [SEED] -> sets ROOTFS_TARBALL
# SEED: a root file system tarball of the same suite whose packages are a subset of PKGS; when it
# exists it replaces debootstrap (whose second stage runs under QEMU for a foreign architecture and
# takes most of the time), and PKGS are installed on top. The result is the same package set.
build_rootfs() {
  local name=$1 hash=$2 arch=$3 pkgs=$4 farch=$5 fpkgs=$6 seed=${7:-}
  local tarball=$CACHE/$name-$hash-$arch.tar dir=$CACHE/$name-$hash-$arch.d
  local logf=$CACHE/logs/$name-$hash-$arch.log
  if [ -s "$tarball" ]; then
    log "reusing rootfs $tarball"
    ROOTFS_TARBALL=$tarball
    return 0
  fi
  local note=""
  [ "$arch" = "$(dpkg --print-architecture)" ] || note=" - second stage runs under QEMU, takes minutes"
  log "debootstrap $SUITE/$arch for $name (log: $logf)$note"
  local start=$SECONDS m
  # (a run killed while it installed may have left its mounts)
  for m in "$dir/proc" "$dir/sys" "$dir/dev/pts"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
  done
  rm -rf "$dir"
  mkdir -p "$dir"
  : >"$logf"
  if [ -n "$seed" ] && [ -s "$seed" ]; then
    log "  starting from $seed instead of debootstrap"
    tar -C "$dir" --numeric-owner -xf "$seed" >>"$logf" 2>&1 || die "cannot unpack $seed (log: $logf)"
  elif ! debootstrap --variant=minbase --arch="$arch" "$SUITE" "$dir" "$MIRROR" >>"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    die "debootstrap failed for $name/$arch (log: $logf)"
  fi
  log "  base system done in $((SECONDS - start)) s; installing: $pkgs"
  ACTIVE_ROOT=$dir
  mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
  cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  # shellcheck disable=SC2086
  if fetch_on_host "$dir" "$arch" $pkgs >>"$logf" 2>&1; then
    log "  package lists and files fetched by this machine's apt"
  else
    log "  this machine's apt could not fetch for $arch (see $logf): the root's own apt fetches"
    in_root "$dir" apt-get update -q >>"$logf" 2>&1 || { tail -n 30 "$logf" >&2; die "apt-get update failed for $name/$arch (log: $logf)"; }
  fi
  # shellcheck disable=SC2086
  if ! in_root "$dir" apt-get install -y -q --no-install-recommends $UNSAFE_IO $pkgs >>"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    die "package installation failed for $name/$arch (log: $logf)"
  fi
  if [ -n "$fpkgs" ]; then
    log "  adding architecture $farch: $fpkgs"
    # shellcheck disable=SC2086
    if { in_root "$dir" dpkg --add-architecture "$farch" &&
         in_root "$dir" apt-get update -q &&
         in_root "$dir" apt-get install -y -q --no-install-recommends $UNSAFE_IO $fpkgs; } >>"$logf" 2>&1; then
      log "  installed $fpkgs"
    else
      log "  WARNING: could not install $fpkgs (see $logf); the image is built without them"
      in_root "$dir" dpkg --remove-architecture "$farch" >>"$logf" 2>&1 || true
    fi
  fi
  in_root "$dir" apt-get clean >>"$logf" 2>&1 || true
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/tmp/* "$dir/usr/sbin/policy-rc.d"
  : >"$dir/etc/resolv.conf"
  cleanup_mounts
  ACTIVE_ROOT=""
  # (drops the rootfs tarballs of older versions of this image)
  pack_rootfs "$dir" "$tarball" "$name-*-$arch.tar" "$logf" "$start"
  ROOTFS_TARBALL=$tarball
}

# build_part NAME HASH ARCH "PKGS" FOREIGN_ARCH "FOREIGN_PKGS" SEED TAG CHANGES...: one single-platform
# image from its root file system (see build_rootfs), unless the registry has TAG.
build_part() {
  local name=$1 hash=$2 arch=$3 pkgs=$4 farch=$5 fpkgs=$6 seed=$7 tag=$8
  shift 8
  if image_exists "$tag"; then
    log "cached: $tag"
    return 0
  fi
  build_rootfs "$name" "$hash" "$arch" "$pkgs" "$farch" "$fpkgs" "$seed"
  import_push "$ROOTFS_TARBALL" "linux/$arch" "$tag" "$@"
  log "built $tag"
}

# arch_images ARCH: every image part of one architecture, in order. The platform image starts from
# the runtime's root file system (PLATFORM_PKGS contain RUNTIME_PKGS); the toolchain and jdk are
# built for the host's architecture only.
arch_images() {
  local arch=$1
  trap cleanup_mounts EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  build_part runtime "$RUNTIME_HASH" "$arch" "$RUNTIME_PKGS" "" "" "" "$RUNTIME_IMAGE-$arch" "${RUNTIME_CHANGES[@]}"
  build_part platform "$PLATFORM_HASH" "$arch" "$PLATFORM_PKGS" "" "" "$CACHE/runtime-$RUNTIME_HASH-$arch.tar" \
    "$PLATFORM_IMAGE-$arch" "${PLATFORM_CHANGES[@]}"
  [ "$arch" = "$HOST_ARCH" ] || return 0
  build_part toolchain "$TOOLCHAIN_HASH" "$arch" "$TOOLCHAIN_PKGS" "$TOOLCHAIN_FOREIGN_ARCH" "$TOOLCHAIN_FOREIGN_PKGS" "" \
    "$TOOLCHAIN_IMAGE" "${TOOLCHAIN_CHANGES[@]}"
  build_part jdk "$JDK_HASH" "$arch" "$JDK_PKGS" "" "" "" "$JDK_IMAGE" "${JDK_CHANGES[@]}"
}

# One job per architecture, side by side; a failed job fails the run after the others end.
JOBS=()
stop_jobs() {
  local pid
  for pid in "${JOBS[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap 'stop_jobs; cleanup_mounts' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
HOST_ARCH=$(dpkg --print-architecture)
[ "$PLATFORM_ARCHES" = "$RUNTIME_ARCHES" ] || die "PLATFORM_ARCHES must equal RUNTIME_ARCHES (the platform image starts from the runtime's)"
[ "$HOST_ARCH" = amd64 ] || die "the toolchain and jdk images are linux/amd64: run on an amd64 host"
JOB_ARCHES=()
for arch in $RUNTIME_ARCHES; do
  ( arch_images "$arch" ) > >(sed -u "s/^/[$arch] /" >&2) 2>&1 &
  JOBS+=("$!")
  JOB_ARCHES+=("$arch")
done
failed=()
for i in "${!JOBS[@]}"; do
  wait "${JOBS[$i]}" || failed+=("${JOB_ARCHES[$i]}")
done
JOBS=()
((${#failed[@]} == 0)) || die "the ${failed[*]} images failed (see the lines above and $CACHE/logs)"

# The multi-architecture indexes, from the parts the jobs pushed.
for pair in "runtime:$RUNTIME_IMAGE" "platform:$PLATFORM_IMAGE"; do
  image=${pair#*:}
  if image_exists "$image"; then
    log "cached: $image"
    continue
  fi
  parts=()
  for arch in $RUNTIME_ARCHES; do parts+=("$image-$arch"); done
  log "creating multi-arch $image from ${parts[*]}"
  docker buildx imagetools create -t "$image" "${parts[@]}" >&2
  log "built $image"
done

for image in "${ALL_IMAGES[@]}"; do
  image_exists "$image" || die "$image not in the registry after build"
done
drop_stale_locals
write_env
