// The options every server of ours takes, read from the same flags by each
// service's main.cc and by `bt serve` (which passes them on to its
// children): where it listens and how it is secured.
//   --listen=HOST:PORT
//   --tls-cert=FILE --tls-key=FILE --tls-ca=FILE   TLS; the CA verifies
//                          client certificates (the coordinator's)
//   --tokens=FILE          bearer tokens: TOKEN ROLE PRINCIPAL per line
//                          (coordinator and results only)
//   --rate-limit=RATE[,BURST]  calls per second per principal (default 50,100)
//   --insecure             allow plain text on a non-loopback address
//   --metrics-listen=HOST:PORT  Prometheus metrics at http://HOST:PORT/metrics
//   --health-listen=HOST:PORT   grpc.health.v1 alone, in plain text, for
//                          probes that cannot speak TLS (the kubelet's)
// Without TLS a server listens only on loopback, through gRPC's local
// credentials (which refuse other peers). The metrics and health ports may
// be on any address without --insecure: they serve no data and take no
// commands (docs/security.md). Thread-safe: values.
#ifndef SEED_COMMON_SERVER_SECURITY_H_
#define SEED_COMMON_SERVER_SECURITY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/access.h"
#include "common/channel_security.h"
#include "grpcpp/grpcpp.h"

namespace seed {

struct ServerOptions {
  std::string listen;
  TlsFiles tls;
  bool insecure = false;
  // Empty: no metrics endpoint, no health-only port.
  std::string metrics_listen;
  std::string health_listen;
  // Who may call what; Access::Open() (everyone) without TLS and tokens.
  std::shared_ptr<const Access> access = Access::Open();

  bool tls_enabled() const { return tls.any(); }
};

// The flags above that take a value, and the switches (for bt's parser).
inline constexpr absl::string_view kServerValuedFlags[] = {
    "listen", "tls-cert",   "tls-key",        "tls-ca",
    "tokens", "rate-limit", "metrics-listen", "health-listen"};
inline constexpr absl::string_view kServerSwitches[] = {"insecure"};

// The value of --NAME=VALUE or --NAME VALUE in args (the last one given).
std::optional<std::string> FlagValue(const std::vector<std::string>& args,
                                     absl::string_view name);
bool HasSwitch(const std::vector<std::string>& args, absl::string_view name);

// Reads the flags above from args. `service` ("data", ..., "coordinator")
// decides whether --tokens is taken. Checks the TLS files, loads the tokens
// file, and refuses plain text on a non-loopback address unless --insecure,
// and tokens over plain text on a non-loopback address even then. Checks
// that --metrics-listen and --health-listen are HOST:PORT.
absl::StatusOr<ServerOptions> ReadServerOptions(
    const std::vector<std::string>& args, absl::string_view service,
    const std::string& default_listen);

// The credentials StartServer listens with: TLS (client certificates
// requested and verified when offered), local credentials for plain
// loopback, insecure ones only under --insecure. The access processor is
// installed whenever access is enforcing.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const ServerOptions& options);

// One line for the operator saying how the server is secured.
std::string SecurityNotice(const ServerOptions& options);

// The client side of a server's own TLS files, for the calls it makes (the
// coordinator to the stages: its certificate is its client identity).
absl::StatusOr<ChannelSecurity> OutgoingSecurity(const ServerOptions& options);

}  // namespace seed

#endif  // SEED_COMMON_SERVER_SECURITY_H_
