"""Breakouts: of a Donchian channel, or of the day's opening range, with a protective stop.

Donchian mode buys a close above the highest high of the previous `period` bars and sells a
close below the lowest low. Opening-range mode takes the high and low of the first
`range_minutes` of each IST session (from 09:15) and trades the first close outside them, once
a day, exiting at `exit_time` at the latest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from scalpbot.domain import Bar, ConfigError
from scalpbot.indicators import ATR, Donchian
from scalpbot.strategies.base import Strategy
from scalpbot.strategies.exits import ExitOffset, atr, price
from scalpbot.strategies.params import BoolParam, ChoiceParam, FloatParam, IntParam
from scalpbot.strategies.search import SearchRange

_IST_OFFSET_S = 19_800
_NS = 1_000_000_000
_SESSION_OPEN_S = 9 * 3600 + 15 * 60


def _ist_seconds_of_day(ts_ns: int) -> int:
    return (ts_ns // _NS + _IST_OFFSET_S) % 86_400


def _ist_day(ts_ns: int) -> int:
    return (ts_ns // _NS + _IST_OFFSET_S) // 86_400


class Breakout(Strategy):
    name = "breakout"
    description = "Trade breaks of a Donchian channel or of the opening range, with a stop."
    uses_atr = True  # its Donchian stop is in ATRs: the engine keeps a 14-bar ATR

    mode = ChoiceParam("donchian", choices=("donchian", "opening_range"))
    period = IntParam(20, low=2, high=500, doc="Donchian lookback in bars")
    range_minutes = IntParam(15, low=1, high=120, doc="opening range length from 09:15 IST")
    exit_time = IntParam(1515, low=915, high=1530, doc="opening range: flat by HHMM IST")
    stop_atr = FloatParam(2.0, low=0, high=10, step=0.5, doc="Donchian stop in ATRs (0: none)")
    long_only = BoolParam(False, doc="only long trades")
    search_space: ClassVar[Mapping[str, SearchRange]] = {
        "period": SearchRange(10, 60, 10),
        "stop_atr": SearchRange(0.0, 3.0, 1.0),
    }

    def validate(self) -> None:
        _, minutes = divmod(self.exit_time, 100)
        if minutes >= 60:
            raise ConfigError(f"breakout: exit_time {self.exit_time} is not a valid HHMM")

    def on_start(self) -> None:
        self._channel = Donchian(self.period)
        self._atr = ATR(14)
        self._upper: float | None = None
        self._lower: float | None = None
        self._day = -1
        self._range_high = float("-inf")
        self._range_low = float("inf")
        self._traded_today = False
        hours, minutes = divmod(self.exit_time, 100)
        self._exit_s = hours * 3600 + minutes * 60
        self._range_end_s = _SESSION_OPEN_S + self.range_minutes * 60

    def on_bar(self, bar: Bar) -> None:
        if self.mode == "donchian":
            self._donchian(bar)
        else:
            self._opening_range(bar)

    def _donchian(self, bar: Bar) -> None:
        atr_value = self._atr.update(bar.high, bar.low, bar.close)
        upper, lower = self._upper, self._lower
        channel = self._channel.update(bar.high, bar.low)
        if channel is not None:
            self._upper, self._lower = channel.upper, channel.lower
        if upper is None or lower is None:
            return
        ctx = self.ctx
        held = ctx.position.quantity
        stop: ExitOffset | None = None
        if self.stop_atr > 0 and atr_value is not None:
            stop = atr(self.stop_atr)
        if bar.close > upper:
            if held < 0:
                ctx.close()
            if held <= 0 and not ctx.open_orders:
                ctx.buy(stop_loss=stop)
        elif bar.close < lower:
            if held > 0:
                ctx.close()
            if held >= 0 and not self.long_only and not ctx.open_orders:
                ctx.sell(stop_loss=stop)

    def _opening_range(self, bar: Bar) -> None:
        day = _ist_day(bar.ts)
        if day != self._day:
            self._day = day
            self._range_high, self._range_low = float("-inf"), float("inf")
            self._traded_today = False
        seconds = _ist_seconds_of_day(bar.ts)
        ctx = self.ctx
        if seconds < self._range_end_s:
            if seconds >= _SESSION_OPEN_S:
                self._range_high = max(self._range_high, bar.high)
                self._range_low = min(self._range_low, bar.low)
            return
        held = ctx.position.quantity
        if seconds >= self._exit_s:
            if held:
                ctx.close()
            return
        if self._traded_today or held or self._range_high < self._range_low:
            return
        if bar.close > self._range_high:
            ctx.buy(stop_loss=price(self._range_low))
            self._traded_today = True
        elif bar.close < self._range_low and not self.long_only:
            ctx.sell(stop_loss=price(self._range_high))
            self._traded_today = True
