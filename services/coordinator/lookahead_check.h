// The look-ahead guard behind `bt check lookahead` (docs/lookahead.md): runs a
// spec on its full data, then again on the data cut at several step times,
// and checks that every decision made at or before a cut is the same in both.
// A decision is an intent the strategy returned at a step, an order or a
// rejection the portfolio made of it, or a fill. A strategy that peeks at
// bars after the current one decides differently when those bars do not
// exist, so the first difference names the bar, symbol and decision.
// The runs use the stages given, with a results stage of the check's own:
// nothing is stored in the run history. Not thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_LOOKAHEAD_CHECK_H_
#define SEED_SERVICES_COORDINATOR_LOOKAHEAD_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backtest/v1/spec.pb.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

inline constexpr int kDefaultLookaheadCuts = 5;

struct LookaheadOptions {
  // Evenly spaced over the full run's steps from the first at which every
  // symbol has had a bar (a run needs bars of each).
  int cuts = kDefaultLookaheadCuts;
  // A directory of the check's own: each cut run reads cut copies of the
  // data files from a subdirectory of it.
  std::string scratch_dir;
};

// One decision of a run, in the order of DESIGN.md section 2 within a step.
struct Decision {
  enum class Kind { kFill = 0, kIntent = 1, kOrder = 2, kRejection = 3 };
  int64_t time = 0;  // the step it was made at
  Kind kind = Kind::kIntent;
  std::string symbol;
  // The message without its symbol, on one line (protobuf text format).
  std::string text;
};

absl::string_view KindName(Decision::Kind kind);

// The first decision that differs between the full and a cut run: its time,
// symbol and kind (the full run's when both made one), and the text of each
// side's decision ("(none)" when that run made none there; prefixed with
// its symbol when the cut run's is another). For a cut run that failed, kind
// "run" and `cut` "the run failed: ...".
struct Divergence {
  int64_t time = 0;
  std::string symbol;
  std::string kind;
  std::string full;
  std::string cut;
};

struct CutResult {
  int64_t cut_time = 0;
  int64_t steps = 0;      // steps of the cut run
  int64_t decisions = 0;  // decisions of the full run at or before the cut
  std::optional<Divergence> divergence;
};

struct LookaheadReport {
  int64_t steps = 0;      // steps of the full run
  int64_t decisions = 0;  // decisions of the full run
  std::vector<CutResult> cuts;
  bool passed() const;
};

// Runs `spec` in full and cut at `options.cuts` step times. The status fails
// when the spec is invalid (INVALID_ARGUMENT with its field problems, before
// anything runs), the full run fails (FAILED_PRECONDITION with its error's
// stage, reason, symbol and bar), or the data has too few steps to cut;
// differences are in the report, not the status.
absl::StatusOr<LookaheadReport> CheckLookahead(
    Stages stages, const backtest::v1::BacktestSpec& spec,
    const LookaheadOptions& options);

// The parts of the check, exposed for tests.

// Up to `cuts` distinct step times evenly spaced over the steps from
// `earliest` on, before the last step. `step_times` is increasing.
std::vector<int64_t> ChooseCutTimes(const std::vector<int64_t>& step_times,
                                    int64_t earliest, int cuts);

// The first difference between the full run's decisions at or before
// `cut_time` and the cut run's; both lists in step order.
std::optional<Divergence> FirstDivergence(const std::vector<Decision>& full,
                                          const std::vector<Decision>& cut,
                                          int64_t cut_time);

// Copies `from_dir` to `to_dir` as the data would have been at `cut_time`:
// the CSV files of `symbols` keep their header and the rows dated at or before
// it (rows whose date does not parse are kept for the data stage to judge);
// every other file is linked. `to_dir` is created.
absl::Status WriteCutData(const std::string& from_dir,
                          const std::vector<std::string>& symbols,
                          int64_t cut_time, const std::string& to_dir);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_LOOKAHEAD_CHECK_H_
