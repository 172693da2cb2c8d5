#!/usr/bin/env bash
# The main job on the embedded default (SQLite under $MATCHER_HOME, default ./var):
# set up the environment, make the sample county, ingest it, print the summary,
# train the matcher, print a few example recommendations, run the nightly batch,
# write its morning report, then start the service and print one request that works.
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
echo "== store schema (SQLite at $MATCHER_HOME unless MATCHER_DATABASE_URL is set)"
$M migrate
echo "== ingest"
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
echo "== the service: a caseworker's key for the sample county, and the API on 127.0.0.1:${PORT:-8000}"
COUNTY=$(.venv/bin/python - "$MATCHER_HOME" <<'PY'
import sys
from matcher.app import Application
from matcher.settings import Settings
app = Application(Settings.load(home=sys.argv[1]))
from store import load_laborers
print(load_laborers(app.engine)["county_code"].mode().iloc[0])
PY
)
KEY=$($M keys create --role caseworker --county "$COUNTY" --label "main.sh demo" | tail -1)
PORT="${PORT:-8000}"
if [ -f "$MATCHER_HOME/serve.pid" ] && kill -0 "$(cat "$MATCHER_HOME/serve.pid")" 2>/dev/null; then
  kill "$(cat "$MATCHER_HOME/serve.pid")" && sleep 1
fi
nohup $M serve --host 127.0.0.1 --port "$PORT" --workers 2 > "$MATCHER_HOME/serve.out" 2>&1 &
echo $! > "$MATCHER_HOME/serve.pid"
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.5
done
FIRST=$(echo "$IDS" | awk '{print $1}')
echo "service running at http://127.0.0.1:$PORT (pid $(cat "$MATCHER_HOME/serve.pid"); stop: kill \$(cat $MATCHER_HOME/serve.pid))"
echo "API documentation: http://127.0.0.1:$PORT/docs"
echo "try:"
echo "  curl -H 'Authorization: Bearer $KEY' 'http://127.0.0.1:$PORT/laborers/$FIRST/recommendations?k=5'"
