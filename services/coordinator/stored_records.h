// Reads what the results stage stores of a run, a page at a time, so a run
// of any size comes back whole (GetRun with its records is refused past a
// message's size: RECORDS_TOO_LARGE). Used by exports, reports and research
// jobs. Thread-safe if the stage is.
#ifndef SEED_SERVICES_COORDINATOR_STORED_RECORDS_H_
#define SEED_SERVICES_COORDINATOR_STORED_RECORDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "backtest/v1/results.pb.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

// The run (by id or unique prefix) with every record: the GetRun response
// with its records filled in by ListRunRecords, page by page.
absl::StatusOr<v1::GetRunResponse> FetchRunWithRecords(
    ResultsStage& results, const std::string& run_id);

// One kind of a run's records, every page, into `response` (its equity,
// fills, rejections or trades).
absl::Status FetchRecords(ResultsStage& results, const std::string& run_id,
                          v1::RecordKind kind, v1::GetRunResponse* response);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_STORED_RECORDS_H_
