#include "research/panel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/time.h"

namespace seed::research {

absl::StatusOr<Panel> AlignPanel(absl::Span<const SymbolBars> bars) {
  Panel panel;
  absl::flat_hash_set<std::string> seen;
  for (const SymbolBars& symbol : bars) {
    const auto invalid = [&](auto&&... parts) {
      return absl::InvalidArgumentError(
          absl::StrCat("symbol ", symbol.symbol, ": ", parts...));
    };
    if (!seen.insert(symbol.symbol).second) return invalid("listed twice");
    const size_t n = symbol.times.size();
    if (symbol.high.size() != n || symbol.low.size() != n ||
        symbol.close.size() != n) {
      return invalid(n, " times but ", symbol.high.size(), " highs, ",
                     symbol.low.size(), " lows and ", symbol.close.size(),
                     " closes");
    }
    for (size_t i = 0; i < n; ++i) {
      if (i > 0 && symbol.times[i] <= symbol.times[i - 1]) {
        return invalid("bar ", i, " (", FormatTime(symbol.times[i]),
                       ") is not after the one before");
      }
      if (!std::isfinite(symbol.high[i]) || !std::isfinite(symbol.low[i]) ||
          !(std::isfinite(symbol.close[i]) && symbol.close[i] > 0)) {
        return invalid("bar ", i, " (", FormatTime(symbol.times[i]),
                       ") has a price that is not finite or a close <= 0");
      }
    }
    panel.symbols.push_back(symbol.symbol);
    panel.times.insert(panel.times.end(), symbol.times.begin(),
                       symbol.times.end());
  }
  std::sort(panel.times.begin(), panel.times.end());
  panel.times.erase(std::unique(panel.times.begin(), panel.times.end()),
                    panel.times.end());
  const std::vector<double> missing(panel.times.size(),
                                    std::numeric_limits<double>::quiet_NaN());
  for (const SymbolBars& symbol : bars) {
    std::vector<double> high = missing;
    std::vector<double> low = missing;
    std::vector<double> close = missing;
    size_t t = 0;
    for (size_t i = 0; i < symbol.times.size(); ++i) {
      while (panel.times[t] < symbol.times[i]) ++t;
      high[t] = symbol.high[i];
      low[t] = symbol.low[i];
      close[t] = symbol.close[i];
    }
    panel.high.push_back(std::move(high));
    panel.low.push_back(std::move(low));
    panel.close.push_back(std::move(close));
  }
  return panel;
}

absl::Status CheckPanel(const Panel& panel) {
  const size_t symbols = panel.symbols.size();
  const size_t times = panel.times.size();
  for (size_t t = 1; t < times; ++t) {
    if (panel.times[t] <= panel.times[t - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("panel time ", t, " is not after the one before"));
    }
  }
  const std::pair<const char*, const PanelValues*> series[] = {
      {"high", &panel.high}, {"low", &panel.low}, {"close", &panel.close}};
  for (const auto& [name, values] : series) {
    if (values->size() != symbols) {
      return absl::InvalidArgumentError(
          absl::StrCat("panel ", name, " has ", values->size(), " series for ",
                       symbols, " symbols"));
    }
    for (size_t s = 0; s < symbols; ++s) {
      if ((*values)[s].size() != times) {
        return absl::InvalidArgumentError(
            absl::StrCat("panel ", name, " of ", panel.symbols[s], " has ",
                         (*values)[s].size(), " values for ", times, " times"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace seed::research
