#include "services/results/svg_plot.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/results/html_page.h"

namespace seed::results {
namespace {

// The drawing area inside the SVG's view box, in its units.
constexpr double kWidth = 900;
constexpr double kHeight = 280;
constexpr double kLeft = 88;
constexpr double kRight = 12;
constexpr double kTop = 12;
constexpr double kBottom = 44;
constexpr int kValueTicks = 5;
// Beyond this many bars only every k-th label is written, so they stay
// legible.
constexpr int kMaxLabels = 24;
// Bar labels wider than their slot are turned this far (degrees) and given
// room below the plot: about this many units per character, at most
// kMaxLabelRoom.
constexpr double kLabelAngle = -30;
constexpr double kCharWidth = 6.5;
constexpr double kMaxLabelRoom = 160;

constexpr char kBarColor[] = "#2962ff";
constexpr char kNegativeColor[] = "#d32f2f";
constexpr char kMutedColor[] = "#afb8c1";
constexpr char kBandColor[] = "#2962ff";
constexpr char kOriginalColor[] = "#e65100";

// Tick labels: whole numbers for large values (equity), else 4 digits.
std::string Number(double value) {
  return std::abs(value) >= 1e4 ? absl::StrFormat("%.0f", value)
                                : absl::StrFormat("%.4g", value);
}

// "1,2.5,3": a series as a data- attribute.
std::string Values(const std::vector<double>& values) {
  std::vector<std::string> texts;
  for (const double value : values) texts.push_back(JsonNumber(value));
  return absl::StrJoin(texts, ",");
}

std::string Coordinate(double value) { return absl::StrFormat("%.1f", value); }

// Maps [low, high] onto the plot's height (high at the top).
struct Scale {
  double low;
  double high;
  double Y(double value) const {
    const double span = high > low ? high - low : 1.0;
    return kTop + (high - value) / span * (kHeight - kTop - kBottom);
  }
};

Scale Padded(double low, double high) {
  if (!(high > low)) {
    const double pad = std::abs(low) > 0 ? std::abs(low) * 0.1 : 1.0;
    return {low - pad, high + pad};
  }
  return {low, high};
}

// `extra`: room below the usual height (turned labels).
std::string Open(absl::string_view id, absl::string_view kind,
                 double extra = 0) {
  return absl::StrCat("<svg id=\"", Html(id), "\" class=\"plot ", kind,
                      "\" viewBox=\"0 0 ", kWidth, " ", kHeight + extra,
                      "\" width=\"100%\" preserveAspectRatio=\"xMidYMid "
                      "meet\" role=\"img\">\n");
}

// The value axis with its tick labels and name.
std::string ValueAxis(const Scale& scale, absl::string_view name) {
  std::string out =
      absl::StrCat("<line class=\"axis\" x1=\"", kLeft, "\" y1=\"", kTop,
                   "\" x2=\"", kLeft, "\" y2=\"", kHeight - kBottom, "\"/>\n");
  for (int i = 0; i < kValueTicks; ++i) {
    const double value =
        scale.low + (scale.high - scale.low) * i / (kValueTicks - 1);
    absl::StrAppend(&out, "<text x=\"", kLeft - 6, "\" y=\"",
                    Coordinate(scale.Y(value) + 4), "\" text-anchor=\"end\">",
                    Number(value), "</text>\n");
  }
  const double middle = (kTop + kHeight - kBottom) / 2;
  absl::StrAppend(&out, "<text x=\"12\" y=\"", middle,
                  "\" text-anchor=\"middle\" transform=\"rotate(-90 12 ",
                  middle, ")\">", Html(name), "</text>\n");
  return out;
}

}  // namespace

std::string SvgBarChart(absl::string_view id, absl::Span<const SvgBar> bars,
                        absl::string_view value_name) {
  double low = 0;
  double high = 0;
  for (const SvgBar& bar : bars) {
    if (!bar.value.has_value() || !std::isfinite(*bar.value)) continue;
    low = std::min(low, *bar.value);
    high = std::max(high, *bar.value);
  }
  const Scale scale = Padded(low, high);
  const double slot =
      (kWidth - kLeft - kRight) / std::max<size_t>(1, bars.size());
  size_t longest = 0;
  for (const SvgBar& bar : bars) longest = std::max(longest, bar.label.size());
  const bool turned = longest * kCharWidth > slot;
  const double extra =
      turned ? std::min(kMaxLabelRoom, longest * kCharWidth * 0.5) : 0;
  std::string out =
      absl::StrCat(Open(id, "bars", extra), ValueAxis(scale, value_name));
  const double zero = scale.Y(0);
  absl::StrAppend(&out, "<line class=\"axis\" x1=\"", kLeft, "\" y1=\"",
                  Coordinate(zero), "\" x2=\"", kWidth - kRight, "\" y2=\"",
                  Coordinate(zero), "\"/>\n");
  const size_t label_every = (bars.size() + kMaxLabels - 1) / kMaxLabels;
  for (size_t i = 0; i < bars.size(); ++i) {
    const SvgBar& bar = bars[i];
    const double left = kLeft + slot * i;
    const double center = left + slot / 2;
    if (label_every <= 1 || i % label_every == 0) {
      const double y = kHeight - kBottom + 16;
      absl::StrAppend(
          &out, "<text x=\"", Coordinate(center), "\" y=\"", y,
          turned ? absl::StrCat("\" text-anchor=\"end\" transform=\"rotate(",
                                kLabelAngle, " ", Coordinate(center), " ", y,
                                ")\">")
                 : "\" text-anchor=\"middle\">",
          Html(bar.label), "</text>\n");
    }
    const std::string tooltip = absl::StrCat(
        "<title>", Html(bar.title.empty() ? bar.label : bar.title), "</title>");
    if (!bar.value.has_value() || !std::isfinite(*bar.value)) {
      absl::StrAppend(&out, "<rect class=\"slot\" data-label=\"",
                      Html(bar.label), "\" x=\"", Coordinate(left), "\" y=\"",
                      kTop, "\" width=\"", Coordinate(slot), "\" height=\"",
                      kHeight - kTop - kBottom, "\" fill=\"#f6f8fa\">", tooltip,
                      "</rect>\n");
      continue;
    }
    const double y = scale.Y(*bar.value);
    const char* color = bar.muted        ? kMutedColor
                        : *bar.value < 0 ? kNegativeColor
                                         : kBarColor;
    absl::StrAppend(&out, "<rect class=\"bar\" data-label=\"", Html(bar.label),
                    "\" data-value=\"", JsonNumber(*bar.value), "\" x=\"",
                    Coordinate(left + slot * 0.1), "\" y=\"",
                    Coordinate(std::min(y, zero)), "\" width=\"",
                    Coordinate(slot * 0.8), "\" height=\"",
                    Coordinate(std::max(0.5, std::abs(zero - y))), "\" fill=\"",
                    color, "\">", tooltip, "</rect>\n");
  }
  return out + "</svg>\n";
}

std::string SvgFanChart(absl::string_view id, const SvgFan& fan,
                        absl::string_view x_name, absl::string_view y_name) {
  double low = 0;
  double high = 0;
  bool any = false;
  auto include = [&](double value) {
    if (!std::isfinite(value)) return;
    low = any ? std::min(low, value) : value;
    high = any ? std::max(high, value) : value;
    any = true;
  };
  for (const auto& row : fan.values)
    std::for_each(row.begin(), row.end(), include);
  std::for_each(fan.original.begin(), fan.original.end(), include);
  const Scale scale = Padded(low, high);
  const double first = fan.x.empty() ? 0 : fan.x.front();
  const double last = fan.x.empty() ? 1 : fan.x.back();
  auto x_of = [&](double x) {
    const double span = last > first ? last - first : 1.0;
    return kLeft + (x - first) / span * (kWidth - kLeft - kRight);
  };
  auto path = [&](const std::vector<double>& values) {
    std::vector<std::string> points;
    for (size_t j = 0; j < fan.x.size() && j < values.size(); ++j) {
      points.push_back(absl::StrCat(Coordinate(x_of(fan.x[j])), ",",
                                    Coordinate(scale.Y(values[j]))));
    }
    return points;
  };
  std::string out = absl::StrCat(Open(id, "fan"), ValueAxis(scale, y_name));
  absl::StrAppend(&out, "<line class=\"axis\" x1=\"", kLeft, "\" y1=\"",
                  kHeight - kBottom, "\" x2=\"", kWidth - kRight, "\" y2=\"",
                  kHeight - kBottom, "\"/>\n");
  for (int i = 0; i < kValueTicks; ++i) {
    const double x = first + (last - first) * i / (kValueTicks - 1);
    absl::StrAppend(&out, "<text x=\"", Coordinate(x_of(x)), "\" y=\"",
                    kHeight - kBottom + 16, "\" text-anchor=\"middle\">",
                    Number(std::round(x)), "</text>\n");
  }
  absl::StrAppend(&out, "<text x=\"", Coordinate(kWidth / 2), "\" y=\"",
                  kHeight - 6, "\" text-anchor=\"middle\">", Html(x_name),
                  "</text>\n");
  const size_t count = std::min(fan.levels.size(), fan.values.size());
  for (size_t i = 0; i < count / 2; ++i) {
    const size_t j = count - 1 - i;
    std::vector<std::string> ring = path(fan.values[i]);
    std::vector<std::string> upper = path(fan.values[j]);
    ring.insert(ring.end(), upper.rbegin(), upper.rend());
    const std::string levels =
        absl::StrCat(Number(fan.levels[i]), "-", Number(fan.levels[j]));
    absl::StrAppend(&out, "<polygon class=\"band\" data-levels=\"", levels,
                    "\" data-low=\"", Values(fan.values[i]), "\" data-high=\"",
                    Values(fan.values[j]), "\" points=\"",
                    absl::StrJoin(ring, " "), "\" fill=\"", kBandColor,
                    "\" fill-opacity=\"0.18\"><title>percentiles ", levels,
                    "</title></polygon>\n");
  }
  if (count % 2 == 1) {
    const size_t middle = count / 2;
    absl::StrAppend(&out, "<polyline class=\"median\" data-level=\"",
                    Number(fan.levels[middle]), "\" data-values=\"",
                    Values(fan.values[middle]), "\" points=\"",
                    absl::StrJoin(path(fan.values[middle]), " "),
                    "\" fill=\"none\" stroke=\"", kBandColor,
                    "\" stroke-width=\"1.5\"><title>percentile ",
                    Number(fan.levels[middle]), "</title></polyline>\n");
  }
  if (!fan.original.empty()) {
    absl::StrAppend(&out, "<polyline class=\"original\" data-values=\"",
                    Values(fan.original), "\" points=\"",
                    absl::StrJoin(path(fan.original), " "),
                    "\" fill=\"none\" stroke=\"", kOriginalColor,
                    "\" stroke-width=\"2\"><title>the run's own order"
                    "</title></polyline>\n");
  }
  return out + "</svg>\n";
}

}  // namespace seed::results
