"""Where the engine learns the time.

The core never reads the wall clock: a backtest sets a `SimulatedClock` to each bar's time, so a
run is deterministic; a live session passes a `WallClock`, read by the runtime at the edges.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol

from scalpbot.domain import ns_to_datetime


class Clock(Protocol):
    def now_ns(self) -> int: ...

    def now(self) -> datetime: ...


class SimulatedClock:
    """A clock that only moves when told to (by the backtest or replay loop)."""

    __slots__ = ("ts",)

    def __init__(self, start_ns: int = 0) -> None:
        self.ts = start_ns

    def set(self, ts_ns: int) -> None:
        self.ts = ts_ns

    def now_ns(self) -> int:
        return self.ts

    def now(self) -> datetime:
        return ns_to_datetime(self.ts)


class WallClock:
    """Real time, for live and paper sessions on live data."""

    def now_ns(self) -> int:
        return time.time_ns()

    def now(self) -> datetime:
        return ns_to_datetime(time.time_ns())
