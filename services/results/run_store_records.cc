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
// The record columns each reader below expects, in order; the pages add
// where each row sits in its order after them.
#define SEED_FILL_COLUMNS                                                  \
  "SELECT order_id, symbol, side, time, quantity, price, commission, "     \
  "slippage, reason, raw_price, role, type, partial, remaining_quantity, " \
  "same_bar_resolution, gap, tag, strategy, seq FROM fills WHERE run_id = ?1 "
#define SEED_REJECTION_COLUMNS                                            \
  "SELECT order_id, symbol, side, quantity, time, stage, code, message, " \
  "tag, strategy, seq FROM rejections WHERE run_id = ?1 "
#define SEED_TRADE_COLUMNS                                                    \
  "SELECT open, symbol, side, entry_time, entry_price, exit_time, "           \
  "exit_price, quantity, gross_pnl, commission, net_pnl, exit_reason, "       \
  "r_multiple, borrow_fees, slippage, mae, mfe, initial_stop, strategy, seq " \
  "FROM trades WHERE run_id = ?1 "
constexpr int kFillSeqColumn = 18;
constexpr int kRejectionSeqColumn = 10;
constexpr int kTradeSeqColumn = 19;
constexpr char kSelectFills[] = SEED_FILL_COLUMNS "ORDER BY seq";
constexpr char kSelectRejections[] = SEED_REJECTION_COLUMNS "ORDER BY seq";
// Closed trades by exit time, then open ones (exit_time 0) by entry time.
constexpr char kSelectTrades[] =
    SEED_TRADE_COLUMNS "ORDER BY open, exit_time, entry_time, seq";
// Pages: the rows after a position in the same order (row values compare
// left to right in both dialects).
constexpr char kSelectFillPage[] =
    SEED_FILL_COLUMNS "AND seq > ?2 ORDER BY seq LIMIT ?3";
constexpr char kSelectRejectionPage[] =
    SEED_REJECTION_COLUMNS "AND seq > ?2 ORDER BY seq LIMIT ?3";
constexpr char kSelectTradePage[] = SEED_TRADE_COLUMNS
    "AND (open, exit_time, entry_time, seq) > (?2, ?3, ?4, ?5) "
    "ORDER BY open, exit_time, entry_time, seq LIMIT ?6";
#undef SEED_FILL_COLUMNS
#undef SEED_REJECTION_COLUMNS
#undef SEED_TRADE_COLUMNS
// The first chunk at or after seq ?2, with the sizes that check it.
constexpr char kSelectChunkAt[] =
    "SELECT seq, count, strategies, length(points), length(strategy_equity) "
    "FROM equity_chunks WHERE run_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT 1";
// Part of a chunk: the bytes ?3 long at ?2, ?4 and ?5 of its points (the
// times, cash and equity of the points wanted), or at ?2 of its strategy
// equity. Integers for PostgreSQL's substr; 1-based.
constexpr char kSelectChunkPoints[] =
    "SELECT substr(points, CAST(?2 AS INTEGER), CAST(?3 AS INTEGER)), "
    "substr(points, CAST(?4 AS INTEGER), CAST(?3 AS INTEGER)), "
    "substr(points, CAST(?5 AS INTEGER), CAST(?3 AS INTEGER)) "
    "FROM equity_chunks WHERE run_id = ?1 AND seq = ?6";
constexpr char kSelectChunkStrategyEquity[] =
    "SELECT substr(strategy_equity, CAST(?2 AS INTEGER), CAST(?3 AS INTEGER)) "
    "FROM equity_chunks WHERE run_id = ?1 AND seq = ?4";
// What a GetRunResponse needs for the run's records: points and strategy
// values, and per kind its rows and the characters of its texts.
constexpr char kRecordCounts[] =
    "SELECT (SELECT COALESCE(SUM(count), 0) FROM equity_chunks "
    "WHERE run_id = ?1), (SELECT COALESCE(SUM(count * strategies), 0) FROM "
    "equity_chunks WHERE run_id = ?1), (SELECT count(*) FROM fills WHERE "
    "run_id = ?1), (SELECT COALESCE(SUM(length(reason) + "
    "length(same_bar_resolution) + length(tag)), 0) FROM fills WHERE "
    "run_id = ?1), (SELECT count(*) FROM rejections WHERE run_id = ?1), "
    "(SELECT COALESCE(SUM(length(stage) + length(code) + length(message) + "
    "length(tag)), 0) FROM rejections WHERE run_id = ?1), (SELECT count(*) "
    "FROM trades WHERE run_id = ?1), (SELECT COALESCE(SUM(length(symbol) + "
    "length(exit_reason) + length(strategy)), 0) FROM trades WHERE "
    "run_id = ?1)";
// The most bytes one record takes in a message, texts aside: each number
// field's largest encoding (a varint 11 bytes with its tag, a double 9), a
// tag and length per text, and the record's own tag and length (3).
constexpr int64_t kPointBytes = 3 + 11 + 9 + 9 + 3;  // + 8 per strategy value
constexpr int64_t kFillBytes = 3 + 7 * 11 + 7 * 9 + 2 * 2 + 3 * 3;
constexpr int64_t kRejectionBytes = 3 + 5 * 11 + 9 + 4 * 3;
constexpr int64_t kTradeBytes = 3 + 3 * 11 + 12 * 9 + 3 * 3;

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

// Whether a chunk's blobs, `points_bytes` and `strategy_bytes` long, hold
// exactly `count` points of `strategies` strategy values each.
bool ChunkFits(uint64_t points_bytes, int64_t count, int64_t strategies,
               uint64_t strategy_bytes) {
  const bool strategy_equity_fits =
      strategies == 0
          ? strategy_bytes == 0
          : strategies > 0 && strategy_bytes % kBytesPerValue == 0 &&
                IsCountOf(strategy_bytes / kBytesPerValue, count,
                          static_cast<uint64_t>(strategies));
  return IsCountOf(points_bytes, count, kBytesPerPoint) && strategy_equity_fits;
}

// The failure for chunk `seq` of a run, whose blobs do not fit its counts.
absl::Status CorruptChunk(absl::string_view location, const std::string& run_id,
                          int64_t seq, int64_t count, uint64_t points_bytes,
                          int64_t strategies, uint64_t strategy_bytes) {
  return StageFailure(
      absl::StatusCode::kDataLoss, kStage, "DATABASE_CORRUPT",
      absl::StrCat("equity chunk ", seq, " of run ", run_id, " in ", location,
                   " does not hold the ", count,
                   " points it counts: its points are ", points_bytes,
                   " bytes (", kBytesPerPoint,
                   " per point), its strategy equity ", strategy_bytes,
                   " bytes (", kBytesPerValue, " per point for each of ",
                   strategies, " strategies)"),
      {.run_id = run_id, .hint = std::string(kChangedFileHint)});
}

// Appends the `count` points of a chunk to `equity`: `points` is its points
// blob and `strategy_equity` its blob of `strategies` values per point.
// False when the blobs do not hold exactly that many points and values.
bool DecodeEquityChunk(absl::string_view points, int64_t count,
                       int64_t strategies, absl::string_view strategy_equity,
                       std::vector<EquityPoint>& equity) {
  if (!ChunkFits(points.size(), count, strategies, strategy_equity.size())) {
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

void ReadFill(SqlStatement& row, backtest::v1::Fill& fill) {
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
}

void ReadRejection(SqlStatement& row, backtest::v1::Rejection& rejection) {
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
}

// Column 0 (open) says which list the trade belongs to; not read here.
void ReadTrade(SqlStatement& row, backtest::v1::Trade& trade) {
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
  return WriteToRun(
      run_id, what, /*renew=*/true, [&](const LockedRun&) -> absl::Status {
        absl::Status status = InsertEquity(run_id, request.equity());
        if (!status.ok()) return status;
        status = InsertRows(
            kNextFillSeq, kInsertFill, run_id, "fills", request.fills(),
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
        return CorruptChunk(path(), run_id, row.Int(0), count, points.size(),
                            strategies, strategy_equity.size());
      });
  if (!status.ok()) return status;
  status = for_each_row(kSelectFills, [&](SqlStatement& row) -> absl::Status {
    ReadFill(row, records.fills.emplace_back());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status =
      for_each_row(kSelectRejections, [&](SqlStatement& row) -> absl::Status {
        ReadRejection(row, records.rejections.emplace_back());
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  status = for_each_row(kSelectTrades, [&](SqlStatement& row) -> absl::Status {
    ReadTrade(row, row.Int(0) != 0 ? records.open_trades.emplace_back()
                                   : records.closed_trades.emplace_back());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return records;
}

absl::StatusOr<RecordPage> RunStore::ReadRecordPage(
    const std::string& run_id, backtest::v1::RecordKind kind,
    const RecordPosition& after, int64_t limit) {
  const std::string what =
      absl::StrCat("read a page of the records of run ", run_id);
  RecordPage page;
  if (kind == backtest::v1::EQUITY) {
    absl::Status status = ReadEquityPage(run_id, after, limit, page);
    if (!status.ok()) return status;
    return page;
  }
  const bool trades = kind == backtest::v1::TRADES;
  const char* sql = trades                        ? kSelectTradePage
                    : kind == backtest::v1::FILLS ? kSelectFillPage
                                                  : kSelectRejectionPage;
  absl::StatusOr<Statement> statement = Prepare(sql, what, run_id);
  if (!statement.ok()) return statement.status();
  SqlStatement& rows = **statement;
  rows.BindText(1, run_id);
  if (trades) {
    // Before every trade: open is 0 or 1, seq at least 0.
    const RecordPosition start =
        after.empty() ? RecordPosition{-1, 0, 0, -1} : after;
    for (int i = 0; i < 4; ++i) rows.BindInt(2 + i, start[i]);
    rows.BindInt(6, limit + 1);
  } else {
    rows.BindInt(2, after.empty() ? -1 : after[0]);
    rows.BindInt(3, limit + 1);
  }
  std::optional<RecordPosition> last;
  absl::StatusOr<bool> row;
  int64_t count = 0;
  while ((row = rows.Step()).ok() && *row) {
    if (count++ == limit) {
      page.next = last;
      break;
    }
    if (trades) {
      ReadTrade(rows, page.trades.emplace_back());
      // open, exit_time, entry_time, seq
      last = RecordPosition{rows.Int(0), rows.Int(5), rows.Int(3),
                            rows.Int(kTradeSeqColumn)};
    } else if (kind == backtest::v1::FILLS) {
      ReadFill(rows, page.fills.emplace_back());
      last = RecordPosition{rows.Int(kFillSeqColumn)};
    } else {
      ReadRejection(rows, page.rejections.emplace_back());
      last = RecordPosition{rows.Int(kRejectionSeqColumn)};
    }
  }
  if (!row.ok()) return Failure(row.status(), what, run_id);
  return page;
}

absl::Status RunStore::ReadEquityPage(const std::string& run_id,
                                      const RecordPosition& after,
                                      int64_t limit, RecordPage& page) {
  const std::string what =
      absl::StrCat("read a page of the equity of run ", run_id);
  int64_t seq = after.empty() ? 0 : after[0];
  int64_t done = after.empty() ? 0 : after[1];
  // Each pass reads the rest of one chunk, or as much of it as the page
  // still takes.
  while (true) {
    int64_t count = 0;
    int64_t strategies = 0;
    {
      absl::StatusOr<Statement> chunk = Prepare(kSelectChunkAt, what, run_id);
      if (!chunk.ok()) return chunk.status();
      (*chunk)->BindText(1, run_id);
      (*chunk)->BindInt(2, seq);
      absl::StatusOr<bool> row = (*chunk)->Step();
      if (!row.ok()) return Failure(row.status(), what, run_id);
      if (!*row) {  // no more points
        page.next.reset();
        return absl::OkStatus();
      }
      if ((*chunk)->Int(0) != seq) done = 0;  // a chunk further on
      seq = (*chunk)->Int(0);
      count = (*chunk)->Int(1);
      strategies = (*chunk)->Int(2);
      const int64_t points_bytes = (*chunk)->Int(3);
      const int64_t strategy_bytes = (*chunk)->Int(4);
      if (!ChunkFits(points_bytes, count, strategies, strategy_bytes)) {
        return CorruptChunk(path(), run_id, seq, count, points_bytes,
                            strategies, strategy_bytes);
      }
    }
    if (done >= count) {  // this chunk is done: the next one
      ++seq;
      done = 0;
      continue;
    }
    if (static_cast<int64_t>(page.equity.size()) == limit) {
      page.next = RecordPosition{seq, done};  // a point follows: this one
      return absl::OkStatus();
    }
    const int64_t take = std::min(
        limit - static_cast<int64_t>(page.equity.size()), count - done);
    const int64_t column = static_cast<int64_t>(kBytesPerValue) * count;
    const int64_t offset = static_cast<int64_t>(kBytesPerValue) * done;
    const int64_t bytes = static_cast<int64_t>(kBytesPerValue) * take;
    std::string points;
    {
      absl::StatusOr<Statement> select =
          Prepare(kSelectChunkPoints, what, run_id);
      if (!select.ok()) return select.status();
      SqlStatement& row = **select;
      row.BindText(1, run_id);
      row.BindInt(2, 1 + offset);
      row.BindInt(3, bytes);
      row.BindInt(4, 1 + column + offset);
      row.BindInt(5, 1 + 2 * column + offset);
      row.BindInt(6, seq);
      absl::StatusOr<bool> found = row.Step();
      if (!found.ok()) return Failure(found.status(), what, run_id);
      if (!*found) continue;  // removed meanwhile: look again from seq
      points = absl::StrCat(row.Bytes(0), row.Bytes(1), row.Bytes(2));
    }
    std::string strategy_equity;
    for (int64_t strategy = 0; strategy < strategies; ++strategy) {
      absl::StatusOr<Statement> select =
          Prepare(kSelectChunkStrategyEquity, what, run_id);
      if (!select.ok()) return select.status();
      SqlStatement& row = **select;
      row.BindText(1, run_id);
      row.BindInt(2, 1 + strategy * column + offset);
      row.BindInt(3, bytes);
      row.BindInt(4, seq);
      absl::StatusOr<bool> found = row.Step();
      if (!found.ok()) return Failure(found.status(), what, run_id);
      if (*found) absl::StrAppend(&strategy_equity, row.Bytes(0));
    }
    if (!DecodeEquityChunk(points, take, strategies, strategy_equity,
                           page.equity)) {
      return CorruptChunk(path(), run_id, seq, count, points.size(), strategies,
                          strategy_equity.size());
    }
    done += take;
  }
}

absl::StatusOr<int64_t> RunStore::RecordsSizeEstimate(
    const std::string& run_id) {
  const std::string what = absl::StrCat("measure the records of run ", run_id);
  absl::StatusOr<Statement> statement = Prepare(kRecordCounts, what, run_id);
  if (!statement.ok()) return statement.status();
  SqlStatement& row = **statement;
  row.BindText(1, run_id);
  absl::StatusOr<bool> found = row.Step();
  if (!found.ok()) return Failure(found.status(), what, run_id);
  if (!*found) return int64_t{0};
  return row.Int(0) * kPointBytes +
         row.Int(1) * static_cast<int64_t>(kBytesPerValue) +
         row.Int(2) * kFillBytes + row.Int(3) + row.Int(4) * kRejectionBytes +
         row.Int(5) + row.Int(6) * kTradeBytes + row.Int(7);
}

}  // namespace seed::results
