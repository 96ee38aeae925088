#include "services/data/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace seed::data {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValues) {
  EXPECT_EQ(Crc32c(0, "", 0), 0u);
  // The check value of CRC-32C (RFC 3720, and every CRC catalogue).
  EXPECT_EQ(Crc32c(0, "123456789", 9), 0xE3069283u);
  // RFC 3720 B.4: 32 bytes of zeros, and of 0xFF.
  EXPECT_EQ(Crc32c(0, std::string(32, '\0').data(), 32), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(0, std::string(32, '\xFF').data(), 32), 0x62A8AB43u);
}

TEST(Crc32cTest, ChainsOverPiecesOfAnySize) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += static_cast<char>(i * 7 + i / 13);
  const uint32_t whole = Crc32c(0, text.data(), text.size());
  for (size_t cut : {0, 1, 7, 8, 9, 63, 500, 999, 1000}) {
    EXPECT_EQ(Crc32c(Crc32c(0, text.data(), cut), text.data() + cut,
                     text.size() - cut),
              whole)
        << cut;
  }
  // One bit anywhere changes it.
  text[333] ^= 0x04;
  EXPECT_NE(Crc32c(0, text.data(), text.size()), whole);
}

}  // namespace
}  // namespace seed::data
