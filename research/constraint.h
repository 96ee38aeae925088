// Constraint: one condition a sweep's points must meet, written once as text
// ("fast < slow", "slow >= 2 * fast", "mode != 'both'") and parsed once into
// a small expression tree, then checked against the parameters' types and
// evaluated for each point. Thread-safe: immutable after Parse and Check.
//
// Grammar (lowest precedence first; keywords are lower case):
//   condition  := conjunct ("or" conjunct)*
//   conjunct   := negation ("and" negation)*
//   negation   := "not" negation | comparison
//   comparison := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]
//   sum        := product (("+" | "-") product)*
//   product    := unary (("*" | "/") unary)*
//   unary      := "-" unary | primary
//   primary    := number | text | "true" | "false" | name | "(" condition ")"
// A number is decimal (12, 0.5, .5, 1e-3); a text is quoted with ' or " (no
// escapes: it ends at the next matching quote); a name ([A-Za-z_][A-Za-z0-9_]*)
// is a strategy parameter. Comparisons do not chain ("a < b < c" is an
// error: write "a < b and b < c").
//
// Types: arithmetic and < <= > >= take numbers; == and != take two values of
// one type; and, or, not take truth values; the whole condition is a truth
// value. Arithmetic is IEEE double: x / 0 is an infinity (or NaN for 0 / 0),
// and every comparison with NaN is false except !=, as in C++. and/or
// short-circuit.
#ifndef SEED_RESEARCH_CONSTRAINT_H_
#define SEED_RESEARCH_CONSTRAINT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/spec.pb.h"

namespace seed::research {

// The type of a value in an expression. Parameters of type int and number
// are numbers, string parameters texts, bool parameters truth values.
enum class ValueType { kNumber, kText, kTruth };

// Example:
//   absl::StatusOr<Constraint> c = Constraint::Parse("slow >= 2 * fast");
//   c->Check({{"fast", ValueType::kNumber}, {"slow", ValueType::kNumber}});
//   c->Evaluate(point);  // true when point's slow is at least twice its fast
class Constraint {
 public:
  // The tree of `text`, or INVALID_ARGUMENT naming the constraint and the
  // 1-based column of the problem, e.g.
  //   constraint "fast < < slow", column 8: expected a number, a quoted text,
  //   true, false, a parameter name or "(", got "<"
  static absl::StatusOr<Constraint> Parse(absl::string_view text);

  // INVALID_ARGUMENT naming the constraint and the column when it reads a
  // name `types` does not hold (listing those it does) or combines values of
  // the wrong types ("column 6: + takes numbers, got text mode"). OK when
  // every name is known and the whole is a truth value.
  absl::Status Check(
      const absl::flat_hash_map<std::string, ValueType>& types) const;

  // The condition for `values` (every name the constraint reads must be
  // there, with the type Check was given). FAILED_PRECONDITION when a name is
  // missing or a value has another type: a caller's bug, not a user's.
  absl::StatusOr<bool> Evaluate(
      const std::map<std::string, backtest::v1::ParamValue>& values) const;

  // The parameter names it reads, sorted, each once.
  const std::vector<std::string>& names() const { return names_; }

  const std::string& text() const { return text_; }

  // The tree, for the .cc's parser and evaluator.
  enum class Op {
    kNumber,
    kText,
    kTruth,
    kName,
    kNegate,
    kNot,
    kAdd,
    kSubtract,
    kMultiply,
    kDivide,
    kLess,
    kLessEqual,
    kGreater,
    kGreaterEqual,
    kEqual,
    kNotEqual,
    kAnd,
    kOr,
  };
  struct Node {
    Op op = Op::kNumber;
    int column = 1;      // 1-based, of the token that made the node
    std::string text;    // a text literal, a name, or the operator as written
    double number = 0;   // kNumber
    bool truth = false;  // kTruth
    int left = -1;       // operand indexes into nodes_; -1: none
    int right = -1;
  };

 private:
  friend class ConstraintParser;
  Constraint() = default;

  std::string text_;
  // Children come before their parent; the root is the last node.
  std::vector<Node> nodes_;
  std::vector<std::string> names_;
};

}  // namespace seed::research

#endif  // SEED_RESEARCH_CONSTRAINT_H_
