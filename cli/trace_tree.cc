#include "cli/trace_tree.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/time.h"

namespace seed::cli {
namespace {

using ::backtest::v1::Span;

// Attributes summed when sibling spans are folded into one line.
constexpr const char* kCountAttributes[] = {
    "steps",      "bars",   "orders",        "fills",        "intents",
    "rejections", "trades", "equity_points", "closed_trades"};
// Attributes not repeated on a span's line (in the time range, or noise).
const std::set<std::string>& HiddenAttributes() {
  static const auto* hidden = new std::set<std::string>{
      "time.first",    "time.last",    "rpc.system",
      "rpc.method",    "stage",        "rpc.grpc.status_code",
      "error.stage",   "error.reason", "error.symbol",
      "error.bar_time"};
  return *hidden;
}

std::string Duration(int64_t nanos) {
  if (nanos >= 1000000000) return absl::StrFormat("%.2f s", nanos / 1e9);
  if (nanos >= 1000000) return absl::StrFormat("%.1f ms", nanos / 1e6);
  return absl::StrFormat("%.2f ms", nanos / 1e6);
}

const backtest::v1::SpanAttribute* Find(const Span& span,
                                        absl::string_view key) {
  for (const auto& attribute : span.attributes()) {
    if (attribute.key() == key) return &attribute;
  }
  return nullptr;
}

std::string ValueText(const backtest::v1::SpanAttribute& attribute) {
  switch (attribute.value_case()) {
    case backtest::v1::SpanAttribute::kIntValue:
      return absl::StrCat(attribute.int_value());
    case backtest::v1::SpanAttribute::kDoubleValue:
      return absl::StrCat(attribute.double_value());
    case backtest::v1::SpanAttribute::kBoolValue:
      return attribute.bool_value() ? "true" : "false";
    default:
      return attribute.string_value();
  }
}

class TreePrinter {
 public:
  TreePrinter(const backtest::v1::Trace& trace, const TraceTreeOptions& options)
      : options_(options) {
    for (const Span& span : trace.spans()) by_id_[span.span_id()] = &span;
    for (const Span& span : trace.spans()) {
      (IsRoot(span) ? roots_ : children_[span.parent_span_id()])
          .push_back(&span);
    }
    const auto by_start = [](const Span* a, const Span* b) {
      return a->start_unix_nanos() < b->start_unix_nanos();
    };
    std::sort(roots_.begin(), roots_.end(), by_start);
    for (auto& [parent, spans] : children_) {
      std::sort(spans.begin(), spans.end(), by_start);
    }
    run_failed_ = RunFailed();
    if (run_failed_) failure_ = FirstFailure(trace);
  }

  std::string Print() {
    std::string out;
    for (const Span* root : roots_) PrintSpan(*root, "", "", out);
    if (!run_failed_ && !failed_spans_.empty()) {
      // The run's outcome is the verdict: a span that failed without
      // failing the run (a dataset that could not be closed) is a note.
      std::vector<std::string> names;
      for (const Span* span : failed_spans_) {
        names.push_back(absl::StrCat(span->name(), " (", span->service(),
                                     "): ", span->status_message()));
      }
      absl::StrAppend(&out, "\nthe run did not fail; ", names.size(),
                      " span(s) failed without failing it:\n  ",
                      absl::StrJoin(names, "\n  "), "\n");
    }
    if (failure_ != nullptr) {
      // The failing span's own facts, else the nearest ancestor's: the
      // coordinator adds the bar time it was processing to the run span.
      const auto text = [this](absl::string_view key) {
        for (const Span* span = failure_; span != nullptr;) {
          if (const auto* attribute = Find(*span, key)) {
            return ValueText(*attribute);
          }
          const auto parent = by_id_.find(span->parent_span_id());
          span = parent == by_id_.end() ? nullptr : parent->second;
        }
        return std::string();
      };
      std::string where = text("error.stage");
      std::vector<std::string> at;
      for (const std::string& part :
           {text("error.symbol"), text("error.bar_time")}) {
        if (!part.empty()) at.push_back(part);
      }
      if (!at.empty()) absl::StrAppend(&where, " at ", absl::StrJoin(at, " "));
      absl::StrAppend(
          &out, "\nFAILED in ", where, ": ", failure_->status_message(),
          "\n  failing span: ", failure_->name(), " (", failure_->service(),
          ", span ", failure_->span_id(), ")\n");
    }
    return out;
  }

 private:
  // A span whose parent is not in the trace (the run span under a client's
  // span) is a root.
  bool IsRoot(const Span& span) const {
    return span.parent_span_id().empty() ||
           by_id_.count(span.parent_span_id()) == 0;
  }

  bool Failed(const Span& span) const {
    return span.status_code() == backtest::v1::SPAN_STATUS_ERROR;
  }

  // The run's outcome: the root run span's run.state when the trace has
  // it; a trace without one failed when any root failed.
  bool RunFailed() const {
    bool any_root_failed = false;
    for (const Span* root : roots_) {
      if (const auto* state = Find(*root, "run.state")) {
        return ValueText(*state) == "FAILED";
      }
      any_root_failed = any_root_failed || Failed(*root);
    }
    return any_root_failed;
  }

  // The failure that caused the others: of the failed spans with no failed
  // child, the one that ended first (a stage that died fails its step call
  // first, then the calls that end the run).
  const Span* FirstFailure(const backtest::v1::Trace& trace) const {
    const Span* first = nullptr;
    for (const Span& span : trace.spans()) {
      if (!Failed(span) || HasFailingChild(span)) continue;
      if (first == nullptr ||
          std::make_pair(span.end_unix_nanos(), span.start_unix_nanos()) <
              std::make_pair(first->end_unix_nanos(),
                             first->start_unix_nanos())) {
        first = &span;
      }
    }
    return first;
  }

  bool HasFailingChild(const Span& span) const {
    const auto it = children_.find(span.span_id());
    if (it == children_.end()) return false;
    for (const Span* child : it->second) {
      if (Failed(*child)) return true;
    }
    return false;
  }

  // The span's attributes; run.id only on a root (its children repeat it).
  std::string Details(const Span& span) const {
    const bool root = IsRoot(span);
    std::vector<std::string> parts;
    for (const auto& attribute : span.attributes()) {
      if (HiddenAttributes().count(attribute.key())) continue;
      if (!root && attribute.key() == "run.id") continue;
      parts.push_back(absl::StrCat(attribute.key(), "=", ValueText(attribute)));
    }
    const auto* first = Find(span, "time.first");
    const auto* last = Find(span, "time.last");
    if (first != nullptr && last != nullptr) {
      parts.push_back(TimeRange(first->int_value(), last->int_value()));
    }
    return absl::StrJoin(parts, "  ");
  }

  static std::string TimeRange(int64_t first, int64_t last) {
    return first == last
               ? FormatTime(first)
               : absl::StrCat(FormatTime(first), "..", FormatTime(last));
  }

  void PrintSpan(const Span& span, const std::string& lead,
                 const std::string& child_lead, std::string& out) {
    std::string line =
        absl::StrCat(lead, span.name(), "  ",
                     Duration(span.end_unix_nanos() - span.start_unix_nanos()),
                     "  [", span.service(), "]");
    // The failure that failed the run, not an ancestor it made fail too,
    // nor a later call that failed because of it.
    const bool failed_here = &span == failure_;
    if (Failed(span)) absl::StrAppend(&line, "  ERROR");
    if (failed_here) absl::StrAppend(&line, "  <== FAILED HERE");
    if (!run_failed_ && Failed(span) && !HasFailingChild(span)) {
      failed_spans_.push_back(&span);
    }
    const std::string details = Details(span);
    if (!details.empty()) absl::StrAppend(&line, "  ", details);
    if (failed_here) {
      absl::StrAppend(&line, "\n", child_lead, "   ", span.status_message());
    }
    out += line + "\n";
    const auto it = children_.find(span.span_id());
    if (it == children_.end()) return;
    // What is printed under this span: single spans, or (folding) groups
    // of healthy siblings of one name. A failing span prints alone and
    // splits the folding, so what happened before and after it stays apart.
    std::vector<std::vector<const Span*>> items;
    std::map<std::string, size_t> group_of_name;  // in the current segment
    for (const Span* child : it->second) {
      if (options_.every_span || Failed(*child)) {
        items.push_back({child});
        group_of_name.clear();
        continue;
      }
      const auto [group, added] =
          group_of_name.emplace(child->name(), items.size());
      if (added) items.emplace_back();
      items[group->second].push_back(child);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      const bool last = i + 1 == items.size();
      const std::string branch = child_lead + (last ? "└─ " : "├─ ");
      const std::string next = child_lead + (last ? "   " : "│  ");
      if (items[i].size() == 1) {
        PrintSpan(*items[i][0], branch, next, out);
      } else {
        PrintGroup(items[i], branch, out);
      }
    }
  }

  // Sibling spans of one name as one line.
  void PrintGroup(const std::vector<const Span*>& spans,
                  const std::string& lead, std::string& out) {
    int64_t nanos = 0;
    std::map<std::string, int64_t> counts;
    int64_t first = 0, last = 0;
    bool timed = false;
    int64_t nested = 0;
    for (const Span* member : spans) {
      const Span& span = *member;
      nanos += span.end_unix_nanos() - span.start_unix_nanos();
      for (const char* key : kCountAttributes) {
        if (const auto* attribute = Find(span, key)) {
          counts[key] += attribute->int_value();
        }
      }
      const auto* span_first = Find(span, "time.first");
      const auto* span_last = Find(span, "time.last");
      if (span_first != nullptr && span_last != nullptr) {
        first = timed ? std::min(first, span_first->int_value())
                      : span_first->int_value();
        last = timed ? std::max(last, span_last->int_value())
                     : span_last->int_value();
        timed = true;
      }
      nested += Descendants(span);
    }
    std::string line =
        absl::StrCat(lead, spans[0]->name(), " x", spans.size(), "  ",
                     Duration(nanos), " total  [", spans[0]->service(), "]");
    for (const auto& [key, count] : counts) {
      absl::StrAppend(&line, "  ", key, "=", count);
    }
    if (timed) absl::StrAppend(&line, "  ", TimeRange(first, last));
    if (nested > 0) {
      absl::StrAppend(&line, "  (", nested, " nested spans; --all shows them)");
    }
    out += line + "\n";
  }

  int64_t Descendants(const Span& span) const {
    const auto it = children_.find(span.span_id());
    if (it == children_.end()) return 0;
    int64_t count = 0;
    for (const Span* child : it->second) count += 1 + Descendants(*child);
    return count;
  }

  const TraceTreeOptions options_;
  std::map<std::string, const Span*> by_id_;
  std::vector<const Span*> roots_;
  std::map<std::string, std::vector<const Span*>> children_;
  bool run_failed_ = false;
  // The span that failed the run; unset when it did not fail.
  const Span* failure_ = nullptr;
  // A run that did not fail: spans that failed all the same, as printed.
  std::vector<const Span*> failed_spans_;
};

}  // namespace

std::string FormatTraceTree(const backtest::v1::Trace& trace,
                            const TraceTreeOptions& options) {
  if (trace.spans().empty()) return "the trace has no spans\n";
  std::set<std::string> trace_ids, services;
  for (const Span& span : trace.spans()) {
    trace_ids.insert(span.trace_id());
    services.insert(span.service());
  }
  std::string out = absl::StrCat("trace ", absl::StrJoin(trace_ids, ","), "  (",
                                 trace.spans_size(), " spans from ",
                                 absl::StrJoin(services, ", "), ")\n");
  return out + TreePrinter(trace, options).Print();
}

}  // namespace seed::cli
