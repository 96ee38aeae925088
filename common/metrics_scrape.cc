#include "common/metrics_scrape.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <functional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace seed::metrics {
namespace {

// A sample line of the text format: name{a="x",b="y"} value
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::optional<Sample> ParseSample(absl::string_view line) {
  if (line.empty() || line[0] == '#') return std::nullopt;
  Sample sample;
  const size_t brace = line.find('{');
  const size_t space = line.rfind(' ');
  if (space == absl::string_view::npos) return std::nullopt;
  if (brace != absl::string_view::npos && brace < space) {
    sample.name = std::string(line.substr(0, brace));
    const size_t close = line.rfind('}');
    if (close == absl::string_view::npos) return std::nullopt;
    // Our label values hold no '"' or ',' (bounded codes and names).
    for (absl::string_view pair :
         absl::StrSplit(line.substr(brace + 1, close - brace - 1), ',',
                        absl::SkipEmpty())) {
      const size_t equals = pair.find('=');
      if (equals == absl::string_view::npos) return std::nullopt;
      absl::string_view value = pair.substr(equals + 1);
      if (value.size() >= 2) value = value.substr(1, value.size() - 2);
      sample.labels[std::string(pair.substr(0, equals))] = std::string(value);
    }
  } else {
    sample.name = std::string(line.substr(0, space));
  }
  if (!absl::SimpleAtod(line.substr(space + 1), &sample.value)) {
    return std::nullopt;
  }
  return sample;
}

void ForEachMatch(absl::string_view page, absl::string_view name,
                  const std::map<std::string, std::string>& labels,
                  const std::function<bool(double)>& visit) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    const std::optional<Sample> sample = ParseSample(line);
    if (!sample.has_value() || sample->name != name) continue;
    bool matches = true;
    for (const auto& [key, value] : labels) {
      const auto it = sample->labels.find(key);
      matches = matches && it != sample->labels.end() && it->second == value;
    }
    if (matches && !visit(sample->value)) return;
  }
}

}  // namespace

absl::StatusOr<std::string> Scrape(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("not HOST:PORT: ", address));
  }
  const std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  addrinfo hints = {};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", address));
  }
  const int fd = socket(found->ai_family, found->ai_socktype, 0);
  timeval timeout = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const bool connected =
      fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the metrics endpoint ", address));
  }
  const std::string request =
      absl::StrCat("GET /metrics HTTP/1.0\r\nHost: ", address, "\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot send to ", address));
  }
  std::string response;
  char buffer[65536];
  for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
    response.append(buffer, n);
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (!absl::StartsWith(response, "HTTP/1.") ||
      response.find(" 200 ") == std::string::npos ||
      body == std::string::npos) {
    return absl::UnavailableError(absl::StrCat(
        "GET http://", address,
        "/metrics answered: ", response.substr(0, response.find('\r'))));
  }
  return response.substr(body + 4);
}

std::optional<double> SampleValue(
    absl::string_view page, absl::string_view name,
    const std::map<std::string, std::string>& labels) {
  std::optional<double> found;
  ForEachMatch(page, name, labels, [&found](double value) {
    found = value;
    return false;
  });
  return found;
}

double SumOfSamples(absl::string_view page, absl::string_view name,
                    const std::map<std::string, std::string>& labels) {
  double sum = 0;
  ForEachMatch(page, name, labels, [&sum](double value) {
    sum += value;
    return true;
  });
  return sum;
}

}  // namespace seed::metrics
