#include "cli/run_activity.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backtest/v1/spec.pb.h"
#include "cli/stored_spec.h"
#include "common/text.h"
#include "common/time.h"

namespace seed::cli {
namespace {

// Whether a parameter of this name counts bars of history.
bool IsLookbackName(absl::string_view name) {
  for (absl::string_view exact :
       {"slow", "fast", "lookback", "period", "window", "length"}) {
    if (name == exact) return true;
  }
  for (absl::string_view suffix :
       {"_length", "_period", "_lookback", "_window", "_bars"}) {
    if (absl::EndsWith(name, suffix)) return true;
  }
  return false;
}

// The lookbacks of `strategy` (its params sorted by name, as a map keeps
// them) of at least `available` bars, named under `prefix`.
void AddLongLookbacks(const v1::StrategySpec& strategy,
                      const std::string& prefix, int64_t available,
                      std::vector<LongLookback>& out) {
  const std::map<std::string, v1::ParamValue> params(strategy.params().begin(),
                                                     strategy.params().end());
  for (const auto& [name, value] : params) {
    if (!value.has_number() || !IsLookbackName(name)) continue;
    const double bars = value.number();
    if (bars != std::trunc(bars) || bars < static_cast<double>(available)) {
      continue;
    }
    out.push_back(
        {absl::StrCat(prefix, "params.", name), static_cast<int64_t>(bars)});
  }
}

// Reads the spec's data range, warm-up and long lookbacks into `activity`.
void ReadSpec(const v1::GetRunResponse& run, RunActivity& activity) {
  absl::StatusOr<v1::BacktestSpec> parsed =
      ParseStoredSpec(run.canonical_spec());
  if (!parsed.ok()) {
    activity.spec_problem = std::string(parsed.status().message());
    return;
  }
  const v1::BacktestSpec& spec = *parsed;
  activity.data_start = spec.data().start();
  activity.data_end = spec.data().end();
  activity.warmup_bars = spec.data().warmup_bars();
  // A run without bars is explained by that alone.
  if (activity.bars == 0) return;
  const int64_t available = activity.bars + activity.warmup_bars;
  if (spec.strategies().empty()) {
    AddLongLookbacks(spec.strategy(), "strategy.", available,
                     activity.long_lookbacks);
  }
  for (const v1::StrategySpec& strategy : spec.strategies()) {
    const std::string& id =
        strategy.id().empty() ? strategy.name() : strategy.id();
    AddLongLookbacks(strategy, absl::StrCat("strategies[", id, "]."), available,
                     activity.long_lookbacks);
  }
}

std::string Symbol(const v1::GetRunResponse& run, int index) {
  const auto& symbols = run.run().symbols();
  if (index < 0 || index >= symbols.size()) return absl::StrCat("#", index);
  return EscapeForTerminal(symbols[index]);
}

std::string BarsText(const RunActivity& activity,
                     const v1::RunSummary& summary) {
  std::string text = absl::StrCat(activity.bars, " bars");
  if (activity.warmup_bars > 0) {
    absl::StrAppend(&text, " (+ up to ", activity.warmup_bars,
                    " warm-up bars)");
  }
  if (!summary.first_time().empty()) {
    absl::StrAppend(&text, ", ", summary.first_time(), "..",
                    summary.last_time());
  }
  return text;
}

// Why a run that placed no order and had no intent refused never signalled.
std::string NeverSignalled(const v1::GetRunResponse& run,
                           const RunActivity& activity) {
  std::string out =
      "  the strategy never signalled: no order placed, no intent refused\n";
  if (activity.bars == 0) {
    return absl::StrCat(out, "  likely cause: the run had no bars\n");
  }
  if (!activity.spec_problem.empty()) {
    return absl::StrCat(out, "  ", activity.spec_problem,
                        ", so its lookbacks are unknown; the run had ",
                        BarsText(activity, run.run()), "\n");
  }
  if (activity.long_lookbacks.empty()) {
    absl::StrAppend(&out, "  no lookback parameter is as long as the run's ",
                    BarsText(activity, run.run()),
                    ": the entry condition never held on this data\n");
  }
  for (const LongLookback& lookback : activity.long_lookbacks) {
    absl::StrAppend(&out, "  likely cause: ", lookback.field, " = ",
                    lookback.bars, " needs more than ", lookback.bars,
                    " bars; the run had ", BarsText(activity, run.run()), "\n");
  }
  if (!activity.data_start.empty() || !activity.data_end.empty()) {
    absl::StrAppend(
        &out, "  the spec limits the data to ",
        activity.data_start.empty() ? "(start)" : activity.data_start, "..",
        activity.data_end.empty() ? "(end)" : activity.data_end,
        " (data.start, data.end)\n");
  }
  return out;
}

}  // namespace

RunActivity ReadRunActivity(const v1::GetRunResponse& run) {
  RunActivity activity;
  activity.closed_trades = run.run().metrics().trades();
  activity.open_trades = run.run().metrics().open_trades();
  activity.fills = run.fills_size();
  activity.refused = run.rejections_size();
  activity.bars = run.equity_size();
  std::set<int64_t> placed;
  std::set<int64_t> filled;
  for (const v1::Fill& fill : run.fills()) {
    placed.insert(fill.order_id());
    filled.insert(fill.order_id());
  }
  std::map<std::pair<std::string, std::string>, RefusalGroup> groups;
  for (const v1::Rejection& rejection : run.rejections()) {
    // An intent refused at sizing never became an order (id 0).
    if (rejection.order_id() != 0) placed.insert(rejection.order_id());
    RefusalGroup& group = groups[{rejection.stage(), rejection.code()}];
    if (group.count++ == 0) {
      group.stage = rejection.stage();
      group.code = rejection.code();
      group.example = rejection;
    }
  }
  activity.orders_placed = static_cast<int64_t>(placed.size());
  activity.orders_filled = static_cast<int64_t>(filled.size());
  for (auto& [key, group] : groups) {
    activity.refusals.push_back(std::move(group));
  }
  // Stable: equal counts stay in (stage, code) order.
  std::stable_sort(activity.refusals.begin(), activity.refusals.end(),
                   [](const RefusalGroup& a, const RefusalGroup& b) {
                     return a.count > b.count;
                   });
  ReadSpec(run, activity);
  return activity;
}

std::string ExplainRunActivity(const v1::GetRunResponse& run) {
  if (run.run().state() != v1::SUCCEEDED ||
      run.run().metrics().trades() >= kFewTrades) {
    return "";
  }
  const RunActivity activity = ReadRunActivity(run);
  std::string out =
      absl::StrCat("\nactivity: ", activity.closed_trades, " closed trade",
                   activity.closed_trades == 1 ? "" : "s",
                   activity.open_trades > 0
                       ? absl::StrCat(" (+", activity.open_trades, " open)")
                       : "",
                   "\n");
  if (activity.fills == 0 && activity.refused == 0) {
    return absl::StrCat(out, NeverSignalled(run, activity));
  }
  absl::StrAppend(&out, "  orders: ", activity.orders_placed, " placed, ",
                  activity.orders_filled, " filled (", activity.fills,
                  " fills)\n  refused: ", activity.refused,
                  activity.refused == 0 ? "" : ", by reason:", "\n");
  for (const RefusalGroup& group : activity.refusals) {
    const v1::Rejection& example = group.example;
    absl::StrAppend(&out,
                    absl::StrFormat("    %d x %s %s", group.count,
                                    EscapeForTerminal(group.stage),
                                    EscapeForTerminal(group.code)),
                    ", e.g. ", FormatTime(example.time()), " ",
                    Symbol(run, example.symbol()), ": ",
                    EscapeForTerminal(example.message()), "\n");
  }
  return out;
}

}  // namespace seed::cli
