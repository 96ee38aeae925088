// Health that means something: a service's own check (can it reach its
// database? can it read its data roots?) run every few seconds on a thread
// of its own, and its verdict reported on the standard grpc.health.v1
// service of every server of the process that answers health checks (the
// gRPC port, and --health-listen's port for the kubelet's probes): SERVING
// while the check passes, NOT_SERVING while it fails. Each change is logged
// as a JSON line with the check's reason. Checks must be cheap (a stat, a
// ping), and should bound their own waiting. Thread-safe.
#ifndef SEED_COMMON_SERVICE_HEALTH_H_
#define SEED_COMMON_SERVICE_HEALTH_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace seed {

// OK while the service can do its work; otherwise why not (logged).
using HealthCheck = std::function<absl::Status()>;

// How often a check runs: a probe that asks every 5 s sees a change within
// one or two of its periods.
inline constexpr absl::Duration kHealthCheckPeriod = absl::Seconds(2);

class HealthMonitor {
 public:
  // Runs `check` at once and then every `period`, reporting on `servers`
  // (which must outlive the monitor). `service` names the service in logs.
  HealthMonitor(std::string service, HealthCheck check,
                std::vector<grpc::Server*> servers,
                absl::Duration period = kHealthCheckPeriod);
  // Stops checking (the servers keep the status last set).
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // The last verdict (true before the first check ends).
  bool serving() const;

 private:
  void Loop();

  const std::string service_;
  const HealthCheck check_;
  const std::vector<grpc::Server*> servers_;
  const absl::Duration period_;
  absl::Notification stop_;
  mutable absl::Mutex mutex_;
  bool serving_ ABSL_GUARDED_BY(mutex_) = true;
  std::thread thread_;
};

}  // namespace seed

#endif  // SEED_COMMON_SERVICE_HEALTH_H_
