// Run: what the results stage stores of a run before its records: its row
// at submission (QUEUED, with its spec and lease) and its data identity once
// the data is loaded (RUNNING).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/time.h"
#include "common/version.h"
#include "services/coordinator/data_identity.h"
#include "services/coordinator/run.h"

namespace seed::coordinator {

std::string Run::StrategyLabel(const backtest::v1::BacktestSpec& spec) {
  if (spec.strategies().empty()) return spec.strategy().name();
  std::vector<std::string> ids;
  for (const backtest::v1::StrategySpec& strategy : spec.strategies()) {
    ids.push_back(strategy.id());
  }
  return absl::StrJoin(ids, "+");
}

void Run::InitSummary() {
  summary_.set_run_id(run_id_);
  summary_.set_name(spec_.name());
  summary_.set_state(v1::QUEUED);
  summary_.set_strategy(StrategyLabel(spec_));
  *summary_.mutable_symbols() = spec_.data().symbols();
  summary_.set_created_at(NowUtcIso8601());
  summary_.set_spec_hash(spec_hash_);
  summary_.set_engine_version(EngineVersion());
  summary_.set_owner(options_.owner);
}

absl::Status Run::Record() {
  // Part of the run's trace, from whichever thread submits it.
  tracing::ContextScope trace_scope(run_span_ ? run_span_->ChildContext()
                                              : tracing::TraceContext{});
  v1::BeginRunRequest begin;
  *begin.mutable_run() = summary_;
  begin.set_canonical_spec(canonical_spec_);
  if (!job_.job_id().empty()) *begin.mutable_job() = job_;
  begin.set_initial_cash(spec_.portfolio().initial_cash());
  *begin.mutable_metrics() = spec_.metrics();
  begin.set_lease_seconds(
      std::max<int64_t>(1, absl::ToInt64Seconds(options_.lease)));
  v1::BeginRunResponse begun;
  const absl::Status status = stages_.results->BeginRun(begin, &begun);
  if (!status.ok()) return status;
  run_recorded_ = true;
  progress_.set_results_location(begun.location());
  progress_.set_results_address(options_.results_address);
  return absl::OkStatus();
}

absl::Status Run::RecordDataIdentity(const v1::OpenDatasetResponse& dataset) {
  const DataIdentity identity = IdentityOf(dataset);
  summary_.set_data_hash(identity.data_hash);
  summary_.set_first_time(identity.first_time);
  summary_.set_last_time(identity.last_time);
  summary_.set_state(v1::RUNNING);
  v1::UpdateRunRequest update;
  update.set_run_id(run_id_);
  update.mutable_symbol_hashes()->insert(identity.symbol_hashes.begin(),
                                         identity.symbol_hashes.end());
  update.set_data_hash(identity.data_hash);
  update.set_interval_seconds(identity.interval_seconds);
  update.set_first_time(identity.first_time);
  update.set_last_time(identity.last_time);
  update.set_state(v1::RUNNING);
  v1::UpdateRunResponse updated;
  return stages_.results->UpdateRun(update, &updated);
}

}  // namespace seed::coordinator
