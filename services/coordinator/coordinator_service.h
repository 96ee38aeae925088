// gRPC adapter of the coordinator: translates CoordinatorService calls to the
// RunManager. Which roles may call each method is checked before a handler
// runs (common/access.h); here the checks that depend on the run or the spec:
// a run is owned by the principal that submitted it, and a user may watch
// and cancel only its own; a spec whose data paths lie outside the data roots
// is refused before it runs. Thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_COORDINATOR_SERVICE_H_
#define SEED_SERVICES_COORDINATOR_COORDINATOR_SERVICE_H_

#include <memory>
#include <string>

#include "backtest/v1/coordinator.grpc.pb.h"
#include "common/access.h"
#include "common/data_roots.h"
#include "services/coordinator/run_manager.h"

namespace seed::coordinator {

class CoordinatorServiceImpl final
    : public backtest::v1::CoordinatorService::Service {
 public:
  // `access` tells who calls (Access::Open(): everyone is the local admin);
  // `data_roots` (--data-roots) are checked by name here, and for real by
  // the data service.
  CoordinatorServiceImpl(RunManager& runs, std::shared_ptr<const Access> access,
                         DataRoots data_roots = {})
      : runs_(runs),
        access_(std::move(access)),
        data_roots_(std::move(data_roots)) {}

  grpc::Status ValidateSpec(grpc::ServerContext* context,
                            const v1::ValidateSpecRequest* request,
                            v1::ValidateSpecResponse* response) override;
  grpc::Status SubmitRun(grpc::ServerContext* context,
                         const v1::SubmitRunRequest* request,
                         v1::SubmitRunResponse* response) override;
  grpc::Status WatchRun(grpc::ServerContext* context,
                        const v1::WatchRunRequest* request,
                        grpc::ServerWriter<v1::RunProgress>* writer) override;
  grpc::Status CancelRun(grpc::ServerContext* context,
                         const v1::CancelRunRequest* request,
                         v1::CancelRunResponse* response) override;

 private:
  // OK when the spec's data.path and data.metadata lie inside the roots (or
  // the spec does not parse: the run manager reports that).
  absl::Status CheckDataRoots(const std::string& spec_text,
                              const std::string& base_dir) const;
  // OK when the caller may watch or cancel `run_id`.
  absl::Status CheckOwner(const grpc::ServerContext& context,
                          const std::string& run_id);

  RunManager& runs_;
  const std::shared_ptr<const Access> access_;
  const DataRoots data_roots_;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_COORDINATOR_SERVICE_H_
