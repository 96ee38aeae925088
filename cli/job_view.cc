#include "cli/job_view.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/text_output.h"
#include "common/csv_text.h"
#include "google/protobuf/util/json_util.h"
#include "research/point_text.h"

namespace seed::cli {
namespace {

namespace v1 = ::backtest::v1;

// Most children one GetJob page asks for.
constexpr int kPageSize = 1000;

std::string Optional(bool has, double value, const char* format = "%.4f") {
  return has ? absl::StrFormat(format, value) : "-";
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print as JSON: ", status.ToString()));
  }
  return text;
}

}  // namespace

std::string ChildParam(const v1::JobChild& child, const std::string& name) {
  const auto it = child.params().find(name);
  return it == child.params().end() ? "" : research::DisplayText(it->second);
}

std::string ChildStatus(const v1::JobChild& child) {
  if (child.state() == v1::SUCCEEDED) {
    return child.rank() > 0 ? "SUCCEEDED" : child.unranked_reason();
  }
  return absl::StrCat(v1::RunState_Name(child.state()),
                      child.error().stage().empty()
                          ? ""
                          : absl::StrCat(" in ", child.error().stage(), " [",
                                         child.error().reason(), "]"));
}

absl::StatusOr<JobView> FetchJob(coordinator::ResultsStage& results,
                                 const std::string& job_id, int limit,
                                 v1::ChildOrder order) {
  JobView view;
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  request.set_order(order);
  for (;;) {
    const int wanted =
        limit == 0
            ? kPageSize
            : std::min<int>(kPageSize,
                            limit - static_cast<int>(view.children.size()));
    request.set_page_size(wanted);
    v1::GetJobResponse page;
    const absl::Status status = results.GetJob(request, &page);
    if (!status.ok()) return status;
    view.job = page.job();
    request.set_job_id(page.job().job_id());  // a prefix resolves once
    for (v1::JobChild& child : *page.mutable_children()) {
      view.children.push_back(std::move(child));
    }
    if (page.next_page_token().empty()) return view;
    if (limit > 0 && static_cast<int>(view.children.size()) >= limit) {
      view.complete = false;
      return view;
    }
    request.set_page_token(page.next_page_token());
  }
}

absl::StatusOr<bool> IsStoredJob(coordinator::ResultsStage& results,
                                 const std::string& id) {
  v1::GetJobRequest request;
  request.set_job_id(id);
  request.set_page_size(1);
  v1::GetJobResponse response;
  const absl::Status status = results.GetJob(request, &response);
  if (status.ok()) return true;
  if (absl::IsNotFound(status) || absl::IsUnimplemented(status)) return false;
  return status;
}

std::vector<std::vector<std::string>> RankingRows(const JobView& view,
                                                  size_t shown) {
  // A walk-forward ranks each window's in-sample children apart: say which
  // group a rank belongs to.
  const bool grouped = view.job.kind() == v1::WALK_FORWARD;
  std::vector<std::string> header = {"rank", "run"};
  if (grouped) {
    header.push_back("role");
    header.push_back("window");
  }
  for (const std::string& param : view.job.params()) header.push_back(param);
  for (const char* column :
       {"objective", "return", "sharpe", "trades", "final equity", "state"}) {
    header.push_back(column);
  }
  std::vector<std::vector<std::string>> rows = {header};
  for (size_t i = 0; i < view.children.size() && i < shown; ++i) {
    const v1::JobChild& child = view.children[i];
    std::vector<std::string> row = {
        child.rank() > 0 ? absl::StrCat(child.rank()) : "-", child.run_id()};
    if (grouped) {
      row.push_back(child.role());
      row.push_back(absl::StrCat(child.window()));
    }
    for (const std::string& param : view.job.params()) {
      row.push_back(ChildParam(child, param));
    }
    row.push_back(Optional(child.has_objective(), child.objective()));
    row.push_back(absl::StrFormat("%.2f%%", 100 * child.total_return()));
    row.push_back(Optional(child.has_sharpe(), child.sharpe(), "%.2f"));
    row.push_back(absl::StrCat(child.trades()));
    row.push_back(absl::StrFormat("%.2f", child.final_equity()));
    row.push_back(ChildStatus(child));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string FormatJob(const JobView& view, size_t shown) {
  const v1::Job& job = view.job;
  std::string out = absl::StrCat("job ", job.job_id(), "  ", job.name(), "  ",
                                 v1::JobKind_Name(job.kind()), "  ",
                                 v1::RunState_Name(job.state()), "\n");
  std::vector<std::string> counts;
  for (const auto& [state, count] : std::map<std::string, int64_t>(
           job.children_by_state().begin(), job.children_by_state().end())) {
    counts.push_back(absl::StrCat(count, " ", state));
  }
  absl::StrAppend(&out, "children: ", job.children_stored(), " of ",
                  job.children_expected(), " stored",
                  counts.empty() ? "" : " (", absl::StrJoin(counts, ", "),
                  counts.empty() ? "" : ")", "\n");
  if (!job.objective().empty()) {
    absl::StrAppend(
        &out, "objective: ", job.objective(), " (", job.goal(),
        job.min_trades() > 0
            ? absl::StrCat(", at least ", job.min_trades(), " trades")
            : "",
        ")\n");
  }
  if (view.children.empty()) return out;
  out += "\n" + FormatTable(RankingRows(view, shown));
  if (view.children.size() > shown || !view.complete) {
    absl::StrAppend(&out, "(the best ", std::min(shown, view.children.size()),
                    " of ", job.children_stored(), "; bt show ", job.job_id(),
                    " --all lists every child)\n");
  }
  return out;
}

std::vector<std::vector<std::string>> WalkForwardRows(
    const v1::WalkForwardResult& result) {
  std::vector<std::vector<std::string>> rows = {
      {"window", "in sample", "out of sample", "chosen", "IS objective",
       "OOS objective", "IS annual", "OOS annual", "efficiency"}};
  const auto percent = [](bool has, double value) {
    return has ? absl::StrFormat("%.2f%%", 100 * value) : std::string("-");
  };
  for (const v1::WalkForwardWindow& window : result.windows()) {
    std::vector<std::string> chosen;
    for (const auto& [name, value] : std::map<std::string, v1::ParamValue>(
             window.chosen().begin(), window.chosen().end())) {
      chosen.push_back(absl::StrCat(name, "=", research::DisplayText(value)));
    }
    rows.push_back(
        {absl::StrCat(window.window()),
         absl::StrCat(window.in_sample_first(), "..", window.in_sample_last()),
         absl::StrCat(window.out_of_sample_first(), "..",
                      window.out_of_sample_last()),
         chosen.empty() ? window.note() : absl::StrJoin(chosen, " "),
         Optional(window.has_in_sample_objective(),
                  window.in_sample_objective()),
         Optional(window.has_out_of_sample_objective(),
                  window.out_of_sample_objective()),
         percent(window.has_in_sample_annual_return(),
                 window.in_sample_annual_return()),
         percent(window.has_out_of_sample_annual_return(),
                 window.out_of_sample_annual_return()),
         Optional(window.has_efficiency(), window.efficiency(), "%.2f")});
  }
  return rows;
}

std::string FormatWalkForward(const v1::WalkForwardResult& result) {
  std::string out = FormatTable(WalkForwardRows(result));
  const v1::Metrics& stitched = result.stitched();
  absl::StrAppend(
      &out, "\nout of sample, stitched: return ",
      absl::StrFormat("%.2f%%", 100 * stitched.total_return()),
      ", final equity ", absl::StrFormat("%.2f", stitched.final_equity()),
      ", max drawdown ",
      absl::StrFormat("%.2f%%", 100 * stitched.max_drawdown()), ", ",
      stitched.trades(), " trades, Sharpe ",
      Optional(stitched.has_sharpe(), stitched.sharpe(), "%.2f"),
      "\nwalk-forward efficiency (annualized OOS / IS return): ",
      Optional(result.has_efficiency(), result.efficiency(), "%.2f"), "\n");
  return out;
}

std::string ChildrenCsv(const JobView& view) {
  std::vector<std::string> header = {"run_id"};
  for (const std::string& param : view.job.params()) {
    header.push_back(CsvField(param));
  }
  for (const char* column :
       {"objective", "total_return", "sharpe", "trades", "final_equity",
        "index", "rank", "state", "error"}) {
    header.push_back(column);
  }
  std::string out = absl::StrJoin(header, ",") + "\n";
  std::vector<const v1::JobChild*> by_index;
  for (const v1::JobChild& child : view.children) by_index.push_back(&child);
  std::sort(by_index.begin(), by_index.end(),
            [](const v1::JobChild* a, const v1::JobChild* b) {
              return a->index() < b->index();
            });
  for (const v1::JobChild* child : by_index) {
    std::vector<std::string> row = {CsvField(child->run_id())};
    for (const std::string& param : view.job.params()) {
      row.push_back(CsvField(ChildParam(*child, param)));
    }
    row.push_back(child->has_objective() ? PlainDecimal(child->objective())
                                         : "");
    row.push_back(PlainDecimal(child->total_return()));
    row.push_back(child->has_sharpe() ? PlainDecimal(child->sharpe()) : "");
    row.push_back(absl::StrCat(child->trades()));
    row.push_back(PlainDecimal(child->final_equity()));
    row.push_back(absl::StrCat(child->index()));
    row.push_back(child->rank() > 0 ? absl::StrCat(child->rank()) : "");
    row.push_back(v1::RunState_Name(child->state()));
    row.push_back(CsvField(child->error().reason().empty()
                               ? child->unranked_reason()
                               : absl::StrCat(child->error().stage(), " ",
                                              child->error().reason(), ": ",
                                              child->error().message())));
    out += absl::StrJoin(row, ",") + "\n";
  }
  return out;
}

absl::StatusOr<std::string> JobJson(const JobView& view) {
  absl::StatusOr<std::string> job = ToJson(view.job);
  if (!job.ok()) return job.status();
  std::vector<std::string> children;
  for (const v1::JobChild& child : view.children) {
    absl::StatusOr<std::string> text = ToJson(child);
    if (!text.ok()) return text.status();
    children.push_back(*std::move(text));
  }
  return absl::StrCat("{\"job\":", *job, ",\"children\":[",
                      absl::StrJoin(children, ","), "]}");
}

absl::Status ExportJob(const JobView& view, const std::string& directory) {
  absl::StatusOr<std::string> json = JobJson(view);
  if (!json.ok()) return json.status();
  return WriteExportFiles(directory, {{"children.csv", ChildrenCsv(view)},
                                      {"job.json", *json + "\n"}});
}

}  // namespace seed::cli
