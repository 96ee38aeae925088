// Panel: the bars of a universe of symbols on one clock (the union of their
// bar times), the input of factor studies. A symbol without a bar at a time
// has NaN there; nothing is filled forward. Thread-safe: plain values and a
// pure function.
#ifndef SEED_RESEARCH_PANEL_H_
#define SEED_RESEARCH_PANEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace seed::research {

// Values by [symbol][time index], NaN where undefined.
using PanelValues = std::vector<std::vector<double>>;

struct Panel {
  std::vector<std::string> symbols;
  std::vector<int64_t> times;  // strictly increasing
  // [symbol][time]: NaN where the symbol has no bar at that time.
  PanelValues high;
  PanelValues low;
  PanelValues close;
};

// One symbol's bars, in time order.
struct SymbolBars {
  std::string symbol;
  std::vector<int64_t> times;  // strictly increasing
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;  // finite and > 0
};

// The panel of `bars` (symbols in the order given) on the union of their
// times, or INVALID_ARGUMENT naming the symbol when its series have
// different lengths, its times do not increase, a symbol repeats, or a
// price is not finite or a close not > 0.
absl::StatusOr<Panel> AlignPanel(absl::Span<const SymbolBars> bars);

// OK when every series of `panel` has one value per symbol and time and the
// times increase; INVALID_ARGUMENT saying which does not.
absl::Status CheckPanel(const Panel& panel);

}  // namespace seed::research

#endif  // SEED_RESEARCH_PANEL_H_
