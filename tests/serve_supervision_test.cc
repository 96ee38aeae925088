// `bt serve` supervises its children: one killed is logged as a JSON line
// and restarted (a new process serves again on its port) while the others
// keep running, and SIGTERM still stops them all.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/health_client.h"
#include "gtest/gtest.h"
#include "services/coordinator/services_config.h"
#include "tests/child_process.h"
#include "tests/loopback_services.h"

namespace seed {
namespace {

namespace fs = std::filesystem;

fs::path Workspace() { return fs::path(::testing::TempDir()) / "supervise"; }

// The children of `parent` that run `bt serve --only=NAME`, by NAME.
std::map<std::string, pid_t> ServiceChildren(pid_t parent) {
  std::map<std::string, pid_t> children;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream status(entry.path() / "status");
    std::string line;
    pid_t ppid = -1;
    while (std::getline(status, line)) {
      if (absl::StartsWith(line, "PPid:")) {
        absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(5)), &ppid);
      }
    }
    if (ppid != parent) continue;
    std::ifstream cmdline_file(entry.path() / "cmdline");
    std::stringstream cmdline;
    cmdline << cmdline_file.rdbuf();
    for (absl::string_view arg : absl::StrSplit(cmdline.str(), '\0')) {
      if (absl::ConsumePrefix(&arg, "--only=")) {
        children[std::string(arg)] = pid;
      }
    }
  }
  return children;
}

TEST(ServeSupervisionTest, AKilledChildIsLoggedAndRestartedAlone) {
  fs::remove_all(Workspace());
  fs::create_directories(Workspace());
  const coordinator::ServiceAddresses addresses =
      testing::WriteLoopbackServicesConfig(
          (Workspace() / "services.yaml").string());
  const std::string log = (Workspace() / "serve.log").string();
  absl::StatusOr<std::unique_ptr<testing::ChildProcess>> serve =
      testing::ChildProcess::Start(
          {"cli/bt", "serve",
           absl::StrCat("--config=", (Workspace() / "services.yaml").string()),
           absl::StrCat("--db=", (Workspace() / "results.db").string())},
          log);
  ASSERT_TRUE(serve.ok()) << serve.status();
  // The coordinator is the last child started: when it serves, all do.
  absl::Status ready =
      WaitUntilServing(addresses.coordinator, absl::Seconds(60));
  ASSERT_TRUE(ready.ok()) << ready << "\n" << (*serve)->Log();
  const std::map<std::string, pid_t> before = ServiceChildren((*serve)->pid());
  ASSERT_EQ(before.size(), 6u) << (*serve)->Log();

  ASSERT_EQ(kill(before.at("execution"), SIGKILL), 0);
  // Restarted after 0.5 s, it starts in about a second; 30 s is generous.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::map<std::string, pid_t> after;
  while (absl::Now() < deadline) {
    after = ServiceChildren((*serve)->pid());
    if (after.count("execution") &&
        after.at("execution") != before.at("execution")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(after.count("execution") &&
              after.at("execution") != before.at("execution"))
      << (*serve)->Log();
  ready = WaitUntilServing(addresses.execution, absl::Seconds(30));
  EXPECT_TRUE(ready.ok()) << ready << "\n" << (*serve)->Log();
  for (const auto& [name, pid] : before) {
    if (name != "execution") EXPECT_EQ(after.at(name), pid) << name;
  }
  EXPECT_TRUE((*serve)->Running());

  // The death is a JSON line naming the service, its pid and the signal;
  // nothing about it is plain text.
  bool logged = false;
  for (const absl::string_view line : absl::StrSplit((*serve)->Log(), '\n')) {
    if (absl::StrContains(line, "exited unexpectedly")) {
      EXPECT_TRUE(absl::StartsWith(line, "{") && absl::EndsWith(line, "}"))
          << line;
    }
    if (absl::StrContains(line, R"("event":"service_exit")")) {
      logged = true;
      EXPECT_TRUE(absl::StrContains(line, R"("service":"execution")")) << line;
      EXPECT_TRUE(absl::StrContains(
          line, absl::StrCat(R"("pid":")", before.at("execution"), "\"")))
          << line;
      EXPECT_TRUE(absl::StrContains(line, "signal 9")) << line;
    }
  }
  EXPECT_TRUE(logged) << (*serve)->Log();

  // SIGTERM stops bt serve and every child, the restarted one included.
  (*serve)->Signal(SIGTERM);
  const int status = (*serve)->Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (const auto& [name, pid] : after) {
    EXPECT_NE(kill(pid, 0), 0) << name << " still runs";
  }
}

}  // namespace
}  // namespace seed
