# Shared by the set-up scripts (engine-up.sh, fixtures.sh, bench-fixtures.sh):
# source it after setting LOG_TAG, e.g.
#   LOG_TAG=fixtures; . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# They run as root on a fresh Debian machine (CI), with no stdin: nothing here
# may prompt, and nothing may rely on a tool the scripts do not install first.
# shellcheck shell=bash

export DEBIAN_FRONTEND=noninteractive
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"

REGISTRY=localhost:5000
FIXTURE_CACHE=/var/cache/matrix-fixtures
# The Debian suite the fixture root file systems are bootstrapped from.
SUITE=trixie

log() { printf '[%s] %s\n' "${LOG_TAG:-matrix}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-matrix}" "$*" >&2; exit 1; }

require_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# A short hash of the arguments, one per line: tags change when what goes into an image does.
short_hash() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }

# Is the image (or index) in a registry?
image_exists() { docker buildx imagetools inspect "$1" >/dev/null 2>&1; }

# drop_stale_local IMAGE: the engine's own image store must not hold another build under a
# fixture's name. BuildKit in dockerd takes a FROM image from that store, when it has the name,
# before asking the registry; so a local image left from an earlier build of the same tag (the
# registry's storage replaced, or the tag rebuilt elsewhere) would stand in for the registry's,
# and tests that read the registry's layers would compare against an image no build used. Such
# a local tag is removed; the next build or run pulls the registry's image.
drop_stale_local() {
  local image=$1 want
  docker image inspect "$image" >/dev/null 2>&1 || return 0
  # pipefail here, whatever the caller set: a tag the registry lacks leaves the local one alone.
  want=sha256:$(set -o pipefail; docker buildx imagetools inspect --raw "$image" 2>/dev/null | sha256sum | cut -d' ' -f1) || return 0
  if docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" | grep -qxF "${image%:*}@$want"; then
    return 0
  fi
  log "the engine's local $image is not the registry's ($want): removing the local tag"
  docker image rm "$image" >/dev/null
}

# One run at a time of a script that starts or stops engine parts: two at once (two CI
# runs on one machine, or a test starting the second daemon while CI does) would
# both see a part missing and both start it. Waits for the other run, then holds
# the lock on file descriptor 8 until this script exits.
hold_lock() {
  mkdir -p /run/lock
  exec 8>"/run/lock/matrix-$1.lock"
  flock -w "${MATRIX_LOCK_TIMEOUT:-600}" 8 || die "another run still holds /run/lock/matrix-$1.lock after ${MATRIX_LOCK_TIMEOUT:-600}s"
}

# The engine must be up (scripts/engine-up.sh).
require_engine() {
  command -v docker >/dev/null || die "docker not found: run scripts/engine-up.sh first"
  timeout 20 docker info >/dev/null 2>&1 || die "docker engine not answering: run scripts/engine-up.sh first"
}

# Print "URI<TAB>SIGNED_BY" of apt's configured Debian source for suite $1 (deb822
# files first, then one-line sources). SIGNED_BY may be empty.
apt_source_for_suite() {
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v want="$suite" '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no" && uri != "") {
          n = split(suites, s, /[ \t]+/)
          for (i = 1; i <= n; i++) if (s[i] == want) { print uri "\t" signed; found = 1; exit }
        }
        types = ""; suites = ""; uri = ""; signed = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
        if (key == "types") types = val
        else if (key == "suites") suites = val
        else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
        else if (key == "signed-by") signed = val
        else if (key == "enabled") enabled = tolower(val)
      }
      END { if (!found) flush() }
    ' "$f" | head -n1 | grep . && return 0
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v want="$suite" '
      $1 == "deb" {
        i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == want) { print $i "\t"; exit }
      }' "$f" | head -n1 | grep . && return 0
  done
  return 1
}

# Add Debian trixie to apt's sources beside this machine's bookworm (same mirror and key),
# pinned low (priority 100) so that only packages asked for as PKG/trixie come from it:
# the engine's packages (scripts/engine-up.sh) and cosign, which bookworm does not have
# (.ci/run). Idempotent; the caller runs apt-get update.
ensure_trixie_source() {
  local src uri signed want pin
  src=$(apt_source_for_suite bookworm) || die "cannot find apt's configured bookworm source"
  uri=${src%%$'\t'*}
  signed=${src#*$'\t'}
  [ -n "$signed" ] || signed=/usr/share/keyrings/debian-archive-keyring.gpg
  local srcfile=/etc/apt/sources.list.d/matrix-trixie.sources
  want=$(printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" "$signed")
  if [ "$(cat "$srcfile" 2>/dev/null || true)" != "$want" ]; then
    printf '%s\n' "$want" >"$srcfile"
    log "wrote $srcfile (URI $uri)"
  fi
  local pinfile=/etc/apt/preferences.d/matrix-trixie
  pin=$(printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n')
  if [ "$(cat "$pinfile" 2>/dev/null || true)" != "$pin" ]; then
    printf '%s\n' "$pin" >"$pinfile"
    log "wrote $pinfile"
  fi
}

# The mirror URI of apt's source for this machine's release (bookworm if it has none):
# where debootstrap fetches the fixture root file systems from.
debian_mirror() {
  local codename src
  codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"')
  src=$(apt_source_for_suite "${codename:-bookworm}") || src=$(apt_source_for_suite bookworm) ||
    die "cannot find apt's configured Debian source"
  printf '%s\n' "${src%%$'\t'*}"
}

# Run CMD... inside the root file system DIR, with a clean environment.
in_root() { # DIR CMD...
  local dir=$1; shift
  chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# Pack the root file system DIR into TARBALL (written by rename, so a half-written one is
# never reused), remove DIR, and drop older tarballs matching GLOB in the cache.
pack_rootfs() { # DIR TARBALL GLOB LOGFILE STARTED_AT_SECONDS
  local dir=$1 tarball=$2 glob=$3 logf=$4 start=$5
  tar -C "$dir" --numeric-owner -cf "$tarball.partial" . >>"$logf" 2>&1 || die "tar of $dir failed"
  mv "$tarball.partial" "$tarball"
  rm -rf "$dir"
  find "$FIXTURE_CACHE" -maxdepth 1 -name "$glob" ! -name "$(basename "$tarball")" -delete
  log "  rootfs ready in $((SECONDS - start)) s: $tarball ($(du -h "$tarball" | cut -f1))"
}

# import_push TARBALL PLATFORM TAG CHANGES...: one image from a root file system tarball, pushed.
import_push() {
  local tarball=$1 platform=$2 tag=$3; shift 3
  local args=() c
  for c in "$@"; do args+=(--change "$c"); done
  log "importing $tag ($platform)"
  docker import --platform "$platform" "${args[@]}" - "$tag" <"$tarball" >/dev/null
  log "pushing $tag"
  docker push -q "$tag" >/dev/null
}
