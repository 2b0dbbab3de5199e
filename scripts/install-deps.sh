#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Demixer builds against, when any is missing.
set -euo pipefail
packages=(pkg-config libopenblas-dev libfftw3-dev libsndfile1-dev libsoxr-dev libasound2-dev librubberband-dev libncursesw5-dev tmux
    libavformat-dev libavcodec-dev libswresample-dev libavutil-dev ffmpeg)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
if ! command -v swift >/dev/null; then
    echo "Swift 6.1 or later is required (https://www.swift.org/install/linux/)" >&2
    exit 1
fi
