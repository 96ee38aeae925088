// The portfolio of one run (DESIGN.md section 4): cash, long positions,
// the open trade of each symbol and the sizing of intents into orders. A
// cash account: no shorts, no margin. Steps arrive in runs and stay tentative
// until a later call says how many of them the coordinator consumed.
// Not thread-safe: PortfolioEngine serializes the calls of one run.
#ifndef SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_
#define SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "backtest/v1/portfolio.pb.h"
#include "google/protobuf/repeated_field.h"
#include "services/portfolio/sizing.h"

namespace seed::portfolio {

class Portfolio {
 public:
  // `symbols` is the run's symbol table (indexes in bars, fills and intents).
  Portfolio(double initial_cash, std::vector<std::string> symbols,
            std::unique_ptr<SizingRule> sizing);

  // First resolves the previous call's tentative steps against
  // request.steps(0).index(): those before it are committed, the others are
  // discarded as if never applied. Then, for each step in order, applies the
  // fills dated at its time (cash, positions, trades), marks each symbol with
  // a bar in it to its close and appends the view as of that close. Trades the
  // fills took flat are in response->closed_trades, including those of steps
  // a later call may discard. The new steps are tentative.
  // Replaces *response; its cleared messages are reused, so a caller that
  // keeps one response across calls builds the views without allocating.
  // Fails with INVALID_ARGUMENT on a malformed request (no steps, steps not
  // consecutive, a bad bar or fill, fills out of time order or not at one of
  // the steps) and FAILED_PRECONDITION (STEP_OUT_OF_ORDER) when steps(0) is
  // at or before a committed step or leaves a gap after the applied ones; such
  // a call changes nothing. A fill that would take a position below zero is an
  // internal error; the run cannot continue after it.
  absl::Status ApplySteps(const backtest::v1::ApplyStepsRequest& request,
                          backtest::v1::ApplyStepsResponse* response);

  // First commits the tentative steps through request.step_index and
  // discards the later ones (STEP_OUT_OF_ORDER when that step is before the
  // last committed one or was never applied). Then turns each intent into an
  // order (ids 1, 2, ...) or a rejection saying why, with the portfolio as of
  // that step's close. Sells never exceed what is held less what is already
  // being sold. A malformed intent fails the call and changes nothing.
  absl::Status SizeIntents(const backtest::v1::SizeIntentsRequest& request,
                           backtest::v1::SizeIntentsResponse* response);

  // Commits every tentative step, then reports the view as of the last step
  // and every open position as a Trade marked to its last close (exit_reason
  // "open").
  void End(backtest::v1::PortfolioEndResponse* response);

 private:
  // A round trip in progress; meaningful while the position is not flat.
  struct OpenTrade {
    int64_t entry_time = 0;
    double max_quantity = 0;
    double commission = 0;  // entries and exits so far
    double exit_quantity = 0;
    double exit_price = 0;  // quantity-weighted over the exits so far
    double gross_pnl = 0;   // realized by the exits so far
  };

  struct Holding {
    double quantity = 0;
    double average_price = 0;
    double last_price = 0;
    bool has_price = false;
    // Accepted SELL orders not filled yet, so a second CLOSE cannot sell the
    // same shares again.
    double pending_sell = 0;
    OpenTrade trade;
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
  };

  struct Mark {
    int32_t symbol;
    double close;
  };

  // One step of the last ApplySteps call: its time and where its marks and
  // fills end in Tentative's arrays (they begin where the previous step's
  // end).
  struct RecordedStep {
    int64_t time;
    size_t marks_end;
    int fills_end;
  };

  // The last ApplySteps call's steps, recorded so that a later cut within
  // them can restore `before` and apply again only the consumed ones; the
  // arrays keep their capacity from call to call.
  struct Tentative {
    Book before;
    std::vector<RecordedStep> steps;
    std::vector<Mark> marks;
    google::protobuf::RepeatedPtrField<backtest::v1::Fill> fills;
  };

  absl::Status CheckSteps(const backtest::v1::ApplyStepsRequest& request) const;
  absl::Status CheckFills(const backtest::v1::ApplyStepsRequest& request) const;
  absl::Status CheckIntents(
      const backtest::v1::SizeIntentsRequest& request) const;

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
  // Applies tentative_.steps[k] to book_. `closed` receives the trades its
  // fills close; null when the step is applied again after a cut (its trades
  // were reported by the call that first applied it).
  absl::Status ApplyRecordedStep(
      size_t k,
      google::protobuf::RepeatedPtrField<backtest::v1::Trade>* closed);
  absl::Status ApplyFill(
      const backtest::v1::Fill& fill,
      google::protobuf::RepeatedPtrField<backtest::v1::Trade>* closed);
  void Buy(int32_t symbol, const backtest::v1::Fill& fill);
  void Sell(int32_t symbol, const backtest::v1::Fill& fill,
            google::protobuf::RepeatedPtrField<backtest::v1::Trade>* closed);
  double Equity() const;
  void FillView(backtest::v1::PortfolioView* view) const;
  // Sets the fields of a trade that do not depend on how it ends, from the
  // position in `symbol` (not yet flat).
  void FillTradeEntry(int32_t symbol, backtest::v1::Trade* trade) const;

  std::vector<std::string> symbols_;
  std::unique_ptr<SizingRule> sizing_;
  int64_t next_order_id_ = 1;
  Book book_;
  // The index of the last committed step (-1: none); tentative_.steps follow
  // it. Step indexes start at 0, so the first call starts at step 0.
  int64_t committed_through_ = -1;
  Tentative tentative_;
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_
