"""Every indicator TA-Lib also has must equal TA-Lib bar for bar, warm-up boundary included.

TA-Lib is the reference traders know; matching it (SMA, EMA, RSI, ATR, BBANDS, and the Donchian
channel as MAX(high)/MIN(low)) on real GOOG prices and on hypothesis-generated random walks shows
the incremental formulas, their seeding and their index alignment are right. "None from us"
must coincide exactly with "NaN from TA-Lib"; values must agree to a relative 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from scalpbot.indicators import ATR, EMA, RSI, SMA, BollingerBands, Donchian

GOOG_CSV = Path(__file__).parent / "data" / "GOOG.csv"
REL = 1e-9

FloatArray = np.ndarray


def load_goog() -> tuple[FloatArray, FloatArray, FloatArray]:
    frame = pd.read_csv(GOOG_CSV, index_col=0)
    return (
        frame["High"].to_numpy(dtype=float),
        frame["Low"].to_numpy(dtype=float),
        frame["Close"].to_numpy(dtype=float),
    )


GOOG_HIGH, GOOG_LOW, GOOG_CLOSE = load_goog()


@st.composite
def random_bars(draw: st.DrawFn) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A random walk of OHLC bars: every close moves by 0.1%..5%, so no window is flat.

    Flat windows are left out on purpose: there TA-Lib's RSI reports 0 where ours reports 50,
    and TA-Lib zeroes any variance below 1e-8 (both covered in test_indicators_api.py).
    """
    n = draw(st.integers(min_value=1, max_value=120))
    price = draw(st.floats(min_value=10.0, max_value=10_000.0))
    moves = draw(
        st.lists(
            st.tuples(
                st.floats(min_value=1e-3, max_value=0.05),
                st.booleans(),
                st.floats(min_value=0.0, max_value=0.02),
                st.floats(min_value=0.0, max_value=0.02),
            ),
            min_size=n,
            max_size=n,
        )
    )
    highs, lows, closes = [], [], []
    for step, up, wick_up, wick_down in moves:
        close = price * (1.0 + step if up else 1.0 - step)
        highs.append(max(price, close) * (1.0 + wick_up))
        lows.append(min(price, close) * (1.0 - wick_down))
        closes.append(close)
        price = close
    return np.array(highs), np.array(lows), np.array(closes)


def run_prices(indicator: SMA | EMA | RSI, prices: Sequence[float]) -> list[float | None]:
    return [indicator.update(float(p)) for p in prices]


def assert_matches(
    name: str,
    ours: Sequence[float | None],
    reference: FloatArray,
    *,
    first_index: int,
    abs_tol: float = 0.0,
) -> None:
    """Same warm-up boundary (None ⇔ NaN, first value at `first_index`) and values within REL."""
    assert len(ours) == len(reference)
    for i, (mine, theirs) in enumerate(zip(ours, reference, strict=True)):
        if math.isnan(theirs):
            assert i < first_index, f"{name}: TA-Lib NaN at {i}, after warm-up {first_index}"
            assert mine is None, f"{name}[{i}]: TA-Lib has NaN, we have {mine}"
        else:
            assert i >= first_index, f"{name}: TA-Lib has a value at {i} < {first_index}"
            assert mine is not None, f"{name}[{i}]: TA-Lib has {theirs}, we have None"
            assert math.isclose(mine, theirs, rel_tol=REL, abs_tol=abs_tol), (
                f"{name}[{i}]: ours {mine!r} != TA-Lib {theirs!r}"
            )


def check_sma(closes: FloatArray, period: int) -> None:
    assert_matches(
        f"SMA({period})",
        run_prices(SMA(period), closes),
        talib.SMA(closes, timeperiod=period),
        first_index=period - 1,
    )


def check_ema(closes: FloatArray, period: int) -> None:
    assert_matches(
        f"EMA({period})",
        run_prices(EMA(period), closes),
        talib.EMA(closes, timeperiod=period),
        first_index=period - 1,
    )


def check_rsi(closes: FloatArray, period: int) -> None:
    assert_matches(
        f"RSI({period})",
        run_prices(RSI(period), closes),
        talib.RSI(closes, timeperiod=period),
        first_index=period,
        abs_tol=1e-9,  # RSI is on 0..100: near 0 a relative tolerance alone is too strict
    )


def check_atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> None:
    atr = ATR(period)
    ours = [
        atr.update(float(h), float(lo), float(c)) for h, lo, c in zip(high, low, close, strict=True)
    ]
    assert_matches(
        f"ATR({period})",
        ours,
        talib.ATR(high, low, close, timeperiod=period),
        first_index=period,
    )


def check_bbands(closes: FloatArray, period: int, k: float) -> None:
    bands = BollingerBands(period, k)
    ours = [bands.update(float(p)) for p in closes]
    upper, middle, lower = talib.BBANDS(closes, period, k, k, 0)
    for field, reference in (("upper", upper), ("middle", middle), ("lower", lower)):
        assert_matches(
            f"BBANDS({period}, {k}).{field}",
            [None if v is None else getattr(v, field) for v in ours],
            reference,
            first_index=period - 1,
        )


def check_donchian(high: FloatArray, low: FloatArray, period: int) -> None:
    channel = Donchian(period)
    ours = [channel.update(float(h), float(lo)) for h, lo in zip(high, low, strict=True)]
    upper = talib.MAX(high, timeperiod=period)
    lower = talib.MIN(low, timeperiod=period)
    assert_matches(
        f"Donchian({period}).upper",
        [None if v is None else v.upper for v in ours],
        upper,
        first_index=period - 1,
    )
    assert_matches(
        f"Donchian({period}).lower",
        [None if v is None else v.lower for v in ours],
        lower,
        first_index=period - 1,
    )
    assert_matches(
        f"Donchian({period}).middle",
        [None if v is None else v.middle for v in ours],
        (upper + lower) / 2.0,
        first_index=period - 1,
    )


GOOG_PERIODS = [2, 3, 5, 14, 20, 50, 200]


@pytest.mark.parametrize("period", [1, *GOOG_PERIODS])
def test_sma_equals_talib_on_goog(period: int) -> None:
    check_sma(GOOG_CLOSE, period)


@pytest.mark.parametrize("period", [1, *GOOG_PERIODS])
def test_ema_equals_talib_on_goog(period: int) -> None:
    check_ema(GOOG_CLOSE, period)


@pytest.mark.parametrize("period", GOOG_PERIODS)
def test_rsi_equals_talib_on_goog(period: int) -> None:
    check_rsi(GOOG_CLOSE, period)


@pytest.mark.parametrize("period", [1, *GOOG_PERIODS])
def test_atr_equals_talib_on_goog(period: int) -> None:
    check_atr(GOOG_HIGH, GOOG_LOW, GOOG_CLOSE, period)


@pytest.mark.parametrize(("period", "k"), [(2, 2.0), (5, 1.5), (20, 2.0), (50, 2.5), (200, 3.0)])
def test_bbands_equals_talib_on_goog(period: int, k: float) -> None:
    check_bbands(GOOG_CLOSE, period, k)


@pytest.mark.parametrize("period", GOOG_PERIODS)
def test_donchian_equals_talib_max_min_on_goog(period: int) -> None:
    check_donchian(GOOG_HIGH, GOOG_LOW, period)


@pytest.mark.parametrize("period", [1, 2, 20, 55])
def test_donchian_equals_pandas_rolling_on_goog(period: int) -> None:
    frame = pd.DataFrame({"high": GOOG_HIGH, "low": GOOG_LOW})
    upper = frame["high"].rolling(period).max().to_numpy()
    lower = frame["low"].rolling(period).min().to_numpy()
    channel = Donchian(period)
    for i, (h, lo) in enumerate(zip(GOOG_HIGH, GOOG_LOW, strict=True)):
        value = channel.update(float(h), float(lo))
        if i < period - 1:
            assert value is None and math.isnan(upper[i])
        else:
            assert value is not None
            assert (value.upper, value.lower) == (upper[i], lower[i]), i
            assert value.middle == (upper[i] + lower[i]) / 2.0


def test_atr_first_value_is_mean_of_true_ranges_from_the_second_bar() -> None:
    """TA-Lib's ATR(14) starts on bar 14 with the mean of TRANGE[1..14]: bar 0 has no TR."""
    true_range = talib.TRANGE(GOOG_HIGH, GOOG_LOW, GOOG_CLOSE)
    assert math.isnan(true_range[0])
    atr = ATR(14)
    ours = [
        atr.update(float(h), float(lo), float(c))
        for h, lo, c in zip(GOOG_HIGH[:16], GOOG_LOW[:16], GOOG_CLOSE[:16], strict=True)
    ]
    assert ours[:14] == [None] * 14
    assert ours[14] == pytest.approx(float(np.mean(true_range[1:15])), rel=1e-12)
    assert ours[15] == pytest.approx((ours[14] * 13 + true_range[15]) / 14, rel=1e-12)


Check = Callable[[FloatArray, int], None]
PRICE_CHECKS: dict[str, Check] = {"SMA": check_sma, "EMA": check_ema, "RSI": check_rsi}


@pytest.mark.parametrize("name", sorted(PRICE_CHECKS))
@settings(deadline=None)
@given(bars=random_bars(), period=st.integers(min_value=2, max_value=30))
def test_price_indicators_equal_talib_on_random_walks(
    name: str, bars: tuple[FloatArray, FloatArray, FloatArray], period: int
) -> None:
    PRICE_CHECKS[name](bars[2], period)


@settings(deadline=None)
@given(bars=random_bars(), period=st.integers(min_value=1, max_value=30))
def test_atr_equals_talib_on_random_walks(
    bars: tuple[FloatArray, FloatArray, FloatArray], period: int
) -> None:
    check_atr(*bars, period)


@settings(deadline=None)
@given(
    bars=random_bars(),
    period=st.integers(min_value=2, max_value=30),
    k=st.floats(min_value=0.5, max_value=4.0),
)
def test_bbands_equal_talib_on_random_walks(
    bars: tuple[FloatArray, FloatArray, FloatArray], period: int, k: float
) -> None:
    check_bbands(bars[2], period, k)


@settings(deadline=None)
@given(bars=random_bars(), period=st.integers(min_value=2, max_value=30))
def test_donchian_equals_talib_on_random_walks(
    bars: tuple[FloatArray, FloatArray, FloatArray], period: int
) -> None:
    check_donchian(bars[0], bars[1], period)
