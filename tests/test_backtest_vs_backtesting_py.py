"""Our trades agree with backtesting.py's for a long-only SMA 10/20 cross on GOOG.

backtesting.py is an independent implementation of the same rules (signals on a bar's close,
market orders filled at the next bar's open), so agreeing trade for trade checks our bar loop,
fill timing and P&L. Its `crossover` misses crosses through exact equality; GOOG's averages
never tie, so the definitions agree on this data.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from backtesting import Backtest
from backtesting import Strategy as BtStrategy
from backtesting.lib import crossover

from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.data import load_bars
from scalpbot.domain import Exchange, Instrument
from scalpbot.strategies import create_strategy

GOOG = Path(__file__).parent / "data" / "GOOG.csv"
QUANTITY = 5


def _sma(values: pd.Series, n: int) -> pd.Series:
    return pd.Series(values).rolling(n).mean()


class SmaCross(BtStrategy):  # type: ignore[misc]
    def init(self) -> None:
        self.fast = self.I(_sma, self.data.Close, 10)
        self.slow = self.I(_sma, self.data.Close, 20)

    def next(self) -> None:
        if crossover(self.fast, self.slow) and not self.position:
            self.buy(size=QUANTITY)
        elif crossover(self.slow, self.fast) and self.position:
            self.position.close()


@pytest.fixture(scope="module")
def reference_trades() -> pd.DataFrame:
    data = pd.read_csv(GOOG, index_col=0, parse_dates=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its note on the trade left open, pandas deprecations
        stats = Backtest(data, SmaCross, cash=1_000_000, commission=0.0).run()
    trades: pd.DataFrame = stats["_trades"]
    return trades


def test_trades_match_backtesting_py(reference_trades: pd.DataFrame) -> None:
    series = load_bars(GOOG)
    strategy = create_strategy("ma_cross", {"fast": 10, "slow": 20, "long_only": True})
    config = BacktestConfig(
        instrument=Instrument(Exchange.NSE, "GOOG", tick_size=Decimal("0.01")),
        cash=Decimal(1_000_000),
        quantity=QUANTITY,
        charges="none",
    )
    result = run_backtest(series, strategy, config)
    ours = result.trades
    assert len(reference_trades) > 20
    assert len(ours) == len(reference_trades)
    for mine, (_, theirs) in zip(ours, reference_trades.iterrows(), strict=True):
        assert mine.quantity == theirs["Size"]
        assert mine.entry_price == Decimal(str(theirs["EntryPrice"])).quantize(Decimal("0.01"))
        assert mine.exit_price == Decimal(str(theirs["ExitPrice"])).quantize(Decimal("0.01"))
        assert abs(float(mine.pnl) - theirs["PnL"]) < 1e-6
        entry_day = pd.Timestamp(theirs["EntryTime"]).date()
        exit_day = pd.Timestamp(theirs["ExitTime"]).date()
        assert mine.to_json_dict()["entry_time"].startswith(entry_day.isoformat())
        assert mine.to_json_dict()["exit_time"].startswith(exit_day.isoformat())
