// bt serve: distributed mode on one machine. Starts each of the five stage
// services and the coordinator as its own process (this binary re-executed
// with --only=NAME), waits until every one reports SERVING, restarts one that
// dies (with backoff, logged as JSON; the others keep running), and stops
// them all on Ctrl-C or SIGTERM. `bt serve --only=NAME` runs one service in
// this process, which is also what a container or pod runs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/restart_backoff.h"
#include "cli/stage_access.h"
#include "common/data_roots.h"
#include "common/health_client.h"
#include "common/listen_address.h"
#include "common/logging.h"
#include "common/server.h"
#include "services/coordinator/coordinator_server.h"
#include "services/coordinator/services_config.h"
#include "services/data/data_server.h"
#include "services/execution/execution_service.h"
#include "services/portfolio/portfolio_service.h"
#include "services/results/results_server.h"
#include "services/strategy/strategy_service.h"

namespace seed::cli {
namespace {

constexpr char kServeUsage[] =
    R"(usage: bt serve [--config FILE] [--db FILE] [--data-addr=ADDR ...] [--only NAME]
                [--otlp-endpoint URL] [--step-deadline DURATION] [--run-lease D]
                [--tls-cert FILE --tls-key FILE --tls-ca FILE] [--tokens FILE]
                [--rate-limit RATE[,BURST]] [--data-roots DIR[,DIR...]]
                [--strategy-allow HOST:PORT[,...]] [--insecure]
                [--metrics-listen HOST:PORT] [--health-listen HOST:PORT]
  --otlp-endpoint URL   the coordinator also posts every finished run's trace
                        there (OTLP/HTTP JSON)
  --run-lease DURATION  how long a run stays RUNNING in results without word
                        from its coordinator before it reads as ABANDONED
                        (default 60s; renewed every third of it)
  --tls-cert/--tls-key  each service's certificate; {service} in the path is
                        replaced by the service's name (certs/{service}.crt)
  --tls-ca FILE         the CA that verifies peers (scripts/certs.sh)
  --tokens FILE         bearer tokens of the coordinator and results services:
                        TOKEN ROLE PRINCIPAL per line (docs/security.md)
  --data-roots DIRS     the only directories the data service reads
  --strategy-allow L    the strategy services a spec may name (default:
                        loopback addresses)
  --metrics-listen A    Prometheus metrics at http://A/metrics; with no --only
                        each service gets the port plus its offset:
                        coordinator +0, data +1, strategy +2, portfolio +3,
                        execution +4, results +5 (port 0: each a free one)
  --health-listen A     grpc.health.v1 alone in plain text (for probes that
                        cannot speak TLS); ports offset as --metrics-listen's.
                        Data is NOT_SERVING while a --data-roots directory
                        cannot be read, results while its database cannot be
                        reached (both checked every 2 s, on the gRPC port too)
Without --only, each service runs as a child process; one that dies is logged
(a JSON line, event service_exit) and restarted after 0.5 s, doubling to 30 s
while it keeps dying (back to 0.5 s once it stayed up 60 s); the others keep
running. SIGINT or SIGTERM stops them all.
)";

constexpr absl::Duration kStartTimeout = absl::Seconds(30);
// In a TLS file flag, replaced by each child's service name, so that one
// flag names every service's own certificate: --tls-cert=certs/{service}.crt.
constexpr absl::string_view kServicePlaceholder = "{service}";
// Flags only the coordinator and results services take.
constexpr absl::string_view kTokenFlags[] = {"tokens", "rate-limit"};
// Flags that name one port for every child: each child listens on the port
// plus its service's offset (PortOffset).
constexpr absl::string_view kOffsetPortFlags[] = {"metrics-listen",
                                                  "health-listen"};

// A service's offset from the first port of kOffsetPortFlags, in the order
// of the gRPC default ports (coordinator 7100, data 7101, ... results 7105).
int PortOffset(absl::string_view name) {
  constexpr absl::string_view kByPort[] = {
      "coordinator", "data", "strategy", "portfolio", "execution", "results"};
  for (int i = 0; i < static_cast<int>(std::size(kByPort)); ++i) {
    if (name == kByPort[i]) return i;
  }
  return 0;
}
constexpr int kLargestPortOffset = 5;

// HOST:PORT with the port moved by `offset`; port 0 (any free port) stays.
std::string OffsetAddress(const std::string& address, int offset) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port == 0) {
    return address;
  }
  return absl::StrCat(address.substr(0, colon + 1), port + offset);
}

// Refuses a kOffsetPortFlags value that is not HOST:PORT, or, when it is
// `offset` for every service, whose port plus the largest offset is past
// 65535.
absl::Status CheckOffsetPortFlags(const Flags& flags, bool offset) {
  for (const absl::string_view flag : kOffsetPortFlags) {
    const std::optional<std::string> value = flags.Get(std::string(flag));
    if (!value.has_value()) continue;
    const std::string name = absl::StrCat("--", flag);
    if (absl::Status status = CheckListenAddress(name, *value); !status.ok()) {
      return status;
    }
    int port = 0;
    absl::SimpleAtoi(value->substr(value->rfind(':') + 1), &port);
    if (offset && port + kLargestPortOffset > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": the services listen on the port and the ",
          kLargestPortOffset, " after it; ", port, " leaves no room for them"));
    }
  }
  return absl::OkStatus();
}

// One service in this process, with its own server flags from `args`
// ({service} in them replaced by `name`).
int ServeOne(const std::string& name, const Args& given_args,
             const StageOptions& options) {
  Args args;
  for (const std::string& arg : given_args) {
    args.push_back(absl::StrReplaceAll(arg, {{kServicePlaceholder, name}}));
  }
  if (name == "coordinator") {
    absl::StatusOr<coordinator::CoordinatorServerOptions> coordinator_options =
        coordinator::ReadCoordinatorServerOptions(args);
    if (!coordinator_options.ok()) {
      return ServerUsageError(name, coordinator_options.status());
    }
    return coordinator::ServeCoordinator(*coordinator_options);
  }
  coordinator::ServiceAddresses addresses = options.addresses;
  absl::StatusOr<ServerOptions> server =
      ReadServerOptions(args, name, *coordinator::AddressOf(addresses, name));
  if (!server.ok()) return ServerUsageError(name, server.status());
  if (name == "data") {
    absl::StatusOr<DataRoots> roots = data::ReadDataRoots(args);
    if (!roots.ok()) return ServerUsageError(name, roots.status());
    return data::ServeData(*server, *std::move(roots));
  }
  if (name == "strategy") {
    strategy::StrategyEngine engine;
    strategy::StrategyServiceImpl service(engine);
    return ServeUntilSignal(name, *server, {&service});
  }
  if (name == "portfolio") {
    portfolio::PortfolioEngine engine;
    portfolio::PortfolioServiceImpl service(engine);
    return ServeUntilSignal(name, *server, {&service});
  }
  if (name == "execution") {
    execution::ExecutionEngine engine;
    execution::ExecutionServiceImpl service(engine);
    return ServeUntilSignal(name, *server, {&service});
  }
  return results::ServeResults(*server, options.database);
}

// The arguments of the child that runs `name`: the parent's, without the
// token flags for the stage services (they accept only the coordinator's
// certificate), with its own ports of kOffsetPortFlags.
std::vector<std::string> ChildArgs(absl::string_view name, const Args& args) {
  std::vector<std::string> child = {"bt", "serve",
                                    absl::StrCat("--only=", name)};
  const bool takes_tokens = name == "coordinator" || name == "results";
  for (size_t i = 0; i < args.size(); ++i) {
    bool token_flag = false;
    for (absl::string_view flag : kTokenFlags) {
      const std::string bare = absl::StrCat("--", flag);
      if (args[i] == bare && i + 1 < args.size()) {
        token_flag = true;
        if (!takes_tokens) ++i;  // its value goes too
      } else if (absl::StartsWith(args[i], bare + "=")) {
        token_flag = true;
      }
    }
    if (token_flag && !takes_tokens) continue;
    child.push_back(args[i]);
  }
  for (size_t i = 3; i < child.size(); ++i) {
    for (const absl::string_view flag : kOffsetPortFlags) {
      const std::string bare = absl::StrCat("--", flag);
      if (child[i] == bare && i + 1 < child.size()) {
        child[i + 1] = OffsetAddress(child[i + 1], PortOffset(name));
      } else if (absl::StartsWith(child[i], bare + "=")) {
        child[i] = absl::StrCat(
            bare, "=",
            OffsetAddress(child[i].substr(bare.size() + 1), PortOffset(name)));
      }
    }
  }
  return child;
}

volatile sig_atomic_t g_stop = 0;
void OnStop(int) { g_stop = 1; }

// How a child's wait status reads in a log: "killed by signal 9 (Killed)".
std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    return absl::StrCat("killed by signal ", WTERMSIG(status), " (",
                        strsignal(WTERMSIG(status)), ")");
  }
  return absl::StrCat("exit status ", WEXITSTATUS(status));
}

// One service process of `bt serve`, restarted when it dies.
struct Child {
  std::string name;
  pid_t pid = 0;  // 0 while it waits for its restart
  absl::Time started;
  absl::Time restart_at;
  RestartBackoff backoff;
};

// Forks and executes this binary as `bt serve --only=NAME`; the child's pid,
// or 0 (logged) when fork fails.
pid_t StartChild(absl::string_view name, const Args& args) {
  std::vector<std::string> child_args = ChildArgs(name, args);
  // Formatted before fork: the child may only call async-signal-safe
  // functions, and the log stays JSON even if execv fails.
  const std::string exec_failed =
      absl::StrCat(FormatLogLine(LogLevel::kError,
                                 "bt serve: cannot execute the service process",
                                 {.extra = {{"event", "service_exec_failed"},
                                            {"service", std::string(name)}}}),
                   "\n");
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (std::string& arg : child_args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    const ssize_t ignored =
        write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    (void)ignored;  // nothing is left to tell
    _exit(127);
  }
  if (pid < 0) {
    LogEvent(LogLevel::kError, "bt serve: cannot fork a service process",
             {.extra = {{"event", "service_fork_failed"},
                        {"service", std::string(name)},
                        {"error", std::strerror(errno)}}});
    return 0;
  }
  return pid;
}

// Marks the child that exited with `status` as waiting for its restart,
// after its backoff, and logs it.
void OnChildExit(Child& child, int status, absl::Time now) {
  const absl::Duration delay = child.backoff.NextDelay(now - child.started);
  LogEvent(LogLevel::kError,
           absl::StrCat("the ", child.name,
                        " service process exited unexpectedly; restarting it"),
           {.extra = {{"event", "service_exit"},
                      {"service", child.name},
                      {"pid", absl::StrCat(child.pid)},
                      {"exit", DescribeExit(status)},
                      {"uptime", absl::FormatDuration(now - child.started)},
                      {"restart_in", absl::FormatDuration(delay)}}});
  child.pid = 0;
  child.restart_at = now + delay;
}

// Restarts the children whose backoff has passed.
void RestartDue(std::vector<Child>& children, const Args& args,
                absl::Time now) {
  for (Child& child : children) {
    if (child.pid != 0 || now < child.restart_at) continue;
    child.started = now;
    child.pid = StartChild(child.name, args);
    if (child.pid == 0) {
      child.restart_at = now + child.backoff.NextDelay(absl::ZeroDuration());
      continue;
    }
    LogEvent(LogLevel::kInfo,
             absl::StrCat("the ", child.name, " service process restarted"),
             {.extra = {{"event", "service_restart"},
                        {"service", child.name},
                        {"pid", absl::StrCat(child.pid)}}});
  }
}

// Stops every running child with SIGTERM and waits for each.
void StopAll(const std::vector<Child>& children) {
  for (const Child& child : children) {
    if (child.pid != 0) kill(child.pid, SIGTERM);
  }
  for (const Child& child : children) {
    if (child.pid != 0) waitpid(child.pid, nullptr, 0);
  }
}

// Starts every service as a child process, waits until each is SERVING, then
// supervises them: a child that dies is logged and restarted (RestartBackoff)
// while the others keep running, until SIGINT or SIGTERM stops them all.
int ServeAll(const Args& args, const StageOptions& options) {
  // The children log JSON lines to the stderr they share with this process:
  // what it says there is JSON too, and so is what a child says before its
  // server starts (BT_JSON_LOGS, common/logging.h).
  EnableJsonLogs(true);
  setenv("BT_JSON_LOGS", "1", 1);
  std::vector<Child> children;
  signal(SIGINT, OnStop);
  signal(SIGTERM, OnStop);
  // Health checks need only the CA: they are open to every caller.
  ChannelSecurity health = ChannelSecurity::Plain();
  if (const auto ca = FlagValue(args, "tls-ca")) {
    absl::StatusOr<ChannelSecurity> tls =
        MakeChannelSecurity({"", "", *ca}, "");
    if (!tls.ok()) {
      PrintError(tls.status());
      return kExitUsage;
    }
    health = *std::move(tls);
  }
  for (const absl::string_view name : coordinator::kServiceNames) {
    Child& child = children.emplace_back();
    child.name = std::string(name);
    child.started = absl::Now();
    child.pid = StartChild(name, args);
    coordinator::ServiceAddresses addresses = options.addresses;
    const absl::Status ready =
        child.pid == 0
            ? absl::UnavailableError("fork failed")
            : WaitUntilServing(*coordinator::AddressOf(addresses, child.name),
                               kStartTimeout, health);
    if (!ready.ok()) {
      LogEvent(LogLevel::kError,
               absl::StrCat("the ", name, " service did not start: ",
                            ready.message(), "; stopping the others"),
               {.extra = {{"event", "service_start_failed"},
                          {"service", child.name}}});
      StopAll(children);
      return kExitFailed;
    }
  }
  std::cout << "all services are SERVING; submit with: bt run SPEC --remote "
            << options.addresses.coordinator << "\n(Ctrl-C stops them)"
            << std::endl;
  while (!g_stop) {
    int status = 0;
    pid_t pid = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      for (Child& child : children) {
        if (child.pid == pid) OnChildExit(child, status, absl::Now());
      }
    }
    RestartDue(children, args, absl::Now());
    absl::SleepFor(absl::Milliseconds(100));
  }
  StopAll(children);
  return kExitOk;
}

}  // namespace

int ServeCommand(const Args& args) {
  std::set<std::string> valued = kStageFlags;
  valued.insert(
      {"only", "otlp-endpoint", "run-lease", "data-roots", "strategy-allow"});
  for (const absl::string_view flag : kServerValuedFlags) {
    if (flag != "listen") valued.emplace(flag);
  }
  const std::set<std::string> switches(std::begin(kServerSwitches),
                                       std::end(kServerSwitches));
  absl::StatusOr<Flags> flags = Flags::Parse(args, valued, switches);
  if (!flags.ok() || !flags->positional().empty()) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << kServeUsage;
    return kExitUsage;
  }
  if (absl::Status status =
          CheckOffsetPortFlags(*flags, !flags->Get("only").has_value());
      !status.ok()) {
    PrintError(status);
    return kExitUsage;
  }
  // The TLS flags are the services' own files here, not a client's.
  absl::StatusOr<StageOptions> options =
      ReadStageOptions(*flags, {"tls-cert", "tls-key", "tls-ca", "token-file"});
  if (!options.ok()) {
    PrintError(options.status());
    return kExitUsage;
  }
  if (const auto only = flags->Get("only")) {
    coordinator::ServiceAddresses addresses;
    if (coordinator::AddressOf(addresses, *only) == nullptr) {
      std::cerr << "--only must name one of: "
                << absl::StrJoin(coordinator::kServiceNames, ", ") << "\n";
      return kExitUsage;
    }
    return ServeOne(*only, args, *options);
  }
  return ServeAll(args, *options);
}

}  // namespace seed::cli
