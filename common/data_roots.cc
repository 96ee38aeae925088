#include "common/data_roots.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/stage_error.h"
#include "common/text.h"

namespace seed {
namespace {

namespace fs = std::filesystem;

std::string Absolute(absl::string_view path) {
  std::error_code error;
  fs::path absolute = fs::absolute(fs::path(std::string(path)), error);
  if (error) absolute = fs::path("/") / std::string(path);
  return absolute.string();
}

}  // namespace

absl::StatusOr<DataRoots> DataRoots::Parse(absl::string_view list) {
  DataRoots roots;
  for (absl::string_view dir : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    std::error_code error;
    const fs::path canonical = fs::canonical(Absolute(dir), error);
    if (error || !fs::is_directory(canonical)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--data-roots: ", Bounded(dir), " is not a directory",
                       error ? absl::StrCat(" (", error.message(), ")") : ""));
    }
    roots.dirs_.push_back(canonical.string());
  }
  if (roots.dirs_.empty()) {
    return absl::InvalidArgumentError(
        "--data-roots needs at least one directory: DIR[,DIR...]");
  }
  return roots;
}

absl::Status DataRoots::CheckReadable() const {
  const auto unreadable = [](const std::string& dir) {
    return absl::UnavailableError(absl::StrCat(
        "data root ", dir, " cannot be read: ", std::strerror(errno)));
  };
  for (const std::string& dir : dirs_) {
    DIR* listing = opendir(dir.c_str());
    if (listing == nullptr) return unreadable(dir);
    closedir(listing);
    if (access(dir.c_str(), X_OK) != 0) return unreadable(dir);
  }
  return absl::OkStatus();
}

bool DataRoots::Inside(const std::string& canonical) const {
  for (const std::string& dir : dirs_) {
    if (canonical == dir || dir == "/" ||
        absl::StartsWith(canonical, absl::StrCat(dir, "/"))) {
      return true;
    }
  }
  return false;
}

absl::Status DataRoots::Outside(absl::string_view field,
                                absl::string_view path) const {
  return StageFailure(
      absl::StatusCode::kPermissionDenied, "data", kOutsideDataRoots,
      absl::StrCat(field, " '", Bounded(path),
                   "' is outside the data roots this service may read (",
                   Bounded(absl::StrJoin(dirs_, ", ")), ")"),
      {.hint = "use data inside one of them, or ask the operator to add its "
               "directory to --data-roots"});
}

absl::StatusOr<std::string> DataRoots::Resolve(absl::string_view field,
                                               absl::string_view path) const {
  if (!confined()) return std::string(path);
  // The real path of the longest existing prefix, the rest by name: the
  // same judgement for a file that exists and one that does not.
  std::error_code error;
  const fs::path canonical = fs::weakly_canonical(Absolute(path), error);
  if (error || !Inside(canonical.string())) return Outside(field, path);
  return canonical.string();
}

absl::Status DataRoots::CheckLexically(absl::string_view field,
                                       absl::string_view path) const {
  if (!confined()) return absl::OkStatus();
  std::string normal = fs::path(Absolute(path)).lexically_normal().string();
  if (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  if (!Inside(normal)) return Outside(field, path);
  return absl::OkStatus();
}

}  // namespace seed
