// Incremental SHA-256 for content hashes (bars read, canonical specs) in run
// fingerprints. Not thread-safe: one hasher per sequence of updates.
#ifndef SEED_COMMON_SHA256_H_
#define SEED_COMMON_SHA256_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace seed {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view bytes);
  // Lower-case hex digest; the hasher must not be used afterwards.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One-shot convenience: Sha256Hex("abc") == "ba7816bf...".
std::string Sha256Hex(absl::string_view bytes);

}  // namespace seed

#endif  // SEED_COMMON_SHA256_H_
