// The PostgreSQL driver of the SQL layer (sql_database.h), over libpq: one
// connection to a server given by a connection URI
// (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAM=VALUE...]),
// binary parameters and results, statements prepared once per connection.
// A connection the server dropped is re-established on the next call (a
// restarted server is used again without restarting the program). The
// password never appears in location() or in any failure. Not thread-safe:
// one connection, used by one thread at a time.
#ifndef SEED_SERVICES_RESULTS_POSTGRES_DATABASE_H_
#define SEED_SERVICES_RESULTS_POSTGRES_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/results/sql_database.h"

namespace seed::results {

// Connects to the database `uri` names. kReadOnly makes every transaction
// read-only, so each write fails DATABASE_READ_ONLY. A server that does not
// answer fails DATABASE_UNREACHABLE, one that refuses the login or has no
// such database DATABASE_CANNOT_OPEN; both name the host, port and database.
// Example:
//   OpenPostgresDatabase("postgresql://seed@db.internal:5432/results",
//                        OpenMode::kReadWrite);
absl::StatusOr<std::unique_ptr<SqlDatabase>> OpenPostgresDatabase(
    const std::string& uri, OpenMode mode);

// `uri` without its password (the one after USER: and any password=
// parameter), to show and store. Example:
//   RedactPassword("postgresql://seed:secret@h/db?password=x&sslmode=require")
//   == "postgresql://seed@h/db?sslmode=require"
std::string RedactPassword(absl::string_view uri);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_POSTGRES_DATABASE_H_
