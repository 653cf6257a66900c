"""Simple and exponential moving averages, O(1) per update.

Both match TA-Lib after warm-up: `SMA` is the mean of the last `period` inputs, first available
on the `period`-th input; `EMA` is seeded, like TA-Lib's default, with the SMA of the first
`period` inputs and then follows `ema += (price - ema) * 2 / (period + 1)`.

Drift: `SMA` keeps a plain running sum (add the new price, subtract the one leaving the ring
buffer) and recomputes it exactly with `math.fsum` every `max(period, RESYNC_EVERY)` updates, so
rounding error is bounded by ~1024 float additions however long the backtest runs. `EMA` needs no
such care: each step is a contraction, so old rounding errors decay instead of accumulating.
"""

from __future__ import annotations

import math

from scalpbot.indicators._base import Indicator
from scalpbot.indicators._validate import RESYNC_EVERY, require_period


class SMA(Indicator[float]):
    """Simple moving average of the last `period` prices.

    >>> sma = SMA(3)
    >>> [sma.update(p) for p in (1.0, 2.0, 3.0, 4.0)]
    [None, None, 2.0, 3.0]
    """

    __slots__ = (
        "_buf",
        "_count",
        "_index",
        "_resync_every",
        "_sum",
        "_until_resync",
    )

    _buf: list[float]
    _count: int
    _index: int
    _sum: float
    _until_resync: int

    def __init__(self, period: int) -> None:
        self._period = require_period(period)
        self._resync_every = max(self._period, RESYNC_EVERY)
        self.reset()

    def reset(self) -> None:
        """Forget every input, as if freshly built (e.g. for a new instrument)."""
        self._buf = [0.0] * self._period
        self._count = 0
        self._index = 0
        self._sum = 0.0
        self._until_resync = self._resync_every
        self._value = None

    def update(self, price: float) -> float | None:
        """Add one price; return the average, or None before `period` prices were seen."""
        buf = self._buf
        index = self._index
        # During warm-up the slot still holds 0.0, so the same line fills the window.
        self._sum += price - buf[index]
        buf[index] = price
        index += 1
        self._index = 0 if index == self._period else index
        if self._count < self._period:
            self._count += 1
            if self._count < self._period:
                return None
        else:
            self._until_resync -= 1
            if self._until_resync == 0:
                self._sum = math.fsum(buf)
                self._until_resync = self._resync_every
        value = self._sum / self._period
        self._value = value
        return value


class EMA(Indicator[float]):
    """Exponential moving average, smoothing factor 2 / (period + 1), seeded by an SMA.

    >>> ema = EMA(3)
    >>> [ema.update(p) for p in (1.0, 2.0, 3.0, 5.0)]
    [None, None, 2.0, 3.5]
    """

    __slots__ = ("_count", "_k", "_sum")

    _count: int
    _sum: float

    def __init__(self, period: int) -> None:
        self._period = require_period(period)
        self._k = 2.0 / (self._period + 1)
        self.reset()

    def reset(self) -> None:
        """Forget every input, as if freshly built."""
        self._count = 0
        self._sum = 0.0
        self._value = None

    def update(self, price: float) -> float | None:
        """Add one price; return the EMA, or None before `period` prices were seen."""
        value = self._value
        if value is not None:
            value = (price - value) * self._k + value
        else:
            self._sum += price
            self._count += 1
            if self._count < self._period:
                return None
            value = self._sum / self._period
        self._value = value
        return value
