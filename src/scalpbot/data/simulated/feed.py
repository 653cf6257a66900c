"""`SimulatedFeed`: the seeded NSE market as a `Feed` of ticks on simulated time.

The session runs on its own clock: ticks carry simulated timestamps that start at `start` and
advance one `tick_interval_ms` per step (every instrument ticks once per step, in the order
given), independent of the wall clock. `speed` only decides how much wall time a step takes
(tick_interval / speed), so a demo at night still shows a trading day, and `speed=600` plays
one in under a minute. At the close (15:30 IST) the clock jumps to the next trading day's
09:15: cumulative volumes restart and prices open with an overnight gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from scalpbot.data.aggregator import IST_OFFSET_NS, NS_PER_MINUTE, check_timeframe, parse_anchor
from scalpbot.data.feeds import Pacer, Sleep, check_speed
from scalpbot.data.series import BarSeries
from scalpbot.data.simulated.days import SessionDays
from scalpbot.data.simulated.instruments import MAX_SYNTHETIC, find_sim_spec, sim_specs
from scalpbot.data.simulated.model import BarColumns, DayPath, PriceModel
from scalpbot.domain import IST, ConfigError, Tick
from scalpbot.domain.market_data import datetime_to_ns, ns_to_datetime
from scalpbot.market import TradingCalendar, to_ist

#: Longest warm-up `history()` builds, in bars (a year of 1-minute bars is ~93,000).
MAX_HISTORY_BARS = 100_000


class SimulatedFeed:
    """Ticks of simulated NSE instruments (all the table's when `instrument_keys` is None; the
    generated `NSE:SIM0001` … of `synthetic_keys` are played only when asked for).

        feed = SimulatedFeed(["NSE:INFY"], seed=7, speed=60)      # 60x real time
        warmup = feed.history("NSE:INFY", bars=200, timeframe_minutes=5)
        async for tick in feed.events(): ...                      # until feed.close()

    `start` (naive = IST) defaults to 09:15 IST of the latest trading day at or before today;
    a start outside a session moves to the next open, one inside it to the next step of the
    grid that begins at the open. `speed` None or infinity means no sleeping (the loop is
    still given control every few hundred ticks). `calendar` replaces NSE's holiday calendar.
    """

    def __init__(
        self,
        instrument_keys: list[str] | None = None,
        *,
        seed: int = 7,
        start: datetime | None = None,
        speed: float | None = 1.0,
        tick_interval_ms: int = 1000,
        sleep: Sleep = asyncio.sleep,
        calendar: TradingCalendar | None = None,
    ) -> None:
        table = sim_specs()
        keys = list(table) if instrument_keys is None else list(instrument_keys)
        specs = {k: find_sim_spec(k) for k in keys}
        unknown = [k for k, spec in specs.items() if spec is None]
        if unknown or not keys or len(set(keys)) != len(keys):
            raise ConfigError(
                f"simulated feed instruments {keys!r}: give distinct keys out of "
                f"{', '.join(table)} or generated NSE:SIM0001 to NSE:SIM{MAX_SYNTHETIC}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            )
        if type(tick_interval_ms) is not int or not 10 <= tick_interval_ms <= 60_000:
            raise ConfigError(
                f"tick_interval_ms must be a whole number of milliseconds from 10 to 60000, "
                f"not {tick_interval_ms!r}"
            )
        self.instruments = keys
        self.seed = seed
        self.speed = check_speed(speed)
        self.step_ns = tick_interval_ms * 1_000_000
        self._models = [
            PriceModel(spec, seed, self.step_ns) for spec in specs.values() if spec is not None
        ]
        self._days = SessionDays(calendar)
        self._pacer = Pacer(sleep)
        day, index = self._resolve_start(start)
        self._load(day)
        self._index = index
        self._slot = 0  # next instrument of the current step
        self.start_ns = int(self._paths[0].ts[index])
        self.start: datetime = ns_to_datetime(self.start_ns)

    @property
    def now_ns(self) -> int:
        """Simulated time of the next step to be played."""
        return int(self._paths[0].ts[self._index])

    @property
    def day(self) -> date:
        """The simulated trading day being played."""
        return self._day

    async def events(self) -> AsyncIterator[Tick]:
        wait = None if self.speed is None else self.step_ns / 1e9 / self.speed
        pacer = self._pacer
        while not pacer.closed:
            i = self._index
            while self._slot < len(self._models):  # resumable mid-step if iteration stops
                k = self._slot
                self._slot += 1
                yield self._models[k].tick(self._paths[k], i)
                if pacer.closed:
                    return
            self._slot = 0
            if i + 1 < len(self._paths[0]):
                self._index = i + 1
            else:
                self._load(self._days.next_trading_day(self._day))
                self._index = 0
            if wait is None:
                await pacer.breathe()
            else:
                await pacer.wait(wait)

    async def close(self) -> None:
        """Stop the feed: `events()` ends at its next step (a pending sleep is cut short)."""
        self._pacer.close()

    def history(self, instrument_key: str, bars: int, timeframe_minutes: int) -> BarSeries:
        """The last `bars` complete bars before `start`, from the same seeded model.

        Bars are aligned like `BarAggregator`'s (09:15 IST grid) and equal the bars it would
        build from this market's ticks, so indicators warmed on them continue seamlessly.
        """
        check_timeframe(timeframe_minutes)
        if type(bars) is not int or not 0 <= bars <= MAX_HISTORY_BARS:
            raise ConfigError(f"history bars must be 0 to {MAX_HISTORY_BARS}, not {bars!r}")
        if instrument_key not in self.instruments:
            raise ConfigError(
                f"history of {instrument_key!r}: this feed serves {', '.join(self.instruments)}"
            )
        model = self._models[self.instruments.index(instrument_key)]
        period = timeframe_minutes * NS_PER_MINUTE
        origin = parse_anchor("09:15") * NS_PER_MINUTE - IST_OFFSET_NS
        chunks: list[BarColumns] = []
        found = 0
        day = self.start.date()
        while found < bars:
            session = self._days.session_ns(day)
            if session is not None:
                path = model.day(day, *session)
                columns = model.bars(path, period, origin, self.start_ns)
                chunks.append(columns)
                found += len(columns[0])
            day = self._days.previous_trading_day(day)
        chunks.reverse()
        skip = found - bars  # oldest bars beyond the count asked for

        def column(k: int) -> npt.NDArray[Any]:
            parts = [chunk[k] for chunk in chunks]
            joined = np.concatenate(parts) if parts else np.empty(0)
            return joined[skip:]

        o, h, lo, c, v = (column(k).astype(np.float64) for k in range(1, 6))
        source = f"simulated:{instrument_key}:seed={self.seed}"
        return BarSeries(column(0).astype(np.int64), o, h, lo, c, v, source)

    # -- internals -----------------------------------------------------------------------------
    def _resolve_start(self, start: datetime | None) -> tuple[date, int]:
        """The trading day and step index the session begins at."""
        if start is None:
            return self._days.at_or_before(datetime.now(IST).date()), 0
        local = to_ist(start)
        day = local.date()
        session = self._days.session_ns(day)
        if session is not None:
            opens, closes = session
            at = datetime_to_ns(local)
            index = max(0, -(-(at - opens) // self.step_ns))
            if opens + index * self.step_ns < closes:
                return day, index
        return self._days.next_trading_day(day), 0

    def _load(self, day: date) -> None:
        session = self._days.session_ns(day)
        if session is None:
            raise ConfigError(f"simulated market: {day} has no session")  # callers pick days
        self._day = day
        self._paths: list[DayPath] = [model.day(day, *session) for model in self._models]
