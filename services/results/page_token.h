// Opaque page tokens for the results stage's list calls (ListRuns,
// ListRunRecords, GetJob's children, ListJobs): a token names the query it
// belongs to (a digest of the call and its filters) and where its page ended
// (the last item's sort key), so the next page starts right after that item
// however many were added meanwhile, and a token from another query is
// refused rather than misread. Thread-safe: pure functions.
#ifndef SEED_SERVICES_RESULTS_PAGE_TOKEN_H_
#define SEED_SERVICES_RESULTS_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed::results {

// A token for the page after `position` of the query `query` (any text that
// names the call and every filter that changes its results, not the page
// size). Example:
//   EncodePageToken("runs\nsma_cross", {"2024-05-01T10:00:00Z", "17"})
std::string EncodePageToken(absl::string_view query,
                            const std::vector<std::string>& position);

// The position in `token`, which must have been made for `query` with
// `parts` parts; else INVALID_ARGUMENT (stage results, reason
// INVALID_PAGE_TOKEN, field page_token) saying why.
absl::StatusOr<std::vector<std::string>> DecodePageToken(
    absl::string_view token, absl::string_view query, size_t parts);

// The failure DecodePageToken returns, for a token that says `why` it
// cannot be used (e.g. "is damaged").
absl::Status InvalidPageToken(absl::string_view why);

// The same for positions of integers.
std::string EncodePageToken(absl::string_view query,
                            const std::vector<int64_t>& position);
absl::StatusOr<std::vector<int64_t>> DecodeIntPageToken(absl::string_view token,
                                                        absl::string_view query,
                                                        size_t parts);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_PAGE_TOKEN_H_
