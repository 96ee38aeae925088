#include "services/coordinator/traced_stages.h"

#include <memory>
#include <utility>

#include "common/tracing.h"

namespace seed::coordinator {
namespace {

using Steps = google::protobuf::RepeatedPtrField<v1::TimeStep>;

// Runs `call` inside a span named `name` (a child of the current context,
// and the parent of whatever the call records), then lets `describe` add
// attributes from the request and response. Without a trace: just `call`.
template <typename Call, typename Describe>
absl::Status Traced(absl::string_view stage, absl::string_view name,
                    const Call& call, const Describe& describe) {
  tracing::Span span(name, backtest::v1::SPAN_KIND_CLIENT);
  if (!span.recording()) return call();
  span.SetAttribute("stage", stage);
  absl::Status status;
  {
    tracing::ContextScope scope(span.ChildContext());
    status = call();
  }
  describe(span);
  span.SetError(status, stage);
  return status;
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

class TracedData final : public DataStage {
 public:
  explicit TracedData(std::unique_ptr<DataStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status OpenDataset(const v1::OpenDatasetRequest& request,
                           v1::OpenDatasetResponse* response) override {
    return Traced(
        "data", "data.open_dataset",
        [&] { return inner_->OpenDataset(request, response); },
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
    return Traced(
        "data", "data.read_bars",
        [&] { return inner_->ReadBars(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("symbol.index", request.symbol());
          span.SetAttribute("offset", request.offset());
          const v1::BarSeries& series = response->series();
          span.SetAttribute("bars", series.time_size());
          if (!series.time().empty()) {
            span.SetAttribute("time.first", series.time(0));
            span.SetAttribute("time.last",
                              series.time(series.time_size() - 1));
          }
        });
  }
  absl::Status CloseDataset(const v1::CloseDatasetRequest& request,
                            v1::CloseDatasetResponse* response) override {
    return Traced(
        "data", "data.close_dataset",
        [&] { return inner_->CloseDataset(request, response); },
        [](tracing::Span&) {});
  }
  absl::Status ValidateFiles(const v1::ValidateFilesRequest& request,
                             v1::ValidateFilesResponse* response) override {
    return Traced(
        "data", "data.validate_files",
        [&] { return inner_->ValidateFiles(request, response); },
        [](tracing::Span&) {});
  }

 private:
  std::unique_ptr<DataStage> inner_;
};

class TracedStrategy final : public StrategyStage {
 public:
  explicit TracedStrategy(std::unique_ptr<StrategyStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status ListStrategies(const v1::ListStrategiesRequest& request,
                              v1::ListStrategiesResponse* response) override {
    return Traced(
        "strategy", "strategy.list_strategies",
        [&] { return inner_->ListStrategies(request, response); },
        [](tracing::Span&) {});
  }
  absl::Status StartRun(const v1::StrategyStartRequest& request,
                        v1::StrategyStartResponse* response) override {
    return Traced(
        "strategy", "strategy.start_run",
        [&] { return inner_->StartRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("strategy", request.strategy().name());
        });
  }
  absl::Status OnSteps(const v1::StrategyStepsRequest& request,
                       v1::StrategyStepsResponse* response) override {
    return Traced(
        "strategy", "strategy.on_steps",
        [&] { return inner_->OnSteps(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          DescribeSteps(span, request.steps());
          span.SetAttribute("fills", request.fills_size());
          span.SetAttribute("steps_used", response->steps_used());
          span.SetAttribute("intents", response->intents_size());
        });
  }
  absl::Status EndRun(const v1::StrategyEndRequest& request,
                      v1::StrategyEndResponse* response) override {
    return Traced(
        "strategy", "strategy.end_run",
        [&] { return inner_->EndRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
        });
  }

 private:
  std::unique_ptr<StrategyStage> inner_;
};

class TracedPortfolio final : public PortfolioStage {
 public:
  explicit TracedPortfolio(std::unique_ptr<PortfolioStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status StartRun(const v1::PortfolioStartRequest& request,
                        v1::PortfolioStartResponse* response) override {
    return Traced(
        "portfolio", "portfolio.start_run",
        [&] { return inner_->StartRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
        });
  }
  absl::Status ApplySteps(const v1::ApplyStepsRequest& request,
                          v1::ApplyStepsResponse* response) override {
    return Traced(
        "portfolio", "portfolio.apply_steps",
        [&] { return inner_->ApplySteps(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          DescribeSteps(span, request.steps());
          span.SetAttribute("fills", request.fills_size());
          span.SetAttribute("closed_trades", response->closed_trades_size());
        });
  }
  absl::Status SizeIntents(const v1::SizeIntentsRequest& request,
                           v1::SizeIntentsResponse* response) override {
    return Traced(
        "portfolio", "portfolio.size_intents",
        [&] { return inner_->SizeIntents(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("time.first", request.time());
          span.SetAttribute("time.last", request.time());
          span.SetAttribute("intents", request.intents_size());
          span.SetAttribute("orders", response->orders_size());
          span.SetAttribute("rejections", response->rejections_size());
        });
  }
  absl::Status EndRun(const v1::PortfolioEndRequest& request,
                      v1::PortfolioEndResponse* response) override {
    return Traced(
        "portfolio", "portfolio.end_run",
        [&] { return inner_->EndRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("open_trades", response->open_trades_size());
        });
  }

 private:
  std::unique_ptr<PortfolioStage> inner_;
};

class TracedExecution final : public ExecutionStage {
 public:
  explicit TracedExecution(std::unique_ptr<ExecutionStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status StartRun(const v1::ExecutionStartRequest& request,
                        v1::ExecutionStartResponse* response) override {
    return Traced(
        "execution", "execution.start_run",
        [&] { return inner_->StartRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
        });
  }
  absl::Status ExecuteSteps(const v1::ExecuteStepsRequest& request,
                            v1::ExecuteStepsResponse* response) override {
    return Traced(
        "execution", "execution.execute_steps",
        [&] { return inner_->ExecuteSteps(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          DescribeSteps(span, request.steps());
          span.SetAttribute("orders", request.new_orders_size());
          span.SetAttribute("steps_used", response->steps_used());
          span.SetAttribute("fills", response->fills_size());
          span.SetAttribute("rejections", response->rejections_size());
          span.SetAttribute("working_orders", response->working_orders());
        });
  }
  absl::Status EndRun(const v1::ExecutionEndRequest& request,
                      v1::ExecutionEndResponse* response) override {
    return Traced(
        "execution", "execution.end_run",
        [&] { return inner_->EndRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("unfilled_orders",
                            response->unfilled_orders_size());
        });
  }

 private:
  std::unique_ptr<ExecutionStage> inner_;
};

class TracedResults final : public ResultsStage {
 public:
  explicit TracedResults(std::unique_ptr<ResultsStage> inner)
      : inner_(std::move(inner)) {}
  absl::Status BeginRun(const v1::BeginRunRequest& request,
                        v1::BeginRunResponse* response) override {
    return Traced(
        "results", "results.begin_run",
        [&] { return inner_->BeginRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run().run_id());
        });
  }
  absl::Status AppendRecords(const v1::AppendRecordsRequest& request,
                             v1::AppendRecordsResponse* response) override {
    return Traced(
        "results", "results.append_records",
        [&] { return inner_->AppendRecords(request, response); },
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
  }
  absl::Status FinishRun(const v1::FinishRunRequest& request,
                         v1::FinishRunResponse* response) override {
    return Traced(
        "results", "results.finish_run",
        [&] { return inner_->FinishRun(request, response); },
        [&](tracing::Span& span) {
          span.SetAttribute("run.id", request.run_id());
          span.SetAttribute("open_trades", request.open_trades_size());
        });
  }
  // Queries are not part of any run: passed through untraced.
  absl::Status ListRuns(const v1::ListRunsRequest& request,
                        v1::ListRunsResponse* response) override {
    return inner_->ListRuns(request, response);
  }
  absl::Status GetRun(const v1::GetRunRequest& request,
                      v1::GetRunResponse* response) override {
    return inner_->GetRun(request, response);
  }
  absl::Status StoreTrace(const v1::StoreTraceRequest& request,
                          v1::StoreTraceResponse* response) override {
    return inner_->StoreTrace(request, response);
  }
  absl::Status GetTrace(const v1::GetTraceRequest& request,
                        v1::GetTraceResponse* response) override {
    return inner_->GetTrace(request, response);
  }

 private:
  std::unique_ptr<ResultsStage> inner_;
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
