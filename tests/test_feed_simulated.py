"""The seeded simulated NSE market: determinism, tick grid, quotes, hours, rollover, history."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

import numpy as np
import pytest

from scalpbot.data.aggregator import BarAggregator
from scalpbot.data.feeds import Feed
from scalpbot.data.simulated import SimulatedFeed, simulated_instruments
from scalpbot.data.simulated import days as sim_days
from scalpbot.domain import IST, Bar, ConfigError, Exchange, InstrumentType, Tick
from scalpbot.market import TradingCalendar, get_calendar, is_on_tick, to_decimal

MINUTE_MS = 60_000
NS = 1_000_000_000


def take(feed: SimulatedFeed, count: int) -> list[Tick]:
    async def run() -> list[Tick]:
        ticks: list[Tick] = []
        async for tick in feed.events():
            ticks.append(tick)
            if len(ticks) == count:
                break
        await feed.close()
        return ticks

    return asyncio.run(run())


def fields(tick: Tick) -> tuple[object, ...]:
    return tuple(getattr(tick, name) for name in Tick.__slots__)


def test_instrument_table_has_real_contract_facts() -> None:
    table = simulated_instruments()
    assert {"NSE:RELIANCE", "NSE:INFY", "NSE:HDFCBANK", "NSE:TCS", "NSE:SBIN"} < set(table)
    for key, inst in table.items():
        assert inst.key == key
        if inst.exchange is Exchange.NSE:
            assert inst.instrument_type is InstrumentType.EQ and inst.lot_size == 1
    nifty = table["NFO:NIFTY-I"]
    assert nifty.instrument_type is InstrumentType.FUT
    assert (nifty.lot_size, nifty.tick_size) == (65, Decimal("0.10"))


def test_same_seed_and_start_give_the_same_ticks() -> None:
    start = datetime(2025, 3, 5, 11, 0)
    first = take(SimulatedFeed(seed=3, start=start, speed=None), 600)
    again = take(SimulatedFeed(seed=3, start=start, speed=None), 600)
    other = take(SimulatedFeed(seed=4, start=start, speed=None), 600)
    assert [fields(t) for t in first] == [fields(t) for t in again]
    assert [t.last_price for t in first] != [t.last_price for t in other]
    assert (
        first[0].ts == first[5].ts == int(datetime(2025, 3, 5, 11, 0, tzinfo=IST).timestamp()) * NS
    )
    assert [t.instrument_key for t in first[:6]] == list(simulated_instruments())


def test_prices_sit_on_the_tick_grid_with_bid_below_ask() -> None:
    table = simulated_instruments()
    feed = SimulatedFeed(
        seed=11, start=datetime(2025, 3, 3, 9, 15), speed=None, tick_interval_ms=MINUTE_MS
    )
    ticks = take(feed, 6 * 375 * 2)
    for t in ticks:
        size = table[t.instrument_key].tick_size
        assert t.bid is not None and t.ask is not None
        for price in (t.last_price, t.bid, t.ask):
            assert is_on_tick(to_decimal(price), size), t
        assert 0 < t.bid < t.ask and t.last_price in (t.bid, t.ask)
        assert 1 <= round((t.ask - t.bid) / float(size)) <= 3
        assert t.bid_qty > 0 and t.ask_qty > 0 and t.last_qty >= 0
        assert t.last_qty % table[t.instrument_key].lot_size == 0


def test_ticks_only_in_session_hours_and_the_day_rolls_over() -> None:
    calendar = get_calendar(Exchange.NSE)
    assert calendar.is_holiday(date(2025, 3, 14))  # Holi: the market is shut that Friday
    feed = SimulatedFeed(
        ["NSE:SBIN", "NSE:TCS"],
        seed=5,
        start=datetime(2025, 3, 13, 15, 0),
        speed=None,
        tick_interval_ms=MINUTE_MS,
    )
    ticks = take(feed, 2 * (30 + 375 + 10))
    days = sorted({t.time.date() for t in ticks})
    assert days == [date(2025, 3, 13), date(2025, 3, 17), date(2025, 3, 18)]
    for t in ticks:
        assert time(9, 15) <= t.time.time() < time(15, 30)
    sbin = [t for t in ticks if t.instrument_key == "NSE:SBIN"]
    close, open_ = sbin[29], sbin[30]  # 15:29 Thursday, then 09:15 Monday
    assert close.time == datetime(2025, 3, 13, 15, 29, tzinfo=IST)
    assert open_.time == datetime(2025, 3, 17, 9, 15, tzinfo=IST)
    assert open_.volume == open_.last_qty < close.volume  # the day's counter restarted
    assert all(b.volume >= a.volume for a, b in pairwise(sbin[30:405]))
    assert feed.day == date(2025, 3, 18)


def test_overnight_gaps_and_a_moving_price() -> None:
    feed = SimulatedFeed(
        ["NSE:RELIANCE"],
        seed=9,
        start=datetime(2025, 6, 2, 9, 15),
        speed=None,
        tick_interval_ms=MINUTE_MS,
    )
    ticks = take(feed, 375 * 5)
    closes = [ticks[i].last_price for i in range(374, len(ticks), 375)]
    opens = [ticks[i].last_price for i in range(375, len(ticks), 375)]
    assert all(o != c for o, c in zip(opens, closes, strict=False))
    prices = np.array([t.last_price for t in ticks])
    assert 1200 < prices.min() < prices.max() < 1800  # around RELIANCE's level, moving
    assert len(set(prices.tolist())) > 200


def test_volatility_is_u_shaped_over_the_day() -> None:
    first = last = midday = 0.0
    for seed in (1, 2):
        feed = SimulatedFeed(seed=seed, start=datetime(2025, 6, 2, 9, 15), speed=None)
        for key in feed.instruments:
            closes = np.log(feed.history(key, 375 * 10, 1).close).reshape(10, 375)
            returns = np.diff(closes, axis=1)  # within each day: no overnight gaps
            first += float((returns[:, :29] ** 2).mean())
            last += float((returns[:, -30:] ** 2).mean())
            midday += float((returns[:, 150:180] ** 2).mean())  # about 11:45 to 12:15
    assert first > 1.3 * midday
    assert last > 1.3 * midday


def test_history_matches_the_bars_of_the_feed_before_start() -> None:
    step = 15_000
    day_one = SimulatedFeed(
        ["NSE:INFY", "NFO:NIFTY-I"],
        seed=2,
        speed=None,
        start=datetime(2025, 3, 4, 9, 15),
        tick_interval_ms=step,
    )
    agg = BarAggregator(5)
    built: list[Bar] = []
    for t in take(day_one, 2 * 4 * 375):
        built += agg.on_tick(t)
    built += agg.flush(datetime_ns(datetime(2025, 3, 4, 15, 30)))
    day_two = SimulatedFeed(
        ["NSE:INFY", "NFO:NIFTY-I"],
        seed=2,
        speed=None,
        start=datetime(2025, 3, 5, 9, 15),
        tick_interval_ms=step,
    )
    for key in day_two.instruments:
        hist = day_two.history(key, 75, 5)
        mine = [b for b in built if b.instrument_key == key]
        assert len(hist) == len(mine) == 75
        assert hist.ts.tolist() == [b.ts for b in mine]
        for column in ("open", "high", "low", "close", "volume"):
            assert getattr(hist, column).tolist() == [getattr(b, column) for b in mine]


@pytest.mark.parametrize("minutes", [1, 3, 5, 15])
def test_history_length_and_alignment(minutes: int) -> None:
    feed = SimulatedFeed(["NSE:TCS"], seed=7, start=datetime(2025, 3, 17, 10, 7, 30))
    hist = feed.history("NSE:TCS", 200, minutes)
    assert len(hist) == 200
    assert np.all(np.diff(hist.ts) > 0)
    anchor = int(datetime(2025, 3, 17, 9, 15, tzinfo=IST).timestamp()) * NS
    assert np.all((hist.ts - anchor) % (minutes * 60 * NS) == 0)
    assert int(hist.ts[-1]) + minutes * 60 * NS <= feed.start_ns  # only complete bars
    assert int(hist.ts[-1]) + 2 * minutes * 60 * NS > feed.start_ns  # and the latest of them
    for ts in hist.ts.tolist():
        moment = datetime.fromtimestamp(ts / NS, IST)
        assert time(9, 15) <= moment.time() < time(15, 30) and moment.weekday() < 5
    assert np.all(hist.low <= np.minimum(hist.open, hist.close))
    assert np.all(hist.high >= np.maximum(hist.open, hist.close))
    assert len(feed.history("NSE:TCS", 0, 5)) == 0


def test_bad_history_requests_are_refused() -> None:
    feed = SimulatedFeed(["NSE:TCS"], start=datetime(2025, 3, 17, 9, 15))
    with pytest.raises(ConfigError, match="NSE:INFY"):
        feed.history("NSE:INFY", 10, 5)
    with pytest.raises(ConfigError, match="timeframe"):
        feed.history("NSE:TCS", 10, 2)
    with pytest.raises(ConfigError, match="bars"):
        feed.history("NSE:TCS", -1, 5)


def test_start_moves_to_the_next_step_of_a_session() -> None:
    def start_of(moment: datetime) -> datetime:
        return SimulatedFeed(["NSE:SBIN"], start=moment, tick_interval_ms=MINUTE_MS).start

    assert start_of(datetime(2025, 3, 17, 10, 0, 20)) == datetime(2025, 3, 17, 10, 1, tzinfo=IST)
    assert start_of(datetime(2025, 3, 17, 8, 0)) == datetime(2025, 3, 17, 9, 15, tzinfo=IST)
    assert start_of(datetime(2025, 3, 17, 15, 30)) == datetime(2025, 3, 18, 9, 15, tzinfo=IST)
    assert start_of(datetime(2025, 3, 15, 12, 0)) == datetime(2025, 3, 17, 9, 15, tzinfo=IST)
    in_utc = datetime(2025, 3, 17, 4, 30, tzinfo=UTC)  # 10:00 IST, on the step grid
    assert start_of(in_utc) == datetime(2025, 3, 17, 10, 0, tzinfo=IST)


def test_default_start_is_the_latest_trading_day_open() -> None:
    feed = SimulatedFeed(["NSE:INFY"])
    today = datetime.now(IST).date()
    assert feed.start.time() == time(9, 15)
    assert today - timedelta(days=10) < feed.start.date() <= today


def test_pacing_sleeps_tick_interval_over_speed() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    feed = SimulatedFeed(
        ["NSE:INFY", "NSE:SBIN"],
        start=datetime(2025, 3, 17, 9, 15),
        speed=20,
        tick_interval_ms=500,
        sleep=sleep,
    )
    assert isinstance(feed, Feed)
    ticks = take(feed, 8)
    assert waits == [0.025, 0.025, 0.025]  # after each full step; the 4th step is cut by close
    assert [t.ts - ticks[0].ts for t in ticks[::2]] == [0, NS // 2, NS, 3 * NS // 2]


def test_outside_the_calendar_it_falls_back_to_weekdays(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sim_days, "_warned", False)
    short = TradingCalendar("TEST", [date(2025, 12, 25)], date(2025, 1, 1), date(2025, 12, 31))
    with caplog.at_level(logging.WARNING):
        feed = SimulatedFeed(
            ["NSE:INFY"],
            start=datetime(2025, 12, 31, 15, 29),
            speed=None,
            tick_interval_ms=MINUTE_MS,
            calendar=short,
        )
        ticks = take(feed, 3)
    new_year = date(2026, 1, 1)  # a Thursday, beyond the calendar given
    assert [t.time.date() for t in ticks] == [date(2025, 12, 31), new_year, new_year]
    warnings = [r for r in caplog.records if "Monday-Friday" in r.getMessage()]
    assert len(warnings) == 1


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ConfigError, match="NSE:NOPE"):
        SimulatedFeed(["NSE:NOPE"])
    with pytest.raises(ConfigError, match="tick_interval_ms"):
        SimulatedFeed(tick_interval_ms=0)
    with pytest.raises(ConfigError, match="speed"):
        SimulatedFeed(speed=-2)
    with pytest.raises(ConfigError, match="seed"):
        SimulatedFeed(seed=-1)


def datetime_ns(moment: datetime) -> int:
    return int(moment.replace(tzinfo=IST).timestamp()) * NS


def test_a_new_iteration_continues_where_the_last_one_stopped() -> None:
    start = datetime(2025, 3, 17, 9, 15)
    whole = take(SimulatedFeed(seed=8, start=start, speed=None), 9)
    feed = SimulatedFeed(seed=8, start=start, speed=None)

    async def pieces() -> list[Tick]:
        got: list[Tick] = []
        for stop in (4, 9):  # the first stop falls mid-step (6 instruments per step)
            async for tick in feed.events():
                got.append(tick)
                if len(got) == stop:
                    break
        return got

    assert [fields(t) for t in asyncio.run(pieces())] == [fields(t) for t in whole]
