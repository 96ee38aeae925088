// How long `bt serve` waits before it restarts a service process that died:
// 0.5 s after the first death, doubling with each death that follows soon
// after, up to 30 s; a process that stayed up 60 s or more is restarted
// after 0.5 s again. A crash loop thus costs little CPU, and one crash
// after a long healthy run is repaired at once. Not thread-safe: one per
// supervised process.
#ifndef SEED_CLI_RESTART_BACKOFF_H_
#define SEED_CLI_RESTART_BACKOFF_H_

#include "absl/time/time.h"

namespace seed::cli {

class RestartBackoff {
 public:
  static constexpr absl::Duration kFirst = absl::Milliseconds(500);
  static constexpr absl::Duration kLongest = absl::Seconds(30);
  // A process up this long is taken as healthy: its next delay is kFirst.
  static constexpr absl::Duration kHealthyUptime = absl::Seconds(60);

  // The delay before restarting a process that died after running for
  // `uptime`. Example: deaths after 1 s, 1 s, 1 s, 90 s wait 0.5, 1, 2 and
  // 0.5 s.
  absl::Duration NextDelay(absl::Duration uptime);

 private:
  absl::Duration next_ = kFirst;
};

}  // namespace seed::cli

#endif  // SEED_CLI_RESTART_BACKOFF_H_
