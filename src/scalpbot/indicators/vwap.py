"""Session VWAP: volume-weighted average price since the start of the IST trading day.

Indian markets trade one session per calendar day in IST (UTC+05:30), so the session key is the
IST calendar date of each update's timestamp; the sums restart whenever that date changes (in
either direction, so a replay that jumps back a day starts clean too). The caller chooses the
price: the last trade price for ticks, or the typical price (high + low + close) / 3 for bars.

Timestamps are either epoch nanoseconds (UTC) as an int, the form `Tick.ts`/`Bar.ts` use and
the cheap path, or a `datetime`. An aware datetime is converted to IST; a naive one is taken as
IST wall time already, the convention of `scalpbot.domain.market_data.datetime_to_ns`.

Sums are plain float accumulators: they only grow within one day (tens of thousands of updates
at most), so the relative rounding error stays far below a tick.
"""

from __future__ import annotations

import numbers
from datetime import date, datetime, timedelta, timezone

from scalpbot.indicators._base import Indicator

_IST = timezone(timedelta(hours=5, minutes=30), "IST")
_NS_PER_DAY = 86_400 * 1_000_000_000
_IST_OFFSET_NS = 19_800 * 1_000_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def ist_day(timestamp: datetime | int) -> int:
    """Days since 1970-01-01 of the IST calendar date of `timestamp` (see the module doc)."""
    if type(timestamp) is int:
        return (timestamp + _IST_OFFSET_NS) // _NS_PER_DAY
    if isinstance(timestamp, datetime):
        if timestamp.utcoffset() is not None:
            timestamp = timestamp.astimezone(_IST)
        return timestamp.toordinal() - _EPOCH_ORDINAL
    if isinstance(timestamp, numbers.Integral) and not isinstance(timestamp, bool):
        return (int(timestamp) + _IST_OFFSET_NS) // _NS_PER_DAY
    raise TypeError(
        f"timestamp must be a datetime or an int of epoch nanoseconds, got {timestamp!r}"
    )


class VWAP(Indicator[float]):
    """Volume-weighted average price of the current IST session.

    `update` returns None until the session has traded some volume (a session that starts with
    zero-volume updates has no VWAP yet); zero-volume updates later leave the VWAP unchanged.
    So `value` and `ready` describe the current session only: a new IST day clears them until it
    trades volume. `period` is 1, as one update with volume makes a VWAP.

    >>> vwap = VWAP()
    >>> vwap.update(100.0, 10, 1_700_000_000_000_000_000)
    100.0
    >>> vwap.update(110.0, 30, 1_700_000_060_000_000_000)
    107.5
    """

    __slots__ = ("_day", "_pv", "_volume")

    _repr_fields = ()  # no look-back length to show: the session is the window

    _day: int | None
    _pv: float
    _volume: float

    def __init__(self) -> None:
        # One update with volume makes a VWAP; the session, not a bar count, is its window.
        self._period = 1
        self.reset()

    def reset(self) -> None:
        """Forget every input, as if freshly built."""
        self._day = None
        self._pv = 0.0
        self._volume = 0.0
        self._value = None

    def update(self, price: float, volume: float, timestamp: datetime | int) -> float | None:
        """Add one trade or bar; return the session VWAP, or None before any volume today.

        Raises ValueError for a negative or NaN volume and TypeError for a timestamp that is
        neither a datetime nor an int; the VWAP is left unchanged in both cases.
        """
        if not volume >= 0:
            raise ValueError(f"volume must be >= 0, got {volume!r}")
        if type(timestamp) is int:
            day = (timestamp + _IST_OFFSET_NS) // _NS_PER_DAY
        else:
            day = ist_day(timestamp)
        if day != self._day:
            self._day = day
            self._pv = 0.0
            self._volume = 0.0
            self._value = None
        if volume:
            self._pv += price * volume
            self._volume += volume
            self._value = self._pv / self._volume
        return self._value

    @property
    def session_volume(self) -> float:
        """Volume traded so far in the current session (the VWAP's denominator)."""
        return self._volume
