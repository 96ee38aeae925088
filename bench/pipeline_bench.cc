// Throughput and memory of the whole pipeline with sma_cross, in embedded and
// distributed mode, on (a) one symbol x 1,000,000 one-minute bars and (b) 500
// symbols x 2,500 daily bars. Prints bars/s, steps/s and peak resident memory.
//
//   bazel run -c opt //bench:pipeline_bench [-- --cases=a,b]
//       [--modes=embedded,distributed] [--tracing=on,off] [--tls=DIR]
//       [--column-cache=off,cold,warm] [--phases]
//
// --column-cache says how the data stage finds its column cache
// (services/data/column_cache.h) in each run: off (none: every run parses),
// cold (empty: the run parses and stores) or warm (filled before the run, as
// after any earlier run over the same files: the run reads columns). Default
// warm. The caches live in the benchmark's own directory.
//
// --phases prints, before the runs, the data stage's phases on each case's
// files (bench/data_phases.h): reading, parsing, hashing, the column cache.
//
// --tls=DIR runs distributed mode with TLS everywhere and a bearer token, DIR
// being scripts/certs.sh's output, to show what TLS costs.
//
// --tracing=on,off measures embedded runs both with the run's trace recorded
// (the default, as every run does) and without, to show what tracing costs.
//
// Each measurement runs in a fresh child process (this binary re-executed), so
// peak memory is that run's alone; in distributed mode the five stage
// services and the coordinator are separate processes (bt serve) and the peak
// is the sum over them.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "backtest/v1/coordinator.grpc.pb.h"
#include "bench/data_phases.h"
#include "common/health_client.h"
#include "common/server.h"
#include "services/coordinator/embedded_stages.h"
#include "services/coordinator/run_manager.h"
#include "services/data/dataset_store.h"
#include "tests/child_process.h"

namespace seed::bench {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::backtest::v1;

// The bench's admin token in DIR/bench.tokens (--tls): a local stand-in.
const std::string kBenchToken(64, 'b');

// The coordinator's clients' credentials: plain, or TLS with the token.
ChannelSecurity BenchSecurity(const std::string& tls_dir) {
  if (tls_dir.empty()) return ChannelSecurity::Plain();
  return *MakeChannelSecurity({"", "", tls_dir + "/ca.crt"}, kBenchToken);
}

struct Case {
  std::string name;
  int symbols;
  int bars;
  int64_t interval_seconds;
};

const Case kCases[] = {{"a", 1, 1000000, 60}, {"b", 500, 2500, 86400}};

// A seeded random walk with valid OHLC, written in our CSV schema.
void WriteSeries(const fs::path& path, int bars, int64_t interval,
                 uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> step(-0.01, 0.01);
  std::ofstream file(path);
  file << "timestamp,open,high,low,close,volume\n";
  double close = 100.0;
  const int64_t start = 946857600;  // 2000-01-03
  char line[160];
  for (int i = 0; i < bars; ++i) {
    const double open = close * (1.0 + step(random) * 0.2);
    close = open * (1.0 + step(random));
    const double high = std::max(open, close) * 1.002;
    const double low = std::min(open, close) * 0.998;
    const int64_t t = start + static_cast<int64_t>(i) * interval;
    const int64_t day = t / 86400, second = t % 86400;
    const int64_t z = day + 719468, era = z / 146097, doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const int64_t y = yoe + era * 400 + (m <= 2);
    std::snprintf(
        line, sizeof(line),
        "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld,%.4f,%.4f,%.4f,%.4f,1000\n",
        (long long)y, (long long)m, (long long)d, (long long)(second / 3600),
        (long long)(second / 60 % 60), (long long)(second % 60), open, high,
        low, close);
    file << line;
  }
}

fs::path Prepare(const Case& c, const fs::path& root) {
  const fs::path directory = root / c.name;
  if (fs::exists(directory / "done")) return directory;
  fs::create_directories(directory);
  for (int s = 0; s < c.symbols; ++s) {
    WriteSeries(directory / absl::StrFormat("S%03d.csv", s), c.bars,
                c.interval_seconds, 1000 + s);
  }
  std::ofstream(directory / "done") << "ok\n";
  return directory;
}

std::vector<std::string> CaseFiles(const Case& c, const fs::path& directory) {
  std::vector<std::string> files;
  for (int s = 0; s < c.symbols; ++s) {
    files.push_back((directory / absl::StrFormat("S%03d.csv", s)).string());
  }
  return files;
}

// Points the runs' data stage (this process's children) at a column cache
// as `setting` says: off, cold (emptied now) or warm (filled now).
void SetColumnCache(absl::string_view setting, const Case& c,
                    const fs::path& directory, const fs::path& root) {
  if (setting == "off") {
    setenv("BT_COLUMN_CACHE", "off", 1);
    return;
  }
  const fs::path cache = root / "column-cache";
  setenv("BT_COLUMN_CACHE", cache.c_str(), 1);
  fs::remove_all(cache);
  if (setting != "warm") return;
  data::DatasetStore store(
      data::DatasetStoreOptions{.column_cache_dir = cache.string()});
  for (const std::string& path : CaseFiles(c, directory)) {
    if (!store.LoadFile(path, "S").ok()) {
      std::cerr << "cannot fill the column cache with " << path << "\n";
    }
  }
}

std::string Spec(const Case& c, const fs::path& directory) {
  std::string symbols;
  for (int s = 0; s < c.symbols; ++s) {
    absl::StrAppend(&symbols, s == 0 ? "" : ", ", absl::StrFormat("S%03d", s));
  }
  return absl::StrCat(
      "name: bench-", c.name, "\ndata: {path: ", directory.string(),
      ", symbols: [", symbols,
      "]}\nstrategy: {name: sma_cross, params: {fast: 10, slow: 30}}\n"
      "portfolio: {initial_cash: 1000000, sizing: {rule: percent_of_equity, "
      "percent: 0.002}}\n"
      "execution: {commission: {model: percent, bps: 10}}\n");
}

// Runs one case in this process and prints "steps seconds".
int RunOne(const std::string& mode, const Case& c, const fs::path& directory,
           const std::string& coordinator, bool tracing,
           const std::string& tls_dir) {
  const std::string spec = Spec(c, directory);
  const absl::Time start = absl::Now();
  v1::RunProgress progress;
  if (mode == "embedded") {
    absl::StatusOr<coordinator::Stages> stages =
        coordinator::MakeEmbeddedStages((directory / "embedded.db").string());
    if (!stages.ok()) return 1;
    coordinator::RunManager runs(*std::move(stages), {.tracing = tracing});
    absl::StatusOr<std::string> run_id = runs.Submit(spec, "");
    if (!run_id.ok()) {
      std::cerr << run_id.status() << "\n";
      return 1;
    }
    progress = *runs.Wait(*run_id);
  } else {
    auto stub = v1::CoordinatorService::NewStub(
        MakeChannel(coordinator, BenchSecurity(tls_dir)));
    v1::SubmitRunRequest submit;
    submit.set_spec_yaml(spec);
    v1::SubmitRunResponse submitted;
    grpc::ClientContext context;
    if (!stub->SubmitRun(&context, submit, &submitted).ok()) return 1;
    v1::WatchRunRequest watch;
    watch.set_run_id(submitted.run_id());
    grpc::ClientContext watch_context;
    auto reader = stub->WatchRun(&watch_context, watch);
    while (reader->Read(&progress)) {
    }
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (progress.state() != v1::SUCCEEDED) {
    std::cerr << progress.DebugString() << "\n";
    return 1;
  }
  std::printf("%lld %.6f\n", static_cast<long long>(progress.steps_done()),
              seconds);
  return 0;
}

struct Measurement {
  long long steps = 0;
  double seconds = 0;
  long peak_kb = 0;
};

// Runs `argv` to completion; parses its "steps seconds" line and peak RSS.
bool Measure(const std::vector<std::string>& argv, Measurement* m) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return false;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv("/proc/self/exe", args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string output;
  char buffer[256];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0)
    output.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  m->peak_kb += usage.ru_maxrss;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
         std::sscanf(output.c_str(), "%lld %lf", &m->steps, &m->seconds) == 2;
}

}  // namespace
}  // namespace seed::bench

int main(int argc, char** argv) {
  using namespace seed::bench;
  std::string cases = "a,b", modes = "embedded,distributed", one_mode, one_case,
              coordinator, bt = "cli/bt", tracing = "on", one_tracing = "on",
              tls_dir, column_cache = "warm";
  bool phases = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--cases=")) cases = arg.substr(8);
    if (absl::StartsWith(arg, "--modes=")) modes = arg.substr(8);
    if (absl::StartsWith(arg, "--run-mode=")) one_mode = arg.substr(11);
    if (absl::StartsWith(arg, "--run-case=")) one_case = arg.substr(11);
    if (absl::StartsWith(arg, "--coordinator=")) coordinator = arg.substr(14);
    if (absl::StartsWith(arg, "--tracing=")) tracing = arg.substr(10);
    if (absl::StartsWith(arg, "--run-tracing=")) one_tracing = arg.substr(14);
    if (absl::StartsWith(arg, "--column-cache=")) column_cache = arg.substr(15);
    if (arg == "--phases") phases = true;
    if (absl::StartsWith(arg, "--tls=") && arg.size() > 6) {
      tls_dir = fs::absolute(arg.substr(6)).string();
    }
  }
  const fs::path root = fs::temp_directory_path() / "seed-bench";
  if (!one_mode.empty()) {
    for (const Case& c : kCases) {
      if (c.name == one_case) {
        return RunOne(one_mode, c, root / c.name, coordinator,
                      one_tracing == "on", tls_dir);
      }
    }
    return 2;
  }
  bt = fs::absolute(bt).string();
  if (phases) {
    for (const Case& c : kCases) {
      if (!absl::StrContains(cases, c.name)) continue;
      const fs::path directory = Prepare(c, root);
      PrintDataPhases(c.name, CaseFiles(c, directory),
                      static_cast<int64_t>(c.symbols) * c.bars, root);
    }
  }
  std::printf("%-12s %-7s %-6s %-5s %10s %10s %9s %14s %12s %10s %12s\n",
              "mode", "tracing", "cache", "case", "bars", "steps", "seconds",
              "bars/s", "steps/s", "peak MB", "bytes/bar");
  for (const Case& c : kCases) {
    if (!absl::StrContains(cases, c.name)) continue;
    const fs::path directory = Prepare(c, root);
    for (const std::string mode : {"embedded", "distributed"}) {
      if (!absl::StrContains(modes, mode)) continue;
      // Distributed runs are always traced: the coordinator is bt serve's.
      // In the order given: the first run of a pair meets colder caches, so
      // comparing on,off with off,on shows how much of a gap is order.
      for (const absl::string_view trace_setting :
           absl::StrSplit(tracing, ',', absl::SkipEmpty())) {
        if (mode == "distributed" && trace_setting == "off") continue;
        for (const absl::string_view cache_setting :
             absl::StrSplit(column_cache, ',', absl::SkipEmpty())) {
          SetColumnCache(cache_setting, c, directory, root);
          Measurement m;
          // Each measurement stores into a new database.
          for (const char* file : {"embedded.db", "distributed.db"}) {
            for (const char* suffix : {"", "-wal", "-shm"}) {
              fs::remove(directory / (std::string(file) + suffix));
            }
          }
          std::unique_ptr<seed::testing::ChildProcess> serve;
          std::string address;
          if (mode == "distributed") {
            std::ofstream config(root / "services.yaml");
            for (const char* name : {"coordinator", "data", "strategy",
                                     "portfolio", "execution", "results"}) {
              const std::string a =
                  absl::StrCat("127.0.0.1:", seed::testing::FreePort());
              config << name << ": " << a << "\n";
              if (std::string(name) == "coordinator") address = a;
            }
            config.close();
            std::vector<std::string> serve_args = {
                bt, "serve", "--config=" + (root / "services.yaml").string(),
                "--db=" + (directory / "distributed.db").string()};
            if (!tls_dir.empty()) {
              std::ofstream(tls_dir + "/bench.tokens")
                  << kBenchToken << " admin bench\n";
              serve_args.insert(
                  serve_args.end(),
                  {"--tls-cert=" + tls_dir + "/{service}.crt",
                   "--tls-key=" + tls_dir + "/{service}.key",
                   "--tls-ca=" + tls_dir + "/ca.crt",
                   "--tokens=" + tls_dir + "/bench.tokens", "--rate-limit=0"});
            }
            serve = *seed::testing::ChildProcess::Start(
                serve_args, (root / "serve.log").string());
            if (!seed::WaitUntilServing(address, absl::Seconds(60),
                                        BenchSecurity(tls_dir))
                     .ok()) {
              std::cerr << serve->Log();
              return 1;
            }
          }
          const bool ok = Measure(
              {"pipeline_bench", "--run-mode=" + mode, "--run-case=" + c.name,
               "--coordinator=" + address, "--tls=" + tls_dir,
               absl::StrCat("--run-tracing=", trace_setting)},
              &m);
          if (serve) {
            // bt serve's own children (one per service): sum their peaks from
            // /proc before they exit.
            const std::string pids =
                seed::testing::RunCommand(
                    absl::StrCat("pgrep -P ", serve->pid(), " | tr '\\n' ' '"))
                    .output;
            for (absl::string_view pid :
                 absl::StrSplit(pids, ' ', absl::SkipEmpty())) {
              std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
              std::string line;
              while (std::getline(status, line)) {
                long kb = 0;
                if (std::sscanf(line.c_str(), "VmHWM: %ld kB", &kb) == 1)
                  m.peak_kb += kb;
              }
            }
            serve.reset();
          }
          if (!ok) {
            std::printf("%-12s %-7s %-6s %-5s failed\n", mode.c_str(),
                        std::string(trace_setting).c_str(),
                        std::string(cache_setting).c_str(), c.name.c_str());
            continue;
          }
          const double bars = static_cast<double>(c.symbols) * c.bars;
          std::printf(
              "%-12s %-7s %-6s %-5s %10.0f %10lld %9.2f %14.0f %12.0f %10.1f "
              "%12.1f\n",
              mode.c_str(), std::string(trace_setting).c_str(),
              std::string(cache_setting).c_str(), c.name.c_str(), bars, m.steps,
              m.seconds, bars / m.seconds, m.steps / m.seconds,
              m.peak_kb / 1024.0, m.peak_kb * 1024.0 / bars);
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
