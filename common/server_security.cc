#include "common/server_security.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/listen_address.h"
#include "common/metrics.h"
#include "common/text.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace seed {
namespace {

constexpr absl::string_view kFlagsHint =
    "--tls-cert=FILE --tls-key=FILE --tls-ca=FILE (scripts/certs.sh makes "
    "them; docs/security.md)";

bool TakesTokens(absl::string_view service) {
  return service == "coordinator" || service == "results";
}

}  // namespace

std::optional<std::string> FlagValue(const std::vector<std::string>& args,
                                     absl::string_view name) {
  const std::string flag = absl::StrCat("--", name);
  std::optional<std::string> value;
  for (size_t i = 0; i < args.size(); ++i) {
    if (absl::StartsWith(args[i], flag + "=")) {
      value = args[i].substr(flag.size() + 1);
    } else if (args[i] == flag && i + 1 < args.size()) {
      value = args[++i];
    }
  }
  return value;
}

bool HasSwitch(const std::vector<std::string>& args, absl::string_view name) {
  const std::string flag = absl::StrCat("--", name);
  return std::find(args.begin(), args.end(), flag) != args.end();
}

absl::StatusOr<ServerOptions> ReadServerOptions(
    const std::vector<std::string>& args, absl::string_view service,
    const std::string& default_listen) {
  ServerOptions options;
  options.listen = FlagValue(args, "listen").value_or(default_listen);
  options.tls = {FlagValue(args, "tls-cert").value_or(""),
                 FlagValue(args, "tls-key").value_or(""),
                 FlagValue(args, "tls-ca").value_or("")};
  options.insecure = HasSwitch(args, "insecure");
  options.metrics_listen = FlagValue(args, "metrics-listen").value_or("");
  if (!options.metrics_listen.empty()) {
    if (absl::Status status = metrics::CheckMetricsAddress(
            "--metrics-listen", options.metrics_listen);
        !status.ok()) {
      return status;
    }
  }
  options.health_listen = FlagValue(args, "health-listen").value_or("");
  if (!options.health_listen.empty()) {
    if (absl::Status status =
            CheckListenAddress("--health-listen", options.health_listen);
        !status.ok()) {
      return status;
    }
  }
  const std::string tokens = FlagValue(args, "tokens").value_or("");
  if (!tokens.empty() && !TakesTokens(service)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tokens is for the coordinator and results services; the ", service,
        " service accepts only the coordinator's client certificate"));
  }
  RateLimit rate_limit;
  if (const auto text = FlagValue(args, "rate-limit")) {
    absl::StatusOr<RateLimit> parsed = ParseRateLimit(*text);
    if (!parsed.ok()) return parsed.status();
    rate_limit = *parsed;
  }
  if (options.tls_enabled()) {
    if (options.tls.cert.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a server with TLS needs its certificate: ", kFlagsHint));
    }
    if (absl::Status status = CheckTlsFiles(options.tls); !status.ok()) {
      return status;
    }
  } else if (!IsLoopbackAddress(options.listen)) {
    if (!options.insecure) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing to listen on ", Bounded(options.listen),
          " without TLS: it is not a loopback address. Pass ", kFlagsHint,
          ", or --insecure to accept plain text anyway"));
    }
    if (!tokens.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing bearer tokens over plain text on ", Bounded(options.listen),
          " (not loopback): they would cross the network in the clear. Pass ",
          kFlagsHint));
    }
  }
  if (options.tls_enabled() || !tokens.empty()) {
    absl::StatusOr<std::shared_ptr<const Access>> access =
        Access::EnforcingFromFile(tokens, rate_limit);
    if (!access.ok()) return access.status();
    options.access = *std::move(access);
  }
  return options;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    const ServerOptions& options) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options.tls_enabled()) {
    grpc::experimental::TlsServerCredentialsOptions tls(
        WatchTlsFiles(options.tls));
    tls.watch_identity_key_cert_pairs();
    tls.watch_root_certs();
    // Offered client certificates must chain to the CA; who may do what
    // with one is Access's call (stage services require the coordinator's).
    tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    credentials = grpc::experimental::TlsServerCredentials(tls);
  } else if (IsLoopbackAddress(options.listen)) {
    credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  } else {
    return grpc::InsecureServerCredentials();  // --insecure, no tokens
  }
  if (options.access->enforcing()) {
    credentials->SetAuthMetadataProcessor(options.access->MakeProcessor());
  }
  return credentials;
}

std::string SecurityNotice(const ServerOptions& options) {
  if (options.tls_enabled()) {
    return absl::StrCat(
        "TLS on (certificates re-read every ",
        absl::FormatDuration(kCertificateRefresh), "); ",
        options.access->has_tokens()
            ? "bearer tokens and the coordinator's certificate checked"
            : "only the coordinator's client certificate accepted");
  }
  if (!IsLoopbackAddress(options.listen)) {
    return "WARNING: --insecure: plain text WITHOUT TLS OR AUTHENTICATION on "
           "a network address; anyone who reaches it can use and read it";
  }
  if (options.access->enforcing()) {
    return "without TLS, loopback only; bearer tokens checked";
  }
  return absl::StrCat(
      "without TLS or authentication, loopback only: for local use (",
      kFlagsHint, " and --tokens=FILE secure it)");
}

absl::StatusOr<ChannelSecurity> OutgoingSecurity(const ServerOptions& options) {
  return MakeChannelSecurity(options.tls, "");
}

}  // namespace seed
