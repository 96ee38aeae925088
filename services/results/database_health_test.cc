#include "services/results/database_health.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/results/sql_database.h"
#include "tests/postgres_server.h"

namespace seed::results {
namespace {

namespace fs = std::filesystem;

// A SQLite database is reachable while its file is there to be written and
// read; moved away or replaced by something that is not a database, it is
// not, saying which file; back in place, it is again.
TEST(DatabaseHealthTest, SqliteFileThatCannotBeOpenedIsUnreachable) {
  const fs::path dir = fs::path(::testing::TempDir()) / "sqlite_health";
  fs::create_directories(dir);
  const std::string path = (dir / "results.db").string();
  {
    absl::StatusOr<std::unique_ptr<SqlDatabase>> created =
        OpenSqlDatabase(path, OpenMode::kReadWrite);
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE((*created)->SetSchemaVersion(1).ok());
  }
  EXPECT_TRUE(CheckDatabaseReachable(path).ok())
      << CheckDatabaseReachable(path);

  fs::rename(path, dir / "moved.db");
  const absl::Status gone = CheckDatabaseReachable(path);
  EXPECT_EQ(gone.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(gone.message().find(path), std::string::npos) << gone;

  std::ofstream(path) << "not a database, but long enough to have a header "
                         "that SQLite reads and rejects as such............";
  const absl::Status garbage = CheckDatabaseReachable(path);
  EXPECT_EQ(garbage.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(garbage.message().find("cannot read"), std::string::npos)
      << garbage;

  fs::rename(dir / "moved.db", path);
  EXPECT_TRUE(CheckDatabaseReachable(path).ok())
      << CheckDatabaseReachable(path);

  const std::string nowhere = (dir / "no-such-dir" / "results.db").string();
  EXPECT_EQ(CheckDatabaseReachable(nowhere).code(),
            absl::StatusCode::kUnavailable);
}

// A PostgreSQL database is reachable while its server answers; stopped, it
// is not (without the password in the message); restarted, it is again.
TEST(DatabaseHealthTest, PostgresServerThatIsDownIsUnreachable) {
  absl::StatusOr<std::unique_ptr<testing::PostgresServer>> server =
      testing::PostgresServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string uri = (*server)->Uri("postgres");
  EXPECT_TRUE(CheckDatabaseReachable(uri).ok()) << CheckDatabaseReachable(uri);

  ASSERT_TRUE((*server)->Stop().ok());
  const absl::Status down = CheckDatabaseReachable(uri);
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(down.message().find((*server)->password()), std::string::npos)
      << down;

  ASSERT_TRUE((*server)->Restart().ok());
  EXPECT_TRUE(CheckDatabaseReachable(uri).ok()) << CheckDatabaseReachable(uri);
}

}  // namespace
}  // namespace seed::results
