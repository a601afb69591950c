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
# Build: compile TypeScript, then bundle the CLI and its dependencies into one ESM file plus
# chunks loaded on demand (bundle/chunks/: the S3 reader with the AWS SDK).
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
#   /usr/local/lib/aggregate/bundle/aggregate.mjs  the bundle, with a `#!/usr/bin/env node` line
#   /usr/local/lib/aggregate/package.json           name, version, "type": "module" only: the
#                                                   bundle sits where it sits in the repository,
#                                                   so `--version` (../package.json) works
#   /usr/local/bin/aggregate                        symlink to the bundle: `aggregate` on PATH
#   /tmp, /tmp/out                                  world-writable (sticky): Argo output artifacts
#                                                   are conventionally written under /tmp/out, and
#                                                   `command: [aggregate, ..., -o, /tmp/out/x]`
#                                                   has no shell to mkdir it first
# node resolves the symlink of its main module, so the .mjs bundle is loaded as ESM.
RUN set -eu; \
    app=/rootfs/usr/local/lib/aggregate; \
    mkdir -p "$app/bundle" /rootfs/usr/local/bin /rootfs/tmp/out; \
    if head -n 1 bundle/aggregate.mjs | grep -q '^#!'; then \
      cp bundle/aggregate.mjs "$app/bundle/aggregate.mjs"; \
    else \
      { echo '#!/usr/bin/env node'; cat bundle/aggregate.mjs; } > "$app/bundle/aggregate.mjs"; \
    fi; \
    chmod 0755 "$app/bundle/aggregate.mjs"; \
    cp -R bundle/chunks "$app/bundle/chunks"; \
    node -e 'const p = require("./package.json"); process.stdout.write(JSON.stringify({ name: p.name, version: p.version, license: p.license, type: "module", private: true }, null, 2) + "\n")' > "$app/package.json"; \
    ln -s ../lib/aggregate/bundle/aggregate.mjs /rootfs/usr/local/bin/aggregate; \
    chmod 1777 /rootfs/tmp /rootfs/tmp/out; \
    /rootfs/usr/local/bin/aggregate --version

# ---------------------------------------------------------------------------------------------
# Runtime: the base image's node plus the bundle. No node_modules, no sources, no npm/yarn
# (nothing installs packages at run time, and they are most of what image scanners report).
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}

RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg

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
