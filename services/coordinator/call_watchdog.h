// Deadlines of stage calls that count only the time this process was
// running. A gRPC deadline is wall-clock time: a coordinator frozen for 30 s
// (SIGSTOP, a paused VM) wakes up to find its call "timed out" and blames a
// stage that answered in a millisecond. The watchdog instead keeps an awake
// clock (a ticker whose pauses longer than a tick count as one tick) and
// cancels a call once it has been outstanding for its deadline of awake
// time. Thread-safe; one process-wide ticker thread, started on first use.
#ifndef SEED_SERVICES_COORDINATOR_CALL_WATCHDOG_H_
#define SEED_SERVICES_COORDINATOR_CALL_WATCHDOG_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "grpcpp/client_context.h"

namespace seed::coordinator {

// Time this process was awake, from the gaps between ticks: a gap up to
// `max_counted` counts in full (a busy machine delays ticks), a longer one
// (the process was stopped) counts as `max_counted`. Not thread-safe.
class AwakeClock {
 public:
  explicit AwakeClock(absl::Duration max_counted) : max_counted_(max_counted) {}
  // A tick `gap` after the previous one.
  void Tick(absl::Duration gap);
  absl::Duration awake() const { return awake_; }

 private:
  const absl::Duration max_counted_;
  absl::Duration awake_;
};

class CallWatchdog {
 public:
  // A call being watched; stops watching when destroyed.
  class Watch {
   public:
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    // The watchdog cancelled the call: its deadline of awake time passed.
    bool expired() const;

   private:
    friend class CallWatchdog;
    struct Entry;
    explicit Watch(std::shared_ptr<Entry> entry) : entry_(std::move(entry)) {}
    std::shared_ptr<Entry> entry_;
  };

  // How often the ticker runs: the resolution of deadlines.
  static constexpr absl::Duration kTick = absl::Milliseconds(50);

  static CallWatchdog& Get();

  // Watches the call of `context` (which must outlive the Watch) and
  // cancels it (ClientContext::TryCancel) once it has been outstanding for
  // `deadline` of awake time.
  std::unique_ptr<Watch> Start(grpc::ClientContext* context,
                               absl::Duration deadline);

 private:
  CallWatchdog();
  class Impl;
  Impl* impl_;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_CALL_WATCHDOG_H_
