// Waits for a service to report SERVING (or NOT_SERVING) over the standard
// gRPC health checking protocol: how `bt serve` and the integration tests
// know a freshly started process is ready, or has noticed it cannot work.
// Thread-safe.
#ifndef SEED_COMMON_HEALTH_CLIENT_H_
#define SEED_COMMON_HEALTH_CLIENT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/channel_security.h"

namespace seed {

// OK once the server at `address` answers SERVING; UNAVAILABLE naming the
// address and the last answer when `timeout` passes first. `security`: the
// channel's credentials (the CA, for a server with TLS).
absl::Status WaitUntilServing(
    const std::string& address, absl::Duration timeout,
    const ChannelSecurity& security = ChannelSecurity::Plain());

// OK once the server at `address` answers NOT_SERVING (a service whose own
// health check fails: common/service_health.h); UNAVAILABLE as
// WaitUntilServing's when `timeout` passes first.
absl::Status WaitUntilNotServing(
    const std::string& address, absl::Duration timeout,
    const ChannelSecurity& security = ChannelSecurity::Plain());

}  // namespace seed

#endif  // SEED_COMMON_HEALTH_CLIENT_H_
