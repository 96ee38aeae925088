// Distributed mode on loopback for integration tests: a services file (the
// format of services/coordinator/services_config.h) that gives every service
// a free port, for `bt serve --config=FILE` to start the services on. Not
// thread-safe.
#ifndef SEED_TESTS_LOOPBACK_SERVICES_H_
#define SEED_TESTS_LOOPBACK_SERVICES_H_

#include <string>

#include "services/coordinator/remote_stages.h"

namespace seed::testing {

// Writes the file at `path`, one "NAME: 127.0.0.1:PORT" line per service;
// the addresses it names. Adds a failure to the test when it cannot write.
coordinator::ServiceAddresses WriteLoopbackServicesConfig(
    const std::string& path);

}  // namespace seed::testing

#endif  // SEED_TESTS_LOOPBACK_SERVICES_H_
