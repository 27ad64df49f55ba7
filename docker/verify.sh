#!/usr/bin/env bash
# Builds docker/Dockerfile's runtime stage for real with podman (no registry and no Docker engine here),
# runs it, and checks what a user would: the image's libraries, /readyz, /detect against the official
# YOLOv5 outputs, the environment configuration, the HEALTHCHECK, and SIGTERM during a request.
#
#   bash docker/verify.sh [STATIC_ARGUS_BINARY]
#
# The binary must be linked with the static Swift standard library (the builder stage's command); when
# the path is not given or absent, it is built here with that command (scratch path $ARGUS_BUILD_PATH,
# default .build: after the README's build this only relinks). The Debian bookworm base comes from
# debootstrap (kept in $ARGUS_DEBOOTSTRAP_CACHE, default /var/cache/argus-debootstrap, for re-runs).
# Needs root (apt-get, debootstrap, podman). Ends with "docker verify: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
SHARED=${ARGUS_SHARED:-$REPO/../shared}
WEIGHTS=$SHARED/weights/ultralytics/yolov5n.pt
IMAGE_ID=000000000257   # coco128: 22 detections by the official detect.py
CACHE=${ARGUS_DEBOOTSTRAP_CACHE:-/var/cache/argus-debootstrap}
TAG=$$
PODMAN=(podman --runtime runc)
LIMITS=(--ulimit nofile=1000:1000 --ulimit nproc=1000:1000)
WORK=$(mktemp -d /tmp/argus-docker-verify.XXXXXX)
passed=0; failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
  echo "docker verify: $passed passed, $failed failed${1:+, $1 skipped}"
  [ "$failed" -eq 0 ]; exit $?
}
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  "${PODMAN[@]}" rm -f -t 0 "argus-verify-$TAG" "argus-verify-key-$TAG" >/dev/null 2>&1
  "${PODMAN[@]}" rmi -f "localhost/argus-verify:$TAG" "localhost/argus-verify-binary:$TAG" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- tools ----
export DEBIAN_FRONTEND=noninteractive
need=()
for t in podman:podman debootstrap:debootstrap runc:runc newuidmap:uidmap slirp4netns:slirp4netns \
         fuse-overlayfs:fuse-overlayfs curl:curl; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log"; fail "install ${need[*]}"; finish; }
fi

# ---- the binary: the builder stage's command, on the host ----
BIN=${1:-}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  BUILD_PATH=${ARGUS_BUILD_PATH:-.build}
  build=(swift build -c release -Xswiftc -enable-testing --product argus --static-swift-stdlib --scratch-path "$BUILD_PATH")
  echo "building: ${build[*]}"
  timeout 1500 "${build[@]}" >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; fail "swift build"; finish; }
  BIN=$("${build[@]}" --show-bin-path)/argus
fi
if ldd "$BIN" | grep -q 'libswift\|libFoundation'; then
  fail "$BIN links the Swift runtime dynamically; build it with --static-swift-stdlib"; finish
fi

# ---- the base image: Debian bookworm from debootstrap, imported ----
base_tar=$CACHE/bookworm-minbase.tar
if [ ! -s "$base_tar" ]; then
  echo "debootstrap --variant=minbase bookworm (about a minute)"
  mkdir -p "$CACHE"
  rootfs=$WORK/rootfs
  if ! timeout 600 debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1; then
    tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; finish
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --numeric-owner -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
  rm -rf "$rootfs"
fi
BASE=localhost/argus-verify-base:bookworm
"${PODMAN[@]}" import "$base_tar" "$BASE" >/dev/null 2>&1 || { fail "podman import of the base"; finish; }

# ---- build the runtime stage (the same Dockerfile; the binary comes from an imported image) ----
mkdir -p "$WORK/binary/argus" "$WORK/context/docker"
cp "$BIN" "$WORK/binary/argus/argus"
tar -C "$WORK/binary" -cf "$WORK/binary.tar" argus
"${PODMAN[@]}" import "$WORK/binary.tar" "localhost/argus-verify-binary:$TAG" >/dev/null 2>&1
cp docker/entrypoint.sh docker/healthcheck.sh "$WORK/context/docker/"
cp -r docker/models "$WORK/context/docker/models"
cp -r models "$WORK/context/models"
echo "podman build (runtime stage)"
if timeout 600 "${PODMAN[@]}" build "${LIMITS[@]}" --network host --pull=never --format docker \
     -f docker/Dockerfile --target runtime \
     --build-arg "ARGUS_BINARY_FROM=localhost/argus-verify-binary:$TAG" --build-arg "RUNTIME_BASE=$BASE" \
     -t "localhost/argus-verify:$TAG" "$WORK/context" >"$WORK/build-image.log" 2>&1; then
  pass "podman build of docker/Dockerfile's runtime stage"
else
  tail -30 "$WORK/build-image.log"; fail "podman build"; finish
fi
IMAGE=localhost/argus-verify:$TAG

# Every library the binary needs is in the image (the dynamic loader's own answer, inside it).
if out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" --network none --entrypoint ldd "$IMAGE" /usr/local/bin/argus 2>&1) \
   && ! grep -q "not found" <<<"$out"; then
  pass "ldd inside the image: every library found"
else
  echo "$out"; fail "ldd inside the image"
fi
# The manifests are in the image and the CA bundle is there for https pulls (no network here to pull).
if out=$("${PODMAN[@]}" run --rm "${LIMITS[@]}" --network none --entrypoint /usr/local/bin/argus "$IMAGE" models list 2>&1) \
   && [ "$(grep -cE '^[A-Za-z0-9._-]+ +[A-Za-z0-9._-]+ +(detect|segment|semantic|classify) ' <<<"$out")" = "$(find models -name '*.json' | wc -l)" ] \
   && "${PODMAN[@]}" run --rm "${LIMITS[@]}" --network none --entrypoint /usr/bin/test "$IMAGE" -s /etc/ssl/certs/ca-certificates.crt; then
  pass "argus models list in the image: every manifest of models/ (detect, segment, semantic, classify); CA bundle present"
else
  echo "$out"; fail "manifests / CA bundle in the image"
fi
user=$("${PODMAN[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")
if [ "$user" = "10001:10001" ]; then pass "runs as non-root user $user"; else fail "image user is '$user'"; fi

# ---- run it with no volume and no weights: the built-in default model ----
wait_ready() {  # wait_ready URL NAME: /readyz 200 while the container runs
  for _ in $(seq 1 240); do
    if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$1/readyz")" = 200 ]; then return 0; fi
    [ "$("${PODMAN[@]}" inspect -f '{{.State.Running}}' "$2" 2>/dev/null)" = true ] || return 1
    sleep 0.5
  done
  return 1
}
IMG=$SHARED/datasets/coco128/images/train2017/$IMAGE_ID.jpg
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NAME=argus-verify-default-$TAG
if "${PODMAN[@]}" run -d --name "$NAME" "${LIMITS[@]}" -p "127.0.0.1:$port:8080" -e ARGUS_WORKERS=1 "$IMAGE" \
     >/dev/null 2>"$WORK/run-default.log" && wait_ready "http://127.0.0.1:$port" "$NAME"; then
  curl -s -m 10 -o "$WORK/models.json" "http://127.0.0.1:$port/models"
  if [ -f "$IMG" ]; then
    # The same binary outside the container gives the reference answer for the same file.
    curl -s -m 60 -o "$WORK/default.json" -F "image=@$IMG" "http://127.0.0.1:$port/detect"
    "$BIN" detect "$IMG" >"$WORK/default-cli.json" 2>/dev/null
  fi
  if python3 - "$WORK/models.json" "$WORK/default.json" "$WORK/default-cli.json" <<'EOF'
import json, os, sys
models = json.load(open(sys.argv[1]))["models"]
assert [(m["name"], m["default"]) for m in models] == [("yolox_nano", True)], models
if os.path.exists(sys.argv[2]):
    got = json.load(open(sys.argv[2]))
    want = json.load(open(sys.argv[3]))[0]["detections"]
    assert got["model"] == "yolox_nano" and len(want) > 0, got
    got = got["images"][0]["detections"]
    # Thread counts differ (summation order), so within float32 noise rather than bit for bit.
    assert len(got) == len(want), (len(got), len(want))
    for g, w in zip(got, want):
        assert g["class_id"] == w["class_id"] and abs(g["score"] - w["score"]) <= 1e-4, (g, w)
        assert max(abs(a - b) for a, b in zip(g["box"], w["box"])) <= 0.01, (g, w)
    print(f"{len(want)} detections, as argus detect gives outside the container")
EOF
  then pass "no volume: GET /models lists the built-in yolox_nano as default; /detect answers with it"
  else fail "no volume: built-in default model"; fi
else
  cat "$WORK/run-default.log"; "${PODMAN[@]}" logs "$NAME" 2>&1 | tail -5; fail "no volume: the image did not become ready"
fi
"${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1

if [ ! -f "$WEIGHTS" ]; then
  echo "SKIP running the image with a model volume: $WEIGHTS is absent (the shared weights sit next to the repository)"
  finish 1
fi

# ---- run it: the model from a volume on /models, configuration from the environment ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NAME=argus-verify-$TAG
if ! "${PODMAN[@]}" run -d --name "$NAME" "${LIMITS[@]}" -p "127.0.0.1:$port:8080" \
     -v "$WEIGHTS:/models/yolov5n.pt:ro" -e ARGUS_WORKERS=1 -e ARGUS_MAX_IMAGES=8 "$IMAGE" \
     >/dev/null 2>"$WORK/run.log"; then
  cat "$WORK/run.log"
  fail "podman run"; finish
fi
URL=http://127.0.0.1:$port
ready=no
for _ in $(seq 1 240); do
  if [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200 ]; then ready=yes; break; fi
  [ "$("${PODMAN[@]}" inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ] || break
  sleep 0.5
done
if [ "$ready" = yes ]; then pass "/readyz 200 through the published port"; else
  "${PODMAN[@]}" logs "$NAME" | tail -20; fail "/readyz never answered 200"; finish; fi

# The environment reached the flags: one worker (the log says so) and at most 8 images (9 is a 413).
nine=(); for _ in $(seq 1 9); do nine+=(-F "image=@$IMG"); done
code=$(curl -s -m 60 -o "$WORK/413.json" -w '%{http_code}' "${nine[@]}" "$URL/detect")
# The startup line can reach `podman logs` a little after /readyz answers (seen once under load): poll for it.
one_worker=no
for _ in $(seq 1 40); do
  if "${PODMAN[@]}" logs "$NAME" 2>&1 | grep -q "with 1 worker(s)"; then one_worker=yes; break; fi
  sleep 0.25
done
if [ "$one_worker" = yes ] && [ "$code" = 413 ] && grep -q too_many_images "$WORK/413.json"; then
  pass "ARGUS_WORKERS=1 and ARGUS_MAX_IMAGES=8 applied (9 images: 413 too_many_images)"
else
  fail "environment configuration (log: $("${PODMAN[@]}" logs "$NAME" 2>&1 | head -1); 9 images: $code $(head -c 300 "$WORK/413.json"))"
fi

# The HEALTHCHECK command itself, run the way the engine runs it.
if "${PODMAN[@]}" healthcheck run "$NAME" >/dev/null 2>&1; then pass "HEALTHCHECK (/healthz) healthy"; else
  fail "HEALTHCHECK reports unhealthy"; fi

# /detect with a real image, against the official YOLOv5 detect.py outputs.
curl -s -m 60 -o "$WORK/detect.json" -F "image=@$IMG" "$URL/detect"
if python3 - "$WORK/detect.json" "$SHARED/reference/yolov5n/detect/$IMAGE_ID.json" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))["images"][0]["detections"]
ref = json.load(open(sys.argv[2]))["detections"]
assert len(got) == len(ref) > 0, f"{len(got)} detections, reference {len(ref)}"
for g, r in zip(got, ref):
    assert g["class_id"] == r["class_id"] and abs(g["score"] - r["score"]) <= 1e-3, (g, r)
    assert max(abs(a - b) for a, b in zip(g["box"], r["box"])) <= 0.5, (g, r)
print(f"{len(got)} detections match detect.py")
EOF
then pass "/detect $IMAGE_ID.jpg equals the official detect.py output"; else fail "/detect answer"; fi

# An API key from a mounted secret file (ARGUS_API_KEY_FILE), with the built-in model: inference needs the key,
# the probes and the HEALTHCHECK stay open.
printf '# rotated\nverify-key-%s\n' "$TAG" >"$WORK/keys"
key_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if "${PODMAN[@]}" run -d --name "argus-verify-key-$TAG" "${LIMITS[@]}" -p "127.0.0.1:$key_port:8080" \
     -v "$WORK/keys:/run/secrets/argus-keys:ro" -e ARGUS_API_KEY_FILE=/run/secrets/argus-keys "$IMAGE" >/dev/null 2>&1; then
  KEY_URL=http://127.0.0.1:$key_port
  for _ in $(seq 1 240); do
    [ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$KEY_URL/readyz")" = 200 ] && break
    sleep 0.5
  done
  without=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -F "image=@$IMG" "$KEY_URL/detect")
  with=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer verify-key-$TAG" -F "image=@$IMG" "$KEY_URL/detect")
  field=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -F "api_key=verify-key-$TAG" -F "image=@$IMG" "$KEY_URL/v1/vision/detection")
  if [ "$without" = 401 ] && [ "$with" = 200 ] && [ "$field" = 200 ] \
     && "${PODMAN[@]}" healthcheck run "argus-verify-key-$TAG" >/dev/null 2>&1; then
    pass "ARGUS_API_KEY_FILE: /detect 401 without the key, 200 with it (header or DeepStack field); HEALTHCHECK healthy"
  else
    fail "API key from a secret file: without $without, with $with, DeepStack field $field"
  fi
  "${PODMAN[@]}" rm -f -t 0 "argus-verify-key-$TAG" >/dev/null 2>&1
else
  fail "podman run with ARGUS_API_KEY_FILE"
fi

# SIGTERM while a request runs: the request is answered, then the container exits 0.
eight=(); for _ in $(seq 1 8); do eight+=(-F "image=@$IMG"); done
curl -s -m 120 -H 'Expect:' -o "$WORK/drain.json" -w '%{http_code}' "${eight[@]}" "$URL/detect?imgsz=1280" \
  >"$WORK/drain.code" 2>/dev/null &
curl_pid=$!
running=no
for _ in $(seq 1 200); do
  if curl -s -m 2 "$URL/metrics" | grep -q '^argus_inference_running 1'; then running=yes; break; fi
  sleep 0.05
done
"${PODMAN[@]}" kill --signal TERM "$NAME" >/dev/null
wait "$curl_pid"
exit_code=$(timeout 90 "${PODMAN[@]}" wait "$NAME" 2>/dev/null || echo "none (still running after 90 s)")
code=$(cat "$WORK/drain.code")
if [ "$running" = yes ] && [ "$code" = 200 ] && python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["images"]) == 8' "$WORK/drain.json" 2>/dev/null; then
  pass "SIGTERM during a request: the request was answered 200"
else
  fail "SIGTERM during a request: request in flight: $running, answer: HTTP ${code:-none} (000 = connection closed without a response)"
fi
if [ "$exit_code" = 0 ]; then pass "SIGTERM: exit code 0"; else fail "SIGTERM: exit code $exit_code"; fi
"${PODMAN[@]}" logs "$NAME" 2>&1 | tail -3
finish
