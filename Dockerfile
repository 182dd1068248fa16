# dockhand in a container, talking to the host's Docker engine through its mounted socket.
# Inside the container it listens on 0.0.0.0, so it starts only with TLS and credentials, taken
# from a mounted folder of certificates and the tokens file (README, Running on a network):
#
#   docker build -t dockhand .
#   docker run -d --name dockhand -p 7051:7051 \
#     -v /var/run/docker.sock:/var/run/docker.sock -v dockhand-data:/data \
#     -v "$PWD/certs:/certs:ro" -e DOCKHAND_TLS_CERT=/certs/server.pem \
#     -e DOCKHAND_TLS_KEY=/certs/server.key -e DOCKHAND_AUTH_TOKENS=/certs/tokens.yml dockhand
#
# Published on the host's loopback only, cleartext without auth is the same risk as on a bare
# host's loopback: say so with -e DOCKHAND_INSECURE=true and -p 127.0.0.1:7051:7051.
#
# BASE_IMAGE must provide node 20+ and npm (and /bin/sh for the build stage); any other
# image with them works, e.g. a mirror's copy when Docker Hub cannot be reached.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# NPM_CI=false builds without the npm registry: the build context must then carry a complete
# node_modules (as `npm ci` leaves it, dev dependencies included), which the default
# .dockerignore leaves out. The integration test builds that way, since no registry is
# reachable there; everyone else keeps the default.
ARG NPM_CI=true
COPY package.json package-lock.json ./
RUN if [ "$NPM_CI" = true ]; then npm ci --no-audit --no-fund; fi
COPY . .
RUN test -x node_modules/.bin/tsc || { echo "node_modules is missing: build with NPM_CI=true, or from a context that has it" >&2; exit 1; }
RUN node_modules/.bin/tsc -p tsconfig.build.json
RUN node_modules/.bin/tsx scripts/build-dashboard.ts
# Only production dependencies go on to the runtime stage.
RUN npm prune --omit=dev --offline --no-audit --no-fund

FROM ${BASE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    DOCKHAND_BIND=0.0.0.0 \
    DOCKHAND_PORT=7051 \
    DOCKHAND_DATA_DIR=/data
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
EXPOSE 7051
# No curl in slim images: node itself asks the liveness endpoint, over TLS when dockhand serves
# it (the probe trusts any certificate: it only asks this container's own loopback). Under mTLS
# the probe has no client certificate, so turn it off (--no-healthcheck) and probe from outside.
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "const tls = !!process.env.DOCKHAND_TLS_CERT; require(tls ? 'https' : 'http').get({ host: '127.0.0.1', port: process.env.DOCKHAND_PORT || 7051, path: '/healthz', rejectUnauthorized: false, timeout: 2000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
# Runs as root: the mounted Docker socket is root-equivalent anyway, and its group id
# differs from host to host. dockhand handles SIGTERM itself, so it can be PID 1.
# The same memory settings as `npm start` (scripts/start.sh says why).
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/src/main.js"]
