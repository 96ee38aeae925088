// Where each service listens in distributed mode: read from a YAML file
// (deploy/services.yaml is the default layout on loopback) and overridden by
// --data=ADDR style flags. Thread-safe: pure functions.
#ifndef SEED_SERVICES_COORDINATOR_SERVICES_CONFIG_H_
#define SEED_SERVICES_COORDINATOR_SERVICES_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/coordinator/remote_stages.h"

namespace seed::coordinator {

// Every service, in start order: the five stages, then the coordinator that
// needs them. The names of the config keys and of the --NAME=ADDR flags.
inline constexpr absl::string_view kServiceNames[] = {
    "data", "strategy", "portfolio", "execution", "results", "coordinator"};

// The file maps service names to host:port, e.g. "data: 127.0.0.1:7101".
// Unknown names, malformed addresses (a port outside 1..65535) and services
// left out are errors naming the key.
absl::StatusOr<ServiceAddresses> LoadServiceAddresses(const std::string& path);

// Applies "--data=ADDR", "--strategy=ADDR", ... "--coordinator=ADDR" flags
// found in args to *addresses; returns the args it did not use.
std::vector<std::string> ApplyAddressFlags(const std::vector<std::string>& args,
                                           ServiceAddresses* addresses);

// The address of a service by name ("data", ..., "coordinator").
std::string* AddressOf(ServiceAddresses& addresses, const std::string& name);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_SERVICES_CONFIG_H_
