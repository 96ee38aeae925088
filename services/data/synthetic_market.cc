#include "services/data/synthetic_market.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/stage_error.h"
#include "common/time.h"

namespace seed::data {
namespace {

constexpr absl::string_view kStage = "data";
constexpr absl::string_view kSymbolPrefix = "SYN";
// Bounds the disk a demo can fill: 1000 symbols x 100k days is ~5 GB.
constexpr int kMaxSymbols = 1000;
constexpr int kMaxTradingDays = 100'000;

constexpr double kTradingDaysPerYear = 252;
// Per-symbol long-run annual volatility, drawn uniformly: a utility stock to a
// volatile tech stock.
constexpr double kMinAnnualVolatility = 0.18;
constexpr double kMaxAnnualVolatility = 0.45;
// GARCH(1,1) weights typical of daily equity returns: a shock's effect on
// variance decays by alpha + beta = 0.98 a day, so calm and stormy spells last
// weeks.
constexpr double kGarchAlpha = 0.08;
constexpr double kGarchBeta = 0.90;
// Drift regimes (annualized): bull, bear, sideways. A regime lasts 80 trading
// days on average, then switches to one of the other two.
constexpr double kRegimeAnnualDrift[] = {0.30, -0.25, 0.0};
constexpr int kRegimes = 3;
constexpr double kRegimeSwitchProbability = 1.0 / 80;
// Share of a day's variance that arrives overnight (between close and open).
constexpr double kOvernightVarianceShare = 0.2;
// Volatility never exceeds this multiple of the long-run level, so a run of
// large shocks cannot compound into absurd prices.
constexpr double kMaxVolatilityMultiple = 3;
// An earnings-like jump at the open on about 1 day in 100 (a few a year) of 3
// to 6 long-run daily standard deviations; such a day trades that many times
// the usual volume.
constexpr double kJumpProbability = 0.01;
constexpr double kMinJumpSigmas = 3;
constexpr double kMaxJumpSigmas = 6;
// No overnight or intraday move beyond +-50%, so prices stay positive.
constexpr double kMaxMove = 0.5;
// Wicks beyond the open/close body: |N(0,1)| x this share of the day's sigma.
constexpr double kWickSigmaShare = 0.5;
// Starting prices and typical daily share volumes, drawn uniformly.
constexpr double kMinStartPrice = 20;
constexpr double kMaxStartPrice = 200;
constexpr double kMinBaseVolume = 200'000;
constexpr double kMaxBaseVolume = 5'000'000;
// Log-normal day-to-day noise of volume on top of its volatility dependence.
constexpr double kVolumeNoiseSigma = 0.35;
constexpr int64_t kCentsPerUnit = 100;
constexpr absl::string_view kHeader = "date,open,high,low,close,volume\n";

// Random numbers defined bit for bit: std::mt19937_64 is fully specified by
// the standard, but its distributions are not, so uniform and normal draws are
// written out here.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1) from the top 53 bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double Uniform(double low, double high) {
    return low + (high - low) * Uniform();
  }
  // Standard normal by the Box-Muller transform (Marsaglia's polar form,
  // which needs only log and sqrt).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2 * Uniform() - 1;
      v = 2 * Uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double scale = std::sqrt(-2 * std::log(s) / s);
    spare_ = v * scale;
    has_spare_ = true;
    return u * scale;
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// SplitMix64: spreads (seed, symbol) into well-separated engine seeds.
uint64_t MixSeed(uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

int64_t ToCents(double price) {
  return std::max<int64_t>(1, std::llround(price * kCentsPerUnit));
}

void AppendCents(int64_t cents, std::string* out) {
  const int64_t fraction = cents % kCentsPerUnit;
  absl::StrAppend(out, cents / kCentsPerUnit, fraction < 10 ? ".0" : ".",
                  fraction);
}

// 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday.
int Weekday(int64_t time) {
  const int64_t days = time / kSecondsPerDay - (time % kSecondsPerDay < 0);
  return static_cast<int>(((days + 4) % 7 + 7) % 7);
}

std::vector<int64_t> TradingCalendar(int64_t start, int days) {
  std::vector<int64_t> calendar;
  calendar.reserve(days);
  for (int64_t time = start; static_cast<int>(calendar.size()) < days;
       time += kSecondsPerDay) {
    const int weekday = Weekday(time);
    if (weekday != 0 && weekday != 6) calendar.push_back(time);
  }
  return calendar;
}

// One symbol's file content over the calendar.
std::string SimulateSymbol(uint64_t seed, int index, int symbols,
                           const std::vector<int64_t>& calendar) {
  Random random(MixSeed(seed ^ MixSeed(static_cast<uint64_t>(index))));
  const double long_run_sigma =
      random.Uniform(kMinAnnualVolatility, kMaxAnnualVolatility) /
      std::sqrt(kTradingDaysPerYear);
  const double omega =
      (1 - kGarchAlpha - kGarchBeta) * long_run_sigma * long_run_sigma;
  double variance = long_run_sigma * long_run_sigma;
  double close = random.Uniform(kMinStartPrice, kMaxStartPrice);
  const double base_volume = random.Uniform(kMinBaseVolume, kMaxBaseVolume);
  int regime = static_cast<int>(random.Uniform() * kRegimes);

  const int days = static_cast<int>(calendar.size());
  const int last_symbol = symbols - 1;
  const int listing_day =
      index == std::min(kLateListingSymbolIndex, last_symbol)
          ? static_cast<int>(days * kLateListingFraction)
          : 0;
  const int halt_start = index == std::min(kHaltedSymbolIndex, last_symbol)
                             ? static_cast<int>(days * kHaltStartFraction)
                             : days;
  const double overnight_share = std::sqrt(kOvernightVarianceShare);
  const double intraday_share = std::sqrt(1 - kOvernightVarianceShare);

  std::string text(kHeader);
  for (int day = 0; day < days; ++day) {
    // Every draw happens on every day, so a halt or a late listing hides rows
    // without changing the rest of the path.
    if (random.Uniform() < kRegimeSwitchProbability) {
      regime = (regime + 1 + (random.Uniform() < 0.5 ? 0 : 1)) % kRegimes;
    }
    const double drift = kRegimeAnnualDrift[regime] / kTradingDaysPerYear;
    const double sigma = std::sqrt(variance);
    const double overnight_noise = sigma * overnight_share * random.Normal();
    const bool jump = random.Uniform() < kJumpProbability;
    const double jump_sign = random.Uniform() < 0.5 ? -1 : 1;
    const double jump_sigmas = random.Uniform(kMinJumpSigmas, kMaxJumpSigmas);
    const double gap = std::clamp(
        overnight_noise + (jump ? jump_sign * jump_sigmas * long_run_sigma : 0),
        -kMaxMove, kMaxMove);
    const double intraday_noise = sigma * intraday_share * random.Normal();
    const double intraday =
        std::clamp(drift + intraday_noise, -kMaxMove, kMaxMove);
    const double open = close * (1 + gap);
    close = open * (1 + intraday);
    const double high =
        std::max(open, close) *
        (1 + sigma * kWickSigmaShare * std::fabs(random.Normal()));
    const double low = std::min(open, close) *
                       (1 - std::min(kMaxMove, sigma * kWickSigmaShare *
                                                   std::fabs(random.Normal())));
    // Jumps are one-off news: they move the price but do not feed the
    // volatility clusters.
    const double shock = overnight_noise + intraday_noise;
    variance =
        std::min(omega + kGarchAlpha * shock * shock + kGarchBeta * variance,
                 kMaxVolatilityMultiple * kMaxVolatilityMultiple *
                     long_run_sigma * long_run_sigma);
    const double volume = base_volume * (sigma / long_run_sigma) *
                          (jump ? jump_sigmas : 1) *
                          std::exp(kVolumeNoiseSigma * random.Normal());

    const bool halted =
        day >= halt_start && day < halt_start + kHaltTradingDays;
    if (day < listing_day || halted) continue;
    const int64_t open_cents = ToCents(open);
    const int64_t close_cents = ToCents(close);
    // Rounding can move open or close past a wick; the wicks absorb it.
    const int64_t high_cents =
        std::max({open_cents, ToCents(high), close_cents});
    const int64_t low_cents = std::min({open_cents, ToCents(low), close_cents});
    absl::StrAppend(&text, FormatTime(calendar[day]), ",");
    for (int64_t cents : {open_cents, high_cents, low_cents, close_cents}) {
      AppendCents(cents, &text);
      text.push_back(',');
    }
    absl::StrAppend(&text, std::llround(volume), "\n");
  }
  return text;
}

absl::Status WriteFailure(int error, const std::string& path) {
  return StageFailure(
      absl::ErrnoToStatusCode(error), kStage, "SYNTH_WRITE_FAILED",
      absl::StrCat("cannot write ", path, ": ", std::strerror(error)),
      {.hint = "choose a writable output directory"});
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return WriteFailure(errno, path);
  int error = 0;
  if (std::fwrite(text.data(), 1, text.size(), file) != text.size()) {
    error = errno != 0 ? errno : EIO;
  }
  if (std::fclose(file) != 0 && error == 0) error = errno;
  return error == 0 ? absl::OkStatus() : WriteFailure(error, path);
}

}  // namespace

std::string SyntheticSymbolName(int index) {
  // Bijective base 26: A..Z, then AA, AB, ...
  std::string letters;
  for (int n = index + 1; n > 0; n = (n - 1) / 26) {
    letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
  }
  return absl::StrCat(kSymbolPrefix, letters);
}

absl::Status WriteSyntheticMarket(const SyntheticMarketOptions& options) {
  std::vector<FieldProblem> problems;
  if (options.output_dir.empty()) {
    problems.push_back({"output_dir", "required: where to write the files"});
  }
  if (options.symbols < 1 || options.symbols > kMaxSymbols) {
    problems.push_back({"symbols", absl::StrCat("must be in [1, ", kMaxSymbols,
                                                "], got ", options.symbols)});
  }
  if (options.trading_days < kMinSyntheticTradingDays ||
      options.trading_days > kMaxTradingDays) {
    problems.push_back(
        {"trading_days",
         absl::StrCat("must be in [", kMinSyntheticTradingDays, ", ",
                      kMaxTradingDays, "], got ", options.trading_days)});
  }
  const absl::StatusOr<int64_t> start = ParseTime(options.start_date);
  if (!start.ok()) {
    problems.push_back({"start_date", std::string(start.status().message())});
  } else if (*start % kSecondsPerDay != 0) {
    problems.push_back({"start_date", absl::StrCat("'", options.start_date,
                                                   "' must be a date, e.g. "
                                                   "2015-01-02")});
  }
  if (!problems.empty()) {
    return InvalidFields(kStage, "INVALID_SYNTH_OPTIONS", problems);
  }

  std::error_code error;
  std::filesystem::create_directories(options.output_dir, error);
  if (error) {
    return WriteFailure(error.value(), options.output_dir);
  }
  const std::vector<int64_t> calendar =
      TradingCalendar(*start, options.trading_days);
  for (int index = 0; index < options.symbols; ++index) {
    const std::string path = absl::StrCat(options.output_dir, "/",
                                          SyntheticSymbolName(index), ".csv");
    const absl::Status status = WriteFile(
        path, SimulateSymbol(options.seed, index, options.symbols, calendar));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace seed::data
