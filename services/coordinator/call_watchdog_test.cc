#include "services/coordinator/call_watchdog.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace seed::coordinator {
namespace {

TEST(AwakeClockTest, CountsShortGapsInFullAndLongOnesAsTheCap) {
  AwakeClock clock(absl::Milliseconds(100));
  clock.Tick(absl::Milliseconds(50));
  clock.Tick(absl::Milliseconds(80));  // a busy machine: a late tick
  EXPECT_EQ(clock.awake(), absl::Milliseconds(130));
  // The process was stopped for 30 s: that is not time it was awake.
  clock.Tick(absl::Seconds(30));
  EXPECT_EQ(clock.awake(), absl::Milliseconds(230));
  clock.Tick(-absl::Seconds(1));  // the wall clock went back
  EXPECT_EQ(clock.awake(), absl::Milliseconds(230));
}

TEST(CallWatchdogTest, CancelsACallOnceItsDeadlinePasses) {
  grpc::ClientContext context;
  const std::unique_ptr<CallWatchdog::Watch> watch =
      CallWatchdog::Get().Start(&context, absl::Milliseconds(100));
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (!watch->expired() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(watch->expired());
}

TEST(CallWatchdogTest, LeavesACallAloneWithinItsDeadline) {
  grpc::ClientContext context;
  const std::unique_ptr<CallWatchdog::Watch> watch =
      CallWatchdog::Get().Start(&context, absl::Hours(1));
  absl::SleepFor(3 * CallWatchdog::kTick);
  EXPECT_FALSE(watch->expired());
}

}  // namespace
}  // namespace seed::coordinator
