// The HTML report of one stored run: a single self-contained page (summary,
// each strategy's part in a run of several, equity with drawdown, price
// charts with trades, monthly returns, sortable trade list, fingerprint,
// failure) that works opened from disk with no network, its chart library
// inlined. Thread-safe: pure functions.
#ifndef SEED_SERVICES_RESULTS_REPORT_H_
#define SEED_SERVICES_RESULTS_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/market.pb.h"
#include "backtest/v1/results.pb.h"

namespace seed::results {

// Where scripts/setup.sh installs TradingView's lightweight-charts (npm ci in
// report/), relative to the repository root.
inline constexpr char kChartsLibraryPath[] =
    "report/node_modules/lightweight-charts/dist/"
    "lightweight-charts.standalone.production.js";

// A chart draws at most this many points (candles, equity points); longer
// series are merged into coarser candles so that a million one-minute bars
// still give a page a browser opens in a second or two.
inline constexpr int kMaxChartPoints = 20'000;

// At most this many per-symbol price charts; the report names the others.
inline constexpr int kMaxPriceCharts = 20;

// The bars behind the per-symbol price charts, which the caller reads from
// the data stage (this library never calls a stage).
struct PriceData {
  std::vector<backtest::v1::BarSeries> series;  // one per symbol, run order
  // Shown above the price charts: why there are none (series empty), or
  // what a person should know about them (e.g. the data changed since).
  std::vector<std::string> notes;
};

// The text of the chart library's standalone build at `path`; fails naming
// the path and the fix (scripts/setup.sh) when it cannot be read.
absl::StatusOr<std::string> ReadChartsLibrary(const std::string& path);

// The whole page. `run` comes from GetRun with include_records;
// `charts_library` is the text ReadChartsLibrary returned, inlined verbatim
// (only "</script" and "<!--" are escaped). Every text of the run is
// HTML-escaped; the chart data travels as one JSON script element
// (id "report-data"). The page records its own script errors and, once the
// charts drew, sets <body data-render="ok: N charts drawn"> (else
// "error: ..."), which the browser test reads.
std::string RenderHtmlReport(const backtest::v1::GetRunResponse& run,
                             const PriceData& prices,
                             absl::string_view charts_library);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_REPORT_H_
