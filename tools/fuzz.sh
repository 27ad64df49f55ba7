#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, see docs/development.md#fuzzing) and runs each in turn.
#
#   tools/fuzz.sh [--no-build] [--smoke | SECONDS] [HARNESS...]
#
# SECONDS per harness (default 30); --smoke is 5 s each, for CI. No HARNESS: all of them. One fuzzer process at
# a time, niced, memory capped at 2 GB. New inputs go to .build-fuzz/corpus/<harness> (the committed seeds in
# fuzz/corpus/<harness> are only read); crashes, timeouts and OOMs to .build-fuzz/findings/<harness>/.
# Exit status 1 when any harness found something.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1 seconds=30 seed=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0; shift ;;
        --smoke) seconds=5; seed=(-seed=1); shift ;;  # the same inputs on every CI run
        [0-9]*) seconds=$1; shift ;;
        *) break ;;
    esac
done

scratch=.build-fuzz
binary=$scratch/release/argus-fuzz
if [ $build = 1 ]; then
    start=$(date +%s)
    # `--sanitize fuzzer` makes SwiftPM link libFuzzer's main instead of the target's. The sanitizers themselves
    # come as one -sanitize=fuzzer,address: swiftc keeps only the last of repeated -sanitize flags, so
    # `--sanitize fuzzer --sanitize address` would build ASan code without coverage.
    swift build -c release --package-path fuzz --scratch-path "$scratch" --sanitize fuzzer -Xswiftc -enable-testing \
        -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
    echo "fuzz build: $(( $(date +%s) - start )) s"
fi

all=(multipart parameters base64 http_request json coco_json coco_eval weights_json checkpoint pickle zip safetensors
     onnx python_literal manifest rle image)
harnesses=("${@:-${all[@]}}")

# Longest input per harness (each at least its largest seed) and its dictionary.
max_len() {
    case $1 in
        checkpoint|zip|onnx|image|coco_json|coco_eval|http_request|manifest|pickle) echo 16384 ;;
        *) echo 4096 ;;
    esac
}
dictionary() {
    case $1 in
        json|coco_json|coco_eval|weights_json|manifest|safetensors) echo fuzz/dict/json.dict ;;
        http_request|multipart|parameters) echo fuzz/dict/http.dict ;;
        pickle|checkpoint|zip) echo fuzz/dict/pickle.dict ;;
        onnx) echo fuzz/dict/onnx.dict ;;
    esac
}

found=0
summary="harness seconds executions exec/s edges features corpus findings"
for h in "${harnesses[@]}"; do
    [ -d "fuzz/corpus/$h" ] || { echo "unknown harness $h (one of: ${all[*]})" >&2; exit 2; }
    work=$scratch/corpus/$h findings=$scratch/findings/$h log=$scratch/logs/$h.log
    mkdir -p "$work" "$findings" "$(dirname "$log")"
    dict=$(dictionary "$h")
    echo "== $h ($seconds s)"
    # -timeout 10: one input taking 10 s is a hang; -rss_limit_mb / -malloc_limit_mb: 2 GB is an OOM finding.
    set +e
    ARGUS_FUZZ_HARNESS=$h nice -n 10 "$binary" "$work" "fuzz/corpus/$h" \
        -max_total_time="$seconds" -max_len="$(max_len "$h")" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 ${seed[@]+"${seed[@]}"} \
        ${dict:+-dict=$dict} -artifact_prefix="$findings/" >"$log" 2>&1
    status=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    edges=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corpus=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
    artifacts=$(ls "$findings" | wc -l)
    if [ $status != 0 ] || [ "$artifacts" != 0 ]; then
        found=1
        [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
        grep -E 'ERROR: |SUMMARY: |Fatal error|property violated|Test unit written' "$log" | head -5 || true
    fi
    summary+=$'\n'"$h $seconds ${execs:-?} ${rate:-?} ${edges:-?} ${features:-?} ${corpus:-?} $artifacts"
done
echo
column -t <<<"$summary"
exit $found
