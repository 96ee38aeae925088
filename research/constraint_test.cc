#include "research/constraint.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "services/strategy/param_schema.h"

namespace seed::research {
namespace {

using ::backtest::v1::ParamValue;
using ::seed::strategy::FlagValue;
using ::seed::strategy::NumberValue;
using ::seed::strategy::TextValue;

const absl::flat_hash_map<std::string, ValueType> kTypes = {
    {"fast", ValueType::kNumber},
    {"slow", ValueType::kNumber},
    {"mode", ValueType::kText},
    {"short", ValueType::kTruth},
};

// Parses, checks and evaluates `text` on the point, failing the test on any
// error.
bool Holds(const std::string& text,
           const std::map<std::string, ParamValue>& point) {
  absl::StatusOr<Constraint> constraint = Constraint::Parse(text);
  EXPECT_TRUE(constraint.ok()) << constraint.status();
  if (!constraint.ok()) return false;
  const absl::Status checked = constraint->Check(kTypes);
  EXPECT_TRUE(checked.ok()) << checked;
  absl::StatusOr<bool> holds = constraint->Evaluate(point);
  EXPECT_TRUE(holds.ok()) << holds.status();
  return holds.ok() && *holds;
}

std::string ParseError(const std::string& text) {
  absl::StatusOr<Constraint> constraint = Constraint::Parse(text);
  EXPECT_FALSE(constraint.ok()) << text;
  if (constraint.ok()) return "";
  EXPECT_EQ(constraint.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(constraint.status().message());
}

std::string CheckError(const std::string& text) {
  absl::StatusOr<Constraint> constraint = Constraint::Parse(text);
  EXPECT_TRUE(constraint.ok()) << constraint.status();
  if (!constraint.ok()) return "";
  const absl::Status status = constraint->Check(kTypes);
  EXPECT_FALSE(status.ok()) << text;
  return std::string(status.message());
}

TEST(ConstraintTest, ComparesParameters) {
  const std::map<std::string, ParamValue> point = {{"fast", NumberValue(10)},
                                                   {"slow", NumberValue(30)}};
  EXPECT_TRUE(Holds("fast < slow", point));
  EXPECT_FALSE(Holds("fast > slow", point));
  EXPECT_TRUE(Holds("slow >= 2 * fast", point));
  EXPECT_TRUE(Holds("slow >= 3 * fast", point));
  EXPECT_FALSE(Holds("slow >= 4 * fast", point));
  EXPECT_TRUE(Holds("fast + 5 <= slow", point));
  EXPECT_TRUE(Holds("fast + 20 <= slow", point));
  EXPECT_FALSE(Holds("fast + 21 <= slow", point));
  EXPECT_TRUE(Holds("fast == 10", point));
  EXPECT_TRUE(Holds("fast != 11", point));
}

TEST(ConstraintTest, FollowsPrecedenceAndParentheses) {
  const std::map<std::string, ParamValue> point = {{"fast", NumberValue(2)},
                                                   {"slow", NumberValue(8)}};
  // * before +: 2 + 3 * 2 = 8, not 10.
  EXPECT_TRUE(Holds("fast + 3 * fast == slow", point));
  EXPECT_TRUE(Holds("(fast + 2) * fast == slow", point));
  // - and / associate to the left: 8 - 2 - 2 = 4, 8 / 2 / 2 = 2.
  EXPECT_TRUE(Holds("slow - fast - fast == 4", point));
  EXPECT_TRUE(Holds("slow / fast / fast == 2", point));
  EXPECT_TRUE(Holds("-fast == 0 - 2", point));
  EXPECT_TRUE(Holds("- -fast == fast", point));
  EXPECT_TRUE(Holds(".5e1 == 5 and 1e-3 * 1000 == 1.0", point));
  // and binds tighter than or: true or (false and false).
  EXPECT_TRUE(Holds("fast < slow or fast > slow and fast == slow", point));
  EXPECT_FALSE(Holds("(fast < slow or fast > slow) and fast == slow", point));
  EXPECT_TRUE(Holds("not fast > slow", point));
  EXPECT_FALSE(Holds("not not fast > slow", point));
}

TEST(ConstraintTest, ComparesTextsAndTruthValues) {
  const std::map<std::string, ParamValue> point = {{"mode", TextValue("both")},
                                                   {"short", FlagValue(true)},
                                                   {"fast", NumberValue(1)}};
  EXPECT_FALSE(Holds("mode != 'both'", point));
  EXPECT_TRUE(Holds("mode == \"both\"", point));
  EXPECT_TRUE(Holds("mode != 'long' and short", point));
  EXPECT_TRUE(Holds("short == true", point));
  EXPECT_FALSE(Holds("short == false", point));
  EXPECT_TRUE(Holds("mode == 'long' or fast == 1", point));
}

TEST(ConstraintTest, NamesAreSortedOnce) {
  absl::StatusOr<Constraint> constraint =
      Constraint::Parse("slow > fast and slow < 10 * fast");
  ASSERT_TRUE(constraint.ok()) << constraint.status();
  EXPECT_EQ(constraint->names(), (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(constraint->text(), "slow > fast and slow < 10 * fast");
}

TEST(ConstraintTest, ArithmeticIsIeee) {
  const std::map<std::string, ParamValue> point = {{"fast", NumberValue(0)},
                                                   {"slow", NumberValue(5)}};
  // 5 / 0 is +infinity; 0 / 0 is NaN, which compares unequal to itself.
  EXPECT_TRUE(Holds("slow / fast > 1e308", point));
  EXPECT_FALSE(Holds("fast / fast == fast / fast", point));
  EXPECT_TRUE(Holds("fast / fast != fast / fast", point));
  EXPECT_FALSE(Holds("fast / fast < 1 or fast / fast >= 1", point));
}

TEST(ConstraintTest, AndOrShortCircuit) {
  // The right side reads a parameter the point lacks: evaluating it would be
  // an error, so it must not be evaluated.
  const std::map<std::string, ParamValue> point = {{"fast", NumberValue(1)}};
  absl::StatusOr<Constraint> either =
      Constraint::Parse("fast == 1 or slow > 0");
  ASSERT_TRUE(either.ok());
  EXPECT_TRUE(*either->Evaluate(point));
  absl::StatusOr<Constraint> both = Constraint::Parse("fast == 2 and slow > 0");
  ASSERT_TRUE(both.ok());
  EXPECT_FALSE(*both->Evaluate(point));
  absl::StatusOr<Constraint> needs =
      Constraint::Parse("fast == 1 and slow > 0");
  ASSERT_TRUE(needs.ok());
  absl::StatusOr<bool> missing = needs->Evaluate(point);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("\"slow\""), std::string::npos);
}

TEST(ConstraintTest, ParseErrorsNameTheConstraintAndColumn) {
  EXPECT_EQ(ParseError("fast < < slow"),
            "constraint \"fast < < slow\", column 8: expected a number, a "
            "quoted text, true, false, a parameter name or \"(\", got \"<\"");
  EXPECT_EQ(ParseError("fast < slow <= 100"),
            "constraint \"fast < slow <= 100\", column 13: comparisons do not "
            "chain: join them with \"and\", e.g. \"a < b and b < c\"");
  EXPECT_EQ(ParseError("(fast < slow"),
            "constraint \"(fast < slow\", column 13: expected \")\" to close "
            "the \"(\" of column 1, got the end");
  EXPECT_EQ(ParseError("fast = slow"),
            "constraint \"fast = slow\", column 6: unexpected \"=\" (compare "
            "with \"==\")");
  EXPECT_EQ(ParseError("fast < slow && slow < 9"),
            "constraint \"fast < slow && slow < 9\", column 13: unexpected "
            "\"&\" (write \"and\")");
  EXPECT_EQ(ParseError("mode == 'both"),
            "constraint \"mode == 'both\", column 9: text has no closing '");
  EXPECT_EQ(ParseError("fast < 1.2.3"),
            "constraint \"fast < 1.2.3\", column 8: \"1.2.3\" is not a number");
  EXPECT_EQ(
      ParseError("fast slow"),
      "constraint \"fast slow\", column 6: expected an operator, \"and\", "
      "\"or\" or the end, got \"slow\"");
  EXPECT_EQ(ParseError("fast < slow and"),
            "constraint \"fast < slow and\", column 16: expected a number, a "
            "quoted text, true, false, a parameter name or \"(\", got the end");
  EXPECT_EQ(ParseError(""),
            "constraint \"\", column 1: expected a number, a quoted text, "
            "true, false, a parameter name or \"(\", got the end");
}

TEST(ConstraintTest, CheckNamesUnknownParametersAndTypeErrors) {
  EXPECT_EQ(CheckError("fats < slow"),
            "constraint \"fats < slow\", column 1: unknown parameter \"fats\"; "
            "known parameters: fast, mode, short, slow");
  EXPECT_EQ(CheckError("mode + 1 < slow"),
            "constraint \"mode + 1 < slow\", column 6: + takes numbers, got a "
            "text");
  EXPECT_EQ(CheckError("mode == 1"),
            "constraint \"mode == 1\", column 6: == compares values of one "
            "type, got a text and a number");
  EXPECT_EQ(CheckError("fast and slow"),
            "constraint \"fast and slow\", column 6: and takes truth values, "
            "got a number");
  EXPECT_EQ(CheckError("fast + slow"),
            "constraint \"fast + slow\", column 1: a constraint must be a "
            "comparison or a truth value, this one is a number");
  EXPECT_EQ(CheckError("short < true"),
            "constraint \"short < true\", column 7: < takes numbers, got a "
            "truth value");
}

TEST(ConstraintTest, EvaluateRefusesValuesOfAnotherType) {
  absl::StatusOr<Constraint> constraint = Constraint::Parse("fast < slow");
  ASSERT_TRUE(constraint.ok());
  absl::StatusOr<bool> holds = constraint->Evaluate(
      {{"fast", TextValue("x")}, {"slow", NumberValue(1)}});
  EXPECT_EQ(holds.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace seed::research
