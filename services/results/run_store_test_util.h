// Requests and checks shared by the results store's tests (run_store_test,
// run_store_sqlite_test, run_store_postgres_test): runs with every record
// field set, and comparisons that say which record differs. Not
// thread-safe; the functions that check add failures to the current test.
#ifndef SEED_SERVICES_RESULTS_RUN_STORE_TEST_UTIL_H_
#define SEED_SERVICES_RESULTS_RUN_STORE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backtest/v1/results.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/results/run_store.h"

namespace seed::results {

// A run of ORCL and NVDA with every summary field and a metrics spec set.
backtest::v1::BeginRunRequest Begin(
    const std::string& run_id, const std::string& strategy = "sma_cross",
    const std::string& created_at = "2024-05-01T10:00:00Z");

// One of each record kind with every field set, as in a run of two
// strategies, times starting at `time`.
backtest::v1::AppendRecordsRequest Batch(const std::string& run_id,
                                         int64_t time);

// A FAILED finish with an error and one open trade.
backtest::v1::FinishRunRequest Finish(const std::string& run_id);

// Counts what it was given, so tests see which records metrics came from.
backtest::v1::Metrics CountingMetrics(const StoredRun& run,
                                      const RunRecords& records);

// The stage error reason of `status`.
std::string Reason(const absl::Status& status);

// Opens the store at `location`; null (with a failure added) when it cannot.
std::unique_ptr<RunStore> OpenOrDie(const std::string& location,
                                    OpenMode mode = OpenMode::kReadWrite);

// Equity points whose values cover what a double can hold (signed zeros,
// subnormals, infinities, extremes, random bit patterns; NaN is refused) and
// times from before 1970 to far ahead, each with `strategies` strategy
// equities.
backtest::v1::AppendRecordsRequest ExtremeEquity(const std::string& run_id,
                                                 int64_t count,
                                                 int strategies = 0);

// Equal bit for bit: -0.0 differs from 0.0 here, unlike with ==.
void ExpectIdenticalEquity(
    const std::vector<backtest::v1::EquityPoint>& actual,
    const google::protobuf::RepeatedPtrField<backtest::v1::EquityPoint>&
        expected);

template <typename Message>
void ExpectSameMessages(
    const std::vector<Message>& actual,
    const google::protobuf::RepeatedPtrField<Message>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (int i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(actual[i],
                                                                   expected[i]))
        << "record " << i << ":\n"
        << actual[i].DebugString() << "expected:\n"
        << expected[i].DebugString();
  }
}

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_RUN_STORE_TEST_UTIL_H_
