#!/usr/bin/env bash
# Installs what is missing, builds Demixer in release mode and runs it with the given arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product demixer >&2
exec .build/release/demixer "$@"
