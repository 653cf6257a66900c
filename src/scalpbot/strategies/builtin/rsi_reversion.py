"""RSI mean reversion: buy oversold, sell overbought, exit when RSI returns to its exit level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from scalpbot.domain import Bar, ConfigError
from scalpbot.indicators import RSI
from scalpbot.strategies.base import Strategy
from scalpbot.strategies.exits import pct
from scalpbot.strategies.params import BoolParam, FloatParam, IntParam
from scalpbot.strategies.search import SearchRange


class RSIReversion(Strategy):
    name = "rsi_reversion"
    description = "Buy when RSI is oversold, short when overbought; exit at the exit level."

    period = IntParam(14, low=2, high=100, doc="RSI period in bars")
    oversold = FloatParam(30.0, low=1, high=50, step=5, doc="enter long below this RSI")
    overbought = FloatParam(70.0, low=50, high=99, step=5, doc="enter short above this RSI")
    exit_level = FloatParam(50.0, low=1, high=99, step=5, doc="exit when RSI crosses back here")
    long_only = BoolParam(True, doc="only long trades")
    stop_pct = FloatParam(0.0, low=0, high=20, step=0.5, doc="stop-loss % from entry (0: none)")
    search_space: ClassVar[Mapping[str, SearchRange]] = {
        "period": SearchRange(7, 21, 7),
        "oversold": SearchRange(20.0, 35.0, 5.0),
        "overbought": SearchRange(65.0, 80.0, 5.0),
    }

    def validate(self) -> None:
        if not self.oversold < self.exit_level < self.overbought:
            raise ConfigError(
                "rsi_reversion: need oversold < exit_level < overbought, got "
                f"{self.oversold} / {self.exit_level} / {self.overbought}"
            )

    def on_start(self) -> None:
        self._rsi = RSI(self.period)

    def on_bar(self, bar: Bar) -> None:
        value = self._rsi.update(bar.close)
        if value is None:
            return
        ctx = self.ctx
        held = ctx.position.quantity
        stop = pct(self.stop_pct) if self.stop_pct > 0 else None
        if (held > 0 and value >= self.exit_level) or (held < 0 and value <= self.exit_level):
            ctx.close()
        elif held == 0 and not ctx.open_orders:
            if value < self.oversold:
                ctx.buy(stop_loss=stop)
            elif value > self.overbought and not self.long_only:
                ctx.sell(stop_loss=stop)
