// Addresses a server of ours listens on ("HOST:PORT"): checking a flag's
// value, and telling "port in use" apart from other failures to listen.
// Thread-safe: pure functions.
#ifndef SEED_COMMON_LISTEN_ADDRESS_H_
#define SEED_COMMON_LISTEN_ADDRESS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace seed {

// OK when `address` is HOST:PORT (an IPv6 host in brackets) with a port in
// 0..65535 (0: any free port); otherwise INVALID_ARGUMENT naming `flag`
// ("--metrics-listen") and what was given.
absl::Status CheckListenAddress(absl::string_view flag,
                                absl::string_view address);

// Whether another socket holds the port of `address` (bind() fails with
// EADDRINUSE), where gRPC and civetweb only say they could not listen.
bool PortInUse(const std::string& address);

}  // namespace seed

#endif  // SEED_COMMON_LISTEN_ADDRESS_H_
