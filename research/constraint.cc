#include "research/constraint.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace seed::research {
namespace {

using ::backtest::v1::ParamValue;
using Op = Constraint::Op;
using Node = Constraint::Node;

enum class TokenKind { kNumber, kText, kName, kSymbol, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // as written (a text literal without its quotes)
  double number = 0;
  int column = 1;
};

absl::Status Problem(absl::string_view constraint, int column,
                     absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(
      "constraint \"", constraint, "\", column ", column, ": ", message));
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "the end";
    case TokenKind::kText:
      return absl::StrCat("text '", token.text, "'");
    default:
      return absl::StrCat("\"", token.text, "\"");
  }
}

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

bool IsNamePart(char c) {
  return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c));
}

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text) {
  static constexpr absl::string_view kTwoCharSymbols[] = {
      "<=", ">=", "==", "!="};
  static constexpr absl::string_view kOneCharSymbols = "+-*/()<>";
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const int column = static_cast<int>(i) + 1;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token token;
    token.column = column;
    if (IsDigit(c) ||
        (c == '.' && i + 1 < text.size() && IsDigit(text[i + 1]))) {
      size_t end = i;
      while (end < text.size() && (IsDigit(text[end]) || text[end] == '.')) {
        ++end;
      }
      if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
        size_t exponent = end + 1;
        if (exponent < text.size() &&
            (text[exponent] == '+' || text[exponent] == '-')) {
          ++exponent;
        }
        if (exponent < text.size() && IsDigit(text[exponent])) {
          end = exponent;
          while (end < text.size() && IsDigit(text[end])) ++end;
        }
      }
      token.kind = TokenKind::kNumber;
      token.text = std::string(text.substr(i, end - i));
      const auto result =
          std::from_chars(token.text.data(),
                          token.text.data() + token.text.size(), token.number);
      if (result.ec != std::errc() ||
          result.ptr != token.text.data() + token.text.size()) {
        return Problem(text, column,
                       absl::StrCat("\"", token.text, "\" is not a number"));
      }
      i = end;
    } else if (c == '\'' || c == '"') {
      const size_t close = text.find(c, i + 1);
      if (close == absl::string_view::npos) {
        return Problem(text, column,
                       absl::StrCat("text has no closing ", std::string(1, c)));
      }
      token.kind = TokenKind::kText;
      token.text = std::string(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (IsNameStart(c)) {
      size_t end = i;
      while (end < text.size() && IsNamePart(text[end])) ++end;
      token.kind = TokenKind::kName;
      token.text = std::string(text.substr(i, end - i));
      i = end;
    } else {
      token.kind = TokenKind::kSymbol;
      const absl::string_view rest = text.substr(i);
      for (absl::string_view symbol : kTwoCharSymbols) {
        if (absl::StartsWith(rest, symbol)) token.text = std::string(symbol);
      }
      if (token.text.empty() &&
          kOneCharSymbols.find(c) != absl::string_view::npos) {
        token.text = std::string(1, c);
      }
      if (token.text.empty()) {
        std::string hint;
        if (absl::StartsWith(rest, "&&")) hint = " (write \"and\")";
        if (absl::StartsWith(rest, "||")) hint = " (write \"or\")";
        if (c == '=') hint = " (compare with \"==\")";
        if (c == '!') hint = " (write \"not\" or \"!=\")";
        return Problem(
            text, column,
            absl::StrCat("unexpected \"", std::string(1, c), "\"", hint));
      }
      i += token.text.size();
    }
    tokens.push_back(std::move(token));
  }
  Token end;
  end.column = static_cast<int>(text.size()) + 1;
  tokens.push_back(end);
  return tokens;
}

std::optional<Op> ComparisonOp(const Token& token) {
  if (token.kind != TokenKind::kSymbol) return std::nullopt;
  if (token.text == "<") return Op::kLess;
  if (token.text == "<=") return Op::kLessEqual;
  if (token.text == ">") return Op::kGreater;
  if (token.text == ">=") return Op::kGreaterEqual;
  if (token.text == "==") return Op::kEqual;
  if (token.text == "!=") return Op::kNotEqual;
  return std::nullopt;
}

bool IsKeyword(const Token& token, absl::string_view word) {
  return token.kind == TokenKind::kName && token.text == word;
}

bool IsSymbol(const Token& token, absl::string_view symbol) {
  return token.kind == TokenKind::kSymbol && token.text == symbol;
}

absl::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kNumber:
      return "a number";
    case ValueType::kText:
      return "a text";
    case ValueType::kTruth:
      return "a truth value";
  }
  return "a value";
}

// A value while evaluating: text points into the point or the tree.
struct Value {
  ValueType type = ValueType::kNumber;
  double number = 0;
  bool truth = false;
  const std::string* text = nullptr;
};

}  // namespace

// Recursive descent over the tokens, one function per grammar rule (see the
// header); each returns the index of the node it built.
class ConstraintParser {
 public:
  ConstraintParser(absl::string_view text, std::vector<Token> tokens,
                   Constraint& constraint)
      : text_(text), tokens_(std::move(tokens)), constraint_(constraint) {}

  absl::Status Parse() {
    absl::StatusOr<int> root = Condition();
    if (!root.ok()) return root.status();
    if (Peek().kind != TokenKind::kEnd) {
      if (ComparisonOp(Peek())) {
        return Problem(text_, Peek().column,
                       "comparisons do not chain: join them with \"and\", "
                       "e.g. \"a < b and b < c\"");
      }
      return Problem(text_, Peek().column,
                     absl::StrCat("expected an operator, \"and\", \"or\" or "
                                  "the end, got ",
                                  Describe(Peek())));
    }
    // Every node is appended after its operands, so the root is the last.
    return absl::OkStatus();
  }

 private:
  const Token& Peek() const { return tokens_[next_]; }
  const Token& Take() { return tokens_[next_++]; }

  int Add(Node node) {
    constraint_.nodes_.push_back(std::move(node));
    return static_cast<int>(constraint_.nodes_.size()) - 1;
  }

  int Binary(Op op, const Token& token, int left, int right) {
    Node node;
    node.op = op;
    node.column = token.column;
    node.text = token.text;
    node.left = left;
    node.right = right;
    return Add(std::move(node));
  }

  absl::StatusOr<int> Condition() {
    absl::StatusOr<int> left = Conjunct();
    while (left.ok() && IsKeyword(Peek(), "or")) {
      const Token& token = Take();
      absl::StatusOr<int> right = Conjunct();
      if (!right.ok()) return right;
      left = Binary(Op::kOr, token, *left, *right);
    }
    return left;
  }

  absl::StatusOr<int> Conjunct() {
    absl::StatusOr<int> left = Negation();
    while (left.ok() && IsKeyword(Peek(), "and")) {
      const Token& token = Take();
      absl::StatusOr<int> right = Negation();
      if (!right.ok()) return right;
      left = Binary(Op::kAnd, token, *left, *right);
    }
    return left;
  }

  absl::StatusOr<int> Negation() {
    if (!IsKeyword(Peek(), "not")) return Comparison();
    const Token& token = Take();
    absl::StatusOr<int> operand = Negation();
    if (!operand.ok()) return operand;
    return Binary(Op::kNot, token, *operand, -1);
  }

  absl::StatusOr<int> Comparison() {
    absl::StatusOr<int> left = Sum();
    if (!left.ok()) return left;
    const std::optional<Op> op = ComparisonOp(Peek());
    if (!op) return left;
    const Token& token = Take();
    absl::StatusOr<int> right = Sum();
    if (!right.ok()) return right;
    return Binary(*op, token, *left, *right);
  }

  absl::StatusOr<int> Sum() {
    absl::StatusOr<int> left = Product();
    while (left.ok() && (IsSymbol(Peek(), "+") || IsSymbol(Peek(), "-"))) {
      const Token& token = Take();
      absl::StatusOr<int> right = Product();
      if (!right.ok()) return right;
      left = Binary(token.text == "+" ? Op::kAdd : Op::kSubtract, token, *left,
                    *right);
    }
    return left;
  }

  absl::StatusOr<int> Product() {
    absl::StatusOr<int> left = Unary();
    while (left.ok() && (IsSymbol(Peek(), "*") || IsSymbol(Peek(), "/"))) {
      const Token& token = Take();
      absl::StatusOr<int> right = Unary();
      if (!right.ok()) return right;
      left = Binary(token.text == "*" ? Op::kMultiply : Op::kDivide, token,
                    *left, *right);
    }
    return left;
  }

  absl::StatusOr<int> Unary() {
    if (!IsSymbol(Peek(), "-")) return Primary();
    const Token& token = Take();
    absl::StatusOr<int> operand = Unary();
    if (!operand.ok()) return operand;
    return Binary(Op::kNegate, token, *operand, -1);
  }

  absl::StatusOr<int> Primary() {
    const Token& token = Take();
    Node node;
    node.column = token.column;
    node.text = token.text;
    switch (token.kind) {
      case TokenKind::kNumber:
        node.op = Op::kNumber;
        node.number = token.number;
        return Add(std::move(node));
      case TokenKind::kText:
        node.op = Op::kText;
        return Add(std::move(node));
      case TokenKind::kName:
        if (token.text == "true" || token.text == "false") {
          node.op = Op::kTruth;
          node.truth = token.text == "true";
          return Add(std::move(node));
        }
        if (token.text != "and" && token.text != "or" && token.text != "not") {
          node.op = Op::kName;
          return Add(std::move(node));
        }
        break;
      case TokenKind::kSymbol:
        if (token.text == "(") {
          absl::StatusOr<int> inner = Condition();
          if (!inner.ok()) return inner;
          if (!IsSymbol(Peek(), ")")) {
            return Problem(
                text_, Peek().column,
                absl::StrCat("expected \")\" to close the \"(\" of "
                             "column ",
                             token.column, ", got ", Describe(Peek())));
          }
          Take();
          return inner;
        }
        break;
      case TokenKind::kEnd:
        break;
    }
    return Problem(text_, token.column,
                   absl::StrCat("expected a number, a quoted text, true, "
                                "false, a parameter name or \"(\", got ",
                                Describe(token)));
  }

  absl::string_view text_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  Constraint& constraint_;
};

absl::StatusOr<Constraint> Constraint::Parse(absl::string_view text) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  Constraint constraint;
  constraint.text_ = std::string(text);
  ConstraintParser parser(constraint.text_, *std::move(tokens), constraint);
  if (absl::Status status = parser.Parse(); !status.ok()) return status;
  for (const Node& node : constraint.nodes_) {
    if (node.op == Op::kName) constraint.names_.push_back(node.text);
  }
  std::sort(constraint.names_.begin(), constraint.names_.end());
  constraint.names_.erase(
      std::unique(constraint.names_.begin(), constraint.names_.end()),
      constraint.names_.end());
  return constraint;
}

namespace {

// The type of node `index`, or the first type error below it.
absl::StatusOr<ValueType> TypeOf(
    absl::string_view text, const std::vector<Node>& nodes, int index,
    const absl::flat_hash_map<std::string, ValueType>& types) {
  const Node& node = nodes[index];
  switch (node.op) {
    case Op::kNumber:
      return ValueType::kNumber;
    case Op::kText:
      return ValueType::kText;
    case Op::kTruth:
      return ValueType::kTruth;
    case Op::kName: {
      const auto it = types.find(node.text);
      if (it != types.end()) return it->second;
      std::vector<std::string> known;
      for (const auto& [name, type] : types) known.push_back(name);
      std::sort(known.begin(), known.end());
      return Problem(
          text, node.column,
          absl::StrCat("unknown parameter \"", node.text,
                       "\"; known parameters: ", absl::StrJoin(known, ", ")));
    }
    default:
      break;
  }
  absl::StatusOr<ValueType> left = TypeOf(text, nodes, node.left, types);
  if (!left.ok()) return left;
  std::optional<ValueType> right;
  if (node.right >= 0) {
    absl::StatusOr<ValueType> type = TypeOf(text, nodes, node.right, types);
    if (!type.ok()) return type;
    right = *type;
  }
  const auto operands =
      [&](ValueType wanted, ValueType result,
          absl::string_view wanted_name) -> absl::StatusOr<ValueType> {
    if (*left == wanted && (!right || *right == wanted)) return result;
    const ValueType got = *left != wanted ? *left : *right;
    return Problem(text, node.column,
                   absl::StrCat(node.text, " takes ", wanted_name, ", got ",
                                TypeName(got)));
  };
  switch (node.op) {
    case Op::kNegate:
    case Op::kAdd:
    case Op::kSubtract:
    case Op::kMultiply:
    case Op::kDivide:
      return operands(ValueType::kNumber, ValueType::kNumber, "numbers");
    case Op::kLess:
    case Op::kLessEqual:
    case Op::kGreater:
    case Op::kGreaterEqual:
      return operands(ValueType::kNumber, ValueType::kTruth, "numbers");
    case Op::kNot:
    case Op::kAnd:
    case Op::kOr:
      return operands(ValueType::kTruth, ValueType::kTruth, "truth values");
    case Op::kEqual:
    case Op::kNotEqual:
      if (*left == *right) return ValueType::kTruth;
      return Problem(text, node.column,
                     absl::StrCat(node.text,
                                  " compares values of one type, "
                                  "got ",
                                  TypeName(*left), " and ", TypeName(*right)));
    default:
      break;
  }
  return absl::InternalError("unknown constraint operator");
}

absl::StatusOr<Value> ValueOf(const std::vector<Node>& nodes, int index,
                              const std::map<std::string, ParamValue>& values) {
  const Node& node = nodes[index];
  Value value;
  switch (node.op) {
    case Op::kNumber:
      value.number = node.number;
      return value;
    case Op::kText:
      value.type = ValueType::kText;
      value.text = &node.text;
      return value;
    case Op::kTruth:
      value.type = ValueType::kTruth;
      value.truth = node.truth;
      return value;
    case Op::kName: {
      const auto it = values.find(node.text);
      if (it == values.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("no value for parameter \"", node.text, "\""));
      }
      switch (it->second.kind_case()) {
        case ParamValue::kNumber:
          value.number = it->second.number();
          return value;
        case ParamValue::kText:
          value.type = ValueType::kText;
          value.text = &it->second.text();
          return value;
        case ParamValue::kFlag:
          value.type = ValueType::kTruth;
          value.truth = it->second.flag();
          return value;
        case ParamValue::KIND_NOT_SET:
          break;
      }
      return absl::FailedPreconditionError(
          absl::StrCat("parameter \"", node.text, "\" has no value"));
    }
    default:
      break;
  }
  // A tree that passed Check, given values of the types Check was told, never
  // fails these tests.
  const auto mismatch = [&node](const Value& got) {
    return absl::FailedPreconditionError(
        absl::StrCat(node.text, " at column ", node.column, " got ",
                     TypeName(got.type), ": was the constraint checked?"));
  };
  absl::StatusOr<Value> left = ValueOf(nodes, node.left, values);
  if (!left.ok()) return left;
  if (node.op == Op::kNot || node.op == Op::kAnd || node.op == Op::kOr) {
    if (left->type != ValueType::kTruth) return mismatch(*left);
    value.type = ValueType::kTruth;
    value.truth = node.op == Op::kNot ? !left->truth : left->truth;
    // and/or decide on the left operand alone when they can.
    if (node.op == Op::kNot || left->truth == (node.op == Op::kOr)) {
      return value;
    }
    absl::StatusOr<Value> right = ValueOf(nodes, node.right, values);
    if (!right.ok()) return right;
    if (right->type != ValueType::kTruth) return mismatch(*right);
    value.truth = right->truth;
    return value;
  }
  if (node.op == Op::kNegate) {
    if (left->type != ValueType::kNumber) return mismatch(*left);
    value.number = -left->number;
    return value;
  }
  absl::StatusOr<Value> right = ValueOf(nodes, node.right, values);
  if (!right.ok()) return right;
  const bool equality = node.op == Op::kEqual || node.op == Op::kNotEqual;
  if (left->type != right->type) return mismatch(*right);
  if (!equality && left->type != ValueType::kNumber) return mismatch(*left);
  const double a = left->number;
  const double b = right->number;
  value.type = ValueType::kTruth;
  switch (node.op) {
    case Op::kAdd:
      value.type = ValueType::kNumber;
      value.number = a + b;
      break;
    case Op::kSubtract:
      value.type = ValueType::kNumber;
      value.number = a - b;
      break;
    case Op::kMultiply:
      value.type = ValueType::kNumber;
      value.number = a * b;
      break;
    case Op::kDivide:
      value.type = ValueType::kNumber;
      value.number = a / b;
      break;
    case Op::kLess:
      value.truth = a < b;
      break;
    case Op::kLessEqual:
      value.truth = a <= b;
      break;
    case Op::kGreater:
      value.truth = a > b;
      break;
    case Op::kGreaterEqual:
      value.truth = a >= b;
      break;
    case Op::kEqual:
    case Op::kNotEqual: {
      bool equal = false;
      switch (left->type) {
        case ValueType::kNumber:
          equal = a == b;
          break;
        case ValueType::kText:
          equal = *left->text == *right->text;
          break;
        case ValueType::kTruth:
          equal = left->truth == right->truth;
          break;
      }
      value.truth = node.op == Op::kEqual ? equal : !equal;
      break;
    }
    default:
      return absl::InternalError("unknown constraint operator");
  }
  return value;
}

}  // namespace

absl::Status Constraint::Check(
    const absl::flat_hash_map<std::string, ValueType>& types) const {
  absl::StatusOr<ValueType> type =
      TypeOf(text_, nodes_, static_cast<int>(nodes_.size()) - 1, types);
  if (!type.ok()) return type.status();
  if (*type != ValueType::kTruth) {
    return Problem(text_, 1,
                   absl::StrCat("a constraint must be a comparison or a truth "
                                "value, this one is ",
                                TypeName(*type)));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Constraint::Evaluate(
    const std::map<std::string, ParamValue>& values) const {
  absl::StatusOr<Value> value =
      ValueOf(nodes_, static_cast<int>(nodes_.size()) - 1, values);
  if (!value.ok()) return value.status();
  if (value->type != ValueType::kTruth) {
    return absl::FailedPreconditionError(
        absl::StrCat("constraint \"", text_, "\" is not a truth value"));
  }
  return value->truth;
}

}  // namespace seed::research
