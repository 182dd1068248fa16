#!/usr/bin/env bash
# Makes sure a Docker engine answers on DOCKER_HOST (default the local unix socket).
# Installs Debian's docker.io and starts dockerd when none answers and we are root.
set -euo pipefail

sock="${DOCKHAND_ENGINE_SOCKET:-/var/run/docker.sock}"
[ -n "$sock" ] || sock=/var/run/docker.sock
log="${DOCKHAND_ENGINE_LOG:-/tmp/dockhand-dockerd.log}"

ping_engine() { curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

if ping_engine; then exit 0; fi

if [ "$(id -u)" != 0 ]; then
  echo "No Docker engine answers on $sock and this is not root." >&2
  echo "Start one (for example: sudo dockerd &) or set DOCKER_HOST, then try again." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "Installing Debian's docker.io ..." >&2
  apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }
  apt_get update >/dev/null
  apt_get install docker.io >/dev/null
fi

# A killed daemon leaves its pid file behind, and dockerd refuses to start over it.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi

echo "Starting dockerd (log: $log) ..." >&2
nohup dockerd --host "unix://$sock" >"$log" 2>&1 &

for _ in $(seq 1 60); do
  if ping_engine; then echo "Docker engine is up." >&2; exit 0; fi
  sleep 0.5
done
echo "dockerd did not answer within 30 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
