// The content hash of bars that run fingerprints record
// (SymbolSummary.content_hash): the same bars always give the same hash, on
// every machine, whatever file or cache they came from. Thread-safe: a pure
// function.
#ifndef SEED_SERVICES_DATA_BAR_HASH_H_
#define SEED_SERVICES_DATA_BAR_HASH_H_

#include <cstddef>
#include <string>

#include "services/data/csv_reader.h"

namespace seed::data {

// sha256 over bars[begin, end): per bar 48 bytes, time as int64 then open,
// high, low, close, volume as IEEE-754 doubles, each little-endian. The same
// bars always give the same hash on every machine.
std::string ContentHash(const BarColumns& bars, size_t begin, size_t end);

}  // namespace seed::data

#endif  // SEED_SERVICES_DATA_BAR_HASH_H_
