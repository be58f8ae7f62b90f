#!/usr/bin/env bash
# Runs every test with the debug binary, then the end-to-end tests with the release binary.
set -euo pipefail
debug=$1 release=$2
GOVERNANCE_BIN=$debug swift test --skip-build --disable-xctest
echo "run-tests: end-to-end tests again with the release binary" >&2
GOVERNANCE_BIN=$release swift test --skip-build --disable-xctest --filter EndToEndTests
# A Swift package that links the library by path, built in a scratch folder of its own: a
# governed session through the Swift API in a throwaway store.
echo "run-tests: examples/swift-agent" >&2
(cd examples/swift-agent && swift build --scratch-path ../../.build-swift-agent)
home=$(pwd)/.build-swift-agent/home-$$
rm -rf "$home"
.build-swift-agent/debug/swift-agent "$home"
rm -rf "$home"
