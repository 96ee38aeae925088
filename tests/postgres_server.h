// A PostgreSQL server of a test's own, from Debian's postgresql-15 package:
// initdb into a new directory under /tmp, then postgres listening on a free
// loopback port (and on a unix socket in that directory), stopped and its
// directory removed when the object is destroyed, and also when the test
// process dies without destroying it (a guardian process, in a session of
// its own, waits for the test process to end and cleans up after it).
//
// PostgreSQL refuses to run as root. A test running as root (CI, Bazel's
// processwrapper sandbox, which keeps the user) runs initdb, pg_ctl and so
// the server as the unprivileged user `nobody` through runuser(1); any other
// user runs them as itself. The directory is under /tmp because `nobody`
// cannot enter root's Bazel output tree, and a unix socket path must be
// short. Connections over TCP need the password of the superuser `seed`,
// which is random per server; the socket trusts local users.
//
// Not thread-safe; the databases it creates may be used from any threads
// and processes.
#ifndef SEED_TESTS_POSTGRES_SERVER_H_
#define SEED_TESTS_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace seed::testing {

class PostgresServer {
 public:
  // Starts a new server; fails saying why (no PostgreSQL binaries, initdb or
  // the server failed, with the server's log). The binaries are found in
  // $SEED_POSTGRES_BIN, else the newest /usr/lib/postgresql/N/bin. Example:
  //   absl::StatusOr<std::unique_ptr<PostgresServer>> server =
  //       PostgresServer::Start();
  //   ASSERT_TRUE(server.ok()) << server.status();
  //   absl::StatusOr<std::string> uri = (*server)->CreateDatabase("runs");
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  // Stops the server and removes its directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The server's directory (its data in data/, its log server.log).
  const std::string& directory() const { return directory_; }
  int port() const { return port_; }
  const std::string& password() const { return password_; }
  // postgresql://seed:PASSWORD@127.0.0.1:PORT/DATABASE
  std::string Uri(absl::string_view database) const;

  // Creates an empty database named `name` (letters, digits and _); its URI.
  absl::StatusOr<std::string> CreateDatabase(absl::string_view name);
  // Creates an empty schema named `name` (letters, digits and _) in the
  // database "postgres"; a URI whose connections use it (their search_path).
  // Much faster than a database: for a fresh namespace per test.
  absl::StatusOr<std::string> CreateSchema(absl::string_view name);

  // Stops the server (a fast shutdown: connections are dropped), keeping its
  // data, and starts it again on the same port: for tests of a server that
  // goes away.
  absl::Status Stop();
  absl::Status Restart();

  // The server's log, for failure messages.
  std::string Log() const;

 private:
  PostgresServer(std::string directory, std::string bin, int guard_fd,
                 pid_t guardian)
      : directory_(std::move(directory)),
        bin_(std::move(bin)),
        guard_fd_(guard_fd),
        guardian_(guardian) {}

  // Runs `sql` on the database "postgres"; fails with the server's error.
  absl::Status Execute(const std::string& sql) const;
  // Runs a server program (initdb, pg_ctl) as the server's user in the
  // server's directory; fails with its output unless it exits 0.
  absl::Status RunProgram(const std::string& arguments) const;

  const std::string directory_;
  const std::string bin_;
  // Closing it tells the guardian to stop the server and remove directory_.
  const int guard_fd_;
  const pid_t guardian_;
  int port_ = 0;
  std::string password_;
};

// One server for the whole test binary, started on first use and stopped
// when the process exits; the same failure for every caller when it cannot
// start. Example (a test fixture's SetUp):
//   absl::StatusOr<PostgresServer*> server = SharedPostgresServer();
//   ASSERT_TRUE(server.ok()) << server.status();
absl::StatusOr<PostgresServer*> SharedPostgresServer();

}  // namespace seed::testing

#endif  // SEED_TESTS_POSTGRES_SERVER_H_
