#!/usr/bin/env bash
# Golden results: the trades and metrics of every built-in strategy on the
# shared real data, stored in this directory. A change in any trade or metric
# fails `check` until the files are regenerated on purpose with `update`, and
# the commit that does it says why the results changed.
#
#   tests/golden/golden.sh check    (the test; bazel test //tests/golden:all)
#   SHARED_DATA_DIR=../shared/data tests/golden/golden.sh update
set -euo pipefail
mode="${1:-check}"
if [ -z "${SHARED_DATA_DIR:-}" ] || [ ! -f "$SHARED_DATA_DIR/ORCL.csv" ]; then
  echo "SKIPPED: SHARED_DATA_DIR with the shared daily files is not set"
  exit 0
fi
if [ "$mode" = update ]; then
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  bt="$here/../../bt"
  examples="$here/../../examples"
  work="$(mktemp -d)"
else
  here="$PWD/tests/golden"
  bt="$PWD/cli/bt"
  examples="$PWD/examples"
  work="$TEST_TMPDIR/golden"
fi
mkdir -p "$work"

# name | symbols | strategy | sizing | more portfolio settings | more data
# settings ($examples is the repository's examples/ directory) | directory
# under SHARED_DATA_DIR (empty: SHARED_DATA_DIR itself)
cases=(
  "sma_cross-ORCL|ORCL|{name: sma_cross, params: {fast: 10, slow: 30}}|{rule: all_in, cash_buffer: 0.01}||"
  "sma_cross-NVDA|NVDA|{name: sma_cross, params: {fast: 10, slow: 30}}|{rule: all_in, cash_buffer: 0.01}||"
  "sma_cross-YHOO|YHOO|{name: sma_cross, params: {fast: 10, slow: 30}}|{rule: all_in, cash_buffer: 0.01}||"
  "sma_cross-three|ORCL, NVDA, YHOO|{name: sma_cross, params: {fast: 20, slow: 50}}|{rule: percent_of_equity, percent: 0.3}||"
  "sma_cross-both-three|ORCL, NVDA, YHOO|{name: sma_cross, params: {fast: 20, slow: 50, direction: both}}|{rule: percent_of_equity, percent: 0.3}|, shorting: {enabled: true, borrow_rate: 0.02}|"
  "ema_cross-three|ORCL, NVDA, YHOO|{name: ema_cross}|{rule: percent_of_equity, percent: 0.3}||"
  "momentum-three|ORCL, NVDA, YHOO|{name: momentum}|{rule: percent_of_equity, percent: 0.3}||"
  "zscore_reversion-three|ORCL, NVDA, YHOO|{name: zscore_reversion}|{rule: percent_of_equity, percent: 0.3}||"
  "rsi_reversion-three|ORCL, NVDA, YHOO|{name: rsi_reversion}|{rule: percent_of_equity, percent: 0.3}||"
  "bollinger_reversion-three|ORCL, NVDA, YHOO|{name: bollinger_reversion}|{rule: percent_of_equity, percent: 0.3}||"
  "donchian_breakout-three|ORCL, NVDA, YHOO|{name: donchian_breakout}|{rule: percent_of_equity, percent: 0.3}||"
  "atr_trailing_stop-three|ORCL, NVDA, YHOO|{name: atr_trailing_stop}|{rule: percent_of_equity, percent: 0.3}||"
  "trend_pullback-three|ORCL, NVDA, YHOO|{name: trend_pullback}|{rule: risk_per_trade, risk_fraction: 0.01}|, limits: {max_position_percent: 0.4}|"
  "sector_rotation-three|ORCL, NVDA, YHOO|{name: sector_rotation}|{rule: percent_of_equity, percent: 0.3}||, metadata: $examples/universe.csv"
  "cross_sectional_momentum-three|ORCL, NVDA, YHOO|{name: cross_sectional_momentum, params: {top_n: 1}}|{rule: percent_of_equity, percent: 0.3}||"
  "beta_target-three|ORCL, NVDA, YHOO|{name: beta_target, params: {benchmark: ORCL}}|{rule: percent_of_equity, percent: 0.3}||"
  "mtf_trend-MIN001|MIN001|{name: mtf_trend}|{rule: percent_of_equity, percent: 0.3}|||intraday"
)
failed=0
passed=0
for entry in "${cases[@]}"; do
  IFS='|' read -r name symbols strategy sizing portfolio data dir <<<"$entry"
  path="$SHARED_DATA_DIR${dir:+/$dir}"
  if [ ! -f "$path/${symbols%%,*}.csv" ]; then
    echo "SKIPPED: $name: no ${symbols%%,*}.csv in $path"
    continue
  fi
  # The benchmark is a daily file of SHARED_DATA_DIR itself.
  benchmark=""
  [ -z "$dir" ] && benchmark=", benchmark: ORCL"
  cat >"$work/$name.yaml" <<SPEC
name: golden-$name
data: {path: $path, symbols: [$symbols]$data}
strategy: $strategy
portfolio: {initial_cash: 100000, sizing: $sizing$portfolio}
execution: {commission: {model: percent, bps: 10}, slippage: {model: fixed_bps, bps: 2}}
metrics: {bootstrap_resamples: 200, bootstrap_seed: 7$benchmark}
SPEC
  "$bt" run "$work/$name.yaml" --db "$work/results.db" --export "$work/$name" >/dev/null
  # Metrics without what identifies one run (ids, wall-clock times, paths).
  /usr/bin/python3 - "$work/$name/metrics.json" >"$work/$name.metrics.json" <<'PY'
import json, sys
metrics = json.load(open(sys.argv[1]))
for key in ("run_id", "created_at", "finished_at", "spec_hash", "name"):
    metrics.pop(key, None)
# The engine version, not the source revision it was built from: results are
# expected to stay the same across commits.
metrics["engine_version"] = metrics["engine_version"].split("+")[0]
print(json.dumps(metrics, indent=1, sort_keys=True))
PY
  if [ "$mode" = update ]; then
    cp "$work/$name/trades.csv" "$here/$name.trades.csv"
    cp "$work/$name.metrics.json" "$here/$name.metrics.json"
    echo "updated $name"
    continue
  fi
  if diff -u "$here/$name.trades.csv" "$work/$name/trades.csv" >"$work/$name.diff" &&
     diff -u "$here/$name.metrics.json" "$work/$name.metrics.json" >>"$work/$name.diff"; then
    passed=$((passed + 1))
  else
    echo "CHANGED: $name (first lines of the difference; if intended, run"
    echo "  SHARED_DATA_DIR=../shared/data tests/golden/golden.sh update"
    echo "and say why in the commit)"
    head -20 "$work/$name.diff"
    failed=$((failed + 1))
  fi
done
[ "$mode" = update ] && exit 0
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
