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
# -- runtime: a scripted chat with a shipped scenario (piped stdin: one prospect turn
#    per line), its event log replayed, then every scenario's conversation tests.
echo "== mbs chat scenarios/or_rdv.mbs (scripted prospect)"
rm -f var/demo/chat.jsonl
printf '%s\n' "oui allez-y" "je n'ai pas le temps" "c'est trop cher" "oui bien sûr" \
    "plutôt l'après-midi" "jeudi" |
    $BIN/mbs chat scenarios/or_rdv.mbs --contact first_name=Marie --log var/demo/chat.jsonl
echo "== mbs replay var/demo/chat.jsonl"
$BIN/mbs replay var/demo/chat.jsonl
echo "== mbs test"
$BIN/mbs test scenarios
echo "demo artefacts in var/demo/"
