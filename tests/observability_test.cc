// `bt serve --metrics-listen A --health-listen A` end to end: every child
// serves Prometheus text at its own port (A's port plus its offset, the
// usage text's table), with the metric names docs/deploy.md lists, and the
// data and results children report NOT_SERVING on their health ports while
// a data root or the results database is gone, SERVING again once it is
// back.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/health_client.h"
#include "common/metrics_scrape.h"
#include "gtest/gtest.h"
#include "tests/child_process.h"
#include "tests/loopback_services.h"

namespace seed {
namespace {

namespace fs = std::filesystem;

// Each check runs every 2 s (common/service_health.h): a change shows well
// within this.
constexpr absl::Duration kNoticed = absl::Seconds(20);

fs::path Workspace() { return fs::path(::testing::TempDir()) / "observe"; }

// The families of a page in the Prometheus text format (version 0.0.4), by
// name, with their TYPE; fails on a line that is neither a comment nor a
// sample, a sample whose value is not a number, or a sample of a family
// with no TYPE line before it.
absl::StatusOr<std::map<std::string, std::string>> ParseFamilies(
    const std::string& page) {
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)( -?\d+)?)");
  std::map<std::string, std::string> families;
  for (const absl::string_view line : absl::StrSplit(page, '\n')) {
    const std::string text(line);
    std::smatch match;
    if (text.empty() || absl::StartsWith(text, "# HELP ")) continue;
    if (std::regex_match(text, match, kType)) {
      families[match[1]] = match[2];
      continue;
    }
    if (!std::regex_match(text, match, kSample)) {
      return absl::InvalidArgumentError(absl::StrCat("not a sample: ", text));
    }
    double value = 0;
    const std::string number = match[3];
    if (!absl::SimpleAtod(number, &value) && number != "+Inf" &&
        number != "-Inf" && number != "NaN") {
      return absl::InvalidArgumentError(absl::StrCat("bad value: ", text));
    }
    std::string family = match[1];
    for (const absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (families.count(family) == 0 && absl::EndsWith(family, suffix)) {
        family.resize(family.size() - suffix.size());
      }
    }
    if (families.count(family) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("a sample of a family without TYPE: ", text));
    }
  }
  return families;
}

// One `bt serve` for every test (its six children take seconds to start);
// each test leaves the data root and the database where it found them.
class ObservabilityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(Workspace());
    fs::create_directories(Workspace() / "data");
    std::ofstream(Workspace() / "data" / "ORCL.csv")
        << "date,open,high,low,close,volume\n1995-01-03,10,11,9,10,100\n";
    testing::WriteLoopbackServicesConfig(
        (Workspace() / "services.yaml").string());
    metrics_port_ = testing::FreePort();
    health_port_ = testing::FreePort();
    absl::StatusOr<std::unique_ptr<testing::ChildProcess>> serve =
        testing::ChildProcess::Start(
            {"cli/bt", "serve",
             absl::StrCat("--config=",
                          (Workspace() / "services.yaml").string()),
             absl::StrCat("--db=", Database()),
             absl::StrCat("--data-roots=", (Workspace() / "data").string()),
             absl::StrCat("--metrics-listen=127.0.0.1:", metrics_port_),
             absl::StrCat("--health-listen=127.0.0.1:", health_port_)},
            (Workspace() / "serve.log").string());
    ASSERT_TRUE(serve.ok()) << serve.status();
    serve_ = serve->release();
    // The coordinator is the last child started: when it serves, all do.
    const absl::Status ready =
        WaitUntilServing(Health("coordinator"), absl::Seconds(60));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << serve_->Log();
  }

  static std::string Database() {
    return (Workspace() / "results.db").string();
  }
  static int Offset(const std::string& service) {
    const std::map<std::string, int> offsets = {
        {"coordinator", 0}, {"data", 1},      {"strategy", 2},
        {"portfolio", 3},   {"execution", 4}, {"results", 5}};
    return offsets.at(service);
  }
  static void TearDownTestSuite() {
    delete serve_;
    serve_ = nullptr;
  }

  static std::string Metrics(const std::string& service) {
    return absl::StrCat("127.0.0.1:", metrics_port_ + Offset(service));
  }
  static std::string Health(const std::string& service) {
    return absl::StrCat("127.0.0.1:", health_port_ + Offset(service));
  }

  static int metrics_port_;
  static int health_port_;
  static testing::ChildProcess* serve_;
};

int ObservabilityTest::metrics_port_ = 0;
int ObservabilityTest::health_port_ = 0;
testing::ChildProcess* ObservabilityTest::serve_ = nullptr;

TEST_F(ObservabilityTest, EveryChildServesItsMetricsInTheTextFormat) {
  const std::map<std::string, std::map<std::string, std::string>> expected = {
      {"coordinator", {{"seed_build_info", "gauge"}}},
      {"data",
       {{"seed_build_info", "gauge"},
        {"seed_data_files_parsed_total", "counter"},
        {"seed_data_file_cache_hits_total", "counter"},
        {"seed_data_bars_served_total", "counter"}}},
      {"strategy", {{"seed_build_info", "gauge"}}},
      {"portfolio", {{"seed_build_info", "gauge"}}},
      {"execution", {{"seed_build_info", "gauge"}}},
      {"results",
       {{"seed_build_info", "gauge"}, {"seed_results_database_up", "gauge"}}},
  };
  for (const auto& [service, families] : expected) {
    absl::StatusOr<std::string> page = metrics::Scrape(Metrics(service));
    ASSERT_TRUE(page.ok()) << service << ": " << page.status();
    absl::StatusOr<std::map<std::string, std::string>> parsed =
        ParseFamilies(*page);
    ASSERT_TRUE(parsed.ok()) << service << ": " << parsed.status();
    for (const auto& [name, type] : families) {
      ASSERT_TRUE(parsed->count(name)) << service << " lacks " << name;
      EXPECT_EQ(parsed->at(name), type) << service << ": " << name;
    }
  }
  EXPECT_EQ(metrics::SampleValue(*metrics::Scrape(Metrics("results")),
                                 "seed_results_database_up"),
            1);
}

TEST_F(ObservabilityTest, DataIsNotServingWhileARootCannotBeRead) {
  const fs::path root = Workspace() / "data";
  fs::rename(root, Workspace() / "moved");
  absl::Status status = WaitUntilNotServing(Health("data"), kNoticed);
  EXPECT_TRUE(status.ok()) << status;
  // The others do not depend on the data roots.
  EXPECT_TRUE(WaitUntilServing(Health("results"), absl::Seconds(2)).ok());
  fs::rename(Workspace() / "moved", root);
  status = WaitUntilServing(Health("data"), kNoticed);
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(ObservabilityTest, ResultsIsNotServingWhileItsDatabaseIsUnreachable) {
  fs::rename(Database(), Workspace() / "moved.db");
  absl::Status status = WaitUntilNotServing(Health("results"), kNoticed);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(metrics::SampleValue(*metrics::Scrape(Metrics("results")),
                                 "seed_results_database_up"),
            0);
  fs::rename(Workspace() / "moved.db", Database());
  status = WaitUntilServing(Health("results"), kNoticed);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(metrics::SampleValue(*metrics::Scrape(Metrics("results")),
                                 "seed_results_database_up"),
            1);
}

}  // namespace
}  // namespace seed
