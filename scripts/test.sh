#!/usr/bin/env bash
# The whole test suite: sets up the environment and PostgreSQL, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/system.sh
bash scripts/postgres.sh
export MATCHER_HOME="${MATCHER_HOME:-$(mktemp -d)}"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
