#!/usr/bin/env bash
# `npm start`: installs what is missing, makes sure a Docker engine answers, builds, and runs
# dockhand in the foreground. Arguments are passed on (npm start -- --port 7052).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-node-deps.sh
# --help needs neither an engine nor a fresh build.
for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then
    [ -f dist/src/main.js ] || npx tsc -p tsconfig.build.json
    exec node dist/src/main.js --help
  fi
done
if [ -z "${DOCKER_HOST:-}" ] || [[ "${DOCKER_HOST}" == unix://* ]]; then
  host="${DOCKER_HOST:-}"
  if ! DOCKHAND_ENGINE_SOCKET="${host#unix://}" bash scripts/ensure-engine.sh; then
    echo "dockhand: no Docker engine could be had. Start dockerd yourself (as root: bash scripts/ensure-engine.sh)," >&2
    echo "or point DOCKER_HOST (or --docker-url) at a running engine, then run npm start again." >&2
    exit 1
  fi
fi
# What the README's examples use, made here as the tests make it (no internet registry): the
# example image built FROM scratch with Debian's busybox-static, and Debian's Python grpcio for
# the Python client. Installing needs root; without it, what is missing is named and skipped.
if [ -z "${DOCKER_HOST:-}" ] || [[ "${DOCKER_HOST}" == unix://* ]]; then
  missing=()
  for p in busybox-static python3-grpcio python3-protobuf; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "dockhand: installing ${missing[*]} for the README's examples ..." >&2
      DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
        echo "dockhand: could not install ${missing[*]}; the README's examples need them" >&2
    else
      echo "dockhand: the README's examples need ${missing[*]} (apt-get install ${missing[*]}, as root)" >&2
    fi
  fi
  bash scripts/build-test-image.sh dockhand-test/busybox:1 ||
    echo "dockhand: the example image dockhand-test/busybox:1 could not be built; the README's examples use it" >&2
fi
# Only what changed is rebuilt: tsc keeps its build info, and the dashboard is bundled again only
# when one of its sources (or the generated code it uses) is newer than the last bundle.
npx tsc -p tsconfig.build.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
if [ ! -f dist/dashboard/index.html ] || [ -n "$(find dashboard gen scripts/build-dashboard.ts -newer dist/dashboard/index.html -type f -print -quit)" ]; then
  npx tsx scripts/build-dashboard.ts
fi
# A small young generation and two malloc arenas keep the resident memory of a busy server
# near its live heap (bench:status: about 110-160 MB instead of 190-220 MB after the load);
# src/main.ts also has V8 collect old space sooner (about 100 MB).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec node --max-semi-space-size=4 dist/src/main.js "$@"
