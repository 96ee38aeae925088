#include "tests/loopback_services.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/coordinator/services_config.h"
#include "tests/child_process.h"

namespace seed::testing {

coordinator::ServiceAddresses WriteLoopbackServicesConfig(
    const std::string& path) {
  coordinator::ServiceAddresses addresses;
  std::ofstream config(path);
  for (const absl::string_view service : coordinator::kServiceNames) {
    const std::string name(service);
    const std::string address = absl::StrCat("127.0.0.1:", FreePort());
    config << name << ": " << address << "\n";
    *coordinator::AddressOf(addresses, name) = address;
  }
  config.close();
  EXPECT_TRUE(config.good()) << "cannot write " << path;
  return addresses;
}

}  // namespace seed::testing
