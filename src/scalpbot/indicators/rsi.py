"""Relative Strength Index (Wilder), O(1) per update, equal to TA-Lib's RSI after warm-up.

Definition (TA-Lib's, which is Wilder's): with `d = price - previous price`, gains are `max(d, 0)`
and losses `max(-d, 0)`. The first averages are the simple means of the first `period` gains and
losses, so the first RSI needs `period + 1` prices; after that each average is smoothed as
`avg = (avg * (period - 1) + new) / period`. RSI = 100 * avg_gain / (avg_gain + avg_loss).

One deliberate difference: when both averages are exactly zero (prices flat for the whole
look-back) RSI is undefined; TA-Lib reports 0.0 (and also for any sum below 1e-8), which reads as
"extremely oversold" and would make a mean-reversion strategy buy a stalled instrument. We report
the neutral 50.0 instead, and use an exact zero test rather than TA-Lib's 1e-8 threshold.
"""

from __future__ import annotations

from scalpbot.indicators._base import Indicator
from scalpbot.indicators._validate import require_period

#: RSI when the price has not moved at all over the look-back (see the module docstring).
FLAT_RSI = 50.0


class RSI(Indicator[float]):
    """Wilder's RSI on 0..100.

    >>> rsi = RSI(2)
    >>> [rsi.update(p) for p in (1.0, 2.0, 3.0, 2.0)]
    [None, None, 100.0, 50.0]
    """

    __slots__ = ("_avg_gain", "_avg_loss", "_count", "_prev")

    _avg_gain: float
    _avg_loss: float
    _count: int
    _prev: float

    def __init__(self, period: int = 14) -> None:
        self._period = require_period(period)
        self.reset()

    def reset(self) -> None:
        """Forget every input, as if freshly built."""
        self._avg_gain = 0.0  # holds the sum of gains during warm-up
        self._avg_loss = 0.0
        self._count = 0
        self._prev = 0.0
        self._value = None

    def update(self, price: float) -> float | None:
        """Add one price; return RSI, or None before `period + 1` prices were seen."""
        diff = price - self._prev
        self._prev = price
        period = self._period
        if self._value is not None:
            gain = self._avg_gain * (period - 1)
            loss = self._avg_loss * (period - 1)
            if diff < 0.0:
                loss -= diff
            else:
                gain += diff
            gain /= period
            loss /= period
        else:
            count = self._count
            self._count = count + 1
            if count == 0:  # the first price has no change
                return None
            if diff < 0.0:
                self._avg_loss -= diff
            else:
                self._avg_gain += diff
            if count < period:
                return None
            gain = self._avg_gain / period
            loss = self._avg_loss / period
        self._avg_gain = gain
        self._avg_loss = loss
        total = gain + loss
        value = 100.0 * (gain / total) if total != 0.0 else FLAT_RSI
        self._value = value
        return value
