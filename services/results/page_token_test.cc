#include "services/results/page_token.h"

#include "absl/strings/escaping.h"
#include "common/stage_error.h"
#include "gtest/gtest.h"

namespace seed::results {
namespace {

std::string Reason(const absl::Status& status) {
  return ToStageError(status, "").reason();
}

TEST(PageTokenTest, APositionRoundTripsThroughItsQuery) {
  const std::vector<std::string> position = {"2024-05-01T10:00:00Z", "",
                                             "a:b\n7:c", "17"};
  const std::string token = EncodePageToken("runs\nsma_cross", position);
  // Opaque and safe in a URL or a shell argument.
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                    "opqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token;
  absl::StatusOr<std::vector<std::string>> decoded =
      DecodePageToken(token, "runs\nsma_cross", 4);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, position);

  const std::string ints =
      EncodePageToken("records", std::vector<int64_t>{-1, 0, 1LL << 62});
  absl::StatusOr<std::vector<int64_t>> numbers =
      DecodeIntPageToken(ints, "records", 3);
  ASSERT_TRUE(numbers.ok()) << numbers.status();
  EXPECT_EQ(*numbers, (std::vector<int64_t>{-1, 0, 1LL << 62}));
}

TEST(PageTokenTest, ATokenOfAnotherQueryOrDamagedIsRefused) {
  const std::string token =
      EncodePageToken("runs\nsma_cross", std::vector<std::string>{"x", "1"});
  const absl::Status other =
      DecodePageToken(token, "runs\nbreakout", 2).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(other), "INVALID_PAGE_TOKEN");
  ASSERT_EQ(FieldProblems(other).size(), 1);
  EXPECT_EQ(FieldProblems(other)[0].field, "page_token");
  EXPECT_NE(other.message().find("belongs to another call or other filters"),
            std::string::npos)
      << other;

  for (const std::string& bad :
       {std::string("not base64!"), absl::WebSafeBase64Escape("1short"),
        token.substr(0, token.size() - 3), std::string("")}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(Reason(DecodePageToken(bad, "runs\nsma_cross", 2).status()),
              "INVALID_PAGE_TOKEN");
  }
  // The right query, the wrong shape.
  EXPECT_EQ(Reason(DecodePageToken(token, "runs\nsma_cross", 3).status()),
            "INVALID_PAGE_TOKEN");
  EXPECT_EQ(Reason(DecodeIntPageToken(token, "runs\nsma_cross", 2).status()),
            "INVALID_PAGE_TOKEN");
}

}  // namespace
}  // namespace seed::results
