#include "common/otlp.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json_text.h"

namespace seed::otlp {
namespace {

using ::backtest::v1::Span;
using ::backtest::v1::SpanAttribute;

std::string ValueJson(const SpanAttribute& attribute) {
  switch (attribute.value_case()) {
    case SpanAttribute::kIntValue:
      // 64-bit integers are decimal strings in OTLP/JSON.
      return absl::StrCat("{\"intValue\":\"", attribute.int_value(), "\"}");
    case SpanAttribute::kDoubleValue:
      // JSON has no NaN or infinity; the value is kept readable as text.
      if (!std::isfinite(attribute.double_value())) {
        return absl::StrCat("{\"stringValue\":",
                            JsonQuote(absl::StrCat(attribute.double_value())),
                            "}");
      }
      return absl::StrFormat("{\"doubleValue\":%.17g}",
                             attribute.double_value());
    case SpanAttribute::kBoolValue:
      return attribute.bool_value() ? "{\"boolValue\":true}"
                                    : "{\"boolValue\":false}";
    case SpanAttribute::kStringValue:
    case SpanAttribute::VALUE_NOT_SET:
      break;
  }
  return absl::StrCat("{\"stringValue\":", JsonQuote(attribute.string_value()),
                      "}");
}

std::string AttributesJson(
    const google::protobuf::RepeatedPtrField<SpanAttribute>& attributes) {
  std::vector<std::string> items;
  for (const SpanAttribute& attribute : attributes) {
    items.push_back(absl::StrCat("{\"key\":", JsonQuote(attribute.key()),
                                 ",\"value\":", ValueJson(attribute), "}"));
  }
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

std::string SpanJson(const Span& span) {
  std::string json = absl::StrCat(
      "{\"traceId\":", JsonQuote(span.trace_id()),
      ",\"spanId\":", JsonQuote(span.span_id()));
  if (!span.parent_span_id().empty()) {
    absl::StrAppend(&json, ",\"parentSpanId\":", JsonQuote(span.parent_span_id()));
  }
  absl::StrAppend(&json, ",\"name\":", JsonQuote(span.name()),
                  ",\"kind\":", static_cast<int>(span.kind()),
                  ",\"startTimeUnixNano\":\"", span.start_unix_nanos(), "\"",
                  ",\"endTimeUnixNano\":\"", span.end_unix_nanos(), "\"");
  if (span.attributes_size() > 0) {
    absl::StrAppend(&json, ",\"attributes\":", AttributesJson(span.attributes()));
  }
  if (span.events_size() > 0) {
    std::vector<std::string> events;
    for (const backtest::v1::SpanEvent& event : span.events()) {
      events.push_back(absl::StrCat(
          "{\"timeUnixNano\":\"", event.time_unix_nanos(),
          "\",\"name\":", JsonQuote(event.name()),
          ",\"attributes\":", AttributesJson(event.attributes()), "}"));
    }
    absl::StrAppend(&json, ",\"events\":[", absl::StrJoin(events, ","), "]");
  }
  absl::StrAppend(&json, ",\"status\":{");
  if (span.status_code() != backtest::v1::SPAN_STATUS_UNSET) {
    absl::StrAppend(&json, "\"code\":", static_cast<int>(span.status_code()));
    if (!span.status_message().empty()) {
      absl::StrAppend(&json, ",\"message\":", JsonQuote(span.status_message()));
    }
  }
  absl::StrAppend(&json, "}}");
  return json;
}

struct Endpoint {
  std::string host;
  std::string port;
  std::string path;
};

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view url) {
  constexpr absl::string_view kScheme = "http://";
  if (!absl::StartsWith(url, kScheme)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "OTLP endpoint '", url,
        "' is not an http:// URL; this exporter speaks plain OTLP/HTTP "
        "(e.g. http://127.0.0.1:4318), put a TLS-terminating collector in "
        "front for https"));
  }
  absl::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  const absl::string_view authority = rest.substr(0, slash);
  Endpoint endpoint;
  endpoint.path = slash == absl::string_view::npos
                      ? std::string()
                      : std::string(rest.substr(slash));
  if (endpoint.path.empty() || endpoint.path == "/") {
    endpoint.path = "/v1/traces";
  }
  const size_t colon = authority.rfind(':');
  endpoint.host = std::string(authority.substr(0, colon));
  endpoint.port = colon == absl::string_view::npos
                      ? "80"
                      : std::string(authority.substr(colon + 1));
  int port = 0;
  if (endpoint.host.empty() || !absl::SimpleAtoi(endpoint.port, &port) ||
      port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "OTLP endpoint '", url, "' needs a host and a port 1..65535, e.g. "
        "http://127.0.0.1:4318"));
  }
  return endpoint;
}

absl::Status Unreachable(absl::string_view url, absl::string_view why) {
  return absl::UnavailableError(
      absl::StrCat("cannot export the trace to ", url, ": ", why));
}

}  // namespace

std::string TraceToJson(const backtest::v1::Trace& trace,
                        absl::string_view engine_version) {
  // Spans grouped by the process that recorded them, services in name order.
  std::map<std::string, std::vector<const Span*>> by_service;
  for (const Span& span : trace.spans()) {
    by_service[span.service()].push_back(&span);
  }
  std::vector<std::string> resources;
  for (const auto& [service, spans] : by_service) {
    std::vector<std::string> items;
    for (const Span* span : spans) items.push_back(SpanJson(*span));
    resources.push_back(absl::StrCat(
        "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
        "{\"stringValue\":",
        JsonQuote(service.empty() ? "unknown_service" : service),
        "}}]},\"scopeSpans\":[{\"scope\":{\"name\":", JsonQuote(kScopeName),
        ",\"version\":", JsonQuote(engine_version), "},\"spans\":[",
        absl::StrJoin(items, ","), "]}]}"));
  }
  return absl::StrCat("{\"resourceSpans\":[", absl::StrJoin(resources, ","),
                      "]}");
}

absl::Status PostJson(absl::string_view url, const std::string& json,
                      int timeout_seconds) {
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(url);
  if (!endpoint.ok()) return endpoint.status();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  if (const int rc = getaddrinfo(endpoint->host.c_str(),
                                 endpoint->port.c_str(), &hints, &addresses);
      rc != 0) {
    return Unreachable(url, gai_strerror(rc));
  }
  int fd = -1;
  std::string connect_error = "no address";
  for (addrinfo* a = addresses; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval timeout{timeout_seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      connect_error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addresses);
  if (fd < 0) return Unreachable(url, connect_error);

  const std::string request = absl::StrCat(
      "POST ", endpoint->path, " HTTP/1.1\r\nHost: ", endpoint->host, ":",
      endpoint->port,
      "\r\nContent-Type: application/json\r\nContent-Length: ", json.size(),
      "\r\nConnection: close\r\n\r\n", json);
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent,
                           MSG_NOSIGNAL);
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      close(fd);
      return Unreachable(url, absl::StrCat("sending failed: ", why));
    }
    sent += n;
  }
  // Only the status line matters; read until it is complete.
  std::string response;
  char buffer[4096];
  while (response.find("\r\n") == std::string::npos) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    response.append(buffer, n);
  }
  close(fd);
  const std::string status_line = response.substr(0, response.find("\r\n"));
  const std::vector<absl::string_view> parts =
      absl::StrSplit(status_line, absl::MaxSplits(' ', 2));
  int code = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &code)) {
    return Unreachable(url, status_line.empty()
                                ? "no HTTP answer"
                                : absl::StrCat("not an HTTP answer: ",
                                               status_line));
  }
  if (code < 200 || code > 299) {
    return Unreachable(url, absl::StrCat("the collector answered ",
                                         status_line));
  }
  return absl::OkStatus();
}

}  // namespace seed::otlp
