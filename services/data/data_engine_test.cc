#include "services/data/data_engine.h"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/stage_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace seed::data {
namespace {

using ::backtest::v1::OpenDatasetRequest;
using ::backtest::v1::OpenDatasetResponse;
using ::backtest::v1::ReadBarsRequest;
using ::backtest::v1::ReadBarsResponse;
using ::backtest::v1::StageError;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr char kHeader[] = "date,open,high,low,close,volume\n";
// Five daily bars, closes 10..14.
constexpr char kOrcl[] =
    "date,open,high,low,close,volume\n"
    "1995-01-03,10,11,9,10,100\n"
    "1995-01-04,10,12,9,11,200\n"
    "1995-01-05,11,13,10,12,300\n"
    "1995-01-06,12,14,11,13,400\n"
    "1995-01-09,13,15,12,14,500\n";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

class DataEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        ::testing::TempDir(), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    dir_ = std::filesystem::canonical(dir_).string();
    WriteFile(Path("ORCL"), kOrcl);
  }

  std::string Path(const std::string& symbol) const {
    return absl::StrCat(dir_, "/", symbol, ".csv");
  }

  OpenDatasetRequest Request(std::vector<std::string> symbols,
                             std::string start = "", std::string end = "") {
    OpenDatasetRequest request;
    request.set_run_id("run-1");
    request.mutable_data()->set_path(dir_);
    for (const std::string& symbol : symbols) {
      request.mutable_data()->add_symbols(symbol);
    }
    request.mutable_data()->set_start(start);
    request.mutable_data()->set_end(end);
    return request;
  }

  OpenDatasetResponse Open(const OpenDatasetRequest& request) {
    OpenDatasetResponse response;
    const absl::Status status = engine_.OpenDataset(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    return response;
  }

  StageError OpenFails(const OpenDatasetRequest& request,
                       absl::StatusCode code) {
    OpenDatasetResponse response;
    const absl::Status status = engine_.OpenDataset(request, &response);
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_EQ(response.symbols_size(), 0);
    return ToStageError(status, "");
  }

  absl::Status Read(const std::string& dataset, int symbol, int64_t offset,
                    int limit, ReadBarsResponse* response,
                    int64_t timeframe_seconds = 0) {
    ReadBarsRequest request;
    request.set_dataset_id(dataset);
    request.set_symbol(symbol);
    request.set_offset(offset);
    request.set_limit(limit);
    request.set_timeframe_seconds(timeframe_seconds);
    return engine_.ReadBars(request, response);
  }

  std::string dir_;
  DataEngine engine_;
};

TEST_F(DataEngineTest, OpensASymbolAndSummarizesIt) {
  const OpenDatasetResponse response = Open(Request({"ORCL"}));
  EXPECT_FALSE(response.dataset_id().empty());
  ASSERT_EQ(response.symbols_size(), 1);
  const backtest::v1::SymbolSummary& summary = response.symbols(0);
  EXPECT_EQ(summary.symbol(), "ORCL");
  EXPECT_EQ(summary.path(), Path("ORCL"));
  EXPECT_EQ(summary.bars(), 5);
  EXPECT_EQ(summary.first_time(), "1995-01-03");
  EXPECT_EQ(summary.last_time(), "1995-01-09");
  EXPECT_EQ(summary.available_first(), "1995-01-03");
  EXPECT_EQ(summary.available_last(), "1995-01-09");
  EXPECT_EQ(summary.interval_seconds(), kSecondsPerDay);
  EXPECT_EQ(summary.content_hash().size(), 64);
  ASSERT_EQ(response.quality().files_size(), 1);
  EXPECT_EQ(response.quality().files(0).rows_kept(), 5);
  EXPECT_TRUE(response.notices().empty());
}

TEST_F(DataEngineTest, DatasetIdsAreUnique) {
  EXPECT_NE(Open(Request({"ORCL"})).dataset_id(),
            Open(Request({"ORCL"})).dataset_id());
}

TEST_F(DataEngineTest, SelectsTheInclusiveRangeAndKeepsSymbolOrder) {
  WriteFile(Path("NVDA"), kOrcl);
  const OpenDatasetResponse response =
      Open(Request({"ORCL", "NVDA"}, "1995-01-04", "1995-01-06"));
  ASSERT_EQ(response.symbols_size(), 2);
  EXPECT_EQ(response.symbols(1).symbol(), "NVDA");
  EXPECT_EQ(response.symbols(0).bars(), 3);
  EXPECT_EQ(response.symbols(0).first_time(), "1995-01-04");
  EXPECT_EQ(response.symbols(0).last_time(), "1995-01-06");
  EXPECT_EQ(response.symbols(0).available_first(), "1995-01-03");
  EXPECT_TRUE(response.notices().empty());
}

// The run's steps are the distinct times across symbols: two symbols on one
// calendar count each day once, and a day only one of them has counts too.
TEST_F(DataEngineTest, CountsTheDistinctTimesAcrossSymbolsAsSteps) {
  WriteFile(Path("NVDA"),
            "date,open,high,low,close,volume\n"
            "1995-01-04,10,12,9,11,200\n"
            "1995-01-05,11,13,10,12,300\n"
            "1995-01-10,13,15,12,14,500\n");
  EXPECT_EQ(Open(Request({"ORCL"})).steps(), 5);
  EXPECT_EQ(Open(Request({"ORCL", "NVDA"})).steps(), 6);
  EXPECT_EQ(Open(Request({"ORCL", "NVDA"}, "1995-01-05", "1995-01-06")).steps(),
            2);
}

TEST_F(DataEngineTest, AnEndDateIncludesThatWholeDayOfIntradayBars) {
  WriteFile(Path("MIN"), absl::StrCat("timestamp,open,high,low,close,volume\n",
                                      "2006-01-02T09:01:00,1,1,1,1,1\n",
                                      "2006-01-02T22:00:00,1,1,1,1,1\n",
                                      "2006-01-03T09:01:00,1,1,1,1,1\n"));
  const OpenDatasetResponse response =
      Open(Request({"MIN"}, "2006-01-02", "2006-01-02"));
  EXPECT_EQ(response.symbols(0).bars(), 2);
  EXPECT_EQ(response.symbols(0).last_time(), "2006-01-02T22:00:00");
  // The dates lie inside the data, so nothing was widened.
  EXPECT_TRUE(response.notices().empty());
}

TEST_F(DataEngineTest, ARangeWiderThanTheDataIsUsedWithANotice) {
  const OpenDatasetResponse response =
      Open(Request({"ORCL"}, "1990-01-01", "2030-12-31"));
  EXPECT_EQ(response.symbols(0).bars(), 5);
  EXPECT_THAT(response.notices(),
              ElementsAre("ORCL: data.start 1990-01-01 is before the first "
                          "bar and data.end 2030-12-31 is after the last bar; "
                          "using 1995-01-03..1995-01-09"));
  EXPECT_THAT(Open(Request({"ORCL"}, "1990-01-01", "1995-01-05")).notices(),
              ElementsAre("ORCL: data.start 1990-01-01 is before the first "
                          "bar; using 1995-01-03..1995-01-05"));
}

TEST_F(DataEngineTest, MissingFileListsTheFilesThere) {
  WriteFile(Path("YHOO"), kOrcl);
  WriteFile(Path("NVDA"), kOrcl);
  WriteFile(dir_ + "/README.txt", "not data");
  const StageError error =
      OpenFails(Request({"ORCL", "XYZ"}), absl::StatusCode::kNotFound);
  EXPECT_EQ(error.reason(), "NO_DATA_FILE");
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.symbol(), "XYZ");
  EXPECT_EQ(error.message(),
            absl::StrCat("no data file for XYZ: looked for ", dir_,
                         "/XYZ.csv; files there: NVDA, ORCL, YHOO"));
  EXPECT_THAT(error.hint(), HasSubstr("data.path"));
}

// Permissions do not stop root, so an unreadable file is simulated by a
// directory with the file's name: the error must name it and say why.
TEST_F(DataEngineTest, DirectoryInPlaceOfTheFileIsNamed) {
  std::filesystem::create_directory(Path("XYZ"));
  const StageError error = OpenFails(Request({"ORCL", "XYZ"}),
                                     absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.reason(), "NOT_A_REGULAR_FILE");
  EXPECT_EQ(error.symbol(), "XYZ");
  EXPECT_EQ(error.message(), absl::StrCat("data file ", dir_,
                                          "/XYZ.csv is a directory, not a "
                                          "regular file"));
}

// A FIFO would block a reader until a writer came: it is refused for what it
// is, at once.
TEST_F(DataEngineTest, AFifoInPlaceOfTheFileIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo(Path("XYZ").c_str(), 0600), 0);
  const StageError error = OpenFails(Request({"ORCL", "XYZ"}),
                                     absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.reason(), "NOT_A_REGULAR_FILE");
  EXPECT_EQ(error.message(), absl::StrCat("data file ", dir_,
                                          "/XYZ.csv is a FIFO (named pipe), "
                                          "not a regular file"));
}

TEST_F(DataEngineTest, ADanglingLinkIsNamedWithItsTarget) {
  std::filesystem::create_symlink("/nonexistent/XYZ.csv", Path("XYZ"));
  const StageError error =
      OpenFails(Request({"XYZ"}), absl::StatusCode::kNotFound);
  EXPECT_EQ(error.reason(), "DATA_FILE_UNREADABLE");
  EXPECT_EQ(error.message(),
            absl::StrCat("data file ", dir_,
                         "/XYZ.csv is a symbolic link to /nonexistent/XYZ.csv, "
                         "which does not exist"));
}

TEST_F(DataEngineTest, EveryMissingSymbolIsNamed) {
  const StageError error =
      OpenFails(Request({"ABC", "ORCL", "XYZ"}), absl::StatusCode::kNotFound);
  EXPECT_EQ(error.reason(), "NO_DATA_FILE");
  EXPECT_EQ(error.symbol(), "ABC");
  EXPECT_EQ(error.message(),
            absl::StrCat("no data file for ABC, XYZ: looked for ", dir_,
                         "/SYMBOL.csv; files there: ORCL"));
}

TEST_F(DataEngineTest, ANonUtf8ByteNamesTheFileLineAndOffset) {
  WriteFile(Path("LAT"), absl::StrCat(kHeader, "1995-01-03,10,11,9,10,100\n",
                                      "1995-01-04,10,11,9,10,100 caf\xE9\n"));
  const StageError error =
      OpenFails(Request({"LAT"}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error.reason(), "INVALID_ENCODING");
  EXPECT_EQ(error.message(),
            absl::StrCat(Path("LAT"), " line 3: byte 0xE9 at byte offset ",
                         sizeof(kHeader) - 1 + 26 + 29,
                         " is not valid UTF-8 (byte 30 of the line); data "
                         "files must be UTF-8 text"));
  EXPECT_THAT(error.hint(), HasSubstr("iconv"));
}

TEST_F(DataEngineTest, MissingFileListsAtMostTenFiles) {
  for (int i = 0; i < 12; ++i)
    WriteFile(Path(absl::StrCat("S", 10 + i)), kOrcl);
  const StageError error =
      OpenFails(Request({"XYZ"}), absl::StatusCode::kNotFound);
  EXPECT_THAT(error.message(),
              HasSubstr("files there: ORCL, S10, S11, S12, S13, S14, S15, "
                        "S16, S17, S18 and 3 more"));
}

TEST_F(DataEngineTest, MissingDirectoryNamesItsAbsolutePath) {
  OpenDatasetRequest request = Request({"ORCL"});
  request.mutable_data()->set_path(dir_ + "/nope/../missing");
  const StageError error = OpenFails(request, absl::StatusCode::kNotFound);
  EXPECT_EQ(error.reason(), "DATA_DIR_UNREADABLE");
  EXPECT_THAT(error.message(), HasSubstr(dir_ + "/missing"));
  EXPECT_THAT(error.hint(), HasSubstr("data.path"));
}

TEST_F(DataEngineTest, NoBarsInRangeSaysWhatIsAvailable) {
  const StageError error =
      OpenFails(Request({"ORCL"}, "2020-01-01", "2020-12-31"),
                absl::StatusCode::kNotFound);
  EXPECT_EQ(error.reason(), "NO_BARS_IN_RANGE");
  EXPECT_EQ(error.symbol(), "ORCL");
  EXPECT_EQ(error.message(),
            absl::StrCat("no bars for ORCL between 2020-01-01 and 2020-12-31 "
                         "in ",
                         Path("ORCL"), "; available: 1995-01-03..1995-01-09"));
  EXPECT_THAT(OpenFails(Request({"ORCL"}, "", "1994-12-31"),
                        absl::StatusCode::kNotFound)
                  .message(),
              HasSubstr("no bars for ORCL up to 1994-12-31 in"));
}

TEST_F(DataEngineTest, InvalidSpecListsEveryProblem) {
  OpenDatasetRequest request =
      Request({"ORCL", "", "ORCL", "../x"}, "2020-12-31", "2020-01-01");
  OpenDatasetResponse response;
  const absl::Status status = engine_.OpenDataset(request, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const FieldProblem& problem : FieldProblems(status)) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields, ElementsAre("data.symbols[1]", "data.symbols[2]",
                                  "data.symbols[3]", "data.start", "data.end"));
  EXPECT_THAT(status.message(),
              HasSubstr("data.symbols[2]: ORCL repeats data.symbols[0]"));

  request = Request({}, "2020-13-01");
  request.mutable_data()->clear_path();
  fields.clear();
  for (const FieldProblem& problem :
       FieldProblems(engine_.OpenDataset(request, &response))) {
    fields.push_back(problem.field);
  }
  EXPECT_THAT(fields, ElementsAre("data.path", "data.symbols", "data.start"));
}

TEST_F(DataEngineTest, BadRowsFailUnderRejectAndAreDroppedUnderDrop) {
  WriteFile(Path("BAD"), absl::StrCat(kHeader, "1995-01-03,10,11,9,10,100\n",
                                      "1995-01-04,10,9,11,10,100\n",
                                      "1995-01-04,10,11,9,10,100\n",
                                      "1995-01-04,10,11,9,10,100\n"));
  const StageError error = OpenFails(Request({"ORCL", "BAD"}),
                                     absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.reason(), "BAD_ROWS");
  EXPECT_EQ(error.symbol(), "BAD");
  EXPECT_THAT(error.message(),
              HasSubstr("BAD.csv line 3 (1995-01-04): high 9 < low 11"));
  EXPECT_THAT(error.message(), HasSubstr("BAD.csv line 5 (1995-01-04): time "
                                         "repeats line 4"));

  OpenDatasetRequest request = Request({"ORCL", "BAD"});
  request.mutable_data()->set_on_bad_rows(backtest::v1::DROP);
  const OpenDatasetResponse response = Open(request);
  EXPECT_EQ(response.symbols(1).bars(), 2);
  EXPECT_EQ(response.quality().files(1).rows_dropped(), 2);
  EXPECT_EQ(response.quality().files(0).rows_dropped(), 0);
  EXPECT_THAT(response.notices(),
              ElementsAre("BAD: dropped 2 bad rows (1 high_below_low, 1 "
                          "duplicate_time)"));
}

TEST_F(DataEngineTest, GapsAreNoticedButNotFatal) {
  WriteFile(Path("HALT"), absl::StrCat(kHeader, "1995-01-03,10,11,9,10,100\n",
                                       "1995-01-04,10,11,9,10,100\n",
                                       "1995-01-05,10,11,9,10,100\n",
                                       "1995-01-20,10,11,9,10,100\n"));
  const OpenDatasetResponse response = Open(Request({"HALT"}));
  EXPECT_EQ(response.symbols(0).bars(), 4);
  EXPECT_THAT(response.notices(),
              ElementsAre(HasSubstr("HALT: 1 gap in the data, first at line "
                                    "5: no bars for 15 days after "
                                    "1995-01-05")));
}

TEST_F(DataEngineTest, ReadBarsSlicesTheRangeAndFlagsTheEnd) {
  const std::string id = Open(Request({"ORCL"}, "1995-01-04", "")).dataset_id();
  ReadBarsResponse response;
  ASSERT_TRUE(Read(id, 0, 0, 3, &response).ok());
  EXPECT_EQ(response.series().symbol(), "ORCL");
  EXPECT_THAT(response.series().close(), ElementsAre(11, 12, 13));
  EXPECT_THAT(response.series().open(), ElementsAre(10, 11, 12));
  EXPECT_THAT(response.series().high(), ElementsAre(12, 13, 14));
  EXPECT_THAT(response.series().low(), ElementsAre(9, 10, 11));
  EXPECT_THAT(response.series().volume(), ElementsAre(200, 300, 400));
  EXPECT_EQ(response.series().time(0), *ParseTime("1995-01-04"));
  EXPECT_FALSE(response.end());

  ASSERT_TRUE(Read(id, 0, 3, 3, &response).ok());
  EXPECT_THAT(response.series().close(), ElementsAre(14));
  EXPECT_TRUE(response.end());

  ASSERT_TRUE(Read(id, 0, 2, 2, &response).ok());
  EXPECT_THAT(response.series().close(), ElementsAre(13, 14));
  EXPECT_TRUE(response.end());

  ASSERT_TRUE(Read(id, 0, 4, 10, &response).ok());
  EXPECT_EQ(response.series().time_size(), 0);
  EXPECT_TRUE(response.end());
}

TEST_F(DataEngineTest, ReadBarsResamplesTheRangeIntoAHigherTimeframe) {
  WriteFile(Path("MINI"),
            absl::StrCat(kHeader,
                         "2006-01-02T09:01:00,1,2,1,2,10\n"  // before start
                         "2006-01-02T09:59:00,3,5,2,4,10\n"
                         "2006-01-02T10:00:00,4,6,3,5,20\n"
                         "2006-01-02T10:01:00,5,5,1,2,30\n"
                         "2006-01-03T09:01:00,7,8,6,7,40\n"
                         "2006-01-03T09:02:00,7,9,7,8,50\n"));
  const std::string id =
      Open(Request({"MINI"}, "2006-01-02T09:30", "")).dataset_id();
  constexpr int64_t kHour = 3600;
  ReadBarsResponse response;
  // Three hourly bars, (09:00, 10:00] without the 09:01 bar before start,
  // (10:00, 11:00] and Jan 3 (09:00, 10:00]; read one at a time.
  ASSERT_TRUE(Read(id, 0, 0, 2, &response, kHour).ok());
  EXPECT_THAT(response.series().time(),
              ElementsAre(*ParseTime("2006-01-02T10:00"),
                          *ParseTime("2006-01-02T11:00")));
  EXPECT_THAT(response.series().close_time(),
              ElementsAreArray(response.series().time()));
  EXPECT_THAT(response.series().open(), ElementsAre(3, 5));
  EXPECT_THAT(response.series().high(), ElementsAre(6, 5));
  EXPECT_THAT(response.series().low(), ElementsAre(2, 1));
  EXPECT_THAT(response.series().close(), ElementsAre(5, 2));
  EXPECT_THAT(response.series().volume(), ElementsAre(30, 30));
  EXPECT_FALSE(response.end());
  ASSERT_TRUE(Read(id, 0, 2, 2, &response, kHour).ok());
  EXPECT_THAT(response.series().close_time(),
              ElementsAre(*ParseTime("2006-01-03T10:00")));
  EXPECT_THAT(response.series().volume(), ElementsAre(90));  // 40 + 50
  EXPECT_TRUE(response.end());

  // A day: labelled with the session date, closing at the next midnight.
  ASSERT_TRUE(Read(id, 0, 0, 10, &response, kSecondsPerDay).ok());
  EXPECT_THAT(response.series().time(),
              ElementsAre(*ParseTime("2006-01-02"), *ParseTime("2006-01-03")));
  EXPECT_THAT(response.series().close_time(),
              ElementsAre(*ParseTime("2006-01-03"), *ParseTime("2006-01-04")));
  EXPECT_TRUE(response.end());

  // The file's own bars carry no close times.
  ASSERT_TRUE(Read(id, 0, 0, 10, &response).ok());
  EXPECT_EQ(response.series().time_size(), 5);
  EXPECT_EQ(response.series().close_time_size(), 0);
}

TEST_F(DataEngineTest, ReadBarsRefusesATimeframeTheBarsCannotMake) {
  const std::string id = Open(Request({"ORCL"})).dataset_id();
  ReadBarsResponse response;
  const absl::Status status = Read(id, 0, 0, 10, &response, 3600);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const StageError error = ToStageError(status, "");
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "INVALID_TIMEFRAME");
  EXPECT_EQ(error.symbol(), "ORCL");
  EXPECT_THAT(error.message(),
              HasSubstr("timeframe_seconds 3600 for ORCL is not larger than "
                        "ORCL's bar interval, 86400 s (1d)"));
}

TEST_F(DataEngineTest, ReadBarsRejectsBadArgumentsAndUnknownDatasets) {
  const std::string id = Open(Request({"ORCL"})).dataset_id();
  ReadBarsResponse response;
  const absl::Status status = Read(id, 1, -1, 0, &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldProblems(status).size(), 3);
  EXPECT_THAT(status.message(), HasSubstr("symbol: must index data.symbols, "
                                          "in [0, 1), got 1"));
  EXPECT_EQ(Read(id, -1, 0, 1, &response).code(),
            absl::StatusCode::kInvalidArgument);

  const absl::Status unknown = Read("ds-nope", 0, 0, 1, &response);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ToStageError(unknown, "").reason(), "UNKNOWN_DATASET");
}

TEST_F(DataEngineTest, CloseFreesTheDataset) {
  const std::string id = Open(Request({"ORCL"})).dataset_id();
  backtest::v1::CloseDatasetRequest request;
  request.set_dataset_id(id);
  backtest::v1::CloseDatasetResponse response;
  ASSERT_TRUE(engine_.CloseDataset(request, &response).ok());
  ReadBarsResponse bars;
  EXPECT_EQ(Read(id, 0, 0, 1, &bars).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_.CloseDataset(request, &response).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DataEngineTest, ContentHashIsStableAndFollowsTheBars) {
  const std::string hash = Open(Request({"ORCL"})).symbols(0).content_hash();
  EXPECT_EQ(Open(Request({"ORCL"})).symbols(0).content_hash(), hash);
  DataEngine other_engine;
  OpenDatasetResponse other;
  ASSERT_TRUE(other_engine.OpenDataset(Request({"ORCL"}), &other).ok());
  EXPECT_EQ(other.symbols(0).content_hash(), hash);
  // A narrower range hashes different bars.
  EXPECT_NE(Open(Request({"ORCL"}, "1995-01-04")).symbols(0).content_hash(),
            hash);

  // One close changes (and the file's size, so the cache sees it at once).
  std::string changed = kOrcl;
  changed.replace(changed.find("13,10,12,300"), 12, "13,10,12.5,300");
  WriteFile(Path("ORCL"), changed);
  const OpenDatasetResponse reopened = Open(Request({"ORCL"}));
  EXPECT_NE(reopened.symbols(0).content_hash(), hash);
  ReadBarsResponse bars;
  ASSERT_TRUE(Read(reopened.dataset_id(), 0, 2, 1, &bars).ok());
  EXPECT_THAT(bars.series().close(), ElementsAre(12.5));
}

TEST(ContentHashTest, HashesTheDocumentedLittleEndianLayout) {
  BarColumns bars;
  bars.Append(1, 2.0, 3.0, 1.0, 2.5, 100);
  std::string expected;
  const auto put = [&](uint64_t value) {
    for (int i = 0; i < 8; ++i) expected.push_back(char(value >> (8 * i)));
  };
  put(1);
  for (double value : {2.0, 3.0, 1.0, 2.5, 100.0}) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    put(bits);
  }
  EXPECT_EQ(ContentHash(bars, 0, 1), Sha256Hex(expected));
  EXPECT_EQ(ContentHash(bars, 0, 0), Sha256Hex(""));
  bars.volume[0] = 101;
  EXPECT_NE(ContentHash(bars, 0, 1), Sha256Hex(expected));
}

TEST_F(DataEngineTest, ValidateFilesReportsEachFileWithoutFailing) {
  WriteFile(Path("BAD"), absl::StrCat(kHeader, "1995-01-03,10,9,11,10,100\n"));
  WriteFile(Path("ODD"), "a,b,c\n1,2,3\n");
  WriteFile(dir_ + "/notes.txt", "ignored");
  backtest::v1::ValidateFilesRequest request;
  request.set_path(dir_);
  backtest::v1::ValidateFilesResponse response;
  ASSERT_TRUE(engine_.ValidateFiles(request, &response).ok());
  const auto& files = response.quality().files();
  ASSERT_EQ(files.size(), 3);
  EXPECT_EQ(files[0].symbol(), "BAD");
  EXPECT_EQ(files[0].issue_counts().at("high_below_low"), 1);
  EXPECT_EQ(files[0].rows_kept(), 0);
  EXPECT_EQ(files[0].rows_dropped(), 0);
  EXPECT_EQ(files[1].symbol(), "ODD");
  EXPECT_EQ(files[1].path(), Path("ODD"));
  EXPECT_EQ(files[1].issues(0).kind(), kUnknownFormat);
  EXPECT_THAT(files[1].issues(0).message(), HasSubstr("its header is 'a,b,c'"));
  EXPECT_EQ(files[2].symbol(), "ORCL");
  EXPECT_EQ(files[2].rows_kept(), 5);

  request.set_path(Path("ORCL"));
  ASSERT_TRUE(engine_.ValidateFiles(request, &response).ok());
  ASSERT_EQ(response.quality().files_size(), 1);
  EXPECT_EQ(response.quality().files(0).format(), "ohlcv");

  request.set_path(dir_ + "/missing.csv");
  const absl::Status missing = engine_.ValidateFiles(request, &response);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr(dir_ + "/missing.csv"));
}

// What a run could not use is reported per file: a header-only file, a FIFO,
// a file that is not UTF-8; the other files are still checked. A directory
// without CSV files is an error, not an empty report.
TEST_F(DataEngineTest, ValidateFilesReportsUnusableFilesAndEmptyDirectories) {
  WriteFile(Path("EMPTY"), kHeader);
  ASSERT_EQ(mkfifo(Path("FIFO").c_str(), 0600), 0);
  WriteFile(Path("GZ"), "\x1F\x8B\x08\x00");
  backtest::v1::ValidateFilesRequest request;
  request.set_path(dir_);
  backtest::v1::ValidateFilesResponse response;
  ASSERT_TRUE(engine_.ValidateFiles(request, &response).ok());
  const auto& files = response.quality().files();
  ASSERT_EQ(files.size(), 4);
  EXPECT_EQ(files[0].symbol(), "EMPTY");
  EXPECT_EQ(files[0].issues(0).kind(), kNoBars);
  EXPECT_EQ(files[1].issues(0).kind(), "not_a_regular_file");
  EXPECT_THAT(files[1].issues(0).message(), HasSubstr("is a FIFO"));
  EXPECT_EQ(files[2].issues(0).kind(), "invalid_encoding");
  EXPECT_THAT(files[2].issues(0).message(),
              HasSubstr("line 1: byte 0x8B at byte offset 1"));
  EXPECT_EQ(files[3].symbol(), "ORCL");
  EXPECT_EQ(files[3].issues_size(), 0);

  const std::string empty = dir_ + "/empty";
  std::filesystem::create_directory(empty);
  request.set_path(empty);
  const absl::Status missing = engine_.ValidateFiles(request, &response);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "no *.csv files in " + empty);
}

// The real files in /work/shared/data, found through SHARED_DATA_DIR.
class SharedDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("SHARED_DATA_DIR");
    if (dir == nullptr || *dir == '\0' || !std::filesystem::is_directory(dir)) {
      GTEST_SKIP() << "SHARED_DATA_DIR is unset or not a directory; run with "
                      "--test_env=SHARED_DATA_DIR=/work/shared/data";
    }
    dir_ = dir;
  }

  OpenDatasetResponse Open(const std::string& dir, const std::string& symbol) {
    OpenDatasetRequest request;
    request.mutable_data()->set_path(dir);
    request.mutable_data()->add_symbols(symbol);
    OpenDatasetResponse response;
    const absl::Status status = engine_.OpenDataset(request, &response);
    EXPECT_TRUE(status.ok()) << status;
    return response;
  }

  std::string dir_;
  DataEngine engine_;
};

TEST_F(SharedDataTest, LoadsOrclCleanly) {
  const OpenDatasetResponse response = Open(dir_, "ORCL");
  ASSERT_EQ(response.symbols_size(), 1);
  EXPECT_EQ(response.symbols(0).bars(), 5036);
  EXPECT_EQ(response.symbols(0).first_time(), "1995-01-03");
  EXPECT_EQ(response.symbols(0).last_time(), "2014-12-31");
  EXPECT_EQ(response.symbols(0).interval_seconds(), kSecondsPerDay);
  const backtest::v1::FileReport& report = response.quality().files(0);
  EXPECT_EQ(report.rows_read(), 5036);
  EXPECT_EQ(report.rows_kept(), 5036);
  EXPECT_TRUE(report.issues().empty());
  EXPECT_TRUE(response.notices().empty());
}

TEST_F(SharedDataTest, LoadsMin001AsOneMinuteBars) {
  const OpenDatasetResponse response = Open(dir_ + "/intraday", "MIN001");
  ASSERT_EQ(response.symbols_size(), 1);
  EXPECT_EQ(response.symbols(0).bars(), 30889);
  EXPECT_EQ(response.symbols(0).interval_seconds(), 60);
  EXPECT_EQ(response.symbols(0).first_time(), "2006-01-02T09:01:00");
  EXPECT_EQ(response.symbols(0).last_time(), "2006-02-27T22:00:00");
  EXPECT_TRUE(response.quality().files(0).issues().empty());
}

TEST_F(SharedDataTest, ValidatesTheDirectory) {
  backtest::v1::ValidateFilesRequest request;
  request.set_path(dir_);
  backtest::v1::ValidateFilesResponse response;
  ASSERT_TRUE(engine_.ValidateFiles(request, &response).ok());
  std::vector<std::string> symbols;
  for (const auto& file : response.quality().files()) {
    symbols.push_back(file.symbol());
    EXPECT_EQ(file.rows_kept(), file.rows_read()) << file.symbol();
  }
  EXPECT_THAT(symbols, ElementsAre("NVDA", "ORCL", "YHOO"));
}

}  // namespace
}  // namespace seed::data

namespace seed::data {
namespace {

TEST_F(DataEngineTest, ReturnsTheMetadataOfTheSymbolsInOrder) {
  WriteFile(Path("NVDA"), kOrcl);
  const std::string metadata =
      "symbol,sector,benchmarks\nORCL,Software,SP500\nNVDA,Chips,SP500;NDX\n"
      "XYZ,Banks,\n";
  WriteFile(dir_ + "/universe.csv", metadata);
  OpenDatasetRequest request = Request({"NVDA", "ORCL"});
  request.mutable_data()->set_metadata("universe.csv");
  const OpenDatasetResponse response = Open(request);
  ASSERT_EQ(response.metadata_size(), 2);
  EXPECT_EQ(response.metadata(0).symbol(), "NVDA");
  EXPECT_EQ(response.metadata(0).sector(), "Chips");
  EXPECT_THAT(response.metadata(0).benchmarks(), ElementsAre("SP500", "NDX"));
  EXPECT_EQ(response.metadata(1).symbol(), "ORCL");
  // printf '<metadata>' | sha256sum: the hash of the file's bytes.
  EXPECT_EQ(response.metadata_hash(),
            "0b1b871923c97bd61a128cdb14ab0fb4ed9ebbd0624aa1dbda8ae7d33495cfa9");
  // universe.csv sits among the data files and is not mistaken for one.
  EXPECT_EQ(response.symbols_size(), 2);
}

TEST_F(DataEngineTest, WithoutMetadataTheResponseHasNone) {
  const OpenDatasetResponse response = Open(Request({"ORCL"}));
  EXPECT_TRUE(response.metadata().empty());
  EXPECT_TRUE(response.metadata_hash().empty());
}

TEST_F(DataEngineTest, ATradedSymbolMissingFromTheMetadataFailsTheOpen) {
  WriteFile(dir_ + "/universe.csv", "symbol,sector\nNVDA,Chips\n");
  OpenDatasetRequest request = Request({"ORCL"});
  request.mutable_data()->set_metadata("universe.csv");
  const StageError error = OpenFails(request, absl::StatusCode::kNotFound);
  EXPECT_EQ(error.stage(), "data");
  EXPECT_EQ(error.reason(), "METADATA_MISSING_SYMBOL");
  EXPECT_EQ(error.symbol(), "ORCL");
  EXPECT_THAT(error.message(),
              HasSubstr(absl::StrCat("metadata file ", dir_,
                                     "/universe.csv has no row for ORCL")));
}

TEST_F(DataEngineTest, ABadMetadataFileFailsTheOpenNamingLineAndColumn) {
  WriteFile(dir_ + "/universe.csv", "symbol,sector\nORCL,\n");
  OpenDatasetRequest request = Request({"ORCL"});
  request.mutable_data()->set_metadata(dir_ + "/universe.csv");
  const StageError error =
      OpenFails(request, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error.reason(), "INVALID_METADATA");
  EXPECT_THAT(error.message(),
              HasSubstr("universe.csv line 2, column sector: empty"));
}

}  // namespace
}  // namespace seed::data
