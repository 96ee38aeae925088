// Which of a job's children this process runs: shard I of N owns the
// children whose index k has k mod N = I, so N shards split a job exactly
// and a shard re-run does the same children again (DESIGN.md section 8).
// The shard comes from --shard I/N, else from the cluster scheduler's
// environment: a Slurm job array (SLURM_ARRAY_TASK_ID of
// SLURM_ARRAY_TASK_COUNT tasks, numbered from SLURM_ARRAY_TASK_MIN = 0) or a
// Kubernetes Indexed Job (JOB_COMPLETION_INDEX of BT_SHARD_COUNT, which the
// Job sets to its completions). Thread-safe: pure functions.
#ifndef SEED_RESEARCH_SHARD_H_
#define SEED_RESEARCH_SHARD_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed::research {

struct Shard {
  int64_t index = 0;
  int64_t count = 1;
  // Where it came from, for messages: "--shard", "Slurm array task", ...
  std::string source = "one shard";

  bool Owns(int64_t child_index) const { return child_index % count == index; }
};

// "I/N" with 0 <= I < N. INVALID_ARGUMENT naming --shard otherwise.
absl::StatusOr<Shard> ParseShard(absl::string_view text);

// The variable's value, or nothing when unset (std::getenv by default).
using Environment = std::function<std::optional<std::string>(const char*)>;

// The shard of a scheduler's task from `environment`, or the whole job (0 of
// 1) outside one. A Slurm array must number its tasks 0..N-1 with no gaps
// (resubmit the whole range, not single ids, so that the shards stay those
// of the job): anything else is FAILED_PRECONDITION saying so.
absl::StatusOr<Shard> ShardFromEnvironment(const Environment& environment);

// --shard when given, else the environment's.
absl::StatusOr<Shard> ChooseShard(const std::optional<std::string>& flag,
                                  const Environment& environment);

}  // namespace seed::research

#endif  // SEED_RESEARCH_SHARD_H_
