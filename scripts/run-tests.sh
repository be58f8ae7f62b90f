#!/usr/bin/env bash
# Runs every test with the debug binary, then the end-to-end tests with the release binary.
set -euo pipefail
debug=$1 release=$2
GOVERNANCE_BIN=$debug swift test --skip-build --disable-xctest
echo "run-tests: end-to-end tests again with the release binary" >&2
GOVERNANCE_BIN=$release swift test --skip-build --disable-xctest --filter EndToEndTests
