#!/usr/bin/env bash
# The end-to-end demo behind `make demo`. Grows with the project.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var/demo
echo "== mbs demo"
for f in scenarios/*.mbs; do
    [ -e "$f" ] || continue
    echo "-- $f"
    $BIN/mbs lint --strict "$f"
    $BIN/mbs compile "$f" -o "var/demo/$(basename "${f%.mbs}").mbsc"
    $BIN/mbs graph "$f" -o "var/demo/$(basename "${f%.mbs}").svg"
done
echo "demo artefacts in var/demo/"
