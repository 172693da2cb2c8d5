#!/usr/bin/env bash
# The main job on the embedded default (SQLite under $MATCHER_HOME, default ./var):
# set up the environment, make the sample county, ingest it, print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export MATCHER_HOME="${MATCHER_HOME:-$PWD/var}"
M=.venv/bin/matcher
OUT="$MATCHER_HOME/sample"
LABORERS="${LABORERS:-20000}"
VACANCIES="${VACANCIES:-1500}"
echo "== sample county: $LABORERS laborers, $VACANCIES posts -> $OUT"
$M sample --laborers "$LABORERS" --vacancies "$VACANCIES" --seed 7 --out "$OUT"
echo "== ingest (SQLite at $MATCHER_HOME unless MATCHER_DATABASE_URL is set)"
for kind in laborers vacancies placements; do
  # exit 3 = some rows rejected (listed in the .rejects.csv); keep going and show it
  $M ingest "$kind" "$OUT/$kind.csv" || [ $? -eq 3 ]
done
echo "== store"
$M status
