#include "common/text.h"

#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(TextTest, FirstInvalidUtf8FindsTheFirstBadByte) {
  EXPECT_EQ(FirstInvalidUtf8("plain ascii"), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88"),
            std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("caf\xE9"), 3u);       // Latin-1
  EXPECT_EQ(FirstInvalidUtf8("\x1F\x8B\x08"), 1u);  // gzip magic
  EXPECT_EQ(FirstInvalidUtf8(absl::string_view("\xFF\xFE"
                                               "d\0",
                                               4)),
            0u);  // UTF-16 with its byte-order mark
  EXPECT_EQ(FirstInvalidUtf8("ab\xC0\xAF"), 2u);          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("ab\xED\xA0\x80"), 2u);      // surrogate
  EXPECT_EQ(FirstInvalidUtf8("ab\xF4\x90\x80\x80"), 2u);  // > U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("ab\xE2\x82"), 2u);          // cut short
}

TEST(TextTest, EscapeForTerminalWritesControlsAndBadBytesAsHex) {
  EXPECT_EQ(EscapeForTerminal("sma-cross \xC3\xA9t\xC3\xA9"),
            "sma-cross \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(EscapeForTerminal("a\x1b[31mred\x07"), "a\\x1B[31mred\\x07");
  EXPECT_EQ(EscapeForTerminal("two\nlines\tand \\"), "two\\nlines\\tand \\");
  EXPECT_EQ(EscapeForTerminal("caf\xE9"), "caf\\xE9");
  EXPECT_EQ(EscapeForTerminal(EscapeForTerminal("a\x1b[31m")), "a\\x1B[31m");
  EXPECT_EQ(EscapeForTerminal("two\nlines\r", /*keep_newlines=*/true),
            "two\nlines\\x0D");
  EXPECT_EQ(EscapeForTerminal("c1 \xC2\x9B"), "c1 \\xC2\\x9B");
}

TEST(TextTest, DescribeInvalidByteNamesTheByteAndItsOffset) {
  EXPECT_EQ(DescribeInvalidByte("caf\xE9", 3),
            "byte 0xE9 at byte offset 3 is not valid UTF-8");
}

}  // namespace
}  // namespace seed
