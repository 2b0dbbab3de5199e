#!/usr/bin/env bash
# Installs what is missing, builds Demixer in release mode, fetches the default model
# when no weights are installed (and none are given with --weights), and runs it:
#   scripts/run.sh                 opens the bundled demo song in the terminal mixer
#   scripts/run.sh SONG            opens SONG in the terminal mixer
#   scripts/run.sh separate SONG   or any other demixer command
# Offline, the fetch fails and the player uses the bundled demo model, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product demixer >&2
demixer=.build/release/demixer
if [[ $# -eq 0 ]]; then
    set -- Weights/demo-song.flac
fi
if [[ " $* " != *" --weights "* && " $* " != *" -n "* && " $* " != *" --name "* &&
      "$1" != weights && "$1" != cache && "$1" != -* ]]; then
    if ! "$demixer" weights verify htdemucs >/dev/null 2>&1 && ! "$demixer" weights fetch htdemucs; then
        echo "run.sh: the official htdemucs weights could not be downloaded;" \
             "the player falls back to the bundled demo model (trained on synthetic songs only)." >&2
        sleep 2
    fi
fi
exec "$demixer" "$@"
