// A sweep point (a value per swept parameter) and its canonical text, the
// one unit that ids, duplicate checks and ranking ties share. Kept apart from
// the parameter space so that readers of stored jobs (the results stage) need
// no strategy code. Thread-safe: pure functions.
#ifndef SEED_RESEARCH_POINT_TEXT_H_
#define SEED_RESEARCH_POINT_TEXT_H_

#include <map>
#include <string>

#include "backtest/v1/spec.pb.h"

namespace seed::research {

// One sweep point: a value for each swept parameter, by name.
using Point = std::map<std::string, backtest::v1::ParamValue>;

// A value as CanonicalText writes it: a number in its shortest form that
// reads back as the same double (10, 0.25, 1e+21; -0 as 0), a text quoted
// and escaped, a truth value true/false.
std::string ValueText(const backtest::v1::ParamValue& value);

// A value as a person reads it (a child's name, a table): 10, 0.25, long,
// true; texts unquoted.
std::string DisplayText(const backtest::v1::ParamValue& value);

// A point's canonical text, for ids and display: a JSON object with the
// names sorted and each value as ValueText writes it.
// Example: {"fast":10,"mode":"long","slow":30}.
std::string CanonicalText(const Point& point);

}  // namespace seed::research

#endif  // SEED_RESEARCH_POINT_TEXT_H_
