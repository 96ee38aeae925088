// The indicators against R's TTR on real data: ORCL's daily bars and the
// values TTR 0.24.3 computed for them (see /work/shared/reference/README.md).
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "services/strategy/indicators/atr.h"
#include "services/strategy/indicators/bollinger_bands.h"
#include "services/strategy/indicators/ema.h"
#include "services/strategy/indicators/macd.h"
#include "services/strategy/indicators/reference_table.h"
#include "services/strategy/indicators/rsi.h"
#include "services/strategy/indicators/sma.h"

namespace seed::strategy {
namespace {

using testing::CsvTable;

// Every defined value must agree with TTR's to this relative difference.
constexpr double kRelativeTolerance = 1e-9;

// All the digits a double has, so the comparison sees our value, not a
// rounding of it.
std::string Cell(std::optional<double> value) {
  return value.has_value() ? absl::StrFormat("%.17g", *value) : "";
}

double Number(const CsvTable& table, size_t row, const std::string& column) {
  double value = 0;
  EXPECT_TRUE(absl::SimpleAtod(table.rows[row][table.Column(column)], &value))
      << column << " at data row " << row + 1;
  return value;
}

TEST(TtrReferenceTest,
     OrclMatchesTtrWhereverDefinedAndIsUndefinedWhereItIsNot) {
  const std::optional<std::string> dir = testing::SharedDataDir();
  if (!dir.has_value()) {
    GTEST_SKIP() << "SHARED_DATA_DIR is not set: it names the directory of "
                    "ORCL.csv, with TTR's values in ../reference";
  }
  const absl::StatusOr<CsvTable> bars =
      testing::ReadCsvTable(*dir + "/ORCL.csv");
  ASSERT_TRUE(bars.ok()) << bars.status();
  const absl::StatusOr<CsvTable> reference =
      testing::ReadCsvTable(*dir + "/../reference/ORCL_indicators_ttr.csv");
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_EQ(reference->header,
            (std::vector<std::string>{"date", "sma20", "ema20", "rsi14",
                                      "atr14", "bb_lower", "bb_upper", "macd",
                                      "macd_signal"}));
  for (const char* column : {"date", "high", "low", "close"}) {
    ASSERT_GE(bars->Column(column), 0) << "ORCL.csv has no column " << column;
  }

  Sma sma(20);
  Ema ema(20);
  Rsi rsi(14);
  Atr atr(14);
  BollingerBands bands(20, 2.0);
  Macd macd(12, 26, 9);
  CsvTable computed{.header = reference->header};
  for (size_t row = 0; row < bars->rows.size(); ++row) {
    const double close = Number(*bars, row, "close");
    sma.Add(close);
    ema.Add(close);
    rsi.Add(close);
    atr.Add(Number(*bars, row, "high"), Number(*bars, row, "low"), close);
    bands.Add(close);
    macd.Add(close);
    const std::optional<Band> band = bands.value();
    computed.rows.push_back({
        bars->rows[row][bars->Column("date")],
        Cell(sma.value()),
        Cell(ema.value()),
        Cell(rsi.value()),
        Cell(atr.value()),
        Cell(band.has_value() ? std::optional(band->lower) : std::nullopt),
        Cell(band.has_value() ? std::optional(band->upper) : std::nullopt),
        Cell(macd.value()),
        Cell(macd.signal()),
    });
  }
  testing::ExpectTablesMatch(computed, *reference, kRelativeTolerance);
}

}  // namespace
}  // namespace seed::strategy
