#include "cli/restart_backoff.h"

#include <algorithm>

namespace seed::cli {

absl::Duration RestartBackoff::NextDelay(absl::Duration uptime) {
  if (uptime >= kHealthyUptime) next_ = kFirst;
  const absl::Duration delay = next_;
  next_ = std::min(next_ * 2, kLongest);
  return delay;
}

}  // namespace seed::cli
