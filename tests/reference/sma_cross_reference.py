#!/usr/bin/python3
"""An independent, deliberately plain re-implementation of sma_cross with the
reference backtester's semantics, to cross-check the engine trade by trade.

Signal at bar t's close (fast SMA crosses the slow one, SMAs as
math.fsum(window) / n, crossings judged against the last non-zero
difference), market order filled at bar t+1's open, all-in sizing
floor((1 - buffer) * cash / close_t) at the signal, percent commission, a buy
that costs more than the cash is rejected at the fill. Prints trades.csv
columns for closed trades and the final equity.

usage: sma_cross_reference.py FILE.csv FAST SLOW CASH BUFFER BPS [START END]
"""
import csv
import math
import sys


def main():
    path, fast, slow = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cash, buffer, bps = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    start = sys.argv[7] if len(sys.argv) > 7 else ""
    end = sys.argv[8] if len(sys.argv) > 8 else "9999"
    rate = bps / 10000.0
    with open(path) as f:
        rows = [r for r in csv.DictReader(f) if start <= r["date"] <= end]
    closes, position, pending, last_diff, prev_defined = [], 0, None, 0.0, False
    entry = None
    trades = []
    for row in rows:
        o, c = float(row["open"]), float(row["close"])
        if pending is not None:
            side, qty = pending
            pending = None
            if side == "buy":
                commission = qty * o * rate
                if qty * o + commission <= cash:
                    cash = cash - qty * o
                    cash = cash - commission
                    position = qty
                    entry = (row["date"], o, commission)
            else:
                commission = qty * o * rate
                cash = cash + qty * o
                cash = cash - commission
                gross = (o - entry[1]) * qty
                trades.append((entry[0], entry[1], row["date"], o, qty, gross,
                               entry[2] + commission))
                position = 0
        closes.append(c)
        if len(closes) < slow:
            continue
        f_sma = math.fsum(closes[-fast:]) / fast
        s_sma = math.fsum(closes[-slow:]) / slow
        diff = f_sma - s_sma
        if prev_defined:
            up = diff > 0 and last_diff < 0
            down = diff < 0 and last_diff > 0
            if up and position == 0:
                qty = math.floor((1.0 - buffer) * cash / c)
                if qty > 0:
                    pending = ("buy", qty)
            elif down and position > 0:
                pending = ("sell", position)
        if diff != 0 or not prev_defined:
            last_diff = diff if diff != 0 else last_diff
        prev_defined = True
    for t in trades:
        print("%s,%.6f,%s,%.6f,%d,%.6f,%.6f" % t)
    last_close = closes[-1]
    print("final_equity,%.6f" % (cash + position * last_close))


if __name__ == "__main__":
    main()
