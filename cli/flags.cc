#include "cli/flags.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace seed::cli {

absl::StatusOr<Flags> Flags::Parse(const std::vector<std::string>& args,
                                   const std::set<std::string>& valued,
                                   const std::set<std::string>& switches) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "--")) {
      flags.positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    const size_t equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    if (valued.count(name) > 0) {
      if (!value.has_value()) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("--", name, " needs a value"));
        }
        value = args[++i];
      }
      flags.values_[name] = *value;
    } else if (switches.count(name) > 0 && !value.has_value()) {
      flags.values_[name] = "true";
    } else {
      std::set<std::string> known = valued;
      known.insert(switches.begin(), switches.end());
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown option --", name, known.empty() ? "" : "; this command takes --",
          absl::StrJoin(known, ", --")));
    }
  }
  return flags;
}

std::optional<std::string> Flags::Get(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Flags::GetOr(const std::string& name,
                         const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

bool Flags::Has(const std::string& name) const {
  return values_.count(name) > 0;
}

}  // namespace seed::cli
