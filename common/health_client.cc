#include "common/health_client.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/server.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace seed {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Asks until the server answers `wanted` or `timeout` passes.
absl::Status WaitForHealth(const std::string& address,
                           HealthCheckResponse::ServingStatus wanted,
                           absl::Duration timeout,
                           const ChannelSecurity& security) {
  constexpr absl::Duration kRetryEvery = absl::Milliseconds(50);
  const absl::Time deadline = absl::Now() + timeout;
  std::string last_answer = "no answer";
  while (absl::Now() < deadline) {
    // A fresh channel per attempt: a channel that failed to connect backs off
    // for up to minutes before it tries again.
    auto stub = Health::NewStub(MakeChannel(address, security));
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    HealthCheckRequest request;
    HealthCheckResponse response;
    const grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == wanted) {
      return absl::OkStatus();
    }
    last_answer =
        status.ok() ? HealthCheckResponse::ServingStatus_Name(response.status())
                    : status.error_message();
    absl::SleepFor(kRetryEvery);
  }
  return absl::UnavailableError(absl::StrCat(
      "the service at ", address, " did not report ",
      HealthCheckResponse::ServingStatus_Name(wanted), " within ",
      absl::FormatDuration(timeout), " (last answer: ", last_answer, ")"));
}

}  // namespace

absl::Status WaitUntilServing(const std::string& address,
                              absl::Duration timeout,
                              const ChannelSecurity& security) {
  return WaitForHealth(address, HealthCheckResponse::SERVING, timeout,
                       security);
}

absl::Status WaitUntilNotServing(const std::string& address,
                                 absl::Duration timeout,
                                 const ChannelSecurity& security) {
  return WaitForHealth(address, HealthCheckResponse::NOT_SERVING, timeout,
                       security);
}

}  // namespace seed
