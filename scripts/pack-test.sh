#!/usr/bin/env bash
# Installs bake-matrix into an empty project the way the README says a user can
# today, and uses it there: `npx matrix --version`, `schema`, `templates`, and
# `matrix gen` on a copy of samples/hello-go, whose output must equal the
# repository's own CLI's. Dependencies come from the npm registry, as for a user.
#   tarball (default): pack as `npm publish` would, install the .tgz;
#   git: commit the working tree to a scratch git repository and install
#        `git+file://...#COMMIT` (npm clones it, installs its devDependencies and
#        runs `prepare`, exactly as for a `git+https://` URL).
# Usage: bash scripts/pack-test.sh [tarball|git]   (SKIP_BUILD=1 packs the dist/
# already built; KEEP=1 keeps the scratch directory and prints it)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/matrix-pack-XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "scratch: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
fail() { echo "pack-test: $*" >&2; exit 1; }

MODE=${1:-tarball}
case "$MODE" in tarball|git) ;; *) fail "unknown mode '$MODE' (tarball or git)" ;; esac

cd "$ROOT"
if [ "$MODE" = git ]; then
  # Tracked and new files of the working tree, as a user's clone would have them.
  SRC="$WORK/src"
  mkdir "$SRC"
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue
    mkdir -p "$SRC/$(dirname "$f")" && cp -P "$f" "$SRC/$f"
  done
  (cd "$SRC" && git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm tree) || fail "could not commit the working tree"
  SOURCE="git+file://$SRC#$(git -C "$SRC" rev-parse HEAD)"
else
  [ "${SKIP_BUILD:-0}" = 1 ] || node scripts/build.mjs
  [ -f dist/matrix.cjs ] || fail "dist/matrix.cjs is missing: run node scripts/build.mjs"

  # --ignore-scripts: `prepare` would rebuild dist/ (removing it first) under anything else using it.
  npm pack --ignore-scripts --pack-destination "$WORK" --json >"$WORK/pack.json"
  TARBALL="$WORK/$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].filename)' "$WORK/pack.json")"
  [ -f "$TARBALL" ] || fail "npm pack wrote no tarball"
  echo "packed $(basename "$TARBALL") ($(wc -c <"$TARBALL") bytes)"
  SOURCE=$TARBALL
fi

mkdir "$WORK/app"
cd "$WORK/app"
printf '{ "name": "pack-test-app", "version": "1.0.0", "private": true }\n' >package.json
npm install --no-audit --no-fund --loglevel=error --save-dev "$SOURCE"
echo "installed from $MODE"

want=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
got=$(npx --no-install matrix --version)
[ "$got" = "$want" ] || fail "npx matrix --version printed '$got', expected '$want'"
echo "npx matrix --version: $got"

npx --no-install matrix schema | node -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))' || fail "matrix schema did not print JSON"
listed=$(npx --no-install matrix templates) || fail "matrix templates failed"
grep -q '^go' <<<"$listed" || fail "matrix templates did not list the go template"

# gen from the installed package, on a copy without the generated files...
cp -R "$ROOT/samples/hello-go" "$WORK/app/hello"
rm -f "$WORK/app/hello/Dockerfile" "$WORK/app/hello/docker-bake.hcl"
(cd "$WORK/app/hello" && git init -q && npx --no-install matrix gen && npx --no-install matrix gen --check >/dev/null) || fail "matrix gen failed in the installed package"
# ...must write what the repository's own CLI writes.
cp -R "$ROOT/samples/hello-go" "$WORK/ref"
rm -f "$WORK/ref/Dockerfile" "$WORK/ref/docker-bake.hcl"
(cd "$WORK/ref" && git init -q && node "$ROOT/bin/matrix.cjs" gen --quiet)
diff -r -x .git "$WORK/ref" "$WORK/app/hello" || fail "the installed package generated different files"
echo "pack-test: ok"
