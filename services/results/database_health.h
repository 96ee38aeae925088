// Whether the results database can be written, checked cheaply and apart
// from the store's own connection (which a long write may hold): for the
// results service's health (SERVING only while it can store runs). A
// PostgreSQL database: the server answers a connection attempt (libpq's
// PQping, which needs no login), within a few seconds. A SQLite file: it
// can be opened for writing, and read (its schema version) on a connection
// of its own. Thread-safe: a function.
#ifndef SEED_SERVICES_RESULTS_DATABASE_HEALTH_H_
#define SEED_SERVICES_RESULTS_DATABASE_HEALTH_H_

#include <string>

#include "absl/status/status.h"

namespace seed::results {

// OK when the database `location` names (a postgresql:// URI or a SQLite
// file's path, as --db takes it) is reachable; UNAVAILABLE saying what
// failed and where (never a password) otherwise. Example:
//   CheckDatabaseReachable("postgresql://seed@db.internal/results");
absl::Status CheckDatabaseReachable(const std::string& location);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_DATABASE_HEALTH_H_
