#include "common/ids.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace seed {

std::string NewTimeSortableId(absl::string_view prefix) {
  static std::mt19937_64 random{std::random_device{}()};
  static absl::Mutex random_mutex;
  uint64_t tail;
  {
    absl::MutexLock lock(&random_mutex);
    tail = random() & 0xffffff;
  }
  return absl::StrCat(
      prefix,
      absl::FormatTime("%Y%m%d-%H%M%S", absl::Now(), absl::UTCTimeZone()), "-",
      absl::StrFormat("%06x", tail));
}

}  // namespace seed
