#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs bazel test //...
# Tests that need the real market data in ../shared/data use it when present
# and skip with a message otherwise.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
scripts/setup.sh
if [ -z "${SHARED_DATA_DIR:-}" ] && [ -d "$repo/../shared/data" ]; then
  export SHARED_DATA_DIR="$(cd "$repo/../shared/data" && pwd)"
fi
# The report's browser test inlines the chart library setup.sh installed.
charts="$repo/report/node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js"
if [ -z "${BT_CHARTS_JS:-}" ] && [ -f "$charts" ]; then
  export BT_CHARTS_JS="$charts"
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
bazel test //... "$@" 2>&1 | tee "$log" || status=$?
# One plain closing line for CI dashboards: "N passed, N failed".
passed=$(grep -cE '^//.* PASSED' "$log" || true)
failed=$(grep -cE '^//.* (FAILED|TIMEOUT|NO STATUS)' "$log" || true)
echo "$passed passed, $failed failed"
exit $status
