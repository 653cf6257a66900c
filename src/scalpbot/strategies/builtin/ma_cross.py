"""Moving-average crossover.

A cross is defined strictly: fast crosses above slow at bar t when fast[t] > slow[t] and the last
non-zero (fast - slow) before t was negative (mirror for below). Bars where the averages are
exactly equal neither create nor hide a cross, so integer-priced data does not flicker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from scalpbot.domain import Bar, ConfigError
from scalpbot.indicators import EMA, SMA
from scalpbot.strategies.base import Strategy
from scalpbot.strategies.params import BoolParam, ChoiceParam, IntParam
from scalpbot.strategies.search import SearchRange


class MACross(Strategy):
    name = "ma_cross"
    description = (
        "Go long when the fast average crosses above the slow one; "
        "exit (or go short) on the opposite cross."
    )

    fast = IntParam(10, low=1, high=500, step=1, doc="bars in the fast average (1: the price)")
    slow = IntParam(30, low=2, high=2000, step=1, doc="bars in the slow average")
    kind = ChoiceParam("sma", choices=("sma", "ema"), doc="simple or exponential averages")
    long_only = BoolParam(True, doc="only long trades; a down-cross just exits")
    search_space: ClassVar[Mapping[str, SearchRange]] = {
        "fast": SearchRange(5, 30, 5),
        "slow": SearchRange(20, 100, 10),
    }

    def validate(self) -> None:
        if self.fast >= self.slow:
            raise ConfigError(f"ma_cross: fast ({self.fast}) must be below slow ({self.slow})")

    def on_start(self) -> None:
        average = SMA if self.kind == "sma" else EMA
        self._fast = average(self.fast)
        self._slow = average(self.slow)
        self._last_sign = 0
        self._long_only = self.long_only

    def on_bar(self, bar: Bar) -> None:
        fast = self._fast.update(bar.close)
        slow = self._slow.update(bar.close)
        if fast is None or slow is None or fast == slow:
            return
        sign = 1 if fast > slow else -1
        previous = self._last_sign
        self._last_sign = sign
        if previous == 0 or sign == previous:
            return
        ctx = self.ctx
        held = ctx.position.quantity
        if sign > 0:
            if held < 0:
                ctx.close()
            if held <= 0:
                ctx.buy()
        else:
            if held > 0:
                ctx.close()
            if not self._long_only and held >= 0:
                ctx.sell()
