// Reads a Prometheus /metrics page for tests: a plain HTTP/1.0 GET on a
// loopback address, and the value of one sample of the text format. Not for
// production use (no timeouts beyond the socket's, no chunked encoding).
// Thread-safe: functions.
#ifndef SEED_COMMON_METRICS_SCRAPE_H_
#define SEED_COMMON_METRICS_SCRAPE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed::metrics {

// The body of http://ADDRESS/metrics ("127.0.0.1:9100"); fails naming the
// address when it cannot connect or the answer is not 200.
absl::StatusOr<std::string> Scrape(const std::string& address);

// The value of the first sample named `name` whose labels include `labels`
// (others may be present); nullopt when there is none. Example:
//   SampleValue(page, "seed_runs_finished_total", {{"state", "SUCCEEDED"}})
std::optional<double> SampleValue(
    absl::string_view page, absl::string_view name,
    const std::map<std::string, std::string>& labels = {});

// The sum of every sample named `name` whose labels include `labels`; 0 when
// there is none.
double SumOfSamples(absl::string_view page, absl::string_view name,
                    const std::map<std::string, std::string>& labels = {});

}  // namespace seed::metrics

#endif  // SEED_COMMON_METRICS_SCRAPE_H_
