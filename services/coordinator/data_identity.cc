#include "services/coordinator/data_identity.h"

#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace seed::coordinator {

DataIdentity IdentityOf(const backtest::v1::OpenDatasetResponse& dataset) {
  DataIdentity identity;
  Sha256 data_hash;
  for (const auto& symbol : dataset.symbols()) {
    identity.symbol_hashes[symbol.symbol()] = symbol.content_hash();
    data_hash.Update(
        absl::StrCat(symbol.symbol(), "=", symbol.content_hash(), "\n"));
    if (symbol.interval_seconds() > 0 &&
        (identity.interval_seconds == 0 ||
         symbol.interval_seconds() < identity.interval_seconds)) {
      identity.interval_seconds = symbol.interval_seconds();
    }
    if (identity.first_time.empty() ||
        symbol.first_time() < identity.first_time) {
      identity.first_time = symbol.first_time();
    }
    if (symbol.last_time() > identity.last_time) {
      identity.last_time = symbol.last_time();
    }
  }
  identity.data_hash = data_hash.HexDigest();
  return identity;
}

}  // namespace seed::coordinator
