#!/usr/bin/env bash
# The parser, codec and server test suites under AddressSanitizer (Swift and C, with UndefinedBehaviorSanitizer on
# the C shims: swiftc has no UBSan, and Swift traps overflow itself), and the server's concurrency suites under
# ThreadSanitizer. Each sanitizer has its own build directory (.build-asan, .build-tsan; a release build with
# -enable-testing, as the normal test build). A finding fails the run.
#
#   bash tools/sanitizers.sh [asan|tsan|all]
#
# About 10 minutes of compiling per sanitizer on 2 cores, then a few minutes of tests.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}

# Suites that parse untrusted bytes (images, multipart, JSON, base64, checkpoints, ONNX, RLE, manifests) or serve
# HTTP with test doubles; the suites that run full networks are left out (minutes each under a sanitizer).
asan_suites='ArgusImageTests|ArgusWeightsTests|ArgusMaskTests|ArgusEvalTests|ArgusONNXTests\.(ModelErrorTests|OpFixtureTests)|ArgusServerTests\.(ErrorStatusTests|ParserTests|DetectRouteTests|InfoRouteTests|EvaluateRouteTests|SegmentRouteTests|SchedulerTests|LoadBehaviourTests|DrainTests|ClientDisconnectTests)|ArgusModelsTests\.CatalogTests'
# The scheduler, connection threads and drain: where threads share state.
tsan_suites='ArgusServerTests\.(SchedulerTests|LoadBehaviourTests|DrainTests|ClientDisconnectTests|DetectRouteTests|ErrorStatusTests)|ArgusTensorTests\.ParallelOpsTests'

run() {
  local name=$1 suites=$2; shift 2
  echo "== $name: building (.build-$name)"
  if ! swift build -c release --build-tests --scratch-path ".build-$name" -Xswiftc -enable-testing "$@" \
      > "/tmp/argus-$name-build.log" 2>&1; then
    grep -E "error" "/tmp/argus-$name-build.log" | head -20
    return 1
  fi
  echo "== $name: testing"
  local log="/tmp/argus-$name.log"
  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    swift test -c release --skip-build --scratch-path ".build-$name" -Xswiftc -enable-testing "$@" --filter "$suites" \
    > "$log" 2>&1 || true
  grep -E "Executed [0-9]+ tests?, with" "$log" | tail -1
  grep -qE "Executed [0-9]+ tests?, with" "$log" || { echo "no test ran"; tail -5 "$log"; return 1; }
  # Any memory error, undefined behaviour or data race fails. LeakSanitizer also reports the test cases XCTest keeps
  # from start to exit (stacks in XCTest and the test modules only): a leak fails only with a frame in Sources/.
  if grep -qE "ERROR: AddressSanitizer|runtime error:|WARNING: ThreadSanitizer|Executed [0-9]+ tests?, with [1-9]" "$log"; then
    grep -E "ERROR: AddressSanitizer|runtime error:|WARNING: ThreadSanitizer|error:" "$log" | head -20
    return 1
  fi
  python3 - "$log" <<'PY'
import re, sys
log = open(sys.argv[1]).read()
start = log.find("ERROR: LeakSanitizer")
if start < 0:
    print("no leaks reported"); sys.exit(0)
blocks = re.split(r"\n(?=(?:Direct|Indirect) leak)", log[start:])
own = [b for b in blocks if "/Sources/" in b or re.search(r"\$s\d+Argus(?!\w*Tests)", b) or " cc_" in b]
print(f"LeakSanitizer: {len(blocks) - 1} reports, {len(own)} with a frame in Argus's sources")
for b in own[:5]:
    print(b[:2000])
sys.exit(1 if own else 0)
PY
}

status=0
if [ "$mode" = asan ] || [ "$mode" = all ]; then
  run asan "$asan_suites" -Xswiftc -sanitize=address \
    -Xcc -fsanitize=address,undefined -Xcc -fno-sanitize-recover=undefined || status=1
fi
if [ "$mode" = tsan ] || [ "$mode" = all ]; then
  run tsan "$tsan_suites" -Xswiftc -sanitize=thread -Xcc -fsanitize=thread || status=1
fi
exit $status
