#!/usr/bin/env bash
# Builds the local test image FROM scratch with Debian's busybox-static; no registry needed.
set -euo pipefail
image="${1:-dockhand-test/busybox:1}"
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  echo "busybox-static is missing: run scripts/install-test-deps.sh as root" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp /bin/busybox "$ctx/busybox"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/bin
LABEL dockhand.test=true
CMD ["sleep", "3600"]
DOCKERFILE
docker build -q -t "$image" "$ctx" >/dev/null
echo "built $image" >&2
