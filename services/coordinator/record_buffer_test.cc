#include "services/coordinator/record_buffer.h"

#include <vector>

#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/coordinator/unimplemented_results.h"

namespace seed::coordinator {
namespace {

// Takes every batch; says how many it took and what the last held.
class CountingResults final : public UnimplementedResults {
 public:
  absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                             v1::AppendRecordsResponse*) override {
    batches.push_back(request);
    return status;
  }

  std::vector<v1::AppendRecordsRequest> batches;
  absl::Status status;
};

v1::PortfolioView View(int64_t time) {
  v1::PortfolioView view;
  view.set_time(time);
  view.set_cash(100);
  view.set_equity(110);
  return view;
}

TEST(RecordBufferTest, IsDueAtTheEquityPointBound) {
  RecordBuffer buffer("run-1",
                      {.max_equity_points = 3, .max_delay = absl::Hours(1)});
  const absl::Time now = absl::Now();
  EXPECT_FALSE(buffer.Due(now));
  buffer.AddEquity(View(1));
  buffer.AddEquity(View(2));
  EXPECT_FALSE(buffer.Due(now));
  buffer.AddEquity(View(3));
  EXPECT_TRUE(buffer.Due(now));
}

// However many records a step makes, a batch stays near the byte bound: a
// run of long trade lists cannot make one message past gRPC's limit.
TEST(RecordBufferTest, IsDueAtTheByteBound) {
  RecordBuffer buffer("run-1",
                      {.max_bytes = 10000, .max_delay = absl::Hours(1)});
  v1::Trade trade;
  trade.set_symbol("ORCL");
  trade.set_exit_reason("signal");
  trade.set_entry_price(10);
  const int64_t trade_bytes = static_cast<int64_t>(trade.ByteSizeLong()) + 4;
  int added = 0;
  while (!buffer.Due(absl::Now())) {
    buffer.AddTrade(trade);
    ++added;
  }
  EXPECT_EQ(added, (10000 + trade_bytes - 1) / trade_bytes);
}

TEST(RecordBufferTest, IsDueOnceItHasWaitedTheDelay) {
  RecordBuffer buffer("run-1", {.max_delay = absl::Seconds(1)});
  EXPECT_FALSE(buffer.Due(absl::Now() + absl::Hours(1)));  // empty
  buffer.AddEquity(View(1));
  EXPECT_FALSE(buffer.Due(absl::Now()));
  EXPECT_TRUE(buffer.Due(absl::Now() + absl::Seconds(2)));
}

TEST(RecordBufferTest, FlushSendsOneBatchInOrderAndStartsAfresh) {
  CountingResults results;
  RecordBuffer buffer("run-1");
  EXPECT_TRUE(buffer.Flush(results).ok());
  EXPECT_TRUE(results.batches.empty());  // nothing to send

  v1::PortfolioView view = View(5);
  view.add_strategies()->set_equity(60);
  view.add_strategies()->set_equity(50);
  buffer.AddEquity(View(4));
  buffer.AddEquity(view);
  google::protobuf::RepeatedPtrField<v1::Fill> fills;
  fills.Add()->set_quantity(3);
  buffer.AddFills(fills);
  EXPECT_TRUE(buffer.Flush(results).ok());
  ASSERT_EQ(results.batches.size(), 1u);
  const v1::AppendRecordsRequest& batch = results.batches[0];
  EXPECT_EQ(batch.run_id(), "run-1");
  ASSERT_EQ(batch.equity_size(), 2);
  EXPECT_EQ(batch.equity(0).time(), 4);
  EXPECT_EQ(batch.equity(1).strategy_equity_size(), 2);
  EXPECT_EQ(batch.equity(1).strategy_equity(1), 50);
  EXPECT_EQ(batch.fills_size(), 1);
  EXPECT_TRUE(buffer.empty());

  // A failed write is reported with the bars whose records it lost, and the
  // buffer starts afresh all the same.
  results.status = absl::ResourceExhaustedError("database or disk is full");
  buffer.AddEquity(View(86400 * 2));
  buffer.AddEquity(View(86400 * 4));
  const absl::Status failed = buffer.Flush(results);
  EXPECT_TRUE(absl::IsResourceExhausted(failed)) << failed;
  EXPECT_EQ(ToStageError(failed, "results").bar_time(),
            "1970-01-03..1970-01-05");
  EXPECT_TRUE(buffer.empty());
}

}  // namespace
}  // namespace seed::coordinator
