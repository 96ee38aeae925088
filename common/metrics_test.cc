#include "common/metrics.h"

#include "absl/strings/str_cat.h"
#include "common/metrics_scrape.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"

namespace seed::metrics {
namespace {

TEST(BoundedLabelTest, KeepsCodesUpToTheBoundAndFoldsTheRest) {
  BoundedLabel label(2, "OTHER");
  EXPECT_EQ(label.Of("NO_DATA_FILE"), "NO_DATA_FILE");
  EXPECT_EQ(label.Of("DISK_FULL"), "DISK_FULL");
  EXPECT_EQ(label.Of("NO_DATA_FILE"), "NO_DATA_FILE");  // seen: still itself
  EXPECT_EQ(label.Of("QUEUE_FULL"), "OTHER");           // past the bound
  BoundedLabel shapes(10, "OTHER");
  EXPECT_EQ(shapes.Of("run-0123"), "OTHER");
  EXPECT_EQ(shapes.Of(""), "OTHER");
  EXPECT_EQ(shapes.Of("Lower_Case"), "OTHER");
  EXPECT_EQ(shapes.Of(std::string(65, 'A')), "OTHER");
  EXPECT_EQ(shapes.Of("HTTP_2_ERROR"), "HTTP_2_ERROR");
}

TEST(CheckMetricsAddressTest, TakesHostPortAndRefusesTheRest) {
  EXPECT_TRUE(CheckMetricsAddress("--metrics-listen", "127.0.0.1:0").ok());
  EXPECT_TRUE(CheckMetricsAddress("--metrics-listen", "0.0.0.0:9100").ok());
  EXPECT_TRUE(CheckMetricsAddress("--metrics-listen", "localhost:9100").ok());
  for (const char* bad :
       {"9100", ":9100", "host:", "host:65536", "host:9x", "[::1]:9100"}) {
    const absl::Status status = CheckMetricsAddress("--metrics-listen", bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("--metrics-listen"), std::string::npos)
        << status;
  }
}

TEST(MetricsEndpointTest, ServesTheRegistryAndRefusesAUsedPort) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("seed_test_events_total")
      .Help("events")
      .Register(*registry)
      .Add({{"kind", "A"}})
      .Increment(3);
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const std::string address = absl::StrCat("127.0.0.1:", (*endpoint)->port());
  absl::StatusOr<std::string> page = Scrape(address);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(SampleValue(*page, "seed_test_events_total", {{"kind", "A"}}), 3)
      << *page;
  EXPECT_NE(page->find("# TYPE seed_test_events_total counter"),
            std::string::npos);

  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> second =
      MetricsEndpoint::Start(address, registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("port in use"), std::string::npos)
      << second.status();
}

TEST(ProcessRegistryTest, CarriesTheBuildInfo) {
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("127.0.0.1:0");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  absl::StatusOr<std::string> page =
      Scrape(absl::StrCat("127.0.0.1:", (*endpoint)->port()));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(SampleValue(*page, "seed_build_info"), 1) << *page;
}

}  // namespace
}  // namespace seed::metrics
