#include "common/access.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "backtest/v1/coordinator.grpc.pb.h"
#include "backtest/v1/results.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

constexpr char kAlice[] = "alice-token-0123456789abcdef0123456789";
constexpr char kBob[] = "bob-token-0123456789abcdef0123456789abc";
constexpr char kRoot[] = "root-token-0123456789abcdef0123456789ab";
constexpr char kShard[] = "shard-token-0123456789abcdef0123456789a";

std::shared_ptr<const Access> Tokens(RateLimit limit = {}) {
  const std::string text = std::string("# clients\n") + kAlice +
                           " user alice\n" + kBob + " user bob\n\n" + kRoot +
                           "\tadmin root\n" + kShard + " writer shard-7\n";
  absl::StatusOr<std::shared_ptr<const Access>> access =
      Access::Enforcing(text, "tokens.txt", limit);
  EXPECT_TRUE(access.ok()) << access.status();
  return *access;
}

std::string Bearer(const std::string& token) { return "Bearer " + token; }

TEST(AccessTest, OpenAccessMakesEveryCallerTheLocalAdmin) {
  const absl::StatusOr<Caller> caller = Access::Open()->Identify("", {});
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->principal, kLocalPrincipal);
  EXPECT_EQ(caller->role, Role::kAdmin);
}

TEST(AccessTest, TokensNameTheirPrincipalAndRole) {
  const auto access = Tokens();
  absl::StatusOr<Caller> alice = access->Identify(Bearer(kAlice), {});
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->principal, "alice");
  EXPECT_EQ(alice->role, Role::kUser);
  absl::StatusOr<Caller> shard =
      access->Identify("bearer " + std::string(kShard), {});
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->role, Role::kWriter);
}

TEST(AccessTest, MissingOrUnknownTokensAreUnauthenticated) {
  const auto access = Tokens();
  EXPECT_EQ(access->Identify("", {}).status().code(),
            absl::StatusCode::kUnauthenticated);
  const absl::Status unknown =
      access->Identify(Bearer("x" + std::string(kAlice)), {}).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.message().find(kAlice), std::string::npos);
  EXPECT_EQ(access->Identify("Basic abc", {}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AccessTest, TheCoordinatorCertificateIsAWriter) {
  absl::StatusOr<Caller> caller =
      Tokens()->Identify("", {"spiffe://x", "seed:coordinator"});
  ASSERT_TRUE(caller.ok());
  EXPECT_TRUE(caller->coordinator);
  EXPECT_EQ(caller->role, Role::kWriter);
  EXPECT_EQ(caller->principal, kCoordinatorPrincipal);
}

TEST(AccessTest, OtherCertificatesAreKnownButAllowedNothing) {
  absl::StatusOr<Caller> caller =
      Tokens()->Identify("", {"seed:mallory"}, "CN=mallory");
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->role, Role::kNone);
  EXPECT_FALSE(caller->coordinator);
  EXPECT_FALSE(caller->MayAccessRunOf("bob"));
  EXPECT_EQ(
      Access::Authorize(*caller, "/backtest.v1.DataService/ReadBars").code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      Access::Authorize(*caller, "/backtest.v1.ResultsService/GetRun").code(),
      absl::StatusCode::kPermissionDenied);
}

TEST(AccessTest, TheTableGivesEachRoleItsMethods) {
  const Caller user{"alice", Role::kUser};
  const Caller writer{"shard-7", Role::kWriter};
  const Caller admin{"root", Role::kAdmin};
  const Caller coordinator{"coordinator", Role::kWriter, true};
  const auto code = [](const Caller& caller, const char* method) {
    return Access::Authorize(caller, method).code();
  };
  constexpr auto kOk = absl::StatusCode::kOk;
  constexpr auto kDenied = absl::StatusCode::kPermissionDenied;
  EXPECT_EQ(code(user, "/backtest.v1.CoordinatorService/SubmitRun"), kOk);
  EXPECT_EQ(code(user, "/backtest.v1.ResultsService/GetRun"), kOk);
  EXPECT_EQ(code(user, "/backtest.v1.ResultsService/BeginRun"), kDenied);
  EXPECT_EQ(code(user, "/backtest.v1.ResultsService/FinishRun"), kDenied);
  EXPECT_EQ(code(user, "/backtest.v1.ResultsService/StoreTrace"), kDenied);
  EXPECT_EQ(code(writer, "/backtest.v1.ResultsService/AppendRecords"), kOk);
  EXPECT_EQ(code(writer, "/backtest.v1.CoordinatorService/SubmitRun"), kDenied);
  EXPECT_EQ(code(coordinator, "/backtest.v1.ResultsService/BeginRun"), kOk);
  EXPECT_EQ(code(coordinator, "/backtest.v1.DataService/ValidateFiles"), kOk);
  EXPECT_EQ(code(admin, "/backtest.v1.DataService/ValidateFiles"), kDenied);
  EXPECT_EQ(code(admin, "/backtest.v1.ResultsService/StoreTrace"), kOk);
  EXPECT_EQ(code(user, "/grpc.health.v1.Health/Check"), kOk);
  EXPECT_EQ(code(admin, "/backtest.v1.Unknown/Method"), kDenied);
  const absl::Status denied =
      Access::Authorize(user, "/backtest.v1.ResultsService/BeginRun");
  EXPECT_NE(denied.message().find("writer or admin"), std::string::npos)
      << denied;
}

// Every method of the client-facing services has a rule (a missing one is
// refused to everyone, an admin included): a new rpc cannot ship unusable.
TEST(AccessTest, EveryClientFacingMethodHasARule) {
  const Caller admin{"root", Role::kAdmin};
  for (const char* service :
       {"backtest.v1.ResultsService", "backtest.v1.CoordinatorService"}) {
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service);
    ASSERT_NE(descriptor, nullptr) << service;
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const std::string method =
          absl::StrCat("/", service, "/", descriptor->method(i)->name());
      EXPECT_TRUE(Access::Authorize(admin, method).ok()) << method;
    }
  }
}

TEST(AccessTest, UsersMayAccessOnlyTheirOwnRuns) {
  const Caller alice{"alice", Role::kUser};
  EXPECT_TRUE(alice.MayAccessRunOf("alice"));
  EXPECT_FALSE(alice.MayAccessRunOf("bob"));
  EXPECT_FALSE(alice.MayAccessRunOf(""));
  EXPECT_TRUE((Caller{"root", Role::kAdmin}).MayAccessRunOf("bob"));
}

TEST(AccessTest, RateLimitRefillsOverTimeAndSaysWhenToRetry) {
  const auto access = Tokens({.per_second = 2, .burst = 3});
  const Caller alice{"alice", Role::kUser};
  const Caller bob{"bob", Role::kUser};
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(access->TakeRateToken(alice, t0).ok());
  const absl::Status limited = access->TakeRateToken(alice, t0);
  EXPECT_EQ(limited.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(limited.message().find("retry in 500ms"), std::string::npos)
      << limited;
  EXPECT_TRUE(access->TakeRateToken(bob, t0).ok());  // a bucket per principal
  EXPECT_TRUE(access->TakeRateToken(alice, t0 + absl::Milliseconds(500)).ok());
  const Caller coordinator{"coordinator", Role::kWriter, true};
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(access->TakeRateToken(coordinator, t0).ok());
  }
}

TEST(AccessTest, TokensFilesAreCheckedWithoutQuotingSecrets) {
  const auto load = [](const std::string& text) {
    return Access::Enforcing(text, "t.txt", {}).status();
  };
  EXPECT_EQ(load("short user alice\n").code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status bad_role =
      load(std::string(kAlice) + " superuser alice\n");
  EXPECT_EQ(bad_role.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_role.message().find(kAlice), std::string::npos);
  EXPECT_NE(bad_role.message().find("t.txt line 1"), std::string::npos);
  EXPECT_FALSE(load(std::string(kAlice) + " user coordinator\n").ok());
  EXPECT_FALSE(
      load(std::string(kAlice) + " user a\n" + kAlice + " admin b\n").ok());
  EXPECT_TRUE(ParseRateLimit("0").ok());
  EXPECT_EQ(ParseRateLimit("5").value().burst, 10);
  EXPECT_EQ(ParseRateLimit("5,7").value().burst, 7);
  EXPECT_FALSE(ParseRateLimit("fast").ok());
}

}  // namespace
}  // namespace seed
