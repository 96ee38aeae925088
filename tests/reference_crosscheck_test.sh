#!/usr/bin/env bash
# Cross-checks sma_cross trade by trade against an independent plain-Python
# implementation of the reference backtester's semantics
# (reference/sma_cross_reference.py) on every daily file of the shared data:
# entry and exit dates, prices, quantities, P&L, commission, final equity to
# the cent.
set -euo pipefail
if [ -z "${SHARED_DATA_DIR:-}" ] || [ ! -f "$SHARED_DATA_DIR/ORCL.csv" ]; then
  echo "SKIPPED: SHARED_DATA_DIR with the shared daily files is not set"
  exit 0
fi
bt="$PWD/cli/bt"
reference="$PWD/tests/reference/sma_cross_reference.py"
work="$TEST_TMPDIR/crosscheck"
mkdir -p "$work"
checked=0
for case in "ORCL 10 30 0.01 10" "NVDA 10 30 0.01 10" "YHOO 20 50 0.05 25" "ORCL 5 60 0 0"; do
  read -r symbol fast slow buffer bps <<<"$case"
  name="$symbol-$fast-$slow"
  cat >"$work/$name.yaml" <<SPEC
name: crosscheck-$name
data: {path: $SHARED_DATA_DIR, symbols: [$symbol]}
strategy: {name: sma_cross, params: {fast: $fast, slow: $slow}}
portfolio: {initial_cash: 100000, sizing: {rule: all_in, cash_buffer: $buffer}}
execution: {commission: {model: percent, bps: $bps}}
SPEC
  "$bt" run "$work/$name.yaml" --db "$work/results.db" --export "$work/$name" >/dev/null
  /usr/bin/python3 "$reference" "$SHARED_DATA_DIR/$symbol.csv" "$fast" "$slow" \
    100000 "$buffer" "$bps" >"$work/$name.reference"
  /usr/bin/python3 - "$work/$name" "$work/$name.reference" "$name" <<'PY'
import csv, json, sys
export, reference, name = sys.argv[1], sys.argv[2], sys.argv[3]
lines = [l.strip().split(",") for l in open(reference)]
expected, final = lines[:-1], float(lines[-1][1])
ours = [r for r in csv.DictReader(open(export + "/trades.csv")) if r["exit_reason"] != "open"]
assert len(ours) == len(expected), f"{name}: {len(ours)} trades, reference {len(expected)}"
assert len(ours) > 10, f"{name}: only {len(ours)} trades"
for i, (e, o) in enumerate(zip(expected, ours)):
    same = (e[0] == o["entry_time"] and e[2] == o["exit_time"]
            and abs(float(e[1]) - float(o["entry_price"])) < 1e-9
            and abs(float(e[3]) - float(o["exit_price"])) < 1e-9
            and int(e[4]) == int(o["quantity"])
            and abs(float(e[5]) - float(o["gross_pnl"])) < 1e-5
            and abs(float(e[6]) - float(o["commission"])) < 1e-5)
    assert same, f"{name}: trade {i} differs\n reference {e}\n ours      {dict(o)}"
equity = json.load(open(export + "/metrics.json"))["final_equity"]
assert round(equity, 2) == round(final, 2), f"{name}: final equity {equity} vs reference {final}"
print(f"{name}: {len(ours)} trades identical, final equity {equity:.2f}")
PY
  checked=$((checked + 1))
done
echo "$checked passed, 0 failed"
