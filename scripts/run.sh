#!/usr/bin/env bash
# Installs what is missing, builds Demixer in release mode, fetches the default model
# when no weights are installed (and none are given with --weights), and runs it:
#   scripts/run.sh SONG            opens SONG in the terminal mixer
#   scripts/run.sh separate SONG   or any other demixer command
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product demixer >&2
demixer=.build/release/demixer
if [[ " $* " != *" --weights "* && $# -gt 0 && "$1" != weights && "$1" != cache && "$1" != -* ]]; then
    "$demixer" weights verify htdemucs >/dev/null 2>&1 || "$demixer" weights fetch htdemucs
fi
exec "$demixer" "$@"
