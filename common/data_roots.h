// The directories a data service may read (--data-roots DIR[,DIR...]). A
// path is judged by its canonical real path (symlinks followed), so no link
// or ".." leads out; a path outside fails PERMISSION_DENIED with reason
// OUTSIDE_DATA_ROOTS and the same message whether or not it exists, so the
// answer says nothing about files outside. Unconfined (no roots) is for
// embedded runs on the user's own machine. Thread-safe: immutable.
#ifndef SEED_COMMON_DATA_ROOTS_H_
#define SEED_COMMON_DATA_ROOTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed {

inline constexpr absl::string_view kOutsideDataRoots = "OUTSIDE_DATA_ROOTS";

class DataRoots {
 public:
  // Unconfined: every path may be read.
  DataRoots() = default;

  // "DIR[,DIR...]": each must be an existing directory (INVALID_ARGUMENT
  // naming --data-roots otherwise); kept as canonical real paths.
  static absl::StatusOr<DataRoots> Parse(absl::string_view list);

  bool confined() const { return !dirs_.empty(); }

  // OK when this process can list and enter every root (the data service's
  // health); UNAVAILABLE naming the first that it cannot, and why (gone,
  // permissions). Unconfined: OK.
  absl::Status CheckReadable() const;
  const std::vector<std::string>& dirs() const { return dirs_; }

  // The canonical real path of `path` (relative paths against the working
  // directory) when it lies inside a root, to be read instead of `path`;
  // `path` itself when unconfined. `field` names the request field in the
  // error ("data.path").
  absl::StatusOr<std::string> Resolve(absl::string_view field,
                                      absl::string_view path) const;

  // The same judgement without touching the file system (".." resolved by
  // name only): for the coordinator, which may not see the data's files.
  // The data service's Resolve stays the one that counts.
  absl::Status CheckLexically(absl::string_view field,
                              absl::string_view path) const;

 private:
  bool Inside(const std::string& canonical) const;
  absl::Status Outside(absl::string_view field, absl::string_view path) const;

  std::vector<std::string> dirs_;
};

}  // namespace seed

#endif  // SEED_COMMON_DATA_ROOTS_H_
