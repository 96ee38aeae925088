// The SQLite driver of the SQL layer (sql_database.h): one connection to a
// database file, in WAL mode once opened for writing so that readers work
// while a run is written; writers wait up to a busy timeout for each other.
// Not thread-safe: one connection, used by one thread at a time.
#ifndef SEED_SERVICES_RESULTS_SQLITE_DATABASE_H_
#define SEED_SERVICES_RESULTS_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/results/sql_database.h"

namespace seed::results {

// Opens (for kReadWrite creating it and its directories) the file at `path`,
// relative paths against the current directory. Example:
//   absl::StatusOr<std::unique_ptr<SqlDatabase>> db =
//       OpenSqliteDatabase("results.db", OpenMode::kReadWrite);
absl::StatusOr<std::unique_ptr<SqlDatabase>> OpenSqliteDatabase(
    const std::string& path, OpenMode mode);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_SQLITE_DATABASE_H_
