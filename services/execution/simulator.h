// The fill simulator of one run (DESIGN.md section 3, docs/execution.md):
// keeps the working orders in acceptance order with their state (remaining
// quantity, trailing best price and ATR, stop-limit trigger, bars counted for
// time in force, bracket exits) and fills them against a run of time steps,
// holding the last call's outcome as tentative until the next call says how
// many of its steps the coordinator consumed.
// Not thread-safe: ExecutionEngine serializes the calls of one run.
#ifndef SEED_SERVICES_EXECUTION_SIMULATOR_H_
#define SEED_SERVICES_EXECUTION_SIMULATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/execution.pb.h"
#include "backtest/v1/spec.pb.h"
#include "common/stage_error.h"
#include "services/execution/average_true_range.h"
#include "services/execution/commission.h"
#include "services/execution/slippage.h"

namespace seed::execution {

// When a MARKET order fills (execution.fill_timing): at the open of its
// symbol's next bar, at the close of the bar it was placed at (the
// ExecuteStepsRequest.at_close call), or at the close of the next bar.
enum class FillTiming { kNextOpen, kClose, kNextClose };

// How fills are decided beyond the order's own prices.
struct FillPolicy {
  FillTiming timing = FillTiming::kNextOpen;
  // When one bar reaches both a bracket's stop and its target and the open is
  // through neither: the stop fills (pessimistic, the default) or the target.
  bool optimistic_same_bar = false;
  // > 0: the shares filled per symbol and bar are at most
  // floor(max_fraction_of_volume * volume), shared by that bar's orders in
  // processing order.
  double max_fraction_of_volume = 0;
};

// execution.fill_timing, same_bar_policy and participation, or problems with
// their field paths appended to *problems.
FillPolicy MakeFillPolicy(const backtest::v1::ExecutionSpec& spec,
                          std::vector<FieldProblem>* problems);

class Simulator {
 public:
  // `symbols` is the run's symbol table (Order.symbol and Bar.symbol index it).
  Simulator(std::vector<std::string> symbols,
            std::unique_ptr<CommissionModel> commission,
            std::unique_ptr<SlippageModel> slippage, FillPolicy policy = {});

  // Whether the models need the bars of every step (an ATR kept here), not
  // only of the steps at which orders work.
  bool needs_every_step() const { return slippage_->atr_length() > 0; }

  // First resolves the previous call's tentative steps against
  // request.steps(0).index(): those before it are committed, the others are
  // discarded as if never simulated. Then applies request.amendments (cancel,
  // or replace in place), adds request.new_orders to the working orders and
  // simulates request.steps in order, stopping after the first step with a
  // fill, a rejection or an order event. At one step the working orders whose
  // symbol has a bar are worked: the exits (Order.reduces_position) first,
  // then the entries, each group sells first, then buys (in acceptance
  // order), so a sale's proceeds pay for a buy at the same step and no entry
  // spends what a later cover must pay. A
  // buy costing more than the cash left of its strategy's buying power
  // (request.strategy_available_cash, or available_cash in a run of one) is
  // rejected, not resized. What is left follows the real cash: a sale adds
  // its proceeds, every fill takes its commission, and a cover in a cash
  // account (request.marks) frees the short's held value at its mark and pays
  // its own price.
  // Fails with INVALID_ARGUMENT on a malformed request (no steps, steps not
  // consecutive, a bad bar or order, an order of a strategy with no buying
  // power in the request, a mark for no symbol or not a positive finite
  // price), FAILED_PRECONDITION STEP_OUT_OF_ORDER
  // when steps(0) is at or before a committed step and ORDER_BOOK_MISMATCH
  // when an amendment names an order that is not working or a new order
  // reuses the id of one that is; a failed call changes nothing.
  // With request.at_close (fill timing close) the call is the close of its
  // one step: it commits through that step, joins the amendments and new
  // orders, and fills the new MARKET orders at that step's closes (exits
  // first, sells before buys, as at an open); nothing stays tentative.
  absl::Status ExecuteSteps(const backtest::v1::ExecuteStepsRequest& request,
                            backtest::v1::ExecuteStepsResponse* response);

  // Commits every tentative step, then hands over the orders still working
  // (bracket exits included), in acceptance order.
  void End(backtest::v1::ExecutionEndResponse* response);

 private:
  struct WorkingOrder {
    backtest::v1::Order order;
    // The first step index it works at: the call's first step for a new
    // order, the step after its entry's first fill for a bracket exit.
    int64_t active_from = 0;
    // Time in force: bars of its symbol worked in, the UTC day of the first
    // (DAY) and the time of the last.
    int32_t bars_worked = 0;
    int64_t first_day = 0;
    int64_t last_bar_time = 0;
    // A STOP or TRAILING_STOP that triggered and filled partially: the rest
    // works as a market order.
    bool stop_triggered = false;
    // TRAILING_STOP: the best price since it started working, its ATR and the
    // previous close (for the next true range); order.stop_price holds the
    // current stop.
    double best = 0;
    double trail_atr = 0;
    double previous_close = 0;
    // A bracket entry: what it filled so far (for the average fill price)
    // and whether its exits exist. A bracket exit: its entry's id.
    double filled_quantity = 0;
    double filled_value = 0;
    bool exits_created = false;
    int64_t entry_id = 0;
    // Filled, rejected, expired or cancelled at the step being simulated;
    // erased at its end.
    bool finished = false;
  };

  // Everything a step changes: what a discarded step must restore.
  struct State {
    std::vector<WorkingOrder> working;
    // Per symbol, when the slippage model reads an ATR; else empty.
    std::vector<AverageTrueRange> atr;
    // Shares traded in the UTC calendar month `month` (year * 12 + month - 1)
    // for tiered commissions.
    int64_t month = -1;
    double month_shares = 0;
    // With a participation cap: the shares each symbol's bar may still fill
    // after the last step simulated (`volume_step`), so the close of that
    // step shares its bar's volume with its open.
    int64_t volume_step = -1;
    std::vector<double> volume_left;
  };

  // The steps the last call simulated, not yet committed or discarded. A cut
  // inside them restores `before` and simulates again the steps before the
  // cut (they had no fills or events, so cash does not change in them). The
  // cost: one copy of the state and of the simulated steps but the last per
  // call, and at most one replay of those steps per cut; cheaper than a
  // snapshot per step when most steps change only a trailing stop or an ATR.
  struct TentativeSteps {
    int64_t first_index;
    int64_t last_index;
    State before;
    std::vector<backtest::v1::TimeStep> replay;  // all but the last
    // Each strategy's buying power at the first step (one in a run of one).
    std::vector<double> available_cash;
  };

  // What the fill rules say an order does at a bar.
  struct Touch {
    bool fills = false;
    double raw_price = 0;
    bool gap = false;
    bool slipped = false;   // market, stop and trailing-stop fills
    bool triggers = false;  // a STOP_LIMIT's stop triggers at this bar
  };

  absl::Status CheckRequest(
      const backtest::v1::ExecuteStepsRequest& request) const;
  absl::Status CheckStep(const backtest::v1::TimeStep& step,
                         int64_t expected_index) const;
  // Once the call's tentative steps are resolved against `next_index`: every
  // amendment names a working order, and no new order reuses a working id.
  absl::Status CheckOrderBook(const backtest::v1::ExecuteStepsRequest& request,
                              int64_t next_index) const;

  // Commits the tentative steps with an index below `next_index` and discards
  // the others.
  void Resolve(int64_t next_index);
  void ApplyAmendments(const backtest::v1::ExecuteStepsRequest& request);
  void Join(const backtest::v1::Order& order, int64_t active_from);
  // A TRAILING_STOP starts from its reference price (the placing bar's
  // close) and the ATR it was placed with.
  static void StartTrail(WorkingOrder& working);
  // Puts the stop at the trail's distance from the best price so far.
  static void SetTrailStop(WorkingOrder& working);

  // Works every order at `step`; returns whether anything (fill, rejection,
  // event) happened. (*cash)[k] is what strategy k has left to pay for buys.
  bool SimulateStep(const backtest::v1::TimeStep& step,
                    std::vector<double>* cash,
                    backtest::v1::ExecuteStepsResponse* response);
  // The close of `step` (fill timing close): works the MARKET orders from
  // state_.working[first_new] on, which joined at this call.
  void SimulateClose(const backtest::v1::TimeStep& step, size_t first_new,
                     std::vector<double>* cash,
                     backtest::v1::ExecuteStepsResponse* response);
  // Works the orders at `step` that `eligible` admits and whose symbol has a
  // bar: the exits first, then the entries, each group sells before buys,
  // in acceptance order. Bracket exits made meanwhile join at the end.
  template <typename Eligible>
  void WorkOrders(const backtest::v1::TimeStep& step, std::vector<double>* cash,
                  backtest::v1::ExecuteStepsResponse* response,
                  const Eligible& eligible);
  // Points bar_of_symbol_ at the step's bars and sets what each may fill
  // under the participation cap; EndBars undoes it and remembers what is
  // left.
  void BeginBars(const backtest::v1::TimeStep& step);
  void EndBars(const backtest::v1::TimeStep& step);
  // What a MARKET order (or a triggered stop's market remainder) fills at.
  double MarketPrice(const backtest::v1::Bar& bar) const;
  void ExpirePastDays(const backtest::v1::TimeStep& step,
                      backtest::v1::ExecuteStepsResponse* response);
  void WorkOrder(size_t index, const backtest::v1::Bar& bar,
                 const backtest::v1::TimeStep& step, std::vector<double>* cash,
                 backtest::v1::ExecuteStepsResponse* response);
  Touch Evaluate(const WorkingOrder& working,
                 const backtest::v1::Bar& bar) const;
  // Whether a bracket exit at `index`, touched at `bar`, yields to its OCO
  // partner that the bar reaches too; *resolution says how the tie went.
  bool YieldsToPartner(const WorkingOrder& working, const Touch& touch,
                       const backtest::v1::Bar& bar, int64_t step_index,
                       std::string* resolution) const;
  // Fills `quantity` of order `index` at `touch`; false when a buy was
  // rejected for cash instead.
  bool Fill(size_t index, double quantity, const Touch& touch,
            const std::string& resolution, const backtest::v1::Bar& bar,
            int64_t time, std::vector<double>* cash,
            backtest::v1::ExecuteStepsResponse* response);
  void AfterEntryFill(size_t index, double quantity,
                      const backtest::v1::Bar& bar,
                      const backtest::v1::TimeStep& step,
                      backtest::v1::ExecuteStepsResponse* response);
  void AfterExitFill(size_t index, double quantity, int64_t time,
                     backtest::v1::ExecuteStepsResponse* response);
  void UpdateTrail(WorkingOrder& working, const backtest::v1::Bar& bar) const;
  void Finish(WorkingOrder& working, backtest::v1::OrderEvent::Kind kind,
              int64_t time, const std::string& reason,
              backtest::v1::ExecuteStepsResponse* response);
  WorkingOrder* FindWorking(int64_t id);
  const WorkingOrder* FindWorking(int64_t id) const;

  std::vector<std::string> symbols_;
  std::unique_ptr<CommissionModel> commission_;
  std::unique_ptr<SlippageModel> slippage_;
  FillPolicy policy_;
  State state_;
  // The index of the last committed step; no call may start at or before it.
  int64_t committed_through_ = -1;
  std::optional<TentativeSteps> tentative_;
  // The call's request.marks by symbol index (0: none, a cover then frees
  // nothing).
  std::vector<double> marks_;
  // Scratch for the step being simulated, sized once so that a step costs no
  // allocation: each symbol's bar (else null) and the shares its bar may
  // still fill under the participation cap.
  std::vector<const backtest::v1::Bar*> bar_of_symbol_;
  std::vector<double> volume_left_;
  // Bracket exits created at the step being simulated; they join the working
  // orders at its end.
  std::vector<WorkingOrder> new_exits_;
};

}  // namespace seed::execution

#endif  // SEED_SERVICES_EXECUTION_SIMULATOR_H_
