#!/usr/bin/env bash
# The main job on the embedded default (SQLite under $MATCHER_HOME, default ./var):
# set up the environment, make the sample county, ingest it, print the summary,
# train the matcher, print a few example recommendations, run the nightly batch
# and write its morning report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/system.sh
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
echo "== train (encoder, ranker, index)"
$M train
echo "== example recommendations"
# Three people who want work: a home-bound one, a village one and a mobile one.
IDS=$(.venv/bin/python - "$OUT/laborers.csv" <<'PY'
import sys, pandas as pd
l = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
w = l[l["wants_job"] == "true"]
ids = [w.loc[w["mobility"] == m, "laborer_id"].iloc[0] for m in ("home", "village", "nationwide") if (w["mobility"] == m).any()]
print(" ".join(ids))
PY
)
for id in $IDS; do
  $M recommend "$id" --k 5
done
echo "== nightly batch (every job seeker) and the morning report"
$M batch
$M report latest --out "$MATCHER_HOME/report"
