"""SuperTrend against an independent reference: pandas for ATR and bands, a plain loop for the
band ratchet and the trend, on GOOG and on random walks; plus its behaviour in clear trends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from scalpbot.indicators import SuperTrend, SuperTrendValue

GOOG = pd.read_csv(Path(__file__).parent / "data" / "GOOG.csv", index_col=0)


def reference_supertrend(
    high: pd.Series, low: pd.Series, close: pd.Series, period: int, multiplier: float
) -> list[SuperTrendValue | None]:
    """The definition in scalpbot/indicators/supertrend.py, written the vectorised way."""
    prev_close = close.shift(1)
    true_range = pd.concat(
        [high - low, (high - prev_close).abs(), (low - prev_close).abs()], axis=1
    ).max(axis=1)
    n = len(close)
    out: list[SuperTrendValue | None] = [None] * n
    if n <= period:
        return out
    # Wilder's smoothing is an EWM with alpha = 1/period, seeded by the mean of TR[1..period]
    seeded = true_range.iloc[period:].copy()
    seeded.iloc[0] = true_range.iloc[1 : period + 1].mean()
    atr = seeded.ewm(alpha=1.0 / period, adjust=False).mean().to_numpy()
    hl2 = ((high + low) / 2.0).to_numpy()[period:]
    basic_upper = hl2 + multiplier * atr
    basic_lower = hl2 - multiplier * atr
    closes = close.to_numpy()[period:]
    upper, lower = basic_upper.copy(), basic_lower.copy()
    trend = -1
    for j in range(len(closes)):
        if j > 0:
            if basic_upper[j] >= upper[j - 1] and closes[j - 1] <= upper[j - 1]:
                upper[j] = upper[j - 1]
            if basic_lower[j] <= lower[j - 1] and closes[j - 1] >= lower[j - 1]:
                lower[j] = lower[j - 1]
            if trend == -1 and closes[j] > upper[j]:
                trend = 1
            elif trend == 1 and closes[j] < lower[j]:
                trend = -1
        out[period + j] = SuperTrendValue(lower[j] if trend == 1 else upper[j], trend)
    return out


def assert_same(ours: list[SuperTrendValue | None], expected: list[SuperTrendValue | None]) -> None:
    assert len(ours) == len(expected)
    for i, (mine, theirs) in enumerate(zip(ours, expected, strict=True)):
        if theirs is None:
            assert mine is None, i
        else:
            assert mine is not None, i
            assert mine.direction == theirs.direction, i
            assert mine.value == pytest.approx(theirs.value, rel=1e-9), i


def run(st_: SuperTrend, frame: pd.DataFrame) -> list[SuperTrendValue | None]:
    return [
        st_.update(float(h), float(lo), float(c))
        for h, lo, c in zip(frame["High"], frame["Low"], frame["Close"], strict=True)
    ]


@pytest.mark.parametrize(("period", "multiplier"), [(1, 3.0), (7, 2.0), (10, 3.0), (14, 1.5)])
def test_supertrend_equals_reference_on_goog(period: int, multiplier: float) -> None:
    ours = run(SuperTrend(period, multiplier), GOOG)
    expected = reference_supertrend(GOOG["High"], GOOG["Low"], GOOG["Close"], period, multiplier)
    assert_same(ours, expected)
    directions = {v.direction for v in ours if v is not None}
    assert directions == {1, -1}  # GOOG 2004-2013 trends both ways: both branches exercised


def test_supertrend_atr_is_talib_atr() -> None:
    indicator = SuperTrend(10, 3.0)
    reference = talib.ATR(
        GOOG["High"].to_numpy(), GOOG["Low"].to_numpy(), GOOG["Close"].to_numpy(), timeperiod=10
    )
    for i, (h, lo, c) in enumerate(zip(GOOG["High"], GOOG["Low"], GOOG["Close"], strict=True)):
        indicator.update(float(h), float(lo), float(c))
        if i < 10:
            assert indicator.atr is None and not indicator.ready
        else:
            assert indicator.atr == pytest.approx(reference[i], rel=1e-9)


@st.composite
def random_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=150))
    steps = np.array(draw(st.lists(st.floats(-0.05, 0.05), min_size=n, max_size=n)))
    wicks = np.array(draw(st.lists(st.floats(0.0, 0.03), min_size=2 * n, max_size=2 * n)))
    close = 100.0 * np.cumprod(1.0 + steps)
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1.0 + wicks[:n])
    low = np.minimum(open_, close) * (1.0 - wicks[n:])
    return pd.DataFrame({"High": high, "Low": low, "Close": close})


@settings(deadline=None)
@given(
    frame=random_frames(),
    period=st.integers(min_value=1, max_value=20),
    multiplier=st.floats(min_value=0.5, max_value=5.0),
)
def test_supertrend_equals_reference_on_random_walks(
    frame: pd.DataFrame, period: int, multiplier: float
) -> None:
    ours = run(SuperTrend(period, multiplier), frame)
    expected = reference_supertrend(frame["High"], frame["Low"], frame["Close"], period, multiplier)
    assert_same(ours, expected)


def test_trend_up_then_crash_flips_direction_on_the_breaking_bar() -> None:
    indicator = SuperTrend(3, 1.0)
    rising = [(100.0 + i + 1.0, 100.0 + i - 1.0, 100.0 + i + 0.5) for i in range(20)]
    values = [indicator.update(*bar) for bar in rising]
    assert values[:3] == [None, None, None]
    first = values[3]
    assert first is not None and first.direction == -1  # starts down, by definition
    last = values[-1]
    assert last is not None and last.direction == 1 and last.value < rising[-1][2]
    lower_band = last.value
    # a close just above the trailing stop keeps the uptrend; one below it flips it
    holding = indicator.update(lower_band + 1.5, lower_band + 0.2, lower_band + 0.3)
    assert holding is not None and holding.direction == 1
    crash = indicator.update(lower_band - 1.0, lower_band - 6.0, lower_band - 5.0)
    assert crash is not None and crash.direction == -1 and crash.value > lower_band - 5.0
