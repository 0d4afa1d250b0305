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
    "plutôt l'après-midi" "jeudi" "oui c'est parfait" |
    $BIN/mbs chat scenarios/or_rdv.mbs --contact first_name=Marie --log var/demo/chat.jsonl
echo "== mbs replay var/demo/chat.jsonl"
$BIN/mbs replay var/demo/chat.jsonl
echo "== mbs test"
$BIN/mbs test scenarios
# -- campaign: the example campaign (64 contacts, a mix of simulated prospects) on the
#    ESL simulator, on a simulated clock, from a fresh database each time.
echo "== mbs run --campaign examples/campagne-or.toml (simulator, 60x)"
rm -f var/demo/mbs.sqlite var/demo/mbs.sqlite-wal var/demo/mbs.sqlite-shm
rm -rf var/demo/transcripts var/demo/recordings
campaign_start=$(date +%s%N)
$BIN/mbs run --campaign examples/campagne-or.toml --database sqlite:///var/demo/mbs.sqlite \
    --output-dir var/demo
campaign_ms=$(( ($(date +%s%N) - campaign_start) / 1000000 ))
echo "campaign: $((campaign_ms / 1000)).$(( (campaign_ms % 1000) / 100 )) s wall"
echo "  transcripts: var/demo/transcripts/or-rdv-demo/ ($(ls var/demo/transcripts/or-rdv-demo | wc -l) calls)"
echo "  graph:       var/demo/or_rdv.svg"
echo "  database:    var/demo/mbs.sqlite  (DATABASE_URL=sqlite:///var/demo/mbs.sqlite $BIN/mbs campaign status or-rdv-demo)"
echo "demo artefacts in var/demo/"
