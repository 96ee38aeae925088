// One trace per run across real processes (bt serve: five stage services and
// the coordinator on loopback): spans from every service process with correct
// parent links under the client's own traceparent, the failing span of a
// failed run marked, bt trace's tree, the OTLP/HTTP export (the coordinator's
// --otlp-endpoint and bt trace --otlp-endpoint) received by a small HTTP
// server this test starts, and JSON log lines that carry the trace id.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/health_client.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/coordinator/remote_stages.h"
#include "services/data/synthetic_market.h"
#include "tests/child_process.h"
#include "tests/loopback_services.h"
#include "tests/stored_run.h"

namespace seed {
namespace {

namespace v1 = ::backtest::v1;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;

// The client's own span: the run's trace must join it.
constexpr char kClientTraceId[] = "0af7651916cd43dd8448eb211c80319c";
constexpr char kClientSpanId[] = "b7ad6b7169203331";

// Saves each POST as receiver/N.json (body) and receiver/N.meta (path and
// Content-Type on two lines), then answers 200 with an empty JSON object.
constexpr char kReceiver[] = R"py(
import http.server, os, sys
out = sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    count = 0
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        n = Handler.count
        Handler.count += 1
        with open(os.path.join(out, "%d.json" % n), "wb") as f:
            f.write(body)
        with open(os.path.join(out, "%d.meta" % n), "w") as f:
            f.write(self.path + "\n" + self.headers["Content-Type"] + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
)py";

std::filesystem::path Workspace() {
  return std::filesystem::path(::testing::TempDir()) / "run_trace";
}

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const v1::SpanAttribute* Attribute(const v1::Span& span,
                                   const std::string& key) {
  for (const auto& attribute : span.attributes()) {
    if (attribute.key() == key) return &attribute;
  }
  return nullptr;
}

bool IsHex(const std::string& text, size_t length) {
  return text.size() == length &&
         text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

const Value& Field(const Struct& object, const std::string& key) {
  static const Value* const kMissing = new Value();
  const auto it = object.fields().find(key);
  EXPECT_NE(it, object.fields().end()) << "missing " << key;
  return it == object.fields().end() ? *kMissing : it->second;
}

class RunTraceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::filesystem::remove_all(Workspace());
    std::filesystem::create_directories(Workspace() / "receiver");
    data::SyntheticMarketOptions market;
    market.output_dir = (Workspace() / "synth").string();
    market.symbols = 3;
    market.seed = 11;
    market.trading_days = 400;
    ASSERT_TRUE(data::WriteSyntheticMarket(market).ok());

    receiver_port_ = testing::FreePort();
    std::ofstream(Workspace() / "receiver.py") << kReceiver;
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> receiver =
        testing::ChildProcess::Start(
            {"/usr/bin/python3", (Workspace() / "receiver.py").string(),
             absl::StrCat(receiver_port_), (Workspace() / "receiver").string()},
            (Workspace() / "receiver.log").string());
    ASSERT_TRUE(receiver.ok()) << receiver.status();
    receiver_ = receiver->release();

    addresses_ = testing::WriteLoopbackServicesConfig(
        (Workspace() / "services.yaml").string());
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> serve =
        testing::ChildProcess::Start(
            {"cli/bt", "serve",
             absl::StrCat("--config=",
                          (Workspace() / "services.yaml").string()),
             absl::StrCat("--db=", (Workspace() / "results.db").string()),
             absl::StrCat("--otlp-endpoint=", ReceiverUrl())},
            (Workspace() / "serve.log").string());
    ASSERT_TRUE(serve.ok()) << serve.status();
    serve_ = serve->release();
    const absl::Status ready =
        WaitUntilServing(addresses_.coordinator, absl::Seconds(60));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << serve_->Log();
  }

  static void TearDownTestSuite() {
    delete serve_;
    serve_ = nullptr;
    delete receiver_;
    receiver_ = nullptr;
  }

  static std::string ReceiverUrl() {
    return absl::StrCat("http://127.0.0.1:", receiver_port_);
  }

  static std::string Spec(const std::string& symbols) {
    return absl::StrCat(
        "name: traced\n"
        "data: {path: ",
        (Workspace() / "synth").string(), ", symbols: [", symbols,
        "]}\n"
        "strategy: {name: sma_cross, params: {fast: 5, slow: 20}}\n"
        "portfolio: {initial_cash: 50000, sizing: {rule: percent_of_equity, "
        "percent: 0.3}}\n");
  }

  // Submits with the client's traceparent and waits for the end.
  static v1::RunProgress Run(const std::string& spec) {
    return testing::WatchRemote(
               addresses_,
               testing::SubmitRemote(
                   addresses_.coordinator, spec,
                   absl::StrCat("00-", kClientTraceId, "-", kClientSpanId,
                                "-01")))
        .progress;
  }

  static v1::Trace Trace(const std::string& run_id) {
    coordinator::Stages remote = coordinator::MakeRemoteStages(addresses_);
    v1::GetTraceRequest request;
    request.set_run_id(run_id);
    v1::GetTraceResponse response;
    const absl::Status status = remote.results->GetTrace(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    return response.trace();
  }

  // The trace's spans by id, and the run span.
  struct Indexed {
    std::map<std::string, const v1::Span*> by_id;
    const v1::Span* run = nullptr;
  };
  static Indexed Index(const v1::Trace& trace) {
    Indexed index;
    for (const v1::Span& span : trace.spans()) {
      index.by_id[span.span_id()] = &span;
      if (span.name() == "run") index.run = &span;
    }
    return index;
  }

  static inline testing::ChildProcess* serve_ = nullptr;
  static inline testing::ChildProcess* receiver_ = nullptr;
  static inline int receiver_port_ = 0;
  static inline coordinator::ServiceAddresses addresses_;
};

TEST_F(RunTraceTest, OneTraceWithEveryProcessUnderTheClientsSpan) {
  const v1::RunProgress progress = Run(Spec("SYNA, SYNB, SYNC"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  const v1::Trace trace = Trace(progress.run_id());
  const Indexed index = Index(trace);
  ASSERT_NE(index.run, nullptr);
  // The run joins the client's trace, as a child of the client's span.
  EXPECT_EQ(index.run->parent_span_id(), kClientSpanId);
  EXPECT_EQ(index.run->service(), "coordinator");
  ASSERT_NE(Attribute(*index.run, "run.id"), nullptr);
  EXPECT_EQ(Attribute(*index.run, "run.id")->string_value(), progress.run_id());
  EXPECT_EQ(Attribute(*index.run, "symbols")->string_value(), "SYNA,SYNB,SYNC");

  std::set<std::string> services;
  std::set<std::string> server_spans;
  for (const v1::Span& span : trace.spans()) {
    EXPECT_EQ(span.trace_id(), kClientTraceId) << span.name();
    EXPECT_TRUE(IsHex(span.span_id(), 16)) << span.span_id();
    EXPECT_LE(span.start_unix_nanos(), span.end_unix_nanos()) << span.name();
    EXPECT_NE(span.status_code(), v1::SPAN_STATUS_ERROR) << span.name();
    services.insert(span.service());
    if (&span == index.run) continue;
    // Every other span's parent is in the trace.
    const auto parent = index.by_id.find(span.parent_span_id());
    ASSERT_NE(parent, index.by_id.end()) << span.ShortDebugString();
    if (span.kind() == v1::SPAN_KIND_SERVER) {
      // A service's span is the child of the coordinator's call to it:
      // "backtest.v1.ExecutionService/ExecuteSteps" under
      // "execution.execute_steps", recorded by the execution process.
      server_spans.insert(span.name());
      const v1::Span& call = *parent->second;
      EXPECT_EQ(call.service(), "coordinator");
      EXPECT_EQ(call.kind(), v1::SPAN_KIND_CLIENT);
      EXPECT_TRUE(absl::StartsWith(call.name(), span.service() + "."))
          << call.name() << " -> " << span.name() << " in " << span.service();
      const v1::SpanAttribute* run_id = Attribute(span, "run.id");
      if (run_id != nullptr) {
        EXPECT_EQ(run_id->string_value(), progress.run_id());
      }
    } else {
      EXPECT_EQ(span.service(), "coordinator") << span.name();
    }
  }
  EXPECT_EQ(services,
            (std::set<std::string>{"coordinator", "data", "strategy",
                                   "portfolio", "execution", "results"}));
  for (const char* rpc : {"backtest.v1.DataService/OpenDataset",
                          "backtest.v1.DataService/ReadBars",
                          "backtest.v1.StrategyService/OnSteps",
                          "backtest.v1.PortfolioService/ApplySteps",
                          "backtest.v1.PortfolioService/SizeIntents",
                          "backtest.v1.ExecutionService/ExecuteSteps",
                          "backtest.v1.ResultsService/AppendRecords",
                          "backtest.v1.ResultsService/FinishRun"}) {
    EXPECT_EQ(server_spans.count(rpc), 1) << rpc;
  }

  // The services' JSON log lines carry the run's trace id.
  const std::string log = serve_->Log();
  bool start_logged = false;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"event\":\"run_start\"") &&
        absl::StrContains(line, progress.run_id())) {
      start_logged = true;
      EXPECT_TRUE(absl::StartsWith(line, "{\"time\":\"")) << line;
      EXPECT_TRUE(absl::StrContains(
          line, absl::StrCat("\"trace_id\":\"", kClientTraceId, "\"")))
          << line;
    }
  }
  EXPECT_TRUE(start_logged) << log;
}

TEST_F(RunTraceTest, AFailedRunMarksTheFailingSpanAndItsAncestors) {
  // No file for SYNZ: the data service fails the run as it opens the data.
  const v1::RunProgress progress = Run(Spec("SYNA, SYNZ"));
  ASSERT_EQ(progress.state(), v1::FAILED) << progress.DebugString();
  const v1::Trace trace = Trace(progress.run_id());
  const Indexed index = Index(trace);
  const v1::Span* failed = nullptr;
  for (const v1::Span& span : trace.spans()) {
    if (span.name() == "backtest.v1.DataService/OpenDataset") failed = &span;
  }
  ASSERT_NE(failed, nullptr) << trace.DebugString();
  EXPECT_EQ(failed->service(), "data");
  EXPECT_EQ(failed->status_code(), v1::SPAN_STATUS_ERROR);
  EXPECT_EQ(Attribute(*failed, "error.reason")->string_value(), "NO_DATA_FILE");
  EXPECT_EQ(Attribute(*failed, "error.symbol")->string_value(), "SYNZ");
  ASSERT_EQ(failed->events_size(), 1);
  EXPECT_EQ(failed->events(0).name(), "exception");
  // Its ancestors show the failure: the coordinator's call, then the run.
  const v1::Span* call = index.by_id.at(failed->parent_span_id());
  EXPECT_EQ(call->name(), "data.open_dataset");
  EXPECT_EQ(call->status_code(), v1::SPAN_STATUS_ERROR);
  EXPECT_EQ(index.by_id.at(call->parent_span_id()), index.run);
  EXPECT_EQ(index.run->status_code(), v1::SPAN_STATUS_ERROR);

  const testing::CommandResult shown = testing::RunCommand(absl::StrCat(
      "cli/bt trace ", progress.run_id(), " --results=", addresses_.results));
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  bool marked = false;
  for (absl::string_view line : absl::StrSplit(shown.output, '\n')) {
    if (absl::StrContains(line, "<== FAILED HERE")) {
      marked = true;
      EXPECT_TRUE(
          absl::StrContains(line, "backtest.v1.DataService/OpenDataset"))
          << line;
      EXPECT_TRUE(absl::StrContains(line, "[data]")) << line;
    }
  }
  EXPECT_TRUE(marked) << shown.output;
  EXPECT_TRUE(absl::StrContains(shown.output, "FAILED in data at SYNZ"))
      << shown.output;
}

// The OTLP/HTTP export, checked field by field as the receiver got it: from
// the coordinator at the end of every run, and from bt trace --otlp-endpoint.
TEST_F(RunTraceTest, OtlpExportReachesAReceiverInTheSpecifiedShape) {
  const v1::RunProgress progress = Run(Spec("SYNA"));
  ASSERT_EQ(progress.state(), v1::SUCCEEDED) << progress.DebugString();
  const testing::CommandResult exported = testing::RunCommand(absl::StrCat(
      "cli/bt trace ", progress.run_id(), " --results=", addresses_.results,
      " --otlp-endpoint ", ReceiverUrl()));
  ASSERT_EQ(exported.exit_code, 0) << exported.output;

  // Among the posts, the two of this run: the coordinator's and bt's.
  int posts_of_this_run = 0;
  for (int n = 0; std::filesystem::exists(Workspace() / "receiver" /
                                          absl::StrCat(n, ".json"));
       ++n) {
    const std::string body =
        Read(Workspace() / "receiver" / absl::StrCat(n, ".json"));
    if (!absl::StrContains(body, progress.run_id())) continue;
    ++posts_of_this_run;
    EXPECT_EQ(Read(Workspace() / "receiver" / absl::StrCat(n, ".meta")),
              "/v1/traces\napplication/json\n");
    Struct root;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(body, &root).ok())
        << body;
    std::set<std::string> services;
    int spans = 0;
    bool saw_int_value = false;
    for (const Value& resource_spans :
         Field(root, "resourceSpans").list_value().values()) {
      const Struct& resource =
          Field(resource_spans.struct_value(), "resource").struct_value();
      const auto& attributes =
          Field(resource, "attributes").list_value().values();
      ASSERT_EQ(attributes.size(), 1);
      EXPECT_EQ(Field(attributes[0].struct_value(), "key").string_value(),
                "service.name");
      services.insert(
          Field(Field(attributes[0].struct_value(), "value").struct_value(),
                "stringValue")
              .string_value());
      for (const Value& scope_spans :
           Field(resource_spans.struct_value(), "scopeSpans")
               .list_value()
               .values()) {
        EXPECT_EQ(
            Field(Field(scope_spans.struct_value(), "scope").struct_value(),
                  "name")
                .string_value(),
            "seed-backtester");
        for (const Value& span_value :
             Field(scope_spans.struct_value(), "spans").list_value().values()) {
          const Struct& span = span_value.struct_value();
          ++spans;
          EXPECT_EQ(Field(span, "traceId").string_value(), kClientTraceId);
          EXPECT_TRUE(IsHex(Field(span, "spanId").string_value(), 16));
          EXPECT_TRUE(IsHex(Field(span, "parentSpanId").string_value(), 16));
          EXPECT_FALSE(Field(span, "name").string_value().empty());
          const double kind = Field(span, "kind").number_value();
          EXPECT_TRUE(kind == 1 || kind == 2 || kind == 3) << kind;
          const std::string start =
              Field(span, "startTimeUnixNano").string_value();
          const std::string end = Field(span, "endTimeUnixNano").string_value();
          EXPECT_EQ(start.size(), 19) << start;  // nanoseconds since 2001
          EXPECT_EQ(start.find_first_not_of("0123456789"), std::string::npos);
          EXPECT_LE(start, end);
          EXPECT_TRUE(Field(span, "status").has_struct_value());
          if (span.fields().count("attributes") == 0) continue;
          for (const Value& attribute :
               Field(span, "attributes").list_value().values()) {
            const Struct& value =
                Field(attribute.struct_value(), "value").struct_value();
            ASSERT_EQ(value.fields().size(), 1);
            const auto& [kind_name, held] = *value.fields().begin();
            EXPECT_TRUE(kind_name == "stringValue" || kind_name == "intValue" ||
                        kind_name == "doubleValue" || kind_name == "boolValue")
                << kind_name;
            if (kind_name == "intValue") {
              saw_int_value = true;
              EXPECT_TRUE(held.has_string_value());  // 64-bit: a string
            }
          }
        }
      }
    }
    EXPECT_EQ(services,
              (std::set<std::string>{"coordinator", "data", "strategy",
                                     "portfolio", "execution", "results"}));
    EXPECT_GT(spans, 10);
    EXPECT_TRUE(saw_int_value);
  }
  EXPECT_EQ(posts_of_this_run, 2);
}

}  // namespace
}  // namespace seed
