// bt indicators --data FILE --out FILE.csv: the TTR-convention indicators of
// one symbol's bars, in the columns of the TTR reference file so the two can
// be compared. The bars come through the data stage, so every data-quality
// rule of a backtest applies to them.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/stage_access.h"
#include "common/time.h"
#include "services/data/data_engine.h"
#include "services/strategy/indicators/atr.h"
#include "services/strategy/indicators/bollinger_bands.h"
#include "services/strategy/indicators/ema.h"
#include "services/strategy/indicators/macd.h"
#include "services/strategy/indicators/rsi.h"
#include "services/strategy/indicators/sma.h"

namespace seed::cli {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;

constexpr char kUsage[] =
    "usage: bt indicators --data FILE.csv [--symbol S] --out FILE.csv\n"
    "       bt indicators --data DIR --symbol S --out FILE.csv\n";

constexpr char kHeader[] =
    "date,sma20,ema20,rsi14,atr14,bb_lower,bb_upper,macd,macd_signal";

// The settings of the columns: TTR's defaults, as in the reference file.
constexpr int64_t kAveragePeriod = 20;  // SMA, EMA and Bollinger bands
constexpr int64_t kWilderPeriod = 14;   // RSI and ATR
constexpr double kBandWidth = 2.0;      // Bollinger: standard deviations
constexpr int64_t kMacdFast = 12;
constexpr int64_t kMacdSlow = 26;
constexpr int64_t kMacdSignal = 9;
// As the reference file prints them: well above the 12 digits a comparison
// to 1e-9 relative needs.
constexpr int kSignificantDigits = 15;

// Where the data stage finds the bars: data.path and the one symbol.
struct Source {
  std::string dir;
  std::string symbol;
};

// --data names a SYMBOL.csv file (the symbol is its stem) or a directory
// (with --symbol). Errors are usage errors.
absl::StatusOr<Source> ResolveSource(const Flags& flags) {
  const fs::path data = *flags.Get("data");
  const std::optional<std::string> symbol = flags.Get("symbol");
  std::error_code error;
  if (fs::is_directory(data, error)) {
    if (!symbol.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--data ", data.string(),
          " is a directory: name the symbol with --symbol, or pass the file"));
    }
    return Source{data.string(), *symbol};
  }
  if (data.extension() != ".csv") {
    return absl::InvalidArgumentError(
        absl::StrCat("--data ", data.string(),
                     " must be a SYMBOL.csv file or a directory of them"));
  }
  const std::string stem = data.stem().string();
  if (symbol.has_value() && *symbol != stem) {
    return absl::InvalidArgumentError(
        absl::StrCat("--symbol ", *symbol, " does not match --data ",
                     data.string(), ", whose symbol is ", stem,
                     ": drop --symbol, or pass the directory with --symbol"));
  }
  const fs::path dir = data.parent_path();
  return Source{dir.empty() ? "." : dir.string(), stem};
}

std::string Cell(std::optional<double> value) {
  return value.has_value() ? absl::StrFormat("%.*g", kSignificantDigits, *value)
                           : "";
}

// The reference file's columns, one bar at a time.
class ReferenceIndicators {
 public:
  void Add(double high, double low, double close) {
    sma_.Add(close);
    ema_.Add(close);
    rsi_.Add(close);
    atr_.Add(high, low, close);
    bands_.Add(close);
    macd_.Add(close);
  }

  // The row for the bar just added, without its date.
  std::string Cells() const {
    const std::optional<strategy::Band> band = bands_.value();
    return absl::StrJoin(
        {Cell(sma_.value()), Cell(ema_.value()), Cell(rsi_.value()),
         Cell(atr_.value()),
         Cell(band ? std::optional(band->lower) : std::nullopt),
         Cell(band ? std::optional(band->upper) : std::nullopt),
         Cell(macd_.value()), Cell(macd_.signal())},
        ",");
  }

 private:
  strategy::Sma sma_{kAveragePeriod};
  strategy::Ema ema_{kAveragePeriod};
  strategy::Rsi rsi_{kWilderPeriod};
  strategy::Atr atr_{kWilderPeriod};
  strategy::BollingerBands bands_{kAveragePeriod, kBandWidth};
  strategy::Macd macd_{kMacdFast, kMacdSlow, kMacdSignal};
};

// Reads every bar of the opened dataset's only symbol into `out` as rows;
// the number of bars.
absl::StatusOr<int64_t> WriteRows(data::DataEngine& engine,
                                  const std::string& dataset_id,
                                  std::ostream& out) {
  ReferenceIndicators indicators;
  v1::ReadBarsRequest request;
  request.set_dataset_id(dataset_id);
  request.set_symbol(0);
  request.set_limit(data::kMaxBarsPerRead);
  v1::ReadBarsResponse response;
  int64_t bars = 0;
  do {
    request.set_offset(bars);
    const absl::Status status = engine.ReadBars(request, &response);
    if (!status.ok()) return status;
    const v1::BarSeries& series = response.series();
    for (int i = 0; i < series.time_size(); ++i) {
      indicators.Add(series.high(i), series.low(i), series.close(i));
      out << FormatTime(series.time(i)) << "," << indicators.Cells() << "\n";
    }
    bars += series.time_size();
  } while (!response.end());
  return bars;
}

}  // namespace

int IndicatorsCommand(const Args& args) {
  const absl::StatusOr<Flags> flags =
      Flags::Parse(args, {"data", "symbol", "out"}, {});
  if (!flags.ok() || !flags->positional().empty() || !flags->Has("data") ||
      !flags->Has("out")) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << kUsage;
    return kExitUsage;
  }
  const absl::StatusOr<Source> source = ResolveSource(*flags);
  if (!source.ok()) {
    PrintError(source.status());
    std::cerr << kUsage;
    return kExitUsage;
  }

  data::DataEngine engine;
  v1::OpenDatasetRequest open;
  open.mutable_data()->set_path(source->dir);
  open.mutable_data()->add_symbols(source->symbol);
  v1::OpenDatasetResponse dataset;
  absl::Status status = engine.OpenDataset(open, &dataset);
  if (!status.ok()) {
    PrintError(status);
    return kExitFailed;
  }
  for (const std::string& notice : dataset.notices()) {
    std::cerr << "note: " << notice << "\n";
  }

  const std::string path = *flags->Get("out");
  std::ofstream out(path);
  if (!out) {
    PrintError(absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno),
                     "; check that its directory exists and is writable")));
    return kExitFailed;
  }
  out << kHeader << "\n";
  const absl::StatusOr<int64_t> bars =
      WriteRows(engine, dataset.dataset_id(), out);
  out.close();
  if (!bars.ok()) {
    PrintError(bars.status());
    return kExitFailed;
  }
  if (!out) {
    PrintError(absl::DataLossError(
        absl::StrCat("writing ", path, " failed part way (disk full?)")));
    return kExitFailed;
  }
  std::cout << "wrote " << *bars << " bars of " << source->symbol
            << " indicators to " << path << "\n";
  return kExitOk;
}

}  // namespace seed::cli
