#!/usr/bin/env bash
# Installs what is missing, builds, checks that the benchmark still runs (on one
# second of audio; CI times nothing), and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
.build/debug/demixer bench --seconds 1 > /dev/null
swift test --skip-build
