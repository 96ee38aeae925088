// How our clients reach our services: the credentials of a channel (TLS with
// the CA that signed the servers' certificates, optionally a client
// certificate, and a bearer token), and which addresses count as loopback.
// A token is sent over TLS, or in plain text only to a loopback address
// (gRPC's local credentials, which refuse any other peer). Certificate files
// are re-read every kCertificateRefresh, so rotated files take effect without
// a restart. Thread-safe: a ChannelSecurity is immutable once made.
#ifndef SEED_COMMON_CHANNEL_SECURITY_H_
#define SEED_COMMON_CHANNEL_SECURITY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/tls_certificate_provider.h"

namespace seed {

// How often servers and clients re-read their certificate files.
inline constexpr absl::Duration kCertificateRefresh = absl::Seconds(60);

// PEM files of one process's TLS identity and trust.
struct TlsFiles {
  std::string cert;  // this process's certificate (chain)
  std::string key;   // its private key
  std::string ca;    // the CA bundle that verifies peers

  bool any() const { return !cert.empty() || !key.empty() || !ca.empty(); }
};

// OK when each named file can be read and looks like PEM of its kind;
// otherwise INVALID_ARGUMENT naming the flag and the file.
absl::Status CheckTlsFiles(const TlsFiles& files);

// A provider that watches `files` (identity only when cert and key are set).
std::shared_ptr<grpc::experimental::CertificateProviderInterface> WatchTlsFiles(
    const TlsFiles& files);

// Whether host:port names this machine's loopback: 127.0.0.0/8, ::1 (also as
// [::1]) or localhost.
bool IsLoopbackAddress(absl::string_view address);

struct ChannelSecurity {
  // TLS when set: verifies servers with the CA, and presents the
  // certificate when one is set (the coordinator towards the stages).
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> tls;
  bool client_certificate = false;
  // Sent as "authorization: Bearer TOKEN" on every call when not empty.
  std::string token;

  // Plain text, no token: today's loopback default.
  static ChannelSecurity Plain() { return {}; }
};

// The client side of `files` (ca required; cert and key together) and
// `token`; plain text when `files` names nothing.
absl::StatusOr<ChannelSecurity> MakeChannelSecurity(const TlsFiles& files,
                                                    std::string token);

// bt's flags --tls-ca, --tls-cert, --tls-key and --token-file (else
// $BT_TOKEN_FILE): `flag` returns a flag's value when given.
absl::StatusOr<ChannelSecurity> ReadClientSecurity(
    const std::function<std::optional<std::string>(const std::string&)>& flag);

// FAILED_PRECONDITION when `security` would send its token in plain text to
// `address` (not loopback): the token never leaves in the clear.
absl::Status CheckChannelSecurity(const std::string& address,
                                  const ChannelSecurity& security);

// The credentials for a channel to `address`. A token over plain text goes
// only to loopback (CheckChannelSecurity first); elsewhere it is left off.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(
    const std::string& address, const ChannelSecurity& security);

}  // namespace seed

#endif  // SEED_COMMON_CHANNEL_SECURITY_H_
