"""Backtest metrics on small cases worked out by hand, and the edge cases that break ratios."""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import Decimal

import numpy as np
import pytest

from scalpbot.backtest.metrics import METRIC_KEYS, compute_metrics, daily_returns, drawdown_pct
from scalpbot.domain import DataError, TradeRecord, datetime_to_ns

SQRT_252 = math.sqrt(252)


def ist(year: int, month: int, day: int, hour: int, minute: int) -> int:
    """Epoch ns of an IST wall-clock moment (naive datetimes are taken as IST)."""
    return datetime_to_ns(datetime(year, month, day, hour, minute))


def trade(pnl: str, charges: str, side: str = "BUY") -> TradeRecord:
    start = ist(2024, 1, 1, 9, 15)
    return TradeRecord(
        "NSE:ACME", start, Decimal(100), start + 60_000_000_000, Decimal(101), 1, side,
        Decimal(pnl), Decimal(charges),
    )  # fmt: skip


def metrics(
    ts: list[int],
    equity: list[float],
    in_market: list[bool] | None = None,
    trades: list[TradeRecord] | None = None,
    initial: str = "100",
    charges: str = "0",
) -> dict[str, float | int | None]:
    result = compute_metrics(
        np.array(ts, dtype=np.int64),
        np.array(equity, dtype=np.float64),
        np.array(in_market if in_market is not None else [False] * len(ts), dtype=np.bool_),
        trades or [],
        Decimal(initial),
        Decimal(charges),
    )
    assert tuple(result) == METRIC_KEYS
    json.dumps(result, allow_nan=False)  # JSON-safe: no NaN or infinity anywhere
    return result


# Four IST trading days, two bars each. Day-end equity 100, 110, 99, 118.8, so the daily
# returns are +10 %, -10 %, +20 %. The intraday 120 on day 2 and 96 on day 3 are the peak and
# trough of the curve (drawdown 20 %) but must not enter the daily returns.
FOUR_DAYS = [
    ist(2024, 1, 1, 9, 15), ist(2024, 1, 1, 15, 29),
    ist(2024, 1, 2, 9, 15), ist(2024, 1, 2, 15, 29),
    ist(2024, 1, 3, 9, 15), ist(2024, 1, 3, 15, 29),
    ist(2024, 1, 4, 9, 15), ist(2024, 1, 4, 15, 29),
]  # fmt: skip
FOUR_DAYS_EQUITY = [105.0, 100.0, 120.0, 110.0, 96.0, 99.0, 100.0, 118.8]


def test_daily_ratios_return_and_drawdown_by_hand() -> None:
    m = metrics(FOUR_DAYS, FOUR_DAYS_EQUITY)
    mean = (0.1 - 0.1 + 0.2) / 3
    sample_sd = math.sqrt(((0.1 - mean) ** 2 + (-0.1 - mean) ** 2 + (0.2 - mean) ** 2) / 2)
    downside = math.sqrt((0.0 + 0.01 + 0.0) / 3)
    assert m["sharpe"] == pytest.approx(mean / sample_sd * SQRT_252)
    assert m["sharpe"] == pytest.approx(6.9282, abs=1e-4)
    assert m["sortino"] == pytest.approx(mean / downside * SQRT_252)
    assert m["sortino"] == pytest.approx(18.3303, abs=1e-4)
    assert m["return_pct"] == pytest.approx(18.8)
    assert m["max_drawdown_pct"] == pytest.approx(20.0)


def test_cagr_over_two_calendar_years() -> None:
    start = ist(2022, 1, 3, 9, 15)
    two_years = int(2 * 365.25 * 86_400) * 1_000_000_000
    m = metrics([start, start + two_years], [100.0, 121.0])
    assert m["cagr"] == pytest.approx(10.0)
    assert m["return_pct"] == pytest.approx(21.0)


def test_cagr_is_minus_100_when_the_account_is_wiped_out() -> None:
    m = metrics([ist(2024, 1, 1, 9, 15), ist(2024, 1, 5, 9, 15)], [50.0, -10.0])
    assert m["cagr"] == -100.0
    assert m["max_drawdown_pct"] == pytest.approx(110.0)
    assert m["sharpe"] is None  # a return from a non-positive equity means nothing


def test_cagr_that_overflows_a_float_is_none() -> None:
    m = metrics([ist(2024, 1, 1, 9, 15), ist(2024, 1, 2, 9, 15)], [100.0, 1e6])
    assert m["cagr"] is None
    assert m["return_pct"] == pytest.approx(999_900.0)


def test_trade_statistics_by_hand() -> None:
    trades = [
        trade("32", "2"),  # net +30
        trade("-9", "1", side="SELL"),  # net -10
        trade("6", "1"),  # net +5
        trade("1", "1"),  # net 0: neither a win nor a loss
    ]
    m = metrics(FOUR_DAYS, FOUR_DAYS_EQUITY, trades=trades, charges="5")
    assert m["net_pnl"] == 25.0
    assert m["trades"] == 4
    assert m["win_rate"] == 50.0
    assert m["profit_factor"] == 3.5  # (30 + 5) / 10
    assert m["expectancy"] == 6.25
    assert m["charges"] == 5.0


def test_money_is_rounded_half_up_to_paise() -> None:
    trades = [trade("10.125", "0"), trade("0.0049", "0")]
    m = metrics(FOUR_DAYS, FOUR_DAYS_EQUITY, trades=trades, charges="12.345")
    assert m["net_pnl"] == 10.13  # 10.1299 rounds to 10.13
    assert m["expectancy"] == 5.06  # 5.06495
    assert m["charges"] == 12.35


def test_profit_factor_edges() -> None:
    only_wins = metrics(FOUR_DAYS, FOUR_DAYS_EQUITY, trades=[trade("5", "1"), trade("3", "0")])
    assert only_wins["profit_factor"] is None  # infinite: JSON cannot hold it
    assert only_wins["win_rate"] == 100.0
    only_losses = metrics(FOUR_DAYS, FOUR_DAYS_EQUITY, trades=[trade("-5", "1")])
    assert only_losses["profit_factor"] == 0.0
    assert only_losses["win_rate"] == 0.0
    assert only_losses["expectancy"] == -6.0


def test_exposure_is_the_share_of_bars_in_the_market() -> None:
    held = [True, False, True, True, False, False, False, True]
    assert metrics(FOUR_DAYS, FOUR_DAYS_EQUITY, in_market=held)["exposure_pct"] == 50.0


def test_no_trades() -> None:
    m = metrics(FOUR_DAYS, FOUR_DAYS_EQUITY)
    assert m["trades"] == 0
    assert m["net_pnl"] == 0.0
    assert m["win_rate"] is None
    assert m["profit_factor"] is None
    assert m["expectancy"] is None


def test_flat_equity_has_no_ratios_and_no_drawdown() -> None:
    m = metrics(FOUR_DAYS, [100.0] * 8)
    assert m["return_pct"] == 0.0
    assert m["cagr"] == 0.0
    assert m["max_drawdown_pct"] == 0.0
    assert m["sharpe"] is None
    assert m["sortino"] is None


def test_steady_daily_growth_has_no_deviation() -> None:
    days = [ist(2024, 1, d, 15, 29) for d in (1, 2, 3, 4)]
    m = metrics(days, [100.0 * 1.01**k for k in range(1, 5)])
    assert m["sharpe"] is None  # 1 % every day: deviation is only rounding noise
    assert m["sortino"] is None


def test_only_rising_days_give_a_sharpe_but_no_sortino() -> None:
    days = [ist(2024, 1, d, 15, 29) for d in (1, 2, 3, 4)]
    m = metrics(days, [100.0, 101.0, 103.0, 104.0])
    assert m["sharpe"] is not None and m["sharpe"] > 0
    assert m["sortino"] is None
    assert m["max_drawdown_pct"] == 0.0


def test_one_day_of_data() -> None:
    ts = [ist(2024, 1, 1, 9, 15), ist(2024, 1, 1, 12, 0), ist(2024, 1, 1, 15, 29)]
    m = metrics(ts, [101.0, 98.0, 104.0])
    assert m["cagr"] is None  # under a day: annualising would be noise
    assert m["sharpe"] is None
    assert m["sortino"] is None
    assert m["return_pct"] == pytest.approx(4.0)
    assert m["max_drawdown_pct"] == pytest.approx(3 / 101 * 100)


def test_two_days_give_one_return_and_no_ratio() -> None:
    m = metrics([ist(2024, 1, 1, 15, 29), ist(2024, 1, 2, 15, 29)], [100.0, 110.0])
    assert m["sharpe"] is None
    assert m["cagr"] is not None


def test_days_are_ist_calendar_days() -> None:
    # 04:00 and 06:00 IST on 2 Jan fall on different UTC days (22:30 and 00:30 UTC) but on one
    # IST day; 23:50 IST on 1 Jan and 00:10 IST on 2 Jan are one UTC day but two IST days.
    same_ist_day = np.array([ist(2024, 1, 2, 4, 0), ist(2024, 1, 2, 6, 0)], dtype=np.int64)
    assert daily_returns(same_ist_day, np.array([100.0, 110.0])).size == 0
    two_ist_days = np.array([ist(2024, 1, 1, 23, 50), ist(2024, 1, 2, 0, 10)], dtype=np.int64)
    assert daily_returns(two_ist_days, np.array([100.0, 110.0])).tolist() == pytest.approx([0.1])


def test_a_loss_on_the_first_bar_is_a_drawdown_from_the_initial_cash() -> None:
    dd = drawdown_pct(np.array([90.0, 95.0, 110.0, 99.0]), 100.0)
    assert dd.tolist() == pytest.approx([10.0, 5.0, 0.0, 10.0])


def test_no_bars() -> None:
    m = metrics([], [])
    assert m["return_pct"] == 0.0
    assert m["max_drawdown_pct"] == 0.0
    assert m["exposure_pct"] is None
    assert m["cagr"] is None
    assert m["sharpe"] is None


def test_a_million_bars() -> None:
    n = 1_000_000
    start = ist(2020, 1, 1, 9, 15)
    ts = start + np.arange(n, dtype=np.int64) * 60_000_000_000  # one-minute bars, ~694 days
    equity = np.full(n, 100.0)
    equity[500_000:] = 80.0  # one 20 % fall, never recovered
    held = np.zeros(n, dtype=np.bool_)
    held[::4] = True
    m = compute_metrics(ts, equity, held, [], Decimal(100), Decimal(0))
    assert m["max_drawdown_pct"] == pytest.approx(20.0)
    assert m["exposure_pct"] == 25.0
    assert m["return_pct"] == pytest.approx(-20.0)
    # One non-zero daily return among ~694: a defined, negative Sharpe.
    assert m["sharpe"] is not None and m["sharpe"] < 0


@pytest.mark.parametrize(
    ("ts", "equity", "held", "initial", "message"),
    [
        ([1, 2], [100.0], [False, False], "100", "differ in length"),
        ([1, 2], [100.0, float("nan")], [False, False], "100", "not finite at bar 1"),
        ([2, 1], [100.0, 100.0], [False, False], "100", "back in time at bar 1"),
        ([1, 2], [100.0, 100.0], [False, False], "0", "initial_cash must be a positive"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_error(
    ts: list[int], equity: list[float], held: list[bool], initial: str, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        compute_metrics(
            np.array(ts, dtype=np.int64),
            np.array(equity),
            np.array(held),
            [],
            Decimal(initial),
            Decimal(0),
        )
