#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, when missing (root only):
# the engine, busybox-static for test images, Python grpcio for the interop client,
# Debian's docker-registry for pull/push tests, openssl for test certificates, chromium
# for the browser tests and prometheus for the autoscaler's query tests.
set -euo pipefail
packages=(docker.io busybox-static python3-grpcio python3-protobuf docker-registry curl openssl chromium prometheus)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them as root (apt-get install ${missing[*]})." >&2
  exit 1
fi
echo "Installing ${missing[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
