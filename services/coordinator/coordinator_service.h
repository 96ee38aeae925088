// gRPC adapter of the coordinator: translates CoordinatorService calls to the
// RunManager. Thread-safe.
#ifndef SEED_SERVICES_COORDINATOR_COORDINATOR_SERVICE_H_
#define SEED_SERVICES_COORDINATOR_COORDINATOR_SERVICE_H_

#include "backtest/v1/coordinator.grpc.pb.h"
#include "services/coordinator/run_manager.h"

namespace seed::coordinator {

class CoordinatorServiceImpl final
    : public backtest::v1::CoordinatorService::Service {
 public:
  explicit CoordinatorServiceImpl(RunManager& runs) : runs_(runs) {}

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
  RunManager& runs_;
};

}  // namespace seed::coordinator

#endif  // SEED_SERVICES_COORDINATOR_COORDINATOR_SERVICE_H_
