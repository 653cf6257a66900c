"""backtesting.py's side of the benchmark: a long-only SMA 10/30 cross over a scalpbot CSV.

Run as its own process by `bench/backtest_vs_peers.py`, so its wall time and peak memory are
measured whole (imports, CSV parsing, the backtest and its statistics), exactly as a user
would pay for them. It prints one JSON object: closed trades, whether a trade is still open at
the end, and every warning backtesting.py or pandas raised (a warning about the data would
mean the two tools are not being fed the same thing).

    python bench/peers/backtesting_py_sma.py bench/.cache/series-1000000.csv
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

CASH = 10_000_000  # prices are ~3,600: never cash-limited at quantity 1


def rolling_mean(values: pd.Series, n: int) -> pd.Series:
    """The simple moving average backtesting.py's own examples use."""
    return pd.Series(values).rolling(n).mean()


class SmaCross(Strategy):  # type: ignore[misc]
    """Buy `quantity` when the fast SMA crosses above the slow one while flat; close when it
    crosses below while long. Class attributes are backtesting.py's parameter mechanism."""

    fast = 10
    slow = 30
    quantity = 1

    def init(self) -> None:
        self.fast_sma = self.I(rolling_mean, self.data.Close, self.fast)
        self.slow_sma = self.I(rolling_mean, self.data.Close, self.slow)

    def next(self) -> None:
        if crossover(self.fast_sma, self.slow_sma) and not self.position:
            self.buy(size=self.quantity)
        elif crossover(self.slow_sma, self.fast_sma) and self.position:
            self.position.close()


def load(path: str) -> pd.DataFrame:
    """The CSV as backtesting.py wants it: a DatetimeIndex and capitalised OHLCV columns."""
    frame = pd.read_csv(path, index_col="datetime", parse_dates=True)
    return frame.rename(
        columns={
            "open": "Open",
            "high": "High",
            "low": "Low",
            "close": "Close",
            "volume": "Volume",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("csv", help="bars in scalpbot's CSV layout")
    parser.add_argument("--fast", type=int, default=10)
    parser.add_argument("--slow", type=int, default=30)
    parser.add_argument("--quantity", type=int, default=1)
    args = parser.parse_args()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load(args.csv)
        backtest = Backtest(data, SmaCross, cash=CASH, commission=0, exclusive_orders=False)
        stats = backtest.run(fast=args.fast, slow=args.slow, quantity=args.quantity)
    json.dump(
        {
            "bars": len(data),
            "index_dtype": str(data.index.dtype),
            "trades": int(stats["# Trades"]),
            "open_trade": bool(stats["_strategy"].position),
            "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
