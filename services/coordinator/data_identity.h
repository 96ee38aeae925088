// The data part of a run's fingerprint, from what the data stage opened: each
// symbol's content hash, their combined hash, the bar interval and the time
// range. One definition, so a research job that checks a stored child's data
// computes exactly what the child's run stored. Thread-safe: a pure function.
#ifndef SEED_SERVICES_COORDINATOR_DATA_IDENTITY_H_
#define SEED_SERVICES_COORDINATOR_DATA_IDENTITY_H_

#include <cstdint>
#include <map>
#include <string>

#include "backtest/v1/data.pb.h"

namespace seed::coordinator {

struct DataIdentity {
  std::map<std::string, std::string> symbol_hashes;
  // sha256 over "SYMBOL=HASH\n" of each symbol, in data.symbols order.
  std::string data_hash;
  // The shortest bar interval of the symbols (0: unknown).
  int64_t interval_seconds = 0;
  // The first and last bar used, as the data stage formats times.
  std::string first_time;
  std::string last_time;
};

DataIdentity IdentityOf(const backtest::v1::OpenDatasetResponse& dataset);

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_DATA_IDENTITY_H_
