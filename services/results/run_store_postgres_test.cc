// The results store on PostgreSQL, for what only a server has: passwords
// kept out of locations and messages, a server that is down or restarts,
// logins it refuses, and the tables it gets (the same as a SQLite file's).
// run_store_test.cc runs everything both drivers share.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"
#include "services/results/postgres_database.h"
#include "services/results/run_store.h"
#include "services/results/run_store_test_util.h"
#include "services/results/sql_database.h"
#include "services/results/test_database.h"
#include "tests/child_process.h"
#include "tests/postgres_server.h"

namespace seed::results {
namespace {

class PostgresRunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<seed::testing::PostgresServer*> server =
        seed::testing::SharedPostgresServer();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    absl::StatusOr<std::string> uri = FreshDatabase(Driver::kPostgres);
    ASSERT_TRUE(uri.ok()) << uri.status();
    uri_ = *uri;
  }

  // Whether `status` keeps the password out of its message and hint.
  void ExpectNoPassword(const absl::Status& status) {
    EXPECT_FALSE(absl::StrContains(status.message(), server_->password()))
        << status;
    EXPECT_FALSE(
        absl::StrContains(ToStageError(status, "").hint(), server_->password()))
        << status;
  }

  seed::testing::PostgresServer* server_ = nullptr;
  std::string uri_;
};

TEST(RedactPasswordTest, DropsThePasswordAndNothingElse) {
  EXPECT_EQ(RedactPassword("postgresql://seed:secret@db.internal:5432/results"),
            "postgresql://seed@db.internal:5432/results");
  EXPECT_EQ(RedactPassword("postgres://seed:s3:cr@t@h/db?sslmode=require&"
                           "password=other&connect_timeout=5"),
            "postgres://seed@h/db?sslmode=require&connect_timeout=5");
  EXPECT_EQ(RedactPassword("postgresql://h1:5432,h2:5433/db?password=x"),
            "postgresql://h1:5432,h2:5433/db");
  EXPECT_EQ(RedactPassword("postgresql://seed@h"), "postgresql://seed@h");
  EXPECT_EQ(RedactPassword("postgresql:///results?host=/run/postgresql"),
            "postgresql:///results?host=/run/postgresql");
}

TEST_F(PostgresRunStoreTest, TheLocationIsTheUriWithoutItsPassword) {
  std::unique_ptr<RunStore> store = OpenOrDie(uri_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), RedactPassword(uri_));
  EXPECT_FALSE(absl::StrContains(store->path(), server_->password()));
  EXPECT_TRUE(absl::StartsWith(store->path(), "postgresql://seed@127.0.0.1:"));
  const absl::Status unknown = store->ReadRun("nope").status();
  EXPECT_EQ(Reason(unknown), "UNKNOWN_RUN");
  EXPECT_NE(unknown.message().find("no run nope in " + store->path()),
            std::string::npos)
      << unknown;
}

// Version 5 on first open, and the same columns in the same order as a
// SQLite file's (PostgreSQL's runs table has its rowid as a column).
TEST_F(PostgresRunStoreTest, ANewDatabaseGetsTheTablesOfASqliteFile) {
  ASSERT_NE(OpenOrDie(uri_), nullptr);
  absl::StatusOr<std::string> file = FreshDatabase(Driver::kSqlite);
  ASSERT_TRUE(file.ok());
  ASSERT_NE(OpenOrDie(*file), nullptr);
  absl::StatusOr<std::unique_ptr<SqlDatabase>> postgres =
      OpenSqlDatabase(uri_, OpenMode::kReadOnly);
  absl::StatusOr<std::unique_ptr<SqlDatabase>> sqlite =
      OpenSqlDatabase(*file, OpenMode::kReadOnly);
  ASSERT_TRUE(postgres.ok() && sqlite.ok());
  EXPECT_EQ(*(*postgres)->SchemaVersion(), RunStore::kSchemaVersion);
  const auto columns = [](SqlDatabase& db, const char* sql,
                          const std::string& table) {
    absl::StatusOr<Statement> select = db.Prepare(sql);
    EXPECT_TRUE(select.ok()) << select.status();
    std::vector<std::string> names;
    if (!select.ok()) return names;
    (*select)->BindText(1, table);
    absl::StatusOr<bool> row;
    while ((row = (*select)->Step()).ok() && *row) {
      if ((*select)->Text(0) != "rowid") names.push_back((*select)->Text(0));
    }
    EXPECT_TRUE(row.ok()) << row.status();
    return names;
  };
  for (const char* table : {"runs", "symbol_hashes", "equity_chunks", "fills",
                            "rejections", "trades", "traces"}) {
    SCOPED_TRACE(table);
    const std::vector<std::string> in_file = columns(
        **sqlite, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", table);
    EXPECT_FALSE(in_file.empty());
    EXPECT_EQ(
        columns(**postgres,
                "SELECT column_name::text FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?1 "
                "ORDER BY ordinal_position",
                table),
        in_file);
  }
}

TEST_F(PostgresRunStoreTest, AServerThatIsNotThereIsUnreachable) {
  const int port = seed::testing::FreePort();
  const std::string uri =
      absl::StrCat("postgresql://seed:", server_->password(),
                   "@127.0.0.1:", port, "/results");
  const absl::Status status = RunStore::Open(uri).status();
  EXPECT_EQ(Reason(status), "DATABASE_UNREACHABLE") << status;
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find(
                absl::StrCat("database results at 127.0.0.1:", port)),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find(RedactPassword(uri)), std::string::npos)
      << status;
  ExpectNoPassword(status);
}

TEST_F(PostgresRunStoreTest, ARefusedLoginCannotOpen) {
  const std::string uri =
      absl::StrCat("postgresql://seed:wrong-", server_->password(),
                   "@127.0.0.1:", server_->port(), "/postgres");
  const absl::Status status = RunStore::Open(uri).status();
  EXPECT_EQ(Reason(status), "DATABASE_CANNOT_OPEN") << status;
  EXPECT_NE(status.message().find("password authentication failed"),
            std::string::npos)
      << status;
  ExpectNoPassword(status);
}

TEST_F(PostgresRunStoreTest, AMalformedUriIsRefusedWithoutItsPassword) {
  const std::string uri = absl::StrCat(
      "postgresql://seed:", server_->password(), "@127.0.0.1/db?nonsense=1");
  const absl::Status status = RunStore::Open(uri).status();
  EXPECT_EQ(Reason(status), "DATABASE_CANNOT_OPEN") << status;
  EXPECT_NE(status.message().find("is not a valid PostgreSQL connection URI"),
            std::string::npos)
      << status;
  ExpectNoPassword(status);
}

// A server that goes away fails the calls made meanwhile, naming it; once it
// is back the same store carries on, with nothing half-written.
TEST_F(PostgresRunStoreTest, AStoreCarriesOnAfterTheServerRestarts) {
  std::unique_ptr<RunStore> store = OpenOrDie(uri_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->BeginRun(Begin("run-1")).ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420070400)).ok());
  ASSERT_TRUE(server_->Stop().ok());
  const absl::Status down = store->AppendRecords(Batch("run-1", 1420329600));
  const absl::Status restarted = server_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_EQ(Reason(down), "DATABASE_UNREACHABLE") << down;
  EXPECT_NE(down.message().find(absl::StrCat("127.0.0.1:", server_->port())),
            std::string::npos)
      << down;
  ExpectNoPassword(down);

  EXPECT_TRUE(store->ReadRun("run-1").ok());
  ASSERT_TRUE(store->AppendRecords(Batch("run-1", 1420588800)).ok());
  absl::StatusOr<RunRecords> records = store->ReadRecords("run-1");
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->equity.size(), 6);
  EXPECT_EQ(records->fills.size(), 2);
}

}  // namespace
}  // namespace seed::results
