#include "cli/flags.h"

#include "gtest/gtest.h"

namespace seed::cli {
namespace {

TEST(FlagsTest, ReadsEveryForm) {
  absl::StatusOr<Flags> flags = Flags::Parse(
      {"spec.yaml", "--export=out", "--db", "x.db", "--json"},
      {"export", "db"}, {"json"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->positional(), std::vector<std::string>{"spec.yaml"});
  EXPECT_EQ(*flags->Get("export"), "out");
  EXPECT_EQ(*flags->Get("db"), "x.db");
  EXPECT_TRUE(flags->Has("json"));
  EXPECT_EQ(flags->GetOr("missing", "fallback"), "fallback");
}

TEST(FlagsTest, UnknownFlagNamesTheAllowedOnes) {
  absl::StatusOr<Flags> flags = Flags::Parse({"--exprt=out"}, {"export"}, {});
  ASSERT_FALSE(flags.ok());
  EXPECT_NE(flags.status().message().find("--export"), std::string::npos);
}

TEST(FlagsTest, ValuedFlagWithoutValueIsAnError) {
  EXPECT_FALSE(Flags::Parse({"--db"}, {"db"}, {}).ok());
  EXPECT_FALSE(Flags::Parse({"--json=yes"}, {}, {"json"}).ok());
}

}  // namespace
}  // namespace seed::cli
