#!/usr/bin/env bash
# bt report as a person opens it: reports of a succeeded run, a failed run, a
# run whose data is gone, a sweep and a walk-forward job, and the pages of
# bt montecarlo --report and bt factors --report, each rendered from disk by
# headless Chromium (no network). Every chart must paint its series (the page checks its own pixels
# and writes the outcome into <body data-render>), no script may fail or log,
# and the trade table must sort when a header is clicked. Screenshots are
# saved as test outputs (report.png, failed-report.png).
set -euo pipefail
if [ -z "${BT_CHARTS_JS:-}" ] || [ ! -f "$BT_CHARTS_JS" ]; then
  echo "SKIPPED: BT_CHARTS_JS does not name the installed chart library" \
    "(scripts/setup.sh installs it; scripts/test.sh sets the variable)"
  exit 0
fi
chromium="$(command -v chromium || true)"
if [ -z "$chromium" ]; then
  echo "SKIPPED: chromium is not installed (scripts/setup.sh installs it)"
  exit 0
fi
bt="$PWD/cli/bt"
work="$TEST_TMPDIR/report"
outputs="${TEST_UNDECLARED_OUTPUTS_DIR:-$work/outputs}"
mkdir -p "$work" "$outputs"
export HOME="$work/home"  # Chromium writes caches under $HOME
unset BT_HOME             # only BT_CHARTS_JS may say where the library is

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

expect() {  # expect FILE TEXT: FILE contains TEXT
  grep -qF -- "$2" "$1" || fail "$1 lacks: $2"
}

# browse URL OUTPUT.html [more flags]: the DOM after the page settled; its
# console output (there must be none) goes to OUTPUT.log.
browse() {
  local url="$1" dom="$2"
  shift 2
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-quic --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" \
    --enable-logging=stderr --v=0 --virtual-time-budget=15000 \
    --window-size=1400,2000 --hide-scrollbars "$@" "$url" \
    >"$dom" 2>"${dom%.html}.log" || fail "chromium failed on $url: $(tail -5 "${dom%.html}.log")"
  if grep -E 'Uncaught|:CONSOLE' "${dom%.html}.log"; then
    fail "the page wrote to the console or threw (above), $url"
  fi
}

# check_page REPORT.html "ok: N charts drawn" SCREENSHOT.png
check_page() {
  local report="$1" status="$2" shot="$3"
  browse "file://$report" "$work/dom.html" --dump-dom
  local rendered
  rendered="$(grep -o 'data-render="[^"]*"' "$work/dom.html" | head -1)"
  [ "$rendered" = "data-render=\"$status\"" ] ||
    fail "$report rendered as [$rendered], expected [$status]"
  browse "file://$report" "$work/shot.out" --screenshot="$outputs/$shot"
  [ "$(stat -c %s "$outputs/$shot")" -gt 20000 ] || fail "$shot is nearly empty"
}

"$bt" data synth --out "$work/data" --symbols 3 --seed 7 --days 500 >/dev/null
cat >"$work/spec.yaml" <<SPEC
name: report-browser
data: {path: $work/data, symbols: [SYNA, SYNB, SYNC]}
strategy: {name: sma_cross, params: {fast: 10, slow: 30}}
portfolio: {initial_cash: 100000, sizing: {rule: percent_of_equity, percent: 0.3}}
execution: {commission: {model: percent, bps: 10}}
SPEC
"$bt" run "$work/spec.yaml" --db "$work/results.db" >"$work/run.out"
run_id="$(grep -o '(bt show [^)]*)' "$work/run.out" | sed 's/(bt show \(.*\))/\1/')"
[ -n "$run_id" ] || fail "no run id in: $(cat "$work/run.out")"

# 1. A succeeded run: equity + 3 price charts, all drawn.
(cd "$work" && "$bt" report "$run_id" --db "$work/results.db" >"$work/report.out")
report="$work/report-$run_id.html"  # the default --out
[ -f "$report" ] || fail "bt report wrote no $report: $(cat "$work/report.out")"
expect "$report" 'TradingView Lightweight Charts'  # the real library, inlined
expect "$report" '<script id="lightweight-charts">'
expect "$report" '"candles":[['
expect "$report" 'id="heatmap"'
expect "$report" '<table id="trade-table" class="sortable">'
expect "$report" "$run_id"
grep -qE '<(script|link)[^>]+(src|href)="?(https?:)?//' "$report" &&
  fail "the report loads something from the network"
check_page "$report" "ok: 4 charts drawn" report.png

# Clicking "Net P&L" sorts the trades by it, ascending, then descending.
sorted="$work/sorted.html"
sed 's|</body>|<script>window.addEventListener("load", function () {\
  const head = Array.from(document.querySelectorAll("#trade-table th"))\
      .find(function (th) { return th.textContent === "Net P\&L"; });\
  const order = function () {\
    const v = Array.from(document.querySelectorAll("#trade-table tbody tr"))\
        .map(function (row) { return Number(row.cells[head.cellIndex].dataset.sort); });\
    return v.every(function (x, i) { return i === 0 \|\| v[i - 1] <= x; }) ? "asc"\
        : v.every(function (x, i) { return i === 0 \|\| v[i - 1] >= x; }) ? "desc" : "none";\
  };\
  head.click(); const first = order(); head.click();\
  document.body.setAttribute("data-sorted", first + "," + order());\
});</script></body>|' "$report" >"$sorted"
browse "file://$sorted" "$work/sorted-dom.html" --dump-dom
expect "$work/sorted-dom.html" 'data-sorted="asc,desc"'

# 2. A failed run: the failing stage and reason, no charts, no script errors.
sed 's/symbols: \[SYNA, SYNB, SYNC\]/symbols: [SYNA, NOPE]/' "$work/spec.yaml" \
  >"$work/failing.yaml"
if "$bt" run "$work/failing.yaml" --db "$work/results.db" >"$work/failed.out" 2>&1; then
  fail "a run on a missing symbol succeeded"
fi
failed_id="$(grep -o '(bt show [^)]*)' "$work/failed.out" | sed 's/(bt show \(.*\))/\1/')"
[ -n "$failed_id" ] || fail "no run id in: $(cat "$work/failed.out")"
"$bt" report "$failed_id" --db "$work/results.db" --out "$work/failed.html" \
  2>"$work/failed-report.err" >/dev/null
expect "$work/failed.html" '<h2>Run failed</h2>'
expect "$work/failed.html" '<tr><th>Stage</th><td>data</td></tr>'
expect "$work/failed.html" 'NOPE'
expect "$work/failed.html" 'No price charts'
expect "$work/failed-report.err" 'The data cannot be read now'
check_page "$work/failed.html" "ok: 0 charts drawn" failed-report.png

# 3. Research pages: a sweep's heatmap, a walk-forward's stitched equity with
# its window boundaries (one chart), a Monte Carlo and a factor study.
# report_job VERB NAME: bt VERB $work/NAME.yaml, then bt report of the job it
# made into $work/NAME.html.
report_job() {
  "$bt" "$1" "$work/$2.yaml" --db "$work/results.db" >"$work/$2.out"
  local job
  job="$(grep -o "$1-[0-9]*-[0-9]*-[0-9a-f]*" "$work/$2.out" | head -1)"
  [ -n "$job" ] || fail "no job id in: $(cat "$work/$2.out")"
  "$bt" report "$job" --db "$work/results.db" --out "$work/$2.html" >/dev/null
}
sed 's/^name: report-browser/name: "sweep <b>\&amp;<\/b>"/; s/params: {fast: 10, slow: 30}//' \
  "$work/spec.yaml" >"$work/sweep.yaml"
cat >>"$work/sweep.yaml" <<SPEC
sweep: {grid: {fast: [5, 10], slow: [30, 60]}, objective: sharpe, min_trades: 1}
SPEC
report_job sweep sweep
expect "$work/sweep.html" 'id="objective-heatmap"'
expect "$work/sweep.html" 'id="ranking-table"'
expect "$work/sweep.html" '<h1>sweep &lt;b&gt;&amp;amp;&lt;/b&gt;</h1>'
grep -q '<b>&amp;</b>' "$work/sweep.html" && fail "the job name is not escaped"
[ "$(grep -o 'class="heat" data-value' "$work/sweep.html" | wc -l)" -ge 1 ] ||
  fail "the heatmap has no ranked cell"
check_page "$work/sweep.html" "ok: 0 charts drawn" sweep-report.png

# One symbol: the synthetic symbols start on different days, and the first
# window must have bars for every symbol.
sed 's/^name: .*/name: walk/; s/symbols: \[SYNA, SYNB, SYNC\]/symbols: [SYNA]/' \
  "$work/sweep.yaml" | grep -v '^sweep:' >"$work/walk.yaml"
cat >>"$work/walk.yaml" <<SPEC
sweep: {grid: {fast: [5, 10], slow: [30, 60]}, objective: sharpe}
walk_forward: {mode: rolling, in_sample: 6 months, out_of_sample: 3 months, warmup_bars: 60}
SPEC
report_job walkforward walk
expect "$work/walk.html" 'id="stitched-chart"'
expect "$work/walk.html" 'id="window-table"'
expect "$work/walk.html" '"W1"]'  # the second window's boundary
check_page "$work/walk.html" "ok: 1 charts drawn" walk-forward-report.png

"$bt" montecarlo "$run_id" --db "$work/results.db" --paths 200 --seed 3 \
  --report "$work/montecarlo.html" >/dev/null
expect "$work/montecarlo.html" 'class="band" data-levels="5-95"'
expect "$work/montecarlo.html" 'id="max-drawdown-histogram"'
check_page "$work/montecarlo.html" "ok: 0 charts drawn" montecarlo-report.png

"$bt" factors "$work/spec.yaml" --report "$work/factors.html" >/dev/null
expect "$work/factors.html" 'id="ic-bars"'
ic_charts="$(grep -o '<div class="chart" id="ic-series-' "$work/factors.html" | wc -l)"
[ "$ic_charts" -ge 1 ] || fail "the factor page has no IC series"
check_page "$work/factors.html" "ok: $ic_charts charts drawn" factors-report.png

# 4. The data changed since the run: charted as it is now, and said so.
head -n -10 "$work/data/SYNA.csv" >"$work/SYNA.csv" && mv "$work/SYNA.csv" "$work/data/"
"$bt" report "$run_id" --db "$work/results.db" --out "$work/changed.html" \
  2>/dev/null >/dev/null
expect "$work/changed.html" 'SYNA: the data changed since the run'
expect "$work/changed.html" 'id="price-chart-2"'

# 5. The data is gone: the report still renders, says why, charts the equity.
mv "$work/data" "$work/data-gone"
"$bt" report "$run_id" --db "$work/results.db" --out "$work/no-data.html" \
  2>/dev/null >/dev/null
expect "$work/no-data.html" 'No price charts'
expect "$work/no-data.html" 'The data cannot be read now'
check_page "$work/no-data.html" "ok: 1 charts drawn" no-data-report.png

# 6. Without the library: a clear error naming the file and the fix.
if BT_CHARTS_JS="$work/missing.js" "$bt" report "$run_id" \
  --db "$work/results.db" --out "$work/x.html" 2>"$work/missing.err"; then
  fail "bt report succeeded without the chart library"
fi
expect "$work/missing.err" "$work/missing.js"
expect "$work/missing.err" 'scripts/setup.sh'

echo "PASSED: reports render in Chromium; screenshots in $outputs"
