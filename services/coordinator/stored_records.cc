#include "services/coordinator/stored_records.h"

#include <utility>

namespace seed::coordinator {
namespace {

template <typename Record>
void Append(google::protobuf::RepeatedPtrField<Record>* from,
            google::protobuf::RepeatedPtrField<Record>* to) {
  for (Record& record : *from) *to->Add() = std::move(record);
}

}  // namespace

absl::Status FetchRecords(ResultsStage& results, const std::string& run_id,
                          v1::RecordKind kind, v1::GetRunResponse* response) {
  v1::ListRunRecordsRequest request;
  request.set_run_id(run_id);
  request.set_kind(kind);
  do {
    v1::ListRunRecordsResponse page;
    const absl::Status status = results.ListRunRecords(request, &page);
    if (!status.ok()) return status;
    Append(page.mutable_equity(), response->mutable_equity());
    Append(page.mutable_fills(), response->mutable_fills());
    Append(page.mutable_rejections(), response->mutable_rejections());
    Append(page.mutable_trades(), response->mutable_trades());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  return absl::OkStatus();
}

absl::StatusOr<v1::GetRunResponse> FetchRunWithRecords(
    ResultsStage& results, const std::string& run_id) {
  v1::GetRunRequest request;
  request.set_run_id(run_id);
  v1::GetRunResponse run;
  absl::Status status = results.GetRun(request, &run);
  if (!status.ok()) return status;
  for (const v1::RecordKind kind :
       {v1::EQUITY, v1::FILLS, v1::REJECTIONS, v1::TRADES}) {
    status = FetchRecords(results, run.run().run_id(), kind, &run);
    if (!status.ok()) return status;
  }
  return run;
}

}  // namespace seed::coordinator
