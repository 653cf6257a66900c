"""Average True Range (Wilder), O(1) per update, aligned bar for bar with TA-Lib's ATR.

True range needs the previous close: `TR = max(high - low, |high - prev_close|,
|low - prev_close|)`. Like TA-Lib, the very first bar has no true range (it is *not* taken as
high - low), so TRs exist from the second bar on. The first ATR is the simple mean of the first
`period` TRs and so appears on bar index `period` (0-based), i.e. after `period + 1` bars; then
`atr = (atr * (period - 1) + tr) / period`. With period 1 the ATR is simply each bar's TR.
"""

from __future__ import annotations

from scalpbot.indicators._base import Indicator
from scalpbot.indicators._validate import require_period


class ATR(Indicator[float]):
    """Wilder's average true range.

    >>> atr = ATR(2)
    >>> [atr.update(h, l, c) for h, l, c in ((11, 9, 10), (12, 10, 11), (13, 10, 12), (12, 11, 11))]
    [None, None, 2.5, 1.75]
    """

    __slots__ = ("_count", "_prev_close", "_sum")

    _count: int
    _prev_close: float
    _sum: float

    def __init__(self, period: int = 14) -> None:
        self._period = require_period(period)
        self.reset()

    def reset(self) -> None:
        """Forget every input, as if freshly built."""
        self._count = 0
        self._prev_close = 0.0
        self._sum = 0.0
        self._value = None

    def update(self, high: float, low: float, close: float) -> float | None:
        """Add one bar; return the ATR, or None before `period + 1` bars were seen."""
        prev = self._prev_close
        self._prev_close = close
        tr = high - low
        up = high - prev
        if up < 0.0:
            up = -up
        if up > tr:
            tr = up
        down = low - prev
        if down < 0.0:
            down = -down
        if down > tr:
            tr = down
        value = self._value
        if value is not None:
            period = self._period
            value = (value * (period - 1) + tr) / period
        else:
            count = self._count
            self._count = count + 1
            if count == 0:  # no previous close: no true range yet
                return None
            self._sum += tr
            if count < self._period:
                return None
            value = self._sum / self._period
        self._value = value
        return value
