#include "services/results/test_database.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/results/sql_database.h"
#include "tests/postgres_server.h"

namespace seed::results {

std::string DriverName(const ::testing::TestParamInfo<Driver>& info) {
  return info.param == Driver::kSqlite ? "SQLite" : "PostgreSQL";
}

absl::StatusOr<std::string> FreshDatabase(Driver driver,
                                          absl::string_view name) {
  const ::testing::TestInfo* test =
      ::testing::UnitTest::GetInstance()->current_test_info();
  // "RunStoreTest/Drivers" and "Round/0": a name per test and parameter.
  std::string test_name =
      absl::StrCat(test->test_suite_name(), "_", test->name(), "_", name);
  for (char& c : test_name) {
    if (!absl::ascii_isalnum(c)) c = '_';
  }
  if (driver == Driver::kSqlite) {
    const std::filesystem::path dir =
        std::filesystem::path(::testing::TempDir()) / test_name;
    std::filesystem::remove_all(dir);
    return (dir / "results.db").string();
  }
  absl::StatusOr<seed::testing::PostgresServer*> server =
      seed::testing::SharedPostgresServer();
  if (!server.ok()) return server.status();
  // A schema of its own, far faster to make than a database. PostgreSQL
  // folds and limits names: a counter keeps them apart.
  static int schemas = 0;
  return (*server)->CreateSchema(absl::StrCat(
      "t", ++schemas, "_", absl::AsciiStrToLower(test_name.substr(0, 40))));
}

absl::Status ExecuteSql(const std::string& location, absl::string_view sql) {
  absl::StatusOr<std::unique_ptr<SqlDatabase>> db =
      OpenSqlDatabase(location, OpenMode::kReadWrite);
  if (!db.ok()) return db.status();
  return (*db)->Execute(sql);
}

}  // namespace seed::results
