#include "common/channel_security.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/bounded_text.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace seed {
namespace {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", Bounded(path)));
  }
  return text.str();
}

absl::Status CheckPem(const std::string& path, absl::string_view flag,
                      absl::string_view marker) {
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = ReadSmallFile(path, flag);
  if (!text.ok()) return text.status();
  if (!absl::StrContains(*text, marker)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", Bounded(path), " holds no PEM block with '",
                     marker, "' (scripts/certs.sh makes the files)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const TlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: a certificate and its key");
  }
  if (files.ca.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs --tls-ca=FILE, the CA bundle that verifies peers "
        "(scripts/certs.sh writes ca.crt)");
  }
  for (const absl::Status& status :
       {CheckPem(files.cert, "--tls-cert", "CERTIFICATE"),
        CheckPem(files.key, "--tls-key", "PRIVATE KEY"),
        CheckPem(files.ca, "--tls-ca", "CERTIFICATE")}) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::experimental::CertificateProviderInterface> WatchTlsFiles(
    const TlsFiles& files) {
  const auto refresh =
      static_cast<unsigned int>(absl::ToInt64Seconds(kCertificateRefresh));
  if (files.cert.empty()) {
    return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        files.ca, refresh);
  }
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.ca, refresh);
}

bool IsLoopbackAddress(absl::string_view address) {
  absl::string_view host = address;
  if (const size_t colon = address.rfind(':');
      colon != absl::string_view::npos &&
      (absl::StartsWith(address, "[") || address.find(':') == colon)) {
    host = address.substr(0, colon);
  }
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::StatusOr<ChannelSecurity> MakeChannelSecurity(const TlsFiles& files,
                                                    std::string token) {
  ChannelSecurity security;
  security.token = std::move(token);
  if (!files.any()) return security;
  if (absl::Status status = CheckTlsFiles(files); !status.ok()) return status;
  security.tls = WatchTlsFiles(files);
  security.client_certificate = !files.cert.empty();
  return security;
}

absl::StatusOr<ChannelSecurity> ReadClientSecurity(
    const std::function<std::optional<std::string>(const std::string&)>& flag) {
  TlsFiles files{flag("tls-cert").value_or(""), flag("tls-key").value_or(""),
                 flag("tls-ca").value_or("")};
  std::string token;
  std::optional<std::string> token_file = flag("token-file");
  absl::string_view source = "--token-file";
  if (!token_file.has_value()) {
    if (const char* env = std::getenv("BT_TOKEN_FILE");
        env != nullptr && *env != '\0') {
      token_file = env;
      source = "$BT_TOKEN_FILE";
    }
  }
  if (token_file.has_value()) {
    absl::StatusOr<std::string> text = ReadSmallFile(*token_file, source);
    if (!text.ok()) return text.status();
    token = std::string(absl::StripAsciiWhitespace(*text));
    if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": ", Bounded(*token_file),
                       " must hold the token alone on one line"));
    }
  }
  return MakeChannelSecurity(files, std::move(token));
}

absl::Status CheckChannelSecurity(const std::string& address,
                                  const ChannelSecurity& security) {
  if (security.token.empty() || security.tls != nullptr ||
      IsLoopbackAddress(address)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to send the bearer token in plain text to ", Bounded(address),
      ", which is not a loopback address: pass --tls-ca=FILE (the CA of the "
      "services' certificates) to use TLS"));
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(
    const std::string& address, const ChannelSecurity& security) {
  std::shared_ptr<grpc::ChannelCredentials> channel;
  if (security.tls != nullptr) {
    grpc::experimental::TlsChannelCredentialsOptions options;
    options.set_certificate_provider(security.tls);
    options.watch_root_certs();
    if (security.client_certificate) options.watch_identity_key_cert_pairs();
    channel = grpc::experimental::TlsCredentials(options);
  } else if (!security.token.empty() && IsLoopbackAddress(address)) {
    // Local credentials: plain text that gRPC refuses to use with any peer
    // but this machine's loopback, and that may carry call credentials.
    channel = grpc::experimental::LocalCredentials(LOCAL_TCP);
  } else {
    return grpc::InsecureChannelCredentials();
  }
  if (security.token.empty()) return channel;
  return grpc::CompositeChannelCredentials(
      channel, grpc::AccessTokenCredentials(security.token));
}

}  // namespace seed
