#!/usr/bin/env bash
# Builds the local test image FROM scratch with Debian's busybox-static; no registry needed.
set -euo pipefail
image="${1:-dockhand-test/busybox:1}"
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
if [ ! -x /bin/busybox ] || ! file -L /bin/busybox 2>/dev/null | grep -q static; then
  if [ "$(id -u)" = 0 ] && ! dpkg -s busybox-static >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get -y -q install busybox-static >/dev/null
  fi
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
