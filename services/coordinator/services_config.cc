#include "services/coordinator/services_config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/limits.h"
#include "common/regular_file.h"
#include "common/stage_error.h"
#include "services/coordinator/spec.h"
#include "yaml-cpp/yaml.h"

namespace seed::coordinator {
std::string* AddressOf(ServiceAddresses& addresses, const std::string& name) {
  if (name == "coordinator") return &addresses.coordinator;
  if (name == "data") return &addresses.data;
  if (name == "strategy") return &addresses.strategy;
  if (name == "portfolio") return &addresses.portfolio;
  if (name == "execution") return &addresses.execution;
  if (name == "results") return &addresses.results;
  return nullptr;
}

absl::StatusOr<ServiceAddresses> LoadServiceAddresses(const std::string& path) {
  // A FIFO or a huge file is refused before it is read (a config is a few
  // lines).
  const absl::StatusOr<std::string> text =
      ReadRegularFile(path, limits::kMaxSpecBytes, "services config");
  if (!text.ok()) {
    return StageFailure(text.status().code(), "coordinator",
                        "CONFIG_UNREADABLE",
                        std::string(text.status().message()),
                        {.hint = "pass --config a YAML file of service: "
                                 "host:port lines (deploy/services.yaml)"});
  }
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& error) {
    return InvalidFields(
        "coordinator", "INVALID_CONFIG",
        {{path, absl::StrCat("not valid YAML at line ", error.mark.line + 1,
                             ": ", error.msg)}});
  }
  ServiceAddresses addresses;
  std::vector<FieldProblem> problems;
  if (!root.IsMap()) {
    problems.push_back({path, "must map service names to host:port"});
  } else {
    for (const auto& entry : root) {
      const std::string name = entry.first.Scalar();
      std::string* address = AddressOf(addresses, name);
      if (address == nullptr) {
        problems.push_back(
            {name, absl::StrCat("unknown service; known: ",
                                absl::StrJoin(kServiceNames, ", "))});
      } else if (!entry.second.IsScalar() ||
                 !IsHostPort(entry.second.Scalar())) {
        problems.push_back({name,
                            "must be host:port with a port in 1..65535, e.g. "
                            "127.0.0.1:7101"});
      } else {
        *address = entry.second.Scalar();
      }
    }
    // A service left out would silently take its default address.
    for (const absl::string_view name : kServiceNames) {
      if (!root[std::string(name)]) {
        problems.push_back({std::string(name),
                            "is missing; the file gives every service's "
                            "address (deploy/services.yaml lists them)"});
      }
    }
  }
  if (!problems.empty()) {
    return InvalidFields("coordinator", "INVALID_CONFIG", problems);
  }
  return addresses;
}

std::vector<std::string> ApplyAddressFlags(const std::vector<std::string>& args,
                                           ServiceAddresses* addresses) {
  std::vector<std::string> rest;
  for (const std::string& arg : args) {
    bool used = false;
    for (absl::string_view name : kServiceNames) {
      const std::string prefix = absl::StrCat("--", name, "=");
      if (absl::StartsWith(arg, prefix)) {
        *AddressOf(*addresses, std::string(name)) = arg.substr(prefix.size());
        used = true;
      }
    }
    if (!used) rest.push_back(arg);
  }
  return rest;
}

}  // namespace seed::coordinator
