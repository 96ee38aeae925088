#include "services/coordinator/traced_stages.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/time.h"
#include "common/tracing.h"
#include "services/coordinator/coordinator_metrics.h"
#include "services/coordinator/forwarding_stages.h"

namespace seed::coordinator {
namespace {

using Steps = google::protobuf::RepeatedPtrField<v1::TimeStep>;

// A failure that names no bar time gets the steps the call covered
// (time.first..time.last), formatted as the run's error formats the chunk of
// steps in flight: one time, or "FIRST..LAST".
void AddCoveredBarTime(tracing::Span& span) {
  std::optional<int64_t> first, last;
  for (const v1::SpanAttribute& attribute : span.data().attributes()) {
    if (attribute.key() == "error.bar_time") return;
    if (attribute.key() == "time.first") first = attribute.int_value();
    if (attribute.key() == "time.last") last = attribute.int_value();
  }
  if (!first.has_value() || !last.has_value()) return;
  span.SetAttribute("error.bar_time",
                    *first == *last ? FormatTime(*first)
                                    : absl::StrCat(FormatTime(*first), "..",
                                                   FormatTime(*last)));
}

// Runs `call` inside a span named `name` (a child of the current context,
// and the parent of whatever the call records), then lets `describe` add
// attributes from the request and response; times it for the metrics,
// traced or not. Without a trace: just `call`, timed.
// A deferred span (the trace is full) sends no trace context with its call,
// so the service records nothing either; it is recorded, and described, only
// if the call fails.
template <typename Call, typename Describe>
absl::Status Traced(absl::string_view stage, absl::string_view name,
                    const Call& call, const Describe& describe) {
  tracing::Span span(name, backtest::v1::SPAN_KIND_CLIENT);
  absl::Status status;
  {
    // Not recording: an empty context, so no traceparent goes out.
    tracing::ContextScope scope(span.ChildContext());
    const absl::Time started = absl::Now();
    status = call();
    CoordinatorMetrics::Process().StageCall(name, absl::Now() - started);
  }
  // A deferred span starts recording here when the call failed, so one
  // check below covers it and a span recording from the start alike.
  span.SetError(status, stage);
  if (span.recording()) {
    span.SetAttribute("stage", stage);
    describe(span);
  }
  if (span.failed()) AddCoveredBarTime(span);
  return status;
}

// Counts the first `used` of `steps` as gone through by `stage`.
void CountSteps(absl::string_view stage, const Steps& steps, int used) {
  int64_t bars = 0;
  for (int i = 0; i < used && i < steps.size(); ++i) {
    bars += steps.Get(i).bars_size();
  }
  CoordinatorMetrics::Process().StepsProcessed(stage, used, bars);
}

void DescribeSteps(tracing::Span& span, const Steps& steps) {
  int64_t bars = 0;
  for (const v1::TimeStep& step : steps) bars += step.bars_size();
  span.SetAttribute("steps", steps.size());
  span.SetAttribute("bars", bars);
  if (!steps.empty()) {
    span.SetAttribute("time.first", steps.Get(0).time());
    span.SetAttribute("time.last", steps.Get(steps.size() - 1).time());
  }
}

class TracedData final : public ForwardingDataStage {
 public:
  using ForwardingDataStage::ForwardingDataStage;
  absl::Status OpenDataset(const v1::OpenDatasetRequest& request,
                           v1::OpenDatasetResponse* response) override {
    return Traced(
        "data", "data.open_dataset",
        [&] { return inner().OpenDataset(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("symbols", request.data().symbols_size());
          int64_t bars = 0;
          for (const auto& symbol : response->symbols()) bars += symbol.bars();
          span.SetAttribute("bars", bars);
        });
  }
  absl::Status ReadBars(const v1::ReadBarsRequest& request,
                        v1::ReadBarsResponse* response) override {
    const absl::Status status = Traced(
        "data", "data.read_bars",
        [&] { return inner().ReadBars(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("symbol.index", request.symbol());
          span.SetAttribute("offset", request.offset());
          const v1::BarSeries& series = response->series();
          span.SetAttribute("bars", series.time_size());
          if (!series.time().empty()) {
            span.SetAttribute("time.first", series.time(0));
            span.SetAttribute("time.last", series.time(series.time_size() - 1));
          }
        });
    if (status.ok()) {
      CoordinatorMetrics::Process().StepsProcessed(
          "data", 0, response->series().time_size());
    }
    return status;
  }
  absl::Status CloseDataset(const v1::CloseDatasetRequest& request,
                            v1::CloseDatasetResponse* response) override {
    return Traced(
        "data", "data.close_dataset",
        [&] { return inner().CloseDataset(request, response); },
        [](tracing::Span&) {});
  }
  absl::Status ReadMetadata(const v1::ReadMetadataRequest& request,
                            v1::ReadMetadataResponse* response) override {
    return Traced(
        "data", "data.read_metadata",
        [&] { return inner().ReadMetadata(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("symbols", response->metadata_size());
        });
  }
  absl::Status ValidateFiles(const v1::ValidateFilesRequest& request,
                             v1::ValidateFilesResponse* response) override {
    return Traced(
        "data", "data.validate_files",
        [&] { return inner().ValidateFiles(request, response); },
        [](tracing::Span&) {});
  }
};

class TracedStrategy final : public ForwardingStrategyStage {
 public:
  using ForwardingStrategyStage::ForwardingStrategyStage;
  absl::Status ListStrategies(const v1::ListStrategiesRequest& request,
                              v1::ListStrategiesResponse* response) override {
    return Traced(
        "strategy", "strategy.list_strategies",
        [&] { return inner().ListStrategies(request, response); },
        [](tracing::Span&) {});
  }
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    return Traced(
        "strategy", "strategy.start_run",
        [&] { return inner().StartRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("strategy", request.strategy().name());
        });
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    const absl::Status status = Traced(
        "strategy", "strategy.on_steps",
        [&] { return inner().OnSteps(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          DescribeSteps(span, request.steps());
          span.SetAttribute("fills", request.fills_size());
          span.SetAttribute("steps_used", response->steps_used());
          span.SetAttribute("intents", response->intents_size());
        });
    if (status.ok()) {
      CountSteps("strategy", request.steps(), response->steps_used());
    }
    return status;
  }
  absl::Status EndRun(const v1::StrategyEndRequest& request,
                      v1::StrategyEndResponse* response) override {
    return Traced(
        "strategy", "strategy.end_run",
        [&] { return inner().EndRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
        });
  }
};

class TracedPortfolio final : public ForwardingPortfolioStage {
 public:
  using ForwardingPortfolioStage::ForwardingPortfolioStage;
  absl::Status StartRun(const v1::PortfolioStartRequest& request,
                        v1::PortfolioStartResponse* response) override {
    return Traced(
        "portfolio", "portfolio.start_run",
        [&] { return inner().StartRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
        });
  }
  absl::Status ApplySteps(const v1::ApplyStepsRequest& request,
                          v1::ApplyStepsResponse* response) override {
    const absl::Status status = Traced(
        "portfolio", "portfolio.apply_steps",
        [&] { return inner().ApplySteps(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          DescribeSteps(span, request.steps());
          span.SetAttribute("fills", request.fills_size());
          span.SetAttribute("closed_trades", response->closed_trades_size());
          if (!response->margin_call().empty()) {
            span.SetAttribute("margin_call", response->margin_call());
          }
        });
    if (status.ok()) {
      CountSteps("portfolio", request.steps(), response->views_size());
    }
    return status;
  }
  absl::Status SizeIntents(const v1::SizeIntentsRequest& request,
                           v1::SizeIntentsResponse* response) override {
    return Traced(
        "portfolio", "portfolio.size_intents",
        [&] { return inner().SizeIntents(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("time.first", request.time());
          span.SetAttribute("time.last", request.time());
          span.SetAttribute("intents", request.intents_size());
          span.SetAttribute("orders", response->orders_size());
          span.SetAttribute("rejections", response->rejections_size());
          int64_t liquidations = 0;
          for (const v1::Order& order : response->orders()) {
            if (order.role() == v1::LIQUIDATION) ++liquidations;
          }
          if (liquidations > 0) {
            span.SetAttribute("liquidation_orders", liquidations);
          }
        });
  }
  absl::Status EndRun(const v1::PortfolioEndRequest& request,
                      v1::PortfolioEndResponse* response) override {
    return Traced(
        "portfolio", "portfolio.end_run",
        [&] { return inner().EndRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("open_trades", response->open_trades_size());
        });
  }
};

class TracedExecution final : public ForwardingExecutionStage {
 public:
  using ForwardingExecutionStage::ForwardingExecutionStage;
  absl::Status StartRun(const v1::ExecutionStartRequest& request,
                        v1::ExecutionStartResponse* response) override {
    return Traced(
        "execution", "execution.start_run",
        [&] { return inner().StartRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
        });
  }
  absl::Status ExecuteSteps(const v1::ExecuteStepsRequest& request,
                            v1::ExecuteStepsResponse* response) override {
    const absl::Status status = Traced(
        "execution", "execution.execute_steps",
        [&] { return inner().ExecuteSteps(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          DescribeSteps(span, request.steps());
          span.SetAttribute("orders", request.new_orders_size());
          span.SetAttribute("steps_used", response->steps_used());
          span.SetAttribute("fills", response->fills_size());
          span.SetAttribute("rejections", response->rejections_size());
          span.SetAttribute("working_orders", response->working_orders());
        });
    if (status.ok()) {
      CountSteps("execution", request.steps(), response->steps_used());
    }
    return status;
  }
  absl::Status EndRun(const v1::ExecutionEndRequest& request,
                      v1::ExecutionEndResponse* response) override {
    return Traced(
        "execution", "execution.end_run",
        [&] { return inner().EndRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("unfilled_orders",
                            response->unfilled_orders_size());
        });
  }
};

// A run's own calls are traced: BeginRun, AppendRecords, UpdateRun,
// FinishRun. Queries (ListRuns, GetRun, ListRunRecords, StoreTrace, GetTrace)
// and a job's calls (CreateJob, GetJob, ListJobs, StoreJobResult) are not
// part of any run: the base passes them through untraced.
class TracedResults final : public ForwardingResultsStage {
 public:
  using ForwardingResultsStage::ForwardingResultsStage;
  absl::Status BeginRun(const v1::BeginRunRequest& request,
                        v1::BeginRunResponse* response) override {
    return Traced(
        "results", "results.begin_run",
        [&] { return inner().BeginRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run().run_id());
        });
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                             v1::AppendRecordsResponse* response) override {
    const absl::Status status = Traced(
        "results", "results.append_records",
        [&] { return inner().AppendRecords(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("equity_points", request.equity_size());
          if (!request.equity().empty()) {
            span.SetAttribute("time.first", request.equity(0).time());
            span.SetAttribute("time.last",
                              request.equity(request.equity_size() - 1).time());
          }
          span.SetAttribute("fills", request.fills_size());
          span.SetAttribute("rejections", request.rejections_size());
          span.SetAttribute("trades", request.trades_size());
        });
    if (status.ok()) {
      CoordinatorMetrics::Process().RecordsSent(
          request.run_id(), static_cast<int64_t>(request.ByteSizeLong()));
    }
    return status;
  }
  absl::Status UpdateRun(const v1::UpdateRunRequest& request,
                         v1::UpdateRunResponse* response) override {
    return Traced(
        "results", "results.update_run",
        [&] { return inner().UpdateRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("steps_done", request.steps_done());
          if (!request.data_hash().empty()) {
            span.SetAttribute("data_hash", request.data_hash());
          }
          if (request.state() != v1::RUN_STATE_UNSPECIFIED) {
            span.SetAttribute("run.state", v1::RunState_Name(request.state()));
          }
        });
  }
  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse* response) override {
    return Traced(
        "results", "results.finish_run",
        [&] { return inner().FinishRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("open_trades", request.open_trades_size());
        });
  }
};

}  // namespace

Stages TraceStages(Stages stages) {
  Stages traced;
  traced.data = std::make_unique<TracedData>(std::move(stages.data));
  traced.strategy =
      std::make_unique<TracedStrategy>(std::move(stages.strategy));
  traced.portfolio =
      std::make_unique<TracedPortfolio>(std::move(stages.portfolio));
  traced.execution =
      std::make_unique<TracedExecution>(std::move(stages.execution));
  traced.results = std::make_unique<TracedResults>(std::move(stages.results));
  if (stages.connect_strategy) {
    traced.connect_strategy =
        [connect = std::move(stages.connect_strategy)](
            const std::string& address) -> std::unique_ptr<StrategyStage> {
      return std::make_unique<TracedStrategy>(connect(address));
    };
  }
  return traced;
}

}  // namespace seed::coordinator
