#!/usr/bin/env bash
# `npm test`: sets up what the tests need (npm deps, Debian packages, a Docker engine, the test
# image), then runs the unit tests and the integration tests against the real engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-node-deps.sh
bash scripts/install-test-deps.sh
bash scripts/ensure-engine.sh
bash scripts/build-test-image.sh dockhand-test/busybox:1
bash scripts/start-registry.sh
# The browser tests load the dashboard as dockhand serves it: built, hashed and compressed.
npx tsx scripts/build-dashboard.ts
exec npx vitest run "$@"
