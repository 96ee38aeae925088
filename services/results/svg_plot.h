// Static charts drawn as inline SVG for the report pages (html_page.h): bar
// charts (a sweep's objective by one parameter, histograms, factor IC) and
// a fan of percentile bands over an x axis (Monte Carlo equity by trade).
// Charts whose x axis is not time live here rather than in the chart
// library, and need no script. Every text is escaped; every bar and band
// carries its numbers as data- attributes and a <title> tooltip. Thread-safe:
// pure functions.
#ifndef SEED_SERVICES_RESULTS_SVG_PLOT_H_
#define SEED_SERVICES_RESULTS_SVG_PLOT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace seed::results {

struct SvgBar {
  std::string label;            // under the bar
  std::optional<double> value;  // none: no bar, an empty slot
  std::string title;            // the tooltip (e.g. why there is no value)
  bool muted = false;           // drawn grey (e.g. an unreliable estimate)
};

// <svg id=ID class="plot bars"> with one <rect class="bar"
// data-label="..." data-value="..."> per bar that has a value, from zero
// up or down; the value axis spans 0 and every value.
std::string SvgBarChart(absl::string_view id, absl::Span<const SvgBar> bars,
                        absl::string_view value_name);

// Percentile bands over x: `levels` ascending (e.g. 5, 25, 50, 75, 95),
// values[i][j] the level-i value at x[j]. Level pairs from the outside in
// (5-95, 25-75) are shaded bands (<polygon class="band" data-levels="5-95"
// data-low="v,v,..." data-high="v,v,...">), an odd middle level a line
// (class="median" data-values=...), and `original`, when not empty (one
// value per x), a line on top (class="original" data-values=...).
struct SvgFan {
  std::vector<double> x;
  std::vector<double> levels;
  std::vector<std::vector<double>> values;
  std::vector<double> original;
};
std::string SvgFanChart(absl::string_view id, const SvgFan& fan,
                        absl::string_view x_name, absl::string_view y_name);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_SVG_PLOT_H_
