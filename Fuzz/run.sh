#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time.
#
#   Fuzz/run.sh                      # every target, FUZZ_SECONDS (default 60) each, one after the other
#   FUZZ_SECONDS=600 Fuzz/run.sh     # the 10-minute run asked for before closing a fuzzing issue
#   Fuzz/run.sh FuzzSeedParser       # one target
#   Fuzz/run.sh --reproduce Fuzz/crashes/<file>   # replay one saved input against every target...
#   Fuzz/run.sh --reproduce Fuzz/crashes/<file> FuzzSeedParser   # ...or one
#
# Needs a Linux swift.org toolchain (it ships libFuzzer; Xcode's does not).
# Builds into <root>/.build-fuzz (gitignored). Each run works on a copy of the committed corpus
# in .build-fuzz/work/<target>, so new corpus entries never land in Fuzz/corpus; crashing inputs
# are written to Fuzz/crashes/ (crash-*, leak-*, timeout-*, oom-*). Extra libFuzzer flags can be
# given in FUZZ_FLAGS (e.g. FUZZ_FLAGS="-jobs=2 -workers=2").
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$FUZZ_DIR/.." && pwd)"
SCRATCH="$ROOT/.build-fuzz"
WORK="$SCRATCH/work"
CRASHES="$FUZZ_DIR/crashes"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
ALL_TARGETS=(FuzzSeedParser FuzzRequestHandler FuzzHTTP2)

corpus_of() {
    case "$1" in FuzzSeedParser) echo seed ;; FuzzRequestHandler) echo request ;; FuzzHTTP2) echo http2 ;; *) return 1 ;; esac
}

reproduce=""
if [[ "${1:-}" == "--reproduce" ]]; then
    reproduce="${2:?--reproduce needs an input file}"
    reproduce="$(cd "$(dirname "$reproduce")" && pwd)/$(basename "$reproduce")"
    shift 2
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
for target in "${targets[@]}"; do
    corpus_of "$target" >/dev/null || { echo "unknown target $target (known: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

echo "== building fuzz targets (debug, -sanitize=fuzzer,address) into $SCRATCH"
# Line-buffered, so a failed build's messages reach a log file before the script exits.
if ! (cd "$FUZZ_DIR" && swift build -c debug --scratch-path "$SCRATCH" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
    2>&1 | grep --line-buffered -v "Cannot export local symbol"; exit "${PIPESTATUS[0]}"); then
    echo "== the fuzz targets did not build (messages above)" >&2
    exit 1
fi
BIN="$(cd "$FUZZ_DIR" && swift build -c debug --scratch-path "$SCRATCH" --show-bin-path)"

# Swift's fatalError should end the process the way libFuzzer and ASan expect; leak checks are
# off because the app is built once and kept (static), which LeakSanitizer reports as a leak.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:handle_abort=1}"

if [[ -n "$reproduce" ]]; then
    status=0
    for target in "${targets[@]}"; do
        echo "== $target < $reproduce"
        "$BIN/$target" "$reproduce" || status=$?
    done
    exit $status
fi

mkdir -p "$CRASHES" "$WORK"
declare -A summary
failed=0
for target in "${targets[@]}"; do
    name="$(corpus_of "$target")"
    corpus="$WORK/$target"
    rm -rf "$corpus" && mkdir -p "$corpus"
    cp "$FUZZ_DIR/corpus/$name"/* "$corpus/"
    dict=()
    [[ -f "$FUZZ_DIR/$name.dict" ]] && dict=("-dict=$FUZZ_DIR/$name.dict")
    log="$WORK/$target.log"
    echo "== $target for ${FUZZ_SECONDS}s (corpus copy $corpus, log $log)"
    set +e
    # shellcheck disable=SC2086
    "$BIN/$target" "$corpus" "${dict[@]}" \
        -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
        -max_len=8192 -artifact_prefix="$CRASHES/$target-" ${FUZZ_FLAGS:-} 2>&1 | tee "$log" \
        | grep -E --line-buffered "^#[0-9]+.*(INITED|DONE|pulse)|==ERROR|Fatal error|invariant|Test unit written|^stat::|^Done"
    code=${PIPESTATUS[0]}
    set -e
    execs="$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -1)"
    cov="$(grep -E '^#[0-9]+' "$log" | grep -oE 'cov: [0-9]+ ft: [0-9]+' | tail -1)"
    summary[$target]="exit $code, execs ${execs:-?}, ${cov:-cov ?}, corpus $(ls "$corpus" | wc -l) files"
    [[ $code -eq 0 ]] || failed=1
done

echo "== summary (${FUZZ_SECONDS}s per target)"
for target in "${targets[@]}"; do echo "$target: ${summary[$target]}"; done
if [[ $failed -ne 0 ]]; then
    echo "a target failed: crashing inputs are in $CRASHES (minimize with: <bin> -minimize_crash=1 -runs=10000 <file>)" >&2
    exit 1
fi
