#include "tests/postgres_server.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "postgresql/libpq-fe.h"
#include "tests/child_process.h"

namespace seed::testing {
namespace {

namespace fs = std::filesystem;

// The unprivileged user a root test runs the server as: it exists on every
// Debian system, needs no setup, and owns nothing else a test could harm.
constexpr char kServerUser[] = "nobody";
constexpr char kRunuser[] = "/usr/sbin/runuser";
// The superuser initdb creates; TCP logins need its password.
constexpr char kSuperuser[] = "seed";
// Attempts at a free port: another process may take the one picked between
// the pick and the server's bind.
constexpr int kStartAttempts = 3;
// Settings for a throwaway server: durability is not wanted (fsync off), the
// rest as shipped. Listening on loopback only.
constexpr char kServerOptions[] =
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off";

// What the guardian runs: waits for end of input (the test process closed
// the pipe, or died), then stops the server with a fast shutdown (SIGINT to
// the postmaster, whose pid is the first line of postmaster.pid), waits up
// to 30 s for it, kills it if it is still there, and removes the directory.
constexpr char kGuardianScript[] = R"sh(
while read -r _; do :; done
pidfile="$1/data/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -n 1 "$pidfile")
  if [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; then
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 300 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null
  fi
fi
rm -rf "$1"
)sh";

// The newest /usr/lib/postgresql/N/bin with an initdb, or $SEED_POSTGRES_BIN.
absl::StatusOr<std::string> ServerBinaries() {
  if (const char* bin = std::getenv("SEED_POSTGRES_BIN");
      bin != nullptr && *bin != '\0') {
    return std::string(bin);
  }
  int newest = -1;
  std::error_code error;
  for (const fs::directory_entry& entry :
       fs::directory_iterator("/usr/lib/postgresql", error)) {
    int version = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &version) &&
        version > newest && fs::exists(entry.path() / "bin" / "initdb")) {
      newest = version;
    }
  }
  if (newest < 0) {
    return absl::FailedPreconditionError(
        "no PostgreSQL server found in /usr/lib/postgresql/N/bin: install "
        "Debian's postgresql-15 (scripts/setup.sh does), or set "
        "SEED_POSTGRES_BIN to the directory holding initdb and pg_ctl");
  }
  return absl::StrCat("/usr/lib/postgresql/", newest, "/bin");
}

std::string RandomPassword() {
  std::random_device random;
  std::string password;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&password, absl::Hex(random(), absl::kZeroPad8));
  }
  return password;
}

// Makes `path` belong to the server's user when running as root.
absl::Status GiveToServerUser(const std::string& path) {
  if (geteuid() != 0) return absl::OkStatus();
  const passwd* user = getpwnam(kServerUser);
  if (user == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("user ", kServerUser,
                     " does not exist: PostgreSQL will "
                     "not run as root, and the tests run it as ",
                     kServerUser));
  }
  if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot give ", path, " to ", kServerUser, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Starts the guardian of `directory`; *write_fd is the pipe end to close.
absl::StatusOr<pid_t> StartGuardian(const std::string& directory,
                                    int* write_fd) {
  int fds[2];
  // Close-on-exec: no program the test starts (the server least of all)
  // may hold the pipe open, or the guardian would never see its end.
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError("cannot create the guardian's pipe");
  }
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("cannot fork the guardian");
  if (pid == 0) {
    // Only async-signal-safe calls until exec. A session of its own: a
    // signal to the test's process group (a timeout) does not reach it.
    setsid();
    dup2(fds[0], STDIN_FILENO);
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    execl("/bin/sh", "sh", "-c", kGuardianScript, "postgres-guardian",
          directory.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[0]);
  *write_fd = fds[1];
  return pid;
}

// Shell-quotes `text` in single quotes.
std::string Quote(absl::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  absl::StatusOr<std::string> bin = ServerBinaries();
  if (!bin.ok()) return bin.status();
  if (geteuid() == 0 && !fs::exists(kRunuser)) {
    return absl::FailedPreconditionError(absl::StrCat(
        kRunuser, " is missing (util-linux): it runs the server as ",
        kServerUser, ", since PostgreSQL will not run as root"));
  }
  std::string directory = (fs::temp_directory_path() / "seed-pg-XXXXXX");
  if (mkdtemp(directory.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create ", directory, ": ", std::strerror(errno)));
  }
  int guard_fd = -1;
  absl::StatusOr<pid_t> guardian = StartGuardian(directory, &guard_fd);
  if (!guardian.ok()) {
    fs::remove_all(directory);
    return guardian.status();
  }
  // From here the destructor (through the guardian) cleans up.
  std::unique_ptr<PostgresServer> server(
      new PostgresServer(directory, *bin, guard_fd, *guardian));
  server->password_ = RandomPassword();
  const std::string password_file = directory + "/password";
  std::ofstream(password_file) << server->password_ << "\n";
  for (const std::string& path : {directory, password_file}) {
    if (absl::Status status = GiveToServerUser(path); !status.ok()) {
      return status;
    }
  }
  absl::Status status = server->RunProgram(absl::StrCat(
      "initdb --pgdata=data --username=", kSuperuser,
      " --pwfile=password --auth-local=trust --auth-host=scram-sha-256 "
      "--encoding=UTF8 --locale=C --no-sync"));
  if (!status.ok()) return status;
  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    server->port_ = FreePort();
    status = server->Restart();
    if (status.ok()) return server;
  }
  return status;
}

PostgresServer::~PostgresServer() {
  close(guard_fd_);
  int status = 0;
  waitpid(guardian_, &status, 0);
}

std::string PostgresServer::Uri(absl::string_view database) const {
  return absl::StrCat("postgresql://", kSuperuser, ":", password_,
                      "@127.0.0.1:", port_, "/", database);
}

namespace {

absl::Status CheckName(absl::string_view name) {
  for (const char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat("name '", name, "' is not [A-Za-z0-9_]+"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PostgresServer::CreateDatabase(
    absl::string_view name) {
  absl::Status status = CheckName(name);
  if (status.ok()) {
    status = Execute(absl::StrCat("CREATE DATABASE \"", name, "\""));
  }
  if (!status.ok()) return status;
  return Uri(name);
}

absl::StatusOr<std::string> PostgresServer::CreateSchema(
    absl::string_view name) {
  absl::Status status = CheckName(name);
  if (status.ok()) {
    status = Execute(absl::StrCat("CREATE SCHEMA \"", name, "\""));
  }
  if (!status.ok()) return status;
  // options=-c search_path=NAME, percent-encoded.
  return absl::StrCat(Uri("postgres"), "?options=-csearch_path%3D", name);
}

absl::Status PostgresServer::Execute(const std::string& sql) const {
  PGconn* conn = PQconnectdb(Uri("postgres").c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      error = PQresultErrorMessage(result);
    }
    PQclear(result);
  }
  PQfinish(conn);
  if (error.empty()) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("the test's PostgreSQL server: ", sql, ": ", error));
}

absl::Status PostgresServer::Stop() {
  return RunProgram("pg_ctl --pgdata=data --mode=fast --wait stop");
}

absl::Status PostgresServer::Restart() {
  return RunProgram(absl::StrCat(
      "pg_ctl --pgdata=data --log=server.log --wait --timeout=120 -o ",
      Quote(
          absl::StrCat("-p ", port_, " -k ", directory_, " ", kServerOptions)),
      " start"));
}

std::string PostgresServer::Log() const {
  std::ifstream file(directory_ + "/server.log");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

absl::Status PostgresServer::RunProgram(const std::string& arguments) const {
  const std::string as_user =
      geteuid() == 0 ? absl::StrCat(kRunuser, " -u ", kServerUser, " -- ") : "";
  const CommandResult result =
      RunCommand(absl::StrCat("cd ", Quote(directory_), " && LC_ALL=C ",
                              as_user, bin_, "/", arguments));
  if (result.exit_code == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the test's PostgreSQL server: `", arguments, "` in ",
                   directory_, " exited with ", result.exit_code, ":\n",
                   result.output, "\nserver log:\n", Log()));
}

absl::StatusOr<PostgresServer*> SharedPostgresServer() {
  // Destroyed at exit, which stops the server; a process that dies instead
  // leaves that to the guardian.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> server =
      PostgresServer::Start();
  if (!server.ok()) return server.status();
  return server->get();
}

}  // namespace seed::testing
