#include "services/coordinator/record_buffer.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::coordinator {
namespace {

// An equity point's size on the wire: its time, cash and equity, tags and
// length, and each sleeve's equity.
constexpr int64_t kEquityPointBytes = 32;
constexpr int64_t kSleeveEquityBytes = 9;

template <typename Record>
int64_t BytesOf(const google::protobuf::RepeatedPtrField<Record>& records) {
  int64_t bytes = 0;
  for (const Record& record : records) {
    bytes += static_cast<int64_t>(record.ByteSizeLong()) + 4;
  }
  return bytes;
}

}  // namespace

RecordBuffer::RecordBuffer(std::string run_id, RecordBufferLimits limits)
    : limits_(limits) {
  batch_.set_run_id(std::move(run_id));
}

void RecordBuffer::AddFills(
    const google::protobuf::RepeatedPtrField<v1::Fill>& fills) {
  if (fills.empty()) return;
  if (empty()) first_added_ = absl::Now();
  bytes_ += BytesOf(fills);
  batch_.mutable_fills()->MergeFrom(fills);
}

void RecordBuffer::AddRejections(
    const google::protobuf::RepeatedPtrField<v1::Rejection>& rejections) {
  if (rejections.empty()) return;
  if (empty()) first_added_ = absl::Now();
  bytes_ += BytesOf(rejections);
  batch_.mutable_rejections()->MergeFrom(rejections);
}

void RecordBuffer::AddTrades(
    const google::protobuf::RepeatedPtrField<v1::Trade>& trades) {
  for (const v1::Trade& trade : trades) AddTrade(trade);
}

void RecordBuffer::AddTrade(const v1::Trade& trade) {
  if (empty()) first_added_ = absl::Now();
  bytes_ += static_cast<int64_t>(trade.ByteSizeLong()) + 4;
  *batch_.add_trades() = trade;
}

void RecordBuffer::AddEquity(const v1::PortfolioView& view) {
  if (empty()) first_added_ = absl::Now();
  v1::EquityPoint* point = batch_.add_equity();
  point->set_time(view.time());
  point->set_cash(view.cash());
  point->set_equity(view.equity());
  for (const v1::PortfolioView& sleeve : view.strategies()) {
    point->add_strategy_equity(sleeve.equity());
  }
  bytes_ += kEquityPointBytes + kSleeveEquityBytes * view.strategies_size();
}

bool RecordBuffer::empty() const {
  return batch_.equity_size() == 0 && batch_.fills_size() == 0 &&
         batch_.rejections_size() == 0 && batch_.trades_size() == 0;
}

bool RecordBuffer::Due(absl::Time now) const {
  return batch_.equity_size() >= limits_.max_equity_points ||
         bytes_ >= limits_.max_bytes ||
         (!empty() && now - first_added_ >= limits_.max_delay);
}

std::string RecordBuffer::TimeRange() const {
  int64_t first = std::numeric_limits<int64_t>::max();
  int64_t last = std::numeric_limits<int64_t>::min();
  const auto cover = [&first, &last](int64_t time) {
    first = std::min(first, time);
    last = std::max(last, time);
  };
  for (const v1::EquityPoint& point : batch_.equity()) cover(point.time());
  for (const v1::Fill& fill : batch_.fills()) cover(fill.time());
  for (const v1::Rejection& rejection : batch_.rejections()) {
    cover(rejection.time());
  }
  if (first > last) return "";
  if (first == last) return FormatTime(first);
  return absl::StrCat(FormatTime(first), "..", FormatTime(last));
}

absl::Status RecordBuffer::Flush(ResultsStage& results) {
  if (empty()) return absl::OkStatus();
  v1::AppendRecordsResponse response;
  absl::Status status = results.AppendRecords(batch_, &response);
  if (!status.ok()) {
    // Which bars' records were lost: the batch's time range.
    status = WithContext(status, "results", {.bar_time = TimeRange()});
  }
  const std::string run_id = batch_.run_id();
  batch_.Clear();
  batch_.set_run_id(run_id);
  bytes_ = 0;
  first_added_ = absl::InfiniteFuture();
  return status;
}

}  // namespace seed::coordinator
