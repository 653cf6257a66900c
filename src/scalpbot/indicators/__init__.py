"""Incremental technical indicators: pure maths, O(1) per update, equal to TA-Lib after warm-up.

Every indicator is fed one observation at a time by `update(...)`, which returns the new reading
or None until enough data has been seen. Each also exposes `.value` (the last reading), `.ready`,
`.period` and `reset()`. They exist because a backtest loop calls them a million times: they
keep `__slots__`, plain floats and preallocated ring buffers, and never rescan their window.

    >>> from scalpbot.indicators import EMA
    >>> ema = EMA(3)
    >>> [ema.update(close) for close in (10.0, 11.0, 12.0, 13.0)]
    [None, None, 11.0, 12.0]
    >>> ema.value, ema.ready
    (12.0, True)

This layer imports only the standard library and numpy (an import-linter contract keeps it
that way), so a bad constructor argument raises the built-in ValueError naming the argument.
"""

from scalpbot.indicators.atr import ATR
from scalpbot.indicators.bollinger import BollingerBands, BollingerValue
from scalpbot.indicators.donchian import Donchian, DonchianValue
from scalpbot.indicators.moving_average import EMA, SMA
from scalpbot.indicators.rsi import RSI
from scalpbot.indicators.supertrend import SuperTrend, SuperTrendValue
from scalpbot.indicators.vwap import VWAP

__all__ = [
    "ATR",
    "EMA",
    "RSI",
    "SMA",
    "VWAP",
    "BollingerBands",
    "BollingerValue",
    "Donchian",
    "DonchianValue",
    "SuperTrend",
    "SuperTrendValue",
]
