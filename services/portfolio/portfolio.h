// The portfolio of one run (DESIGN.md section 4): cash, long positions,
// the open trade of each symbol and the sizing of intents into orders. A
// cash account: no shorts, no margin. Not thread-safe: PortfolioEngine
// serializes the calls of one run.
#ifndef SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_
#define SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "backtest/v1/portfolio.pb.h"
#include "services/portfolio/sizing.h"

namespace seed::portfolio {

class Portfolio {
 public:
  // `symbols` is the run's symbol table (indexes in bars, fills and intents).
  Portfolio(double initial_cash, std::vector<std::string> symbols,
            std::unique_ptr<SizingRule> sizing);

  // Applies request.fills in order (cash, positions, trades), then marks each
  // symbol with a bar in request.step to its close. Trades that went flat are
  // returned in response->closed_trades. A fill that would take a position
  // below zero is an internal error; the run cannot continue after it.
  absl::Status ApplyStep(const backtest::v1::ApplyStepRequest& request,
                         backtest::v1::ApplyStepResponse* response);

  // Turns each intent into an order (ids 1, 2, ...) or a rejection saying
  // why. Sells never exceed what is held less what is already being sold.
  absl::Status SizeIntents(const backtest::v1::SizeIntentsRequest& request,
                           backtest::v1::SizeIntentsResponse* response);

  // The view as of the last step and every open position as a Trade marked
  // to its last close (exit_reason "open").
  void End(backtest::v1::PortfolioEndResponse* response) const;

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

  absl::Status CheckStep(const backtest::v1::ApplyStepRequest& request) const;
  absl::Status CheckIntents(
      const backtest::v1::SizeIntentsRequest& request) const;
  absl::Status ApplyFill(const backtest::v1::Fill& fill,
                         backtest::v1::ApplyStepResponse* response);
  void Buy(int32_t symbol, const backtest::v1::Fill& fill);
  void Sell(int32_t symbol, const backtest::v1::Fill& fill,
            backtest::v1::ApplyStepResponse* response);
  double Equity() const;
  void FillView(backtest::v1::PortfolioView* view) const;
  // Sets the fields of a trade that do not depend on how it ends, from the
  // position in `symbol` (not yet flat).
  void FillTradeEntry(int32_t symbol, backtest::v1::Trade* trade) const;

  std::vector<std::string> symbols_;
  std::unique_ptr<SizingRule> sizing_;
  double cash_;
  int64_t last_step_time_ = 0;
  int64_t next_order_id_ = 1;
  std::vector<Holding> holdings_;  // by symbol index
  // Symbol indexes of the positions not flat, ascending: the view and the
  // equity walk these instead of every symbol.
  std::vector<int32_t> held_;
};

}  // namespace seed::portfolio

#endif  // SEED_SERVICES_PORTFOLIO_PORTFOLIO_H_
