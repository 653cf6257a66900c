"""Tick → bar aggregation for live and simulated feeds.

Bars sit on a grid anchored at the NSE open, 09:15 IST: a 5-minute bar covers [09:15, 09:20),
a 3-minute bar [09:15, 09:18), and so on. Every supported timeframe divides a day, so the grid is
the same every day and extends backwards before 09:15 (pre-open ticks land on it consistently):
a bar starts at `t - ((t - anchor) mod timeframe)`.

A bar is handed out when it is complete: when a tick of a later interval arrives, or when
`flush(now_ns)` is called by a timer after the interval has ended, so the last bar before a quiet
spell (or the close) is not held back until the next tick. Intervals without ticks produce no bar.

Volume. Brokers send `Tick.volume` as the day's *cumulative* traded volume, so a bar's volume is
how much that counter grew across the bar, counted tick by tick:

* the counter restarts every day (and may restart after a broker reconnect): on a tick of a new
  IST day, or a counter lower than the previous reading, the whole new reading is volume traded
  since the restart;
* the first tick of an instrument carries no earlier reading, so only its own `last_qty` counts
  (what traded before we subscribed belongs to no bar of ours);
* a tick without a cumulative volume (0, as index ticks and some quote packets have) adds its
  `last_qty` instead.

This is not the backtest hot path: each completed bar is a new `Bar` object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scalpbot.domain import Bar, ConfigError, Tick
from scalpbot.domain.market_data import NS_PER_SECOND

#: Bar lengths in minutes the aggregator builds (each divides the day and the session).
SUPPORTED_TIMEFRAMES = (1, 3, 5, 15)

NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_DAY = 1440 * NS_PER_MINUTE
#: IST is UTC+05:30; adding this to an epoch timestamp gives IST wall-clock nanoseconds.
IST_OFFSET_NS = 330 * NS_PER_MINUTE


def ist_day_number(ts_ns: int) -> int:
    """Days since 1970-01-01 of the IST calendar date of `ts_ns` (cheap day-change test)."""
    return (ts_ns + IST_OFFSET_NS) // NS_PER_DAY


def parse_anchor(anchor: str) -> int:
    """Minutes after IST midnight of an "HH:MM" anchor; ConfigError if it is not one."""
    parts = anchor.split(":") if isinstance(anchor, str) else []
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if hour < 24 and minute < 60:
            return hour * 60 + minute
    raise ConfigError(f"bar anchor {anchor!r} is not an IST time of day like '09:15'")


def check_timeframe(timeframe_minutes: int) -> int:
    """`timeframe_minutes` if supported, else ConfigError listing the supported ones."""
    if type(timeframe_minutes) is not int or timeframe_minutes not in SUPPORTED_TIMEFRAMES:
        allowed = ", ".join(str(m) for m in SUPPORTED_TIMEFRAMES)
        raise ConfigError(
            f"bar timeframe {timeframe_minutes!r} minutes is not supported; allowed: {allowed}"
        )
    return timeframe_minutes


@dataclass(slots=True)
class _Building:
    """The bar under construction for one instrument."""

    start: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    last_ts: int


@dataclass(slots=True)
class _Stream:
    """Per-instrument state: the open bar, the stale cut-off and the last volume reading."""

    bar: _Building | None = None
    floor: int = -(2**62)  # ticks before this are stale
    cum: int = -1  # last cumulative volume seen; -1: none yet
    cum_ts: int = 0
    cum_day: int = 0
    handed_until: int = -(2**62)  # end of the last bar handed out


class BarAggregator:
    """Builds `timeframe_minutes` bars from ticks of any number of instruments.

        agg = BarAggregator(5)
        for bar in agg.on_tick(tick):   # bars completed by this tick (usually none)
            strategy.on_bar(bar)
        agg.flush(now_ns)               # from a timer: bars whose interval has ended

    `stale_ticks` counts ticks dropped for arriving after their bar was already handed out
    (older than the start of the instrument's current bar).
    """

    def __init__(self, timeframe_minutes: int, *, anchor: str = "09:15") -> None:
        self.timeframe_minutes = check_timeframe(timeframe_minutes)
        self.period_ns = timeframe_minutes * NS_PER_MINUTE
        self._origin_ns = parse_anchor(anchor) * NS_PER_MINUTE - IST_OFFSET_NS
        self._streams: dict[str, _Stream] = {}
        self.stale_ticks = 0

    def bar_start(self, ts_ns: int) -> int:
        """Open time (epoch ns) of the bar interval that contains `ts_ns`."""
        return ts_ns - (ts_ns - self._origin_ns) % self.period_ns

    def on_tick(self, tick: Tick) -> list[Bar]:
        """Add `tick` to its instrument's bar; return the bars this tick completed."""
        stream = self._streams.get(tick.instrument_key)
        if stream is None:
            stream = self._streams[tick.instrument_key] = _Stream()
        ts = tick.ts
        if ts < stream.floor:
            self.stale_ticks += 1
            return []
        completed: list[Bar] = []
        start = self.bar_start(ts)
        bar = stream.bar
        if bar is not None and start > bar.start:
            completed.append(self._emit(tick.instrument_key, stream))
            bar = None
        volume = self._volume(stream, tick)
        price = float(tick.last_price)
        if bar is None:
            stream.bar = _Building(start, price, price, price, price, volume, ts)
            stream.floor = start
            return completed
        bar.volume += volume
        if price > bar.high:
            bar.high = price
        elif price < bar.low:
            bar.low = price
        if ts >= bar.last_ts:  # a late tick within the bar shapes high/low, not the close
            bar.close = price
            bar.last_ts = ts
        return completed

    def flush(self, now_ns: int) -> list[Bar]:
        """Complete and return every open bar whose interval has ended by `now_ns`."""
        completed: list[Bar] = []
        for key, stream in self._streams.items():
            bar = stream.bar
            if bar is not None and bar.start + self.period_ns <= now_ns:
                completed.append(self._emit(key, stream))
        return completed

    def accept_backfill(self, bars: Iterable[Bar], until_ns: int) -> list[Bar]:
        """Bars fetched from history to fill a gap in the ticks (a dropped feed): returns,
        in order, the ones to hand out — each complete by `until_ns`, on this grid, after the
        last bar already handed out for its instrument and before the one being built from
        live ticks. A bar still open from before the gap is completed first, since history
        proves later trading. Ticks older than the last accepted bar's end become stale, and
        the next tick's volume counts from itself (the gap's volume is in the history)."""
        out: list[Bar] = []
        period = self.period_ns
        for bar in sorted(bars, key=lambda b: (b.ts, b.instrument_key)):
            if bar.ts != self.bar_start(bar.ts) or bar.ts + period > until_ns:
                continue
            stream = self._streams.get(bar.instrument_key)
            if stream is None:
                stream = self._streams[bar.instrument_key] = _Stream()
            if bar.ts < stream.handed_until:
                continue
            building = stream.bar
            if building is not None:
                if building.start == bar.ts:
                    continue  # live ticks are building this interval; they complete it
                if building.start < bar.ts:
                    out.append(self._emit(bar.instrument_key, stream))
            out.append(self._accept(stream, bar))
        return out

    def _accept(self, stream: _Stream, bar: Bar) -> Bar:
        end = bar.ts + self.period_ns
        stream.handed_until = end
        stream.cum = -1  # the gap's volume is in the history bars: the counter starts afresh
        if stream.bar is None:
            stream.floor = max(stream.floor, end)
        return Bar(bar.instrument_key, bar.ts, bar.open, bar.high, bar.low, bar.close, bar.volume)

    def pending(self, instrument_key: str) -> Bar | None:
        """A copy of the instrument's bar under construction (None if there is none)."""
        stream = self._streams.get(instrument_key)
        if stream is None or stream.bar is None:
            return None
        b = stream.bar
        return Bar(instrument_key, b.start, b.open, b.high, b.low, b.close, b.volume)

    @property
    def instruments(self) -> list[str]:
        """Instrument keys seen so far, in order of their first tick."""
        return list(self._streams)

    def _emit(self, key: str, stream: _Stream) -> Bar:
        b = stream.bar
        assert b is not None
        stream.bar = None
        stream.floor = stream.handed_until = b.start + self.period_ns
        return Bar(key, b.start, b.open, b.high, b.low, b.close, b.volume)

    @staticmethod
    def _volume(stream: _Stream, tick: Tick) -> float:
        """This tick's share of traded volume (see the module docstring for the rules)."""
        cum = tick.volume
        own = max(tick.last_qty, 0)
        if cum <= 0:
            return float(own)
        day = ist_day_number(tick.ts)
        if stream.cum < 0:
            delta = min(own, cum)
        elif tick.ts < stream.cum_ts or day < stream.cum_day:
            # An out-of-order tick: count only growth the later readings have not shown.
            delta = max(cum - stream.cum, 0)
            stream.cum = max(cum, stream.cum)
            return float(delta)
        elif day != stream.cum_day or cum < stream.cum:
            delta = cum  # the counter restarted (new day or broker reset)
        else:
            delta = cum - stream.cum
        stream.cum, stream.cum_ts, stream.cum_day = cum, tick.ts, day
        return float(delta)
