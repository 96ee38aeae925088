#include "common/metrics.h"

#include <exception>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "common/listen_address.h"
#include "common/text.h"
#include "common/version.h"
#include "prometheus/gauge.h"

namespace seed::metrics {
namespace {

// Longest code a BoundedLabel keeps (ours are far shorter).
constexpr size_t kMaxCodeLength = 64;

bool LooksLikeCode(absl::string_view value) {
  if (value.empty() || value.size() > kMaxCodeLength ||
      !absl::ascii_isupper(value[0])) {
    return false;
  }
  for (const char c : value) {
    if (!absl::ascii_isupper(c) && !absl::ascii_isdigit(c) && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::shared_ptr<prometheus::Registry> ProcessRegistry() {
  // Never destroyed: instrumented units hold references to its metrics
  // until the process ends.
  static auto* const registry = [] {
    auto* created = new std::shared_ptr<prometheus::Registry>(
        std::make_shared<prometheus::Registry>());
    prometheus::BuildGauge()
        .Name("seed_build_info")
        .Help(
            "The build this process runs: its version and source revision "
            "(value 1)")
        .Register(**created)
        .Add({{"version", kEngineVersion}, {"revision", kSourceRevision}})
        .Set(1);
    return created;
  }();
  return *registry;
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* const buckets =
      new prometheus::Histogram::BucketBoundaries{
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
  return *buckets;
}

const prometheus::Histogram::BucketBoundaries& SizeBuckets() {
  static const auto* const buckets = [] {
    auto* made = new prometheus::Histogram::BucketBoundaries;
    for (double bytes = 1024; bytes <= 1024.0 * 1024 * 1024; bytes *= 4) {
      made->push_back(bytes);
    }
    return made;
  }();
  return *buckets;
}

std::string BoundedLabel::Of(absl::string_view value) {
  if (!LooksLikeCode(value)) return other_;
  absl::MutexLock lock(&mutex_);
  if (seen_.contains(value)) return std::string(value);
  if (static_cast<int>(seen_.size()) >= max_values_) return other_;
  seen_.emplace(value);
  return std::string(value);
}

absl::Status CheckMetricsAddress(absl::string_view flag,
                                 absl::string_view address) {
  if (absl::Status status = CheckListenAddress(flag, address); !status.ok()) {
    return status;
  }
  if (absl::StartsWith(address, "[")) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag,
        " takes an IPv4 address or a host name (the metrics server, "
        "Debian's civetweb, has no IPv6); got \"",
        Bounded(address), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address,
    std::shared_ptr<prometheus::Registry> registry) {
  if (absl::Status status = CheckMetricsAddress("the metrics address", address);
      !status.ok()) {
    return status;
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // One thread: a scrape every few seconds needs no more.
    exposer = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception&) {
    // civetweb says only "null context ... Possible problem binding to port".
    return absl::UnavailableError(absl::StrCat(
        "could not serve metrics on ", address,
        PortInUse(address)
            ? ": port in use (another process listens there; stop it or "
              "choose another --metrics-listen)"
            : ": the address is invalid or not this machine's"));
  }
  exposer->RegisterCollectable(registry);
  const std::vector<int> ports = exposer->GetListeningPorts();
  const int port = ports.empty() ? 0 : ports.front();
  return std::unique_ptr<MetricsEndpoint>(
      new MetricsEndpoint(std::move(exposer), port));
}

}  // namespace seed::metrics
