// Parses one OHLCV CSV file (our schema or Yahoo's export) into column-wise
// bars plus a data-quality report, and applies the bad-row policy to it.
// Thread-safe: pure functions; a ParsedFile is immutable once returned and may
// be shared between threads.
#ifndef SEED_SERVICES_DATA_CSV_READER_H_
#define SEED_SERVICES_DATA_CSV_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/data.pb.h"
#include "backtest/v1/spec.pb.h"
#include "common/time.h"

namespace seed::data {

// Issue kinds that make a row bad, in the order a row is checked: a row is
// reported under the first kind it fails, so counts by kind add up to the
// number of bad rows.
inline constexpr absl::string_view kUnparsableRow = "unparsable_row";
inline constexpr absl::string_view kNonPositivePrice = "non_positive_price";
inline constexpr absl::string_view kHighBelowLow = "high_below_low";
inline constexpr absl::string_view kOpenOutsideRange = "open_outside_range";
inline constexpr absl::string_view kCloseOutsideRange = "close_outside_range";
inline constexpr absl::string_view kNegativeVolume = "negative_volume";
inline constexpr absl::string_view kDuplicateTime = "duplicate_time";
inline constexpr absl::string_view kOutOfOrderTime = "out_of_order_time";
inline constexpr absl::string_view kBadRowKinds[] = {
    kUnparsableRow,     kNonPositivePrice, kHighBelowLow,  kOpenOutsideRange,
    kCloseOutsideRange, kNegativeVolume,   kDuplicateTime, kOutOfOrderTime};

// A warning, never a reason to reject or drop a row.
inline constexpr absl::string_view kGap = "gap";

// Longest calendar span between consecutive daily bars that is still normal:
// a weekend plus holidays plus a multi-day market closure (NYSE was shut
// 2001-09-11..14, so 09-10 -> 09-17 is 7 days). Bars longer than a day get the
// same slack on top of their own interval.
inline constexpr int64_t kMaxDailyGapSeconds = 7 * kSecondsPerDay;
// Intraday data: a weekend plus a holiday (Friday evening to Tuesday
// morning). Overnight breaks are far shorter and never flagged.
inline constexpr int64_t kMaxIntradayGapSeconds = 4 * kSecondsPerDay;

// The report keeps this many DataIssue entries per kind; counts stay complete.
inline constexpr int kMaxIssuesPerKind = 5;

// The reason ParseCsv fails with when a file is not OHLCV CSV at all.
inline constexpr absl::string_view kUnknownFormatReason = "UNKNOWN_CSV_FORMAT";

// Bars stored column-wise (48 bytes per bar, no per-bar objects), sorted by
// strictly increasing time.
struct BarColumns {
  std::vector<int64_t> time;
  std::vector<double> open;
  std::vector<double> high;
  std::vector<double> low;
  std::vector<double> close;
  std::vector<double> volume;

  size_t size() const { return time.size(); }
  void Reserve(size_t bars);
  void Append(int64_t t, double o, double h, double l, double c, double v);
};

struct ParsedFile {
  // The rows that passed every check.
  BarColumns bars;
  // rows_read, rows_kept (the good rows), issue counts and the first issues of
  // each kind, interval and gaps over the kept rows. rows_dropped stays 0:
  // ApplyBadRowPolicy sets it.
  backtest::v1::FileReport report;
  // ContentHash(bars, 0, bars.size()) (bar_hash.h), set by
  // DatasetStore::LoadFile; empty from ParseCsv.
  std::string bars_hash;
};

// The version of what ParseCsv returns for given bytes (bars and report,
// every message included). The column cache (column_cache.h) serves stored
// results only under the version that made them, so a change to the parser's
// output must bump it; csv_reader_test's ParserOutputIsPinnedToItsVersion
// fails until it is.
inline constexpr int kCsvParserVersion = 1;

// Parses a whole file's text. `path` and `symbol` are copied into the report
// and name the file in messages. Fails only when the header is neither
// "date,open,high,low,close,volume" (first column may be timestamp or time)
// nor Yahoo's "Date,Open,High,Low,Close,Adj Close,Volume"; bad rows are
// reported, not failed. Blank lines are skipped. Example:
//   absl::StatusOr<ParsedFile> file = ParseCsv(text, "/d/ORCL.csv", "ORCL");
absl::StatusOr<ParsedFile> ParseCsv(absl::string_view text,
                                    absl::string_view path,
                                    absl::string_view symbol);

// Rows that failed a check (gaps are not bad rows).
int64_t BadRowCount(const backtest::v1::FileReport& report);

// "2 high_below_low, 1 duplicate_time": bad-row counts in check order.
std::string DescribeBadRowCounts(const backtest::v1::FileReport& report);

// REJECT (and UNSPECIFIED): FAILED_PRECONDITION BAD_ROWS when the file has bad
// rows, naming the file, the counts and the first offending lines. DROP: sets
// report->rows_dropped to the number of bad rows (they are already absent from
// ParsedFile::bars).
absl::Status ApplyBadRowPolicy(backtest::v1::BadRowPolicy policy,
                               backtest::v1::FileReport* report);

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_CSV_READER_H_
