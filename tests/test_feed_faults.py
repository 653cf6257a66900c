"""Feed faults against the Kite sandbox, through our real ticker client and `BrokerFeed`:

* the ticker is unreachable for a while (connections closed, new ones refused with HTTP 503)
  while the market trades on: the feed is back within 5 s of the server, and the bars of the
  missed minutes come from the broker's history before any tick that followed the gap, so the
  bars a session builds have no hole;
* garbage and truncated binary frames: each is counted and skipped, the connection stays up and
  ticks keep flowing.

(A connected-but-silent feed and a token expiring mid-session are in test_zerodha_live.py.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox_support import API_KEY, control, logged_in_broker, running_sandbox
from scalpbot.brokers.zerodha.ticker_client import KiteTickerClient
from scalpbot.data.aggregator import BarAggregator
from scalpbot.data.feeds import Backfill
from scalpbot.domain import Bar, Order, Tick
from scalpbot.runtime.broker_feed import BrokerFeed
from scalpbot.sandbox.zerodha.server import SandboxServer

KEYS = ["NSE:INFY", "NSE:SBIN"]
MINUTE = 60_000_000_000


@pytest.fixture()
def sandbox() -> Iterator[SandboxServer]:
    with running_sandbox(time_scale=60) as server:  # a wall second is an exchange minute
        yield server


class Relay:
    """The stream handler a session would use: ticks and connection news to the feed."""

    def __init__(self, feed: BrokerFeed) -> None:
        self.feed = feed
        self.status: list[tuple[float, bool, str]] = []

    def on_ticks(self, ticks: list[Tick]) -> None:
        self.feed.push(ticks)

    def on_order(self, order: Order) -> None:
        return None

    def on_status(self, connected: bool, message: str) -> None:
        self.status.append((time.monotonic(), connected, message))
        self.feed.on_status(connected, message)


def _wired(sandbox: SandboxServer, tmp_path: Path) -> tuple[BrokerFeed, KiteTickerClient, Relay]:
    broker = logged_in_broker(sandbox, tmp_path)

    def history(key: str, start: datetime, end: datetime) -> Sequence[Bar]:
        exchange, symbol = key.split(":")
        return broker.get_historical_data(symbol, exchange, "minute", start, end)

    feed = BrokerFeed(KEYS, history=history)
    relay = Relay(feed)
    client = KiteTickerClient(
        API_KEY, broker.session.token(), relay, url=sandbox.ws_url, master=broker.master
    )
    feed.attach(client)
    return feed, client, relay


async def _collect(feed: BrokerFeed, events: list[Any], until: Any, timeout: float = 30.0) -> None:
    async def read() -> None:
        async for event in feed.events():
            events.append(event)
            if until(events):
                return

    try:
        await asyncio.wait_for(read(), timeout)
    finally:
        await feed.close()


def test_a_ticker_outage_is_reconnected_and_its_bars_backfilled(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    feed, client, relay = _wired(sandbox, tmp_path)
    events: list[Any] = []
    outage: dict[str, float] = {}

    def until(seen: list[Any]) -> bool:
        ticks = [e for e in seen if isinstance(e, Tick)]
        if "start" not in outage and len(ticks) >= 20:
            control(sandbox, "fault", {"kind": "ws_down", "seconds": 3})
            outage["start"] = time.monotonic()
            outage["end"] = outage["start"] + 3
        fills = [i for i, e in enumerate(seen) if isinstance(e, Backfill)]
        return bool(fills) and len(seen) - fills[0] > 40

    asyncio.run(_collect(feed, events, until))

    fills = [e for e in events if isinstance(e, Backfill)]
    assert len(fills) == 1 and fills[0].error == ""
    fill = fills[0]
    assert fill.gap_to_ns - fill.gap_from_ns >= 2 * MINUTE  # 3 wall s = 3 exchange minutes
    # Back within 5 s of the ticker being reachable again.
    reopened = [moment for moment, up, _ in relay.status if up and moment > outage["start"]]
    assert reopened and reopened[0] - outage["end"] < 5.0
    assert client.reconnects >= 1
    # Nothing that arrived after the gap comes before its backfill.
    at = events.index(fill)
    assert all(e.ts < fill.gap_to_ns for e in events[:at] if isinstance(e, Tick))
    assert all(e.ts >= fill.gap_to_ns for e in events[at + 1 :] if isinstance(e, Tick))
    # The bars the history served are the sandbox's own record of what traded then (the
    # minute still open at the fetch went on trading; the session does not take it).
    listing = {key: sandbox.state.market.listings[key] for key in KEYS}
    for bar in (b for b in fill.bars if b.ts + MINUTE <= fill.gap_to_ns):
        candle = listing[bar.instrument_key].minutes[bar.ts // 1_000_000_000]
        assert bar.close == float(listing[bar.instrument_key].price(candle[3]))

    # What a session builds from this feed: bars of every minute, no hole across the gap.
    aggregator = BarAggregator(1)
    built: dict[str, list[int]] = {key: [] for key in KEYS}
    for event in events:
        if isinstance(event, Backfill):
            out = aggregator.accept_backfill(event.bars, event.gap_to_ns)
        else:
            out = aggregator.on_tick(event)
        for bar in out:
            built[bar.instrument_key].append(bar.ts)
    for key, stamps in built.items():
        gap_minutes = range(fill.gap_from_ns // MINUTE + 1, fill.gap_to_ns // MINUTE)
        minutes = [ts // MINUTE for ts in stamps]
        assert set(gap_minutes) <= set(minutes), key
        assert minutes == list(range(minutes[0], minutes[0] + len(minutes))), key


def test_garbage_and_truncated_frames_are_skipped_without_dropping_the_feed(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    feed, client, _relay = _wired(sandbox, tmp_path)
    events: list[Any] = []
    sent: dict[str, int] = {}

    def until(seen: list[Any]) -> bool:
        if not sent and len(seen) >= 10:
            control(sandbox, "fault", {"kind": "ws_garbage", "count": 6})
            sent["at"] = len(seen)
        return bool(sent) and client.bad_frames >= 6 and len(seen) > sent["at"] + 20

    asyncio.run(_collect(feed, events, until))
    assert client.bad_frames == 6
    assert client.reconnects == 0
    assert not any(isinstance(e, Backfill) for e in events)
    assert {e.instrument_key for e in events[-10:]} <= set(KEYS)
