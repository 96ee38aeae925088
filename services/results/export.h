// Writes a stored run as files other tools read: trades.csv, fills.csv,
// rejections.csv, equity.csv and metrics.json, and strategies.csv for a run
// of several strategies, in one directory (created when missing).
// Thread-safe: a pure function of its arguments (concurrent exports must use
// distinct directories).
#ifndef SEED_SERVICES_RESULTS_EXPORT_H_
#define SEED_SERVICES_RESULTS_EXPORT_H_

#include <string>

#include "absl/status/status.h"
#include "backtest/v1/results.pb.h"

namespace seed::results {

// The header line of trades.csv and equity.csv (without the newline).
inline constexpr char kTradesCsvHeader[] =
    "symbol,side,entry_time,entry_price,exit_time,exit_price,quantity,"
    "gross_pnl,commission,net_pnl,exit_reason,r_multiple,borrow_fees,"
    "slippage,mae,mfe,initial_stop";
inline constexpr char kEquityCsvHeader[] = "time,cash,equity";
// The header lines of fills.csv and rejections.csv.
inline constexpr char kFillsCsvHeader[] =
    "time,symbol,side,quantity,price,raw_price,commission,slippage,order_id,"
    "type,role,partial,remaining_quantity,gap,same_bar_resolution,reason,tag";
inline constexpr char kRejectionsCsvHeader[] =
    "time,symbol,side,quantity,order_id,stage,code,message,tag";

// `run` should come from GetRun with include_records. In trades.csv: side is
// "long" (BUY) or "short", times are seed::FormatTime, an open trade (exit
// time 0) has an empty exit_time, its last close as exit_price and exit_reason
// "open"; r_multiple is empty when the trade had no initial stop; the columns
// after it (added later, so they come last) are the Trade fields of the same
// names, initial_stop 0 meaning none. In fills.csv and rejections.csv: symbol
// is the ticker (the run's symbols by index), side "buy" or "sell", type and
// role their enum names in lower case ("limit", "take_profit"; empty when
// unspecified), partial and gap 0 or 1. Numbers are written in plain decimal
// with the fewest digits that read back as the same double.
//
// A run of several strategies (its canonical spec lists `strategies`) adds a
// last column `strategy` to trades.csv, fills.csv and rejections.csv (the
// strategy's id) and a column `equity_<id>` per strategy to equity.csv (its
// sleeve's equity; empty at a point without one), and writes strategies.csv:
// one row per Metrics.strategies entry (none before the run finished), a
// column per StrategyAttribution field by its proto name, empty when unset. A
// run of one strategy has neither: its files keep their columns.
//
// metrics.json is one object: run_id, name, state, strategy, symbols, times,
// fingerprint (spec_hash, data_hash, engine_version), the error (null when
// none) and every Metrics field by its proto name, null when unset; a nested
// message (e.g. sharpe_ci) is an object with all its fields, a repeated field
// (e.g. monthly_returns) an array.
//
// A stored spec that is not a BacktestSpec in JSON fails EXPORT_FAILED before
// anything is written.
absl::Status ExportRun(const backtest::v1::GetRunResponse& run,
                       const std::string& directory);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_EXPORT_H_
