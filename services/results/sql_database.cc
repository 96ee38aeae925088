#include "services/results/sql_database.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "services/results/postgres_database.h"
#include "services/results/sqlite_database.h"

namespace seed::results {

bool IsPostgresLocation(absl::string_view location) {
  return absl::StartsWith(location, "postgresql://") ||
         absl::StartsWith(location, "postgres://");
}

absl::StatusOr<std::unique_ptr<SqlDatabase>> OpenSqlDatabase(
    const std::string& location, OpenMode mode) {
  return IsPostgresLocation(location) ? OpenPostgresDatabase(location, mode)
                                      : OpenSqliteDatabase(location, mode);
}

absl::Status DescribeFailure(const absl::Status& failure,
                             absl::string_view what, absl::string_view location,
                             const std::string& run_id) {
  const backtest::v1::StageError error = ToStageError(failure, "results");
  return StageFailure(failure.code(), error.stage(), error.reason(),
                      absl::StrCat("cannot ", what, " in results database ",
                                   location, ": ", failure.message()),
                      {.run_id = run_id, .hint = error.hint()});
}

std::string ExpandDialect(absl::string_view sql,
                          const std::map<std::string, std::string>& tokens) {
  std::string out;
  out.reserve(sql.size());
  size_t done = 0;
  while (done < sql.size()) {
    const size_t open = sql.find('{', done);
    if (open == absl::string_view::npos) break;
    const size_t close = sql.find('}', open);
    if (close == absl::string_view::npos) break;
    const auto token =
        tokens.find(std::string(sql.substr(open + 1, close - open - 1)));
    if (token == tokens.end()) {
      // Not a token (e.g. a brace in a literal): kept as written.
      absl::StrAppend(&out, sql.substr(done, open + 1 - done));
      done = open + 1;
      continue;
    }
    absl::StrAppend(&out, sql.substr(done, open - done), token->second);
    done = close + 1;
  }
  absl::StrAppend(&out, sql.substr(done));
  return out;
}

}  // namespace seed::results
