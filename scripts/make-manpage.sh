#!/usr/bin/env bash
# Regenerates man/demixer.1: the commands and options from swift-argument-parser's
# generate-manual plugin, then the hand-written keys, files and environment sections.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
swift package --allow-writing-to-directory "$out" generate-manual --output-directory "$out" >&2
# Drop the plugin's bare EXIT STATUS section; man/sections.mdoc has a full one.
sed '/^\.Sh "EXIT STATUS"/,$d' "$out/demixer.1" > man/demixer.1
cat man/sections.mdoc >> man/demixer.1
rm -rf "$out"
