#include "common/bounded_text.h"

#include <string>

#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(BoundedTest, KeepsShortPrintableTextAsIs) {
  EXPECT_EQ(Bounded("close 'abc' is not a number"),
            "close 'abc' is not a number");
}

TEST(BoundedTest, EscapesControlAndNonAsciiBytes) {
  EXPECT_EQ(Bounded("a\nb\x1b[31m\xc3\xa9\\"),
            "a\\x0ab\\x1b[31m\\xc3\\xa9\\x5c");
}

TEST(BoundedTest, CutsLongTextAndSaysHowMuchIsLeft) {
  const std::string huge(25 * 1024 * 1024, 'x');
  const std::string quoted = Bounded(huge, 10);
  EXPECT_EQ(quoted, "xxxxxxxxxx ...(26214390 more bytes)");
}

TEST(BoundedTest, NeverSplitsAnEscape) {
  EXPECT_EQ(Bounded("ab\n", 4), "ab ...(1 more bytes)");
}

}  // namespace
}  // namespace seed
