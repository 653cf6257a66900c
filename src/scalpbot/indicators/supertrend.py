"""SuperTrend: a trailing ATR band that flips sides when the close crosses it. O(1) per update.

Definition used here (the common one, as in TradingView's `ta.supertrend`, on our ATR):

- `atr` is Wilder's ATR(period) exactly as `scalpbot.indicators.ATR` computes it (TA-Lib
  alignment), so the first SuperTrend appears on bar index `period`, after `period + 1` bars.
- basic bands: `hl2 ± multiplier * atr`, with `hl2 = (high + low) / 2`.
- final upper band: the basic upper band if it is below the previous final upper band or the
  previous close was above that band; otherwise the previous final upper band (it only
  ratchets down while a downtrend holds). The final lower band mirrors this: the basic lower
  band if it is above the previous final lower band or the previous close was below it;
  otherwise the previous final lower band.
- direction: on the first bar the final bands are the basic bands and the trend is down (-1),
  as TradingView starts it. After that, in a downtrend the trend turns up (+1) when the close
  rises above the final upper band; in an uptrend it turns down when the close falls below the
  final lower band.
- value: the final lower band in an uptrend (a trailing stop for longs), the final upper band
  in a downtrend.
"""

from __future__ import annotations

from typing import NamedTuple

from scalpbot.indicators._base import Indicator
from scalpbot.indicators._validate import require_period, require_positive
from scalpbot.indicators.atr import ATR

# Building the result through tuple.__new__ skips the Python-level NamedTuple.__new__ frame,
# which costs about as much as the rest of an update.
_new_tuple = tuple.__new__


class SuperTrendValue(NamedTuple):
    """The SuperTrend line and its trend: direction +1 (up, line below price) or -1 (down)."""

    value: float
    direction: int


class SuperTrend(Indicator[SuperTrendValue]):
    """ATR-band trend follower; see the module docstring for the exact rules.

    >>> st = SuperTrend(period=2, multiplier=1.0)
    >>> bars = ((11, 9, 10), (12, 10, 11), (13, 10, 12), (15, 13, 14.5))
    >>> [st.update(h, l, c) for h, l, c in bars][2:]
    [SuperTrendValue(value=14.0, direction=-1), SuperTrendValue(value=11.25, direction=1)]
    """

    __slots__ = ("_atr", "_direction", "_lower", "_multiplier", "_prev_close", "_upper")

    _repr_fields = ("period", "multiplier")

    _direction: int
    _lower: float
    _prev_close: float
    _upper: float

    def __init__(self, period: int = 10, multiplier: float = 3.0) -> None:
        self._atr = ATR(require_period(period))
        self._period = self._atr.period
        self._multiplier = require_positive(multiplier, "multiplier")
        self.reset()

    def reset(self) -> None:
        """Forget every input, as if freshly built."""
        self._atr.reset()
        self._direction = 0  # 0: no SuperTrend yet
        self._lower = 0.0
        self._upper = 0.0
        self._prev_close = 0.0
        self._value = None

    def update(self, high: float, low: float, close: float) -> SuperTrendValue | None:
        """Add one bar; return the SuperTrend, or None before `period + 1` bars were seen."""
        atr = self._atr.update(high, low, close)
        prev_close = self._prev_close
        self._prev_close = close
        if atr is None:
            return None
        mid = (high + low) * 0.5
        offset = self._multiplier * atr
        upper = mid + offset
        lower = mid - offset
        direction = self._direction
        if direction == 0:
            direction = -1
        else:
            prev_upper = self._upper
            if not (upper < prev_upper or prev_close > prev_upper):
                upper = prev_upper
            prev_lower = self._lower
            if not (lower > prev_lower or prev_close < prev_lower):
                lower = prev_lower
            if direction < 0:
                if close > upper:
                    direction = 1
            elif close < lower:
                direction = -1
        self._upper = upper
        self._lower = lower
        self._direction = direction
        value = _new_tuple(SuperTrendValue, (lower if direction > 0 else upper, direction))
        self._value = value
        return value

    @property
    def multiplier(self) -> float:
        return self._multiplier

    @property
    def atr(self) -> float | None:
        """The ATR behind the bands (None while warming up)."""
        return self._atr.value
