#include "common/version.h"

#include "gtest/gtest.h"

namespace seed {
namespace {

TEST(VersionTest, EngineVersionCarriesTheStampedRevision) {
  const std::string version = EngineVersion();
  ASSERT_EQ(version.rfind(std::string(kEngineVersion) + "+", 0), 0u) << version;
  const std::string revision = version.substr(version.find('+') + 1);
  // A 40-hex-digit git revision (maybe "-dirty"), or "unknown" outside git.
  if (revision != "unknown") {
    EXPECT_GE(revision.size(), 40u) << revision;
    EXPECT_EQ(revision.find_first_not_of("0123456789abcdef"),
              40u == revision.size() ? std::string::npos : 40u)
        << revision;
  }
}

}  // namespace
}  // namespace seed
