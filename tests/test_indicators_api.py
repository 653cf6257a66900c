"""The common contract of every indicator: warm-up, value/ready/period, reset, argument checks.

Also the edge cases the TA-Lib comparison cannot reach: period 1, flat prices (where we differ
from TA-Lib on purpose) and long runs, where running sums must not drift.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import talib

from scalpbot.indicators import (
    ATR,
    EMA,
    RSI,
    SMA,
    VWAP,
    BollingerBands,
    BollingerValue,
    Donchian,
    DonchianValue,
    SuperTrend,
    SuperTrendValue,
)

GOOG = pd.read_csv(Path(__file__).parent / "data" / "GOOG.csv", index_col=0).iloc[:120]
DAY_NS = 86_400 * 1_000_000_000
# 2024-01-01 09:15 IST in epoch nanoseconds: each GOOG row becomes one day's opening bar.
FIRST_TS = 1_704_080_700 * 1_000_000_000

Row = tuple[float, float, float, float, int]
ROWS: list[Row] = [
    (float(h), float(lo), float(c), float(v), FIRST_TS + i * DAY_NS)
    for i, (h, lo, c, v) in enumerate(
        zip(GOOG["High"], GOOG["Low"], GOOG["Close"], GOOG["Volume"], strict=True)
    )
]

# name -> (factory, how one row is fed, period, number of updates before the first value)
Feed = Callable[[Any, Row], Any]
CASES: dict[str, tuple[Callable[[], Any], Feed, int, int]] = {
    "SMA": (lambda: SMA(5), lambda ind, r: ind.update(r[2]), 5, 5),
    "EMA": (lambda: EMA(5), lambda ind, r: ind.update(r[2]), 5, 5),
    "RSI": (lambda: RSI(5), lambda ind, r: ind.update(r[2]), 5, 6),
    "ATR": (lambda: ATR(5), lambda ind, r: ind.update(r[0], r[1], r[2]), 5, 6),
    "VWAP": (lambda: VWAP(), lambda ind, r: ind.update(r[2], r[3], r[4]), 1, 1),
    "BollingerBands": (lambda: BollingerBands(5, 2.0), lambda ind, r: ind.update(r[2]), 5, 5),
    "Donchian": (lambda: Donchian(5), lambda ind, r: ind.update(r[0], r[1]), 5, 5),
    "SuperTrend": (
        lambda: SuperTrend(5, 3.0),
        lambda ind, r: ind.update(r[0], r[1], r[2]),
        5,
        6,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_warm_up_value_ready_period_and_reset(name: str) -> None:
    factory, feed, period, warm_up = CASES[name]
    indicator = factory()
    assert indicator.period == period
    assert indicator.value is None and not indicator.ready

    first_run = []
    for i, row in enumerate(ROWS):
        result = feed(indicator, row)
        first_run.append(result)
        if i < warm_up - 1:
            assert result is None, f"{name}: value after only {i + 1} updates"
            assert indicator.value is None and not indicator.ready
        else:
            assert result is not None, f"{name}: still None after {i + 1} updates"
            assert indicator.value == result and indicator.ready

    indicator.reset()
    assert indicator.value is None and not indicator.ready
    assert [feed(indicator, row) for row in ROWS] == first_run  # reset means "as new"
    assert repr(indicator).startswith(name)


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        (lambda: SMA(0), "period"),
        (lambda: SMA(-3), "period"),
        (lambda: SMA(2.5), "period"),  # type: ignore[arg-type]
        (lambda: SMA(True), "period"),
        (lambda: SMA("5"), "period"),  # type: ignore[arg-type]
        (lambda: EMA(0), "period"),
        (lambda: RSI(0), "period"),
        (lambda: ATR(0), "period"),
        (lambda: Donchian(0), "period"),
        (lambda: BollingerBands(0), "period"),
        (lambda: BollingerBands(20, 0.0), "k"),
        (lambda: BollingerBands(20, -2.0), "k"),
        (lambda: BollingerBands(20, math.nan), "k"),
        (lambda: BollingerBands(20, math.inf), "k"),
        (lambda: BollingerBands(20, "2"), "k"),  # type: ignore[arg-type]
        (lambda: SuperTrend(0), "period"),
        (lambda: SuperTrend(10, 0.0), "multiplier"),
        (lambda: SuperTrend(10, math.nan), "multiplier"),
    ],
)
def test_bad_constructor_arguments_raise_value_error_naming_them(
    build: Callable[[], object], argument: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} must be"):
        build()


def test_numpy_integer_period_is_accepted_as_int() -> None:
    sma = SMA(np.int64(5))  # type: ignore[arg-type]
    assert sma.period == 5 and type(sma.period) is int
    assert BollingerBands(np.int32(3), np.float64(1.5)).k == 1.5  # type: ignore[arg-type]


def test_period_one_reduces_to_the_input() -> None:
    prices = [10.0, 12.5, 11.0, 11.0]
    assert [SMA(1).update(p) for p in prices] == prices
    ema = EMA(1)
    assert [ema.update(p) for p in prices] == prices
    bands = BollingerBands(1, 2.0)
    assert [bands.update(p) for p in prices] == [BollingerValue(p, p, p) for p in prices]
    channel = Donchian(1)
    assert channel.update(5.0, 4.0) == DonchianValue(5.0, 4.5, 4.0)
    assert channel.update(3.0, 1.0) == DonchianValue(3.0, 2.0, 1.0)
    rsi = RSI(1)
    assert [rsi.update(p) for p in prices] == [None, 100.0, 0.0, 50.0]
    atr = ATR(1)
    # bar 0 has no true range; then TR = max(h - l, |h - prev c|, |l - prev c|)
    assert atr.update(11.0, 9.0, 10.0) is None
    assert atr.update(14.0, 13.0, 13.5) == 4.0
    assert atr.update(13.0, 10.0, 12.0) == 3.5


def test_rsi_of_flat_prices_is_neutral_50_where_talib_says_0() -> None:
    """Documented difference: a stalled instrument is not 'oversold'."""
    prices = [100.0] * 16
    rsi = RSI(14)
    ours = [rsi.update(p) for p in prices]
    assert ours[:14] == [None] * 14
    assert ours[14:] == [50.0, 50.0]
    assert list(talib.RSI(np.array(prices), timeperiod=14)[14:]) == [0.0, 0.0]
    assert rsi.update(101.0) == 100.0  # any move out of a flat run is all gain
    falling = RSI(3)
    assert [falling.update(p) for p in (5.0, 4.0, 3.0, 2.0, 1.0)][3:] == [0.0, 0.0]


def test_bollinger_bands_collapse_on_a_constant_series() -> None:
    bands = BollingerBands(20, 2.0)
    for _ in range(1_100):  # past a resync too
        value = bands.update(0.1)
    assert value is not None
    assert value.middle == pytest.approx(0.1, rel=1e-15)
    assert value.upper - value.lower == pytest.approx(0.0, abs=1e-15)


def test_running_sums_do_not_drift_over_a_long_quiet_series_at_a_high_price() -> None:
    """200 000 bars of an index near 50 000 moving by ~0.05: the worst case for running sums."""
    rng = np.random.default_rng(20240101)
    prices = (50_000.0 + np.cumsum(rng.normal(0.0, 0.05, 200_000))).round(2).tolist()
    period = 20
    sma, bands = SMA(period), BollingerBands(period, 2.0)
    for i, price in enumerate(prices):
        mean = sma.update(price)
        value = bands.update(price)
        if i >= period - 1 and i % 997 == 0:
            window = prices[i - period + 1 : i + 1]
            exact_mean = math.fsum(window) / period
            exact_sd = math.sqrt(math.fsum([(x - exact_mean) ** 2 for x in window]) / period)
            assert mean == pytest.approx(exact_mean, rel=1e-14)
            assert value is not None
            assert value.middle == pytest.approx(exact_mean, rel=1e-14)
            # the band width is tiny next to the price: check it relative to itself
            assert value.upper - value.middle == pytest.approx(2.0 * exact_sd, rel=1e-8)
            assert value.middle - value.lower == pytest.approx(2.0 * exact_sd, rel=1e-8)


def test_value_types_are_named_tuples_with_the_documented_fields() -> None:
    assert BollingerValue._fields == ("upper", "middle", "lower")
    assert DonchianValue._fields == ("upper", "middle", "lower")
    assert SuperTrendValue._fields == ("value", "direction")
