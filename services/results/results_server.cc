#include "services/results/results_server.h"

#include <iostream>
#include <memory>

#include "common/server.h"
#include "services/results/database_health.h"
#include "services/results/results_engine.h"
#include "services/results/results_service.h"
#include "services/results/results_service_metrics.h"

namespace seed::results {

int ServeResults(const ServerOptions& options, const std::string& database) {
  absl::StatusOr<std::unique_ptr<ResultsEngine>> engine =
      ResultsEngine::Open(database);
  if (!engine.ok()) {
    ReportStartFailure("results", engine.status());
    return 1;
  }
  std::cout << "results database " << (*engine)->database_path() << std::endl;
  ResultsServiceMetrics::Process().SetDatabaseUp(true);
  ResultsServiceImpl service(**engine, options.access);
  // The path as given (relative paths resolve as the engine's did: the
  // working directory does not change), and a URI with its password.
  return ServeUntilSignal("results", options, {&service}, [database] {
    const absl::Status reachable = CheckDatabaseReachable(database);
    ResultsServiceMetrics::Process().SetDatabaseUp(reachable.ok());
    return reachable;
  });
}

}  // namespace seed::results
