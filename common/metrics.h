// Prometheus metrics of a service process (prometheus-cpp): the registry
// every instrumented unit of the process adds its metric families to, the
// bucket layouts they share, label values kept to a bounded set, and the
// HTTP endpoint that serves the registry at /metrics (--metrics-listen).
// Metric names follow Prometheus's conventions: snake_case, a `seed_` prefix
// for our own families (gRPC's follow go-grpc-prometheus: grpc_server_...),
// `_total` counters, `_seconds` and `_bytes` in base units;
// docs/observability.md lists them. (A run's performance metrics, Sharpe and
// the like, are another thing: services/results/metrics.h.) Thread-safe.
#ifndef SEED_COMMON_METRICS_H_
#define SEED_COMMON_METRICS_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/exposer.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace seed::metrics {

// The process's registry, created on first use with `seed_build_info`
// (labels version and revision, value 1). Units that instrument themselves
// take a registry (for tests) and default to this one.
std::shared_ptr<prometheus::Registry> ProcessRegistry();

// Buckets of latency histograms in seconds: 100 us to 30 s, about 2.5x apart.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();
// Buckets of size histograms in bytes: 1 KiB to 1 GiB, 4x apart.
const prometheus::Histogram::BucketBoundaries& SizeBuckets();

// Keeps a label's values to a bounded set: the first `max_values` distinct
// values that look like our codes (upper snake case, at most 64 characters:
// "NO_DATA_FILE") are used as they are; any other value, and any value past
// the bound, is `other`. For labels fed by values from outside (a plug-in
// strategy's error reasons), which must not grow a family without bound.
class BoundedLabel {
 public:
  BoundedLabel(int max_values, std::string other)
      : max_values_(max_values), other_(std::move(other)) {}

  std::string Of(absl::string_view value);

 private:
  const int max_values_;
  const std::string other_;
  absl::Mutex mutex_;
  absl::flat_hash_set<std::string> seen_ ABSL_GUARDED_BY(mutex_);
};

// Whether `address` can be a metrics address: HOST:PORT with an IPv4 or
// host name (Debian's civetweb has no IPv6) and a port in 0..65535 (0: any
// free port). INVALID_ARGUMENT naming `flag` otherwise.
absl::Status CheckMetricsAddress(absl::string_view flag,
                                 absl::string_view address);

// Serves `registry` as Prometheus's text format at http://ADDRESS/metrics
// (plain HTTP, no authentication: metrics hold no secrets, docs/security.md)
// on one thread, until destroyed.
class MetricsEndpoint {
 public:
  // UNAVAILABLE "port in use" or "not this machine's" when it cannot listen.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address,
      std::shared_ptr<prometheus::Registry> registry = ProcessRegistry());

  // The port it listens on (the one picked for port 0).
  int port() const { return port_; }

 private:
  MetricsEndpoint(std::unique_ptr<prometheus::Exposer> exposer, int port)
      : exposer_(std::move(exposer)), port_(port) {}

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace seed::metrics

#endif  // SEED_COMMON_METRICS_H_
