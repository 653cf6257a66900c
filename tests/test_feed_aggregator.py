"""BarAggregator: the 09:15 grid, completion by tick and by timer, volume, stale ticks."""

from __future__ import annotations

from datetime import datetime

import pytest

from scalpbot.data.aggregator import BarAggregator
from scalpbot.domain import IST, Bar, ConfigError, Tick, datetime_to_ns

KEY = "NSE:INFY"


def at(hh: int, mm: int, ss: int = 0, day: int = 3) -> int:
    return datetime_to_ns(datetime(2025, 3, day, hh, mm, ss, tzinfo=IST))


def tick(ts: int, price: float, *, volume: int = 0, qty: int = 0, key: str = KEY) -> Tick:
    return Tick(key, ts, price, last_qty=qty, volume=volume)


@pytest.mark.parametrize(
    ("minutes", "moment", "expected"),
    [
        (1, (9, 15, 0), (9, 15)),
        (1, (9, 14, 59), (9, 14)),
        (3, (9, 15, 0), (9, 15)),
        (3, (9, 17, 59), (9, 15)),
        (3, (9, 18, 0), (9, 18)),
        (3, (9, 14, 59), (9, 12)),
        (3, (15, 29, 0), (15, 27)),
        (5, (9, 19, 59), (9, 15)),
        (5, (9, 20, 0), (9, 20)),
        (5, (9, 7, 30), (9, 5)),
        (15, (9, 29, 59), (9, 15)),
        (15, (10, 2, 0), (10, 0)),
        (15, (9, 59, 59), (9, 45)),
        (15, (9, 10, 0), (9, 0)),
    ],
)
def test_bar_start_is_on_the_grid_anchored_at_0915(
    minutes: int, moment: tuple[int, int, int], expected: tuple[int, int]
) -> None:
    agg = BarAggregator(minutes)
    assert agg.bar_start(at(*moment)) == at(*expected)


@pytest.mark.parametrize("minutes", [1, 3, 5, 15])
def test_a_tick_exactly_on_the_boundary_completes_the_bar_and_opens_the_next(
    minutes: int,
) -> None:
    agg = BarAggregator(minutes)
    end = at(9, 15) + minutes * 60 * 10**9
    assert agg.on_tick(tick(at(9, 15), 100.0)) == []
    assert agg.on_tick(tick(end - 1, 101.0)) == []  # 1 ns before the boundary: same bar
    done = agg.on_tick(tick(end, 102.0))
    assert done == [Bar(KEY, at(9, 15), 100.0, 101.0, 100.0, 101.0, 0.0)]
    pending = agg.pending(KEY)
    assert pending is not None and pending.ts == end and pending.open == 102.0


def test_ohlc_follow_the_ticks_and_gaps_make_no_empty_bars() -> None:
    agg = BarAggregator(5)
    for ts, price in [((9, 15, 1), 100.0), ((9, 16), 103.5), ((9, 17), 98.25), ((9, 19), 99.0)]:
        assert agg.on_tick(tick(at(*ts), price)) == []
    done = agg.on_tick(tick(at(9, 31), 97.0))  # 09:20 and 09:25 had no ticks
    assert done == [Bar(KEY, at(9, 15), 100.0, 103.5, 98.25, 99.0, 0.0)]
    assert agg.flush(at(9, 40)) == [Bar(KEY, at(9, 30), 97.0, 97.0, 97.0, 97.0, 0.0)]


def test_volume_is_the_growth_of_the_cumulative_counter() -> None:
    agg = BarAggregator(1)
    # First reading: what traded before we listened belongs to no bar; only this trade counts.
    agg.on_tick(tick(at(10, 0, 5), 100.0, volume=50_000, qty=100))
    agg.on_tick(tick(at(10, 0, 30), 100.5, volume=50_600, qty=200))
    done = agg.on_tick(tick(at(10, 1, 2), 101.0, volume=51_000, qty=400))
    assert [b.volume for b in done] == [700.0]
    agg.on_tick(tick(at(10, 1, 40), 101.0, volume=51_250, qty=250))
    assert [b.volume for b in agg.flush(at(10, 2))] == [650.0]


def test_volume_restarts_with_the_daily_reset_of_the_counter() -> None:
    agg = BarAggregator(5)
    agg.on_tick(tick(at(15, 26, day=3), 100.0, volume=9_000_000, qty=10))
    agg.on_tick(tick(at(15, 29, 59, day=3), 100.0, volume=9_004_000, qty=10))
    # Next morning the broker's counter starts again from zero.
    done = agg.on_tick(tick(at(9, 15, 2, day=4), 104.0, volume=3_000, qty=3_000))
    assert [(b.ts, b.volume) for b in done] == [(at(15, 25, day=3), 4_010.0)]
    agg.on_tick(tick(at(9, 16, day=4), 104.5, volume=5_500, qty=100))
    assert [b.volume for b in agg.flush(at(9, 20, day=4))] == [5_500.0]


def test_a_counter_reset_within_the_day_counts_the_new_reading_whole() -> None:
    agg = BarAggregator(5)
    agg.on_tick(tick(at(11, 0), 100.0, volume=80_000, qty=500))
    agg.on_tick(tick(at(11, 1), 100.0, volume=81_000, qty=500))
    agg.on_tick(tick(at(11, 2), 100.0, volume=700, qty=100))  # broker reconnected, counter reset
    agg.on_tick(tick(at(11, 3), 100.0, volume=900, qty=200))
    assert [b.volume for b in agg.flush(at(11, 5))] == [500.0 + 1_000 + 700 + 200]


def test_without_cumulative_volume_the_trade_sizes_are_summed() -> None:
    agg = BarAggregator(3)
    for second, qty in [(0, 25), (20, 75), (50, 0), (70, 10)]:
        agg.on_tick(tick(at(9, 15) + second * 10**9, 200.0, qty=qty))
    assert [b.volume for b in agg.flush(at(9, 18))] == [110.0]


def test_flush_completes_only_bars_whose_interval_has_ended() -> None:
    agg = BarAggregator(5)
    agg.on_tick(tick(at(9, 21), 50.0))
    assert agg.flush(at(9, 24, 59)) == []
    assert agg.flush(at(9, 25)) == [Bar(KEY, at(9, 20), 50.0, 50.0, 50.0, 50.0, 0.0)]
    assert agg.flush(at(9, 30)) == []  # nothing open any more
    assert agg.pending(KEY) is None
    # A straggler of the flushed interval cannot reopen a bar already handed out.
    assert agg.on_tick(tick(at(9, 24, 50), 49.0)) == []
    assert agg.stale_ticks == 1
    agg.on_tick(tick(at(9, 25, 1), 51.0))
    assert agg.flush(at(9, 30)) == [Bar(KEY, at(9, 25), 51.0, 51.0, 51.0, 51.0, 0.0)]


def test_ticks_older_than_the_current_bar_are_dropped_and_counted() -> None:
    agg = BarAggregator(1)
    agg.on_tick(tick(at(9, 15, 10), 10.0, volume=1_000, qty=10))
    agg.on_tick(tick(at(9, 16, 5), 11.0, volume=1_100, qty=100))
    assert agg.on_tick(tick(at(9, 15, 50), 9.0, volume=1_050, qty=50)) == []
    assert agg.on_tick(tick(at(9, 14, 0), 9.0)) == []
    assert agg.stale_ticks == 2
    # Late but inside the current bar: it can set the high/low, not the close or the volume.
    agg.on_tick(tick(at(9, 16, 30), 11.5, volume=1_300, qty=200))
    agg.on_tick(tick(at(9, 16, 20), 12.0, volume=1_200, qty=100))
    assert agg.flush(at(9, 17)) == [Bar(KEY, at(9, 16), 11.0, 12.0, 11.0, 11.5, 300.0)]


def test_each_instrument_has_its_own_bars() -> None:
    agg = BarAggregator(5)
    keys = ["NSE:INFY", "NSE:SBIN", "NFO:NIFTY-I"]
    done: list[Bar] = []
    for minute in range(15, 30):
        for n, key in enumerate(keys):
            if key == "NSE:SBIN" and minute >= 20:
                continue  # SBIN goes quiet after 09:20
            done += agg.on_tick(tick(at(9, minute), 100.0 * (n + 1) + minute, qty=n + 1, key=key))
    assert agg.instruments == keys
    assert [(b.instrument_key, b.ts) for b in done] == [
        ("NSE:INFY", at(9, 15)),
        ("NFO:NIFTY-I", at(9, 15)),
        ("NSE:INFY", at(9, 20)),
        ("NFO:NIFTY-I", at(9, 20)),
    ]
    # The timer completes SBIN's 09:15 bar, held back by the silence, with the others' last.
    rest = agg.flush(at(9, 30))
    assert rest == [
        Bar("NSE:INFY", at(9, 25), 125.0, 129.0, 125.0, 129.0, 5.0),
        Bar("NSE:SBIN", at(9, 15), 215.0, 219.0, 215.0, 219.0, 10.0),
        Bar("NFO:NIFTY-I", at(9, 25), 325.0, 329.0, 325.0, 329.0, 15.0),
    ]
    assert len({id(b) for b in done + rest}) == len(done + rest)  # new objects, never reused


def test_bad_settings_are_refused() -> None:
    for minutes in (0, 2, 10, 60, 5.0, "5"):
        with pytest.raises(ConfigError, match="timeframe"):
            BarAggregator(minutes)  # type: ignore[arg-type]
    for anchor in ("9:15am", "24:00", "09:60", "0915", ""):
        with pytest.raises(ConfigError, match="anchor"):
            BarAggregator(5, anchor=anchor)


def test_a_different_anchor_moves_the_grid() -> None:
    agg = BarAggregator(15, anchor="09:00")
    assert agg.bar_start(at(9, 20)) == at(9, 15)
    assert BarAggregator(15, anchor="09:10").bar_start(at(9, 20)) == at(9, 10)
