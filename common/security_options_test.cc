#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/channel_security.h"
#include "common/server_security.h"
#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(LoopbackTest, KnowsLoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:7100"));
  EXPECT_TRUE(IsLoopbackAddress("127.8.9.10:1"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:7100"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:7100"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:7100"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:7100"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:7100"));
  EXPECT_FALSE(IsLoopbackAddress("data.backtest.svc:7101"));
  EXPECT_FALSE(IsLoopbackAddress("128.0.0.1:7100"));
}

TEST(ServerOptionsTest, PlainTextOnlyOnLoopbackUnlessInsecure) {
  absl::StatusOr<ServerOptions> local =
      ReadServerOptions({}, "data", "127.0.0.1:7101");
  ASSERT_TRUE(local.ok());
  EXPECT_FALSE(local->access->enforcing());
  EXPECT_NE(SecurityNotice(*local).find("without TLS or authentication"),
            std::string::npos);

  const absl::Status refused =
      ReadServerOptions({"--listen=0.0.0.0:7101"}, "data", "").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("--tls-cert"), std::string::npos);
  EXPECT_NE(refused.message().find("--insecure"), std::string::npos);

  absl::StatusOr<ServerOptions> insecure =
      ReadServerOptions({"--listen", "0.0.0.0:7101", "--insecure"}, "data", "");
  ASSERT_TRUE(insecure.ok());
  EXPECT_NE(SecurityNotice(*insecure).find("WARNING"), std::string::npos);
}

// Metrics and health ports hold no data: any address, no --insecure.
TEST(ServerOptionsTest, MetricsAndHealthPortsOnAnyAddress) {
  absl::StatusOr<ServerOptions> options = ReadServerOptions(
      {"--metrics-listen=0.0.0.0:9100", "--health-listen", "0.0.0.0:8100"},
      "data", "127.0.0.1:7101");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->metrics_listen, "0.0.0.0:9100");
  EXPECT_EQ(options->health_listen, "0.0.0.0:8100");
  EXPECT_FALSE(options->access->enforcing());

  absl::StatusOr<ServerOptions> none =
      ReadServerOptions({}, "data", "127.0.0.1:7101");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->metrics_listen, "");
  EXPECT_EQ(none->health_listen, "");

  for (const char* flag : {"--metrics-listen", "--health-listen"}) {
    const absl::Status bad =
        ReadServerOptions({absl::StrCat(flag, "=9100")}, "data", "127.0.0.1:1")
            .status();
    EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << flag;
    EXPECT_NE(bad.message().find(flag), std::string::npos) << bad;
  }
}

TEST(ServerOptionsTest, TokensOnlyWhereTheyMeanSomething) {
  EXPECT_FALSE(
      ReadServerOptions({"--tokens=/nonexistent"}, "data", "127.0.0.1:1").ok());
  EXPECT_EQ(
      ReadServerOptions({"--tokens=/nonexistent"}, "results", "127.0.0.1:1")
          .status()
          .code(),
      absl::StatusCode::kNotFound);
  const absl::Status plain_tokens =
      ReadServerOptions({"--listen=0.0.0.0:1", "--insecure", "--tokens=t"},
                        "results", "")
          .status();
  EXPECT_NE(plain_tokens.message().find("plain text"), std::string::npos)
      << plain_tokens;
}

TEST(ServerOptionsTest, TlsNeedsCertificateKeyAndCa) {
  EXPECT_FALSE(
      ReadServerOptions({"--tls-cert=a.crt"}, "data", "127.0.0.1:1").ok());
  EXPECT_FALSE(
      ReadServerOptions({"--tls-cert=a", "--tls-key=b"}, "data", "127.0.0.1:1")
          .ok());
}

TEST(FlagValueTest, ReadsBothForms) {
  const std::vector<std::string> args = {"--a=1", "--b", "2", "--c"};
  EXPECT_EQ(FlagValue(args, "a"), "1");
  EXPECT_EQ(FlagValue(args, "b"), "2");
  EXPECT_FALSE(FlagValue(args, "c").has_value());
  EXPECT_TRUE(HasSwitch(args, "c"));
}

TEST(ChannelSecurityTest, NeverSendsATokenInPlainTextOffLoopback) {
  ChannelSecurity security;
  security.token = "secret";
  EXPECT_TRUE(CheckChannelSecurity("127.0.0.1:7100", security).ok());
  const absl::Status refused =
      CheckChannelSecurity("coordinator.svc:7100", security);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("--tls-ca"), std::string::npos);
  EXPECT_TRUE(
      CheckChannelSecurity("coordinator.svc:7100", ChannelSecurity::Plain())
          .ok());
}

}  // namespace
}  // namespace seed
