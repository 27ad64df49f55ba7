#!/usr/bin/env bash
# Checks the live server against openapi.json with schemathesis (PyPI), bounded in examples and time.
#
#   bash tools/server_schemathesis.sh [ARGUS_BINARY] [WEIGHTS] [SEGMENTATION_WEIGHTS...]
#
# Defaults: .build/release/argus, ../shared/weights/ultralytics/yolov5n.pt, and the committed tiny segmentation
# checkpoints (the LRASPP/DeepLabV3 MobileNetV3 state dict; a Mask R-CNN one when present; the tiny 3-class YOLOv8
# segment checkpoint) and the shared int8 YOLOv8n-seg ONNX file, so /segment is exercised
# with real models, plus a mobilenet_v3_small with random weights for /classify; a segmentation checkpoint this argus cannot load is skipped with a note. Creates the venv
# .venv-schemathesis (git-ignored) on first use. Starts `argus serve` on a free loopback port, waits for
# /readyz, runs schemathesis, stops the server, and fails if schemathesis failed or the server died.
# Environment: ST_MAX_EXAMPLES (20), ST_MAX_TIME seconds (120), SCHEMATHESIS_VERSION (4.32.5).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ARGUS="${1:-$ROOT/.build/release/argus}"
WEIGHTS="${2:-$ROOT/../shared/weights/ultralytics/yolov5n.pt}"
shift $(( $# > 2 ? 2 : $# ))
SEGMENT_CANDIDATES=("$@")
if [ ${#SEGMENT_CANDIDATES[@]} -eq 0 ]; then
  for f in "$ROOT/Tests/ArgusModelsTests/Fixtures/torchvision_seg/semantic_mnv3_tiny.pt" \
           "$ROOT/Tests/ArgusModelsTests/Fixtures/torchvision_seg/maskrcnn_mnv3_tiny.pt" \
           "$ROOT/Tests/ArgusModelsTests/Fixtures/yolov8/yolov8n_seg_tiny_custom3.pt" \
           "$ROOT/../shared/weights/onnx/yolov8n-seg_int8_320.onnx"; do
    [ -f "$f" ] && SEGMENT_CANDIDATES+=("$f")
  done
fi
VENV="$ROOT/.venv-schemathesis"
[ -x "$ARGUS" ] || { echo "no argus binary at $ARGUS (swift build -c release)"; exit 2; }
[ -f "$WEIGHTS" ] || { echo "no weights at $WEIGHTS"; exit 2; }
if [ ! -x "$VENV/bin/st" ]; then
  # Python 3.11's ast.parse can fail on schemathesis' larger modules ("AST constructor recursion depth
  # mismatch"), so a newer interpreter is preferred when there is one.
  PY=python3
  for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
    if "$candidate" -c 'import sys' >/dev/null 2>&1; then PY="$candidate"; break; fi
  done
  if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    echo "schemathesis check skipped: it needs Python >= 3.12 (3.11's parser fails on it), and none was found"
    exit 0
  fi
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==${SCHEMATHESIS_VERSION:-4.32.5}"
fi

# Segmentation checkpoints this argus loads (one small image through `argus segment` each).
PROBE="$ROOT/Tests/ArgusImageTests/Fixtures/segmentation/voc_indexed_pil.png"
SERVE_WEIGHTS=(--weights "$WEIGHTS")
for f in "${SEGMENT_CANDIDATES[@]}"; do
  if "$ARGUS" segment --weights "$f" --output /dev/null "$PROBE" 2>/dev/null; then
    SERVE_WEIGHTS+=(--weights "$f")
  else
    echo "note: /segment runs without $(basename "$f"): argus cannot load it ($("$ARGUS" segment --weights "$f" --output /dev/null "$PROBE" 2>&1 | head -1))"
  fi
done
# A classifier too, so /classify answers with a real model (random weights: tools/random_classifier.py).
CLASSIFIER_DIR="$(mktemp -d)"
python3 "$ROOT/tools/random_classifier.py" "$CLASSIFIER_DIR/mnv3_small_random.safetensors"
CLASSIFIER="$CLASSIFIER_DIR/mnv3_small_random.safetensors"
echo "serving: ${SERVE_WEIGHTS[*]} --weights $CLASSIFIER"

LOG="$(mktemp)"
# With an admin key, sent on every request, so the model management routes' checks run too (they cannot guess a
# model file's path, so their loads fail cleanly: 404 or 422).
ADMIN_KEY="st-admin-$$-$RANDOM"
"$ARGUS" serve "${SERVE_WEIGHTS[@]}" --weights "$CLASSIFIER" --host 127.0.0.1 --port 0 --workers 2 --deadline 20 --admin-key "$ADMIN_KEY" 2>"$LOG" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -f "$LOG"; rm -rf "$CLASSIFIER_DIR"' EXIT
PORT=""
for _ in $(seq 1 300); do
  PORT="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -1)"
  if [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then break; fi
  kill -0 "$SERVER" 2>/dev/null || { cat "$LOG"; echo "the server exited"; exit 1; }
  sleep 0.2
done
[ -n "$PORT" ] || { cat "$LOG"; echo "the server did not start"; exit 1; }

# positive_data_acceptance is left out: a schema cannot say "a decodable JPEG", so schema-valid random
# bytes are rightly refused (415/422). Auth and resource-lifecycle checks do not apply (no keys configured, no
# resources). not_a_server_error is left to the server log below: a 503 (load shedding) or a 504 (a client's own
# deadline, e.g. X-Request-Timeout: 1e-300, passed) is a correct answer, and any 500 fails the run there.
# DELETE /models/{name} runs last, on its own: its stateful links (GET /models -> a name) unload the served
# models, which the checks below need.
EXCLUDED_CHECKS=positive_data_acceptance,not_a_server_error,ignored_auth,object_level_authorization,use_after_free,ensure_resource_availability
STATUS=0
timeout $(( ${ST_MAX_TIME:-120} + 60 )) "$VENV/bin/st" run "$ROOT/openapi.json" --url "http://127.0.0.1:$PORT" \
  --max-examples "${ST_MAX_EXAMPLES:-20}" --max-time "${ST_MAX_TIME:-120}" --workers 2 --header "X-API-Key: $ADMIN_KEY" \
  --checks all --exclude-checks "$EXCLUDED_CHECKS" --exclude-operation-id unloadModel \
  || STATUS=$?
# Random bytes rarely decode, so /segment's success paths get one real image per served segmentation model too.
for ((i = 3; i < ${#SERVE_WEIGHTS[@]}; i += 2)); do
  name="$(basename "${SERVE_WEIGHTS[$i]}")"; name="${name%.*}"
  for query in "model=$name" "model=$name&mask_format=polygon" "model=$name&render=png"; do
    code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: image/png' --data-binary @"$PROBE" \
      "http://127.0.0.1:$PORT/segment?$query")"
    echo "POST /segment?$query -> $code"
    [ "$code" = 200 ] || STATUS=1
  done
done
# And /classify's, one real image through the classifier.
code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: image/png' --data-binary @"$PROBE" \
  "http://127.0.0.1:$PORT/classify?model=mnv3_small_random&top=3")"
echo "POST /classify?model=mnv3_small_random&top=3 -> $code"
[ "$code" = 200 ] || STATUS=1
timeout 90 "$VENV/bin/st" run "$ROOT/openapi.json" --url "http://127.0.0.1:$PORT" \
  --max-examples "${ST_MAX_EXAMPLES:-20}" --max-time 30 --workers 2 --header "X-API-Key: $ADMIN_KEY" \
  --checks all --exclude-checks "$EXCLUDED_CHECKS" \
  --include-operation-id unloadModel --include-operation-id loadModel --include-operation-id listModels --include-operation-id getModel \
  || STATUS=$?
kill -0 "$SERVER" 2>/dev/null || { echo "the server died during the run"; STATUS=1; }
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "the server stopped answering"; STATUS=1; }
echo "server: $(grep -c ' 5[0-9][0-9] ' "$LOG" || true) responses with status 5xx (503: load shedding or a deadline that cannot be met; 504: a deadline passed; 500: a bug)"
grep ' 5[0-9][0-9] ' "$LOG" | head -20 || true
if grep -q ' 500 ' "$LOG"; then echo "the server answered 500"; STATUS=1; fi
exit $STATUS
