// RunStore: the records of runs (equity chunks, fills, rejections, trades):
// appended in batches, read back whole.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/base/casts.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "common/time.h"
#include "services/results/run_store.h"
#include "services/results/run_store_internal.h"

namespace seed::results {
namespace {

using ::backtest::v1::AppendRecordsRequest;
using ::backtest::v1::EquityPoint;
using internal::kChangedFileHint;
using internal::kStage;

// The layout of equity_chunks.points, described in run_store.cc's kSchema.
constexpr size_t kBytesPerValue = 8;
constexpr size_t kBytesPerPoint = 3 * kBytesPerValue;  // time, cash, equity

// A run's records are numbered by the connection that holds the run's row
// locked (RunStore::RequireUnfinished), so the next seq is safe to read
// even with other connections writing other runs, or waiting for this one.
constexpr char kNextEquityChunkSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM equity_chunks WHERE run_id = ?1";
constexpr char kNextFillSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM fills WHERE run_id = ?1";
constexpr char kNextRejectionSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM rejections WHERE run_id = ?1";
constexpr char kNextTradeSeq[] =
    "SELECT COALESCE(MAX(seq) + 1, 0) FROM trades WHERE run_id = ?1";
constexpr char kInsertEquityChunk[] =
    "INSERT INTO equity_chunks (run_id, seq, first_time, last_time, count, "
    "points, strategies, strategy_equity) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kInsertFill[] =
    "INSERT INTO fills (run_id, seq, order_id, symbol, side, time, quantity, "
    "price, commission, slippage, reason, raw_price, role, type, partial, "
    "remaining_quantity, same_bar_resolution, gap, tag, strategy) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
    "?15, ?16, ?17, ?18, ?19, ?20)";
constexpr char kInsertRejection[] =
    "INSERT INTO rejections (run_id, seq, order_id, symbol, side, quantity, "
    "time, stage, code, message, tag, strategy) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
constexpr char kInsertTrade[] =
    "INSERT INTO trades (run_id, seq, open, symbol, side, entry_time, "
    "entry_price, exit_time, exit_price, quantity, gross_pnl, commission, "
    "net_pnl, exit_reason, r_multiple, borrow_fees, slippage, mae, mfe, "
    "initial_stop, strategy) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20, ?21)";
// The blobs' sizes rather than their counts: bounded by the file even when
// a count is corrupt. SQLite reads a blob's size without reading the blob.
constexpr char kEquityBytes[] =
    "SELECT COALESCE(SUM(length(points)), 0) FROM equity_chunks "
    "WHERE run_id = ?1";
constexpr char kSelectEquityChunks[] =
    "SELECT seq, count, points, strategies, strategy_equity FROM equity_chunks "
    "WHERE run_id = ?1 ORDER BY seq";
constexpr char kSelectFills[] =
    "SELECT order_id, symbol, side, time, quantity, price, commission, "
    "slippage, reason, raw_price, role, type, partial, remaining_quantity, "
    "same_bar_resolution, gap, tag, strategy FROM fills WHERE run_id = ?1 "
    "ORDER BY seq";
constexpr char kSelectRejections[] =
    "SELECT order_id, symbol, side, quantity, time, stage, code, message, "
    "tag, strategy FROM rejections WHERE run_id = ?1 ORDER BY seq";
constexpr char kSelectTrades[] =
    "SELECT open, symbol, side, entry_time, entry_price, exit_time, "
    "exit_price, quantity, gross_pnl, commission, net_pnl, exit_reason, "
    "r_multiple, borrow_fees, slippage, mae, mfe, initial_stop, strategy "
    "FROM trades WHERE run_id = ?1 "
    "ORDER BY open, exit_time, entry_time, seq";

void PutLittleEndian(uint64_t value, char* out) {
  for (size_t i = 0; i < kBytesPerValue; ++i) {
    out[i] = static_cast<char>(value >> (8 * i));
  }
}

uint64_t GetLittleEndian(const char* in) {
  uint64_t value = 0;
  for (size_t i = 0; i < kBytesPerValue; ++i) {
    value |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  }
  return value;
}

// The name of `point`'s first NaN value ("cash", "equity",
// "strategy_equity[1]"); empty when it has none.
std::string FirstNaN(const EquityPoint& point) {
  if (std::isnan(point.cash())) return "cash";
  if (std::isnan(point.equity())) return "equity";
  for (int i = 0; i < point.strategy_equity_size(); ++i) {
    if (std::isnan(point.strategy_equity(i))) {
      return absl::StrCat("strategy_equity[", i, "]");
    }
  }
  return "";
}

// The points blob of `points` [begin, end).
std::string EncodePoints(
    const google::protobuf::RepeatedPtrField<EquityPoint>& points,
    int64_t begin, int64_t end) {
  const size_t count = end - begin;
  const size_t column_bytes = count * kBytesPerValue;
  std::string blob(count * kBytesPerPoint, '\0');
  char* const times = blob.data();
  char* const cash = times + column_bytes;
  char* const equity = cash + column_bytes;
  for (size_t i = 0; i < count; ++i) {
    const EquityPoint& point = points[begin + i];
    const size_t offset = i * kBytesPerValue;
    PutLittleEndian(static_cast<uint64_t>(point.time()), times + offset);
    PutLittleEndian(absl::bit_cast<uint64_t>(point.cash()), cash + offset);
    PutLittleEndian(absl::bit_cast<uint64_t>(point.equity()), equity + offset);
  }
  return blob;
}

// The strategy_equity blob of `points` [begin, end), each carrying
// `strategies` values: strategy by strategy, point by point.
std::string EncodeStrategyEquity(
    const google::protobuf::RepeatedPtrField<EquityPoint>& points,
    int64_t begin, int64_t end, int strategies) {
  const size_t count = end - begin;
  std::string blob(count * strategies * kBytesPerValue, '\0');
  char* out = blob.data();
  for (int strategy = 0; strategy < strategies; ++strategy) {
    for (size_t i = 0; i < count; ++i, out += kBytesPerValue) {
      PutLittleEndian(
          absl::bit_cast<uint64_t>(points[begin + i].strategy_equity(strategy)),
          out);
    }
  }
  return blob;
}

// Whether `total` is exactly `count` times `unit` (> 0). Division, not
// multiplication: a corrupt count must not overflow.
bool IsCountOf(uint64_t total, int64_t count, uint64_t unit) {
  return count >= 0 && total % unit == 0 &&
         total / unit == static_cast<uint64_t>(count);
}

// Appends the `count` points of a chunk to `equity`: `points` is its points
// blob and `strategy_equity` its blob of `strategies` values per point.
// False when the blobs do not hold exactly that many points and values.
bool DecodeEquityChunk(absl::string_view points, int64_t count,
                       int64_t strategies, absl::string_view strategy_equity,
                       std::vector<EquityPoint>& equity) {
  const bool strategy_equity_fits =
      strategies == 0
          ? strategy_equity.empty()
          : strategies > 0 && strategy_equity.size() % kBytesPerValue == 0 &&
                IsCountOf(strategy_equity.size() / kBytesPerValue, count,
                          static_cast<uint64_t>(strategies));
  if (!IsCountOf(points.size(), count, kBytesPerPoint) ||
      !strategy_equity_fits) {
    return false;
  }
  const size_t column_bytes = static_cast<size_t>(count) * kBytesPerValue;
  const char* const times = points.data();
  const char* const cash = times + column_bytes;
  const char* const values = cash + column_bytes;
  const size_t first = equity.size();
  for (size_t offset = 0; offset < column_bytes; offset += kBytesPerValue) {
    EquityPoint& point = equity.emplace_back();
    point.set_time(static_cast<int64_t>(GetLittleEndian(times + offset)));
    point.set_cash(absl::bit_cast<double>(GetLittleEndian(cash + offset)));
    point.set_equity(absl::bit_cast<double>(GetLittleEndian(values + offset)));
    point.mutable_strategy_equity()->Reserve(static_cast<int>(strategies));
  }
  const char* in = strategy_equity.data();
  for (int64_t strategy = 0; strategy < strategies; ++strategy) {
    for (int64_t i = 0; i < count; ++i, in += kBytesPerValue) {
      equity[first + i].add_strategy_equity(
          absl::bit_cast<double>(GetLittleEndian(in)));
    }
  }
  return true;
}

}  // namespace

template <typename Record, typename BindColumns>
absl::Status RunStore::InsertRows(
    absl::string_view next_seq_sql, absl::string_view insert_sql,
    const std::string& run_id, absl::string_view kind,
    const google::protobuf::RepeatedPtrField<Record>& records,
    const BindColumns& bind_columns) {
  if (records.empty()) return absl::OkStatus();
  const std::string what = absl::StrCat("store ", kind, " of run ", run_id);
  absl::StatusOr<int64_t> seq = QueryInt(next_seq_sql, what, run_id);
  if (!seq.ok()) return seq.status();
  absl::StatusOr<Statement> insert = Prepare(insert_sql, what, run_id);
  if (!insert.ok()) return insert.status();
  // One prepared statement, re-bound and run per row (run_id bound once).
  SqlStatement& statement = **insert;
  statement.BindText(1, run_id);
  for (const Record& record : records) {
    statement.BindInt(2, (*seq)++);
    bind_columns(statement, record);
    if (absl::Status status = statement.Execute(); !status.ok()) {
      return Failure(status, what, run_id);
    }
    statement.Reset();
  }
  return absl::OkStatus();
}

absl::Status RunStore::InsertTrades(
    const std::string& run_id,
    const google::protobuf::RepeatedPtrField<backtest::v1::Trade>& trades,
    bool open) {
  return InsertRows(
      kNextTradeSeq, kInsertTrade, run_id, "trades", trades,
      [open](SqlStatement& row, const backtest::v1::Trade& trade) {
        row.BindInt(3, open ? 1 : 0);
        row.BindText(4, trade.symbol());
        row.BindInt(5, trade.side());
        row.BindInt(6, trade.entry_time());
        row.BindReal(7, trade.entry_price());
        row.BindInt(8, trade.exit_time());
        row.BindReal(9, trade.exit_price());
        row.BindReal(10, trade.quantity());
        row.BindReal(11, trade.gross_pnl());
        row.BindReal(12, trade.commission());
        row.BindReal(13, trade.net_pnl());
        row.BindText(14, trade.exit_reason());
        if (trade.has_r_multiple()) {
          row.BindReal(15, trade.r_multiple());
        } else {
          row.BindNull(15);
        }
        row.BindReal(16, trade.borrow_fees());
        row.BindReal(17, trade.slippage());
        row.BindReal(18, trade.mae());
        row.BindReal(19, trade.mfe());
        row.BindReal(20, trade.initial_stop());
        row.BindText(21, trade.strategy());
      });
}

absl::Status RunStore::InsertEquity(
    const std::string& run_id,
    const google::protobuf::RepeatedPtrField<EquityPoint>& points) {
  if (points.empty()) return absl::OkStatus();
  const std::string what = absl::StrCat("store equity of run ", run_id);
  // Refused like NaN in any other record column (stored as NULL, which NOT
  // NULL rejects: sql_database.h): it is a bug upstream and would make every
  // metric NaN.
  const int strategies = points[0].strategy_equity_size();
  for (int i = 0; i < points.size(); ++i) {
    const EquityPoint& point = points[i];
    // A chunk stores the same number of strategy values for every point.
    if (point.strategy_equity_size() != strategies) {
      return WithContext(
          InvalidFields(
              kStage, "INVALID_APPEND_RECORDS",
              {{absl::StrCat("equity[", i, "].strategy_equity"),
                absl::StrCat("has ", point.strategy_equity_size(),
                             " values but equity[0] has ", strategies,
                             ": every point carries one per strategy of the "
                             "run (none in a run of one)")}}),
          kStage, {.run_id = run_id, .bar_time = FormatTime(point.time())});
    }
    if (const std::string value = FirstNaN(point); !value.empty()) {
      return StageFailure(
          absl::StatusCode::kInternal, kStage, "STORAGE_FAILED",
          absl::StrCat("cannot ", what, " in results database ", path(),
                       ": point ", i, " of the batch has ", value,
                       " NaN (not a number)"),
          {.run_id = run_id,
           .bar_time = FormatTime(point.time()),
           .hint = "the stage that valued the portfolio produced NaN; "
                   "nothing of this batch was stored"});
    }
  }
  absl::StatusOr<int64_t> seq = QueryInt(kNextEquityChunkSeq, what, run_id);
  if (!seq.ok()) return seq.status();
  absl::StatusOr<Statement> insert = Prepare(kInsertEquityChunk, what, run_id);
  if (!insert.ok()) return insert.status();
  SqlStatement& statement = **insert;
  statement.BindText(1, run_id);
  const int64_t size = points.size();
  for (int64_t begin = 0; begin < size; begin += kMaxPointsPerChunk) {
    const int64_t end = std::min(size, begin + kMaxPointsPerChunk);
    statement.BindInt(2, (*seq)++);
    statement.BindInt(3, points[begin].time());
    statement.BindInt(4, points[end - 1].time());
    statement.BindInt(5, end - begin);
    statement.BindBlob(6, EncodePoints(points, begin, end));
    statement.BindInt(7, strategies);
    statement.BindBlob(8, EncodeStrategyEquity(points, begin, end, strategies));
    if (absl::Status status = statement.Execute(); !status.ok()) {
      return Failure(status, what, run_id);
    }
    statement.Reset();
  }
  return absl::OkStatus();
}

absl::Status RunStore::AppendRecords(const AppendRecordsRequest& request) {
  const std::string& run_id = request.run_id();
  const std::string what = absl::StrCat("append records to run ", run_id);
  return InTransaction(what, run_id, [&]() -> absl::Status {
    absl::Status status = RequireUnfinished(run_id, what);
    if (!status.ok()) return status;
    status = InsertEquity(run_id, request.equity());
    if (!status.ok()) return status;
    status =
        InsertRows(kNextFillSeq, kInsertFill, run_id, "fills", request.fills(),
                   [](SqlStatement& row, const backtest::v1::Fill& fill) {
                     row.BindInt(3, fill.order_id());
                     row.BindInt(4, fill.symbol());
                     row.BindInt(5, fill.side());
                     row.BindInt(6, fill.time());
                     row.BindReal(7, fill.quantity());
                     row.BindReal(8, fill.price());
                     row.BindReal(9, fill.commission());
                     row.BindReal(10, fill.slippage());
                     row.BindText(11, fill.reason());
                     row.BindReal(12, fill.raw_price());
                     row.BindInt(13, fill.role());
                     row.BindInt(14, fill.type());
                     row.BindInt(15, fill.partial() ? 1 : 0);
                     row.BindReal(16, fill.remaining_quantity());
                     row.BindText(17, fill.same_bar_resolution());
                     row.BindInt(18, fill.gap() ? 1 : 0);
                     row.BindText(19, fill.tag());
                     row.BindInt(20, fill.strategy());
                   });
    if (!status.ok()) return status;
    status = InsertRows(
        kNextRejectionSeq, kInsertRejection, run_id, "rejections",
        request.rejections(),
        [](SqlStatement& row, const backtest::v1::Rejection& rejection) {
          row.BindInt(3, rejection.order_id());
          row.BindInt(4, rejection.symbol());
          row.BindInt(5, rejection.side());
          row.BindReal(6, rejection.quantity());
          row.BindInt(7, rejection.time());
          row.BindText(8, rejection.stage());
          row.BindText(9, rejection.code());
          row.BindText(10, rejection.message());
          row.BindText(11, rejection.tag());
          row.BindInt(12, rejection.strategy());
        });
    if (!status.ok()) return status;
    return InsertTrades(run_id, request.trades(), /*open=*/false);
  });
}

absl::StatusOr<RunRecords> RunStore::ReadRecords(const std::string& run_id) {
  const std::string what = absl::StrCat("read the records of run ", run_id);
  RunRecords records;
  // Runs `read_row` for every row `sql` selects for this run, until one fails.
  auto for_each_row = [&](absl::string_view sql,
                          auto read_row) -> absl::Status {
    absl::StatusOr<Statement> statement = Prepare(sql, what, run_id);
    if (!statement.ok()) return statement.status();
    SqlStatement& rows = **statement;
    rows.BindText(1, run_id);
    absl::StatusOr<bool> row;
    while ((row = rows.Step()).ok() && *row) {
      if (absl::Status status = read_row(rows); !status.ok()) return status;
    }
    return row.ok() ? absl::OkStatus() : Failure(row.status(), what, run_id);
  };

  // Sized up front: a curve of millions of points is not regrown.
  absl::StatusOr<int64_t> bytes = QueryInt(kEquityBytes, what, run_id);
  if (!bytes.ok()) return bytes.status();
  records.equity.reserve(*bytes / kBytesPerPoint);
  absl::Status status =
      for_each_row(kSelectEquityChunks, [&](SqlStatement& row) -> absl::Status {
        const int64_t count = row.Int(1);
        const absl::string_view points = row.Bytes(2);
        const int64_t strategies = row.Int(3);
        const absl::string_view strategy_equity = row.Bytes(4);
        if (DecodeEquityChunk(points, count, strategies, strategy_equity,
                              records.equity)) {
          return absl::OkStatus();
        }
        return StageFailure(
            absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
            absl::StrCat("equity chunk ", row.Int(0), " of run ", run_id,
                         " in ", path(), " does not hold the ", count,
                         " points it counts: its points are ", points.size(),
                         " bytes (", kBytesPerPoint,
                         " per point), its strategy equity ",
                         strategy_equity.size(), " bytes (", kBytesPerValue,
                         " per point for each of ", strategies, " strategies)"),
            {.run_id = run_id, .hint = std::string(kChangedFileHint)});
      });
  if (!status.ok()) return status;
  status = for_each_row(kSelectFills, [&](SqlStatement& row) -> absl::Status {
    backtest::v1::Fill& fill = records.fills.emplace_back();
    fill.set_order_id(row.Int(0));
    fill.set_symbol(static_cast<int32_t>(row.Int(1)));
    fill.set_side(static_cast<backtest::v1::Side>(row.Int(2)));
    fill.set_time(row.Int(3));
    fill.set_quantity(row.Real(4));
    fill.set_price(row.Real(5));
    fill.set_commission(row.Real(6));
    fill.set_slippage(row.Real(7));
    fill.set_reason(row.Text(8));
    fill.set_raw_price(row.Real(9));
    fill.set_role(static_cast<backtest::v1::OrderRole>(row.Int(10)));
    fill.set_type(static_cast<backtest::v1::OrderType>(row.Int(11)));
    fill.set_partial(row.Int(12) != 0);
    fill.set_remaining_quantity(row.Real(13));
    fill.set_same_bar_resolution(row.Text(14));
    fill.set_gap(row.Int(15) != 0);
    fill.set_tag(row.Text(16));
    fill.set_strategy(static_cast<int32_t>(row.Int(17)));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status =
      for_each_row(kSelectRejections, [&](SqlStatement& row) -> absl::Status {
        backtest::v1::Rejection& rejection = records.rejections.emplace_back();
        rejection.set_order_id(row.Int(0));
        rejection.set_symbol(static_cast<int32_t>(row.Int(1)));
        rejection.set_side(static_cast<backtest::v1::Side>(row.Int(2)));
        rejection.set_quantity(row.Real(3));
        rejection.set_time(row.Int(4));
        rejection.set_stage(row.Text(5));
        rejection.set_code(row.Text(6));
        rejection.set_message(row.Text(7));
        rejection.set_tag(row.Text(8));
        rejection.set_strategy(static_cast<int32_t>(row.Int(9)));
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  status = for_each_row(kSelectTrades, [&](SqlStatement& row) -> absl::Status {
    backtest::v1::Trade& trade = row.Int(0) != 0
                                     ? records.open_trades.emplace_back()
                                     : records.closed_trades.emplace_back();
    trade.set_symbol(row.Text(1));
    trade.set_side(static_cast<backtest::v1::Side>(row.Int(2)));
    trade.set_entry_time(row.Int(3));
    trade.set_entry_price(row.Real(4));
    trade.set_exit_time(row.Int(5));
    trade.set_exit_price(row.Real(6));
    trade.set_quantity(row.Real(7));
    trade.set_gross_pnl(row.Real(8));
    trade.set_commission(row.Real(9));
    trade.set_net_pnl(row.Real(10));
    trade.set_exit_reason(row.Text(11));
    if (!row.IsNull(12)) trade.set_r_multiple(row.Real(12));
    trade.set_borrow_fees(row.Real(13));
    trade.set_slippage(row.Real(14));
    trade.set_mae(row.Real(15));
    trade.set_mfe(row.Real(16));
    trade.set_initial_stop(row.Real(17));
    trade.set_strategy(row.Text(18));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return records;
}

}  // namespace seed::results
