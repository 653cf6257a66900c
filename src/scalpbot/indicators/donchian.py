"""Donchian channel: highest high and lowest low of the last `period` bars, O(1) amortised.

upper = max(high) and lower = min(low) over the last `period` bars *including the current one*
(TA-Lib's MAX/MIN alignment: first value on bar index `period - 1`); middle = (upper + lower) / 2.
A breakout rule "close above the previous `period` bars' high" therefore compares the close with
the `upper` from before this bar's update.

Each extreme is tracked with a monotonic deque: values that can never again be the extreme (an
older, lower high) are dropped as soon as a newer one beats them, so the front of the deque is
the answer and every bar is pushed and popped at most once. Values and their bar numbers live in
two parallel deques so no tuple is allocated per bar.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from scalpbot.indicators._base import Indicator
from scalpbot.indicators._validate import require_period

# Building the result through tuple.__new__ skips the Python-level NamedTuple.__new__ frame,
# which costs about as much as the rest of an update.
_new_tuple = tuple.__new__


class DonchianValue(NamedTuple):
    """One reading of the channel."""

    upper: float
    middle: float
    lower: float


class Donchian(Indicator[DonchianValue]):
    """Highest high / lowest low channel over the last `period` bars.

    >>> dc = Donchian(2)
    >>> dc.update(10.0, 8.0) is None
    True
    >>> dc.update(12.0, 9.0)
    DonchianValue(upper=12.0, middle=10.0, lower=8.0)
    >>> dc.update(11.0, 10.0)
    DonchianValue(upper=12.0, middle=10.5, lower=9.0)
    """

    __slots__ = ("_bar", "_high_bars", "_highs", "_low_bars", "_lows")

    _bar: int

    def __init__(self, period: int = 20) -> None:
        self._period = require_period(period)
        self._highs: deque[float] = deque()
        self._high_bars: deque[int] = deque()
        self._lows: deque[float] = deque()
        self._low_bars: deque[int] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget every input, as if freshly built."""
        self._highs.clear()
        self._high_bars.clear()
        self._lows.clear()
        self._low_bars.clear()
        self._bar = 0
        self._value = None

    def update(self, high: float, low: float) -> DonchianValue | None:
        """Add one bar; return the channel, or None before `period` bars were seen."""
        bar = self._bar
        self._bar = bar + 1
        expired = bar - self._period  # the one bar that leaves the window now, if still held

        highs = self._highs
        high_bars = self._high_bars
        if high_bars and high_bars[0] == expired:
            highs.popleft()
            high_bars.popleft()
        while highs and highs[-1] <= high:
            highs.pop()
            high_bars.pop()
        highs.append(high)
        high_bars.append(bar)

        lows = self._lows
        low_bars = self._low_bars
        if low_bars and low_bars[0] == expired:
            lows.popleft()
            low_bars.popleft()
        while lows and lows[-1] >= low:
            lows.pop()
            low_bars.pop()
        lows.append(low)
        low_bars.append(bar)

        if expired < -1:  # fewer than `period` bars so far
            return None
        upper = highs[0]
        lower = lows[0]
        value = _new_tuple(DonchianValue, (upper, (upper + lower) * 0.5, lower))
        self._value = value
        return value
