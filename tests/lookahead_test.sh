#!/usr/bin/env bash
# bt check lookahead end to end: a Python strategy service that reads the CSV
# files itself and trades on the next bar's close
# (tests/fixtures/peeking_strategy.py) is caught, and the report names the
# bar, the symbol and the intent, which the CSV confirms was made with
# tomorrow's close; every built-in strategy (bt strategies, default params)
# passes (with data.metadata or a benchmark where one needs it), on the shared
# daily files when SHARED_DATA_DIR has them, else on a synthetic market (and
# mtf_trend, which resamples intraday bars into days, on intraday/MIN001.csv,
# else on a synthetic one-minute series);
# nothing is stored; bad usage exits 2.
set -euo pipefail
root="$PWD"
source "$root/tests/python_service.sh"
bt="$root/cli/bt"
work="$TEST_TMPDIR/lookahead"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
# The check must store nothing: this file must never appear.
export BT_RESULTS_DB="$work/results.db"

"$bt" data synth --out "$work/synth" --symbols 3 --seed 5 --days 200 >/dev/null

# Usage errors exit 2.
expect_usage() {
  local code=0
  "$bt" "$@" >/dev/null 2>usage.err || code=$?
  [ "$code" = 2 ] || fail "bt $* exited $code, not 2: $(cat usage.err)"
}
expect_usage check
expect_usage check nothing
expect_usage check lookahead
expect_usage check lookahead missing.yaml
cat >invalid.yaml <<SPEC
name: invalid
data: {path: $work/synth, symbols: [SYNA]}
strategy: {name: sma_cross, params: {fast: 30, slow: 10}}
portfolio: {initial_cash: 100000}
SPEC
expect_usage check lookahead invalid.yaml
grep -q "strategy.params.fast" usage.err ||
  fail "the invalid spec's problem is not named: $(cat usage.err)"
expect_usage check lookahead invalid.yaml --cuts 0

# --- The cheating strategy is caught -----------------------------------------
start_strategy_service "$root/tests/fixtures/peeking_strategy.py" \
  --protos "$root/protos"

cat >peeking.yaml <<SPEC
name: peeking
data: {path: $work/synth, symbols: [SYNA, SYNB, SYNC]}
strategy: {name: peek_next, address: $address, params: {data_dir: $work/synth}}
portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, percent: 0.3}}
execution: {commission: {model: percent, bps: 10}}
SPEC
code=0
"$bt" check lookahead peeking.yaml --cuts 4 >peeking.out 2>peeking.err || code=$?
[ "$code" = 1 ] ||
  fail "the peeking strategy was not caught (exit $code): $(cat peeking.out peeking.err)"
cat peeking.out
# Every difference is the full run's intent at the cut bar, missing from the
# cut run; the CSV shows the next close really went the way it traded.
"$python" - "$work/synth" peeking.out <<'PY'
import csv, re, sys
directory, report = sys.argv[1], open(sys.argv[2]).read()
found = re.findall(
    r"cut \d+ at (\S+): \d+ steps, DIFFERS at (\S+) (\S+) \(intent\)\n"
    r"  full run: action: (BUY|CLOSE) type: MARKET reason: \"[^\"]*\"\n"
    r"  cut run:  \(none\)\n", report)
differing = int(re.search(r"LOOK-AHEAD: (\d+) of 4 cuts", report).group(1))
assert found and len(found) == differing, f"unexpected report:\n{report}"
for cut, bar, symbol, action in found:
    assert cut == bar, f"difference at {bar}, not at the cut {cut}"
    rows = list(csv.reader(open(f"{directory}/{symbol}.csv")))[1:]
    dates = [row[0] for row in rows]
    i = dates.index(bar)
    close, tomorrow = float(rows[i][4]), float(rows[i + 1][4])
    assert (tomorrow > close) == (action == "BUY"), \
        f"{symbol} {bar}: {action} but next close {tomorrow} vs {close}"
print(f"caught at {differing} of 4 cuts, each confirmed by the CSV")
PY

# --- Every built-in strategy passes ------------------------------------------
if [ -n "${SHARED_DATA_DIR:-}" ] && [ -f "$SHARED_DATA_DIR/ORCL.csv" ]; then
  path="$SHARED_DATA_DIR"
  symbols="ORCL, NVDA, YHOO"
  echo "built-in strategies on the shared daily files (ORCL, NVDA, YHOO)"
else
  # Long enough for 12-month lookbacks after the late listing.
  "$bt" data synth --out "$work/long" --symbols 3 --seed 5 --days 700 >/dev/null
  path="$work/long"
  symbols="SYNA, SYNB, SYNC"
  echo "built-in strategies on a synthetic market: SHARED_DATA_DIR with the" \
    "shared daily files is not set"
fi
# Intraday bars for the strategies that resample them into a higher
# timeframe (mtf_trend): the shared one-minute file, else a random walk of
# one-minute bars over 30 weekdays.
if [ -n "${SHARED_DATA_DIR:-}" ] && [ -f "$SHARED_DATA_DIR/intraday/MIN001.csv" ]; then
  intraday="$SHARED_DATA_DIR/intraday"
  intraday_symbol="MIN001"
  echo "intraday strategies on the shared intraday/MIN001.csv"
else
  intraday="$work/intraday"
  intraday_symbol="SYNM"
  mkdir -p "$intraday"
  "$python" - "$intraday/SYNM.csv" <<'PY'
import datetime, random, sys
random.seed(5)
price, day = 100.0, datetime.datetime(2015, 1, 5)
with open(sys.argv[1], "w") as out:
    out.write("timestamp,open,high,low,close,volume\n")
    for _ in range(30):
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        for minute in range(1, 391):
            open_ = price
            price = max(1.0, price * (1 + random.gauss(0.0001, 0.001)))
            time = day + datetime.timedelta(hours=9, minutes=30 + minute)
            out.write(f"{time:%Y-%m-%dT%H:%M:%S},{open_:.4f},"
                      f"{max(open_, price) + 0.01:.4f},"
                      f"{min(open_, price) - 0.01:.4f},{price:.4f},1000\n")
        day += datetime.timedelta(days=1)
PY
  echo "intraday strategies on a synthetic one-minute series: SHARED_DATA_DIR" \
    "with intraday/MIN001.csv is not set"
fi
# Sectors for the strategies that group symbols (data.metadata).
cat >universe.csv <<CSV
symbol,sector
ORCL,Software & Services
NVDA,Semiconductors
YHOO,Software & Services
SYNA,Tech
SYNB,Energy
SYNC,Tech
CSV
strategies="$("$bt" strategies | sed -n 's/^\([a-z_0-9]\+\)  .*/\1/p')"
[ -n "$strategies" ] || fail "bt strategies listed no strategy"
rm -f "$BT_RESULTS_DB"  # bt strategies opens the results file; the check must not
passed=0
for strategy in $strategies; do
  # What some strategies need besides their defaults.
  data_path="$path"
  data_symbols="$symbols"
  metadata=""
  params=""
  case "$strategy" in
    sector_rotation) metadata=", metadata: $work/universe.csv" ;;
    beta_target) params=", params: {benchmark: ${symbols%%,*}}" ;;
    # Daily bars of intraday bars: a day is no higher timeframe of a day.
    mtf_trend) data_path="$intraday" data_symbols="$intraday_symbol" ;;
  esac
  cat >"$strategy.yaml" <<SPEC
name: $strategy
data: {path: $data_path, symbols: [$data_symbols]$metadata}
strategy: {name: $strategy$params}
portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, percent: 0.3}}
execution: {commission: {model: percent, bps: 10}, slippage: {model: fixed_bps, bps: 5}}
SPEC
  if ! "$bt" check lookahead "$strategy.yaml" >"$strategy.out" 2>"$strategy.err"; then
    fail "$strategy: $(cat "$strategy.out" "$strategy.err")"
  fi
  grep -q "^no look-ahead: every decision at or before each of 5 cuts" \
    "$strategy.out" || fail "$strategy: no pass line: $(cat "$strategy.out")"
  # The comparison compared something: decisions before the last cut.
  decisions="$(sed -n 's/^cut 5 at .*, \([0-9]\+\) decisions identical$/\1/p' \
    "$strategy.out")"
  [ "${decisions:-0}" -gt 0 ] ||
    fail "$strategy: no decisions to compare: $(cat "$strategy.out")"
  echo "$strategy: passes, $decisions decisions before the last cut identical"
  passed=$((passed + 1))
done

[ ! -e "$BT_RESULTS_DB" ] || fail "the check stored something in $BT_RESULTS_DB"
echo "peeking strategy caught; $passed built-in strategies pass"
