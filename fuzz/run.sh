#!/usr/bin/env bash
# `make fuzz`: builds the fuzz targets (libFuzzer + AddressSanitizer) and runs each for
# FUZZ_SECONDS (default 60), from its seeds in fuzz/corpus/TARGET plus what earlier runs found
# (kept in .build-fuzz/corpus/TARGET, not committed). FUZZ_TARGETS="json api-url" runs some.
# Prints the runs and the coverage each reached; exits 1 if any target found a failure, whose
# input is left in .build-fuzz/crashes/TARGET/: copy it into Tests/Fixtures/fuzz-regressions/TARGET/
# (the tests replay it through the same entry point), fix, and run again.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-json batch-line policy pricing response-usage gate-token api-url mcp-message}
work=.build-fuzz
mkdir -p "$work"

# One -sanitize=fuzzer,address, not SwiftPM's --sanitize twice: of two -sanitize flags swiftc keeps
# the last, and fuzzing without coverage (or without ASan) finds little.
build=(swift build --package-path fuzz --scratch-path "$work/build" -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address)
echo "fuzz: building (${build[*]}) ..." >&2
"${build[@]}" >&2
bin=$("${build[@]}" --show-bin-path)

# Swift's own crash backtracer reads memory AddressSanitizer guards: let ASan report instead.
export SWIFT_BACKTRACE=enable=no
failed=0
summary=$(printf '%-16s %12s %8s %8s %8s  %s' target runs cov ft corpus result)
for t in $targets; do
    mkdir -p "$work/corpus/$t" "$work/crashes/$t"
    log="$work/$t.log"
    echo "fuzz: $t for ${seconds}s ..." >&2
    status=0
    # -rss_limit_mb: the parsers bound what they read; a target that needs more is a finding.
    "$bin/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
        -max_len=65536 -artifact_prefix="$work/crashes/$t/" "$work/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
    corpus=$(sed -n 's/.*corp: \([0-9]*\).*/\1/p' <<<"$last")
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        failed=1
        result="FAILED (exit $status): $(ls -t "$work/crashes/$t" | head -1 | sed "s|^|$work/crashes/$t/|"); log $log"
        grep -m3 -E 'Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer' "$log" >&2 || true
    fi
    summary+=$'\n'$(printf '%-16s %12s %8s %8s %8s  %s' "$t" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$result")
done
echo "$summary"
exit $failed
