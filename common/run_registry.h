// RunRegistry: the table of per-run state that every stage engine keeps,
// keyed by run id (and, where a run has several, the instance: the strategy
// stage keeps one per strategy of a run), with the stage's RUN_EXISTS and
// UNKNOWN_RUN failures, which name the run id itself.
// Thread-safe: a mutex guards the table and each run has its own mutex, so
// calls for one run are serialized while different runs proceed in parallel.
#ifndef SEED_COMMON_RUN_REGISTRY_H_
#define SEED_COMMON_RUN_REGISTRY_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/stage_error.h"

namespace seed {

// State is the run's own (not thread-safe) class; the registry owns it.
template <typename State>
class RunRegistry {
 public:
  // `stage` names the stage in the failures, e.g. "execution".
  explicit RunRegistry(absl::string_view stage) : stage_(stage) {}

  RunRegistry(const RunRegistry&) = delete;
  RunRegistry& operator=(const RunRegistry&) = delete;

  // ALREADY_EXISTS with reason RUN_EXISTS when (run_id, instance) is taken.
  absl::Status Add(const std::string& run_id, std::unique_ptr<State> state,
                   absl::string_view instance = "") {
    absl::MutexLock lock(&mu_);
    if (!runs_.try_emplace(Key(run_id, instance),
                           std::make_shared<Slot>(std::move(state)))
             .second) {
      return StageFailure(
          absl::StatusCode::kAlreadyExists, stage_, "RUN_EXISTS",
          absl::StrCat(Name(run_id, instance), " is already started"),
          {.run_id = run_id, .hint = "end the run first or use a new run id"});
    }
    return absl::OkStatus();
  }

  // Returns fn(State&) -> absl::Status, called under the run's lock; NOT_FOUND
  // with reason UNKNOWN_RUN when the run (instance) is absent.
  template <typename Fn>
  absl::Status With(const std::string& run_id, Fn&& fn,
                    absl::string_view instance = "") {
    return Call(Find(run_id, instance, /*remove=*/false),
                std::forward<Fn>(fn));
  }

  // Like With, but removes the run first, so only one caller ends a run.
  template <typename Fn>
  absl::Status Remove(const std::string& run_id, Fn&& fn,
                      absl::string_view instance = "") {
    return Call(Find(run_id, instance, /*remove=*/true), std::forward<Fn>(fn));
  }

 private:
  struct Slot {
    explicit Slot(std::unique_ptr<State> run) : state(std::move(run)) {}
    absl::Mutex mu;
    std::unique_ptr<State> state ABSL_GUARDED_BY(mu);
  };

  // A NUL cannot appear in a run id, so no two (run, instance) pairs share
  // a key.
  static std::string Key(absl::string_view run_id,
                         absl::string_view instance) {
    return instance.empty() ? std::string(run_id)
                            : absl::StrCat(run_id, std::string(1, '\0'),
                                           instance);
  }

  // "run ID", or "run ID strategy INSTANCE", for messages.
  static std::string Name(absl::string_view run_id,
                          absl::string_view instance) {
    return instance.empty() ? absl::StrCat("run ", run_id)
                            : absl::StrCat("run ", run_id, " strategy ",
                                           instance);
  }

  // Shared so a run stays alive while a call uses it, even if Remove races.
  absl::StatusOr<std::shared_ptr<Slot>> Find(const std::string& run_id,
                                             absl::string_view instance,
                                             bool remove) {
    absl::MutexLock lock(&mu_);
    const auto it = runs_.find(Key(run_id, instance));
    if (it == runs_.end()) {
      return StageFailure(
          absl::StatusCode::kNotFound, stage_, "UNKNOWN_RUN",
          absl::StrCat("no ", Name(run_id, instance), " in ", stage_),
          {.run_id = run_id,
           .hint = "call StartRun first; a run is forgotten after EndRun"});
    }
    std::shared_ptr<Slot> slot = it->second;
    if (remove) runs_.erase(it);
    return slot;
  }

  template <typename Fn>
  static absl::Status Call(absl::StatusOr<std::shared_ptr<Slot>> slot,
                           Fn&& fn) {
    if (!slot.ok()) return slot.status();
    absl::MutexLock lock(&(*slot)->mu);
    return std::forward<Fn>(fn)(*(*slot)->state);
  }

  const std::string stage_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Slot>> runs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace seed

#endif  // SEED_COMMON_RUN_REGISTRY_H_
