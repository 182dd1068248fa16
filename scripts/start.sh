#!/usr/bin/env bash
# `npm start`: installs what is missing, makes sure a Docker engine answers, builds, and runs
# dockhand in the foreground. Arguments are passed on (npm start -- --port 7052).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-node-deps.sh
if [ -z "${DOCKER_HOST:-}" ] || [[ "${DOCKER_HOST}" == unix://* ]]; then
  host="${DOCKER_HOST:-}"
  if ! DOCKHAND_ENGINE_SOCKET="${host#unix://}" bash scripts/ensure-engine.sh; then
    echo "dockhand: no Docker engine could be had. Start dockerd yourself (as root: bash scripts/ensure-engine.sh)," >&2
    echo "or point DOCKER_HOST (or --docker-url) at a running engine, then run npm start again." >&2
    exit 1
  fi
fi
npx tsc -p tsconfig.build.json
npx tsx scripts/build-dashboard.ts
# A small young generation and two malloc arenas keep the resident memory of a busy server
# near its live heap (bench:status: about 110-160 MB instead of 190-220 MB after the load);
# src/main.ts also has V8 collect old space sooner (about 100 MB).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec node --max-semi-space-size=4 dist/src/main.js "$@"
