#!/usr/bin/env bash
# Image test: builds the repository's real Dockerfile with buildah and runs the image the way
# Argo Workflows would (non-root, sample fragments mounted read-only at /mnt, container-style
# and script-style invocations), comparing its output with the host build of the CLI.
#
#   npm run test:image          (or: bash test/image/run.sh)
#
# Needs no Docker engine and no registry for the base image: a stand-in for node:*-alpine is
# assembled from this machine's own node, busybox and libraries (see docs/development.md,
# "Image test without a Docker engine"); npm ci in the build stage does
# reach the npm registry. Installs buildah, podman and busybox-static with apt-get when missing
# (CI runs as root on a fresh machine).
#
# Environment:
#   IMAGE_TEST_CACHE   where the stand-in base tar is cached (default: ~/.cache/aggregate-image-test)
#   IMAGE_TEST_KEEP=1  keep localhost/argo-aggregate:test and the base image after the run
#   IMAGE_TEST_PURGE=1 also remove the stand-in base image and the cached tar at the end
#   IMAGE_TEST_NAME    image name (default: localhost/argo-aggregate:test)
#
# Exit status: 0 when every check passes, 1 when a check fails, 2 when the setup fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGE=${IMAGE_TEST_NAME:-localhost/argo-aggregate:test}
SD=(--storage-driver vfs)
T0=$(date +%s)

log() { printf '[image-test] %s\n' "$*" >&2; }
die() { printf '[image-test] SETUP FAILED: %s\n' "$*" >&2; exit 2; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

# ---------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------
need_install=()
command -v buildah >/dev/null 2>&1 || need_install+=(buildah)
command -v podman >/dev/null 2>&1 || need_install+=(podman)
[[ -x /bin/busybox ]] || need_install+=(busybox-static)
if ((${#need_install[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need_install[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_install[@]}" >/dev/null || die "apt-get install ${need_install[*]} failed"
  else
    die "missing ${need_install[*]}; install them (apt-get install -y buildah podman busybox-static) or run as root"
  fi
fi
command -v node >/dev/null 2>&1 || die "node is not on PATH"

NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$(node --version)
ARCH=$(uname -m)
BASE_IMAGE="localhost/node-base:${NODE_VERSION}-${ARCH}"
CACHE=${IMAGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aggregate-image-test}
BASE_TAR="$CACHE/node-base-${NODE_VERSION}-${ARCH}.tar"
PKG_VERSION=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/aggregate-image-test.XXXXXX")
# What exists before this run, so cleanup removes exactly what the run created (also after a
# failed or interrupted build, whose working containers and stage images would linger).
BEFORE_CONTAINERS=" $(buildah "${SD[@]}" containers -a -q 2>/dev/null | tr '\n' ' ') "
BEFORE_IMAGES=" $(buildah "${SD[@]}" images -a -q --no-trunc 2>/dev/null | tr '\n' ' ') "
cleanup() {
  local id base_id
  for id in $(buildah "${SD[@]}" containers -a -q 2>/dev/null); do
    [[ $BEFORE_CONTAINERS == *" $id "* ]] || buildah "${SD[@]}" rm "$id" >/dev/null 2>&1 || true
  done
  if [[ ${IMAGE_TEST_KEEP:-0} != 1 ]]; then
    base_id=$(buildah "${SD[@]}" images -q --no-trunc "$BASE_IMAGE" 2>/dev/null || true)
    buildah "${SD[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true
    for id in $(buildah "${SD[@]}" images -a -q --no-trunc 2>/dev/null); do
      # The stand-in base stays, as a cache for the next run, unless IMAGE_TEST_PURGE=1.
      [[ $id == "$base_id" && ${IMAGE_TEST_PURGE:-0} != 1 ]] && continue
      [[ $BEFORE_IMAGES == *" $id "* && $id != "$base_id" ]] && continue
      buildah "${SD[@]}" rmi -f "$id" >/dev/null 2>&1 || true
    done
    if [[ ${IMAGE_TEST_PURGE:-0} == 1 ]]; then rm -f "$BASE_TAR"; fi
  fi
  rm -rf "$WORK"
}
# Long steps (the build) run in the background with `wait`, so a signal is handled at once:
# stop the step, then clean up.
CHILD=
on_signal() {
  if [[ -n $CHILD ]]; then kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  echo "[image-test] interrupted" >&2
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# ---------------------------------------------------------------------------------------------
# Host build of the CLI: the reference output
# ---------------------------------------------------------------------------------------------
log "npm run build (host reference)"
(cd "$ROOT" && npm run build --silent) >"$WORK/host-build.log" 2>&1 || { cat "$WORK/host-build.log" >&2; die "npm run build failed"; }
HOST_CLI=(node "$ROOT/dist/cli.js")

# ---------------------------------------------------------------------------------------------
# Stand-in base image (cached by node version and architecture)
# ---------------------------------------------------------------------------------------------
if buildah "${SD[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE already present"
else
  if [[ ! -s $BASE_TAR ]]; then
    log "assembling stand-in base from $NODE_BIN ($NODE_VERSION)"
    mkdir -p "$CACHE"
    R="$WORK/rootfs"
    mkdir -p "$R"/{bin,usr/bin,usr/local/bin,usr/local/lib,etc/ssl/certs,tmp,root}
    chmod 1777 "$R/tmp"
    cp /bin/busybox "$R/bin/busybox"
    for a in $(/bin/busybox --list); do
      [[ -e $R/bin/$a ]] || ln -s busybox "$R/bin/$a"
    done
    ln -sf /bin/busybox "$R/usr/bin/env"
    cp "$NODE_BIN" "$R/usr/local/bin/node"
    # Every shared library node links against, at the same path (works on x86_64 and aarch64).
    for lib in $(ldd "$NODE_BIN" | grep -o '/[^ ]*' | sort -u); do
      mkdir -p "$R$(dirname "$lib")"
      cp -L "$lib" "$R$lib"
    done
    NODE_PREFIX=$(dirname "$(dirname "$NODE_BIN")")
    if [[ -d $NODE_PREFIX/lib/node_modules/npm ]]; then
      mkdir -p "$R/usr/local/lib/node_modules"
      cp -R "$NODE_PREFIX/lib/node_modules/npm" "$R/usr/local/lib/node_modules/npm"
      ln -s ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/local/bin/npm"
      ln -s ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/local/bin/npx"
    else
      die "npm not found under $NODE_PREFIX/lib/node_modules"
    fi
    cp -L /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
    printf 'root:x:0:\n' >"$R/etc/group"
    tar -C "$R" -cf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
    rm -rf "$R"
  else
    log "using cached base tar $BASE_TAR"
  fi
  log "importing $BASE_IMAGE"
  podman "${SD[@]}" import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    "$BASE_TAR" "$BASE_IMAGE" >/dev/null || die "podman import failed"
fi

# ---------------------------------------------------------------------------------------------
# Build the real Dockerfile
# ---------------------------------------------------------------------------------------------
log "building $IMAGE from $ROOT/Dockerfile (NODE_IMAGE=$BASE_IMAGE)"
TB0=$(date +%s)
(cd "$ROOT" && exec buildah "${SD[@]}" bud --isolation chroot \
  --build-arg "NODE_IMAGE=$BASE_IMAGE" --build-arg "VERSION=$PKG_VERSION" \
  -t "$IMAGE" .) >"$WORK/build.log" 2>&1 &
CHILD=$!
build_status=0
wait "$CHILD" || build_status=$?
CHILD=
if ((build_status != 0)); then
  tail -n 60 "$WORK/build.log" >&2
  echo "FAIL image build (log above)"
  exit 1
fi
BUILD_SECONDS=$(( $(date +%s) - TB0 ))
log "built in ${BUILD_SECONDS}s"

# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() {
  FAILED=$((FAILED + 1)); echo "FAIL $1"
  shift
  local line
  for line in "$@"; do printf '     %s\n' "$line"; done
}
# A command's stderr without buildah's own "subprocess exited" / "Error: exit status" lines.
errtext() { grep -v -E '^(subprocess exited with status|Error: exit status) [0-9]+$' "$1" | head -c 600 || true; }
# Show the first differing lines of two files.
difference() { diff <(head -c 4000 "$1") <(head -c 4000 "$2") | head -n 12 || true; }

C=$(buildah "${SD[@]}" from --pull=false "$IMAGE")
# run USER? MOUNTS... -- CMD...; prints the command's stdout, returns its exit status.
crun() {
  local user=$1; shift
  local args=(--isolation chroot)
  [[ -n $user ]] && args+=(--user "$user")
  while [[ $1 == -v ]]; do args+=(-v "$2"); shift 2; done
  buildah "${SD[@]}" run "${args[@]}" "$C" -- "$@"
}
U=65532:65532

# The sample: examples/fragments when it has fragments, otherwise a made-up one. Copied so that
# the non-root user can read it whatever the checkout's permissions are.
SAMPLE="$WORK/sample"
mkdir -p "$SAMPLE"
if compgen -G "$ROOT/examples/fragments/*.json" >/dev/null; then
  cp -R "$ROOT/examples/fragments/." "$SAMPLE/"
  SAMPLE_FROM="examples/fragments"
else
  for i in 1 2 3 4 5 6 7 8 9 10; do
    printf '{"item":%d,"name":"part-%d","big":12345678901234567890}' "$i" "$i" >"$SAMPLE/part-$i.json"
  done
  printf '[1,2,3]\n' >"$SAMPLE/part-11.json"
  SAMPLE_FROM="generated (examples/fragments has no *.json)"
fi
chmod -R a+rX "$SAMPLE"
log "sample: $SAMPLE_FROM, $(find "$SAMPLE" -type f | wc -l) files"

OUTDIR="$WORK/out"   # writable by the container's non-root user
mkdir -p "$OUTDIR"
chmod 0777 "$OUTDIR"

BAD="$WORK/bad"
mkdir -p "$BAD"
printf '{"ok":true}\n' >"$BAD/part-1.json"
printf '{"truncated": [1, 2' >"$BAD/part-2.json"
chmod -R a+rX "$BAD"

# 1. Image configuration (from the OCI config buildah stores for the image)
buildah "${SD[@]}" inspect --type image "$IMAGE" >"$WORK/inspect.json"
config() { node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).OCIv1.config ?? {}; const v = c[process.argv[2]]; process.stdout.write(v === undefined ? "null" : typeof v === "string" ? v : JSON.stringify(v))' "$WORK/inspect.json" "$1"; }
user=$(config User)
if [[ $user == "65532:65532" ]]; then pass "configured User is $user"; else fail "configured User is 65532:65532" "got: '$user'"; fi

entrypoint=$(config Entrypoint)
cmd=$(config Cmd)
if [[ $entrypoint == null || $entrypoint == '[]' ]] && [[ $cmd == '["aggregate","--help"]' ]]; then
  pass "no ENTRYPOINT, CMD $cmd"
else
  fail "no ENTRYPOINT, CMD [aggregate --help]" "entrypoint: $entrypoint" "cmd: $cmd"
fi

labels=$(config Labels)
missing=()
for l in title description source licenses version; do
  [[ $labels == *"\"org.opencontainers.image.$l\""* ]] || missing+=("$l")
done
if ((${#missing[@]} == 0)) && [[ $labels == *"\"org.opencontainers.image.version\":\"$PKG_VERSION\""* ]]; then
  pass "OCI labels title, description, source, licenses, version=$PKG_VERSION"
else
  fail "OCI labels" "missing: ${missing[*]:-none}" "labels: $labels"
fi

# 2. Runs as 65532 when no user is given (what Kubernetes does without runAsUser); the runtime
#    stage carries the bundle only: no npm, no node_modules, no sources.
probe='id -u; command -v npm || echo no-npm; ls /usr/local/lib/node_modules 2>/dev/null | wc -l; ls /usr/local/lib/aggregate /usr/local/lib/aggregate/bundle | tr "\n" " "'
if probe_out=$(crun "" sh -c "$probe" 2>&1); then :; fi
if [[ $(sed -n 1p <<<"$probe_out") == 65532 ]]; then pass "default user runs as uid 65532"; else fail "default user runs as uid 65532" "got: $probe_out"; fi
if [[ $(sed -n 2p <<<"$probe_out") == no-npm && $(sed -n 3p <<<"$probe_out") == 0 ]]; then
  pass "runtime image has no npm and no node_modules ($(sed -n 4p <<<"$probe_out"))"
else
  fail "runtime image has no npm and no node_modules" "got: $(tr '\n' '|' <<<"$probe_out")"
fi

# 3. --version
host_version=$("${HOST_CLI[@]}" --version 2>&1 || true)
if img_version=$(crun "$U" aggregate --version 2>&1) && [[ $img_version == "$host_version" && $img_version == *"$PKG_VERSION"* ]]; then
  pass "aggregate --version prints $img_version"
else
  fail "aggregate --version" "image: $img_version" "host:  $host_version" "package.json: $PKG_VERSION"
fi

# 4. Container-template style: command: [aggregate, --mode, json, /mnt]
"${HOST_CLI[@]}" --mode json "$SAMPLE" >"$WORK/host.json" 2>"$WORK/host.err" || { cat "$WORK/host.err" >&2; die "host CLI failed on the sample"; }
if crun "$U" -v "$SAMPLE:/mnt:ro" aggregate --mode json /mnt >"$WORK/img.json" 2>"$WORK/img.err" \
   && cmp -s "$WORK/host.json" "$WORK/img.json"; then
  pass "aggregate --mode json /mnt (read-only mount, uid 65532) equals host output ($(wc -c <"$WORK/img.json") bytes)"
else
  fail "aggregate --mode json /mnt equals host output" "stderr: $(errtext "$WORK/img.err")" "$(difference "$WORK/host.json" "$WORK/img.json")"
fi

# 5. Script-template style: sh, redirection, -o into /tmp (what `script:` + outputs does)
script='aggregate --mode json /mnt > /tmp/x && cat /tmp/x'
if crun "$U" -v "$SAMPLE:/mnt:ro" sh -c "$script" >"$WORK/script.json" 2>"$WORK/script.err" \
   && cmp -s "$WORK/host.json" "$WORK/script.json"; then
  pass "sh -c '$script' equals host output"
else
  fail "sh -c '$script'" "stderr: $(errtext "$WORK/script.err")" "$(difference "$WORK/host.json" "$WORK/script.json")"
fi

# Container-template style with outputs: no shell, so /tmp/out must exist in the image.
if crun "$U" -v "$SAMPLE:/mnt:ro" aggregate --mode json /mnt -o /tmp/out/results.json --stats /tmp/out/stats.json -q \
     >"$WORK/o.out" 2>"$WORK/o.err"; then
  o_ok=1
else
  o_ok=0
fi
script='ls -A /tmp/out | tr "\n" " "; echo; cat /tmp/out/results.json'
crun "$U" sh -c "$script" >"$WORK/o.txt" 2>>"$WORK/o.err" || o_ok=0
if ((o_ok)) && [[ $(head -n 1 "$WORK/o.txt") == "results.json stats.json " ]] \
   && cmp -s "$WORK/host.json" <(tail -n +2 "$WORK/o.txt"); then
  pass "-o /tmp/out/results.json --stats /tmp/out/stats.json (no mkdir) writes just those, output equal to host"
else
  fail "-o /tmp/out/results.json --stats /tmp/out/stats.json without mkdir" "stderr: $(errtext "$WORK/o.err")" "stdout: $(head -c 300 "$WORK/o.txt")"
fi

# 6. Invalid input: exit code 3 (retryStrategy must not retry it), nothing on stdout
set +e
crun "$U" -v "$BAD:/mnt:ro" aggregate --mode json /mnt >"$WORK/bad.out" 2>"$WORK/bad.err"
rc=$?
set -e
# buildah reports the command's status as its own exit status; check it through sh as well, in
# case a buildah version folds it into 1.
rc_sh=$(crun "$U" -v "$BAD:/mnt:ro" sh -c 'aggregate --mode json /mnt >/dev/null 2>&1; echo $?' 2>/dev/null || true)
if [[ $rc == 3 && $rc_sh == 3 ]]; then
  pass "invalid fragment exits 3 ($(head -n 1 "$WORK/bad.err" | head -c 160))"
else
  fail "invalid fragment exits 3" "buildah run status: $rc, status seen by sh: $rc_sh" "stderr: $(errtext "$WORK/bad.err")"
fi

# 6b. --schema: ajv (bundle/ajv.cjs) is in the image; a value that breaks the schema exits 3
SCHEMA_DIR="$WORK/schema"
mkdir -p "$SCHEMA_DIR"
printf '{"type":"object","required":["ok"],"properties":{"ok":{"$ref":"#/$defs/flag"}},"$defs":{"flag":{"type":"boolean"}}}' >"$SCHEMA_DIR/schema.json"
printf '{"ok":true}\n' >"$SCHEMA_DIR/part-1.json"
printf '{"ok":"yes"}\n' >"$SCHEMA_DIR/part-2.json"
chmod -R a+rX "$SCHEMA_DIR"
rc_schema=$(crun "$U" -v "$SCHEMA_DIR:/mnt:ro" sh -c 'aggregate /mnt -p "part-*.json" --schema /mnt/schema.json >/dev/null 2>/tmp/err; echo $?; cat /tmp/err' 2>/dev/null || true)
if [[ $(head -n 1 <<<"$rc_schema") == 3 && $rc_schema == *"/ok must be boolean"* ]]; then
  pass "--schema: a value that breaks it exits 3 ($(sed -n 2p <<<"$rc_schema" | head -c 160))"
else
  fail "--schema: a value that breaks it exits 3" "got: $(tr '\n' '|' <<<"$rc_schema" | head -c 400)"
fi

# 7. Usage error: exit code 2
rc_usage=$(crun "$U" sh -c 'aggregate --mode nope /mnt >/dev/null 2>&1; echo $?' 2>/dev/null || true)
if [[ $rc_usage == 2 ]]; then pass "unknown --mode exits 2"; else fail "unknown --mode exits 2" "got: $rc_usage"; fi

# 8. Archive modes: the archive is written to a host directory and listed on the host
expected_list=$(cd "$SAMPLE" && find . -type f ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort)
for mode in tar zip; do
  if [[ $mode == tar ]]; then out=results.tar.gz; else out=results.zip; fi
  rm -f "$OUTDIR/$out"
  if crun "$U" -v "$SAMPLE:/mnt:ro" -v "$OUTDIR:/out" aggregate --mode "$mode" /mnt -o "/out/$out" \
       >"$WORK/$mode.out" 2>"$WORK/$mode.err"; then
    if [[ $mode == tar ]]; then
      listing=$(tar -tzf "$OUTDIR/$out" 2>&1 | sed 's|^\./||' | grep -v '/$' | LC_ALL=C sort) || true
    else
      listing=$(node "$ROOT/test/image/zip-list.mjs" "$OUTDIR/$out" 2>&1 | grep -v '/$' | LC_ALL=C sort) || true
    fi
    if [[ $listing == "$expected_list" ]]; then
      pass "--mode $mode -o /out/$out lists the $(wc -l <<<"$listing") sample files"
    else
      fail "--mode $mode archive listing" "expected: $(tr '\n' ' ' <<<"$expected_list")" "got:      $(tr '\n' ' ' <<<"$listing" | head -c 600)"
    fi
  else
    fail "--mode $mode -o /out/$out" "stderr: $(errtext "$WORK/$mode.err")"
  fi
done

# 9. Default CMD prints help and exits 0
if crun "$U" aggregate --help >"$WORK/help.txt" 2>&1 && grep -q -- '--mode' "$WORK/help.txt"; then
  pass "aggregate --help (the default CMD) exits 0"
else
  fail "aggregate --help" "$(head -c 400 "$WORK/help.txt")"
fi

size=$(buildah "${SD[@]}" images --format '{{.Size}}' "$IMAGE" 2>/dev/null | head -n 1 || true)
echo
echo "image: $IMAGE ($size, base $BASE_IMAGE); build ${BUILD_SECONDS}s, total $(elapsed)"
echo "result: $PASSED passed, $FAILED failed"
((FAILED == 0))
