// The portfolio of one run (DESIGN.md section 4, docs/portfolio.md): cash,
// long and short positions, the working orders, the open trade of each
// symbol, borrow fees, a cash or margin account, and the sizing of intents
// into orders, amendments or rejections under the spec's caps. Steps arrive
// in runs and stay tentative until a later call says how many of them the
// coordinator consumed. Not thread-safe: PortfolioEngine serializes the calls
// of one run.
#ifndef SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_
#define SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/portfolio.pb.h"
#include "common/stage_error.h"
#include "google/protobuf/repeated_field.h"
#include "services/portfolio/limits.h"
#include "services/portfolio/sizing.h"

namespace seed::portfolio {

// Which strategy's sleeve a Portfolio is in a run of several (Account):
// its index, how many there are, its id and share of initial_cash. The
// default is the whole account of a run of one strategy.
struct Sleeve {
  int32_t index = 0;
  int32_t count = 1;
  std::string id;  // set on trades; empty in a run of one
  double allocation = 1;
};

// The other sleeves of the account around the one being sized, so that the
// caps apply to the account as a whole: their effective quantity per symbol
// (EffectiveQuantities) and their equity. Empty in a run of one.
struct OtherSleeves {
  std::vector<double> effective;
  double equity = 0;
};

class Portfolio {
 public:
  // The portfolio `spec` describes over the run's symbol table `symbols`
  // (indexes in bars, fills and intents), or nullptr after appending every
  // problem with the spec, each with its field path, to *problems. As a
  // sleeve it starts with allocation * initial_cash, gives its orders the
  // ids index + 1, index + 1 + count, ... and names its strategy on orders,
  // rejections and trades.
  static std::unique_ptr<Portfolio> Create(
      const backtest::v1::PortfolioSpec& spec, std::vector<std::string> symbols,
      std::vector<FieldProblem>* problems, const Sleeve& sleeve = {});

  // First resolves the previous call's tentative steps against
  // request.steps(0).index(): those before it are committed, the others are
  // discarded as if never applied. Then, for each step in order: charges the
  // borrow fee of each short held since the previous step, applies the fills
  // dated at its time (cash, positions, trades, working orders), then the
  // order events and execution's rejections at that time, marks each symbol
  // with a bar to its close and appends the view as of that close. A margin
  // account below its maintenance requirement at a close stops the call at
  // that step (views end there, response->margin_call says why). Trades the
  // fills took flat are in response->closed_trades, including those of steps
  // a later call may discard. The new steps are tentative.
  // Replaces *response; its cleared messages are reused.
  // Fails with INVALID_ARGUMENT on a malformed request (no steps, steps not
  // consecutive, a bad bar, fill or event, fills or events out of time order
  // or not at one of the steps) and FAILED_PRECONDITION (STEP_OUT_OF_ORDER)
  // when steps(0) is at or before a committed step or leaves a gap after the
  // applied ones; such a call changes nothing. With request.at_close
  // (fill timing close) the one step is the one SizeIntents just committed:
  // its close's fills, events and rejections are applied and the view after
  // them returned, without marks, excursions or a margin check. A fill that
  // would take a
  // position short without shorting enabled is an internal error; the run
  // cannot continue after it.
  absl::Status ApplySteps(const backtest::v1::ApplyStepsRequest& request,
                          backtest::v1::ApplyStepsResponse* response);

  // First commits the tentative steps through request.step_index and
  // discards the later ones (STEP_OUT_OF_ORDER when that step is before the
  // last committed one or was never applied). Then checks every intent
  // (common/intent_check: a malformed one fails the call as the strategy's,
  // before anything is sized) and turns each into an order (ids 1, 2, ...),
  // an amendment or a rejection saying why, with the portfolio as of that
  // step's close. After a margin call it first closes every position
  // (role LIQUIDATION). Exits never exceed the position less the exits
  // already working. With limits.on_breach "fail", an order breaking a cap
  // fails the call (FAILED_PRECONDITION, reason = the cap).
  // `others` makes the caps count the rest of the account too.
  absl::Status SizeIntents(const backtest::v1::SizeIntentsRequest& request,
                           backtest::v1::SizeIntentsResponse* response,
                           const OtherSleeves& others = {});

  const std::string& strategy_id() const { return sleeve_.id; }
  size_t symbol_count() const { return symbols_.size(); }

  // Commits the tentative steps through `step_index` (at `time`) and
  // discards the later ones, as SizeIntents at that step does first.
  absl::Status CommitThrough(int64_t step_index, int64_t time) {
    return Resolve(step_index, "SizeIntents at", step_index, time);
  }

  // By symbol: the position plus its working orders (protective exits
  // aside), as the caps and TARGET_* see it.
  std::vector<double> EffectiveQuantities() const;
  // Cash plus the positions at their latest closes.
  double Equity() const;

  // Commits every tentative step. With close_at_end, closes every position
  // at its last close without costs into response->closed_at_end (exit
  // reason "end_of_data"); otherwise reports each as an open trade marked to
  // its last close (exit reason "open"). Then the view as of the last step.
  void End(backtest::v1::PortfolioEndResponse* response);

 private:
  // A round trip in progress; meaningful while the position is not flat.
  struct OpenTrade {
    int direction = 0;  // +1 long, -1 short
    int64_t entry_time = 0;
    double max_quantity = 0;  // largest |position|
    double commission = 0;    // entries and exits so far
    double slippage = 0;
    double borrow_fees = 0;
    double exit_quantity = 0;
    double exit_price = 0;  // quantity-weighted over the exits so far
    double gross_pnl = 0;   // realized by the exits so far
    double initial_stop = 0;
    double mae = 0;  // worst excursion per share so far, <= 0
    double mfe = 0;  // best excursion per share so far, >= 0
  };

  struct PricePoint {
    int64_t time;
    double close;
  };

  struct Holding {
    double quantity = 0;  // positive long, negative short
    double average_price = 0;
    double last_price = 0;
    bool has_price = false;
    OpenTrade trade;
    // The latest closes, as many as the volatility the sizing rule needs.
    std::deque<PricePoint> closes;
  };

  // Everything that applying a step changes, in one value, so that
  // discarding steps is restoring a copy taken before them.
  struct Book {
    double cash = 0;
    int64_t last_step_time = 0;
    std::vector<Holding> holdings;  // by symbol index
    // Symbol indexes of the positions not flat, ascending: the view and the
    // equity walk these instead of every symbol.
    std::vector<int32_t> held;
    // Accepted orders not yet filled, cancelled, expired or rejected, by id
    // (so in the order they were accepted), with what is left to fill.
    std::map<int64_t, backtest::v1::Order> working;
    // Why the margin account must be liquidated; empty: no margin call.
    std::string margin_call;
  };

  struct Mark {
    int32_t symbol;
    double high;
    double low;
    double close;
  };

  // One step of the last ApplySteps call: its time and where its marks,
  // fills, events and rejections end in Tentative's arrays (they begin where
  // the previous step's end).
  struct RecordedStep {
    int64_t time;
    size_t marks_end;
    int fills_end;
    int events_end;
    int rejections_end;
  };

  // The last ApplySteps call's steps, recorded so that a later cut within
  // them can restore `before` and apply again only the consumed ones; the
  // arrays keep their capacity from call to call.
  struct Tentative {
    Book before;
    std::vector<RecordedStep> steps;
    std::vector<Mark> marks;
    google::protobuf::RepeatedPtrField<backtest::v1::Fill> fills;
    google::protobuf::RepeatedPtrField<backtest::v1::OrderEvent> events;
    google::protobuf::RepeatedPtrField<backtest::v1::Rejection> rejections;
  };

  using Trades = google::protobuf::RepeatedPtrField<backtest::v1::Trade>;

  // One intent being sized: the response being built and the running totals
  // of the orders accepted so far in the call.
  struct SizingState;

  Portfolio(const backtest::v1::PortfolioSpec& spec,
            std::vector<std::string> symbols,
            std::unique_ptr<SizingRule> sizing, Limits limits,
            const Sleeve& sleeve);

  int64_t NextOrderId();

  absl::Status CheckSteps(const backtest::v1::ApplyStepsRequest& request) const;
  absl::Status CheckFills(const backtest::v1::ApplyStepsRequest& request) const;
  // Checks the order events and execution's rejections of the request.
  absl::Status CheckEvents(
      const backtest::v1::ApplyStepsRequest& request) const;

  int64_t AppliedThrough() const {
    return committed_through_ + static_cast<int64_t>(tentative_.steps.size());
  }
  // Commits the tentative steps through `last_kept` and discards the later
  // ones. STEP_OUT_OF_ORDER when last_kept is before the last committed step
  // or after the last applied one; `call`, `step_index` and `time` name the
  // request in it (e.g. "SizeIntents at", 7, its time).
  absl::Status Resolve(int64_t last_kept, absl::string_view call,
                       int64_t step_index, int64_t time);
  void ForgetTentative();
  // ApplySteps at the close of the step just committed (fill timing close):
  // its fills, events and rejections, then the view; nothing tentative.
  absl::Status ApplyClose(const backtest::v1::ApplyStepsRequest& request,
                          backtest::v1::ApplyStepsResponse* response);
  // Applies tentative_.steps[k] to book_. `closed` receives the trades its
  // fills close; null when the step is applied again after a cut (its trades
  // were reported by the call that first applied it).
  absl::Status ApplyRecordedStep(size_t k, Trades* closed);
  void ChargeBorrowFees(int64_t time);
  absl::Status ApplyFill(const backtest::v1::Fill& fill, Trades* closed);
  // Adds `quantity` shares in `direction` (+1 long, -1 short) at `price`.
  void Open(int32_t symbol, int direction, double quantity, double price,
            double commission, double slippage, int64_t time,
            double initial_stop);
  // Takes `quantity` shares (at most |position|) off the position at
  // `price`; closes the trade when it goes flat.
  void Reduce(int32_t symbol, double quantity, double price, double commission,
              double slippage, int64_t time, backtest::v1::OrderRole role,
              Trades* closed);
  void ApplyEvent(const backtest::v1::OrderEvent& event);
  void MarkToClose(const Mark& mark, int64_t time);
  // The margin call at the current close, or "" when none is due.
  std::string MarginCall() const;

  double GrossValue() const;
  double ShortValue() const;  // sum of |market value| of the shorts
  double BuyingPower() const;
  double BorrowRate(int32_t symbol) const;
  void FillView(backtest::v1::PortfolioView* view) const;
  // Sets every field of the trade in `symbol` but its exit time, exit price
  // and exit reason, with `gross_pnl` (realized, plus unrealized while open).
  void FillTrade(int32_t symbol, double gross_pnl,
                 backtest::v1::Trade* trade) const;
  // The symbol's annualised close-to-close volatility over `lookback`
  // returns, or nullopt until it has that many.
  std::optional<double> Volatility(int32_t symbol, int lookback) const;

  // The quantity of working exits against the position in `symbol`
  // (orders on the other side; a bracket's OCO pair counted once).
  double PendingExits(int32_t symbol) const;

  absl::Status SizeIntent(const backtest::v1::Intent& intent,
                          SizingState& state);
  // Adds the order for `intent` with `quantity` shares in `direction`.
  absl::Status PlaceOrder(const backtest::v1::Intent& intent,
                          SizingState& state, int direction, double quantity,
                          std::string sizing_note);
  void Liquidate(SizingState& state);
  absl::Status Amend(const backtest::v1::Intent& intent, SizingState& state);

  const std::vector<std::string> symbols_;
  const std::unique_ptr<SizingRule> sizing_;
  const Limits limits_;
  const bool margin_account_;
  const double initial_margin_;
  const double maintenance_margin_;
  const backtest::v1::ShortingSpec shorting_;
  const bool close_at_end_;
  // Closes kept per symbol: the sizing rule's lookback + 1 (0: none kept).
  const size_t closes_kept_;
  const Sleeve sleeve_;
  int64_t next_order_id_;
  Book book_;
  // The index of the last committed step (-1: none); tentative_.steps follow
  // it. Step indexes start at 0, so the first call starts at step 0.
  int64_t committed_through_ = -1;
  Tentative tentative_;
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_
