"""The `Feed` protocol every market-data source implements, and `ReplayFeed` for bar files.

A session's runtime is one asyncio loop: it iterates `feed.events()` and hands each `Bar` or
`Tick` to the synchronous core. A feed therefore must never block the loop: a replay running
as fast as possible still yields control now and then so the web server and timers stay
responsive, and a paced replay sleeps with `asyncio.sleep` (injectable, so tests can record the
waits instead of spending them).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from scalpbot.data.loader import load_bars
from scalpbot.data.series import BarSeries
from scalpbot.domain import Bar, ConfigError, Tick

Sleep = Callable[[float], Awaitable[object]]

#: Longest wall-clock wait between two replayed bars at speed 1, in seconds. Overnight and
#: weekend gaps in a file would otherwise stall a real-time replay for hours; at speed X the cap
#: is MAX_GAP_SECONDS / X.
MAX_GAP_SECONDS = 60.0
#: As-fast-as-possible feeds hand the loop control once per this many events.
YIELD_EVERY = 256


@dataclass(slots=True)
class Backfill:
    """Bars fetched from history for a gap in a live feed's ticks, `gap_from_ns`..`gap_to_ns`
    (the last tick before the stream dropped and the first after it); `error` says why there
    are none. Delivered before the ticks that followed the gap, so bars stay in time order."""

    gap_from_ns: int
    gap_to_ns: int
    bars: list[Bar] = field(default_factory=list)
    error: str = ""


@runtime_checkable
class Feed(Protocol):
    """An async source of market data for a session; the runtime consumes it in one asyncio loop.

    `events()` is an async generator of `Bar`/`Tick` objects (and, from a live feed after a
    dropped connection, `Backfill`s). It ends when the data ends (a
    replay) or, for live and simulated feeds, only after `close()`.
    """

    instruments: list[str]

    def events(self) -> AsyncIterator[Bar | Tick | Backfill]: ...

    async def close(self) -> None: ...


def check_speed(speed: float | None) -> float | None:
    """`speed` as a positive finite multiple of real time, or None for "no pacing"."""
    if speed is None:
        return None
    if isinstance(speed, bool) or not isinstance(speed, int | float) or math.isnan(speed):
        raise ConfigError(f"feed speed must be a positive number or None, not {speed!r}")
    if speed <= 0:
        raise ConfigError(f"feed speed must be positive (times real time), not {speed}")
    return None if math.isinf(speed) else float(speed)


class Pacer:
    """Sleeps that `close()` can cut short, so stopping a slow replay is immediate."""

    def __init__(self, sleep: Sleep) -> None:
        self._sleep = sleep
        self._closed = False
        self._wakeups: set[asyncio.Future[None]] = set()
        self._events = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        for wakeup in self._wakeups:
            if not wakeup.done():
                wakeup.set_result(None)

    async def wait(self, seconds: float) -> None:
        """Wait `seconds` (through the injected sleep) unless closed first."""
        if self._closed:
            return
        # A future of the running loop (not an Event made in __init__), so a feed object can
        # be driven by more than one event loop over its life, as tests and resumes do.
        wakeup: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._wakeups.add(wakeup)
        sleeper: asyncio.Future[object] = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait((sleeper, wakeup), return_when=asyncio.FIRST_COMPLETED)
            if sleeper.done() and not sleeper.cancelled():
                sleeper.result()  # re-raise a failing sleep instead of losing it
        finally:
            self._wakeups.discard(wakeup)
            sleeper.cancel()
            wakeup.cancel()

    async def breathe(self) -> None:
        """Count an unpaced event; every YIELD_EVERY events, let other tasks run."""
        self._events += 1
        if self._events % YIELD_EVERY == 0:
            await asyncio.sleep(0)


class ReplayFeed:
    """Plays the bars of a `BarSeries` as `Bar` events of one instrument.

        feed = ReplayFeed(load_bars("nifty.csv"), "NFO:NIFTY-I", speed=60)  # 60x real time
        async for bar in feed.events(): ...

    `speed=None` plays as fast as possible; `speed=X` waits (ts[i+1] - ts[i]) / X seconds
    between bars, at most MAX_GAP_SECONDS / X so overnight gaps do not stall the replay.
    `start_index` resumes a session at that bar; `index` is the index of the last bar yielded
    (start_index - 1 before the first). Every yielded Bar is a new object the consumer may keep.
    """

    def __init__(
        self,
        series: BarSeries,
        instrument_key: str,
        *,
        speed: float | None,
        start_index: int = 0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not instrument_key:
            raise ConfigError("ReplayFeed needs an instrument key such as 'NSE:INFY'")
        if type(start_index) is not int or not 0 <= start_index <= len(series):
            raise ConfigError(
                f"replay start_index {start_index!r} is outside the {len(series)} bars of "
                f"{series.source or 'the series'}"
            )
        self.series = series
        self.instrument_key = instrument_key
        self.instruments = [instrument_key]
        self.speed = check_speed(speed)
        self.start_index = start_index
        self.index = start_index - 1
        self._pacer = Pacer(sleep)

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        instrument_key: str,
        *,
        speed: float | None,
        start_index: int = 0,
        sleep: Sleep = asyncio.sleep,
    ) -> ReplayFeed:
        """Replay a CSV or Parquet file read with `load_bars` (DataError if it is bad)."""
        return cls(
            load_bars(path), instrument_key, speed=speed, start_index=start_index, sleep=sleep
        )

    async def events(self) -> AsyncIterator[Bar]:
        s = self.series
        ts, o, h, lo, c, v = s.ts, s.open, s.high, s.low, s.close, s.volume
        key = self.instrument_key
        speed = self.speed
        cap = MAX_GAP_SECONDS / speed if speed is not None else 0.0
        for i in range(self.index + 1, len(s)):
            if self._pacer.closed:
                return
            if speed is not None and i > self.start_index:
                gap = (int(ts[i]) - int(ts[i - 1])) / 1e9 / speed
                if gap > 0:
                    await self._pacer.wait(min(gap, cap))
                    if self._pacer.closed:
                        return
            elif speed is None:
                await self._pacer.breathe()
            self.index = i
            yield Bar(
                key, int(ts[i]), float(o[i]), float(h[i]), float(lo[i]), float(c[i]), float(v[i])
            )

    async def close(self) -> None:
        """Stop the replay: `events()` ends at its next step (a pending wait is cut short)."""
        self._pacer.close()
