#!/usr/bin/env bash
# `make test-sanitize`: the test suite under ThreadSanitizer, then under AddressSanitizer, each with
# the instrumented `governance` as the binary under test (GOVERNANCE_BIN), each in a scratch folder
# of its own (.build-tsan, .build-asan) so the normal .build is untouched.
#   scripts/test-sanitize.sh [thread|address ...]       (default: thread address)
#   SANITIZE_FILTER=REGEX   only the suites that match (CI: the concurrency suites under TSan)
# Run inside scripts/with-postgres.sh (the PostgreSQL tests need GOVERNANCE_TEST_POSTGRES_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(thread address)
filter=()
[ -z "${SANITIZE_FILTER:-}" ] || filter=(--filter "$SANITIZE_FILTER")
# A report fails the run: TSan and ASan both exit non-zero on their first report (halt_on_error
# for TSan, so a race is not a warning lost in the log). Swift's backtracer steps aside for them.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=0 ${ASAN_OPTIONS:-}"
export SWIFT_BACKTRACE=enable=no
for s in "${sanitizers[@]}"; do
    case $s in
        thread) scratch=.build-tsan ;;
        address) scratch=.build-asan ;;
        *) echo "test-sanitize: unknown sanitizer $s (thread or address)" >&2; exit 2 ;;
    esac
    echo "test-sanitize: building with --sanitize=$s in $scratch ..." >&2
    swift build --build-tests --scratch-path "$scratch" --sanitize="$s"
    echo "test-sanitize: tests under --sanitize=$s${SANITIZE_FILTER:+ (filter: $SANITIZE_FILTER)} ..." >&2
    GOVERNANCE_BIN=$PWD/$scratch/debug/governance swift test --skip-build --scratch-path "$scratch" --sanitize="$s" \
        --disable-xctest "${filter[@]}"
done
