"""Performance figures of a backtest, computed from the equity curve and the closed trades.

Everything here is vectorised numpy over the per-bar arrays, so a million-bar backtest costs a
few milliseconds; only the closed trades are walked in Python (their P&L is exact `Decimal`).
Every value is JSON-safe: a figure that is undefined for the data (no trades, no losing trade,
a flat equity curve, too short a period) is `None`, never NaN or infinity.

Conventions, chosen to match what traders (and libraries such as quantstats) report:

* Sharpe and Sortino come from DAILY returns: the last equity of each IST calendar day
  (UTC+05:30), percentage change from one trading day to the next, risk-free rate 0, annualised
  by √252. Sharpe uses the sample standard deviation (ddof=1); Sortino uses the downside
  deviation sqrt(mean(min(r, 0)²)) over all daily returns.
* The drawdown is measured from the running peak of the equity curve, starting from the initial
  cash: a loss on the very first bar is a drawdown too.
* CAGR is over the calendar span from the first to the last bar (365.25-day years).
* `profit_factor` is None when there is no losing trade (the ratio would be infinite).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import numpy as np
import numpy.typing as npt

from scalpbot.domain.errors import DataError
from scalpbot.domain.trade import TradeRecord

__all__ = [
    "METRIC_KEYS",
    "calmar_ratio",
    "compute_metrics",
    "daily_returns",
    "drawdown_pct",
    "ist_day_index",
]

METRIC_KEYS: Final[tuple[str, ...]] = (
    "net_pnl",
    "return_pct",
    "cagr",
    "sharpe",
    "sortino",
    "max_drawdown_pct",
    "win_rate",
    "profit_factor",
    "expectancy",
    "trades",
    "exposure_pct",
    "charges",
)

IST_OFFSET_NS: Final = 19_800 * 1_000_000_000
"""IST is UTC+05:30, with no daylight saving: a fixed shift turns UTC into IST wall time."""
NS_PER_DAY: Final = 86_400 * 1_000_000_000
DAYS_PER_YEAR: Final = 365.25
TRADING_DAYS_PER_YEAR: Final = 252
_ZERO_DEVIATION: Final = 1e-12
"""Below this a deviation of daily returns is rounding noise: the ratio would be meaningless."""
_CENT = Decimal("0.01")

Metrics = dict[str, float | int | None]


def compute_metrics(
    bars_ts: npt.NDArray[np.int64],
    equity: npt.NDArray[np.float64],
    in_market: npt.NDArray[np.bool_],
    trades: Sequence[TradeRecord],
    initial_cash: Decimal,
    total_charges: Decimal,
) -> Metrics:
    """The metrics dict stored in `BacktestResult.metrics`; keys are exactly `METRIC_KEYS`.

    `bars_ts` are bar open times (epoch ns, oldest first), `equity` the mark-to-market equity
    after each bar and `in_market` whether each bar ended with an open position; all three are
    aligned. Money figures (`net_pnl`, `expectancy`, `charges`) are rounded to 2 decimals.
    """
    ts, eq, held = _validated(bars_ts, equity, in_market, initial_cash)
    cash = float(initial_cash)
    final = float(eq[-1]) if eq.size else cash
    returns = daily_returns(ts, eq)
    net = [t.net_pnl for t in trades]
    wins = [p for p in net if p > 0]
    losses = [p for p in net if p < 0]
    gross_loss = -sum(losses, Decimal(0))
    return {
        "net_pnl": _money(sum(net, Decimal(0))),
        "return_pct": _finite((final / cash - 1.0) * 100.0),
        "cagr": _cagr(ts, cash, final),
        "sharpe": _sharpe(returns),
        "sortino": _sortino(returns),
        "max_drawdown_pct": float(drawdown_pct(eq, cash).max(initial=0.0)),
        "win_rate": len(wins) / len(net) * 100.0 if net else None,
        "profit_factor": float(sum(wins, Decimal(0)) / gross_loss) if gross_loss > 0 else None,
        "expectancy": _money(sum(net, Decimal(0)) / len(net)) if net else None,
        "trades": len(net),
        "exposure_pct": float(held.mean() * 100.0) if held.size else None,
        "charges": _money(total_charges),
    }


def calmar_ratio(metrics: Metrics) -> float | None:
    """Calmar ratio = CAGR (%) / maximum drawdown (%), both from `compute_metrics`.

    Return per unit of worst pain: an optimiser ranking by it prefers a steady 20 % a year
    with a 5 % drawdown (4.0) to 40 % with a 30 % drawdown (1.33). It is derived here rather
    than stored in every backtest's metrics, so `scalpbot backtest`'s JSON keeps its keys.
    None when CAGR is undefined (under a day of data) or the drawdown is zero (no loss ever:
    the ratio would be infinite).
    """
    cagr = metrics.get("cagr")
    drawdown = metrics.get("max_drawdown_pct")
    if cagr is None or drawdown is None or drawdown < _ZERO_DEVIATION:
        return None
    return _finite(float(cagr) / float(drawdown))


def ist_day_index(bars_ts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The IST calendar day of each timestamp, as whole days since 1970-01-01 (IST)."""
    return (bars_ts + IST_OFFSET_NS) // NS_PER_DAY


def daily_returns(
    bars_ts: npt.NDArray[np.int64], equity: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Fractional change of the last equity of each IST day over the previous trading day's.

    Returns an empty array when a day-end equity is zero or negative, since a percentage
    change from there means nothing (a leveraged account that was wiped out).
    """
    if bars_ts.size == 0:
        return np.empty(0, dtype=np.float64)
    day = ist_day_index(bars_ts)
    last_of_day = np.append(np.flatnonzero(day[1:] != day[:-1]), day.size - 1)
    closes = equity[last_of_day]
    if closes.size < 2 or bool((closes[:-1] <= 0).any()):
        return np.empty(0, dtype=np.float64)
    out: npt.NDArray[np.float64] = closes[1:] / closes[:-1] - 1.0
    return out


def drawdown_pct(equity: npt.NDArray[np.float64], initial_cash: float) -> npt.NDArray[np.float64]:
    """Per-bar fall from the running peak (which starts at `initial_cash`), in % (>= 0)."""
    peak = np.maximum.accumulate(np.maximum(equity, initial_cash)) if equity.size else equity
    out: npt.NDArray[np.float64] = (peak - equity) / peak * 100.0
    return out


def _validated(
    bars_ts: npt.NDArray[np.int64],
    equity: npt.NDArray[np.float64],
    in_market: npt.NDArray[np.bool_],
    initial_cash: Decimal,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The three arrays as 1-D numpy arrays of the right dtype, or a DataError saying why not."""
    ts = np.asarray(bars_ts, dtype=np.int64)
    eq = np.asarray(equity, dtype=np.float64)
    held = np.asarray(in_market, dtype=np.bool_)
    if ts.ndim != 1 or eq.ndim != 1 or held.ndim != 1:
        raise DataError("metrics: bars_ts, equity and in_market must be 1-D arrays")
    if not ts.size == eq.size == held.size:
        raise DataError(
            f"metrics: arrays differ in length (bars_ts {ts.size}, equity {eq.size}, "
            f"in_market {held.size}); the runner must record one equity per bar"
        )
    if not initial_cash.is_finite() or initial_cash <= 0:
        raise DataError(f"metrics: initial_cash must be a positive amount, got {initial_cash}")
    if not np.isfinite(eq).all():
        bad = int(np.flatnonzero(~np.isfinite(eq))[0])
        raise DataError(f"metrics: equity is not finite at bar {bad} ({eq[bad]})")
    if ts.size > 1 and bool((np.diff(ts) < 0).any()):
        bad = int(np.flatnonzero(np.diff(ts) < 0)[0]) + 1
        raise DataError(f"metrics: bars_ts goes back in time at bar {bad}; bars must be sorted")
    return ts, eq, held


def _money(value: Decimal) -> float:
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _cagr(ts: npt.NDArray[np.int64], cash: float, final: float) -> float | None:
    """Compound annual growth in %; None under a day of data or when it overflows a float."""
    if ts.size < 2 or int(ts[-1] - ts[0]) < NS_PER_DAY:
        return None
    if final <= 0:
        return -100.0
    years = int(ts[-1] - ts[0]) / NS_PER_DAY / DAYS_PER_YEAR
    try:
        growth = math.exp(math.log(final / cash) / years)
    except OverflowError:
        return None
    return _finite((growth - 1.0) * 100.0)


def _sharpe(returns: npt.NDArray[np.float64]) -> float | None:
    if returns.size < 2:
        return None
    deviation = float(returns.std(ddof=1))
    if deviation < _ZERO_DEVIATION:
        return None
    return _finite(float(returns.mean()) / deviation * math.sqrt(TRADING_DAYS_PER_YEAR))


def _sortino(returns: npt.NDArray[np.float64]) -> float | None:
    if returns.size < 2:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    if downside < _ZERO_DEVIATION:
        return None
    return _finite(float(returns.mean()) / downside * math.sqrt(TRADING_DAYS_PER_YEAR))
