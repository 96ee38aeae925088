// Text for CSV files written by hand (run and job exports): numbers in plain
// decimal notation that read back exactly, and RFC 4180 fields. Thread-safe:
// pure functions.
#ifndef SEED_COMMON_CSV_TEXT_H_
#define SEED_COMMON_CSV_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace seed {

// Plain decimal notation with the fewest digits that read back as the same
// double (std::to_chars' shortest round trip), so prices never turn into
// 1e+07 and 0.1 stays 0.1. NaN and infinities as %g writes them.
std::string PlainDecimal(double value);

// RFC 4180: a field with a comma, quote or line break is quoted, quotes
// doubled; others as they are.
std::string CsvField(absl::string_view text);

}  // namespace seed

#endif  // SEED_COMMON_CSV_TEXT_H_
