// Real processes for integration tests: start a binary with arguments, its
// output going to a log file, and stop it (SIGTERM, or any signal to simulate
// a crash) when the test is done. Also picks free loopback ports. Not
// thread-safe.
#ifndef SEED_TESTS_CHILD_PROCESS_H_
#define SEED_TESTS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace seed::testing {

class ChildProcess {
 public:
  // argv[0] is the program path. stdout and stderr go to log_path.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv, const std::string& log_path);

  // Stops the process with SIGTERM if it still runs, and reaps it.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  void Signal(int signal_number);
  // Waits for the process to end; its wait status.
  int Wait();
  bool Running();
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string log_path)
      : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  bool reaped_ = false;
  std::string log_path_;
};

// A loopback port nobody listened on a moment ago: at random below the
// kernel's ephemeral range (where client connections take their ports), so
// tests running side by side rarely race for one.
int FreePort();

// Runs a command through the shell; its exit code and combined output.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

}  // namespace seed::testing

#endif  // SEED_TESTS_CHILD_PROCESS_H_
