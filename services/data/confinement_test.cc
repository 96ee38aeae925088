// The data engine confined to data roots: nothing outside them is read,
// nothing of a file outside is quoted, and the answer is the same whether
// or not the path exists.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/data_roots.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/data/data_engine.h"

namespace seed::data {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOrcl[] =
    "date,open,high,low,close,volume\n"
    "1995-01-03,10,11,9,10,100\n"
    "1995-01-04,10,12,9,11,200\n";
constexpr char kSecret[] = "root:$6$SECRETHASH:19000:0:99999:7:::\n";

void Write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class ConfinementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(::testing::TempDir()) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(base_);
    fs::create_directories(base_ / "data");
    fs::create_directories(base_ / "outside");
    base_ = fs::canonical(base_);
    Write(base_ / "data" / "ORCL.csv", kOrcl);
    Write(base_ / "outside" / "shadow", kSecret);
    Write(base_ / "outside" / "meta.csv", "symbol,sector\nORCL,Tech\n");
    Write(base_ / "data" / "meta.csv", "symbol,sector\nORCL,Tech\n");
    absl::StatusOr<DataRoots> roots =
        DataRoots::Parse((base_ / "data").string());
    ASSERT_TRUE(roots.ok());
    engine_ = std::make_unique<DataEngine>(*roots);
  }

  backtest::v1::OpenDatasetRequest Request(const fs::path& dir) const {
    backtest::v1::OpenDatasetRequest request;
    request.mutable_data()->set_path(dir.string());
    request.mutable_data()->add_symbols("ORCL");
    return request;
  }

  fs::path base_;
  std::unique_ptr<DataEngine> engine_;
};

void ExpectOutside(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ToStageError(status, "data").reason(), kOutsideDataRoots);
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("SECRETHASH")));
}

TEST_F(ConfinementTest, ValidateFilesReadsNothingOutside) {
  backtest::v1::ValidateFilesRequest request;
  backtest::v1::ValidateFilesResponse response;
  request.set_path((base_ / "outside" / "shadow").string());
  ExpectOutside(engine_->ValidateFiles(request, &response));
  EXPECT_EQ(response.quality().files_size(), 0);
  request.set_path("/etc/shadow");
  ExpectOutside(engine_->ValidateFiles(request, &response));
}

TEST_F(ConfinementTest, NoExistenceOracle) {
  backtest::v1::ValidateFilesRequest request;
  backtest::v1::ValidateFilesResponse response;
  request.set_path((base_ / "outside" / "shadow").string());
  const absl::Status exists = engine_->ValidateFiles(request, &response);
  request.set_path((base_ / "outside" / "shadoq").string());
  const absl::Status missing = engine_->ValidateFiles(request, &response);
  std::string expected(exists.message());
  expected.replace(expected.find("shadow"), 6, "shadoq");
  EXPECT_EQ(missing.message(), expected);
  EXPECT_EQ(missing.code(), exists.code());
}

TEST_F(ConfinementTest, LinksOutOfADirectoryAreReportedNotRead) {
  fs::create_symlink(base_ / "outside" / "shadow", base_ / "data" / "X.csv");
  backtest::v1::ValidateFilesRequest request;
  backtest::v1::ValidateFilesResponse response;
  request.set_path((base_ / "data").string());
  ASSERT_TRUE(engine_->ValidateFiles(request, &response).ok());
  bool reported = false;
  for (const auto& file : response.quality().files()) {
    EXPECT_THAT(file.DebugString(), Not(HasSubstr("SECRETHASH")));
    if (file.symbol() == "X") {
      reported = true;
      ASSERT_EQ(file.issues_size(), 1);
      EXPECT_EQ(file.issues(0).kind(), kOutsideRootsIssue);
    }
  }
  EXPECT_TRUE(reported);
}

TEST_F(ConfinementTest, DataPathAndMetadataMustBeInside) {
  backtest::v1::OpenDatasetResponse opened;
  ExpectOutside(engine_->OpenDataset(Request(base_ / "outside"), &opened));
  ExpectOutside(engine_->OpenDataset(Request(base_ / "data" / ".." / "outside"),
                                     &opened));

  backtest::v1::OpenDatasetRequest request = Request(base_ / "data");
  request.mutable_data()->set_metadata(
      (base_ / "outside" / "meta.csv").string());
  ExpectOutside(engine_->OpenDataset(request, &opened));
  request.mutable_data()->set_metadata("../outside/meta.csv");
  backtest::v1::ReadMetadataRequest metadata;
  *metadata.mutable_data() = request.data();
  backtest::v1::ReadMetadataResponse read;
  ExpectOutside(engine_->ReadMetadata(metadata, &read));

  request.mutable_data()->set_metadata("meta.csv");
  EXPECT_TRUE(engine_->OpenDataset(request, &opened).ok());
}

TEST_F(ConfinementTest, SymbolFilesLinkingOutAreRefused) {
  fs::create_symlink(base_ / "outside" / "shadow", base_ / "data" / "EVIL.csv");
  backtest::v1::OpenDatasetRequest request = Request(base_ / "data");
  request.mutable_data()->set_symbols(0, "EVIL");
  backtest::v1::OpenDatasetResponse opened;
  ExpectOutside(engine_->OpenDataset(request, &opened));
}

TEST_F(ConfinementTest, ContentsInsideAreQuotedBoundedOnly) {
  Write(base_ / "data" / "HUGE.csv", std::string(100000, 'A') + "\n1,2\n");
  Write(base_ / "data" / "BAD.csv",
        absl::StrCat("date,open,high,low,close,volume\n1995-01-03,",
                     std::string(100000, '9'), "x,1,1,1,1\n"));
  backtest::v1::ValidateFilesRequest request;
  backtest::v1::ValidateFilesResponse response;
  request.set_path((base_ / "data").string());
  ASSERT_TRUE(engine_->ValidateFiles(request, &response).ok());
  for (const auto& file : response.quality().files()) {
    for (const auto& issue : file.issues()) {
      EXPECT_LT(issue.message().size(), 1024u) << file.symbol();
    }
  }
}

}  // namespace
}  // namespace seed::data
