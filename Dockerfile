# syntax=docker/dockerfile:1
#
# aggregate: the collect step of an Argo Workflows fan-out/fan-in, as one small image.
#
#   docker build -t aggregate .
#   docker run --rm -v "$PWD/examples/fragments:/mnt:ro" aggregate aggregate --mode json /mnt
#
# NODE_IMAGE is used by every stage so the whole build can be pointed at another base
# (a mirror, a pinned digest, or the stand-in base test/image/run.sh assembles offline).
ARG NODE_IMAGE=node:24-alpine

# ---------------------------------------------------------------------------------------------
# Build: compile TypeScript, then bundle the CLI and its dependencies into one ESM file.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src

# Dependencies first, so this layer is cached until package*.json changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm run bundle

# Lay out exactly what the runtime stage gets, as a root file system overlay:
#   /usr/local/lib/aggregate/aggregate.mjs   the bundle, with a `#!/usr/bin/env node` line
#   /usr/local/bin/aggregate                 symlink to it, so `aggregate` is on PATH
#   /tmp                                     world-writable (sticky): `-o /tmp/out/...` works as
#                                            a non-root user even on bases without /tmp
# The symlink keeps the .mjs extension visible to node (it resolves the main module's real
# path), so the bundle is loaded as ESM without a package.json next to it.
RUN set -eu; \
    mkdir -p /rootfs/usr/local/lib/aggregate /rootfs/usr/local/bin /rootfs/tmp; \
    out=/rootfs/usr/local/lib/aggregate/aggregate.mjs; \
    if head -n 1 bundle/aggregate.mjs | grep -q '^#!'; then \
      cp bundle/aggregate.mjs "$out"; \
    else \
      { echo '#!/usr/bin/env node'; cat bundle/aggregate.mjs; } > "$out"; \
    fi; \
    chmod 0755 "$out"; \
    ln -s ../lib/aggregate/aggregate.mjs /rootfs/usr/local/bin/aggregate; \
    chmod 1777 /rootfs/tmp; \
    /rootfs/usr/local/bin/aggregate --version

# ---------------------------------------------------------------------------------------------
# Runtime: the base image plus one file. No npm, no node_modules, no sources.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="aggregate" \
      org.opencontainers.image.description="Fan-in for Argo Workflows: stream thousands of JSON fragments into one array, or binaries into one archive, in bounded memory" \
      org.opencontainers.image.source="https://github.com/aggregate-dev/aggregate" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

COPY --from=build /rootfs/ /

ENV NODE_ENV=production
WORKDIR /tmp

# Numeric, so Kubernetes' `runAsNonRoot: true` can verify it without an /etc/passwd entry.
USER 65532:65532

# No ENTRYPOINT on purpose. Argo sets the container's `command` (container templates) or runs
# `command: [sh]` with the script file as argument (script templates); an ENTRYPOINT of
# `aggregate` would either be replaced anyway or, with `docker run IMAGE sh -c ...`, turn
# every invocation into `aggregate sh -c ...`. The CLI handles SIGTERM/SIGINT itself (exit
# 143/130, partial output removed), so it behaves as PID 1 under a plain `docker run` too.
CMD ["aggregate", "--help"]
