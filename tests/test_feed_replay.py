"""ReplayFeed: pacing (recorded by an injected sleep), fast mode, resuming, closing."""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
import pytest

from scalpbot.data import load_bars, sample_path
from scalpbot.data.feeds import MAX_GAP_SECONDS, Feed, ReplayFeed
from scalpbot.data.series import BarSeries
from scalpbot.domain import Bar, ConfigError

KEY = "NSE:INFY"
T0 = 1_740_973_500_000_000_000  # 2025-03-03 09:15 IST


def series(gaps_seconds: list[int]) -> BarSeries:
    offsets = np.concatenate(([0], np.cumsum(gaps_seconds))).astype(np.int64)
    n = len(offsets)
    close = 100.0 + np.arange(n, dtype=np.float64)
    return BarSeries(
        T0 + offsets * 1_000_000_000,
        close - 0.5,
        close + 1.0,
        close - 1.0,
        close,
        np.full(n, 10.0),
        "test",
    )


class RecordingSleep:
    """Stands in for asyncio.sleep: notes each requested wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def collect(feed: ReplayFeed) -> list[Bar]:
    return [bar async for bar in feed.events()]


def test_paced_replay_waits_the_scaled_gap_capped_for_overnight_gaps() -> None:
    sleep = RecordingSleep()
    feed = ReplayFeed(series([20, 60, 18 * 3600, 40]), KEY, speed=2, sleep=sleep)
    bars = asyncio.run(collect(feed))
    assert len(bars) == 5
    cap = MAX_GAP_SECONDS / 2
    assert sleep.waits == [10.0, 30.0, cap, 20.0]
    assert feed.index == 4


def test_fast_replay_yields_every_bar_in_order_as_new_objects() -> None:
    data = series([60] * 9)
    sleep = RecordingSleep()
    feed = ReplayFeed(data, KEY, speed=None, sleep=sleep)
    assert feed.index == -1
    bars = asyncio.run(collect(feed))
    assert sleep.waits == []
    assert [b.ts for b in bars] == data.ts.tolist()
    assert [b.close for b in bars] == data.close.tolist()
    assert all(b.instrument_key == KEY and b.volume == 10.0 for b in bars)
    assert len({id(b) for b in bars}) == len(bars)
    assert isinstance(feed, Feed)


def test_start_index_resumes_at_that_bar() -> None:
    data = series([60] * 9)
    sleep = RecordingSleep()
    feed = ReplayFeed(data, KEY, speed=None, start_index=6, sleep=sleep)
    assert feed.index == 5
    bars = asyncio.run(collect(feed))
    assert [b.ts for b in bars] == data.ts[6:].tolist()
    assert feed.index == 9
    paced = ReplayFeed(data, KEY, speed=60, start_index=8, sleep=sleep)
    assert len(asyncio.run(collect(paced))) == 2
    assert sleep.waits == [1.0]  # no wait before the first resumed bar
    assert asyncio.run(collect(ReplayFeed(data, KEY, speed=None, start_index=10))) == []


def test_fast_replay_leaves_the_loop_to_other_tasks() -> None:
    data = series([60] * 2_000)

    async def run() -> int:
        turns = 0
        done = False

        async def other_task() -> None:
            nonlocal turns
            while not done:
                turns += 1
                await asyncio.sleep(0)

        helper = asyncio.create_task(other_task())
        await asyncio.sleep(0)
        started = turns
        async for _ in ReplayFeed(data, KEY, speed=None).events():
            pass
        done = True
        await helper
        return turns - started

    assert asyncio.run(run()) >= 2_000 // 256


def test_close_cuts_a_long_wait_short() -> None:
    feed = ReplayFeed(series([3600, 3600]), KEY, speed=1)  # real asyncio.sleep: 60 s waits

    async def run() -> list[Bar]:
        got: list[Bar] = []

        async def consume() -> None:
            async for bar in feed.events():
                got.append(bar)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.05)
        await feed.close()
        await asyncio.wait_for(task, timeout=5)
        return got

    began = time.monotonic()
    got = asyncio.run(run())
    assert len(got) == 1
    assert time.monotonic() - began < 5


def test_replays_a_file() -> None:
    path = sample_path("GOOG.csv")
    feed = ReplayFeed.from_file(path, "NASDAQ:GOOG", speed=None)
    bars = asyncio.run(collect(feed))
    loaded = load_bars(path)
    assert len(bars) == len(loaded)
    assert bars[-1].ts == int(loaded.ts[-1]) and bars[-1].close == float(loaded.close[-1])


@pytest.mark.parametrize("speed", [0, -1.0, math.nan, True, "fast"])
def test_bad_speed_is_refused(speed: object) -> None:
    with pytest.raises(ConfigError, match="speed"):
        ReplayFeed(series([60]), KEY, speed=speed)  # type: ignore[arg-type]


def test_bad_start_index_or_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="start_index"):
        ReplayFeed(series([60]), KEY, speed=None, start_index=3)
    with pytest.raises(ConfigError, match="start_index"):
        ReplayFeed(series([60]), KEY, speed=None, start_index=-1)
    with pytest.raises(ConfigError, match="instrument key"):
        ReplayFeed(series([60]), "", speed=None)


def test_infinite_speed_means_no_pacing() -> None:
    sleep = RecordingSleep()
    feed = ReplayFeed(series([60, 60]), KEY, speed=math.inf, sleep=sleep)
    assert feed.speed is None
    assert len(asyncio.run(collect(feed))) == 3 and sleep.waits == []
