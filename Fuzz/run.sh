#!/usr/bin/env bash
# Builds the libFuzzer target for SIPCore (parser, serializer round trip, stream framer, typed header
# parsers) and runs it for SECONDS (default 600) on one core.
#
#   Fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
#   Fuzz/run.sh 600 -fork=1 -ignore_crashes=1     # keep going past crashes (each is saved)
#   Fuzz/run.sh --repro Fuzz/crashes/NAME          # run one input (a saved crash) and exit
#
# Working corpus: Fuzz/.corpus/ (git-ignored; grows, never committed). Seeds: Fuzz/corpus-seed/
# (read-only here). Crashes, leaks, timeouts: Fuzz/.artifacts/ (git-ignored) — minimise with
# `-minimize_crash=1 -runs=10000 FILE` and copy the reproducer to Fuzz/crashes/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin_name=SIPParserFuzz

build() {
    # The fuzzer instruments SIPCore too (the flags apply to every Swift target of the package).
    swift build -c release --package-path "$here" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
    echo "$(swift build -c release --package-path "$here" --show-bin-path)/$bin_name"
}

symbolizer="$(dirname "$(command -v swift)")/llvm-symbolizer"
[[ -x "$symbolizer" ]] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"

if [[ "${1:-}" == "--repro" ]]; then
    shift
    bin="$(build)"
    exec "$bin" -runs=1 "$@"
fi

seconds=600
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then seconds="$1"; shift; fi

bin="$(build)"
mkdir -p "$here/.corpus" "$here/.artifacts"
log="$here/fuzz-$(date +%Y%m%d-%H%M%S).log"
echo "fuzzing $bin for ${seconds}s; corpus $here/.corpus (seeds $here/corpus-seed); log $log" >&2

set +e
"$bin" \
    -max_total_time="$seconds" \
    -max_len=8192 \
    -rss_limit_mb=2048 \
    -timeout=10 \
    -dict="$here/sip.dict" \
    -artifact_prefix="$here/.artifacts/" \
    -print_final_stats=1 \
    "$@" \
    "$here/.corpus" "$here/corpus-seed" >"$log" 2>&1
status=$?
set -e

echo "--- final lines (exit status $status) ---"
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
grep -E '^(stat::|Done [0-9]+ runs)' "$log" || true
grep -E 'ERROR: |SUMMARY: |Test unit written to|Fatal error|Precondition failed' "$log" | head -n 20 || true
corpus_files=$(find "$here/.corpus" -type f | wc -l)
corpus_bytes=$(du -sb "$here/.corpus" | cut -f1)
echo "working corpus: $corpus_files files, $corpus_bytes bytes in $here/.corpus"
echo "artifacts: $(find "$here/.artifacts" -type f | wc -l) file(s) in $here/.artifacts"
exit "$status"
