#include "common/version.h"

#include "absl/strings/str_cat.h"
#include "common/build_info.h"

namespace seed {

std::string EngineVersion() {
  return absl::StrCat(kEngineVersion, "+", kSourceRevision);
}

}  // namespace seed
