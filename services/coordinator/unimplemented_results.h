// A results stage for tests that fakes only the calls it needs: every call
// of ResultsStage answers UNIMPLEMENTED naming itself until a fake
// overrides it, so a call added to the interface is one line here, not one
// per fake. Thread-safe when the overrides are.
#ifndef SEED_SERVICES_COORDINATOR_UNIMPLEMENTED_RESULTS_H_
#define SEED_SERVICES_COORDINATOR_UNIMPLEMENTED_RESULTS_H_

#include "absl/status/status.h"
#include "services/coordinator/stages.h"

namespace seed::coordinator {

class UnimplementedResults : public ResultsStage {
 public:
  absl::Status BeginRun(const v1::BeginRunRequest&,
                        v1::BeginRunResponse*) override {
    return absl::UnimplementedError("BeginRun");
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest&,
                             v1::AppendRecordsResponse*) override {
    return absl::UnimplementedError("AppendRecords");
  }
  absl::Status FinishRun(const v1::FinishRunRequest&,
                         v1::FinishRunResponse*) override {
    return absl::UnimplementedError("FinishRun");
  }
  absl::Status ListRuns(const v1::ListRunsRequest&,
                        v1::ListRunsResponse*) override {
    return absl::UnimplementedError("ListRuns");
  }
  absl::Status GetRun(const v1::GetRunRequest&, v1::GetRunResponse*) override {
    return absl::UnimplementedError("GetRun");
  }
  absl::Status StoreTrace(const v1::StoreTraceRequest&,
                          v1::StoreTraceResponse*) override {
    return absl::UnimplementedError("StoreTrace");
  }
  absl::Status GetTrace(const v1::GetTraceRequest&,
                        v1::GetTraceResponse*) override {
    return absl::UnimplementedError("GetTrace");
  }
  absl::Status UpdateRun(const v1::UpdateRunRequest&,
                         v1::UpdateRunResponse*) override {
    return absl::UnimplementedError("UpdateRun");
  }
  absl::Status ListRunRecords(const v1::ListRunRecordsRequest&,
                              v1::ListRunRecordsResponse*) override {
    return absl::UnimplementedError("ListRunRecords");
  }
  absl::Status CreateJob(const v1::CreateJobRequest&,
                         v1::CreateJobResponse*) override {
    return absl::UnimplementedError("CreateJob");
  }
  absl::Status GetJob(const v1::GetJobRequest&, v1::GetJobResponse*) override {
    return absl::UnimplementedError("GetJob");
  }
  absl::Status ListJobs(const v1::ListJobsRequest&,
                        v1::ListJobsResponse*) override {
    return absl::UnimplementedError("ListJobs");
  }
  absl::Status StoreJobResult(const v1::StoreJobResultRequest&,
                              v1::StoreJobResultResponse*) override {
    return absl::UnimplementedError("StoreJobResult");
  }
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_UNIMPLEMENTED_RESULTS_H_
