#include "services/coordinator/call_watchdog.h"

#include <algorithm>
#include <list>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace seed::coordinator {

void AwakeClock::Tick(absl::Duration gap) {
  awake_ += std::min(std::max(gap, absl::ZeroDuration()), max_counted_);
}

struct CallWatchdog::Watch::Entry {
  grpc::ClientContext* context;
  absl::Duration expires;  // on the awake clock
  std::atomic<bool> expired{false};
};

class CallWatchdog::Impl {
 public:
  Impl() : clock_(2 * kTick) {
    std::thread([this] { Tick(); }).detach();
  }

  std::shared_ptr<Watch::Entry> Add(grpc::ClientContext* context,
                                    absl::Duration deadline) {
    auto entry = std::make_shared<Watch::Entry>();
    entry->context = context;
    absl::MutexLock lock(&mutex_);
    entry->expires = clock_.awake() + deadline;
    entries_.push_back(entry);
    return entry;
  }

  void Remove(const std::shared_ptr<Watch::Entry>& entry) {
    absl::MutexLock lock(&mutex_);
    entries_.remove(entry);
  }

 private:
  // Runs for the life of the process (the watchdog is never destroyed).
  void Tick() {
    absl::Time last = absl::Now();
    for (;;) {
      absl::SleepFor(kTick);
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&mutex_);
      clock_.Tick(now - last);
      last = now;
      for (auto it = entries_.begin(); it != entries_.end();) {
        if (clock_.awake() < (*it)->expires) {
          ++it;
          continue;
        }
        (*it)->expired = true;
        (*it)->context->TryCancel();
        it = entries_.erase(it);
      }
    }
  }

  absl::Mutex mutex_;
  AwakeClock clock_ ABSL_GUARDED_BY(mutex_);
  std::list<std::shared_ptr<Watch::Entry>> entries_ ABSL_GUARDED_BY(mutex_);
};

CallWatchdog::CallWatchdog() : impl_(new Impl) {}

CallWatchdog& CallWatchdog::Get() {
  static CallWatchdog* watchdog = new CallWatchdog;
  return *watchdog;
}

std::unique_ptr<CallWatchdog::Watch> CallWatchdog::Start(
    grpc::ClientContext* context, absl::Duration deadline) {
  return std::unique_ptr<Watch>(new Watch(impl_->Add(context, deadline)));
}

CallWatchdog::Watch::~Watch() { CallWatchdog::Get().impl_->Remove(entry_); }

bool CallWatchdog::Watch::expired() const { return entry_->expired; }

}  // namespace seed::coordinator
