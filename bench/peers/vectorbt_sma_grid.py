"""vectorbt's side of the sweep benchmark: a long-only SMA fast/slow grid, all combos at once.

Run as its own process by `bench/sweep_vs_vectorbt.py`, so its wall time and peak memory are
measured whole (imports and numba's start-up, CSV parsing, the averages, the signals, the
portfolio simulation and the per-combination results), as a user would pay for them.

The run is vectorbt's documented broadcast idiom: one `vbt.MA.run` per side over the
combinations' windows (`run_unique=True`, so each distinct window is averaged once and tiled),
`ma_crossed_above` / `ma_crossed_below` for the signals, and one `Portfolio.from_signals` over
every combination's column.

To trade like scalpbot (a signal on bar t is a market order that fills at bar t+1's OPEN),
the signals are shifted forward one bar and filled at `price=open`; quantity 1
(`size_type="amount"`), no fees, long only, no accumulation. A signal on the last bar is
shifted out and never fills, as in scalpbot.

It prints one JSON object: bars, and per combination "FAST,SLOW" -> [closed trades, closed
trades' P&L, whether a trade is open at the end, entry signals, exit signals] (signals as
`ma_crossed_above` / `ma_crossed_below` raised them, before the shift).

    python bench/peers/vectorbt_sma_grid.py CSV --fast 5,10,... --slow 60,80,...
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import product

import numpy as np
import pandas as pd
import vectorbt as vbt

CASH = 10_000_000  # prices are ~3,600: never cash-limited at quantity 1


def windows(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="bars in scalpbot's CSV layout")
    parser.add_argument("--fast", type=windows, required=True, help="comma-separated windows")
    parser.add_argument("--slow", type=windows, required=True, help="comma-separated windows")
    parser.add_argument("--quantity", type=int, default=1)
    args = parser.parse_args()
    frame = pd.read_csv(
        args.csv, usecols=["datetime", "open", "close"], index_col="datetime", parse_dates=True
    )
    close, price = frame["close"], frame["open"]
    pairs = list(product(args.fast, args.slow))
    fast_ma = vbt.MA.run(close, window=[f for f, _ in pairs], short_name="fast", run_unique=True)
    slow_ma = vbt.MA.run(close, window=[s for _, s in pairs], short_name="slow", run_unique=True)
    entries = fast_ma.ma_crossed_above(slow_ma)
    exits = fast_ma.ma_crossed_below(slow_ma)
    portfolio = vbt.Portfolio.from_signals(
        close,
        entries.vbt.fshift(1, fill_value=False),
        exits.vbt.fshift(1, fill_value=False),
        price=price,
        size=args.quantity,
        size_type="amount",
        fees=0.0,
        init_cash=CASH,
        direction="longonly",
        accumulate=False,
        freq="1min",
    )
    trades = portfolio.trades
    closed = trades.closed
    counts = closed.count().to_numpy()
    pnl = closed.pnl.sum().to_numpy()
    still_open = trades.open.count().to_numpy() > 0
    entry_signals = entries.to_numpy().sum(axis=0)
    exit_signals = exits.to_numpy().sum(axis=0)
    result = {
        f"{fast},{slow}": [
            int(counts[i]),
            float(np.round(pnl[i], 2)),
            bool(still_open[i]),
            int(entry_signals[i]),
            int(exit_signals[i]),
        ]
        for i, (fast, slow) in enumerate(pairs)
    }
    json.dump({"bars": len(frame), "combos": result}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
