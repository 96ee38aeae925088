#include "research/shard.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace seed::research {
namespace {

Environment Env(std::map<std::string, std::string> variables) {
  return [variables](const char* name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ShardTest, ParsesIOfNAndSplitsChildrenByIndexModN) {
  absl::StatusOr<Shard> shard = ParseShard("1/3");
  ASSERT_TRUE(shard.ok()) << shard.status();
  EXPECT_EQ(shard->index, 1);
  EXPECT_EQ(shard->count, 3);
  std::vector<int64_t> owned;
  for (int64_t k = 0; k < 9; ++k) {
    if (shard->Owns(k)) owned.push_back(k);
  }
  EXPECT_EQ(owned, (std::vector<int64_t>{1, 4, 7}));
}

TEST(ShardTest, RefusesMalformedShards) {
  for (const char* text : {"3/3", "-1/2", "1", "a/b", "0/0", "1/2/3", ""}) {
    EXPECT_FALSE(ParseShard(text).ok()) << text;
  }
}

TEST(ShardTest, OutsideASchedulerTheShardIsTheWholeJob) {
  absl::StatusOr<Shard> shard = ShardFromEnvironment(Env({}));
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->index, 0);
  EXPECT_EQ(shard->count, 1);
}

TEST(ShardTest, ReadsASlurmArrayTask) {
  absl::StatusOr<Shard> shard = ShardFromEnvironment(
      Env({{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_COUNT", "24"},
           {"SLURM_ARRAY_TASK_MIN", "0"}, {"SLURM_ARRAY_TASK_MAX", "23"}}));
  ASSERT_TRUE(shard.ok()) << shard.status();
  EXPECT_EQ(shard->index, 5);
  EXPECT_EQ(shard->count, 24);
}

// Resubmitting only some task ids renumbers nothing: task 7 of --array=5,7
// would claim to be one of 2 shards and run the wrong children.
TEST(ShardTest, RefusesASlurmArrayWithGaps) {
  const absl::StatusOr<Shard> shard = ShardFromEnvironment(
      Env({{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_COUNT", "2"},
           {"SLURM_ARRAY_TASK_MIN", "5"}, {"SLURM_ARRAY_TASK_MAX", "7"}}));
  ASSERT_FALSE(shard.ok());
  EXPECT_NE(shard.status().message().find("--array=0-1"), std::string::npos)
      << shard.status();
}

TEST(ShardTest, ReadsAKubernetesIndexedJob) {
  absl::StatusOr<Shard> shard = ShardFromEnvironment(
      Env({{"JOB_COMPLETION_INDEX", "2"}, {"BT_SHARD_COUNT", "4"}}));
  ASSERT_TRUE(shard.ok()) << shard.status();
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 4);
  EXPECT_FALSE(ShardFromEnvironment(Env({{"JOB_COMPLETION_INDEX", "2"}})).ok());
  EXPECT_FALSE(ShardFromEnvironment(
                   Env({{"JOB_COMPLETION_INDEX", "4"}, {"BT_SHARD_COUNT", "4"}}))
                   .ok());
}

TEST(ShardTest, TheFlagWinsOverTheEnvironment) {
  absl::StatusOr<Shard> shard =
      ChooseShard("0/2", Env({{"JOB_COMPLETION_INDEX", "1"},
                              {"BT_SHARD_COUNT", "4"}}));
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->count, 2);
}

}  // namespace
}  // namespace seed::research
