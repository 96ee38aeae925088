#include "common/service_health.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/text.h"
#include "grpcpp/health_check_service_interface.h"

namespace seed {

HealthMonitor::HealthMonitor(std::string service, HealthCheck check,
                             std::vector<grpc::Server*> servers,
                             absl::Duration period)
    : service_(std::move(service)),
      check_(std::move(check)),
      servers_(std::move(servers)),
      period_(period),
      thread_([this] { Loop(); }) {}

HealthMonitor::~HealthMonitor() {
  stop_.Notify();
  thread_.join();
}

bool HealthMonitor::serving() const {
  absl::MutexLock lock(&mutex_);
  return serving_;
}

void HealthMonitor::Loop() {
  do {
    const absl::Status status = check_();
    const bool serving = status.ok();
    {
      absl::MutexLock lock(&mutex_);
      if (serving == serving_) continue;
      serving_ = serving;
    }
    for (grpc::Server* server : servers_) {
      if (grpc::HealthCheckServiceInterface* health =
              server->GetHealthCheckService()) {
        health->SetServingStatus(serving);
      }
    }
    if (serving) {
      LogEvent(LogLevel::kInfo, "SERVING again: its health check passes",
               {.extra = {{"event", "health_changed"},
                          {"service", service_},
                          {"status", "SERVING"}}});
    } else {
      LogEvent(LogLevel::kError,
               absl::StrCat("NOT_SERVING: ", Bounded(status.message())),
               {.extra = {{"event", "health_changed"},
                          {"service", service_},
                          {"status", "NOT_SERVING"}}});
    }
  } while (!stop_.WaitForNotificationWithTimeout(period_));
}

}  // namespace seed
