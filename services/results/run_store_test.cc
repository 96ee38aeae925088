#include "services/results/run_store.h"

#include <signal.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <vector>

#include "absl/base/casts.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sqlite3.h"

namespace seed::results {
namespace {

using ::backtest::v1::AppendRecordsRequest;
using ::backtest::v1::BeginRunRequest;
using ::backtest::v1::FinishRunRequest;
using ::backtest::v1::Metrics;
using ::backtest::v1::RunSummary;
using ::google::protobuf::util::MessageDifferencer;

std::string FreshPath(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "run_store_test" / name;
  std::filesystem::remove_all(dir);
  return (dir / "results.db").string();
}

BeginRunRequest Begin(const std::string& run_id,
                      const std::string& strategy = "sma_cross",
                      const std::string& created_at = "2024-05-01T10:00:00Z") {
  BeginRunRequest request;
  RunSummary& run = *request.mutable_run();
  run.set_run_id(run_id);
  run.set_name("demo " + run_id);
  run.set_state(backtest::v1::RUNNING);
  run.set_strategy(strategy);
  run.add_symbols("ORCL");
  run.add_symbols("NVDA");
  run.set_created_at(created_at);
  run.set_spec_hash("spec-hash");
  run.set_data_hash("data-hash");
  run.set_engine_version("0.1.0");
  run.set_first_time("1995-01-03");
  run.set_last_time("2014-12-31");
  request.set_canonical_spec(R"({"strategy":{"name":"sma_cross"}})");
  (*request.mutable_symbol_hashes())["ORCL"] = "aaa";
  (*request.mutable_symbol_hashes())["NVDA"] = "bbb";
  request.set_initial_cash(100000);
  request.set_interval_seconds(86400);
  request.mutable_metrics()->set_risk_free_rate(0.02);
  request.mutable_metrics()->set_bootstrap_resamples(500);
  request.mutable_metrics()->set_bootstrap_seed(99);
  return request;
}

// One of each record kind with every field set, as in a run of two
// strategies, times starting at `time`.
AppendRecordsRequest Batch(const std::string& run_id, int64_t time) {
  AppendRecordsRequest request;
  request.set_run_id(run_id);
  for (int i = 0; i < 3; ++i) {
    backtest::v1::EquityPoint* point = request.add_equity();
    point->set_time(time + i * 86400);
    point->set_cash(1000.25 + i);
    point->set_equity(1000.5 + 0.1 * i);
    point->add_strategy_equity(600.125 + i);
    point->add_strategy_equity(400.375 - 0.1 * i);
  }
  backtest::v1::Fill* fill = request.add_fills();
  fill->set_order_id(7);
  fill->set_symbol(1);
  fill->set_side(backtest::v1::SELL);
  fill->set_time(time);
  fill->set_quantity(12.5);
  fill->set_price(33.125);
  fill->set_commission(1.25);
  fill->set_slippage(0.0625);
  fill->set_reason("sma 10 crossed below sma 30");
  fill->set_raw_price(33.1875);
  fill->set_role(backtest::v1::TAKE_PROFIT);
  fill->set_type(backtest::v1::LIMIT);
  fill->set_partial(true);
  fill->set_remaining_quantity(7.5);
  fill->set_same_bar_resolution("stop first (pessimistic)");
  fill->set_gap(true);
  fill->set_tag("exit-1");
  fill->set_strategy(1);
  backtest::v1::Rejection* rejection = request.add_rejections();
  rejection->set_order_id(8);
  rejection->set_symbol(0);
  rejection->set_side(backtest::v1::BUY);
  rejection->set_quantity(100);
  rejection->set_time(time + 86400);
  rejection->set_stage("portfolio");
  rejection->set_code("INSUFFICIENT_CASH");
  rejection->set_message("needs 3300, has 10");
  rejection->set_tag("entry-2");
  rejection->set_strategy(1);
  backtest::v1::Trade* trade = request.add_trades();
  trade->set_symbol("NVDA");
  trade->set_side(backtest::v1::BUY);
  trade->set_entry_time(time - 10 * 86400);
  trade->set_entry_price(30.5);
  trade->set_exit_time(time);
  trade->set_exit_price(33.125);
  trade->set_quantity(12.5);
  trade->set_gross_pnl(32.8125);
  trade->set_commission(2.5);
  trade->set_net_pnl(30.3125);
  trade->set_exit_reason("signal");
  trade->set_r_multiple(1.75);
  trade->set_borrow_fees(0.5);
  trade->set_slippage(0.0625);
  trade->set_mae(-1.25);
  trade->set_mfe(3.5);
  trade->set_initial_stop(29);
  trade->set_strategy("slow");
  return request;
}

backtest::v1::Trade OpenTrade() {
  backtest::v1::Trade trade;
  trade.set_symbol("ORCL");
  trade.set_side(backtest::v1::BUY);
  trade.set_entry_time(1419984000);
  trade.set_entry_price(44.5);
  trade.set_exit_price(45);
  trade.set_quantity(10);
  trade.set_gross_pnl(5);
  trade.set_net_pnl(4);
  trade.set_commission(1);
  trade.set_exit_reason("open");
  trade.set_strategy("fast");
  return trade;
}

FinishRunRequest Finish(const std::string& run_id) {
  FinishRunRequest request;
  request.set_run_id(run_id);
  request.set_state(backtest::v1::FAILED);
  request.mutable_error()->set_stage("data");
  request.mutable_error()->set_reason("NO_BARS_IN_RANGE");
  request.mutable_error()->set_message("no bars");
  *request.add_open_trades() = OpenTrade();
  return request;
}

// Counts what it was given, so tests see which records metrics came from.
Metrics CountingMetrics(const StoredRun& run, const RunRecords& records) {
  Metrics metrics;
  metrics.set_initial_equity(run.initial_cash);
  metrics.set_trades(records.closed_trades.size());
  metrics.set_open_trades(records.open_trades.size());
  metrics.set_max_drawdown_duration_steps(records.equity.size());
  metrics.set_sharpe(1.5);
  metrics.mutable_sharpe_ci()->set_resamples(
      run.metrics_spec.bootstrap_resamples());
  return metrics;
}

std::string Reason(const absl::Status& status) {
  return ToStageError(status, "").reason();
}

template <typename Message>
void ExpectSameMessages(
    const std::vector<Message>& actual,
    const google::protobuf::RepeatedPtrField<Message>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (int i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(actual[i], expected[i]))
        << "record " << i << ":\n"
        << actual[i].DebugString() << "expected:\n"
        << expected[i].DebugString();
  }
}

std::unique_ptr<RunStore> OpenOrDie(const std::string& path,
                                    OpenMode mode = OpenMode::kReadWrite) {
  absl::StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(path, mode);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(RunStoreTest, OpenCreatesDirectoriesAndReportsTheAbsolutePath) {
  const std::string path = FreshPath("creates");
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(store->path(), std::filesystem::absolute(path).string());
}

TEST(RunStoreTest, EveryRecordKindRoundTripsAndSurvivesReopening) {
  const std::string path = FreshPath("round_trip");
  const BeginRunRequest begin = Begin("run-1");
  const AppendRecordsRequest first = Batch("run-1", 1420070400);
  AppendRecordsRequest second = Batch("run-1", 1420329600);
  second.mutable_trades(0)->clear_r_multiple();
  const FinishRunRequest finish = Finish("run-1");
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->BeginRun(begin).ok());
    ASSERT_TRUE(store->AppendRecords(first).ok());
    ASSERT_TRUE(store->AppendRecords(second).ok());
    absl::StatusOr<RunSummary> finished =
        store->FinishRun(finish, "2024-05-01T10:05:00Z", CountingMetrics);
    ASSERT_TRUE(finished.ok()) << finished.status();
    EXPECT_EQ(finished->state(), backtest::v1::FAILED);
    EXPECT_EQ(finished->finished_at(), "2024-05-01T10:05:00Z");
    // The metrics saw both batches and the open trade, as stored.
    EXPECT_EQ(finished->metrics().trades(), 2);
    EXPECT_EQ(finished->metrics().open_trades(), 1);
    EXPECT_EQ(finished->metrics().max_drawdown_duration_steps(), 6);
    EXPECT_DOUBLE_EQ(finished->metrics().initial_equity(), 100000);
  }

  std::unique_ptr<RunStore> reopened = OpenOrDie(path);
  ASSERT_NE(reopened, nullptr);
  absl::StatusOr<StoredRun> run = reopened->ReadRun("run-1");
  ASSERT_TRUE(run.ok()) << run.status();
  RunSummary expected_summary = begin.run();
  expected_summary.set_state(backtest::v1::FAILED);
  expected_summary.set_finished_at("2024-05-01T10:05:00Z");
  *expected_summary.mutable_error() = finish.error();
  expected_summary.mutable_metrics()->set_initial_equity(100000);
  expected_summary.mutable_metrics()->set_trades(2);
  expected_summary.mutable_metrics()->set_open_trades(1);
  expected_summary.mutable_metrics()->set_max_drawdown_duration_steps(6);
  expected_summary.mutable_metrics()->set_sharpe(1.5);
  // FinishRun handed the metrics the spec BeginRun stored.
  expected_summary.mutable_metrics()->mutable_sharpe_ci()->set_resamples(500);
  EXPECT_TRUE(MessageDifferencer::Equals(run->summary, expected_summary))
      << run->summary.DebugString();
  EXPECT_EQ(run->canonical_spec, begin.canonical_spec());
  EXPECT_EQ(run->symbol_hashes, (std::map<std::string, std::string>{
                                    {"NVDA", "bbb"}, {"ORCL", "aaa"}}));
  EXPECT_DOUBLE_EQ(run->initial_cash, 100000);
  EXPECT_EQ(run->interval_seconds, 86400);
  EXPECT_TRUE(MessageDifferencer::Equals(run->metrics_spec, begin.metrics()))
      << run->metrics_spec.DebugString();

  absl::StatusOr<RunRecords> records = reopened->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  AppendRecordsRequest both = first;
  both.MergeFrom(second);  // repeated fields concatenate in append order
  ExpectSameMessages(records->equity, both.equity());
  ExpectSameMessages(records->fills, both.fills());
  ExpectSameMessages(records->rejections, both.rejections());
  ExpectSameMessages(records->closed_trades, both.trades());
  ExpectSameMessages(records->open_trades, finish.open_trades());
  EXPECT_FALSE(records->closed_trades[1].has_r_multiple());
}

// Equity points whose values cover what a double can hold (signed zeros,
// subnormals, infinities, extremes, random bit patterns; NaN is refused) and
// times from before 1970 to far ahead, each with `strategies` strategy
// equities.
AppendRecordsRequest ExtremeEquity(const std::string& run_id, int64_t count,
                                   int strategies = 0) {
  AppendRecordsRequest request;
  request.set_run_id(run_id);
  std::mt19937_64 random(count);
  const std::vector<double> special = {
      0.0,
      -0.0,
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      0.1,
      100000.25};
  auto value = [&](int64_t i) {
    if (i % 7 == 0) return special[(i / 7) % special.size()];
    double random_value;
    do {
      random_value = absl::bit_cast<double>(random());
    } while (std::isnan(random_value));
    return random_value;
  };
  request.mutable_equity()->Reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    backtest::v1::EquityPoint* point = request.add_equity();
    point->set_time(i % 3 == 0 ? static_cast<int64_t>(random())
                               : -86400 + 60 * i);
    point->set_cash(value(i));
    point->set_equity(value(i + 3));
    for (int strategy = 0; strategy < strategies; ++strategy) {
      point->add_strategy_equity(value(i + 5 + strategy));
    }
  }
  return request;
}

// Equal bit for bit: -0.0 differs from 0.0 here, unlike with ==.
void ExpectIdenticalEquity(
    const std::vector<backtest::v1::EquityPoint>& actual,
    const google::protobuf::RepeatedPtrField<backtest::v1::EquityPoint>&
        expected) {
  ASSERT_EQ(actual.size(), expected.size());
  int64_t different = 0;
  auto bits = [](double value) { return absl::bit_cast<uint64_t>(value); };
  for (int i = 0; i < expected.size(); ++i) {
    bool same =
        actual[i].time() == expected[i].time() &&
        bits(actual[i].cash()) == bits(expected[i].cash()) &&
        bits(actual[i].equity()) == bits(expected[i].equity()) &&
        actual[i].strategy_equity_size() == expected[i].strategy_equity_size();
    for (int k = 0; same && k < expected[i].strategy_equity_size(); ++k) {
      same = bits(actual[i].strategy_equity(k)) ==
             bits(expected[i].strategy_equity(k));
    }
    if (!same && different++ == 0) {
      ADD_FAILURE() << "first different point " << i << ":\n"
                    << actual[i].DebugString() << "expected:\n"
                    << expected[i].DebugString();
    }
  }
  EXPECT_EQ(different, 0);
}

// The chunk rows of `run_id` as "seq:count:first_time:last_time:strategies",
// read with SQLite directly since they are the file's public layout.
std::vector<std::string> ChunkRows(const std::string& path,
                                   const std::string& run_id) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT seq, count, first_time, last_time, "
                               "length(points), strategies, "
                               "length(strategy_equity) FROM equity_chunks "
                               "WHERE run_id = ?1 ORDER BY seq",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(stmt, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const int64_t count = sqlite3_column_int64(stmt, 1);
    const int64_t strategies = sqlite3_column_int64(stmt, 5);
    EXPECT_EQ(sqlite3_column_int64(stmt, 4), 24 * count);
    EXPECT_EQ(sqlite3_column_int64(stmt, 6), 8 * strategies * count);
    rows.push_back(absl::StrCat(sqlite3_column_int64(stmt, 0), ":", count, ":",
                                sqlite3_column_int64(stmt, 2), ":",
                                sqlite3_column_int64(stmt, 3), ":",
                                strategies));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

// Each chunk says how many strategy equities its points carry: none in the
// first, three in the second.
TEST(RunStoreTest, AMillionPointBatchIsOneChunkAndRoundTripsBitForBit) {
  const std::string path = FreshPath("million");
  const AppendRecordsRequest big = ExtremeEquity("run-1", 1000000);
  const AppendRecordsRequest small = ExtremeEquity("run-1", 5, 3);
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
    ASSERT_TRUE(store->AppendRecords(big).ok());
    ASSERT_TRUE(store->AppendRecords(small).ok());
  }
  EXPECT_EQ(ChunkRows(path, "run-1"),
            (std::vector<std::string>{
                absl::StrCat("0:1000000:", big.equity(0).time(), ":",
                             big.equity(999999).time(), ":0"),
                absl::StrCat("1:5:", small.equity(0).time(), ":",
                             small.equity(4).time(), ":3")}));
  std::unique_ptr<RunStore> store = OpenOrDie(path, OpenMode::kReadOnly);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  AppendRecordsRequest both = big;
  both.MergeFrom(small);
  ExpectIdenticalEquity(records->equity, both.equity());
}

// With strategy equities: the second chunk's values start at the split.
TEST(RunStoreTest, ABatchOverTheChunkLimitTakesSeveralChunks) {
  const std::string path = FreshPath("split");
  const AppendRecordsRequest batch =
      ExtremeEquity("run-1", RunStore::kMaxPointsPerChunk + 1, 2);
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(batch).ok());
  const int last = batch.equity_size() - 1;
  EXPECT_EQ(ChunkRows(path, "run-1"),
            (std::vector<std::string>{
                absl::StrCat("0:", RunStore::kMaxPointsPerChunk, ":",
                             batch.equity(0).time(), ":",
                             batch.equity(last - 1).time(), ":2"),
                absl::StrCat("1:1:", batch.equity(last).time(), ":",
                             batch.equity(last).time(), ":2")}));
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  ExpectIdenticalEquity(records->equity, batch.equity());
}

// Either blob of a chunk may disagree with the counts stored beside it.
TEST(RunStoreTest, AChunkOfTheWrongSizeIsReportedCorrupt) {
  for (const char* corruption : {"UPDATE equity_chunks SET count = count + 1",
                                 "UPDATE equity_chunks SET strategies = 3",
                                 "UPDATE equity_chunks SET strategies = 0",
                                 "UPDATE equity_chunks SET strategies = -2"}) {
    SCOPED_TRACE(corruption);
    const std::string path = FreshPath("corrupt_chunk");
    {
      std::unique_ptr<RunStore> store = OpenOrDie(path);
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
      ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, corruption, nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    const absl::Status status = store->ReadRecords("run-1").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(Reason(status), "DATABASE_CORRUPT") << status;
    EXPECT_NE(status.message().find("equity chunk 0 of run run-1 in " +
                                    store->path()),
              std::string::npos)
        << status;
  }
}

TEST(RunStoreTest, BeginningAnExistingRunChangesNothing) {
  std::unique_ptr<RunStore> store = OpenOrDie(FreshPath("exists"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  BeginRunRequest again = Begin("run-1");
  again.mutable_run()->set_name("impostor");
  const absl::Status status = store->BeginRun(again);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Reason(status), "RUN_ALREADY_EXISTS");
  absl::StatusOr<StoredRun> run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->summary.name(), "demo run-1");
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->equity.size(), 3);
}

TEST(RunStoreTest, UnknownAndFinishedRunsRefuseRecords) {
  std::unique_ptr<RunStore> store = OpenOrDie(FreshPath("refuse"));
  ASSERT_NE(store, nullptr);
  absl::Status status = store->AppendRecords(Batch("nope", 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Reason(status), "UNKNOWN_RUN");
  EXPECT_NE(status.message().find("no run nope in " + store->path()),
            std::string::npos)
      << status;
  EXPECT_EQ(Reason(store->ReadRun("nope").status()), "UNKNOWN_RUN");

  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->FinishRun(Finish("run-1"), "t", CountingMetrics).ok());
  status = store->AppendRecords(Batch("run-1", 0));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reason(status), "RUN_ALREADY_FINISHED");
  status = store->FinishRun(Finish("run-1"), "t", CountingMetrics).status();
  EXPECT_EQ(Reason(status), "RUN_ALREADY_FINISHED");
  // The refused second finish stored no second open trade.
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->open_trades.size(), 1);
}

TEST(RunStoreTest, AFailedBatchLeavesNothingHalfWritten) {
  std::unique_ptr<RunStore> store = OpenOrDie(FreshPath("rollback"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // A NaN equity is refused before anything is written. SQLite stores NaN as
  // NULL, which the NOT NULL column refuses: a NaN fill quantity fails after
  // the batch's equity chunk was inserted.
  AppendRecordsRequest nan_equity = Batch("run-1", 1420329600);
  nan_equity.mutable_equity(2)->set_equity(kNaN);
  AppendRecordsRequest nan_strategy = Batch("run-1", 1420329600);
  nan_strategy.mutable_equity(1)->set_strategy_equity(1, kNaN);
  AppendRecordsRequest nan_fill = Batch("run-1", 1420329600);
  nan_fill.mutable_fills(0)->set_quantity(kNaN);
  for (const AppendRecordsRequest& bad : {nan_equity, nan_strategy, nan_fill}) {
    const absl::Status status = store->AppendRecords(bad);
    EXPECT_EQ(Reason(status), "STORAGE_FAILED") << status;
    EXPECT_NE(status.message().find(store->path()), std::string::npos);
    absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
    ASSERT_TRUE(records.ok());
    EXPECT_EQ(records->equity.size(), 3);
    EXPECT_EQ(records->fills.size(), 1);
  }
  EXPECT_NE(store->AppendRecords(nan_strategy)
                .message()
                .find("point 1 of the batch has strategy_equity[1] NaN"),
            std::string::npos);
  // And the store still works.
  EXPECT_TRUE(store->AppendRecords(Batch("run-1", 1420329600)).ok());
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->equity.size(), 6);
}

// A full disk, as the drills make one: a file size limit (RLIMIT_FSIZE, with
// SIGXFSZ ignored) makes a write past it fail with EFBIG, as ENOSPC would. A
// write cut short there is SQLite's SQLITE_FULL, a write refused outright
// its SQLITE_IOERR_WRITE; either way the store reports a full disk.
TEST(RunStoreTest, AWriteTheFileSystemRefusesIsAFullDisk) {
  const std::string path = FreshPath("disk_full");
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  AppendRecordsRequest big;
  big.set_run_id("run-1");
  for (int i = 0; i < 100000; ++i) {
    backtest::v1::EquityPoint* point = big.add_equity();
    point->set_time(1420329600 + int64_t{86400} * i);
    point->set_cash(1000 + i);
    point->set_equity(1000 + i);
  }
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto previous_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 256 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  // Twice: the first write ends at the limit, the second starts there.
  const absl::Status first = store->AppendRecords(big);
  const absl::Status second = store->AppendRecords(big);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous_handler);
  for (const absl::Status& status : {first, second}) {
    EXPECT_EQ(Reason(status), "DISK_FULL") << status;
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
    EXPECT_NE(status.message().find("database or disk is full"),
              std::string::npos)
        << status;
  }
  // What was stored before is intact.
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->equity.size(), 3);
}

// A chunk keeps one count of strategy equities for all its points.
TEST(RunStoreTest, PointsOfABatchMustCarryTheSameNumberOfStrategyEquities) {
  std::unique_ptr<RunStore> store = OpenOrDie(FreshPath("uneven"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  AppendRecordsRequest uneven = Batch("run-1", 1420070400);
  uneven.mutable_equity(2)->clear_strategy_equity();
  const absl::Status status = store->AppendRecords(uneven);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(status), "INVALID_APPEND_RECORDS") << status;
  const std::vector<FieldProblem> problems = FieldProblems(status);
  ASSERT_EQ(problems.size(), 1) << status;
  EXPECT_EQ(problems[0].field, "equity[2].strategy_equity");
  EXPECT_NE(problems[0].description.find("has 0 values but equity[0] has 2"),
            std::string::npos)
      << problems[0].description;
  // Which bar: point 2 is at 1420070400 + 2 * 86400 = 1420243200.
  EXPECT_EQ(ToStageError(status, "").bar_time(), "2015-01-03") << status;
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->equity.empty());
  EXPECT_TRUE(records->fills.empty());
}

// Tests run as root, which ignores file permissions, so a read-only file
// cannot be simulated with chmod. Opening with OpenMode::kReadOnly makes
// SQLite refuse every write with SQLITE_READONLY, the same code a write
// protected file produces.
TEST(RunStoreTest, ReadOnlyDatabaseRefusesWritesAndKeepsWhatIsStored) {
  const std::string path = FreshPath("read_only");
  const AppendRecordsRequest batch = Batch("run-1", 1420070400);
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
    ASSERT_TRUE(store->AppendRecords(batch).ok());
  }
  {
    std::unique_ptr<RunStore> store = OpenOrDie(path, OpenMode::kReadOnly);
    ASSERT_NE(store, nullptr);
    absl::Status status = store->AppendRecords(Batch("run-1", 1420329600));
    EXPECT_EQ(Reason(status), "DATABASE_READ_ONLY") << status;
    EXPECT_NE(status.message().find(store->path()), std::string::npos);
    EXPECT_FALSE(ToStageError(status, "").hint().empty());
    status = store->FinishRun(Finish("run-1"), "t", CountingMetrics).status();
    EXPECT_EQ(Reason(status), "DATABASE_READ_ONLY") << status;
    EXPECT_NE(status.message().find(store->path()), std::string::npos);
    EXPECT_EQ(Reason(store->BeginRun(Begin("run-2"))), "DATABASE_READ_ONLY");
    // Reading still works.
    EXPECT_TRUE(store->ReadRun("run-1").ok());
  }
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<StoredRun> run = store->ReadRun("run-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->summary.state(), backtest::v1::RUNNING);
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok());
  ExpectSameMessages(records->equity, batch.equity());
  ExpectSameMessages(records->closed_trades, batch.trades());
  EXPECT_TRUE(records->open_trades.empty());
  EXPECT_EQ(Reason(store->ReadRun("run-2").status()), "UNKNOWN_RUN");
}

TEST(RunStoreTest, ReadOnlyOpenOfAMissingFileFails) {
  const absl::StatusOr<std::unique_ptr<RunStore>> store =
      RunStore::Open(FreshPath("missing"), OpenMode::kReadOnly);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(Reason(store.status()), "DATABASE_CANNOT_OPEN") << store.status();
}

TEST(RunStoreTest, NewerSchemaIsRefused) {
  const std::string path = FreshPath("too_new");
  ASSERT_NE(OpenOrDie(path), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  const absl::StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(Reason(store.status()), "DATABASE_TOO_NEW");
}

// Versions 1 (one row per equity point) and 2 (no metrics spec) were never
// released: such files are refused, in either mode, and left exactly as they
// were.
TEST(RunStoreTest, OlderSchemaVersionsAreRefused) {
  for (int version : {1, 2}) {
    SCOPED_TRACE(absl::StrCat("version ", version));
    const std::string path = FreshPath(absl::StrCat("version_", version));
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           absl::StrCat("CREATE TABLE equity (run_id TEXT NOT "
                                        "NULL, seq INTEGER NOT NULL, time "
                                        "INTEGER NOT NULL, cash REAL NOT NULL, "
                                        "equity REAL NOT NULL, PRIMARY KEY "
                                        "(run_id, seq)) WITHOUT ROWID; "
                                        "PRAGMA user_version = ",
                                        version)
                               .c_str(),
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    const std::string absolute = std::filesystem::absolute(path).string();
    for (OpenMode mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
      const absl::StatusOr<std::unique_ptr<RunStore>> store =
          RunStore::Open(path, mode);
      ASSERT_FALSE(store.ok());
      EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_EQ(Reason(store.status()), "DATABASE_TOO_OLD") << store.status();
      EXPECT_NE(store.status().message().find(
                    absl::StrCat(absolute, " has schema version ", version)),
                std::string::npos)
          << store.status();
      EXPECT_NE(ToStageError(store.status(), "")
                    .hint()
                    .find("delete it or point --db elsewhere"),
                std::string::npos)
          << store.status();
    }
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT (SELECT user_version FROM "
                                 "pragma_user_version), (SELECT journal_mode "
                                 "FROM pragma_journal_mode), (SELECT count(*) "
                                 "FROM sqlite_master)",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), version);
    EXPECT_EQ(std::string(
                  reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))),
              "delete");
    EXPECT_EQ(sqlite3_column_int(stmt, 2), 1);  // the equity table alone
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
}

// The tables of schema version 3 (the release before the order-type record
// columns), without their comments. Each old version's fixture is written
// out whole, not built from a part shared with the next: it is the frozen
// image of files a release wrote (run_store.cc's kSchema plus the steps up
// to that version), checked by reading it alone, and correcting one must not
// change the other.
constexpr char kVersion3Schema[] = R"sql(
CREATE TABLE runs (run_id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
  state INTEGER NOT NULL, strategy TEXT NOT NULL, symbols TEXT NOT NULL,
  created_at TEXT NOT NULL, finished_at TEXT NOT NULL, spec_hash TEXT NOT NULL,
  data_hash TEXT NOT NULL, engine_version TEXT NOT NULL,
  first_time TEXT NOT NULL, last_time TEXT NOT NULL,
  canonical_spec TEXT NOT NULL, initial_cash REAL NOT NULL,
  interval_seconds INTEGER NOT NULL, error BLOB, metrics BLOB,
  metrics_spec BLOB NOT NULL);
CREATE INDEX runs_by_created_at ON runs (created_at);
CREATE TABLE symbol_hashes (run_id TEXT NOT NULL, symbol TEXT NOT NULL,
  hash TEXT NOT NULL, PRIMARY KEY (run_id, symbol)) WITHOUT ROWID;
CREATE TABLE equity_chunks (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  first_time INTEGER NOT NULL, last_time INTEGER NOT NULL,
  count INTEGER NOT NULL, points BLOB NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE fills (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  time INTEGER NOT NULL, quantity REAL NOT NULL, price REAL NOT NULL,
  commission REAL NOT NULL, slippage REAL NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE rejections (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  quantity REAL NOT NULL, time INTEGER NOT NULL, stage TEXT NOT NULL,
  code TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE trades (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  open INTEGER NOT NULL, symbol TEXT NOT NULL, side INTEGER NOT NULL,
  entry_time INTEGER NOT NULL, entry_price REAL NOT NULL,
  exit_time INTEGER NOT NULL, exit_price REAL NOT NULL,
  quantity REAL NOT NULL, gross_pnl REAL NOT NULL, commission REAL NOT NULL,
  net_pnl REAL NOT NULL, exit_reason TEXT NOT NULL, r_multiple REAL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
INSERT INTO runs VALUES ('old', 'old run', 2, 'sma_cross', 'ORCL',
  '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 'h', 'd', '0.1.0',
  '1995-01-03', '2014-12-31', '{}', 1000, 86400, NULL, NULL, x'');
INSERT INTO fills VALUES ('old', 0, 3, 0, 1, 800000000, 10, 12.5, 1, 0.25,
  'signal');
INSERT INTO trades VALUES ('old', 0, 0, 'ORCL', 1, 800000000, 12.5,
  801000000, 14, 10, 15, 2, 13, 'signal', NULL);
PRAGMA user_version = 3;
)sql";

// Writes `schema` (an older version's tables with run 'old' stored) into a
// new file at `path`.
void WriteOldDatabase(const std::string& path, const char* schema) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, schema, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// The schema version the file at `path` says it has.
int64_t UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const int64_t version = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return version;
}

// Opens the older file at `path` as an upgrade must: refused read-only (it
// cannot be upgraded then), upgraded in place for writing.
std::unique_ptr<RunStore> OpenForUpgrade(const std::string& path) {
  const absl::StatusOr<std::unique_ptr<RunStore>> read_only =
      RunStore::Open(path, OpenMode::kReadOnly);
  EXPECT_FALSE(read_only.ok());
  EXPECT_EQ(Reason(read_only.status()), "DATABASE_TOO_OLD");
  std::unique_ptr<RunStore> store = OpenOrDie(path);
  EXPECT_EQ(UserVersion(path), RunStore::kSchemaVersion);
  return store;
}

// After an upgrade, a new run stores every field and reads it back.
void ExpectANewRunKeepsEveryField(std::unique_ptr<RunStore> store,
                                  const std::string& path) {
  ASSERT_TRUE(store->BeginRun(Begin("new")).ok());
  const AppendRecordsRequest batch = Batch("new", 1420070400);
  ASSERT_TRUE(store->AppendRecords(batch).ok());
  ASSERT_TRUE(store->FinishRun(Finish("new"), "t", CountingMetrics).ok());
  store.reset();
  std::unique_ptr<RunStore> reopened = OpenOrDie(path);
  ASSERT_NE(reopened, nullptr);
  const absl::StatusOr<RunRecords> records = reopened->ReadRecords("new");
  ASSERT_TRUE(records.ok()) << records.status();
  ExpectSameMessages(records->equity, batch.equity());
  ExpectSameMessages(records->fills, batch.fills());
  ExpectSameMessages(records->rejections, batch.rejections());
  ExpectSameMessages(records->closed_trades, batch.trades());
  ExpectSameMessages(records->open_trades, Finish("new").open_trades());
}

// A version 3 file opened for writing is upgraded in place: its runs read
// back with the fields of versions 4 and 5 at their defaults, and new runs
// store them all.
TEST(RunStoreTest, Version3FileIsUpgradedKeepingItsRuns) {
  const std::string path = FreshPath("version_3");
  WriteOldDatabase(path, kVersion3Schema);
  std::unique_ptr<RunStore> store = OpenForUpgrade(path);
  ASSERT_NE(store, nullptr);
  const absl::StatusOr<StoredRun> run = store->ReadRun("old");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->summary.name(), "old run");
  const absl::StatusOr<RunRecords> records = store->ReadRecords("old");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->fills.size(), 1);
  EXPECT_EQ(records->fills[0].price(), 12.5);
  EXPECT_EQ(records->fills[0].raw_price(), 0);
  EXPECT_EQ(records->fills[0].role(), backtest::v1::ORDER_ROLE_UNSPECIFIED);
  EXPECT_FALSE(records->fills[0].partial());
  EXPECT_EQ(records->fills[0].strategy(), 0);
  ASSERT_EQ(records->closed_trades.size(), 1);
  EXPECT_EQ(records->closed_trades[0].net_pnl(), 13);
  EXPECT_EQ(records->closed_trades[0].mae(), 0);
  EXPECT_FALSE(records->closed_trades[0].has_r_multiple());
  EXPECT_EQ(records->closed_trades[0].strategy(), "");
  ExpectANewRunKeepsEveryField(std::move(store), path);
}

// The tables of schema version 4 (the release before the records'
// strategies), without their comments, with run 'old': one equity chunk of
// one point (time 800000000, cash 1000, equity 1013: little-endian int64 and
// binary64), a fill, a rejection and a trade.
constexpr char kVersion4Schema[] = R"sql(
CREATE TABLE runs (run_id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
  state INTEGER NOT NULL, strategy TEXT NOT NULL, symbols TEXT NOT NULL,
  created_at TEXT NOT NULL, finished_at TEXT NOT NULL, spec_hash TEXT NOT NULL,
  data_hash TEXT NOT NULL, engine_version TEXT NOT NULL,
  first_time TEXT NOT NULL, last_time TEXT NOT NULL,
  canonical_spec TEXT NOT NULL, initial_cash REAL NOT NULL,
  interval_seconds INTEGER NOT NULL, error BLOB, metrics BLOB,
  metrics_spec BLOB NOT NULL);
CREATE INDEX runs_by_created_at ON runs (created_at);
CREATE TABLE symbol_hashes (run_id TEXT NOT NULL, symbol TEXT NOT NULL,
  hash TEXT NOT NULL, PRIMARY KEY (run_id, symbol)) WITHOUT ROWID;
CREATE TABLE equity_chunks (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  first_time INTEGER NOT NULL, last_time INTEGER NOT NULL,
  count INTEGER NOT NULL, points BLOB NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE fills (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  time INTEGER NOT NULL, quantity REAL NOT NULL, price REAL NOT NULL,
  commission REAL NOT NULL, slippage REAL NOT NULL, reason TEXT NOT NULL,
  raw_price REAL NOT NULL DEFAULT 0, role INTEGER NOT NULL DEFAULT 0,
  type INTEGER NOT NULL DEFAULT 0, partial INTEGER NOT NULL DEFAULT 0,
  remaining_quantity REAL NOT NULL DEFAULT 0,
  same_bar_resolution TEXT NOT NULL DEFAULT '', gap INTEGER NOT NULL DEFAULT 0,
  tag TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE rejections (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  order_id INTEGER NOT NULL, symbol INTEGER NOT NULL, side INTEGER NOT NULL,
  quantity REAL NOT NULL, time INTEGER NOT NULL, stage TEXT NOT NULL,
  code TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE trades (run_id TEXT NOT NULL, seq INTEGER NOT NULL,
  open INTEGER NOT NULL, symbol TEXT NOT NULL, side INTEGER NOT NULL,
  entry_time INTEGER NOT NULL, entry_price REAL NOT NULL,
  exit_time INTEGER NOT NULL, exit_price REAL NOT NULL,
  quantity REAL NOT NULL, gross_pnl REAL NOT NULL, commission REAL NOT NULL,
  net_pnl REAL NOT NULL, exit_reason TEXT NOT NULL, r_multiple REAL,
  borrow_fees REAL NOT NULL DEFAULT 0, slippage REAL NOT NULL DEFAULT 0,
  mae REAL NOT NULL DEFAULT 0, mfe REAL NOT NULL DEFAULT 0,
  initial_stop REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE traces (run_id TEXT PRIMARY KEY NOT NULL, spans BLOB NOT NULL);
INSERT INTO runs VALUES ('old', 'old run', 3, 'sma_cross', 'ORCL',
  '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 'h', 'd', '0.1.0',
  '1995-01-03', '2014-12-31', '{}', 1000, 86400, NULL, NULL, x'');
INSERT INTO equity_chunks VALUES ('old', 0, 800000000, 800000000, 1,
  x'0008af2f000000000000000000408f400000000000a88f40');
INSERT INTO fills VALUES ('old', 0, 3, 0, 1, 800000000, 10, 12.5, 1, 0.25,
  'signal', 12.4, 0, 1, 0, 0, '', 0, 'entry');
INSERT INTO rejections VALUES ('old', 0, 4, 0, 1, 5, 800086400, 'portfolio',
  'INSUFFICIENT_CASH', 'needs 70, has 13');
INSERT INTO trades VALUES ('old', 0, 0, 'ORCL', 1, 800000000, 12.5,
  801000000, 14, 10, 15, 2, 13, 'signal', NULL, 0, 0.5, -1, 2, 0);
PRAGMA user_version = 4;
)sql";

// A version 4 file is upgraded the same way: its runs read back without
// strategies (none in a run of one) and without rejection tags.
TEST(RunStoreTest, Version4FileIsUpgradedKeepingItsRuns) {
  const std::string path = FreshPath("version_4");
  WriteOldDatabase(path, kVersion4Schema);
  std::unique_ptr<RunStore> store = OpenForUpgrade(path);
  ASSERT_NE(store, nullptr);
  const absl::StatusOr<RunRecords> records = store->ReadRecords("old");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->equity.size(), 1);
  EXPECT_EQ(records->equity[0].time(), 800000000);
  EXPECT_EQ(records->equity[0].cash(), 1000);
  EXPECT_EQ(records->equity[0].equity(), 1013);
  EXPECT_EQ(records->equity[0].strategy_equity_size(), 0);
  ASSERT_EQ(records->fills.size(), 1);
  EXPECT_EQ(records->fills[0].raw_price(), 12.4);
  EXPECT_EQ(records->fills[0].tag(), "entry");
  EXPECT_EQ(records->fills[0].strategy(), 0);
  ASSERT_EQ(records->rejections.size(), 1);
  EXPECT_EQ(records->rejections[0].code(), "INSUFFICIENT_CASH");
  EXPECT_EQ(records->rejections[0].tag(), "");
  EXPECT_EQ(records->rejections[0].strategy(), 0);
  ASSERT_EQ(records->closed_trades.size(), 1);
  EXPECT_EQ(records->closed_trades[0].mfe(), 2);
  EXPECT_EQ(records->closed_trades[0].strategy(), "");
  ExpectANewRunKeepsEveryField(std::move(store), path);
}

TEST(RunStoreTest, ListsNewestFirstWithFilters) {
  std::unique_ptr<RunStore> store = OpenOrDie(FreshPath("list"));
  ASSERT_NE(store, nullptr);
  // b and c share a created_at: insertion order breaks the tie.
  ASSERT_TRUE(
      store->BeginRun(Begin("a", "sma_cross", "2024-01-01T00:00:00Z")).ok());
  ASSERT_TRUE(
      store->BeginRun(Begin("b", "breakout", "2024-03-01T00:00:00Z")).ok());
  ASSERT_TRUE(
      store->BeginRun(Begin("c", "sma_cross", "2024-03-01T00:00:00Z")).ok());
  ASSERT_TRUE(
      store->BeginRun(Begin("d", "sma_cross", "2024-02-01T00:00:00Z")).ok());
  FinishRunRequest finish = Finish("d");
  finish.set_state(backtest::v1::SUCCEEDED);
  ASSERT_TRUE(store->FinishRun(finish, "t", CountingMetrics).ok());

  auto ids = [&](const RunFilter& filter) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<RunSummary>> runs = store->ListRuns(filter);
    EXPECT_TRUE(runs.ok()) << runs.status();
    if (runs.ok()) {
      for (const RunSummary& run : *runs) out.push_back(run.run_id());
    }
    return out;
  };
  EXPECT_EQ(ids({}), (std::vector<std::string>{"c", "b", "d", "a"}));
  EXPECT_EQ(ids({.limit = 2}), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(ids({.strategy = "sma_cross"}),
            (std::vector<std::string>{"c", "d", "a"}));
  EXPECT_EQ(ids({.state = backtest::v1::SUCCEEDED}),
            (std::vector<std::string>{"d"}));
  EXPECT_EQ(ids({.strategy = "breakout", .state = backtest::v1::SUCCEEDED}),
            std::vector<std::string>{});
  // Bounds compare with the whole stored value: 2024-03-01T00:00:00Z is at
  // or after "2024-03-01T00:00:00" and before "2024-03-01T00:00:01".
  EXPECT_EQ(ids({.created_from = "2024-02-01T00:00:00"}),
            (std::vector<std::string>{"c", "b", "d"}));
  EXPECT_EQ(ids({.created_before = "2024-03-01T00:00:00"}),
            (std::vector<std::string>{"d", "a"}));
  EXPECT_EQ(ids({.created_from = "2024-01-15T00:00:00",
                 .created_before = "2024-03-01T00:00:01"}),
            (std::vector<std::string>{"c", "b", "d"}));
}

TEST(RunStoreTest, ListsRunsWithASymbolAsAWholeTicker) {
  std::unique_ptr<RunStore> store = OpenOrDie(FreshPath("list_symbol"));
  ASSERT_NE(store, nullptr);
  BeginRunRequest one = Begin("one");  // ORCL, NVDA
  BeginRunRequest two = Begin("two");
  two.mutable_run()->clear_symbols();
  two.mutable_run()->add_symbols("NVDA2");
  two.mutable_run()->add_symbols("OR");
  ASSERT_TRUE(store->BeginRun(one).ok());
  ASSERT_TRUE(store->BeginRun(two).ok());
  auto ids = [&](const std::string& symbol) {
    absl::StatusOr<std::vector<RunSummary>> runs =
        store->ListRuns({.symbol = symbol});
    EXPECT_TRUE(runs.ok()) << runs.status();
    std::vector<std::string> out;
    for (const RunSummary& run : runs.value()) out.push_back(run.run_id());
    return out;
  };
  EXPECT_EQ(ids("ORCL"), std::vector<std::string>{"one"});
  EXPECT_EQ(ids("NVDA"), std::vector<std::string>{"one"});  // not NVDA2
  EXPECT_EQ(ids("NVDA2"), std::vector<std::string>{"two"});
  EXPECT_EQ(ids("OR"), std::vector<std::string>{"two"});  // not ORCL
  EXPECT_TRUE(ids("orcl").empty());
}

TEST(RunStoreTest, FindsRunIdsByPrefix) {
  std::unique_ptr<RunStore> store = OpenOrDie(FreshPath("prefix"));
  ASSERT_NE(store, nullptr);
  for (const char* id : {"abc1", "abc2", "abd", "x%_"}) {
    ASSERT_TRUE(store->BeginRun(Begin(id)).ok());
  }
  EXPECT_EQ(*store->FindRunIds("abc", 10),
            (std::vector<std::string>{"abc1", "abc2"}));
  EXPECT_EQ(*store->FindRunIds("ab", 2),
            (std::vector<std::string>{"abc1", "abc2"}));
  // LIKE wildcards in an id are plain characters here.
  EXPECT_EQ(*store->FindRunIds("x%", 10), (std::vector<std::string>{"x%_"}));
  EXPECT_TRUE(store->FindRunIds("z", 10)->empty());
}

TEST(DefaultDatabasePathTest, FollowsTheEnvironment) {
  setenv("BT_RESULTS_DB", "/tmp/explicit.db", 1);
  setenv("XDG_DATA_HOME", "/xdg", 1);
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(DefaultDatabasePath(), "/tmp/explicit.db");
  setenv("BT_RESULTS_DB", "", 1);
  EXPECT_EQ(DefaultDatabasePath(), "/xdg/seed-backtester/results.db");
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(DefaultDatabasePath(),
            "/home/someone/.local/share/seed-backtester/results.db");
}

}  // namespace
}  // namespace seed::results
