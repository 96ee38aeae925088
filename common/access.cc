#include "common/access.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/text.h"
#include "common/logging.h"
#include "common/sha256.h"

namespace seed {
namespace {

constexpr absl::string_view kAuthorizationKey = "authorization";
constexpr absl::string_view kPathKey = ":path";
constexpr absl::string_view kBearerPrefix = "bearer ";
constexpr absl::string_view kTokenHint =
    "send a bearer token (bt: --token-file FILE or $BT_TOKEN_FILE; other "
    "clients: metadata 'authorization: Bearer TOKEN') issued in this "
    "service's --tokens file";

// Who may call each method. A method missing here is refused (fail closed).
enum RoleBit : uint8_t { kUserBit = 1, kWriterBit = 2, kAdminBit = 4 };
constexpr uint8_t kAnyRole = kUserBit | kWriterBit | kAdminBit;
constexpr uint8_t kUsers = kUserBit | kAdminBit;
constexpr uint8_t kWriters = kWriterBit | kAdminBit;

struct MethodRule {
  absl::string_view method;  // full name, or a service prefix ending in '/'
  uint8_t roles;             // 0: only the coordinator's certificate
};

// Stage services take calls from the coordinator only: its certificate is
// the one identity they accept (an admin token is no substitute). Run
// ownership (a user's own runs only) is checked by the services themselves
// with CallerOf, since it depends on the run.
constexpr MethodRule kMethodRules[] = {
    {"/backtest.v1.CoordinatorService/ValidateSpec", kUsers},
    {"/backtest.v1.CoordinatorService/SubmitRun", kUsers},
    {"/backtest.v1.CoordinatorService/WatchRun", kUsers},
    {"/backtest.v1.CoordinatorService/CancelRun", kUsers},
    {"/backtest.v1.ResultsService/BeginRun", kWriters},
    {"/backtest.v1.ResultsService/AppendRecords", kWriters},
    {"/backtest.v1.ResultsService/FinishRun", kWriters},
    {"/backtest.v1.ResultsService/StoreTrace", kWriters},
    {"/backtest.v1.ResultsService/UpdateRun", kWriters},
    {"/backtest.v1.ResultsService/CreateJob", kWriters},
    {"/backtest.v1.ResultsService/StoreJobResult", kWriters},
    {"/backtest.v1.ResultsService/ListRuns", kAnyRole},
    {"/backtest.v1.ResultsService/GetRun", kAnyRole},
    {"/backtest.v1.ResultsService/ListRunRecords", kAnyRole},
    {"/backtest.v1.ResultsService/GetTrace", kAnyRole},
    {"/backtest.v1.ResultsService/GetJob", kAnyRole},
    {"/backtest.v1.ResultsService/ListJobs", kAnyRole},
    {"/backtest.v1.DataService/", 0},
    {"/backtest.v1.StrategyService/", 0},
    {"/backtest.v1.PortfolioService/", 0},
    {"/backtest.v1.ExecutionService/", 0},
};

// Open to anyone: whether a service is up, and its (public) API.
constexpr absl::string_view kOpenPrefixes[] = {
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
};

uint8_t RoleBitOf(Role role) {
  switch (role) {
    case Role::kNone:
      return 0;
    case Role::kUser:
      return kUserBit;
    case Role::kWriter:
      return kWriterBit;
    case Role::kAdmin:
      return kAdminBit;
  }
  return 0;
}

std::string RolesAllowed(uint8_t roles) {
  std::vector<std::string> names;
  for (Role role : {Role::kUser, Role::kWriter, Role::kAdmin}) {
    if (roles & RoleBitOf(role)) names.emplace_back(RoleName(role));
  }
  return absl::StrJoin(names, " or ");
}

// Constant time in the contents (both digests have the same length).
bool DigestsEqual(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

bool ValidPrincipal(absl::string_view name) {
  return !name.empty() && name.size() <= 128 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-' ||
                  c == '@';
         });
}

std::string ValueOf(grpc::string_ref ref) {
  return std::string(ref.data(), ref.size());
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

// What a verified peer certificate says about its holder.
struct PeerCertificate {
  std::vector<std::string> uris;
  std::string subject;  // empty: no certificate
};

PeerCertificate PeerOf(const grpc::AuthContext& context) {
  PeerCertificate peer;
  for (const grpc::string_ref& uri :
       context.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    peer.uris.push_back(ValueOf(uri));
  }
  for (const grpc::string_ref& subject :
       context.FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) {
    peer.subject = ValueOf(subject);
  }
  return peer;
}

class Processor final : public grpc::AuthMetadataProcessor {
 public:
  explicit Processor(std::shared_ptr<const Access> access)
      : access_(std::move(access)) {}

  // Hash lookups and a mutex: cheap enough to run on the call's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata,
                       grpc::AuthContext* context, OutputMetadata*,
                       OutputMetadata*) override {
    std::string method;
    std::string authorization;
    for (const auto& [key, value] : metadata) {
      const absl::string_view name(key.data(), key.size());
      if (name == kPathKey) method = ValueOf(value);
      if (name == kAuthorizationKey) authorization = ValueOf(value);
    }
    if (Access::IsOpenMethod(method)) return grpc::Status::OK;
    const PeerCertificate peer = PeerOf(*context);
    absl::StatusOr<Caller> caller =
        access_->Identify(authorization, peer.uris, peer.subject);
    absl::Status status = caller.status();
    if (status.ok()) status = Access::Authorize(*caller, method);
    if (status.ok()) status = access_->TakeRateToken(*caller);
    if (status.ok()) return grpc::Status::OK;
    LogEvent(LogLevel::kWarning, "call refused",
             {.extra = {{"event", "call_refused"},
                        {"method", Bounded(method)},
                        {"principal", caller.ok() ? caller->principal : ""},
                        {"code", absl::StatusCodeToString(status.code())}}});
    return ToGrpc(status);
  }

 private:
  std::shared_ptr<const Access> access_;
};

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kNone:
      return "none";
    case Role::kUser:
      return "user";
    case Role::kWriter:
      return "writer";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<RateLimit> ParseRateLimit(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  RateLimit limit;
  const bool rate_ok = absl::SimpleAtod(parts[0], &limit.per_second) &&
                       std::isfinite(limit.per_second) && limit.per_second >= 0;
  limit.burst = 2 * limit.per_second;
  const bool burst_ok =
      parts.size() == 1 ||
      (parts.size() == 2 && absl::SimpleAtod(parts[1], &limit.burst) &&
       std::isfinite(limit.burst) && limit.burst >= 1);
  if (!rate_ok || !burst_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rate-limit must be RATE[,BURST] (calls per second per principal, "
        "burst >= 1; 0 turns it off), got \"",
        Bounded(text), "\""));
  }
  return limit;
}

std::shared_ptr<const Access> Access::Open() {
  return std::shared_ptr<const Access>(new Access(false, {}, RateLimit{0, 0}));
}

absl::StatusOr<std::shared_ptr<const Access>> Access::Enforcing(
    absl::string_view tokens_text, absl::string_view source,
    RateLimit rate_limit) {
  std::vector<Token> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(tokens_text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const auto fail = [&](absl::string_view what) {
      // Never quote the line: it holds a secret.
      return absl::InvalidArgumentError(
          absl::StrCat(source, " line ", line_number, ": ", what,
                       "; each line is TOKEN ROLE PRINCIPAL"));
    };
    if (fields.size() != 3) return fail("expected 3 fields");
    Token token;
    if (fields[1] == "user") {
      token.role = Role::kUser;
    } else if (fields[1] == "writer") {
      token.role = Role::kWriter;
    } else if (fields[1] == "admin") {
      token.role = Role::kAdmin;
    } else {
      return fail("the role must be user, writer or admin");
    }
    if (fields[0].size() < kMinTokenLength) {
      return fail(absl::StrCat("the token is shorter than ", kMinTokenLength,
                               " characters (make one with: openssl rand "
                               "-hex 32)"));
    }
    if (!ValidPrincipal(fields[2]) || fields[2] == kCoordinatorPrincipal ||
        fields[2] == kLocalPrincipal) {
      return fail(absl::StrCat(
          "the principal must be letters, digits, '.', '_', '-' or '@', and "
          "neither ",
          kCoordinatorPrincipal, " nor ", kLocalPrincipal));
    }
    token.digest = Sha256Hex(fields[0]);
    token.principal = std::string(fields[2]);
    for (const Token& other : tokens) {
      if (other.digest == token.digest) return fail("the token repeats");
    }
    tokens.push_back(std::move(token));
  }
  return std::shared_ptr<const Access>(
      new Access(true, std::move(tokens), rate_limit));
}

absl::StatusOr<std::shared_ptr<const Access>> Access::EnforcingFromFile(
    const std::string& path, RateLimit rate_limit) {
  if (path.empty()) return Enforcing("", "", rate_limit);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "cannot read the tokens file ", path,
        ": it must hold one TOKEN ROLE PRINCIPAL line per client"));
  }
  return Enforcing(text.str(), path, rate_limit);
}

absl::StatusOr<Caller> Access::Identify(
    absl::string_view authorization, const std::vector<std::string>& peer_uris,
    absl::string_view peer_subject) const {
  if (!enforcing_) return Caller{std::string(kLocalPrincipal), Role::kAdmin};
  if (!authorization.empty()) {
    std::string scheme(authorization.substr(
        0, std::min(authorization.size(), kBearerPrefix.size())));
    absl::AsciiStrToLower(&scheme);
    if (scheme != kBearerPrefix) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the authorization metadata is not 'Bearer TOKEN'; ", kTokenHint));
    }
    const std::string digest = Sha256Hex(
        absl::StripAsciiWhitespace(authorization.substr(kBearerPrefix.size())));
    // Every entry is compared, so the time taken does not say which matched.
    const Token* found = nullptr;
    for (const Token& token : tokens_) {
      if (DigestsEqual(token.digest, digest)) found = &token;
    }
    if (found == nullptr) {
      return absl::UnauthenticatedError(absl::StrCat(
          "the bearer token is unknown or revoked at this service; ",
          kTokenHint));
    }
    return Caller{found->principal, found->role};
  }
  if (std::find(peer_uris.begin(), peer_uris.end(), kCoordinatorIdentity) !=
      peer_uris.end()) {
    return Caller{std::string(kCoordinatorPrincipal), Role::kWriter, true};
  }
  if (!peer_subject.empty()) {
    // Signed by our CA, but not the coordinator: known, and allowed nothing.
    return Caller{absl::StrCat("certificate '", Bounded(peer_subject), "'"),
                  Role::kNone};
  }
  return absl::UnauthenticatedError(absl::StrCat(
      "no credentials: this service takes a bearer token or, for its "
      "internal methods, the coordinator's client certificate (URI SAN ",
      kCoordinatorIdentity, "); ", kTokenHint));
}

absl::StatusOr<Caller> Access::CallerOf(
    const grpc::ServerContext& context) const {
  if (!enforcing_) return Identify("", {});
  std::string authorization;
  const auto& metadata = context.client_metadata();
  if (const auto it = metadata.find(std::string(kAuthorizationKey));
      it != metadata.end()) {
    authorization = ValueOf(it->second);
  }
  PeerCertificate peer;
  if (const std::shared_ptr<const grpc::AuthContext> auth =
          context.auth_context();
      auth != nullptr) {
    peer = PeerOf(*auth);
  }
  return Identify(authorization, peer.uris, peer.subject);
}

bool Access::IsOpenMethod(absl::string_view method) {
  return std::any_of(std::begin(kOpenPrefixes), std::end(kOpenPrefixes),
                     [method](absl::string_view prefix) {
                       return absl::StartsWith(method, prefix);
                     });
}

absl::Status Access::Authorize(const Caller& caller, absl::string_view method) {
  if (IsOpenMethod(method)) return absl::OkStatus();
  for (const MethodRule& rule : kMethodRules) {
    const bool matches = absl::EndsWith(rule.method, "/")
                             ? absl::StartsWith(method, rule.method)
                             : method == rule.method;
    if (!matches) continue;
    if (rule.roles == 0) {
      if (caller.coordinator) return absl::OkStatus();
      return absl::PermissionDeniedError(absl::StrCat(
          Bounded(method), " is internal: the stage services accept only the ",
          "coordinator's client certificate (URI SAN ", kCoordinatorIdentity,
          "), not ", caller.principal));
    }
    if (rule.roles & RoleBitOf(caller.role)) return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat(
        Bounded(method), " needs the role ", RolesAllowed(rule.roles), "; ",
        caller.principal, " has the role ", RoleName(caller.role)));
  }
  return absl::PermissionDeniedError(
      absl::StrCat(Bounded(method), " is not a method this service offers"));
}

absl::Status Access::TakeRateToken(const Caller& caller, absl::Time now) const {
  if (!enforcing_ || caller.coordinator || rate_limit_.per_second <= 0) {
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mutex_);
  auto [it, added] = buckets_.try_emplace(caller.principal);
  Bucket& bucket = it->second;
  if (added) {
    bucket.tokens = rate_limit_.burst;
  } else {
    const double refill =
        absl::ToDoubleSeconds(now - bucket.last) * rate_limit_.per_second;
    bucket.tokens = std::min(rate_limit_.burst, bucket.tokens + refill);
  }
  bucket.last = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::OkStatus();
  }
  const absl::Duration wait =
      absl::Seconds((1 - bucket.tokens) / rate_limit_.per_second);
  return absl::ResourceExhaustedError(absl::StrCat(
      "rate limit of ", rate_limit_.per_second, " calls/s (burst ",
      rate_limit_.burst, ") reached for ", caller.principal, "; retry in ",
      absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1)))));
}

std::shared_ptr<grpc::AuthMetadataProcessor> Access::MakeProcessor() const {
  return std::make_shared<Processor>(shared_from_this());
}

}  // namespace seed
