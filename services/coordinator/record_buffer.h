// What a run recorded and has not yet sent to the results stage: fills,
// rejections, closed trades and equity points, in time order. A run flushes
// it when it is due: by count of points, by size (records go in batches far
// below gRPC's message limit however many a step makes) and by time (a
// results stage that is down is noticed within a second, not at the end).
// Not thread-safe: one run's thread uses it.
#ifndef SEED_SERVICES_COORDINATOR_RECORD_BUFFER_H_
#define SEED_SERVICES_COORDINATOR_RECORD_BUFFER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backtest/v1/results.pb.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

struct RecordBufferLimits {
  // A batch holds at most this many equity points (one stored chunk).
  int64_t max_equity_points = 16384;
  // ... and about this many bytes on the wire (gRPC's bound is 64 MiB).
  int64_t max_bytes = 4 << 20;
  // ... and waits at most this long once it holds anything.
  absl::Duration max_delay = absl::Seconds(1);
};

class RecordBuffer {
 public:
  explicit RecordBuffer(std::string run_id, RecordBufferLimits limits = {});

  void AddFills(const google::protobuf::RepeatedPtrField<v1::Fill>& fills);
  void AddRejections(
      const google::protobuf::RepeatedPtrField<v1::Rejection>& rejections);
  void AddTrades(const google::protobuf::RepeatedPtrField<v1::Trade>& trades);
  void AddTrade(const v1::Trade& trade);
  // The equity point of a view (the account's, and each sleeve's equity).
  void AddEquity(const v1::PortfolioView& view);

  bool empty() const;
  // A limit is reached (the time one as of `now`).
  bool Due(absl::Time now) const;
  // Sends what is buffered as one batch (nothing when empty) and starts
  // afresh, whether or not the results stage took it.
  absl::Status Flush(ResultsStage& results);

 private:
  // The times the batch covers, "FIRST..LAST" (one time alone when equal);
  // empty for an empty batch.
  std::string TimeRange() const;
  const RecordBufferLimits limits_;
  v1::AppendRecordsRequest batch_;
  int64_t bytes_ = 0;
  absl::Time first_added_ = absl::InfiniteFuture();
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_RECORD_BUFFER_H_
