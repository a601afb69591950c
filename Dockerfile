# syntax=docker/dockerfile:1
#
# aggregate: the collect step of an Argo Workflows fan-out/fan-in, as one small image.
#
#   docker build -t argo-aggregate .
#   docker run --rm -v "$PWD/examples/fragments:/mnt:ro" argo-aggregate aggregate --mode json /mnt
#
# NODE_IMAGE is used by every stage so the whole build can be pointed at another base
# (a mirror, a pinned digest, or the stand-in base test/image/run.sh assembles offline).
ARG NODE_IMAGE=node:24-alpine

# ---------------------------------------------------------------------------------------------
# Build: compile the scanner's WebAssembly kernel (scripts/wasm.mjs: AssemblyScript, embedded
# in the bundle as base64), compile TypeScript, bundle the CLI and its dependencies (scripts/bundle.mjs: main.cjs,
# aws-sdk.cjs loaded only by s3:// runs, ajv.cjs only by --schema runs), and make their V8 code caches with this stage's node,
# which is the runtime's node (same NODE_IMAGE).
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src

# Dependencies first, so this layer is cached until package*.json changes.
COPY package.json package-lock.json ./
# --ignore-scripts: the package's prepare script (the build, for git and path installs) would run
# here, before the sources are copied; the build runs below. No dependency needs its install script.
RUN npm ci --no-audit --no-fund --ignore-scripts

COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Lay out exactly what the runtime stage gets, as a root file system overlay:
#   /usr/local/lib/aggregate/bundle/aggregate.cjs   the bin: a launcher with `#!/usr/bin/env node`
#   /usr/local/lib/aggregate/bundle/main.cjs        the CLI and its dependencies
#   /usr/local/lib/aggregate/bundle/aws-sdk.cjs, ajv.cjs  chunks main.cjs loads on demand
#   /usr/local/lib/aggregate/bundle/*.cjs.v8cache   V8 code caches of main.cjs, aws-sdk.cjs and
#                                                   ajv.cjs for this node, made here by runs of the
#                                                   laid-out bin: read-only at run time (USER
#                                                   65532, read-only root file system)
#   /usr/local/lib/aggregate/package.json           name, version, "type": "module" only
#   /usr/local/bin/aggregate                        symlink to the bin: `aggregate` on PATH
#   /tmp, /tmp/out                                  world-writable (sticky): Argo output artifacts
#                                                   are conventionally written under /tmp/out, and
#                                                   `command: [aggregate, ..., -o, /tmp/out/x]`
#                                                   has no shell to mkdir it first
# node resolves the symlink of its main module, so the launcher finds main.cjs next to it.
RUN set -eu; \
    app=/rootfs/usr/local/lib/aggregate; \
    mkdir -p "$app/bundle" /rootfs/usr/local/bin /rootfs/tmp/out; \
    cp bundle/aggregate.cjs bundle/aggregate.mjs bundle/main.cjs bundle/aws-sdk.cjs bundle/ajv.cjs "$app/bundle/"; \
    chmod 0755 "$app/bundle/aggregate.cjs" "$app/bundle/aggregate.mjs"; \
    node -e 'const p = require("./package.json"); process.stdout.write(JSON.stringify({ name: p.name, version: p.version, license: p.license, type: "module", private: true }, null, 2) + "\n")' > "$app/package.json"; \
    ln -s ../lib/aggregate/bundle/aggregate.cjs /rootfs/usr/local/bin/aggregate; \
    node scripts/code-cache.mjs "$app/bundle"; \
    chmod 0644 "$app/bundle/main.cjs" "$app/bundle/aws-sdk.cjs" "$app/bundle/ajv.cjs" "$app/bundle/main.cjs.v8cache" "$app/bundle/aws-sdk.cjs.v8cache" "$app/bundle/ajv.cjs.v8cache"; \
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
