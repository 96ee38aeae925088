// bt serve: distributed mode on one machine. Starts each of the five stage
// services and the coordinator as its own process (this binary re-executed
// with --only=NAME), waits until every one reports SERVING, and stops them all
// on Ctrl-C. `bt serve --only=NAME` runs one service in this process, which is
// also what a container or pod runs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/stage_access.h"
#include "common/health_client.h"
#include "common/server.h"
#include "services/coordinator/coordinator_service.h"
#include "services/coordinator/run_manager.h"
#include "services/coordinator/services_config.h"
#include "services/data/data_service.h"
#include "services/execution/execution_service.h"
#include "services/portfolio/portfolio_service.h"
#include "services/results/results_engine.h"
#include "services/results/results_service.h"
#include "services/strategy/strategy_service.h"

namespace seed::cli {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(30);

int Serve(const std::string& address, grpc::Service* service) {
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server =
      StartServer(address, {service}, &port);
  if (!server.ok()) {
    PrintError(server.status());
    return kExitFailed;
  }
  WaitForShutdownSignal({server->get()});
  return kExitOk;
}

// `otlp_endpoint`: where the coordinator also exports each finished run's
// trace (--otlp-endpoint URL); empty: nowhere.
int ServeOne(const std::string& name, const StageOptions& options,
             const std::string& otlp_endpoint) {
  coordinator::ServiceAddresses addresses = options.addresses;
  const std::string address = *coordinator::AddressOf(addresses, name);
  std::cout << name << " service listening on " << address << std::endl;
  if (name == "data") {
    data::DataEngine engine;
    data::DataServiceImpl service(engine);
    return Serve(address, &service);
  }
  if (name == "strategy") {
    strategy::StrategyEngine engine;
    strategy::StrategyServiceImpl service(engine);
    return Serve(address, &service);
  }
  if (name == "portfolio") {
    portfolio::PortfolioEngine engine;
    portfolio::PortfolioServiceImpl service(engine);
    return Serve(address, &service);
  }
  if (name == "execution") {
    execution::ExecutionEngine engine;
    execution::ExecutionServiceImpl service(engine);
    return Serve(address, &service);
  }
  if (name == "results") {
    absl::StatusOr<std::unique_ptr<results::ResultsEngine>> engine =
        results::ResultsEngine::Open(options.database);
    if (!engine.ok()) {
      PrintError(engine.status());
      return kExitFailed;
    }
    std::cout << "results database " << options.database << std::endl;
    results::ResultsServiceImpl service(**engine);
    return Serve(address, &service);
  }
  coordinator::RunManager runs(
      coordinator::MakeRemoteStages(addresses, options.remote_options),
      {.otlp_endpoint = otlp_endpoint});
  coordinator::CoordinatorServiceImpl service(runs);
  return Serve(address, &service);
}

volatile sig_atomic_t g_stop = 0;
void OnStop(int) { g_stop = 1; }

// Starts every service as a child process and supervises them.
int ServeAll(const Args& args, const StageOptions& options) {
  std::map<pid_t, std::string> children;
  const auto stop_all = [&children] {
    for (const auto& [pid, name] : children) kill(pid, SIGTERM);
    for (const auto& [pid, name] : children) waitpid(pid, nullptr, 0);
  };
  signal(SIGINT, OnStop);
  signal(SIGTERM, OnStop);
  for (const absl::string_view name : coordinator::kServiceNames) {
    std::vector<std::string> child_args = {"bt", "serve",
                                           absl::StrCat("--only=", name)};
    child_args.insert(child_args.end(), args.begin(), args.end());
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> argv;
      for (std::string& arg : child_args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      std::perror("bt serve: cannot start a service process");
      _exit(127);
    }
    children[pid] = std::string(name);
    coordinator::ServiceAddresses addresses = options.addresses;
    const absl::Status ready = WaitUntilServing(
        *coordinator::AddressOf(addresses, std::string(name)), kStartTimeout);
    if (!ready.ok()) {
      std::cerr << "the " << name
                << " service did not start: " << ready.message() << "\n";
      stop_all();
      return kExitFailed;
    }
  }
  std::cout << "all services are SERVING; submit with: bt run SPEC --remote "
            << options.addresses.coordinator << "\n(Ctrl-C stops them)"
            << std::endl;
  while (!g_stop) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      std::cerr << "the " << children[pid]
                << " service exited unexpectedly (status " << status
                << "); stopping the others\n";
      children.erase(pid);
      stop_all();
      return kExitFailed;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  stop_all();
  return kExitOk;
}

}  // namespace

int ServeCommand(const Args& args) {
  std::set<std::string> valued = kStageFlags;
  valued.insert("only");
  valued.insert("otlp-endpoint");
  absl::StatusOr<Flags> flags = Flags::Parse(args, valued, {});
  if (!flags.ok() || !flags->positional().empty()) {
    if (!flags.ok()) PrintError(flags.status());
    std::cerr << "usage: bt serve [--config FILE] [--db FILE] "
                 "[--data-addr=ADDR ...] [--only NAME] [--otlp-endpoint URL] "
                 "[--step-deadline DURATION]\n"
                 "  --otlp-endpoint URL  the coordinator also posts every "
                 "finished run's trace there (OTLP/HTTP JSON)\n";
    return kExitUsage;
  }
  absl::StatusOr<StageOptions> options = ReadStageOptions(*flags);
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
    return ServeOne(*only, *options, flags->Get("otlp-endpoint").value_or(""));
  }
  return ServeAll(args, *options);
}

}  // namespace seed::cli
