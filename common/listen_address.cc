#include "common/listen_address.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/text.h"

namespace seed {
namespace {

// The host of HOST:PORT without IPv6 brackets, and the port's text.
struct HostPort {
  std::string host;
  std::string port;
};

bool SplitHostPort(absl::string_view address, HostPort* parts) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = address.substr(0, colon);
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  parts->host = std::string(host);
  parts->port = std::string(address.substr(colon + 1));
  return true;
}

}  // namespace

absl::Status CheckListenAddress(absl::string_view flag,
                                absl::string_view address) {
  HostPort parts;
  int port = -1;
  if (!SplitHostPort(address, &parts) || parts.host.empty() ||
      parts.port.empty() ||
      parts.port.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(parts.port, &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag,
        " must be HOST:PORT with a port in 0..65535 (0: any free port), "
        "e.g. 127.0.0.1:9100; got \"",
        Bounded(address), "\""));
  }
  return absl::OkStatus();
}

bool PortInUse(const std::string& address) {
  HostPort parts;
  if (!SplitHostPort(address, &parts)) return false;
  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(parts.host.empty() ? nullptr : parts.host.c_str(),
                  parts.port.c_str(), &hints, &found) != 0) {
    return false;
  }
  bool in_use = false;
  for (addrinfo* info = found; info != nullptr && !in_use;
       info = info->ai_next) {
    const int fd = socket(info->ai_family, info->ai_socktype, 0);
    if (fd < 0) continue;
    in_use =
        bind(fd, info->ai_addr, info->ai_addrlen) != 0 && errno == EADDRINUSE;
    close(fd);
  }
  freeaddrinfo(found);
  return in_use;
}

}  // namespace seed
