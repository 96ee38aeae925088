// Who may call what: the one place a caller of our gRPC services is
// identified (a bearer token from a tokens file, or the coordinator's client
// certificate) and authorized (the table of method -> roles in access.cc),
// with a token-bucket rate limit per principal. Servers install it as their
// AuthMetadataProcessor (StartServer does), which runs before any handler
// and can refuse a call with any status; services that check ownership ask
// CallerOf() who is calling. docs/security.md has the model. Thread-safe.
#ifndef SEED_COMMON_ACCESS_H_
#define SEED_COMMON_ACCESS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace seed {

// user: submit runs, read and cancel its own. writer: results writes (the
// coordinator's certificate, or research shards with a writer token) and
// reads. admin: everything, everyone's runs.
// kNone: a peer whose certificate is valid but is not the coordinator's;
// it may call nothing but health checks and reflection.
enum class Role { kNone, kUser, kWriter, kAdmin };

absl::string_view RoleName(Role role);

// The URI SAN of the coordinator's certificate (scripts/certs.sh): the only
// identity stage services accept, and a writer at the results service.
inline constexpr absl::string_view kCoordinatorIdentity = "seed:coordinator";
// The principal of a caller identified by the coordinator's certificate.
inline constexpr absl::string_view kCoordinatorPrincipal = "coordinator";
// The principal of every caller when authentication is off (plain loopback
// without a tokens file): the local user, allowed everything.
inline constexpr absl::string_view kLocalPrincipal = "local";

struct Caller {
  std::string principal;
  Role role = Role::kUser;
  // Presented the coordinator's client certificate.
  bool coordinator = false;

  // Admins and writers read every run; a user only its own.
  bool SeesEveryRun() const {
    return role == Role::kAdmin || role == Role::kWriter;
  }
  // May read or cancel runs owned by `owner`.
  bool MayAccessRunOf(absl::string_view owner) const {
    return SeesEveryRun() || (role == Role::kUser && owner == principal);
  }
};

// Calls per second a principal may make, with bursts up to `burst`.
struct RateLimit {
  double per_second = 50;
  double burst = 100;
};

// Parses "RATE[,BURST]" (calls per second; burst defaults to twice the rate);
// "0" turns the limit off.
absl::StatusOr<RateLimit> ParseRateLimit(absl::string_view text);

// Shortest token a tokens file may hold: 128 bits as hex, so guessing is out.
inline constexpr size_t kMinTokenLength = 32;

class Access : public std::enable_shared_from_this<Access> {
 public:
  // Nobody is authenticated: every caller is kLocalPrincipal with the admin
  // role. For plain loopback use and for tests.
  static std::shared_ptr<const Access> Open();

  // Authentication on. `tokens_text` holds one "TOKEN ROLE PRINCIPAL" per line
  // (# comments and blank lines allowed; empty: no tokens, only certificates).
  // Only SHA-256 digests of the tokens are kept. `source` names the file in
  // errors.
  static absl::StatusOr<std::shared_ptr<const Access>> Enforcing(
      absl::string_view tokens_text, absl::string_view source,
      RateLimit rate_limit);

  // Reads a tokens file (see Enforcing); "" means no tokens file.
  static absl::StatusOr<std::shared_ptr<const Access>> EnforcingFromFile(
      const std::string& path, RateLimit rate_limit);

  bool enforcing() const { return enforcing_; }
  bool has_tokens() const { return !tokens_.empty(); }

  // Who makes a call with this `authorization` metadata value (empty when
  // absent) over a connection whose verified peer certificate has
  // `peer_uris` (URI SANs) and `peer_subject` (empty: no certificate).
  // UNAUTHENTICATED when enforcing and neither identifies a caller.
  absl::StatusOr<Caller> Identify(absl::string_view authorization,
                                  const std::vector<std::string>& peer_uris,
                                  absl::string_view peer_subject = "") const;

  // The caller of a call in progress (for ownership checks in handlers): the
  // same answer the processor acted on.
  absl::StatusOr<Caller> CallerOf(const grpc::ServerContext& context) const;

  // OK when `caller` may call `method` ("/backtest.v1.ResultsService/
  // BeginRun"); PERMISSION_DENIED naming the method and the roles that may.
  // Health checks and reflection are open to every caller.
  static absl::Status Authorize(const Caller& caller, absl::string_view method);

  // Whether `method` needs no credentials at all (health, reflection).
  static bool IsOpenMethod(absl::string_view method);

  // Takes one call from the principal's bucket; RESOURCE_EXHAUSTED with how
  // long to wait when it is empty. Certificates and the local user are not
  // limited. `now` is for tests.
  absl::Status TakeRateToken(const Caller& caller,
                             absl::Time now = absl::Now()) const;

  // The processor to install on the server's credentials: identifies,
  // authorizes and rate-limits every call before its handler runs. It keeps
  // this Access alive.
  std::shared_ptr<grpc::AuthMetadataProcessor> MakeProcessor() const;

 private:
  struct Token {
    std::string digest;  // raw SHA-256 of the token
    Role role;
    std::string principal;
  };
  struct Bucket {
    double tokens = 0;
    absl::Time last;
  };

  Access(bool enforcing, std::vector<Token> tokens, RateLimit rate_limit)
      : enforcing_(enforcing),
        tokens_(std::move(tokens)),
        rate_limit_(rate_limit) {}

  const bool enforcing_;
  const std::vector<Token> tokens_;
  const RateLimit rate_limit_;
  mutable absl::Mutex mutex_;
  // One bucket per principal of the tokens file, so the map stays bounded.
  mutable absl::flat_hash_map<std::string, Bucket> buckets_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace seed

#endif  // SEED_COMMON_ACCESS_H_
