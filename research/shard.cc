#include "research/shard.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/stage_error.h"

namespace seed::research {
namespace {

absl::Status BadShard(absl::string_view field, absl::string_view why) {
  return InvalidFields("bt", "INVALID_SHARD",
                       {{std::string(field), std::string(why)}});
}

// A whole number >= 0 from the environment, or why not.
absl::StatusOr<int64_t> Count(const Environment& environment,
                              const char* name) {
  const std::optional<std::string> text = environment(name);
  int64_t value = 0;
  if (!text.has_value() || !absl::SimpleAtoi(*text, &value) || value < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(name, " must be a whole number >= 0, got ",
                     text.has_value() ? absl::StrCat("'", *text, "'")
                                      : std::string("nothing")));
  }
  return value;
}

}  // namespace

absl::StatusOr<Shard> ParseShard(absl::string_view text) {
  const std::vector<std::string> parts = absl::StrSplit(text, '/');
  Shard shard;
  shard.source = "--shard";
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &shard.index) ||
      !absl::SimpleAtoi(parts[1], &shard.count) || shard.count < 1 ||
      shard.index < 0 || shard.index >= shard.count) {
    return BadShard("--shard",
                    absl::StrCat("must be I/N with 0 <= I < N (shard I of N), "
                                 "e.g. 0/4; got '",
                                 text, "'"));
  }
  return shard;
}

absl::StatusOr<Shard> ShardFromEnvironment(const Environment& environment) {
  if (environment("SLURM_ARRAY_TASK_ID").has_value()) {
    absl::StatusOr<int64_t> id = Count(environment, "SLURM_ARRAY_TASK_ID");
    absl::StatusOr<int64_t> count =
        Count(environment, "SLURM_ARRAY_TASK_COUNT");
    absl::StatusOr<int64_t> min = Count(environment, "SLURM_ARRAY_TASK_MIN");
    absl::StatusOr<int64_t> max = Count(environment, "SLURM_ARRAY_TASK_MAX");
    for (const auto* value : {&id, &count, &min, &max}) {
      if (!value->ok()) return value->status();
    }
    if (*min != 0 || *max != *count - 1 || *id > *max) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this Slurm array's tasks are ", *min, "..", *max, " (", *count,
          " tasks): a sweep's shards need --array=0-", *count - 1,
          " with no gaps, so that task I is shard I of N; resubmit the whole "
          "range with the same --job (stored children are skipped)"));
    }
    return Shard{*id, *count, "Slurm array task"};
  }
  if (environment("JOB_COMPLETION_INDEX").has_value()) {
    absl::StatusOr<int64_t> index = Count(environment, "JOB_COMPLETION_INDEX");
    if (!index.ok()) return index.status();
    if (!environment("BT_SHARD_COUNT").has_value()) {
      return absl::FailedPreconditionError(
          "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but "
          "BT_SHARD_COUNT is not: set it to the Job's completions");
    }
    absl::StatusOr<int64_t> count = Count(environment, "BT_SHARD_COUNT");
    if (!count.ok()) return count.status();
    if (*count < 1 || *index >= *count) {
      return absl::FailedPreconditionError(absl::StrCat(
          "JOB_COMPLETION_INDEX ", *index, " is not below BT_SHARD_COUNT ",
          *count));
    }
    return Shard{*index, *count, "Kubernetes Indexed Job"};
  }
  return Shard{};
}

absl::StatusOr<Shard> ChooseShard(const std::optional<std::string>& flag,
                                  const Environment& environment) {
  if (flag.has_value()) return ParseShard(*flag);
  return ShardFromEnvironment(environment);
}

}  // namespace seed::research
