#!/usr/bin/env bash
# The strategy contract as a plug-in boundary: the same specs run twice in
# process, once with the built-in C++ sma_cross and once with
# strategy.address pointing at the Python example
# (examples/python_strategy/sma_cross_server.py), must give identical
# trades.csv, equity.csv, fills, rejections and metrics, and identical errors
# for invalid params. Synthetic data always; ORCL when SHARED_DATA_DIR is set.
set -euo pipefail
root="$PWD"
source "$root/tests/python_service.sh"
bt="$root/cli/bt"
work="$TEST_TMPDIR/python_strategy"
rm -rf "$work"
mkdir -p "$work"
cd "$work"

start_strategy_service "$root/examples/python_strategy/sma_cross_server.py"

"$bt" data synth --out synth --symbols 4 --seed 3 --days 600 >/dev/null

# Writes NAME-cpp.yaml and NAME-py.yaml: the spec with the given data and
# strategy/portfolio/execution lines, the second with the server's address.
write_specs() {
  local name="$1" data="$2" params="$3" portfolio="$4" execution="$5"
  local mode address_part
  for mode in cpp py; do
    address_part=""
    [ "$mode" = py ] && address_part=", address: $address"
    cat >"$name-$mode.yaml" <<SPEC
name: $name
data: $data
strategy: {name: sma_cross$params$address_part}
portfolio: $portfolio
execution: $execution
SPEC
  done
}

passed=0
trades=0
compare_runs() {
  local name="$1" mode id
  for mode in cpp py; do
    "$bt" run "$name-$mode.yaml" --db results.db --export "$name-$mode" \
      >"$name-$mode.out" 2>"$name-$mode.err" ||
      fail "$name ($mode): bt run failed: $(cat "$name-$mode.err")"
    id="$(sed -n 's/.*(bt show \(.*\))$/\1/p' "$name-$mode.out")"
    [ -n "$id" ] || fail "$name ($mode): no run id in: $(cat "$name-$mode.out")"
    "$bt" show "$id" --db results.db --json --records >"$name-$mode.json"
  done
  for file in trades.csv equity.csv; do
    cmp -s "$name-cpp/$file" "$name-py/$file" ||
      fail "$name: $file differs: $(diff "$name-cpp/$file" "$name-py/$file" | head -5)"
  done
  local count
  count="$("$python" - "$name" <<'PY'
import json, sys
name = sys.argv[1]
ignored = {"run_id", "created_at", "finished_at", "spec_hash", "name"}
def load(mode, path):
    return json.load(open(f"{name}-{mode}{path}"))
cpp, py = (load(m, "/metrics.json") for m in ("cpp", "py"))
for key in sorted((set(cpp) | set(py)) - ignored):
    assert cpp.get(key) == py.get(key), \
        f"{name}: metric {key}: C++ {cpp.get(key)} vs Python {py.get(key)}"
cpp, py = (load(m, ".json") for m in ("cpp", "py"))
for key in ("trades", "fills", "rejections", "equity"):
    assert cpp.get(key, []) == py.get(key, []), f"{name}: {key} differ"
closed = sum(t["exit_reason"] != "open" for t in cpp["trades"])
assert closed >= 10, f"{name}: only {closed} closed trades, too few to compare"
print(*(len(cpp.get(key, [])) for key in ("trades", "fills", "rejections")))
PY
)" || fail "$name: results differ"
  read -r count_trades count_fills count_rejections <<<"$count"
  echo "$name: identical: $count_trades trades, $count_fills fills," \
    "$count_rejections rejections, equity and metrics"
  trades=$((trades + count_trades))
  passed=$((passed + 1))
}

# Invalid params are reported the same way by both strategy services.
compare_errors() {
  local name="$1" mode
  for mode in cpp py; do
    if "$bt" run "$name-$mode.yaml" --db results.db >/dev/null 2>"$name-$mode.err"; then
      fail "$name ($mode): bt run accepted invalid params"
    fi
  done
  cmp -s "$name-cpp.err" "$name-py.err" ||
    fail "$name: errors differ:$(printf '\n')$(cat "$name-cpp.err")$(printf '\n')vs$(printf '\n')$(cat "$name-py.err")"
  grep -q "strategy.params" "$name-py.err" ||
    fail "$name: the error names no parameter: $(cat "$name-py.err")"
  echo "$name: identical errors"
  passed=$((passed + 1))
}

synth="{path: synth, symbols: [SYNA, SYNB, SYNC, SYND]}"
costs="{commission: {model: percent, bps: 10}, slippage: {model: fixed_bps, bps: 5}}"
write_specs synth-10-30 "$synth" ", params: {fast: 10, slow: 30}" \
  "{initial_cash: 100000, sizing: {rule: percent_of_equity, percent: 0.2}}" "$costs"
compare_runs synth-10-30
# Default params; all_in over four symbols leaves entries short of cash, so
# rejections reach the strategy too.
write_specs synth-defaults "$synth" "" \
  "{initial_cash: 100000, sizing: {rule: all_in, cash_buffer: 0}}" "$costs"
compare_runs synth-defaults
write_specs synth-invalid "$synth" ", params: {fast: 30, slow: 10}" \
  "{initial_cash: 100000}" "$costs"
compare_errors synth-invalid
write_specs synth-unknown "$synth" ", params: {fast: 2.5, period: 3}" \
  "{initial_cash: 100000}" "$costs"
compare_errors synth-unknown

if [ -n "${SHARED_DATA_DIR:-}" ] && [ -f "$SHARED_DATA_DIR/ORCL.csv" ]; then
  orcl="{path: $SHARED_DATA_DIR, symbols: [ORCL]}"
  write_specs orcl-10-30 "$orcl" ", params: {fast: 10, slow: 30}" \
    "{initial_cash: 100000, sizing: {rule: all_in, cash_buffer: 0.01}}" \
    "{commission: {model: percent, bps: 10}}"
  compare_runs orcl-10-30
  write_specs orcl-5-60 "$orcl" ", params: {fast: 5, slow: 60}" \
    "{initial_cash: 100000, sizing: {rule: all_in, cash_buffer: 0}}" "$costs"
  compare_runs orcl-5-60
else
  echo "ORCL skipped: SHARED_DATA_DIR with the shared daily files is not set"
fi
echo "$trades trades compared"
echo "$passed passed, 0 failed"
