#include "services/results/database_health.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "postgresql/libpq-fe.h"
#include "services/results/postgres_database.h"
#include "services/results/sql_database.h"

namespace seed::results {
namespace {

// How long a ping waits for a connection: a server that does not answer
// within this is as good as down for a probe asking every few seconds.
constexpr char kPingTimeoutSeconds[] = "2";

absl::Status PingPostgres(const std::string& uri) {
  // The URI as dbname is expanded (expand_dbname); the timeout after it
  // overrides any of the URI's own.
  const char* const keywords[] = {"dbname", "connect_timeout", nullptr};
  const char* const values[] = {uri.c_str(), kPingTimeoutSeconds, nullptr};
  const PGPing ping = PQpingParams(keywords, values, /*expand_dbname=*/1);
  const std::string where = RedactPassword(uri);
  switch (ping) {
    case PQPING_OK:
      return absl::OkStatus();
    case PQPING_REJECT:
      return absl::UnavailableError(absl::StrCat(
          "the PostgreSQL server of ", where,
          " refuses connections (starting up, shutting down or in recovery)"));
    case PQPING_NO_RESPONSE:
      return absl::UnavailableError(
          absl::StrCat("no PostgreSQL server answers at ", where, " within ",
                       kPingTimeoutSeconds, " s"));
    case PQPING_NO_ATTEMPT:
      break;
  }
  return absl::UnavailableError(
      absl::StrCat("cannot try to reach ", where, ": its URI is malformed"));
}

// The file can be opened for writing, and read as a database (not gone,
// not corrupt, not held by another process's exclusive lock).
absl::Status CheckSqlite(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the results database ", path,
                     " for writing: ", std::strerror(errno)));
  }
  close(fd);
  absl::StatusOr<std::unique_ptr<SqlDatabase>> database =
      OpenSqlDatabase(path, OpenMode::kReadOnly);
  absl::StatusOr<int64_t> version =
      database.ok() ? (*database)->SchemaVersion() : database.status();
  if (!version.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the results database ", path, ": ",
                     version.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDatabaseReachable(const std::string& location) {
  if (IsPostgresLocation(location)) return PingPostgres(location);
  return CheckSqlite(location);
}

}  // namespace seed::results
