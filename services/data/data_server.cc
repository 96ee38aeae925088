#include "services/data/data_server.h"

#include <utility>

#include "common/server.h"
#include "services/data/data_engine.h"
#include "services/data/data_service.h"

namespace seed::data {

absl::StatusOr<DataRoots> ReadDataRoots(const std::vector<std::string>& args) {
  const auto list = FlagValue(args, "data-roots");
  if (!list.has_value()) return DataRoots();
  return DataRoots::Parse(*list);
}

int ServeData(const ServerOptions& options, DataRoots roots) {
  DataEngine engine(std::move(roots));
  DataServiceImpl service(engine);
  return ServeUntilSignal("data", options, {&service},
                          [&engine] { return engine.roots().CheckReadable(); });
}

}  // namespace seed::data
