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
exec npx vitest run "$@"
