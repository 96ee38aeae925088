// Databases for tests that run against both drivers of the SQL layer
// (sql_database.h): a parameterized GoogleTest fixture takes a Driver and
// asks for a fresh, empty database per test. A PostgreSQL "database" is a
// schema of its own (the URI sets its search_path) on one server per test
// binary (tests/postgres_server.h); when the server cannot start, every
// PostgreSQL test fails saying why. Not thread-safe.
#ifndef SEED_SERVICES_RESULTS_TEST_DATABASE_H_
#define SEED_SERVICES_RESULTS_TEST_DATABASE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace seed::results {

enum class Driver { kSqlite, kPostgres };

// The parameter's name in test names. Example:
//   INSTANTIATE_TEST_SUITE_P(Drivers, RunStoreTest,
//                            testing::Values(Driver::kSqlite,
//                                            Driver::kPostgres),
//                            DriverName);
std::string DriverName(const ::testing::TestParamInfo<Driver>& info);

// The location (file path or URI with password) of a new empty database for
// the current test; `name` tells apart several in one test. Example:
//   absl::StatusOr<std::string> location = FreshDatabase(GetParam(), "a");
absl::StatusOr<std::string> FreshDatabase(Driver driver,
                                          absl::string_view name = "db");

// Runs `sql` (the common dialect of sql_database.h) on the database at
// `location` through its own connection: how tests change stored data
// behind the store's back.
absl::Status ExecuteSql(const std::string& location, absl::string_view sql);

}  // namespace seed::results

#endif  // SEED_SERVICES_RESULTS_TEST_DATABASE_H_
