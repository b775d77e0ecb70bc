#!/usr/bin/env bash
# Bring up a real Docker engine on a Debian 12 (bookworm) machine without systemd:
#   1. install docker.io/containerd/docker-buildx/docker-cli from trixie (pinned low),
#      qemu-user-static, docker-registry and debootstrap from bookworm;
#   2. enable the containerd image store in /etc/docker/daemon.json;
#   3. register QEMU binfmt handlers for foreign architectures;
#   4. start containerd and dockerd in the background (logs in /var/log/matrix-engine);
#   5. start a local registry on 127.0.0.1:5000;
#   6. print a short summary.
# Idempotent: every step is skipped when already done, so a second run takes seconds.
# Usage: bash scripts/engine-up.sh   (as root, from any directory, no stdin needed)
set -euo pipefail
LOG_TAG=engine-up
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOG_DIR=/var/log/matrix-engine
PID_DIR=/run/matrix-engine
CONF_DIR=/etc/matrix-engine
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_ROOT=/var/lib/matrix-registry
CONTAINERD_SOCK=/run/containerd/containerd.sock
DOCKER_SOCK=/var/run/docker.sock
DOCKER_PIDFILE=/var/run/docker.pid
TIMEOUT="${MATRIX_ENGINE_TIMEOUT:-90}"
QEMU_ARCHES=(aarch64 arm riscv64 ppc64le s390x)

require_root
hold_lock engine
mkdir -p "$LOG_DIR" "$PID_DIR" "$CONF_DIR"
exec </dev/null

# The docker CLI, talking to the local engine whatever DOCKER_HOST/context says.
dk() { docker --host "unix://$DOCKER_SOCK" "$@"; }

# ---------------------------------------------------------------- helpers
pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_comm() { cat "/proc/$1/comm" 2>/dev/null || true; }
read_pidfile() { if [ -f "$1" ]; then tr -dc '0-9' <"$1"; fi; }

# Stop a daemon we started earlier (pid recorded in our own pid file), if it is still the
# same program. Never touches processes we did not start.
stop_ours() {
  local name=$1 comm=$2 pidfile="$PID_DIR/$1.pid" pid
  pid=$(read_pidfile "$pidfile")
  if pid_alive "$pid" && [ "$(pid_comm "$pid")" = "$comm" ]; then
    log "stopping our unresponsive $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.2; done
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  fi
  rm -f "$pidfile"
}

# Is a daemon we started still alive (pid file + program name check)?
ours_alive() {
  local pid
  pid=$(read_pidfile "$PID_DIR/$1.pid")
  pid_alive "$pid" && [ "$(pid_comm "$pid")" = "$2" ]
}

# Start a command detached from this script (own session, no stdin, log file), record its pid.
start_detached() {
  local name=$1; shift
  local logf="$LOG_DIR/$name.log"
  printf '\n==== %s starting %s\n' "$(date -Is)" "$*" >>"$logf"
  # (8>&-: the daemon must not keep this script's lock, see hold_lock)
  (exec setsid nohup "$@" </dev/null >>"$logf" 2>&1 8>&-) &
  echo $! >"$PID_DIR/$name.pid"
  log "started $name (pid $!), log: $logf"
}

log_tail() { tail -n "${2:-30}" "$LOG_DIR/$1.log" 2>/dev/null | sed "s/^/    [$1] /" >&2 || true; }

# ---------------------------------------------------------------- 1. packages
TRIXIE_PKGS=(docker.io containerd docker-buildx docker-cli)
BOOKWORM_PKGS=(qemu-user-static docker-registry debootstrap)

install_packages() {
  local missing_trixie=() missing_bookworm=() p
  for p in "${TRIXIE_PKGS[@]}"; do pkg_installed "$p" || missing_trixie+=("$p"); done
  for p in "${BOOKWORM_PKGS[@]}"; do pkg_installed "$p" || missing_bookworm+=("$p"); done
  # tools the script itself relies on
  command -v curl >/dev/null || missing_bookworm+=(curl)
  command -v python3 >/dev/null || missing_bookworm+=(python3)
  if [ ${#missing_trixie[@]} -eq 0 ] && [ ${#missing_bookworm[@]} -eq 0 ]; then
    log "packages already installed"
    return 0
  fi
  log "installing: ${missing_trixie[*]/%//trixie} ${missing_bookworm[*]}"

  ensure_trixie_source

  # Keep package maintainer scripts from starting services (dockerd, registry) themselves.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  {
    apt-get -o DPkg::Lock::Timeout=600 update -q &&
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
      "${missing_trixie[@]/%//trixie}" "${missing_bookworm[@]}"
  } >"$LOG_DIR/apt.log" 2>&1 || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ "$rc" != 0 ]; then
    log_tail apt 40
    die "package installation failed (full log: $LOG_DIR/apt.log)"
  fi
  for p in "${TRIXIE_PKGS[@]}" "${BOOKWORM_PKGS[@]}"; do
    pkg_installed "$p" || die "package $p still not installed (see $LOG_DIR/apt.log)"
  done
  log "packages installed"
}

ensure_buildx_plugin() {
  if docker buildx version >/dev/null 2>&1; then return 0; fi
  local plugin=/usr/libexec/docker/cli-plugins/docker-buildx
  [ -x "$plugin" ] || die "buildx plugin missing at $plugin"
  mkdir -p /usr/local/lib/docker/cli-plugins
  ln -sfn "$plugin" /usr/local/lib/docker/cli-plugins/docker-buildx
  docker buildx version >/dev/null 2>&1 || die "'docker buildx version' fails even with the plugin linked"
  log "linked buildx plugin into /usr/local/lib/docker/cli-plugins"
}

# ---------------------------------------------------------------- 2. daemon.json
DAEMON_JSON_CHANGED=0
write_daemon_json() {
  mkdir -p /etc/docker
  local out
  out=$(python3 - /etc/docker/daemon.json <<'PY'
import json, os, sys
path = sys.argv[1]
cfg = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        cfg = json.load(f)
feats = cfg.setdefault("features", {})
if feats.get("containerd-snapshotter") is True:
    print("unchanged")
else:
    feats["containerd-snapshotter"] = True
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    print("changed")
PY
) || die "cannot update /etc/docker/daemon.json"
  if [ "$out" = changed ]; then
    DAEMON_JSON_CHANGED=1
    log "enabled containerd-snapshotter in /etc/docker/daemon.json"
  fi
}

# ---------------------------------------------------------------- 3. binfmt
register_binfmt() {
  local bm=/proc/sys/fs/binfmt_misc arch conf line done_list=() new_list=()
  if [ ! -e "$bm/register" ]; then
    mount -t binfmt_misc binfmt_misc "$bm" || die "cannot mount binfmt_misc on $bm"
  fi
  for arch in "${QEMU_ARCHES[@]}"; do
    if [ -e "$bm/qemu-$arch" ]; then done_list+=("$arch"); continue; fi
    conf=/usr/lib/binfmt.d/qemu-$arch.conf
    [ -f "$conf" ] || die "missing $conf (qemu-user-static not installed?)"
    line=$(grep -v '^[[:space:]]*#' "$conf" | grep -m1 '^:' || true)
    [ -n "$line" ] || die "no binfmt line in $conf"
    printf '%s' "$line" >"$bm/register" || die "cannot register qemu-$arch"
    new_list+=("$arch")
  done
  [ ${#new_list[@]} -eq 0 ] || log "registered binfmt: ${new_list[*]}"
  [ ${#done_list[@]} -eq 0 ] || log "binfmt already registered: ${done_list[*]}"
}

# ---------------------------------------------------------------- 4. daemons
containerd_ok() { timeout "${CHECK_TIMEOUT:-5}" ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; }
docker_ok() { timeout "${CHECK_TIMEOUT:-10}" docker --host "unix://$DOCKER_SOCK" info >/dev/null 2>&1; }

# Poll check_fn until it succeeds or about `seconds` have passed (each check is itself
# bounded by a short timeout, so a hung daemon cannot stretch this).
grace() { # check_fn seconds
  local fn=$1 deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ]; do
    CHECK_TIMEOUT=3 "$fn" && return 0
    sleep 0.5
  done
  return 1
}

wait_for() { # name check_fn timeout_seconds
  local name=$1 fn=$2 limit=$3 start=$SECONDS
  while ! "$fn"; do
    if [ $((SECONDS - start)) -ge "$limit" ]; then return 1; fi
    if ! ours_alive "$name" "$name"; then return 2; fi
    sleep 0.5
  done
}

start_containerd() {
  if containerd_ok; then log "containerd already answering"; return 0; fi
  if ours_alive containerd containerd; then
    log "our containerd is running but not answering; giving it 10 s"
    grace containerd_ok 10 && { log "containerd answering"; return 0; }
    stop_ours containerd containerd
  else
    rm -f "$PID_DIR/containerd.pid"
  fi
  if pgrep -x containerd >/dev/null 2>&1; then
    die "a containerd we did not start (pid $(pgrep -x containerd | tr '\n' ' ')) is running but not answering on $CONTAINERD_SOCK; stop it and rerun"
  fi
  start_detached containerd containerd
  local rc=0
  wait_for containerd containerd_ok "$TIMEOUT" || rc=$?
  if [ "$rc" != 0 ]; then
    log_tail containerd
    [ "$rc" = 2 ] && die "containerd exited during start-up (log: $LOG_DIR/containerd.log)"
    die "containerd did not answer within ${TIMEOUT}s (log: $LOG_DIR/containerd.log)"
  fi
  log "containerd answering"
}

start_dockerd() {
  if docker_ok; then
    if [ "$DAEMON_JSON_CHANGED" = 1 ]; then
      if ours_alive dockerd dockerd; then
        log "daemon.json changed: restarting our dockerd"
        stop_ours dockerd dockerd
      else
        log "WARNING: daemon.json changed but the running dockerd was not started by this script; restart it yourself"
        return 0
      fi
    else
      log "dockerd already answering"
      return 0
    fi
  elif ours_alive dockerd dockerd; then
    log "our dockerd is running but not answering; giving it 15 s"
    grace docker_ok 15 && { log "dockerd answering"; return 0; }
    stop_ours dockerd dockerd
  else
    rm -f "$PID_DIR/dockerd.pid"
  fi
  # Stale /var/run/docker.pid from an earlier run that did not exit cleanly.
  local dpid
  dpid=$(read_pidfile "$DOCKER_PIDFILE")
  if [ -n "$dpid" ]; then
    if pid_alive "$dpid" && [ "$(pid_comm "$dpid")" = dockerd ]; then
      die "a dockerd we did not start (pid $dpid) is running but not answering on $DOCKER_SOCK; stop it and rerun"
    fi
    log "removing stale $DOCKER_PIDFILE (pid $dpid)"
    rm -f "$DOCKER_PIDFILE"
  fi
  start_detached dockerd dockerd --containerd "$CONTAINERD_SOCK" --pidfile "$DOCKER_PIDFILE" --host "unix://$DOCKER_SOCK"
  local rc=0
  wait_for dockerd docker_ok "$TIMEOUT" || rc=$?
  if [ "$rc" != 0 ]; then
    log_tail dockerd
    [ "$rc" = 2 ] && die "dockerd exited during start-up (log: $LOG_DIR/dockerd.log)"
    die "dockerd did not answer 'docker info' within ${TIMEOUT}s (log: $LOG_DIR/dockerd.log)"
  fi
  log "dockerd answering"
}

# ---------------------------------------------------------------- 5. registry
registry_ok() { curl -fsS --max-time "${CHECK_TIMEOUT:-3}" "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

start_registry() {
  local cfg=$CONF_DIR/registry.yml want
  mkdir -p "$REGISTRY_ROOT"
  want=$(cat <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REGISTRY_ROOT
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
)
  if [ "$(cat "$cfg" 2>/dev/null || true)" != "$want" ]; then
    printf '%s\n' "$want" >"$cfg"
    log "wrote $cfg"
  fi
  if registry_ok; then log "registry already answering on $REGISTRY_ADDR"; return 0; fi
  if ours_alive registry docker-registry; then
    grace registry_ok 5 && { log "registry answering"; return 0; }
    stop_ours registry docker-registry
  fi
  start_detached registry docker-registry serve "$cfg"
  local start=$SECONDS
  until registry_ok; do
    if ! ours_alive registry docker-registry; then
      log_tail registry
      die "registry exited during start-up (log: $LOG_DIR/registry.log)"
    fi
    if [ $((SECONDS - start)) -ge 30 ]; then
      log_tail registry
      die "registry did not answer on http://$REGISTRY_ADDR/v2/ within 30s"
    fi
    sleep 0.3
  done
  log "registry answering on $REGISTRY_ADDR (storage $REGISTRY_ROOT)"
}

# ---------------------------------------------------------------- main
install_packages
ensure_buildx_plugin
write_daemon_json
register_binfmt
start_containerd
start_dockerd
start_registry

log "summary:"
printf 'docker client %s, server %s\n' \
  "$(dk version --format '{{.Client.Version}}' 2>/dev/null || echo '?')" \
  "$(dk version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
printf 'buildx: %s\n' "$(docker buildx version 2>/dev/null | head -n1)"
printf 'registry: http://%s (storage %s)\n' "$REGISTRY_ADDR" "$REGISTRY_ROOT"
docker buildx ls
