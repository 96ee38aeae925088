#include "common/server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "backtest/v1/results.grpc.pb.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

// Answers every read; a write is never expected to arrive twice.
class FakeResults final : public backtest::v1::ResultsService::Service {
 public:
  grpc::Status ListRuns(grpc::ServerContext*,
                        const backtest::v1::ListRunsRequest*,
                        backtest::v1::ListRunsResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status BeginRun(grpc::ServerContext*,
                        const backtest::v1::BeginRunRequest*,
                        backtest::v1::BeginRunResponse*) override {
    return grpc::Status::OK;
  }
};

// A port nobody listens on right now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST(StartServerTest, SecondServerOnAUsedPortFailsNamingTheAddress) {
  FakeResults first_service, second_service;
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> first =
      StartServer("127.0.0.1:0", {&first_service}, &port);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = absl::StrCat("127.0.0.1:", port);
  absl::StatusOr<std::unique_ptr<grpc::Server>> second =
      StartServer(address, {&second_service});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(address), std::string::npos)
      << second.status();
  EXPECT_NE(second.status().message().find("port in use"), std::string::npos)
      << second.status();
  (*first)->Shutdown();
}

// The server comes up 600 ms after the first attempt: a read is retried
// until it answers; a write (not safe to repeat) fails at once.
TEST(MakeChannelTest, RetriesReadsButNotWritesWhileAServerComesUp) {
  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  FakeResults service;
  std::unique_ptr<grpc::Server> server;
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    absl::StatusOr<std::unique_ptr<grpc::Server>> started =
        StartServer(address, {&service});
    ASSERT_TRUE(started.ok()) << started.status();
    server = *std::move(started);
  });
  auto stub = backtest::v1::ResultsService::NewStub(MakeChannel(address));
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(20);
  grpc::ClientContext write_context;
  write_context.set_deadline(deadline);
  backtest::v1::BeginRunResponse begun;
  const grpc::Status write =
      stub->BeginRun(&write_context, backtest::v1::BeginRunRequest(), &begun);
  EXPECT_EQ(write.error_code(), grpc::StatusCode::UNAVAILABLE);

  grpc::ClientContext read_context;
  read_context.set_deadline(deadline);
  backtest::v1::ListRunsResponse runs;
  const grpc::Status read =
      stub->ListRuns(&read_context, backtest::v1::ListRunsRequest(), &runs);
  EXPECT_TRUE(read.ok()) << read.error_code() << " " << read.error_message();
  starter.join();
  if (server != nullptr) server->Shutdown();
}

TEST(RetryServiceConfigTest, RetriesOnlyUnavailable) {
  const std::string config = RetryServiceConfig();
  EXPECT_NE(config.find("\"retryableStatusCodes\": [\"UNAVAILABLE\"]"),
            std::string::npos);
  EXPECT_EQ(config.find("SubmitRun"), std::string::npos);
  EXPECT_EQ(config.find("OpenDataset"), std::string::npos);
  EXPECT_EQ(config.find("AppendRecords"), std::string::npos);
}

}  // namespace
}  // namespace seed
