// The test PostgreSQL server harness: a server that takes logins with its
// password only, runs unprivileged, and leaves nothing behind, whether its
// owner ends normally or is killed.
#include "tests/postgres_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "postgresql/libpq-fe.h"

namespace seed::testing {
namespace {

// What `sql` returns as text (first row, first column), or the error.
std::string QueryText(const std::string& uri, const char* sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  std::string out;
  if (PQstatus(conn) != CONNECTION_OK) {
    out = absl::StrCat("error: ", PQerrorMessage(conn));
  } else {
    PGresult* result = PQexec(conn, sql);
    out = PQresultStatus(result) == PGRES_TUPLES_OK
              ? PQgetvalue(result, 0, 0)
              : absl::StrCat("error: ", PQresultErrorMessage(result));
    PQclear(result);
  }
  PQfinish(conn);
  return out;
}

// Whether the file system entry appears within 30 s to be gone.
bool Disappears(const std::string& path) {
  for (int i = 0; i < 300; ++i) {
    if (!std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The real user id of process `pid`, from /proc.
int UidOf(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) == 0) {
      std::vector<std::string> fields =
          absl::StrSplit(line, '\t', absl::SkipEmpty());
      int uid = -1;
      return fields.size() > 1 && absl::SimpleAtoi(fields[1], &uid) ? uid : -1;
    }
  }
  return -1;
}

TEST(PostgresServerTest, ServesDatabasesToItsPasswordAndCleansUp) {
  std::string directory;
  std::string uri;
  {
    absl::StatusOr<std::unique_ptr<PostgresServer>> server =
        PostgresServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    directory = (*server)->directory();
    absl::StatusOr<std::string> created = (*server)->CreateDatabase("runs");
    ASSERT_TRUE(created.ok()) << created.status();
    uri = *created;
    EXPECT_EQ(uri, absl::StrCat("postgresql://seed:", (*server)->password(),
                                "@127.0.0.1:", (*server)->port(), "/runs"));
    EXPECT_EQ(QueryText(uri, "SELECT current_database()"), "runs");
    const std::string wrong = absl::StrCat(
        "postgresql://seed:wrong@127.0.0.1:", (*server)->port(), "/runs");
    EXPECT_NE(QueryText(wrong, "SELECT 1")
                  .find("password authentication "
                        "failed"),
              std::string::npos);
    // The server runs as the user that started it, or nobody under root.
    std::ifstream pid_file(directory + "/data/postmaster.pid");
    std::string pid;
    std::getline(pid_file, pid);
    if (geteuid() == 0) {
      EXPECT_NE(UidOf(pid), 0) << "postmaster " << pid << " runs as root";
    } else {
      EXPECT_EQ(UidOf(pid), static_cast<int>(geteuid()));
    }

    ASSERT_TRUE((*server)->Stop().ok());
    EXPECT_NE(QueryText(uri, "SELECT 1").find("error: "), std::string::npos);
    ASSERT_TRUE((*server)->Restart().ok());
    EXPECT_EQ(QueryText(uri, "SELECT current_database()"), "runs");
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
  EXPECT_NE(QueryText(uri, "SELECT 1").find("error: "), std::string::npos);
}

// A test process killed with its server running (a crash, a timeout) leaves
// no server and no directory behind.
TEST(PostgresServerTest, AKilledOwnerLeavesNothingBehind) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    close(report[0]);
    absl::StatusOr<std::unique_ptr<PostgresServer>> server =
        PostgresServer::Start();
    const std::string line =
        server.ok() ? absl::StrCat((*server)->directory(), " ",
                                   (*server)->Uri("postgres"), "\n")
                    : absl::StrCat("failed ", server.status().message(), "\n");
    (void)!write(report[1], line.data(), line.size());
    raise(SIGKILL);
  }
  close(report[1]);
  std::string line;
  char buffer[4096];
  ssize_t count;
  while ((count = read(report[0], buffer, sizeof(buffer))) > 0) {
    line.append(buffer, count);
  }
  close(report[0]);
  int status = 0;
  waitpid(owner, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
  const std::vector<std::string> fields =
      absl::StrSplit(absl::StripSuffix(line, "\n"), ' ');
  ASSERT_EQ(fields.size(), 2) << line;
  ASSERT_NE(fields[0], "failed") << line;
  EXPECT_TRUE(Disappears(fields[0])) << fields[0] << " is still there";
  EXPECT_NE(QueryText(fields[1], "SELECT 1").find("error: "),
            std::string::npos);
}

}  // namespace
}  // namespace seed::testing
