#!/usr/bin/env bash
# A SECOND Docker daemon on this machine, standing in for a second CI runner:
# its own socket, data root, exec root, pid file, config file and containerd
# namespaces, its own bridge (matrix-br2, 172.31.250.1/24, no NAT) and no
# iptables rules, so nothing of the main daemon's networking is touched. (Not
# `--bridge none`: a daemon started so deletes the default docker0 interface,
# which is the main daemon's.) It shares only the containerd daemon that
# scripts/engine-up.sh started (in namespaces of its own: images, containers
# and build cache are not shared) and reaches the local registry at
# 127.0.0.1:5000 like any other client.
#
#   bash scripts/engine-second.sh up     start it (idempotent: a running one is kept)
#   bash scripts/engine-second.sh down   stop it, only if this script started it
#   bash scripts/engine-second.sh host   print its DOCKER_HOST
#
# Needs the main engine up first (scripts/engine-up.sh). Never touches the main
# dockerd or containerd. Logs in /var/log/matrix-engine/dockerd-second.log.
set -euo pipefail
LOG_TAG=engine-second
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=dockerd-second
LOG_DIR=/var/log/matrix-engine
PID_DIR=/run/matrix-engine
RUN_DIR=/run/matrix-engine/second
DATA_ROOT=/var/lib/matrix-engine/second-docker
CONFIG=/etc/matrix-engine/second-daemon.json
SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/docker.pid
OUR_PID=$PID_DIR/$NAME.pid
CONTAINERD_SOCK=/run/containerd/containerd.sock
NAMESPACE=matrix-second
BRIDGE=matrix-br2
BRIDGE_CIDR=172.31.250.1/24
TIMEOUT="${MATRIX_ENGINE_TIMEOUT:-90}"

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
read_pidfile() { if [ -f "$1" ]; then tr -dc '0-9' <"$1"; fi; }
# The pid we recorded, if it is still a dockerd serving our socket (pids are reused).
our_pid() {
  local pid
  pid=$(read_pidfile "$OUR_PID")
  if pid_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"--pidfile $PIDFILE "* ]]; then
    echo "$pid"
  fi
}
second_ok() { timeout "${CHECK_TIMEOUT:-10}" docker --host "unix://$SOCK" info >/dev/null 2>&1; }

up() {
  exec </dev/null
  timeout 10 ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1 || die "containerd not answering on $CONTAINERD_SOCK: run scripts/engine-up.sh first"
  if second_ok; then
    log "second dockerd already answering on unix://$SOCK"
    return 0
  fi
  local pid
  pid=$(our_pid)
  if [ -n "$pid" ]; then
    log "our second dockerd (pid $pid) is not answering: stopping it"
    down
  fi
  mkdir -p "$LOG_DIR" "$PID_DIR" "$RUN_DIR" "$DATA_ROOT" "$(dirname "$CONFIG")"
  # Its own config file: /etc/docker/daemon.json is the main daemon's. The containerd image
  # store, as on the main daemon, so that both push the same kind of images.
  printf '{\n  "features": { "containerd-snapshotter": true }\n}\n' >"$CONFIG.tmp"
  mv "$CONFIG.tmp" "$CONFIG"
  ensure_bridge
  local stale
  stale=$(read_pidfile "$PIDFILE")
  if [ -n "$stale" ] && ! pid_alive "$stale"; then rm -f "$PIDFILE"; fi
  local logf=$LOG_DIR/$NAME.log
  printf '\n==== %s starting\n' "$(date -Is)" >>"$logf"
  (exec setsid nohup dockerd \
    --config-file "$CONFIG" \
    --host "unix://$SOCK" \
    --pidfile "$PIDFILE" \
    --data-root "$DATA_ROOT" \
    --exec-root "$RUN_DIR/exec" \
    --containerd "$CONTAINERD_SOCK" \
    --containerd-namespace "$NAMESPACE" \
    --containerd-plugins-namespace "$NAMESPACE-plugins" \
    --bridge "$BRIDGE" --iptables=false --ip6tables=false --ip-masq=false \
    </dev/null >>"$logf" 2>&1 8>&-) & # (8>&-: not this script's lock, see hold_lock)
  echo $! >"$OUR_PID"
  log "started second dockerd (pid $!), log: $logf"
  local start=$SECONDS
  until second_ok; do
    if [ -z "$(our_pid)" ] && ! pid_alive "$(read_pidfile "$OUR_PID")"; then
      tail -n 30 "$logf" >&2 || true
      die "the second dockerd exited during start-up (log: $logf)"
    fi
    [ $((SECONDS - start)) -lt "$TIMEOUT" ] || { tail -n 30 "$logf" >&2 || true; die "the second dockerd did not answer within ${TIMEOUT}s (log: $logf)"; }
    sleep 0.5
  done
  log "second dockerd answering: DOCKER_HOST=unix://$SOCK"
}

# The second daemon's own bridge (build steps and containers need one), made once.
ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge || die "cannot create bridge $BRIDGE"
    touch "$RUN_DIR/bridge.ours"
    log "created bridge $BRIDGE"
  fi
  if ! bridge_has_address; then
    local err
    # (An address that came between the check and the add is what we wanted: no error then.)
    if ! err=$(ip addr add "$BRIDGE_CIDR" dev "$BRIDGE" 2>&1) && ! bridge_has_address; then
      local other
      other=$(ip -o -4 addr show to "${BRIDGE_CIDR%/*}" | awk '{print $2}' | sort -u | tr '\n' ' ')
      die "cannot give $BRIDGE the address $BRIDGE_CIDR: $err${other:+ (the address is on: $other)}"
    fi
  fi
  ip link set "$BRIDGE" up
}

# (Not `ip ... | grep -q`: under pipefail, grep leaving early can end ip with SIGPIPE and a match
# reads as a failure. That is how a bridge that had its address was given it again, and failed.)
bridge_has_address() { [[ "$(ip -o -4 addr show dev "$BRIDGE")" == *" $BRIDGE_CIDR "* ]]; }

down() {
  local pid
  pid=$(our_pid)
  if [ -z "$pid" ]; then
    rm -f "$OUR_PID"
    log "no second dockerd of ours is running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.2; done
  if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$OUR_PID"
  log "stopped the second dockerd (pid $pid)"
  if [ -f "$RUN_DIR/bridge.ours" ]; then
    ip link del "$BRIDGE" 2>/dev/null || true
    rm -f "$RUN_DIR/bridge.ours"
    log "removed bridge $BRIDGE"
  fi
}

case "${1:-up}" in
  up) require_root; hold_lock engine-second; up ;;
  down) require_root; hold_lock engine-second; down ;;
  host) echo "unix://$SOCK" ;;
  *) die "usage: $0 up|down|host" ;;
esac
