"""Moving-average crossover.

A cross is defined strictly: fast crosses above slow at bar t when fast[t] > slow[t] and the last
non-zero (fast - slow) before t was negative (mirror for below). Bars where the averages are
exactly equal neither create nor hide a cross, so integer-priced data does not flicker.

`target_positions` states the same decisions for a whole series at once, so a parameter sweep
can replay them instead of running the engine bar by bar (see `scalpbot.backtest.replay`); the
sweep's parity tests hold the two to the same trades, to the paisa.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, MutableMapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from scalpbot.domain import Bar, ConfigError
from scalpbot.indicators import EMA, SMA
from scalpbot.indicators.arrays import ema_values, sma_values
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

    @classmethod
    def target_positions(
        cls,
        columns: Mapping[str, npt.NDArray[Any]],
        params: Mapping[str, Any],
        memo: MutableMapping[Hashable, Any],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8]]:
        """`on_bar`'s decisions over the whole series: at bar `bars[i]` the strategy brings its
        position to `targets[i]` order quantities (1 long, 0 flat, -1 short) with market orders.

        The averages are the indicators' own floats (`sma_values`/`ema_values` equal `update`
        bit for bit), so ties and crosses fall on the same bars; `memo` keeps each average for
        the next combination that uses the same window.
        """
        close = columns["close"]
        fast = _average(close, params["kind"], params["fast"], memo)
        slow = _average(close, params["kind"], params["slow"], memo)
        # +1 above, -1 below, 0 on a tie or while either average warms up (NaN compares false).
        sign = (fast > slow).view(np.int8) - (fast < slow).view(np.int8)
        at = np.flatnonzero(sign)
        signs = sign[at]
        turns = np.flatnonzero(signs[1:] != signs[:-1]) + 1  # the first sign is no cross
        up = signs[turns] > 0
        targets = np.where(up, 1, 0 if params["long_only"] else -1).astype(np.int8)
        return at[turns].astype(np.int64), targets

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


def _average(
    close: npt.NDArray[Any], kind: str, period: int, memo: MutableMapping[Hashable, Any]
) -> npt.NDArray[np.float64]:
    key = (kind, period)
    values = memo.get(key)
    if values is None:
        values = memo[key] = (sma_values if kind == "sma" else ema_values)(close, period)
    out: npt.NDArray[np.float64] = values
    return out
