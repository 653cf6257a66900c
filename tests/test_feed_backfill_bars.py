"""BarAggregator.accept_backfill: history fills a gap in the ticks, in order, and never twice."""

from __future__ import annotations

from datetime import datetime

from scalpbot.data.aggregator import BarAggregator
from scalpbot.domain import IST, Bar, Tick, datetime_to_ns

KEY = "NSE:INFY"


def at(hh: int, mm: int, ss: int = 0) -> int:
    return datetime_to_ns(datetime(2025, 3, 3, hh, mm, ss, tzinfo=IST))


def history(*minutes: int, key: str = KEY) -> list[Bar]:
    return [Bar(key, at(10, m), 100.0 + m, 101.0 + m, 99.0 + m, 100.5 + m, 10.0) for m in minutes]


def starts(bars: list[Bar]) -> list[int]:
    return [(b.ts - at(10, 0)) // 60_000_000_000 for b in bars]


def test_a_gap_is_filled_between_the_last_bar_out_and_the_one_being_built() -> None:
    agg = BarAggregator(1)
    assert agg.on_tick(Tick(KEY, at(10, 0, 10), 100.0)) == []
    out = agg.on_tick(Tick(KEY, at(10, 1, 5), 100.0))  # 10:00 handed out
    assert starts(out) == [0]
    # The feed dropped at 10:01:05 and the first tick after it came at 10:05:20, held back.
    filled = agg.accept_backfill(history(0, 1, 2, 3, 4, 5), until_ns=at(10, 5, 20))
    # 10:00 was already handed out; 10:01 was open from before the gap and is completed first
    # (from its live ticks), then 10:02..10:04 from history; 10:05 is not complete yet.
    assert starts(filled) == [1, 2, 3, 4]
    assert filled[0].close == 100.0 and filled[1].close == 102.5
    assert agg.on_tick(Tick(KEY, at(10, 5, 20), 101.0)) == []
    assert starts(agg.on_tick(Tick(KEY, at(10, 6, 0), 101.0))) == [5]
    # The same history again (a second backfill) changes nothing.
    assert agg.accept_backfill(history(2, 3, 4), until_ns=at(10, 6, 0)) == []


def test_history_never_overrides_the_bar_live_ticks_are_building() -> None:
    agg = BarAggregator(1)
    agg.on_tick(Tick(KEY, at(10, 0, 10), 100.0))
    agg.flush(at(10, 1))
    agg.on_tick(Tick(KEY, at(10, 4, 30), 104.0))  # ticks again before history arrived
    filled = agg.accept_backfill(history(1, 2, 3, 4), until_ns=at(10, 5))
    assert starts(filled) == [1, 2, 3]
    assert agg.pending(KEY) is not None and agg.pending(KEY).open == 104.0  # type: ignore[union-attr]


def test_late_ticks_of_a_backfilled_minute_are_stale_and_volume_restarts() -> None:
    agg = BarAggregator(1)
    agg.on_tick(Tick(KEY, at(10, 0, 10), 100.0, volume=1_000))
    agg.accept_backfill(history(1, 2), until_ns=at(10, 3))
    assert agg.on_tick(Tick(KEY, at(10, 2, 30), 99.0, volume=5_000)) == []
    assert agg.stale_ticks == 1
    agg.on_tick(Tick(KEY, at(10, 3, 1), 100.0, volume=6_000, last_qty=7))
    bar = agg.flush(at(10, 4))[0]
    assert bar.volume == 7.0  # not 5,000: the gap's volume is in the history bars


def test_bars_off_the_grid_or_not_yet_complete_are_refused() -> None:
    agg = BarAggregator(5)
    odd = Bar(KEY, at(10, 2), 1.0, 1.0, 1.0, 1.0, 1.0)  # a 5-minute bar must start on :00/:05
    later = Bar(KEY, at(10, 5), 1.0, 1.0, 1.0, 1.0, 1.0)
    assert agg.accept_backfill([odd, later], until_ns=at(10, 9, 59)) == []
    assert [b.ts for b in agg.accept_backfill([later], until_ns=at(10, 10))] == [at(10, 5)]


def test_bars_of_several_instruments_come_out_in_time_order() -> None:
    agg = BarAggregator(1)
    bars = history(3, 1, 2, key="NSE:SBIN") + history(2, 1, 3)
    filled = agg.accept_backfill(bars, until_ns=at(10, 10))
    assert [(b.ts, b.instrument_key) for b in filled] == sorted(
        (b.ts, b.instrument_key) for b in bars
    )
