#include "cli/restart_backoff.h"

#include "gtest/gtest.h"

namespace seed::cli {
namespace {

TEST(RestartBackoffTest, DoublesWhileTheProcessKeepsDyingUpTo30Seconds) {
  RestartBackoff backoff;
  const absl::Duration soon = absl::Seconds(1);
  EXPECT_EQ(backoff.NextDelay(soon), absl::Milliseconds(500));
  EXPECT_EQ(backoff.NextDelay(soon), absl::Seconds(1));
  EXPECT_EQ(backoff.NextDelay(soon), absl::Seconds(2));
  for (int i = 0; i < 10; ++i) backoff.NextDelay(soon);
  EXPECT_EQ(backoff.NextDelay(soon), absl::Seconds(30));
}

TEST(RestartBackoffTest, StartsOverAfterAMinuteUp) {
  RestartBackoff backoff;
  for (int i = 0; i < 5; ++i) backoff.NextDelay(absl::Seconds(1));
  EXPECT_EQ(backoff.NextDelay(absl::Seconds(59)), absl::Seconds(16));
  EXPECT_EQ(backoff.NextDelay(absl::Seconds(60)), absl::Milliseconds(500));
  EXPECT_EQ(backoff.NextDelay(absl::Seconds(1)), absl::Seconds(1));
}

}  // namespace
}  // namespace seed::cli
