// Command-line arguments of bt: positionals plus --name=value, --name value
// and bare --switch forms. Not thread-safe; built once per command.
#ifndef SEED_CLI_FLAGS_H_
#define SEED_CLI_FLAGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace seed::cli {

class Flags {
 public:
  // `valued` names the flags that take a value; `switches` those that do not.
  // Anything else starting with "--" is an error naming the allowed flags.
  static absl::StatusOr<Flags> Parse(const std::vector<std::string>& args,
                                     const std::set<std::string>& valued,
                                     const std::set<std::string>& switches);

  const std::vector<std::string>& positional() const { return positional_; }
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  bool Has(const std::string& name) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
};

}  // namespace seed::cli

#endif  // SEED_CLI_FLAGS_H_
