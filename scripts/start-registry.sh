#!/usr/bin/env bash
# Starts Debian's docker-registry on 127.0.0.1:5000 (or $REGISTRY_ADDR) for the pull/push tests,
# unless something already answers there. Storage goes to its own temporary folder, never to the
# package's /var/lib/docker-registry, and there is no auth: the daemon treats 127.0.0.0/8
# registries as insecure-allowed, so plain HTTP works without touching daemon.json.
set -euo pipefail
addr="${REGISTRY_ADDR:-127.0.0.1:5000}"
url="http://$addr/v2/"

answers() { curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; }
if answers; then exit 0; fi

if ! command -v docker-registry >/dev/null 2>&1; then
  echo "docker-registry is missing: run scripts/install-test-deps.sh as root" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/dockhand-registry.XXXXXX")
cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $addr
YAML
# setsid detaches it from this script's process group so it outlives the test run's shell.
setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 < /dev/null &
echo $! >"$dir/registry.pid"

for _ in $(seq 1 50); do
  if answers; then
    echo "docker-registry serving $url (storage $dir, pid $(cat "$dir/registry.pid"))" >&2
    exit 0
  fi
  sleep 0.2
done
echo "docker-registry did not answer on $url; log:" >&2
cat "$dir/registry.log" >&2
exit 1
