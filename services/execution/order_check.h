// Checks an order the portfolio sends to execution (a new order, or the
// replacement in an amendment) before it may join the book: every field its
// type, time in force and bracket read must make sense. Thread-safe: a pure
// function.
#ifndef SEED_SERVICES_EXECUTION_ORDER_CHECK_H_
#define SEED_SERVICES_EXECUTION_ORDER_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/orders.pb.h"

namespace seed::execution {

// OK, or INVALID_ARGUMENT (stage execution; reason UNSUPPORTED_ORDER_TYPE or
// INVALID_ORDER) naming the order id, where it came from (`where`, e.g.
// "new_orders[2]") and the field at fault. `symbols` is the run's symbol
// table; `step_time` the time of the call's first step. Example:
//   CheckOrder(limit_without_price, {"ORCL"}, "new_orders[0]", t)
//   // "order 7 (new_orders[0]) sent for step 2001-01-03:
//   //  limit_price must be > 0 for a LIMIT order, got 0"
absl::Status CheckOrder(const backtest::v1::Order& order,
                        const std::vector<std::string>& symbols,
                        absl::string_view where, int64_t step_time);

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_ORDER_CHECK_H_
